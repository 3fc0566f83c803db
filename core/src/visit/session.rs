// SPDX-License-Identifier: MPL-2.0
//! The visit session: one state machine per visit, driven by the UI.
//!
//! ```text
//! ChooseMode ─pin──> EnterPin ───────┐            ┌─> IdentityConfirmed ─consent─> Done
//!     │                              ├─> HoldCard ┤
//!     └─visual─> EnterCollation ─────┘   │  ▲     └─(visual)─> ComparePhoto ─match─> IdentityConfirmed
//!                                         │  └── card pulled away: stay, tap again     └─mismatch─> IdentityRefused
//!                 ConfirmLastTry <────────┤ (one try left: the patient must confirm)
//!                 WrongCard <─────────────┤ (another roster patient's card: hold the right one)
//!                 ConfirmNewCard <────────┘ (not the card on file: staff confirm a reissued card)
//! any step ─cancel─> Cancelled
//! ```
//!
//! What the card tells changes what is offered: a 顔認証 card (no PIN) or a
//! locked PIN takes PIN mode away; a card without a photo or a locked
//! 照合番号B takes 目視 away. A card pulled away mid-read leaves the session
//! in `HoldCard` with the message to show: holding the card again resumes
//! from there, not from the start. Secrets are held in zeroizing buffers only
//! until the card has used them, and wiped on cancel.
//!
//! The session does no I/O. A read is taken out of it ([`VisitSession::begin_read`]),
//! run on the phone's transport (`read.rs`) and given back
//! ([`VisitSession::finish_read`]), so the session answers while the card
//! is being read.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::card_check::{new_card_message_ja, other_patient_message_ja, CardCheck, CardMatch};
use super::consent::{ConsentChoice, ConsentRecord};
use super::context::{IdentityMode, VisitContext, VisualReason};
use super::evidence::{sha256_hex, Challenge, Evidence, PinEvidence, VisualEvidence};
use super::read::{CardRead, HeldSecret, ReadOutcome, ReadStop, ReadSuccess};
use super::record::{VisitRecord, RECORD_VERSION};
use super::steps::{ModeUnavailable, RefusalReason, Step, UnavailableReason, VisitError};
use crate::card::cert::{jst, Validity};
use crate::card::credentials::{CollationB, Pin};
use crate::card::error::{CardError, Secret};
use crate::card::progress::ReadProgress;
use crate::card::reader::{validity_label, VisualReading};
use crate::card::transport::CardTransport;
use crate::renewal::{self, CertificateCarrier, RenewalAdvice};

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
    secret: Option<HeldSecret>,
    last_try_confirmed: bool,
    reading: bool,
    card_check: CardCheck,
    /// A card not on file that staff were asked about, and the one they
    /// confirmed as the patient's new card.
    unconfirmed_card: Option<String>,
    confirmed_new_card: Option<String>,
    card_match: Option<CardMatch>,
    unavailable: Vec<ModeUnavailable>,
    visual: Option<Box<VisualReading>>,
    evidence: Option<Evidence>,
    certificate_validity: Option<String>,
    renewal: Option<RenewalAdvice>,
    record: Option<VisitRecord>,
    last_card_error: Option<CardError>,
}

impl VisitSession {
    pub fn new(context: VisitContext, options: SessionOptions) -> Self {
        let mut s = VisitSession {
            context,
            options,
            step: Step::Cancelled,
            secret: None,
            last_try_confirmed: false,
            reading: false,
            card_check: CardCheck::default(),
            unconfirmed_card: None,
            confirmed_new_card: None,
            card_match: None,
            unavailable: Vec::new(),
            visual: None,
            evidence: None,
            certificate_validity: None,
            renewal: None,
            record: None,
            last_card_error: None,
        };
        s.step = s.mode_choice();
        s
    }

    /// The cards the kept roster knows (`card_check.rs`).
    pub fn with_card_check(mut self, check: CardCheck) -> Self {
        self.card_check = check;
        self
    }

    pub fn context(&self) -> &VisitContext {
        &self.context
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    /// Whether a card read is running now.
    pub fn is_reading(&self) -> bool {
        self.reading
    }

    /// Why the last card read stopped (`None` after a read that went through).
    pub fn last_card_error(&self) -> Option<&CardError> {
        self.last_card_error.as_ref()
    }

    /// The modes this card took away, and why (a 顔認証 card, a locked PIN,
    /// no photo).
    pub fn unavailable(&self) -> &[ModeUnavailable] {
        &self.unavailable
    }

    /// The renewal coach's advice for the certificate read, when it is due
    /// (within 3 months of its expiry, in its grace, or past it).
    pub fn renewal(&self) -> Option<&RenewalAdvice> {
        self.renewal.as_ref()
    }

    /// The finished record, once the visit is done.
    pub fn record(&self) -> Option<&VisitRecord> {
        self.record.as_ref()
    }

    fn wrong(&self, action: &'static str) -> VisitError {
        VisitError::WrongStep { action, step: self.step.name() }
    }

    fn wipe_secrets(&mut self) {
        self.secret = None; // Pin and CollationB zeroize on drop
        self.last_try_confirmed = false;
    }

    fn mode_choice(&self) -> Step {
        let offered: Vec<IdentityMode> = [IdentityMode::Pin, IdentityMode::Visual]
            .into_iter()
            .filter(|m| !self.unavailable.iter().any(|u| u.mode == *m))
            .collect();
        if offered.is_empty() {
            return Step::IdentityRefused { reason: RefusalReason::NoModeAvailable };
        }
        Step::ChooseMode { offered, unavailable: self.unavailable.clone() }
    }

    pub fn choose_mode(&mut self, mode: IdentityMode) -> Result<&Step, VisitError> {
        let Step::ChooseMode { offered, .. } = &self.step else {
            return Err(self.wrong("choose_mode"));
        };
        if !offered.contains(&mode) {
            return Err(VisitError::ModeNotOffered(mode));
        }
        self.step = match mode {
            IdentityMode::Pin => Step::EnterPin { tries_left: None, message: None },
            IdentityMode::Visual => Step::EnterCollation { tries_left: None, message: None },
        };
        Ok(&self.step)
    }

    fn idle(&self) -> Result<(), VisitError> {
        if self.reading {
            return Err(VisitError::ReadRunning);
        }
        Ok(())
    }

    /// Back to the choice of mode (e.g. the patient does not want to risk
    /// the last PIN try). Secrets are wiped.
    pub fn back_to_mode_choice(&mut self) -> Result<&Step, VisitError> {
        self.idle()?;
        match self.step {
            Step::EnterPin { .. }
            | Step::EnterCollation { .. }
            | Step::ConfirmLastTry { .. }
            | Step::HoldCard { .. }
            | Step::WrongCard { .. }
            | Step::ConfirmNewCard { .. } => {
                self.wipe_secrets();
                self.step = self.mode_choice();
                Ok(&self.step)
            }
            _ => Err(self.wrong("back_to_mode_choice")),
        }
    }

    pub fn enter_pin(&mut self, typed: &str) -> Result<&Step, VisitError> {
        let Step::EnterPin { .. } = self.step else { return Err(self.wrong("enter_pin")) };
        self.secret = Some(HeldSecret::Pin(Pin::new(typed).map_err(VisitError::Secret)?));
        self.step = Step::HoldCard { mode: IdentityMode::Pin, message: None };
        Ok(&self.step)
    }

    pub fn enter_collation(&mut self, typed: &str) -> Result<&Step, VisitError> {
        let Step::EnterCollation { .. } = self.step else {
            return Err(self.wrong("enter_collation"));
        };
        let b = CollationB::new(typed).map_err(VisitError::Secret)?;
        self.secret = Some(HeldSecret::Collation(b));
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

    /// After [`Step::WrongCard`] or [`Step::ConfirmNewCard`]: hold another card.
    pub fn hold_another_card(&mut self) -> Result<&Step, VisitError> {
        self.idle()?;
        let (Step::WrongCard { mode, .. } | Step::ConfirmNewCard { mode, .. }) = self.step else {
            return Err(self.wrong("hold_another_card"));
        };
        self.unconfirmed_card = None;
        self.step = Step::HoldCard { mode, message: None };
        Ok(&self.step)
    }

    /// Staff confirmed, with the patient, that the card is the patient's
    /// new card (reissued). The record says so; the clinic reviews it.
    pub fn confirm_new_card(&mut self) -> Result<&Step, VisitError> {
        self.idle()?;
        let Step::ConfirmNewCard { mode, .. } = self.step else {
            return Err(self.wrong("confirm_new_card"));
        };
        let Some(fingerprint) = self.unconfirmed_card.take() else {
            return Err(self.wrong("confirm_new_card"));
        };
        self.confirmed_new_card = Some(fingerprint);
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

    /// The card is at the phone: hands out the read (see `read.rs`). The
    /// session stays at `HoldCard` and answers while it runs.
    pub fn begin_read(&mut self, now: DateTime<Utc>) -> Result<CardRead, VisitError> {
        self.idle()?;
        let Step::HoldCard { mode, .. } = self.step else { return Err(self.wrong("read_card")) };
        let secret = self.secret.take().ok_or_else(|| self.wrong("read_card"))?;
        let challenge = (mode == IdentityMode::Pin).then(|| Challenge::new(&self.context, now));
        self.reading = true;
        Ok(CardRead {
            mode,
            secret,
            confirm_last_try: self.last_try_confirmed,
            check: self.card_check.clone(),
            confirmed_new_card: self.confirmed_new_card.clone(),
            challenge,
            now,
        })
    }

    /// Takes the read's outcome back and moves to the next step. After a
    /// cancel, the outcome is dropped (and its secret wiped).
    pub fn finish_read(&mut self, outcome: ReadOutcome, now: DateTime<Utc>) -> &Step {
        self.reading = false;
        if matches!(self.step, Step::Cancelled | Step::Done { .. }) {
            return &self.step;
        }
        self.last_card_error = outcome.card_error().cloned();
        // Kept for a resume (a card pulled away), unless the card used it.
        self.secret = outcome.secret;
        let mode = outcome.mode;
        match outcome.result {
            Ok((success, card_match)) => {
                self.wipe_secrets();
                self.card_match = Some(card_match);
                self.after_success(success, now);
            }
            Err(ReadStop::OtherPatient(other)) => {
                let message = other_patient_message_ja(&other);
                self.step = Step::WrongCard { mode, belongs_to: other, message };
            }
            Err(ReadStop::Unconfirmed { fingerprint }) => {
                self.unconfirmed_card = Some(fingerprint);
                self.step = Step::ConfirmNewCard { mode, message: new_card_message_ja() };
            }
            Err(ReadStop::Card(e)) => self.after_card_error(mode, e),
        }
        &self.step
    }

    /// A whole read on one transport: [`Self::begin_read`], the read,
    /// [`Self::finish_read`] (for the CLI and tests; the FFI runs the read
    /// without holding the session).
    pub async fn read_card<T: CardTransport>(
        &mut self,
        transport: T,
        now: DateTime<Utc>,
    ) -> Result<&Step, VisitError> {
        self.read_card_with_progress(transport, now, None).await
    }

    pub async fn read_card_with_progress<T: CardTransport>(
        &mut self,
        transport: T,
        now: DateTime<Utc>,
        progress: Option<Arc<dyn ReadProgress>>,
    ) -> Result<&Step, VisitError> {
        let read = self.begin_read(now)?;
        let outcome = read.run(transport, progress).await;
        Ok(self.finish_read(outcome, now))
    }

    fn after_success(&mut self, success: ReadSuccess, now: DateTime<Utc>) {
        let validity = match &success {
            ReadSuccess::Pin { reading, .. } => reading.variant.certificate,
            ReadSuccess::Visual(r) => r.variant.certificate,
        };
        self.certificate_validity = Some(validity_label(validity));
        let cert = match &success {
            ReadSuccess::Pin { reading, .. } => &reading.certificate,
            ReadSuccess::Visual(r) => &r.certificate,
        };
        self.renewal = renewal::for_certificate(cert, now, CertificateCarrier::Card).into_needed();
        if let Validity::Expired { grace_until } = validity {
            self.step = Step::IdentityRefused {
                reason: RefusalReason::CertificateExpired { grace_ended: grace_until },
            };
            return;
        }
        match success {
            ReadSuccess::Pin { reading, challenge } => {
                let reading = *reading;
                self.evidence = Some(Evidence::Pin(PinEvidence {
                    certificate: reading.certificate.der().to_vec(),
                    challenge,
                    signed_message: reading.signed_message,
                    signature: reading.signature,
                    pin_tries_before: reading.tries_before,
                }));
                self.step = self.confirmed(IdentityMode::Pin, now);
            }
            ReadSuccess::Visual(v) => {
                self.step = Step::ComparePhoto {
                    png: v.photo.png.clone(),
                    width: v.photo.width,
                    height: v.photo.height,
                };
                self.visual = Some(v);
            }
        }
    }

    fn confirmed(&self, mode: IdentityMode, now: DateTime<Utc>) -> Step {
        let day = now.with_timezone(&jst()).date_naive();
        let consent_validity =
            super::consent::validity_rule(self.context.kind, day, self.context.first_visit_on);
        Step::IdentityConfirmed { mode, consent_validity }
    }

    fn after_card_error(&mut self, mode: IdentityMode, e: CardError) {
        let message = e.staff_message();
        if let Some((lost, reason)) = UnavailableReason::from_card_error(&e) {
            self.wipe_secrets();
            self.unavailable.retain(|u| u.mode != lost);
            self.unavailable.push(ModeUnavailable { mode: lost, reason, reason_ja: message });
            self.step = self.mode_choice();
            return;
        }
        self.step = match e {
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
            photo_jp2: self.options.keep_photo.then(|| jp2.to_vec()),
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
            card_match: self.card_match.clone().unwrap_or(CardMatch::NotChecked),
            certificate_validity: self.certificate_validity.clone().unwrap_or_default(),
            completed_at: now,
            renewal: self.renewal.clone(),
            // The app layer adds these (`ffi/src/app/`): the session knows
            // neither who is signed in nor the phone.
            sign_in: None,
            read_timing: None,
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
