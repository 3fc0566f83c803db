// SPDX-License-Identifier: MPL-2.0
//! The second factor of console logins: each staff member's TOTP secret
//! (sealed at rest), whether it was confirmed with a code, the last time
//! step a code was accepted for (RFC 6238 §5.2: a code is accepted once),
//! and one-time recovery codes (only their SHA-256 kept).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::engine::Conn;
use super::{open_sealed, ts, DbResult};
use crate::params;
use crate::secrets::Secrets;

fn aad(staff_id: &str) -> String {
    format!("totp:{staff_id}")
}

/// A staff member's secret and its state.
pub struct Secret {
    pub secret: Zeroizing<Vec<u8>>,
    pub confirmed: bool,
    pub last_step: i64,
}

/// Starts (or starts again) setting up `staff_id`'s second factor with a
/// new secret: not confirmed until a code from it is typed.
pub fn begin(
    c: Conn<'_>,
    s: &Secrets,
    staff_id: &str,
    secret: &[u8],
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        &format!(
            "INSERT INTO staff_totp (staff_id, secret, confirmed_at, last_step, created_at)
             VALUES (?1, ?2, NULL, 0, ?3)
             ON CONFLICT({}) DO UPDATE SET secret = excluded.secret, confirmed_at = NULL,
             last_step = 0, created_at = excluded.created_at",
            c.key("staff_id")
        ),
        params![staff_id, s.seal(secret, &aad(staff_id)), ts(now)],
    )?;
    Ok(())
}

pub fn get(c: Conn<'_>, s: &Secrets, staff_id: &str) -> DbResult<Option<Secret>> {
    let row: Option<(Vec<u8>, Option<String>, i64)> = c.query_opt(
        "SELECT secret, confirmed_at, last_step FROM staff_totp WHERE staff_id = ?1",
        params![staff_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    match row {
        None => Ok(None),
        Some((sealed, confirmed, last_step)) => Ok(Some(Secret {
            secret: open_sealed(s, &sealed, &aad(staff_id))?,
            confirmed: confirmed.is_some(),
            last_step,
        })),
    }
}

/// Accepts the code of time step `step` once: false when a code of this
/// step (or a later one) was accepted already.
pub fn accept_step(c: Conn<'_>, staff_id: &str, step: i64, now: DateTime<Utc>) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE staff_totp SET last_step = ?2, confirmed_at = COALESCE(confirmed_at, ?3)
         WHERE staff_id = ?1 AND last_step < ?2",
        params![staff_id, step, ts(now)],
    )? == 1)
}

/// Takes away `staff_id`'s second factor and recovery codes (a lost
/// phone): it is set up again at the next login.
pub fn remove(c: Conn<'_>, staff_id: &str) -> DbResult<bool> {
    c.execute("DELETE FROM staff_recovery_code WHERE staff_id = ?1", params![staff_id])?;
    Ok(c.execute("DELETE FROM staff_totp WHERE staff_id = ?1", params![staff_id])? == 1)
}

/// The staff members whose second factor is set up.
pub fn confirmed(c: Conn<'_>) -> DbResult<HashSet<String>> {
    Ok(c.query_all(
        "SELECT staff_id FROM staff_totp WHERE confirmed_at IS NOT NULL",
        params![],
        |r| r.get::<String>(0),
    )?
    .into_iter()
    .collect())
}

/// Replaces `staff_id`'s recovery codes with these (their hashes).
pub fn set_recovery_codes(
    c: Conn<'_>,
    staff_id: &str,
    hashes: &[String],
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute("DELETE FROM staff_recovery_code WHERE staff_id = ?1", params![staff_id])?;
    for h in hashes {
        c.execute(
            "INSERT INTO staff_recovery_code (staff_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
            params![staff_id, h, ts(now)],
        )?;
    }
    Ok(())
}

/// Uses a recovery code (by its hash) once.
pub fn use_recovery_code(
    c: Conn<'_>,
    staff_id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE staff_recovery_code SET used_at = ?3
         WHERE staff_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        params![staff_id, hash, ts(now)],
    )? == 1)
}

/// How many unused recovery codes `staff_id` has.
pub fn recovery_left(c: Conn<'_>, staff_id: &str) -> DbResult<i64> {
    c.query_one(
        "SELECT COUNT(*) FROM staff_recovery_code WHERE staff_id = ?1 AND used_at IS NULL",
        params![staff_id],
        |r| r.get(0),
    )
}
