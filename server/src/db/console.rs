// SPDX-License-Identifier: MPL-2.0
//! The console's tables: staff passwords and lockout, sessions, resolved
//! follow-ups, and what phones report about their queues.

use super::engine::Conn;
use crate::params;
use chrono::{DateTime, Duration, Utc};

use super::{parse_ts, ts, DbResult};

/// Failed logins before an account is locked, and for how long.
pub const LOCK_AFTER: i64 = 5;
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// A session ends after this long without use, and after a working day at most.
pub const SESSION_IDLE: Duration = Duration::minutes(30);
pub const SESSION_MAX: Duration = Duration::hours(12);

pub fn set_password(c: Conn<'_>, staff_id: &str, hash: &str) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE staff SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE staff_id = ?1",
        params![staff_id, hash],
    )? == 1)
}

/// The stored hash and lock state of an account that can log in.
pub struct Credentials {
    pub password_hash: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

pub fn credentials(c: Conn<'_>, staff_id: &str) -> DbResult<Option<Credentials>> {
    c.query_opt(
        "SELECT password_hash, locked_until, disabled_at IS NOT NULL FROM staff WHERE staff_id = ?1",
        params![staff_id],
        |r| {
            Ok(Credentials {
                password_hash: r.get(0)?,
                locked_until: r.get::<Option<String>>(1)?.as_deref().and_then(parse_ts),
                disabled: r.get(2)?,
            })
        },
    )
}

/// Counts a failed login; locks the account at [`LOCK_AFTER`]. Returns
/// whether it is locked now.
pub fn login_failed(c: Conn<'_>, staff_id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    c.execute(
        "UPDATE staff SET failed_logins = failed_logins + 1 WHERE staff_id = ?1",
        params![staff_id],
    )?;
    let failures: Option<i64> = c.query_opt(
        "SELECT failed_logins FROM staff WHERE staff_id = ?1",
        params![staff_id],
        |r| r.get(0),
    )?;
    if failures.is_some_and(|f| f >= LOCK_AFTER) {
        c.execute(
            "UPDATE staff SET locked_until = ?2, failed_logins = 0 WHERE staff_id = ?1",
            params![staff_id, ts(now + LOCK_FOR)],
        )?;
        return Ok(true);
    }
    Ok(false)
}

pub fn login_succeeded(c: Conn<'_>, staff_id: &str) -> DbResult<()> {
    c.execute(
        "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE staff_id = ?1",
        params![staff_id],
    )?;
    Ok(())
}

pub fn unlock(c: Conn<'_>, staff_id: &str) -> DbResult<bool> {
    login_succeeded(c, staff_id)?;
    Ok(true)
}

pub fn create_session(
    c: Conn<'_>,
    token_hash: &str,
    staff_id: &str,
    csrf: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "INSERT INTO console_session (token_hash, staff_id, csrf, created_at, expires_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
        params![token_hash, staff_id, csrf, ts(now), ts(now + SESSION_MAX)],
    )?;
    Ok(())
}

/// A live session: the staff id and its CSRF token.
pub fn session(
    c: Conn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> DbResult<Option<(String, String)>> {
    let row: Option<(String, String, String, String)> = c.query_opt(
        "SELECT staff_id, csrf, expires_at, last_seen_at FROM console_session
             WHERE token_hash = ?1 AND ended_at IS NULL",
        params![token_hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some((staff, csrf, expires, seen)) = row else { return Ok(None) };
    let live = parse_ts(&expires).is_some_and(|e| now < e)
        && parse_ts(&seen).is_some_and(|s| now - s < SESSION_IDLE);
    Ok(live.then_some((staff, csrf)))
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
        create_session(c, "tok", "s1", "csrf-1", t(0)).unwrap();
        assert_eq!(session(c, "tok", t(0)).unwrap(), Some(("s1".into(), "csrf-1".into())));
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
        create_session(c, "tok", "s1", "csrf", t(0)).unwrap();
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
        create_session(c, "a", "s1", "x", t(0)).unwrap();
        create_session(c, "b", "s1", "x", t(0)).unwrap();
        create_session(c, "c", "s2", "x", t(0)).unwrap();
        end_session(c, "a", t(1)).unwrap();
        assert!(!live(c, "a", t(2)) && live(c, "b", t(2)) && live(c, "c", t(2)));
        end_sessions_of(c, "s1", t(3)).unwrap();
        assert!(!live(c, "b", t(4)), "s1's other session ended");
        assert!(live(c, "c", t(4)), "s2's session is untouched");
        let ended: Vec<String> = c
            .query_all(
                "SELECT ended_at FROM console_session WHERE token_hash = 'a'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ended, [ts(t(1))], "ending again keeps the first time");
    }

    #[test]
    fn five_failures_lock_an_account_for_15_minutes_and_a_success_or_unlock_clears_them() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        let creds = |c| credentials(c, "s1").unwrap().unwrap();
        for i in 1..LOCK_AFTER {
            assert!(!login_failed(c, "s1", t(i)).unwrap(), "failure {i} does not lock");
        }
        assert_eq!(creds(c).locked_until, None);
        assert!(login_failed(c, "s1", t(10)).unwrap(), "failure {LOCK_AFTER} locks");
        assert_eq!(creds(c).locked_until, Some(t(10) + LOCK_FOR));
        // The count starts again after a lock.
        assert!(!login_failed(c, "s1", t(11)).unwrap());
        // A success clears the failures: four more do not lock.
        login_succeeded(c, "s1").unwrap();
        assert_eq!(creds(c).locked_until, None);
        for i in 1..LOCK_AFTER {
            assert!(!login_failed(c, "s1", t(20 + i)).unwrap());
        }
        assert!(unlock(c, "s1").unwrap());
        for i in 1..LOCK_AFTER {
            assert!(!login_failed(c, "s1", t(40 + i)).unwrap(), "unlock cleared the count");
        }
        assert!(!login_failed(c, "nobody", t(50)).unwrap(), "an unknown id locks nothing");
    }

    #[test]
    fn a_password_is_set_only_for_a_known_staff_member_and_clears_a_lock() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        with_staff(c, "s1");
        assert!(!set_password(c, "nobody", "h").unwrap());
        for i in 0..LOCK_AFTER {
            login_failed(c, "s1", t(i)).unwrap();
        }
        assert!(set_password(c, "s1", "hash-1").unwrap());
        let creds = credentials(c, "s1").unwrap().unwrap();
        assert_eq!((creds.password_hash.as_deref(), creds.locked_until), (Some("hash-1"), None));
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
