// SPDX-License-Identifier: MPL-2.0
//! The visit context: patient, kind of visit, staff, device, time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of visit. The consent rules depend on it (`consent.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisitKind {
    /// 訪問診療 (planned, regular).
    HomeCare,
    /// 往診 (unscheduled, at the patient's request).
    HouseCall,
    /// 訪問看護.
    HomeNursing,
    /// 対診 (consultation at another hospital).
    Consultation,
    /// 施設 (a care facility round).
    Facility,
}

impl VisitKind {
    pub fn name_ja(self) -> &'static str {
        match self {
            VisitKind::HomeCare => "訪問診療",
            VisitKind::HouseCall => "往診",
            VisitKind::HomeNursing => "訪問看護",
            VisitKind::Consultation => "対診",
            VisitKind::Facility => "施設",
        }
    }
}

/// How identity is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityMode {
    /// The patient types the 利用者証明用 PIN; the card signs a challenge.
    Pin,
    /// 目視確認: staff compare the patient with the card's photo.
    Visual,
}

/// Why staff chose 目視 (the reasons the Ministry lists), plus free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisualReason {
    /// 顔認証に失敗し、暗証番号を忘れた(またはロック).
    FaceFailedAndPinUnavailable,
    /// 認知症・障害等で操作が難しい.
    DementiaOrDisability,
    /// 体調・状況の悪化.
    Condition,
    /// 機械のトラブル等.
    DeviceTrouble,
    /// その他 (free text required).
    Other,
}

impl VisualReason {
    /// Why the PIN was not used, as the clinic's screens say it.
    pub fn label_ja(self) -> &'static str {
        match self {
            VisualReason::FaceFailedAndPinUnavailable => "顔認証ができず、暗証番号も使えない",
            VisualReason::DementiaOrDisability => "認知症・障害などで操作が難しい",
            VisualReason::Condition => "体調・状況の悪化",
            VisualReason::DeviceTrouble => "機器の不具合",
            VisualReason::Other => "その他",
        }
    }
}

/// Who, where, what: fixed when the visit starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitContext {
    /// Client-generated, reused on every retry of the upload.
    pub visit_id: String,
    /// The patient's id in the clinic's roster, when known.
    pub patient_id: Option<String>,
    pub kind: VisitKind,
    pub staff_id: String,
    pub device_id: String,
    pub started_at: DateTime<Utc>,
    /// When the patient's first visit of this course was (for consent).
    pub first_visit_on: Option<chrono::NaiveDate>,
    /// The server-time token the phone kept from its last contact with the
    /// clinic server: the server accepts no visit time before it
    /// (`docs/sync-protocol.md` §Time).
    pub time_anchor: Option<String>,
}

/// A new random identifier: prefix + 128 random bits in hex.
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_visit_kind_is_named_as_staff_say_it() {
        let kinds = [
            VisitKind::HomeCare,
            VisitKind::HouseCall,
            VisitKind::HomeNursing,
            VisitKind::Consultation,
            VisitKind::Facility,
        ];
        let names: Vec<_> = kinds.iter().map(|k| k.name_ja()).collect();
        assert_eq!(names, ["訪問診療", "往診", "訪問看護", "対診", "施設"]);
    }

    #[test]
    fn each_visual_reason_is_said_as_the_clinics_screens_say_it() {
        let reasons = [
            VisualReason::FaceFailedAndPinUnavailable,
            VisualReason::DementiaOrDisability,
            VisualReason::Condition,
            VisualReason::DeviceTrouble,
            VisualReason::Other,
        ];
        let labels: Vec<_> = reasons.iter().map(|r| r.label_ja()).collect();
        assert_eq!(
            labels,
            [
                "顔認証ができず、暗証番号も使えない",
                "認知症・障害などで操作が難しい",
                "体調・状況の悪化",
                "機器の不具合",
                "その他",
            ]
        );
    }

    #[test]
    fn a_new_id_is_its_prefix_and_128_random_bits() {
        let (a, b) = (new_id("v"), new_id("v"));
        assert_ne!(a, b);
        let hex = a.strip_prefix("v-").expect("the prefix");
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
    }
}
