// SPDX-License-Identifier: MPL-2.0
//! A facility's card custody log: which resident's card staff took from
//! the facility's safekeeping and put back, who and when (never the card's
//! numbers). Each entry is also an audit entry.

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::CustodyAction;

use super::engine::Conn;
use super::{parse_ts, ts, DbResult};
use crate::params;

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyRow {
    pub id: String,
    pub device_id: String,
    pub staff_id: String,
    pub patient_id: String,
    pub facility: Option<String>,
    pub action: CustodyAction,
    pub at: DateTime<Utc>,
}

fn action_str(a: CustodyAction) -> &'static str {
    match a {
        CustodyAction::Taken => "taken",
        CustodyAction::Returned => "returned",
    }
}

/// The digest an entry with this id was stored with, if it was.
pub fn digest_of(c: Conn<'_>, id: &str) -> DbResult<Option<String>> {
    c.query_opt("SELECT digest FROM custody_event WHERE id = ?1", params![id], |r| r.get(0))
}

pub fn insert(c: Conn<'_>, row: &CustodyRow, digest: &str, now: DateTime<Utc>) -> DbResult<()> {
    c.execute(
        "INSERT INTO custody_event (id, device_id, staff_id, patient_id, facility, action, at, received_at, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.id,
            row.device_id,
            row.staff_id,
            row.patient_id,
            row.facility,
            action_str(row.action),
            ts(row.at),
            ts(now),
            digest
        ],
    )?;
    Ok(())
}

/// The entries of a day (Japan), oldest first.
pub fn of_day(c: Conn<'_>, day: NaiveDate) -> DbResult<Vec<CustodyRow>> {
    use chrono::TimeZone;
    let from = houmon_core::card::cert::jst()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let to = from + chrono::Duration::days(1);
    c.query_all(
        "SELECT id, device_id, staff_id, patient_id, facility, action, at FROM custody_event
         WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
        params![ts(from), ts(to)],
        |r| {
            Ok(CustodyRow {
                id: r.get(0)?,
                device_id: r.get(1)?,
                staff_id: r.get(2)?,
                patient_id: r.get(3)?,
                facility: r.get(4)?,
                action: if r.get::<String>(5)? == "returned" {
                    CustodyAction::Returned
                } else {
                    CustodyAction::Taken
                },
                at: parse_ts(&r.get::<String>(6)?).unwrap_or_default(),
            })
        },
    )
}
