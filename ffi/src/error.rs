// SPDX-License-Identifier: MPL-2.0
//! The one public error type, and the one place internal errors map to it.
//! Every variant carries `staff_message`: Japanese, for staff, saying what to do.

use houmon_core::error::{CardError, Secret};
use houmon_core::reception::ReceptionError;
use houmon_core::transport::TransportError;
use houmon_core::visit::VisitError;
use houmon_store::StoreError;

use crate::records::SecretKind;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HoumonError {
    /// The PIN or 照合番号B was wrong; the session is back at its entry step.
    #[error("{staff_message}")]
    WrongSecret { secret: SecretKind, tries_left: u8, staff_message: String },
    /// The card left the reader (or timed out) mid-read; the session stays at
    /// HoldCard: holding it again resumes.
    #[error("{staff_message}")]
    CardRemoved { staff_message: String },
    /// Another card problem; the session stays at HoldCard.
    #[error("{staff_message}")]
    CardProblem { staff_message: String },
    /// The visit was cancelled (also while a read was running).
    #[error("{staff_message}")]
    Cancelled { staff_message: String },
    /// This call does not fit the current step.
    #[error("{staff_message}")]
    WrongStep { staff_message: String },
    /// Input of the wrong shape (a 3-digit PIN, a missing note, a mode not offered).
    #[error("{staff_message}")]
    InvalidInput { staff_message: String },
    /// The database key from the KeyProvider does not open the database.
    #[error("{staff_message}")]
    WrongKey { staff_message: String },
    /// Could not write or read the on-device store (disk full, corrupt row).
    #[error("{staff_message}")]
    Storage { staff_message: String },
    /// No network, or the server could not be reached or read: the records
    /// stay queued and go later.
    #[error("{staff_message}")]
    Network { staff_message: String },
    /// The device is not registered with the clinic server (or was revoked).
    #[error("{staff_message}")]
    NotRegistered { staff_message: String },
    #[error("{staff_message}")]
    Internal { staff_message: String },
}

impl HoumonError {
    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        HoumonError::Internal {
            staff_message: format!("アプリ内部のエラーです({what})。もう一度お試しください。続く場合は管理者に連絡してください。"),
        }
    }

    pub(crate) fn cancelled() -> Self {
        HoumonError::Cancelled { staff_message: "確認を中止しました。".into() }
    }
}

impl From<CardError> for HoumonError {
    fn from(e: CardError) -> Self {
        let message = e.staff_message();
        match e {
            CardError::WrongSecret { secret, remaining } => HoumonError::WrongSecret {
                secret: match secret {
                    Secret::AuthPin => SecretKind::Pin,
                    Secret::CollationB => SecretKind::CollationB,
                },
                tries_left: remaining,
                staff_message: message,
            },
            CardError::Transport(TransportError::TagLost | TransportError::Timeout)
            | CardError::VerifyInterrupted { .. } => {
                HoumonError::CardRemoved { staff_message: message }
            }
            CardError::BadSecretFormat { .. } => {
                HoumonError::InvalidInput { staff_message: message }
            }
            _ => HoumonError::CardProblem { staff_message: message },
        }
    }
}

impl From<VisitError> for HoumonError {
    fn from(e: VisitError) -> Self {
        let message = e.staff_message();
        match e {
            VisitError::WrongStep { .. } => HoumonError::WrongStep { staff_message: message },
            VisitError::Secret(c) => c.into(),
            VisitError::ModeNotOffered(_) | VisitError::NoteRequired => {
                HoumonError::InvalidInput { staff_message: message }
            }
        }
    }
}

impl From<StoreError> for HoumonError {
    fn from(e: StoreError) -> Self {
        let message = e.staff_message();
        match e {
            StoreError::WrongKey | StoreError::BadKeyLength(_) => {
                HoumonError::WrongKey { staff_message: message }
            }
            _ => HoumonError::Storage { staff_message: message },
        }
    }
}

impl From<houmon_sync::SyncError> for HoumonError {
    fn from(e: houmon_sync::SyncError) -> Self {
        let staff_message = e.staff_message();
        match e {
            houmon_sync::SyncError::Unauthorized => HoumonError::NotRegistered { staff_message },
            houmon_sync::SyncError::Store(s) => s.into(),
            _ => HoumonError::Network { staff_message },
        }
    }
}

impl From<ReceptionError> for HoumonError {
    fn from(e: ReceptionError) -> Self {
        HoumonError::InvalidInput { staff_message: e.staff_message() }
    }
}
