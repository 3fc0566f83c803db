// SPDX-License-Identifier: MPL-2.0
//! Small clear values the server records for its admin commands (the
//! address and pin it told phones). Nothing secret goes here.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

pub fn put(c: &Connection, key: &str, value: &str) -> DbResult<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![format!("clear:{key}"), value.as_bytes()],
    )?;
    Ok(())
}

pub fn get(c: &Connection, key: &str) -> DbResult<Option<String>> {
    let v: Option<Vec<u8>> = c
        .query_row("SELECT value FROM meta WHERE key = ?1", params![format!("clear:{key}")], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()).filter(|s| !s.is_empty()))
}
