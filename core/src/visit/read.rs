// SPDX-License-Identifier: MPL-2.0
//! One card read of a visit, run **outside** the session.
//!
//! [`super::VisitSession::begin_read`] hands out a [`CardRead`] holding
//! everything the read needs (the mode, the secret, the challenge, the
//! card-to-patient check); the caller runs it on any executor with the
//! phone's transport, and gives the [`ReadOutcome`] back to
//! [`super::VisitSession::finish_read`]. Meanwhile the session answers
//! `step()` and `cancel()` at once: nothing holds it during the NFC
//! exchange.
//!
//! The flow: certificate first, then the check of whose card it is
//! (`card_check.rs`) — before any secret is sent — then PIN mode (counter,
//! VERIFY, the card signs the challenge) or 目視 mode (counter, VERIFY
//! 照合番号B, the photo).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::card_check::{CardCheck, CardMatch, KnownCard, Verdict};
use super::context::IdentityMode;
use super::evidence::Challenge;
use crate::card::credentials::{CollationB, Pin};
use crate::card::error::CardError;
use crate::card::guard::{SecretUse, Stats};
use crate::card::progress::ReadProgress;
use crate::card::reader::{CardReader, PinReading, ReadMode, VisualReading};
use crate::card::transport::CardTransport;

/// The secret a read sends, wiped on drop.
#[derive(Debug)]
pub(crate) enum HeldSecret {
    Pin(Pin),
    Collation(CollationB),
}

/// A read handed out by the session.
pub struct CardRead {
    pub(crate) mode: IdentityMode,
    pub(crate) secret: HeldSecret,
    pub(crate) confirm_last_try: bool,
    pub(crate) check: CardCheck,
    pub(crate) confirmed_new_card: Option<String>,
    pub(crate) challenge: Option<Challenge>,
    pub(crate) now: DateTime<Utc>,
}

impl std::fmt::Debug for CardRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardRead").field("mode", &self.mode).finish_non_exhaustive()
    }
}

/// What the card read gave.
#[derive(Debug)]
pub(crate) enum ReadSuccess {
    Pin { reading: Box<PinReading>, challenge: Challenge },
    Visual(Box<VisualReading>),
}

/// Why a read stopped.
#[derive(Debug)]
pub(crate) enum ReadStop {
    Card(CardError),
    /// Another roster patient's card.
    OtherPatient(KnownCard),
    /// Not the card on file for this patient; staff must confirm.
    Unconfirmed {
        fingerprint: String,
    },
}

/// The result of [`CardRead::run`], for [`super::VisitSession::finish_read`].
#[derive(Debug)]
pub struct ReadOutcome {
    pub(crate) mode: IdentityMode,
    /// The secret, unless the card used it (kept so that holding the card
    /// again resumes without typing it again).
    pub(crate) secret: Option<HeldSecret>,
    pub(crate) result: Result<(ReadSuccess, CardMatch), ReadStop>,
    /// APDUs and bytes exchanged, and what became of the secret.
    pub stats: Stats,
}

impl ReadOutcome {
    /// The mode the read was for.
    pub fn mode(&self) -> IdentityMode {
        self.mode
    }

    /// A read whose task ended without an outcome (it panicked, or its
    /// runtime shut down): the secret is gone with it, nothing is known of
    /// the card, and the session goes back to "hold the card" (a VERIFY
    /// cut short re-reads the counter on the next read).
    pub fn lost(mode: IdentityMode) -> ReadOutcome {
        ReadOutcome {
            mode,
            secret: None,
            result: Err(ReadStop::Card(CardError::internal("the read ended without an outcome"))),
            stats: Stats { secret: SecretUse::Unanswered, ..Stats::default() },
        }
    }

    /// Whether the read went through (identity read, photo or signature back).
    pub fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    /// What became of the secret: whether this read may have cost a try.
    pub fn secret_use(&self) -> SecretUse {
        self.stats.secret
    }

    /// What staff are told when this read was stopped (cancelled): whether
    /// it cost the patient a try of the PIN or 照合番号B.
    pub fn cancel_note_ja(&self) -> String {
        let what = match self.mode {
            IdentityMode::Pin => "暗証番号",
            IdentityMode::Visual => "照合番号B",
        };
        match self.stats.secret {
            SecretUse::NotSent => format!(
                "確認を中止しました。{what}はカードに送っていないため、残り回数は減っていません。"
            ),
            SecretUse::Accepted => format!(
                "確認を中止しました。{what}は正しく確認されていたため、残り回数は減っていません。"
            ),
            SecretUse::Rejected => {
                format!("確認を中止しました。{what}が違っていたため、残り回数が1回減りました。")
            }
            SecretUse::Unanswered => format!(
                "確認を中止しました。{what}の照合中に中断したため、残り回数が1回減った可能性があります。次回は残り回数を読み取ってから照合します。"
            ),
        }
    }

    /// The card error that stopped the read, if one did.
    pub fn card_error(&self) -> Option<&CardError> {
        match &self.result {
            Err(ReadStop::Card(e)) => Some(e),
            _ => None,
        }
    }
}

impl CardRead {
    pub fn mode(&self) -> IdentityMode {
        self.mode
    }

    /// Runs the read over `transport`, reporting progress to `progress`.
    pub async fn run<T: CardTransport>(
        self,
        transport: T,
        progress: Option<Arc<dyn ReadProgress>>,
    ) -> ReadOutcome {
        let CardRead { mode, secret, confirm_last_try, check, confirmed_new_card, challenge, now } =
            self;
        let mut reader = CardReader::with_progress(transport, progress);
        let read_mode = match mode {
            IdentityMode::Pin => ReadMode::Pin,
            IdentityMode::Visual => ReadMode::Visual,
        };
        let (result, secret) = 'read: {
            let cert = match reader.start(read_mode).await {
                Ok(c) => c,
                Err(e) => break 'read (Err(ReadStop::Card(e)), Some(secret)),
            };
            let card_match =
                match check.judge(&cert.fingerprint_sha256(), confirmed_new_card.as_deref()) {
                    Verdict::Proceed(m) => m,
                    Verdict::OtherPatient(k) => {
                        break 'read (Err(ReadStop::OtherPatient(k)), Some(secret))
                    }
                    Verdict::Unconfirmed { fingerprint } => {
                        break 'read (Err(ReadStop::Unconfirmed { fingerprint }), Some(secret))
                    }
                };
            match (&secret, challenge) {
                (HeldSecret::Pin(pin), Some(challenge)) => {
                    let message = challenge.to_bytes();
                    match reader.continue_pin_mode(pin, confirm_last_try, &message, now).await {
                        Ok(reading) => (
                            Ok((
                                ReadSuccess::Pin { reading: Box::new(reading), challenge },
                                card_match,
                            )),
                            None,
                        ),
                        Err(e) => (Err(ReadStop::Card(e)), Some(secret)),
                    }
                }
                (HeldSecret::Collation(b), _) => {
                    match reader.continue_visual_mode(b, confirm_last_try, now).await {
                        Ok(r) => (Ok((ReadSuccess::Visual(Box::new(r)), card_match)), None),
                        Err(e) => (Err(ReadStop::Card(e)), Some(secret)),
                    }
                }
                (HeldSecret::Pin(_), None) => (
                    Err(ReadStop::Card(CardError::internal("PIN read without a challenge"))),
                    Some(secret),
                ),
            }
        };
        ReadOutcome { mode, secret, result, stats: reader.stats() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_lost_without_an_outcome_tells_staff_a_try_may_have_been_used() {
        // The task that ran the read is gone: nobody knows whether the
        // VERIFY reached the card, so staff must not be told it did not.
        for (mode, what) in [(IdentityMode::Pin, "暗証番号"), (IdentityMode::Visual, "照合番号B")]
        {
            let lost = ReadOutcome::lost(mode);
            assert_eq!(lost.mode(), mode);
            assert_eq!(lost.secret_use(), SecretUse::Unanswered);
            assert!(!lost.succeeded());
            assert!(lost.secret.is_none(), "the secret is gone with the task");
            let note = lost.cancel_note_ja();
            assert!(note.contains(what) && note.contains("減った可能性"), "{note}");
            assert!(lost.card_error().is_some(), "the session goes back to holding the card");
        }
    }
}
