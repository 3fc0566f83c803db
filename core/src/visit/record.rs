// SPDX-License-Identifier: MPL-2.0
//! The record of a visit: what goes to the offline queue and the server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card_check::CardMatch;
use super::consent::ConsentRecord;
use super::context::VisitContext;
use super::evidence::Evidence;
use super::field::ReadTiming;
use super::signin::SignIn;
use crate::renewal::RenewalAdvice;

/// Schema version of [`VisitRecord`] as sent to the server. 2: the card
/// check (`card_match`), and a consent for this visit carries its day.
/// 3: the staff member's sign-in on a shared phone (`sign_in`) and the
/// read's field timing (`read_timing`), both optional.
pub const RECORD_VERSION: u32 = 3;
/// The oldest version a server still takes (records queued on a phone
/// before its app was updated).
pub const OLDEST_RECORD_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitRecord {
    pub version: u32,
    /// The visit id (client-generated): the idempotency key for the upload.
    pub id: String,
    pub context: VisitContext,
    pub evidence: Evidence,
    pub consent: ConsentRecord,
    /// Whose card it was, as the phone checked it against the roster.
    pub card_match: CardMatch,
    /// Certificate validity as the phone saw it ("valid", "expired-in-grace-until-…").
    pub certificate_validity: String,
    pub completed_at: DateTime<Utc>,
    /// The renewal coach's advice when the certificate expires within 3
    /// months or is in its grace (`renewal.rs`). Absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<RenewalAdvice>,
    /// The staff member signed in on a shared phone (`context.staff_id`),
    /// with the proof the server re-checks; absent when the phone's own
    /// enrolled staff member made the visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignIn>,
    /// How the card read went on this phone (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_timing: Option<ReadTiming>,
}

impl VisitRecord {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a visit record always serialises")
    }

    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}
