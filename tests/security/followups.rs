// SPDX-License-Identifier: MPL-2.0
//! Follow-ups (issue 22, item 1): a resolution is checked against the open
//! item it resolves — it exists, it is due, the action fits its kind, the
//! role may take it — so the card policy cannot be bypassed from the
//! console and nothing is hidden before it appears.

use chrono::Utc;
use houmon_core::card::cert::AuthCertificate;
use houmon_server::db::staff::Role;
use houmon_server::db::visits;
use houmon_tests::clinic::*;
use houmon_tests::console::*;
use houmon_vcard::VirtualCard;

use super::{stored_patient, visual};

fn fingerprint(card: &VirtualCard) -> String {
    AuthCertificate::from_der(&card.auth_certificate_der()).unwrap().fingerprint_sha256()
}

fn resolutions(clinic: &Clinic) -> Vec<(String, String)> {
    clinic
        .app()
        .db
        .read(|c, _| houmon_server::db::console::resolutions(c))
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.item))
        .collect()
}

async fn resolve(c: &Console, kind: &str, item: &str, decision: Option<&str>) -> u16 {
    let mut fields = vec![("kind", kind), ("item", item), ("note", "確認しました")];
    if let Some(d) = decision {
        fields.push(("decision", d));
    }
    c.post("/console/follow-ups/resolve", &fields).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_is_resolved_only_as_the_open_item_it_names_allows() {
    let clinic = start_clinic(vec![patient("p0", None), patient("p1", None)], vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    staff_with_password(&clinic, "doctor", Role::Doctor);
    let phone = Phone::new(&clinic, "dev-1").await;
    let clerk = Console::logged_in(&clinic, "clerk").await;

    // A 目視 visit that was never held cannot be "accepted as reissued":
    // only an accepted PIN visit enrols a card (ADR 0007).
    let x = VirtualCard::standard();
    let seen = visual(&phone, "v-visual", "p0", &x.auth_certificate_der()).await;
    phone.enqueue(&seen);
    phone.sync.upload_due().await.unwrap();
    assert_ne!(resolve(&clerk, "held-card", "v-visual", Some("accept")).await, 303);
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, None, "the card policy held");
    // Items that do not exist, or are not due yet, cannot be hidden in advance.
    assert_ne!(resolve(&clerk, "after-check", "v-not-uploaded-yet", None).await, 303);
    assert_ne!(resolve(&clerk, "consent-lapsing", "p0:2099-01-31", None).await, 303);
    assert_ne!(resolve(&clerk, "undelivered", "dev-1/v-later", None).await, 303);
    assert!(resolutions(&clinic).is_empty(), "{:?}", resolutions(&clinic));

    // p0's card A is enrolled by a PIN visit; card B for p0 and card A for
    // p1 are held.
    let (a, b) = (VirtualCard::standard(), VirtualCard::standard());
    phone.pin_visit(&a, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    let other = phone.pin_visit(&b, "p0", Utc::now()).await;
    let borrowed = phone.pin_visit(&a, "p1", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.held, vec![other.id.clone(), borrowed.id.clone()]);

    // A card enrolled to another patient is not "reissued": reject only.
    assert_ne!(resolve(&clerk, "held-card", &borrowed.id, Some("accept")).await, 303);
    assert_eq!(stored_patient(&clinic, "p1").enrolled_cert, None);
    // A doctor sees the follow-ups but does not decide whose card it is.
    let doctor = Console::logged_in(&clinic, "doctor").await;
    assert_eq!(doctor.get("/console/follow-ups").await.status, 200);
    assert_eq!(resolve(&doctor, "held-card", &other.id, Some("accept")).await, 403);
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, Some(fingerprint(&a)));
    // The receptionist accepts the reissued card: it is p0's card now.
    assert_eq!(resolve(&clerk, "held-card", &other.id, Some("accept")).await, 303);
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, Some(fingerprint(&b)));
    let row = clinic.app().db.read(|c, _| visits::get(c, &other.id)).unwrap().unwrap();
    assert_eq!(row.status, "accepted");
    // Once resolved it is no longer open.
    assert_ne!(resolve(&clerk, "held-card", &other.id, Some("reject")).await, 303);
    assert_eq!(resolve(&clerk, "held-card", &borrowed.id, Some("reject")).await, 303);

    // A held 目視 visit (another card than the enrolled one) cannot enrol
    // its card either; it can be rejected.
    let c = VirtualCard::standard();
    let held_visual = visual(&phone, "v-visual-held", "p0", &c.auth_certificate_der()).await;
    phone.enqueue(&held_visual);
    assert_eq!(phone.sync.upload_due().await.unwrap().held, ["v-visual-held"]);
    assert_ne!(resolve(&clerk, "held-card", "v-visual-held", Some("accept")).await, 303);
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, Some(fingerprint(&b)));
    assert_eq!(resolve(&clerk, "held-card", "v-visual-held", Some("reject")).await, 303);

    let mut done = resolutions(&clinic);
    done.sort();
    let mut expected = vec![
        ("held-card".to_owned(), other.id.clone()),
        ("held-card".to_owned(), borrowed.id.clone()),
        ("held-card".to_owned(), "v-visual-held".to_owned()),
    ];
    expected.sort();
    assert_eq!(done, expected, "only the resolutions of open items are stored");
    // Every refusal is in the audit trail, attributed.
    let refused: Vec<_> = audit_of(&clinic, "followup.resolve")
        .into_iter()
        .filter(|e| e.outcome.starts_with("refused:"))
        .collect();
    assert_eq!(refused.len(), 8, "{refused:#?}");
    assert!(refused.iter().any(|e| e.actor == "staff:doctor"), "{refused:#?}");
    clinic.shutdown().await;
}
