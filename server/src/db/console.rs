// SPDX-License-Identifier: MPL-2.0
//! The console's tables: staff passwords, sessions (and the addresses they
//! were opened from), resolved
//! follow-ups, and what phones report about their queues.

use super::engine::Conn;
use crate::params;
use chrono::{DateTime, Duration, Utc};

use super::{parse_ts, ts, DbResult};

/// An address an account logged in from within this long is its own:
/// guessing the account from elsewhere does not hold a login from there
/// back (`limiter.rs`).
pub const KNOWN_ADDRESS_FOR: Duration = Duration::days(180);
/// A session ends after this long without use, and after a working day at most.
pub const SESSION_IDLE: Duration = Duration::minutes(30);
pub const SESSION_MAX: Duration = Duration::hours(12);

pub fn set_password(c: Conn<'_>, staff_id: &str, hash: &str) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE staff SET password_hash = ?2 WHERE staff_id = ?1",
        params![staff_id, hash],
    )? == 1)
}

/// The stored hash of an account, and whether it is disabled. (Accounts
/// are not locked: guessing is slowed by `limiter.rs`; the `failed_logins`
/// and `locked_until` columns of schema step 4 are no longer used.)
pub struct Credentials {
    pub password_hash: Option<String>,
    pub disabled: bool,
}

pub fn credentials(c: Conn<'_>, staff_id: &str) -> DbResult<Option<Credentials>> {
    c.query_opt(
        "SELECT password_hash, disabled_at IS NOT NULL FROM staff WHERE staff_id = ?1",
        params![staff_id],
        |r| Ok(Credentials { password_hash: r.get(0)?, disabled: r.get(1)? }),
    )
}

/// Clears what an older server counted against the account.
pub fn unlock(c: Conn<'_>, staff_id: &str) -> DbResult<()> {
    c.execute(
        "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE staff_id = ?1",
        params![staff_id],
    )?;
    Ok(())
}

/// Whether `staff_id` opened a session from `address` since `since`.
pub fn known_address(
    c: Conn<'_>,
    staff_id: &str,
    address: &str,
    since: DateTime<Utc>,
) -> DbResult<bool> {
    Ok(c
        .query_opt(
            "SELECT 1 FROM console_session WHERE staff_id = ?1 AND address = ?2 AND created_at >= ?3 LIMIT 1",
            params![staff_id, address, ts(since)],
            |_| Ok(()),
        )?
        .is_some())
}

/// A new session of `staff_id`, opened from `address` (a source as
/// `peer.rs` writes it); `pending`: the second-factor step it must take
/// before it opens any page (`code` or `setup`), if any.
pub fn create_session(
    c: Conn<'_>,
    token_hash: &str,
    staff_id: &str,
    csrf: &str,
    address: &str,
    pending: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "INSERT INTO console_session (token_hash, staff_id, csrf, created_at, expires_at, last_seen_at, address, pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
        params![token_hash, staff_id, csrf, ts(now), ts(now + SESSION_MAX), address, pending],
    )?;
    Ok(())
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub staff_id: String,
    pub csrf: String,
    pub pending: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A session by its token's hash: `Ok(Some)` live, `Ok(None)` unknown or
/// ended. A session that outlived its idle time or its working day is
/// ended here (and [`sweep`] records it).
pub fn session(c: Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> DbResult<Option<Live>> {
    let row: Option<(String, String, String, String, Option<String>, String)> = c.query_opt(
        "SELECT staff_id, csrf, expires_at, last_seen_at, pending, created_at FROM console_session
             WHERE token_hash = ?1 AND ended_at IS NULL",
        params![token_hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )?;
    let Some((staff_id, csrf, expires, seen, pending, created)) = row else { return Ok(None) };
    let idle = if pending.is_some() { PENDING_IDLE } else { SESSION_IDLE };
    let live = parse_ts(&expires).is_some_and(|e| now < e)
        && parse_ts(&seen).is_some_and(|s| now - s < idle);
    Ok(live.then(|| Live {
        staff_id,
        csrf,
        pending,
        created_at: parse_ts(&created).unwrap_or(now),
    }))
}

/// How long a session waits for its second factor.
pub const PENDING_IDLE: Duration = Duration::minutes(5);

/// The second factor was given: the session opens pages from now on.
pub fn clear_pending(c: Conn<'_>, token_hash: &str) -> DbResult<()> {
    c.execute(
        "UPDATE console_session SET pending = NULL WHERE token_hash = ?1",
        params![token_hash],
    )?;
    Ok(())
}

/// A session that ended by itself (idle, or its day was over): whose,
/// when it began and when it was last used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    pub staff_id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// It never got past its second factor.
    pub pending: bool,
}

/// Ends the sessions that timed out (no use for their idle time, or past
/// their working day) and returns them, each once, for the audit trail.
pub fn sweep(c: Conn<'_>, now: DateTime<Utc>) -> DbResult<Vec<TimedOut>> {
    let rows: Vec<(String, String, String, String, String, Option<String>)> = c.query_all(
        "SELECT token_hash, staff_id, created_at, last_seen_at, expires_at, pending
         FROM console_session WHERE ended_at IS NULL",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
    )?;
    let mut out = Vec::new();
    for (hash, staff_id, created, seen, expires, pending) in rows {
        let (Some(created), Some(seen), Some(expires)) =
            (parse_ts(&created), parse_ts(&seen), parse_ts(&expires))
        else {
            continue;
        };
        let idle = if pending.is_some() { PENDING_IDLE } else { SESSION_IDLE };
        if now < expires && now - seen < idle {
            continue;
        }
        let ended = (seen + idle).min(expires);
        let n = c.execute(
            "UPDATE console_session SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
            params![hash, ts(ended)],
        )?;
        if n == 1 {
            out.push(TimedOut {
                staff_id,
                created_at: created,
                last_seen_at: seen,
                pending: pending.is_some(),
            });
        }
    }
    Ok(out)
}

pub fn touch_session(c: Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE console_session SET last_seen_at = ?2 WHERE token_hash = ?1",
        params![token_hash, ts(now)],
    )?;
    Ok(())
}

pub fn end_session(c: Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE console_session SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
        params![token_hash, ts(now)],
    )?;
    Ok(())
}

/// Ends every session of a staff member (password change, account disabled).
pub fn end_sessions_of(c: Conn<'_>, staff_id: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "UPDATE console_session SET ended_at = ?2 WHERE staff_id = ?1 AND ended_at IS NULL",
        params![staff_id, ts(now)],
    )?;
    Ok(())
}

/// A resolved follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub kind: String,
    pub item: String,
    pub outcome: String,
    pub note: String,
    pub resolved_by: String,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub fn resolve(c: Conn<'_>, r: &Resolution, now: DateTime<Utc>) -> DbResult<bool> {
    Ok(c.execute(
        &format!(
            "INSERT INTO follow_up_resolution (kind, item, outcome, note, resolved_by, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT({}) DO NOTHING",
            c.key("kind, item")
        ),
        params![r.kind, r.item, r.outcome, r.note, r.resolved_by, ts(now)],
    )? == 1)
}

pub fn resolutions(c: Conn<'_>) -> DbResult<Vec<Resolution>> {
    c.query_all(
        "SELECT kind, item, outcome, note, resolved_by, resolved_at FROM follow_up_resolution
         ORDER BY resolved_at DESC",
        params![],
        |r| {
            Ok(Resolution {
                kind: r.get(0)?,
                item: r.get(1)?,
                outcome: r.get(2)?,
                note: r.get(3)?,
                resolved_by: r.get(4)?,
                resolved_at: r.get::<String>(5).ok().as_deref().and_then(parse_ts),
            })
        },
    )
}

/// A record a phone reported it could not deliver (wedged), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    pub device_id: String,
    pub record_id: String,
    pub reason: String,
    pub reported_at: Option<DateTime<Utc>>,
}

/// Replaces what `device_id` reported last: its pending count and the
/// records it could not deliver.
pub fn report_queue(
    c: Conn<'_>,
    device_id: &str,
    pending: u32,
    wedged: &[(String, String)],
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "UPDATE device SET pending_count = ?2, reported_at = ?3 WHERE device_id = ?1",
        params![device_id, pending, ts(now)],
    )?;
    c.execute("DELETE FROM undelivered WHERE device_id = ?1", params![device_id])?;
    for (id, reason) in wedged {
        c.execute(
        &format!(
            "INSERT INTO undelivered (device_id, record_id, reason, reported_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT({}) DO UPDATE SET reason = excluded.reason",
            c.key("device_id, record_id")
        ),
            params![device_id, id, reason, ts(now)],
        )?;
    }
    Ok(())
}

pub fn undelivered(c: Conn<'_>) -> DbResult<Vec<Undelivered>> {
    c.query_all("SELECT device_id, record_id, reason, reported_at FROM undelivered ORDER BY reported_at, record_id", params![], |r| {
        Ok(Undelivered {
            device_id: r.get(0)?,
            record_id: r.get(1)?,
            reason: r.get(2)?,
            reported_at: r.get::<String>(3).ok().as_deref().and_then(parse_ts),
        })
    })
}

/// A device's last report: its id, the pending count, when.
pub type DeviceReport = (String, Option<i64>, Option<DateTime<Utc>>);

/// Each device's last report.
pub fn device_reports(c: Conn<'_>) -> DbResult<Vec<DeviceReport>> {
    c.query_all(
        "SELECT device_id, pending_count, reported_at FROM device ORDER BY device_id",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<Option<String>>(2)?.as_deref().and_then(parse_ts))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::staff::{self, Role};

    fn db() -> rusqlite::Connection {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::SCHEMA.migrate(&mut c).unwrap();
        c
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + secs, 0).unwrap()
    }

    fn with_staff(c: Conn<'_>, id: &str) {
        staff::upsert(c, id, id, Role::Clerk, t(0)).unwrap();
    }

    fn live(c: Conn<'_>, token: &str, at: DateTime<Utc>) -> bool {
        session(c, token, at).unwrap().is_some()
    }

    #[test]
    fn a_session_unused_for_30_minutes_is_over() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        create_session(c, "tok", "s1", "csrf-1", "127.0.0.1", None, t(0)).unwrap();
        let s = session(c, "tok", t(0)).unwrap().unwrap();
        assert_eq!((s.staff_id.as_str(), s.csrf.as_str(), s.pending), ("s1", "csrf-1", None));
        let idle = SESSION_IDLE.num_seconds();
        assert!(live(c, "tok", t(idle - 1)), "29:59 after the last use");
        assert!(!live(c, "tok", t(idle)), "30:00 after the last use");
        assert!(!live(c, "tok", t(idle + 3600)), "an hour later");
        assert!(!live(c, "other", t(1)), "an unknown token");
    }

    #[test]
    fn using_a_session_keeps_it_alive_but_never_past_12_hours() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        create_session(c, "tok", "s1", "csrf", "127.0.0.1", None, t(0)).unwrap();
        let (idle, max) = (SESSION_IDLE.num_seconds(), SESSION_MAX.num_seconds());
        // Used every 20 minutes all day.
        let mut at = 0;
        while at + 1200 < max {
            at += 1200;
            assert!(live(c, "tok", t(at)), "used at {at} s");
            touch_session(c, "tok", t(at)).unwrap();
        }
        assert!(at + idle > max, "the last use leaves idle time past the limit");
        assert!(live(c, "tok", t(max - 1)), "11:59:59 after the login");
        assert!(!live(c, "tok", t(max)), "12:00:00 after the login, though used just now");
        touch_session(c, "tok", t(max)).unwrap();
        assert!(!live(c, "tok", t(max + 1)), "a touch does not revive it");
    }

    #[test]
    fn an_ended_session_is_over_and_ending_all_of_a_staff_members_spares_the_others() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        with_staff(c, "s2");
        create_session(c, "a", "s1", "x", "127.0.0.1", None, t(0)).unwrap();
        create_session(c, "b", "s1", "x", "127.0.0.1", None, t(0)).unwrap();
        create_session(c, "c", "s2", "x", "127.0.0.1", None, t(0)).unwrap();
        end_session(c, "a", t(1)).unwrap();
        assert!(!live(c, "a", t(2)) && live(c, "b", t(2)) && live(c, "c", t(2)));
        end_sessions_of(c, "s1", t(3)).unwrap();
        assert!(!live(c, "b", t(4)), "s1's other session ended");
        assert!(live(c, "c", t(4)), "s2's session is untouched");
        assert_eq!(ended_at(c, "a"), ts(t(1)), "ending again keeps the first time");
    }

    #[test]
    fn a_timed_out_session_is_swept_once_with_how_long_it_was_used() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        create_session(c, "tok", "s1", "x", "127.0.0.1", None, t(0)).unwrap();
        create_session(c, "half", "s1", "y", "127.0.0.1", Some("code"), t(0)).unwrap();
        assert!(sweep(c, t(200)).unwrap().is_empty(), "both still live");
        // The half-logged-in one waits 5 minutes for its second factor.
        let half = sweep(c, t(301)).unwrap();
        assert_eq!(half.len(), 1);
        assert!(half[0].pending);
        touch_session(c, "tok", t(600)).unwrap();
        let idle = SESSION_IDLE.num_seconds();
        let out = sweep(c, t(600 + idle)).unwrap();
        assert_eq!(out.len(), 1);
        let full = out.iter().find(|o| !o.pending).unwrap();
        assert_eq!((full.last_seen_at - full.created_at).num_seconds(), 600);
        assert!(sweep(c, t(700 + idle)).unwrap().is_empty(), "recorded once");
        assert!(!live(c, "tok", t(1)), "ended");
        assert_eq!(ended_at(c, "tok"), ts(t(600 + idle)), "ended when it went idle");
        assert_eq!(ended_at(c, "half"), ts(t(300)), "5 minutes after it began");
    }

    fn ended_at(c: Conn<'_>, token_hash: &str) -> String {
        let ended: Vec<String> = c
            .query_all(
                "SELECT ended_at FROM console_session WHERE token_hash = ?1",
                params![token_hash],
                |r| r.get(0),
            )
            .unwrap();
        ended.into_iter().next().expect("the session")
    }

    #[test]
    fn the_sweep_ends_a_session_at_its_12_hours_as_the_login_check_does() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        create_session(c, "tok", "s1", "x", "127.0.0.1", None, t(0)).unwrap();
        let max = SESSION_MAX.num_seconds();
        touch_session(c, "tok", t(max - 60)).unwrap();
        assert!(sweep(c, t(max - 1)).unwrap().is_empty(), "11:59:59: still live");
        let out = sweep(c, t(max)).unwrap();
        assert_eq!(out.len(), 1, "12:00:00: over, as `session` says");
        assert!(!live(c, "tok", t(max)));
        assert_eq!(ended_at(c, "tok"), ts(t(max)), "at its 12 hours, not at its idle time");
    }

    #[test]
    fn a_password_is_set_only_for_a_known_staff_member() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        assert!(!set_password(c, "nobody", "h").unwrap());
        assert!(set_password(c, "s1", "hash-1").unwrap());
        let creds = credentials(c, "s1").unwrap().unwrap();
        assert_eq!(creds.password_hash.as_deref(), Some("hash-1"));
        assert!(!creds.disabled);
        assert!(credentials(c, "nobody").unwrap().is_none());
    }

    #[test]
    fn a_follow_up_is_resolved_once_and_resolutions_list_newest_first() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        let r = |item: &str, note: &str| Resolution {
            kind: "held-card".into(),
            item: item.into(),
            outcome: "rejected".into(),
            note: note.into(),
            resolved_by: "s1".into(),
            resolved_at: None,
        };
        assert!(resolve(c, &r("v1", "first"), t(1)).unwrap());
        assert!(!resolve(c, &r("v1", "again"), t(2)).unwrap(), "resolved once");
        assert!(resolve(c, &r("v2", "second"), t(3)).unwrap());
        let all = resolutions(c).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].item.as_str(), all[0].resolved_at), ("v2", Some(t(3))));
        assert_eq!((all[1].item.as_str(), all[1].note.as_str()), ("v1", "first"));
    }

    #[test]
    fn a_queue_report_replaces_the_devices_last_one() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        for d in ["d1", "d2"] {
            c.execute(
                "INSERT INTO device (device_id, name, staff_id, token_hash, token_expires_at, registered_at)
                 VALUES (?1, 'phone', 's1', ?1, ?2, ?2)",
                params![d, ts(t(0))],
            )
            .unwrap();
        }
        let wedged = |ids: &[&str]| -> Vec<(String, String)> {
            ids.iter().map(|i| (i.to_string(), format!("not-assigned: {i}"))).collect()
        };
        report_queue(c, "d1", 3, &wedged(&["r1", "r2"]), t(5)).unwrap();
        report_queue(c, "d2", 0, &wedged(&["r9"]), t(6)).unwrap();
        report_queue(c, "d1", 1, &wedged(&["r2"]), t(7)).unwrap();
        let u = undelivered(c).unwrap();
        let seen: Vec<(&str, &str, Option<DateTime<Utc>>)> =
            u.iter().map(|u| (u.device_id.as_str(), u.record_id.as_str(), u.reported_at)).collect();
        assert_eq!(seen, [("d2", "r9", Some(t(6))), ("d1", "r2", Some(t(7)))]);
        assert_eq!(u[1].reason, "not-assigned: r2");
        assert_eq!(
            device_reports(c).unwrap(),
            [("d1".into(), Some(1), Some(t(7))), ("d2".into(), Some(0), Some(t(6)))]
        );
    }
}
