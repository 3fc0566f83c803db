// SPDX-License-Identifier: MPL-2.0
//! What is decided about a record before the write lock: its form (strict
//! input), its canonical JSON and digest, its sealed copy, and the verdict
//! on its evidence. None of it touches the database, so a batch's records
//! are prepared in parallel on the cores.

use chrono::{DateTime, Utc};
use houmon_core::protocol::{Refusal, RefusalCode};
use houmon_core::visit::record::{OLDEST_RECORD_VERSION, RECORD_VERSION};
use houmon_core::visit::VisitRecord;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Refused;
use crate::app::App;
use crate::db::devices::DeviceAuth;
use crate::db::visits;
use crate::secrets::hex;
use crate::validate::is_id;
use crate::verify::{verify, Verified};

/// A record read and checked, ready for the write.
pub struct Checked {
    pub record: VisitRecord,
    pub digest: String,
    pub sealed: Vec<u8>,
    /// The evidence's verdict. A refusal is applied only after the
    /// duplicate check: a record stored earlier is answered "duplicate"
    /// even if its evidence would not pass today (an expired anchor, its
    /// own nonce).
    pub verdict: Result<Verified, Refusal>,
}

/// A record before the write: checked, or refused by its form alone.
pub enum Prepared {
    Checked(Box<Checked>),
    /// `id` is the record's id as far as it could be read (for the answer
    /// and the audit trail).
    Refused {
        id: String,
        refused: Refused,
    },
}

impl Prepared {
    pub fn id(&self) -> &str {
        match self {
            Prepared::Checked(c) => &c.record.id,
            Prepared::Refused { id, .. } => id,
        }
    }
}

fn refused(id: &str, status: u16, code: RefusalCode, detail: impl Into<String>) -> Prepared {
    Prepared::Refused { id: id.to_owned(), refused: Refused::new(status, code, detail) }
}

/// Just the id of a record that does not parse, for the per-record answer.
#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Reads and checks one record. `path_id` is the id the single-record
/// call names (it must match the record's).
pub fn prepare(
    app: &App,
    device: &DeviceAuth,
    path_id: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Prepared {
    let given = path_id.map(str::to_owned).unwrap_or_else(|| {
        serde_json::from_slice::<IdOnly>(body).map(|r| r.id).unwrap_or_default()
    });
    if !is_id(&given) {
        return refused(
            &given,
            422,
            RefusalCode::InvalidId,
            "the record id: 1–64 of A–Z a–z 0–9 - _ .",
        );
    }
    let record: VisitRecord = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return refused(&given, 422, RefusalCode::Malformed, e.to_string()),
    };
    if !(OLDEST_RECORD_VERSION..=RECORD_VERSION).contains(&record.version) {
        return refused(
            &given,
            422,
            RefusalCode::UnsupportedVersion,
            format!(
                "record version {} (this server reads {OLDEST_RECORD_VERSION}–{RECORD_VERSION})",
                record.version
            ),
        );
    }
    if record.id != given {
        return refused(
            &given,
            422,
            RefusalCode::Malformed,
            "the path id and the record id differ",
        );
    }
    if record.context.patient_id.as_deref().is_some_and(|p| !is_id(p)) {
        return refused(&given, 422, RefusalCode::InvalidId, "the patient id");
    }
    let canonical = record.to_json();
    let digest = hex(&Sha256::digest(canonical.as_bytes()));
    let sealed = visits::seal_record(app.db.secrets(), &record.id, &canonical);
    let verdict = verify(&record, device, &app.anchors, &app.crl, app.db.secrets(), now);
    Prepared::Checked(Box::new(Checked { record, digest, sealed, verdict }))
}

/// Prepares a batch's records on up to `threads` cores, in order.
pub fn prepare_all(
    app: &App,
    device: &DeviceAuth,
    bodies: &[&[u8]],
    now: DateTime<Utc>,
    threads: usize,
) -> Vec<Prepared> {
    let threads = threads.clamp(1, bodies.len().max(1));
    if threads == 1 {
        return bodies.iter().map(|b| prepare(app, device, None, b, now)).collect();
    }
    let chunk = bodies.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().map(|b| prepare(app, device, None, b, now)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
