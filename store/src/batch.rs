// SPDX-License-Identifier: MPL-2.0
//! The queue in batches: the oldest due items with their payloads, and a
//! round's answers settled in one transaction (one fsync for the whole
//! batch, not one per record).

use chrono::{DateTime, Utc};
use rusqlite::params;
use zeroize::Zeroizing;

use crate::day::ItemKind;
use crate::queue::{ts, QueueItem, Store};
use crate::StoreError;

/// A due item and its decrypted payload — or why its row does not open
/// (the caller wedges it; it never blocks the rest).
pub struct DueItem {
    pub item: QueueItem,
    pub payload: Result<Zeroizing<Vec<u8>>, String>,
}

/// What became of one item in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// Acknowledged by the server (stored, duplicate or held).
    Sent(String),
    /// Refused for good: it waits for the user, with the reason.
    Wedge(String, String),
    /// A transient failure: try again at the time given.
    Retry(String, String, DateTime<Utc>),
}

impl Store {
    /// The oldest due visit records (pending, retry time come), up to
    /// `max_items` and about `max_bytes` of payload — always at least one
    /// if any is due.
    pub fn due_batch(
        &self,
        now: DateTime<Utc>,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<DueItem>, StoreError> {
        self.due_batch_of(ItemKind::Visit, now, max_items, max_bytes)
    }

    /// The same for items of `kind` (custody entries go to their own call).
    pub fn due_batch_of(
        &self,
        kind: ItemKind,
        now: DateTime<Utc>,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Vec<DueItem>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {}, payload FROM outbox WHERE state = 'pending' AND kind = ?3
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY seq LIMIT ?2",
            Self::COLUMNS
        ))?;
        let mut rows = st.query(params![ts(now), max_items.max(1) as i64, kind.as_str()])?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            let item = Self::item(row)?;
            let sealed: Vec<u8> = row.get(9)?;
            if !out.is_empty() && bytes + sealed.len() > max_bytes {
                break;
            }
            bytes += sealed.len();
            let payload = self
                .key
                .open(&sealed, item.id.as_bytes())
                .ok_or_else(|| "payload does not authenticate".to_owned());
            out.push(DueItem { item, payload });
        }
        Ok(out)
    }

    /// Settles a round in one transaction. An item that is no longer
    /// pending (discarded meanwhile) is skipped.
    pub fn settle(&self, outcomes: &[Settle], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for o in outcomes {
            match o {
                Settle::Sent(id) => tx.prepare_cached(
                    "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL, next_attempt_at = NULL
                     WHERE id = ?1 AND state = 'pending'",
                )?
                .execute(params![id, ts(now)])?,
                Settle::Wedge(id, reason) => tx.prepare_cached(
                    "UPDATE outbox SET state = 'wedged', attempts = attempts + 1, wedge_reason = ?2
                     WHERE id = ?1 AND state = 'pending'",
                )?
                .execute(params![id, reason])?,
                Settle::Retry(id, error, at) => tx.prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                     WHERE id = ?1 AND state = 'pending'",
                )?
                .execute(params![id, error, ts(*at)])?,
            };
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ItemState, StoreKey};

    #[test]
    fn a_batch_is_oldest_first_within_its_caps_and_settles_in_one_go() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        let now = Utc::now();
        for i in 0..10 {
            s.enqueue(&format!("v{i}"), &[b'x'; 100], now).unwrap();
        }
        let b = s.due_batch(now, 4, 1_000_000).unwrap();
        assert_eq!(
            b.iter().map(|d| d.item.id.as_str()).collect::<Vec<_>>(),
            ["v0", "v1", "v2", "v3"]
        );
        assert!(b.iter().all(|d| d.payload.as_ref().unwrap().len() == 100));
        // The byte cap: at least one item, then no more than the cap.
        assert_eq!(s.due_batch(now, 10, 1).unwrap().len(), 1);
        assert_eq!(s.due_batch(now, 10, 300).unwrap().len(), 2, "sealed rows are ~140 bytes");
        s.settle(
            &[
                Settle::Sent("v0".into()),
                Settle::Wedge("v1".into(), "not-assigned: …".into()),
                Settle::Retry("v2".into(), "HTTP 503".into(), now + chrono::Duration::minutes(5)),
            ],
            now,
        )
        .unwrap();
        assert_eq!(s.get("v0").unwrap().state, ItemState::Sent);
        assert_eq!(s.get("v1").unwrap().state, ItemState::Wedged);
        assert_eq!(s.get("v2").unwrap().attempts, 1);
        let next: Vec<String> =
            s.due_batch(now, 10, 1_000_000).unwrap().into_iter().map(|d| d.item.id).collect();
        assert_eq!(next[0], "v3", "the one retrying later is not due; the rest follow in order");
        assert!(!next.contains(&"v2".to_owned()));
    }

    #[test]
    fn the_byte_cap_takes_every_item_that_fits_exactly() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        let now = Utc::now();
        for i in 0..3 {
            s.enqueue(&format!("v{i}"), &[b'x'; 100], now).unwrap();
        }
        let row: i64 = s
            .conn()
            .query_row("SELECT length(payload) FROM outbox WHERE id = 'v0'", [], |r| r.get(0))
            .unwrap();
        let row = row as usize;
        assert_eq!(s.due_batch(now, 10, 2 * row).unwrap().len(), 2, "two rows fill the cap");
        assert_eq!(s.due_batch(now, 10, 2 * row - 1).unwrap().len(), 1);
        assert_eq!(s.due_batch(now, 10, 3 * row).unwrap().len(), 3);
    }
}
