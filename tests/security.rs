// SPDX-License-Identifier: MPL-2.0
//! The clinic link, tried as an attacker on the same network would: one
//! test per weakness the security review found (issue 12), each failing on
//! the server before it and passing now. `docs/security.md` maps each test
//! to the control it checks.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use houmon_core::card::cert::AuthCertificate;
use houmon_core::protocol::{CheckOutcome, Eligibility, EnrolmentLink, RegisterRequest};
use houmon_core::visit::consent::validity_rule;
use houmon_core::visit::*;
use houmon_server::db::audit::{self, Chain, Filter};
use houmon_server::db::{patients, visits};
use houmon_server::{Config, TlsMode};
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::{ServerPin, SyncClient, SyncError};
use houmon_tests::clinic::*;
use houmon_tests::rawdb::{is_postgres, with_raw};
use houmon_vcard::records::visual_record;
use houmon_vcard::{TestCa, VirtualCard};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

const WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Helpers: a raw HTTPS client that pins the clinic, and the server's log.

/// Requests as an attacker would send them, over the pinned TLS link.
struct Raw {
    http: reqwest::Client,
    url: String,
    token: String,
}

fn pinned_client(clinic: &Clinic) -> reqwest::Client {
    let pin = ServerPin::parse(clinic.pin.as_deref().expect("TLS")).expect("pin");
    reqwest::Client::builder()
        .use_preconfigured_tls(houmon_sync::tls::client_config(pin))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

impl Raw {
    /// Enrols `device_id` with a fresh code and keeps its token.
    async fn enrol(clinic: &Clinic, device_id: &str) -> Raw {
        let http = pinned_client(clinic);
        let code = clinic.enrolment(STAFF).code;
        let (status, body) = post_enrol(&http, &clinic.url, device_id, "raw", &code).await;
        assert_eq!(status, 201, "{body}");
        Raw { http, url: clinic.url.clone(), token: body["token"].as_str().unwrap().to_owned() }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req.bearer_auth(&self.token).send().await.expect("an answer");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.http.get(format!("{}{path}", self.url))).await
    }

    async fn put(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let req = self
            .http
            .put(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        self.send(req).await
    }
}

async fn post_enrol(
    http: &reqwest::Client,
    url: &str,
    device_id: &str,
    name: &str,
    code: &str,
) -> (u16, Value) {
    let req = RegisterRequest {
        device_id: device_id.into(),
        device_name: name.into(),
        enrollment_code: code.into(),
    };
    let resp = http
        .post(format!("{url}/v1/devices"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&req).unwrap())
        .send()
        .await
        .expect("an answer");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Everything the server logs in this test binary (one subscriber for the
/// process, installed by the first test that asks).
fn server_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(w.clone()))
            .try_init();
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);
impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn audit_entries(clinic: &Clinic, action_prefix: &str) -> Vec<audit::Row> {
    let f =
        Filter { action_prefix: Some(action_prefix.into()), limit: 10_000, ..Default::default() };
    clinic.app().db.read(|c, _| audit::list(c, &f)).unwrap()
}

fn stored_patient(clinic: &Clinic, id: &str) -> patients::Patient {
    clinic.app().db.read(|c, s| patients::get(c, s, id)).unwrap().expect("the patient")
}

fn wedge_reason(phone: &Phone, id: &str) -> String {
    let item = phone.store.get(id).unwrap();
    assert_eq!(item.state, ItemState::Wedged, "{id}: {item:?}");
    item.wedge_reason.unwrap()
}

/// The raw bytes of the server's database files (main file and WAL).
fn database_bytes(clinic: &Clinic) -> Vec<u8> {
    houmon_tests::rawdb::stored_bytes(&clinic.config)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `sql` on the audit table around its guard, as someone with the
/// database file (or the database's owner) could.
fn unguarded(clinic: &Clinic, sql: &str) {
    with_raw(&clinic.config, |db| {
        if is_postgres(&clinic.config) {
            // Only for this statement: other clinics share the table.
            db.execute_batch(&format!(
                "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete;
                 {sql}; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete; COMMIT;"
            ))
        } else {
            db.execute_batch(&format!(
                "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; {sql};"
            ))
        }
    })
    .unwrap()
}

/// A 目視 record from `phone` for `patient` carrying `certificate`.
async fn visual(phone: &Phone, id: &str, patient: &str, certificate: &[u8]) -> VisitRecord {
    let anchor = phone.sync.time_anchor().await.unwrap();
    visual_record(id, &phone.device_id, STAFF, Some(patient), certificate, anchor)
}

// ---------------------------------------------------------------------------
// TLS

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_by_the_phone_and_the_server_and_a_wrong_pin_sends_nothing() {
    // The phone: plain HTTP to another machine, or HTTPS without a pin.
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    for (url, pin) in [("http://192.168.1.20:8470", None), ("https://192.168.1.20:8470", None)] {
        match SyncClient::new(url, store.clone(), None, pin) {
            Err(SyncError::Insecure(_)) => {}
            other => panic!("{url}: {:?}", other.map(|_| "a client")),
        }
    }
    // The server: plain HTTP anywhere but loopback does not start.
    let dir = scratch("plain");
    let mut config = Config::new(dir.clone(), "0.0.0.0:0".parse().unwrap());
    config.tls = TlsMode::PlainLoopback;
    let err = houmon_server::start(config).await.err().expect("refused");
    assert!(err.contains("loopback"), "{err}");
    let _ = std::fs::remove_dir_all(dir);

    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    assert!(clinic.url.starts_with("https://"), "{}", clinic.url);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let addr = clinic.url.trim_start_matches("https://").to_owned();
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"GET /v1/time HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP answered: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // A phone holding a QR with another fingerprint never sends its code:
    // the same code still enrols a phone with the right one.
    let link = clinic.enrolment(STAFF);
    let forged = EnrolmentLink { pin: Some(format!("sha256:{}", "ab".repeat(32))), ..link.clone() };
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    match SyncClient::enrol(store.clone(), &forged, "dev-x", "phone").await {
        Err(SyncError::Network(_)) => {}
        other => panic!("{:?}", other.map(|_| "enrolled")),
    }
    SyncClient::enrol(store, &link, "dev-x", "phone").await.expect("the real server");
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Enrolment

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_codes_work_once_expire_and_failures_are_rate_limited_and_audited() {
    // The capture is installed before anything is logged.
    let log = server_log();
    let mut options = options(false);
    // Three wrong codes from an address, then it waits.
    options.enrol_limits = houmon_server::limiter::Limits {
        free: 2,
        first_wait: Duration::from_secs(60),
        longest_wait: Duration::from_secs(900),
    };
    let clinic = start_clinic_with(options, vec![patient("p0", None)], vec![]).await;
    let http = pinned_client(&clinic);
    // Codes are long and not digits only.
    let link = clinic.enrolment(STAFF);
    assert_eq!(link.code.len(), 14, "{}", link.code);
    assert!(link.code.chars().any(|c| c.is_ascii_uppercase()));

    let (status, _) = post_enrol(&http, &clinic.url, "dev-1", "phone", &link.code).await;
    assert_eq!(status, 201);
    // Used once.
    let (status, body) = post_enrol(&http, &clinic.url, "dev-2", "phone", &link.code).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("enrolment-refused")), "{body}");
    // Expired (its time made past in the database).
    let expired = clinic.app().issue_enrolment(STAFF, &audit::Actor::System, 1).unwrap();
    with_raw(&clinic.config, |db| {
        db.execute(
            "UPDATE enrolment_code SET expires_at = '2000-01-01T00:00:00Z' WHERE used_at IS NULL",
            &[],
        )
    })
    .unwrap();
    let (status, body) = post_enrol(&http, &clinic.url, "dev-3", "phone", &expired.code).await;
    assert_eq!(status, 403, "{body}");
    // A third failure from this address, then a lockout, even for a good code.
    let (status, _) = post_enrol(&http, &clinic.url, "dev-4", "phone", "AAAA-BBBB-CCCC").await;
    assert_eq!(status, 403);
    let good = clinic.enrolment(STAFF);
    let resp = http
        .post(format!("{}/v1/devices", clinic.url))
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(&RegisterRequest {
                device_id: "dev-5".into(),
                device_name: "phone".into(),
                enrollment_code: good.code.clone(),
            })
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    // Every failure is in the audit trail, with the peer.
    let refused: Vec<_> = audit_entries(&clinic, "device.enrol")
        .into_iter()
        .filter(|e| e.outcome.starts_with("refused:"))
        .collect();
    assert_eq!(refused.len(), 4, "{refused:#?}");
    assert!(refused.iter().all(|e| e.actor == "anonymous:127.0.0.1"), "{refused:#?}");
    assert!(refused.iter().any(|e| e.outcome == "refused:too-many-attempts"));
    // No code is stored or logged, only its hash: not the one used, the
    // expired one, the wrong one, nor the one refused at the limit.
    let logged = log.lock().unwrap().clone();
    assert!(contains(&logged, b"enrolment refused"), "the capture sees the server's log");
    for code in [link.code.as_str(), &expired.code, "AAAA-BBBB-CCCC", &good.code] {
        assert!(!contains(&database_bytes(&clinic), code.as_bytes()), "{code} stored");
        assert!(!contains(&logged, code.as_bytes()), "{code} logged");
    }
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_device_cannot_be_taken_over_with_a_new_code() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let http = pinned_client(&clinic);
    let code = clinic.enrolment(STAFF).code;
    let (status, body) = post_enrol(&http, &clinic.url, "dev-1", "attacker", &code).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("device-exists")), "{body}");
    assert!(body.get("token").is_none());
    // The phone keeps working; the device still has one name and staff.
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), 1);
    let devices = clinic.app().db.read(|c, _| houmon_server::db::devices::list(c)).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!((devices[0].name.as_str(), devices[0].staff_id.as_str()), ("test phone", STAFF));
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Device credentials

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_stored_hashed_rotate_expire_and_are_revoked_at_once() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let raw = Raw::enrol(&clinic, "dev-raw").await;
    assert!(raw.token.len() >= 64);
    assert!(
        !contains(&database_bytes(&clinic), raw.token.as_bytes()),
        "token in clear in the database"
    );
    assert_eq!(raw.get("/v1/time").await.0, 200);

    // Rotation: the new token works, the old one for a grace period.
    let (status, body) =
        raw.send(raw.http.post(format!("{}/v1/devices/self/token", raw.url))).await;
    assert_eq!(status, 200, "{body}");
    let rotated = Raw {
        token: body["token"].as_str().unwrap().into(),
        http: raw.http.clone(),
        url: raw.url.clone(),
    };
    assert_ne!(rotated.token, raw.token);
    assert_eq!(rotated.get("/v1/time").await.0, 200);
    assert_eq!(raw.get("/v1/time").await.0, 200, "the previous token within its grace");

    // Expiry: past its date, a token is refused.
    with_raw(&clinic.config, |db| {
        db.execute(
            "UPDATE device SET token_expires_at = '2000-01-01T00:00:00Z', previous_token_expires_at = '2000-01-01T00:00:00Z' WHERE device_id = 'dev-raw'",
            &[],
        )
    })
    .unwrap();
    assert_eq!(rotated.get("/v1/time").await.0, 401);
    assert_eq!(raw.get("/v1/time").await.0, 401);

    // Revocation (a lost phone): the next request is refused, the record kept.
    let phone = Phone::new(&clinic, "dev-lost").await;
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(clinic.revoke("dev-lost"));
    assert!(matches!(phone.sync.upload_due().await, Err(SyncError::Unauthorized)));
    assert_eq!(phone.store.list(ItemState::Pending).unwrap().len(), 1);
    assert!(clinic.stored_visit_ids().is_empty());
    // Every refused use is attributable: the audit trail has them.
    let refused = audit_entries(&clinic, "token.use");
    assert!(refused.len() >= 3, "{refused:#?}");
    assert!(audit_entries(&clinic, "device.revoke")
        .iter()
        .any(|e| e.target.as_deref() == Some("dev-lost")));
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Least privilege

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_sees_and_records_only_the_patients_of_its_own_rounds() {
    let patients = vec![patient("p0", Some(0)), patient("p1", Some(1)), patient("p2", Some(2))];
    let data = vec![answer(0, "1"), answer(1, "1"), answer(2, "1")];
    let clinic = start_clinic(patients, data, false).await;
    let one = Phone::enrol_only(&clinic, "dev-1").await;
    let two = Phone::enrol_only(&clinic, "dev-2").await;
    let day = today();
    clinic.assign(day, "dev-1", &["p0"]);
    clinic.assign(day, "dev-2", &["p1"]);
    // p2 has no round at all.

    let ids = |r: &houmon_core::protocol::Roster| {
        r.entries.iter().map(|e| e.patient_id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&one.sync.roster(day).await.unwrap().0), ["p0"]);
    assert_eq!(ids(&two.sync.roster(day).await.unwrap().0), ["p1"]);
    for other_day in [day + chrono::Duration::days(1), day - chrono::Duration::days(1)] {
        assert!(one.sync.roster(other_day).await.unwrap().0.entries.is_empty(), "{other_day}");
    }

    // Visits to a patient not on the device's round are refused.
    let a = one.pin_visit(VirtualCard::standard(), "p1", Utc::now()).await;
    let b = one.pin_visit(VirtualCard::standard(), "p2", Utc::now()).await;
    let own = one.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    let report = one.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![own.id.clone()]);
    assert!(wedge_reason(&one, &a.id).starts_with("not-assigned: "));
    assert!(wedge_reason(&one, &b.id).starts_with("not-assigned: "));

    // Results: each device gets only its own patients'.
    two.pin_visit(VirtualCard::standard(), "p1", Utc::now()).await;
    two.sync.upload_due().await.unwrap();
    assert!(two.wait_result("p1", WAIT).await.is_some());
    assert!(one.wait_result("p0", WAIT).await.is_some());
    one.sync.pull_results().await.unwrap();
    assert!(one.sync.last_result("p1").await.unwrap().is_none(), "dev-1 saw p1's result");
    assert!(two.sync.last_result("p0").await.unwrap().is_none(), "dev-2 saw p0's result");
    // The reads are in the audit trail, attributed to device and staff.
    let reads = audit_entries(&clinic, "roster.read");
    let mut readers: Vec<&str> = reads.iter().filter_map(|e| e.device_id.as_deref()).collect();
    readers.sort();
    assert_eq!(readers, ["dev-1", "dev-1", "dev-1", "dev-2"], "{reads:#?}");
    assert!(reads.iter().all(|e| e.staff_id.as_deref() == Some(STAFF)), "{reads:#?}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_recomputes_consent_and_ignores_an_end_date_the_phone_sends() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    let mut record = visual(&phone, "v-consent", "p0", &card.auth_certificate_der()).await;
    let forever = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    record.consent.validity = ConsentValidity::UntilThenWhileMonthlyCare { until: forever };
    phone.enqueue(&record);
    assert_eq!(phone.sync.upload_due().await.unwrap().sent, vec!["v-consent".to_owned()]);
    let stored = stored_patient(&clinic, "p0");
    let expected = match validity_rule(record.context.kind, today(), Some(today())) {
        ConsentValidity::UntilThenWhileMonthlyCare { until } => Some(until),
        ConsentValidity::ThisVisit { .. } => None,
    };
    assert_eq!(stored.consent_until, expected);
    assert_ne!(stored.consent_until, Some(forever));
    let row = clinic.app().db.read(|c, _| visits::get(c, "v-consent")).unwrap().unwrap();
    assert!(row.warnings.iter().any(|w| w == "consent-validity-recomputed"), "{row:?}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_is_enrolled_only_by_an_accepted_pin_visit_and_another_card_is_held() {
    let clinic = start_clinic(vec![patient("p0", None), patient("p1", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    let fingerprint =
        AuthCertificate::from_der(&card.auth_certificate_der()).unwrap().fingerprint_sha256();

    // A 目視 visit does not enrol the card.
    let seen = visual(&phone, "v-visual", "p0", &card.auth_certificate_der()).await;
    phone.enqueue(&seen);
    assert_eq!(phone.sync.upload_due().await.unwrap().sent, ["v-visual"], "accepted, not enrolled");
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, None);
    let warnings =
        |id: &str| clinic.app().db.read(|c, _| visits::get(c, id)).unwrap().unwrap().warnings;
    assert!(warnings("v-visual").contains(&"card-not-enrolled-visual".to_owned()));

    // A refused PIN visit (forged signature) does not either.
    let mut forged = phone.pin_record(&card, "p0", Utc::now()).await;
    if let Evidence::Pin(p) = &mut forged.evidence {
        p.signature[7] ^= 1;
    }
    phone.enqueue(&forged);
    phone.sync.upload_due().await.unwrap();
    assert!(wedge_reason(&phone, &forged.id).starts_with("forged-signature: "));
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, None);

    // An accepted PIN visit does.
    let pin = phone.pin_visit(&card, "p0", Utc::now()).await;
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), 1);
    assert!(!warnings(&pin.id).contains(&"card-not-enrolled-visual".to_owned()), "a PIN visit");
    let p0 = stored_patient(&clinic, "p0");
    assert_eq!(p0.enrolled_cert.as_deref(), Some(fingerprint.as_str()));

    // Another card for p0 is held for staff, not accepted; p0's card stays.
    let other = phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    // p0's card for p1 is held too.
    let borrowed = phone.pin_visit(&card, "p1", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.held, vec![other.id.clone(), borrowed.id.clone()], "{report:?}");
    assert!(report.sent.is_empty());
    let reason = |id: &str| {
        let row = clinic.app().db.read(|c, _| visits::get(c, id)).unwrap().unwrap();
        (row.status, row.held_reason)
    };
    assert_eq!(reason(&other.id), ("held".into(), Some("card-differs-from-enrolled".into())));
    assert_eq!(
        reason(&borrowed.id),
        ("held".into(), Some("card-enrolled-to-another-patient".into()))
    );
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert.as_deref(), Some(fingerprint.as_str()));
    assert_eq!(stored_patient(&clinic, "p1").enrolled_cert, None);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cas_own_root_certificate_is_not_a_card_certificate() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let record = visual(&phone, "v-root", "p0", &TestCa::shared().cert_der).await;
    phone.enqueue(&record);
    let report = phone.sync.upload_due().await.unwrap();
    assert!(report.sent.is_empty());
    assert!(wedge_reason(&phone, "v-root").starts_with("not-user-certificate: "));
    assert!(clinic.stored_visit_ids().is_empty());
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Time and revocation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_backdated_400_days_or_dated_two_years_ahead_is_refused() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    // Expired 200 days ago (past the 3-month grace): valid 400 days ago.
    let expired = houmon_tests::card(houmon_vcard::Variant::CertificateExpiredPastGrace, true);
    let back = phone.pin_visit(&expired, "p0", Utc::now() - chrono::Duration::days(400)).await;
    let ahead = phone
        .pin_visit(VirtualCard::standard(), "p0", Utc::now() + chrono::Duration::days(730))
        .await;
    // With no server time at all, the visit time cannot be bounded.
    let mut unanchored =
        visual(&phone, "v-unanchored", "p0", &VirtualCard::standard().auth_certificate_der()).await;
    unanchored.context.time_anchor = None;
    phone.enqueue(&unanchored);
    // A token from another device does not count either.
    let mut borrowed =
        visual(&phone, "v-borrowed", "p0", &VirtualCard::standard().auth_certificate_der()).await;
    let token =
        houmon_server::time_anchor::issue(clinic.app().db.secrets(), "dev-other", Utc::now());
    borrowed.context.time_anchor = Some(token);
    phone.enqueue(&borrowed);
    let report = phone.sync.upload_due().await.unwrap();
    assert!(report.sent.is_empty(), "{report:?}");
    assert!(wedge_reason(&phone, &back.id).starts_with("time-before-anchor: "));
    assert!(wedge_reason(&phone, &ahead.id).starts_with("time-in-future: "));
    assert!(wedge_reason(&phone, "v-unanchored").starts_with("time-unverifiable: "));
    assert!(wedge_reason(&phone, "v-borrowed").starts_with("time-unverifiable: "));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_on_the_clinics_revocation_list_is_refused() {
    let revoked = VirtualCard::standard();
    let good = VirtualCard::standard();
    let crl_dir = scratch("crl");
    let revoked_der = revoked.auth_certificate_der();
    std::fs::write(crl_dir.join("jpki-test.crl"), TestCa::shared().crl(&[&revoked_der])).unwrap();
    // A list not signed by a trust anchor is ignored (it would revoke `good`).
    let mut forged = TestCa::shared().crl(&[&good.auth_certificate_der()]);
    let n = forged.len();
    forged[n - 5] ^= 0xff;
    std::fs::write(crl_dir.join("forged.crl"), forged).unwrap();
    let mut options = options(false);
    options.crl_dir = Some(crl_dir.clone());
    let clinic =
        start_clinic_with(options, vec![patient("p0", None), patient("p1", None)], vec![]).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let r = phone.pin_visit(&revoked, "p0", Utc::now()).await;
    let g = phone.pin_visit(&good, "p1", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent, vec![g.id]);
    assert!(wedge_reason(&phone, &r.id).starts_with("certificate-revoked: "));
    clinic.shutdown().await;
    let _ = std::fs::remove_dir_all(crl_dir);
}

// ---------------------------------------------------------------------------
// Strict input

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_are_refused_and_cannot_forge_a_line_in_the_servers_log() {
    let log = server_log();
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let raw = Raw::enrol(&clinic, "dev-raw").await;
    let long = "x".repeat(10_000);
    for id in
        ["..%2F..%2Fetc%2Fpasswd", "a%00b", long.as_str(), "v1%0AINFO%20forged%20line", "%E6%82%A3"]
    {
        let (status, body) =
            raw.put(&format!("/v1/visits/{id}"), "application/json", b"{}".to_vec()).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid-id")), "{id}: {body}");
    }
    assert!(clinic.stored_visit_ids().is_empty());
    // Device ids and names too.
    let http = pinned_client(&clinic);
    for (device, name) in
        [("../dev", "phone"), ("dev\u{0}x", "phone"), ("dev-ok", "a\nb"), ("dev-ok", long.as_str())]
    {
        let code = clinic.enrolment(STAFF).code;
        let (status, body) = post_enrol(&http, &clinic.url, device, name, &code).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("invalid-id")),
            "{device:?} {name:?}"
        );
    }
    // The refusal was logged, escaped: no line of the log starts with the
    // attacker's text.
    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(text.contains(r"v1\nINFO forged line"), "the attempt is in the log, escaped");
    assert!(!text.lines().any(|l| l.starts_with("INFO forged")), "a forged log line");
    // And the audit trail names it without taking the raw id.
    let uploads = audit_entries(&clinic, "visit.upload");
    assert_eq!(uploads.len(), 5, "each refusal is in the trail: {uploads:#?}");
    assert!(uploads.iter().all(|e| e.target.as_deref() == Some("(invalid id)")), "{uploads:#?}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_unknown_versions_and_other_content_types_are_refused_and_nothing_is_stored()
{
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let raw = Raw::enrol(&clinic, "dev-raw").await;
    clinic.assign(today(), "dev-raw", &["p0"]);
    let anchor = raw.get("/v1/time").await;
    assert_eq!(anchor.0, 200);
    let cert = VirtualCard::standard().auth_certificate_der();
    // The anchor the phone would keep: from the response header.
    let resp =
        raw.http.get(format!("{}/v1/time", raw.url)).bearer_auth(&raw.token).send().await.unwrap();
    let token = resp.headers()[houmon_core::protocol::TIME_HEADER].to_str().unwrap().to_owned();
    let record =
        |id: &str| visual_record(id, "dev-raw", STAFF, Some("p0"), &cert, Some(token.clone()));

    let mut extra: Value = serde_json::from_str(&record("v-extra").to_json()).unwrap();
    extra["admin"] = json!(true);
    let (status, body) =
        raw.put("/v1/visits/v-extra", "application/json", extra.to_string().into_bytes()).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("malformed")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("unknown field"), "{body}");

    let mut nested: Value = serde_json::from_str(&record("v-nested").to_json()).unwrap();
    nested["context"]["role"] = json!("admin");
    let (status, _) =
        raw.put("/v1/visits/v-nested", "application/json", nested.to_string().into_bytes()).await;
    assert_eq!(status, 422);

    let mut future: Value = serde_json::from_str(&record("v-version").to_json()).unwrap();
    future["version"] = json!(99);
    let (status, body) =
        raw.put("/v1/visits/v-version", "application/json", future.to_string().into_bytes()).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unsupported-version")), "{body}");

    let plain = record("v-plain").to_json().into_bytes();
    let (status, body) = raw.put("/v1/visits/v-plain", "text/plain", plain.clone()).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported-media-type")), "{body}");

    let (status, _) = raw
        .put("/v1/visits/v-truncated", "application/json", plain[..plain.len() / 2].to_vec())
        .await;
    assert_eq!(status, 422);
    assert!(clinic.stored_visit_ids().is_empty(), "nothing half-stored");
    // The same record, well formed, is accepted: the refusals were about form.
    let (status, body) = raw.put("/v1/visits/v-plain", "application/json", plain).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(clinic.stored_visit_ids(), ["v-plain"]);
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Availability

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_and_idle_connections_do_not_keep_real_requests_out() {
    let mut options = options(false);
    options.limits = houmon_server::listener::Limits {
        max_connections: 8,
        handshake_timeout: Duration::from_millis(800),
        header_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_secs(2),
        // One address attacks and uploads here: what holds are the
        // time-outs (the caps per address are `security/network.rs`'s).
        per_source: 64,
        handshakes_per_source: 64,
        ..Default::default()
    };
    let clinic = start_clinic_with(options, vec![patient("p0", None)], vec![]).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let addr = clinic.url.trim_start_matches("https://").to_owned();
    let mut held = Vec::new();
    // Connections that never speak, and TLS hellos cut short.
    for i in 0..24 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 1 {
            s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await.unwrap();
        }
        held.push(s);
    }
    // Requests whose headers, or body, never finish (after a real handshake).
    let pin = ServerPin::parse(clinic.pin.as_deref().unwrap()).unwrap();
    let connector =
        tokio_rustls::TlsConnector::from(Arc::new(houmon_sync::tls::client_config(pin)));
    let mut tls_held = Vec::new();
    for i in 0..8 {
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        // (Within a time-out: with the slots held for ever, no handshake
        // would finish and this test would hang instead of failing.)
        let connected =
            tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await;
        if let Ok(Ok(mut s)) = connected {
            let half: &[u8] = if i % 2 == 0 {
                b"PUT /v1/visits/x HTTP/1.1\r\nHost: a\r\nX-Slow: "
            } else {
                b"PUT /v1/visits/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"id\":"
            };
            let _ = s.write_all(half).await;
            tls_held.push(s);
        }
    }
    assert!(tls_held.len() >= 4, "handshakes got through the idle connections: {}", tls_held.len());
    let started = Instant::now();
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    let report = tokio::time::timeout(Duration::from_secs(30), phone.sync.upload_due())
        .await
        .expect("the upload got through")
        .unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    println!("a real upload behind 32 stalled connections: {:?}", started.elapsed());
    drop(held);
    drop(tls_held);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_or_a_huge_file_among_the_terminals_answers_neither_hangs_nor_stalls_the_server() {
    let patients = (0..4).map(|i| patient(&format!("p{i}"), Some(i))).collect();
    let data = (0..4).map(|i| answer(i, "1")).collect();
    let clinic = start_clinic(patients, data, false).await;
    let results = clinic.app().oqs.results.clone();
    let prefix = houmon_server::oqs::RESULT_PREFIX;
    let fifo = results.join(format!("{prefix}chk-fifo.xml"));
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let huge = results.join(format!("{prefix}chk-huge.xml"));
    std::fs::write(&huge, vec![b'<'; 8 * 1024 * 1024]).unwrap();

    let phone = Phone::new(&clinic, "dev-1").await;
    for i in 0..4 {
        phone.pin_visit(VirtualCard::standard(), &format!("p{i}"), Utc::now()).await;
    }
    // A stalled server would hold the uploads for ever: they must get
    // through before a generous deadline (a bound of a few seconds would
    // only measure how loaded the machine is).
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(60), phone.sync.upload_due())
        .await
        .expect("the uploads were not held up by the files the worker set aside")
        .unwrap();
    println!("4 uploads beside a FIFO and an 8 MiB file: {:?}", started.elapsed());
    assert_eq!(report.sent.len(), 4);
    // The worker is alive: real answers still arrive.
    for i in 0..4 {
        let r = phone.wait_result(&format!("p{i}"), WAIT).await.expect("a result");
        assert!(matches!(
            r.outcome,
            CheckOutcome::Answered { eligibility: Eligibility::Valid, .. }
        ));
    }
    // Both files were set aside, and the audit trail says so.
    assert!(!fifo.exists() && !huge.exists());
    let rejected = audit_entries(&clinic, "eligibility.answer")
        .into_iter()
        .filter(|e| e.outcome == "rejected")
        .map(|e| e.detail)
        .collect::<Vec<_>>();
    assert!(rejected.iter().any(|d| d.contains("NotARegularFile")), "{rejected:?}");
    assert!(rejected.iter().any(|d| d.contains("TooLarge")), "{rejected:?}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_about_another_person_never_lands_on_the_patient() {
    let mut wrong = answer(0, "1");
    wrong.other_person = true;
    let clinic = start_clinic(
        vec![patient("p0", Some(0)), patient("p1", Some(1))],
        vec![wrong, answer(1, "2")],
        false,
    )
    .await;
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.pin_visit(VirtualCard::standard(), "p1", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    let r = phone.wait_result("p0", WAIT).await.expect("a result");
    assert!(matches!(&r.outcome, CheckOutcome::Error { code, .. } if code == "mismatch"), "{r:?}");
    let r1 = phone.wait_result("p1", WAIT).await.expect("a result");
    assert!(matches!(r1.outcome, CheckOutcome::Answered { eligibility: Eligibility::Invalid, .. }));
    // An answer for a check nobody asked is set aside.
    let stray = clinic
        .app()
        .oqs
        .results
        .join(format!("{}chk-000000000000.xml", houmon_server::oqs::RESULT_PREFIX));
    let real = std::fs::read_dir(clinic.app().oqs.results.with_file_name("rejected"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::copy(real.path(), &stray).unwrap();
    let deadline = Instant::now() + WAIT;
    while stray.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!stray.exists());
    phone.sync.pull_results().await.unwrap();
    let again = phone.sync.last_result("p0").await.unwrap().unwrap();
    assert!(!matches!(again.outcome, CheckOutcome::Answered { .. }), "{again:?}");
    clinic.shutdown().await;
}

// ---------------------------------------------------------------------------
// Audit trail and data at rest

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_append_only_and_an_edit_or_a_removal_is_detected() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.sync.roster(today()).await.unwrap();
    let Chain::Intact { entries, .. } = houmon_server::admin::verify_audit(clinic.app()).unwrap()
    else {
        panic!("a fresh trail is intact")
    };
    assert!(entries >= 6, "{entries}");
    let actions: Vec<String> = audit_entries(&clinic, "").into_iter().map(|e| e.action).collect();
    for a in ["device.enrolment-issued", "device.enrol", "visit.upload", "roster.read"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // The database itself refuses edits and removals.
    with_raw(&clinic.config, |db| {
        assert!(db.execute("UPDATE audit_log SET outcome = 'ok' WHERE seq = 2", &[]).is_err());
        assert!(db.execute("DELETE FROM audit_log WHERE seq = 2", &[]).is_err());
    });
    // Someone with the file (or the database's owner) drops the guard and
    // edits an entry: detected.
    let unguarded = |sql: &str| unguarded(&clinic, sql);
    unguarded("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3");
    assert_eq!(
        houmon_server::admin::verify_audit(clinic.app()).unwrap(),
        Chain::BrokenAt { seq: 3 }
    );
    unguarded("DELETE FROM audit_log WHERE seq = 3");
    assert_eq!(
        houmon_server::admin::verify_audit(clinic.app()).unwrap(),
        Chain::BrokenAt { seq: 4 }
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_addresses_insurance_numbers_and_records_are_not_in_the_database_in_clear() {
    let mut p = patient("p0", Some(424_242));
    p.name = "訪問 花子".into();
    p.address = "東京都千代田区霞が関1-2-2".into();
    let clinic = start_clinic(vec![p], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    let record = phone.pin_visit(&card, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    let bytes = database_bytes(&clinic);
    assert!(!bytes.is_empty());
    for secret in ["訪問 花子", "霞が関", "424242", "1940-04-01"] {
        assert!(!contains(&bytes, secret.as_bytes()), "{secret} in clear");
    }
    let signature = match &record.evidence {
        Evidence::Pin(p) => base64_of(&p.signature),
        Evidence::Visual(_) => unreachable!(),
    };
    assert!(!contains(&bytes, &signature.as_bytes()[..40]), "the record in clear");
    // And the server reads them back with its key.
    assert_eq!(stored_patient(&clinic, "p0").personal.name, "訪問 花子");
    clinic.shutdown().await;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------
// The outside attack run (issue 22): one module per area.

#[path = "security/audit_tail.rs"]
mod audit_tail;
#[path = "security/console.rs"]
mod console;
#[path = "security/enrolment.rs"]
mod enrolment;
#[path = "security/evidence.rs"]
mod evidence;
#[path = "security/files.rs"]
mod files;
#[path = "security/followups.rs"]
mod followups;
#[path = "security/network.rs"]
mod network;
#[path = "security/reach.rs"]
mod reach;
#[path = "security/tenants.rs"]
mod tenants;
#[path = "security/throttle.rs"]
mod throttle;
