// SPDX-License-Identifier: MPL-2.0
//! A nurse's reach (issue 22, item 3): she plans rounds only for herself,
//! from the patients the clinic gave her, and the console shows her only
//! theirs; the rest is refused and audited.

use chrono::Utc;
use houmon_server::db::staff::Role;
use houmon_tests::clinic::*;
use houmon_tests::console::*;
use houmon_vcard::records::visual_record;
use houmon_vcard::VirtualCard;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_plans_rounds_only_for_herself_from_her_patients_and_sees_only_theirs() {
    let clinic = start_clinic(vec![patient("p0", None), patient("p1", None)], vec![], false).await;
    staff_with_password(&clinic, STAFF, Role::Nurse);
    staff_with_password(&clinic, "nurse-8", Role::Nurse);
    staff_with_password(&clinic, "admin", Role::Admin);
    let mine = Phone::enrol_only(&clinic, "dev-1").await;
    let nurse = Console::logged_in(&clinic, STAFF).await;
    let day = today().to_string();
    let stops = |clinic: &Clinic| {
        let all =
            clinic.app().db.read(|c, _| houmon_server::db::rounds::of_day(c, today())).unwrap();
        all.into_iter().map(|s| (s.staff_id, s.patient_id)).collect::<Vec<_>>()
    };

    // No patient was given to her: the plan shows none, and she cannot put
    // one on her own phone's round or on a colleague's.
    let plan = nurse.get("/console/rounds").await;
    assert_eq!(plan.status, 200);
    assert!(!plan.body.contains("患者 p0") && !plan.body.contains("患者 p1"), "{}", plan.body);
    for (staff, device, patient) in
        [(STAFF, "dev-1", "p1"), (STAFF, "*", "p1"), ("nurse-8", "*", "p0")]
    {
        let fields =
            [("day", day.as_str()), ("staff", staff), ("device", device), ("patient", patient)];
        let r = nurse.post("/console/rounds", &fields).await;
        assert_eq!(r.status, 403, "{staff} {device} {patient}: {}", r.body);
    }
    assert!(stops(&clinic).is_empty(), "{:?}", stops(&clinic));
    assert_eq!(mine.sync.roster(today()).await.unwrap().0.entries.len(), 0);

    // The clinic gives her p0.
    let admin = Console::logged_in(&clinic, "admin").await;
    let r = admin.post("/console/patients/p0/team", &[("staff", STAFF)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let plan = nurse.get("/console/rounds").await;
    assert!(plan.body.contains("患者 p0") && !plan.body.contains("患者 p1"), "{}", plan.body);
    let r = nurse
        .post(
            "/console/rounds",
            &[("day", &day), ("staff", STAFF), ("device", "dev-1"), ("patient", "p0")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = nurse
        .post(
            "/console/rounds",
            &[("day", &day), ("staff", "nurse-8"), ("device", "*"), ("patient", "p0")],
        )
        .await;
    assert_eq!(r.status, 403, "not on a colleague's round: {}", r.body);
    assert_eq!(stops(&clinic), [(STAFF.to_owned(), "p0".to_owned())]);
    let roster = mine.sync.roster(today()).await.unwrap().0;
    assert_eq!(roster.entries.iter().map(|e| e.patient_id.as_str()).collect::<Vec<_>>(), ["p0"]);

    // A colleague's stop and visit for p1: not hers to see or change.
    houmon_server::admin::assign(
        clinic.app(),
        &houmon_server::db::audit::Actor::System,
        &houmon_server::db::rounds::Stop {
            day: today(),
            device_id: "dev-8".into(),
            staff_id: "nurse-8".into(),
            patient_id: "p1".into(),
            position: 0,
        },
    )
    .unwrap();
    let theirs = {
        let link = clinic.enrolment("nurse-8");
        let store = std::sync::Arc::new(
            houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap(),
        );
        let sync =
            houmon_sync::SyncClient::enrol(store.clone(), &link, "dev-8", "phone").await.unwrap();
        let anchor = sync.time_anchor().await.unwrap();
        let cert = VirtualCard::standard().auth_certificate_der();
        let record = visual_record("v-theirs", "dev-8", "nurse-8", Some("p1"), &cert, anchor);
        store.enqueue(&record.id, record.to_json().as_bytes(), Utc::now()).unwrap();
        assert_eq!(sync.upload_due().await.unwrap().sent, ["v-theirs"]);
        record
    };
    let plan = nurse.get("/console/rounds").await;
    assert!(!plan.body.contains("患者 p1") && !plan.body.contains("nurse-8"), "{}", plan.body);
    // Her patient, but on a colleague's phone: refused too.
    let r = nurse
        .post(
            "/console/rounds",
            &[("day", &day), ("staff", STAFF), ("device", "dev-8"), ("patient", "p0")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = nurse
        .post("/console/rounds/remove", &[("day", &day), ("device", "dev-8"), ("patient", "p1")])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(stops(&clinic).len(), 2, "the colleague's stop stays");
    // Nor may she move it in the day's order (her own stop beside it).
    let position = |clinic: &Clinic, device: &str| {
        let all =
            clinic.app().db.read(|c, _| houmon_server::db::rounds::of_day(c, today())).unwrap();
        all.into_iter().find(|s| s.device_id == device).map(|s| s.position)
    };
    let before = position(&clinic, "dev-8");
    let r = nurse
        .post(
            "/console/rounds/order",
            &[
                ("day", day.as_str()),
                ("stop", "dev-1|p0"),
                ("position", "2"),
                ("stop", "dev-8|p1"),
                ("position", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(position(&clinic, "dev-8"), before, "the colleague's order stays");
    let reorders: Vec<_> = audit_of(&clinic, "")
        .into_iter()
        .filter(|e| e.action == "round.reorder")
        .map(|e| (e.outcome, e.target))
        .collect();
    assert_eq!(
        reorders,
        [("refused:forbidden".to_owned(), Some(format!("{day} dev-8 p1")))],
        "the refusal is audited"
    );
    let visits = nurse.get("/console/visits").await;
    assert_eq!(visits.status, 200);
    assert!(
        !visits.body.contains("患者 p1") && !visits.body.contains(&theirs.id),
        "{}",
        visits.body
    );
    assert!(!nurse.get("/console/").await.body.contains("患者 p1"));
    assert_eq!(nurse.get(&format!("/console/visits/{}", theirs.id)).await.status, 403);
    // The pages her role does not open at all: refused, and audited too.
    assert_eq!(nurse.get("/console/patients").await.status, 403);
    assert_eq!(nurse.get("/console/patients/p1").await.status, 403);
    // The administrator sees everyone's.
    assert!(admin.get("/console/visits").await.body.contains("患者 p1"));

    // Every refusal is in the audit trail, attributed to her.
    let refused: Vec<_> = audit_of(&clinic, "")
        .into_iter()
        .filter(|e| e.outcome.starts_with("refused:") && e.actor == format!("staff:{STAFF}"))
        .collect();
    assert!(refused.len() >= 7, "{refused:#?}");
    assert!(refused.iter().any(|e| e.action == "round.assign"), "{refused:#?}");
    assert!(refused.iter().any(|e| e.action == "console.visit"), "{refused:#?}");
    let pages: Vec<_> = refused.iter().filter(|e| e.action == "console.access").collect();
    assert!(
        pages.iter().any(|e| e.target.as_deref() == Some("/console/patients/p1")),
        "{pages:#?}"
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_moves_and_takes_off_her_own_stop_when_a_colleague_visits_the_same_patient_that_day(
) {
    // Two visits to one patient on one day (morning and evening, two
    // nurses, two phones): taking hers off must find her stop, not the
    // colleague's that sorts first because it shares the patient.
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, STAFF, Role::Nurse);
    staff_with_password(&clinic, "nurse-8", Role::Nurse);
    let system = houmon_server::db::audit::Actor::System;
    let stop = |device: &str, staff: &str| houmon_server::db::rounds::Stop {
        day: today(),
        device_id: device.into(),
        staff_id: staff.into(),
        patient_id: "p0".into(),
        position: 0,
    };
    let team = std::collections::BTreeSet::from([STAFF.to_owned(), "nurse-8".to_owned()]);
    houmon_server::admin::set_care_team(clinic.app(), &system, "p0", &team).unwrap();
    houmon_server::admin::assign(clinic.app(), &system, &stop("dev-0", "nurse-8")).unwrap();
    houmon_server::admin::assign(clinic.app(), &system, &stop("dev-1", STAFF)).unwrap();
    let nurse = Console::logged_in(&clinic, STAFF).await;
    let day = today().to_string();
    // Moving her stop in the day's order finds hers too.
    let r = nurse
        .post(
            "/console/rounds/order",
            &[("day", day.as_str()), ("stop", "dev-1|p0"), ("position", "3")],
        )
        .await;
    assert_eq!(r.status, 303, "her own stop: {}", r.body);
    let r = nurse
        .post("/console/rounds/remove", &[("day", &day), ("device", "dev-1"), ("patient", "p0")])
        .await;
    assert_eq!(r.status, 303, "her own stop: {}", r.body);
    let left: Vec<_> = clinic
        .app()
        .db
        .read(|c, _| houmon_server::db::rounds::of_day(c, today()))
        .unwrap()
        .into_iter()
        .map(|s| (s.device_id, s.staff_id))
        .collect();
    assert_eq!(left, [("dev-0".to_owned(), "nurse-8".to_owned())], "the colleague's stays");
    clinic.shutdown().await;
}
