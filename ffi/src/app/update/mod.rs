// SPDX-License-Identifier: MPL-2.0
//! The state machine: `update(model, message) -> commands`. Pure: no I/O,
//! no clock, no randomness but what [`Ctx`] gives, so every journey runs as
//! a Rust test in milliseconds (`tests.rs`).
//!
//! - `lifecycle.rs`: opening the store, recovery, enrolment;
//! - `round.rs`: the day's round, navigation, the queue, settings;
//! - `visit.rs`: one visit (the core's `VisitSession` inside) and its card reads;
//! - `staff.rs`: sign-in on a shared phone, card custody at a facility;
//! - `sync.rs`: when to sync, and what a sync round changed.

mod lifecycle;
mod round;
mod staff;
pub(crate) mod sync;
mod visit;

use std::sync::Arc;

use super::command::Command;
use super::event::{AppEvent, Ctx, Msg};
use super::model::{Model, Phase, ScreenId};
use super::view::{Effect, Notice, NoticeKind, TapAnswer};
use crate::foreign::CardTransport;

pub(crate) use round::can_go_back as round_can_go_back;
pub(crate) use staff::{
    current as current_staff, custody_states, required as sign_in_required, Custody,
};
pub(crate) use visit::NOT_ALLOWED;

/// Applies one message; returns the work it asks for.
pub(crate) fn update(m: &mut Model, msg: Msg, ctx: Ctx) -> Vec<Command> {
    let mut out = Vec::new();
    m.revision += 1;
    round::roll_day(m, ctx, &mut out);
    if let Msg::Shell(event) = &msg {
        // A screen's notice lasts until the next thing staff do.
        m.notice = None;
        staff::expire_sign_in(m, ctx, &mut out);
        if let Some(s) = m.signed_in.as_mut() {
            s.last_active = ctx.now;
        }
        if !matches!(event, AppEvent::Confirm | AppEvent::Dismiss) && m.pending.is_some() {
            // Another action answers the question by leaving it.
            m.pending = None;
        }
    }
    match msg {
        Msg::Shell(event) => shell(m, event, ctx, &mut out),
        Msg::Opened { enrolment, saved } => lifecycle::opened(m, enrolment, saved, ctx, &mut out),
        Msg::OpenFailed { problem, unsent } => lifecycle::open_failed(m, problem, unsent),
        Msg::Enrolled(r) => lifecycle::enrolled(m, r, ctx, &mut out),
        Msg::Reset(r) => lifecycle::reset_done(m, r),
        Msg::RosterLoaded { day, result } => round::roster_loaded(m, day, result),
        Msg::DayLogLoaded { day, items } => {
            if day == m.today {
                m.day_log = items;
            }
        }
        Msg::QueueLoaded { pending, wedged, next_wakeup } => {
            m.queue.pending = pending;
            m.queue.wedged = wedged;
            m.queue.next_wakeup = next_wakeup;
            sync::reschedule(m, ctx, &mut out);
        }
        Msg::QueueChanged(r) => round::queue_changed(m, r, ctx, &mut out),
        Msg::VisitReady { visit_id, anchor } => visit::ready(m, &visit_id, anchor, ctx),
        Msg::ReadProgress { visit_id, phase, done, expected } => {
            visit::progress(m, &visit_id, phase, done, expected, &mut out)
        }
        Msg::ReadFinished { visit_id, outcome, phases, total_ms, limits } => {
            visit::read_finished(m, &visit_id, outcome, phases, total_ms, limits, ctx, &mut out)
        }
        Msg::RecordStored { visit_id, record, result } => {
            visit::stored(m, &visit_id, *record, result, ctx, &mut out)
        }
        Msg::CustodyStored { event, result } => {
            staff::custody_stored(m, *event, result, ctx, &mut out)
        }
        Msg::SyncFinished(r) => sync::finished(m, r, ctx, &mut out),
        Msg::SignInChecked { staff_id, result } => {
            staff::sign_in_checked(m, &staff_id, result, ctx, &mut out)
        }
    }
    out
}

fn shell(m: &mut Model, event: AppEvent, ctx: Ctx, out: &mut Vec<Command>) {
    use AppEvent as E;
    match event {
        E::Foregrounded => {
            m.foreground = true;
            if matches!(m.phase, Phase::Ready) {
                round::reload(m, out);
                sync::want(m, out);
            }
        }
        E::Backgrounded => {
            m.foreground = false;
            // Submitted on entering the background, at the core's time.
            sync::reschedule(m, ctx, out);
            if let Some(at) = m.sync.next_at {
                out.push(Command::Shell(Effect::ScheduleSync { at: at.into() }));
            }
        }
        E::NetworkChanged { online } => sync::network(m, online, ctx, out),
        E::NfcChanged { state } => m.nfc = state,
        E::SyncDue => sync::want(m, out),
        E::EnrolmentScanned { text } => lifecycle::scanned(m, text, out),
        E::PolicyChanged { policy } => {
            // Staff's own careful-reading choice stays; the rest is the clinic's.
            m.policy = policy;
        }
        E::RetryOpen => lifecycle::retry_open(m, out),
        E::StartReset => lifecycle::start_reset(m),
        E::OpenSignIn => staff::open_sign_in(m, None),
        E::SignIn { staff_id, code } => staff::sign_in(m, staff_id, code, out),
        E::SignOut => staff::ask_sign_out(m, out),
        E::Refresh => {
            round::reload(m, out);
            sync::want(m, out);
        }
        E::OpenPatient { patient_id } => visit::open(m, Some(patient_id), None, ctx, out),
        E::OpenUnplannedVisit { kind } => visit::open(m, None, Some(kind), ctx, out),
        E::TakeCard { patient_id } => {
            staff::custody(m, &patient_id, houmon_core::protocol::CustodyAction::Taken, ctx, out)
        }
        E::ReturnCard { patient_id } => {
            staff::custody(m, &patient_id, houmon_core::protocol::CustodyAction::Returned, ctx, out)
        }
        E::ChooseMode { mode } => visit::choose_mode(m, mode),
        E::SubmitPin { pin } => visit::submit_pin(m, zeroize::Zeroizing::new(pin)),
        E::SubmitCollation { value } => visit::submit_collation(m, zeroize::Zeroizing::new(value)),
        E::ConfirmLastTry => visit::act(m, |s| s.confirm_last_try().map(|_| ())),
        E::HoldAnotherCard => visit::act(m, |s| s.hold_another_card().map(|_| ())),
        E::ConfirmNewCard => visit::act(m, |s| s.confirm_new_card().map(|_| ())),
        E::PhotoMatches { reason, note } => visit::photo_matches(m, reason, note, ctx),
        E::PhotoDoesNotMatch => visit::photo_does_not_match(m),
        E::GiveConsent { consent } => visit::give_consent(m, consent, ctx, out),
        E::CancelVisit => visit::cancel(m),
        E::FinishVisit => visit::finish(m),
        E::OpenReception => round::open_reception(m),
        E::RecordReceptionStep { step, result, share_wari } => {
            round::record_reception_step(m, step, result, share_wari)
        }
        E::OpenQueue => {
            round::push(m, ScreenId::Queue);
            out.push(Command::LoadQueue);
        }
        E::RetryRecord { id } => out.push(Command::Retry(id)),
        E::DiscardRecord { id } => {
            m.pending = Some(super::model::Pending::Discard { id });
        }
        E::OpenSettings => round::push(m, ScreenId::Settings),
        E::SetCarefulReading { on } => {
            m.careful_reading = on;
            out.push(Command::SaveSettings { careful_reading: on });
        }
        E::OpenNfcSettings => out.push(Command::Shell(Effect::OpenNfcSettings)),
        E::Back => round::back(m, out),
        E::Confirm => confirm(m, ctx, out),
        E::Dismiss => {
            m.pending = None;
        }
    }
}

fn confirm(m: &mut Model, ctx: Ctx, out: &mut Vec<Command>) {
    use super::model::Pending;
    match m.pending.take() {
        Some(Pending::Discard { id }) => out.push(Command::Discard(id)),
        Some(Pending::SignOutWithCardsOut) => staff::sign_out(m, None, out),
        Some(Pending::LeaveVisit) => visit::leave(m),
        Some(Pending::Reset { link }) => lifecycle::reset(m, link, out),
        None => {}
    }
    let _ = ctx;
}

/// A card was tapped at the phone: read it if the visit waits for it.
pub(crate) fn card_tapped(
    m: &mut Model,
    transport: Arc<dyn CardTransport>,
    ctx: Ctx,
) -> (TapAnswer, Vec<Command>) {
    m.revision += 1;
    let mut out = Vec::new();
    let answer = visit::tapped(m, transport, ctx, &mut out);
    if let TapAnswer::NotNow { message } = &answer {
        m.notice = Some(Notice { kind: NoticeKind::Info, text: message.clone() });
        out.push(Command::Shell(Effect::Feedback { kind: super::view::FeedbackKind::NotNow }));
    }
    (answer, out)
}

/// Sets the screen's notice (the shells show it in a live region, so the
/// screen reader says it; no separate announcement).
pub(super) fn notify(m: &mut Model, kind: NoticeKind, text: String, out: &mut Vec<Command>) {
    let _ = out;
    m.notice = Some(Notice { kind, text });
}

#[cfg(test)]
mod tests;
