// SPDX-License-Identifier: MPL-2.0
//! Storing one prepared record, inside the write transaction: the rules
//! that need the database.
//!
//! Idempotence first: the same id with the same content is a duplicate
//! (whatever its evidence says today); with other content, a conflict.
//! Then the evidence's verdict; then the patient is on one of this
//! device's rounds (within a day of the visit); the challenge's nonce is
//! new; then the card policy — a card other than the patient's enrolled
//! one is stored but **held** for staff review (no enrolment, no consent,
//! no check); a card is enrolled only by a PIN visit the server accepted;
//! the consent's validity is **recomputed** by the server's rules from the
//! server's own dates, never taken from the phone — then the visit, the
//! patient's updates, the eligibility check and the audit entry. Nothing
//! is half-stored: a refusal writes only its audit entry.
//!
//! The visit rows and audit entries of a transaction's records wait in
//! [`Pending`] and go in together at its end (a few statements for a whole
//! batch: on PostgreSQL each statement is a round trip); the ids already
//! stored are looked up once for the batch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use houmon_core::card::cert::jst;
use houmon_core::protocol::{RefusalCode, UploadResponse, UploadStatus};
use houmon_core::renewal::{self, CertificateCarrier};
use houmon_core::visit::{consent::validity_rule, ConsentValidity, Evidence};

use super::prepare::{Checked, Prepared};
use super::Refused;
use crate::db::audit::{self, Actor, Entry};
use crate::db::devices::DeviceAuth;
use crate::db::visits::{self, NewVisit, Status};
use crate::db::{eligibility, patients, readings, rounds, Conn, DbResult};
use crate::secrets::{random_hex, Secrets};
use crate::validate::is_id;

/// How many days around the visit the patient may be on the device's round.
pub const ROUND_MARGIN_DAYS: i64 = 1;

/// What became of a record that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Stored(UploadResponse),
    Duplicate,
}

impl Stored {
    pub fn response(self) -> UploadResponse {
        match self {
            Stored::Stored(r) => r,
            Stored::Duplicate => {
                UploadResponse { status: UploadStatus::Duplicate, warnings: vec![] }
            }
        }
    }
}

/// The writes a transaction's records have decided, not yet made.
pub struct Pending<'a> {
    /// Ids the clinic has (stored before, or earlier in this batch) and
    /// their records' digests.
    digests: HashMap<&'a str, String>,
    visits: Vec<NewVisit<'a>>,
    audit: Vec<Entry>,
}

impl<'a> Pending<'a> {
    /// Looks up which of `prepared` are stored already (one query per 256).
    pub fn begin(tx: Conn<'_>, prepared: &'a [Prepared]) -> DbResult<Pending<'a>> {
        let ids: Vec<&'a str> = prepared
            .iter()
            .filter_map(|p| match p {
                Prepared::Checked(c) => Some(c.record.id.as_str()),
                Prepared::Refused { .. } => None,
            })
            .collect();
        let stored: HashMap<String, String> = visits::digests(tx, &ids)?.into_iter().collect();
        let digests =
            ids.into_iter().filter_map(|id| stored.get(id).map(|d| (id, d.clone()))).collect();
        Ok(Pending { digests, visits: Vec::new(), audit: Vec::new() })
    }

    /// Writes the visits, then the audit entries, in the records' order.
    pub fn write(self, tx: Conn<'_>, s: &Secrets, now: DateTime<Utc>) -> DbResult<()> {
        visits::insert_many(tx, &self.visits)?;
        audit::append_all(tx, s, &self.audit, now)
    }
}

/// Stores `prepared` from `device` (or refuses it), with its audit entry,
/// into `pending` (written by [`Pending::write`]).
pub fn store<'a>(
    tx: Conn<'_>,
    s: &Secrets,
    device: &'a DeviceAuth,
    prepared: &'a Prepared,
    now: DateTime<Utc>,
    pending: &mut Pending<'a>,
) -> DbResult<Result<Stored, Refused>> {
    let outcome = match prepared {
        Prepared::Checked(c) => store_checked(tx, s, device, c, now, pending)?,
        Prepared::Refused { refused, .. } => Err(refused.clone()),
    };
    let id = prepared.id();
    let entry = match &outcome {
        Ok(Stored::Stored(_)) => return Ok(outcome),
        Ok(Stored::Duplicate) => {
            Entry::new(Actor::Device(device.device_id.clone()), "visit.upload", "duplicate")
                .staff(&device.staff_id)
                .target(id)
        }
        Err(r) => {
            tracing::info!(visit = ?id, device = ?device.device_id, code = ?r.refusal.code, "record refused");
            let target = if is_id(id) { id.to_owned() } else { "(invalid id)".to_owned() };
            Entry::new(
                Actor::Device(device.device_id.clone()),
                "visit.upload",
                format!("refused:{}", r.refusal.code.as_wire()),
            )
            .staff(&device.staff_id)
            .target(target)
            .detail(r.refusal.detail.clone().unwrap_or_default())
        }
    };
    pending.audit.push(entry);
    Ok(outcome)
}

fn store_checked<'a>(
    tx: Conn<'_>,
    s: &Secrets,
    device: &'a DeviceAuth,
    checked: &'a Checked,
    now: DateTime<Utc>,
    pending: &mut Pending<'a>,
) -> DbResult<Result<Stored, Refused>> {
    let record = &checked.record;
    let id = record.id.as_str();
    // Decide everything before writing anything.
    match pending.digests.get(id) {
        Some(d) if *d == checked.digest => return Ok(Ok(Stored::Duplicate)),
        Some(_) => {
            return Ok(Err(Refused::new(409, RefusalCode::Conflict, "another record has this id")))
        }
        None => {}
    }
    let v = match &checked.verdict {
        Ok(v) => v,
        Err(r) => return Ok(Err(r.clone().into())),
    };
    let day = v.visited_at.with_timezone(&jst()).date_naive();
    // Who made it: the device's staff member, or one signed in on it.
    let staff = record.context.staff_id.as_str();
    if let Err(r) = super::signin::check(tx, s, device, staff, record.sign_in.as_ref(), id, day)? {
        return Ok(Err(r));
    }
    let patient = match &record.context.patient_id {
        Some(pid) => {
            let assigned = rounds::is_assigned(
                tx,
                &device.device_id,
                &device.staff_id,
                pid,
                day,
                ROUND_MARGIN_DAYS,
            )?;
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
            return Ok(Err(Refused::new(
                422,
                RefusalCode::NonceReplayed,
                "the challenge nonce was used before",
            )));
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
    let (status, held_reason, enrol) =
        match patient.as_ref().and_then(|p| p.enrolled_cert.as_deref()) {
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
    // The renewal coach, from the certificate the server verified and the
    // visit's day by the server's bounds (the console lists it from there):
    // a phone's advice that says otherwise is noted.
    if let Some(phone) = &record.renewal {
        let ours = renewal::for_certificate(&v.certificate, v.visited_at, CertificateCarrier::Card);
        if (ours.kind, ours.expires_on) != (phone.kind, phone.expires_on) {
            warnings.push("renewal-advice-recomputed".into());
        }
    }
    pending.digests.insert(id, checked.digest.clone());
    pending.visits.push(NewVisit {
        id,
        device_id: &device.device_id,
        staff_id: staff,
        patient_id: record.context.patient_id.as_deref(),
        received_at: now,
        visited_at: v.visited_at,
        mode,
        status,
        held_reason,
        card_fingerprint: &v.fingerprint,
        record_sha256: &checked.digest,
        record_sealed: &checked.sealed,
        warnings: warnings.clone(),
    });
    // How the card read went on this phone (no personal data).
    if let Some(t) = record.read_timing.as_ref().filter(|t| t.is_plausible()) {
        readings::insert(tx, id, &device.device_id, v.visited_at, t)?;
    }
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
            eligibility::queue(
                tx,
                &format!("chk-{}", random_hex(12)),
                &p.patient_id,
                Some(id),
                now,
            )?;
        }
    }
    let upload_status = match status {
        Status::Accepted => UploadStatus::Accepted,
        Status::Held => UploadStatus::Held,
    };
    let entry =
        Entry::new(Actor::Device(device.device_id.clone()), "visit.upload", status.as_str())
            .staff(staff)
            .target(id)
            .detail(format!(
                "patient={} mode={mode} warnings={}",
                record.context.patient_id.as_deref().unwrap_or("-"),
                warnings.join(",")
            ));
    pending.audit.push(entry);
    Ok(Ok(Stored::Stored(UploadResponse { status: upload_status, warnings })))
}
