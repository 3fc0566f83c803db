// SPDX-License-Identifier: MPL-2.0
//! The clinic server's database: one SQLite file (WAL, `synchronous=FULL`),
//! one writer connection behind a mutex, used only from the runtime's
//! blocking pool. Personal data is sealed with the server key
//! (`secrets.rs`); ids, times and states stay in clear for the worker and
//! the console.
//!
//! One file per concern: [`schema`] (migrations), [`patients`], [`devices`]
//! (enrolment codes, tokens, revocation), [`rounds`] (who visits whom:
//! what each device may see), [`visits`], [`eligibility`] (checks and
//! results), [`audit`] (the hash-chained trail), [`staff`].

pub mod audit;
pub mod console;
pub mod devices;
pub mod eligibility;
pub mod meta;
pub mod patients;
pub mod rounds;
pub mod schema;
pub mod staff;
pub mod visits;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::secrets::Secrets;

/// id, device, patient, received at, digest, record JSON, warnings (a
/// version-1 row being sealed).
type LegacyVisit = (String, String, Option<String>, String, String, String, String);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] houmon_migrate::MigrateError),
    /// A sealed value did not open: the wrong server key, or damage.
    #[error("{what} does not open with this server key")]
    Sealed { what: String },
}

pub type DbResult<T> = Result<T, DbError>;

/// Times are stored as RFC 3339 UTC with microseconds (they sort as text).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

pub struct Db {
    conn: Mutex<Connection>,
    secrets: Arc<Secrets>,
}

impl Db {
    /// Opens (or creates) the database: migrates it, and seals what an
    /// older server left in clear.
    pub fn open(path: &Path, secrets: Arc<Secrets>) -> DbResult<Db> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Deleted rows are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        schema::SCHEMA.migrate(&mut conn)?;
        let db = Db { conn: Mutex::new(conn), secrets };
        db.check_key()?;
        if db.write(legacy::seal_legacy)? {
            // Push the sealed pages into the main file so that no clear
            // text is left there or in the write-ahead log.
            db.lock().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(db)
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A read on the one connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection, &Secrets) -> DbResult<T>) -> DbResult<T> {
        let conn = self.lock();
        f(&conn, &self.secrets)
    }

    /// A write: one transaction, committed only if `f` succeeds.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>, &Secrets) -> DbResult<T>,
    ) -> DbResult<T> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let out = f(&tx, &self.secrets)?;
        tx.commit()?;
        Ok(out)
    }

    /// A key check value, so that a server started with the wrong key says
    /// so at once instead of failing on the first patient.
    fn check_key(&self) -> DbResult<()> {
        const CHECK: &[u8] = b"houmon-server-key-check";
        self.write(|tx, s| {
            let found: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| r.get(0))
                .optional()?;
            match found {
                Some(v)
                    if s.open(&v, "meta:key_check").as_deref().map(Vec::as_slice)
                        == Some(CHECK) =>
                {
                    Ok(())
                }
                Some(_) => Err(DbError::Sealed { what: "the database".into() }),
                None => {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                        params![s.seal(CHECK, "meta:key_check")],
                    )?;
                    Ok(())
                }
            }
        })
    }
}

/// Opens a sealed column value or says which row does not open.
pub(crate) fn open_sealed(
    s: &Secrets,
    sealed: &[u8],
    aad: &str,
) -> DbResult<zeroize::Zeroizing<Vec<u8>>> {
    s.open(sealed, aad).ok_or_else(|| DbError::Sealed { what: aad.to_owned() })
}

mod legacy {
    //! Step 3 of the schema renamed the clear-text tables of versions 1–2
    //! to `legacy_*`. Here their rows are sealed into the new tables (SQL
    //! cannot seal) and the legacy tables dropped, in one transaction, the
    //! first time the server opens the database with its key.

    use houmon_core::protocol::InsuranceNumbers;
    use rusqlite::{params, Transaction};

    use super::{patients, ts, DbResult};
    use crate::secrets::{token_hash, Secrets};

    fn exists(tx: &Transaction<'_>, table: &str) -> DbResult<bool> {
        let n: i64 = tx.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            params![table],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Returns whether anything was sealed.
    pub fn seal_legacy(tx: &Transaction<'_>, s: &Secrets) -> DbResult<bool> {
        let now = chrono::Utc::now();
        let any = [
            "legacy_patients",
            "legacy_devices",
            "legacy_visits",
            "legacy_checks",
            "legacy_results",
        ]
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
            let rows: Vec<super::LegacyVisit> = st
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_old_version_upgrades_and_its_personal_data_ends_sealed() {
        // The SQL steps, from every old version, with rows.
        houmon_migrate::check_upgrades(
            &schema::SCHEMA,
            |c, v| {
                if v >= 3 {
                    c.execute_batch(
                        "INSERT INTO staff (staff_id, name, role, created_at) VALUES ('s1', '看護 花子', 'nurse', 't');
                         INSERT INTO round_stop (day, device_id, staff_id, patient_id) VALUES ('2026-11-26', 'd1', 's1', 'p1');",
                    )
                    .unwrap();
                } else if v >= 1 {
                    c.execute_batch(
                        "INSERT INTO patients (patient_id, name, address, birth_date, insurer_number, symbol, number, branch)
                         VALUES ('p1', '山田 花子', '東京都千代田区1-1', '1940-04-01', '06130012', 'あ', '1', '00');
                         INSERT INTO devices (device_id, name, token, registered_at) VALUES ('d1', 'phone', 'tok', 't');",
                    )
                    .unwrap();
                }
            },
            |c, from| {
                if from >= 3 {
                    // Step 4: the staff member can log in once given a password.
                    let (failures, hash): (i64, Option<String>) = c
                        .query_row(
                            "SELECT failed_logins, password_hash FROM staff WHERE staff_id = 's1'",
                            [],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .unwrap();
                    assert_eq!((failures, hash), (0, None));
                    let stops: i64 =
                        c.query_row("SELECT COUNT(*) FROM round_stop", [], |r| r.get(0)).unwrap();
                    assert_eq!(stops, 1, "rounds kept");
                } else if from >= 1 {
                    let n: i64 = c
                        .query_row("SELECT COUNT(*) FROM legacy_patients", [], |r| r.get(0))
                        .unwrap();
                    assert_eq!(n, 1, "kept for sealing");
                }
            },
        );
        // And the first open with the key seals them and drops the clear text.
        let dir = std::env::temp_dir().join(format!("houmon-db-upgrade-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.sqlite");
        {
            let mut c = Connection::open(&path).unwrap();
            schema::SCHEMA.migrate_to(&mut c, 1).unwrap();
            c.execute_batch(
                "INSERT INTO patients (patient_id, name, address, birth_date) VALUES ('p1', '山田 花子', '東京都', '1940-04-01');
                 INSERT INTO devices (device_id, name, token, registered_at) VALUES ('d1', 'phone', 'tok', 't');
                 INSERT INTO results (patient_id, checked_at, outcome_json) VALUES ('p1', 't', '{\"outcome\":\"pending\"}');",
            )
            .unwrap();
        }
        let secrets = Arc::new(Secrets::generate());
        let db = Db::open(&path, secrets).unwrap();
        let p = db.read(|c, s| patients::get(c, s, "p1")).unwrap().unwrap();
        assert_eq!(p.personal.name, "山田 花子");
        let raw = std::fs::read(&path).unwrap();
        assert!(
            !raw.windows("山田".len()).any(|w| w == "山田".as_bytes()),
            "no clear name in the file"
        );
        let auth = db.read(|c, _| devices::by_token(c, "tok", Utc::now())).unwrap();
        assert_eq!(
            auth.map(|a| a.device_id),
            Some("d1".into()),
            "the old token, hashed, still works"
        );
        drop(db);
        assert!(
            matches!(Db::open(&path, Arc::new(Secrets::generate())), Err(DbError::Sealed { .. })),
            "another key is refused at open"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
