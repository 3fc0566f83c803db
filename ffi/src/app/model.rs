// SPDX-License-Identifier: MPL-2.0
//! The app's one model: everything the screens are derived from. Nothing
//! here does I/O; what must be kept across a kill is in the phone's store
//! (the queue and its day log, the roster, the sign-in) and comes back
//! through the runtime when the app opens.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::{CustodyAction, Roster, RosterEntry, RosterStaff};
use houmon_core::visit::{self as v, PhaseTime, StaffKey};
use houmon_store::{ItemKind, ItemState};
use serde::{Deserialize, Serialize};

use super::config::{AppConfig, ClinicPolicy};
use super::event::NfcState;
use crate::foreign::Cancel;
use crate::reception::{IdentityCheck, StepTaken};
use crate::records::{EligibilityView, Enrolment, QueueEntry, VisitKind};

/// An error as the state machine keeps it: the stable code and the
/// Japanese message staff see (the detail was logged where it was made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub code: String,
    pub message: String,
}

impl From<crate::HoumonError> for Problem {
    fn from(e: crate::HoumonError) -> Self {
        let (code, message) = e.code_and_message();
        Problem { code: code.to_owned(), message: message.to_owned() }
    }
}

/// What the app is doing at the top level.
#[derive(Debug)]
pub(crate) enum Phase {
    /// The store is being opened.
    Opening,
    /// The store did not open: the recovery screen.
    Recovery(Recovery),
    /// Not enrolled with a clinic yet.
    Enrol(EnrolState),
    /// Enrolled: the round and everything after it.
    Ready,
}

#[derive(Debug, Default)]
pub(crate) struct EnrolState {
    pub busy: bool,
    pub error: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Recovery {
    pub problem: Problem,
    /// Records the store held that never reached the clinic (if known).
    pub unsent: Option<u32>,
    pub stage: ResetStage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResetStage {
    /// Showing the problem, with 再試行.
    Problem,
    /// Waiting for the administrator's enrolment QR code.
    AwaitingAdminCode,
    /// The code is in; the last confirmation is shown.
    Confirming { link: String },
    /// Wiping and enrolling again.
    Resetting { link: String },
}

/// The screens under the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScreenId {
    Round,
    SignIn,
    Visit,
    Reception,
    Queue,
    Settings,
}

/// A patient on the day's round, with the eligibility the phone may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatientInfo {
    pub entry: RosterEntry,
    pub eligibility: EligibilityView,
}

/// The day's roster as loaded (fresh from the server or the kept copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoundData {
    pub day: NaiveDate,
    pub fetched_at: DateTime<Utc>,
    pub fresh: bool,
    pub roster: Roster,
    /// In roster order, with eligibility.
    pub patients: Vec<PatientInfo>,
}

impl RoundData {
    pub fn patient(&self, id: &str) -> Option<&PatientInfo> {
        self.patients.iter().find(|p| p.entry.patient_id == id)
    }
    pub fn staff(&self) -> &[RosterStaff] {
        &self.roster.staff
    }
}

/// What the app notes about an item it queues (sealed in the store's day
/// log), so that the round is rebuilt from the queue after a kill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum DayNote {
    Visit { patient_id: Option<String>, staff_id: String },
    Custody { patient_id: String, action: CustodyAction, staff_id: String, staff_name: String },
}

/// One entry of the day's log (from the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DayItem {
    pub id: String,
    pub kind: ItemKind,
    pub state: ItemState,
    pub at: DateTime<Utc>,
    pub wedge_reason: Option<String>,
    pub note: DayNote,
}

/// The queue as last listed.
#[derive(Debug, Default, Clone)]
pub(crate) struct QueueData {
    pub pending: Vec<QueueEntry>,
    pub wedged: Vec<QueueEntry>,
    pub next_wakeup: Option<DateTime<Utc>>,
}

/// A staff member signed in for the shift.
pub(crate) struct SignedIn {
    pub staff_id: String,
    pub name: String,
    pub at: DateTime<Utc>,
    pub last_active: DateTime<Utc>,
    pub key: StaffKey,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn").field("staff_id", &self.staff_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
pub(crate) struct SignInState {
    /// Chosen on the sign-in screen.
    pub selected: Option<String>,
    pub checking: bool,
    pub error: Option<String>,
    /// Where to go once signed in (the patient tapped before signing in).
    pub then_open: Option<String>,
}

/// Why the phone does not sync at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncBlock {
    /// The clinic revoked this phone (or its token is no longer valid).
    Revoked,
}

/// What a sync round reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncOutcome {
    pub sent: u32,
    pub held: u32,
    pub wedged: u32,
    /// Why the round stopped early (the rest waits), if it did.
    pub deferred: Option<String>,
    /// The earliest retry time the queue holds.
    pub next_retry_at: Option<DateTime<Utc>>,
    pub results_error: Option<String>,
    pub pending_after: u32,
}

#[derive(Debug, Default)]
pub(crate) struct SyncState {
    pub running: bool,
    /// Asked again while running: one more round after this one.
    pub again: bool,
    /// Rounds in a row that failed before their first record.
    pub failures: u32,
    pub blocked: Option<SyncBlock>,
    pub last_error: Option<String>,
    pub last_done_at: Option<DateTime<Utc>>,
    pub last: Option<SyncOutcome>,
    /// When the next round is due (told to the runtime's timer and the OS).
    pub next_at: Option<DateTime<Utc>>,
}

/// Reading the card now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reading {
    pub phase: Option<houmon_core::card::progress::ReadPhase>,
    pub done: u32,
    pub expected: u32,
}

pub(crate) struct VisitModel {
    pub id: String,
    pub patient: Option<PatientInfo>,
    pub kind: VisitKind,
    pub staff_id: String,
    /// `None` while the visit is being prepared (the server-time token).
    pub session: Option<v::VisitSession>,
    pub reading: Option<Reading>,
    pub cancel: Arc<Cancel>,
    /// The core's message for the last thing that went wrong here.
    pub error: Option<String>,
    /// Why the visit stopped, when it was cancelled (with what became of the PIN).
    pub cancel_note: Option<String>,
    /// Card reads started, and those the card left in the middle of.
    pub reads: u32,
    pub tag_losses: u32,
    /// The read that went through: its timing (kept in the record).
    pub timing: Option<v::ReadTiming>,
    /// The card left mid-read: holding it again resumes.
    pub again: bool,
    pub record_id: Option<String>,
    pub storing: bool,
    /// Was shown to staff (reception guidance uses how identity went).
    pub refused: Option<v::RefusalReason>,
    pub phases_seen: Vec<PhaseTime>,
}

impl std::fmt::Debug for VisitModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisitModel").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ReceptionModel {
    pub patient: Option<PatientInfo>,
    pub kind: VisitKind,
    pub identity: Option<IdentityCheck>,
    /// What the visit learnt of the card (a 顔認証 or photo-less card) and
    /// of its certificate's expiry.
    pub card_kind: Option<crate::reception::MynaCardKind>,
    pub certificate_expiry: Option<NaiveDate>,
    pub tried: Vec<StepTaken>,
}

/// A question the app asks before doing what cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pending {
    Discard { id: String },
    SignOutWithCardsOut,
    LeaveVisit,
    Reset { link: String },
}

pub(crate) struct Model {
    pub config: AppConfig,
    pub policy: ClinicPolicy,
    pub phase: Phase,
    pub enrolment: Option<Enrolment>,
    pub online: bool,
    pub foreground: bool,
    pub nfc: NfcState,
    pub careful_reading: bool,
    /// Japan's date now (the round's day).
    pub today: NaiveDate,
    pub round: Option<RoundData>,
    pub round_loading: bool,
    pub round_error: Option<String>,
    pub day_log: Vec<DayItem>,
    pub queue: QueueData,
    pub signed_in: Option<SignedIn>,
    pub sign_in: SignInState,
    pub sync: SyncState,
    pub screen: ScreenId,
    pub back_stack: Vec<ScreenId>,
    pub visit: Option<VisitModel>,
    pub reception: Option<ReceptionModel>,
    pub pending: Option<Pending>,
    /// A one-line message for the current screen (info or trouble).
    pub notice: Option<super::view::Notice>,
    pub revision: u64,
}
