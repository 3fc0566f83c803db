// SPDX-License-Identifier: MPL-2.0
//! The consent to view the patient's information, once the card was read
//! and checked: 一括 or 個別, an earlier 個別同意 carried over, and paper
//! consent where the card is read with a 汎用カードリーダー.

use super::Builder;
use crate::reception::policy::RuleId;
use crate::reception::situation::{History, Situation};

/// What to say about consent (nothing when no card was read and checked,
/// or when the certificate is in its grace: no information can be viewed).
pub(super) fn guidance(b: &mut Builder<'_>, s: &Situation, card_checked: bool) {
    let in_grace =
        b.a.renewal.as_ref().is_some_and(|r| r.kind == crate::renewal::RenewalKind::InGrace);
    if !card_checked || in_grace {
        return;
    }
    if s.general_purpose_reader {
        b.uses(RuleId::ConsentPaper);
        b.a.consent.push(
            "汎用カードリーダーには同意の画面がないため、医療機関等向け総合ポータルサイトの同意書\
             (「（雛形）_手術・診療・薬剤・健診・６情報・特定疾病療養受療証情報・診療情報提供書に係る同意書」)で\
             情報の閲覧について説明し、書面で同意をもらう"
                .into(),
        );
        return;
    }
    b.uses(RuleId::ConsentChoice);
    b.a.consent.push(
        "情報の閲覧への同意は、一括同意(まとめて)か個別同意(情報ごと)を患者に選んでもらう".into(),
    );
    let carry = b.policy.rule(RuleId::ConsentCarryOver);
    if matches!(s.history, History::ReturnVisit { .. }) && carry.active_on(s.date) {
        b.uses(RuleId::ConsentCarryOver);
        let note =
            carry.uncertain_note.clone().map(|n| format!("(要確認: {n})")).unwrap_or_default();
        b.a.consent.push(format!(
            "以前に個別同意をした方は、前回の同意を引き継げます(個別同意の引継ぎ機能){note}"
        ));
    }
}
