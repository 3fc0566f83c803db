// SPDX-License-Identifier: MPL-2.0
//! The engine: from a [`Situation`] and a [`Policy`] to an [`Assessment`].
//!
//! The decision follows the order the Ministry gives (保発0710第1号 and the
//! 2024-12-02 rules), and the answer follows the order staff act:
//!
//! 1. 生活保護 (医療扶助): 公費, never 10割 (`public.rs`).
//! 2. A マイナ保険証 checked online → accepted. If it cannot be checked:
//!    the card with the マイナポータル screen or the お知らせ, or a valid
//!    資格確認書; if the PIN could not be used, 目視 first; otherwise the
//!    被保険者資格申立書 (first visit) or the past record (return visit)
//!    (`claims.rs`). A card not registered for 保険証 use is no card.
//! 3. No card: a valid 資格確認書, or (until its end date) the old 保険証;
//!    the temporary measure for an expired 保険証 or a お知らせ alone where
//!    it applies; otherwise the steps to try — the card, the family, the
//!    insurer — and 10割 only once all of them failed (`steps.rs`).
//! 4. 公費受給者証, 高齢受給者証 and the other certificates adjust the share
//!    and the claim; where the card cannot be used, who can get a 資格確認書
//!    and where (`documents.rs`, `advice.rs`).
//!
//! Dates and parameters come from the table.

mod advice;
mod claims;
mod consent;
mod documents;
mod identity;
pub mod output;
mod public;
mod steps;

use super::policy::{Policy, Rule, RuleId};
use super::situation::{CannotCheck, CardStatus, Document, Setting, Situation, Step, StepResult};
use super::ReceptionError;
pub use output::{
    AppliedRule, Assessment, ClaimStep, Decision, Declaration, Share, ShareKind, Warning,
};

pub(super) struct Builder<'p> {
    policy: &'p Policy,
    a: Assessment,
}

impl<'p> Builder<'p> {
    fn uses(&mut self, id: RuleId) -> &'p Rule {
        let r = self.policy.rule(id);
        if !self.a.rules.iter().any(|x| x.id == id.as_str()) {
            self.a.rules.push(AppliedRule {
                id: r.id.clone(),
                source: r.source.clone(),
                uncertain: r.uncertain,
            });
        }
        r
    }

    fn warn(&mut self, id: RuleId, text: String) {
        let r = self.uses(id);
        let uncertain = r.uncertain;
        let text = match (&r.uncertain_note, uncertain) {
            (Some(n), true) => format!("{text}(要確認: {n})"),
            _ => text,
        };
        self.a.warnings.push(Warning { rule_id: id.as_str().into(), text, uncertain });
    }

    fn next(&mut self, s: &str) {
        if !self.a.next_checks.iter().any(|x| x == s) {
            self.a.next_checks.push(s.into());
        }
    }

    fn follow(&mut self, s: &str) {
        if !self.a.follow_up.iter().any(|x| x == s) {
            self.a.follow_up.push(s.into());
        }
    }

    fn accept(&mut self, basis: String, share: Share, claim_first: String) {
        self.a.decision = Decision::Accept;
        self.a.basis = basis;
        self.a.share = share;
        self.a.claim_path = vec![ClaimStep { order: 1, text: claim_first }];
    }
}

fn as_confirmed(text: &str, wari: Option<u8>) -> Share {
    Share { kind: ShareKind::AsConfirmed, wari, text: text.into() }
}

/// What the card is, once its certificate dates and registration are
/// taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Card {
    /// No card at all (or it is not here).
    None,
    /// A card that is not registered for 保険証 use: not a マイナ保険証.
    NotRegistered,
    Checked(CardStatus),
    /// The certificate expired past the grace: cannot be checked by card.
    ExpiredPastGrace,
}

/// Assesses a situation. Errors only for invalid input.
pub fn assess(s: &Situation, policy: &Policy) -> Result<Assessment, ReceptionError> {
    let max_years = policy.rule(RuleId::KakuninshoMaxValidity).param_u32("max_years").unwrap_or(5);
    s.validate(max_years)?;
    let mut b = Builder { policy, a: Assessment::empty(s.date) };
    b.a.tried = s
        .tried
        .iter()
        .map(|t| {
            let result = match (t.result, t.share) {
                (StepResult::Confirmed, Some(w)) => format!("確認できた({w}割)"),
                (StepResult::Confirmed, None) => "確認できた".into(),
                (StepResult::Failed, _) => "確認できなかった".into(),
                (StepResult::Pending, _) => "対応中".into(),
            };
            format!("{} → {result}", t.step.text_ja())
        })
        .collect();

    if s.setting == Setting::Consultation {
        b.uses(RuleId::AppAtConsultation);
        if s.card().is_none() {
            b.next("マイナ保険証はこの端末で確認できる(アプリは病院への対診でも使えます)");
        }
        b.next("入院先の医療機関に、資格確認の結果と負担割合を確認する");
        b.warn(
            RuleId::ConsultationBilling,
            "対診では通常、入院先の医療機関が保険請求し、資格確認も入院先で行われています。\
             費用の扱いは入院先と合議してください"
                .into(),
        );
    }

    if public::medical_assistance(&mut b, s) {
        documents::certificates(&mut b, s);
        b.a.accepted = b.a.decision == Decision::Accept;
        return Ok(b.a);
    }

    let card = advice::card(&mut b, s);
    let mut printed_share_needed: Option<Option<u8>> = None;
    match card {
        Card::Checked(CardStatus::Confirmed) => {
            b.accept(
                "マイナ保険証で本人確認し、オンライン資格確認で有効を確認".into(),
                as_confirmed("オンライン資格確認の結果の負担割合", None),
                "オンライン資格確認で取得した被保険者番号等で請求".into(),
            );
        }
        Card::Checked(CardStatus::CannotCheck { reason }) => {
            printed_share_needed = with_card_unchecked(&mut b, s, Some(reason));
        }
        Card::ExpiredPastGrace => {
            printed_share_needed = with_card_unchecked(&mut b, s, None);
        }
        Card::None | Card::NotRegistered => {
            printed_share_needed = steps::without_card(&mut b, s, card);
        }
    }
    documents::elderly_share(&mut b, s, printed_share_needed);
    documents::certificates(&mut b, s);
    public::certificate(&mut b, s);
    advice::kakuninsho(&mut b, s, card);
    let identified = [Step::VisualCheck, Step::FaceRecognition]
        .iter()
        .any(|step| s.result_of(*step).is_some_and(|a| a.result == StepResult::Confirmed));
    let card_checked = card == Card::Checked(CardStatus::Confirmed)
        || (matches!(card, Card::Checked(_)) && identified && b.a.decision == Decision::Accept);
    consent::guidance(&mut b, s, card_checked);
    if s.online_check == super::OnlineCheck::Later
        && b.a.decision == Decision::Accept
        && card != Card::Checked(CardStatus::Confirmed)
    {
        b.follow("オンライン資格確認ができるようになったら、被保険者番号等で照会する(事後確認)");
    }
    b.a.accepted = b.a.decision == Decision::Accept;
    Ok(b.a)
}

/// A card is here but the online check did not confirm: identity by 目視
/// or 顔認証 if that was the trouble; the 資格確認書 (or a 保険証 still
/// valid), then the portal screen or the お知らせ with the card; otherwise
/// the 申立書 or the past record — asking for the 資格確認書 first.
/// Returns the printed share the acceptance rests on, if any.
fn with_card_unchecked(
    b: &mut Builder<'_>,
    s: &Situation,
    reason: Option<CannotCheck>,
) -> Option<Option<u8>> {
    let d = s.date;
    if reason == Some(CannotCheck::NoNetwork) {
        b.follow("「有効」はオンライン資格確認の結果が出るまで表示しない");
    }
    for step in [Step::VisualCheck, Step::FaceRecognition] {
        if let Some(seen) = s.result_of(step).filter(|a| a.result == StepResult::Confirmed) {
            b.uses(RuleId::VisualWhenPinUnavailable);
            b.accept(
                step.confirmed_basis_ja().into(),
                as_confirmed("オンライン資格確認の結果の負担割合", seen.share),
                "オンライン資格確認で取得した被保険者番号等で請求".into(),
            );
            return None;
        }
    }
    if let Some((share, _)) = documents::valid_kakuninsho(s, d) {
        documents::accept_kakuninsho(b, share);
        return Some(share);
    }
    if documents::accept_valid_health_card(b, s) {
        return None;
    }
    let portal = s.documents.iter().any(|doc| matches!(doc, Document::PortalScreen));
    if portal {
        b.uses(RuleId::PortalScreenWithCard);
        b.accept(
            "マイナ保険証+マイナポータルの資格情報画面(PDFを含む)。追加で保険証の提示は不要".into(),
            as_confirmed("マイナポータル画面の負担割合", None),
            "画面で確認した被保険者番号等で請求".into(),
        );
        return None;
    }
    if let Some(share) = documents::notice_share(b, s) {
        b.uses(RuleId::NoticeNeedsCard);
        let text = match share {
            Some(w) => format!("資格情報のお知らせの負担割合({w}割)"),
            None => "資格情報のお知らせの負担割合".into(),
        };
        b.accept(
            "マイナ保険証+資格情報のお知らせ。追加で保険証の提示は不要".into(),
            as_confirmed(&text, share),
            "お知らせに記載の被保険者番号等で請求".into(),
        );
        return Some(share);
    }
    documents::expired_kakuninsho(b, s);
    // The PIN could not be used: 目視 (or 顔認証 at a desk) before any 申立書.
    if identity::route(b, s) {
        return None;
    }
    let ask = documents::ask_kakuninsho(b, s);
    b.next(&ask);
    b.uses(RuleId::PortalScreenWithCard);
    b.next("資格確認書がなければ、マイナポータルの資格情報画面(またはPDF)か資格情報のお知らせを見せてもらえないか聞く");
    claims::declaration_or_record(b, s, reason);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_grace_months_match_the_card_layer() {
        let p = Policy::embedded();
        assert_eq!(
            p.rule(RuleId::CertificateGrace).param_u32("months"),
            Some(crate::card::cert::GRACE_MONTHS)
        );
        assert_eq!(
            p.rule(RuleId::CertificateRenewalWindow).param_u32("months_before"),
            Some(crate::renewal::NOTICE_MONTHS),
            "the renewal coach opens when the table's window does"
        );
    }

    #[test]
    fn insurer_kinds_name_their_office() {
        use crate::reception::InsurerKind;
        for k in [InsurerKind::Kokuho, InsurerKind::Employee, InsurerKind::Kouki] {
            assert!(!k.office_ja().is_empty());
        }
    }
}
