// SPDX-License-Identifier: MPL-2.0
//! Opening the store, the recovery screen when it does not open, enrolment.

use houmon_core::protocol::EnrolmentLink;

use super::{round, staff, sync};
use crate::app::command::Command;
use crate::app::event::Ctx;
use crate::app::labels;
use crate::app::model::{
    EnrolState, Model, Pending, Phase, Problem, Recovery, ResetStage, ScreenId,
};
use crate::app::runtime::Saved;
use crate::records::Enrolment;

pub(super) fn opened(
    m: &mut Model,
    enrolment: Option<Enrolment>,
    saved: Saved,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    m.careful_reading = saved.careful_reading.unwrap_or(m.policy.careful_reading);
    m.enrolment = enrolment;
    if m.enrolment.is_none() {
        // Kept by a reset: enrol with the administrator's code now.
        if let Phase::Recovery(Recovery { stage: ResetStage::Resetting { .. }, .. }) = &m.phase {
            return;
        }
        m.phase = Phase::Enrol(EnrolState::default());
        return;
    }
    m.phase = Phase::Ready;
    m.screen = ScreenId::Round;
    m.back_stack.clear();
    staff::restore(m, saved.sign_in, ctx, out);
    round::reload(m, out);
    sync::want(m, out);
}

pub(super) fn open_failed(m: &mut Model, problem: Problem, unsent: Option<u32>) {
    m.phase = Phase::Recovery(Recovery { problem, unsent, stage: ResetStage::Problem });
}

pub(super) fn retry_open(m: &mut Model, out: &mut Vec<Command>) {
    if let Phase::Recovery(_) = m.phase {
        m.phase = Phase::Opening;
        out.push(Command::OpenStore);
    }
}

pub(super) fn start_reset(m: &mut Model) {
    if let Phase::Recovery(r) = &mut m.phase {
        r.stage = ResetStage::AwaitingAdminCode;
    }
}

fn parse(text: &str) -> Option<String> {
    let t = text.trim();
    EnrolmentLink::parse(t).map(|_| t.to_owned())
}

/// A QR code was scanned (or its text typed in).
pub(super) fn scanned(m: &mut Model, text: String, out: &mut Vec<Command>) {
    match &mut m.phase {
        Phase::Enrol(e) => {
            if e.busy {
                return;
            }
            match parse(&text) {
                None => e.error = Some(labels::NOT_OURS.into()),
                Some(link) => {
                    e.busy = true;
                    e.error = None;
                    out.push(Command::Enrol {
                        link,
                        device_name: m.config.platform.device_name.clone(),
                        reset_first: false,
                    });
                }
            }
        }
        Phase::Recovery(r) if r.stage == ResetStage::AwaitingAdminCode => match parse(&text) {
            None => {
                r.stage = ResetStage::AwaitingAdminCode;
                m.notice = Some(crate::app::view::Notice {
                    kind: crate::app::view::NoticeKind::Trouble,
                    text: labels::NOT_OURS.into(),
                });
            }
            Some(link) => {
                r.stage = ResetStage::Confirming { link: link.clone() };
                m.pending = Some(Pending::Reset { link });
            }
        },
        Phase::Ready => {
            m.notice = Some(crate::app::view::Notice {
                kind: crate::app::view::NoticeKind::Info,
                text: "この端末はすでにクリニックに登録されています。".into(),
            });
        }
        _ => {}
    }
}

/// The administrator's code is in and the loss confirmed: wipe, enrol.
pub(super) fn reset(m: &mut Model, link: String, out: &mut Vec<Command>) {
    if let Phase::Recovery(r) = &mut m.phase {
        r.stage = ResetStage::Resetting { link: link.clone() };
        out.push(Command::Enrol {
            link,
            device_name: m.config.platform.device_name.clone(),
            reset_first: true,
        });
    }
}

pub(super) fn reset_done(m: &mut Model, r: Result<(), Problem>) {
    if let Err(problem) = r {
        m.phase = Phase::Recovery(Recovery { problem, unsent: None, stage: ResetStage::Problem });
    }
}

pub(super) fn enrolled(
    m: &mut Model,
    r: Result<Enrolment, Problem>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    match r {
        Ok(e) => {
            m.enrolment = Some(e);
            m.phase = Phase::Ready;
            m.screen = ScreenId::Round;
            m.back_stack.clear();
            m.sync.blocked = None;
            round::reload(m, out);
            sync::reschedule(m, ctx, out);
        }
        Err(p) => match &mut m.phase {
            Phase::Enrol(e) => {
                e.busy = false;
                e.error = Some(p.message);
            }
            // The store was wiped but the code did not take: enrol anew.
            Phase::Recovery(_) => {
                m.phase = Phase::Enrol(EnrolState { busy: false, error: Some(p.message) })
            }
            _ => {}
        },
    }
}
