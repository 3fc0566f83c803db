// SPDX-License-Identifier: MPL-2.0
//! The visit session: one state machine per visit, driven by the UI.
//!
//! ```text
//! ChooseMode ─pin──> EnterPin ───────┐            ┌─> IdentityConfirmed ─consent─> Done
//!     │                              ├─> HoldCard ┤
//!     └─visual─> EnterCollation ─────┘   │  ▲     └─(visual)─> ComparePhoto ─match─> IdentityConfirmed
//!                                         │  └── card pulled away: stay, tap again     └─mismatch─> IdentityRefused
//!                 ConfirmLastTry <────────┘ (one try left: the patient must confirm)
//! any step ─cancel─> Cancelled
//! ```
//!
//! What the card tells changes what is offered: a 顔認証 card (no PIN) or a
//! locked PIN takes PIN mode away; a card without a photo or a locked
//! 照合番号B takes 目視 away. A card pulled away mid-read leaves the session
//! in `HoldCard` with the message to show: holding the card again resumes
//! from there, not from the start. Secrets are held in zeroizing buffers only
//! until the card has used them, and wiped on cancel.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::consent::{ConsentChoice, ConsentRecord, ConsentValidity};
use super::context::{IdentityMode, VisitContext, VisualReason};
use super::evidence::{sha256_hex, Challenge, Evidence, PinEvidence, VisualEvidence};
use super::record::{VisitRecord, RECORD_VERSION};
use crate::cert::{jst, Validity};
use crate::credentials::{CollationB, Pin};
use crate::error::{CardError, Secret};
use crate::reader::{validity_label, CardReader, VisualReading};
use crate::transport::{CardTransport, TransportError};

/// Why a mode is not offered, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeUnavailable {
    pub mode: IdentityMode,
    pub reason_ja: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RefusalReason {
    /// Staff judged that the person is not the one on the photo.
    PhotoMismatch,
    /// Neither mode is possible with this card.
    NoModeAvailable,
    /// The certificate expired and its grace is over: not usable as 保険証.
    CertificateExpired { grace_ended: DateTime<Utc> },
    /// The card holds no 利用者証明用 certificate.
    NoCertificate,
    /// The card's signature did not verify against its own certificate.
    BadSignature,
}

impl RefusalReason {
    pub fn message_ja(&self) -> String {
        match self {
            RefusalReason::PhotoMismatch => "顔写真と本人が一致しないため、本人確認できませんでした。".into(),
            RefusalReason::NoModeAvailable => {
                "このカードでは暗証番号・目視のどちらの確認もできません。資格確認書等で確認してください(受付ガイドを参照)。".into()
            }
            RefusalReason::CertificateExpired { grace_ended } => format!(
                "電子証明書の有効期限が切れ、猶予期間({}まで)も過ぎています。保険証として使えません。市区町村で更新を案内し、受付ガイドに従ってください。",
                grace_ended.with_timezone(&jst()).date_naive()
            ),
            RefusalReason::NoCertificate => {
                "このカードには利用者証明用電子証明書がありません。資格確認書等で確認してください。".into()
            }
            RefusalReason::BadSignature => "カードの署名を検証できませんでした。カードを確認してください。".into(),
        }
    }
}

/// A step of the visit, as the UI renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    ChooseMode {
        offered: Vec<IdentityMode>,
        unavailable: Vec<ModeUnavailable>,
    },
    /// The patient types the PIN. `tries_left` once known (after a wrong try).
    EnterPin {
        tries_left: Option<u8>,
        message: Option<String>,
    },
    /// Staff type 照合番号B (birth YYMMDD as printed + expiry year + code).
    EnterCollation {
        tries_left: Option<u8>,
        message: Option<String>,
    },
    /// Hold the card to the phone. `message`: why the last read stopped.
    HoldCard {
        mode: IdentityMode,
        message: Option<String>,
    },
    /// One try left: the patient must say, explicitly, to go on.
    ConfirmLastTry {
        mode: IdentityMode,
        message: String,
    },
    /// Staff compare the patient with the chip photo (PNG).
    ComparePhoto {
        png: Vec<u8>,
        width: u32,
        height: u32,
    },
    IdentityConfirmed {
        mode: IdentityMode,
        consent_validity: ConsentValidity,
    },
    IdentityRefused {
        reason: RefusalReason,
    },
    Done {
        record_id: String,
    },
    Cancelled,
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::ChooseMode { .. } => "choose-mode",
            Step::EnterPin { .. } => "enter-pin",
            Step::EnterCollation { .. } => "enter-collation",
            Step::HoldCard { .. } => "hold-card",
            Step::ConfirmLastTry { .. } => "confirm-last-try",
            Step::ComparePhoto { .. } => "compare-photo",
            Step::IdentityConfirmed { .. } => "identity-confirmed",
            Step::IdentityRefused { .. } => "identity-refused",
            Step::Done { .. } => "done",
            Step::Cancelled => "cancelled",
        }
    }
}

/// A call that does not fit the current step, or bad input. The session is
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    #[error("{action} is not possible at step {step}")]
    WrongStep { action: &'static str, step: &'static str },
    #[error("mode {0:?} is not offered for this card")]
    ModeNotOffered(IdentityMode),
    #[error(transparent)]
    Secret(CardError),
    #[error("a note is required when the reason is Other")]
    NoteRequired,
}

impl VisitError {
    pub fn staff_message(&self) -> String {
        match self {
            VisitError::WrongStep { .. } => {
                "この操作は今の画面ではできません。画面の案内に従ってください。".into()
            }
            VisitError::ModeNotOffered(IdentityMode::Pin) => {
                "このカードでは暗証番号による確認はできません。目視確認を選んでください。".into()
            }
            VisitError::ModeNotOffered(IdentityMode::Visual) => {
                "このカードでは目視確認はできません。暗証番号による確認を選んでください。".into()
            }
            VisitError::Secret(e) => e.staff_message(),
            VisitError::NoteRequired => "「その他」を選んだ場合は理由を入力してください。".into(),
        }
    }
}

/// Reports read progress (APDUs done of those expected) to the UI.
pub trait ReadProgress {
    fn progress(&self, done: u32, expected: u32);
}

impl ReadProgress for () {
    fn progress(&self, _: u32, _: u32) {}
}

struct Counting<'a, T: CardTransport> {
    inner: T,
    done: AtomicU32,
    expected: u32,
    sink: &'a (dyn ReadProgress + Sync),
}

impl<T: CardTransport> CardTransport for Counting<'_, T> {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transceive(apdu);
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.sink.progress(done.min(self.expected), self.expected);
        r
    }
    fn supports_extended_length(&self) -> bool {
        self.inner.supports_extended_length()
    }
}

/// Options the clinic sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionOptions {
    /// Keep the chip photo (PNG) in 目視 evidence. Off by default: only its hash.
    pub keep_photo: bool,
}

pub struct VisitSession {
    context: VisitContext,
    options: SessionOptions,
    step: Step,
    mode: Option<IdentityMode>,
    pin: Option<Pin>,
    collation: Option<CollationB>,
    last_try_confirmed: bool,
    pin_unavailable: Option<String>,
    visual_unavailable: Option<String>,
    visual: Option<VisualReading>,
    evidence: Option<Evidence>,
    certificate_validity: Option<String>,
    record: Option<VisitRecord>,
    last_card_error: Option<CardError>,
}

impl VisitSession {
    pub fn new(context: VisitContext, options: SessionOptions) -> Self {
        let mut s = VisitSession {
            context,
            options,
            step: Step::Cancelled,
            mode: None,
            pin: None,
            collation: None,
            last_try_confirmed: false,
            pin_unavailable: None,
            visual_unavailable: None,
            visual: None,
            evidence: None,
            certificate_validity: None,
            record: None,
            last_card_error: None,
        };
        s.step = s.mode_choice();
        s
    }

    pub fn context(&self) -> &VisitContext {
        &self.context
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    /// Why the last card read stopped (`None` after a read that went through).
    pub fn last_card_error(&self) -> Option<&CardError> {
        self.last_card_error.as_ref()
    }

    /// The finished record, once the visit is done.
    pub fn record(&self) -> Option<&VisitRecord> {
        self.record.as_ref()
    }

    fn wrong(&self, action: &'static str) -> VisitError {
        VisitError::WrongStep { action, step: self.step.name() }
    }

    fn wipe_secrets(&mut self) {
        self.pin = None; // Pin and CollationB zeroize on drop
        self.collation = None;
        self.last_try_confirmed = false;
    }

    fn mode_choice(&self) -> Step {
        let mut offered = Vec::new();
        let mut unavailable = Vec::new();
        for (mode, why) in [
            (IdentityMode::Pin, &self.pin_unavailable),
            (IdentityMode::Visual, &self.visual_unavailable),
        ] {
            match why {
                None => offered.push(mode),
                Some(r) => unavailable.push(ModeUnavailable { mode, reason_ja: r.clone() }),
            }
        }
        if offered.is_empty() {
            return Step::IdentityRefused { reason: RefusalReason::NoModeAvailable };
        }
        Step::ChooseMode { offered, unavailable }
    }

    pub fn choose_mode(&mut self, mode: IdentityMode) -> Result<&Step, VisitError> {
        let Step::ChooseMode { offered, .. } = &self.step else {
            return Err(self.wrong("choose_mode"));
        };
        if !offered.contains(&mode) {
            return Err(VisitError::ModeNotOffered(mode));
        }
        self.mode = Some(mode);
        self.step = match mode {
            IdentityMode::Pin => Step::EnterPin { tries_left: None, message: None },
            IdentityMode::Visual => Step::EnterCollation { tries_left: None, message: None },
        };
        Ok(&self.step)
    }

    /// Back to the choice of mode (e.g. the patient does not want to risk
    /// the last PIN try). Secrets are wiped.
    pub fn back_to_mode_choice(&mut self) -> Result<&Step, VisitError> {
        match self.step {
            Step::EnterPin { .. }
            | Step::EnterCollation { .. }
            | Step::ConfirmLastTry { .. }
            | Step::HoldCard { .. } => {
                self.wipe_secrets();
                self.step = self.mode_choice();
                Ok(&self.step)
            }
            _ => Err(self.wrong("back_to_mode_choice")),
        }
    }

    pub fn enter_pin(&mut self, typed: &str) -> Result<&Step, VisitError> {
        let Step::EnterPin { .. } = self.step else { return Err(self.wrong("enter_pin")) };
        self.pin = Some(Pin::new(typed).map_err(VisitError::Secret)?);
        self.step = Step::HoldCard { mode: IdentityMode::Pin, message: None };
        Ok(&self.step)
    }

    pub fn enter_collation(&mut self, typed: &str) -> Result<&Step, VisitError> {
        let Step::EnterCollation { .. } = self.step else {
            return Err(self.wrong("enter_collation"));
        };
        self.collation = Some(CollationB::new(typed).map_err(VisitError::Secret)?);
        self.step = Step::HoldCard { mode: IdentityMode::Visual, message: None };
        Ok(&self.step)
    }

    /// The patient explicitly confirmed using the try that could lock the card.
    pub fn confirm_last_try(&mut self) -> Result<&Step, VisitError> {
        let Step::ConfirmLastTry { mode, .. } = self.step else {
            return Err(self.wrong("confirm_last_try"));
        };
        self.last_try_confirmed = true;
        self.step = Step::HoldCard { mode, message: None };
        Ok(&self.step)
    }

    pub fn cancel(&mut self) -> &Step {
        self.wipe_secrets();
        self.visual = None;
        if !matches!(self.step, Step::Done { .. }) {
            self.step = Step::Cancelled;
        }
        &self.step
    }

    /// The card is at the phone: read it for the chosen mode.
    pub fn read_card<T: CardTransport>(
        &mut self,
        transport: T,
        now: DateTime<Utc>,
    ) -> Result<&Step, VisitError> {
        self.read_card_with_progress(transport, now, &())
    }

    pub fn read_card_with_progress<T: CardTransport>(
        &mut self,
        transport: T,
        now: DateTime<Utc>,
        progress: &(dyn ReadProgress + Sync),
    ) -> Result<&Step, VisitError> {
        let Step::HoldCard { mode, .. } = self.step else { return Err(self.wrong("read_card")) };
        let extended = transport.supports_extended_length();
        // The APDU counts of the flows (docs/benchmarks.md), for the progress bar.
        let expected = match (mode, extended) {
            (IdentityMode::Pin, true) => 6,
            (IdentityMode::Pin, false) => 10,
            (IdentityMode::Visual, true) => 9,
            (IdentityMode::Visual, false) => 23,
        };
        let counting =
            Counting { inner: transport, done: AtomicU32::new(0), expected, sink: progress };
        let mut reader = CardReader::new(counting);
        let result = match mode {
            IdentityMode::Pin => {
                let pin = self.pin.as_ref().ok_or_else(|| self.wrong("read_card"))?;
                let challenge = Challenge::new(&self.context, now);
                let message = challenge.to_bytes();
                reader.read_pin_mode(pin, self.last_try_confirmed, &message, now).map(|r| {
                    self.certificate_validity = Some(validity_label(r.variant.certificate));
                    let grace = match r.variant.certificate {
                        Validity::Expired { grace_until } => Some(grace_until),
                        _ => None,
                    };
                    let evidence = Evidence::Pin(PinEvidence {
                        certificate: r.certificate.der().to_vec(),
                        challenge,
                        signed_message: r.signed_message,
                        signature: r.signature,
                        pin_tries_before: r.tries_before,
                    });
                    (grace, Some(evidence), None)
                })
            }
            IdentityMode::Visual => {
                let b = self.collation.as_ref().ok_or_else(|| self.wrong("read_card"))?;
                reader.read_visual_mode(b, self.last_try_confirmed, now).map(|r| {
                    self.certificate_validity = Some(validity_label(r.variant.certificate));
                    let grace = match r.variant.certificate {
                        Validity::Expired { grace_until } => Some(grace_until),
                        _ => None,
                    };
                    (grace, None, Some(r))
                })
            }
        };
        self.last_card_error = result.as_ref().err().cloned();
        match result {
            Ok((grace_ended, evidence, visual)) => {
                self.wipe_secrets();
                if let Some(grace_ended) = grace_ended {
                    self.step = Step::IdentityRefused {
                        reason: RefusalReason::CertificateExpired { grace_ended },
                    };
                } else if let Some(v) = visual {
                    self.step = Step::ComparePhoto {
                        png: v.photo.png.clone(),
                        width: v.photo.width,
                        height: v.photo.height,
                    };
                    self.visual = Some(v);
                } else {
                    self.evidence = evidence;
                    self.step = self.confirmed(IdentityMode::Pin, now);
                }
            }
            Err(e) => self.after_card_error(mode, e),
        }
        Ok(&self.step)
    }

    fn confirmed(&self, mode: IdentityMode, now: DateTime<Utc>) -> Step {
        let day = now.with_timezone(&jst()).date_naive();
        let consent_validity =
            super::consent::validity_rule(self.context.kind, day, self.context.first_visit_on);
        Step::IdentityConfirmed { mode, consent_validity }
    }

    fn after_card_error(&mut self, mode: IdentityMode, e: CardError) {
        let message = e.staff_message();
        self.step = match e {
            CardError::PinNotSet | CardError::Locked { secret: Secret::AuthPin } => {
                self.wipe_secrets();
                self.pin_unavailable = Some(message);
                self.mode_choice()
            }
            CardError::NoPhoto | CardError::Locked { secret: Secret::CollationB } => {
                self.wipe_secrets();
                self.visual_unavailable = Some(message);
                self.mode_choice()
            }
            CardError::LastTryNeedsConfirmation { .. } => Step::ConfirmLastTry { mode, message },
            CardError::WrongSecret { secret: Secret::AuthPin, remaining } => {
                self.wipe_secrets();
                Step::EnterPin { tries_left: Some(remaining), message: Some(message) }
            }
            CardError::WrongSecret { secret: Secret::CollationB, remaining } => {
                self.wipe_secrets();
                Step::EnterCollation { tries_left: Some(remaining), message: Some(message) }
            }
            CardError::NoAuthCertificate => {
                self.wipe_secrets();
                Step::IdentityRefused { reason: RefusalReason::NoCertificate }
            }
            CardError::BadSignature => {
                self.wipe_secrets();
                Step::IdentityRefused { reason: RefusalReason::BadSignature }
            }
            // Pulled away, time-out, garbage, a wrong card: hold it again and
            // the read resumes from this step. The secret is kept for that
            // (a VERIFY cut short re-reads the counter first).
            _ => Step::HoldCard { mode, message: Some(message) },
        };
    }

    /// Staff compared the patient with the photo and they match.
    pub fn photo_matches(
        &mut self,
        checked_by: &str,
        reason: VisualReason,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<&Step, VisitError> {
        let Step::ComparePhoto { .. } = self.step else { return Err(self.wrong("photo_matches")) };
        if reason == VisualReason::Other && note.trim().is_empty() {
            return Err(VisitError::NoteRequired);
        }
        let v = self.visual.take().ok_or_else(|| self.wrong("photo_matches"))?;
        let jp2 = v.face.photo_jp2.as_deref().unwrap_or_default();
        self.evidence = Some(Evidence::Visual(VisualEvidence {
            certificate: v.certificate.der().to_vec(),
            checked_by: checked_by.to_owned(),
            reason,
            note: note.trim().to_owned(),
            photo_sha256: sha256_hex(jp2),
            photo_png: self.options.keep_photo.then(|| v.photo.png.clone()),
            collation_tries_before: v.collation_tries_before,
        }));
        self.step = self.confirmed(IdentityMode::Visual, now);
        Ok(&self.step)
    }

    pub fn photo_does_not_match(&mut self) -> Result<&Step, VisitError> {
        let Step::ComparePhoto { .. } = self.step else {
            return Err(self.wrong("photo_does_not_match"));
        };
        self.visual = None;
        self.step = Step::IdentityRefused { reason: RefusalReason::PhotoMismatch };
        Ok(&self.step)
    }

    /// The record the visit will have with this consent, without changing
    /// the session (so the caller can persist it first).
    pub fn record_for_consent(
        &self,
        choice: ConsentChoice,
        now: DateTime<Utc>,
    ) -> Result<VisitRecord, VisitError> {
        let Step::IdentityConfirmed { .. } = self.step else {
            return Err(self.wrong("give_consent"));
        };
        let evidence = self.evidence.clone().ok_or_else(|| self.wrong("give_consent"))?;
        let consent =
            ConsentRecord::new(choice, self.context.kind, now, self.context.first_visit_on);
        Ok(VisitRecord {
            version: RECORD_VERSION,
            id: self.context.visit_id.clone(),
            context: self.context.clone(),
            evidence,
            consent,
            certificate_validity: self.certificate_validity.clone().unwrap_or_default(),
            completed_at: now,
        })
    }

    /// The record is safely stored: the visit is done.
    pub fn finish(&mut self, record: VisitRecord) -> Result<&Step, VisitError> {
        let Step::IdentityConfirmed { .. } = self.step else { return Err(self.wrong("finish")) };
        if record.id != self.context.visit_id {
            return Err(self.wrong("finish"));
        }
        self.evidence = None;
        self.step = Step::Done { record_id: record.id.clone() };
        self.record = Some(record);
        Ok(&self.step)
    }

    /// Consent given (or refused: an empty individual choice); the visit is done.
    pub fn give_consent(
        &mut self,
        choice: ConsentChoice,
        now: DateTime<Utc>,
    ) -> Result<&Step, VisitError> {
        let record = self.record_for_consent(choice, now)?;
        self.finish(record)
    }
}
