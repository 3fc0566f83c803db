// SPDX-License-Identifier: MPL-2.0
//! What kind of card this is, from the card itself.
//!
//! How a 顔認証マイナンバーカード (no PIN set) answers is **not public**
//! (`docs/card-protocol.md` §4). The hypothesis lives in one function,
//! [`classify_counter`]: only `63 C1`…`63 CF` (or `90 00`, already
//! verified in this card session) means a PIN may be asked for;
//! `63 C0`, `69 83`, `69 84` mean locked; `6A 88` (referenced data not
//! found) and `69 86` mean no PIN is set. When a real card shows otherwise,
//! change it here and in the virtual card's `FaceRecognition` variant.

use crate::card::cert::Validity;
use crate::card::error::{CardError, Result, Secret};
use crate::card::sw::StatusWord;

/// The state of a PIN or 照合番号 counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterState {
    /// This many tries remain (≥ 1).
    Available { tries: u8 },
    /// No tries remain; only the 市区町村 can unlock.
    Locked,
    /// No secret is set (顔認証マイナンバーカード, for the PIN).
    NotSet,
}

/// Reads the answer to an empty VERIFY.
pub fn classify_counter(secret: Secret, sw: StatusWord) -> Result<CounterState> {
    match sw.0 {
        0x63C1..=0x63CF => Ok(CounterState::Available { tries: sw.sw2() & 0x0F }),
        // Already verified in this card session (the card was not removed
        // since): a success resets the counter to its maximum.
        0x9000 => Ok(CounterState::Available { tries: secret.max_tries() }),
        0x63C0 | 0x6983 | 0x6984 => Ok(CounterState::Locked),
        0x6A88 | 0x6986 => Ok(CounterState::NotSet),
        _ => Err(CardError::CounterUnavailable { secret, sw }),
    }
}

/// What the app may offer for this card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardVariant {
    /// `None` when the flow did not read the PIN counter (目視 mode).
    pub pin: Option<CounterState>,
    /// `None` until the card face has been read (it needs 照合番号B).
    pub has_photo: Option<bool>,
    pub certificate: Validity,
}

impl CardVariant {
    /// PIN mode needs a PIN set, not locked, and a usable certificate.
    pub fn pin_mode_available(&self) -> bool {
        matches!(self.pin, Some(CounterState::Available { .. })) && self.certificate.usable()
    }

    /// 目視 needs a photo; unknown until read, so it is offered until then.
    pub fn visual_mode_available(&self) -> bool {
        self.has_photo != Some(false)
    }

    /// Stable labels for JSON and logs.
    pub fn labels(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        match self.pin {
            Some(CounterState::NotSet) => v.push("face-recognition-card"),
            Some(CounterState::Locked) => v.push("pin-locked"),
            Some(CounterState::Available { tries: 1 }) => v.push("pin-one-try-left"),
            Some(CounterState::Available { .. }) | None => {}
        }
        if self.has_photo == Some(false) {
            v.push("no-photo");
        }
        match self.certificate {
            Validity::InGrace { .. } => v.push("certificate-expired-in-grace"),
            Validity::Expired { .. } => v.push("certificate-expired"),
            Validity::NotYetValid => v.push("certificate-not-yet-valid"),
            Validity::Valid => {}
        }
        if v.is_empty() {
            v.push("standard");
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_63c1_to_63cf_or_already_verified_allow_asking_for_a_pin() {
        let c = |sw| classify_counter(Secret::AuthPin, StatusWord(sw));
        assert_eq!(c(0x63C3).unwrap(), CounterState::Available { tries: 3 });
        assert_eq!(c(0x63C1).unwrap(), CounterState::Available { tries: 1 });
        for locked in [0x63C0, 0x6983, 0x6984] {
            assert_eq!(c(locked).unwrap(), CounterState::Locked);
        }
        assert_eq!(c(0x6A88).unwrap(), CounterState::NotSet);
        // Already verified in this card session: the counter is at its maximum.
        assert_eq!(c(0x9000).unwrap(), CounterState::Available { tries: 3 });
        for odd in [0x6700, 0x6F00, 0x6300, 0x6A82] {
            assert!(matches!(c(odd), Err(CardError::CounterUnavailable { .. })), "{odd:04X}");
        }
    }

    #[test]
    fn modes_follow_the_variant() {
        let v = CardVariant {
            pin: Some(CounterState::NotSet),
            has_photo: Some(true),
            certificate: Validity::Valid,
        };
        assert!(!v.pin_mode_available() && v.visual_mode_available());
        assert_eq!(v.labels(), ["face-recognition-card"]);
        let v = CardVariant {
            pin: Some(CounterState::Available { tries: 3 }),
            has_photo: Some(false),
            ..v
        };
        assert!(v.pin_mode_available() && !v.visual_mode_available());
        assert_eq!(v.labels(), ["no-photo"]);
    }
}
