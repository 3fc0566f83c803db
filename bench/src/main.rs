// SPDX-License-Identifier: MPL-2.0
//! `cargo run -p houmon-bench`: APDU round trips and bytes on the wire for
//! each card flow, Houmon's core against jpki-rs (the `jpki` crate 0.4.3),
//! both talking to the same virtual card; then the same flows with a
//! latency model (sleeps in the virtual card) to show what round trips cost.
//!
//! The counts are deterministic: they depend only on the code and on the
//! virtual card's file sizes (certificate, photo), which are printed.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use chrono::Utc;
use houmon_core::card::cert::{sha256_digest_info, AuthCertificate};
use houmon_core::card::credentials::{CollationB, Pin};
use houmon_core::card::reader::CardReader;
use houmon_core::card::transport::{CardTransport, TransportError, TransportLimits};
use houmon_vcard::{CardConfig, Faults, Holder, VirtualCard, SAMPLE_PHOTO_JP2};
use jpki::nfc::{HandleError, HandlerInCtx};

const MESSAGE: &[u8] = b"benchmark challenge";

/// The virtual card, with a count of what crosses the wire.
struct Wire {
    card: VirtualCard,
    apdus: AtomicUsize,
    bytes: AtomicUsize,
}

impl Wire {
    fn new(limits: TransportLimits, faults: Faults) -> Self {
        Wire {
            card: VirtualCard::new(CardConfig {
                extended_length: limits.extended_length,
                max_command: limits.max_command,
                max_response: limits.max_response,
                faults,
                ..CardConfig::default()
            }),
            apdus: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        }
    }
    fn counts(&self) -> (usize, usize) {
        (self.apdus.load(Relaxed), self.bytes.load(Relaxed))
    }
}

impl Wire {
    fn exchange(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let resp = self.card.exchange(apdu)?;
        self.apdus.fetch_add(1, Relaxed);
        self.bytes.fetch_add(apdu.len() + resp.len(), Relaxed);
        Ok(resp)
    }
}

#[async_trait::async_trait]
impl CardTransport for Wire {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.exchange(apdu)
    }
    fn limits(&self) -> TransportLimits {
        self.card.limits()
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// jpki-rs's delegate over the same wire. jpki-rs first offers a buffer
/// of Le bytes (0 for `Le = 00`) and, when the answer does not fit, asks
/// again with a bigger one: the answer is kept so that the retry does not
/// reach the card (a phone's delegate would do the same).
struct JpkiDelegate<'a> {
    wire: &'a Wire,
    pending: std::sync::Mutex<Option<(Vec<u8>, Vec<u8>)>>,
}

impl<'a> JpkiDelegate<'a> {
    fn new(wire: &'a Wire) -> Self {
        JpkiDelegate { wire, pending: std::sync::Mutex::new(None) }
    }
}

impl HandlerInCtx<()> for JpkiDelegate<'_> {
    fn handle_in_ctx(&self, _: (), command: &[u8], response: &mut [u8]) -> jpki::nfc::Result {
        let mut pending = self.pending.lock().unwrap();
        let resp = match pending.take() {
            Some((cmd, resp)) if cmd == command => resp,
            _ => self.wire.exchange(command).map_err(|e| HandleError::Nfc(Box::new(e)))?,
        };
        if resp.len() > response.len() {
            let needed = resp.len();
            *pending = Some((command.to_vec(), resp));
            return Err(HandleError::NotEnoughBuffer(needed));
        }
        response[..resp.len()].copy_from_slice(&resp);
        Ok(resp.len())
    }
}

type JpkiCard<'a> = jpki::Card<JpkiDelegate<'a>, ()>;

fn jpki_card(wire: &Wire) -> Rc<JpkiCard<'_>> {
    Rc::new(jpki::Card::new(Box::new(JpkiDelegate::new(wire))))
}

#[derive(Clone, Copy, PartialEq)]
enum Flow {
    /// Read the 利用者証明用 certificate (no PIN).
    Certificate,
    /// Certificate, PIN counter, VERIFY, signature.
    PinMode,
    /// 照合番号B counter, VERIFY, the photo (Houmon also reads the certificate).
    VisualMode,
}

impl Flow {
    fn name(self) -> &'static str {
        match self {
            Flow::Certificate => "certificate only",
            Flow::PinMode => "PIN mode (cert + counter + VERIFY + sign)",
            Flow::VisualMode => "目視 mode (counter + VERIFY + photo)",
        }
    }
}

fn run_houmon(flow: Flow, wire: &Wire) {
    let mut reader = CardReader::new(wire);
    let now = Utc::now();
    match flow {
        Flow::Certificate => {
            block_on(reader.start(houmon_core::card::reader::ReadMode::Info)).unwrap();
        }
        Flow::PinMode => {
            block_on(reader.read_pin_mode(&Pin::new("1234").unwrap(), false, MESSAGE, now))
                .unwrap();
        }
        Flow::VisualMode => {
            let b = CollationB::new(&Holder::default().collation_b()).unwrap();
            block_on(reader.read_visual_mode(&b, false, now)).unwrap();
        }
    }
}

fn run_jpki(flow: Flow, wire: &Wire) {
    use jpki::ap::crypto::{CertType, CryptoAp};
    use jpki::ap::surface::{Pin as SurfacePin, SurfaceAp};
    let card = jpki_card(wire);
    match flow {
        Flow::Certificate => {
            let ap = CryptoAp::open((), card).unwrap();
            ap.read_certificate((), CertType::Auth, vec![]).unwrap();
        }
        Flow::PinMode => {
            let ap = CryptoAp::open((), card).unwrap();
            let der = ap.read_certificate((), CertType::Auth, vec![]).unwrap();
            assert_eq!(ap.auth_pin_status(()).unwrap(), 3);
            let sig = ap.auth((), b"1234".to_vec(), sha256_digest_info(MESSAGE)).unwrap();
            AuthCertificate::from_der(&der).unwrap().verify_signature(MESSAGE, &sig).unwrap();
        }
        Flow::VisualMode => {
            let ap = SurfaceAp::open((), card).unwrap();
            assert_eq!(ap.pin_b_status(()).unwrap(), 10);
            let raw = ap
                .read_surface_raw((), SurfacePin::B(Holder::default().collation_b().into_bytes()))
                .unwrap();
            assert!(raw.windows(8).any(|w| w == &SAMPLE_PHOTO_JP2[..8]), "photo read");
        }
    }
}

/// (label, flow runner, the reader's limits)
type Row = (&'static str, fn(Flow, &Wire), TransportLimits);

/// The readers of the tables: a PC/SC reader or a phone with extended
/// length; a phone without (Android's default `maxTransceiveLength` 261);
/// an iPhone-like reader (short APDUs, answers ≤ 1 KB); extended length
/// with answers ≤ 1 KB.
fn rows() -> [Row; 5] {
    let ext_1k = TransportLimits { extended_length: true, ..TransportLimits::IPHONE };
    [
        ("houmon-core, extended length", run_houmon, TransportLimits::EXTENDED),
        ("houmon-core, extended length, answers ≤ 1 KB", run_houmon, ext_1k),
        (
            "houmon-core, short APDUs only (old Android: 261 bytes)",
            run_houmon,
            TransportLimits::SHORT,
        ),
        (
            "houmon-core, iPhone-like (short APDUs, answers ≤ 1 KB)",
            run_houmon,
            TransportLimits::IPHONE,
        ),
        ("jpki-rs 0.4.3 (short APDUs)", run_jpki, TransportLimits::SHORT),
    ]
}

fn measure(
    run: fn(Flow, &Wire),
    flow: Flow,
    limits: TransportLimits,
    faults: Faults,
) -> (usize, usize, Duration) {
    let wire = Wire::new(limits, faults);
    let t = Instant::now();
    run(flow, &wire);
    let elapsed = t.elapsed();
    let (apdus, bytes) = wire.counts();
    (apdus, bytes, elapsed)
}

/// The virtual card behind a stopwatch: time spent inside the card (its RSA
/// signature included) is kept apart, so that what remains is the core's.
struct Timed {
    card: VirtualCard,
    inside: std::sync::Mutex<Duration>,
    exchanges: std::sync::Mutex<Vec<(usize, bool)>>,
}

#[async_trait::async_trait]
impl CardTransport for Timed {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let t = Instant::now();
        let r = self.card.exchange(apdu);
        *self.inside.lock().unwrap() += t.elapsed();
        let bytes = apdu.len() + r.as_ref().map_or(0, Vec::len);
        self.exchanges.lock().unwrap().push((bytes, apdu.get(1) == Some(&0x2A)));
        r
    }
    fn limits(&self) -> TransportLimits {
        self.card.limits()
    }
}

/// The latency model for a real card over phone NFC (a model, see docs):
/// per APDU a fixed 5 ms turnaround plus the bytes at ISO 14443's 106 kbit/s
/// (10 bits per byte with framing), and 700 ms per RSA-2048 signature.
fn modelled_card_time(exchanges: &[(usize, bool)]) -> Duration {
    exchanges
        .iter()
        .map(|&(bytes, sign)| {
            Duration::from_millis(5)
                + Duration::from_micros(bytes as u64 * 10 * 1_000_000 / 106_000)
                + if sign { Duration::from_millis(700) } else { Duration::ZERO }
        })
        .sum()
}

fn visit_once(
    mode: houmon_core::visit::IdentityMode,
    limits: TransportLimits,
) -> (Duration, Duration, Vec<(usize, bool)>) {
    use houmon_core::visit::*;
    let card = Timed {
        card: VirtualCard::behind(limits, houmon_vcard::Variant::Standard),
        inside: std::sync::Mutex::new(Duration::ZERO),
        exchanges: std::sync::Mutex::new(Vec::new()),
    };
    let ctx = VisitContext {
        visit_id: new_id("v"),
        patient_id: None,
        kind: VisitKind::HomeCare,
        staff_id: "s".into(),
        device_id: "d".into(),
        started_at: Utc::now(),
        first_visit_on: None,
        time_anchor: None,
    };
    let start = Instant::now();
    let mut s = VisitSession::new(ctx, SessionOptions::default());
    s.choose_mode(mode).unwrap();
    match mode {
        IdentityMode::Pin => {
            s.enter_pin("1234").unwrap();
            block_on(s.read_card(&card, Utc::now())).unwrap();
        }
        IdentityMode::Visual => {
            s.enter_collation(&Holder::default().collation_b()).unwrap();
            block_on(s.read_card(&card, Utc::now())).unwrap();
            s.photo_matches("s", VisualReason::Condition, "", Utc::now()).unwrap();
        }
    }
    let choice =
        ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Paper };
    s.give_consent(choice, Utc::now()).unwrap();
    let record_json = s.record().unwrap().to_json();
    assert!(!record_json.is_empty());
    let total = start.elapsed();
    let inside = *card.inside.lock().unwrap();
    let exchanges = card.exchanges.lock().unwrap().clone();
    (total.saturating_sub(inside), inside, exchanges)
}

fn visit_benchmark() {
    use houmon_core::visit::IdentityMode;
    const RUNS: usize = 21;
    println!(
        "\nVisit flows (session → card read → evidence → consent → record JSON), {RUNS} runs each, median. \
         'core' is the wall time outside the card (the core's own work: APDU handling, certificate \
         parsing, signature check, JPEG 2000 → PNG, record); 'modelled total' adds the card latency \
         model (5 ms per APDU + bytes at 106 kbit/s + 700 ms per signature).\n"
    );
    println!("| flow | APDUs | core (ms) | modelled card time (ms) | modelled total (ms) |");
    println!("|---|---:|---:|---:|---:|");
    for (name, mode, limits) in [
        ("PIN visit, extended length", IdentityMode::Pin, TransportLimits::EXTENDED),
        ("PIN visit, short APDUs", IdentityMode::Pin, TransportLimits::SHORT),
        ("PIN visit, iPhone-like", IdentityMode::Pin, TransportLimits::IPHONE),
        ("目視 visit, extended length", IdentityMode::Visual, TransportLimits::EXTENDED),
        ("目視 visit, short APDUs", IdentityMode::Visual, TransportLimits::SHORT),
        ("目視 visit, iPhone-like", IdentityMode::Visual, TransportLimits::IPHONE),
    ] {
        visit_once(mode, limits); // warm up (keys, decoder tables)
        let mut runs: Vec<(Duration, Vec<(usize, bool)>)> =
            (0..RUNS).map(|_| visit_once(mode, limits)).map(|(core, _, ex)| (core, ex)).collect();
        runs.sort_by_key(|r| r.0);
        let (core, exchanges) = &runs[RUNS / 2];
        let card = modelled_card_time(exchanges);
        println!(
            "| {name} | {} | {:.2} | {:.0} | {:.0} |",
            exchanges.len(),
            core.as_secs_f64() * 1e3,
            card.as_secs_f64() * 1e3,
            (*core + card).as_secs_f64() * 1e3
        );
    }
}

mod field_bench;
mod sync_bench;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("sync") {
        sync_bench::run();
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("field") {
        field_bench::run();
        return;
    }
    let card = VirtualCard::standard();
    println!(
        "Virtual card: 利用者証明用 certificate {} bytes, photo {} bytes (JPEG 2000).\n",
        card.auth_certificate_der().len(),
        SAMPLE_PHOTO_JP2.len()
    );
    drop(card);

    println!("| flow | implementation | APDUs | bytes on the wire |");
    println!("|---|---|---:|---:|");
    for flow in [Flow::Certificate, Flow::PinMode, Flow::VisualMode] {
        for (name, run, limits) in rows() {
            let (apdus, bytes, _) = measure(run, flow, limits, Faults::default());
            println!("| {} | {name} | {apdus} | {bytes} |", flow.name());
        }
    }

    let per_apdu = Duration::from_millis(20);
    let per_signature = Duration::from_millis(500);
    println!(
        "\nLatency model (sleeps in the virtual card, not a measurement of a real card): \
         {} ms per APDU, {} ms more per signature. Wall time of one run:\n",
        per_apdu.as_millis(),
        per_signature.as_millis()
    );
    println!("| flow | implementation | APDUs | wall time (ms) |");
    println!("|---|---|---:|---:|");
    let faults =
        Faults { latency: per_apdu, signature_latency: per_signature, ..Faults::default() };
    for flow in [Flow::PinMode, Flow::VisualMode] {
        for (name, run, limits) in rows() {
            let (apdus, _, t) = measure(run, flow, limits, faults.clone());
            println!("| {} | {name} | {apdus} | {} |", flow.name(), t.as_millis());
        }
    }
    visit_benchmark();
}
