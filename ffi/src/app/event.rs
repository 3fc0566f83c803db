// SPDX-License-Identifier: MPL-2.0
//! Events: what the shell reports (a tap, typed digits, the network, the
//! app's life cycle), and the results of the core's own work that come
//! back to the state machine. The shell sends [`AppEvent`]s only.

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::CustodyEvent;
use houmon_core::visit::{self as v, PhaseTime, StaffKey};

use super::model::{DayItem, Problem, RoundData, SyncOutcome};
use crate::reception::{ReceptionStep, StepResult};
use crate::records::{ConsentInput, Enrolment, IdentityMode, QueueEntry, VisitKind, VisualReason};

/// Whether this phone can read cards now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NfcState {
    /// The phone has no NFC reader (or the app may not use it).
    Unsupported,
    /// NFC is switched off in the phone's settings.
    Off,
    On,
}

/// What the shell reports. Each is applied at once; the new view comes
/// through `AppShell::render`. (Its `Debug` never shows a PIN, a
/// 照合番号B or a sign-in code.)
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AppEvent {
    // The platform.
    /// The app came to the front (also after the phone was unlocked).
    Foregrounded,
    /// The app went to the background: the core asks for its background sync.
    Backgrounded,
    NetworkChanged {
        online: bool,
    },
    NfcChanged {
        state: NfcState,
    },
    /// The OS woke the app for the sync the core scheduled (or a timer).
    SyncDue,
    /// The clinic's device management changed its settings while the app ran.
    PolicyChanged {
        policy: super::config::ClinicPolicy,
    },
    /// A QR code (or its text, typed in): an enrolment link.
    EnrolmentScanned {
        text: String,
    },

    // Who is at the door.
    OpenSignIn,
    SignIn {
        staff_id: String,
        code: String,
    },
    SignOut,

    // The round.
    Refresh,
    OpenPatient {
        patient_id: String,
    },
    /// A visit to someone not on today's round (往診, 対診).
    OpenUnplannedVisit {
        kind: VisitKind,
    },
    /// 施設: the resident's card taken from, or put back into, safekeeping.
    TakeCard {
        patient_id: String,
    },
    ReturnCard {
        patient_id: String,
    },

    // The visit.
    ChooseMode {
        mode: IdentityMode,
    },
    SubmitPin {
        pin: String,
    },
    SubmitCollation {
        value: String,
    },
    ConfirmLastTry,
    HoldAnotherCard,
    ConfirmNewCard,
    PhotoMatches {
        reason: VisualReason,
        note: String,
    },
    PhotoDoesNotMatch,
    GiveConsent {
        consent: ConsentInput,
    },
    CancelVisit,
    /// Leave the visit screen (after 完了, or a stop) for the round.
    FinishVisit,

    // Reception guidance.
    OpenReception,
    RecordReceptionStep {
        step: ReceptionStep,
        result: StepResult,
        share_wari: Option<u8>,
    },

    // The queue and settings.
    OpenQueue,
    RetryRecord {
        id: String,
    },
    /// Asks for a confirmation first (the record is lost).
    DiscardRecord {
        id: String,
    },
    OpenSettings,
    SetCarefulReading {
        on: bool,
    },
    OpenNfcSettings,

    // Navigation and dialogs.
    /// The system back gesture or button (`AppView::can_go_back` says whether
    /// the core takes it).
    Back,
    /// The pending confirmation (`AppView::confirmation`) is accepted or dismissed.
    Confirm,
    Dismiss,

    // A store that does not open.
    RetryOpen,
    /// 「この端末のデータを消して登録し直す」: asks for the administrator's
    /// enrolment QR code, then a confirmation.
    StartReset,
}

impl AppEvent {
    /// The event's name, for logs (never its secret).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            AppEvent::Foregrounded => "Foregrounded",
            AppEvent::Backgrounded => "Backgrounded",
            AppEvent::NetworkChanged { .. } => "NetworkChanged",
            AppEvent::NfcChanged { .. } => "NfcChanged",
            AppEvent::SyncDue => "SyncDue",
            AppEvent::EnrolmentScanned { .. } => "EnrolmentScanned",
            AppEvent::PolicyChanged { .. } => "PolicyChanged",
            AppEvent::OpenSignIn => "OpenSignIn",
            AppEvent::SignIn { .. } => "SignIn",
            AppEvent::SignOut => "SignOut",
            AppEvent::Refresh => "Refresh",
            AppEvent::OpenPatient { .. } => "OpenPatient",
            AppEvent::OpenUnplannedVisit { .. } => "OpenUnplannedVisit",
            AppEvent::TakeCard { .. } => "TakeCard",
            AppEvent::ReturnCard { .. } => "ReturnCard",
            AppEvent::ChooseMode { .. } => "ChooseMode",
            AppEvent::SubmitPin { .. } => "SubmitPin",
            AppEvent::SubmitCollation { .. } => "SubmitCollation",
            AppEvent::ConfirmLastTry => "ConfirmLastTry",
            AppEvent::HoldAnotherCard => "HoldAnotherCard",
            AppEvent::ConfirmNewCard => "ConfirmNewCard",
            AppEvent::PhotoMatches { .. } => "PhotoMatches",
            AppEvent::PhotoDoesNotMatch => "PhotoDoesNotMatch",
            AppEvent::GiveConsent { .. } => "GiveConsent",
            AppEvent::CancelVisit => "CancelVisit",
            AppEvent::FinishVisit => "FinishVisit",
            AppEvent::OpenReception => "OpenReception",
            AppEvent::RecordReceptionStep { .. } => "RecordReceptionStep",
            AppEvent::OpenQueue => "OpenQueue",
            AppEvent::RetryRecord { .. } => "RetryRecord",
            AppEvent::DiscardRecord { .. } => "DiscardRecord",
            AppEvent::OpenSettings => "OpenSettings",
            AppEvent::SetCarefulReading { .. } => "SetCarefulReading",
            AppEvent::OpenNfcSettings => "OpenNfcSettings",
            AppEvent::Back => "Back",
            AppEvent::Confirm => "Confirm",
            AppEvent::Dismiss => "Dismiss",
            AppEvent::RetryOpen => "RetryOpen",
            AppEvent::StartReset => "StartReset",
        }
    }
}

impl std::fmt::Debug for AppEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything the state machine takes: the shell's events and the results
/// of the work it asked for.
pub(crate) enum Msg {
    Shell(AppEvent),
    Opened {
        enrolment: Option<Enrolment>,
        saved: super::runtime::Saved,
    },
    OpenFailed {
        problem: Problem,
        unsent: Option<u32>,
    },
    Enrolled(Result<Enrolment, Problem>),
    RosterLoaded {
        day: NaiveDate,
        result: Result<RoundData, Problem>,
    },
    DayLogLoaded {
        day: NaiveDate,
        items: Vec<DayItem>,
    },
    QueueLoaded {
        pending: Vec<QueueEntry>,
        wedged: Vec<QueueEntry>,
        /// The earliest time a pending item is due again.
        next_wakeup: Option<DateTime<Utc>>,
    },
    VisitReady {
        visit_id: String,
        anchor: Result<Option<String>, Problem>,
    },
    ReadProgress {
        visit_id: String,
        phase: houmon_core::card::progress::ReadPhase,
        done: u32,
        expected: u32,
    },
    ReadFinished {
        visit_id: String,
        outcome: v::ReadOutcome,
        phases: Vec<PhaseTime>,
        total_ms: u32,
        limits: houmon_core::card::transport::TransportLimits,
    },
    RecordStored {
        visit_id: String,
        record: Box<v::VisitRecord>,
        result: Result<(), Problem>,
    },
    CustodyStored {
        event: Box<CustodyEvent>,
        result: Result<(), Problem>,
    },
    SyncFinished(Result<SyncOutcome, Problem>),
    SignInChecked {
        staff_id: String,
        result: Result<StaffKey, v::SignInError>,
    },
    QueueChanged(Result<(), Problem>),
    Reset(Result<(), Problem>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the PIN, the 照合番号B or a sign-in code.
        let name = match self {
            Msg::Shell(AppEvent::SubmitPin { .. }) => "Shell(SubmitPin)",
            Msg::Shell(AppEvent::SubmitCollation { .. }) => "Shell(SubmitCollation)",
            Msg::Shell(AppEvent::SignIn { .. }) => "Shell(SignIn)",
            Msg::Shell(_) => "Shell",
            Msg::Opened { .. } => "Opened",
            Msg::OpenFailed { .. } => "OpenFailed",
            Msg::Enrolled(_) => "Enrolled",
            Msg::RosterLoaded { .. } => "RosterLoaded",
            Msg::DayLogLoaded { .. } => "DayLogLoaded",
            Msg::QueueLoaded { .. } => "QueueLoaded",
            Msg::VisitReady { .. } => "VisitReady",
            Msg::ReadProgress { .. } => "ReadProgress",
            Msg::ReadFinished { .. } => "ReadFinished",
            Msg::RecordStored { .. } => "RecordStored",
            Msg::CustodyStored { .. } => "CustodyStored",
            Msg::SyncFinished(_) => "SyncFinished",
            Msg::SignInChecked { .. } => "SignInChecked",
            Msg::QueueChanged(_) => "QueueChanged",
            Msg::Reset(_) => "Reset",
        };
        f.write_str(name)
    }
}

/// The time and randomness one update uses (given, so that the state
/// machine is pure and its tests deterministic).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub now: DateTime<Utc>,
    /// Uniform in [0, 1): the jitter of the next sync.
    pub random: f64,
}
