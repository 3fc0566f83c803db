// SPDX-License-Identifier: MPL-2.0
//! Group commit: writes from concurrent requests committed together.
//!
//! A request hands its write to [`Committer`] and waits. The committer
//! thread takes the first waiting write, then every other write queued
//! meanwhile (up to [`MAX_GROUP`]), runs them in one transaction — each
//! inside its own savepoint, so that a write that fails leaves no trace
//! and does not undo the others — and commits once: one fsync for the
//! whole group. Only then is each request answered, with its own result:
//! nothing is acknowledged before it is durable. If the commit itself
//! fails, every write of the group gets the error and nothing of the group
//! is stored.
//!
//! Under light load a group is one write and nothing waits longer than
//! before; under load the groups grow while the previous commit is on
//! disk, which is where the time goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::engine::Conn;
use super::{DbError, DbResult, Shared};
use crate::secrets::Secrets;

/// At most this many writes in one transaction.
pub const MAX_GROUP: usize = 256;

/// Called after the group's commit: `Ok` when it is durable.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write: runs in the group's transaction; says whether it succeeded
/// (kept) or failed (rolled back to its savepoint), and how to answer.
type Job = Box<dyn FnOnce(Conn<'_>, &Secrets) -> (bool, Finish) + Send>;

pub struct Committer {
    queue: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
}

/// How many groups were committed, holding how many writes.
#[derive(Debug, Default)]
pub struct Stats {
    pub groups: AtomicU64,
    pub writes: AtomicU64,
}

impl Committer {
    pub fn start(shared: Arc<Shared>) -> Committer {
        let (queue, jobs) = mpsc::channel::<Job>();
        let stats = Arc::new(Stats::default());
        let counted = stats.clone();
        let thread = std::thread::Builder::new()
            .name("houmon-commit".into())
            .spawn(move || run(&shared, &jobs, &counted))
            .expect("the commit thread starts");
        Committer { queue: Some(queue), thread: Some(thread), stats }
    }

    /// (groups committed, writes in them) since the start.
    pub fn stats(&self) -> (u64, u64) {
        (self.stats.groups.load(Ordering::Relaxed), self.stats.writes.load(Ordering::Relaxed))
    }

    /// Runs `f` in the next group's transaction and returns its result once
    /// the group is committed (or the commit's error).
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(Conn<'_>, &Secrets) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let (answer, answered): (SyncSender<DbResult<T>>, Receiver<DbResult<T>>) =
            mpsc::sync_channel(1);
        let job: Job = Box::new(move |tx, s| {
            let out = f(tx, s);
            let ok = out.is_ok();
            let finish: Finish = Box::new(move |commit| {
                let _ = answer.send(match commit {
                    Ok(()) => out,
                    Err(e) => Err(DbError::Commit(e)),
                });
            });
            (ok, finish)
        });
        let queue = self.queue.as_ref().ok_or_else(|| DbError::Commit("stopped".into()))?;
        queue.send(job).map_err(|_| DbError::Commit("the commit thread stopped".into()))?;
        answered.recv().map_err(|_| DbError::Commit("not committed".into()))?
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has committed what it has.
        self.queue = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, jobs: &Receiver<Job>, stats: &Stats) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let n = group.len();
        let mut finishes = Vec::with_capacity(n);
        let commit = shared
            .writer
            .lock()
            .transaction(|c| {
                for job in group {
                    c.execute("SAVEPOINT job", crate::params![])?;
                    let (ok, finish) = job(c, &shared.secrets);
                    finishes.push(finish);
                    if ok {
                        c.execute("RELEASE job", crate::params![])?;
                    } else {
                        c.execute_batch("ROLLBACK TO job; RELEASE job")?;
                    }
                }
                Ok(())
            })
            .map_err(|e| e.to_string());
        if commit.is_ok() {
            stats.groups.fetch_add(1, Ordering::Relaxed);
            stats.writes.fetch_add(n as u64, Ordering::Relaxed);
        } else if let Err(e) = &commit {
            // Jobs that did not run (dropped unrun) are answered "not
            // committed" by their closed channel.
            tracing::error!(error = %e, writes = n, "a group commit failed; its writes are answered with the error");
        }
        for f in finishes {
            f(commit.clone());
        }
    }
}
