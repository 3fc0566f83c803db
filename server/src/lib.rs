// SPDX-License-Identifier: MPL-2.0
//! # houmon-server: the clinic server
//!
//! One concern per module:
//!
//! - [`api`]: the phones' HTTP API; [`listener`]: accepting connections
//!   (TLS, caps per source and in all, time-outs; [`peer`]: what a source
//!   is); [`tls`]: the server's certificate (files, or a clinic CA it
//!   makes).
//! - [`ingest`]: the rules for a visit record; [`verify`]: its evidence
//!   ([`photo`]: a 目視 record's photo);
//!   [`time_anchor`]: time the server can stand behind; [`crl`]:
//!   revocation lists; [`validate`]: what ids and names may look like.
//! - [`db`]: the database (one file per table group, the schema, the
//!   audit trail; [`audit_head`]: its head, kept outside); [`secrets`]: the
//!   server key and what derives from it;
//!   [`files`]: the files on disk, owner-only.
//! - [`worker`]: eligibility checks through the 資格確認端末 ([`oqs`]: its
//!   file interface; [`terminal`]: a simulated one).
//! - [`console`]: the clinic's web pages (`/console`).
//! - [`admin`]: staff actions (CLI, console); [`reach`]: which patients a
//!   staff member may act on; [`limiter`]: waits after
//!   wrong enrolment codes and passwords; [`app`]: the shared state; [`loopback`]: a whole clinic
//!   in one process for tests and the demo.
//!
//! The wire types are `houmon_core::protocol`; `docs/sync-protocol.md`
//! describes the protocol and `docs/security.md` the threat model.

pub mod admin;
pub mod api;
pub mod app;
pub mod audit_head;
pub mod console;
pub mod crl;
pub mod db;
pub mod files;
pub mod ingest;
pub mod limiter;
pub mod listener;
pub mod loopback;
pub mod oqs;
pub mod peer;
pub mod photo;
pub mod reach;
pub mod secrets;
pub mod terminal;
pub mod time_anchor;
pub mod tls;
pub mod validate;
pub mod verify;
pub mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use houmon_core::card::cert::AuthCertificate;

pub use admin::PatientSeed;
pub use app::App;

use crate::crl::CrlStore;
use crate::db::Db;
use crate::oqs::OqsDirs;
use crate::secrets::{KeySource, Secrets};

/// How the server speaks TLS.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// A clinic CA and server certificate made (once) in `<data-dir>/tls`
    /// for these names (DNS names or IP addresses).
    Generate { names: Vec<String> },
    /// The clinic's own chain and key.
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP — refused unless the listen address is loopback.
    PlainLoopback,
}

/// Where the server key comes from.
#[derive(Clone)]
pub enum KeyFrom {
    /// `--key-file`, else `HOUMON_SERVER_KEY`, else `<data-dir>/server.key`.
    Default(Option<PathBuf>),
    Given(Arc<Secrets>),
}

#[derive(Clone)]
pub struct Config {
    /// The database, the server key (unless given), the TLS files.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The address phones are told to use (default: from the listen address).
    pub public_url: Option<String>,
    pub tls: TlsMode,
    pub key: KeyFrom,
    pub oqs_dir: PathBuf,
    /// J-LIS revocation lists, kept up to date by the clinic.
    pub crl_dir: Option<PathBuf>,
    /// DER certificates; empty: the J-LIS 利用者証明用 roots.
    pub trust_anchors: Vec<Vec<u8>>,
    /// 医療機関コード (10 digits), written into requests.
    pub institution_code: String,
    /// How long to wait for the terminal before reporting a time-out.
    pub check_timeout: Duration,
    pub poll_interval: Duration,
    pub limits: listener::Limits,
    /// Wrong enrolment codes: the waits per address.
    pub enrol_limits: limiter::Limits,
    /// Wrong console passwords: the waits per address and account.
    pub login_limits: limiter::LoginLimits,
    /// PostgreSQL (a server hosting many clinics); `None`: SQLite in
    /// `data_dir`.
    pub database: Option<db::PgLocation>,
}

impl Config {
    /// Defaults for a server in `data_dir` listening on `listen`.
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Config {
        Config {
            oqs_dir: data_dir.join("oqs"),
            data_dir,
            listen,
            public_url: None,
            tls: TlsMode::Generate { names: vec!["localhost".into(), "127.0.0.1".into()] },
            key: KeyFrom::Default(None),
            crl_dir: None,
            trust_anchors: Vec::new(),
            institution_code: "0000000000".into(),
            check_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(200),
            limits: listener::Limits::default(),
            enrol_limits: limiter::Limits::ENROLMENT,
            login_limits: limiter::LoginLimits::default(),
            database: None,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("clinic.sqlite")
    }

    /// Where the database is.
    pub fn location(&self) -> db::Location {
        match &self.database {
            Some(pg) => db::Location::Postgres(pg.clone()),
            None => db::Location::Sqlite(self.db_path()),
        }
    }
}

/// Opens the shared state the server, the worker and the admin commands
/// use (no network).
pub fn open_app(
    config: &Config,
    public_url: String,
    pin: Option<String>,
) -> Result<Arc<App>, String> {
    files::secure_data_dir(&config.data_dir)?;
    let secrets = match &config.key {
        KeyFrom::Given(s) => s.clone(),
        KeyFrom::Default(file) => {
            let (s, source) = Secrets::load(file.as_deref(), &config.data_dir, &config.db_path())?;
            match source {
                KeySource::Generated(p) => tracing::warn!(
                    file = ?p,
                    "made a new server key: back it up apart from the database (the database cannot be read without it)"
                ),
                other => tracing::info!(source = ?other, "server key loaded"),
            }
            Arc::new(s)
        }
    };
    if config.database.is_none() {
        // Made owner-only before SQLite creates it (its -wal and -shm
        // take its mode).
        files::create_private_file(&config.db_path())
            .map_err(|e| format!("{}: {e}", config.db_path().display()))?;
    }
    let db = Db::open_at(&config.location(), secrets).map_err(|e| format!("database: {e}"))?;
    let anchors = if config.trust_anchors.is_empty() {
        verify::jlis_roots()
    } else {
        config
            .trust_anchors
            .iter()
            .map(|d| AuthCertificate::from_der(d).map_err(|e| format!("trust anchor: {e}")))
            .collect::<Result<_, _>>()?
    };
    let oqs = OqsDirs::under(&config.oqs_dir).map_err(|e| format!("OQS folder: {e}"))?;
    let audit_head = audit_head::AuditHead::new(&config.data_dir, db.clinic_id());
    Ok(Arc::new(App {
        audit_head,
        db,
        crl: CrlStore::new(config.crl_dir.clone(), anchors.clone()),
        anchors,
        oqs,
        institution_code: config.institution_code.clone(),
        check_timeout: config.check_timeout,
        enrolments: limiter::Throttle::new(config.enrol_limits),
        logins: limiter::Logins::new(config.login_limits),
        public_url,
        pin,
        prepare_gate: std::sync::Mutex::new(()),
    }))
}

/// At start: says loudly, and in the trail, if the audit trail lost the
/// entries its head file recorded.
fn check_audit_tail(app: &App) {
    match app.audit_head.missing(&app.db) {
        Ok(Some(anchored)) => {
            let now = app.db.read(|c, _| db::audit::head(c)).ok().flatten().map_or(0, |h| h.0);
            tracing::error!(
                anchored = anchored.seq,
                newest = now,
                file = ?app.audit_head.path(),
                "the audit trail no longer holds the entry its head file recorded: its newest entries were removed; compare with a backup (houmon-server audit)"
            );
            let entry =
                db::audit::Entry::new(db::audit::Actor::System, "audit.tail-missing", "failed")
                    .detail(format!("head file: entry {}; the trail ends at {now}", anchored.seq));
            let _ = app.db.write(|tx, s| db::audit::append(tx, s, &entry, chrono::Utc::now()));
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "the audit head could not be checked"),
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub url: String,
    /// `sha256:…` phones pin (none for plain HTTP on loopback).
    pub pin: Option<String>,
    pub app: Arc<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops serving and the worker; the database stays consistent (every
    /// write is a committed transaction).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
        self.worker.abort();
        let _ = self.worker.await;
        let app = self.app.clone();
        let _ = tokio::task::spawn_blocking(move || admin::anchor_audit(&app)).await;
    }
}

/// Starts the server (and its eligibility worker) on `config.listen`.
pub async fn start(config: Config) -> Result<Server, String> {
    files::secure_data_dir(&config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tls = match &config.tls {
        TlsMode::PlainLoopback if listener::plain_http_allowed(addr) => None,
        TlsMode::PlainLoopback => {
            return Err(format!("plain HTTP is allowed only on a loopback address, not {addr}"))
        }
        TlsMode::Generate { names } => Some(tls::generated(&config.data_dir.join("tls"), names)?),
        TlsMode::Files { cert, key } => Some(tls::from_files(cert, key)?),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = config.public_url.clone().unwrap_or_else(|| {
        let host = match &config.tls {
            TlsMode::Generate { names } => {
                names.first().cloned().unwrap_or_else(|| addr.ip().to_string())
            }
            _ => addr.ip().to_string(),
        };
        format!("{scheme}://{host}:{}", addr.port())
    });
    let pin = tls.as_ref().map(|t| t.pin.clone());
    let app = open_app(&config, url.clone(), pin.clone())?;
    check_audit_tail(&app);
    let router = api::router(app.clone(), config.limits);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task =
        tokio::spawn(listener::serve(listener, router, tls.map(|t| t.config), config.limits, rx));
    let poll = config.poll_interval;
    let worker_app = app.clone();
    let worker = tokio::spawn(async move {
        let mut passes: u64 = 0;
        loop {
            let a = worker_app.clone();
            let _ = tokio::task::spawn_blocking(move || {
                worker::pass(&a);
                if let Err(e) = a.audit_head.sync_now_and_then(&a.db) {
                    tracing::error!(error = %e, "the audit head");
                }
                // Revocation lists: look for new files about once a minute.
                if passes.is_multiple_of((60_000 / poll.as_millis().max(1) as u64).max(1)) {
                    a.crl.refresh();
                }
            })
            .await;
            passes += 1;
            tokio::time::sleep(poll).await;
        }
    });
    tracing::info!(%addr, url = %url, "houmon-server listening");
    Ok(Server { addr, url, pin, app, shutdown: Some(tx), task, worker })
}
