// SPDX-License-Identifier: MPL-2.0
//! Whole rounds through the app core (`houmon_ffi::AppCore`), as a phone's
//! shell drives it — events in, views and effects out — against virtual
//! cards and a loopback clinic. The same journeys run on the JVM through
//! the Kotlin bindings (`android/app/src/jvmTest/kotlin/jp/houmon/app/AppJourneyTest.kt`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use houmon_core::protocol::CustodyAction;
use houmon_ffi::*;
use houmon_tests::clinic::{self, answer, patient, start_clinic, today, Clinic};
use houmon_vcard::{CardConfig, Faults, VirtualCard};

struct Keys([u8; 32]);
impl KeyProvider for Keys {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure> {
        Ok(self.0.to_vec())
    }
    fn reset_database_key(&self) -> Result<(), KeyProviderFailure> {
        Ok(())
    }
}

#[derive(Default)]
struct Shell {
    views: Mutex<Vec<AppView>>,
    effects: Mutex<Vec<Effect>>,
}

impl AppShell for Shell {
    fn render(&self, view: AppView) {
        self.views.lock().unwrap().push(view);
    }
    fn run(&self, effect: Effect) {
        self.effects.lock().unwrap().push(effect);
    }
}

/// The shell's NFC transport over a virtual card; `gate`: hold the answer
/// to the signature until released.
struct Tag {
    card: VirtualCard,
    seen: AtomicUsize,
    gate: Option<(Arc<tokio::sync::Notify>, Arc<tokio::sync::Notify>)>,
}

impl Tag {
    fn new(card: VirtualCard) -> Arc<Tag> {
        Arc::new(Tag { card, seen: AtomicUsize::new(0), gate: None })
    }
    fn verifies(&self) -> usize {
        self.card.log().iter().filter(|e| e.is_verify_with_secret()).count()
    }
}

#[async_trait::async_trait]
impl CardTransport for Tag {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        if let Some((waiting, release)) = &self.gate {
            if apdu.len() > 1 && apdu[0] == 0x80 && apdu[1] == 0x2A {
                waiting.notify_one();
                release.notified().await;
            }
        }
        self.card.exchange(&apdu).map_err(|e| match e {
            houmon_core::card::transport::TransportError::TagLost => TransportFailure::TagLost,
            houmon_core::card::transport::TransportError::Timeout => TransportFailure::Timeout,
            houmon_core::card::transport::TransportError::Io { reason } => {
                TransportFailure::Io { reason }
            }
        })
    }
    fn limits(&self) -> TransportLimits {
        let l = houmon_core::card::transport::CardTransport::limits(&self.card);
        TransportLimits {
            extended_length: l.extended_length,
            max_command: l.max_command as u32,
            max_response: l.max_response as u32,
        }
    }
}

struct Phone {
    core: Arc<AppCore>,
    shell: Arc<Shell>,
    db: String,
}

fn platform() -> PlatformInfo {
    PlatformInfo {
        phone_model: "Pixel 8".into(),
        os: "Android 15".into(),
        antenna_hint: "背面の上部".into(),
        device_name: "訪問用1".into(),
    }
}

impl Phone {
    async fn open(db: &str, key: u8, policy: ClinicPolicy) -> Phone {
        Phone::open_with(db, key, policy, true).await
    }

    /// Opens the app; the shell reports the network at once (as at start).
    async fn open_with(db: &str, key: u8, policy: ClinicPolicy, online: bool) -> Phone {
        let shell = Arc::new(Shell::default());
        let core = AppCore::new(
            AppConfig { db_path: db.into(), platform: platform(), policy },
            Arc::new(Keys([key; 32])),
            shell.clone(),
        );
        core.send(AppEvent::NetworkChanged { online });
        core.settle().await;
        Phone { core, shell, db: db.into() }
    }

    async fn enrolled(c: &Clinic, name: &str) -> Phone {
        let db = clinic::scratch(name).join("phone.sqlite").to_string_lossy().into_owned();
        let p = Phone::open(&db, 7, default_clinic_policy()).await;
        assert!(matches!(p.view().screen, Screen::Enrol { .. }), "{:?}", p.view().screen);
        p.send(AppEvent::EnrolmentScanned { text: c.enrolment(clinic::STAFF).to_uri() }).await;
        assert!(matches!(p.view().screen, Screen::Round { .. }), "{:?}", p.view().screen);
        p
    }

    async fn send(&self, e: AppEvent) {
        self.core.send(e);
        self.core.settle().await;
    }

    async fn tap(&self, tag: &Arc<Tag>) -> TapAnswer {
        let a = self.core.card_tapped(tag.clone());
        self.core.settle().await;
        a
    }

    /// The newest view the shell was given (the same as the core's now).
    fn view(&self) -> AppView {
        let shown = self.shell.views.lock().unwrap().last().cloned();
        let now = self.core.view();
        if let Some(v) = &shown {
            assert_eq!(v.revision, now.revision, "the shell has the newest view");
        }
        now
    }

    /// Waits (up to 10 s) until the shell has been given the core's newest
    /// view — for a read still running, where `settle` would wait for the
    /// read itself: views reach the shell on the delivery thread, a moment
    /// after the core made them.
    async fn shell_caught_up(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let shown = self.shell.views.lock().unwrap().last().map(|v| v.revision);
            if shown == Some(self.core.view().revision) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the shell never got the newest view");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn effects(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.shell.effects.lock().unwrap())
    }

    fn device_id(&self) -> String {
        self.core.view();
        let mut id = String::new();
        self.core.send(AppEvent::OpenSettings);
        if let Screen::Settings { settings } = self.core.view().screen {
            id = settings.enrolment.unwrap().device_id;
        }
        self.core.send(AppEvent::Back);
        id
    }

    fn round(&self) -> RoundView {
        match self.view().screen {
            Screen::Round { round } => round,
            other => panic!("not the round: {other:?}"),
        }
    }

    fn visit(&self) -> VisitView {
        match self.view().screen {
            Screen::Visit { visit } => visit,
            other => panic!("not a visit: {other:?}"),
        }
    }

    /// A PIN visit of `patient` with `tag`, to 完了.
    async fn pin_visit(&self, patient: &str, tag: &Arc<Tag>) {
        self.send(AppEvent::OpenPatient { patient_id: patient.into() }).await;
        self.send(AppEvent::ChooseMode { mode: IdentityMode::Pin }).await;
        self.send(AppEvent::SubmitPin { pin: "1234".into() }).await;
        assert_eq!(self.tap(tag).await, TapAnswer::Reading);
        assert!(matches!(self.visit().screen, VisitScreen::Consent { .. }), "{:?}", self.visit());
        self.send(AppEvent::GiveConsent { consent: consent() }).await;
    }
}

fn consent() -> ConsentInput {
    ConsentInput { comprehensive: true, categories: vec![], prescription: Prescription::Paper }
}

async fn clinic_of(n: usize) -> Clinic {
    let patients = (1..=n as u32).map(|i| patient(&format!("p{i}"), Some(i))).collect();
    let data = (1..=n as u32).map(|i| answer(i, "1")).collect();
    start_clinic(patients, data, false).await
}

fn assign(c: &Clinic, phone: &Phone, patients: &[&str]) {
    c.assign(today(), &phone.device_id(), patients);
}

async fn wait_for(phone: &Phone, what: &str, f: impl Fn(&AppView) -> bool) {
    for _ in 0..200 {
        if f(&phone.view()) {
            return;
        }
        phone.send(AppEvent::SyncDue).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: {:?}", phone.view());
}

fn done_delivery(v: &VisitView) -> Option<DeliveryState> {
    match &v.screen {
        VisitScreen::Done { delivery, .. } => Some(*delivery),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_visit_goes_from_the_round_to_the_clinic_and_the_round_moves_on() {
    let c = clinic_of(3).await;
    let phone = Phone::enrolled(&c, "pin").await;
    assign(&c, &phone, &["p1", "p2", "p3"]);
    phone.send(AppEvent::Refresh).await;
    let round = phone.round();
    assert_eq!(round.groups[0].patients.len(), 3);
    assert_eq!(round.next_patient_id.as_deref(), Some("p1"));
    assert!(!phone.view().reader_mode);
    let tag = Tag::new(VirtualCard::standard());
    phone.pin_visit("p1", &tag).await;
    assert!(phone.effects().contains(&Effect::Feedback { kind: FeedbackKind::ReadSucceeded }));
    // Stored, then sent at once (the network is there).
    wait_for(&phone, "sent", |v| match &v.screen {
        Screen::Visit { visit } => done_delivery(visit) == Some(DeliveryState::Sent),
        _ => false,
    })
    .await;
    assert_eq!(c.stored_visit_ids().len(), 1);
    phone.send(AppEvent::FinishVisit).await;
    let round = phone.round();
    let p1 = &round.groups[0].patients[0];
    assert!(p1.visited, "{p1:?}");
    assert!(p1.visited_line.as_deref().unwrap().contains("送信済み"));
    assert_eq!(round.next_patient_id.as_deref(), Some("p2"));
    // The clinic's answer comes back: 有効, with its time, only from the server.
    wait_for(&phone, "eligibility", |v| match &v.screen {
        Screen::Round { round } => {
            round.groups[0].patients[0].eligibility.status == EligibilityStatus::Valid
        }
        _ => false,
    })
    .await;
    // Field timing reached the clinic with the record.
    let timings = c
        .app()
        .db
        .read(|conn, _| {
            houmon_server::db::readings::per_model(
                conn,
                chrono::Utc::now() - chrono::Duration::days(1),
            )
        })
        .unwrap();
    assert_eq!(timings.len(), 1);
    assert_eq!((timings[0].phone_model.as_str(), timings[0].visits), ("Pixel 8", 1));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_away_mid_read_resumes_without_the_pin_and_the_record_counts_the_loss() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "tag-lost").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    let card = VirtualCard::new(CardConfig {
        faults: Faults { tag_lost_at: Some(3), ..Faults::default() },
        ..CardConfig::default()
    });
    let tag = Tag::new(card);
    phone.send(AppEvent::OpenPatient { patient_id: "p1".into() }).await;
    phone.send(AppEvent::ChooseMode { mode: IdentityMode::Pin }).await;
    phone.send(AppEvent::SubmitPin { pin: "1234".into() }).await;
    phone.tap(&tag).await;
    let v = phone.visit();
    let VisitScreen::HoldCard { line, reading, .. } = &v.screen else { panic!("{v:?}") };
    assert!(!reading);
    assert_eq!(line, "もう一度カードを当ててください(暗証番号の再入力は不要です)");
    assert!(v.error.is_some());
    assert!(phone.effects().contains(&Effect::Feedback { kind: FeedbackKind::CardLost }));
    tag.card.reinsert();
    phone.tap(&tag).await;
    assert!(matches!(phone.visit().screen, VisitScreen::Consent { .. }), "{:?}", phone.visit());
    assert_eq!(tag.verifies(), 1, "the PIN went to the card once");
    phone.send(AppEvent::GiveConsent { consent: consent() }).await;
    wait_for(&phone, "sent", |v| match &v.screen {
        Screen::Visit { visit } => done_delivery(visit) == Some(DeliveryState::Sent),
        _ => false,
    })
    .await;
    let stats = c
        .app()
        .db
        .read(|conn, _| {
            houmon_server::db::readings::per_model(
                conn,
                chrono::Utc::now() - chrono::Duration::days(1),
            )
        })
        .unwrap();
    assert_eq!(stats[0].reads, 2);
    assert!((stats[0].tag_loss_rate - 0.5).abs() < 1e-9, "{stats:?}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_patients_card_stops_the_visit_and_names_whose_it_is() {
    let c = clinic_of(2).await;
    let phone = Phone::enrolled(&c, "wrong-card").await;
    assign(&c, &phone, &["p1", "p2"]);
    phone.send(AppEvent::Refresh).await;
    let card_of_p1 = Tag::new(VirtualCard::standard());
    phone.pin_visit("p1", &card_of_p1).await;
    wait_for(&phone, "sent", |v| match &v.screen {
        Screen::Visit { visit } => done_delivery(visit) == Some(DeliveryState::Sent),
        _ => false,
    })
    .await;
    phone.send(AppEvent::FinishVisit).await;
    // The roster now carries p1's enrolled card.
    phone.send(AppEvent::Refresh).await;
    card_of_p1.card.reinsert();
    let before = card_of_p1.verifies();
    phone.send(AppEvent::OpenPatient { patient_id: "p2".into() }).await;
    phone.send(AppEvent::ChooseMode { mode: IdentityMode::Pin }).await;
    phone.send(AppEvent::SubmitPin { pin: "1234".into() }).await;
    phone.tap(&card_of_p1).await;
    let v = phone.visit();
    let VisitScreen::WrongCard { belongs_to_patient_id, belongs_to_name, .. } = &v.screen else {
        panic!("{v:?}")
    };
    assert_eq!((belongs_to_patient_id.as_str(), belongs_to_name.as_str()), ("p1", "患者 p1"));
    assert_eq!(card_of_p1.verifies(), before, "no PIN went to another patient's card");
    phone.send(AppEvent::HoldAnotherCard).await;
    let own = Tag::new(VirtualCard::standard());
    phone.tap(&own).await;
    assert!(matches!(phone.visit().screen, VisitScreen::Consent { .. }), "{:?}", phone.visit());
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_visits_are_kept_and_go_when_the_network_returns() {
    let c = clinic_of(2).await;
    let phone = Phone::enrolled(&c, "offline").await;
    assign(&c, &phone, &["p1", "p2"]);
    phone.send(AppEvent::Refresh).await;
    phone.send(AppEvent::NetworkChanged { online: false }).await;
    let v = phone.view();
    assert!(v.header.offline);
    phone.pin_visit("p1", &Tag::new(VirtualCard::standard())).await;
    let v = phone.visit();
    assert_eq!(done_delivery(&v), Some(DeliveryState::Stored));
    assert!(
        phone.view().header.sync_line.contains("オフライン: 未送信 1件"),
        "{:?}",
        phone.view().header
    );
    assert!(c.stored_visit_ids().is_empty());
    phone.send(AppEvent::FinishVisit).await;
    phone.send(AppEvent::NetworkChanged { online: true }).await;
    wait_for(&phone, "sent after the network came back", |v| v.header.pending == 0).await;
    assert_eq!(c.stored_visit_ids().len(), 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_killed_between_two_visits_comes_back_with_its_round() {
    let c = clinic_of(3).await;
    let phone = Phone::enrolled(&c, "kill").await;
    assign(&c, &phone, &["p1", "p2", "p3"]);
    phone.send(AppEvent::Refresh).await;
    phone.send(AppEvent::NetworkChanged { online: false }).await;
    phone.pin_visit("p1", &Tag::new(VirtualCard::standard())).await;
    phone.send(AppEvent::FinishVisit).await;
    let db = phone.db.clone();
    drop(phone);
    // The OS killed the app; it starts again (still offline: the kept roster).
    let again = Phone::open_with(&db, 7, default_clinic_policy(), false).await;
    let round = again.round();
    assert!(round.groups[0].patients[0].visited, "{round:?}");
    assert_eq!(round.next_patient_id.as_deref(), Some("p2"));
    assert!(round.offline_line.is_some());
    // Nothing lost, nothing twice. The core takes the network as there
    // until the shell's first NetworkChanged (a sync tried without one
    // only fails and backs off), so when the store opened before that
    // event arrived, the record went out at start: it is then the
    // clinic's, once, and no longer queued.
    let pending = again.view().header.pending;
    let stored = c.stored_visit_ids().len();
    assert!(matches!((pending, stored), (1, 0) | (0, 1)), "queued {pending}, stored {stored}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_says_so_and_stops_trying() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "revoked").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    phone.send(AppEvent::NetworkChanged { online: false }).await;
    phone.pin_visit("p1", &Tag::new(VirtualCard::standard())).await;
    phone.send(AppEvent::FinishVisit).await;
    assert!(c.revoke(&phone.device_id()));
    phone.effects();
    phone.send(AppEvent::NetworkChanged { online: true }).await;
    let v = phone.view();
    assert!(
        v.header.blocked.as_deref().unwrap_or_default().contains("取り消されています"),
        "{:?}",
        v.header
    );
    let effects = phone.effects();
    assert!(effects.contains(&Effect::CancelScheduledSync), "{effects:?}");
    assert!(!effects.iter().any(|e| matches!(e, Effect::ScheduleSync { .. })), "{effects:?}");
    // The OS job fires anyway: nothing is scheduled again, the record stays.
    phone.send(AppEvent::SyncDue).await;
    assert!(!phone.effects().iter().any(|e| matches!(e, Effect::ScheduleSync { .. })));
    assert_eq!(phone.view().header.pending, 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_shared_phone_the_signed_in_nurse_compares_the_photo_and_the_clinic_checks_her() {
    let c = clinic_of(2).await;
    let phone = Phone::enrolled(&c, "shared").await;
    let device = phone.device_id();
    c.add_staff("nurse-8", "在宅 花子", Some("482915"));
    c.assign(today(), &device, &["p1"]);
    c.assign_for(today(), &device, "nurse-8", &["p2"]);
    phone.send(AppEvent::Refresh).await;
    assert!(phone.round().sign_in_needed);
    phone.send(AppEvent::OpenPatient { patient_id: "p2".into() }).await;
    let Screen::SignIn { sign_in } = phone.view().screen else { panic!() };
    let names: Vec<_> = sign_in.staff.iter().map(|s| (s.name.as_str(), s.can_sign_in)).collect();
    assert_eq!(names, [("訪問 看護師", false), ("在宅 花子", true)]);
    phone.send(AppEvent::SignIn { staff_id: "nurse-8".into(), code: "000000".into() }).await;
    let Screen::SignIn { sign_in } = phone.view().screen else { panic!() };
    assert!(sign_in.error.unwrap().contains("サインインコードが違います"));
    phone.send(AppEvent::SignIn { staff_id: "nurse-8".into(), code: "482915".into() }).await;
    // Signed in, the tapped patient's visit opens as hers.
    let v = phone.visit();
    assert_eq!(v.patient_id.as_deref(), Some("p2"));
    assert!(phone.view().header.staff_line.unwrap().starts_with("在宅 花子 さん"));
    phone.send(AppEvent::ChooseMode { mode: IdentityMode::Visual }).await;
    let tag = Tag::new(VirtualCard::standard());
    let collation = houmon_vcard::Holder::default().collation_b();
    phone.send(AppEvent::SubmitCollation { value: collation }).await;
    phone.tap(&tag).await;
    let VisitScreen::ComparePhoto { checker, .. } = phone.visit().screen else {
        panic!("{:?}", phone.visit())
    };
    assert_eq!(checker, "確認する職員: 在宅 花子 さん");
    phone
        .send(AppEvent::PhotoMatches {
            reason: VisualReason::DementiaOrDisability,
            note: String::new(),
        })
        .await;
    phone.send(AppEvent::GiveConsent { consent: consent() }).await;
    wait_for(&phone, "sent", |v| match &v.screen {
        Screen::Visit { visit } => done_delivery(visit) == Some(DeliveryState::Sent),
        _ => false,
    })
    .await;
    // The clinic recorded her, not the phone's enrolled nurse.
    let visits: Vec<_> = c
        .app()
        .db
        .read(|conn, _| {
            houmon_server::db::visits::between(
                conn,
                chrono::Utc::now() - chrono::Duration::days(1),
                chrono::Utc::now() + chrono::Duration::days(1),
            )
        })
        .unwrap()
        .into_iter()
        .filter(|v| v.patient_id.as_deref() == Some("p2"))
        .collect();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].staff_id, "nurse-8");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_round_logs_each_card_taken_and_put_back_in_the_audit_trail() {
    let mut residents: Vec<_> = (1..=2u32).map(|i| patient(&format!("p{i}"), Some(i))).collect();
    for r in &mut residents {
        r.facility = Some("グループホームさくら".into());
        r.unit = Some("2階".into());
    }
    let c = start_clinic(residents, (1..=2).map(|i| answer(i, "1")).collect(), false).await;
    let phone = Phone::enrolled(&c, "facility").await;
    assign(&c, &phone, &["p1", "p2"]);
    phone.send(AppEvent::Refresh).await;
    assert_eq!(phone.round().groups[0].title, "グループホームさくら 2階");
    phone.send(AppEvent::TakeCard { patient_id: "p1".into() }).await;
    let round = phone.round();
    assert_eq!(round.cards_out, 1);
    assert!(round.groups[0].patients[0].custody.as_ref().unwrap().out);
    // 目視 by the facility's staff is the natural mode.
    phone.send(AppEvent::OpenPatient { patient_id: "p1".into() }).await;
    let VisitScreen::ChooseMode { options } = phone.visit().screen else { panic!() };
    assert!(options.iter().any(|o| o.mode == IdentityMode::Visual && o.recommended));
    phone.send(AppEvent::CancelVisit).await;
    phone.send(AppEvent::FinishVisit).await;
    phone.send(AppEvent::ReturnCard { patient_id: "p1".into() }).await;
    assert_eq!(phone.round().cards_out, 0);
    wait_for(&phone, "custody sent", |v| v.header.pending == 0).await;
    let rows =
        c.app().db.read(|conn, _| houmon_server::db::custody::of_day(conn, today())).unwrap();
    let actions: Vec<_> = rows.iter().map(|r| (r.patient_id.as_str(), r.action)).collect();
    assert_eq!(actions, [("p1", CustodyAction::Taken), ("p1", CustodyAction::Returned)]);
    assert_eq!(rows[0].facility.as_deref(), Some("グループホームさくら"));
    let filter = houmon_server::db::audit::Filter {
        action_prefix: Some("custody.".into()),
        limit: 100,
        ..Default::default()
    };
    let audit = c.app().db.read(|conn, _| houmon_server::db::audit::list(conn, &filter)).unwrap();
    assert!(audit.iter().any(|e| e.action == "custody.taken" && e.target.as_deref() == Some("p1")));
    assert!(audit.iter().any(|e| e.action == "custody.returned"));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_does_not_open_shows_recovery_and_a_confirmed_reset_enrols_again() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "recovery").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    phone.send(AppEvent::NetworkChanged { online: false }).await;
    phone.pin_visit("p1", &Tag::new(VirtualCard::standard())).await;
    let db = phone.db.clone();
    drop(phone);
    // The Keystore lost its key: another key opens nothing.
    let p = Phone::open(&db, 8, default_clinic_policy()).await;
    let Screen::Recovery { recovery } = p.view().screen else { panic!("{:?}", p.view().screen) };
    assert_eq!(recovery.code, "store.wrong-key");
    assert_eq!(recovery.unsent, Some(1));
    assert!(!p.view().can_go_back);
    p.send(AppEvent::RetryOpen).await;
    assert!(matches!(p.view().screen, Screen::Recovery { .. }));
    p.send(AppEvent::StartReset).await;
    p.send(AppEvent::EnrolmentScanned { text: c.enrolment(clinic::STAFF).to_uri() }).await;
    let confirm = p.view().confirmation.expect("asks first");
    assert!(confirm.message.contains("1件が失われます"), "{}", confirm.message);
    p.send(AppEvent::Confirm).await;
    assert!(matches!(p.view().screen, Screen::Round { .. }), "{:?}", p.view().screen);
    assert_eq!(p.view().header.pending, 0);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_goes_on_while_the_app_goes_to_the_background_and_back() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "background").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    let waiting = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Notify::new());
    let tag = Arc::new(Tag {
        card: VirtualCard::standard(),
        seen: AtomicUsize::new(0),
        gate: Some((waiting.clone(), release.clone())),
    });
    phone.send(AppEvent::OpenPatient { patient_id: "p1".into() }).await;
    phone.send(AppEvent::ChooseMode { mode: IdentityMode::Pin }).await;
    phone.send(AppEvent::SubmitPin { pin: "1234".into() }).await;
    assert_eq!(phone.core.card_tapped(tag.clone()), TapAnswer::Reading);
    tokio::time::timeout(Duration::from_secs(10), waiting.notified()).await.expect("signs");
    phone.shell_caught_up().await;
    let VisitScreen::HoldCard { reading, line, .. } = phone.visit().screen else { panic!() };
    assert!(reading);
    assert_eq!(line, "署名しています");
    // A second tap while reading is not another read.
    assert!(matches!(phone.core.card_tapped(tag.clone()), TapAnswer::NotNow { .. }));
    phone.core.send(AppEvent::Backgrounded);
    phone.core.send(AppEvent::Foregrounded);
    release.notify_waiters();
    phone.core.settle().await;
    assert!(matches!(phone.visit().screen, VisitScreen::Consent { .. }), "{:?}", phone.visit());
    assert_eq!(tag.verifies(), 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_in_its_grace_brings_the_renewal_coach_to_the_done_screen() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "renewal").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    let tag = Tag::new(VirtualCard::of_variant(houmon_vcard::Variant::CertificateExpiredInGrace));
    phone.pin_visit("p1", &tag).await;
    let VisitScreen::Done { renewal, .. } = phone.visit().screen else {
        panic!("{:?}", phone.visit())
    };
    let advice = renewal.expect("the coach speaks");
    assert_eq!(advice.kind, RenewalKind::InGrace);
    assert!(advice.steps.iter().any(|s| s.contains("市区町村")), "{advice:?}");
    assert!(advice.steps.iter().any(|s| s.contains("代理人")), "{advice:?}");
    // A standard card: nothing to say.
    phone.send(AppEvent::FinishVisit).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reception_guidance_from_a_visit_knows_the_card_it_read() {
    let c = clinic_of(1).await;
    let phone = Phone::enrolled(&c, "reception").await;
    assign(&c, &phone, &["p1"]);
    phone.send(AppEvent::Refresh).await;
    // A 顔認証 card: no PIN; the visit learns it at the first read.
    let tag = Tag::new(VirtualCard::of_variant(houmon_vcard::Variant::FaceRecognition));
    phone.send(AppEvent::OpenPatient { patient_id: "p1".into() }).await;
    phone.send(AppEvent::ChooseMode { mode: IdentityMode::Pin }).await;
    phone.send(AppEvent::SubmitPin { pin: "1234".into() }).await;
    phone.tap(&tag).await;
    let VisitScreen::ChooseMode { options } = phone.visit().screen else {
        panic!("{:?}", phone.visit())
    };
    assert!(options.iter().any(|o| o.mode == IdentityMode::Pin && !o.enabled));
    phone.send(AppEvent::OpenReception).await;
    let Screen::Reception { reception } = phone.view().screen else { panic!() };
    let g = reception.guidance.expect("guidance");
    assert!(g.text.contains("目視"), "{}", g.text);
    assert!(phone.view().protect_screen);
    phone.send(AppEvent::Back).await;
    assert!(matches!(phone.view().screen, Screen::Visit { .. }));
    c.shutdown().await;
}
