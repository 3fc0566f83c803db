// SPDX-License-Identifier: MPL-2.0
//! Staff actions on the server's data, shared by the command line, the
//! console and the tests. Each one is audited with who did it.

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::InsuranceNumbers;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::patients::{self, PersonalData};
use crate::db::rounds::{self, Stop};
use crate::db::staff::{self, Role};
use crate::db::DbResult;
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
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn invalid(what: impl Into<String>) -> AdminError {
    AdminError::Invalid(what.into())
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
        return Err(invalid("staff id or name"));
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
        false => invalid(format!("no staff member {staff_id}")),
        true => e,
    })
}

pub fn add_patient(app: &App, by: &Actor, p: &PatientSeed) -> Result<(), AdminError> {
    if !is_id(&p.patient_id) {
        return Err(invalid(format!("patient id {:?}", p.patient_id)));
    }
    if p.name.trim().is_empty() || p.name.chars().any(char::is_control) {
        return Err(invalid("patient name"));
    }
    let personal = p.personal();
    let entry = Entry::new(by.clone(), "patient.upsert", "ok").target(&p.patient_id);
    audited(app, entry, |tx, s| {
        patients::upsert(tx, s, &p.patient_id, &personal, p.facility.as_deref(), Utc::now())
    })
}

/// Puts `patient_id` on the round of `device_id` (carried by `staff_id`) on `day`.
pub fn assign(app: &App, by: &Actor, stop: &Stop) -> Result<(), AdminError> {
    let device_ok = stop.device_id == rounds::ANY_DEVICE || is_id(&stop.device_id);
    if !device_ok || ![&stop.staff_id, &stop.patient_id].iter().all(|s| is_id(s)) {
        return Err(invalid("device, staff or patient id"));
    }
    let entry = Entry::new(by.clone(), "round.assign", "ok")
        .target(format!("{} {} {}", stop.day, stop.device_id, stop.patient_id))
        .detail(format!("staff={}", stop.staff_id));
    audited(app, entry, |tx, _| rounds::assign(tx, stop))
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

/// Checks the audit trail's chain.
pub fn verify_audit(app: &App) -> DbResult<audit::Chain> {
    app.db.read(audit::verify)
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
        return Err(invalid(format!("no staff member {staff_id}")));
    }
    Ok(())
}

/// Imports patients in one transaction: all of them, or none (a bad row
/// is reported with its line and nothing is written).
pub fn import_patients(app: &App, by: &Actor, seeds: &[PatientSeed]) -> Result<usize, AdminError> {
    for p in seeds {
        if !is_id(&p.patient_id) || p.name.trim().is_empty() || p.name.chars().any(char::is_control)
        {
            return Err(invalid(format!("patient {:?}", p.patient_id)));
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

/// How a held card was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldDecision {
    /// A reissued card: it becomes the patient's card, the visit is
    /// accepted and its eligibility check queued.
    AcceptAsReissued,
    Reject,
}

/// Resolves a follow-up with a note (and, for a held card, the decision).
pub fn resolve_follow_up(
    app: &App,
    by: &Actor,
    kind: &str,
    item: &str,
    note: &str,
    held: Option<HeldDecision>,
) -> Result<bool, AdminError> {
    if !is_id(kind) || item.is_empty() || item.len() > 200 || item.chars().any(char::is_control) {
        return Err(invalid("follow-up"));
    }
    if note.chars().count() > 1000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid("メモは1000文字までです"));
    }
    let who = match by {
        Actor::Staff(s) => s.clone(),
        other => format!("{other:?}"),
    };
    let outcome = match held {
        Some(HeldDecision::AcceptAsReissued) => "accepted-as-reissued",
        Some(HeldDecision::Reject) => "rejected",
        None => "resolved",
    };
    let now = Utc::now();
    let mut done = false;
    app.db.write(|tx, s| {
        let r = crate::db::console::Resolution {
            kind: kind.into(),
            item: item.into(),
            outcome: outcome.into(),
            note: note.into(),
            resolved_by: who.clone(),
            resolved_at: None,
        };
        done = crate::db::console::resolve(tx, &r, now)?;
        if done && held == Some(HeldDecision::AcceptAsReissued) {
            if let Some(v) = crate::db::visits::get(tx, item)? {
                crate::db::visits::set_status(tx, item, crate::db::visits::Status::Accepted, None)?;
                if let Some(pid) = &v.patient_id {
                    patients::enrol_card(tx, pid, &v.card_fingerprint, item, now)?;
                    let has_numbers =
                        patients::get(tx, s, pid)?.is_some_and(|p| p.personal.insurance.is_some());
                    if has_numbers {
                        crate::db::eligibility::queue(
                            tx,
                            &crate::app::check_id(),
                            pid,
                            Some(item),
                            now,
                        )?;
                    }
                }
            }
        }
        let entry = Entry::new(by.clone(), "followup.resolve", outcome)
            .target(format!("{kind} {item}"))
            .detail(note.chars().take(200).collect::<String>());
        audit::append(tx, s, &entry, now)
    })?;
    Ok(done)
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
