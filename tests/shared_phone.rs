// SPDX-License-Identifier: MPL-2.0
//! The clinic's side of shared phones and facility rounds: the server
//! takes a record of a staff member other than the phone's own only with a
//! sign-in proof that verifies under that person's key and a round that
//! day, and a facility's card custody entries only for residents on the
//! phone's round, once each.

use chrono::Utc;
use houmon_core::protocol::{CustodyAction, CustodyEvent};
use houmon_core::visit::*;
use houmon_store::{ItemKind, ItemState, NewItem};
use houmon_tests::clinic::*;
use houmon_vcard::VirtualCard;

/// A PIN record of `patient` made by `staff`, with `sign_in` as given.
async fn record_by(
    phone: &Phone,
    patient: &str,
    staff: &str,
    key: Option<&StaffKey>,
) -> VisitRecord {
    let mut r = phone.pin_record(VirtualCard::standard(), patient, Utc::now()).await;
    // The same visit, made by someone else signed in on the phone.
    r.context.staff_id = staff.into();
    r.sign_in = key.map(|k| k.attest(&phone.device_id, staff, &r.id, Utc::now()));
    r
}

fn wedge_reason(phone: &Phone, id: &str) -> Option<String> {
    let item = phone.store.get(id).unwrap();
    (item.state == ItemState::Wedged).then(|| item.wedge_reason.unwrap_or_default())
}

fn key(code: &str, c: &Clinic, staff: &str) -> StaffKey {
    // What the phone derives from the typed code and the roster's verifier.
    let roster_verifier = c
        .app()
        .db
        .read(|conn, _| houmon_server::db::signin::roster_staff(conn, "dev-1", STAFF, today()))
        .unwrap()
        .into_iter()
        .find(|s| s.staff_id == staff)
        .and_then(|s| s.sign_in)
        .expect("a verifier in the roster");
    StaffKey::sign_in(code, &roster_verifier).expect("the right code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_staff_members_record_needs_her_sign_in_and_her_round() {
    let c =
        start_clinic((1..=4).map(|i| patient(&format!("p{i}"), Some(i))).collect(), vec![], false)
            .await;
    let phone = Phone::new(&c, "dev-1").await;
    c.add_staff("nurse-8", "在宅 花子", Some("482915"));
    c.add_staff("nurse-9", "外来 太郎", Some("739164"));
    c.assign_for(today(), "dev-1", "nurse-8", &["p1"]);
    let k8 = key("482915", &c, "nurse-8");
    // nurse-9 is on no round of this phone: her verifier is not even sent…
    let roster = phone.sync.roster(today()).await.unwrap().0;
    let names: Vec<_> = roster.staff.iter().map(|s| s.staff_id.as_str()).collect();
    assert_eq!(names, [STAFF, "nurse-8"]);
    // …and a proof made with her own key is refused for want of a round.
    let nine_key = {
        // Her key, as a phone of her own rounds would derive it.
        let v = c
            .app()
            .db
            .read(|conn, _| {
                houmon_server::db::signin::roster_staff(conn, "dev-9", "nurse-9", today())
            })
            .unwrap()
            .into_iter()
            .find(|s| s.staff_id == "nurse-9")
            .and_then(|s| s.sign_in)
            .unwrap();
        StaffKey::sign_in("739164", &v).unwrap()
    };
    let cases = [
        ("no sign-in", record_by(&phone, "p2", "nurse-8", None).await, Some("staff-mismatch")),
        (
            "a forged proof",
            {
                let (other, _) = StaffKey::new_code("111111").unwrap();
                record_by(&phone, "p2", "nurse-8", Some(&other)).await
            },
            Some("sign-in-invalid"),
        ),
        (
            "not on this phone's rounds",
            record_by(&phone, "p3", "nurse-9", Some(&nine_key)).await,
            Some("staff-not-on-round"),
        ),
        ("hers", record_by(&phone, "p1", "nurse-8", Some(&k8)).await, None),
        ("the phone's own nurse, no sign-in", record_by(&phone, "p4", STAFF, None).await, None),
    ];
    for (_, r, _) in &cases {
        phone.enqueue(r);
    }
    phone.sync.upload_due().await.unwrap();
    for (what, r, refused) in &cases {
        match (wedge_reason(&phone, &r.id), refused) {
            (None, None) => {}
            (Some(reason), Some(code)) => assert!(reason.starts_with(code), "{what}: {reason}"),
            (got, want) => panic!("{what}: wedged {got:?}, expected {want:?}"),
        }
    }
    let visits = c
        .app()
        .db
        .read(|conn, _| houmon_server::db::visits::get(conn, &cases[3].1.id))
        .unwrap()
        .expect("stored");
    assert_eq!(visits.staff_id, "nurse-8", "the visit is hers, not the phone's");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_compared_by_someone_else_than_the_records_staff_member_is_refused() {
    let c = start_clinic(vec![patient("p1", Some(1))], vec![], false).await;
    let phone = Phone::new(&c, "dev-1").await;
    let card = VirtualCard::standard();
    let mut s = VisitSession::new(
        phone.context("p1", VisitKind::HomeCare).await,
        SessionOptions::default(),
    );
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(&houmon_vcard::Holder::default().collation_b()).unwrap();
    s.read_card(&card, Utc::now()).await.unwrap();
    s.photo_matches("nurse-8", VisualReason::Condition, "", Utc::now()).unwrap();
    let choice =
        ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Paper };
    let r = s.record_for_consent(choice, Utc::now()).unwrap();
    phone.enqueue(&r);
    phone.sync.upload_due().await.unwrap();
    let reason = wedge_reason(&phone, &r.id).unwrap_or_default();
    assert!(reason.starts_with("staff-mismatch"), "{reason}");
    c.shutdown().await;
}

fn custody(
    phone: &Phone,
    id: &str,
    patient: &str,
    action: CustodyAction,
    anchor: Option<String>,
) -> CustodyEvent {
    CustodyEvent {
        id: id.into(),
        device_id: phone.device_id.clone(),
        staff_id: STAFF.into(),
        patient_id: patient.into(),
        action,
        at: Utc::now(),
        time_anchor: anchor,
        sign_in: None,
    }
}

fn queue_custody(phone: &Phone, e: &CustodyEvent) {
    let json = serde_json::to_vec(e).unwrap();
    phone
        .store
        .enqueue_item(
            NewItem {
                id: &e.id,
                kind: ItemKind::Custody,
                payload: &json,
                day: &today().to_string(),
                note: b"{}",
            },
            Utc::now(),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custody_entries_are_kept_once_for_residents_on_the_round_with_the_servers_facility() {
    let mut resident = patient("p1", Some(1));
    resident.facility = Some("グループホームさくら".into());
    let c = start_clinic(vec![resident, patient("p2", Some(2))], vec![], false).await;
    let phone = Phone::enrol_only(&c, "dev-1").await;
    c.assign(today(), "dev-1", &["p1"]);
    let anchor = phone.sync.time_anchor().await.unwrap();
    assert!(anchor.is_some());
    let taken = custody(&phone, "c-1", "p1", CustodyAction::Taken, anchor.clone());
    let not_on_round = custody(&phone, "c-2", "p2", CustodyAction::Taken, anchor.clone());
    let no_time = custody(&phone, "c-3", "p1", CustodyAction::Returned, None);
    for e in [&taken, &not_on_round, &no_time] {
        queue_custody(&phone, e);
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, ["c-1"], "{report:?}");
    assert!(wedge_reason(&phone, "c-2").unwrap().starts_with("not-assigned"));
    assert!(wedge_reason(&phone, "c-3").unwrap().starts_with("time-unverifiable"));
    // The same entry again (its answer was lost): a duplicate, not a second
    // row; the same id with other content: a conflict.
    let device = houmon_server::db::devices::DeviceAuth {
        device_id: "dev-1".into(),
        staff_id: STAFF.into(),
        token_expires_at: Utc::now() + chrono::Duration::days(1),
        previous_token: false,
        last_seen_at: None,
    };
    let body =
        |e: &CustodyEvent| serde_json::to_vec(&serde_json::json!({ "events": [e] })).unwrap();
    let again = houmon_server::ingest::custody::ingest(c.app(), &device, &body(&taken), Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(again.results[0].status, Some(houmon_core::protocol::UploadStatus::Duplicate));
    // The refusal the server gives one entry sent alone.
    let refusal_of = |e: &CustodyEvent| {
        let answer = houmon_server::ingest::custody::ingest(c.app(), &device, &body(e), Utc::now())
            .unwrap()
            .unwrap();
        answer.results[0].refusal.as_ref().map(|r| r.code)
    };
    let other = CustodyEvent { action: CustodyAction::Returned, ..taken.clone() };
    assert_eq!(refusal_of(&other), Some(houmon_core::protocol::RefusalCode::Conflict));
    // An entry, patient or staff id that is no id is refused as such, each
    // on its own, and nothing is stored for it.
    for bad in [
        CustodyEvent { id: "c 4".into(), ..taken.clone() },
        CustodyEvent { id: "c-5".into(), patient_id: "../p1".into(), ..taken.clone() },
        CustodyEvent { id: "c-6".into(), staff_id: "".into(), ..taken.clone() },
    ] {
        assert_eq!(
            refusal_of(&bad),
            Some(houmon_core::protocol::RefusalCode::InvalidId),
            "{bad:?}"
        );
    }
    let rows =
        c.app().db.read(|conn, _| houmon_server::db::custody::of_day(conn, today())).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].facility.as_deref(), Some("グループホームさくら"));
    c.shutdown().await;
}
