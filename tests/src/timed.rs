// SPDX-License-Identifier: MPL-2.0
//! Visits at a chosen moment. The server bounds a visit's time by a
//! server-time token and its own clock, so a phone cannot place a visit at
//! 23:59 JST unless the server's clock says so. These helpers build a PIN
//! record whose token was issued for that moment and ingest it as the server
//! would at that moment (`ingest::upload` takes its clock as an argument):
//! the day boundaries in JST, rounds on other days, the 1st of a month
//! before 09:00, without waiting for the wall clock.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use houmon_core::card::transport::CardTransport;
use houmon_core::protocol::UploadResponse;
use houmon_core::visit::*;
use houmon_server::db::devices::DeviceAuth;
use houmon_server::ingest::UploadError;
use houmon_server::App;

use crate::clinic::{Phone, STAFF};

/// `day` at `h:m` in Japan, as UTC.
pub fn jst(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    houmon_core::card::cert::jst()
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("a time of day"))
        .single()
        .expect("JST has no gaps")
        .with_timezone(&Utc)
}

/// A whole PIN visit by `phone` to `patient_id` at `at` (its time token
/// issued by `app` for `at`), not queued.
pub async fn pin_record_at<T: CardTransport>(
    app: &App,
    phone: &Phone,
    card: T,
    patient_id: &str,
    at: DateTime<Utc>,
) -> VisitRecord {
    pin_record_by(app, phone, STAFF, card, patient_id, at).await
}

/// The same, made by `staff_id` (signed in on a shared phone: the caller
/// adds the record's `sign_in`).
pub async fn pin_record_by<T: CardTransport>(
    app: &App,
    phone: &Phone,
    staff_id: &str,
    card: T,
    patient_id: &str,
    at: DateTime<Utc>,
) -> VisitRecord {
    let context = VisitContext {
        visit_id: new_id("v"),
        patient_id: Some(patient_id.into()),
        kind: VisitKind::HomeCare,
        staff_id: staff_id.into(),
        device_id: phone.device_id.clone(),
        started_at: at,
        first_visit_on: None,
        time_anchor: Some(houmon_server::time_anchor::issue(
            app.db.secrets(),
            &phone.device_id,
            at,
        )),
    };
    let mut s = VisitSession::new(context, SessionOptions::default());
    s.choose_mode(IdentityMode::Pin).expect("mode");
    s.enter_pin("1234").expect("pin");
    let step = s.read_card(card, at).await.expect("read").clone();
    assert!(matches!(step, Step::IdentityConfirmed { .. }), "{step:?}");
    let choice = ConsentChoice {
        scope: ConsentScope::Comprehensive,
        prescription: Prescription::Electronic,
    };
    s.record_for_consent(choice, at).expect("record")
}

/// Uploads `record` from `phone` as the server would at `now`.
pub fn upload_at(
    app: &App,
    phone: &Phone,
    record: &VisitRecord,
    now: DateTime<Utc>,
) -> Result<UploadResponse, UploadError> {
    let device = DeviceAuth {
        device_id: phone.device_id.clone(),
        staff_id: STAFF.into(),
        token_expires_at: now + Duration::days(30),
        previous_token: false,
        last_seen_at: None,
    };
    let body = record.to_json();
    houmon_server::ingest::upload(
        app,
        &device,
        &record.id,
        Some("application/json"),
        body.as_bytes(),
        now,
    )
}

/// The refusal code of a failed upload (`"stored"` if it was not refused).
pub fn refusal(outcome: &Result<UploadResponse, UploadError>) -> String {
    match outcome {
        Ok(_) => "stored".into(),
        Err(UploadError::Refused(r)) => r.refusal.code.as_wire(),
        Err(UploadError::Storage(e)) => panic!("not stored: {e}"),
    }
}
