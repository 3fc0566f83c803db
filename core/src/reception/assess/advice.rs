// SPDX-License-Identifier: MPL-2.0
//! The card's own dates (renewal window, the grace after expiry), a card
//! that is not a マイナ保険証, and — whenever the card cannot be used — who
//! can get a 資格確認書 and where to ask.

use super::{Builder, Card, Decision};
use crate::cert::last_day_of_month_after;
use crate::reception::policy::RuleId;
use crate::reception::situation::{
    CannotCheck, CardAbsence, CardStatus, Document, InsurerKind, Situation,
};

/// What the card is on this date, with the warnings its dates call for.
pub(super) fn card(b: &mut Builder<'_>, s: &Situation) -> Card {
    let d = s.date;
    let Some((status, expiry)) = s.documents.iter().find_map(|doc| match doc {
        Document::MynaCard { status, certificate_expiry } => Some((*status, *certificate_expiry)),
        _ => None,
    }) else {
        return Card::None;
    };
    if status == (CardStatus::CannotCheck { reason: CannotCheck::NotRegistered }) {
        return Card::NotRegistered;
    }
    let Some(expiry) = expiry else { return Card::Checked(status) };
    let grace = b.policy.rule(RuleId::CertificateGrace);
    let months = grace.param_u32("months").unwrap_or(3);
    let grace_end = last_day_of_month_after(expiry, months);
    let window = b.policy.rule(RuleId::CertificateRenewalWindow);
    let before = window.param_u32("months_before").unwrap_or(3);
    let window_start = crate::cert::months_before(expiry, before);
    if d >= window_start && d <= expiry {
        b.warn(
            RuleId::CertificateRenewalWindow,
            format!(
                "電子証明書の有効期限({expiry})が近づいています。{window_start}から市区町村の窓口で更新できます。\
                 更新するよう伝えてください"
            ),
        );
    }
    if d > expiry && d <= grace_end {
        b.warn(
            RuleId::CertificateGrace,
            format!(
                "電子証明書の有効期限({expiry})が切れています。{grace_end}までは保険証として資格確認できますが、\
                 医療情報(薬剤情報等)は取得できません。市区町村の窓口で更新するよう伝えてください"
            ),
        );
    } else if d > grace_end {
        b.warn(
            RuleId::CertificateGrace,
            format!(
                "電子証明書の有効期限({expiry})から{months}か月後の月末({grace_end})も過ぎているため、\
                 マイナ保険証では資格確認できません。市区町村の窓口で更新するよう伝えてください"
            ),
        );
        return Card::ExpiredPastGrace;
    }
    Card::Checked(status)
}

/// Whenever the card cannot be used (and nothing else was accepted): who
/// gets a 資格確認書, and where to ask.
pub(super) fn kakuninsho(b: &mut Builder<'_>, s: &Situation, card: Card) {
    let absence = s.documents.iter().find_map(|doc| match doc {
        Document::CardNotHere { reason } => Some(*reason),
        _ => None,
    });
    let card_unusable = matches!(card, Card::None | Card::NotRegistered | Card::ExpiredPastGrace);
    let accepted_on_kakuninsho = b.a.basis.starts_with("資格確認書");
    if !card_unusable || accepted_on_kakuninsho {
        return;
    }
    let d = s.date;
    let insurer = s.insurer();
    let office = insurer.map_or("加入している保険者(国保は市区町村、後期高齢者は市区町村・広域連合、会社員は勤務先や健康保険組合)", InsurerKind::office_ja);
    let age = s.age();
    let kouki_all = b.policy.rule(RuleId::KoukiCertificateForAll);
    let kouki_85 = b.policy.rule(RuleId::KoukiFrom202608);
    let advice = if insurer == Some(InsurerKind::Kouki) && kouki_all.active_on(d) {
        b.uses(RuleId::KoukiCertificateForAll);
        format!(
            "後期高齢者には{}まで資格確認書が申請なしで全員に交付されています。届いた資格確認書を持参してもらう",
            kouki_all.effective_until.map_or("-".into(), |u| u.to_string())
        )
    } else if insurer == Some(InsurerKind::Kouki)
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
            (_, Some(CardAbsence::Lost | CardAbsence::BeingRenewed)) => format!(
                "マイナンバーカードの紛失・更新中の方は、申請すれば資格確認書が交付されます。申請先: {office}"
            ),
            _ => format!(
                "マイナ保険証を使えない方には資格確認書が交付されます(カードのない方・利用登録のない方は申請なしで、\
                 カードでの受診が難しい方は申請で)。届いていれば持参してもらい、なければ申請を案内する。申請先: {office}"
            ),
        }
    };
    if b.a.decision == Decision::TryFirst {
        b.next(&advice);
    } else {
        b.follow(&advice);
    }
}
