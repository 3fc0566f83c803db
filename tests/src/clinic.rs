// SPDX-License-Identifier: MPL-2.0
//! A clinic on loopback for end-to-end tests and the demo: the server, the
//! simulated 資格確認端末 and phones with their own store and sync client.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::{EligibilityResult, InsuranceNumbers};
use houmon_core::transport::CardTransport;
use houmon_core::visit::*;
use houmon_server::terminal::TerminalEntry;
use houmon_server::{Config, PatientSeed, Server};
use houmon_store::{Store, StoreKey};
use houmon_sync::SyncClient;
use houmon_vcard::TestCa;

pub const ENROLLMENT_CODE: &str = "clinic-enrol-0001";

/// A fresh scratch folder.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "houmon-{}-{name}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&d).expect("scratch folder");
    d
}

pub fn numbers(n: u32) -> InsuranceNumbers {
    InsuranceNumbers {
        insurer_number: "06130012".into(),
        symbol: "あいう".into(),
        number: format!("{n:06}"),
        branch: "00".into(),
    }
}

pub fn patient(id: &str, n: Option<u32>) -> PatientSeed {
    PatientSeed {
        patient_id: id.into(),
        name: format!("患者 {id}"),
        address: "東京都千代田区1-1".into(),
        birth_date: NaiveDate::from_ymd_opt(1940, 4, 1).expect("date"),
        insurance: n.map(numbers),
        round_day: None,
    }
}

pub fn answer(n: u32, validity: &str) -> TerminalEntry {
    let x = numbers(n);
    TerminalEntry {
        insurer_number: x.insurer_number,
        symbol: x.symbol,
        number: x.number,
        branch: x.branch,
        validity: validity.into(),
        share: Some("030".into()),
        elderly_share: None,
        insurer_name: Some("全国健康保険協会".into()),
        delay_ms: 0,
        processing_first: false,
        error: None,
        garbage: false,
        shift_jis: false,
    }
}

pub struct Clinic {
    server: Option<Server>,
    pub config: Config,
    pub url: String,
    stop_terminal: Arc<AtomicBool>,
    terminal: Option<std::thread::JoinHandle<()>>,
    pub dir: PathBuf,
}

impl Clinic {
    /// Server with the virtual card's test CA as trust anchor (or the J-LIS
    /// roots with `jlis_anchors`), plus a simulated terminal answering `data`.
    pub async fn start(
        patients: Vec<PatientSeed>,
        data: Vec<TerminalEntry>,
        jlis_anchors: bool,
    ) -> Clinic {
        let dir = scratch("clinic");
        let config = Config {
            db: dir.join("server.sqlite"),
            listen: "127.0.0.1:0".parse().expect("addr"),
            oqs_dir: dir.join("oqs"),
            trust_anchors: if jlis_anchors {
                vec![]
            } else {
                vec![TestCa::shared().cert_der.clone()]
            },
            enrollment_code: ENROLLMENT_CODE.into(),
            institution_code: "1311111111".into(),
            patients,
            check_timeout: Duration::from_secs(3),
            poll_interval: Duration::from_millis(50),
        };
        let server = houmon_server::start(config.clone()).await.expect("server starts");
        let url = format!("http://{}", server.addr);
        let mut config = config;
        config.listen = server.addr;
        let mut c = Clinic {
            server: Some(server),
            config,
            url,
            stop_terminal: Arc::new(AtomicBool::new(false)),
            terminal: None,
            dir,
        };
        c.start_terminal(data);
        c
    }

    pub fn start_terminal(&mut self, data: Vec<TerminalEntry>) {
        let dirs = houmon_server::oqs::OqsDirs::under(&self.config.oqs_dir).expect("oqs dirs");
        self.stop_terminal = Arc::new(AtomicBool::new(false));
        let stop = self.stop_terminal.clone();
        self.terminal =
            Some(std::thread::spawn(move || houmon_server::terminal::run(dirs, data, stop)));
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
    pub async fn restart_server(&mut self) {
        self.stop_server().await;
        let mut cfg = self.config.clone();
        cfg.patients = vec![];
        self.server = Some(houmon_server::start(cfg).await.expect("server restarts"));
    }

    pub async fn shutdown(mut self) {
        self.stop_terminal();
        self.stop_server().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Rows in the server's visits table.
    pub fn stored_visit_ids(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(&self.config.db).expect("server db");
        let mut st = conn.prepare("SELECT id FROM visits ORDER BY id").expect("query");
        st.query_map([], |r| r.get::<_, String>(0)).expect("rows").map(Result::unwrap).collect()
    }
}

pub struct Phone {
    pub store: Arc<Store>,
    pub sync: SyncClient,
    pub device_id: String,
}

impl Phone {
    pub async fn new(url: &str, device_id: &str) -> Phone {
        let store = Arc::new(Store::open_in_memory(StoreKey::generate()).expect("store"));
        let sync = SyncClient::new(url, store.clone(), None);
        sync.register(device_id, "test phone", ENROLLMENT_CODE).await.expect("register");
        Phone { store, sync, device_id: device_id.into() }
    }

    pub fn context(&self, patient_id: &str, kind: VisitKind) -> VisitContext {
        VisitContext {
            visit_id: new_id("v"),
            patient_id: Some(patient_id.into()),
            kind,
            staff_id: "nurse-7".into(),
            device_id: self.device_id.clone(),
            started_at: Utc::now(),
            first_visit_on: None,
        }
    }

    /// A whole PIN visit on `card`, queued; returns the record.
    pub fn pin_visit<T: CardTransport>(
        &self,
        card: T,
        patient_id: &str,
        now: DateTime<Utc>,
    ) -> VisitRecord {
        let mut s = VisitSession::new(
            self.context(patient_id, VisitKind::HomeCare),
            SessionOptions::default(),
        );
        s.choose_mode(IdentityMode::Pin).expect("mode");
        s.enter_pin("1234").expect("pin");
        let step = s.read_card(card, now).expect("read").clone();
        assert!(matches!(step, Step::IdentityConfirmed { .. }), "{step:?}");
        let choice = ConsentChoice {
            scope: ConsentScope::Comprehensive,
            prescription: Prescription::Electronic,
        };
        let record = s.record_for_consent(choice, now).expect("record");
        self.enqueue(&record);
        s.finish(record.clone()).expect("finish");
        record
    }

    pub fn enqueue(&self, record: &VisitRecord) {
        self.store.enqueue(&record.id, record.to_json().as_bytes(), Utc::now()).expect("enqueue");
    }

    /// Polls results until `patient` has one that is not pending, or times out.
    pub async fn wait_result(&self, patient: &str, timeout: Duration) -> Option<EligibilityResult> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let _ = self.sync.pull_results().await;
            if let Ok(Some(r)) = self.sync.last_result(patient) {
                return Some(r);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
