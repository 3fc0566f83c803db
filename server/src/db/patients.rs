// SPDX-License-Identifier: MPL-2.0
//! Patients: the id, the facility and the clinic's own facts in clear; the
//! personal data (name, kana, address, birth date, insurance numbers)
//! sealed under the server key with the patient id as associated data.

use super::engine::{Conn, Row};
use crate::params;
use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::InsuranceNumbers;
use serde::{Deserialize, Serialize};

use super::{open_sealed, parse_ts, ts, DbError, DbResult};
use crate::secrets::Secrets;

/// What is sealed for each patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    pub name: String,
    #[serde(default)]
    pub kana: String,
    pub address: String,
    pub birth_date: NaiveDate,
    pub insurance: Option<InsuranceNumbers>,
    /// The floor or unit within the patient's facility (「2階」): the
    /// phone groups a facility's residents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A patient as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub patient_id: String,
    pub personal: PersonalData,
    pub facility: Option<String>,
    /// The first visit of this course of care (for consent), as the server
    /// recorded it.
    pub first_visit_on: Option<NaiveDate>,
    pub consent_until: Option<NaiveDate>,
    /// SHA-256 of the enrolled card certificate, when, and by which visit.
    pub enrolled_cert: Option<String>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub enrolled_by_visit: Option<String>,
}

pub(crate) fn seal_personal(s: &Secrets, patient_id: &str, p: &PersonalData) -> Vec<u8> {
    let json = serde_json::to_vec(p).expect("personal data serialises");
    s.seal(&json, &format!("patient:{patient_id}"))
}

fn row(r: &Row, s: &Secrets) -> DbResult<Patient> {
    let id: String = r.get(0)?;
    let sealed: Vec<u8> = r.get(1)?;
    let json = open_sealed(s, &sealed, &format!("patient:{id}"))?;
    let personal: PersonalData = serde_json::from_slice(&json)
        .map_err(|_| DbError::Sealed { what: format!("patient:{id}") })?;
    let date = |v: Option<String>| v.and_then(|d| d.parse().ok());

    Ok(Patient {
        personal,
        facility: r.get(2)?,
        first_visit_on: date(r.get(3)?),
        consent_until: date(r.get(4)?),
        enrolled_cert: r.get(5)?,
        enrolled_at: r.get::<Option<String>>(6)?.as_deref().and_then(parse_ts),
        enrolled_by_visit: r.get(7)?,
        patient_id: id,
    })
}

const COLUMNS: &str =
    "patient_id, personal, facility, first_visit_on, consent_until, enrolled_cert, \
                       enrolled_at, enrolled_by_visit";

/// Adds a patient or replaces their personal data and facility (the
/// clinic's own facts — consent, enrolled card — are kept).
pub fn upsert(
    c: Conn<'_>,
    s: &Secrets,
    patient_id: &str,
    personal: &PersonalData,
    facility: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        &format!(
            "INSERT INTO patient (patient_id, personal, facility, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT({}) DO UPDATE SET personal = excluded.personal, facility = excluded.facility,
             updated_at = excluded.updated_at",
            c.key("patient_id")
        ),
        params![patient_id, seal_personal(s, patient_id, personal), facility, ts(now)],
    )?;
    Ok(())
}

pub fn get(c: Conn<'_>, s: &Secrets, patient_id: &str) -> DbResult<Option<Patient>> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM patient WHERE patient_id = ?1"),
        params![patient_id],
        |r| row(r, s),
    )
}

pub fn all(c: Conn<'_>, s: &Secrets) -> DbResult<Vec<Patient>> {
    c.query_all(&format!("SELECT {COLUMNS} FROM patient ORDER BY patient_id"), params![], |r| {
        row(r, s)
    })
}

pub fn exists(c: Conn<'_>, patient_id: &str) -> DbResult<bool> {
    Ok(c.query_opt("SELECT 1 FROM patient WHERE patient_id = ?1", params![patient_id], |_| Ok(()))?
        .is_some())
}

/// The patient a card is enrolled to, if any.
pub fn holder_of(c: Conn<'_>, fingerprint: &str) -> DbResult<Option<String>> {
    c.query_opt(
        "SELECT patient_id FROM patient WHERE enrolled_cert = ?1 LIMIT 1",
        params![fingerprint],
        |r| r.get(0),
    )
}

/// The card enrolled by a PIN visit the server accepted.
pub fn enrol_card(
    c: Conn<'_>,
    patient_id: &str,
    fingerprint: &str,
    visit_id: &str,
    at: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "UPDATE patient SET enrolled_cert = ?2, enrolled_at = ?3, enrolled_by_visit = ?4, updated_at = ?3
         WHERE patient_id = ?1",
        params![patient_id, fingerprint, ts(at), visit_id],
    )?;
    Ok(())
}

/// The consent on file, as the server computed it, and the first visit of
/// the course of care (set once).
pub fn record_consent(
    c: Conn<'_>,
    patient_id: &str,
    until: Option<NaiveDate>,
    first_visit_on: NaiveDate,
    at: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "UPDATE patient SET consent_until = COALESCE(?2, consent_until),
         first_visit_on = COALESCE(first_visit_on, ?3), updated_at = ?4 WHERE patient_id = ?1",
        params![patient_id, until.map(|d| d.to_string()), first_visit_on.to_string(), ts(at)],
    )?;
    Ok(())
}
