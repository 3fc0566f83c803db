// SPDX-License-Identifier: MPL-2.0
//! The day's log, derived from the queue: every item written for a day
//! (Japan), whatever its state, with the sealed note the app gave it (the
//! patient, the outcome). The app's round screen — who was visited, whose
//! card is out of the facility's safekeeping, who is next — is built from
//! this, so it survives the OS killing the app between two visits.

use chrono::{DateTime, Utc};
use rusqlite::params;
use zeroize::Zeroizing;

use crate::queue::{ts, ItemState, QueueItem, Store};
use crate::StoreError;

/// What an item is: a visit record or a card-custody entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Visit,
    Custody,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Visit => "visit",
            ItemKind::Custody => "custody",
        }
    }
    fn parse(s: &str) -> Option<ItemKind> {
        match s {
            "visit" => Some(ItemKind::Visit),
            "custody" => Some(ItemKind::Custody),
            _ => None,
        }
    }
}

/// An item to write: its id (the upload's idempotency key), kind, payload,
/// the day it belongs to and the app's note about it (both sealed).
pub struct NewItem<'a> {
    pub id: &'a str,
    pub kind: ItemKind,
    pub payload: &'a [u8],
    /// `YYYY-MM-DD` in Japan.
    pub day: &'a str,
    pub note: &'a [u8],
}

/// One entry of a day's log.
#[derive(Debug)]
pub struct DayEntry {
    pub item: QueueItem,
    pub kind: ItemKind,
    /// The note, or `None` if its row does not open (never guessed).
    pub note: Option<Zeroizing<Vec<u8>>>,
}

fn note_aad(id: &str) -> Vec<u8> {
    format!("note:{id}").into_bytes()
}

impl Store {
    /// Durably adds an item with its day and note, in one statement
    /// (so the round can never show a visit the queue does not hold).
    /// Idempotent: the same id twice keeps the first. Returns whether a
    /// new item was written.
    pub fn enqueue_item(&self, item: NewItem<'_>, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sealed = self.key.seal(item.payload, item.id.as_bytes());
        let note = self.key.seal(item.note, &note_aad(item.id));
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO outbox (id, seq, created_at, state, payload, kind, day, note)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?2, 'pending', ?3, ?4, ?5, ?6)",
            params![item.id, ts(now), sealed, item.kind.as_str(), item.day, note],
        )?;
        Ok(n == 1)
    }

    /// Every item of `day`, oldest first, in any state (a discarded item
    /// is gone from the log too).
    pub fn day_log(&self, day: &str) -> Result<Vec<DayEntry>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {}, kind, note FROM outbox WHERE day = ?1 ORDER BY seq",
            Self::COLUMNS
        ))?;
        let mut rows = st.query(params![day])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let item = Self::item(row)?;
            let kind: String = row.get(9)?;
            let Some(kind) = ItemKind::parse(&kind) else { continue };
            let sealed: Option<Vec<u8>> = row.get(10)?;
            let note = sealed.and_then(|s| self.key.open(&s, &note_aad(&item.id)));
            out.push(DayEntry { item, kind, note });
        }
        Ok(out)
    }

    /// How many items of each state there are (for the header and the
    /// recovery screen).
    pub fn counts(&self) -> Result<(u32, u32), StoreError> {
        let conn = self.conn();
        let count = |state: ItemState| -> Result<u32, StoreError> {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = ?1",
                params![match state {
                    ItemState::Pending => "pending",
                    ItemState::Wedged => "wedged",
                    ItemState::Sent => "sent",
                }],
                |r| r.get(0),
            )?)
        };
        Ok((count(ItemState::Pending)?, count(ItemState::Wedged)?))
    }
}

/// What can be learnt of a database that does not open (a lost key, a
/// newer app's schema, a full disk): how many items were never delivered.
/// Reads only the plain `state` column, read-only; never the payloads.
pub fn unsent_in(path: &std::path::Path) -> Option<u32> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.query_row("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'wedged')", [], |r| {
        r.get(0)
    })
    .ok()
}

/// Deletes the database and its WAL and shared-memory files (the app's
/// recovery, after an administrator confirmed). Missing files are fine.
pub fn delete_database(path: &std::path::Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreKey;

    #[test]
    fn the_day_log_keeps_each_days_items_with_their_notes_in_any_state() {
        let s = Store::open_in_memory(StoreKey::generate()).unwrap();
        let now = Utc::now();
        let add = |id: &str, kind, day: &str, note: &str| {
            s.enqueue_item(NewItem { id, kind, payload: b"{}", day, note: note.as_bytes() }, now)
                .unwrap()
        };
        assert!(add("v-1", ItemKind::Visit, "2026-12-02", "p1"));
        assert!(!add("v-1", ItemKind::Visit, "2026-12-02", "other"), "idempotent");
        add("c-1", ItemKind::Custody, "2026-12-02", "p2 taken");
        add("v-2", ItemKind::Visit, "2026-12-01", "p3");
        s.mark_sent("v-1", now).unwrap();
        let log = s.day_log("2026-12-02").unwrap();
        assert_eq!(log.iter().map(|e| e.item.id.as_str()).collect::<Vec<_>>(), ["v-1", "c-1"]);
        assert_eq!(log[0].item.state, ItemState::Sent);
        assert_eq!(log[0].note.as_deref().map(Vec::as_slice), Some(&b"p1"[..]));
        assert_eq!(log[1].kind, ItemKind::Custody);
        assert_eq!(s.counts().unwrap(), (2, 0));
    }

    #[test]
    fn a_database_that_does_not_open_still_tells_how_many_items_were_never_sent() {
        let dir = std::env::temp_dir().join(format!("houmon-unsent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("phone.sqlite");
        {
            let s = Store::open(&path, StoreKey::generate()).unwrap();
            for i in 0..3 {
                s.enqueue(&format!("v-{i}"), b"x", Utc::now()).unwrap();
            }
            s.mark_sent("v-0", Utc::now()).unwrap();
        }
        // Another key: the store refuses it, the count is still there.
        assert!(matches!(Store::open(&path, StoreKey::generate()), Err(StoreError::WrongKey)));
        assert_eq!(unsent_in(&path), Some(2));
        delete_database(&path).unwrap();
        assert!(!path.exists());
        assert_eq!(unsent_in(&path), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
