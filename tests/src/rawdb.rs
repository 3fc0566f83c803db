// SPDX-License-Identifier: MPL-2.0
//! The clinic's database as someone outside the server sees it: a
//! connection of their own — the SQLite file, or a PostgreSQL login bound
//! to the clinic — for the tests that tamper with rows or look for clear
//! text where only sealed bytes belong.

use std::io::Read;

use houmon_server::db::backend::{off_async, pg_connect, sqlite_connect};
use houmon_server::db::engine::{Conn, Value};
use houmon_server::Config;

/// Whether the clinic keeps its data in PostgreSQL.
pub fn is_postgres(config: &Config) -> bool {
    config.database.is_some()
}

/// Runs `f` on a connection of its own to the clinic's database.
pub fn with_raw<T>(config: &Config, f: impl FnOnce(Conn<'_>) -> T) -> T {
    off_async(|| match &config.database {
        Some(pg) => {
            let conn = std::cell::RefCell::new(pg_connect(pg).expect("a PostgreSQL connection"));
            f(Conn::Pg(&conn))
        }
        None => {
            let conn = sqlite_connect(&config.db_path()).expect("the SQLite file opens");
            f(Conn::Sqlite(&conn))
        }
    })
}

/// Every byte the clinic's data occupies: the SQLite file and its
/// write-ahead log, or on PostgreSQL every value of every row of the
/// clinic's (text as UTF-8, byte strings as they are, numbers in decimal).
pub fn stored_bytes(config: &Config) -> Vec<u8> {
    let mut all = Vec::new();
    if !is_postgres(config) {
        for suffix in ["", "-wal"] {
            let mut p = config.db_path().into_os_string();
            p.push(suffix);
            if let Ok(mut f) = std::fs::File::open(&p) {
                f.read_to_end(&mut all).unwrap();
            }
        }
        return all;
    }
    with_raw(config, |c| {
        let tables: Vec<String> = c
            .query_all(
                "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema()",
                &[],
                |r| r.get(0),
            )
            .unwrap();
        for table in tables {
            let rows =
                c.query_all(&format!("SELECT * FROM {table}"), &[], |r| Ok(r.0.clone())).unwrap();
            for value in rows.into_iter().flatten() {
                match value {
                    Value::Text(t) => all.extend_from_slice(t.as_bytes()),
                    Value::Bytes(b) => all.extend_from_slice(&b),
                    Value::Int(i) => all.extend_from_slice(i.to_string().as_bytes()),
                    other => all.extend_from_slice(format!("{other:?}").as_bytes()),
                }
                all.push(0);
            }
        }
        all
    })
}
