// SPDX-License-Identifier: MPL-2.0
//! A whole clinic on loopback, for the demo and the end-to-end tests: the
//! server (TLS with a clinic CA it makes, unless told otherwise) and the
//! simulated 資格確認端末 in this process, in a scratch folder, with helpers
//! for what staff would do (staff, patients, rounds, enrolment codes).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use houmon_core::protocol::EnrolmentLink;

use crate::admin::{self, PatientSeed};
use crate::db::audit::Actor;
use crate::db::rounds::Stop;
use crate::db::staff::Role;
use crate::db::visits;
use crate::oqs::OqsDirs;
use crate::secrets::Secrets;
use crate::terminal::TerminalEntry;
use crate::{App, Config, KeyFrom, Server, TlsMode};

/// The staff member the loopback clinic's phones are enrolled for.
pub const NURSE: &str = "nurse-7";

pub struct LoopbackClinic {
    server: Option<Server>,
    pub config: Config,
    /// The address phones use.
    pub url: String,
    /// The fingerprint phones pin (none with plain HTTP).
    pub pin: Option<String>,
    stop_terminal: Arc<AtomicBool>,
    terminal: Option<std::thread::JoinHandle<()>>,
    pub dir: PathBuf,
}

/// How to start one.
#[derive(Clone)]
pub struct Options {
    /// DER trust anchors (the virtual card's test CA in tests).
    pub trust_anchors: Vec<Vec<u8>>,
    /// TLS with a made clinic CA (true), or plain HTTP on loopback.
    pub tls: bool,
    pub check_timeout: Duration,
    pub crl_dir: Option<PathBuf>,
    /// Connection limits and time-outs (tests make them small).
    pub limits: crate::listener::Limits,
    pub enrol_limits: crate::limiter::Limits,
    pub login_limits: crate::limiter::LoginLimits,
    /// PostgreSQL instead of a SQLite file in the scratch folder. By
    /// default from `HOUMON_TEST_DATABASE` (an address without password;
    /// `HOUMON_TEST_DATABASE_PASSWORD` if one is needed): each clinic then
    /// gets a fresh clinic id in that one database, as a hosting vendor's
    /// clinics do.
    pub database: Option<crate::db::PgLocation>,
}

/// The PostgreSQL database the tests share, if `HOUMON_TEST_DATABASE`
/// names one: a new clinic in it each call.
pub fn test_database() -> Option<crate::db::PgLocation> {
    let url = std::env::var("HOUMON_TEST_DATABASE").ok().filter(|u| !u.is_empty())?;
    let password = std::env::var("HOUMON_TEST_DATABASE_PASSWORD").ok();
    let clinic = format!("clinic-{}", crate::secrets::random_hex(8));
    Some(crate::db::PgLocation::new(&url, password, &clinic, 4).expect("HOUMON_TEST_DATABASE"))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            trust_anchors: vec![],
            tls: true,
            check_timeout: Duration::from_secs(5),
            crl_dir: None,
            limits: Default::default(),
            enrol_limits: Default::default(),
            login_limits: Default::default(),
            database: test_database(),
        }
    }
}

impl LoopbackClinic {
    /// Starts the server in `dir` and the simulated terminal answering
    /// `data`; adds the staff member [`NURSE`] and `patients`.
    pub async fn start(
        dir: PathBuf,
        options: Options,
        patients: Vec<PatientSeed>,
        data: Vec<TerminalEntry>,
    ) -> Result<LoopbackClinic, String> {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut config =
            Config::new(dir.clone(), "127.0.0.1:0".parse().expect("a loopback address"));
        config.tls = if options.tls {
            TlsMode::Generate { names: vec!["127.0.0.1".into(), "localhost".into()] }
        } else {
            TlsMode::PlainLoopback
        };
        config.key = KeyFrom::Given(Arc::new(Secrets::generate()));
        config.trust_anchors = options.trust_anchors;
        config.institution_code = "1311111111".into();
        config.check_timeout = options.check_timeout;
        config.poll_interval = Duration::from_millis(50);
        config.crl_dir = options.crl_dir;
        config.limits = options.limits;
        config.enrol_limits = options.enrol_limits;
        config.login_limits = options.login_limits;
        config.database = options.database;
        let server = crate::start(config.clone()).await?;
        config.listen = server.addr;
        config.public_url = Some(server.url.clone());
        let mut c = LoopbackClinic {
            url: server.url.clone(),
            pin: server.pin.clone(),
            server: Some(server),
            config,
            stop_terminal: Arc::new(AtomicBool::new(false)),
            terminal: None,
            dir,
        };
        admin::add_staff(c.app(), &Actor::System, NURSE, "訪問 看護師", Role::Nurse)
            .map_err(|e| e.to_string())?;
        for p in &patients {
            admin::add_patient(c.app(), &Actor::System, p).map_err(|e| e.to_string())?;
        }
        c.start_terminal(data)?;
        Ok(c)
    }

    /// The running server's state (panics if it is stopped).
    pub fn app(&self) -> &App {
        &self.server.as_ref().expect("the server is running").app
    }

    /// A one-time enrolment link for a phone carried by `staff_id`.
    pub fn enrolment(&self, staff_id: &str) -> EnrolmentLink {
        self.app().issue_enrolment(staff_id, &Actor::System, 15).expect("an enrolment code")
    }

    /// Puts each of `patients` on `device_id`'s round on `day`.
    pub fn assign(&self, day: NaiveDate, device_id: &str, patients: &[&str]) {
        for (i, p) in patients.iter().enumerate() {
            let stop = Stop {
                day,
                device_id: device_id.into(),
                staff_id: NURSE.into(),
                patient_id: (*p).into(),
                position: i as i64,
            };
            admin::assign(self.app(), &Actor::System, &stop).expect("assign");
        }
    }

    /// Adds a staff member who may sign in on shared phones with `code`.
    pub fn add_staff(&self, staff_id: &str, name: &str, code: Option<&str>) {
        admin::add_staff(self.app(), &Actor::System, staff_id, name, Role::Nurse).expect("staff");
        if let Some(code) = code {
            admin::set_signin_code(self.app(), &Actor::System, staff_id, code).expect("code");
        }
    }

    /// Puts `patients` on `device_id`'s round on `day`, visited by `staff_id`.
    pub fn assign_for(&self, day: NaiveDate, device_id: &str, staff_id: &str, patients: &[&str]) {
        for (i, p) in patients.iter().enumerate() {
            let stop = Stop {
                day,
                device_id: device_id.into(),
                staff_id: staff_id.into(),
                patient_id: (*p).into(),
                position: 100 + i as i64,
            };
            admin::assign(self.app(), &Actor::System, &stop).expect("assign");
        }
    }

    pub fn revoke(&self, device_id: &str) -> bool {
        self.app().revoke_device(device_id, &Actor::System).expect("revoke")
    }

    pub fn start_terminal(&mut self, data: Vec<TerminalEntry>) -> Result<(), String> {
        let dirs = OqsDirs::under(&self.config.oqs_dir).map_err(|e| e.to_string())?;
        self.stop_terminal = Arc::new(AtomicBool::new(false));
        let stop = self.stop_terminal.clone();
        self.terminal = Some(std::thread::spawn(move || crate::terminal::run(dirs, data, stop)));
        Ok(())
    }

    pub fn stop_terminal(&mut self) {
        self.stop_terminal.store(true, Ordering::Relaxed);
        if let Some(t) = self.terminal.take() {
            let _ = t.join();
        }
    }

    pub async fn stop_server(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }

    /// Starts the server again on the same address, database and key.
    pub async fn restart_server(&mut self) -> Result<(), String> {
        self.stop_server().await;
        self.server = Some(crate::start(self.config.clone()).await?);
        Ok(())
    }

    /// Stops everything and removes the folder.
    pub async fn shutdown(mut self) {
        self.stop_terminal();
        self.stop_server().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The ids of the visits the server holds.
    pub fn stored_visit_ids(&self) -> Vec<String> {
        self.app().db.read(|c, _| visits::all_ids(c)).unwrap_or_default()
    }
}
