// SPDX-License-Identifier: MPL-2.0
//! Who is at the door: staff signed in on a shared phone for their shift,
//! and the cards of a facility's residents taken from its safekeeping.

use chrono::{DateTime, Duration, Utc};
use houmon_core::protocol::{CustodyAction, CustodyEvent};
use houmon_core::visit::{new_id, SignInError, StaffKey};
use houmon_store::ItemKind;
use zeroize::Zeroizing;

use super::{round, sync, visit};
use crate::app::command::Command;
use crate::app::config::SignInPolicy;
use crate::app::event::Ctx;
use crate::app::model::{DayNote, Model, Pending, Phase, Problem, ScreenId, SignedIn};
use crate::app::runtime::SavedSignIn;
use crate::app::view::NoticeKind;

/// Whether visits on this phone need someone signed in now.
pub(crate) fn required(m: &Model) -> bool {
    match m.policy.sign_in {
        SignInPolicy::Never => false,
        SignInPolicy::Always => true,
        SignInPolicy::WhenShared => m.round.as_ref().is_some_and(|r| r.staff().len() > 1),
    }
}

/// The staff member a record made now is attributed to: the one signed
/// in, else the one the phone is enrolled for (when sign-in is not needed).
pub(crate) fn current(m: &Model) -> Option<(String, String)> {
    if let Some(s) = &m.signed_in {
        return Some((s.staff_id.clone(), s.name.clone()));
    }
    if required(m) {
        return None;
    }
    let e = m.enrolment.as_ref()?;
    let name = m
        .round
        .as_ref()
        .and_then(|r| r.staff().iter().find(|s| s.staff_id == e.staff_id))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| e.staff_id.clone());
    Some((e.staff_id.clone(), name))
}

/// The proof a record made now carries, when someone is signed in.
pub(crate) fn attest(m: &Model, item_id: &str) -> Option<houmon_core::visit::SignIn> {
    let s = m.signed_in.as_ref()?;
    let device = &m.enrolment.as_ref()?.device_id;
    Some(s.key.attest(device, &s.staff_id, item_id, s.at))
}

pub(super) fn open_sign_in(m: &mut Model, then_open: Option<String>) {
    if !matches!(m.phase, Phase::Ready) {
        return;
    }
    m.sign_in.error = None;
    m.sign_in.then_open = then_open;
    round::push(m, ScreenId::SignIn);
}

pub(super) fn sign_in(m: &mut Model, staff_id: String, code: String, out: &mut Vec<Command>) {
    let code = Zeroizing::new(code);
    if m.sign_in.checking {
        return;
    }
    let verifier = m
        .round
        .as_ref()
        .and_then(|r| r.staff().iter().find(|s| s.staff_id == staff_id))
        .and_then(|s| s.sign_in.clone());
    let Some(verifier) = verifier else {
        m.sign_in.error = Some(
            "この職員はこの端末でサインインできません(本日の訪問予定にないか、サインインコードが未設定です)。クリニックの管理者に確認してください。"
                .into(),
        );
        return;
    };
    if let Err(e) = houmon_core::visit::signin::check_shape(&code) {
        m.sign_in.error = Some(e.staff_message());
        return;
    }
    m.sign_in.selected = Some(staff_id.clone());
    m.sign_in.checking = true;
    m.sign_in.error = None;
    out.push(Command::CheckSignIn { staff_id, code, verifier });
}

pub(super) fn sign_in_checked(
    m: &mut Model,
    staff_id: &str,
    r: Result<StaffKey, SignInError>,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    m.sign_in.checking = false;
    let key = match r {
        Ok(k) => k,
        Err(e) => {
            m.sign_in.error = Some(e.staff_message());
            return;
        }
    };
    let name = m
        .round
        .as_ref()
        .and_then(|r| r.staff().iter().find(|s| s.staff_id == staff_id))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| staff_id.to_owned());
    out.push(Command::SaveSignIn(Some(SavedSignIn {
        staff_id: staff_id.to_owned(),
        name: name.clone(),
        at: ctx.now,
        key: key.bytes().to_vec(),
    })));
    m.signed_in = Some(SignedIn {
        staff_id: staff_id.to_owned(),
        name: name.clone(),
        at: ctx.now,
        last_active: ctx.now,
        key,
    });
    m.sign_in.selected = None;
    if m.screen == ScreenId::SignIn {
        round::pop(m);
    }
    super::notify(m, NoticeKind::Success, format!("{name} さんがサインインしました。"), out);
    if let Some(patient) = m.sign_in.then_open.take() {
        visit::open(m, Some(patient), None, ctx, out);
    }
}

/// Cards this staff member took and did not put back.
fn cards_out_by(m: &Model, staff_id: &str) -> usize {
    custody_states(m).into_iter().filter(|(_, s)| s.staff_id == staff_id && s.out).count()
}

pub(super) fn ask_sign_out(m: &mut Model, out: &mut Vec<Command>) {
    let Some(s) = &m.signed_in else { return };
    if cards_out_by(m, &s.staff_id) > 0 {
        m.pending = Some(Pending::SignOutWithCardsOut);
        return;
    }
    sign_out(m, None, out);
}

pub(super) fn sign_out(m: &mut Model, why: Option<String>, out: &mut Vec<Command>) {
    let Some(s) = m.signed_in.take() else { return };
    out.push(Command::SaveSignIn(None));
    let text = why.unwrap_or_else(|| format!("{} さんがサインアウトしました。", s.name));
    super::notify(m, NoticeKind::Info, text, out);
}

fn expired(
    m: &Model,
    s_at: DateTime<Utc>,
    last: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<String> {
    let shift = Duration::hours(i64::from(m.policy.shift_hours.max(1)));
    if now - s_at >= shift {
        return Some("勤務時間の上限を過ぎたため、サインアウトしました。".into());
    }
    let idle = m.policy.idle_sign_out_minutes;
    if idle > 0 && now - last >= Duration::minutes(i64::from(idle)) {
        return Some("一定時間操作がなかったため、サインアウトしました。".into());
    }
    None
}

/// Signs out after the shift or idle time (never in the middle of a visit).
pub(super) fn expire_sign_in(m: &mut Model, ctx: Ctx, out: &mut Vec<Command>) {
    let Some(s) = &m.signed_in else { return };
    if visit::in_progress(m) {
        return;
    }
    if let Some(why) = expired(m, s.at, s.last_active, ctx.now) {
        sign_out(m, Some(why), out);
    }
}

/// The sign-in kept sealed across a restart, unless its time is up.
pub(super) fn restore(m: &mut Model, saved: Option<SavedSignIn>, ctx: Ctx, out: &mut Vec<Command>) {
    let Some(saved) = saved else { return };
    let Some(key) = StaffKey::from_bytes(&saved.key) else {
        out.push(Command::SaveSignIn(None));
        return;
    };
    let same_day = saved.at.with_timezone(&houmon_core::card::cert::jst()).date_naive() == m.today;
    // A restart counts as use: the idle clock starts again, the shift's does not.
    if !same_day || expired(m, saved.at, ctx.now, ctx.now).is_some() {
        out.push(Command::SaveSignIn(None));
        return;
    }
    m.signed_in = Some(SignedIn {
        staff_id: saved.staff_id.clone(),
        name: saved.name.clone(),
        at: saved.at,
        last_active: ctx.now,
        key,
    });
}

/// A resident's card and the facility's safekeeping, from the day's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Custody {
    pub out: bool,
    pub staff_id: String,
    pub staff_name: String,
    pub at: DateTime<Utc>,
}

/// The last custody entry of each resident today.
pub(crate) fn custody_states(m: &Model) -> Vec<(String, Custody)> {
    let mut states: Vec<(String, Custody)> = Vec::new();
    for d in m.day_log.iter().filter(|d| d.kind == ItemKind::Custody) {
        let DayNote::Custody { patient_id, action, staff_id, staff_name } = &d.note else {
            continue;
        };
        let c = Custody {
            out: *action == CustodyAction::Taken,
            staff_id: staff_id.clone(),
            staff_name: staff_name.clone(),
            at: d.at,
        };
        match states.iter_mut().find(|(p, _)| p == patient_id) {
            Some((_, s)) => *s = c,
            None => states.push((patient_id.clone(), c)),
        }
    }
    states
}

pub(super) fn custody(
    m: &mut Model,
    patient_id: &str,
    action: CustodyAction,
    ctx: Ctx,
    out: &mut Vec<Command>,
) {
    let resident = m
        .round
        .as_ref()
        .and_then(|r| r.patient(patient_id))
        .filter(|p| p.entry.facility.is_some())
        .map(|p| p.entry.name.clone());
    let Some(name) = resident else {
        super::notify(
            m,
            NoticeKind::Trouble,
            "カードの預かりを記録できるのは、本日の施設の訪問予定にある入居者だけです。".into(),
            out,
        );
        return;
    };
    let Some((staff_id, staff_name)) = current(m) else {
        open_sign_in(m, None);
        return;
    };
    let out_now =
        custody_states(m).into_iter().find(|(p, _)| p == patient_id).is_some_and(|(_, c)| c.out);
    match (action, out_now) {
        (CustodyAction::Taken, true) => {
            return super::notify(
                m,
                NoticeKind::Info,
                format!("{name} さんのカードはすでに預かり中です。"),
                out,
            );
        }
        (CustodyAction::Returned, false) => {
            return super::notify(
                m,
                NoticeKind::Info,
                format!("{name} さんのカードは預かっていません。"),
                out,
            );
        }
        _ => {}
    }
    let Some(device_id) = m.enrolment.as_ref().map(|e| e.device_id.clone()) else { return };
    let id = new_id("c");
    let sign_in = attest(m, &id);
    let event = CustodyEvent {
        id,
        device_id,
        staff_id: staff_id.clone(),
        patient_id: patient_id.to_owned(),
        action,
        at: ctx.now,
        time_anchor: None,
        sign_in,
    };
    let note = DayNote::Custody { patient_id: patient_id.to_owned(), action, staff_id, staff_name };
    out.push(Command::StoreCustody { event: Box::new(event), day: m.today, note });
}

pub(super) fn custody_stored(
    m: &mut Model,
    event: CustodyEvent,
    r: Result<(), Problem>,
    _ctx: Ctx,
    out: &mut Vec<Command>,
) {
    let name = m
        .round
        .as_ref()
        .and_then(|r| r.patient(&event.patient_id))
        .map(|p| p.entry.name.clone())
        .unwrap_or_default();
    match r {
        Ok(()) => {
            out.push(Command::LoadDayLog { day: m.today });
            out.push(Command::LoadQueue);
            let text = match event.action {
                CustodyAction::Taken => format!("{name} さんのカードを預かりました。"),
                CustodyAction::Returned => format!("{name} さんのカードを返却しました。"),
            };
            super::notify(m, NoticeKind::Success, text, out);
            sync::want(m, out);
        }
        Err(p) => super::notify(m, NoticeKind::Trouble, p.message, out),
    }
}
