// SPDX-License-Identifier: MPL-2.0
//! The audit trail's head, anchored outside the database.
//!
//! The chain (`db/audit.rs`) shows an entry edited, removed or inserted
//! inside the trail, but not the removal of its newest entries: what is
//! left is still a chain. So the server keeps the head — the newest
//! entry's number and hash — in a file of its own beside the database
//! (`<data-dir>/audit-head`, owner-only, one line per head appended and
//! fsynced, never rewritten): at most a second after an entry is
//! committed, and when the server stops. Someone who can change the
//! database but not the server's folder (a PostgreSQL host's
//! administrator, a copy of the database put back) cannot make a shorter
//! trail agree with it: [`crate::admin::verify_audit`] (and `houmon-server
//! audit`, the console's 監査ログ, each start) finds the trail missing the
//! entry the file names. The head only moves forward; after a finding,
//! the administrator re-anchors on purpose (`houmon-server audit
//! --reanchor`, audited). Writing the head down daily (the console shows
//! it) keeps even the server's own folder honest.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::{audit, Db, DbResult};

/// A head: the newest entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// The file is started afresh (the old one kept as `….1`) past this size.
const ROTATE_AT: u64 = 1024 * 1024;

pub struct AuditHead {
    path: PathBuf,
    /// When the head was last written (to write at most once a second).
    last_write: Mutex<Option<Instant>>,
}

fn parse(line: &str) -> Option<Head> {
    let (seq, hash) = line.trim().split_once(' ')?;
    let seq = seq.parse().ok()?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Head { seq, hash: hash.to_owned() })
}

impl AuditHead {
    /// The head file of the clinic whose database is in (or, for
    /// PostgreSQL, served from) `dir`.
    pub fn new(dir: &Path, clinic_id: Option<&str>) -> AuditHead {
        let name = match clinic_id {
            Some(c) => format!("audit-head-{c}"),
            None => "audit-head".to_owned(),
        };
        AuditHead { path: dir.join(name), last_write: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head the file names last (a line cut short by a crash is
    /// passed over), if any.
    pub fn anchored(&self) -> Option<Head> {
        let read = |p: &Path| -> Option<Head> {
            let mut f = std::fs::File::open(p).ok()?;
            let len = f.metadata().ok()?.len();
            f.seek(SeekFrom::Start(len.saturating_sub(512))).ok()?;
            let mut tail = String::new();
            f.read_to_string(&mut tail).ok()?;
            tail.lines().rev().find_map(parse)
        };
        read(&self.path).or_else(|| read(&self.rotated()))
    }

    fn rotated(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".1");
        PathBuf::from(p)
    }

    fn append(&self, head: &Head) -> std::io::Result<()> {
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() > ROTATE_AT) {
            std::fs::rename(&self.path, self.rotated())?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path)?;
        f.write_all(format!("{} {}\n", head.seq, head.hash).as_bytes())?;
        f.sync_all()
    }

    /// The anchored head the database no longer holds, if it lost its
    /// tail (or had it replaced).
    pub fn missing(&self, db: &Db) -> DbResult<Option<Head>> {
        let Some(a) = self.anchored() else { return Ok(None) };
        let found = db.read(|c, _| audit::hash_at(c, a.seq))?;
        Ok((found.as_deref() != Some(a.hash.as_str())).then_some(a))
    }

    /// Writes the database's head if it moved on from the anchored one
    /// (and still holds it). Never moves the anchor back.
    pub fn sync(&self, db: &Db) -> DbResult<()> {
        let Some((seq, hash)) = db.read(|c, _| audit::head(c))? else { return Ok(()) };
        let anchored = self.anchored();
        if let Some(a) = &anchored {
            if seq <= a.seq || self.missing(db)?.is_some() {
                return Ok(());
            }
        }
        if let Err(e) = self.append(&Head { seq, hash }) {
            tracing::error!(file = ?self.path, error = %e, "the audit head could not be written");
        }
        *self.last_write.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        Ok(())
    }

    /// [`sync`](Self::sync), at most once a second (the worker's loop).
    pub fn sync_now_and_then(&self, db: &Db) -> DbResult<()> {
        let last = *self.last_write.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return Ok(());
        }
        self.sync(db)
    }

    /// Anchors the database's head as it is now, even behind the anchor
    /// (an administrator's decision after a finding). Returns the head
    /// anchored before.
    pub fn reanchor(&self, db: &Db) -> DbResult<Option<Head>> {
        let before = self.anchored();
        if let Some((seq, hash)) = db.read(|c, _| audit::head(c))? {
            self.append(&Head { seq, hash })
                .map_err(|e| crate::db::DbError::Commit(format!("{}: {e}", self.path.display())))?;
        }
        Ok(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_whole_line_is_the_head_and_a_torn_one_is_passed_over() {
        let dir = std::env::temp_dir().join(format!("houmon-audit-head-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let h = AuditHead::new(&dir, None);
        assert_eq!(h.anchored(), None);
        let a = Head { seq: 7, hash: "ab".repeat(32) };
        h.append(&a).unwrap();
        h.append(&Head { seq: 9, hash: "cd".repeat(32) }).unwrap();
        assert_eq!(h.anchored().unwrap().seq, 9);
        let mut f = std::fs::OpenOptions::new().append(true).open(h.path()).unwrap();
        f.write_all(b"12 abab").unwrap();
        assert_eq!(h.anchored().unwrap().seq, 9, "a line cut short by a crash");
        assert_eq!(
            parse(&format!("3 {}", "0".repeat(64))),
            Some(Head { seq: 3, hash: "0".repeat(64) })
        );
        assert_eq!(parse("3 xyz"), None);
        assert_eq!(AuditHead::new(&dir, Some("c-1")).path(), dir.join("audit-head-c-1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
