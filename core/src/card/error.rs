// SPDX-License-Identifier: MPL-2.0
//! Card-layer errors and the Japanese messages staff see.
//!
//! Every failure the card layer can meet is a variant here, with the data the
//! app needs to act (tries remaining, the status word). [`CardError::staff_message`]
//! is the one place that turns them into Japanese that says what to do next;
//! the FFI error type maps from this enum in one place too.

use crate::card::apdu::ApduError;
use crate::card::sw::StatusWord;
use crate::card::transport::{TooLimited, TransportError};

pub type Result<T, E = CardError> = std::result::Result<T, E>;

/// Which secret a counter or error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Secret {
    /// 利用者証明用 PIN (4 digits, 3 tries).
    AuthPin,
    /// 照合番号B of the 券面事項確認AP.
    CollationB,
}

impl Secret {
    /// The counter's maximum, to which a successful VERIFY resets it.
    /// 3 for the PIN is confirmed by several sources; 10 for 照合番号B is
    /// reported but not confirmed (docs/card-protocol.md §3.2). Only used
    /// when the card says the key is already verified (`90 00` to the empty
    /// VERIFY), where any value ≥ 2 leads to the same decisions.
    pub fn max_tries(self) -> u8 {
        match self {
            Secret::AuthPin => 3,
            Secret::CollationB => 10,
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Secret::AuthPin => "利用者証明用暗証番号",
            Secret::CollationB => "照合番号B",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    #[error(transparent)]
    Transport(#[from] TransportError),

    /// The card answered something that is not a well-formed response.
    #[error("malformed response from the card: {reason}")]
    MalformedResponse { reason: String },

    /// A command that could not be parsed (virtual card side).
    #[error("malformed command: {reason}")]
    MalformedCommand { reason: &'static str },

    /// The card answered a status word the protocol does not expect here.
    #[error("{command}: unexpected status word {sw}")]
    UnexpectedStatus { command: &'static str, sw: StatusWord },

    /// The allow-list refused a command before it reached the card.
    #[error("refused by the allow-list: {reason}")]
    Refused { reason: &'static str },

    /// The card has no JPKI application: not a マイナンバーカード.
    #[error("not a My Number card (JPKI application not found)")]
    NotMyNumberCard,

    /// The card has no 券面事項確認AP.
    #[error("the card has no card-face application")]
    NoCardFaceApplication,

    /// The 利用者証明用 certificate is missing (declined at issuance).
    #[error("the card holds no user-authentication certificate")]
    NoAuthCertificate,

    #[error("wrong {secret:?}; {remaining} tries remain")]
    WrongSecret { secret: Secret, remaining: u8 },

    #[error("{secret:?} is locked")]
    Locked { secret: Secret },

    /// No 利用者証明用 PIN is set: a 顔認証マイナンバーカード.
    #[error("no PIN is set on this card (face-recognition card)")]
    PinNotSet,

    /// The next wrong try would lock the card; the patient must confirm first.
    #[error("one {secret:?} try remains; explicit confirmation required")]
    LastTryNeedsConfirmation { secret: Secret },

    /// The card did not report its counter; refusing to guess.
    #[error("{secret:?} counter unavailable ({sw})")]
    CounterUnavailable { secret: Secret, sw: StatusWord },

    /// The PIN or 照合番号 typed is not of the right shape (nothing was sent).
    #[error("{secret:?} has the wrong format: {reason}")]
    BadSecretFormat { secret: Secret, reason: &'static str },

    /// The link broke during a VERIFY: the card may or may not have counted
    /// the try. Never retried automatically; the counter is re-read first.
    #[error("the card left during verification; the try may have been counted")]
    VerifyInterrupted { secret: Secret },

    #[error("certificate: {reason}")]
    Certificate { reason: String },

    /// The card-face data (EF 0002) could not be parsed.
    #[error("card face data: {reason}")]
    CardFace { reason: String },

    /// The card holds no face photo (e.g. issued to a child under one).
    #[error("the card holds no face photo")]
    NoPhoto,

    #[error("photo could not be decoded: {reason}")]
    Photo { reason: String },

    /// The card's signature did not verify with its own certificate.
    #[error("the card's signature does not verify")]
    BadSignature,

    /// The phone's NFC stack cannot carry the product's commands or a
    /// signature in one answer (its limits are below the minimum).
    #[error("transport limits too small: command {max_command}, response {max_response}")]
    TransportTooLimited { max_command: usize, max_response: usize },

    /// A bug or an impossible request inside the core.
    #[error("internal: {reason}")]
    Internal { reason: String },
}

impl CardError {
    pub(crate) fn internal(reason: &str) -> Self {
        CardError::Internal { reason: reason.to_owned() }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        CardError::MalformedResponse { reason: reason.into() }
    }

    /// True when holding the card to the phone again is the right next step.
    pub fn is_retryable_by_tapping_again(&self) -> bool {
        matches!(
            self,
            CardError::Transport(_)
                | CardError::MalformedResponse { .. }
                | CardError::VerifyInterrupted { .. }
        )
    }

    /// The message staff see, in Japanese, saying what to do next.
    pub fn staff_message(&self) -> String {
        match self {
            CardError::Transport(TransportError::TagLost) => {
                "カードが離れました。カードをスマートフォンの読み取り位置に当て直し、読み取りが終わるまで動かさないでください。".into()
            }
            CardError::Transport(TransportError::Timeout) => {
                "カードから応答がありません。カードを当て直してください。続く場合は目視確認に切り替えてください。".into()
            }
            CardError::Transport(TransportError::Io { .. }) => {
                "カードとの通信に失敗しました。カードを当て直してください。".into()
            }
            CardError::MalformedResponse { .. } | CardError::UnexpectedStatus { .. } => {
                "カードから想定外の応答がありました。カードを当て直してください。続く場合は目視確認に切り替えてください。".into()
            }
            CardError::TransportTooLimited { .. } => {
                "この端末のNFCではカードを読み取れません(一度に送受信できる長さが足りません)。別の端末で確認してください。".into()
            }
            CardError::MalformedCommand { .. } | CardError::Internal { .. } => {
                "アプリ内部のエラーです。もう一度お試しください。続く場合は管理者に連絡してください。".into()
            }
            CardError::Refused { .. } => {
                "この操作は許可されていません（個人番号等に触れる操作は行いません）。管理者に連絡してください。".into()
            }
            CardError::NotMyNumberCard => {
                "マイナンバーカードではないようです。マイナンバーカードを当ててください。".into()
            }
            CardError::NoCardFaceApplication => {
                "このカードでは顔写真を読み取れません。暗証番号による確認を行ってください。".into()
            }
            CardError::NoAuthCertificate => {
                "このカードには利用者証明用電子証明書が入っていません。資格確認書等で確認してください。".into()
            }
            CardError::WrongSecret { secret, remaining } => format!(
                "{}が違います。残り{}回です。{}",
                secret.name_ja(),
                remaining,
                if *remaining == 1 {
                    "次に間違えるとロックされます。無理に入力せず、目視確認も選べます。"
                } else {
                    "落ち着いてもう一度入力してください。"
                }
            ),
            CardError::Locked { secret: Secret::AuthPin } => {
                "暗証番号がロックされています。今回は目視確認で進めてください。ロックの解除はお住まいの市区町村の窓口でできます。".into()
            }
            CardError::Locked { secret: Secret::CollationB } => {
                "照合番号Bがロックされています。カードの顔写真を読み取れません。資格確認書等による確認に切り替えてください。解除は市区町村の窓口です。".into()
            }
            CardError::PinNotSet => {
                "暗証番号が設定されていないカード（顔認証マイナンバーカード）です。目視確認で進めてください。".into()
            }
            CardError::LastTryNeedsConfirmation { secret } => format!(
                "{}の残り回数が1回です。間違えるとカードがロックされます。患者さんご本人が続けることを確認した場合のみ入力してください。目視確認も選べます。",
                secret.name_ja()
            ),
            CardError::CounterUnavailable { secret, .. } => format!(
                "{}の残り回数を確認できませんでした。安全のため入力を受け付けません。カードを当て直してください。",
                secret.name_ja()
            ),
            CardError::BadSecretFormat { secret: Secret::AuthPin, .. } => {
                "暗証番号は数字4桁です。入力し直してください（カードには送信していません）。".into()
            }
            CardError::BadSecretFormat { secret: Secret::CollationB, .. } => {
                "照合番号Bは、生年月日6桁（券面の和暦の年2桁＋月日）・有効期限の西暦4桁・セキュリティコード4桁です。入力し直してください（カードには送信していません）。".into()
            }
            CardError::VerifyInterrupted { secret } => format!(
                "照合中にカードが離れました。{}の回数が減った可能性があります。カードを当て直すと残り回数を確認してから続けます。",
                secret.name_ja()
            ),
            CardError::Certificate { .. } => {
                "カードの電子証明書を読み取れませんでした。カードを当て直してください。続く場合は資格確認書等で確認してください。".into()
            }
            CardError::CardFace { .. } => {
                "カードの券面情報を読み取れませんでした。カードを当て直してください。".into()
            }
            CardError::NoPhoto => {
                "顔写真のないカードです。目視確認はできません。暗証番号による確認か、資格確認書等で確認してください。".into()
            }
            CardError::Photo { .. } => {
                "カードの顔写真を表示できませんでした。カードを当て直してください。".into()
            }
            CardError::BadSignature => {
                "カードの署名を検証できませんでした。カードを当て直してください。続く場合はカードの故障の可能性があります。".into()
            }
        }
    }
}

impl From<ApduError> for CardError {
    fn from(e: ApduError) -> Self {
        match e {
            ApduError::Impossible(why) => CardError::internal(why),
            ApduError::MalformedCommand(reason) => CardError::MalformedCommand { reason },
            ApduError::MalformedResponse(reason) => CardError::MalformedResponse { reason },
        }
    }
}

impl From<TooLimited> for CardError {
    fn from(TooLimited(l): TooLimited) -> Self {
        CardError::TransportTooLimited { max_command: l.max_command, max_response: l.max_response }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staff_message_is_japanese_and_says_what_to_do() {
        let all = [
            CardError::Transport(TransportError::TagLost),
            CardError::Transport(TransportError::Timeout),
            CardError::Transport(TransportError::Io { reason: "x".into() }),
            CardError::malformed("x"),
            CardError::UnexpectedStatus { command: "SELECT", sw: StatusWord(0x6F00) },
            CardError::Refused { reason: "x" },
            CardError::NotMyNumberCard,
            CardError::NoCardFaceApplication,
            CardError::NoAuthCertificate,
            CardError::WrongSecret { secret: Secret::AuthPin, remaining: 2 },
            CardError::WrongSecret { secret: Secret::AuthPin, remaining: 1 },
            CardError::Locked { secret: Secret::AuthPin },
            CardError::Locked { secret: Secret::CollationB },
            CardError::PinNotSet,
            CardError::LastTryNeedsConfirmation { secret: Secret::AuthPin },
            CardError::CounterUnavailable { secret: Secret::AuthPin, sw: StatusWord(0x6F00) },
            CardError::BadSecretFormat { secret: Secret::AuthPin, reason: "x" },
            CardError::BadSecretFormat { secret: Secret::CollationB, reason: "x" },
            CardError::VerifyInterrupted { secret: Secret::AuthPin },
            CardError::Certificate { reason: "x".into() },
            CardError::CardFace { reason: "x".into() },
            CardError::NoPhoto,
            CardError::Photo { reason: "x".into() },
            CardError::BadSignature,
            CardError::TransportTooLimited { max_command: 10, max_response: 10 },
            CardError::internal("x"),
        ];
        for e in all {
            let m = e.staff_message();
            assert!(m.chars().any(|c| ('\u{3040}'..='\u{30FF}').contains(&c)), "{e:?}: {m}");
            assert!(m.ends_with('。'), "{e:?}: {m}");
        }
    }

    #[test]
    fn last_try_warning_appears_only_when_one_try_remains() {
        let one = CardError::WrongSecret { secret: Secret::AuthPin, remaining: 1 }.staff_message();
        let two = CardError::WrongSecret { secret: Secret::AuthPin, remaining: 2 }.staff_message();
        assert!(one.contains("ロック"));
        assert!(!two.contains("ロック"));
    }
}
