// SPDX-License-Identifier: MPL-2.0
//! The documents beside the card: the 資格確認書, the お知らせ (and its
//! share period for 70 and over), the 高齢受給者証, the 限度額 certificates.

use chrono::NaiveDate;

use super::{as_confirmed, Builder, ShareKind};
use crate::reception::policy::RuleId;
use crate::reception::situation::{Document, InsurerKind, Setting, Situation};

/// A 資格確認書 valid on `d`: its printed share and insurer kind.
pub(super) fn valid_kakuninsho(s: &Situation, d: NaiveDate) -> Option<(Option<u8>, InsurerKind)> {
    s.documents.iter().find_map(|doc| match doc {
        Document::Kakuninsho { valid_until, share_printed, insurer_kind, .. }
            if d <= *valid_until =>
        {
            Some((*share_printed, *insurer_kind))
        }
        _ => None,
    })
}

pub(super) fn accept_kakuninsho(b: &mut Builder<'_>, share: Option<u8>) {
    b.uses(RuleId::KakuninshoMaxValidity);
    let text = match share {
        Some(w) => format!("資格確認書の負担割合({w}割)"),
        None => "資格確認書の負担割合".into(),
    };
    b.accept(
        "資格確認書(有効期限内)".into(),
        as_confirmed(&text, share),
        "資格確認書の被保険者番号等で請求".into(),
    );
}

/// The former 健康保険証, if presented: its insurer and printed expiry.
pub(super) fn health_card(s: &Situation) -> Option<(InsurerKind, Option<NaiveDate>)> {
    s.documents.iter().find_map(|doc| match doc {
        Document::HealthInsuranceCard { insurer_kind, valid_until } => {
            Some((*insurer_kind, *valid_until))
        }
        _ => None,
    })
}

/// Accepts a former 健康保険証 still valid on the date (its insurer's end
/// of the transitional period, and its printed expiry).
pub(super) fn accept_valid_health_card(b: &mut Builder<'_>, s: &Situation) -> bool {
    let d = s.date;
    let Some((kind, printed)) = health_card(s) else { return false };
    let end = b.policy.rule(kind.old_card_rule());
    if !(end.active_on(d) && printed.is_none_or(|p| d <= p)) {
        return false;
    }
    let until = b.uses(kind.old_card_rule()).effective_until;
    b.accept(
        format!(
            "従来の健康保険証({}、経過措置により{}まで有効)",
            kind.name_ja(),
            until.map_or("-".into(), |e| e.to_string())
        ),
        as_confirmed("保険証の負担割合", None),
        "保険証の被保険者番号等で請求".into(),
    );
    true
}

/// The question to ask first when the card cannot be checked: the
/// 資格確認書 (every 後期高齢者 holds one from 2025-08-01), or the former
/// 保険証 while it is still valid; where to look, by the setting.
pub(super) fn ask_kakuninsho(b: &mut Builder<'_>, s: &Situation) -> String {
    b.uses(RuleId::KakuninshoFirst);
    let d = s.date;
    let insurer = s.likely_insurer();
    let for_all = b.policy.rule(RuleId::KoukiCertificateForAll);
    let kouki_2024 = b.policy.rule(RuleId::Kouki202412);
    let until = |r: &crate::reception::policy::Rule| {
        r.effective_until.map_or("-".into(), |u| u.to_string())
    };
    let lead = if insurer == Some(InsurerKind::Kouki) && for_all.active_on(d) {
        b.uses(RuleId::KoukiCertificateForAll);
        format!("後期高齢者には{}まで使える資格確認書が全員に交付されています。", until(for_all))
    } else if insurer == Some(InsurerKind::Kouki) && kouki_2024.active_on(d) {
        b.uses(RuleId::Kouki202412);
        String::new()
    } else {
        String::new()
    };
    // The former 保険証 while its insurer's transitional period lasts.
    let old_card_until = match insurer {
        Some(k) => {
            let r = b.policy.rule(k.old_card_rule());
            r.active_on(d).then(|| until(r))
        }
        None => [InsurerKind::Employee, InsurerKind::Kokuho, InsurerKind::Kouki]
            .iter()
            .any(|k| b.policy.rule(k.old_card_rule()).active_on(d))
            .then(|| "券面の有効期限".to_owned()),
    };
    let or_card =
        old_card_until.map(|u| format!("(または{u}まで使える従来の保険証)")).unwrap_or_default();
    let where_ = match s.setting {
        Setting::Home => "家の中にあれば出してもらう",
        Setting::Facility => "施設で預かっていないかも確かめる",
        Setting::Clinic => "持っていなければ、家族に届けてもらえないか聞く",
        Setting::Consultation => "入院先に預けていないかも確かめる",
    };
    format!("{lead}資格確認書{or_card}を持っていないか確かめ、あれば見せてもらう({where_})")
}

/// The お知らせ, if presented: its printed share, unless the share's own
/// period (70 and over) has ended — then no share, and a warning.
pub(super) fn notice_share(b: &mut Builder<'_>, s: &Situation) -> Option<Option<u8>> {
    s.documents.iter().find_map(|doc| match doc {
        Document::QualificationNotice { share_printed, share_valid_until } => {
            match share_valid_until {
                Some(until) if s.date > *until => {
                    b.warn(
                        RuleId::NoticeElderlySharePeriod,
                        format!(
                            "資格情報のお知らせの負担割合は{until}までのものです。新しいお知らせか高齢受給者証で今の負担割合を確認してください"
                        ),
                    );
                    Some(None)
                }
                _ => Some(*share_printed),
            }
        }
        _ => None,
    })
}

/// Expired 資格確認書: say so; for the 後期高齢者 mass issue, what comes next.
pub(super) fn expired_kakuninsho(b: &mut Builder<'_>, s: &Situation) {
    let d = s.date;
    for doc in &s.documents {
        if let Document::Kakuninsho { valid_until, insurer_kind, .. } = doc {
            if d <= *valid_until {
                continue;
            }
            let mut text = format!("資格確認書の有効期限({valid_until})が切れています");
            let for_all = b.policy.rule(RuleId::KoukiCertificateForAll);
            if *insurer_kind == InsurerKind::Kouki && for_all.effective_until == Some(*valid_until)
            {
                b.uses(RuleId::KoukiCertificateForAll);
                let after = b.policy.rule(RuleId::KoukiFrom202608);
                if after.active_on(d) {
                    let all_from = after.param_u32("all_from_age").unwrap_or(85);
                    text.push_str(&format!(
                        "。後期高齢者の一斉交付分です。新しい資格確認書({all_from}歳以上は全員に交付)\
                         または資格情報のお知らせが届いていないか確認してください"
                    ));
                    b.warn(RuleId::KoukiFrom202608, text);
                    continue;
                }
            }
            b.warn(RuleId::KakuninshoMaxValidity, text);
        }
    }
}

/// 70–74 on a 資格確認書 or お知らせ without a printed share: the
/// 高齢受給者証 must be shown.
pub(super) fn elderly_share(
    b: &mut Builder<'_>,
    s: &Situation,
    printed_share_needed: Option<Option<u8>>,
) {
    let (Some(None), Some(a)) = (printed_share_needed, s.age()) else { return };
    let rule = b.policy.rule(RuleId::KakuninshoElderlyShare);
    let (from, until) =
        (rule.param_u32("from_age").unwrap_or(70), rule.param_u32("until_age").unwrap_or(75));
    let has_elderly = s.documents.iter().any(|doc| {
        matches!(doc, Document::ElderlyRecipientCertificate { valid_until, .. } if s.date <= *valid_until)
    });
    if (from..until).contains(&a) && !has_elderly {
        b.next("高齢受給者証の提示を求める(負担割合の記載がないため)");
        b.warn(
            RuleId::KakuninshoElderlyShare,
            format!("{from}〜{}歳で負担割合の記載がありません。高齢受給者証で負担割合を確認してください", until - 1),
        );
    }
}

/// The 高齢受給者証 and the 限度額 certificates.
pub(super) fn certificates(b: &mut Builder<'_>, s: &Situation) {
    let d = s.date;
    for doc in &s.documents {
        match doc {
            Document::ElderlyRecipientCertificate { valid_until, share } => {
                let renewal = b.uses(RuleId::ElderlyRecipientRenewal);
                let (m, day) = (
                    renewal.param_u32("renewal_month").unwrap_or(8),
                    renewal.param_u32("renewal_day").unwrap_or(1),
                );
                if d > *valid_until {
                    b.warn(
                        RuleId::ElderlyRecipientRenewal,
                        format!("高齢受給者証の有効期限({valid_until})が切れています。{m}月{day}日に更新された新しい証を確認してください"),
                    );
                } else if b.a.share.kind == ShareKind::AsConfirmed && b.a.share.wari.is_none() {
                    b.a.share.wari = Some(*share);
                    b.a.share.text = format!("{share}割(高齢受給者証)");
                }
            }
            Document::LimitCertificate { valid_until } => {
                b.uses(RuleId::LimitCertificatesUntilExpiry);
                if d > *valid_until {
                    b.warn(
                        RuleId::LimitCertificatesUntilExpiry,
                        format!("限度額適用認定証等の有効期限({valid_until})が切れています"),
                    );
                } else {
                    b.follow(&format!("限度額適用認定証等は有効期限({valid_until})まで使えます"));
                }
            }
            _ => {}
        }
    }
}
