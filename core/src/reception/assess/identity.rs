// SPDX-License-Identifier: MPL-2.0
//! When the card is here but the PIN cannot be used: the route to 目視 for
//! the setting, as the lecture gives them.
//!
//! - At the clinic's desk (a 顔認証付きカードリーダー): 顔認証 first when the
//!   PIN is forgotten or locked (目視 is for 顔認証に失敗し、かつ暗証番号を
//!   忘れた); straight to 目視 when the patient cannot operate the reader
//!   (認知症・障害・体調). 目視 there is the reader's
//!   「職員用ボタン」 with a パスコード, or the 資格確認端末's 目視確認モード.
//! - On a visit (home, facility, 対診): the phone has no 顔認証; 目視 is this
//!   app's (照合番号B and the chip's photo).
//! - A photo-less card is PIN-only: no 目視 at all.

use super::{Builder, Decision, Share, ShareKind};
use crate::reception::policy::RuleId;
use crate::reception::situation::{
    CardKind, Identity, PinUnavailable, Situation, Step, StepResult,
};

const VISUAL_AT_READER: &str = "目視確認で本人確認する: オンライン資格確認等システムで目視確認用パスコードを発行し、\
     顔認証付きカードリーダーの「職員用ボタン」からパスコードを入力して顔写真と本人を見比べる。\
     または患者を資格確認端末のある窓口へ案内し、「顔認証付きカードリーダー操作」→「目視確認」で目視確認モードに切り替えて顔写真を確認し、\
     画面の「目視で本人確認完了」にチェックを入れる";

const VISUAL_ON_VISIT: &str =
    "この端末で目視確認する(照合番号Bを入力し、カードの顔写真と本人を見比べる)。\
     そのうえでオンライン資格確認を行う";

/// Why the PIN cannot be used, if it cannot (a 顔認証 card has none).
fn pin_unusable(s: &Situation) -> Option<PinUnavailable> {
    match (s.identity, s.card().map(|c| c.2)) {
        (Some(Identity::PinUnavailable { why }), _) => Some(why),
        (None, Some(CardKind::FaceRecognition)) => Some(PinUnavailable::NotSet),
        _ => None,
    }
}

/// Decides the next step when the PIN cannot be used; `false` when there
/// is no identity step left (目視 failed, or a photo-less card), so the
/// documents and the 申立書 come next.
pub(super) fn route(b: &mut Builder<'_>, s: &Situation) -> bool {
    let Some(why) = pin_unusable(s) else { return false };
    let kind = s.card().map_or(CardKind::Standard, |c| c.2);
    if kind == CardKind::NoPhoto {
        let fix = match why {
            PinUnavailable::Locked => "暗証番号のロックは市区町村の窓口で解除できます",
            PinUnavailable::Forgotten => "暗証番号は市区町村の窓口で再設定できます",
            _ => "暗証番号を入力できる方(法定代理人など)がいれば暗証番号で確認する",
        };
        b.warn(
            RuleId::PhotoLessPinOnly,
            format!(
                "顔写真のないカードは暗証番号のみで本人確認します(目視確認はできません)。{fix}"
            ),
        );
        return false;
    }
    let visual_failed = s.identity == Some(Identity::VisualFailed)
        || s.result_of(Step::VisualCheck).is_some_and(|a| a.result == StepResult::Failed);
    if visual_failed {
        return false;
    }
    b.uses(RuleId::VisualWhenPinUnavailable);
    b.a.decision = Decision::TryFirst;
    b.a.share = Share {
        kind: ShareKind::NotYet,
        wari: None,
        text: "本人確認の後に決めます(確認できなければ資格確認書などの書類、なければ被保険者資格申立書・過去の記録による)"
            .into(),
    };
    if s.on_visit() {
        b.uses(RuleId::VisualOnVisit);
        b.a.basis =
            "暗証番号が使えないため、まずこの端末の目視確認で本人確認してオンライン資格確認を行う"
                .into();
        b.next(VISUAL_ON_VISIT);
    } else {
        // At the desk: 顔認証 first when only the PIN is the trouble.
        let face = s.result_of(Step::FaceRecognition).map(|a| a.result);
        let face_first = matches!(
            why,
            PinUnavailable::Forgotten | PinUnavailable::Locked | PinUnavailable::NotSet
        ) && face != Some(StepResult::Failed);
        if face_first {
            b.a.basis = "暗証番号が使えないため、まず顔認証付きカードリーダーで顔認証を行う(顔認証にも失敗したら目視確認)".into();
            let text = match face {
                Some(StepResult::Pending) => format!("{}(対応中)", Step::FaceRecognition.text_ja()),
                _ => Step::FaceRecognition.text_ja().to_owned(),
            };
            b.next(&text);
        } else {
            b.uses(RuleId::VisualAtReader);
            b.a.basis = match face {
                Some(StepResult::Failed) => {
                    "顔認証に失敗し、暗証番号も使えないため、目視確認で本人確認する"
                }
                _ => "顔認証や暗証番号の操作ができないため、目視確認で本人確認する",
            }
            .into();
            b.next(VISUAL_AT_READER);
        }
    }
    b.next("本人確認ができないときは、資格確認書(または有効期間内の保険証)、マイナポータルの資格情報画面か資格情報のお知らせを見せてもらう");
    true
}
