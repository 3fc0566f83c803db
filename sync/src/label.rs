// SPDX-License-Identifier: MPL-2.0
//! How the app words an eligibility result: only from a server result, with
//! its date, and marked when shown offline. Never "有効" from a guess.

use houmon_core::protocol::{CheckOutcome, EligibilityResult};

/// How the app shows a result: with its date, and marked when shown offline.
pub fn eligibility_label(result: Option<&EligibilityResult>, online: bool) -> String {
    let Some(r) = result else {
        return "資格: 未確認(サーバーの確認結果はまだありません)".into();
    };
    let when = r.checked_at.with_timezone(&houmon_core::card::cert::jst()).format("%Y-%m-%d %H:%M");
    let what = match &r.outcome {
        CheckOutcome::Answered { eligibility, share_wari, .. } => match share_wari {
            Some(w) => format!("{} ({w}割)", eligibility.label_ja()),
            None => eligibility.label_ja().to_owned(),
        },
        CheckOutcome::Error { code, message } => format!("確認エラー({code}: {message})"),
        CheckOutcome::Pending => "確認中".to_owned(),
    };
    if online {
        format!("資格: {what} [{when} 確認]")
    } else {
        format!("資格: {what} [{when} 時点のサーバーの結果・オフライン表示]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use houmon_core::protocol::Eligibility;

    #[test]
    fn an_offline_label_says_so_and_no_result_is_never_valid() {
        assert!(eligibility_label(None, true).contains("未確認"));
        let r = EligibilityResult {
            cursor: 1,
            patient_id: "p".into(),
            visit_id: None,
            checked_at: Utc::now(),
            outcome: CheckOutcome::Answered {
                eligibility: Eligibility::Valid,
                share_wari: Some(3),
                elderly_share_wari: None,
                limit_category: None,
                insurer_name: None,
                notice: None,
                consent_flags: vec![],
            },
        };
        assert!(eligibility_label(Some(&r), false).contains("オフライン表示"));
        assert!(eligibility_label(Some(&r), true).starts_with("資格: 有効 (3割)"));
    }
}
