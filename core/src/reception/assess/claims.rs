// SPDX-License-Identifier: MPL-2.0
//! The 被保険者資格申立書 and the past record (保発0710第1号), and the
//! order of claims when the numbers are not known now.

use super::{Builder, ClaimStep, Decision, Declaration, Share, ShareKind};
use crate::reception::policy::RuleId;
use crate::reception::situation::{CannotCheck, History, OnlineCheck, Situation};

/// The order of claims when the numbers are not known now. `declared`:
/// a 申立書 was taken (its address goes in the 摘要欄 of a 不詳 claim).
pub(super) fn claim_fallback(b: &mut Builder<'_>, reason: Option<CannotCheck>, declared: bool) {
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
    b.a.tekiyo = Some(if declared {
        "被保険者資格申立書に記入された住所・連絡先・事業所名等(不詳請求の場合)".into()
    } else {
        "受診歴で分かっている住所・連絡先等(不詳請求の場合)".into()
    });
}

/// The share and basis of a returning patient who cannot show a usable
/// document: oral confirmation that nothing changed, the past share. The
/// same wording whether a card was shown or not.
pub(super) fn past_record(b: &mut Builder<'_>, share_on_file: Option<u8>, why: &str) {
    b.a.decision = Decision::Accept;
    b.a.basis = format!("{why}。再診のため、過去の受診歴と口頭確認(資格に変更がないこと)による");
    b.a.share = Share {
        kind: ShareKind::PastRecord,
        wari: share_on_file,
        text: match share_on_file {
            Some(w) => format!("過去の記録の負担割合({w}割)"),
            None => "過去の記録の負担割合(記録を確認してください)".into(),
        },
    };
    b.next("資格(保険の種類・勤め先など)に変更がないか口頭で確認する");
    b.follow("次回受診時にマイナ保険証+資格情報のお知らせ、または資格確認書の持参を求める");
}

/// The 被保険者資格申立書 (first visit) or the past record (return visit),
/// when the マイナ保険証 cannot be checked (保発0710第1号).
pub(super) fn declaration_or_record(
    b: &mut Builder<'_>,
    s: &Situation,
    reason: Option<CannotCheck>,
) {
    let rule = b.uses(RuleId::DeclarationWhenCardCannotBeChecked);
    let default_share = rule.param_u32("default_share").unwrap_or(3) as u8;
    let preschool_share = rule.param_u32("preschool_share").unwrap_or(2) as u8;
    let declared = match s.history {
        History::ReturnVisit { share_on_file } => {
            past_record(b, share_on_file, "マイナ保険証で資格を確認できない");
            false
        }
        History::FirstVisit => {
            b.a.decision = Decision::Accept;
            b.a.basis = "マイナ保険証で確認できないため、資格確認書などの書類がなければ被保険者資格申立書による".into();
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
            b.follow("被保険者番号等を後日教えてもらう(事後確認)");
            true
        }
    };
    if reason == Some(CannotCheck::NoNetwork) {
        b.follow("電波が戻ったら記録を同期し、クリニックでオンライン資格確認(被保険者番号による照会・再照会)を行う");
    }
    download_hint(b, s);
    claim_fallback(b, reason, declared);
}

/// On a visit where the online check cannot run now: 資格情報 downloaded
/// before the visit let the numbers be checked afterwards.
pub(super) fn download_hint(b: &mut Builder<'_>, s: &Situation) {
    if !s.on_visit() || s.online_check == OnlineCheck::Now {
        return;
    }
    b.uses(RuleId::DownloadBeforeVisit);
    if matches!(s.history, History::ReturnVisit { .. }) {
        b.next("訪問の前にオンライン資格確認等システムからダウンロードした資格情報があれば、その被保険者番号等と照らし合わせる");
    }
    b.follow("次の訪問の前に、オンライン資格確認等システムから資格情報をダウンロードしておく(電波がなくても、事後に被保険者番号等を確認できます)");
}
