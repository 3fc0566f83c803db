// SPDX-License-Identifier: MPL-2.0
//! The audit trail: append-only, each entry chained to the one before.
//!
//! Every enrolment, failed attempt, token use, roster and result read,
//! refusal and staff action is one row: when, who (actor, device, staff),
//! what, on what, with what outcome. `hash` is an HMAC under the server's
//! audit key over the previous entry's hash and this entry's fields, so an
//! edited, removed or inserted entry breaks the chain ([`verify`]); the
//! table also refuses UPDATE and DELETE (triggers in the schema). The
//! removal of the newest entries leaves a chain: the head kept outside the
//! database finds it (`audit_head.rs`). Rows are stored as given; anything
//! that prints them escapes them.

use super::engine::{Conn, ToValue};
use crate::params;
use chrono::{DateTime, Utc};

use super::{parse_ts, ts, DbResult};
use crate::secrets::Secrets;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Device(String),
    Staff(String),
    System,
    /// Not authenticated: the peer address.
    Anonymous(String),
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Device(d) => format!("device:{d}"),
            Actor::Staff(s) => format!("staff:{s}"),
            Actor::System => "system".into(),
            Actor::Anonymous(a) => format!("anonymous:{a}"),
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    pub device_id: Option<String>,
    pub staff_id: Option<String>,
    /// A stable action name: `device.enrol`, `visit.upload`, `roster.read`, …
    pub action: &'static str,
    pub target: Option<String>,
    /// `ok`, `refused:<code>`, `failed`
    pub outcome: String,
    pub detail: String,
}

impl Entry {
    pub fn new(actor: Actor, action: &'static str, outcome: impl Into<String>) -> Entry {
        let (device_id, staff_id) = match &actor {
            Actor::Device(d) => (Some(d.clone()), None),
            Actor::Staff(s) => (None, Some(s.clone())),
            _ => (None, None),
        };
        Entry {
            actor,
            device_id,
            staff_id,
            action,
            target: None,
            outcome: outcome.into(),
            detail: String::new(),
        }
    }

    pub fn staff(mut self, staff_id: &str) -> Entry {
        self.staff_id = Some(staff_id.to_owned());
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Entry {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Entry {
        self.detail = detail.into();
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub device_id: Option<String>,
    pub staff_id: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
fn link(
    s: &Secrets,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    device: Option<&str>,
    staff: Option<&str>,
    action: &str,
    target: Option<&str>,
    outcome: &str,
    detail: &str,
) -> String {
    // A JSON array is an unambiguous encoding of the fields.
    let fields =
        serde_json::json!([seq, at, actor, device, staff, action, target, outcome, detail]);
    s.audit_link(format!("{prev}\n{fields}").as_bytes())
}

/// Appends an entry (inside the caller's transaction, with the action).
pub fn append(c: Conn<'_>, s: &Secrets, e: &Entry, now: DateTime<Utc>) -> DbResult<()> {
    append_all(c, s, std::slice::from_ref(e), now)
}

/// Appends entries in their order, each linked to the one before: the
/// head is read once and the rows go in a few statements (a batch's
/// records).
pub fn append_all(c: Conn<'_>, s: &Secrets, entries: &[Entry], now: DateTime<Utc>) -> DbResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev) = head(c)?.unwrap_or_else(|| (0, GENESIS.to_owned()));
    let at = ts(now);
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let actor = e.actor.label();
        let hash = link(
            s,
            &prev,
            seq,
            &at,
            &actor,
            e.device_id.as_deref(),
            e.staff_id.as_deref(),
            e.action,
            e.target.as_deref(),
            &e.outcome,
            &e.detail,
        );
        rows.push(vec![
            seq.to_value(),
            at.to_value(),
            actor.to_value(),
            e.device_id.to_value(),
            e.staff_id.to_value(),
            e.action.to_value(),
            e.target.to_value(),
            e.outcome.to_value(),
            e.detail.to_value(),
            prev.to_value(),
            hash.to_value(),
        ]);
        prev = hash;
    }
    c.insert_rows(
        "audit_log (seq, at, actor, device_id, staff_id, action, target, outcome, detail, prev_hash, hash)",
        &rows,
    )
}

/// What [`verify`] found (and `admin::verify_audit`, with the head
/// anchored outside the database: `audit_head.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// Every entry links to the one before: this many entries, this head.
    Intact { entries: i64, head: String },
    /// The first entry whose link does not hold (edited, removed or inserted).
    BrokenAt { seq: i64 },
    /// The entries link, but the trail no longer holds entry `anchored`
    /// as the head file recorded it: its newest entries were removed (and
    /// perhaps others written in their place).
    TailMissing { entries: i64, anchored: i64 },
}

/// The newest entry's number and hash.
pub fn head(c: Conn<'_>) -> DbResult<Option<(i64, String)>> {
    c.query_opt("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", params![], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// The hash of entry `seq`, if the trail holds it.
pub fn hash_at(c: Conn<'_>, seq: i64) -> DbResult<Option<String>> {
    c.query_opt("SELECT hash FROM audit_log WHERE seq = ?1", params![seq], |r| r.get(0))
}

pub fn verify(c: Conn<'_>, s: &Secrets) -> DbResult<Chain> {
    /// Entries are read a page at a time (a trail has millions).
    const PAGE: i64 = 10_000;
    type Stored = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
    );
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut n = 0;
    let mut after = 0i64;
    loop {
        let page: Vec<Stored> = c.query_all(
            "SELECT seq, at, actor, device_id, staff_id, action, target, outcome, detail, prev_hash, hash
             FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, PAGE],
            |r| {
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
            },
        )?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (seq, at, actor, device, staff, action, target, outcome, detail, stored_prev, hash) in
            page
        {
            let computed = link(
                s,
                &prev,
                seq,
                &at,
                &actor,
                device.as_deref(),
                staff.as_deref(),
                &action,
                target.as_deref(),
                &outcome,
                &detail,
            );
            if seq != expected_seq || stored_prev != prev || computed != hash {
                return Ok(Chain::BrokenAt { seq });
            }
            prev = hash;
            expected_seq += 1;
            n += 1;
        }
    }
    Ok(Chain::Intact { entries: n, head: prev })
}

/// `text` for a `LIKE … ESCAPE '\'` pattern: its wildcards taken literally.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A filter for reading the trail (the console's view).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action_prefix: Option<String>,
    pub actor_contains: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

pub fn list(c: Conn<'_>, f: &Filter) -> DbResult<Vec<Row>> {
    c.query_all(
        "SELECT seq, at, actor, device_id, staff_id, action, target, outcome, detail, hash FROM audit_log
         WHERE (CAST(?1 AS TEXT) IS NULL OR action LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\\')
           AND (CAST(?2 AS TEXT) IS NULL OR actor LIKE '%' || CAST(?2 AS TEXT) || '%' ESCAPE '\\')
           AND (CAST(?3 AS TEXT) IS NULL OR at >= CAST(?3 AS TEXT))
         ORDER BY seq DESC LIMIT ?4",
        params![
            f.action_prefix.as_deref().map(like_literal),
            f.actor_contains.as_deref().map(like_literal),
            f.since.map(ts),
            f.limit.max(1) as i64
        ],
        |r| {
            Ok(Row {
                seq: r.get(0)?,
                at: parse_ts(&r.get::<String>(1)?).unwrap_or_default(),
                actor: r.get(2)?,
                device_id: r.get(3)?,
                staff_id: r.get(4)?,
                action: r.get(5)?,
                target: r.get(6)?,
                outcome: r.get(7)?,
                detail: r.get(8)?,
                hash: r.get(9)?,
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

    /// Three entries chained under a fresh key.
    fn chain_of_three() -> (Secrets, rusqlite::Connection) {
        let s = Secrets::generate();
        let raw = db();
        for _ in 0..3 {
            let e = Entry::new(Actor::System, "x", "ok");
            append(Conn::Sqlite(&raw), &s, &e, Utc::now()).unwrap();
        }
        (s, raw)
    }

    #[test]
    fn an_edit_removal_or_insertion_breaks_the_chain() {
        let s = Secrets::generate();
        let raw = db();
        let c = Conn::Sqlite(&raw);
        for i in 0..5 {
            let e = Entry::new(Actor::Device("d1".into()), "visit.upload", "ok")
                .target(format!("v-{i}"));
            append(c, &s, &e, Utc::now()).unwrap();
        }
        assert!(matches!(verify(c, &s).unwrap(), Chain::Intact { entries: 5, .. }));
        // The table refuses edits outright…
        assert!(raw.execute("UPDATE audit_log SET outcome = 'refused' WHERE seq = 3", []).is_err());
        assert!(raw.execute("DELETE FROM audit_log WHERE seq = 3", []).is_err());
        // …and an edit made around the triggers is found.
        raw.execute_batch(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'v-x' WHERE seq = 3;",
        )
        .unwrap();
        assert_eq!(verify(c, &s).unwrap(), Chain::BrokenAt { seq: 3 });
        // Recomputing the chain needs the key.
        assert_ne!(verify(c, &Secrets::generate()).unwrap(), verify(c, &s).unwrap());
    }

    #[test]
    fn a_link_edited_on_its_own_is_found() {
        // The entry's own hash still holds (it covers the chain's real
        // previous hash, not the stored one): only the stored link is off.
        let (s, raw) = chain_of_three();
        let c = Conn::Sqlite(&raw);
        raw.execute_batch(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET prev_hash = 'ab' WHERE seq = 2;",
        )
        .unwrap();
        assert_eq!(verify(c, &s).unwrap(), Chain::BrokenAt { seq: 2 });
    }

    #[test]
    fn a_removed_entry_is_found() {
        let (s, raw) = chain_of_three();
        let c = Conn::Sqlite(&raw);
        raw.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;")
            .unwrap();
        assert_eq!(verify(c, &s).unwrap(), Chain::BrokenAt { seq: 3 });
    }
}
