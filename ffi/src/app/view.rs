// SPDX-License-Identifier: MPL-2.0
//! The view: what the current screen shows, typed, with every word in
//! Japanese already chosen. The shells draw this and nothing else.

use std::time::SystemTime;

use crate::reception::{ReceptionGuidance, ReceptionStep, StepResult, StepTaken};
use crate::records::{
    CalendarDate, ConsentCategory, ConsentTerm, EligibilityView, Enrolment, IdentityMode,
    Prescription, QueueEntry, RefusalReason, UnavailableReason, VisitKind, VisualReason,
};
use crate::renewal::RenewalAdvice;

use super::event::NfcState;

/// Everything the shell renders, whole, after every change.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AppView {
    /// Grows with every change; a shell may drop a view older than one it drew.
    pub revision: u64,
    pub screen: Screen,
    pub header: Header,
    /// A message for the current screen (announced by the screen reader).
    pub notice: Option<Notice>,
    /// A question to answer before something that cannot be undone.
    pub confirmation: Option<Confirmation>,
    /// Whether the core handles the system back gesture now (send `Back`);
    /// otherwise the system's default applies (leave the app).
    pub can_go_back: bool,
    /// Keep NFC reader mode on (Android) while the app is in front: a visit
    /// is open, so a card tapped now belongs to this app.
    pub reader_mode: bool,
    /// Patient data or the chip photo is on screen: no screenshots, no
    /// app-switcher snapshot (Android `FLAG_SECURE`, an iOS cover).
    pub protect_screen: bool,
    pub nfc: NfcLine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    Info,
    Success,
    Trouble,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Confirmation {
    pub title: String,
    pub message: String,
    pub confirm_label: String,
    pub dismiss_label: String,
    /// The action loses data or cannot be undone (drawn as such).
    pub destructive: bool,
}

/// NFC on this phone, and what to do when it is off.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NfcLine {
    pub state: NfcState,
    /// Set when NFC is off or missing: what to tell staff.
    pub message: Option<String>,
    /// Offer 「NFCの設定を開く」 (send `OpenNfcSettings`).
    pub offer_settings: bool,
}

/// The line at the top: who is signed in, the network, what waits to be sent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    pub title: String,
    /// 「看護師 訪問 花子 さん(9:05 サインイン)」, or why nobody is.
    pub staff_line: Option<String>,
    pub offline: bool,
    /// 「未送信 2件」「送信待ちはありません」「オフライン: …」.
    pub sync_line: String,
    pub pending: u32,
    pub wedged: u32,
    /// Why this phone does not sync (revoked), when it does not.
    pub blocked: Option<String>,
}

// The reception variant carries the whole guidance (with the renewal
// coach); a uniffi enum cannot box a variant's record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Screen {
    /// The store is opening.
    Opening,
    Recovery {
        recovery: RecoveryView,
    },
    Enrol {
        enrol: EnrolView,
    },
    SignIn {
        sign_in: SignInView,
    },
    Round {
        round: RoundView,
    },
    Visit {
        visit: VisitView,
    },
    Reception {
        reception: ReceptionView,
    },
    Queue {
        queue: QueueView,
    },
    Settings {
        settings: SettingsView,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryView {
    pub title: String,
    /// The core's message: what happened and what to do.
    pub message: String,
    /// The stable code, for the administrator or support.
    pub code: String,
    /// Records never delivered to the clinic that a reset would lose.
    pub unsent: Option<u32>,
    /// 「この端末のデータを消して登録し直す」 is in progress: what to do now.
    pub reset_step: Option<String>,
    pub retry_label: String,
    pub reset_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnrolView {
    pub title: String,
    pub explanation: String,
    pub busy: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StaffChoice {
    pub staff_id: String,
    pub name: String,
    /// The clinic set this person's sign-in code (otherwise they cannot sign in).
    pub can_sign_in: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignInView {
    pub title: String,
    pub explanation: String,
    /// The staff on this phone's rounds today.
    pub staff: Vec<StaffChoice>,
    pub checking: bool,
    pub error: Option<String>,
    /// The code pad: how many digits (6–12).
    pub code_min: u8,
    pub code_max: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CustodyLine {
    pub out: bool,
    /// 「カード預かり中(訪問 花子 9:05〜)」「返却済み 10:12」.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PatientRow {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    /// 「88歳」.
    pub age_line: String,
    /// Only from a server result, with its time; marked when offline.
    pub eligibility: EligibilityView,
    pub visited: bool,
    /// 「本日訪問済み 9:12(送信済み)」.
    pub visited_line: Option<String>,
    /// This is the next patient on the round.
    pub next: bool,
    pub card_enrolled: bool,
    pub consent_line: Option<String>,
    pub kind: VisitKind,
    /// 施設: the resident's card and the facility's safekeeping.
    pub custody: Option<CustodyLine>,
    pub can_take_card: bool,
    pub can_return_card: bool,
}

/// Patients of one place: homes (居宅), or a facility's floor or unit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PatientGroup {
    pub title: String,
    pub facility: Option<String>,
    pub unit: Option<String>,
    pub patients: Vec<PatientRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RoundView {
    pub day: CalendarDate,
    /// 「12月2日(水)の訪問予定」.
    pub title: String,
    pub loading: bool,
    /// 「オフライン: 12月2日 8:05 に取得した予定を表示しています」.
    pub offline_line: Option<String>,
    pub groups: Vec<PatientGroup>,
    pub next_patient_id: Option<String>,
    pub error: Option<String>,
    /// Residents' cards taken from the facility and not yet put back.
    pub cards_out: u32,
    pub empty_line: Option<String>,
    /// Sign in before the first visit (a shared phone).
    pub sign_in_needed: bool,
    /// Visits to someone not on today's round (往診, 対診, …), with their words.
    pub unplanned: Vec<KindOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KindOption {
    pub kind: VisitKind,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ModeOption {
    pub mode: IdentityMode,
    pub label: String,
    pub enabled: bool,
    pub reason: Option<UnavailableReason>,
    pub why_not: Option<String>,
    /// The natural choice here (目視 by the facility's staff on a 施設 round).
    pub recommended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonOption {
    pub reason: VisualReason,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryOption {
    pub category: ConsentCategory,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PrescriptionOption {
    pub prescription: Prescription,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeliveryState {
    Storing,
    Stored,
    Sent,
    Wedged,
}

/// One step of the visit, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum VisitScreen {
    /// The visit is being prepared (a moment).
    Starting,
    ChooseMode {
        options: Vec<ModeOption>,
    },
    /// The PIN pad (masked; the screen reader says 「入力済み N桁」, never a digit).
    EnterPin {
        tries_left: Option<u8>,
        warning: Option<String>,
    },
    EnterCollation {
        tries_left: Option<u8>,
        warning: Option<String>,
        hint: String,
    },
    HoldCard {
        mode: IdentityMode,
        /// The hold-the-card line, or the read's phase while reading.
        line: String,
        reading: bool,
        done: u32,
        expected: u32,
        antenna_hint: String,
    },
    ConfirmLastTry {
        mode: IdentityMode,
        message: String,
    },
    WrongCard {
        belongs_to_patient_id: String,
        belongs_to_name: String,
        message: String,
    },
    ConfirmNewCard {
        message: String,
    },
    ComparePhoto {
        png: Vec<u8>,
        width: u32,
        height: u32,
        note: String,
        reasons: Vec<ReasonOption>,
        /// Who compares (the signed-in staff member), in words.
        checker: String,
    },
    Consent {
        mode: IdentityMode,
        /// 「暗証番号で本人確認しました」.
        headline: String,
        term: ConsentTerm,
        categories: Vec<CategoryOption>,
        prescriptions: Vec<PrescriptionOption>,
        storing: bool,
    },
    Refused {
        reason: RefusalReason,
        message: String,
        /// The certificate's renewal (an expired one: what to do next).
        renewal: Option<RenewalAdvice>,
    },
    Done {
        record_id: String,
        term: ConsentTerm,
        delivery: DeliveryState,
        delivery_line: String,
        /// The renewal coach: the certificate expires within 3 months or
        /// is in its grace — what to tell the patient and the family.
        renewal: Option<RenewalAdvice>,
    },
    Cancelled {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VisitView {
    pub patient_id: Option<String>,
    /// 「患者 0 さん」 or 「予定外の訪問」.
    pub patient_line: String,
    pub kind: VisitKind,
    pub kind_label: String,
    pub screen: VisitScreen,
    pub error: Option<String>,
    /// Reception guidance can be opened from here.
    pub guidance_offered: bool,
    /// The visit can be cancelled from here.
    pub can_cancel: bool,
    /// The cancel button's words (the core's messages name it so).
    pub cancel_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionStepOption {
    pub step: ReceptionStep,
    pub label: String,
    pub result: Option<StepResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionView {
    pub patient_line: String,
    pub guidance: Option<ReceptionGuidance>,
    pub steps: Vec<ReceptionStepOption>,
    /// What staff can record for a step, with its words.
    pub result_options: Vec<ResultOption>,
    pub tried: Vec<StepTaken>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResultOption {
    pub result: StepResult,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueueRow {
    pub id: String,
    /// 「12月2日 9:05」.
    pub created_line: String,
    pub attempts: u32,
    /// For a refused record: the clinic's reason, in Japanese.
    pub reason: Option<String>,
    pub entry: QueueEntry,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueueView {
    pub pending: Vec<QueueRow>,
    pub wedged: Vec<QueueRow>,
    pub summary: String,
    pub next_try_line: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SettingsView {
    pub enrolment: Option<Enrolment>,
    pub lines: Vec<String>,
    pub careful_reading: bool,
    pub careful_reading_label: String,
    pub signed_in: Option<String>,
}

/// What the platform must do (each once, in order with the views).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Effect {
    /// Ask the OS to wake the app at `at` for a sync, with a network
    /// (Android JobScheduler, persisted; iOS BGAppRefreshTask). Replaces any
    /// earlier request.
    ScheduleSync { at: SystemTime },
    /// Nothing to send: drop the scheduled sync.
    CancelScheduledSync,
    /// The read ended: vibrate and sound as the kind says.
    Feedback { kind: FeedbackKind },
    /// Say this through the screen reader now (TalkBack, VoiceOver).
    Announce { text: String },
    /// Open the phone's NFC settings.
    OpenNfcSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FeedbackKind {
    /// The card was read (one short vibration, the success sound).
    ReadSucceeded,
    /// The card left the phone mid-read (two short vibrations).
    CardLost,
    /// The read stopped for another reason (one long vibration).
    ReadFailed,
    /// A card was tapped when none is wanted.
    NotNow,
}

/// What became of a card tapped at the phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TapAnswer {
    /// The read runs (its outcome comes through the views).
    Reading,
    /// No card is wanted now (「まだカードは不要です」).
    NotNow { message: String },
}
