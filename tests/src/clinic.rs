// SPDX-License-Identifier: MPL-2.0
//! A clinic on loopback for end-to-end tests and the demo: the server, the
//! simulated 資格確認端末 and phones with their own store and sync client.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::card::transport::CardTransport;
use houmon_core::protocol::{EligibilityResult, InsuranceNumbers};
use houmon_core::visit::*;
use houmon_server::terminal::TerminalEntry;
use houmon_server::PatientSeed;
use houmon_store::{Store, StoreKey};
use houmon_sync::SyncClient;
use houmon_vcard::TestCa;

/// The staff member the test phones are enrolled for.
pub const STAFF: &str = houmon_server::loopback::NURSE;

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
        kana: String::new(),
        address: "東京都千代田区1-1".into(),
        birth_date: NaiveDate::from_ymd_opt(1940, 4, 1).expect("date"),
        insurance: n.map(numbers),
        facility: None,
        unit: None,
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
        other_person: false,
    }
}

/// The loopback clinic (TLS with a clinic CA it makes) with the virtual
/// card's test CA as trust anchor (or the J-LIS roots with `jlis_anchors`),
/// and a 3-second terminal time-out.
pub type Clinic = houmon_server::loopback::LoopbackClinic;

pub fn options(jlis_anchors: bool) -> houmon_server::loopback::Options {
    houmon_server::loopback::Options {
        trust_anchors: if jlis_anchors { vec![] } else { vec![TestCa::shared().cert_der.clone()] },
        check_timeout: Duration::from_secs(3),
        ..Default::default()
    }
}

pub async fn start_clinic(
    patients: Vec<PatientSeed>,
    data: Vec<TerminalEntry>,
    jlis_anchors: bool,
) -> Clinic {
    start_clinic_with(options(jlis_anchors), patients, data).await
}

pub async fn start_clinic_with(
    options: houmon_server::loopback::Options,
    patients: Vec<PatientSeed>,
    data: Vec<TerminalEntry>,
) -> Clinic {
    Clinic::start(scratch("clinic"), options, patients, data).await.expect("the clinic starts")
}

/// Today in Japan (the day of the rounds).
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&houmon_core::card::cert::jst()).date_naive()
}

pub struct Phone {
    pub store: Arc<Store>,
    pub sync: SyncClient,
    pub device_id: String,
}

impl Phone {
    /// Enrols a phone with a one-time code (TLS, pinned) and puts every
    /// patient the clinic has on its round for today.
    pub async fn new(clinic: &Clinic, device_id: &str) -> Phone {
        let phone = Phone::enrol_only(clinic, device_id).await;
        let all: Vec<String> = clinic
            .app()
            .db
            .read(houmon_server::db::patients::all)
            .expect("patients")
            .into_iter()
            .map(|p| p.patient_id)
            .collect();
        let ids: Vec<&str> = all.iter().map(String::as_str).collect();
        clinic.assign(today(), device_id, &ids);
        phone
    }

    /// Enrols a phone; its round is empty.
    pub async fn enrol_only(clinic: &Clinic, device_id: &str) -> Phone {
        let store = Arc::new(Store::open_in_memory(StoreKey::generate()).expect("store"));
        let link = clinic.enrolment(STAFF);
        let sync =
            SyncClient::enrol(store.clone(), &link, device_id, "test phone").await.expect("enrol");
        Phone { store, sync, device_id: device_id.into() }
    }

    pub async fn context(&self, patient_id: &str, kind: VisitKind) -> VisitContext {
        VisitContext {
            visit_id: new_id("v"),
            patient_id: Some(patient_id.into()),
            kind,
            staff_id: STAFF.into(),
            device_id: self.device_id.clone(),
            started_at: Utc::now(),
            first_visit_on: None,
            time_anchor: self.sync.time_anchor().await.expect("store"),
        }
    }

    /// A whole PIN visit on `card`, queued; returns the record.
    pub async fn pin_visit<T: CardTransport>(
        &self,
        card: T,
        patient_id: &str,
        now: DateTime<Utc>,
    ) -> VisitRecord {
        let record = self.pin_record(card, patient_id, now).await;
        self.enqueue(&record);
        record
    }

    /// A whole PIN visit on `card`, not queued (to be altered first).
    pub async fn pin_record<T: CardTransport>(
        &self,
        card: T,
        patient_id: &str,
        now: DateTime<Utc>,
    ) -> VisitRecord {
        let mut s = VisitSession::new(
            self.context(patient_id, VisitKind::HomeCare).await,
            SessionOptions::default(),
        );
        s.choose_mode(IdentityMode::Pin).expect("mode");
        s.enter_pin("1234").expect("pin");
        let step = s.read_card(card, now).await.expect("read").clone();
        assert!(matches!(step, Step::IdentityConfirmed { .. }), "{step:?}");
        let choice = ConsentChoice {
            scope: ConsentScope::Comprehensive,
            prescription: Prescription::Electronic,
        };
        let record = s.record_for_consent(choice, now).expect("record");
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
            if let Ok(Some(r)) = self.sync.last_result(patient).await {
                return Some(r);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
