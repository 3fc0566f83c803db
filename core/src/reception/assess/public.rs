// SPDX-License-Identifier: MPL-2.0
//! 公費: 生活保護の医療扶助 (医療券), and 公費負担医療の受給者証 beside the
//! insurance.

use super::{Builder, ClaimStep, Decision, Share, ShareKind};
use crate::reception::policy::RuleId;
use crate::reception::situation::{Document, InsurerKind, Situation, Step, StepResult};

/// A 生活保護 recipient: 医療扶助, never 10割. Returns whether it applied
/// (false when the 福祉事務所 said the patient is not a recipient).
pub(super) fn medical_assistance(b: &mut Builder<'_>, s: &Situation) -> bool {
    let Some((ticket, self_pay)) = s.documents.iter().find_map(|d| match d {
        Document::MedicalAssistance { ticket, self_pay_yen } => Some((*ticket, *self_pay_yen)),
        _ => None,
    }) else {
        return false;
    };
    if s.result_of(Step::WelfareOffice).is_some_and(|a| a.result == StepResult::Failed) {
        b.warn(
            RuleId::PublicAssistance,
            "福祉事務所で生活保護の受給を確認できなかったため、医療保険の資格確認に進みます".into(),
        );
        return false;
    }
    let rule = b.uses(RuleId::PublicAssistance);
    let law = rule.param_str("law_number").unwrap_or("12").to_owned();
    let with_employee_insurance = s.insurer() == Some(InsurerKind::Employee);
    b.a.decision = Decision::Accept;
    b.a.basis = if ticket {
        "生活保護の医療扶助(医療券)による".into()
    } else {
        "生活保護の医療扶助による(医療券は福祉事務所に発行してもらう)".into()
    };
    b.a.share = Share {
        kind: ShareKind::PublicAssistance,
        wari: Some(0),
        text: match self_pay {
            Some(yen) => format!("医療券に記載の本人支払額({yen}円)"),
            None => "自己負担なし(医療券に本人支払額の記載があればその額)".into(),
        },
    };
    if !ticket {
        b.next(Step::WelfareOffice.text_ja());
    }
    b.next("この医療機関が生活保護法の指定医療機関であることを確認する");
    let mut claim = vec![format!("医療券の公費負担者番号(法別番号{law})・受給者番号で請求する")];
    if with_employee_insurance {
        claim.insert(0, "被用者保険と生活保護の併用: 保険の被保険者番号等も入力する".into());
    } else {
        claim.push("公費単独のため保険者番号は入力しない".into());
    }
    b.a.claim_path = claim
        .into_iter()
        .enumerate()
        .map(|(i, text)| ClaimStep { order: i as u8 + 1, text })
        .collect();
    if s.documents.iter().any(|d| matches!(d, Document::MynaCard { .. })) {
        b.follow(
            "医療扶助もマイナンバーカードでオンライン資格確認できます(福祉事務所で登録済みの場合)",
        );
    }
    b.warn(
        RuleId::PublicAssistance,
        "生活保護の方に10割を求めたり療養費の請求を案内したりしないでください".into(),
    );
    true
}

/// A 公費負担医療 受給者証 beside the insurance: the patient pays its
/// share (and no more than its monthly cap); the claim adds the 公費.
pub(super) fn certificate(b: &mut Builder<'_>, s: &Situation) {
    let d = s.date;
    for doc in &s.documents {
        let Document::PublicExpenseCertificate {
            law_number,
            valid_until,
            self_share,
            monthly_cap_yen,
        } = doc
        else {
            continue;
        };
        if d > *valid_until {
            b.warn(
                RuleId::PublicExpense,
                format!("公費(法別{law_number})の受給者証の有効期限({valid_until})が切れています。新しい受給者証を確認してください"),
            );
            continue;
        }
        b.uses(RuleId::PublicExpense);
        if b.a.decision != Decision::Accept {
            b.follow(
                "公費の受給者証だけでは医療保険の資格は確認できません(保険の資格確認が先です)",
            );
            continue;
        }
        let mut text = format!("{}。公費(法別{law_number})の受給者証により、", b.a.share.text);
        match self_share {
            Some(0) => text.push_str("自己負担なし"),
            Some(w) => text.push_str(&format!("自己負担{w}割")),
            None => text.push_str("受給者証に記載の自己負担"),
        }
        if let Some(cap) = monthly_cap_yen {
            text.push_str(&format!("(月額上限{cap}円)"));
        }
        b.a.share.text = text;
        if let Some(w) = self_share {
            if b.a.share.wari.is_none_or(|current| *w < current) {
                b.a.share.wari = Some(*w);
            }
        }
        let order = b.a.claim_path.len() as u8 + 1;
        b.a.claim_path.push(ClaimStep {
            order,
            text: format!("医保と公費(法別{law_number})の併用: 受給者証の公費負担者番号・受給者番号も入力する"),
        });
        if monthly_cap_yen.is_some() {
            b.follow("公費の自己負担上限額管理票に今回の負担額を記入する");
        }
    }
}
