// SPDX-License-Identifier: MPL-2.0
//! Eligibility checks through the 資格確認端末 and their results.
//!
//! A check is queued with the visit that triggers it; the worker writes the
//! request file, reads the answer (outside any lock) and records it here in
//! one transaction. Results are numbered by a cursor the phones page by;
//! each result is sealed (it tells about a patient's insurance).

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::{CheckOutcome, EligibilityResult, InsuranceNumbers};

use super::engine::{Conn, Row};
use super::{open_sealed, parse_ts, patients, ts, DbError, DbResult};
use crate::params;
use crate::secrets::Secrets;

pub fn queue(
    c: Conn<'_>,
    check_id: &str,
    patient_id: &str,
    visit_id: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "INSERT INTO eligibility_check (id, patient_id, visit_id, state, requested_at) VALUES (?1, ?2, ?3, 'queued', ?4)",
        params![check_id, patient_id, visit_id, ts(now)])?;
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

pub fn open_checks(c: Conn<'_>, s: &Secrets) -> DbResult<Vec<OpenCheck>> {
    let rows: Vec<CheckRow> = c.query_all(
        "SELECT id, patient_id, visit_id, state, sent_at FROM eligibility_check
         WHERE state IN ('queued', 'sent') ORDER BY requested_at",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
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

pub fn mark_sent(c: Conn<'_>, id: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE eligibility_check SET state = 'sent', sent_at = ?2 WHERE id = ?1 AND state = 'queued'",
        params![id, ts(now)],
    )?;
    Ok(())
}

/// Records the answer to a check (or its failure) and the result the phones
/// see, in the caller's transaction. `raw`: the terminal's file as read.
pub fn answer(
    c: Conn<'_>,
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
    // The cursor is the row's own number, and the sealed outcome's
    // associated data: inserted first, sealed after.
    let cursor: i64 = c.query_one(
        "INSERT INTO eligibility_result (patient_id, visit_id, checked_at, outcome) VALUES (?1, ?2, ?3, ?4)
         RETURNING cursor",
        params![check.patient_id, check.visit_id, ts(now), Vec::<u8>::new()],
        |r| r.get(0),
    )?;
    let json = serde_json::to_vec(outcome).expect("an outcome serialises");
    c.execute(
        "UPDATE eligibility_result SET outcome = ?2 WHERE cursor = ?1",
        params![cursor, s.seal(&json, &format!("result:{cursor}"))],
    )?;
    Ok(cursor)
}

fn result_row(r: &Row, s: &Secrets) -> DbResult<EligibilityResult> {
    let cursor: i64 = r.get(0)?;
    let sealed: Vec<u8> = r.get(4)?;
    let json = open_sealed(s, &sealed, &format!("result:{cursor}"))?;
    let outcome: CheckOutcome = serde_json::from_slice(&json)
        .map_err(|_| DbError::Sealed { what: format!("result:{cursor}") })?;
    Ok(EligibilityResult {
        cursor,
        patient_id: r.get(1)?,
        visit_id: r.get(2)?,
        checked_at: parse_ts(&r.get::<String>(3)?).unwrap_or_default(),
        outcome,
    })
}

/// Results after `since` for the patients on `device_id`'s rounds between
/// `from` and `to` (what the device may see), at most `limit`.
pub fn since_for_device(
    c: Conn<'_>,
    s: &Secrets,
    since: i64,
    (device_id, staff_id): (&str, &str),
    from: NaiveDate,
    to: NaiveDate,
    limit: usize,
) -> DbResult<Vec<EligibilityResult>> {
    c.query_all(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result
         WHERE cursor > ?1 AND patient_id IN
           (SELECT patient_id FROM round_stop
            WHERE (device_id = ?2 OR (device_id = '*' AND staff_id = ?3)) AND day BETWEEN ?4 AND ?5)
         ORDER BY cursor LIMIT ?6",
        params![since, device_id, staff_id, from.to_string(), to.to_string(), limit as i64],
        |r| result_row(r, s),
    )
}

pub fn latest(c: Conn<'_>, s: &Secrets, patient_id: &str) -> DbResult<Option<EligibilityResult>> {
    c.query_opt(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result WHERE patient_id = ?1
         ORDER BY cursor DESC LIMIT 1",
        params![patient_id],
        |r| result_row(r, s),
    )
}

pub fn check_state(c: Conn<'_>, id: &str) -> DbResult<Option<String>> {
    c.query_opt("SELECT state FROM eligibility_check WHERE id = ?1", params![id], |r| r.get(0))
}

/// The newest result for a visit's check, if any.
pub fn for_visit(c: Conn<'_>, s: &Secrets, visit_id: &str) -> DbResult<Option<EligibilityResult>> {
    c.query_opt(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome FROM eligibility_result WHERE visit_id = ?1
         ORDER BY cursor DESC LIMIT 1",
        params![visit_id],
        |r| result_row(r, s),
    )
}

/// Whether a check was queued for a visit (a patient with numbers on file).
pub fn has_check(c: Conn<'_>, visit_id: &str) -> DbResult<bool> {
    Ok(c.query_opt(
        "SELECT 1 FROM eligibility_check WHERE visit_id = ?1 LIMIT 1",
        params![visit_id],
        |_| Ok(()),
    )?
    .is_some())
}

/// The terminal's answer file for the newest answered check of a visit,
/// as it was read (unsealed): the console shows the whole answer.
pub fn raw_for_visit(
    c: Conn<'_>,
    s: &Secrets,
    visit_id: &str,
) -> DbResult<Option<zeroize::Zeroizing<Vec<u8>>>> {
    let row: Option<(String, Vec<u8>)> = c.query_opt(
        "SELECT id, raw_result FROM eligibility_check WHERE visit_id = ?1 AND raw_result IS NOT NULL
         ORDER BY answered_at DESC LIMIT 1",
        params![visit_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match row {
        Some((id, sealed)) => Ok(Some(open_sealed(s, &sealed, &format!("check:{id}"))?)),
        None => Ok(None),
    }
}
