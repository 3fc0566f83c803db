// SPDX-License-Identifier: MPL-2.0
//! The offline queue, after matrix-rust-sdk's send queue: an item is written
//! (with its client-generated id) before anything is sent; the send loop
//! takes the oldest pending item whose retry time has come — one in flight;
//! it is marked sent only after the server acknowledged it; transient
//! failures keep it pending with a later retry time; permanent ones wedge it
//! with a stored reason, and wedged items do not block the ones behind.
//! The user can retry or discard a wedged item.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::crypto::StoreKey;
use crate::schema;
use crate::StoreError;

const KEY_CHECK: &[u8] = b"houmon-key-check";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemState {
    Pending,
    Wedged,
    Sent,
}

impl ItemState {
    fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Wedged => "wedged",
            ItemState::Sent => "sent",
        }
    }
    fn parse(s: &str) -> ItemState {
        match s {
            "wedged" => ItemState::Wedged,
            "sent" => ItemState::Sent,
            _ => ItemState::Pending,
        }
    }
}

/// A queue row without its payload (for lists and the send loop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub seq: i64,
    pub state: ItemState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub wedge_reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub struct Store {
    pub(crate) conn: Mutex<Connection>,
    pub(crate) key: StoreKey,
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Opens (or creates) the database at `path` with `key`.
    pub fn open(path: impl AsRef<Path>, key: StoreKey) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        Self::with_connection(conn, key)
    }

    pub fn open_in_memory(key: StoreKey) -> Result<Store, StoreError> {
        Self::with_connection(Connection::open_in_memory()?, key)
    }

    fn with_connection(mut conn: Connection, key: StoreKey) -> Result<Store, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed enqueue survives power loss, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        let check: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| r.get(0))
            .optional()?;
        match check {
            Some(sealed) => {
                if key.open(&sealed, b"meta:key_check").as_deref().map(Vec::as_slice)
                    != Some(KEY_CHECK)
                {
                    return Err(StoreError::WrongKey);
                }
            }
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                    params![key.seal(KEY_CHECK, b"meta:key_check")],
                )?;
            }
        }
        Ok(Store { conn: Mutex::new(conn), key })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Durably adds an item. Idempotent: the same id twice keeps the first.
    /// Returns whether a new item was written.
    pub fn enqueue(
        &self,
        id: &str,
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sealed = self.key.seal(payload, id.as_bytes());
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO outbox (id, seq, created_at, state, payload)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?2, 'pending', ?3)",
            params![id, ts(now), sealed],
        )?;
        Ok(n == 1)
    }

    pub(crate) fn item(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueueItem> {
        Ok(QueueItem {
            id: row.get(0)?,
            seq: row.get(1)?,
            state: ItemState::parse(&row.get::<_, String>(2)?),
            attempts: row.get(3)?,
            created_at: parse_ts(Some(row.get(4)?)).unwrap_or_default(),
            next_attempt_at: parse_ts(row.get(5)?),
            last_error: row.get(6)?,
            wedge_reason: row.get(7)?,
            sent_at: parse_ts(row.get(8)?),
        })
    }

    pub(crate) const COLUMNS: &'static str =
        "id, seq, state, attempts, created_at, next_attempt_at, last_error, wedge_reason, sent_at";

    /// The items in a state, oldest first.
    pub fn list(&self, state: ItemState) -> Result<Vec<QueueItem>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {} FROM outbox WHERE state = ?1 ORDER BY seq",
            Self::COLUMNS
        ))?;
        let rows = st.query_map(params![state.as_str()], Self::item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn get(&self, id: &str) -> Result<QueueItem, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {} FROM outbox WHERE id = ?1", Self::COLUMNS),
            params![id],
            Self::item,
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(id.into()))
    }

    /// The oldest pending visit record whose retry time has come (wedged
    /// items are skipped, so they never block the rest).
    pub fn next_due(&self, now: DateTime<Utc>) -> Result<Option<QueueItem>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT {} FROM outbox WHERE state = 'pending' AND kind = 'visit'
                     AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY seq LIMIT 1",
                    Self::COLUMNS
                ),
                params![ts(now)],
                Self::item,
            )
            .optional()?)
    }

    /// The earliest retry time among pending items (to sleep until).
    pub fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let conn = self.conn();
        let t: Option<String> = conn.query_row(
            "SELECT MIN(COALESCE(next_attempt_at, created_at)) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(parse_ts(t))
    }

    /// The decrypted payload. A row that does not authenticate is reported
    /// as corrupt (and should be wedged by the caller), never returned.
    pub fn payload(&self, id: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        let sealed: Vec<u8> = self
            .conn()
            .query_row("SELECT payload FROM outbox WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        self.key.open(&sealed, id.as_bytes()).ok_or_else(|| StoreError::Corrupt {
            id: id.into(),
            reason: "payload does not authenticate".into(),
        })
    }

    fn update(&self, id: &str, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<(), StoreError> {
        let n = self.conn().execute(sql, p)?;
        if n == 0 {
            return Err(StoreError::NotFound(id.into()));
        }
        Ok(())
    }

    /// Connectivity came back: every pending item is due now (their
    /// backoff was waiting for the network, which is here again).
    pub fn all_due_now(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn()
            .execute("UPDATE outbox SET next_attempt_at = NULL WHERE state = 'pending'", [])?)
    }

    /// Lets the database grow by at most `extra_pages` (SQLite
    /// `max_page_count`): the way tests make the disk "full".
    #[doc(hidden)]
    pub fn cap_growth_for_tests(&self, extra_pages: u32) -> Result<(), StoreError> {
        let conn = self.conn();
        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let max = pages + i64::from(extra_pages);
        let _: i64 = conn.query_row(&format!("PRAGMA max_page_count = {max}"), [], |r| r.get(0))?;
        Ok(())
    }

    /// The server acknowledged the item.
    pub fn mark_sent(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.update(
            id,
            "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL, next_attempt_at = NULL WHERE id = ?1",
            &[&id, &ts(now)],
        )
    }

    /// A transient failure: retry at `retry_at`.
    pub fn mark_retry(
        &self,
        id: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update(
            id,
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
             WHERE id = ?1 AND state = 'pending'",
            &[&id, &error, &ts(retry_at)],
        )
    }

    /// A permanent failure: the item waits for the user.
    pub fn wedge(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.update(
            id,
            "UPDATE outbox SET state = 'wedged', attempts = attempts + 1, wedge_reason = ?2 WHERE id = ?1",
            &[&id, &reason],
        )
    }

    /// The user asks to send a wedged item again.
    pub fn retry(&self, id: &str) -> Result<(), StoreError> {
        self.update(
            id,
            "UPDATE outbox SET state = 'pending', wedge_reason = NULL, next_attempt_at = NULL
             WHERE id = ?1 AND state = 'wedged'",
            &[&id],
        )
    }

    /// The user discards a wedged item (only wedged ones can be discarded).
    pub fn discard(&self, id: &str) -> Result<(), StoreError> {
        self.update(id, "DELETE FROM outbox WHERE id = ?1 AND state = 'wedged'", &[&id])
    }
}

/// Small sealed values the phone keeps: the clinic server's address, pin
/// and token, the newest server-time token.
impl Store {
    pub fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let aad = format!("meta:{key}");
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, self.key.seal(value, aad.as_bytes())],
        )?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))
            .optional()?;
        let Some(sealed) = sealed else { return Ok(None) };
        let aad = format!("meta:{key}");
        self.key
            .open(&sealed, aad.as_bytes())
            .map(Some)
            .ok_or(StoreError::Corrupt { id: aad, reason: "value does not authenticate".into() })
    }
}

/// A cached payload and when it was fetched.
pub type Fetched = (DateTime<Utc>, zeroize::Zeroizing<Vec<u8>>);

/// The roster and the server's results, sealed like the queue.
impl Store {
    pub fn put_roster(&self, day: &str, json: &[u8], now: DateTime<Utc>) -> Result<(), StoreError> {
        let aad = format!("roster:{day}");
        self.conn().execute(
            "INSERT INTO roster (day, fetched_at, payload) VALUES (?1, ?2, ?3)
             ON CONFLICT(day) DO UPDATE SET fetched_at = excluded.fetched_at, payload = excluded.payload",
            params![day, ts(now), self.key.seal(json, aad.as_bytes())],
        )?;
        Ok(())
    }

    /// The cached roster of a day and when it was fetched.
    pub fn roster(&self, day: &str) -> Result<Option<Fetched>, StoreError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn()
            .query_row("SELECT fetched_at, payload FROM roster WHERE day = ?1", params![day], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((at, sealed)) = row else { return Ok(None) };
        let aad = format!("roster:{day}");
        let json = self.key.open(&sealed, aad.as_bytes()).ok_or_else(|| StoreError::Corrupt {
            id: aad.clone(),
            reason: "roster does not authenticate".into(),
        })?;
        Ok(Some((parse_ts(Some(at)).unwrap_or_default(), json)))
    }

    /// Stores a result from the server (idempotent by cursor).
    pub fn put_result(
        &self,
        cursor: i64,
        patient_id: &str,
        json: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let aad = format!("result:{cursor}");
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO results (cursor, patient_id, received_at, payload) VALUES (?1, ?2, ?3, ?4)",
            params![cursor, patient_id, ts(now), self.key.seal(json, aad.as_bytes())],
        )?;
        Ok(())
    }

    /// The highest result cursor held (0 if none).
    pub fn results_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(cursor), 0) FROM results", [], |r| r.get(0))?)
    }

    /// The newest result for a patient.
    pub fn latest_result(
        &self,
        patient_id: &str,
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT cursor, payload FROM results WHERE patient_id = ?1 ORDER BY cursor DESC LIMIT 1",
                params![patient_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((cursor, sealed)) = row else { return Ok(None) };
        let aad = format!("result:{cursor}");
        self.key
            .open(&sealed, aad.as_bytes())
            .map(Some)
            .ok_or(StoreError::Corrupt { id: aad, reason: "result does not authenticate".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap()
    }

    fn temp_db(name: &str) -> std::path::PathBuf {
        let p =
            std::env::temp_dir().join(format!("houmon-store-{}-{name}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn items_come_out_in_order_and_enqueue_is_idempotent() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        assert!(s.enqueue("a", b"1", t(0)).unwrap());
        assert!(s.enqueue("b", b"2", t(1)).unwrap());
        assert!(!s.enqueue("a", b"other", t(2)).unwrap(), "same id: kept once");
        assert_eq!(&s.payload("a").unwrap()[..], b"1");
        assert_eq!(s.next_due(t(5)).unwrap().unwrap().id, "a");
        s.mark_sent("a", t(6)).unwrap();
        assert_eq!(s.next_due(t(7)).unwrap().unwrap().id, "b");
        assert_eq!(s.list(ItemState::Sent).unwrap().len(), 1);
    }

    #[test]
    fn a_wedged_item_does_not_block_the_rest_and_can_be_retried_or_discarded() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        s.enqueue("a", b"1", t(0)).unwrap();
        s.enqueue("b", b"2", t(1)).unwrap();
        s.wedge("a", "server refused: forged signature").unwrap();
        assert_eq!(s.next_due(t(2)).unwrap().unwrap().id, "b");
        let w = s.list(ItemState::Wedged).unwrap();
        assert_eq!(w[0].wedge_reason.as_deref(), Some("server refused: forged signature"));
        s.retry("a").unwrap();
        assert_eq!(s.next_due(t(3)).unwrap().unwrap().id, "a");
        s.wedge("a", "again").unwrap();
        s.discard("a").unwrap();
        assert!(matches!(s.get("a"), Err(StoreError::NotFound(_))));
        assert!(
            matches!(s.discard("b"), Err(StoreError::NotFound(_))),
            "only wedged items can be discarded"
        );
    }

    #[test]
    fn a_transient_failure_waits_for_its_retry_time() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        s.enqueue("a", b"1", t(0)).unwrap();
        s.mark_retry("a", "timeout", t(0) + Duration::seconds(30)).unwrap();
        assert!(s.next_due(t(10)).unwrap().is_none());
        assert_eq!(s.next_wakeup().unwrap(), Some(t(30)));
        let item = s.next_due(t(31)).unwrap().unwrap();
        assert_eq!((item.attempts, item.last_error.as_deref()), (1, Some("timeout")));
    }

    #[test]
    fn all_due_now_makes_every_waiting_item_due_and_counts_them() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        for id in ["a", "b", "c"] {
            s.enqueue(id, b"1", t(0)).unwrap();
            s.mark_retry(id, "offline", t(3600)).unwrap();
        }
        s.enqueue("d", b"1", t(0)).unwrap();
        s.mark_sent("d", t(1)).unwrap();
        assert!(s.next_due(t(10)).unwrap().is_none());
        assert_eq!(s.all_due_now().unwrap(), 3, "the three pending ones, not the sent one");
        assert_eq!(s.next_due(t(10)).unwrap().map(|i| i.id), Some("a".into()));
    }

    #[test]
    fn the_test_disk_cap_allows_exactly_the_pages_asked_for() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        let pragma = |name: &str| -> i64 {
            s.conn().query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
        };
        let pages = pragma("page_count");
        s.cap_growth_for_tests(3).unwrap();
        assert_eq!(pragma("max_page_count"), pages + 3);
    }

    #[test]
    fn a_wrong_key_is_a_clear_error_and_the_right_key_reopens() {
        let path = temp_db("wrong-key");
        let key = StoreKey::generate();
        let bytes = *key.bytes();
        let s = Store::open(&path, key).unwrap();
        s.enqueue("a", b"record", t(0)).unwrap();
        drop(s);
        assert!(matches!(Store::open(&path, StoreKey::generate()), Err(StoreError::WrongKey)));
        let s = Store::open(&path, StoreKey::from_bytes(&bytes).unwrap()).unwrap();
        assert_eq!(&s.payload("a").unwrap()[..], b"record");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_full_disk_is_reported_and_the_queue_stays_consistent() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        s.enqueue("small", b"x", t(0)).unwrap();
        s.cap_growth_for_tests(1).unwrap();
        let big = vec![b'r'; 64 * 1024];
        assert!(matches!(s.enqueue("big", &big, t(1)), Err(StoreError::DiskFull)));
        assert!(StoreError::DiskFull.staff_message().contains("まだ保存されていません"));
        assert!(matches!(s.get("big"), Err(StoreError::NotFound(_))), "nothing half-written");
        assert_eq!(&s.payload("small").unwrap()[..], b"x");
        s.cap_growth_for_tests(1_000_000).unwrap();
        assert!(s.enqueue("big", &big, t(2)).unwrap(), "space freed: it goes in");
    }

    #[test]
    fn roster_and_results_are_sealed_and_come_back() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        s.put_roster("2026-11-25", b"{\"entries\":[]}", t(0)).unwrap();
        s.put_roster("2026-11-25", b"{\"entries\":[1]}", t(5)).unwrap();
        let (at, json) = s.roster("2026-11-25").unwrap().unwrap();
        assert_eq!((at, &json[..]), (t(5), &b"{\"entries\":[1]}"[..]));
        assert!(s.roster("2026-11-26").unwrap().is_none());
        s.put_result(3, "p-1", b"r3", t(0)).unwrap();
        s.put_result(7, "p-1", b"r7", t(0)).unwrap();
        s.put_result(7, "p-1", b"again", t(0)).unwrap();
        assert_eq!(s.results_cursor().unwrap(), 7);
        assert_eq!(&s.latest_result("p-1").unwrap().unwrap()[..], b"r7");
        assert!(s.latest_result("p-2").unwrap().is_none());
    }

    #[test]
    fn meta_values_are_sealed_and_replaced() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        assert!(s.meta("server").unwrap().is_none());
        s.put_meta("server", b"https://clinic").unwrap();
        s.put_meta("server", b"https://clinic2").unwrap();
        assert_eq!(&s.meta("server").unwrap().unwrap()[..], b"https://clinic2");
        let raw: Vec<u8> = s
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'server'", [], |r| r.get(0))
            .unwrap();
        assert!(!raw.windows(6).any(|w| w == b"clinic"));
    }

    #[test]
    fn a_corrupt_row_is_reported_not_returned() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        s.enqueue("a", b"record", t(0)).unwrap();
        s.conn().execute("UPDATE outbox SET payload = x'0102' WHERE id = 'a'", []).unwrap();
        assert!(matches!(s.payload("a"), Err(StoreError::Corrupt { .. })));
        // Payloads are not stored in clear.
        s.enqueue("b", b"secret-looking text", t(1)).unwrap();
        let raw: Vec<u8> = s
            .conn()
            .query_row("SELECT payload FROM outbox WHERE id='b'", [], |r| r.get(0))
            .unwrap();
        assert!(!raw.windows(6).any(|w| w == b"secret"));
    }
}
