// SPDX-License-Identifier: MPL-2.0
//! Whose card is this? The card-to-patient check.
//!
//! A care facility may keep many residents' cards in one drawer. The roster
//! the phone keeps carries, for each patient whose card the clinic already
//! knows, the SHA-256 fingerprint of that card's 利用者証明用 certificate
//! (never the 個人番号). Right after the certificate is read — before any
//! PIN or 照合番号B is sent — the session compares:
//!
//! | the card is… | then |
//! |---|---|
//! | the patient's enrolled card | go on ([`CardMatch::Enrolled`]) |
//! | another roster patient's card | stop, naming that patient |
//! | unknown, and the patient has an enrolled card | staff confirm (a reissued card?), then go on ([`CardMatch::NewCardConfirmed`]); the clinic reviews it |
//! | unknown, and the patient has none | go on ([`CardMatch::FirstCard`]) |
//!
//! It works offline, from the kept roster.

use serde::{Deserialize, Serialize};

/// A patient whose card the clinic knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownCard {
    pub patient_id: String,
    pub patient_name: String,
    /// SHA-256 of the certificate's DER, lower-case hex.
    pub fingerprint: String,
}

/// What the session knows about cards for this visit. The default is no
/// roster: nothing to compare with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardCheck {
    /// The fingerprint of the visited patient's enrolled card, if any.
    pub expected: Option<String>,
    /// Every other patient on the kept roster with a known card.
    pub others: Vec<KnownCard>,
}

/// How the card read relates to the patient: kept in the visit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[serde(deny_unknown_fields)]
pub enum CardMatch {
    /// The patient's enrolled card.
    Enrolled,
    /// No card is on file for the patient, and this card is no one else's.
    FirstCard,
    /// The patient has another card on file; staff confirmed this one (a
    /// reissued card?). The clinic reviews it before enrolling it.
    NewCardConfirmed { previous_fingerprint: String },
    /// No roster was available for the check (a visit outside the round).
    NotChecked,
}

/// The check's verdict on one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Proceed(CardMatch),
    /// The card is another roster patient's: stop.
    OtherPatient(KnownCard),
    /// An unknown card for a patient who has a known one: staff must confirm.
    Unconfirmed {
        fingerprint: String,
    },
}

impl CardCheck {
    fn has_roster(&self) -> bool {
        self.expected.is_some() || !self.others.is_empty()
    }

    /// Judges the card with this fingerprint. `confirmed` is the fingerprint
    /// staff already confirmed as the patient's new card, if any.
    pub fn judge(&self, fingerprint: &str, confirmed: Option<&str>) -> Verdict {
        if self.expected.as_deref() == Some(fingerprint) {
            return Verdict::Proceed(CardMatch::Enrolled);
        }
        if let Some(other) = self.others.iter().find(|k| k.fingerprint == fingerprint) {
            return Verdict::OtherPatient(other.clone());
        }
        match &self.expected {
            Some(previous) if confirmed == Some(fingerprint) => {
                Verdict::Proceed(CardMatch::NewCardConfirmed {
                    previous_fingerprint: previous.clone(),
                })
            }
            Some(_) => Verdict::Unconfirmed { fingerprint: fingerprint.to_owned() },
            None if self.has_roster() => Verdict::Proceed(CardMatch::FirstCard),
            None => Verdict::Proceed(CardMatch::NotChecked),
        }
    }
}

/// What staff read when the card is another patient's.
pub fn other_patient_message_ja(other: &KnownCard) -> String {
    format!(
        "このカードは{}さんのカードです。訪問先の患者さんご本人のカードか確認し、正しいカードを当ててください。",
        other.patient_name
    )
}

/// What staff read when the card is not the one on file.
pub fn new_card_message_ja() -> String {
    "この患者さんについて登録されているカードと違うカードです。再発行されたカードか、ご本人に確認してください。\
     ご本人の新しいカードであれば「新しいカードとして続ける」を選んでください(クリニックで確認します)。"
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> CardCheck {
        CardCheck {
            expected: Some("aa".into()),
            others: vec![KnownCard {
                patient_id: "p2".into(),
                patient_name: "鈴木 花子".into(),
                fingerprint: "bb".into(),
            }],
        }
    }

    #[test]
    fn the_enrolled_card_goes_on_and_another_patients_card_stops() {
        assert_eq!(check().judge("aa", None), Verdict::Proceed(CardMatch::Enrolled));
        match check().judge("bb", None) {
            Verdict::OtherPatient(k) => {
                assert_eq!(k.patient_id, "p2");
                assert!(other_patient_message_ja(&k).contains("鈴木 花子"));
            }
            other => panic!("{other:?}"),
        }
        // Even a confirmation cannot make another patient's card this one's.
        assert!(matches!(check().judge("bb", Some("bb")), Verdict::OtherPatient(_)));
    }

    #[test]
    fn an_unknown_card_needs_staff_confirmation_when_the_patient_has_a_known_one() {
        assert_eq!(check().judge("cc", None), Verdict::Unconfirmed { fingerprint: "cc".into() });
        assert_eq!(
            check().judge("cc", Some("cc")),
            Verdict::Proceed(CardMatch::NewCardConfirmed { previous_fingerprint: "aa".into() })
        );
        assert!(matches!(check().judge("cc", Some("dd")), Verdict::Unconfirmed { .. }));
        let first = CardCheck { expected: None, ..check() };
        assert_eq!(first.judge("cc", None), Verdict::Proceed(CardMatch::FirstCard));
        assert_eq!(CardCheck::default().judge("cc", None), Verdict::Proceed(CardMatch::NotChecked));
    }
}
