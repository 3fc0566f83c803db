// SPDX-License-Identifier: MPL-2.0
//! The card's own dates (renewal window, the grace after expiry), a card
//! that is not a マイナ保険証, and — whenever the card cannot be used — who
//! can get a 資格確認書 and where to ask.

use super::{Builder, Card, Decision};
use crate::reception::policy::RuleId;
use crate::reception::situation::{
    CannotCheck, CardAbsence, CardStatus, Document, Identity, InsurerKind, PinUnavailable,
    Situation,
};
use crate::renewal::{self, CertificateCarrier, RenewalKind, Terms};

/// What the card is on this date, with the renewal coach's advice and the
/// warnings its dates call for (lengths from the table).
pub(super) fn card(b: &mut Builder<'_>, s: &Situation) -> Card {
    let d = s.date;
    let Some((status, expiry, _, carrier)) = s.card() else { return Card::None };
    if status == (CardStatus::CannotCheck { reason: CannotCheck::NotRegistered }) {
        return Card::NotRegistered;
    }
    let Some(expiry) = expiry else { return Card::Checked(status) };
    let terms = Terms {
        notice_months: b
            .policy
            .rule(RuleId::CertificateRenewalWindow)
            .param_u32("months_before")
            .unwrap_or(renewal::NOTICE_MONTHS),
        grace_months: b
            .policy
            .rule(RuleId::CertificateGrace)
            .param_u32("months")
            .unwrap_or(renewal::GRACE_MONTHS),
    };
    let advice = renewal::advise_with(terms, expiry, d, carrier);
    let phone = carrier == CertificateCarrier::Smartphone;
    let kind = advice.kind;
    let title = advice.title.clone();
    b.a.renewal = advice.into_needed();
    match kind {
        RenewalKind::None => {}
        RenewalKind::ExpiringSoon => {
            b.warn(RuleId::CertificateRenewalWindow, format!("{title}。更新するよう伝えてください"));
            if phone {
                b.uses(RuleId::SmartphoneNoGrace);
            }
        }
        RenewalKind::InGrace => b.warn(
            RuleId::CertificateGrace,
            format!("{title}。その間、医療情報(薬剤情報等)は取得できません。市区町村の窓口で更新するよう伝えてください"),
        ),
        RenewalKind::Expired => {
            let rule = if phone { RuleId::SmartphoneNoGrace } else { RuleId::CertificateGrace };
            b.warn(rule, format!("{title}。このマイナ保険証では資格確認できません"));
            return Card::ExpiredPastGrace;
        }
    }
    Card::Checked(status)
}

/// Whenever the card cannot be used (and nothing else was accepted): who
/// gets a 資格確認書, and where to ask (a family member or 介助者 may apply).
pub(super) fn kakuninsho(b: &mut Builder<'_>, s: &Situation, card: Card) {
    let absence = s.documents.iter().find_map(|doc| match doc {
        Document::CardNotHere { reason } => Some(*reason),
        _ => None,
    });
    let card_unusable = matches!(card, Card::None | Card::NotRegistered | Card::ExpiredPastGrace);
    let accepted_on_kakuninsho = b.a.basis.starts_with("資格確認書");
    let accepted_on_old_card = b.a.basis.starts_with("従来の健康保険証");
    if !card_unusable {
        // A patient who can no longer operate the card may ask for a 資格確認書.
        if s.identity == Some(Identity::PinUnavailable { why: PinUnavailable::CannotEnter })
            && !accepted_on_kakuninsho
        {
            b.uses(RuleId::KakuninshoWhoGetsOne);
            let proxy = proxy(b);
            b.follow(&format!(
                "マイナ保険証での受診が難しい方は、申請すれば資格確認書が交付されます{proxy}"
            ));
        }
        return;
    }
    if accepted_on_kakuninsho || accepted_on_old_card {
        return;
    }
    let d = s.date;
    let insurer = s.likely_insurer();
    let office = insurer.map_or("加入している保険者(国保は市区町村、後期高齢者は市区町村・広域連合、会社員は勤務先や健康保険組合)", InsurerKind::office_ja);
    let age = s.age();
    let kouki_2024 = b.policy.rule(RuleId::Kouki202412);
    let kouki_all = b.policy.rule(RuleId::KoukiCertificateForAll);
    let kouki_85 = b.policy.rule(RuleId::KoukiFrom202608);
    let kouki = insurer == Some(InsurerKind::Kouki);
    let advice = if kouki && kouki_all.active_on(d) {
        b.uses(RuleId::KoukiCertificateForAll);
        format!(
            "後期高齢者には{}まで使える資格確認書が申請なしで全員に交付されています。届いた資格確認書を持参してもらう",
            kouki_all.effective_until.map_or("-".into(), |u| u.to_string())
        )
    } else if kouki && kouki_2024.active_on(d) {
        b.uses(RuleId::Kouki202412);
        let until = kouki_2024.effective_until.map_or("-".into(), |u| u.to_string());
        format!(
            "後期高齢者医療の従来の保険証は{until}まで使えます。保険証を見せてもらう\
             (2024年12月2日以降に加入した方や、転居などで有効な保険証をお持ちでない方には資格確認書が交付されています)"
        )
    } else if kouki
        && kouki_85.active_on(d)
        && age.is_some_and(|a| a >= kouki_85.param_u32("all_from_age").unwrap_or(85))
    {
        b.uses(RuleId::KoukiFrom202608);
        format!(
            "{}歳以上の後期高齢者には資格確認書が申請なしで交付されています。届いた資格確認書を持参してもらう",
            kouki_85.param_u32("all_from_age").unwrap_or(85)
        )
    } else {
        b.uses(RuleId::KakuninshoWhoGetsOne);
        match (card, absence) {
            (Card::NotRegistered, _) => {
                b.a.warnings.push(super::Warning {
                    rule_id: RuleId::KakuninshoWhoGetsOne.as_str().into(),
                    text: "このマイナンバーカードは保険証として利用登録されていないため、マイナ保険証としては使えません\
                           (保険証利用登録はマイナポータルや医療機関のカードリーダーでできます)"
                        .into(),
                    uncertain: false,
                });
                "保険証利用登録のない方には資格確認書が申請なしで交付されています。届いた資格確認書を持参してもらう".into()
            }
            (Card::ExpiredPastGrace, _) => {
                "電子証明書の有効期限が切れた方には資格確認書が申請なしで交付されます。届いていれば持参してもらい、\
                 電子証明書は市区町村の窓口で更新してもらう"
                    .into()
            }
            (_, Some(CardAbsence::Lost | CardAbsence::BeingRenewed)) => {
                let proxy = proxy(b);
                format!(
                    "マイナンバーカードの紛失・更新中の方は、申請すれば資格確認書が交付されます{proxy}。申請先: {office}"
                )
            }
            _ => {
                let proxy = proxy(b);
                format!(
                    "マイナ保険証を使えない方には資格確認書が交付されます(カードのない方・利用登録のない方は申請なしで、\
                     カードでの受診が難しい方は申請で{proxy})。届いていれば持参してもらい、なければ申請を案内する。申請先: {office}"
                )
            }
        }
    };
    if b.a.decision == Decision::TryFirst {
        b.next(&advice);
    } else {
        b.follow(&advice);
    }
}

/// Who may apply for the patient.
fn proxy(b: &mut Builder<'_>) -> &'static str {
    b.uses(RuleId::KakuninshoProxy);
    "(本人が申請できなければ、家族などの法定代理人や介助者が代理で申請できます)"
}
