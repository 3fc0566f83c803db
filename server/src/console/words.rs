// SPDX-License-Identifier: MPL-2.0
//! The words staff read for the codes the server keeps: a visit's
//! warnings and why it was held, a resolution's outcome, the audit
//! trail's actions, outcomes and actors. A page shows the word; the code
//! stays in a tooltip (`title`) for whoever has to look it up. Every code
//! the server writes has a word here ([`KNOWN_CODES`] is what the console's
//! tests look for on every page), and a code without one is shown as a
//! plain 「その他」 with the code in the tooltip, never as is.

/// A visit's warning (`visits.warnings`).
pub fn warning(code: &str) -> &'static str {
    match code {
        "card-not-enrolled-visual" => "目視で確認(カードは未登録のまま。次回は暗証番号での確認を)",
        "certificate-in-grace" => "カードの電子証明書は期限切れ(猶予期間中)",
        "consent-validity-recomputed" => "同意の期間をサーバーが計算し直しました",
        "renewal-advice-recomputed" => "証明書の更新案内をサーバーが計算し直しました",
        _ => "その他の注意",
    }
}

/// Why a visit was held.
pub fn held_reason(code: &str) -> &'static str {
    match code {
        "card-differs-from-enrolled" => "登録済みのカードと違うカード",
        "card-enrolled-to-another-patient" => "別の患者に登録済みのカード",
        _ => "確認が必要",
    }
}

/// What a follow-up was resolved as.
pub fn resolution(code: &str) -> &'static str {
    match code {
        "resolved" => "対応済み",
        "accepted-as-reissued" => "再発行として承認",
        "rejected" => "却下",
        _ => "その他",
    }
}

/// The audit trail's action names, in the order the filter offers them,
/// grouped: what staff read, and the action (prefix) it selects.
pub const ACTIONS: &[(&str, &str)] = &[
    ("console.login", "ログイン"),
    ("console.second-factor", "2段階認証"),
    ("console.logout", "ログアウト"),
    ("console.timeout", "時間切れによるログアウト"),
    ("console.today", "本日の画面の閲覧"),
    ("console.visits", "訪問結果一覧の閲覧"),
    ("console.visit", "訪問の詳細の閲覧"),
    ("console.patients", "患者一覧の閲覧"),
    ("console.patient", "患者情報の閲覧"),
    ("console.follow-ups", "フォローアップの閲覧"),
    ("console.rounds", "訪問予定の閲覧"),
    ("console.custody", "カード預かりの閲覧"),
    ("console.export", "訪問結果のCSV出力"),
    ("console.audit", "監査ログの閲覧"),
    ("console.access", "権限のない画面・操作"),
    ("console.audit-export", "監査ログのCSV出力"),
    ("patient.import", "患者の取り込み"),
    ("patient.upsert", "患者情報の保存"),
    ("patient.from-answer", "端末の回答で患者情報を更新"),
    ("patient.care-team", "担当看護師の設定"),
    ("round.assign", "訪問予定への追加"),
    ("round.unassign", "訪問予定から外す"),
    ("round.reorder", "訪問の順番の変更"),
    ("followup.resolve", "フォローアップの対応"),
    ("device.enrolment-issued", "登録用QRコードの発行"),
    ("device.enrol", "端末の登録"),
    ("device.revoke", "端末の取り消し"),
    ("device.report", "端末からの送信状況"),
    ("token.rotate", "端末の鍵の更新"),
    ("token.use", "端末の接続"),
    ("roster.read", "端末への訪問予定の送信"),
    ("results.read", "端末への確認結果の送信"),
    ("visit.upload", "訪問記録の受信"),
    ("custody.upload", "カード預かり記録の受信"),
    ("custody.taken", "カードの預かり"),
    ("custody.returned", "カードの返却"),
    ("eligibility.answer", "資格確認端末の回答"),
    ("staff.upsert", "職員の保存"),
    ("staff.password", "パスワードの設定"),
    ("staff.unlock", "ログイン制限の解除"),
    ("staff.disable", "職員を無効にする"),
    ("staff.enable", "職員を有効に戻す"),
    ("staff.signin-code", "サインインコードの設定"),
    ("staff.totp", "2段階認証の設定"),
    ("staff.totp-reset", "2段階認証のリセット"),
    ("staff.recovery-codes", "回復用コードの作成"),
    ("clinic.totp-policy", "2段階認証の方針"),
    ("audit.tail-missing", "監査ログの欠落の検出"),
    ("audit.reanchor", "監査ログの先頭の控え直し"),
];

/// An audit action in words.
pub fn action(code: &str) -> &'static str {
    ACTIONS.iter().find(|(c, _)| *c == code).map_or("その他の操作", |(_, w)| w)
}

/// An audit outcome (`ok`, `refused:<why>`, `failed`, …) in words.
pub fn outcome(code: &str) -> String {
    match code {
        "ok" => "成功".into(),
        "failed" => "失敗".into(),
        "duplicate" => "受信済み(重複)".into(),
        "rejected" => "受け付けず".into(),
        "not-found" => "見つからず".into(),
        "accepted" => "受付".into(),
        "held" => "受付(カード確認待ち)".into(),
        "resolved" | "accepted-as-reissued" => resolution(code).into(),
        _ => match code.strip_prefix("refused:") {
            Some(why) => format!("拒否({})", refusal(why)),
            None => "その他".into(),
        },
    }
}

/// Why something was refused, in a few words.
pub fn refusal(code: &str) -> &'static str {
    match code {
        "forbidden" | "role" => "権限なし",
        "bad-credentials" => "IDかパスワードの誤り",
        "bad-code" => "確認コードの誤り",
        "throttled" => "失敗が続いたため待機中",
        "disabled" => "無効な職員",
        "unauthorized" => "未登録・取り消し済みの端末",
        "note" => "メモがない",
        "decision" => "選べない対応",
        "not-open" => "対応待ちではない",
        "not-reissue" => "再発行として承認できない",
        "not-assigned" => "訪問予定にない患者",
        "staff-mismatch" => "端末の職員と不一致",
        "malformed" => "記録の形式の誤り",
        "forged-signature" => "署名を確認できない",
        "unknown-ca" => "証明書の発行元が不明",
        "certificate-expired" => "証明書の期限切れ",
        "certificate-revoked" => "証明書の失効",
        "nonce-replayed" => "署名の使い回し",
        "challenge-mismatch" => "署名の対象が不一致",
        "conflict" => "内容の異なる同じ記録",
        "time-unverifiable" | "time-before-anchor" | "time-in-future" => "記録の時刻を確認できない",
        "too-many-attempts" => "失敗が続いたため待機中",
        "enrolment-refused" => "登録コードの誤り・期限切れ",
        "device-exists" => "登録済みの端末",
        "staff-not-on-round" => "訪問予定にない職員",
        "sign-in-invalid" => "サインインを確認できない",
        _ => "その他の理由",
    }
}

/// Who acted (`staff:ID`, `device:ID`, `system`, `anonymous:ADDR`), with
/// the staff member's name when it is known.
pub fn actor(label: &str, name_of: impl Fn(&str) -> Option<String>) -> String {
    if let Some(id) = label.strip_prefix("staff:") {
        return match name_of(id) {
            Some(n) => format!("{n}({id})"),
            None => format!("職員 {id}"),
        };
    }
    if let Some(id) = label.strip_prefix("device:") {
        return format!("端末 {id}");
    }
    if let Some(addr) = label.strip_prefix("anonymous:") {
        return format!("未ログイン({addr})");
    }
    match label {
        "system" => "サーバー".into(),
        _ => "その他".into(),
    }
}

/// Every code a page might otherwise show: the console's tests look for
/// each in every page's visible text.
pub fn known_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = ACTIONS.iter().map(|(c, _)| *c).collect();
    v.extend([
        "card-not-enrolled-visual",
        "certificate-in-grace",
        "consent-validity-recomputed",
        "renewal-advice-recomputed",
        "card-differs-from-enrolled",
        "card-enrolled-to-another-patient",
        "resolved",
        "accepted-as-reissued",
        "rejected",
        "refused:",
        "held-card",
        "after-check",
        "claim-path",
        "undelivered",
        "consent-lapsing",
        "certificate-renewal",
        "staff:",
        "device:",
        "anonymous:",
        "ConsFlg",
        "accepted",
        "held",
        "duplicate",
    ]);
    v
}

/// A consent flag's element name (`PharmacistsInfoConsFlg`) in words.
pub fn consent_flag(name: &str) -> &'static str {
    match name {
        "PharmacistsInfoConsFlg" => "薬剤情報",
        "SpecificHealthCheckupsInfoConsFlg" => "特定健診情報",
        "DiagnosisInfoConsFlg" => "診療情報",
        "OperationInfoConsFlg" => "手術情報",
        "LimitApplicationCertificateRelatedConsFlg" => "限度額適用認定証関連情報",
        _ => "その他の情報",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_the_server_writes_has_a_word() {
        // The action names are `&'static str` literals in the code; a new
        // one must be added to ACTIONS (an unknown one reads その他の操作).
        for code in ["console.login", "device.revoke", "followup.resolve", "visit.upload"] {
            assert_ne!(action(code), "その他の操作", "{code}");
        }
        assert_eq!(action("something.new"), "その他の操作");
        assert_eq!(outcome("refused:bad-credentials"), "拒否(IDかパスワードの誤り)");
        assert_eq!(outcome("ok"), "成功");
        assert_eq!(actor("staff:admin", |_| Some("管理 花子".into())), "管理 花子(admin)");
        assert_eq!(actor("device:dev-1", |_| None), "端末 dev-1");
    }
}
