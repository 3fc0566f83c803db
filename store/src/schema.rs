// SPDX-License-Identifier: MPL-2.0
//! The schema, in one place: numbered migrations applied in order by the
//! shared runner (`houmon-migrate`), the version kept in SQLite's
//! `user_version`. Never edit a migration that has shipped; add a new one.
//! `tests` upgrades every old version to the current one with data in it.

use houmon_migrate::Schema;
use rusqlite::Connection;

use crate::StoreError;

/// Migration N (1-based) takes the database from version N-1 to N.
pub const MIGRATIONS: &[&str] = &[
    // 1: the offline queue and a key check.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE outbox (
         id TEXT PRIMARY KEY,
         seq INTEGER NOT NULL UNIQUE,
         created_at TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('pending', 'wedged', 'sent')),
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_at TEXT,
         last_error TEXT,
         wedge_reason TEXT,
         sent_at TEXT,
         payload BLOB NOT NULL
     );",
    // 2: what an item carries (visit records now; others later), an index
    //    for the send loop, the roster and the server's results (sealed).
    "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'visit';
     CREATE INDEX outbox_by_state ON outbox (state, seq);
     CREATE TABLE roster (day TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, payload BLOB NOT NULL);
     CREATE TABLE results (
         cursor INTEGER PRIMARY KEY,
         patient_id TEXT NOT NULL,
         received_at TEXT NOT NULL,
         payload BLOB NOT NULL
     );
     CREATE INDEX results_by_patient ON results (patient_id, cursor);",
    // 3: the day an item belongs to (Japan) and a sealed note of what it
    //    was (the patient, the outcome), so that the day's round is derived
    //    from the queue itself after the app was killed (`queue::day_log`).
    "ALTER TABLE outbox ADD COLUMN day TEXT;
     ALTER TABLE outbox ADD COLUMN note BLOB;
     CREATE INDEX outbox_by_day ON outbox (day, seq);",
];

/// The phone store's schema, run by the shared runner (`houmon-migrate`).
pub const SCHEMA: Schema = Schema { name: "phone store", steps: MIGRATIONS };
pub const CURRENT_VERSION: i64 = SCHEMA.current();

pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(Schema::version(conn)?)
}

/// Brings the database to [`CURRENT_VERSION`], each migration in its own
/// transaction. Refuses a database from a newer app.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    Ok(SCHEMA.migrate(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut st = conn.prepare(&format!("PRAGMA table_info({table})")).unwrap();
        st.query_map([], |r| r.get::<_, String>(1)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn every_old_version_upgrades_to_the_current_one_keeping_its_rows() {
        houmon_migrate::check_upgrades(
            &SCHEMA,
            |conn, v| {
                if v >= 1 {
                    conn.execute(
                        "INSERT INTO outbox (id, seq, created_at, state, payload) VALUES ('v-1', 1, 't', 'pending', x'00')",
                        [],
                    )
                    .unwrap();
                }
            },
            |conn, from| {
                assert!(columns(conn, "outbox").contains(&"kind".to_string()));
                assert!(columns(conn, "outbox").contains(&"day".to_string()));
                assert!(columns(conn, "outbox").contains(&"note".to_string()));
                assert!(columns(conn, "roster").contains(&"payload".to_string()));
                if from >= 1 {
                    let kind: String = conn
                        .query_row("SELECT kind FROM outbox WHERE id = 'v-1'", [], |r| r.get(0))
                        .unwrap();
                    assert_eq!(kind, "visit", "from {from}: old rows get the default");
                }
            },
        );
    }

    #[test]
    fn a_database_from_a_newer_app_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::TooNew { .. })));
    }
}
