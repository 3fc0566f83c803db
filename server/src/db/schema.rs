// SPDX-License-Identifier: MPL-2.0
//! The server's SQLite file: schema with numbered migrations, and queries.

use rusqlite::{params, Connection, OptionalExtension};

pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE devices (device_id TEXT PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
                           registered_at TEXT NOT NULL);
     CREATE TABLE patients (patient_id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL,
                            birth_date TEXT NOT NULL, insurer_number TEXT, symbol TEXT, number TEXT, branch TEXT,
                            round_day TEXT, consent_until TEXT, enrolled_cert TEXT);
     CREATE TABLE visits (id TEXT PRIMARY KEY, device_id TEXT NOT NULL, patient_id TEXT, received_at TEXT NOT NULL,
                          record_sha256 TEXT NOT NULL, record_json TEXT NOT NULL, warnings TEXT NOT NULL);
     CREATE TABLE nonces (nonce TEXT PRIMARY KEY, visit_id TEXT NOT NULL);
     CREATE TABLE checks (id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, visit_id TEXT, state TEXT NOT NULL,
                          requested_at TEXT NOT NULL, sent_at TEXT, answered_at TEXT, raw_result BLOB);
     CREATE TABLE results (cursor INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, visit_id TEXT,
                           checked_at TEXT NOT NULL, outcome_json TEXT NOT NULL);",
    "ALTER TABLE patients ADD COLUMN facility TEXT;",
];

pub fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn)?;
    Ok(conn)
}

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(v as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(m)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn device_for_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT device_id FROM devices WHERE token = ?1", params![token], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_migrates_from_empty_and_twice_is_harmless() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }
}
