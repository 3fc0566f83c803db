// SPDX-License-Identifier: MPL-2.0
//! Test builds only (feature `test-card`): a virtual card the Kotlin tests
//! forward their `CardTransport` to.

use houmon_core::card::transport::{CardTransport as _, TransportError};

use crate::foreign::TransportLimits;
use crate::records::IdentityMode;
use houmon_vcard::{CardConfig, Faults, Holder, Variant, VirtualCard};

use crate::foreign::TransportFailure;
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct TestCard {
    card: VirtualCard,
}

#[uniffi::export]
impl TestCard {
    /// `variant`: standard, face-recognition, no-photo, expired-in-grace,
    /// expired, one-try-left, locked, collation-one-try-left.
    /// `limits`: the reader this card sits behind (reported and enforced:
    /// an answer over `max_response` drops the tag, like some iPhones).
    /// `tag_lost_at`: the card leaves the field at that APDU (once).
    /// `pin`: the card's PIN (default 1234).
    #[uniffi::constructor]
    pub fn new(
        variant: String,
        limits: TransportLimits,
        tag_lost_at: Option<u32>,
        pin: Option<String>,
    ) -> Result<Self, HoumonError> {
        let variant = Variant::from_name(&variant).ok_or_else(|| {
            HoumonError::invalid_input("test.variant", format!("unknown variant {variant}"))
        })?;
        let faults = Faults { tag_lost_at: tag_lost_at.map(|n| n as usize), ..Faults::default() };
        let mut holder = Holder::default();
        if let Some(pin) = pin {
            holder.pin = pin;
        }
        let limits: houmon_core::card::transport::TransportLimits = limits.into();
        Ok(TestCard {
            card: VirtualCard::new(CardConfig {
                holder,
                variant,
                extended_length: limits.extended_length,
                max_command: limits.max_command,
                max_response: limits.max_response,
                faults,
                ..CardConfig::default()
            }),
        })
    }

    /// One APDU, as the reader would carry it (blocking; the Kotlin test's
    /// async transport calls it from a coroutine).
    pub fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        self.card.exchange(&apdu).map_err(|e| match e {
            TransportError::TagLost => TransportFailure::TagLost,
            TransportError::Timeout => TransportFailure::Timeout,
            TransportError::Io { reason } => TransportFailure::Io { reason },
        })
    }

    pub fn limits(&self) -> TransportLimits {
        let l = self.card.limits();
        TransportLimits {
            extended_length: l.extended_length,
            max_command: l.max_command as u32,
            max_response: l.max_response as u32,
        }
    }

    /// The card is held to the phone again.
    pub fn reinsert(&self) {
        self.card.reinsert();
    }

    /// VERIFY commands with a secret that reached the card.
    pub fn verify_count(&self) -> u32 {
        self.card.log().iter().filter(|e| e.is_verify_with_secret()).count() as u32
    }

    /// Every APDU the card received.
    pub fn apdu_count(&self) -> u32 {
        self.card.log().len() as u32
    }

    /// Answers longer than the reader carries (must stay 0).
    pub fn oversized_answers(&self) -> u32 {
        self.card.oversized_answers() as u32
    }

    /// The APDUs the core's plan expects for a whole read in `mode` on this
    /// card (`houmon_core::card::plan`), for the tests' exact-count checks.
    pub fn planned_apdus(&self, mode: IdentityMode) -> u32 {
        let plan = houmon_core::card::plan::ReadPlan::new(self.card.limits());
        let cert = Some(self.card.auth_certificate_der().len());
        match mode {
            IdentityMode::Pin => plan.pin_mode(cert),
            IdentityMode::Visual => plan.visual_mode(cert, Some(self.card.face_span())),
        }
    }
}

/// A loopback clinic (server with TLS + simulated 資格確認端末) for the JVM
/// tests. Every patient `p0`…`p5` is on file (`p3`–`p5` in one care
/// facility); the terminal answers `p<i>`
/// with 資格有効性 `i + 1` (p0 有効, p1 無効, … p5 有効(未登録)).
#[derive(uniffi::Object)]
pub struct TestClinic {
    clinic: std::sync::Mutex<Option<houmon_server::loopback::LoopbackClinic>>,
}

impl TestClinic {
    fn with<T>(&self, f: impl FnOnce(&houmon_server::loopback::LoopbackClinic) -> T) -> Option<T> {
        self.clinic.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(f)
    }
}

#[uniffi::export]
impl TestClinic {
    #[uniffi::constructor]
    pub async fn start() -> Result<std::sync::Arc<Self>, HoumonError> {
        crate::runtime::spawn(async move {
            let numbers = |i: u32| houmon_core::protocol::InsuranceNumbers {
                insurer_number: "06130012".into(),
                symbol: "kt".into(),
                number: format!("{i:06}"),
                branch: "00".into(),
            };
            let patients = (0..6)
                .map(|i| houmon_server::PatientSeed {
                    patient_id: format!("p{i}"),
                    name: format!("患者 {i}"),
                    kana: String::new(),
                    address: "-".into(),
                    birth_date: chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default(),
                    insurance: Some(numbers(i)),
                    // p3–p5 live in a care facility (a 施設 round).
                    facility: (i >= 3).then(|| "グループホームさくら".to_owned()),
                    // p3 on the 1st floor, p4–p5 on the 2nd.
                    unit: (i >= 3).then(|| if i == 3 { "1階" } else { "2階" }.to_owned()),
                })
                .collect();
            let data = (0..6)
                .map(|i| {
                    let n = numbers(i);
                    houmon_server::terminal::TerminalEntry {
                        insurer_number: n.insurer_number,
                        symbol: n.symbol,
                        number: n.number,
                        branch: n.branch,
                        validity: (i + 1).to_string(),
                        share: Some("030".into()),
                        elderly_share: None,
                        insurer_name: None,
                        delay_ms: 0,
                        processing_first: false,
                        error: None,
                        garbage: false,
                        shift_jis: false,
                        other_person: false,
                    }
                })
                .collect();
            let dir = std::env::temp_dir().join(format!(
                "houmon-kt-clinic-{}-{}",
                std::process::id(),
                rand_suffix()
            ));
            let options = houmon_server::loopback::Options {
                trust_anchors: vec![houmon_vcard::TestCa::shared().cert_der.clone()],
                ..Default::default()
            };
            let clinic =
                houmon_server::loopback::LoopbackClinic::start(dir, options, patients, data)
                    .await
                    .map_err(HoumonError::internal)?;
            Ok(std::sync::Arc::new(TestClinic { clinic: std::sync::Mutex::new(Some(clinic)) }))
        })
        .await
    }

    /// A one-time enrolment QR text for a phone carried by the clinic's nurse.
    pub fn enrolment_link(&self) -> String {
        self.with(|c| c.enrolment(houmon_server::loopback::NURSE).to_uri()).unwrap_or_default()
    }

    /// Puts `patients` on `device_id`'s round on `day`.
    pub fn assign_round(
        &self,
        device_id: String,
        day: crate::records::CalendarDate,
        patients: Vec<String>,
    ) {
        let Ok(day) = chrono::NaiveDate::try_from(day) else { return };
        let ids: Vec<&str> = patients.iter().map(String::as_str).collect();
        self.with(|c| c.assign(day, &device_id, &ids));
    }

    /// Adds a staff member who may sign in on shared phones with `code`.
    pub fn add_staff(&self, staff_id: String, name: String, code: Option<String>) {
        self.with(|c| c.add_staff(&staff_id, &name, code.as_deref()));
    }

    /// Puts `patients` on `device_id`'s round on `day`, visited by `staff_id`.
    pub fn assign_for(
        &self,
        device_id: String,
        day: crate::records::CalendarDate,
        staff_id: String,
        patients: Vec<String>,
    ) {
        let Ok(day) = chrono::NaiveDate::try_from(day) else { return };
        let ids: Vec<&str> = patients.iter().map(String::as_str).collect();
        self.with(|c| c.assign_for(day, &device_id, &staff_id, &ids));
    }

    /// The staff member the server recorded for a visit.
    pub fn visit_staff(&self, visit_id: String) -> Option<String> {
        self.with(|c| {
            c.app()
                .db
                .read(|conn, _| houmon_server::db::visits::get(conn, &visit_id))
                .ok()
                .flatten()
        })
        .flatten()
        .map(|v| v.staff_id)
    }

    /// The day's card custody entries, as `patient:taken|returned`, in order.
    pub fn custody_log(&self, day: crate::records::CalendarDate) -> Vec<String> {
        let Ok(day) = chrono::NaiveDate::try_from(day) else { return vec![] };
        self.with(|c| {
            c.app()
                .db
                .read(|conn, _| houmon_server::db::custody::of_day(conn, day))
                .unwrap_or_default()
                .into_iter()
                .map(|r| {
                    let action = match r.action {
                        houmon_core::protocol::CustodyAction::Taken => "taken",
                        houmon_core::protocol::CustodyAction::Returned => "returned",
                    };
                    format!("{}:{action}", r.patient_id)
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Visits whose card read's field timing the clinic keeps.
    pub fn read_timings(&self) -> u32 {
        self.with(|c| {
            let from = chrono::Utc::now() - chrono::Duration::days(1);
            c.app()
                .db
                .read(|conn, _| houmon_server::db::readings::per_model(conn, from))
                .map(|m| m.iter().map(|m| m.visits as u32).sum())
                .unwrap_or(0)
        })
        .unwrap_or(0)
    }

    /// Revokes a device at once.
    pub fn revoke(&self, device_id: String) -> bool {
        self.with(|c| c.revoke(&device_id)).unwrap_or(false)
    }

    /// Visit ids the server holds.
    pub fn stored_visits(&self) -> Vec<String> {
        self.with(|c| c.stored_visit_ids()).unwrap_or_default()
    }

    pub async fn stop(&self) {
        let clinic = self.clinic.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(c) = clinic {
            let _ = crate::runtime::spawn(async move {
                c.shutdown().await;
                Ok(())
            })
            .await;
        }
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
