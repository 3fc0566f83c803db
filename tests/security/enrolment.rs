// SPDX-License-Identifier: MPL-2.0
//! Enrolment codes (issue 22, items 8 and 11): one bound on a code's life
//! however it is issued; a revoked device comes back only by an
//! administrator's choice, audited.

use houmon_server::db::audit::Actor;
use houmon_server::db::staff::Role;
use houmon_tests::clinic::*;
use houmon_tests::console::*;

use super::{post_enrol, Raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolment_code_lives_at_most_an_hour_however_it_is_issued() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    for minutes in [-5, 0, 61, 525_600] {
        let issued = clinic.app().issue_enrolment(STAFF, &Actor::System, minutes);
        assert!(issued.is_err(), "{minutes} minutes: {:?}", issued.map(|l| l.code));
    }
    for minutes in [1, 15, 60] {
        assert!(clinic.app().issue_enrolment(STAFF, &Actor::System, minutes).is_ok());
    }
    staff_with_password(&clinic, "admin", Role::Admin);
    let admin = Console::logged_in(&clinic, "admin").await;
    let page =
        admin.post("/console/devices/enrol", &[("staff", STAFF), ("minutes", "525600")]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(!page.body.contains("enrolment-code"), "no code was issued");
    clinic.shutdown().await;
}

fn code_on(page: &str) -> String {
    let at = page.find(r#"id="enrolment-code">"#).expect("a code on the page") + 20;
    page[at..at + 14].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_enrolled_again_only_with_a_code_an_administrator_issued_for_it() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let old = Raw::enrol(&clinic, "dev-1").await;
    let other = Raw::enrol(&clinic, "dev-2").await;
    assert!(clinic.revoke("dev-1"));
    let http = pinned_client(&clinic, None);
    // An ordinary code does not bring it back.
    let code = clinic.enrolment(STAFF).code;
    let (status, body) = post_enrol(&http, &clinic.url, "dev-1", "phone", &code).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("device-exists")), "{body}");

    // The administrator chooses to: a code for that device id.
    let admin = Console::logged_in(&clinic, "admin").await;
    let page = admin.post("/console/devices/enrol", &[("staff", STAFF), ("device", "dev-1")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let again = code_on(&page.body);
    // It enrols that device id and no other.
    let (status, _) = post_enrol(&http, &clinic.url, "dev-3", "phone", &again).await;
    assert_eq!(status, 403);
    let (status, body) = post_enrol(&http, &clinic.url, "dev-1", "phone again", &again).await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let fresh = Raw { token, http: old.http.clone(), url: old.url.clone() };
    assert_eq!(fresh.get("/v1/time").await.0, 200);
    assert_eq!(old.get("/v1/time").await.0, 401, "the revoked token stays revoked");
    // A device that is not revoked cannot be taken over this way.
    let page = admin.post("/console/devices/enrol", &[("staff", STAFF), ("device", "dev-2")]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(other.get("/v1/time").await.0, 200);
    // Both steps are in the audit trail.
    let issued = audit_of(&clinic, "device.enrolment-issued");
    assert!(
        issued.iter().any(|e| e.actor == "staff:admin" && e.detail.contains("dev-1")),
        "{issued:#?}"
    );
    let enrolled = audit_of(&clinic, "device.enrol");
    assert!(
        enrolled.iter().any(|e| e.outcome == "ok"
            && e.target.as_deref() == Some("dev-1")
            && e.detail.contains("again")),
        "{enrolled:#?}"
    );
    clinic.shutdown().await;
}
