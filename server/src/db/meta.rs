// SPDX-License-Identifier: MPL-2.0
//! Small clear values the server records for its admin commands (the
//! address and pin it told phones). Nothing secret goes here.

use super::engine::Conn;
use crate::params;

use super::DbResult;

pub fn put(c: Conn<'_>, key: &str, value: &str) -> DbResult<()> {
    c.execute(
        &format!(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT({}) DO UPDATE SET value = excluded.value",
            c.key("key")
        ),
        params![format!("clear:{key}"), value.as_bytes()],
    )?;
    Ok(())
}

pub fn get(c: Conn<'_>, key: &str) -> DbResult<Option<String>> {
    let v: Option<Vec<u8>> = c.query_opt(
        "SELECT value FROM meta WHERE key = ?1",
        params![format!("clear:{key}")],
        |r| r.get(0),
    )?;
    Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()).filter(|s| !s.is_empty()))
}
