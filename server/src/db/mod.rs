// SPDX-License-Identifier: MPL-2.0
//! The clinic server's database, on SQLite (one file per clinic, the
//! default) or PostgreSQL (many clinics in one database, each row carrying
//! its clinic; [`backend`]). Queries are written once for both
//! ([`engine`]); work runs only on the runtime's blocking pool; concurrent
//! uploads are committed together ([`group`]). Personal data is sealed with the server key
//! (`secrets.rs`); ids, times and states stay in clear for the worker and
//! the console.
//!
//! One file per concern: [`schema`] (migrations), [`patients`], [`devices`]
//! (enrolment codes, tokens, revocation), [`rounds`] (who visits whom:
//! what each device may see), [`care_team`] (which patients a staff
//! member was given), [`visits`], [`eligibility`] (checks and results),
//! [`audit`] (the hash-chained trail), [`staff`], [`signin`] (staff
//! sign-in codes for shared phones), [`custody`] (a facility's card
//! custody log), [`readings`] (how card reads go on each phone model).

pub mod audit;
pub mod backend;
pub mod care_team;
pub mod console;
pub mod custody;
pub mod devices;
pub mod eligibility;
pub mod engine;
mod group;
mod legacy;
pub mod meta;
pub mod patients;
pub mod readings;
pub mod rounds;
pub mod schema;
pub mod signin;
pub mod staff;
pub mod visits;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use backend::{Location, PgLocation};
use backend::{Readers, Writer};
pub use engine::{Conn, EngineKind};

use crate::params;
use crate::secrets::Secrets;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error(transparent)]
    Migrate(#[from] houmon_migrate::MigrateError),
    /// A sealed value did not open: the wrong server key, or damage.
    #[error("{what} does not open with this server key")]
    Sealed { what: String },
    /// A grouped write's transaction did not commit.
    #[error("not stored: {0}")]
    Commit(String),
    /// A column held another type than the code reads.
    #[error("database value: {0}")]
    Type(String),
    /// No connection to PostgreSQL (the pool, the address).
    #[error("database connection: {0}")]
    Pool(String),
    /// PostgreSQL would not keep the clinics apart (a role that bypasses
    /// row-level security, a table without its policy): the server does
    /// not start.
    #[error("clinics are not kept apart in this database: {0}")]
    Isolation(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// The server's own words for a PostgreSQL error (the driver's `Display`
/// says only "db error"): the message and its SQLSTATE, never the
/// statement's parameters.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Times are stored as RFC 3339 UTC with microseconds (they sort as text).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// What the request threads and the commit thread share.
pub(crate) struct Shared {
    writer: Writer,
    secrets: Arc<Secrets>,
}

pub struct Db {
    shared: Arc<Shared>,
    readers: Readers,
    /// PostgreSQL: the clinic whose rows this server sees.
    clinic_id: Option<String>,
    committer: group::Committer,
}

impl Db {
    /// Opens (or creates) a SQLite database: migrates it, and seals what an
    /// older server left in clear.
    pub fn open(path: &Path, secrets: Arc<Secrets>) -> DbResult<Db> {
        Db::open_at(&Location::Sqlite(path.to_owned()), secrets)
    }

    /// Opens (or creates) the database at `location`, migrated to the
    /// current schema.
    pub fn open_at(location: &Location, secrets: Arc<Secrets>) -> DbResult<Db> {
        let (writer, readers, clinic_id) = match location {
            Location::Sqlite(path) => {
                let mut conn = backend::sqlite_connect(path)?;
                schema::SCHEMA.migrate(&mut conn)?;
                (Writer::sqlite(conn), Readers::sqlite(path)?, None)
            }
            Location::Postgres(loc) => backend::off_async(|| {
                let conn = std::cell::RefCell::new(backend::pg_connect(loc)?);
                backend::pg_migrate(&conn, None)?;
                backend::pg_check_isolation(&conn)?;
                DbResult::Ok((
                    Writer::postgres(conn.into_inner(), loc),
                    Readers::postgres(loc)?,
                    Some(loc.clinic_id.clone()),
                ))
            })?,
        };
        let shared = Arc::new(Shared { writer, secrets });
        let db =
            Db { committer: group::Committer::start(shared.clone()), shared, readers, clinic_id };
        backend::off_async(|| db.check_key())?;
        if db.kind() == EngineKind::Sqlite && db.write(legacy::seal_legacy)? {
            // Push the sealed pages into the main file so that no clear
            // text is left there or in the write-ahead log.
            db.shared.writer.lock().conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        Ok(db)
    }

    pub fn kind(&self) -> EngineKind {
        match (&self.readers, &self.clinic_id) {
            (Readers::Postgres(_), _) | (Readers::Closed, Some(_)) => EngineKind::Postgres,
            _ => EngineKind::Sqlite,
        }
    }

    /// The clinic this server is (PostgreSQL; one file is one clinic).
    pub fn clinic_id(&self) -> Option<&str> {
        self.clinic_id.as_deref()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.shared.secrets
    }

    /// A read, in one read transaction (a consistent view).
    pub fn read<T>(&self, f: impl FnOnce(Conn<'_>, &Secrets) -> DbResult<T>) -> DbResult<T> {
        let s = self.secrets();
        let read = || self.readers.with(|c| backend::read_transaction(c, |c| f(c, s)));
        match self.kind() {
            EngineKind::Sqlite => read(),
            EngineKind::Postgres => backend::off_async(read),
        }
    }

    /// A write on its own: one transaction, committed only if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(Conn<'_>, &Secrets) -> DbResult<T>) -> DbResult<T> {
        let s = self.secrets();
        match &self.clinic_id {
            Some(clinic) => backend::off_async(|| {
                self.readers
                    .postgres_write(clinic, |c| f(c, s))
                    .unwrap_or_else(|| Err(DbError::Pool("no pool".into())))
            }),
            None => self.shared.writer.lock().transaction(|c| f(c, s)),
        }
    }

    /// A write committed together with the writes of concurrent requests
    /// (`group.rs`): returns once it is durable. Its effects are all or
    /// nothing (a savepoint of its own), like [`Db::write`].
    pub fn write_grouped<T: Send + 'static>(
        &self,
        f: impl FnOnce(Conn<'_>, &Secrets) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        self.committer.write(f)
    }

    /// (groups committed, writes in them) since the database was opened.
    pub fn group_stats(&self) -> (u64, u64) {
        self.committer.stats()
    }

    /// A key check value, so that a server started with the wrong key says
    /// so at once instead of failing on the first patient.
    fn check_key(&self) -> DbResult<()> {
        const CHECK: &[u8] = b"houmon-server-key-check";
        self.write(|c, s| {
            let found =
                c.query_opt("SELECT value FROM meta WHERE key = 'key_check'", params![], |r| {
                    r.get::<Vec<u8>>(0)
                })?;
            match found {
                Some(v)
                    if s.open(&v, "meta:key_check").as_deref().map(Vec::as_slice)
                        == Some(CHECK) =>
                {
                    Ok(())
                }
                Some(_) => Err(DbError::Sealed { what: "the database".into() }),
                None => {
                    c.execute(
                        "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                        params![s.seal(CHECK, "meta:key_check")],
                    )?;
                    Ok(())
                }
            }
        })
    }
}

impl Drop for Db {
    /// PostgreSQL connections close where they may block (`off_async`).
    fn drop(&mut self) {
        if self.kind() == EngineKind::Postgres {
            let readers = std::mem::replace(&mut self.readers, Readers::Closed);
            backend::off_async(move || drop(readers));
        }
    }
}

/// Opens a sealed column value or says which row does not open.
pub(crate) fn open_sealed(
    s: &Secrets,
    sealed: &[u8],
    aad: &str,
) -> DbResult<zeroize::Zeroizing<Vec<u8>>> {
    s.open(sealed, aad).ok_or_else(|| DbError::Sealed { what: aad.to_owned() })
}

#[cfg(test)]
mod pg_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_sqlite_database_opens_and_writes_inside_a_current_thread_runtime() {
        let dir = std::env::temp_dir().join(format!("houmon-db-ct-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::open(&dir.join("ct.sqlite"), Arc::new(Secrets::generate())).unwrap();
        db.write(|c, _| c.execute("INSERT INTO meta (key, value) VALUES ('ct', x'00')", params![]))
            .unwrap();
        assert_eq!(
            db.read(|c, _| c.query_one(
                "SELECT count(*) FROM meta WHERE key = 'ct'",
                params![],
                |r| r.get::<i64>(0)
            ))
            .unwrap(),
            1
        );
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn concurrent_writes_commit_together_and_a_failed_one_leaves_no_trace() {
        let dir = std::env::temp_dir().join(format!("houmon-db-group-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Arc::new(Db::open(&dir.join("g.sqlite"), Arc::new(Secrets::generate())).unwrap());
        let before = db.group_stats();
        let threads: Vec<_> = (0..32)
            .map(|i| {
                let db = db.clone();
                std::thread::spawn(move || {
                    db.write_grouped(move |tx, _| {
                        tx.execute(
                            "INSERT INTO meta (key, value) VALUES (?1, x'00')",
                            params![format!("grp-{i}")],
                        )?;
                        // Slow enough that the others queue behind this one.
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        if i == 7 {
                            return Err(DbError::Sealed { what: "a failing write".into() });
                        }
                        Ok(i)
                    })
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 7, "{i}: {r:?}");
        }
        let keys: Vec<String> = db
            .read(|c, _| {
                c.query_all(
                    "SELECT key FROM meta WHERE key LIKE 'grp-%' ORDER BY key",
                    params![],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(keys.len(), 31, "every write but the failed one");
        assert!(!keys.contains(&"grp-7".to_owned()));
        let (groups, writes) = db.group_stats();
        let (groups, writes) = (groups - before.0, writes - before.1);
        assert_eq!(writes, 32, "the failed write's group still committed");
        assert!(groups < writes / 2, "writes were grouped: {writes} in {groups} commits");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_old_version_upgrades_and_its_personal_data_ends_sealed() {
        // The SQL steps, from every old version, with rows.
        houmon_migrate::check_upgrades(
            &schema::SCHEMA,
            |c, v| {
                if v >= 3 {
                    c.execute_batch(
                        "INSERT INTO staff (staff_id, name, role, created_at) VALUES ('s1', '看護 花子', 'nurse', 't');
                         INSERT INTO round_stop (day, device_id, staff_id, patient_id) VALUES ('2026-11-26', 'd1', 's1', 'p1');",
                    )
                    .unwrap();
                } else if v >= 1 {
                    c.execute_batch(
                        "INSERT INTO patients (patient_id, name, address, birth_date, insurer_number, symbol, number, branch)
                         VALUES ('p1', '山田 花子', '東京都千代田区1-1', '1940-04-01', '06130012', 'あ', '1', '00');
                         INSERT INTO devices (device_id, name, token, registered_at) VALUES ('d1', 'phone', 'tok', 't');",
                    )
                    .unwrap();
                }
            },
            |c, from| {
                if from >= 3 {
                    // Step 4: the staff member can log in once given a password.
                    let (failures, hash): (i64, Option<String>) = c
                        .query_row(
                            "SELECT failed_logins, password_hash FROM staff WHERE staff_id = 's1'",
                            [],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .unwrap();
                    assert_eq!((failures, hash), (0, None));
                    let stops: i64 =
                        c.query_row("SELECT COUNT(*) FROM round_stop", [], |r| r.get(0)).unwrap();
                    assert_eq!(stops, 1, "rounds kept");
                } else if from >= 1 {
                    let n: i64 = c
                        .query_row("SELECT COUNT(*) FROM legacy_patients", [], |r| r.get(0))
                        .unwrap();
                    assert_eq!(n, 1, "kept for sealing");
                }
            },
        );
        // And the first open with the key seals them and drops the clear text.
        let dir = std::env::temp_dir().join(format!("houmon-db-upgrade-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.sqlite");
        {
            let mut c = rusqlite::Connection::open(&path).unwrap();
            schema::SCHEMA.migrate_to(&mut c, 1).unwrap();
            c.execute_batch(
                "INSERT INTO patients (patient_id, name, address, birth_date) VALUES ('p1', '山田 花子', '東京都', '1940-04-01');
                 INSERT INTO devices (device_id, name, token, registered_at) VALUES ('d1', 'phone', 'tok', 't');
                 INSERT INTO results (patient_id, checked_at, outcome_json) VALUES ('p1', 't', '{\"outcome\":\"pending\"}');",
            )
            .unwrap();
        }
        let secrets = Arc::new(Secrets::generate());
        let db = Db::open(&path, secrets).unwrap();
        let p = db.read(|c, s| patients::get(c, s, "p1")).unwrap().unwrap();
        assert_eq!(p.personal.name, "山田 花子");
        let raw = std::fs::read(&path).unwrap();
        assert!(
            !raw.windows("山田".len()).any(|w| w == "山田".as_bytes()),
            "no clear name in the file"
        );
        let auth = db.read(|c, _| devices::by_token(c, "tok", Utc::now())).unwrap();
        assert_eq!(
            auth.map(|a| a.device_id),
            Some("d1".into()),
            "the old token, hashed, still works"
        );
        drop(db);
        assert!(
            matches!(Db::open(&path, Arc::new(Secrets::generate())), Err(DbError::Sealed { .. })),
            "another key is refused at open"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
