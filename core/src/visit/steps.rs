// SPDX-License-Identifier: MPL-2.0
//! What the UI renders at each point of a visit, and why things stop.
//!
//! Every reason is typed (the apps branch on it) and carries its Japanese
//! text from one place here, so both apps word it the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card_check::KnownCard;
use super::consent::ConsentValidity;
use super::context::IdentityMode;
use crate::card::cert::jst;
use crate::card::error::CardError;

/// Why a mode is not offered for this card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnavailableReason {
    /// No PIN is set: a 顔認証マイナンバーカード.
    PinNotSet,
    /// The PIN is locked (unlock at the 市区町村).
    PinLocked,
    /// The card holds no photo (issued under one year of age).
    NoPhoto,
    /// 照合番号B is locked, or the card face cannot be opened.
    CollationLocked,
}

impl UnavailableReason {
    /// The card error that takes a mode away, if this one does.
    pub(crate) fn from_card_error(e: &CardError) -> Option<(IdentityMode, UnavailableReason)> {
        use crate::card::error::Secret;
        Some(match e {
            CardError::PinNotSet => (IdentityMode::Pin, UnavailableReason::PinNotSet),
            CardError::Locked { secret: Secret::AuthPin } => {
                (IdentityMode::Pin, UnavailableReason::PinLocked)
            }
            CardError::NoPhoto => (IdentityMode::Visual, UnavailableReason::NoPhoto),
            CardError::Locked { secret: Secret::CollationB } => {
                (IdentityMode::Visual, UnavailableReason::CollationLocked)
            }
            _ => return None,
        })
    }
}

/// A mode that is not offered, and why (typed, and in Japanese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeUnavailable {
    pub mode: IdentityMode,
    pub reason: UnavailableReason,
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
    /// The card is another roster patient's: the visit stops here until the
    /// right card is held (nothing was sent to the card but reads).
    WrongCard {
        mode: IdentityMode,
        belongs_to: KnownCard,
        message: String,
    },
    /// The card is not the one on file for this patient: staff confirm that
    /// it is the patient's new card, or hold another.
    ConfirmNewCard {
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
        /// How long a consent given now holds (fixed now, shown as is).
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
            Step::WrongCard { .. } => "wrong-card",
            Step::ConfirmNewCard { .. } => "confirm-new-card",
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
    /// A card read is running; wait for it (or cancel).
    #[error("a card read is already running")]
    ReadRunning,
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
            VisitError::ReadRunning => {
                "カードを読み取っています。終わるまでカードを動かさずにお待ちください。".into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::error::Secret;

    #[test]
    fn each_card_error_that_takes_a_mode_away_names_the_mode_and_why() {
        let cases = [
            (CardError::PinNotSet, IdentityMode::Pin, UnavailableReason::PinNotSet),
            (
                CardError::Locked { secret: Secret::AuthPin },
                IdentityMode::Pin,
                UnavailableReason::PinLocked,
            ),
            (CardError::NoPhoto, IdentityMode::Visual, UnavailableReason::NoPhoto),
            (
                CardError::Locked { secret: Secret::CollationB },
                IdentityMode::Visual,
                UnavailableReason::CollationLocked,
            ),
        ];
        for (error, mode, reason) in cases {
            assert_eq!(
                UnavailableReason::from_card_error(&error),
                Some((mode, reason)),
                "{error:?}"
            );
        }
        assert_eq!(UnavailableReason::from_card_error(&CardError::NotMyNumberCard), None);
    }
}
