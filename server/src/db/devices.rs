// SPDX-License-Identifier: MPL-2.0
//! Devices and their credentials.
//!
//! - **Enrolment codes** are issued by staff for one device (and the staff
//!   member who will carry it), expire in minutes, work once, and are
//!   stored as an HMAC under the server key, never in clear.
//! - **A registered device id cannot be registered again** by an ordinary
//!   code. A *revoked* device comes back only with a code an administrator
//!   issued for that device id (`for_device`): their choice, audited; a
//!   device that is not revoked cannot be taken over at all.
//! - **Tokens** carry 256 random bits, are stored as SHA-256, expire
//!   ([`TOKEN_LIFETIME`]) and are rotated by the phone before they do; the
//!   token before a rotation still works for [`ROTATION_GRACE`], so a lost
//!   answer to a rotation is harmless. A revoked device is refused at once,
//!   and so is a device of a disabled staff member (while they are).

use super::engine::Conn;
use crate::params;
use chrono::{DateTime, Duration, Utc};

use super::{parse_ts, ts, DbResult};
use crate::secrets::token_hash;

/// How long a device token is good for.
pub const TOKEN_LIFETIME: Duration = Duration::days(30);
/// How long the token before a rotation keeps working.
pub const ROTATION_GRACE: Duration = Duration::hours(24);

/// Who is calling, from a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: String,
    /// The staff member the device was enrolled for.
    pub staff_id: String,
    pub token_expires_at: DateTime<Utc>,
    /// The caller used the token from before the last rotation.
    pub previous_token: bool,
    /// When the device was last seen (updated at most once a minute).
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// How stale `last_seen_at` may get before a request updates it: the
/// devices screen does not need it to the second, and a write per request
/// would double the server's durable writes.
pub const LAST_SEEN_GRANULARITY: Duration = Duration::minutes(1);

/// Why an enrolment code did not register a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
    /// The device id is registered already (and the code was not issued
    /// to enrol this revoked device again).
    DeviceExists,
    /// The code is for a staff member who is disabled.
    StaffDisabled,
    /// The code was issued to enrol another (revoked) device again.
    OtherDevice,
}

/// A device registered by a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// The staff member the device is for.
    pub staff_id: String,
    /// A revoked device enrolled again (the administrator's choice).
    pub again: bool,
}

/// Stores a code for a device `staff_id` will carry. `for_device`: the
/// revoked device this code enrols again (checked by the caller, and again
/// when it is used).
pub fn issue_code(
    c: Conn<'_>,
    code_hash: &str,
    staff_id: &str,
    for_device: Option<&str>,
    issued_by: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "INSERT INTO enrolment_code (code_hash, staff_id, for_device, issued_by, issued_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![code_hash, staff_id, for_device, issued_by, ts(now), ts(expires_at)],
    )?;
    Ok(())
}

/// Ends the unused enrolment codes issued for `staff_id` (a staff member
/// disabled). Returns how many.
pub fn void_codes_of(c: Conn<'_>, staff_id: &str, now: DateTime<Utc>) -> DbResult<u64> {
    c.execute(
        "UPDATE enrolment_code SET expires_at = ?2
         WHERE staff_id = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![staff_id, ts(now)],
    )
}

/// Whether `device_id` is registered, and whether it is revoked.
pub fn state(c: Conn<'_>, device_id: &str) -> DbResult<Option<bool>> {
    c.query_opt(
        "SELECT revoked_at IS NOT NULL FROM device WHERE device_id = ?1",
        params![device_id],
        |r| r.get(0),
    )
}

/// Uses an enrolment code to register `device_id` with a new token (or,
/// with a code issued for it, to register a revoked device again).
pub fn redeem(
    c: Conn<'_>,
    code_hash: &str,
    device_id: &str,
    name: &str,
    token: &str,
    now: DateTime<Utc>,
) -> DbResult<Result<Redeemed, RedeemRefusal>> {
    type CodeRow = (String, String, Option<String>, Option<String>);
    let code: Option<CodeRow> = c.query_opt(
        "SELECT staff_id, expires_at, used_at, for_device FROM enrolment_code WHERE code_hash = ?1",
        params![code_hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some((staff_id, expires, used, for_device)) = code else {
        return Ok(Err(RedeemRefusal::Unknown));
    };
    if used.is_some() {
        return Ok(Err(RedeemRefusal::AlreadyUsed));
    }
    if parse_ts(&expires).is_none_or(|e| now > e) {
        return Ok(Err(RedeemRefusal::Expired));
    }
    let disabled: Option<bool> = c.query_opt(
        "SELECT disabled_at IS NOT NULL FROM staff WHERE staff_id = ?1",
        params![staff_id],
        |r| r.get(0),
    )?;
    if disabled == Some(true) {
        return Ok(Err(RedeemRefusal::StaffDisabled));
    }
    if for_device.as_deref().is_some_and(|d| d != device_id) {
        return Ok(Err(RedeemRefusal::OtherDevice));
    }
    let again = match (state(c, device_id)?, &for_device) {
        (None, _) => false,
        (Some(true), Some(_)) => true,
        (Some(_), _) => return Ok(Err(RedeemRefusal::DeviceExists)),
    };
    c.execute(
        "UPDATE enrolment_code SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
        params![code_hash, ts(now), device_id],
    )?;
    if again {
        c.execute(
            "UPDATE device SET name = ?2, staff_id = ?3, registered_at = ?4, token_hash = ?5,
             token_expires_at = ?6, previous_token_hash = NULL, previous_token_expires_at = NULL,
             revoked_at = NULL, revoked_by = NULL, last_seen_at = ?4
             WHERE device_id = ?1 AND revoked_at IS NOT NULL",
            params![
                device_id,
                name,
                staff_id,
                ts(now),
                token_hash(token),
                ts(now + TOKEN_LIFETIME)
            ],
        )?;
    } else {
        c.execute(
            "INSERT INTO device (device_id, name, staff_id, registered_at, token_hash, token_expires_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)",
            params![device_id, name, staff_id, ts(now), token_hash(token), ts(now + TOKEN_LIFETIME)],
        )?;
    }
    Ok(Ok(Redeemed { staff_id, again }))
}

/// device, staff, expiry, previous token's expiry, revoked, matched the previous token, last seen
type TokenRow =
    (String, String, Option<String>, Option<String>, Option<String>, bool, Option<String>);

/// The device a bearer token belongs to, if it is valid now.
pub fn by_token(c: Conn<'_>, token: &str, now: DateTime<Utc>) -> DbResult<Option<DeviceAuth>> {
    let hash = token_hash(token);
    let row: Option<TokenRow> = c.query_opt(
        "SELECT device_id, staff_id, token_expires_at, previous_token_expires_at, revoked_at,
                    previous_token_hash = ?1, last_seen_at
             FROM device WHERE (token_hash = ?1 OR previous_token_hash = ?1)
               AND NOT EXISTS (SELECT 1 FROM staff
                               WHERE staff.staff_id = device.staff_id AND staff.disabled_at IS NOT NULL)",
        params![hash],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<Option<bool>>(5)?.unwrap_or(false),
                r.get(6)?,
            ))
        },
    )?;
    let Some((device_id, staff_id, expires, prev_expires, revoked, previous, seen)) = row else {
        return Ok(None);
    };
    if revoked.is_some() {
        return Ok(None);
    }
    let valid_until = if previous { prev_expires } else { expires.clone() };
    if valid_until.as_deref().and_then(parse_ts).is_none_or(|t| now > t) {
        return Ok(None);
    }
    let token_expires_at = expires.as_deref().and_then(parse_ts).unwrap_or(now);
    Ok(Some(DeviceAuth {
        device_id,
        staff_id,
        token_expires_at,
        previous_token: previous,
        last_seen_at: seen.as_deref().and_then(parse_ts),
    }))
}

pub fn touch(c: Conn<'_>, device_id: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE device SET last_seen_at = ?2 WHERE device_id = ?1",
        params![device_id, ts(now)],
    )?;
    Ok(())
}

/// A new token for the device. Authenticated by the current token, that
/// one becomes the previous token (working for [`ROTATION_GRACE`]);
/// authenticated by the previous token (the answer to an earlier rotation
/// was lost), only the current token is replaced.
pub fn rotate(
    c: Conn<'_>,
    auth: &DeviceAuth,
    new_token: &str,
    now: DateTime<Utc>,
) -> DbResult<DateTime<Utc>> {
    let expires = now + TOKEN_LIFETIME;
    if auth.previous_token {
        c.execute(
            "UPDATE device SET token_hash = ?2, token_expires_at = ?3 WHERE device_id = ?1",
            params![auth.device_id, token_hash(new_token), ts(expires)],
        )?;
    } else {
        c.execute(
            "UPDATE device SET previous_token_hash = token_hash, previous_token_expires_at = ?4,
             token_hash = ?2, token_expires_at = ?3 WHERE device_id = ?1",
            params![auth.device_id, token_hash(new_token), ts(expires), ts(now + ROTATION_GRACE)],
        )?;
    }
    Ok(expires)
}

/// Revokes a device at once (a lost phone). Returns whether it existed.
pub fn revoke(c: Conn<'_>, device_id: &str, by: &str, now: DateTime<Utc>) -> DbResult<bool> {
    let n = c.execute(
        "UPDATE device SET revoked_at = ?2, revoked_by = ?3, token_hash = NULL, previous_token_hash = NULL
         WHERE device_id = ?1 AND revoked_at IS NULL",
        params![device_id, ts(now), by],
    )?;
    Ok(n == 1)
}

/// A device as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub device_id: String,
    pub name: String,
    pub staff_id: String,
    pub registered_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn list(c: Conn<'_>) -> DbResult<Vec<DeviceRow>> {
    let t = |v: Option<String>| v.as_deref().and_then(parse_ts);
    c.query_all(
        "SELECT device_id, name, staff_id, registered_at, last_seen_at, token_expires_at, revoked_at
         FROM device ORDER BY device_id",
        params![],
        |r| {
        Ok(DeviceRow {
            device_id: r.get(0)?,
            name: r.get(1)?,
            staff_id: r.get(2)?,
            registered_at: t(r.get(3)?),
            last_seen_at: t(r.get(4)?),
            token_expires_at: t(r.get(5)?),
            revoked_at: t(r.get(6)?),
        })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> rusqlite::Connection {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::SCHEMA.migrate(&mut c).unwrap();
        c
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_code_works_once_before_it_expires_and_never_takes_over_a_device() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        issue_code(c, "h1", "nurse-7", None, "admin-1", t(0), t(900)).unwrap();
        assert_eq!(
            redeem(c, "nope", "d1", "phone", "tok", t(1)).unwrap(),
            Err(RedeemRefusal::Unknown)
        );
        assert_eq!(
            redeem(c, "h1", "d1", "phone", "tok", t(901)).unwrap(),
            Err(RedeemRefusal::Expired)
        );
        assert_eq!(
            redeem(c, "h1", "d1", "phone", "tok", t(10)).unwrap(),
            Ok(Redeemed { staff_id: "nurse-7".into(), again: false })
        );
        assert_eq!(
            redeem(c, "h1", "d2", "phone", "tok2", t(11)).unwrap(),
            Err(RedeemRefusal::AlreadyUsed)
        );
        issue_code(c, "h2", "nurse-8", None, "admin-1", t(0), t(900)).unwrap();
        assert_eq!(
            redeem(c, "h2", "d1", "attacker", "tok3", t(12)).unwrap(),
            Err(RedeemRefusal::DeviceExists),
            "a second code does not take d1 over"
        );
        let stored: String =
            c.query_one("SELECT token_hash FROM device", params![], |r| r.get(0)).unwrap();
        assert_ne!(stored, "tok", "tokens are stored hashed");
        // A code still works at the second it expires (h1 above: not one after).
        issue_code(c, "h3", "nurse-9", None, "admin-1", t(0), t(900)).unwrap();
        assert!(redeem(c, "h3", "d3", "phone", "tok3", t(900)).unwrap().is_ok(), "at expiry");
    }

    #[test]
    fn a_revoked_device_comes_back_only_with_a_code_issued_for_it() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        issue_code(c, "first", "nurse-7", None, "admin", t(0), t(900)).unwrap();
        redeem(c, "first", "d1", "phone", "old", t(1)).unwrap().unwrap();
        issue_code(c, "early", "nurse-7", Some("d1"), "admin", t(2), t(900)).unwrap();
        assert_eq!(
            redeem(c, "early", "d1", "phone", "x", t(3)).unwrap(),
            Err(RedeemRefusal::DeviceExists),
            "a device that is not revoked is never taken over"
        );
        assert!(revoke(c, "d1", "admin", t(4)).unwrap());
        issue_code(c, "plain", "nurse-7", None, "admin", t(5), t(900)).unwrap();
        assert_eq!(
            redeem(c, "plain", "d1", "phone", "x", t(6)).unwrap(),
            Err(RedeemRefusal::DeviceExists)
        );
        issue_code(c, "again", "nurse-8", Some("d1"), "admin", t(7), t(900)).unwrap();
        assert_eq!(
            redeem(c, "again", "d2", "phone", "x", t(8)).unwrap(),
            Err(RedeemRefusal::OtherDevice)
        );
        assert_eq!(
            redeem(c, "again", "d1", "phone 2", "new", t(9)).unwrap(),
            Ok(Redeemed { staff_id: "nurse-8".into(), again: true })
        );
        assert!(by_token(c, "old", t(10)).unwrap().is_none(), "the revoked token stays dead");
        let auth = by_token(c, "new", t(10)).unwrap().unwrap();
        assert_eq!(auth.staff_id, "nurse-8");
        assert_eq!(state(c, "d1").unwrap(), Some(false));
    }

    #[test]
    fn tokens_expire_rotate_with_a_grace_and_revoke_at_once() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        issue_code(c, "h", "nurse-7", None, "admin", t(0), t(900)).unwrap();
        redeem(c, "h", "d1", "phone", "old", t(1)).unwrap().unwrap();
        let auth = by_token(c, "old", t(2)).unwrap().unwrap();
        assert_eq!((auth.device_id.as_str(), auth.staff_id.as_str()), ("d1", "nurse-7"));
        assert!(by_token(c, "old", t(1) + TOKEN_LIFETIME + Duration::seconds(1))
            .unwrap()
            .is_none());
        assert!(by_token(c, "old", t(1) + TOKEN_LIFETIME).unwrap().is_some(), "at expiry");
        rotate(c, &auth, "new", t(3)).unwrap();
        assert!(by_token(c, "new", t(4)).unwrap().is_some());
        let via_old = by_token(c, "old", t(4)).unwrap().unwrap();
        assert!(via_old.previous_token, "the old token works during the grace");
        // The answer was lost: rotating again with the old token.
        rotate(c, &via_old, "newer", t(5)).unwrap();
        assert!(by_token(c, "old", t(6)).unwrap().is_some(), "still the previous token");
        assert!(by_token(c, "newer", t(6)).unwrap().is_some());
        assert!(by_token(c, "new", t(6)).unwrap().is_none(), "the lost one is gone");
        assert!(by_token(c, "old", t(5) + ROTATION_GRACE + Duration::hours(1)).unwrap().is_none());
        assert!(revoke(c, "d1", "admin", t(7)).unwrap());
        assert!(by_token(c, "newer", t(8)).unwrap().is_none(), "revoked at once");
    }
}
