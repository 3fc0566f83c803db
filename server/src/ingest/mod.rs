// SPDX-License-Identifier: MPL-2.0
//! Ingesting visit records: the rules, apart from HTTP.
//!
//! A record is first **prepared** outside the write lock ([`prepare`]:
//! strict input, canonical form, sealing, the evidence check — a batch's
//! records in parallel on the cores), then **stored** in a grouped write
//! ([`store`]: idempotence, the rounds, the nonce, the card policy, the
//! consent, the check, the audit entry), committed together with the
//! writes of concurrent requests (`db/group.rs`). An answer is given only
//! once the commit is durable.
//!
//! - [`upload`]: `PUT /v1/visits/{id}`, one record (the first protocol,
//!   kept for older phones);
//! - [`upload_batch`]: `POST /v1/visits`, up to
//!   [`BATCH_MAX_RECORDS`] records answered one by one — a refused record
//!   does not hold back the others. The batch is stored in one go; if the
//!   database fails it, nothing of it is kept and it is stored again record
//!   by record, each in a savepoint: a record the server cannot store is
//!   answered "retry", and the others are stored.

pub mod custody;
pub mod prepare;
pub mod signin;
pub mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use houmon_core::protocol::{
    BatchItem, BatchResponse, Refusal, RefusalCode, UploadResponse, BATCH_MAX_RECORDS,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::app::App;
use crate::db::devices::DeviceAuth;
use crate::db::DbError;
use prepare::Prepared;
use store::Pending;
pub use store::{Stored, ROUND_MARGIN_DAYS};

/// A refused upload: the HTTP status and the reason.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: u16,
    pub refusal: Refusal,
}

impl Refused {
    pub fn new(status: u16, code: RefusalCode, detail: impl Into<String>) -> Refused {
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

pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The cores a batch is prepared on.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
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
    let prepared = if is_json(content_type) {
        prepare::prepare(app, device, Some(id), body, now)
    } else {
        Prepared::Refused {
            id: id.to_owned(),
            refused: Refused::new(
                415,
                RefusalCode::UnsupportedMediaType,
                "Content-Type must be application/json",
            ),
        }
    };
    let device = device.clone();
    let outcome = app.db.write_grouped(move |tx, s| {
        let one = std::slice::from_ref(&prepared);
        let mut pending = Pending::begin(tx, one)?;
        let outcome = store::store(tx, s, &device, &prepared, now, &mut pending)?;
        pending.write(tx, s, now)?;
        Ok(outcome)
    })?;
    outcome.map(Stored::response).map_err(UploadError::Refused)
}

/// The body of `POST /v1/visits`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

/// Ingests a batch from `device`. A refusal of the batch as a whole (not
/// JSON, not a batch, too many records) is an `Err`; otherwise one answer
/// per record, in the order sent.
pub fn upload_batch(
    app: &App,
    device: &DeviceAuth,
    content_type: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<BatchResponse, UploadError> {
    let whole = |status, code, detail: String| {
        tracing::info!(device = ?device.device_id, code = ?code, "batch refused");
        UploadError::Refused(Refused::new(status, code, detail))
    };
    if !is_json(content_type) {
        return Err(whole(
            415,
            RefusalCode::UnsupportedMediaType,
            "Content-Type must be application/json".into(),
        ));
    }
    let batch: BatchRequest<'_> = serde_json::from_slice(body)
        .map_err(|e| whole(422, RefusalCode::Malformed, format!("the batch: {e}")))?;
    if batch.records.len() > BATCH_MAX_RECORDS {
        return Err(whole(
            413,
            RefusalCode::TooLarge,
            format!("{} records (at most {BATCH_MAX_RECORDS} in one batch)", batch.records.len()),
        ));
    }
    let bodies: Vec<&[u8]> = batch.records.iter().map(|r| r.get().as_bytes()).collect();
    let prepared = {
        let _one_batch_at_a_time = app.prepare_gate.lock().unwrap_or_else(|e| e.into_inner());
        prepare::prepare_all(app, device, &bodies, now, cores())
    };
    let prepared = Arc::new(prepared);
    let device = Arc::new(device.clone());
    // The whole batch together: its visits and audit entries in a few
    // statements.
    let together = {
        let (prepared, device) = (prepared.clone(), device.clone());
        app.db.write_grouped(move |tx, s| {
            let mut pending = Pending::begin(tx, &prepared)?;
            let mut out = Vec::with_capacity(prepared.len());
            for p in prepared.iter() {
                out.push(answer(p.id(), store::store(tx, s, &device, p, now, &mut pending)?));
            }
            pending.write(tx, s, now)?;
            Ok(out)
        })
    };
    let results = match together {
        Ok(results) => results,
        Err(e) => {
            // Nothing of it was kept. Record by record now, so that one
            // record the database cannot take holds back no other.
            tracing::warn!(error = %e, "a batch not stored whole; storing it record by record");
            let prepared = prepared.clone();
            app.db.write_grouped(move |tx, s| one_by_one(tx, s, &device, &prepared, now))?
        }
    };
    // Freed here, by the request's thread, not the commit thread.
    drop(prepared);
    Ok(BatchResponse { results })
}

/// A batch's records each in a savepoint of its own: a record that fails
/// leaves no trace and is answered "retry"; the others are stored.
fn one_by_one(
    tx: crate::db::Conn<'_>,
    s: &crate::secrets::Secrets,
    device: &DeviceAuth,
    prepared: &[Prepared],
    now: DateTime<Utc>,
) -> crate::db::DbResult<Vec<BatchItem>> {
    let mut out = Vec::with_capacity(prepared.len());
    for p in prepared {
        tx.execute_batch("SAVEPOINT record")?;
        let one = std::slice::from_ref(p);
        let stored = Pending::begin(tx, one).and_then(|mut pending| {
            let outcome = store::store(tx, s, device, p, now, &mut pending)?;
            pending.write(tx, s, now)?;
            Ok(outcome)
        });
        let item = match stored {
            Ok(outcome) => {
                tx.execute_batch("RELEASE record")?;
                answer(p.id(), outcome)
            }
            Err(e) => {
                tx.execute_batch("ROLLBACK TO record; RELEASE record")?;
                tracing::error!(visit = ?p.id(), error = %e, "a record of a batch not stored");
                BatchItem {
                    id: p.id().to_owned(),
                    status: None,
                    warnings: vec![],
                    refusal: None,
                    retry: Some("the server could not store it now".into()),
                }
            }
        };
        out.push(item);
    }
    Ok(out)
}

fn answer(id: &str, outcome: Result<Stored, Refused>) -> BatchItem {
    let mut item =
        BatchItem { id: id.to_owned(), status: None, warnings: vec![], refusal: None, retry: None };
    match outcome {
        Ok(stored) => {
            let r = stored.response();
            item.status = Some(r.status);
            item.warnings = r.warnings;
        }
        Err(r) => item.refusal = Some(r.refusal),
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_json_content_type_is_json() {
        for yes in ["application/json", "application/json; charset=utf-8", " Application/JSON "] {
            assert!(is_json(Some(yes)), "{yes}");
        }
        for no in ["text/plain", "application/jsonx", "application/x-json", ""] {
            assert!(!is_json(Some(no)), "{no}");
        }
        assert!(!is_json(None));
    }
}
