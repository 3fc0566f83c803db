// SPDX-License-Identifier: MPL-2.0
//! A whole clinic on loopback, for the demo and the end-to-end tests: the
//! server and the simulated 資格確認端末 in this process, in a scratch folder.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::oqs::OqsDirs;
use crate::terminal::TerminalEntry;
use crate::{Config, PatientSeed, Server};

pub struct LoopbackClinic {
    server: Option<Server>,
    pub config: Config,
    pub url: String,
    stop_terminal: Arc<AtomicBool>,
    terminal: Option<std::thread::JoinHandle<()>>,
    pub dir: PathBuf,
}

impl LoopbackClinic {
    /// Starts the server in `dir` with these trust anchors (DER) and the
    /// simulated terminal answering `data`.
    pub async fn start(
        dir: PathBuf,
        trust_anchors: Vec<Vec<u8>>,
        enrollment_code: &str,
        patients: Vec<PatientSeed>,
        data: Vec<TerminalEntry>,
        check_timeout: Duration,
    ) -> Result<LoopbackClinic, String> {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut config = Config {
            db: dir.join("server.sqlite"),
            listen: "127.0.0.1:0".parse().expect("a loopback address"),
            oqs_dir: dir.join("oqs"),
            trust_anchors,
            enrollment_code: enrollment_code.into(),
            institution_code: "1311111111".into(),
            patients,
            check_timeout,
            poll_interval: Duration::from_millis(50),
        };
        let server = crate::start(config.clone()).await?;
        config.listen = server.addr;
        let url = format!("http://{}", server.addr);
        let mut c = LoopbackClinic {
            server: Some(server),
            config,
            url,
            stop_terminal: Arc::new(AtomicBool::new(false)),
            terminal: None,
            dir,
        };
        c.start_terminal(data)?;
        Ok(c)
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

    /// Starts the server again on the same address and database.
    pub async fn restart_server(&mut self) -> Result<(), String> {
        self.stop_server().await;
        let mut cfg = self.config.clone();
        cfg.patients = vec![];
        self.server = Some(crate::start(cfg).await?);
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
        let Ok(conn) = rusqlite::Connection::open(&self.config.db) else { return vec![] };
        let Ok(mut st) = conn.prepare("SELECT id FROM visits ORDER BY id") else { return vec![] };
        st.query_map([], |r| r.get::<_, String>(0))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }
}
