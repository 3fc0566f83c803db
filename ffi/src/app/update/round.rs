// SPDX-License-Identifier: MPL-2.0
//! The day's round, navigation between screens, the queue and reception
//! guidance.

use chrono::NaiveDate;
use houmon_core::card::cert::jst;

use super::{staff, sync, visit};
use crate::app::command::Command;
use crate::app::event::Ctx;
use crate::app::model::{Model, Phase, Problem, ReceptionModel, ResetStage, RoundData, ScreenId};
use crate::app::view::NoticeKind;
use crate::reception::{IdentityCheck, ReceptionStep, StepResult, StepTaken};

/// Japan's date moved on (a round past midnight, a phone left overnight):
/// the new day's round, and a sign-out (the shift ended).
pub(super) fn roll_day(m: &mut Model, ctx: Ctx, out: &mut Vec<Command>) {
    let today: NaiveDate = ctx.now.with_timezone(&jst()).date_naive();
    if today == m.today {
        return;
    }
    m.today = today;
    m.day_log.clear();
    if matches!(m.phase, Phase::Ready) {
        if m.signed_in.is_some() && !visit::in_progress(m) {
            staff::sign_out(m, Some("日付が変わったため、サインアウトしました。".into()), out);
        }
        reload(m, out);
    }
}

/// Loads what the round screen is built from: the roster, the day's log, the queue.
pub(super) fn reload(m: &mut Model, out: &mut Vec<Command>) {
    m.round_loading = true;
    out.push(Command::LoadRoster { day: m.today, online: m.online });
    out.push(Command::LoadDayLog { day: m.today });
    out.push(Command::LoadQueue);
}

pub(super) fn roster_loaded(m: &mut Model, day: NaiveDate, r: Result<RoundData, Problem>) {
    if day != m.today {
        return;
    }
    m.round_loading = false;
    match r {
        Ok(data) => {
            m.round = Some(data);
            m.round_error = None;
        }
        // The last copy stays on screen, with why it could not be renewed.
        Err(p) => m.round_error = Some(p.message),
    }
}

pub(super) fn push(m: &mut Model, screen: ScreenId) {
    if m.screen != screen {
        m.back_stack.push(m.screen);
        m.screen = screen;
    }
}

/// Back to the screen before (the round is the bottom).
pub(super) fn pop(m: &mut Model) {
    m.screen = m.back_stack.pop().unwrap_or(ScreenId::Round);
    if m.screen == ScreenId::Visit && m.visit.is_none() {
        m.screen = ScreenId::Round;
    }
}

/// Whether the core takes the system back gesture now.
pub(crate) fn can_go_back(m: &Model) -> bool {
    match &m.phase {
        Phase::Recovery(r) => r.stage != ResetStage::Problem,
        Phase::Ready => m.screen != ScreenId::Round,
        _ => false,
    }
}

pub(super) fn back(m: &mut Model, out: &mut Vec<Command>) {
    match &mut m.phase {
        Phase::Recovery(r) => {
            if !matches!(r.stage, ResetStage::Resetting { .. }) {
                r.stage = ResetStage::Problem;
            }
            return;
        }
        Phase::Ready => {}
        _ => return,
    }
    match m.screen {
        ScreenId::Round => {}
        ScreenId::Visit => visit::back(m, out),
        _ => pop(m),
    }
}

pub(super) fn queue_changed(
    m: &mut Model,
    r: Result<(), Problem>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    out.push(Command::LoadQueue);
    out.push(Command::LoadDayLog { day: m.today });
    match r {
        Ok(()) => sync::want(m, out),
        Err(p) => super::notify(m, NoticeKind::Trouble, p.message, out),
    }
    let _ = ctx;
}

/// Reception guidance for the patient of the open visit (how identity
/// went is taken from it), or of nobody in particular.
pub(super) fn open_reception(m: &mut Model) {
    use crate::reception::{MynaCardKind, PinUnavailable};
    use houmon_core::visit::{RefusalReason, UnavailableReason as U};
    let mut r = ReceptionModel {
        patient: None,
        kind: crate::records::VisitKind::HomeCare,
        identity: None,
        card_kind: None,
        certificate_expiry: None,
        tried: Vec::new(),
    };
    if let Some(v) = &m.visit {
        r.patient = v.patient.clone();
        r.kind = v.kind;
        let lost: Vec<U> = v
            .session
            .as_ref()
            .map(|s| s.unavailable().iter().map(|u| u.reason).collect())
            .unwrap_or_default();
        r.card_kind = if lost.contains(&U::PinNotSet) {
            Some(MynaCardKind::FaceRecognition)
        } else if lost.contains(&U::NoPhoto) {
            Some(MynaCardKind::NoPhoto)
        } else {
            None
        };
        r.identity = match v.refused {
            Some(RefusalReason::PhotoMismatch) => Some(IdentityCheck::VisualFailed),
            _ if lost.contains(&U::PinLocked) => {
                Some(IdentityCheck::PinUnavailable { why: PinUnavailable::Locked })
            }
            _ if lost.contains(&U::PinNotSet) => {
                Some(IdentityCheck::PinUnavailable { why: PinUnavailable::NotSet })
            }
            _ => None,
        };
        r.certificate_expiry = v.session.as_ref().and_then(|s| s.renewal()).map(|a| a.expires_on);
    }
    m.reception = Some(r);
    push(m, ScreenId::Reception);
}

pub(super) fn record_reception_step(
    m: &mut Model,
    step: ReceptionStep,
    result: StepResult,
    share: Option<u8>,
) {
    if let Some(r) = &mut m.reception {
        r.tried.retain(|t| t.step != step);
        r.tried.push(StepTaken { step, result, share });
    }
}
