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
    f: impl FnOnce(&rusqlite::Transaction<'_>, &crate::secrets::Secrets) -> DbResult<()>,
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

pub fn add_patient(app: &App, by: &Actor, p: &PatientSeed) -> Result<(), AdminError> {
    if !is_id(&p.patient_id) {
        return Err(invalid(format!("patient id {:?}", p.patient_id)));
    }
    if p.name.trim().is_empty() || p.name.chars().any(char::is_control) {
        return Err(invalid("patient name"));
    }
    let personal = PersonalData {
        name: p.name.clone(),
        kana: p.kana.clone(),
        address: p.address.clone(),
        birth_date: p.birth_date,
        insurance: p.insurance.clone(),
    };
    let entry = Entry::new(by.clone(), "patient.upsert", "ok").target(&p.patient_id);
    audited(app, entry, |tx, s| {
        patients::upsert(tx, s, &p.patient_id, &personal, p.facility.as_deref(), Utc::now())
    })
}

/// Puts `patient_id` on the round of `device_id` (carried by `staff_id`) on `day`.
pub fn assign(app: &App, by: &Actor, stop: &Stop) -> Result<(), AdminError> {
    if ![&stop.device_id, &stop.staff_id, &stop.patient_id].iter().all(|s| is_id(s)) {
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
