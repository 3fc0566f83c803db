// SPDX-License-Identifier: MPL-2.0
//! The sync protocol between the phone and the clinic server: versioned
//! JSON over HTTPS, documented in `docs/sync-protocol.md`. These are the
//! wire types both sides share.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The protocol version (the URL prefix is `/v1`).
pub const VERSION: u32 = 1;

/// The response header carrying a server-time token (every authenticated
/// answer has one): the phone keeps the newest and puts it in each visit
/// (`VisitContext::time_anchor`).
pub const TIME_HEADER: &str = "houmon-server-time";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub device_id: String,
    pub device_name: String,
    /// Issued by the clinic's administrator for this enrolment.
    pub enrollment_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub token: String,
    /// Rotate before then (`POST /v1/devices/self/token`).
    pub token_expires_at: DateTime<Utc>,
    /// The staff member the device was enrolled for (the visits' staff id).
    pub staff_id: String,
}

/// A new device token (rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
    pub token_expires_at: DateTime<Utc>,
}

/// What a phone tells the clinic about its queue after a sync (`POST
/// /v1/devices/self/report`): how many records wait to be sent, and the
/// ones the clinic refused (wedged) with the reason shown to staff, so the
/// clinic's console can follow them up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueReport {
    pub pending: u32,
    pub wedged: Vec<WedgedRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WedgedRecord {
    pub id: String,
    pub reason: String,
}

/// What a clinic's enrolment QR code (or typed code) carries: where the
/// server is, the fingerprint to pin (`sha256:…` of the clinic CA or the
/// server certificate) and a one-time code. As text:
/// `houmon://enrol?v=1&url=<url>&pin=<pin>&code=<code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentLink {
    pub url: String,
    pub pin: Option<String>,
    pub code: String,
}

impl EnrolmentLink {
    pub fn to_uri(&self) -> String {
        let mut s = format!("houmon://enrol?v=1&url={}", percent(&self.url));
        if let Some(pin) = &self.pin {
            s.push_str(&format!("&pin={}", percent(pin)));
        }
        s.push_str(&format!("&code={}", percent(&self.code)));
        s
    }

    /// Parses the QR text. `None` for anything else.
    pub fn parse(text: &str) -> Option<EnrolmentLink> {
        let query = text.trim().strip_prefix("houmon://enrol?")?;
        let (mut v, mut url, mut pin, mut code) = (None, None, None, None);
        for pair in query.split('&') {
            let (k, val) = pair.split_once('=')?;
            let val = unpercent(val)?;
            match k {
                "v" => v = Some(val),
                "url" => url = Some(val),
                "pin" => pin = Some(val),
                "code" => code = Some(val),
                _ => return None,
            }
        }
        if v.as_deref() != Some("1") {
            return None;
        }
        Some(EnrolmentLink { url: url?, pin, code: code? })
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn unpercent(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadStatus {
    /// Stored now.
    Accepted,
    /// Already stored earlier (a retry): nothing changed.
    Duplicate,
    /// Stored, but held for staff review (a card other than the one
    /// enrolled for the patient): no eligibility check until staff decide.
    Held,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    pub status: UploadStatus,
    /// Accepted, with something to look at (e.g. `device-clock-ahead`).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The answer to one record of a batch (`POST /v1/visits/batch`): exactly
/// one of `status` (stored, duplicate or held, with warnings), `refusal`
/// (permanent: the phone wedges the record) or `retry` (the server could
/// not store it now: send it again later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UploadStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<String>,
}

/// The answer to a batch: one item per record, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub results: Vec<BatchItem>,
}

/// The most records one batch may carry.
pub const BATCH_MAX_RECORDS: usize = 500;

/// Why the server refused a record (HTTP 422). Permanent: the phone wedges
/// the record with this reason, and staff decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalCode {
    /// Not a visit record, or fields that do not fit together.
    Malformed,
    /// The card's signature does not verify against the certificate.
    ForgedSignature,
    /// The certificate does not chain to a configured trust anchor.
    UnknownCa,
    /// The certificate expired and its 3-month grace is over.
    CertificateExpired,
    /// The challenge's nonce was already used by another visit.
    NonceReplayed,
    /// The challenge does not bind this visit or this device.
    ChallengeMismatch,
    /// A record with this id but different content was already stored.
    Conflict,
    /// A record version this server does not read.
    UnsupportedVersion,
    /// A record id, device id or name of the wrong form.
    InvalidId,
    /// The patient is on none of this device's rounds.
    NotAssigned,
    /// The record's staff is not the device's.
    StaffMismatch,
    /// The record carries no valid server-time token from this device.
    TimeUnverifiable,
    /// The visit claims a time before the server-time token it carries.
    TimeBeforeAnchor,
    /// The visit claims a time in the future.
    TimeInFuture,
    /// The certificate is on a revocation list the clinic loaded.
    CertificateRevoked,
    /// Not an end-entity 利用者証明用 certificate (a CA, or another profile).
    NotUserCertificate,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is too large.
    TooLarge,
    /// No valid device token (unknown, expired or revoked).
    Unauthorized,
    /// Too many failed attempts from here: wait (`Retry-After`).
    TooManyAttempts,
    /// The enrolment code is unknown, used or expired.
    EnrolmentRefused,
    /// The device id is registered already: re-enrolment needs staff.
    DeviceExists,
    /// The staff member who made the record is on none of this device's
    /// rounds that day (a shared phone).
    StaffNotOnRound,
    /// The staff member's sign-in on the phone does not verify.
    SignInInvalid,
}

impl RefusalCode {
    /// The code as it travels (`not-assigned`, `forged-signature`, …).
    pub fn as_wire(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn message_ja(self) -> &'static str {
        match self {
            RefusalCode::Malformed => "記録の形式が正しくありません。アプリを更新してから再送してください。",
            RefusalCode::ForgedSignature => "カードの署名を確認できませんでした。この記録は本人確認の証拠になりません。改めて本人確認してください。",
            RefusalCode::UnknownCa => "カードの電子証明書の発行元を確認できませんでした。改めて本人確認してください。",
            RefusalCode::CertificateExpired => "電子証明書の有効期限と猶予期間が過ぎています。受付ガイドに従って資格を確認してください。",
            RefusalCode::NonceReplayed => "この署名は別の訪問で使われたものです。改めて本人確認してください。",
            RefusalCode::ChallengeMismatch => "署名の対象がこの訪問と一致しません。改めて本人確認してください。",
            RefusalCode::Conflict => "同じ番号で内容の異なる記録がすでに届いています。管理者に連絡してください。",
            RefusalCode::UnsupportedVersion => "この記録の形式にサーバーが対応していません。アプリとサーバーの版を確認してください。",
            RefusalCode::InvalidId => "記録や端末の番号の形式が正しくありません。アプリを更新してから再送してください。",
            RefusalCode::NotAssigned => "この患者さんはこの端末の訪問予定にありません。クリニックで訪問予定に追加してから再送してください。",
            RefusalCode::StaffMismatch => "この端末に登録された職員と記録の職員が一致しません。クリニックに確認してください。",
            RefusalCode::TimeUnverifiable => "記録の時刻を確認できません(サーバー時刻の情報がありません)。サーバーに接続してから改めて本人確認してください。",
            RefusalCode::TimeBeforeAnchor => "記録の時刻が端末の最後のサーバー接続より前になっています。端末の時計を確認し、改めて本人確認してください。",
            RefusalCode::TimeInFuture => "記録の時刻が未来になっています。端末の時計を合わせてから、改めて本人確認してください。",
            RefusalCode::CertificateRevoked => "カードの電子証明書は失効しています。受付ガイドに従って資格を確認してください。",
            RefusalCode::NotUserCertificate => "利用者証明用電子証明書ではありません。マイナンバーカードで改めて本人確認してください。",
            RefusalCode::UnsupportedMediaType => "送信形式が正しくありません。アプリを更新してから再送してください。",
            RefusalCode::TooLarge => "送信する記録が大きすぎます。管理者に連絡してください。",
            RefusalCode::Unauthorized => "この端末の登録が無効です(期限切れ・取り消し)。クリニックで登録し直してください。",
            RefusalCode::TooManyAttempts => "失敗が続いたため、しばらく受け付けません。時間をおいてからお試しください。",
            RefusalCode::EnrolmentRefused => "登録コードが正しくないか、有効期限切れ・使用済みです。クリニックで新しい登録用QRコードを発行してもらってください。",
            RefusalCode::DeviceExists => "この端末はすでに登録されています。登録し直す場合はクリニックの管理者が現在の登録を取り消してください。",
            RefusalCode::StaffNotOnRound => "記録した職員は、この端末のこの日の訪問予定に入っていません。クリニックで訪問予定を確認してから再送してください。",
            RefusalCode::SignInInvalid => "職員のサインインを確認できませんでした(サインインコードが変更されたか、職員の登録が無効です)。クリニックに確認してください。",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    /// Japanese, for staff.
    pub message: String,
    /// What exactly was wrong, in English, for a developer (a field name,
    /// a parser's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Refusal {
    pub fn new(code: RefusalCode) -> Refusal {
        Refusal { code, message: code.message_ja().to_owned(), detail: None }
    }

    pub fn with_detail(code: RefusalCode, detail: impl Into<String>) -> Refusal {
        Refusal { detail: Some(detail.into()), ..Refusal::new(code) }
    }
}

/// 資格有効性 (QualificationValidity), with the server's own "not yet".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eligibility {
    /// 1 有効
    Valid,
    /// 2 無効
    Invalid,
    /// 3 無効（新しい資格あり）
    InvalidNewQualification,
    /// 4 該当資格なし
    NoRecord,
    /// 5 複数該当
    MultipleMatches,
    /// 6 有効（未登録）(医療扶助)
    ValidUnregistered,
}

impl Eligibility {
    pub fn from_code(code: &str) -> Option<Eligibility> {
        Some(match code.trim() {
            "1" => Eligibility::Valid,
            "2" => Eligibility::Invalid,
            "3" => Eligibility::InvalidNewQualification,
            "4" => Eligibility::NoRecord,
            "5" => Eligibility::MultipleMatches,
            "6" => Eligibility::ValidUnregistered,
            _ => return None,
        })
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Eligibility::Valid => "有効",
            Eligibility::Invalid => "無効",
            Eligibility::InvalidNewQualification => "無効(新しい資格あり)",
            Eligibility::NoRecord => "該当資格なし",
            Eligibility::MultipleMatches => "複数該当",
            Eligibility::ValidUnregistered => "有効(未登録)",
        }
    }
}

/// The outcome of one eligibility check through the 資格確認端末.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum CheckOutcome {
    Answered {
        eligibility: Eligibility,
        /// 一部負担金割合 in 割 (from `030`), when given.
        share_wari: Option<u8>,
        /// 高齢受給者の負担割合, when given.
        elderly_share_wari: Option<u8>,
        /// 限度額適用 区分 code (A01…, B01…), when given.
        limit_category: Option<String>,
        insurer_name: Option<String>,
        /// 処理結果コード/メッセージ when the answer carries one (shown as is).
        notice: Option<String>,
        /// Consent flags as the terminal reports them (e.g.
        /// `PharmacistsInfoConsFlg` → 1): 0 なし, 1 あり, 2 期限切れ, 3 取得困難.
        #[serde(default)]
        consent_flags: Vec<ConsentFlag>,
    },
    /// The terminal reported an error (`SegmentOfResult` 9 or status 2).
    Error { code: String, message: String },
    /// No answer yet (the terminal is slow or answered 処理中).
    Pending,
}

/// A consent flag of an eligibility answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentFlag {
    /// The element name, e.g. `PharmacistsInfoConsFlg`.
    pub name: String,
    pub value: String,
}

impl ConsentFlag {
    pub fn label_ja(&self) -> &'static str {
        match self.value.as_str() {
            "0" => "同意なし",
            "1" => "同意あり",
            "2" => "同意有効期限切れ",
            "3" => "同意取得困難",
            _ => "不明",
        }
    }
}

/// One result as the phone receives it. "有効" is only ever shown from one
/// of these, with its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityResult {
    /// Increasing; the phone asks for results after the last one it has.
    pub cursor: i64,
    pub patient_id: String,
    /// The visit that triggered the check, if any.
    pub visit_id: Option<String>,
    pub checked_at: DateTime<Utc>,
    pub outcome: CheckOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsPage {
    pub results: Vec<EligibilityResult>,
    /// Pass as `since` next time.
    pub cursor: i64,
}

/// The insurance numbers on file (保険者番号・記号・番号・枝番).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceNumbers {
    pub insurer_number: String,
    pub symbol: String,
    pub number: String,
    pub branch: String,
}

/// One patient on the day's round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    pub birth_date: NaiveDate,
    /// The care facility, for a 施設 round (the app groups by it).
    #[serde(default)]
    pub facility: Option<String>,
    /// The floor or unit within the facility (「2階」「さくらユニット」), as
    /// the clinic recorded it: the app groups a facility's residents by it.
    #[serde(default)]
    pub unit: Option<String>,
    pub insurance: Option<InsuranceNumbers>,
    /// The last result the server has, with its date (shown as such offline).
    pub last_eligibility: Option<EligibilityResult>,
    /// Consent on file and until when it holds.
    pub consent_until: Option<NaiveDate>,
    /// SHA-256 of the card certificate enrolled for this patient.
    pub enrolled_certificate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub day: NaiveDate,
    pub entries: Vec<RosterEntry>,
    /// The staff on this phone's rounds that day, who may sign in on it
    /// (a shared phone), each with the verifier of their sign-in code.
    #[serde(default)]
    pub staff: Vec<RosterStaff>,
}

/// A staff member who may sign in on this phone on the roster's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterStaff {
    pub staff_id: String,
    pub name: String,
    /// Absent until the clinic sets the staff member's sign-in code.
    pub sign_in: Option<crate::visit::SignInVerifier>,
}

/// A resident's card taken from, or put back into, the facility's
/// safekeeping (施設での預かり). Who, when, which resident — never the
/// card's numbers. Queued on the phone and sent like a visit
/// (`POST /v1/custody`); the server keeps it in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyEvent {
    /// Client-generated: the idempotency key.
    pub id: String,
    pub device_id: String,
    pub staff_id: String,
    pub patient_id: String,
    pub action: CustodyAction,
    /// The phone's clock, bounded by the server with `time_anchor`.
    pub at: DateTime<Utc>,
    pub time_anchor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<crate::visit::SignIn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CustodyAction {
    /// Taken from the facility's safekeeping for the visit.
    Taken,
    /// Put back.
    Returned,
}

impl CustodyAction {
    pub fn label_ja(self) -> &'static str {
        match self {
            CustodyAction::Taken => "預かり",
            CustodyAction::Returned => "返却",
        }
    }
}

/// `POST /v1/custody`: events answered one by one, in order, with the
/// visits' [`BatchResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyBatch {
    pub events: Vec<CustodyEvent>,
}

impl Roster {
    /// What the phone needs to check whose card is read on a visit to
    /// `patient_id` (`visit/card_check.rs`): that patient's enrolled card,
    /// and every other patient's.
    pub fn card_check(&self, patient_id: Option<&str>) -> crate::visit::CardCheck {
        let mut check = crate::visit::CardCheck::default();
        for e in &self.entries {
            let Some(fp) = &e.enrolled_certificate else { continue };
            if Some(e.patient_id.as_str()) == patient_id {
                check.expected = Some(fp.clone());
            } else {
                check.others.push(crate::visit::KnownCard {
                    patient_id: e.patient_id.clone(),
                    patient_name: e.name.clone(),
                    fingerprint: fp.clone(),
                });
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrolment_link_round_trips_and_nothing_else_parses() {
        let l = EnrolmentLink {
            url: "https://192.168.1.20:8470".into(),
            pin: Some(format!("sha256:{}", "ab".repeat(32))),
            code: "K7QX-9MWD-2RTP".into(),
        };
        let text = l.to_uri();
        assert!(
            text.starts_with(
                "houmon://enrol?v=1&url=https%3A%2F%2F192.168.1.20%3A8470&pin=sha256%3A"
            ),
            "{text}"
        );
        assert_eq!(EnrolmentLink::parse(&text), Some(l));
        for bad in [
            "",
            "https://x",
            "houmon://enrol?v=2&url=x&code=y",
            "houmon://enrol?v=1&url=x",
            "houmon://enrol?v=1&url=%ZZ&code=y",
            "houmon://enrol?v=1&url=x&code=y&evil=1",
        ] {
            assert_eq!(EnrolmentLink::parse(bad), None, "{bad}");
        }
    }
}
