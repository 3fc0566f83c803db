// SPDX-License-Identifier: MPL-2.0
//! The allow-list: the only gate between the core and the card.
//!
//! Every command the product sends goes through [`Guard::send`]. The guard
//! follows what is selected on the card (it sees every SELECT it lets
//! through) and refuses, **before anything reaches the transport**:
//!
//! - any application but the JPKI-AP and the 券面AP (so never the
//!   券面事項入力補助AP, the 住基AP or the 共通AP);
//! - any file or key not listed below (never the 個人番号 image EF 0005,
//!   照合番号A, the 署名用 certificate, key or password);
//! - any instruction but SELECT, READ BINARY, VERIFY and COMPUTE DIGITAL
//!   SIGNATURE (with the auth key only), and any secure-messaging CLA;
//! - a VERIFY that carries a secret unless the same key's counter was read
//!   by the command just before it, and, when that counter was 1, unless the
//!   patient confirmed ([`Guard::confirm_last_try`]).
//!
//! It also refuses a command longer than the transport takes, counts round
//! trips and bytes (for the benchmarks), reports progress when a phase begins and after each APDU
//! (`progress.rs`), and logs command headers and status words — never
//! command data.
//!
//! To allow something new, add it to [`ALLOWED`] and say why in
//! `docs/card-protocol.md`; the audit test in `tests/` will show every
//! command that reached a virtual card.

use tracing::trace;

use crate::card::apdu::{ins, Command, Response};
use crate::card::error::{CardError, Result, Secret};
use crate::card::ids::{self, jpki, kenmen};
use crate::card::plan::{FaceSpan, ReadPlan};
use crate::card::progress::{Flow, ReadPhase, Tracker};
use crate::card::sw::StatusWord;
use crate::card::transport::{CardTransport, TransportLimits};
use crate::card::variant::{classify_counter, CounterState};

/// What the product may do to a file or key of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Read,
    VerifyKey(Secret),
    SignKey,
}

struct AllowedApp {
    aid: [u8; 10],
    /// (file or key id, what may be done with it)
    files: &'static [(u16, Use)],
}

/// The allow-list. Change it only with a note in `docs/card-protocol.md`.
const ALLOWED: [AllowedApp; 2] = [
    AllowedApp {
        aid: ids::AID_JPKI,
        files: &[
            (jpki::EF_AUTH_CERT, Use::Read),
            (jpki::EF_AUTH_CA_CERT, Use::Read),
            (jpki::EF_TOKEN_INFO, Use::Read),
            (jpki::EF_CERT_AVAILABILITY, Use::Read),
            (jpki::PIN_AUTH, Use::VerifyKey(Secret::AuthPin)),
            (jpki::KEY_AUTH, Use::SignKey),
        ],
    },
    AllowedApp {
        aid: ids::AID_KENMEN,
        files: &[
            (kenmen::EF_FRONT, Use::Read),
            (kenmen::KEY_COLLATION_B, Use::VerifyKey(Secret::CollationB)),
        ],
    },
];

/// Round trips and bytes, for benchmarks and the read progress, and what
/// became of the secret (so that a read cut short can say whether it cost
/// the patient a try).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub round_trips: u32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub secret: SecretUse,
}

/// What the last VERIFY carrying a secret did, as far as the phone knows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    /// No VERIFY with a secret was sent: no try was used.
    #[default]
    NotSent,
    /// The card accepted it (a right secret resets the counter).
    Accepted,
    /// The card answered that it was wrong (or locked): a try was used.
    Rejected,
    /// Sent, but no answer came back: a try may have been used.
    Unanswered,
}

/// Wraps a transport; see the module docs.
pub struct Guard<T: CardTransport> {
    transport: T,
    app: Option<usize>,
    ef: Option<u16>,
    /// Set by an empty VERIFY that answered `63Cx`: (key, tries).
    counter_just_read: Option<(usize, u16, u8)>,
    last_try_confirmed: bool,
    stats: Stats,
    limits: TransportLimits,
    progress: Tracker,
}

impl<T: CardTransport> Guard<T> {
    pub fn new(transport: T) -> Self {
        let limits = transport.limits();
        Self {
            transport,
            app: None,
            ef: None,
            counter_just_read: None,
            last_try_confirmed: false,
            stats: Stats::default(),
            limits,
            progress: Tracker::default(),
        }
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// What the transport carries now (extended length is switched off
    /// after the card refused it).
    pub fn limits(&self) -> TransportLimits {
        self.limits
    }

    pub fn plan(&self) -> ReadPlan {
        ReadPlan::new(self.limits)
    }

    /// The card or the phone answered `67 00` to an extended READ.
    pub(crate) fn fall_back_to_short(&mut self) {
        self.limits = self.limits.short_only();
        self.progress.estimate(self.plan());
    }

    pub(crate) fn set_progress(&mut self, tracker: Tracker) {
        self.progress = tracker;
    }

    pub(crate) fn start_flow(&mut self, flow: Flow) {
        let plan = self.plan();
        self.progress.start(flow, plan);
    }

    /// The phase the next APDUs belong to.
    pub(crate) fn phase(&mut self, phase: ReadPhase) {
        self.progress.enter(phase);
    }

    pub(crate) fn learned_cert_len(&mut self, len: usize) {
        let plan = self.plan();
        self.progress.learned_cert_len(len, plan);
    }

    pub(crate) fn learned_face(&mut self, face: FaceSpan) {
        let plan = self.plan();
        self.progress.learned_face(face, plan);
    }

    pub(crate) fn finish_progress(&mut self) {
        self.progress.finish();
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The patient confirmed that they want to use the try that could lock
    /// the card. Good for the next VERIFY only.
    pub fn confirm_last_try(&mut self) {
        self.last_try_confirmed = true;
    }

    /// The counter of `key` in application `aid`, if the command just sent
    /// was the empty VERIFY that read it (nothing has happened since).
    pub fn fresh_counter(&self, aid: &[u8], key: u16) -> Option<u8> {
        let (app, k, tries) = self.counter_just_read?;
        (ALLOWED[app].aid[..] == *aid && k == key).then_some(tries)
    }

    fn file_use(&self, app: usize, fid: u16) -> Option<Use> {
        ALLOWED[app].files.iter().find(|(f, _)| *f == fid).map(|(_, u)| *u)
    }

    /// Checks the command against the allow-list; returns the key a VERIFY
    /// addresses, if any.
    fn check(&self, cmd: &Command) -> Result<Option<u16>> {
        let refuse = |reason| Err(CardError::Refused { reason });
        let expected_cla = if cmd.ins == ins::COMPUTE_SIGNATURE { 0x80 } else { 0x00 };
        if cmd.cla != expected_cla {
            return refuse("class byte not allowed (no secure messaging, channel 0 only)");
        }
        match cmd.ins {
            ins::SELECT => match cmd.p1 {
                0x04 => {
                    if cmd.p2 != 0x0C || !ALLOWED.iter().any(|a| a.aid[..] == cmd.data[..]) {
                        return refuse("application not on the allow-list");
                    }
                    Ok(None)
                }
                0x02 => {
                    let Some(app) = self.app else {
                        return refuse("EF selected with no allowed application selected");
                    };
                    if cmd.p2 != 0x0C || cmd.data.len() != 2 {
                        return refuse("malformed EF selection");
                    }
                    let fid = u16::from_be_bytes([cmd.data[0], cmd.data[1]]);
                    if self.file_use(app, fid).is_none() {
                        return refuse("file or key not on the allow-list");
                    }
                    Ok(None)
                }
                _ => refuse("SELECT form not allowed"),
            },
            ins::READ_BINARY => {
                let Some(app) = self.app else {
                    return refuse("READ with no allowed application selected");
                };
                let fid = if cmd.p1 & 0x80 != 0 {
                    if cmd.p1 & 0x60 != 0 {
                        return refuse("READ BINARY P1 not allowed");
                    }
                    (cmd.p1 & 0x1F) as u16
                } else {
                    match self.ef {
                        Some(f) => f,
                        None => return refuse("READ with no file selected"),
                    }
                };
                if self.file_use(app, fid) != Some(Use::Read) || !cmd.data.is_empty() {
                    return refuse("file not readable under the allow-list");
                }
                Ok(None)
            }
            ins::VERIFY => {
                let Some(app) = self.app else {
                    return refuse("VERIFY with no allowed application selected");
                };
                let key = match cmd.p2 {
                    0x80 => match self.ef {
                        Some(f) => f,
                        None => return refuse("VERIFY with no key selected"),
                    },
                    p2 if p2 & 0xE0 == 0x80 => (p2 & 0x1F) as u16,
                    _ => return refuse("VERIFY P2 not allowed"),
                };
                if cmd.p1 != 0 || !matches!(self.file_use(app, key), Some(Use::VerifyKey(_))) {
                    return refuse("key not on the allow-list");
                }
                if !cmd.data.is_empty() {
                    match self.counter_just_read {
                        Some((a, k, tries)) if a == app && k == key => {
                            if tries <= 1 && !self.last_try_confirmed {
                                return refuse(
                                    "the try that could lock the card needs confirmation",
                                );
                            }
                        }
                        _ => return refuse("the counter must be read just before a VERIFY"),
                    }
                }
                Ok(Some(key))
            }
            ins::COMPUTE_SIGNATURE => {
                let Some(app) = self.app else {
                    return refuse("SIGN with no allowed application selected");
                };
                let key = match cmd.p2 {
                    0x80 => match self.ef {
                        Some(f) => f,
                        None => return refuse("SIGN with no key selected"),
                    },
                    p2 if p2 & 0xE0 == 0x80 => (p2 & 0x1F) as u16,
                    _ => return refuse("SIGN P2 not allowed"),
                };
                // P1 00: the caller passes a DigestInfo and the card pads it.
                if cmd.p1 != 0 || self.file_use(app, key) != Some(Use::SignKey) {
                    return refuse("signing key not on the allow-list");
                }
                Ok(None)
            }
            _ => refuse("instruction not on the allow-list"),
        }
    }

    /// Sends one command if the allow-list permits it.
    pub async fn send(&mut self, cmd: &Command) -> Result<Response> {
        let key = self.check(cmd)?;
        let raw = cmd.encode()?;
        if raw.len() > self.limits.max_command {
            return Err(CardError::TransportTooLimited {
                max_command: self.limits.max_command,
                max_response: self.limits.max_response,
            });
        }
        let is_verify_with_data = cmd.ins == ins::VERIFY && !cmd.data.is_empty();
        if is_verify_with_data {
            // Consumed now, whatever happens: the next VERIFY must re-read.
            self.counter_just_read = None;
            self.last_try_confirmed = false;
        }
        self.stats.round_trips += 1;
        self.stats.bytes_out += raw.len() as u64;
        let answer = self.transport.transceive(&raw).await;
        self.progress.tick(self.stats.round_trips);
        if is_verify_with_data {
            self.stats.secret = SecretUse::Unanswered;
        }
        let raw_response = match answer {
            Ok(r) => r,
            Err(e) => {
                trace!(ins = cmd.ins, p1 = cmd.p1, p2 = cmd.p2, error = %e, "apdu failed");
                self.forget_selection();
                return Err(e.into());
            }
        };
        self.stats.bytes_in += raw_response.len() as u64;
        let resp = match Response::parse(raw_response) {
            Ok(r) => r,
            Err(e) => {
                trace!(ins = cmd.ins, p1 = cmd.p1, p2 = cmd.p2, error = %e, "apdu answer garbled");
                self.forget_selection();
                return Err(e.into());
            }
        };
        if is_verify_with_data {
            self.stats.secret =
                if resp.sw.is_ok() { SecretUse::Accepted } else { SecretUse::Rejected };
        }
        trace!(
            ins = cmd.ins,
            p1 = cmd.p1,
            p2 = cmd.p2,
            lc = cmd.data.len(),
            le = ?cmd.le,
            sw = %resp.sw,
            len = resp.data.len(),
            "apdu"
        );
        self.track(cmd, key, resp.sw);
        Ok(resp)
    }

    /// No usable answer came back: we no longer know what the card has
    /// selected, nor whether a counter read is still the one just before.
    fn forget_selection(&mut self) {
        self.app = None;
        self.ef = None;
        self.counter_just_read = None;
    }

    /// Follows what the card has selected, from the commands it accepted.
    fn track(&mut self, cmd: &Command, key: Option<u16>, sw: StatusWord) {
        if cmd.ins != ins::VERIFY {
            self.counter_just_read = None;
        }
        match cmd.ins {
            ins::SELECT if cmd.p1 == 0x04 => {
                self.ef = None;
                self.app = if sw.is_ok() {
                    ALLOWED.iter().position(|a| a.aid[..] == cmd.data[..])
                } else {
                    None
                };
            }
            ins::SELECT => {
                self.ef = sw.is_ok().then(|| u16::from_be_bytes([cmd.data[0], cmd.data[1]]));
            }
            ins::READ_BINARY if cmd.p1 & 0x80 != 0 && sw.is_ok() => {
                self.ef = Some((cmd.p1 & 0x1F) as u16);
            }
            ins::VERIFY if cmd.data.is_empty() => {
                self.counter_just_read = match (self.app, key) {
                    (Some(app), Some(k)) => match self.file_use(app, k) {
                        Some(Use::VerifyKey(secret)) => match classify_counter(secret, sw) {
                            Ok(CounterState::Available { tries }) => Some((app, k, tries)),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::card::transport::TransportError;

    /// Answers 9000 (or 63C1 to an empty VERIFY) and records what reached
    /// it; if `garbles` names an application, its SELECT gets one byte back
    /// (an answer too short to be one).
    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<Vec<u8>>>,
        garbles: Option<[u8; 10]>,
    }
    #[async_trait::async_trait]
    impl CardTransport for Recorder {
        fn limits(&self) -> TransportLimits {
            TransportLimits::SHORT
        }
        async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.lock().unwrap().push(apdu.to_vec());
            if apdu.len() == 4 && apdu[1] == 0x20 {
                return Ok(vec![0x63, 0xC1]);
            }
            if self.garbles.is_some_and(|aid| apdu[1] == ins::SELECT && apdu.ends_with(&aid)) {
                return Ok(vec![0x90]);
            }
            Ok(vec![0x90, 0x00])
        }
    }

    fn send(g: &mut Guard<Recorder>, cmd: &Command) -> Result<Response> {
        pollster::block_on(g.send(cmd))
    }

    fn select_aid(aid: &[u8]) -> Command {
        Command::new(0, ins::SELECT, 4, 0x0C).with_data(aid.to_vec())
    }
    fn select_ef(fid: u16) -> Command {
        Command::new(0, ins::SELECT, 2, 0x0C).with_data(fid.to_be_bytes().to_vec())
    }

    #[test]
    fn forbidden_applications_never_reach_the_transport() {
        let mut g = Guard::new(Recorder::default());
        for aid in [ids::AID_FORBIDDEN_TEXT, ids::AID_FORBIDDEN_JUKI, ids::AID_COMMON] {
            assert!(matches!(send(&mut g, &select_aid(&aid)), Err(CardError::Refused { .. })));
        }
        // A partial DF name (JICSAP allows prefix selection) is refused too.
        assert!(send(&mut g, &select_aid(&ids::AID_KENMEN[..7])).is_err());
        assert!(send(&mut g, &Command::new(0, ins::SELECT, 0, 0)).is_err());
        assert!(g.transport().sent.lock().unwrap().is_empty());
    }

    #[test]
    fn forbidden_files_and_keys_are_refused_inside_allowed_applications() {
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_KENMEN)).unwrap();
        assert!(send(&mut g, &select_ef(kenmen::EF_NUMBER_IMAGE)).is_err());
        assert!(send(&mut g, &select_ef(kenmen::KEY_COLLATION_A)).is_err());
        assert!(send(&mut g, &Command::new(0, ins::READ_BINARY, 0x85, 0).with_le(256)).is_err());
        assert!(send(&mut g, &Command::new(0, ins::VERIFY, 0, 0x93)).is_err());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        for fid in [jpki::EF_SIGN_CERT, jpki::KEY_SIGN, jpki::PIN_SIGN] {
            assert!(send(&mut g, &select_ef(fid)).is_err());
        }
        assert!(send(&mut g, &Command::new(0, ins::READ_BINARY, 0x81, 0).with_le(256)).is_err());
        assert!(send(&mut g, &Command::new(0x80, ins::COMPUTE_SIGNATURE, 0, 0x9A)).is_err());
        assert!(send(&mut g, &Command::new(0, 0x84, 0, 0).with_le(8)).is_err(), "GET CHALLENGE");
        assert!(send(&mut g, &Command::new(0x0C, ins::READ_BINARY, 0x8A, 0)).is_err(), "SM");
        // Only the two SELECTs reached the card.
        assert_eq!(g.transport().sent.lock().unwrap().len(), 2);
    }

    #[test]
    fn an_ef_is_selected_only_by_its_two_byte_id_with_no_answer_asked() {
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        let cert = jpki::EF_AUTH_CERT.to_be_bytes();
        for (p2, data) in [
            (0x00, cert.to_vec()),                // FCI asked for
            (0x0C, vec![cert[0], cert[1], 0x00]), // a third byte
            (0x0C, vec![cert[1]]),                // one byte
        ] {
            let cmd = Command::new(0, ins::SELECT, 2, p2).with_data(data.clone());
            assert!(
                matches!(send(&mut g, &cmd), Err(CardError::Refused { .. })),
                "P2 {p2:02X}, {data:02X?}"
            );
        }
        assert_eq!(g.transport().sent.lock().unwrap().len(), 1, "only the application's SELECT");
        send(&mut g, &select_ef(jpki::EF_AUTH_CERT)).expect("the well-formed one");
    }

    #[test]
    fn a_read_follows_the_file_the_card_has_selected() {
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        assert!(send(&mut g, &Command::new(0, ins::READ_BINARY, 0, 0).with_le(4)).is_err());
        send(&mut g, &select_ef(jpki::EF_AUTH_CERT)).unwrap();
        send(&mut g, &Command::new(0, ins::READ_BINARY, 0, 0).with_le(4)).unwrap();
        send(&mut g, &select_ef(jpki::PIN_AUTH)).unwrap();
        assert!(send(&mut g, &Command::new(0, ins::READ_BINARY, 0, 0).with_le(4)).is_err());
    }

    #[test]
    fn verify_with_a_secret_needs_a_fresh_counter_and_confirmation_at_one() {
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        let verify = Command::new(0, ins::VERIFY, 0, 0x98).with_data(b"1234".to_vec());
        assert!(send(&mut g, &verify).is_err(), "no counter read yet");
        send(&mut g, &Command::new(0, ins::VERIFY, 0, 0x98)).unwrap(); // 63C1 from the recorder
        assert!(
            matches!(send(&mut g, &verify), Err(CardError::Refused { .. })),
            "one try left and no confirmation"
        );
        g.confirm_last_try();
        send(&mut g, &verify).unwrap();
        assert!(send(&mut g, &verify).is_err(), "the counter is consumed by a VERIFY");
        let sent = g.transport().sent.lock().unwrap().len();
        assert_eq!(sent, 3);
        // The key is named the one way the allow-list knows (P2 `80|key`,
        // or 80 with the key selected): any other P2 form is refused.
        for p2 in [jpki::PIN_AUTH as u8, 0x40 | jpki::PIN_AUTH as u8, 0xA0 | jpki::PIN_AUTH as u8] {
            let other_form = Command::new(0, ins::VERIFY, 0, p2);
            assert!(send(&mut g, &other_form).is_err(), "P2 {p2:02X}");
        }
        assert_eq!(g.transport().sent.lock().unwrap().len(), 3, "none of them was sent");
    }

    #[test]
    fn each_allowed_application_has_one_key_to_verify() {
        // `check` relies on it: a counter read just before a VERIFY in the
        // same application is that key's. A second key would need the
        // counter's key compared (docs/testing.md, the equivalent mutants).
        for app in &ALLOWED {
            let keys = app.files.iter().filter(|(_, u)| matches!(u, Use::VerifyKey(_))).count();
            assert_eq!(keys, 1, "{:02X?}", app.aid);
        }
    }

    #[test]
    fn after_a_garbled_answer_nothing_is_assumed_selected_or_counted() {
        let mut g = Guard::new(Recorder { garbles: Some(ids::AID_KENMEN), ..Default::default() });
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        send(&mut g, &Command::new(0, ins::VERIFY, 0, 0x80 | jpki::PIN_AUTH as u8)).unwrap();
        assert_eq!(g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH), Some(1));
        g.confirm_last_try();
        // The card may now have the 券面AP selected, or not: unknown.
        assert!(send(&mut g, &select_aid(&ids::AID_KENMEN)).is_err());
        assert_eq!(g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH), None);
        let verify = Command::new(0, ins::VERIFY, 0, 0x80 | jpki::PIN_AUTH as u8)
            .with_data(b"1234".to_vec());
        assert!(
            matches!(send(&mut g, &verify), Err(CardError::Refused { .. })),
            "the PIN is not sent on what the guard no longer knows"
        );
        assert_eq!(g.transport().sent.lock().unwrap().len(), 3, "the VERIFY never left");
    }

    #[test]
    fn a_fresh_counter_is_the_one_just_read_for_that_application_and_key() {
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        assert_eq!(g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH), None, "not read yet");
        send(&mut g, &Command::new(0, ins::VERIFY, 0, 0x80 | jpki::PIN_AUTH as u8)).unwrap();
        assert_eq!(g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH), Some(1));
        assert_eq!(g.fresh_counter(&ids::AID_KENMEN, jpki::PIN_AUTH), None, "another application");
        assert_eq!(g.fresh_counter(&ids::AID_JPKI, jpki::KEY_AUTH), None, "another key");
        send(&mut g, &select_ef(jpki::EF_AUTH_CERT)).unwrap();
        assert_eq!(
            g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH),
            None,
            "something happened since"
        );
    }

    #[test]
    fn a_signature_names_the_authentication_key_selected_or_in_p2_and_no_other() {
        let sign = |p2| Command::new(0x80, ins::COMPUTE_SIGNATURE, 0, p2).with_data(vec![0; 51]);
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        assert!(send(&mut g, &sign(0x80)).is_err(), "no key selected");
        send(&mut g, &sign(0x80 | jpki::KEY_AUTH as u8)).expect("the key in P2");
        assert!(send(&mut g, &sign(0x80 | jpki::PIN_AUTH as u8)).is_err(), "not a signing key");
        assert!(send(&mut g, &sign(0x40 | jpki::KEY_AUTH as u8)).is_err(), "another P2 form");
        send(&mut g, &select_ef(jpki::KEY_AUTH)).unwrap();
        send(&mut g, &sign(0x80)).expect("the key selected");
    }

    #[test]
    fn a_command_longer_than_the_transport_carries_never_reaches_it() {
        let sign = |len| {
            Command::new(0x80, ins::COMPUTE_SIGNATURE, 0, 0x80 | jpki::KEY_AUTH as u8)
                .with_data(vec![0; len])
                .with_le(256)
        };
        let mut g = Guard::new(Recorder::default());
        send(&mut g, &select_aid(&ids::AID_JPKI)).unwrap();
        // 4 + 1 + 255 + 1 = 261 bytes: exactly what a short-only phone takes.
        assert_eq!(sign(255).encode().unwrap().len(), TransportLimits::SHORT.max_command);
        send(&mut g, &sign(255)).expect("at the limit");
        assert!(matches!(
            send(&mut g, &sign(256)),
            Err(CardError::TransportTooLimited { max_command: 261, max_response: 258 })
        ));
        assert_eq!(g.transport().sent.lock().unwrap().len(), 2, "the long one was not sent");
    }

    #[test]
    fn the_stats_count_round_trips_bytes_and_what_became_of_the_secret() {
        let mut g = Guard::new(Recorder::default());
        assert_eq!(g.stats(), Stats::default());
        let select = select_aid(&ids::AID_JPKI);
        send(&mut g, &select).unwrap();
        assert_eq!(g.stats().secret, SecretUse::NotSent, "a SELECT carries no secret");
        send(&mut g, &Command::new(0, ins::VERIFY, 0, 0x80 | jpki::PIN_AUTH as u8)).unwrap();
        assert_eq!(g.stats().secret, SecretUse::NotSent, "reading the counter uses no try");
        g.confirm_last_try();
        let verify = Command::new(0, ins::VERIFY, 0, 0x80 | jpki::PIN_AUTH as u8)
            .with_data(b"1234".to_vec());
        send(&mut g, &verify).unwrap();
        let s = g.stats();
        assert_eq!(s.round_trips, 3);
        let out = select.encode().unwrap().len() + 4 + verify.encode().unwrap().len();
        assert_eq!(s.bytes_out, out as u64);
        assert_eq!(s.bytes_in, 6, "three status words");
        assert_eq!(s.secret, SecretUse::Accepted);
    }

    /// Records every progress report of a read.
    struct Sink(Mutex<Vec<crate::card::progress::Progress>>);
    impl crate::card::progress::ReadProgress for Sink {
        fn progress(&self, p: crate::card::progress::Progress) {
            self.0.lock().unwrap().push(p);
        }
    }

    #[test]
    fn the_progress_estimate_follows_the_photo_the_card_has() {
        // A photo four times the nominal one: once its span is read, the
        // bar expects the APDUs that photo takes, not the nominal count.
        let sink = std::sync::Arc::new(Sink(Mutex::new(Vec::new())));
        let mut g = Guard::new(Recorder::default());
        g.set_progress(Tracker::new(Some(sink.clone())));
        g.start_flow(Flow::Visual);
        send(&mut g, &select_aid(&ids::AID_KENMEN)).unwrap();
        let before = sink.0.lock().unwrap().last().unwrap().expected;
        let big = FaceSpan {
            photo_start: 300,
            photo_end: 300 + 10_000,
            expiry_start: 10_560,
            expiry_len: 11,
        };
        g.learned_face(big);
        send(&mut g, &select_aid(&ids::AID_KENMEN)).unwrap();
        let after = sink.0.lock().unwrap().last().unwrap().expected;
        let plan = g.plan();
        assert_eq!(after, plan.visual_mode(None, Some(big)), "the estimate is the big photo's");
        // 7,500 more bytes in 256-byte reads: about 30 more APDUs.
        assert!(after >= before + 25, "before {before}, after {after}");
    }

    #[test]
    fn a_read_that_ends_early_fills_the_bar_to_its_end() {
        // Two APDUs of a 目視 read that expected dozens (the card stopped,
        // or a fallback changed the count): when the read is over, the last
        // report says done of done, so the bar does not stop short.
        let sink = std::sync::Arc::new(Sink(Mutex::new(Vec::new())));
        let mut g = Guard::new(Recorder::default());
        g.set_progress(Tracker::new(Some(sink.clone())));
        g.start_flow(Flow::Visual);
        send(&mut g, &select_aid(&ids::AID_KENMEN)).unwrap();
        send(&mut g, &select_aid(&ids::AID_KENMEN)).unwrap();
        let last = *sink.0.lock().unwrap().last().unwrap();
        assert!(last.expected > last.done, "mid-read: {last:?}");
        g.finish_progress();
        let last = *sink.0.lock().unwrap().last().unwrap();
        assert_eq!((last.done, last.expected), (2, 2), "{last:?}");
    }
}
