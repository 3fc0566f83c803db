// SPDX-License-Identifier: MPL-2.0
//! Reception guidance for the shells' guidance screen: the situation at the
//! door as typed records (`input.rs`, the same inputs as `houmon assess`),
//! the answer ready to render, in the order staff act.

mod input;

use houmon_core::reception::{self as r, assess, Policy};
pub use input::*;

use crate::renewal::RenewalAdvice;
use crate::HoumonError;

/// What staff do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReceptionDecision {
    /// Care goes ahead at the share shown.
    Accept,
    /// Try the steps first; the share is decided after them.
    TryFirst,
    /// Every step failed: 10割 (療養費).
    FullCharge,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidanceWarning {
    pub text: String,
    /// Rests on a fact marked uncertain: show as 要確認.
    pub uncertain: bool,
}

/// The assessment, ready to render (Japanese).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionGuidance {
    pub decision: ReceptionDecision,
    /// The first line staff read.
    pub headline: String,
    pub accepted: bool,
    pub basis: String,
    pub share_text: String,
    /// In 割 (0–3, 10 for the full charge), when known now.
    pub share_wari: Option<u8>,
    /// In order: what to do now, before the charge is decided.
    pub next_checks: Vec<String>,
    /// The steps already taken, as entered.
    pub tried: Vec<String>,
    /// Fields of the 被保険者資格申立書, when one is needed.
    pub declaration_fields: Vec<String>,
    pub follow_up: Vec<String>,
    pub claim_steps: Vec<String>,
    pub tekiyo: Option<String>,
    pub warnings: Vec<GuidanceWarning>,
    pub rule_ids: Vec<String>,
    /// The whole guidance as plain text.
    pub text: String,
    /// The renewal coach, when the card's certificate expires within 3
    /// months, is in its grace or past it.
    pub renewal: Option<RenewalAdvice>,
    /// How to take the consent to view the patient's information.
    pub consent: Vec<String>,
}

/// Assesses a situation against the policy table shipped with the core, or
/// a newer one from the clinic server (`policy_json`; a broken one falls
/// back to the shipped table).
#[uniffi::export]
pub fn assess_reception(
    situation: ReceptionSituation,
    policy_json: Option<String>,
) -> Result<ReceptionGuidance, HoumonError> {
    let situation: r::Situation = situation.try_into()?;
    let policy = match policy_json {
        Some(json) => match Policy::from_json(&json) {
            Ok(p) => Policy::embedded().newer(p),
            Err(e) => {
                tracing::warn!(error = %e, "server policy table refused; using the embedded one");
                Policy::embedded()
            }
        },
        None => Policy::embedded(),
    };
    let a = assess(&situation, &policy)?;
    Ok(ReceptionGuidance {
        decision: match a.decision {
            r::Decision::Accept => ReceptionDecision::Accept,
            r::Decision::TryFirst => ReceptionDecision::TryFirst,
            r::Decision::FullCharge => ReceptionDecision::FullCharge,
        },
        headline: a.headline().into(),
        accepted: a.accepted,
        basis: a.basis.clone(),
        share_text: a.share.text.clone(),
        share_wari: a.share.wari,
        next_checks: a.next_checks.clone(),
        tried: a.tried.clone(),
        declaration_fields: a.declaration.as_ref().map(|d| d.fields.clone()).unwrap_or_default(),
        follow_up: a.follow_up.clone(),
        claim_steps: a.claim_path.iter().map(|c| c.text.clone()).collect(),
        tekiyo: a.tekiyo.clone(),
        warnings: a
            .warnings
            .iter()
            .map(|w| GuidanceWarning { text: w.text.clone(), uncertain: w.uncertain })
            .collect(),
        rule_ids: a.rules.iter().map(|r| r.id.clone()).collect(),
        text: a.to_text(),
        renewal: a.renewal.as_ref().map(Into::into),
        consent: a.consent.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::CalendarDate;
    use crate::renewal::{CertificateCarrier, RenewalKind};

    fn date(year: i32, month: u8, day: u8) -> CalendarDate {
        CalendarDate { year, month, day }
    }

    fn situation(documents: Vec<PresentedDocument>) -> ReceptionSituation {
        ReceptionSituation {
            date: date(2026, 11, 26),
            birth_date: None,
            age: Some(45),
            insurer_kind: None,
            history: VisitHistory::FirstVisit,
            online_check: OnlineCheck::Now,
            documents,
            identity: None,
            tried: vec![],
            setting: CareSetting::Home,
            general_purpose_reader: false,
        }
    }

    fn card(kind: Option<MynaCardKind>, carrier: Option<CertificateCarrier>) -> PresentedDocument {
        PresentedDocument::MynaCard {
            status: CardStatus::CannotCheck { reason: CannotCheck::DeviceOrCardFault },
            certificate_expiry: None,
            card_kind: kind,
            carrier,
        }
    }

    #[test]
    fn a_photo_less_card_from_the_shell_is_pin_only() {
        let mut s = situation(vec![card(Some(MynaCardKind::NoPhoto), None)]);
        s.identity = Some(IdentityCheck::PinUnavailable { why: PinUnavailable::Forgotten });
        let g = assess_reception(s.clone(), None).unwrap();
        assert!(g.rule_ids.iter().any(|r| r == "photo-less-card-pin-only"), "{}", g.text);
        assert!(!g.next_checks.iter().any(|n| n.contains("目視確認")));
        s.documents = vec![card(None, None)];
        let standard = assess_reception(s.clone(), None).unwrap();
        assert_eq!(standard.decision, ReceptionDecision::TryFirst, "a standard card: 目視 first");
        s.identity = Some(IdentityCheck::Visual);
        s.documents = vec![card(Some(MynaCardKind::NoPhoto), None)];
        let e = assess_reception(s, None).unwrap_err();
        assert!(e.to_string().contains("reception.invalid-input"), "{e}");
    }

    #[test]
    fn the_renewal_coach_and_the_consent_reach_the_guidance() {
        let mut phone = card(None, Some(CertificateCarrier::Smartphone));
        if let PresentedDocument::MynaCard { status, certificate_expiry, .. } = &mut phone {
            *status = CardStatus::Confirmed;
            *certificate_expiry = Some(date(2026, 11, 25));
        }
        let g = assess_reception(situation(vec![phone]), None).unwrap();
        let r = g.renewal.expect("the coach");
        assert_eq!((r.kind, r.carrier), (RenewalKind::Expired, CertificateCarrier::Smartphone));
        let mut s = situation(vec![PresentedDocument::MynaCard {
            status: CardStatus::Confirmed,
            certificate_expiry: None,
            card_kind: None,
            carrier: None,
        }]);
        s.general_purpose_reader = true;
        let g = assess_reception(s, None).unwrap();
        assert!(g.consent.iter().any(|c| c.contains("同意書")), "{:?}", g.consent);
    }

    #[test]
    fn face_recognition_at_the_desk_and_the_kakuninsho_issue_date_cross() {
        let mut s = situation(vec![card(None, None)]);
        s.setting = CareSetting::Clinic;
        s.identity = Some(IdentityCheck::PinUnavailable { why: PinUnavailable::Forgotten });
        s.tried = vec![StepTaken {
            step: ReceptionStep::FaceRecognition,
            result: StepResult::Failed,
            share: None,
        }];
        let g = assess_reception(s, None).unwrap();
        assert!(g.rule_ids.iter().any(|r| r == "visual-check-at-reader"), "{}", g.text);
        let k = situation(vec![PresentedDocument::Kakuninsho {
            insurer_kind: InsurerKind::Employee,
            valid_until: date(2030, 1, 1),
            issued_on: Some(date(2024, 12, 3)),
            share_printed: Some(3),
        }]);
        assert!(assess_reception(k, None).is_err(), "more than 5 years from its issue");
    }
}
