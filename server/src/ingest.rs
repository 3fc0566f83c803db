// SPDX-License-Identifier: MPL-2.0
//! Ingesting one visit record: the rules, apart from HTTP.
//!
//! 1. Strict input: the id's form, `application/json`, the record parsed
//!    with unknown fields refused, its version known.
//! 2. Idempotence: the same id with the same content is a duplicate; with
//!    other content, a conflict.
//! 3. The evidence (`verify.rs`), outside the write lock.
//! 4. In one transaction: the patient is on one of this device's rounds
//!    (within a day of the visit); the challenge's nonce is new; then the
//!    card policy — a card other than the patient's enrolled one is stored
//!    but **held** for staff review (no enrolment, no consent, no check); a
//!    card is enrolled only by a PIN visit the server accepted; the
//!    consent's validity is **recomputed** by the server's rules from the
//!    server's own dates, never taken from the phone — then the visit, the
//!    patient's updates, the eligibility check and the audit entry.
//!    Nothing is half-stored: a refusal writes only its audit entry.

use chrono::{DateTime, Utc};
use houmon_core::cert::jst;
use houmon_core::protocol::{Refusal, RefusalCode, UploadResponse, UploadStatus};
use houmon_core::visit::{
    consent::validity_rule, record::RECORD_VERSION, ConsentValidity, Evidence, VisitRecord,
};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::devices::DeviceAuth;
use crate::db::visits::{self, NewVisit, Status};
use crate::db::{eligibility, patients, rounds, DbError};
use crate::secrets::{hex, random_hex};
use crate::validate::is_id;
use crate::verify::verify;

/// How many days around the visit the patient may be on the device's round.
pub const ROUND_MARGIN_DAYS: i64 = 1;

/// A refused upload: the HTTP status and the reason.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub refusal: Refusal,
}

impl Refused {
    fn new(status: u16, code: RefusalCode, detail: impl Into<String>) -> Refused {
        Refused { status, refusal: Refusal::with_detail(code, detail) }
    }
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Refused {
        let status = if refusal.code == RefusalCode::Conflict { 409 } else { 422 };
        Refused { status, refusal }
    }
}

/// Why an upload failed: refused (the phone wedges the record), or the
/// server could not store it (the phone retries).
#[derive(Debug)]
pub enum UploadError {
    Refused(Refused),
    Storage(DbError),
}

impl From<DbError> for UploadError {
    fn from(e: DbError) -> Self {
        UploadError::Storage(e)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn audit_refusal(app: &App, device: &DeviceAuth, id: &str, r: &Refused, now: DateTime<Utc>) {
    let target = if is_id(id) { id.to_owned() } else { "(invalid id)".to_owned() };
    let entry = Entry::new(
        Actor::Device(device.device_id.clone()),
        "visit.upload",
        format!(
            "refused:{}",
            serde_json::to_value(r.refusal.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    )
    .staff(&device.staff_id)
    .target(target)
    .detail(r.refusal.detail.clone().unwrap_or_default());
    if let Err(e) = app.db.write(|tx, s| audit::append(tx, s, &entry, now)) {
        tracing::error!(error = %e, "audit entry for a refusal not written");
    }
}

/// Ingests the body of `PUT /v1/visits/{id}` from `device`.
pub fn upload(
    app: &App,
    device: &DeviceAuth,
    id: &str,
    content_type: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<UploadResponse, UploadError> {
    match checked_upload(app, device, id, content_type, body, now) {
        Err(UploadError::Refused(r)) => {
            tracing::info!(visit = ?id, device = ?device.device_id, code = ?r.refusal.code, "record refused");
            audit_refusal(app, device, id, &r, now);
            Err(UploadError::Refused(r))
        }
        other => other,
    }
}

fn checked_upload(
    app: &App,
    device: &DeviceAuth,
    id: &str,
    content_type: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<UploadResponse, UploadError> {
    let refused =
        |status, code, detail: &str| UploadError::Refused(Refused::new(status, code, detail));
    if !is_id(id) {
        return Err(refused(
            422,
            RefusalCode::InvalidId,
            "the record id: 1–64 of A–Z a–z 0–9 - _ .",
        ));
    }
    if !is_json(content_type) {
        return Err(refused(
            415,
            RefusalCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    let record: VisitRecord = serde_json::from_slice(body).map_err(|e| {
        UploadError::Refused(Refused::new(422, RefusalCode::Malformed, e.to_string()))
    })?;
    if record.version != RECORD_VERSION {
        return Err(refused(
            422,
            RefusalCode::UnsupportedVersion,
            &format!("record version {} (this server reads {RECORD_VERSION})", record.version),
        ));
    }
    if record.id != id {
        return Err(refused(422, RefusalCode::Malformed, "the path id and the record id differ"));
    }
    if record.context.patient_id.as_deref().is_some_and(|p| !is_id(p)) {
        return Err(refused(422, RefusalCode::InvalidId, "the patient id"));
    }
    let canonical = record.to_json();
    let digest = hex(&Sha256::digest(canonical.as_bytes()));
    match app.db.read(|c, _| visits::digest(c, id))? {
        Some(d) if d == digest => {
            let entry =
                Entry::new(Actor::Device(device.device_id.clone()), "visit.upload", "duplicate")
                    .staff(&device.staff_id)
                    .target(id);
            app.db.write(|tx, s| audit::append(tx, s, &entry, now))?;
            return Ok(duplicate());
        }
        Some(_) => return Err(refused(409, RefusalCode::Conflict, "another record has this id")),
        None => {}
    }
    let v = verify(&record, device, &app.anchors, &app.crl, app.db.secrets(), now)
        .map_err(|r| UploadError::Refused(r.into()))?;
    let outcome = app.db.write(|tx, s| {
        // Decide everything before writing anything.
        match visits::digest(tx, id)? {
            Some(d) if d == digest => return Ok(Ok(duplicate())),
            Some(_) => return Ok(Err(Refused::new(409, RefusalCode::Conflict, "another record has this id"))),
            None => {}
        }
        let day = v.visited_at.with_timezone(&jst()).date_naive();
        let patient = match &record.context.patient_id {
            Some(pid) => {
                let assigned = rounds::is_assigned(tx, &device.device_id, &device.staff_id, pid, day, ROUND_MARGIN_DAYS)?;
                let p = patients::get(tx, s, pid)?;
                match p {
                    Some(p) if assigned => Some(p),
                    _ => {
                        return Ok(Err(Refused::new(
                            422,
                            RefusalCode::NotAssigned,
                            format!("patient {pid:?} is not on this device's round on {day} (±{ROUND_MARGIN_DAYS} day)"),
                        )))
                    }
                }
            }
            None => None,
        };
        if let Evidence::Pin(p) = &record.evidence {
            if !visits::use_nonce(tx, &p.challenge.nonce, id)? {
                return Ok(Err(Refused::new(422, RefusalCode::NonceReplayed, "the challenge nonce was used before")));
            }
        }
        let mut warnings = v.warnings.clone();
        let mode = match record.evidence {
            Evidence::Pin(_) => "pin",
            Evidence::Visual(_) => "visual",
        };
        // The card policy.
        let holder = match &patient {
            Some(_) => patients::holder_of(tx, &v.fingerprint)?,
            None => None,
        };
        let pid = patient.as_ref().map(|p| p.patient_id.as_str());
        let (status, held_reason, enrol) = match patient.as_ref().and_then(|p| p.enrolled_cert.as_deref()) {
            _ if holder.is_some() && holder.as_deref() != pid => {
                (Status::Held, Some("card-enrolled-to-another-patient"), false)
            }
            Some(enrolled) if enrolled != v.fingerprint => {
                (Status::Held, Some("card-differs-from-enrolled"), false)
            }
            Some(_) => (Status::Accepted, None, false),
            None => (Status::Accepted, None, patient.is_some() && mode == "pin"),
        };
        if mode == "visual" && patient.as_ref().is_some_and(|p| p.enrolled_cert.is_none()) {
            // A card is enrolled only by a PIN visit.
            warnings.push("card-not-enrolled-visual".into());
        }
        // The consent, by the server's rules and dates.
        let consent = patient.as_ref().map(|p| {
            let first = p.first_visit_on.unwrap_or(day).min(day);
            let validity = validity_rule(record.context.kind, day, Some(first));
            (first, validity)
        });
        if let Some((_, validity)) = &consent {
            if *validity != record.consent.validity {
                warnings.push("consent-validity-recomputed".into());
            }
        }
        visits::insert(
            tx,
            s,
            &NewVisit {
                id,
                device_id: &device.device_id,
                staff_id: &device.staff_id,
                patient_id: record.context.patient_id.as_deref(),
                received_at: now,
                visited_at: v.visited_at,
                mode,
                status,
                held_reason,
                card_fingerprint: &v.fingerprint,
                record_sha256: &digest,
                record_json: &canonical,
                warnings: &warnings,
            },
        )?;
        if let (Some(p), Status::Accepted) = (&patient, status) {
            if enrol {
                patients::enrol_card(tx, &p.patient_id, &v.fingerprint, id, now)?;
            }
            if let Some((first, validity)) = consent {
                if !record.consent.categories.is_empty() {
                    let until = match validity {
                        ConsentValidity::UntilThenWhileMonthlyCare { until } => Some(until),
                        ConsentValidity::ThisVisit { .. } => None,
                    };
                    patients::record_consent(tx, &p.patient_id, until, first, now)?;
                }
            }
            if p.personal.insurance.is_some() {
                eligibility::queue(tx, &format!("chk-{}", random_hex(12)), &p.patient_id, Some(id), now)?;
            }
        }
        let upload_status = match status {
            Status::Accepted => UploadStatus::Accepted,
            Status::Held => UploadStatus::Held,
        };
        let entry = Entry::new(Actor::Device(device.device_id.clone()), "visit.upload", status.as_str())
            .staff(&device.staff_id)
            .target(id)
            .detail(format!(
                "patient={} mode={mode} warnings={}",
                record.context.patient_id.as_deref().unwrap_or("-"),
                warnings.join(",")
            ));
        audit::append(tx, s, &entry, now)?;
        Ok(Ok(UploadResponse { status: upload_status, warnings }))
    })?;
    outcome.map_err(UploadError::Refused)
}

fn duplicate() -> UploadResponse {
    UploadResponse { status: UploadStatus::Duplicate, warnings: vec![] }
}
