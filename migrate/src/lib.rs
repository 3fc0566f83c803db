// SPDX-License-Identifier: MPL-2.0
//! # houmon-migrate: one migration runner
//!
//! The phone's store (`houmon-store`) and the clinic server
//! (`houmon-server`) keep their schema the same way: a list of numbered SQL
//! steps; step N takes the database from version N-1 to N; the version is
//! SQLite's `user_version`; each step runs in its own transaction with the
//! version bump, so a crash leaves the database at a whole version. A
//! database written by a newer program is refused ([`MigrateError::TooNew`])
//! rather than half-understood.
//!
//! Never edit a step that has shipped; add one. Every schema has an upgrade
//! test built with [`check_upgrades`]: each older version, with rows in it,
//! is upgraded to the current one.

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database was written by a newer version of the program.
    #[error("{schema} schema {found} is newer than this program ({supported})")]
    TooNew { schema: &'static str, found: i64, supported: i64 },
    #[error("migrating {schema} to version {to}: {source}")]
    Step {
        schema: &'static str,
        to: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A step on another engine (PostgreSQL) failed.
    #[error("migrating {schema} to version {to}: {reason}")]
    Engine { schema: &'static str, to: i64, reason: String },
}

/// A database another engine keeps (the server's PostgreSQL): where its
/// version is, and how a step runs in one transaction with its bump.
pub trait Target {
    fn version(&mut self) -> Result<i64, String>;
    /// Runs `sql` and records version `to`, both or neither — or nothing,
    /// if another process took the database to `to` meanwhile.
    fn step(&mut self, sql: &str, to: i64) -> Result<(), String>;
}

/// Runs `steps` on `target` up to `upto`, with the same rules as
/// [`Schema::migrate_to`]: one transaction per step, a newer database refused.
pub fn run<T: Target>(
    name: &'static str,
    steps: &[&str],
    target: &mut T,
    upto: i64,
) -> Result<(), MigrateError> {
    let current = steps.len() as i64;
    let found =
        target.version().map_err(|reason| MigrateError::Engine { schema: name, to: 0, reason })?;
    if found > current {
        return Err(MigrateError::TooNew { schema: name, found, supported: current });
    }
    for v in found..upto.min(current) {
        target.step(steps[v as usize], v + 1).map_err(|reason| MigrateError::Engine {
            schema: name,
            to: v + 1,
            reason,
        })?;
        tracing::info!(schema = name, version = v + 1, "schema migrated");
    }
    Ok(())
}

/// A schema: its name (for messages) and its steps, in order.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub name: &'static str,
    pub steps: &'static [&'static str],
}

impl Schema {
    /// The version a fully migrated database has.
    pub const fn current(&self) -> i64 {
        self.steps.len() as i64
    }

    /// The version of `conn` (0 for a new database).
    pub fn version(conn: &Connection) -> Result<i64, MigrateError> {
        Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Brings the database to [`Schema::current`].
    pub fn migrate(&self, conn: &mut Connection) -> Result<(), MigrateError> {
        self.migrate_to(conn, self.current())
    }

    /// Brings the database to `target` (tests build old versions with it).
    pub fn migrate_to(&self, conn: &mut Connection, target: i64) -> Result<(), MigrateError> {
        let found = Self::version(conn)?;
        if found > self.current() {
            return Err(MigrateError::TooNew {
                schema: self.name,
                found,
                supported: self.current(),
            });
        }
        for v in found..target.min(self.current()) {
            let step = |e| MigrateError::Step { schema: self.name, to: v + 1, source: e };
            let tx = conn.transaction()?;
            tx.execute_batch(self.steps[v as usize]).map_err(step)?;
            tx.pragma_update(None, "user_version", v + 1).map_err(step)?;
            tx.commit().map_err(step)?;
            tracing::info!(schema = self.name, version = v + 1, "schema migrated");
        }
        Ok(())
    }
}

/// The upgrade test every schema runs: for each older version, build it,
/// let `seed` put rows in it, migrate to the current version, and let
/// `check` look at the result (`from` is the version it started at).
pub fn check_upgrades(
    schema: &Schema,
    seed: impl Fn(&Connection, i64),
    check: impl Fn(&Connection, i64),
) {
    for start in 0..schema.current() {
        let mut conn = Connection::open_in_memory().expect("an in-memory database");
        schema.migrate_to(&mut conn, start).expect("old version builds");
        seed(&conn, start);
        schema.migrate(&mut conn).unwrap_or_else(|e| panic!("{} from {start}: {e}", schema.name));
        assert_eq!(Schema::version(&conn).expect("version"), schema.current(), "from {start}");
        check(&conn, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOY: Schema = Schema {
        name: "toy",
        steps: &[
            "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT NOT NULL);",
            "ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'y';",
        ],
    };

    #[test]
    fn every_old_version_upgrades_and_keeps_its_rows() {
        check_upgrades(
            &TOY,
            |c, v| {
                if v >= 1 {
                    c.execute("INSERT INTO a (x) VALUES ('kept')", []).unwrap();
                }
            },
            |c, from| {
                if from >= 1 {
                    let (x, y): (String, String) = c
                        .query_row("SELECT x, y FROM a", [], |r| Ok((r.get(0)?, r.get(1)?)))
                        .unwrap();
                    assert_eq!((x.as_str(), y.as_str()), ("kept", "y"));
                }
            },
        );
    }

    #[test]
    fn migrating_twice_changes_nothing_and_a_newer_database_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        TOY.migrate(&mut c).unwrap();
        TOY.migrate(&mut c).unwrap();
        assert_eq!(Schema::version(&c).unwrap(), 2);
        c.pragma_update(None, "user_version", 3).unwrap();
        assert!(matches!(TOY.migrate(&mut c), Err(MigrateError::TooNew { found: 3, .. })));
    }

    #[test]
    fn a_failing_step_leaves_the_database_at_the_last_whole_version() {
        const BAD: Schema = Schema {
            name: "bad",
            steps: &[
                "CREATE TABLE a (x TEXT);",
                "CREATE TABLE b (y TEXT); INSERT INTO nowhere VALUES (1);",
            ],
        };
        let mut c = Connection::open_in_memory().unwrap();
        assert!(matches!(BAD.migrate(&mut c), Err(MigrateError::Step { to: 2, .. })));
        assert_eq!(Schema::version(&c).unwrap(), 1);
        let b: i64 = c
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(b, 0, "the failed step's table was rolled back");
    }
}
