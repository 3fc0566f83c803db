// SPDX-License-Identifier: MPL-2.0
//! Phone core ↔ clinic server ↔ simulated 資格確認端末, over loopback: each
//! eligibility status, each queue state, server restarts, garbage answers,
//! a device clock that is off, and the refusals the phone shows.

use std::time::Duration;

use chrono::Utc;
use houmon_core::protocol::{CheckOutcome, Eligibility};
use houmon_core::visit::*;
use houmon_store::ItemState;
use houmon_sync::{eligibility_label, SyncClient, SyncError};
use houmon_tests::clinic::*;
use houmon_tests::*;
use houmon_vcard::{Variant, VirtualCard};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_eligibility_status_comes_back_to_the_phone() {
    let statuses = [
        ("1", Eligibility::Valid),
        ("2", Eligibility::Invalid),
        ("3", Eligibility::InvalidNewQualification),
        ("4", Eligibility::NoRecord),
        ("5", Eligibility::MultipleMatches),
        ("6", Eligibility::ValidUnregistered),
    ];
    let patients = (0..6).map(|i| patient(&format!("p{i}"), Some(i))).collect();
    let data = statuses.iter().enumerate().map(|(i, (code, _))| answer(i as u32, code)).collect();
    let clinic = start_clinic(patients, data, false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    // One card per patient: a card is enrolled to the first patient it
    // signs for, and another patient's visit with it would be held.
    for i in 0..6 {
        phone.pin_visit(VirtualCard::standard(), &format!("p{i}"), Utc::now()).await;
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len(), 6, "{report:?}");
    for (i, (_, expected)) in statuses.iter().enumerate() {
        let r = phone.wait_result(&format!("p{i}"), WAIT).await.expect("a result");
        match &r.outcome {
            CheckOutcome::Answered { eligibility, share_wari, .. } => {
                assert_eq!(eligibility, expected, "p{i}");
                assert_eq!(*share_wari, Some(3));
            }
            other => panic!("p{i}: {other:?}"),
        }
        assert!(eligibility_label(Some(&r), true).contains(expected.label_ja()));
    }
    assert!(phone.sync.last_result("p0").await.unwrap().is_some());
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_processing_erroring_garbage_shift_jis_and_silent_terminals_are_all_reported() {
    let mut slow = answer(0, "1");
    slow.delay_ms = 600;
    let mut processing = answer(1, "1");
    processing.processing_first = true;
    processing.delay_ms = 300;
    let mut error = answer(2, "1");
    error.error = Some(("EOQ0001".into(), "照会処理でエラーが発生しました".into()));
    let mut garbage = answer(3, "1");
    garbage.garbage = true;
    let mut sjis = answer(4, "2");
    sjis.shift_jis = true;
    // p5 has numbers the terminal never answers in time (terminal stopped for it: no entry, delay huge)
    let mut silent = answer(5, "1");
    silent.delay_ms = 60_000;
    let patients = (0..6).map(|i| patient(&format!("p{i}"), Some(i))).collect();
    let clinic =
        start_clinic(patients, vec![slow, processing, error, garbage, sjis, silent], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    // One card per patient: a card is enrolled to the first patient it
    // signs for, and another patient's visit with it would be held.
    for i in 0..6 {
        phone.pin_visit(VirtualCard::standard(), &format!("p{i}"), Utc::now()).await;
    }
    phone.sync.upload_due().await.unwrap();
    let outcome = |i: u32| {
        let phone = &phone;
        async move { phone.wait_result(&format!("p{i}"), WAIT).await.expect("a result").outcome }
    };
    assert!(matches!(
        outcome(0).await,
        CheckOutcome::Answered { eligibility: Eligibility::Valid, .. }
    ));
    assert!(
        matches!(outcome(1).await, CheckOutcome::Answered { eligibility: Eligibility::Valid, .. }),
        "after 処理中"
    );
    assert_eq!(
        outcome(2).await,
        CheckOutcome::Error {
            code: "EOQ0001".into(),
            message: "照会処理でエラーが発生しました".into()
        }
    );
    assert!(matches!(outcome(3).await, CheckOutcome::Error { code, .. } if code == "unreadable"));
    assert!(matches!(
        outcome(4).await,
        CheckOutcome::Answered { eligibility: Eligibility::Invalid, .. }
    ));
    assert!(
        matches!(outcome(5).await, CheckOutcome::Error { code, .. } if code == "timeout"),
        "3 s time-out"
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_visits_wait_in_the_queue_and_go_once_back_online() {
    let clinic = start_clinic(vec![patient("p0", Some(0))], vec![answer(0, "1")], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    phone.sync.set_online(false).await;
    let a = phone.pin_visit(&card, "p0", Utc::now()).await;
    let b = phone.pin_visit(&card, "p0", Utc::now()).await;
    assert!(matches!(phone.sync.upload_due().await, Err(SyncError::Offline)));
    assert_eq!(phone.store.list(ItemState::Pending).unwrap().len(), 2);
    // Offline, there is no result: never 有効 from a guess.
    assert!(eligibility_label(phone.sync.last_result("p0").await.unwrap().as_ref(), false)
        .contains("未確認"));
    phone.sync.set_online(true).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![a.id.clone(), b.id.clone()], "in order");
    assert_eq!(phone.store.list(ItemState::Sent).unwrap().len(), 2);
    assert_eq!(clinic.stored_visit_ids().len(), 2);
    // Offline again: the last server result is shown with its date, marked.
    let r = phone.wait_result("p0", WAIT).await.unwrap();
    phone.sync.set_online(false).await;
    assert!(eligibility_label(Some(&r), false).contains("オフライン表示"));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_acknowledgement_is_a_duplicate_not_a_second_record() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let record = phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    // The same record queued again (as after an ack lost on the way back).
    let again = houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap();
    again.enqueue(&record.id, record.to_json().as_bytes(), Utc::now()).unwrap();
    // The same phone's credentials, read from a copy of its store.
    again.put_meta("server-link", &phone.store.meta("server-link").unwrap().unwrap()).unwrap();
    let token = {
        let c = SyncClient::from_store(std::sync::Arc::new(again)).await.unwrap().unwrap();
        c.upload_due().await.unwrap()
    };
    assert_eq!(token.duplicates, vec![record.id.clone()]);
    assert_eq!(clinic.stored_visit_ids(), vec![record.id]);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_loses_nothing_and_the_queue_resumes() {
    server_restart_then_back_online(false).await;
}

/// The same, with the network's return only marked (as the app core does,
/// in the order of its commands): the upload itself makes the waiting
/// record due before it looks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_waiting_its_backoff_goes_on_the_first_upload_after_the_network_is_marked_back() {
    server_restart_then_back_online(true).await;
}

async fn server_restart_then_back_online(only_marked: bool) {
    let mut clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    let first = phone.pin_visit(&card, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    clinic.stop_server().await;
    let second = phone.pin_visit(&card, "p0", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert!(report.deferred.is_some(), "connection refused is transient");
    let item = phone.store.get(&second.id).unwrap();
    assert_eq!((item.state, item.attempts), (ItemState::Pending, 1));
    assert!(item.next_attempt_at.unwrap() > Utc::now(), "backoff");
    clinic.restart_server().await.unwrap();
    if only_marked {
        phone.sync.mark_online(false);
        phone.sync.mark_online(true);
    } else {
        phone.sync.set_online(false).await;
        phone.sync.set_online(true).await; // the shell reports the network back
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![second.id.clone()]);
    let mut ids = vec![first.id, second.id];
    ids.sort();
    assert_eq!(clinic.stored_visit_ids(), ids);
    clinic.shutdown().await;
}

/// A server that answers whatever the test says.
async fn fake_server(
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
) -> String {
    use axum::http::{HeaderName, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move || {
        let headers = headers.clone();
        async move {
            let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (k, v) in headers {
                r.headers_mut().insert(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn queued_phone(url: &str) -> (SyncClient, std::sync::Arc<houmon_store::Store>, String) {
    let store = std::sync::Arc::new(
        houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap(),
    );
    store.enqueue("v-1", b"{}", Utc::now()).unwrap();
    (SyncClient::new(url, store.clone(), Some("token".into()), None).unwrap(), store, "v-1".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_errors_from_a_server_never_lose_the_record() {
    // 200 with garbage: maybe stored, maybe not — retried, never dropped.
    let (c, store, id) = queued_phone(&fake_server(200, vec![], "<html>proxy</html>").await);
    let r = c.upload_due().await.unwrap();
    let item = store.get(&id).unwrap();
    assert_eq!(item.state, ItemState::Pending);
    assert!(item.last_error.unwrap().contains("unreadable"), "{r:?}");
    // 503 with Retry-After: honoured.
    let (c, store, id) =
        queued_phone(&fake_server(503, vec![("retry-after", "120")], "busy").await);
    c.upload_due().await.unwrap();
    let item = store.get(&id).unwrap();
    assert!(item.next_attempt_at.unwrap() >= Utc::now() + chrono::Duration::seconds(110));
    // 429 is transient too.
    let (c, store, id) = queued_phone(&fake_server(429, vec![], "slow down").await);
    c.upload_due().await.unwrap();
    assert_eq!(store.get(&id).unwrap().state, ItemState::Pending);
    // 422 with garbage: wedged with what is known, the rest goes on.
    let (c, store, id) = queued_phone(&fake_server(422, vec![], "???").await);
    store.enqueue("v-2", b"{}", Utc::now()).unwrap();
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.wedged.len(), 2, "both refused, neither blocked the other");
    assert_eq!(store.get(&id).unwrap().wedge_reason.as_deref(), Some("HTTP 422"));
    // 401: nothing is wedged; the device must register again.
    let (c, store, id) = queued_phone(&fake_server(401, vec![], "").await);
    assert!(matches!(c.upload_due().await, Err(SyncError::Unauthorized)));
    assert_eq!(store.get(&id).unwrap().state, ItemState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_clock_that_is_off_is_refused_with_a_reason_the_phone_shows() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    let ahead = phone.pin_visit(&card, "p0", Utc::now() + chrono::Duration::hours(2)).await;
    let behind = phone.pin_visit(&card, "p0", Utc::now() - chrono::Duration::days(3 * 365)).await;
    let fine = phone.pin_visit(&card, "p0", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![fine.id], "{report:?}");
    let reason = |id: &str| phone.store.get(id).unwrap().wedge_reason.unwrap();
    assert!(reason(&ahead.id).starts_with("time-in-future: "), "{}", reason(&ahead.id));
    assert!(reason(&behind.id).starts_with("time-before-anchor: "), "{}", reason(&behind.id));
    assert!(reason(&behind.id).contains("時計"), "Japanese, says what to do");
    clinic.shutdown().await;
}

/// A PIN record built by hand from a card (for refusal cases the session
/// itself would never produce).
async fn hand_record(
    phone: &Phone,
    card: &VirtualCard,
    challenge_nonce: Option<&str>,
) -> VisitRecord {
    let ctx = phone.context("p0", VisitKind::HomeCare).await;
    let mut challenge = Challenge::new(&ctx, Utc::now());
    if let Some(n) = challenge_nonce {
        challenge.nonce = n.into();
    }
    signed_pin_record(card, ctx, challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unknown_expired_and_replayed_evidence_is_refused_with_a_reason_the_phone_shows() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();

    let mut forged = hand_record(&phone, &card, None).await;
    if let Evidence::Pin(p) = &mut forged.evidence {
        p.signature[10] ^= 0x01;
    }
    let expired_card = card_of(Variant::CertificateExpiredPastGrace);
    let expired = hand_record(&phone, &expired_card, None).await;
    let first = hand_record(&phone, &card, Some("00112233445566778899aabbccddeeff")).await;
    let replay = hand_record(&phone, &card, Some("00112233445566778899aabbccddeeff")).await;
    for r in [&forged, &expired, &first, &replay] {
        phone.enqueue(r);
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![first.id.clone()]);
    let reason = |id: &str| phone.store.get(id).unwrap().wedge_reason.unwrap();
    assert!(reason(&forged.id).starts_with("forged-signature: "), "{}", reason(&forged.id));
    assert!(reason(&expired.id).starts_with("certificate-expired: "));
    assert!(reason(&replay.id).starts_with("nonce-replayed: "));
    assert!(reason(&replay.id).contains("別の訪問"), "Japanese reason for staff");
    clinic.shutdown().await;

    // A server that trusts only the J-LIS roots refuses the test CA's card.
    let clinic = start_clinic(vec![patient("p0", None)], vec![], true).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let r = phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.wedged.len(), 1);
    assert!(phone.store.get(&r.id).unwrap().wedge_reason.unwrap().starts_with("unknown-ca: "));
    // Staff can retry or discard a wedged item.
    phone.store.retry(&r.id).unwrap();
    phone.sync.upload_due().await.unwrap();
    phone.store.discard(&r.id).unwrap();
    clinic.shutdown().await;
}

fn card_of(variant: Variant) -> VirtualCard {
    card(variant, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_is_kept_for_offline_use_and_shows_enrolment_after_the_first_visit() {
    let clinic = start_clinic(
        vec![patient("p0", Some(0)), patient("p1", None)],
        vec![answer(0, "1")],
        false,
    )
    .await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let day = today();
    let (roster, _, fresh) = phone.sync.roster(day).await.unwrap();
    assert!(fresh);
    assert_eq!(roster.entries.len(), 2);
    assert!(roster.entries[0].enrolled_certificate.is_none());
    let card = VirtualCard::standard();
    phone.pin_visit(&card, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.wait_result("p0", WAIT).await.unwrap();
    let (roster, _, _) = phone.sync.roster(day).await.unwrap();
    let p0 = &roster.entries[0];
    assert_eq!(
        p0.enrolled_certificate.as_deref(),
        Some(
            houmon_core::card::cert::AuthCertificate::from_der(&card.auth_certificate_der())
                .unwrap()
                .fingerprint_sha256()
                .as_str()
        )
    );
    assert!(p0.last_eligibility.is_some() && p0.consent_until.is_some());
    phone.sync.set_online(false).await;
    let (offline, fetched_at, fresh) = phone.sync.roster(day).await.unwrap();
    assert!(!fresh && fetched_at <= Utc::now());
    assert_eq!(offline, roster);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_rotates_its_token_in_its_last_week_and_keeps_working() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    // A fresh token (30 days) is not rotated.
    assert!(!phone.sync.rotate_token_if_due().await.unwrap());
    // The same phone, six days before its token expires (as kept in its store).
    let mut link: serde_json::Value =
        serde_json::from_slice(&phone.store.meta("server-link").unwrap().unwrap()).unwrap();
    let old_token = link["credentials"]["token"].as_str().unwrap().to_owned();
    link["credentials"]["token_expires_at"] =
        serde_json::json!(Utc::now() + chrono::Duration::days(6));
    phone.store.put_meta("server-link", link.to_string().as_bytes()).unwrap();
    let later = SyncClient::from_store(phone.store.clone()).await.unwrap().unwrap();
    assert!(later.rotate_token_if_due().await.unwrap());
    let saved: serde_json::Value =
        serde_json::from_slice(&phone.store.meta("server-link").unwrap().unwrap()).unwrap();
    let new_token = saved["credentials"]["token"].as_str().unwrap();
    assert_ne!(new_token, old_token, "a new token, kept in the store");
    assert!(!later.rotate_token_if_due().await.unwrap(), "30 days again");
    // The rotated phone uploads; the old client (previous token) still
    // works within the grace period.
    let card = VirtualCard::standard();
    later_visit(&phone, &later, &card).await;
    phone.pin_visit(&card, "p0", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(clinic.stored_visit_ids().len(), 2);
    clinic.shutdown().await;
}

async fn later_visit(phone: &Phone, client: &SyncClient, card: &VirtualCard) {
    let r = phone.pin_visit(card, "p0", Utc::now()).await;
    let report = client.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![r.id]);
}
