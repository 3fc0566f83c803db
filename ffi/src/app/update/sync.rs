// SPDX-License-Identifier: MPL-2.0
//! When the phone syncs, decided here once for both platforms.
//!
//! One round at a time (a request while one runs asks for one more after
//! it); a record just stored is sent at once when the network is there;
//! otherwise the next try is at the queue's own retry time, or after a
//! growing, jittered delay when rounds fail before sending anything — and
//! never sooner than [`MIN_DELAY`] (an OS job at zero delay would run in a
//! loop). A revoked phone does not try at all and says why.

use chrono::{DateTime, Duration, Utc};
use houmon_store::{ItemKind, ItemState};

use super::round;
use crate::app::command::Command;
use crate::app::event::Ctx;
use crate::app::model::{Model, Phase, Problem, SyncBlock, SyncOutcome};
use crate::app::view::{Effect, NoticeKind};
use crate::records::EligibilityStatus;

/// The soonest the OS is asked to wake the app.
pub(crate) const MIN_DELAY: Duration = Duration::seconds(30);
/// The longest wait after failed rounds.
pub(crate) const MAX_DELAY: Duration = Duration::minutes(15);
/// While a visit sent today still waits for the 資格確認端末's answer.
pub(crate) const RESULTS_POLL: Duration = Duration::minutes(5);

fn jittered(d: Duration, random: f64) -> Duration {
    // ±20%.
    let ms = d.num_milliseconds() as f64 * (0.8 + 0.4 * random.clamp(0.0, 1.0));
    Duration::milliseconds(ms as i64)
}

/// Whether a visit sent today still waits for its eligibility answer.
fn awaiting_results(m: &Model) -> bool {
    let Some(round) = &m.round else { return false };
    m.day_log.iter().any(|d| {
        d.kind == ItemKind::Visit
            && d.state == ItemState::Sent
            && match &d.note {
                crate::app::model::DayNote::Visit { patient_id: Some(p), .. } => {
                    round.patient(p).is_some_and(|p| {
                        matches!(
                            p.eligibility.status,
                            EligibilityStatus::Unknown | EligibilityStatus::Checking
                        )
                    })
                }
                _ => false,
            }
    })
}

/// When the next sync should run, if at all.
pub(crate) fn next_sync_at(m: &Model, ctx: Ctx) -> Option<DateTime<Utc>> {
    if !matches!(m.phase, Phase::Ready) || m.enrolment.is_none() || m.sync.blocked.is_some() {
        return None;
    }
    let now = ctx.now;
    let floor = now + MIN_DELAY;
    if m.sync.failures > 0 {
        let steps = (m.sync.failures - 1).min(8);
        let wait = (MIN_DELAY * 2i32.pow(steps)).min(MAX_DELAY);
        return Some((now + jittered(wait, ctx.random)).max(floor));
    }
    if !m.queue.pending.is_empty() {
        let due = m.queue.next_wakeup.unwrap_or(now).max(floor);
        return Some(due + jittered(Duration::seconds(5), ctx.random));
    }
    awaiting_results(m).then(|| now + jittered(RESULTS_POLL, ctx.random))
}

/// Tells the runtime's timer and the OS the next time, when it changed.
pub(super) fn reschedule(m: &mut Model, ctx: Ctx, out: &mut Vec<Command>) {
    schedule(m, ctx, out, false)
}

/// After a round: its outcome decides the next time, whatever was planned.
fn schedule(m: &mut Model, ctx: Ctx, out: &mut Vec<Command>, after_round: bool) {
    if m.sync.running {
        return;
    }
    let want = next_sync_at(m, ctx);
    let keep = match (m.sync.next_at, want) {
        (None, None) => true,
        // A time still ahead and not later than needed stays (no churn).
        (Some(cur), Some(w)) => !after_round && cur > ctx.now && cur <= w + Duration::seconds(5),
        _ => false,
    };
    if keep {
        return;
    }
    m.sync.next_at = want;
    out.push(Command::ArmTimer(want));
    out.push(Command::Shell(match want {
        Some(at) => Effect::ScheduleSync { at: at.into() },
        None => Effect::CancelScheduledSync,
    }));
}

/// Asks for a round now (or one more after the running one).
pub(super) fn want(m: &mut Model, out: &mut Vec<Command>) {
    if !matches!(m.phase, Phase::Ready)
        || m.enrolment.is_none()
        || !m.online
        || m.sync.blocked.is_some()
    {
        return;
    }
    if m.sync.running {
        m.sync.again = true;
    } else {
        m.sync.running = true;
        out.push(Command::Sync);
    }
}

pub(super) fn network(m: &mut Model, online: bool, ctx: Ctx, out: &mut Vec<Command>) {
    let was = m.online;
    m.online = online;
    if !matches!(m.phase, Phase::Ready) {
        return;
    }
    out.push(Command::SetOnline(online));
    if online && !was {
        // The backoff was waiting for the network, which is here again.
        m.sync.failures = 0;
        round::reload(m, out);
        want(m, out);
    }
    reschedule(m, ctx, out);
}

pub(super) fn finished(
    m: &mut Model,
    r: Result<SyncOutcome, Problem>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    m.sync.running = false;
    match r {
        Ok(o) => {
            m.sync.last_done_at = Some(ctx.now);
            let nothing_went = o.sent == 0 && o.held == 0 && o.wedged == 0;
            if o.deferred.is_some() && nothing_went {
                m.sync.failures += 1;
            } else {
                m.sync.failures = 0;
            }
            m.sync.last_error = match (&o.deferred, &o.results_error) {
                (Some(_), _) => {
                    Some("一部の記録を送信できませんでした。後で自動的に再送します。".into())
                }
                (None, Some(e)) => Some(e.clone()),
                (None, None) => None,
            };
            m.sync.last = Some(o);
            round::reload(m, out);
        }
        Err(p) => match p.code.as_str() {
            "sync.unauthorized" => {
                m.sync.blocked = Some(SyncBlock::Revoked);
                m.sync.again = false;
                super::notify(m, NoticeKind::Trouble, p.message, out);
            }
            "sync.offline" | "sync.not-enrolled" => {}
            _ => {
                m.sync.failures += 1;
                m.sync.last_error = Some(p.message);
            }
        },
    }
    if std::mem::take(&mut m.sync.again) {
        want(m, out);
    }
    schedule(m, ctx, out, true);
}
