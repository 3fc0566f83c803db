// SPDX-License-Identifier: MPL-2.0
//! The engine: from a [`Situation`] and a [`Policy`] to an [`Assessment`].
//!
//! The decision follows the order the Ministry gives (保発0710第1号 and the
//! 2024-12-02 rules): a マイナ保険証 checked online; if it cannot be checked,
//! the card with the マイナポータル screen or the お知らせ, or a 資格確認書;
//! otherwise the 被保険者資格申立書 (first visit) or the past record (return
//! visit). Without a card: a valid 資格確認書 or (until its end date) the old
//! 保険証; the temporary measure for an expired 保険証 or a お知らせ alone;
//! otherwise 10割 on a first visit. Dates and parameters come from the table.

use chrono::NaiveDate;
use serde::Serialize;

use super::policy::{Policy, Rule, RuleId};
use super::situation::{
    CannotCheck, CardStatus, Document, History, InsurerKind, OnlineCheck, Situation,
};
use super::ReceptionError;
use crate::cert::last_day_of_month_after;

/// How the patient's share is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShareKind {
    /// As confirmed: the online result or the document presented.
    AsConfirmed,
    /// From the 被保険者資格申立書 (3割 etc.), confirmed afterwards.
    Declared,
    /// From the clinic's past record after oral confirmation.
    PastRecord,
    /// 10割; the patient claims 療養費 from the insurer.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub kind: ShareKind,
    /// In 割 (1–3, or 10 for the full charge), when known now.
    pub wari: Option<u8>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub form: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimStep {
    pub order: u8,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub rule_id: String,
    pub text: String,
    /// The rule rests on a fact marked uncertain in the table: 要確認.
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRule {
    pub id: String,
    pub source: String,
    pub uncertain: bool,
}

/// The guidance for staff, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub date: NaiveDate,
    /// Insured care at a normal share can go ahead on what was shown.
    pub accepted: bool,
    /// What the decision rests on.
    pub basis: String,
    pub next_checks: Vec<String>,
    pub share: Share,
    pub declaration: Option<Declaration>,
    pub follow_up: Vec<String>,
    pub claim_path: Vec<ClaimStep>,
    /// What goes in the 摘要欄 if the claim ends as 不詳.
    pub tekiyo: Option<String>,
    pub warnings: Vec<Warning>,
    pub rules: Vec<AppliedRule>,
}

impl Assessment {
    /// Plain text for the CLI and logs.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "【{}】{}\n根拠: {}\n負担: {}\n",
            self.date,
            if self.accepted {
                "保険診療として受付できます"
            } else {
                "このままでは資格を確認できません"
            },
            self.basis,
            self.share.text
        );
        let list = |t: &mut String, title: &str, items: &[String]| {
            if !items.is_empty() {
                t.push_str(title);
                t.push('\n');
                for i in items {
                    t.push_str(&format!("  ・{i}\n"));
                }
            }
        };
        list(&mut t, "次に確認すること:", &self.next_checks);
        if let Some(d) = &self.declaration {
            t.push_str(&format!("{}に記入してもらう項目: {}\n", d.form, d.fields.join("、")));
        }
        list(&mut t, "事後に行うこと:", &self.follow_up);
        if !self.claim_path.is_empty() {
            t.push_str("レセプト請求:\n");
            for s in &self.claim_path {
                t.push_str(&format!("  {} {}\n", circled(s.order), s.text));
            }
        }
        if let Some(k) = &self.tekiyo {
            t.push_str(&format!("摘要欄: {k}\n"));
        }
        for w in &self.warnings {
            t.push_str(&format!("注意{}: {}\n", if w.uncertain { "(要確認)" } else { "" }, w.text));
        }
        t.push_str("根拠となるルール: ");
        t.push_str(&self.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "));
        t.push('\n');
        t
    }
}

fn circled(n: u8) -> char {
    char::from_u32(0x2460 + n.saturating_sub(1) as u32).unwrap_or('・')
}

struct Builder<'p> {
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

    fn accept(&mut self, basis: String, share: Share, claim_first: String) {
        self.a.accepted = true;
        self.a.basis = basis;
        self.a.share = share;
        self.a.claim_path = vec![ClaimStep { order: 1, text: claim_first }];
    }
}

fn as_confirmed(text: &str, wari: Option<u8>) -> Share {
    Share { kind: ShareKind::AsConfirmed, wari, text: text.into() }
}

/// The order of claims when the numbers are not known now (保発0710第1号).
fn claim_fallback(b: &mut Builder<'_>, reason: Option<CannotCheck>) {
    let order = b.uses(RuleId::ClaimOrder);
    let fill = order.param_str("fill_digit").unwrap_or("7").to_owned();
    let main_number = order.param_str("insurer_number").unwrap_or("77777777").to_owned();
    let alt = b.uses(RuleId::ClaimUnknownInsurerAlt);
    let alt_number = alt.param_str("insurer_number").unwrap_or("77777779").to_owned();
    let alt_active = alt.active_on(b.a.date);
    let mut steps = vec![
        "患者からの聞き取りや過去の受診歴等から確認できた「現在」の被保険者番号等で請求".to_owned(),
        "オンライン資格確認の「資格(無効)」画面や過去の受診歴等から確認できた「過去」の被保険者番号等(旧資格)で請求".into(),
        format!(
            "どちらも分からなければ不詳レセプト: 保険者番号・記号・番号を必要な桁数だけ「{fill}」で埋める(保険者番号 {main_number}{})",
            if alt_active { format!("、レセコンが送れない場合は {alt_number}") } else { String::new() }
        ),
    ];
    if reason == Some(CannotCheck::ResultInvalid) {
        steps[1].push_str(" ← 資格(無効)の場合はまずこれ");
    }
    if reason == Some(CannotCheck::ResultNoRecord) {
        steps[2].push_str(" ← 資格情報なしの場合はこれ");
    }
    b.a.claim_path = steps
        .into_iter()
        .enumerate()
        .map(|(i, text)| ClaimStep { order: i as u8 + 1, text })
        .collect();
    b.a.tekiyo =
        Some("被保険者資格申立書に記入された住所・連絡先・事業所名等(不詳請求の場合)".into());
}

/// The 被保険者資格申立書 (first visit) or the past record (return visit),
/// when the マイナ保険証 cannot be checked (保発0710第1号).
fn declaration_or_record(b: &mut Builder<'_>, s: &Situation, reason: Option<CannotCheck>) {
    let rule = b.uses(RuleId::DeclarationWhenCardCannotBeChecked);
    let default_share = rule.param_u32("default_share").unwrap_or(3) as u8;
    let preschool_share = rule.param_u32("preschool_share").unwrap_or(2) as u8;
    b.a.accepted = true;
    match s.history {
        History::ReturnVisit { share_on_file } => {
            b.a.basis = "マイナ保険証で確認できないため、過去の受診歴と口頭確認(資格の変更がないこと)による".into();
            b.a.share = Share {
                kind: ShareKind::PastRecord,
                wari: share_on_file,
                text: match share_on_file {
                    Some(w) => format!("過去の記録の負担割合({w}割)"),
                    None => "過去の記録の負担割合".into(),
                },
            };
            b.next("資格(保険の種類・勤め先など)に変更がないか口頭で確認する");
        }
        History::FirstVisit => {
            b.a.basis = "マイナ保険証で確認できないため、被保険者資格申立書による".into();
            let (wari, text) = match (s.preschool(), s.age()) {
                (Some(true), _) => (Some(preschool_share), format!("{preschool_share}割(未就学)")),
                (_, Some(a)) if a >= 70 => {
                    (None, "70歳以上: 申立書に記入された一部負担割合(1〜3割)".into())
                }
                (_, Some(_)) => (Some(default_share), format!("{default_share}割")),
                (_, None) => (
                    Some(default_share),
                    format!("{default_share}割等(未就学は{preschool_share}割、70歳以上は1〜3割)"),
                ),
            };
            b.a.share = Share { kind: ShareKind::Declared, wari, text };
            b.a.declaration = Some(Declaration {
                form: "被保険者資格申立書".into(),
                fields: [
                    "券面の氏名",
                    "生年月日",
                    "性別",
                    "住所",
                    "連絡先",
                    "加入している保険の種別",
                    "保険者名",
                    "事業所名",
                    "一部負担割合(分かる範囲で)",
                ]
                .map(String::from)
                .to_vec(),
            });
            b.a.follow_up.push("被保険者番号等を後日教えてもらう(事後確認)".into());
        }
    }
    if reason == Some(CannotCheck::NoNetwork) {
        b.a.follow_up.push(
            "電波が戻ったら記録を同期し、クリニックでオンライン資格確認(被保険者番号による照会・再照会)を行う".into(),
        );
    }
    claim_fallback(b, reason);
}

/// Neither card nor a valid document: 10割 on a first visit (療養費), the
/// past record on a return visit.
fn unconfirmed(b: &mut Builder<'_>, s: &Situation) {
    b.uses(RuleId::UnconfirmedFirstVisitFullCharge);
    b.a.accepted = false;
    b.next("マイナ保険証(資格情報のお知らせと組み合わせ)か資格確認書を持参してもらう(家族に届けてもらう)");
    b.next("保険者に電話で資格を確認する");
    match s.history {
        History::FirstVisit => {
            b.a.basis = "資格を確認できる書類がなく、確認もできないため".into();
            b.a.share = Share {
                kind: ShareKind::Full,
                wari: Some(10),
                text: "10割(患者は後日、保険者に療養費を請求)".into(),
            };
            b.a.follow_up.push("療養費の請求に必要な領収書・診療明細書を渡す".into());
            b.a.claim_path = vec![ClaimStep {
                order: 1,
                text: "保険請求はしない(10割を受け取り、患者が保険者に療養費を請求する)".into(),
            }];
            return;
        }
        History::ReturnVisit { share_on_file } => {
            b.a.basis = "資格を確認できる書類がないため、過去の受診歴と口頭確認による(再診)".into();
            b.a.share = Share {
                kind: ShareKind::PastRecord,
                wari: share_on_file,
                text: "口頭で資格の変更がないことを確認し、過去の負担割合".into(),
            };
            b.next("資格(保険の種類・勤め先など)に変更がないか口頭で確認する");
            b.a.follow_up.push(
                "次回受診時にマイナ保険証+資格情報のお知らせ、または資格確認書の持参を求める"
                    .into(),
            );
        }
    }
    claim_fallback(b, None);
}

/// Assesses a situation. Errors only for invalid input.
pub fn assess(s: &Situation, policy: &Policy) -> Result<Assessment, ReceptionError> {
    let max_years = policy.rule(RuleId::KakuninshoMaxValidity).param_u32("max_years").unwrap_or(5);
    s.validate(max_years)?;
    let d = s.date;
    let mut b = Builder {
        policy,
        a: Assessment {
            date: d,
            accepted: false,
            basis: String::new(),
            next_checks: Vec::new(),
            share: as_confirmed("", None),
            declaration: None,
            follow_up: Vec::new(),
            claim_path: Vec::new(),
            tekiyo: None,
            warnings: Vec::new(),
            rules: Vec::new(),
        },
    };
    let docs = &s.documents;
    let age = s.age();

    // The card, and whether its certificate still works (3-month grace).
    let card = docs.iter().find_map(|doc| match doc {
        Document::MynaCard { status, certificate_expiry } => Some((*status, *certificate_expiry)),
        _ => None,
    });
    let mut card_status = card.map(|(st, _)| st);
    if let Some((_, Some(expiry))) = card {
        let grace = b.uses(RuleId::CertificateGrace);
        let months = grace.param_u32("months").unwrap_or(3);
        let grace_end = last_day_of_month_after(expiry, months);
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
                    "電子証明書の有効期限({expiry})から3か月後の月末({grace_end})も過ぎているため、\
                     マイナ保険証では資格確認できません。市区町村の窓口で更新するよう伝えてください"
                ),
            );
            card_status = Some(CardStatus::CannotCheck { reason: CannotCheck::DeviceOrCardFault });
        }
    }

    let valid_kakuninsho = docs.iter().find_map(|doc| match doc {
        Document::Kakuninsho { valid_until, share_printed, insurer_kind, .. }
            if d <= *valid_until =>
        {
            Some((*share_printed, *insurer_kind))
        }
        _ => None,
    });
    for doc in docs {
        if let Document::Kakuninsho { valid_until, insurer_kind, .. } = doc {
            if d > *valid_until {
                let mut text = format!("資格確認書の有効期限({valid_until})が切れています");
                let for_all = policy.rule(RuleId::KoukiCertificateForAll);
                if *insurer_kind == InsurerKind::Kouki
                    && for_all.effective_until == Some(*valid_until)
                {
                    b.uses(RuleId::KoukiCertificateForAll);
                    let after = policy.rule(RuleId::KoukiFrom202608);
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
    let notice_share = docs.iter().find_map(|doc| match doc {
        Document::QualificationNotice { share_printed } => Some(*share_printed),
        _ => None,
    });
    let portal = docs.iter().any(|doc| matches!(doc, Document::PortalScreen));

    // Which printed share the acceptance rests on (for the 70–74 check).
    let mut printed_share_needed: Option<Option<u8>> = None;
    match card_status {
        Some(CardStatus::Confirmed) => {
            b.accept(
                "マイナ保険証で本人確認し、オンライン資格確認で有効を確認".into(),
                as_confirmed("オンライン資格確認の結果の負担割合", None),
                "オンライン資格確認で取得した被保険者番号等で請求".into(),
            );
        }
        Some(CardStatus::CannotCheck { reason }) => {
            if reason == CannotCheck::NoNetwork {
                b.a.follow_up.push("「有効」はオンライン資格確認の結果が出るまで表示しない".into());
            }
            if portal {
                b.uses(RuleId::PortalScreenWithCard);
                b.accept(
                    "マイナ保険証+マイナポータルの資格情報画面(PDFを含む)".into(),
                    as_confirmed("マイナポータル画面の負担割合", None),
                    "画面で確認した被保険者番号等で請求".into(),
                );
            } else if let Some(share) = notice_share {
                b.uses(RuleId::NoticeNeedsCard);
                let text = match share {
                    Some(w) => format!("資格情報のお知らせの負担割合({w}割)"),
                    None => "資格情報のお知らせの負担割合".into(),
                };
                b.accept(
                    "マイナ保険証+資格情報のお知らせ".into(),
                    as_confirmed(&text, share),
                    "お知らせに記載の被保険者番号等で請求".into(),
                );
                printed_share_needed = Some(share);
            } else if let Some((share, _)) = valid_kakuninsho {
                accept_kakuninsho(&mut b, share);
                printed_share_needed = Some(share);
            } else {
                b.uses(RuleId::PortalScreenWithCard);
                b.next("マイナポータルの資格情報画面(またはPDF)か資格情報のお知らせを見せてもらえないか聞く");
                declaration_or_record(&mut b, s, Some(reason));
            }
        }
        None => {
            let health_card = docs.iter().find_map(|doc| match doc {
                Document::HealthInsuranceCard { insurer_kind, valid_until } => {
                    Some((*insurer_kind, *valid_until))
                }
                _ => None,
            });
            let health_card_valid = health_card.map(|(kind, printed)| {
                let end = policy.rule(kind.old_card_rule());
                end.active_on(d) && printed.is_none_or(|p| d <= p)
            });
            if let Some((share, _)) = valid_kakuninsho {
                accept_kakuninsho(&mut b, share);
                printed_share_needed = Some(share);
            } else if let (Some((kind, _)), Some(true)) = (health_card, health_card_valid) {
                let end = b.uses(kind.old_card_rule()).effective_until;
                b.accept(
                    format!(
                        "従来の健康保険証({}、経過措置により{}まで有効)",
                        kind.name_ja(),
                        end.map_or("-".into(), |e| e.to_string())
                    ),
                    as_confirmed("保険証の負担割合", None),
                    "保険証の被保険者番号等で請求".into(),
                );
            } else if health_card.is_some() || notice_share.is_some() || portal {
                expired_card_or_notice_alone(
                    &mut b,
                    s,
                    health_card.map(|(k, _)| k),
                    notice_share.is_some(),
                    portal,
                );
            } else {
                unconfirmed(&mut b, s);
            }
        }
    }

    // 70–74 on a 資格確認書 or お知らせ without a printed share.
    if let (Some(None), Some(a)) = (printed_share_needed, age) {
        let rule = policy.rule(RuleId::KakuninshoElderlyShare);
        let (from, until) =
            (rule.param_u32("from_age").unwrap_or(70), rule.param_u32("until_age").unwrap_or(75));
        let has_elderly = docs.iter().any(|doc| {
            matches!(doc, Document::ElderlyRecipientCertificate { valid_until, .. } if d <= *valid_until)
        });
        if (from..until).contains(&a) && !has_elderly {
            b.next("高齢受給者証の提示を求める(負担割合の記載がないため)");
            b.warn(
                RuleId::KakuninshoElderlyShare,
                format!("{from}〜{}歳で負担割合の記載がありません。高齢受給者証で負担割合を確認してください", until - 1),
            );
        }
    }
    for doc in docs {
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
                } else if matches!(b.a.share.kind, ShareKind::AsConfirmed)
                    && b.a.share.wari.is_none()
                {
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
                    b.a.follow_up
                        .push(format!("限度額適用認定証等は有効期限({valid_until})まで使えます"));
                }
            }
            _ => {}
        }
    }
    if s.online_check == OnlineCheck::Later
        && b.a.accepted
        && card_status != Some(CardStatus::Confirmed)
    {
        b.a.follow_up.push(
            "オンライン資格確認ができるようになったら、被保険者番号等で照会する(事後確認)".into(),
        );
    }
    b.a.follow_up.dedup();
    Ok(b.a)
}

fn accept_kakuninsho(b: &mut Builder<'_>, share: Option<u8>) {
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

/// An expired 保険証, a お知らせ alone or the マイナポータル screen without
/// the card: the temporary measure while it lasts, else not confirmed.
fn expired_card_or_notice_alone(
    b: &mut Builder<'_>,
    s: &Situation,
    health_card: Option<InsurerKind>,
    notice: bool,
    portal: bool,
) {
    let d = s.date;
    if let Some(kind) = health_card {
        let end = b.uses(kind.old_card_rule()).effective_until;
        b.warn(
            kind.old_card_rule(),
            format!(
                "従来の健康保険証({})は有効期限切れです(経過措置は{}まで)",
                kind.name_ja(),
                end.map_or("-".into(), |e| e.to_string())
            ),
        );
    }
    if notice {
        b.uses(RuleId::NoticeNeedsCard);
        b.next(
            "資格情報のお知らせはマイナ保険証と組み合わせて使うため、マイナ保険証を見せてもらう",
        );
    }
    if portal {
        b.uses(RuleId::PortalScreenWithCard);
        b.next("マイナポータルの画面はマイナ保険証と合わせて確認する: マイナ保険証を見せてもらう");
    }
    let provisional = b.policy.rule(RuleId::Provisional);
    let measure_applies = (health_card.is_some() || notice) && provisional.active_on(d);
    if measure_applies && matches!(s.online_check, OnlineCheck::Now | OnlineCheck::Later) {
        let until = provisional.effective_until;
        b.uses(RuleId::Provisional);
        b.a.accepted = true;
        b.a.basis = "暫定措置: 期限切れの保険証・資格情報のお知らせのみでも、オンライン資格確認で\
                     被保険者番号等により照会して確認"
            .into();
        b.a.share = as_confirmed("照会結果の負担割合(3割等)", None);
        b.next("書類の被保険者番号等でオンライン資格確認に照会する");
        if s.online_check == OnlineCheck::Later {
            b.a.follow_up
                .push("照会はオンライン資格確認ができるようになってから行う(事後確認)".into());
        }
        b.a.claim_path = vec![ClaimStep {
            order: 1,
            text: "照会で確認した被保険者番号等で請求".into(),
        }];
        let original = b.policy.rule(RuleId::ProvisionalOriginal);
        let extended = match original.effective_until {
            _ if original.active_on(d) => {
                b.uses(RuleId::ProvisionalOriginal);
                String::new()
            }
            Some(first_end) if d > first_end => format!("(当初の期限{first_end}から延長)"),
            _ => String::new(),
        };
        b.warn(
            RuleId::Provisional,
            format!(
                "暫定措置は{}までです{extended}。次回はマイナ保険証か資格確認書を持参するよう伝えてください",
                until.map_or("-".into(), |u| u.to_string())
            ),
        );
        return;
    }
    if measure_applies {
        b.warn(
            RuleId::ProvisionalNeedsOnlineCheck,
            "暫定措置はオンライン資格確認ができる医療機関が前提のため、この端末では使えません"
                .into(),
        );
    } else if health_card.is_some() || notice {
        let ended = b.policy.rule(RuleId::Provisional).effective_until;
        if ended.is_some_and(|e| d > e) {
            b.warn(
                RuleId::Provisional,
                format!(
                    "期限切れの保険証・お知らせのみで受け付ける暫定措置は{}で終了しています",
                    ended.map_or("-".into(), |e| e.to_string())
                ),
            );
        }
    }
    unconfirmed(b, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circled_numbers_render() {
        assert_eq!(circled(1), '①');
        assert_eq!(circled(3), '③');
    }

    #[test]
    fn the_policy_grace_months_match_the_card_layer() {
        let p = Policy::embedded();
        assert_eq!(
            p.rule(RuleId::CertificateGrace).param_u32("months"),
            Some(crate::cert::GRACE_MONTHS)
        );
    }
}
