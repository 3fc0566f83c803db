// SPDX-License-Identifier: MPL-2.0
//! The sync protocol between the phone and the clinic server: versioned
//! JSON over HTTPS, documented in `docs/sync-protocol.md`. These are the
//! wire types both sides share.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The protocol version (the URL prefix is `/v1`).
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub device_id: String,
    pub device_name: String,
    /// Issued by the clinic's administrator for this enrolment.
    pub enrollment_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadStatus {
    /// Stored now.
    Accepted,
    /// Already stored earlier (a retry): nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    pub status: UploadStatus,
    /// Accepted, with something to look at (e.g. `device-clock-ahead`).
    #[serde(default)]
    pub warnings: Vec<String>,
}

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
}

impl RefusalCode {
    pub fn message_ja(self) -> &'static str {
        match self {
            RefusalCode::Malformed => "記録の形式が正しくありません。アプリを更新してから再送してください。",
            RefusalCode::ForgedSignature => "カードの署名を確認できませんでした。この記録は本人確認の証拠になりません。改めて本人確認してください。",
            RefusalCode::UnknownCa => "カードの電子証明書の発行元を確認できませんでした。改めて本人確認してください。",
            RefusalCode::CertificateExpired => "電子証明書の有効期限と猶予期間が過ぎています。受付ガイドに従って資格を確認してください。",
            RefusalCode::NonceReplayed => "この署名は別の訪問で使われたものです。改めて本人確認してください。",
            RefusalCode::ChallengeMismatch => "署名の対象がこの訪問と一致しません。改めて本人確認してください。",
            RefusalCode::Conflict => "同じ番号で内容の異なる記録がすでに届いています。管理者に連絡してください。",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
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
}

impl Roster {
    /// What the phone needs to check whose card is read on a visit to
    /// `patient_id` (`visit/card_check.rs`): that patient's enrolled card,
    /// and every other patient's.
    pub fn card_check(&self, patient_id: Option<&str>) -> crate::visit::CardCheck {
        let mut check = crate::visit::CardCheck::none();
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
