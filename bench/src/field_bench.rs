// SPDX-License-Identifier: MPL-2.0
//! `cargo run -q -p houmon-bench -- field`: what the console's 読み取り性能
//! page shows, on virtual cards, until real phones are used.
//!
//! Whole PIN visits through the app core (`houmon_ffi::AppCore`, as a
//! phone's shell drives it) against a loopback clinic, on a virtual card
//! behind two reader profiles (extended length; iPhone-like) under the
//! latency model of the card bench (20 ms per APDU, 500 ms more per
//! signature), one visit in four with the card pulled away once mid-read.
//! The records carry their field timing; the clinic computes the median,
//! the 90th percentile and the tag-loss rate per "phone model" exactly as
//! the console does (`server/src/db/readings.rs`). A model, not a phone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use houmon_core::card::transport::{CardTransport as _, TransportError, TransportLimits};
use houmon_ffi::*;
use houmon_server::loopback::{LoopbackClinic, Options, NURSE};
use houmon_server::PatientSeed;
use houmon_vcard::{CardConfig, Faults, TestCa, VirtualCard};

const VISITS: usize = 20;

struct Keys;
impl KeyProvider for Keys {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure> {
        Ok(vec![9; 32])
    }
    fn reset_database_key(&self) -> Result<(), KeyProviderFailure> {
        Ok(())
    }
}

struct Shell;
impl AppShell for Shell {
    fn render(&self, _: AppView) {}
    fn run(&self, _: Effect) {}
}

struct Tag(VirtualCard);

#[async_trait::async_trait]
impl CardTransport for Tag {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        // The card's latency model sleeps; keep it off the core's workers.
        let card = &self.0;
        tokio::task::block_in_place(|| card.exchange(&apdu)).map_err(|e| match e {
            TransportError::TagLost => TransportFailure::TagLost,
            TransportError::Timeout => TransportFailure::Timeout,
            TransportError::Io { reason } => TransportFailure::Io { reason },
        })
    }
    fn limits(&self) -> houmon_ffi::TransportLimits {
        let l = self.0.limits();
        houmon_ffi::TransportLimits {
            extended_length: l.extended_length,
            max_command: l.max_command as u32,
            max_response: l.max_response as u32,
        }
    }
}

fn visit_screen(core: &AppCore) -> Option<VisitScreen> {
    match core.view().screen {
        Screen::Visit { visit } => Some(visit.screen),
        _ => None,
    }
}

async fn run_profile(
    c: &LoopbackClinic,
    name: &str,
    prefix: char,
    limits: TransportLimits,
) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("houmon-field-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let core = AppCore::new(
        AppConfig {
            db_path: dir.join("phone.sqlite").to_string_lossy().into_owned(),
            platform: PlatformInfo {
                phone_model: format!("virtual card, {name}"),
                os: "model".into(),
                antenna_hint: String::new(),
                device_name: name.into(),
            },
            policy: default_clinic_policy(),
        },
        Arc::new(Keys),
        Arc::new(Shell),
    );
    core.settle().await;
    core.send(AppEvent::EnrolmentScanned { text: c.enrolment(NURSE).to_uri() });
    core.settle().await;
    core.send(AppEvent::OpenSettings);
    let Screen::Settings { settings } = core.view().screen else {
        return Err("not enrolled".into());
    };
    let device = settings.enrolment.map(|e| e.device_id).unwrap_or_default();
    core.send(AppEvent::Back);
    // Patients of their own: a card is enrolled to the first patient it signs for.
    let ids: Vec<String> = (0..VISITS).map(|i| format!("{prefix}{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    c.assign(
        chrono::Utc::now().with_timezone(&houmon_core::card::cert::jst()).date_naive(),
        &device,
        &refs,
    );
    core.send(AppEvent::Refresh);
    core.settle().await;
    for (i, id) in ids.iter().enumerate() {
        let lost = i % 4 == 3;
        let faults = Faults {
            latency: Duration::from_millis(20),
            signature_latency: Duration::from_millis(500),
            tag_lost_at: lost.then_some(4),
            ..Faults::default()
        };
        let card = Arc::new(Tag(VirtualCard::new(CardConfig {
            faults,
            extended_length: limits.extended_length,
            max_command: limits.max_command,
            max_response: limits.max_response,
            ..CardConfig::default()
        })));
        core.send(AppEvent::OpenPatient { patient_id: id.clone() });
        core.settle().await;
        core.send(AppEvent::ChooseMode { mode: IdentityMode::Pin });
        core.send(AppEvent::SubmitPin { pin: "1234".into() });
        core.card_tapped(card.clone());
        core.settle().await;
        if lost {
            card.0.reinsert();
            core.card_tapped(card.clone());
            core.settle().await;
        }
        if !matches!(visit_screen(&core), Some(VisitScreen::Consent { .. })) {
            return Err(format!("{name}, {id}: {:?}", visit_screen(&core)));
        }
        core.send(AppEvent::GiveConsent {
            consent: ConsentInput {
                comprehensive: true,
                categories: vec![],
                prescription: Prescription::Paper,
            },
        });
        core.settle().await;
        core.send(AppEvent::FinishVisit);
    }
    for _ in 0..100 {
        if core.view().header.pending == 0 {
            break;
        }
        core.send(AppEvent::SyncDue);
        core.settle().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

pub fn run() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let patients = (0..2 * VISITS)
            .map(|i| PatientSeed {
                patient_id: format!("{}{}", if i < VISITS { 'f' } else { 'g' }, i % VISITS),
                name: format!("患者 {i}"),
                kana: String::new(),
                address: "-".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default(),
                insurance: None,
                facility: None,
                unit: None,
            })
            .collect();
        let options = Options {
            trust_anchors: vec![TestCa::shared().cert_der.clone()],
            database: None,
            ..Default::default()
        };
        let dir = std::env::temp_dir().join(format!("houmon-field-clinic-{}", std::process::id()));
        let c = LoopbackClinic::start(dir, options, patients, vec![]).await.expect("clinic");
        let failures: Mutex<Vec<String>> = Mutex::default();
        for (name, prefix, limits) in [
            ("extended length", 'f', TransportLimits::EXTENDED),
            ("iPhone-like", 'g', TransportLimits::IPHONE),
        ] {
            if let Err(e) = run_profile(&c, name, prefix, limits).await {
                failures.lock().unwrap_or_else(|e| e.into_inner()).push(e);
            }
        }
        let from = chrono::Utc::now() - chrono::Duration::days(1);
        let stats = c.app().db.read(|conn, _| houmon_server::db::readings::per_model(conn, from)).unwrap_or_default();
        println!(
            "Field timing as the console shows it ({VISITS} PIN visits per profile through the app core; \
             virtual card, 20 ms per APDU + 500 ms per signature; one visit in four loses the card once):\n"
        );
        println!("| \"phone model\" | visits | read time, median | read time, 90th percentile | tag-loss rate |");
        println!("|---|---:|---:|---:|---:|");
        for m in &stats {
            println!(
                "| {} | {} | {:.2} s | {:.2} s | {:.0}% ({} reads) |",
                m.phone_model,
                m.visits,
                f64::from(m.median_ms) / 1000.0,
                f64::from(m.p90_ms) / 1000.0,
                m.tag_loss_rate * 100.0,
                m.reads
            );
        }
        for f in failures.into_inner().unwrap_or_default() {
            println!("FAILED: {f}");
        }
        c.shutdown().await;
    });
}
