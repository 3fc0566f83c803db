// SPDX-License-Identifier: MPL-2.0
//! Two clinics in one PostgreSQL database (issue 22, the PostgreSQL half):
//! a server started for clinic A cannot read or change clinic B's rows
//! through any endpoint or console page — the same patient id in both,
//! B's device, B's session, B's codes. Runs with `HOUMON_TEST_DATABASE`
//! (the suites' PostgreSQL run); skipped on SQLite, where each clinic is a
//! file of its own.

use chrono::Utc;
use houmon_server::db::staff::Role;
use houmon_server::db::{console as cdb, devices, patients, rounds};
use houmon_tests::clinic::*;
use houmon_tests::console::*;
use houmon_tests::rawdb::is_postgres;
use houmon_vcard::VirtualCard;

use super::{post_enrol, Raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_for_one_clinic_reads_and_changes_nothing_of_another_through_any_page() {
    let mut a_p1 = patient("p1", Some(1));
    a_p1.name = "エー 花子".into();
    let mut b_p1 = patient("p1", Some(2));
    b_p1.name = "ビー 太郎".into();
    let mut b_only = patient("pb", Some(3));
    b_only.name = "ビー 次郎".into();
    let a = start_clinic(vec![a_p1], vec![], false).await;
    if !is_postgres(&a.config) {
        eprintln!("skipped: clinics share a database only on PostgreSQL");
        a.shutdown().await;
        return;
    }
    let b = start_clinic(vec![b_p1, b_only], vec![], false).await;
    assert_ne!(
        a.config.database.as_ref().unwrap().clinic_id,
        b.config.database.as_ref().unwrap().clinic_id
    );
    for c in [&a, &b] {
        staff_with_password(c, "admin", Role::Admin);
    }
    staff_with_password(&b, "b-clerk", Role::Clerk);
    // Clinic B at work: a phone, a visit, a held card, a session.
    let b_phone = Raw::enrol(&b, "dev-b").await;
    b.assign(today(), "dev-b", &["p1", "pb"]);
    let b_sync = Phone::new(&b, "dev-b2").await;
    let card = VirtualCard::standard();
    let visit = b_sync.pin_visit(&card, "pb", Utc::now()).await;
    let held = b_sync.pin_visit(&card, "p1", Utc::now()).await;
    let report = b_sync.sync.upload_due().await.unwrap();
    assert_eq!((report.sent.len(), report.held.len()), (1, 1), "{report:?}");
    let b_admin = Console::logged_in(&b, "admin").await;
    let b_before = b.app().db.read(patients::all).unwrap();

    // B's device and B's session mean nothing to A's server.
    let at_a =
        Raw { token: b_phone.token.clone(), http: pinned_client(&a, None), url: a.url.clone() };
    assert_eq!(at_a.get("/v1/time").await.0, 401);
    assert_eq!(at_a.get(&format!("/v1/roster?day={}", today())).await.0, 401);
    let mut stolen = Console::new(&a);
    stolen.cookie = b_admin.cookie.clone();
    stolen.csrf = b_admin.csrf.clone();
    assert_eq!(stolen.get("/console/").await.status, 303, "B's session opens nothing at A");
    // Nor B's enrolment code.
    let b_code = b.enrolment(STAFF).code;
    let (status, _) = post_enrol(&pinned_client(&a, None), &a.url, "dev-x", "x", &b_code).await;
    assert_eq!(status, 403);

    // A's own phone: A's patient p1, never B's.
    let a_phone = Raw::enrol(&a, "dev-a").await;
    a.assign(today(), "dev-a", &["p1", "pb"]);
    let (status, roster) = a_phone.get(&format!("/v1/roster?day={}", today())).await;
    assert_eq!(status, 200);
    let text = roster.to_string();
    assert!(text.contains("エー 花子") && !text.contains("ビー"), "{text}");
    let (_, results) = a_phone.get("/v1/results?since=0").await;
    assert!(results["results"].as_array().unwrap().is_empty(), "{results}");

    // A's administrator, page by page.
    let admin = Console::logged_in(&a, "admin").await;
    // (The audit page first: A's own trail records the ids asked for below.)
    for path in [
        "/console/audit".to_owned(),
        "/console/".to_owned(),
        "/console/patients".to_owned(),
        "/console/visits".to_owned(),
        format!("/console/visits/{}", visit.id),
        "/console/follow-ups".to_owned(),
        "/console/rounds".to_owned(),
        "/console/devices".to_owned(),
        "/console/staff".to_owned(),
        "/console/patients/pb".to_owned(),
        "/console/export.csv?encoding=utf-8".to_owned(),
    ] {
        let page = admin.get(&path).await;
        for b_thing in ["ビー", "dev-b", "b-clerk", visit.id.as_str(), held.id.as_str()] {
            assert!(!page.body.contains(b_thing), "{path} shows clinic B's {b_thing}");
        }
    }
    // Changes aimed at B's rows.
    let day = today().to_string();
    for (path, fields) in [
        ("/console/devices/revoke", vec![("device", "dev-b")]),
        (
            "/console/rounds/remove",
            vec![("day", day.as_str()), ("device", "dev-b"), ("patient", "pb")],
        ),
        (
            "/console/follow-ups/resolve",
            vec![
                ("kind", "held-card"),
                ("item", held.id.as_str()),
                ("note", "x"),
                ("decision", "accept"),
            ],
        ),
        ("/console/staff", vec![("action", "unlock"), ("staff_id", "b-clerk")]),
        ("/console/patients/pb/team", vec![("staff", STAFF)]),
    ] {
        admin.post(path, &fields).await;
    }
    // A patient saved under B's id is A's own row.
    let r = admin
        .post(
            "/console/patients/pb",
            &[("name", "エー 三郎"), ("birth_date", "1940-01-01"), ("address", "A")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Clinic B is as it was.
    assert_eq!(b.app().db.read(patients::all).unwrap(), b_before);
    let b_devices = b.app().db.read(|c, _| devices::list(c)).unwrap();
    assert!(b_devices.iter().all(|d| d.revoked_at.is_none()), "{b_devices:?}");
    assert_eq!(b_phone.get("/v1/time").await.0, 200);
    let stops = b.app().db.read(|c, _| rounds::of_day(c, today())).unwrap();
    assert!(stops.iter().any(|s| s.device_id == "dev-b" && s.patient_id == "pb"));
    assert!(b.app().db.read(|c, _| cdb::resolutions(c)).unwrap().is_empty());
    let b_team = b.app().db.read(|c, _| houmon_server::db::care_team::of_patient(c, "pb")).unwrap();
    assert!(b_team.is_empty());
    let held_row =
        b.app().db.read(|c, _| houmon_server::db::visits::get(c, &held.id)).unwrap().unwrap();
    assert_eq!(held_row.status, "held");
    // And A has only its own.
    let a_patients: Vec<String> =
        a.app().db.read(patients::all).unwrap().into_iter().map(|p| p.personal.name).collect();
    assert_eq!(a_patients, ["エー 花子", "エー 三郎"]);
    a.shutdown().await;
    b.shutdown().await;
}
