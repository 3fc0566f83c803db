// SPDX-License-Identifier: MPL-2.0
//! Eligibility checks through the 資格確認端末 and their results.
//!
//! A check is queued with the visit that triggers it; the worker writes the
//! request file, reads the answer (outside any lock) and records it here in
//! one transaction. Results are numbered by a cursor the phones page by;
//! each result is sealed (it tells about a patient's insurance).

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::{CheckOutcome, EligibilityResult, InsuranceNumbers};
use rusqlite::{params, Connection, OptionalExtension};

use super::{open_sealed, parse_ts, patients, ts, DbError, DbResult};
use crate::secrets::Secrets;

pub fn queue(
    c: &Connection,
    check_id: &str,
    patient_id: &str,
    visit_id: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO eligibility_check (id, patient_id, visit_id, state, requested_at) VALUES (?1, ?2, ?3, 'queued', ?4)",
    )?
    .execute(params![check_id, patient_id, visit_id, ts(now)])?;
    Ok(())
}

/// A check the worker still has to send or to hear back about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCheck {
    pub id: String,
    pub patient_id: String,
    pub visit_id: Option<String>,
    pub sent: bool,
    pub sent_at: Option<DateTime<Utc>>,
    pub numbers: InsuranceNumbers,
    pub birth_date: NaiveDate,
}

/// id, patient, visit, state, sent at
type CheckRow = (String, String, Option<String>, String, Option<String>);

pub fn open_checks(c: &Connection, s: &Secrets) -> DbResult<Vec<OpenCheck>> {
    let mut st = c.prepare(
        "SELECT id, patient_id, visit_id, state, sent_at FROM eligibility_check
         WHERE state IN ('queued', 'sent') ORDER BY requested_at",
    )?;
    let rows: Vec<CheckRow> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, patient_id, visit_id, state, sent_at) in rows {
        let Some(p) = patients::get(c, s, &patient_id)? else { continue };
        let Some(numbers) = p.personal.insurance else { continue };
        out.push(OpenCheck {
            id,
            patient_id,
            visit_id,
            sent: state == "sent",
            sent_at: sent_at.as_deref().and_then(parse_ts),
            numbers,
            birth_date: p.personal.birth_date,
        });
    }
    Ok(out)
}

pub fn mark_sent(c: &Connection, id: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE eligibility_check SET state = 'sent', sent_at = ?2 WHERE id = ?1 AND state = 'queued'",
        params![id, ts(now)],
    )?;
    Ok(())
}

/// Records the answer to a check (or its failure) and the result the phones
/// see, in the caller's transaction. `raw`: the terminal's file as read.
pub fn answer(
    c: &Connection,
    s: &Secrets,
    check: &OpenCheck,
    outcome: &CheckOutcome,
    raw: Option<&[u8]>,
    now: DateTime<Utc>,
) -> DbResult<i64> {
    let state = if matches!(outcome, CheckOutcome::Error { .. }) { "error" } else { "answered" };
    c.execute(
        "UPDATE eligibility_check SET state = ?2, answered_at = ?3, raw_result = ?4 WHERE id = ?1",
        params![check.id, state, ts(now), raw.map(|b| s.seal(b, &format!("check:{}", check.id)))],
    )?;
    c.execute(
        "INSERT INTO eligibility_result (patient_id, visit_id, checked_at, outcome) VALUES (?1, ?2, ?3, x'')",
        params![check.patient_id, check.visit_id, ts(now)],
    )?;
    let cursor = c.last_insert_rowid();
    let json = serde_json::to_vec(outcome).expect("an outcome serialises");
    c.execute(
        "UPDATE eligibility_result SET outcome = ?2 WHERE cursor = ?1",
        params![cursor, s.seal(&json, &format!("result:{cursor}"))],
    )?;
    Ok(cursor)
}

fn result_row(r: &rusqlite::Row<'_>, s: &Secrets) -> DbResult<EligibilityResult> {
    let cursor: i64 = r.get(0)?;
    let sealed: Vec<u8> = r.get(4)?;
    let json = open_sealed(s, &sealed, &format!("result:{cursor}"))?;
    let outcome: CheckOutcome = serde_json::from_slice(&json)
        .map_err(|_| DbError::Sealed { what: format!("result:{cursor}") })?;
    Ok(EligibilityResult {
        cursor,
        patient_id: r.get(1)?,
        visit_id: r.get(2)?,
        checked_at: parse_ts(&r.get::<_, String>(3)?).unwrap_or_default(),
        outcome,
    })
}

/// Results after `since` for the patients on `device_id`'s rounds between
/// `from` and `to` (what the device may see), at most `limit`.
pub fn since_for_device(
    c: &Connection,
    s: &Secrets,
    since: i64,
    (device_id, staff_id): (&str, &str),
    from: NaiveDate,
    to: NaiveDate,
    limit: usize,
) -> DbResult<Vec<EligibilityResult>> {
    let mut st = c.prepare_cached(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result
         WHERE cursor > ?1 AND patient_id IN
           (SELECT patient_id FROM round_stop
            WHERE (device_id = ?2 OR (device_id = '*' AND staff_id = ?3)) AND day BETWEEN ?4 AND ?5)
         ORDER BY cursor LIMIT ?6",
    )?;
    let mut rows = st.query(params![
        since,
        device_id,
        staff_id,
        from.to_string(),
        to.to_string(),
        limit as i64
    ])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(result_row(r, s)?);
    }
    Ok(out)
}

pub fn latest(
    c: &Connection,
    s: &Secrets,
    patient_id: &str,
) -> DbResult<Option<EligibilityResult>> {
    let mut st = c.prepare_cached(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result WHERE patient_id = ?1
         ORDER BY cursor DESC LIMIT 1",
    )?;
    let mut rows = st.query(params![patient_id])?;
    match rows.next()? {
        Some(r) => Ok(Some(result_row(r, s)?)),
        None => Ok(None),
    }
}

pub fn check_state(c: &Connection, id: &str) -> DbResult<Option<String>> {
    Ok(c.query_row("SELECT state FROM eligibility_check WHERE id = ?1", params![id], |r| r.get(0))
        .optional()?)
}

/// The newest result for a visit's check, if any.
pub fn for_visit(
    c: &Connection,
    s: &Secrets,
    visit_id: &str,
) -> DbResult<Option<EligibilityResult>> {
    let mut st = c.prepare_cached(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result WHERE visit_id = ?1
         ORDER BY cursor DESC LIMIT 1",
    )?;
    let mut rows = st.query(params![visit_id])?;
    match rows.next()? {
        Some(r) => Ok(Some(result_row(r, s)?)),
        None => Ok(None),
    }
}

/// Whether a check was queued for a visit (a patient with numbers on file).
pub fn has_check(c: &Connection, visit_id: &str) -> DbResult<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM eligibility_check WHERE visit_id = ?1 LIMIT 1")?
        .query_row(params![visit_id], |_| Ok(()))
        .optional()?
        .is_some())
}
