// SPDX-License-Identifier: MPL-2.0
//! Records and enums the shells see, and their conversions from the core.
//!
//! Types, not text: a calendar date is a [`CalendarDate`] (Japan date; the
//! apps turn it into `java.time.LocalDate` / `DateComponents`), an instant
//! is a `SystemTime` (uniffi maps it to `java.time.Instant` / `Date`), and
//! every reason is an enum beside its Japanese text.

use std::time::SystemTime;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use houmon_core::visit as v;
use houmon_store::QueueItem;

use crate::HoumonError;

/// A calendar date (Japan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Record)]
pub struct CalendarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl From<NaiveDate> for CalendarDate {
    fn from(d: NaiveDate) -> Self {
        CalendarDate { year: d.year(), month: d.month() as u8, day: d.day() as u8 }
    }
}

impl TryFrom<CalendarDate> for NaiveDate {
    type Error = HoumonError;
    fn try_from(d: CalendarDate) -> Result<Self, HoumonError> {
        NaiveDate::from_ymd_opt(d.year, u32::from(d.month), u32::from(d.day)).ok_or_else(|| {
            HoumonError::invalid_input(
                "input.date",
                format!(
                    "{}年{}月{}日という日付はありません。日付を確認してください。",
                    d.year, d.month, d.day
                ),
            )
        })
    }
}

pub(crate) fn instant(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}

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
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

/// Starting a visit. `first_visit_on`: the first visit of this course of
/// care, when it was earlier (the clinic server keeps its own). `round_day`:
/// the round this visit belongs to; its kept roster is used to check whose
/// card is read. The device and staff member are the enrolment's.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VisitStart {
    pub patient_id: Option<String>,
    pub kind: VisitKind,
    pub first_visit_on: Option<CalendarDate>,
    pub round_day: Option<CalendarDate>,
}

/// Whom this phone is enrolled as, with which clinic server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrolment {
    pub device_id: String,
    pub staff_id: String,
    pub server_url: String,
    /// The fingerprint the phone pins (`sha256:…`).
    pub server_pin: Option<String>,
}

impl Enrolment {
    pub(crate) fn of(c: &houmon_sync::SyncClient) -> Enrolment {
        let (device_id, staff_id) = c.enrolled_as().unwrap_or_default();
        let (server_url, server_pin) = c.server();
        Enrolment { device_id, staff_id, server_url, server_pin }
    }
}

/// Why a mode is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UnavailableReason {
    /// 顔認証マイナンバーカード (no PIN set).
    PinNotSet,
    PinLocked,
    /// No photo on the card.
    NoPhoto,
    CollationLocked,
}

impl From<v::UnavailableReason> for UnavailableReason {
    fn from(r: v::UnavailableReason) -> Self {
        match r {
            v::UnavailableReason::PinNotSet => UnavailableReason::PinNotSet,
            v::UnavailableReason::PinLocked => UnavailableReason::PinLocked,
            v::UnavailableReason::NoPhoto => UnavailableReason::NoPhoto,
            v::UnavailableReason::CollationLocked => UnavailableReason::CollationLocked,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ModeUnavailable {
    pub mode: IdentityMode,
    pub reason: UnavailableReason,
    /// Japanese, for staff.
    pub message: String,
}

/// Why identity could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RefusalReason {
    PhotoMismatch,
    NoModeAvailable,
    CertificateExpired { grace_ended: SystemTime },
    NoCertificate,
    BadSignature,
}

impl From<&v::RefusalReason> for RefusalReason {
    fn from(r: &v::RefusalReason) -> Self {
        match r {
            v::RefusalReason::PhotoMismatch => RefusalReason::PhotoMismatch,
            v::RefusalReason::NoModeAvailable => RefusalReason::NoModeAvailable,
            v::RefusalReason::CertificateExpired { grace_ended } => {
                RefusalReason::CertificateExpired { grace_ended: instant(*grace_ended) }
            }
            v::RefusalReason::NoCertificate => RefusalReason::NoCertificate,
            v::RefusalReason::BadSignature => RefusalReason::BadSignature,
        }
    }
}

/// How long a consent given now holds, fixed when identity was confirmed
/// (and, on `Done`, as recorded).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentTerm {
    /// The last day it holds as given.
    pub lapses_after: CalendarDate,
    /// After that day, it still holds while monthly care continues (訪問診療).
    pub continues_with_monthly_care: bool,
    /// The rule in Japanese.
    pub description: String,
}

impl From<&v::ConsentValidity> for ConsentTerm {
    fn from(c: &v::ConsentValidity) -> Self {
        ConsentTerm {
            lapses_after: c.lapses_after().into(),
            continues_with_monthly_care: matches!(
                c,
                v::ConsentValidity::UntilThenWhileMonthlyCare { .. }
            ),
            description: c.describe_ja(),
        }
    }
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
    /// The card belongs to another patient on the roster: stop, say whose.
    WrongCard {
        mode: IdentityMode,
        belongs_to_patient_id: String,
        belongs_to_name: String,
        message: String,
    },
    /// Not the card on file for this patient: confirm a reissued card, or
    /// hold another.
    ConfirmNewCard {
        mode: IdentityMode,
        message: String,
    },
    ComparePhoto {
        png: Vec<u8>,
        width: u32,
        height: u32,
    },
    IdentityConfirmed {
        mode: IdentityMode,
        consent: ConsentTerm,
    },
    IdentityRefused {
        reason: RefusalReason,
        message: String,
    },
    Done {
        record_id: String,
        consent: ConsentTerm,
    },
    Cancelled,
}

impl VisitStep {
    pub(crate) fn from_session(s: &v::VisitSession) -> VisitStep {
        match s.step() {
            v::Step::ChooseMode { offered, unavailable } => VisitStep::ChooseMode {
                offered: offered.iter().map(|m| (*m).into()).collect(),
                unavailable: unavailable
                    .iter()
                    .map(|u| ModeUnavailable {
                        mode: u.mode.into(),
                        reason: u.reason.into(),
                        message: u.reason_ja.clone(),
                    })
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
            v::Step::WrongCard { mode, belongs_to, message } => VisitStep::WrongCard {
                mode: (*mode).into(),
                belongs_to_patient_id: belongs_to.patient_id.clone(),
                belongs_to_name: belongs_to.patient_name.clone(),
                message: message.clone(),
            },
            v::Step::ConfirmNewCard { mode, message } => {
                VisitStep::ConfirmNewCard { mode: (*mode).into(), message: message.clone() }
            }
            v::Step::ComparePhoto { png, width, height } => {
                VisitStep::ComparePhoto { png: png.clone(), width: *width, height: *height }
            }
            v::Step::IdentityConfirmed { mode, consent_validity } => VisitStep::IdentityConfirmed {
                mode: (*mode).into(),
                consent: consent_validity.into(),
            },
            v::Step::IdentityRefused { reason } => {
                VisitStep::IdentityRefused { reason: reason.into(), message: reason.message_ja() }
            }
            v::Step::Done { record_id } => VisitStep::Done {
                record_id: record_id.clone(),
                consent: s
                    .record()
                    .map(|r| (&r.consent.validity).into())
                    .expect("a done visit has its record"),
            },
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
    pub created_at: SystemTime,
    pub last_error: Option<String>,
    pub wedge_reason: Option<String>,
    pub sent_at: Option<SystemTime>,
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
            created_at: instant(q.created_at),
            last_error: q.last_error,
            wedge_reason: q.wedge_reason,
            sent_at: q.sent_at.map(instant),
        }
    }
}

/// What one sync round did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    pub sent: u32,
    pub duplicates: u32,
    /// Delivered, but held by the clinic for review (a card other than the
    /// one enrolled for the patient).
    pub held: u32,
    pub wedged: u32,
    /// Why the upload stopped early (the rest waits for a retry), if it did.
    pub deferred: Option<String>,
    /// When the earliest pending record is due again, so the shell can
    /// schedule the next sync (WorkManager, BGTaskScheduler).
    pub next_retry_at: Option<SystemTime>,
    /// New eligibility results received.
    pub results_received: u32,
    /// Why the results could not be fetched (Japanese), if they could not.
    pub results_error: Option<String>,
}

/// 資格有効性, or that there is no server result yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EligibilityStatus {
    /// No server result yet (never "有効" from a guess).
    Unknown,
    Valid,
    Invalid,
    InvalidNewQualification,
    NoRecord,
    MultipleMatches,
    ValidUnregistered,
    /// The 資格確認端末 answered an error.
    CheckError,
    /// The check is still running.
    Checking,
}

/// A patient's eligibility as the app shows it: only from a server result,
/// with its time; `offline` when shown from the phone's copy.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EligibilityView {
    pub status: EligibilityStatus,
    pub share_wari: Option<u8>,
    pub checked_at: Option<SystemTime>,
    pub offline: bool,
    /// The whole line in Japanese ("資格: 有効 (3割) [… 確認]").
    pub label: String,
}

impl EligibilityView {
    pub(crate) fn of(r: Option<&houmon_core::protocol::EligibilityResult>, online: bool) -> Self {
        use houmon_core::protocol::{CheckOutcome, Eligibility};
        let label = houmon_sync::eligibility_label(r, online);
        let Some(r) = r else {
            return EligibilityView {
                status: EligibilityStatus::Unknown,
                share_wari: None,
                checked_at: None,
                offline: !online,
                label,
            };
        };
        let (status, share_wari) = match &r.outcome {
            CheckOutcome::Answered { eligibility, share_wari, .. } => (
                match eligibility {
                    Eligibility::Valid => EligibilityStatus::Valid,
                    Eligibility::Invalid => EligibilityStatus::Invalid,
                    Eligibility::InvalidNewQualification => {
                        EligibilityStatus::InvalidNewQualification
                    }
                    Eligibility::NoRecord => EligibilityStatus::NoRecord,
                    Eligibility::MultipleMatches => EligibilityStatus::MultipleMatches,
                    Eligibility::ValidUnregistered => EligibilityStatus::ValidUnregistered,
                },
                *share_wari,
            ),
            CheckOutcome::Error { .. } => (EligibilityStatus::CheckError, None),
            CheckOutcome::Pending => (EligibilityStatus::Checking, None),
        };
        EligibilityView {
            status,
            share_wari,
            checked_at: Some(instant(r.checked_at)),
            offline: !online,
            label,
        }
    }
}

/// A patient on the day's round, as the app lists them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterPatient {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    pub birth_date: CalendarDate,
    /// The facility, for a 施設 round (grouped on screen).
    pub facility: Option<String>,
    pub eligibility: EligibilityView,
    /// Until when the consent on file holds, if any.
    pub consent_until: Option<CalendarDate>,
    /// A card certificate is enrolled for this patient.
    pub card_enrolled: bool,
}

/// The day's roster; `fresh` is false when it comes from the phone's copy
/// (offline), fetched at `fetched_at`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterView {
    pub day: CalendarDate,
    pub fetched_at: SystemTime,
    pub fresh: bool,
    pub patients: Vec<RosterPatient>,
}
