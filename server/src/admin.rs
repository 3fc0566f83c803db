// SPDX-License-Identifier: MPL-2.0
//! Staff actions on the server's data, shared by the command line, the
//! console and the tests. Each one is audited with who did it.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::InsuranceNumbers;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::patients::{self, PersonalData};
use crate::db::rounds::{self, Stop};
use crate::db::staff::{self, Role, Staff};
use crate::db::{care_team, DbResult};
use crate::reach::Reach;
use crate::validate::{is_id, is_name};

/// A patient as the clinic's systems give them (the demo, tests, imports).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientSeed {
    pub patient_id: String,
    pub name: String,
    #[serde(default)]
    pub kana: String,
    pub address: String,
    pub birth_date: NaiveDate,
    pub insurance: Option<InsuranceNumbers>,
    /// The care facility the patient lives in, if any.
    #[serde(default)]
    pub facility: Option<String>,
    /// Its floor or unit (「2階」「さくらユニット」), if any.
    #[serde(default)]
    pub unit: Option<String>,
}

impl PatientSeed {
    /// The part of the seed that is sealed at rest.
    pub fn personal(&self) -> PersonalData {
        PersonalData {
            name: self.name.clone(),
            kana: self.kana.clone(),
            address: self.address.clone(),
            birth_date: self.birth_date,
            insurance: self.insurance.clone(),
            unit: self.unit.clone(),
        }
    }
}

/// Why an admin action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    /// Outside what this staff member may act on (`reach.rs`); audited.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn invalid(what: impl Into<String>) -> AdminError {
    AdminError::Invalid(what.into())
}

fn unknown_staff(staff_id: &str) -> AdminError {
    invalid(format!("職員ID {staff_id} は登録されていません。職員の一覧を開き直して、登録されている職員を選んでください。"))
}

fn audited(
    app: &App,
    entry: Entry,
    f: impl FnOnce(crate::db::Conn<'_>, &crate::secrets::Secrets) -> DbResult<()>,
) -> Result<(), AdminError> {
    let now = Utc::now();
    app.db.write(|tx, s| {
        f(tx, s)?;
        audit::append(tx, s, &entry, now)
    })?;
    Ok(())
}

pub fn add_staff(
    app: &App,
    by: &Actor,
    staff_id: &str,
    name: &str,
    role: Role,
) -> Result<(), AdminError> {
    if !is_id(staff_id) || !is_name(name) {
        return Err(invalid(
            "職員IDは英数字で始め、英数字と - _ . だけで64文字まで、氏名は64文字までで入力してください",
        ));
    }
    let entry = Entry::new(by.clone(), "staff.upsert", "ok").target(staff_id).detail(role.as_str());
    audited(app, entry, |tx, _| staff::upsert(tx, staff_id, name, role, Utc::now()))
}

/// Sets a staff member's sign-in code for shared phones (6–12 digits).
/// The code itself is kept nowhere: the server keeps the key derived
/// from it (sealed), phones get the verifier (`db/signin.rs`). Audited.
pub fn set_signin_code(
    app: &App,
    by: &Actor,
    staff_id: &str,
    code: &str,
) -> Result<(), AdminError> {
    let (key, verifier) = houmon_core::visit::StaffKey::new_code(code)
        .map_err(|e| AdminError::Invalid(e.staff_message()))?;
    let entry = Entry::new(by.clone(), "staff.signin-code", "ok").target(staff_id);
    let mut found = false;
    audited(app, entry, |tx, s| {
        found = crate::db::signin::set_code(tx, s, staff_id, &key, &verifier)?;
        if found {
            Ok(())
        } else {
            // Nothing is written, the audit entry neither.
            Err(crate::db::DbError::Commit(format!("no staff member {staff_id}")))
        }
    })
    .map_err(|e| match found {
        false => unknown_staff(staff_id),
        true => e,
    })
}

pub fn add_patient(app: &App, by: &Actor, p: &PatientSeed) -> Result<(), AdminError> {
    if !is_id(&p.patient_id) {
        return Err(invalid("患者IDは英数字で始め、英数字と - _ . だけで64文字までにしてください"));
    }
    if p.name.trim().is_empty() || p.name.chars().any(char::is_control) {
        return Err(invalid("患者の氏名を入力してください(改行などの制御文字は使えません)"));
    }
    let personal = p.personal();
    let entry = Entry::new(by.clone(), "patient.upsert", "ok").target(&p.patient_id);
    audited(app, entry, |tx, s| {
        patients::upsert(tx, s, &p.patient_id, &personal, p.facility.as_deref(), Utc::now())
    })
}

/// A stop names a phone (or any phone of its staff member, `*`), a staff
/// member and a patient by ids a round may hold.
fn check_stop_ids(stop: &Stop) -> Result<(), AdminError> {
    let device_ok = stop.device_id == rounds::ANY_DEVICE || is_id(&stop.device_id);
    if !device_ok || !is_id(&stop.staff_id) || !is_id(&stop.patient_id) {
        return Err(invalid(
            "端末・職員・患者のIDの形式が正しくありません。ページを開き直してから、もう一度選んでください。",
        ));
    }
    Ok(())
}

/// Puts `patient_id` on the round of `device_id` (carried by `staff_id`) on `day`.
pub fn assign(app: &App, by: &Actor, stop: &Stop) -> Result<(), AdminError> {
    check_stop_ids(stop)?;
    let entry = Entry::new(by.clone(), "round.assign", "ok")
        .target(format!("{} {} {}", stop.day, stop.device_id, stop.patient_id))
        .detail(format!("staff={}", stop.staff_id));
    audited(app, entry, |tx, _| rounds::assign(tx, stop))
}

/// Takes a stop off a round for `planner`: a nurse only her own. Returns
/// whether there was one.
pub fn unplan_stop(
    app: &App,
    planner: &Staff,
    day: NaiveDate,
    device_id: &str,
    patient_id: &str,
) -> Result<bool, AdminError> {
    let by = Actor::Staff(planner.staff_id.clone());
    let target = format!("{day} {device_id} {patient_id}");
    let now = Utc::now();
    let outcome = app.db.write(|tx, s| {
        let reach = Reach::of(tx, planner)?;
        let stop = rounds::of_day(tx, day)?
            .into_iter()
            .find(|st| st.device_id == device_id && st.patient_id == patient_id);
        if stop.as_ref().is_some_and(|st| !reach.stop(st)) {
            let entry = Entry::new(by.clone(), "round.unassign", "refused:forbidden")
                .target(&target)
                .detail("another staff member's stop");
            audit::append(tx, s, &entry, now)?;
            return Ok(None);
        }
        let done = rounds::unassign(tx, day, device_id, patient_id)?;
        let entry = Entry::new(by.clone(), "round.unassign", "ok").target(&target);
        audit::append(tx, s, &entry, now)?;
        Ok(Some(done))
    })?;
    outcome.ok_or_else(|| AdminError::Forbidden("ほかの職員の予定は外せません。".into()))
}

/// Gives `patient_id` to the staff members `staff_ids` (its care team:
/// the nurses who may plan rounds with the patient).
pub fn set_care_team(
    app: &App,
    by: &Actor,
    patient_id: &str,
    staff_ids: &BTreeSet<String>,
) -> Result<(), AdminError> {
    if !is_id(patient_id) || !staff_ids.iter().all(|s| is_id(s)) {
        return Err(invalid(
            "患者または職員の指定が正しくありません。患者のページを開き直して、もう一度選んでください。",
        ));
    }
    let who = match by {
        Actor::Staff(s) => s.clone(),
        other => format!("{other:?}"),
    };
    let now = Utc::now();
    let unknown = app.db.write(|tx, s| {
        if !patients::exists(tx, patient_id)? {
            return Ok(Some(format!("患者 {patient_id} は登録されていません。患者の一覧を開き直してください。")));
        }
        for id in staff_ids {
            if staff::get(tx, id)?.is_none_or(|st| st.disabled) {
                return Ok(Some(format!("職員 {id} は登録されていないか、無効にされています。担当の職員を選び直してください。")));
            }
        }
        care_team::set(tx, patient_id, staff_ids, &who, now)?;
        let team = staff_ids.iter().cloned().collect::<Vec<_>>().join(",");
        let entry = Entry::new(by.clone(), "patient.care-team", "ok")
            .target(patient_id)
            .detail(format!("staff={team}"));
        audit::append(tx, s, &entry, now)?;
        Ok(None)
    })?;
    unknown.map_or(Ok(()), |m| Err(invalid(m)))
}

pub fn unassign(
    app: &App,
    by: &Actor,
    day: NaiveDate,
    device_id: &str,
    patient_id: &str,
) -> Result<bool, AdminError> {
    let mut done = false;
    let entry = Entry::new(by.clone(), "round.unassign", "ok")
        .target(format!("{day} {device_id} {patient_id}"));
    audited(app, entry, |tx, _| {
        done = rounds::unassign(tx, day, device_id, patient_id)?;
        Ok(())
    })?;
    Ok(done)
}

/// Checks the audit trail: its chain, and that it still holds the head
/// anchored outside the database (`audit_head.rs`).
pub fn verify_audit(app: &App) -> DbResult<audit::Chain> {
    let chain = app.db.read(audit::verify)?;
    if let audit::Chain::Intact { entries, .. } = chain {
        if let Some(a) = app.audit_head.missing(&app.db)? {
            return Ok(audit::Chain::TailMissing { entries, anchored: a.seq });
        }
    }
    Ok(chain)
}

/// Writes the trail's head to the head file now (the server does so at
/// most a second after each entry, and when it stops).
pub fn anchor_audit(app: &App) -> DbResult<()> {
    app.audit_head.sync(&app.db)
}

/// Anchors the trail's head as it is now, even if the trail lost entries
/// the head file recorded: an administrator's decision after looking into
/// it (`houmon-server audit --reanchor`), audited.
pub fn reanchor_audit(app: &App, by: &Actor) -> DbResult<()> {
    let was = app.audit_head.anchored().map(|h| h.seq);
    let entry = Entry::new(by.clone(), "audit.reanchor", "ok")
        .detail(format!("the head file named entry {}", was.map_or("-".into(), |s| s.to_string())));
    app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now()))?;
    app.audit_head.reanchor(&app.db)?;
    Ok(())
}

/// Sets a staff member's console password (hashed with argon2id); ends
/// their sessions. At least 12 characters.
pub fn set_password(
    app: &App,
    by: &Actor,
    staff_id: &str,
    password: &str,
) -> Result<(), AdminError> {
    if password.chars().count() < 12 {
        return Err(invalid("パスワードは12文字以上にしてください"));
    }
    let hash = crate::console::password::hash(password).map_err(invalid)?;
    let now = Utc::now();
    let entry = Entry::new(by.clone(), "staff.password", "ok").target(staff_id);
    let mut found = false;
    audited(app, entry, |tx, _| {
        found = crate::db::console::set_password(tx, staff_id, &hash)?;
        crate::db::console::end_sessions_of(tx, staff_id, now)
    })?;
    if !found {
        return Err(unknown_staff(staff_id));
    }
    // A new password: the waits wrong ones put on the account are lifted.
    app.logins.release(staff_id);
    Ok(())
}

/// Imports patients in one transaction: all of them, or none (a bad row
/// is reported with its line and nothing is written).
pub fn import_patients(app: &App, by: &Actor, seeds: &[PatientSeed]) -> Result<usize, AdminError> {
    for p in seeds {
        if !is_id(&p.patient_id) || p.name.trim().is_empty() || p.name.chars().any(char::is_control)
        {
            return Err(invalid(format!(
                "患者ID「{}」の行を取り込めません。IDは英数字で始め英数字と - _ . だけで64文字まで、氏名は空にせず改行などの制御文字を入れずに入力してください。",
                p.patient_id.chars().filter(|c| !c.is_control()).take(64).collect::<String>()
            )));
        }
    }
    let now = Utc::now();
    app.db.write(|tx, s| {
        for p in seeds {
            patients::upsert(tx, s, &p.patient_id, &p.personal(), p.facility.as_deref(), now)?;
        }
        let entry = Entry::new(by.clone(), "patient.import", "ok")
            .detail(format!("{} patients", seeds.len()));
        audit::append(tx, s, &entry, now)
    })?;
    Ok(seeds.len())
}

/// Adds (or updates) a staff member and, if given, sets their password —
/// both or neither: a refused password (under 12 characters) leaves no
/// account behind. One transaction, two audit entries.
pub fn save_staff(
    app: &App,
    by: &Actor,
    staff_id: &str,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> Result<(), AdminError> {
    if !is_id(staff_id) {
        return Err(invalid("職員IDは英数字で始め、英数字と - _ . だけで64文字までにしてください"));
    }
    if !is_name(name) {
        return Err(invalid("氏名を64文字までで入力してください"));
    }
    let hash = match password {
        Some(p) if p.chars().count() < 12 => {
            return Err(invalid("パスワードは12文字以上にしてください"));
        }
        Some(p) => Some(crate::console::password::hash(p).map_err(invalid)?),
        None => None,
    };
    let now = Utc::now();
    app.db.write(|tx, s| {
        staff::upsert(tx, staff_id, name, role, now)?;
        let entry =
            Entry::new(by.clone(), "staff.upsert", "ok").target(staff_id).detail(role.as_str());
        audit::append(tx, s, &entry, now)?;
        if let Some(h) = &hash {
            crate::db::console::set_password(tx, staff_id, h)?;
            crate::db::console::end_sessions_of(tx, staff_id, now)?;
            audit::append(
                tx,
                s,
                &Entry::new(by.clone(), "staff.password", "ok").target(staff_id),
                now,
            )?;
        }
        Ok(())
    })?;
    if hash.is_some() {
        app.logins.release(staff_id);
    }
    Ok(())
}

/// Disables a staff member at once (a leaver): they cannot log in to the
/// console, their console sessions end, the phones enrolled for them are
/// refused and their unused enrolment codes are void, until an
/// administrator enables them again. Nobody disables their own account.
pub fn disable_staff(app: &App, by: &Actor, staff_id: &str) -> Result<(), AdminError> {
    if matches!(by, Actor::Staff(me) if me == staff_id) {
        return Err(invalid("自分のアカウントは無効にできません。別の管理者に依頼してください。"));
    }
    let now = Utc::now();
    let mut found = false;
    let mut voided = 0;
    app.db.write(|tx, s| {
        found = staff::set_disabled(tx, staff_id, Some(now))?;
        if !found {
            return Ok(());
        }
        crate::db::console::end_sessions_of(tx, staff_id, now)?;
        voided = crate::db::devices::void_codes_of(tx, staff_id, now)?;
        let entry = Entry::new(by.clone(), "staff.disable", "ok").target(staff_id).detail(format!(
            "console sessions ended, phones refused, {voided} enrolment codes void"
        ));
        audit::append(tx, s, &entry, now)
    })?;
    if !found {
        return Err(invalid(format!("職員ID {staff_id} は登録されていません")));
    }
    Ok(())
}

/// Puts several stops on rounds for `planner`, all of them or none: each
/// is checked against what the planner may act on (`reach.rs`) inside the
/// one transaction before any is written; stops already planned are left
/// as they are. Returns how many were added. The first refusal is an
/// audit entry; each stop added is one too.
pub fn plan_stops(app: &App, planner: &Staff, stops: &[Stop]) -> Result<usize, AdminError> {
    for stop in stops {
        check_stop_ids(stop)?;
    }
    let by = Actor::Staff(planner.staff_id.clone());
    let now = Utc::now();
    let outcome = app.db.write(|tx, s| {
        let reach = Reach::of(tx, planner)?;
        for stop in stops {
            if let Err(why) = reach.may_plan(tx, stop)? {
                let entry = Entry::new(by.clone(), "round.assign", "refused:forbidden")
                    .target(format!("{} {} {}", stop.day, stop.device_id, stop.patient_id))
                    .detail(format!("staff={}: {why}", stop.staff_id));
                audit::append(tx, s, &entry, now)?;
                return Ok(Err(why));
            }
        }
        let mut added = 0;
        let mut by_day: std::collections::HashMap<NaiveDate, Vec<Stop>> = Default::default();
        for stop in stops {
            let existing = match by_day.get(&stop.day) {
                Some(e) => e.clone(),
                None => {
                    let e = rounds::of_day(tx, stop.day)?;
                    by_day.insert(stop.day, e.clone());
                    e
                }
            };
            if existing
                .iter()
                .any(|e| e.device_id == stop.device_id && e.patient_id == stop.patient_id)
            {
                continue;
            }
            rounds::assign(tx, stop)?;
            by_day.entry(stop.day).or_default().push(stop.clone());
            let entry = Entry::new(by.clone(), "round.assign", "ok")
                .target(format!("{} {} {}", stop.day, stop.device_id, stop.patient_id))
                .detail(format!("staff={}", stop.staff_id));
            audit::append(tx, s, &entry, now)?;
            added += 1;
        }
        Ok(Ok(added))
    })?;
    outcome.map_err(|why| AdminError::Forbidden(why.into()))
}

/// Sets the order of a day's stops (`(device, patient, position)`), each
/// within the planner's reach (a nurse only hers), in one transaction.
pub fn reorder_stops(
    app: &App,
    planner: &Staff,
    day: NaiveDate,
    order: &[(String, String, i64)],
) -> Result<(), AdminError> {
    let by = Actor::Staff(planner.staff_id.clone());
    let now = Utc::now();
    let refused = app.db.write(|tx, s| {
        let reach = Reach::of(tx, planner)?;
        let stops = rounds::of_day(tx, day)?;
        for (device, patient, _) in order {
            let found =
                stops.iter().find(|st| &st.device_id == device && &st.patient_id == patient);
            if found.is_some_and(|st| !reach.stop(st)) {
                let entry = Entry::new(by.clone(), "round.reorder", "refused:forbidden")
                    .target(format!("{day} {device} {patient}"));
                audit::append(tx, s, &entry, now)?;
                return Ok(true);
            }
        }
        for (device, patient, position) in order {
            rounds::set_position(tx, day, device, patient, *position)?;
        }
        let entry = Entry::new(by.clone(), "round.reorder", "ok")
            .target(day.to_string())
            .detail(format!("{} stops", order.len()));
        audit::append(tx, s, &entry, now)?;
        Ok(false)
    })?;
    if refused {
        return Err(AdminError::Forbidden("ほかの職員の予定の順番は変えられません。".into()));
    }
    Ok(())
}

/// Enables a disabled staff member again: they may log in, and their
/// phones (if not revoked, and their tokens not expired) work again.
pub fn enable_staff(app: &App, by: &Actor, staff_id: &str) -> Result<(), AdminError> {
    let now = Utc::now();
    let mut found = false;
    app.db.write(|tx, s| {
        found = staff::set_disabled(tx, staff_id, None)?;
        if !found {
            return Ok(());
        }
        let entry = Entry::new(by.clone(), "staff.enable", "ok").target(staff_id);
        audit::append(tx, s, &entry, now)
    })?;
    if !found {
        return Err(invalid(format!("職員ID {staff_id} は登録されていません")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(device: &str, staff: &str, patient: &str) -> Stop {
        Stop {
            day: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            device_id: device.into(),
            staff_id: staff.into(),
            patient_id: patient.into(),
            position: 0,
        }
    }

    #[test]
    fn a_stop_names_a_phone_or_any_phone_a_staff_member_and_a_patient_by_valid_ids() {
        assert!(check_stop_ids(&stop("dev-1", "nurse-7", "p1")).is_ok());
        assert!(check_stop_ids(&stop(rounds::ANY_DEVICE, "nurse-7", "p1")).is_ok());
        // Each id on its own is checked: one bad id is enough to refuse.
        for bad in ["", "a b", "x\u{0}", "../p"] {
            for s in [
                stop(bad, "nurse-7", "p1"),
                stop("dev-1", bad, "p1"),
                stop("dev-1", "nurse-7", bad),
            ] {
                assert!(
                    matches!(check_stop_ids(&s), Err(AdminError::Invalid(_))),
                    "{:?} {:?} {:?}",
                    s.device_id,
                    s.staff_id,
                    s.patient_id
                );
            }
        }
        // `*` stands for any phone, never for a staff member or a patient.
        assert!(check_stop_ids(&stop("dev-1", rounds::ANY_DEVICE, "p1")).is_err());
        assert!(check_stop_ids(&stop("dev-1", "nurse-7", rounds::ANY_DEVICE)).is_err());
    }
}
