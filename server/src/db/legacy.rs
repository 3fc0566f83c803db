// SPDX-License-Identifier: MPL-2.0
//! Step 3 of the schema renamed the clear-text tables of versions 1–2
//! to `legacy_*`. Here their rows are sealed into the new tables (SQL
//! cannot seal) and the legacy tables dropped, in one transaction, the
//! first time the server opens the database with its key.

use houmon_core::protocol::InsuranceNumbers;
use rusqlite::{params, Connection};

use super::engine::Conn;
use super::{patients, ts, DbResult};
use crate::secrets::{token_hash, Secrets};

/// id, device, patient, received at, digest, record JSON, warnings (a
/// version-1 row being sealed).
type LegacyVisit = (String, String, Option<String>, String, String, String, String);

fn exists(tx: &Connection, table: &str) -> DbResult<bool> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        params![table],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Returns whether anything was sealed (SQLite only: PostgreSQL databases
/// start at the sealed schema).
pub fn seal_legacy(c: Conn<'_>, s: &Secrets) -> DbResult<bool> {
    let Conn::Sqlite(tx) = c else { return Ok(false) };
    let now = chrono::Utc::now();
    let any =
        ["legacy_patients", "legacy_devices", "legacy_visits", "legacy_checks", "legacy_results"]
            .iter()
            .map(|t| exists(tx, t))
            .collect::<DbResult<Vec<bool>>>()?
            .into_iter()
            .any(|b| b);
    if exists(tx, "legacy_patients")? {
        let mut st = tx.prepare(
            "SELECT patient_id, name, address, birth_date, insurer_number, symbol, number, branch,
                    consent_until, enrolled_cert, facility FROM legacy_patients",
        )?;
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (id, name, address, birth, ins, sym, num, br, consent, cert, facility) in rows {
            let personal = patients::PersonalData {
                name,
                kana: String::new(),
                address,
                birth_date: birth.parse().unwrap_or_default(),
                insurance: ins.map(|insurer_number| InsuranceNumbers {
                    insurer_number,
                    symbol: sym.unwrap_or_default(),
                    number: num.unwrap_or_default(),
                    branch: br.unwrap_or_default(),
                }),
                unit: None,
            };
            tx.execute(
                "INSERT OR IGNORE INTO patient (patient_id, personal, facility, consent_until, enrolled_cert, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, patients::seal_personal(s, &id, &personal), facility, consent, cert, ts(now)],
            )?;
        }
        tx.execute_batch("DROP TABLE legacy_patients")?;
    }
    if exists(tx, "legacy_devices")? {
        // Version 1 tokens never expired and had no staff: they get 30
        // days and an unknown holder, then must be rotated.
        let expires = ts(now + chrono::Duration::days(30));
        let mut st =
            tx.prepare("SELECT device_id, name, token, registered_at FROM legacy_devices")?;
        let rows: Vec<(String, String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (id, name, token, at) in rows {
            tx.execute(
                "INSERT OR IGNORE INTO device (device_id, name, staff_id, registered_at, token_hash, token_expires_at)
                 VALUES (?1, ?2, 'unknown', ?3, ?4, ?5)",
                params![id, name, at, token_hash(&token), expires],
            )?;
        }
        tx.execute_batch("DROP TABLE legacy_devices")?;
    }
    if exists(tx, "legacy_visits")? {
        let mut st = tx.prepare(
            "SELECT id, device_id, patient_id, received_at, record_sha256, record_json, warnings FROM legacy_visits",
        )?;
        let rows: Vec<LegacyVisit> = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (id, device, patient, received, digest, json, warnings) in rows {
            // Version-1 records are read leniently here, only for the
            // clear columns; the record itself is kept as it came.
            let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
            let staff = v["context"]["staff_id"].as_str().unwrap_or("unknown").to_owned();
            let mode = if v["evidence"]["mode"] == "visual" { "visual" } else { "pin" };
            let cert = v["evidence"]["certificate"].as_str().unwrap_or_default();
            let fingerprint = {
                use base64::Engine;
                let der =
                    base64::engine::general_purpose::STANDARD.decode(cert).unwrap_or_default();
                crate::secrets::hex(&<sha2::Sha256 as sha2::Digest>::digest(&der))
            };
            tx.execute(
                "INSERT OR IGNORE INTO visit (id, device_id, staff_id, patient_id, received_at, visited_at, mode,
                 status, card_fingerprint, record_sha256, record, warnings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 'accepted', ?7, ?8, ?9, ?10)",
                params![id, device, staff, patient, received, mode, fingerprint, digest,
                        s.seal(json.as_bytes(), &format!("visit:{id}")), warnings],
            )?;
        }
        tx.execute_batch("DROP TABLE legacy_visits")?;
    }
    if exists(tx, "legacy_checks")? {
        let mut st = tx.prepare(
            "SELECT id, patient_id, visit_id, state, requested_at, sent_at, answered_at, raw_result FROM legacy_checks",
        )?;
        type Row = (
            String,
            String,
            Option<String>,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Row> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (id, patient, visit, state, req, sent, answered, raw) in rows {
            let raw = raw.map(|b| s.seal(&b, &format!("check:{id}")));
            tx.execute(
                "INSERT OR IGNORE INTO eligibility_check (id, patient_id, visit_id, state, requested_at, sent_at, answered_at, raw_result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, patient, visit, state, req, sent, answered, raw],
            )?;
        }
        tx.execute_batch("DROP TABLE legacy_checks")?;
    }
    if exists(tx, "legacy_results")? {
        let mut st = tx.prepare(
            "SELECT cursor, patient_id, visit_id, checked_at, outcome_json FROM legacy_results ORDER BY cursor",
        )?;
        let rows: Vec<(i64, String, Option<String>, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (cursor, patient, visit, at, outcome) in rows {
            tx.execute(
                "INSERT OR IGNORE INTO eligibility_result (cursor, patient_id, visit_id, checked_at, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![cursor, patient, visit, at, s.seal(outcome.as_bytes(), &format!("result:{cursor}"))],
            )?;
        }
        tx.execute_batch("DROP TABLE legacy_results")?;
    }
    Ok(any)
}
