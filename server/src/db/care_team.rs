// SPDX-License-Identifier: MPL-2.0
//! The care team: which staff members the clinic gave each patient to. A
//! nurse plans rounds only from her patients and the console shows her
//! only theirs (`reach.rs`); the other roles are not limited by it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::engine::Conn;
use super::{ts, DbResult};
use crate::params;

/// Replaces `patient_id`'s team with `staff_ids`.
pub fn set(
    c: Conn<'_>,
    patient_id: &str,
    staff_ids: &BTreeSet<String>,
    by: &str,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute("DELETE FROM care_team WHERE patient_id = ?1", params![patient_id])?;
    for s in staff_ids {
        c.execute(
            "INSERT INTO care_team (patient_id, staff_id, assigned_by, assigned_at) VALUES (?1, ?2, ?3, ?4)",
            params![patient_id, s, by, ts(now)],
        )?;
    }
    Ok(())
}

/// The staff members `patient_id` was given to.
pub fn of_patient(c: Conn<'_>, patient_id: &str) -> DbResult<BTreeSet<String>> {
    let ids: Vec<String> = c.query_all(
        "SELECT staff_id FROM care_team WHERE patient_id = ?1 ORDER BY staff_id",
        params![patient_id],
        |r| r.get(0),
    )?;
    Ok(ids.into_iter().collect())
}

/// The patients given to `staff_id`.
pub fn patients_of(c: Conn<'_>, staff_id: &str) -> DbResult<BTreeSet<String>> {
    let ids: Vec<String> = c.query_all(
        "SELECT patient_id FROM care_team WHERE staff_id = ?1 ORDER BY patient_id",
        params![staff_id],
        |r| r.get(0),
    )?;
    Ok(ids.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_is_replaced_whole_and_read_both_ways() {
        let mut raw = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::SCHEMA.migrate(&mut raw).unwrap();
        let c = Conn::Sqlite(&raw);
        let team = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        set(c, "p1", &team(&["n1", "n2"]), "admin", Utc::now()).unwrap();
        set(c, "p2", &team(&["n1"]), "admin", Utc::now()).unwrap();
        assert_eq!(patients_of(c, "n1").unwrap(), team(&["p1", "p2"]));
        set(c, "p1", &team(&["n2"]), "admin", Utc::now()).unwrap();
        assert_eq!(of_patient(c, "p1").unwrap(), team(&["n2"]));
        assert_eq!(patients_of(c, "n1").unwrap(), team(&["p2"]));
    }
}
