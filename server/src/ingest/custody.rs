// SPDX-License-Identifier: MPL-2.0
//! `POST /v1/custody`: a facility's card custody entries (a resident's card
//! taken from the facility's safekeeping or put back), answered one by one
//! like the visits. Each entry: its id new (or the same content again: a
//! duplicate), its time bounded by the server's clock and the phone's
//! server-time token, the staff member who made it (the device's, or one
//! signed in on it, `signin.rs`), the resident on the device's round that
//! day; the facility is the server's own record of the resident, never
//! the phone's word. Stored with an audit entry, in one transaction.

use chrono::{DateTime, Utc};
use houmon_core::card::cert::jst;
use houmon_core::protocol::{
    BatchItem, BatchResponse, CustodyAction, CustodyBatch, CustodyEvent, Refusal, RefusalCode,
    UploadStatus, BATCH_MAX_RECORDS,
};
use sha2::{Digest, Sha256};

use super::store::ROUND_MARGIN_DAYS;
use super::Refused;
use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::custody::{self, CustodyRow};
use crate::db::devices::DeviceAuth;
use crate::db::{patients, rounds, Conn, DbResult};
use crate::secrets::Secrets;
use crate::time_anchor::{self, TimeRefusal};
use crate::validate::is_id;

/// What a phone's batch of entries came to, one answer each, in order.
pub fn ingest(
    app: &App,
    device: &DeviceAuth,
    body: &[u8],
    now: DateTime<Utc>,
) -> DbResult<Result<BatchResponse, Refused>> {
    let batch: CustodyBatch = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => return Ok(Err(Refused::new(422, RefusalCode::Malformed, e.to_string()))),
    };
    if batch.events.len() > BATCH_MAX_RECORDS {
        return Ok(Err(Refused::new(
            413,
            RefusalCode::TooLarge,
            format!("at most {BATCH_MAX_RECORDS} entries a batch"),
        )));
    }
    let results = app.db.write(|tx, s| {
        let mut results = Vec::with_capacity(batch.events.len());
        for e in &batch.events {
            let item = match store(tx, s, device, e, now)? {
                Ok(status) => BatchItem {
                    id: e.id.clone(),
                    status: Some(status),
                    warnings: vec![],
                    refusal: None,
                    retry: None,
                },
                Err(r) => {
                    let target = if is_id(&e.id) { e.id.clone() } else { "(invalid id)".into() };
                    audit::append(
                        tx,
                        s,
                        &Entry::new(
                            Actor::Device(device.device_id.clone()),
                            "custody.upload",
                            format!("refused:{}", r.refusal.code.as_wire()),
                        )
                        .staff(&device.staff_id)
                        .target(target)
                        .detail(r.refusal.detail.clone().unwrap_or_default()),
                        now,
                    )?;
                    BatchItem {
                        id: e.id.clone(),
                        status: None,
                        warnings: vec![],
                        refusal: Some(r.refusal),
                        retry: None,
                    }
                }
            };
            results.push(item);
        }
        Ok(results)
    })?;
    Ok(Ok(BatchResponse { results }))
}

fn refuse(code: RefusalCode, detail: impl Into<String>) -> Refused {
    Refused { status: 422, refusal: Refusal::with_detail(code, detail) }
}

fn digest(e: &CustodyEvent) -> String {
    let json = serde_json::to_vec(e).expect("an entry serialises");
    Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
}

fn store(
    tx: Conn<'_>,
    s: &Secrets,
    device: &DeviceAuth,
    e: &CustodyEvent,
    now: DateTime<Utc>,
) -> DbResult<Result<UploadStatus, Refused>> {
    if !is_id(&e.id) || !is_id(&e.patient_id) || !is_id(&e.staff_id) {
        return Ok(Err(refuse(RefusalCode::InvalidId, "entry, patient or staff id")));
    }
    if e.device_id != device.device_id {
        return Ok(Err(refuse(RefusalCode::ChallengeMismatch, "the entry names another device")));
    }
    let d = digest(e);
    match custody::digest_of(tx, &e.id)? {
        Some(old) if old == d => return Ok(Ok(UploadStatus::Duplicate)),
        Some(_) => return Ok(Err(refuse(RefusalCode::Conflict, "another entry has this id"))),
        None => {}
    }
    let at = match time_anchor::bound(s, &device.device_id, e.time_anchor.as_deref(), e.at, now) {
        Ok(t) => t,
        Err(TimeRefusal::NoAnchor) => {
            return Ok(Err(refuse(RefusalCode::TimeUnverifiable, "no valid server-time token")))
        }
        Err(TimeRefusal::BeforeAnchor) => {
            return Ok(Err(refuse(
                RefusalCode::TimeBeforeAnchor,
                "before the device's last server time",
            )))
        }
        Err(TimeRefusal::InFuture) => {
            return Ok(Err(refuse(RefusalCode::TimeInFuture, format!("{} is after {now}", e.at))))
        }
    };
    let day = at.with_timezone(&jst()).date_naive();
    if let Err(r) =
        super::signin::check(tx, s, device, &e.staff_id, e.sign_in.as_ref(), &e.id, day)?
    {
        return Ok(Err(r));
    }
    let assigned = rounds::is_assigned(
        tx,
        &device.device_id,
        &device.staff_id,
        &e.patient_id,
        day,
        ROUND_MARGIN_DAYS,
    )?;
    let patient = patients::get(tx, s, &e.patient_id)?;
    let Some(patient) = patient.filter(|_| assigned) else {
        return Ok(Err(refuse(
            RefusalCode::NotAssigned,
            format!("resident {:?} is not on this device's round on {day}", e.patient_id),
        )));
    };
    let row = CustodyRow {
        id: e.id.clone(),
        device_id: device.device_id.clone(),
        staff_id: e.staff_id.clone(),
        patient_id: e.patient_id.clone(),
        facility: patient.facility.clone(),
        action: e.action,
        at,
    };
    custody::insert(tx, &row, &d, now)?;
    let action = match e.action {
        CustodyAction::Taken => "custody.taken",
        CustodyAction::Returned => "custody.returned",
    };
    audit::append(
        tx,
        s,
        &Entry::new(Actor::Device(device.device_id.clone()), action, "ok")
            .staff(&e.staff_id)
            .target(e.patient_id.clone())
            .detail(format!(
                "entry={} facility={}",
                e.id,
                patient.facility.as_deref().unwrap_or("-")
            )),
        now,
    )?;
    Ok(Ok(UploadStatus::Accepted))
}
