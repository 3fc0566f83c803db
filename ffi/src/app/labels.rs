// SPDX-License-Identifier: MPL-2.0
//! The app's own Japanese words, in one place for both phones (the core's
//! messages — steps, errors, rules — come from where they are made).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use houmon_core::card::cert::jst;

use crate::reception::{ReceptionStep, StepResult};
use crate::records::{ConsentCategory, IdentityMode, Prescription, VisitKind, VisualReason};

pub fn mode(m: IdentityMode) -> &'static str {
    match m {
        IdentityMode::Pin => "暗証番号(4桁)で確認",
        IdentityMode::Visual => "目視で確認(照合番号B)",
    }
}

pub fn kind(k: VisitKind) -> &'static str {
    match k {
        VisitKind::HomeCare => "訪問診療",
        VisitKind::HouseCall => "往診",
        VisitKind::HomeNursing => "訪問看護",
        VisitKind::Consultation => "対診",
        VisitKind::Facility => "施設",
    }
}

pub fn visual_reason(r: VisualReason) -> &'static str {
    match r {
        VisualReason::FaceFailedAndPinUnavailable => "顔認証ができず、暗証番号も使えない",
        VisualReason::DementiaOrDisability => "認知症・障害などで暗証番号の入力が難しい",
        VisualReason::Condition => "病状により暗証番号の入力が難しい",
        VisualReason::DeviceTrouble => "機器の不具合",
        VisualReason::Other => "その他(メモに記入)",
    }
}

pub fn category(c: ConsentCategory) -> &'static str {
    match c {
        ConsentCategory::Tkk => "特定健診等の情報",
        ConsentCategory::Yzk => "薬剤情報",
        ConsentCategory::Srj => "診療情報",
        ConsentCategory::Shj => "手術情報",
        ConsentCategory::Tsr => "透析情報",
    }
}

pub fn prescription(p: Prescription) -> &'static str {
    match p {
        Prescription::Electronic => "電子処方箋",
        Prescription::Paper => "紙の処方箋",
    }
}

pub fn reception_step(s: ReceptionStep) -> &'static str {
    match s {
        ReceptionStep::AskCard => "カード(保険証・資格確認書)の提示を求めた",
        ReceptionStep::VisualCheck => "目視確認を試した",
        ReceptionStep::FaceRecognition => "顔認証を試した",
        ReceptionStep::FamilyBringsDocument => "家族に書類を持ってきてもらう",
        ReceptionStep::PhoneInsurer => "保険者に電話で確認した",
        ReceptionStep::OnlineQuery => "オンライン資格確認で照会した",
        ReceptionStep::WelfareOffice => "福祉事務所に確認した",
    }
}

pub fn step_result(r: StepResult) -> &'static str {
    match r {
        StepResult::Confirmed => "確認できた",
        StepResult::Failed => "できなかった",
        StepResult::Pending => "対応中",
    }
}

pub fn confirmed_by(m: IdentityMode) -> &'static str {
    match m {
        IdentityMode::Pin => "暗証番号で本人確認しました",
        IdentityMode::Visual => "目視で本人確認しました",
    }
}

/// The visit's cancel button, as the core's messages name it.
pub const CANCEL_VISIT: &str = "この訪問をやめる";

pub const HOLD_CARD: &str = "カードをスマートフォンに当て、動かさずにお待ちください";
pub const CARD_AGAIN: &str = "もう一度カードを当ててください(暗証番号の再入力は不要です)";
pub const PHOTO_NOTE: &str = "ICチップの顔写真は白黒で、撮影時の写真です。髪型や眼鏡ではなく、目・鼻・口の配置や輪郭で比べてください。";
pub const COLLATION_HINT: &str =
    "照合番号B: 券面の生年月日(YYMMDD)+有効期限の西暦年(YYYY)+セキュリティコード(4桁)の14桁";
pub const HOME: &str = "居宅";
pub const NOT_NOW: &str = "まだカードは不要です。画面の案内に従ってください。";
pub const STORED: &str = "端末に保存しました(電波が戻ったら送信します)";
pub const STORING: &str = "端末に保存しています…";
pub const SENT: &str = "クリニックに送信しました";
pub const WEDGED: &str = "クリニックが受け付けませんでした。未送信一覧で理由を確認してください";
pub const OFFLINE: &str = "オフライン";
pub const NOT_OURS: &str =
    "クリニックの登録用QRコードではありません。管理画面で発行されたQRコードを読み取ってください。";

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// 「12月2日(水)」
pub fn day(d: NaiveDate) -> String {
    format!(
        "{}月{}日({})",
        d.month(),
        d.day(),
        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// 「12月2日 9:05」, in Japan.
pub fn day_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%-m月%-d日 %-H:%M").to_string()
}

/// 「9:05」, in Japan.
pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%-H:%M").to_string()
}

/// Age on `day` (Japan), from the birth date.
pub fn age(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}
