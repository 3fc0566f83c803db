// SPDX-License-Identifier: MPL-2.0
//! No usable card: a valid 資格確認書 or (until its end) the old 保険証; the
//! temporary measure for an expired 保険証 or a お知らせ alone, for the
//! insurers and dates it covers; otherwise the steps staff try — the card,
//! the family, the insurer — with 10割 only once every one has failed.

use super::claims::{claim_fallback, past_record};
use super::documents::{accept_kakuninsho, notice_share, valid_kakuninsho};
use super::{as_confirmed, Builder, Card, ClaimStep, Decision, Share, ShareKind};
use crate::reception::policy::RuleId;
use crate::reception::situation::{
    CardAbsence, Document, History, InsurerKind, OnlineCheck, Situation, Step, StepResult,
};

/// Returns the printed share the acceptance rests on, if any.
pub(super) fn without_card(b: &mut Builder<'_>, s: &Situation, card: Card) -> Option<Option<u8>> {
    let d = s.date;
    super::documents::expired_kakuninsho(b, s);
    if let Some((share, _)) = valid_kakuninsho(s, d) {
        accept_kakuninsho(b, share);
        return Some(share);
    }
    let health_card = super::documents::health_card(s);
    if super::documents::accept_valid_health_card(b, s) {
        return None;
    }
    let notice = notice_share(b, s).is_some();
    let portal = s.documents.iter().any(|doc| matches!(doc, Document::PortalScreen));
    if health_card.is_some() || notice || portal {
        expired_card_or_notice_alone(b, s, health_card.map(|(k, _)| k), notice, portal, card);
    } else {
        unconfirmed(b, s, card);
    }
    // A card that is not a マイナ保険証 is here: its holder may well have
    // the 資格確認書 with them.
    if card == Card::NotRegistered && b.a.decision == Decision::TryFirst {
        let ask = super::documents::ask_kakuninsho(b, s);
        b.a.next_checks.insert(0, ask);
    }
    None
}

/// The steps still worth trying, in the order staff take them.
fn candidate_steps(s: &Situation, card: Card) -> Vec<Step> {
    let absence = s.documents.iter().find_map(|doc| match doc {
        Document::CardNotHere { reason } => Some(*reason),
        _ => None,
    });
    let mut steps = Vec::new();
    let card_can_come = card == Card::None
        && !matches!(absence, Some(CardAbsence::Lost | CardAbsence::BeingRenewed));
    if card_can_come {
        steps.push(Step::AskCard);
    }
    steps.push(Step::FamilyBringsDocument);
    steps.push(Step::PhoneInsurer);
    steps
}

/// Neither card nor a valid document.
pub(super) fn unconfirmed(b: &mut Builder<'_>, s: &Situation, card: Card) {
    b.uses(RuleId::UnconfirmedFirstVisitFullCharge);
    let steps = candidate_steps(s, card);
    // A step that confirmed the insurance settles it (the insurer on the
    // phone, the card or a 資格確認書 brought from home).
    // (Any of them, even one not suggested now: a lost card's 資格確認書
    // shown when asked for the card still counts.)
    let settles =
        [Step::AskCard, Step::FamilyBringsDocument, Step::PhoneInsurer, Step::OnlineQuery];
    if let Some(done) = settles
        .iter()
        .filter_map(|step| s.result_of(*step))
        .find(|a| a.result == StepResult::Confirmed)
    {
        let text = match done.share {
            Some(w) => format!("確認できた負担割合({w}割)"),
            None => "確認できた負担割合".into(),
        };
        b.accept(
            done.step.confirmed_basis_ja().into(),
            as_confirmed(&text, done.share),
            "確認できた被保険者番号等で請求".into(),
        );
        if done.step == Step::PhoneInsurer {
            b.follow(
                "保険者から聞いた保険者番号・記号・番号・負担割合と、話した相手・日時を記録する",
            );
        }
        b.follow("次回受診時にマイナ保険証+資格情報のお知らせ、または資格確認書の持参を求める");
        return;
    }
    match s.history {
        History::ReturnVisit { share_on_file } => {
            past_record(b, share_on_file, "資格を確認できる書類がない");
            super::claims::download_hint(b, s);
            claim_fallback(b, None, false);
        }
        History::FirstVisit => {
            let remaining: Vec<(Step, bool)> = steps
                .iter()
                .filter_map(|step| match s.result_of(*step).map(|a| a.result) {
                    None => Some((*step, false)),
                    Some(StepResult::Pending) => Some((*step, true)),
                    Some(_) => None,
                })
                .collect();
            if remaining.is_empty() {
                b.a.decision = Decision::FullCharge;
                b.a.basis = "資格を確認できる書類がなく、試した手順でも確認できなかったため".into();
                b.a.share = Share {
                    kind: ShareKind::Full,
                    wari: Some(10),
                    text: "10割(患者は後日、保険者に療養費を請求)".into(),
                };
                b.follow("療養費の請求に必要な領収書・診療明細書を渡す");
                b.follow(
                    "次回受診時にマイナ保険証+資格情報のお知らせ、または資格確認書の持参を求める",
                );
                b.a.claim_path = vec![ClaimStep {
                    order: 1,
                    text: "保険請求はしない(10割を受け取り、患者が保険者に療養費を請求する)".into(),
                }];
            } else {
                b.a.decision = Decision::TryFirst;
                b.a.basis = "資格を確認できる書類がないため、まず次の手順で確認する".into();
                for (step, pending) in remaining {
                    let text = if pending {
                        format!("{}(対応中: 結果を待つ)", step.text_ja())
                    } else {
                        step.text_ja().to_owned()
                    };
                    b.next(&text);
                }
                b.a.share = Share {
                    kind: ShareKind::NotYet,
                    wari: None,
                    text: "上の手順の結果で決めます。どの手順でも確認できなければ10割(患者は後日、保険者に療養費を請求)".into(),
                };
            }
        }
    }
}

/// Whether the temporary measure covers this patient's insurer on `d`:
/// 国保 from its first date, every insurer from the later one.
fn measure_covers(b: &mut Builder<'_>, s: &Situation, kind: Option<InsurerKind>) -> bool {
    let d = s.date;
    let original = b.policy.rule(RuleId::ProvisionalOriginal);
    let kokuho_from = original.param_date("kokuho_from").unwrap_or(original.effective_from);
    let all_from = original.param_date("all_insurers_from").unwrap_or(original.effective_from);
    match kind.or(s.insurer()) {
        Some(InsurerKind::Kokuho) => d >= kokuho_from,
        Some(_) => d >= all_from,
        None if d >= all_from => true,
        None if d >= kokuho_from => {
            b.uses(RuleId::ProvisionalOriginal);
            b.next(&format!(
                "加入している保険の種類を確認する({}までの暫定措置は国民健康保険だけが対象)",
                all_from.pred_opt().unwrap_or(all_from)
            ));
            true
        }
        None => false,
    }
}

/// An expired 保険証, a お知らせ alone or the マイナポータル screen without
/// the card: the temporary measure while it lasts and covers the insurer,
/// else the steps.
fn expired_card_or_notice_alone(
    b: &mut Builder<'_>,
    s: &Situation,
    health_card: Option<InsurerKind>,
    notice: bool,
    portal: bool,
    card: Card,
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
    let in_force = (health_card.is_some() || notice) && provisional.active_on(d);
    let covered = in_force && measure_covers(b, s, health_card);
    let query_failed =
        s.result_of(Step::OnlineQuery).is_some_and(|a| a.result == StepResult::Failed);
    if covered && !query_failed && matches!(s.online_check, OnlineCheck::Now | OnlineCheck::Later) {
        let until = provisional.effective_until;
        b.uses(RuleId::Provisional);
        b.accept(
            "暫定措置: 期限切れの保険証・資格情報のお知らせのみでも、オンライン資格確認で\
             被保険者番号等により照会して確認"
                .into(),
            as_confirmed("照会結果の負担割合(3割等)", None),
            "照会で確認した被保険者番号等で請求".into(),
        );
        b.a.next_checks.retain(|n| !n.contains("マイナ保険証を見せてもらう"));
        b.next(Step::OnlineQuery.text_ja());
        if s.online_check == OnlineCheck::Later {
            b.follow("照会はオンライン資格確認ができるようになってから行う(事後確認)");
        }
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
    if covered && !query_failed {
        b.warn(
            RuleId::ProvisionalNeedsOnlineCheck,
            "暫定措置はオンライン資格確認ができる医療機関が前提のため、この端末では使えません"
                .into(),
        );
    } else if in_force && !covered {
        let original = b.policy.rule(RuleId::ProvisionalOriginal);
        let all_from = original.param_date("all_insurers_from").unwrap_or(original.effective_from);
        b.warn(
            RuleId::ProvisionalOriginal,
            format!(
                "この日の暫定措置は国民健康保険の保険証だけが対象です(全保険者は{all_from}から)"
            ),
        );
    } else if health_card.is_some() || notice {
        let ended = provisional.effective_until;
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
    unconfirmed(b, s, card);
}
