// SPDX-License-Identifier: MPL-2.0
//! One visit: the core's `VisitSession` inside, its card reads run by the
//! runtime outside the model (the session is never held during a read, and
//! the read's outcome always comes back, even when the screen that started
//! it is gone).

use std::sync::Arc;

use houmon_core::visit::{self as v, new_id, PhaseTime, ReadTiming, SessionOptions, VisitContext};
use zeroize::Zeroizing;

use super::{round, staff, sync};
use crate::app::command::Command;
use crate::app::event::Ctx;
use crate::app::labels;
use crate::app::model::{DayNote, Model, Phase, Problem, Reading, ScreenId, VisitModel};
use crate::app::view::{Effect, FeedbackKind, NoticeKind, TapAnswer};
use crate::foreign::{Cancel, CardTransport};
use crate::records::{ConsentInput, IdentityMode, VisitKind, VisualReason};

/// A visit is open and not finished (done, stopped or refused).
pub(crate) fn in_progress(m: &Model) -> bool {
    m.visit.as_ref().is_some_and(|v| match &v.session {
        None => true,
        Some(s) => !matches!(
            s.step(),
            v::Step::Done { .. } | v::Step::Cancelled | v::Step::IdentityRefused { .. }
        ),
    })
}

pub(super) fn open(
    m: &mut Model,
    patient_id: Option<String>,
    kind: Option<VisitKind>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    if !matches!(m.phase, Phase::Ready) {
        return;
    }
    if in_progress(m) {
        round::push(m, ScreenId::Visit);
        return super::notify(
            m,
            NoticeKind::Info,
            "確認中の訪問があります。終えるか中止してから、次の患者さんに進んでください。".into(),
            out,
        );
    }
    let patient = match &patient_id {
        Some(id) => match m.round.as_ref().and_then(|r| r.patient(id)) {
            Some(p) => Some(p.clone()),
            None => {
                return super::notify(
                    m,
                    NoticeKind::Trouble,
                    "この患者さんは本日の訪問予定にありません。予定を更新してください。".into(),
                    out,
                )
            }
        },
        None => None,
    };
    let Some((staff_id, _)) = staff::current(m) else {
        return staff::open_sign_in(m, patient_id);
    };
    let kind = kind.unwrap_or(match patient.as_ref().and_then(|p| p.entry.facility.as_ref()) {
        Some(_) => VisitKind::Facility,
        None => VisitKind::HomeCare,
    });
    let id = new_id("v");
    m.visit = Some(VisitModel {
        id: id.clone(),
        patient,
        kind,
        staff_id,
        session: None,
        reading: None,
        cancel: Arc::new(Cancel::default()),
        error: None,
        cancel_note: None,
        reads: 0,
        tag_losses: 0,
        timing: None,
        again: false,
        record_id: None,
        storing: false,
        refused: None,
        phases_seen: Vec::new(),
    });
    m.reception = None;
    round::push(m, ScreenId::Visit);
    out.push(Command::PrepareVisit { visit_id: id });
    let _ = ctx;
}

pub(super) fn ready(
    m: &mut Model,
    visit_id: &str,
    anchor: Result<Option<String>, Problem>,
    ctx: Ctx,
) {
    let Some(device_id) = m.enrolment.as_ref().map(|e| e.device_id.clone()) else { return };
    let check = m
        .round
        .as_ref()
        .filter(|r| r.day == m.today)
        .map(|r| {
            let pid = m
                .visit
                .as_ref()
                .and_then(|v| v.patient.as_ref())
                .map(|p| p.entry.patient_id.as_str());
            r.roster.card_check(pid)
        })
        .unwrap_or_default();
    let keep_photo = m.policy.keep_photo;
    let Some(visit) = m.visit.as_mut().filter(|v| v.id == visit_id) else { return };
    match anchor {
        Ok(anchor) => {
            let ctx_v = VisitContext {
                visit_id: visit.id.clone(),
                patient_id: visit.patient.as_ref().map(|p| p.entry.patient_id.clone()),
                kind: visit.kind.into(),
                staff_id: visit.staff_id.clone(),
                device_id,
                started_at: ctx.now,
                first_visit_on: None,
                time_anchor: anchor,
            };
            visit.session = Some(
                v::VisitSession::new(ctx_v, SessionOptions { keep_photo }).with_card_check(check),
            );
        }
        Err(p) => visit.error = Some(p.message),
    }
}

/// Runs a session call; its refusal becomes the screen's message.
pub(super) fn act<F>(m: &mut Model, f: F)
where
    F: FnOnce(&mut v::VisitSession) -> Result<(), v::VisitError>,
{
    let Some(visit) = m.visit.as_mut() else { return };
    let Some(s) = visit.session.as_mut() else { return };
    visit.error = f(s).err().map(|e| e.staff_message());
}

pub(super) fn choose_mode(m: &mut Model, mode: IdentityMode) {
    let allowed = match mode {
        IdentityMode::Pin => m.policy.allow_pin,
        IdentityMode::Visual => m.policy.allow_visual,
    };
    if !allowed {
        if let Some(v) = m.visit.as_mut() {
            v.error = Some(NOT_ALLOWED.into());
        }
        return;
    }
    act(m, |s| s.choose_mode(mode.into()).map(|_| ()));
}

pub(crate) const NOT_ALLOWED: &str = "この確認方法はクリニックの設定で使わないことになっています。";

pub(super) fn submit_pin(m: &mut Model, pin: Zeroizing<String>) {
    act(m, |s| s.enter_pin(&pin).map(|_| ()));
}

pub(super) fn submit_collation(m: &mut Model, value: Zeroizing<String>) {
    act(m, |s| s.enter_collation(&value).map(|_| ()));
}

/// A card at the phone.
pub(super) fn tapped(
    m: &mut Model,
    transport: Arc<dyn CardTransport>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) -> TapAnswer {
    let not_now = || TapAnswer::NotNow { message: labels::NOT_NOW.into() };
    let careful = m.careful_reading;
    let Some(visit) = m.visit.as_mut() else { return not_now() };
    if visit.reading.is_some() || m.screen != ScreenId::Visit {
        return not_now();
    }
    let Some(s) = visit.session.as_mut() else { return not_now() };
    if !matches!(s.step(), v::Step::HoldCard { .. }) {
        return not_now();
    }
    match s.begin_read(ctx.now) {
        Ok(read) => {
            visit.reading = Some(Reading { phase: None, done: 0, expected: 0 });
            visit.again = false;
            visit.reads += 1;
            visit.error = None;
            visit.phases_seen.clear();
            out.push(Command::ReadCard {
                visit_id: visit.id.clone(),
                read,
                transport,
                cancel: visit.cancel.clone(),
                careful,
            });
            TapAnswer::Reading
        }
        Err(_) => not_now(),
    }
}

pub(super) fn progress(
    m: &mut Model,
    visit_id: &str,
    phase: houmon_core::card::progress::ReadPhase,
    done: u32,
    expected: u32,
    out: &mut Vec<Command>,
) {
    let Some(visit) = m.visit.as_mut().filter(|v| v.id == visit_id) else { return };
    let Some(r) = visit.reading.as_mut() else { return };
    if r.phase != Some(phase) {
        out.push(Command::Shell(Effect::Announce { text: phase.message_ja().into() }));
    }
    *r = Reading { phase: Some(phase), done, expected };
}

#[allow(clippy::too_many_arguments)]
pub(super) fn read_finished(
    m: &mut Model,
    visit_id: &str,
    outcome: v::ReadOutcome,
    phases: Vec<PhaseTime>,
    total_ms: u32,
    limits: houmon_core::card::transport::TransportLimits,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    let platform = m.config.platform.clone();
    let Some(visit) = m.visit.as_mut().filter(|v| v.id == visit_id) else {
        // The visit is gone (a new one was opened): the outcome is dropped,
        // its secret wiped with it.
        return;
    };
    visit.reading = None;
    let Some(s) = visit.session.as_mut() else { return };
    let cancel_note = outcome.cancel_note_ja();
    let stats = outcome.stats;
    let card_error = outcome.card_error().cloned();
    let succeeded = outcome.succeeded();
    let was_cancelled = matches!(s.step(), v::Step::Cancelled);
    let lost = card_error.as_ref().is_some_and(|e| {
        use houmon_core::card::error::CardError as C;
        use houmon_core::card::transport::TransportError as T;
        matches!(e, C::Transport(T::TagLost | T::Timeout) | C::VerifyInterrupted { .. })
    });
    if lost && !was_cancelled {
        visit.tag_losses += 1;
    }
    if succeeded {
        visit.timing = Some(ReadTiming {
            phone_model: platform.phone_model.chars().take(v::field::MAX_NAME).collect(),
            os: platform.os.chars().take(v::field::MAX_NAME).collect(),
            extended_length: limits.extended_length,
            max_command: limits.max_command as u32,
            max_response: limits.max_response as u32,
            reads: visit.reads,
            tag_losses: visit.tag_losses,
            apdus: stats.round_trips,
            bytes_out: stats.bytes_out,
            bytes_in: stats.bytes_in,
            total_ms,
            phases,
        });
    }
    s.finish_read(outcome, ctx.now);
    if was_cancelled {
        visit.cancel_note = Some(cancel_note);
        return;
    }
    let feedback = if succeeded {
        FeedbackKind::ReadSucceeded
    } else if lost {
        FeedbackKind::CardLost
    } else {
        FeedbackKind::ReadFailed
    };
    out.push(Command::Shell(Effect::Feedback { kind: feedback }));
    // Where the session stopped for the card, say why (a wrong PIN: back at
    // the pad with the tries left; a card pulled away: hold it again).
    visit.again = lost;
    visit.error = match (s.step(), &card_error) {
        (
            v::Step::HoldCard { .. } | v::Step::EnterPin { .. } | v::Step::EnterCollation { .. },
            Some(e),
        ) => Some(e.staff_message()),
        _ => None,
    };
    if let v::Step::IdentityRefused { reason } = s.step() {
        visit.refused = Some(reason.clone());
    }
    let said = visit.error.clone().or_else(|| match s.step() {
        v::Step::ComparePhoto { .. } => {
            Some("顔写真を読み取りました。本人と見比べてください。".into())
        }
        v::Step::IdentityConfirmed { .. } => Some("本人確認ができました。".into()),
        v::Step::IdentityRefused { reason } => Some(reason.message_ja()),
        v::Step::WrongCard { message, .. } | v::Step::ConfirmNewCard { message, .. } => {
            Some(message.clone())
        }
        v::Step::ConfirmLastTry { message, .. } => Some(message.clone()),
        _ => None,
    });
    if let Some(text) = said {
        out.push(Command::Shell(Effect::Announce { text }));
    }
}

pub(super) fn photo_matches(m: &mut Model, reason: VisualReason, note: String, ctx: Ctx) {
    let Some(visit) = m.visit.as_mut() else { return };
    let checker = visit.staff_id.clone();
    let Some(s) = visit.session.as_mut() else { return };
    visit.error =
        s.photo_matches(&checker, reason.into(), &note, ctx.now).err().map(|e| e.staff_message());
}

pub(super) fn photo_does_not_match(m: &mut Model) {
    let Some(visit) = m.visit.as_mut() else { return };
    let Some(s) = visit.session.as_mut() else { return };
    visit.error = s.photo_does_not_match().err().map(|e| e.staff_message());
    if let v::Step::IdentityRefused { reason } = s.step() {
        visit.refused = Some(reason.clone());
    }
}

pub(super) fn give_consent(m: &mut Model, consent: ConsentInput, ctx: Ctx, out: &mut Vec<Command>) {
    let Some(visit) = m.visit.as_ref() else { return };
    if visit.storing {
        return;
    }
    let Some(s) = visit.session.as_ref() else { return };
    let mut record = match s.record_for_consent(consent.into(), ctx.now) {
        Ok(r) => r,
        Err(e) => {
            if let Some(v) = m.visit.as_mut() {
                v.error = Some(e.staff_message());
            }
            return;
        }
    };
    record.sign_in = staff::attest(m, &record.id);
    let visit = m.visit.as_mut().expect("checked above");
    record.read_timing = visit.timing.clone();
    visit.storing = true;
    visit.error = None;
    let note = DayNote::Visit {
        patient_id: visit.patient.as_ref().map(|p| p.entry.patient_id.clone()),
        staff_id: visit.staff_id.clone(),
    };
    out.push(Command::StoreRecord {
        visit_id: visit.id.clone(),
        record: Box::new(record),
        day: m.today,
        note,
    });
}

pub(super) fn stored(
    m: &mut Model,
    visit_id: &str,
    record: v::VisitRecord,
    r: Result<(), Problem>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    let today = m.today;
    let Some(visit) = m.visit.as_mut().filter(|v| v.id == visit_id) else {
        // Stored for a visit no longer on screen: the day's log shows it.
        out.push(Command::LoadDayLog { day: today });
        return;
    };
    visit.storing = false;
    match r {
        Ok(()) => {
            let id = record.id.clone();
            if let Some(s) = visit.session.as_mut() {
                let _ = s.finish(record);
            }
            visit.record_id = Some(id);
            out.push(Command::Shell(Effect::Announce { text: labels::STORED.into() }));
            out.push(Command::LoadDayLog { day: today });
            out.push(Command::LoadQueue);
            // A record just stored is sent at once.
            sync::want(m, out);
        }
        Err(p) => {
            visit.error = Some(p.message.clone());
            out.push(Command::Shell(Effect::Announce { text: p.message }));
        }
    }
    let _ = ctx;
}

pub(super) fn cancel(m: &mut Model) {
    let Some(visit) = m.visit.as_mut() else { return };
    let reading = visit.reading.is_some();
    if reading {
        // The read stops before its next APDU (an APDU in flight is
        // abandoned); its outcome says what became of the secret.
        visit.cancel.cancel();
        visit.cancel_note = Some("読み取りを中止しています…".into());
    } else {
        visit.cancel_note = Some("確認を中止しました。".into());
    }
    if let Some(s) = visit.session.as_mut() {
        s.cancel();
    }
}

/// Leaves the visit for the round (after 完了 or a stop).
pub(super) fn finish(m: &mut Model) {
    if in_progress(m) {
        m.pending = Some(crate::app::model::Pending::LeaveVisit);
        return;
    }
    leave(m);
}

/// Leaves the visit, cancelling what is still open.
pub(super) fn leave(m: &mut Model) {
    if let Some(v) = m.visit.as_mut() {
        if v.reading.is_some() {
            v.cancel.cancel();
        }
        if let Some(s) = v.session.as_mut() {
            s.cancel();
        }
    }
    m.visit = None;
    m.reception = None;
    m.screen = ScreenId::Round;
    m.back_stack.clear();
}

/// The system back gesture on the visit screen.
pub(super) fn back(m: &mut Model, out: &mut Vec<Command>) {
    let Some(visit) = m.visit.as_mut() else { return round::pop(m) };
    if visit.reading.is_some() {
        return super::notify(
            m,
            NoticeKind::Info,
            format!(
                "カードを読み取っています。中止するときは「{}」を押してください。",
                labels::CANCEL_VISIT
            ),
            out,
        );
    }
    let Some(s) = visit.session.as_mut() else { return leave(m) };
    match s.step() {
        v::Step::EnterPin { .. }
        | v::Step::EnterCollation { .. }
        | v::Step::HoldCard { .. }
        | v::Step::ConfirmLastTry { .. }
        | v::Step::WrongCard { .. }
        | v::Step::ConfirmNewCard { .. } => {
            visit.error = s.back_to_mode_choice().err().map(|e| e.staff_message());
        }
        v::Step::ComparePhoto { .. } | v::Step::IdentityConfirmed { .. } => {
            m.pending = Some(crate::app::model::Pending::LeaveVisit);
        }
        v::Step::ChooseMode { .. }
        | v::Step::Done { .. }
        | v::Step::Cancelled
        | v::Step::IdentityRefused { .. } => leave(m),
    }
}
