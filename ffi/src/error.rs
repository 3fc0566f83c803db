// SPDX-License-Identifier: MPL-2.0
//! The one public error type, and the one place internal errors map to it.
//!
//! Every variant carries three things: `staff_message` (Japanese, for staff,
//! saying what to do), `code` (stable and machine-readable, for the app's
//! branches, analytics and support: `card.tag-lost`, `store.disk-full`, …)
//! and `detail` (the technical cause, for an engineer; not called `cause`,
//! which Kotlin's `Throwable` already has). The detail goes to the shell's
//! `LogSink` here, when the error is made — never a PIN, a
//! 照合番号B or personal data: the internal errors' texts carry none (a
//! foreign exception's text is cut to its first line).

use houmon_core::card::error::{CardError, Secret};
use houmon_core::card::transport::TransportError;
use houmon_core::reception::ReceptionError;
use houmon_core::visit::VisitError;
use houmon_store::StoreError;
use houmon_sync::SyncError;

use crate::records::SecretKind;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HoumonError {
    /// The PIN or 照合番号B was wrong; the session is back at its entry step.
    #[error("{code}: {staff_message}")]
    WrongSecret {
        secret: SecretKind,
        tries_left: u8,
        code: String,
        staff_message: String,
        detail: String,
    },
    /// The card left the reader (or timed out) mid-read; the session stays at
    /// HoldCard: holding it again resumes.
    #[error("{code}: {staff_message}")]
    CardRemoved { code: String, staff_message: String, detail: String },
    /// Another card problem; the session stays at HoldCard.
    #[error("{code}: {staff_message}")]
    CardProblem { code: String, staff_message: String, detail: String },
    /// The visit was cancelled (also while a read was running).
    #[error("{code}: {staff_message}")]
    Cancelled { code: String, staff_message: String, detail: String },
    /// This call does not fit the current step (or a read is running).
    #[error("{code}: {staff_message}")]
    WrongStep { code: String, staff_message: String, detail: String },
    /// Input of the wrong shape (a 3-digit PIN, a missing note, a mode not offered).
    #[error("{code}: {staff_message}")]
    InvalidInput { code: String, staff_message: String, detail: String },
    /// The database key from the KeyProvider does not open the database.
    #[error("{code}: {staff_message}")]
    WrongKey { code: String, staff_message: String, detail: String },
    /// Could not write or read the on-device store (disk full, corrupt row).
    #[error("{code}: {staff_message}")]
    Storage { code: String, staff_message: String, detail: String },
    /// No network, or the server could not be reached or read: the records
    /// stay queued and go later.
    #[error("{code}: {staff_message}")]
    Network { code: String, staff_message: String, detail: String },
    /// The device is not registered with the clinic server (or was revoked).
    #[error("{code}: {staff_message}")]
    NotRegistered { code: String, staff_message: String, detail: String },
    #[error("{code}: {staff_message}")]
    Internal { code: String, staff_message: String, detail: String },
}

/// Which variant, for [`HoumonError::make`].
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    CardRemoved,
    CardProblem,
    Cancelled,
    WrongStep,
    InvalidInput,
    WrongKey,
    Storage,
    Network,
    NotRegistered,
    Internal,
}

impl HoumonError {
    /// Builds an error and logs its code and detail (the boundary).
    pub(crate) fn make(kind: Kind, code: &str, staff_message: String, detail: String) -> Self {
        tracing::warn!(code, detail = %detail, "error returned to the app");
        let code = code.to_owned();
        match kind {
            Kind::CardRemoved => HoumonError::CardRemoved { code, staff_message, detail },
            Kind::CardProblem => HoumonError::CardProblem { code, staff_message, detail },
            Kind::Cancelled => HoumonError::Cancelled { code, staff_message, detail },
            Kind::WrongStep => HoumonError::WrongStep { code, staff_message, detail },
            Kind::InvalidInput => HoumonError::InvalidInput { code, staff_message, detail },
            Kind::WrongKey => HoumonError::WrongKey { code, staff_message, detail },
            Kind::Storage => HoumonError::Storage { code, staff_message, detail },
            Kind::Network => HoumonError::Network { code, staff_message, detail },
            Kind::NotRegistered => HoumonError::NotRegistered { code, staff_message, detail },
            Kind::Internal => HoumonError::Internal { code, staff_message, detail },
        }
    }

    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        Self::make(
            Kind::Internal,
            "internal",
            "アプリ内部のエラーです。もう一度お試しください。続く場合は管理者に連絡してください。"
                .into(),
            what.to_string(),
        )
    }

    pub(crate) fn invalid_input(code: &str, staff_message: String) -> Self {
        let detail = format!("invalid input ({code})");
        Self::make(Kind::InvalidInput, code, staff_message, detail)
    }

    /// Cancelled during a read: `note` says whether a try was used.
    pub(crate) fn cancelled_with(note: String) -> Self {
        Self::make(Kind::Cancelled, "visit.cancelled", note, "cancelled by the app".into())
    }

    /// The stable code and the Japanese message of any variant.
    pub fn code_and_message(&self) -> (&str, &str) {
        match self {
            HoumonError::WrongSecret { code, staff_message, .. }
            | HoumonError::CardRemoved { code, staff_message, .. }
            | HoumonError::CardProblem { code, staff_message, .. }
            | HoumonError::Cancelled { code, staff_message, .. }
            | HoumonError::WrongStep { code, staff_message, .. }
            | HoumonError::InvalidInput { code, staff_message, .. }
            | HoumonError::WrongKey { code, staff_message, .. }
            | HoumonError::Storage { code, staff_message, .. }
            | HoumonError::Network { code, staff_message, .. }
            | HoumonError::NotRegistered { code, staff_message, .. }
            | HoumonError::Internal { code, staff_message, .. } => (code, staff_message),
        }
    }

    /// The stable code of any variant.
    pub fn code(&self) -> &str {
        self.code_and_message().0
    }
}

/// The stable code of a card error.
fn card_code(e: &CardError) -> &'static str {
    match e {
        CardError::Transport(TransportError::TagLost) => "card.tag-lost",
        CardError::Transport(TransportError::Timeout) => "card.timeout",
        CardError::Transport(TransportError::Io { .. }) => "card.io",
        CardError::MalformedResponse { .. } => "card.malformed-response",
        CardError::MalformedCommand { .. } => "card.malformed-command",
        CardError::UnexpectedStatus { .. } => "card.unexpected-status",
        CardError::Refused { .. } => "card.refused-by-allow-list",
        CardError::NotMyNumberCard => "card.not-my-number-card",
        CardError::NoCardFaceApplication => "card.no-card-face",
        CardError::NoAuthCertificate => "card.no-certificate",
        CardError::WrongSecret { secret: Secret::AuthPin, .. } => "card.wrong-pin",
        CardError::WrongSecret { secret: Secret::CollationB, .. } => "card.wrong-collation",
        CardError::Locked { secret: Secret::AuthPin } => "card.pin-locked",
        CardError::Locked { secret: Secret::CollationB } => "card.collation-locked",
        CardError::PinNotSet => "card.pin-not-set",
        CardError::LastTryNeedsConfirmation { .. } => "card.last-try-needs-confirmation",
        CardError::CounterUnavailable { .. } => "card.counter-unavailable",
        CardError::BadSecretFormat { secret: Secret::AuthPin, .. } => "input.pin-format",
        CardError::BadSecretFormat { secret: Secret::CollationB, .. } => "input.collation-format",
        CardError::VerifyInterrupted { .. } => "card.verify-interrupted",
        CardError::Certificate { .. } => "card.certificate",
        CardError::CardFace { .. } => "card.card-face",
        CardError::NoPhoto => "card.no-photo",
        CardError::Photo { .. } => "card.photo",
        CardError::BadSignature => "card.bad-signature",
        CardError::TransportTooLimited { .. } => "card.transport-too-limited",
        CardError::Internal { .. } => "internal",
        _ => "card.other",
    }
}

impl From<CardError> for HoumonError {
    fn from(e: CardError) -> Self {
        let message = e.staff_message();
        let code = card_code(&e);
        let detail = e.to_string();
        match e {
            CardError::WrongSecret { secret, remaining } => {
                tracing::warn!(code, detail = %detail, "error returned to the app");
                HoumonError::WrongSecret {
                    secret: match secret {
                        Secret::AuthPin => SecretKind::Pin,
                        Secret::CollationB => SecretKind::CollationB,
                    },
                    tries_left: remaining,
                    code: code.into(),
                    staff_message: message,
                    detail,
                }
            }
            CardError::Transport(TransportError::TagLost | TransportError::Timeout)
            | CardError::VerifyInterrupted { .. } => {
                Self::make(Kind::CardRemoved, code, message, detail)
            }
            CardError::BadSecretFormat { .. } => {
                Self::make(Kind::InvalidInput, code, message, detail)
            }
            _ => Self::make(Kind::CardProblem, code, message, detail),
        }
    }
}

impl From<VisitError> for HoumonError {
    fn from(e: VisitError) -> Self {
        let message = e.staff_message();
        let detail = e.to_string();
        match e {
            VisitError::WrongStep { .. } => {
                Self::make(Kind::WrongStep, "visit.wrong-step", message, detail)
            }
            VisitError::ReadRunning => {
                Self::make(Kind::WrongStep, "visit.read-running", message, detail)
            }
            VisitError::Secret(c) => c.into(),
            VisitError::ModeNotOffered(_) => {
                Self::make(Kind::InvalidInput, "visit.mode-not-offered", message, detail)
            }
            VisitError::NoteRequired => {
                Self::make(Kind::InvalidInput, "visit.note-required", message, detail)
            }
        }
    }
}

impl From<StoreError> for HoumonError {
    fn from(e: StoreError) -> Self {
        let message = e.staff_message();
        let detail = e.to_string();
        let (kind, code) = match e {
            StoreError::WrongKey => (Kind::WrongKey, "store.wrong-key"),
            StoreError::BadKeyLength(_) => (Kind::WrongKey, "store.bad-key-length"),
            StoreError::DiskFull => (Kind::Storage, "store.disk-full"),
            StoreError::Corrupt { .. } => (Kind::Storage, "store.corrupt-row"),
            StoreError::TooNew { .. } => (Kind::Storage, "store.too-new"),
            StoreError::NotFound(_) => (Kind::Storage, "store.not-found"),
            _ => (Kind::Storage, "store.sqlite"),
        };
        Self::make(kind, code, message, detail)
    }
}

impl From<SyncError> for HoumonError {
    fn from(e: SyncError) -> Self {
        let message = e.staff_message();
        let detail = e.to_string();
        match e {
            SyncError::Unauthorized => {
                Self::make(Kind::NotRegistered, "sync.unauthorized", message, detail)
            }
            SyncError::Store(s) => s.into(),
            SyncError::EnrolmentRefused(_) => {
                Self::make(Kind::NotRegistered, "sync.enrolment-refused", message, detail)
            }
            SyncError::Offline => Self::make(Kind::Network, "sync.offline", message, detail),
            SyncError::Insecure(_) => {
                Self::make(Kind::InvalidInput, "sync.insecure-url", message, detail)
            }
            SyncError::Garbage(_) => {
                Self::make(Kind::Network, "sync.unreadable-answer", message, detail)
            }
            _ => Self::make(Kind::Network, "sync.network", message, detail),
        }
    }
}

impl From<ReceptionError> for HoumonError {
    fn from(e: ReceptionError) -> Self {
        let detail = e.to_string();
        let code = match e {
            ReceptionError::InvalidInput { .. } => "reception.invalid-input",
            ReceptionError::Policy { .. } => "reception.policy",
        };
        Self::make(Kind::InvalidInput, code, e.staff_message(), detail)
    }
}
