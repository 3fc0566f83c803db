// SPDX-License-Identifier: MPL-2.0
//! The two engines behind [`Db`](super::Db): connections, transactions and
//! the writer.
//!
//! - **SQLite** (the embedded default: one clinic, one file): one writer
//!   connection behind a mutex (WAL, `synchronous=FULL`) and a few
//!   `query_only` read connections; a write is `BEGIN IMMEDIATE … COMMIT`.
//! - **PostgreSQL** (a server hosting many clinics, `--database
//!   postgres://…`): an r2d2 pool of connections, each bound to this
//!   server's clinic at connect (`houmon.clinic_id`, which every row's
//!   `clinic_id` defaults to and row-level security checks), plus one
//!   connection for the commit thread. Every write transaction first takes
//!   the clinic's advisory lock, so that one clinic's writes — this
//!   server's, an admin command's — follow one another (the audit chain
//!   and the results' cursor need one order) while other clinics' go on.
//!   Reads are `REPEATABLE READ READ ONLY`: one consistent snapshot, like a
//!   SQLite read transaction.

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::engine::{Conn, PgConn};
use super::{schema, DbError, DbResult};
use crate::params;

/// How many read connections SQLite keeps open: reads (token checks,
/// rosters, the console) do not wait for a commit's fsync.
const SQLITE_READERS: usize = 4;

/// Where the database is.
#[derive(Clone)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(PgLocation),
}

/// A PostgreSQL database and the clinic this server is.
#[derive(Clone)]
pub struct PgLocation {
    /// `postgres://user@host/db` or `host=… user=… dbname=…`, without a
    /// password (never on a command line).
    pub url: String,
    /// From `HOUMON_DATABASE_PASSWORD` or a file, if the server needs one.
    pub password: Option<Zeroizing<String>>,
    /// This clinic's tenant id (every row carries it).
    pub clinic_id: String,
    /// Pooled connections (besides the commit thread's).
    pub pool_size: u32,
}

impl std::fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLocation")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("clinic_id", &self.clinic_id)
            .finish()
    }
}

impl PgLocation {
    /// Checks what it can before connecting: the address parses and
    /// carries no password (it would be on a command line or in the
    /// environment's listing of the process), the clinic id is an id.
    pub fn new(
        url: &str,
        password: Option<String>,
        clinic_id: &str,
        pool_size: u32,
    ) -> Result<PgLocation, String> {
        let config: postgres::Config =
            url.parse().map_err(|e| format!("the database address does not parse: {e}"))?;
        if config.get_password().is_some() {
            return Err("the database address carries a password: give it in HOUMON_DATABASE_PASSWORD or a file (--database-password-file), never in the address".into());
        }
        if !crate::validate::is_id(clinic_id) {
            return Err(format!(
                "the clinic id {clinic_id:?}: 1–64 of A–Z a–z 0–9 - _ . (--clinic-id)"
            ));
        }
        Ok(PgLocation {
            url: url.to_owned(),
            password: password.map(Zeroizing::new),
            clinic_id: clinic_id.to_owned(),
            pool_size: pool_size.max(1),
        })
    }
}

/// Runs PostgreSQL work where it may block. The synchronous client drives
/// its own small runtime, which must not be entered from an async task: on
/// a multi-threaded runtime's worker the work moves aside
/// (`block_in_place`); on the blocking pool or a plain thread it runs as
/// is. (A current-thread runtime's task runs it as is: fine for SQLite;
/// PostgreSQL's client refuses to run there, and the server never makes
/// one.)
pub fn off_async<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The advisory lock key of a clinic's writes.
fn lock_key(clinic_id: &str) -> i64 {
    let d = Sha256::digest(format!("houmon/clinic-writes/{clinic_id}").as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Opens one SQLite connection as the server uses them.
pub fn sqlite_connect(path: &Path) -> DbResult<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Deleted rows are overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// Opens one PostgreSQL connection bound to the clinic.
pub fn pg_connect(loc: &PgLocation) -> DbResult<PgConn> {
    let mut config: postgres::Config =
        loc.url.parse().map_err(|e: postgres::Error| DbError::Pool(e.to_string()))?;
    if let Some(p) = &loc.password {
        config.password(p.as_bytes());
    }
    // Seen in pg_stat_activity: which clinic's server holds a connection.
    config.application_name(&format!("houmon-server/{}", loc.clinic_id));
    config.connect_timeout(Duration::from_secs(10));
    // The link is a Unix socket or a private network (docs/security.md).
    let mut client = config.connect(postgres::NoTls)?;
    client.execute("SELECT set_config('houmon.clinic_id', $1, false)", &[&loc.clinic_id])?;
    Ok(PgConn::new(client))
}

/// r2d2's view of our connections.
pub struct PgManager(pub PgLocation);

impl r2d2::ManageConnection for PgManager {
    type Connection = RefCell<PgConn>;
    type Error = DbError;

    fn connect(&self) -> Result<Self::Connection, DbError> {
        pg_connect(&self.0).map(RefCell::new)
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), DbError> {
        conn.get_mut().client.batch_execute("SELECT 1").map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.get_mut().client.is_closed()
    }
}

impl std::fmt::Debug for PgManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgManager({:?})", self.0)
    }
}

/// The connection writes go through.
pub enum Writer {
    Sqlite(Mutex<Connection>),
    Postgres(Box<PgWriter>),
}

/// The commit thread's own PostgreSQL connection and the clinic's lock.
pub struct PgWriter {
    conn: Mutex<RefCell<PgConn>>,
    lock_key: i64,
    /// To connect again when the connection is lost (a database restart,
    /// a failover, an administrator ending it).
    location: PgLocation,
    /// The last transaction failed: the connection may be dead although
    /// the client has not noticed yet (an administrator's termination
    /// arrives as an error first, the closed socket a moment later).
    suspect: std::sync::atomic::AtomicBool,
}

/// The writer, locked: one transaction at a time.
pub enum WriterGuard<'a> {
    Sqlite(MutexGuard<'a, Connection>),
    Postgres(MutexGuard<'a, RefCell<PgConn>>, i64, &'a std::sync::atomic::AtomicBool),
}

impl Writer {
    pub fn sqlite(conn: Connection) -> Writer {
        Writer::Sqlite(Mutex::new(conn))
    }

    pub fn postgres(conn: PgConn, location: &PgLocation) -> Writer {
        Writer::Postgres(Box::new(PgWriter {
            conn: Mutex::new(RefCell::new(conn)),
            lock_key: lock_key(&location.clinic_id),
            location: location.clone(),
            suspect: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// The writer for one transaction. A PostgreSQL connection found
    /// closed (its last use failed on it), or that does not answer after a
    /// failed transaction, is replaced first; if that fails too, the
    /// transaction fails and its requests are retried later.
    pub fn lock(&self) -> WriterGuard<'_> {
        match self {
            Writer::Sqlite(m) => WriterGuard::Sqlite(m.lock().unwrap_or_else(|e| e.into_inner())),
            Writer::Postgres(w) => {
                let guard = w.conn.lock().unwrap_or_else(|e| e.into_inner());
                let suspect = w.suspect.swap(false, std::sync::atomic::Ordering::Relaxed);
                let dead = guard.borrow().client.is_closed()
                    || (suspect
                        && guard.borrow_mut().client.is_valid(Duration::from_secs(2)).is_err());
                if dead {
                    match pg_connect(&w.location) {
                        Ok(fresh) => {
                            tracing::info!(
                                "PostgreSQL: the writer's connection was lost; connected again"
                            );
                            *guard.borrow_mut() = fresh;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "PostgreSQL: connecting the writer again failed")
                        }
                    }
                }
                WriterGuard::Postgres(guard, w.lock_key, &w.suspect)
            }
        }
    }
}

impl WriterGuard<'_> {
    pub fn conn(&self) -> Conn<'_> {
        match self {
            WriterGuard::Sqlite(c) => Conn::Sqlite(c),
            WriterGuard::Postgres(c, _, _) => Conn::Pg(c),
        }
    }

    /// Runs `f` in one write transaction: committed if it succeeds, rolled
    /// back if not.
    pub fn transaction<T>(&self, f: impl FnOnce(Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        match self {
            WriterGuard::Sqlite(c) => write_transaction(Conn::Sqlite(c), None, f),
            WriterGuard::Postgres(c, key, suspect) => {
                let out = write_transaction(Conn::Pg(c), Some(*key), f);
                if out.is_err() {
                    suspect.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                out
            }
        }
    }
}

/// `BEGIN` (and the clinic's lock) … `COMMIT`, or `ROLLBACK` on failure.
pub fn write_transaction<T>(
    c: Conn<'_>,
    lock_key: Option<i64>,
    f: impl FnOnce(Conn<'_>) -> DbResult<T>,
) -> DbResult<T> {
    match c {
        Conn::Sqlite(_) => c.execute_batch("BEGIN IMMEDIATE")?,
        Conn::Pg(_) => {
            c.execute_batch("BEGIN")?;
            if let Err(e) = c.execute("SELECT pg_advisory_xact_lock(?1)", params![lock_key]) {
                let _ = c.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    match f(c).and_then(|out| c.execute_batch("COMMIT").map(|()| out)) {
        Ok(out) => Ok(out),
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A read transaction: one consistent view.
pub fn read_transaction<T>(c: Conn<'_>, f: impl FnOnce(Conn<'_>) -> DbResult<T>) -> DbResult<T> {
    match c {
        Conn::Sqlite(_) => c.execute_batch("BEGIN")?,
        Conn::Pg(_) => c.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
    }
    let out = f(c);
    match &out {
        Ok(_) => c.execute_batch("COMMIT")?,
        Err(_) => {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
    out
}

/// Where reads go.
pub enum Readers {
    Sqlite {
        idle: Mutex<Vec<Connection>>,
        free: Condvar,
    },
    Postgres(r2d2::Pool<PgManager>),
    /// Dropped (the database is closing).
    Closed,
}

impl Readers {
    pub fn sqlite(path: &Path) -> DbResult<Readers> {
        let idle = (0..SQLITE_READERS)
            .map(|_| {
                let c = sqlite_connect(path)?;
                c.pragma_update(None, "query_only", "ON")?;
                Ok(c)
            })
            .collect::<DbResult<Vec<_>>>()?;
        Ok(Readers::Sqlite { idle: Mutex::new(idle), free: Condvar::new() })
    }

    pub fn postgres(loc: &PgLocation) -> DbResult<Readers> {
        let pool = r2d2::Pool::builder()
            .max_size(loc.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(PgManager(loc.clone()))
            .map_err(|e| DbError::Pool(e.to_string()))?;
        Ok(Readers::Postgres(pool))
    }

    /// Runs `f` on a connection of the pool (SQLite: a read connection).
    pub fn with<T>(&self, f: impl FnOnce(Conn<'_>) -> DbResult<T>) -> DbResult<T> {
        match self {
            Readers::Sqlite { idle, free } => {
                let conn = {
                    let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
                    loop {
                        if let Some(c) = idle.pop() {
                            break c;
                        }
                        idle = free.wait(idle).unwrap_or_else(|e| e.into_inner());
                    }
                };
                let out = f(Conn::Sqlite(&conn));
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
                free.notify_one();
                out
            }
            Readers::Postgres(pool) => {
                let conn = pool.get().map_err(|e| DbError::Pool(e.to_string()))?;
                f(Conn::Pg(&conn))
            }
            Readers::Closed => Err(DbError::Pool("the database is closed".into())),
        }
    }

    /// A write on a pooled connection (PostgreSQL only: SQLite has one
    /// writer).
    pub fn postgres_write<T>(
        &self,
        lock_key_of: &str,
        f: impl FnOnce(Conn<'_>) -> DbResult<T>,
    ) -> Option<DbResult<T>> {
        match self {
            Readers::Sqlite { .. } | Readers::Closed => None,
            Readers::Postgres(pool) => Some(
                pool.get()
                    .map_err(|e| DbError::Pool(e.to_string()))
                    .and_then(|c| write_transaction(Conn::Pg(&c), Some(lock_key(lock_key_of)), f)),
            ),
        }
    }
}

/// Refuses a PostgreSQL database where row-level security would not keep
/// the clinics apart: this server's role is a superuser or may bypass it,
/// or a table of the schema with a `clinic_id` lacks row-level security
/// (enabled and forced) or its policy. The policies are the clinic
/// predicate of every query.
pub fn pg_check_isolation(conn: &RefCell<PgConn>) -> DbResult<()> {
    let c = Conn::Pg(conn);
    let bypass: bool = c.query_one(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        params![],
        |r| r.get(0),
    )?;
    if bypass {
        return Err(DbError::Isolation(
            "the database role is a superuser or has BYPASSRLS; give houmon-server a role with neither".into(),
        ));
    }
    let open: Vec<String> = c.query_all(
        "SELECT CAST(t.relname AS TEXT) FROM pg_class t
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND t.relkind = 'r'
           AND EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = t.oid AND a.attname = 'clinic_id' AND NOT a.attisdropped)
           AND NOT (t.relrowsecurity AND t.relforcerowsecurity
                    AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid))
         ORDER BY 1",
        params![],
        |r| r.get(0),
    )?;
    if !open.is_empty() {
        return Err(DbError::Isolation(format!(
            "row-level security is off or has no policy on: {}",
            open.join(", ")
        )));
    }
    Ok(())
}

/// Brings a PostgreSQL database to the current schema (`schema::PG_STEPS`),
/// one step per transaction under a database-wide advisory lock, so that
/// servers starting together migrate it once.
pub fn pg_migrate(conn: &RefCell<PgConn>, upto: Option<i64>) -> DbResult<()> {
    struct Target<'a>(&'a RefCell<PgConn>);
    const MIGRATION_LOCK: i64 = 0x686f_756d_6f6e_0001; // "houmon" 1
    impl houmon_migrate::Target for Target<'_> {
        fn version(&mut self) -> Result<i64, String> {
            let c = Conn::Pg(self.0);
            write_transaction(c, Some(MIGRATION_LOCK), |c| {
                c.execute_batch(
                    "CREATE TABLE IF NOT EXISTS houmon_schema (
                         id BIGINT PRIMARY KEY CHECK (id = 1),
                         version BIGINT NOT NULL)",
                )?;
                c.query_opt("SELECT version FROM houmon_schema WHERE id = 1", params![], |r| {
                    r.get::<i64>(0)
                })
                .map(|v| v.unwrap_or(0))
            })
            .map_err(|e| e.to_string())
        }

        fn step(&mut self, sql: &str, to: i64) -> Result<(), String> {
            let c = Conn::Pg(self.0);
            write_transaction(c, Some(MIGRATION_LOCK), |c| {
                let now: i64 = c
                    .query_opt("SELECT version FROM houmon_schema WHERE id = 1", params![], |r| {
                        r.get(0)
                    })?
                    .unwrap_or(0);
                if now >= to {
                    return Ok(()); // another server did it meanwhile
                }
                c.execute_batch(sql)?;
                c.execute(
                    "INSERT INTO houmon_schema (id, version) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                    params![to],
                )?;
                Ok(())
            })
            .map_err(|e| e.to_string())
        }
    }
    let steps = schema::PG_STEPS;
    houmon_migrate::run(
        "clinic server (PostgreSQL)",
        steps,
        &mut Target(conn),
        upto.unwrap_or(steps.len() as i64),
    )?;
    Ok(())
}
