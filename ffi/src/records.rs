// SPDX-License-Identifier: MPL-2.0
//! Records and enums the shells see, and their conversions from the core.

use houmon_core::visit as v;
use houmon_store::QueueItem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SecretKind {
    Pin,
    CollationB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IdentityMode {
    Pin,
    Visual,
}

impl From<v::IdentityMode> for IdentityMode {
    fn from(m: v::IdentityMode) -> Self {
        match m {
            v::IdentityMode::Pin => IdentityMode::Pin,
            v::IdentityMode::Visual => IdentityMode::Visual,
        }
    }
}

impl From<IdentityMode> for v::IdentityMode {
    fn from(m: IdentityMode) -> Self {
        match m {
            IdentityMode::Pin => v::IdentityMode::Pin,
            IdentityMode::Visual => v::IdentityMode::Visual,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VisitKind {
    /// 訪問診療
    HomeCare,
    /// 往診
    HouseCall,
    /// 訪問看護
    HomeNursing,
    /// 対診
    Consultation,
    /// 施設
    Facility,
}

impl From<VisitKind> for v::VisitKind {
    fn from(k: VisitKind) -> Self {
        match k {
            VisitKind::HomeCare => v::VisitKind::HomeCare,
            VisitKind::HouseCall => v::VisitKind::HouseCall,
            VisitKind::HomeNursing => v::VisitKind::HomeNursing,
            VisitKind::Consultation => v::VisitKind::Consultation,
            VisitKind::Facility => v::VisitKind::Facility,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VisualReason {
    FaceFailedAndPinUnavailable,
    DementiaOrDisability,
    Condition,
    DeviceTrouble,
    Other,
}

impl From<VisualReason> for v::VisualReason {
    fn from(r: VisualReason) -> Self {
        match r {
            VisualReason::FaceFailedAndPinUnavailable => {
                v::VisualReason::FaceFailedAndPinUnavailable
            }
            VisualReason::DementiaOrDisability => v::VisualReason::DementiaOrDisability,
            VisualReason::Condition => v::VisualReason::Condition,
            VisualReason::DeviceTrouble => v::VisualReason::DeviceTrouble,
            VisualReason::Other => v::VisualReason::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentCategory {
    /// 特定健診 TKK
    Tkk,
    /// 薬剤 YZK
    Yzk,
    /// 診療 SRJ
    Srj,
    /// 手術 SHJ
    Shj,
    /// 特定疾病療養受療証 TSR
    Tsr,
}

impl From<ConsentCategory> for v::ConsentCategory {
    fn from(c: ConsentCategory) -> Self {
        match c {
            ConsentCategory::Tkk => v::ConsentCategory::Tkk,
            ConsentCategory::Yzk => v::ConsentCategory::Yzk,
            ConsentCategory::Srj => v::ConsentCategory::Srj,
            ConsentCategory::Shj => v::ConsentCategory::Shj,
            ConsentCategory::Tsr => v::ConsentCategory::Tsr,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Prescription {
    Electronic,
    Paper,
}

/// Consent as chosen on screen: `comprehensive` (包括) or these categories (個別).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConsentInput {
    pub comprehensive: bool,
    pub categories: Vec<ConsentCategory>,
    pub prescription: Prescription,
}

impl From<ConsentInput> for v::ConsentChoice {
    fn from(c: ConsentInput) -> Self {
        v::ConsentChoice {
            scope: if c.comprehensive {
                v::ConsentScope::Comprehensive
            } else {
                v::ConsentScope::Individual {
                    categories: c.categories.into_iter().map(Into::into).collect(),
                }
            },
            prescription: match c.prescription {
                Prescription::Electronic => v::Prescription::Electronic,
                Prescription::Paper => v::Prescription::Paper,
            },
        }
    }
}

/// Starting a visit. `first_visit_on`: `YYYY-MM-DD` of the first visit of
/// this course of care, when it was earlier.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VisitStart {
    pub patient_id: Option<String>,
    pub kind: VisitKind,
    pub staff_id: String,
    pub device_id: String,
    pub first_visit_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ModeUnavailable {
    pub mode: IdentityMode,
    pub reason: String,
}

/// The step the UI renders.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum VisitStep {
    ChooseMode {
        offered: Vec<IdentityMode>,
        unavailable: Vec<ModeUnavailable>,
    },
    EnterPin {
        tries_left: Option<u8>,
        message: Option<String>,
    },
    EnterCollation {
        tries_left: Option<u8>,
        message: Option<String>,
    },
    HoldCard {
        mode: IdentityMode,
        message: Option<String>,
    },
    ConfirmLastTry {
        mode: IdentityMode,
        message: String,
    },
    ComparePhoto {
        png: Vec<u8>,
        width: u32,
        height: u32,
    },
    /// `consent_lapses_after`: `YYYY-MM-DD`; `consent_rule`: how long a consent holds, in Japanese.
    IdentityConfirmed {
        mode: IdentityMode,
        consent_lapses_after: String,
        consent_rule: String,
    },
    IdentityRefused {
        message: String,
    },
    Done {
        record_id: String,
    },
    Cancelled,
}

impl From<&v::Step> for VisitStep {
    fn from(s: &v::Step) -> Self {
        match s {
            v::Step::ChooseMode { offered, unavailable } => VisitStep::ChooseMode {
                offered: offered.iter().map(|m| (*m).into()).collect(),
                unavailable: unavailable
                    .iter()
                    .map(|u| ModeUnavailable { mode: u.mode.into(), reason: u.reason_ja.clone() })
                    .collect(),
            },
            v::Step::EnterPin { tries_left, message } => {
                VisitStep::EnterPin { tries_left: *tries_left, message: message.clone() }
            }
            v::Step::EnterCollation { tries_left, message } => {
                VisitStep::EnterCollation { tries_left: *tries_left, message: message.clone() }
            }
            v::Step::HoldCard { mode, message } => {
                VisitStep::HoldCard { mode: (*mode).into(), message: message.clone() }
            }
            v::Step::ConfirmLastTry { mode, message } => {
                VisitStep::ConfirmLastTry { mode: (*mode).into(), message: message.clone() }
            }
            v::Step::ComparePhoto { png, width, height } => {
                VisitStep::ComparePhoto { png: png.clone(), width: *width, height: *height }
            }
            v::Step::IdentityConfirmed { mode, consent_validity } => {
                let today =
                    chrono::Utc::now().with_timezone(&houmon_core::cert::jst()).date_naive();
                VisitStep::IdentityConfirmed {
                    mode: (*mode).into(),
                    consent_lapses_after: consent_validity.lapses_after(today).to_string(),
                    consent_rule: consent_validity.describe_ja(),
                }
            }
            v::Step::IdentityRefused { reason } => {
                VisitStep::IdentityRefused { message: reason.message_ja() }
            }
            v::Step::Done { record_id } => VisitStep::Done { record_id: record_id.clone() },
            v::Step::Cancelled => VisitStep::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QueueState {
    Pending,
    Wedged,
    Sent,
}

/// A visit record in the offline queue (what the app lists).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueueEntry {
    pub id: String,
    pub state: QueueState,
    pub attempts: u32,
    pub created_at: String,
    pub last_error: Option<String>,
    pub wedge_reason: Option<String>,
    pub sent_at: Option<String>,
}

impl From<QueueItem> for QueueEntry {
    fn from(q: QueueItem) -> Self {
        QueueEntry {
            id: q.id,
            state: match q.state {
                houmon_store::ItemState::Pending => QueueState::Pending,
                houmon_store::ItemState::Wedged => QueueState::Wedged,
                houmon_store::ItemState::Sent => QueueState::Sent,
            },
            attempts: q.attempts,
            created_at: q.created_at.to_rfc3339(),
            last_error: q.last_error,
            wedge_reason: q.wedge_reason,
            sent_at: q.sent_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// What one sync round did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    pub sent: u32,
    pub duplicates: u32,
    pub wedged: u32,
    /// Why the round stopped early (the rest waits for a retry), if it did.
    pub deferred: Option<String>,
    /// When the earliest pending record is due again (RFC 3339), so the
    /// shell can schedule the next sync (WorkManager, BGTaskScheduler).
    pub next_retry_at: Option<String>,
}

/// A patient on the day's round, as the app lists them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterPatient {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    /// `YYYY-MM-DD`
    pub birth_date: String,
    /// The last server result with its date ("資格: 有効 (3割) [… 確認]"), or 未確認.
    pub eligibility: String,
    /// `YYYY-MM-DD` until which the consent on file holds, if any.
    pub consent_until: Option<String>,
    /// A card certificate is enrolled for this patient.
    pub card_enrolled: bool,
}

/// The day's roster; `fresh` is false when it comes from the phone's copy
/// (offline), fetched at `fetched_at`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterView {
    pub day: String,
    pub fetched_at: String,
    pub fresh: bool,
    pub patients: Vec<RosterPatient>,
}
