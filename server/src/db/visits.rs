// SPDX-License-Identifier: MPL-2.0
//! Visit records as the server stored them: the record sealed, and in clear
//! what the console and the worker filter on (who, when, how, status).

use super::engine::{Conn, ToValue, Value};
use crate::params;
use chrono::{DateTime, Utc};

use super::{open_sealed, parse_ts, ts, DbResult};
use crate::secrets::Secrets;

/// Accepted, or held for staff review (a card other than the enrolled one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Accepted,
    Held,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Held => "held",
        }
    }
}

/// A visit to store.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    pub id: &'a str,
    pub device_id: &'a str,
    pub staff_id: &'a str,
    pub patient_id: Option<&'a str>,
    pub received_at: DateTime<Utc>,
    /// The visit's time, bounded by the server's own clock.
    pub visited_at: DateTime<Utc>,
    pub mode: &'static str,
    pub status: Status,
    pub held_reason: Option<&'a str>,
    pub card_fingerprint: &'a str,
    pub record_sha256: &'a str,
    /// The canonical record JSON, sealed with [`seal_record`] (outside
    /// the write lock).
    pub record_sealed: &'a [u8],
    pub warnings: Vec<String>,
}

/// The stored digests of those of `ids` the clinic has, in one query per
/// 256 ids.
pub fn digests(c: Conn<'_>, ids: &[&str]) -> DbResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(256) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let params: Vec<&dyn ToValue> = chunk.iter().map(|id| id as &dyn ToValue).collect();
        out.extend(c.query_all_planned(
            &format!("SELECT id, record_sha256 FROM visit WHERE id IN ({})", marks.join(", ")),
            &params,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?);
    }
    Ok(out)
}

/// Seals a visit's canonical record JSON for its row.
pub fn seal_record(s: &Secrets, id: &str, record_json: &str) -> Vec<u8> {
    s.seal(record_json.as_bytes(), &format!("visit:{id}"))
}

/// Inserts visits a few statements for many rows.
pub fn insert_many(c: Conn<'_>, visits: &[NewVisit<'_>]) -> DbResult<()> {
    let rows: Vec<Vec<Value>> = visits
        .iter()
        .map(|v| {
            vec![
                v.id.to_value(),
                v.device_id.to_value(),
                v.staff_id.to_value(),
                v.patient_id.to_value(),
                ts(v.received_at).to_value(),
                ts(v.visited_at).to_value(),
                v.mode.to_value(),
                v.status.as_str().to_value(),
                v.held_reason.to_value(),
                v.card_fingerprint.to_value(),
                v.record_sha256.to_value(),
                v.record_sealed.to_value(),
                v.warnings.join(",").to_value(),
            ]
        })
        .collect();
    c.insert_rows(
        "visit (id, device_id, staff_id, patient_id, received_at, visited_at, mode, status, \
         held_reason, card_fingerprint, record_sha256, record, warnings)",
        &rows,
    )
}

/// Whether a challenge nonce was used before; records it for `visit_id`.
pub fn use_nonce(c: Conn<'_>, nonce: &str, visit_id: &str) -> DbResult<bool> {
    let used: Option<String> =
        c.query_opt("SELECT visit_id FROM nonces WHERE nonce = ?1", params![nonce], |r| r.get(0))?;
    if used.is_some() {
        return Ok(false);
    }
    c.execute("INSERT INTO nonces (nonce, visit_id) VALUES (?1, ?2)", params![nonce, visit_id])?;
    Ok(true)
}

/// A stored visit, for the console and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub device_id: String,
    pub staff_id: String,
    pub patient_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub visited_at: DateTime<Utc>,
    pub mode: String,
    pub status: String,
    pub held_reason: Option<String>,
    pub card_fingerprint: String,
    pub warnings: Vec<String>,
}

const COLUMNS: &str =
    "id, device_id, staff_id, patient_id, received_at, visited_at, mode, status, held_reason, \
                       card_fingerprint, warnings";

fn row(r: &super::engine::Row) -> DbResult<Row> {
    let t = |s: String| parse_ts(&s).unwrap_or_default();
    let warnings: String = r.get(10)?;
    Ok(Row {
        id: r.get(0)?,
        device_id: r.get(1)?,
        staff_id: r.get(2)?,
        patient_id: r.get(3)?,
        received_at: t(r.get(4)?),
        visited_at: t(r.get(5)?),
        mode: r.get(6)?,
        status: r.get(7)?,
        held_reason: r.get(8)?,
        card_fingerprint: r.get(9)?,
        warnings: warnings.split(',').filter(|w| !w.is_empty()).map(str::to_owned).collect(),
    })
}

pub fn get(c: Conn<'_>, id: &str) -> DbResult<Option<Row>> {
    c.query_opt(&format!("SELECT {COLUMNS} FROM visit WHERE id = ?1"), params![id], row)
}

/// Visits between two instants, newest first (two at the same instant by
/// id, so that every reader sees one order).
pub fn between(c: Conn<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> DbResult<Vec<Row>> {
    c.query_all(&format!(
        "SELECT {COLUMNS} FROM visit WHERE visited_at >= ?1 AND visited_at < ?2 ORDER BY visited_at DESC, id DESC"
    ), params![ts(from), ts(to)], row)
}

pub fn all_ids(c: Conn<'_>) -> DbResult<Vec<String>> {
    c.query_all("SELECT id FROM visit ORDER BY id", params![], |r| r.get(0))
}

/// The stored record JSON, opened.
pub fn record_json(c: Conn<'_>, s: &Secrets, id: &str) -> DbResult<Option<String>> {
    let sealed: Option<Vec<u8>> =
        c.query_opt("SELECT record FROM visit WHERE id = ?1", params![id], |r| r.get(0))?;
    match sealed {
        Some(b) => Ok(Some(
            String::from_utf8_lossy(&open_sealed(s, &b, &format!("visit:{id}"))?).into_owned(),
        )),
        None => Ok(None),
    }
}

/// A held visit accepted by staff (a reissued card), or rejected.
pub fn set_status(c: Conn<'_>, id: &str, status: Status, reason: Option<&str>) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE visit SET status = ?2, held_reason = ?3 WHERE id = ?1",
        params![id, status.as_str(), reason],
    )? == 1)
}
