// SPDX-License-Identifier: MPL-2.0
//! The FFI surface from Rust: what the shells see, without a JVM — and the
//! core's runtime promises (ADR 0004): the session answers during a card
//! read, two syncs at once never send a record twice, a failing results
//! pull is reported.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use houmon_core::card::transport::CardTransport as _;
use houmon_ffi::*;
use houmon_vcard::VirtualCard;

struct Keys([u8; 32]);
impl KeyProvider for Keys {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure> {
        Ok(self.0.to_vec())
    }
    fn reset_database_key(&self) -> Result<(), KeyProviderFailure> {
        Ok(())
    }
}

/// The shell's transport over a virtual card; `gate`: the APDU number at
/// which it waits (like a card that is slow to answer) until released.
struct Card {
    card: VirtualCard,
    seen: AtomicUsize,
    gate: Option<(usize, Arc<tokio::sync::Notify>, Arc<tokio::sync::Notify>)>,
}

impl Card {
    fn new(card: VirtualCard) -> Arc<Self> {
        Arc::new(Card { card, seen: AtomicUsize::new(0), gate: None })
    }
}

#[async_trait::async_trait]
impl CardTransport for Card {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if let Some((at, waiting, release)) = &self.gate {
            if n == *at {
                waiting.notify_one();
                release.notified().await;
            }
        }
        self.card.exchange(&apdu).map_err(|_| TransportFailure::TagLost)
    }
    fn limits(&self) -> TransportLimits {
        limits_of(&self.card)
    }
}

/// What a virtual card can take, as the shell reports it.
fn limits_of(card: &VirtualCard) -> TransportLimits {
    let l = card.limits();
    TransportLimits {
        extended_length: l.extended_length,
        max_command: l.max_command as u32,
        max_response: l.max_response as u32,
    }
}

fn db(name: &str) -> String {
    let p = std::env::temp_dir().join(format!("houmon-ffi-{}-{name}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p.to_string_lossy().into_owned()
}

fn rt() -> tokio::runtime::Runtime {
    // The foreign executor: any will do (here, tokio's).
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A visit on a phone pointed at a (never contacted) loopback server: a
/// phone with no server at all cannot start one.
fn start(core: &HoumonCore, rt: &tokio::runtime::Runtime) -> Arc<VisitSession> {
    core.connect("http://127.0.0.1:9".into(), None, None).unwrap();
    rt.block_on(core.start_visit(VisitStart {
        patient_id: None,
        kind: VisitKind::HomeCare,
        first_visit_on: None,
        round_day: None,
    }))
    .unwrap()
}

#[test]
fn consent_on_a_full_disk_is_an_error_and_the_visit_stays_open_until_it_is_saved() {
    let rt = rt();
    // In memory: SQLite honours the size cap there (WAL files grow apart from it).
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([3; 32])), false)).unwrap();
    let s = start(&core, &rt);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234".into()).unwrap();
    let step = rt.block_on(s.clone().read_card(Card::new(VirtualCard::standard()), None)).unwrap();
    assert!(matches!(step, VisitStep::IdentityConfirmed { .. }), "{step:?}");
    // Fill the table's page, then allow no growth: the record has no room.
    let store = core.store_for_tests();
    store.enqueue("filler", &[0u8; 3500], chrono::Utc::now()).unwrap();
    store.cap_growth_for_tests(0).unwrap();
    let consent =
        ConsentInput { comprehensive: true, categories: vec![], prescription: Prescription::Paper };
    let err = rt.block_on(s.clone().give_consent(consent.clone())).unwrap_err();
    match &err {
        HoumonError::Storage { staff_message, code, .. } => {
            assert!(staff_message.contains("空き容量"), "{staff_message}");
            assert_eq!(code, "store.disk-full");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.step(), VisitStep::IdentityConfirmed { .. }), "not Done: nothing was saved");
    core.store_for_tests().cap_growth_for_tests(1_000_000).unwrap();
    match rt.block_on(s.clone().give_consent(consent)).unwrap() {
        VisitStep::Done { record_id, .. } => assert_eq!(record_id, s.visit_id()),
        other => panic!("{other:?}"),
    }
    let pending = rt.block_on(core.queue(QueueState::Pending)).unwrap();
    assert!(pending.iter().any(|q| q.id == s.visit_id()));
}

#[test]
fn the_wrong_key_and_a_key_of_the_wrong_length_are_wrong_key_errors() {
    let rt = rt();
    let path = db("keys");
    drop(rt.block_on(HoumonCore::open(path.clone(), Arc::new(Keys([1; 32])), false)).unwrap());
    match rt.block_on(HoumonCore::open(path, Arc::new(Keys([2; 32])), false)) {
        Err(HoumonError::WrongKey { code, detail, .. }) => {
            assert_eq!(code, "store.wrong-key");
            assert!(!detail.is_empty());
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("opened with the wrong key"),
    }
}

#[test]
fn step_and_cancel_answer_at_once_while_a_read_waits_on_the_card() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([4; 32])), false)).unwrap();
    let s = start(&core, &rt);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234".into()).unwrap();
    let waiting = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Notify::new());
    // The card holds its answer to the 4th APDU (the PIN counter).
    let card = Arc::new(Card {
        card: VirtualCard::standard(),
        seen: AtomicUsize::new(0),
        gate: Some((3, waiting.clone(), release.clone())),
    });
    let read = rt.spawn(s.clone().read_card(card.clone(), None));
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), waiting.notified()).await.expect("read runs")
    });
    // The read is parked on the card: the session still answers. (Were
    // these calls to wait for the read, they would wait for ever, since the
    // card answers only after them: asked on another thread, they must
    // answer before a generous deadline, not within a wall-clock bound
    // that a loaded machine can miss.)
    let (answered, answers) = std::sync::mpsc::channel();
    let asked = s.clone();
    std::thread::spawn(move || {
        let step = asked.step();
        let reading = asked.is_reading();
        let pin = asked.enter_pin("1234".into());
        let cancelled = asked.cancel();
        let _ = answered.send((step, reading, pin, cancelled));
    });
    let (step, reading, pin, cancelled) = answers
        .recv_timeout(Duration::from_secs(30))
        .expect("the session answers while the read waits");
    assert!(matches!(step, VisitStep::HoldCard { .. }), "{step:?}");
    assert!(reading);
    assert!(matches!(pin, Err(HoumonError::WrongStep { .. })), "{pin:?}");
    assert_eq!(cancelled, VisitStep::Cancelled);
    let result = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), read).await.expect("the read ends").unwrap()
    });
    assert!(matches!(result, Err(HoumonError::Cancelled { .. })), "{result:?}");
    release.notify_waiters();
    assert_eq!(card.card.log().iter().filter(|e| e.is_verify_with_secret()).count(), 0);
    assert_eq!(s.step(), VisitStep::Cancelled);
}

/// A card that holds its answer to the signature (after the PIN was
/// verified) until released.
struct SignGate {
    card: VirtualCard,
    waiting: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl CardTransport for SignGate {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        if apdu.len() > 1 && apdu[0] == 0x80 && apdu[1] == 0x2A {
            self.waiting.notify_one();
            self.release.notified().await;
        }
        self.card.exchange(&apdu).map_err(|_| TransportFailure::TagLost)
    }
    fn limits(&self) -> TransportLimits {
        limits_of(&self.card)
    }
}

type Read = tokio::task::JoinHandle<Result<VisitStep, HoumonError>>;

/// A PIN read parked on the card's signature: the PIN was verified.
fn read_until_signing(
    rt: &tokio::runtime::Runtime,
    core: &HoumonCore,
) -> (Arc<VisitSession>, Arc<SignGate>, Read) {
    let s = start(core, rt);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234".into()).unwrap();
    let card = Arc::new(SignGate {
        card: VirtualCard::standard(),
        waiting: Arc::new(tokio::sync::Notify::new()),
        release: Arc::new(tokio::sync::Notify::new()),
    });
    let read = rt.spawn(s.clone().read_card(card.clone(), None));
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), card.waiting.notified()).await.expect("signs")
    });
    (s, card, read)
}

#[test]
fn a_read_whose_caller_goes_away_after_verify_still_reaches_the_session() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([5; 32])), false)).unwrap();
    let (s, card, read) = read_until_signing(&rt, &core);
    assert_eq!(card.card.log().iter().filter(|e| e.is_verify_with_secret()).count(), 1);
    // The activity is recreated (or the iPhone app sent to the background):
    // the shell's future is dropped between VERIFY and SIGN.
    read.abort();
    assert!(rt.block_on(read).unwrap_err().is_cancelled());
    card.release.notify_waiters();
    let t = std::time::Instant::now();
    while s.is_reading() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!s.is_reading(), "the session is never left reading");
    assert!(
        matches!(s.step(), VisitStep::IdentityConfirmed { .. }),
        "the signature reached the visit: {:?}",
        s.step()
    );
    // The PIN try the read used is not thrown away: no second VERIFY is needed.
    assert_eq!(card.card.log().iter().filter(|e| e.is_verify_with_secret()).count(), 1);
}

#[test]
fn a_read_cancelled_after_verify_says_that_no_try_was_used() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([6; 32])), false)).unwrap();
    let (s, card, read) = read_until_signing(&rt, &core);
    s.cancel();
    let result = rt.block_on(read).unwrap();
    match result {
        Err(HoumonError::Cancelled { staff_message, .. }) => {
            assert!(staff_message.contains("暗証番号は正しく確認されていた"), "{staff_message}");
            assert!(staff_message.contains("残り回数は減っていません"), "{staff_message}");
        }
        other => panic!("{other:?}"),
    }
    card.release.notify_waiters();
    assert_eq!(s.step(), VisitStep::Cancelled);
}

/// A shell transport that dies (panics) when the card is asked to sign,
/// after the PIN was verified: the read's task ends without an outcome.
struct DiesAtSign(VirtualCard);

#[async_trait::async_trait]
impl CardTransport for DiesAtSign {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        if apdu.len() > 1 && apdu[0] == 0x80 && apdu[1] == 0x2A {
            panic!("the shell's transport died");
        }
        self.0.exchange(&apdu).map_err(|_| TransportFailure::TagLost)
    }
    fn limits(&self) -> TransportLimits {
        limits_of(&self.0)
    }
}

#[test]
fn a_read_whose_task_dies_leaves_the_session_holding_the_card_not_reading() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([7; 32])), false)).unwrap();
    let s = start(&core, &rt);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234".into()).unwrap();
    let card = Arc::new(DiesAtSign(VirtualCard::standard()));
    let result = rt.block_on(s.clone().read_card(card.clone(), None));
    assert!(result.is_err(), "a read that died is no step: {result:?}");
    assert!(!s.is_reading(), "the session is never left reading");
    assert!(matches!(s.step(), VisitStep::HoldCard { .. }), "{:?}", s.step());
    assert_eq!(card.0.log().iter().filter(|e| e.is_verify_with_secret()).count(), 1);
}

/// A clinic server that counts uploads per record id; `results_fail`: the
/// results endpoint answers 500.
async fn counting_server(results_fail: bool) -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    use axum::routing::{get, post, put};
    let puts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let counter = puts.clone();
    let app = axum::Router::new()
        .route(
            "/v1/visits/{id}",
            put(move |axum::extract::Path(id): axum::extract::Path<String>| {
                let counter = counter.clone();
                async move {
                    *counter.lock().unwrap().entry(id).or_default() += 1;
                    // Slow enough that two rounds would overlap.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    (axum::http::StatusCode::CREATED, r#"{"status":"accepted","warnings":[]}"#)
                }
            }),
        )
        .route(
            "/v1/results",
            get(move || async move {
                if results_fail {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom".to_owned())
                } else {
                    (axum::http::StatusCode::OK, r#"{"results":[],"cursor":0}"#.to_owned())
                }
            }),
        )
        .route("/v1/devices", post(|| async { r#"{"token":"t"}"# }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, puts)
}

#[test]
fn two_syncs_at_once_upload_each_record_exactly_once() {
    let rt = rt();
    let (url, puts) = rt.block_on(counting_server(false));
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([5; 32])), false)).unwrap();
    core.connect(url, None, Some("t".into())).unwrap();
    let store = core.store_for_tests();
    for i in 0..8 {
        store.enqueue(&format!("v-{i}"), b"{}", chrono::Utc::now()).unwrap();
    }
    let (a, b) = rt.block_on(async { tokio::join!(core.sync_now(), core.sync_now()) });
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 8, "{a:?} {b:?}");
    let puts = puts.lock().unwrap();
    assert_eq!(puts.len(), 8);
    assert!(puts.values().all(|n| *n == 1), "each record once: {puts:?}");
}

#[test]
fn a_failing_results_pull_is_reported_in_the_summary() {
    let rt = rt();
    let (url, _) = rt.block_on(counting_server(true));
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([6; 32])), false)).unwrap();
    core.connect(url, None, Some("t".into())).unwrap();
    core.store_for_tests().enqueue("v-1", b"{}", chrono::Utc::now()).unwrap();
    let summary = rt.block_on(core.sync_now()).unwrap();
    assert_eq!(summary.sent, 1);
    let why = summary.results_error.expect("the failure is reported");
    assert!(why.contains("通信"), "{why}");
}

#[test]
fn plain_http_to_another_machine_and_a_bad_pin_are_refused() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([7; 32])), false)).unwrap();
    match core.connect("http://192.168.1.20:8470".into(), None, None) {
        Err(HoumonError::InvalidInput { code, .. }) => assert_eq!(code, "sync.insecure-url"),
        other => panic!("{other:?}"),
    }
    match core.connect("https://192.168.1.20:8470".into(), Some("sha256:12".into()), None) {
        Err(HoumonError::InvalidInput { code, .. }) => assert_eq!(code, "sync.bad-pin"),
        other => panic!("{other:?}"),
    }
    let pin = format!("sha256:{}", "ab".repeat(32));
    core.connect("https://192.168.1.20:8470".into(), Some(pin), None).unwrap();
}

#[test]
fn a_wrong_pin_error_carries_its_code_tries_and_detail() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([8; 32])), false)).unwrap();
    let s = start(&core, &rt);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("9999".into()).unwrap();
    match rt.block_on(s.read_card(Card::new(VirtualCard::standard()), None)) {
        Err(HoumonError::WrongSecret { tries_left, code, detail, staff_message, .. }) => {
            assert_eq!((tries_left, code.as_str()), (2, "card.wrong-pin"));
            assert!(detail.contains("2 tries"), "{detail}");
            assert!(!detail.contains("9999") && !staff_message.contains("9999"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_phone_that_is_not_enrolled_cannot_start_a_visit() {
    let rt = rt();
    let core =
        rt.block_on(HoumonCore::open(":memory:".into(), Arc::new(Keys([9; 32])), false)).unwrap();
    let visit = VisitStart {
        patient_id: Some("p0".into()),
        kind: VisitKind::HomeCare,
        first_visit_on: None,
        round_day: None,
    };
    match rt.block_on(core.start_visit(visit)) {
        Err(HoumonError::NotRegistered { code, staff_message, .. }) => {
            assert_eq!(code, "sync.not-enrolled");
            assert!(staff_message.contains("QRコード"), "{staff_message}");
        }
        other => panic!("{:?}", other.map(|_| "a session")),
    }
}
