// SPDX-License-Identifier: MPL-2.0
//! Rounds: for a day, which staff member (and which of their devices, or
//! [`ANY_DEVICE`] of theirs) visits which patients. This is what a device
//! may see: its roster is its rounds' patients, its results are theirs,
//! and it may upload visits only for them. A patient on no round is on no
//! phone.

use super::engine::Conn;
use crate::params;
use chrono::{Duration, NaiveDate};

use super::DbResult;

/// A stop planned for a staff member rather than one phone: every device
/// enrolled for that staff member carries it.
pub const ANY_DEVICE: &str = "*";

/// The stops a device carries: its own, and its staff member's for any device.
const MINE: &str = "(device_id = ?1 OR (device_id = '*' AND staff_id = ?2))";

/// One stop of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub day: NaiveDate,
    pub device_id: String,
    pub staff_id: String,
    pub patient_id: String,
    pub position: i64,
}

pub fn assign(c: Conn<'_>, stop: &Stop) -> DbResult<()> {
    c.execute(
        &format!(
            "INSERT INTO round_stop (day, device_id, staff_id, patient_id, position) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT({}) DO UPDATE SET staff_id = excluded.staff_id,
         position = excluded.position",
            c.key("day, device_id, patient_id")
        ),
        params![stop.day.to_string(), stop.device_id, stop.staff_id, stop.patient_id, stop.position],
    )?;
    Ok(())
}

pub fn unassign(c: Conn<'_>, day: NaiveDate, device_id: &str, patient_id: &str) -> DbResult<bool> {
    Ok(c.execute(
        "DELETE FROM round_stop WHERE day = ?1 AND device_id = ?2 AND patient_id = ?3",
        params![day.to_string(), device_id, patient_id],
    )? == 1)
}

/// The patients on the rounds of `day` that `device_id` (enrolled for
/// `staff_id`) carries, in round order.
pub fn patients_of(
    c: Conn<'_>,
    device_id: &str,
    staff_id: &str,
    day: NaiveDate,
) -> DbResult<Vec<String>> {
    c.query_all(
        &format!(
            "SELECT patient_id FROM round_stop WHERE {MINE} AND day = ?3
         GROUP BY patient_id ORDER BY MIN(position), patient_id"
        ),
        params![device_id, staff_id, day.to_string()],
        |r| r.get(0),
    )
}

/// Whether `patient_id` is on a round `device_id` (of `staff_id`) carries
/// within `margin` days of `day` (a visit late at night, a phone that syncs
/// the next morning).
pub fn is_assigned(
    c: Conn<'_>,
    device_id: &str,
    staff_id: &str,
    patient_id: &str,
    day: NaiveDate,
    margin: i64,
) -> DbResult<bool> {
    Ok(c
        .query_opt(&format!(
            "SELECT 1 FROM round_stop WHERE {MINE} AND patient_id = ?3 AND day BETWEEN ?4 AND ?5 LIMIT 1"
        ),
            params![
                device_id,
                staff_id,
                patient_id,
                (day - Duration::days(margin)).to_string(),
                (day + Duration::days(margin)).to_string()
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Every stop of a day (the console's plan).
pub fn of_day(c: Conn<'_>, day: NaiveDate) -> DbResult<Vec<Stop>> {
    c.query_all(
        "SELECT day, device_id, staff_id, patient_id, position FROM round_stop WHERE day = ?1
         ORDER BY device_id, position, patient_id",
        params![day.to_string()],
        |r| {
            Ok(Stop {
                day: r.get::<String>(0)?.parse().unwrap_or(day),
                device_id: r.get(1)?,
                staff_id: r.get(2)?,
                patient_id: r.get(3)?,
                position: r.get(4)?,
            })
        },
    )
}

/// Moves a stop to `position` within its day (the order staff set).
pub fn set_position(
    c: Conn<'_>,
    day: NaiveDate,
    device_id: &str,
    patient_id: &str,
    position: i64,
) -> DbResult<bool> {
    Ok(c.execute(
        "UPDATE round_stop SET position = ?4 WHERE day = ?1 AND device_id = ?2 AND patient_id = ?3",
        params![day.to_string(), device_id, patient_id, position],
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> rusqlite::Connection {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::SCHEMA.migrate(&mut c).unwrap();
        c
    }

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    fn stop(d: u32, device: &str, staff: &str, patient: &str, position: i64) -> Stop {
        Stop {
            day: day(d),
            device_id: device.into(),
            staff_id: staff.into(),
            patient_id: patient.into(),
            position,
        }
    }

    #[test]
    fn a_device_carries_its_own_stops_and_its_staff_members_in_round_order() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        assign(c, &stop(10, "d1", "n1", "p3", 2)).unwrap();
        assign(c, &stop(10, "d1", "n1", "p1", 1)).unwrap();
        assign(c, &stop(10, ANY_DEVICE, "n1", "p2", 0)).unwrap();
        assign(c, &stop(10, ANY_DEVICE, "n2", "p9", 0)).unwrap();
        assign(c, &stop(10, "d2", "n1", "p8", 0)).unwrap();
        assign(c, &stop(11, "d1", "n1", "p7", 0)).unwrap();
        assert_eq!(patients_of(c, "d1", "n1", day(10)).unwrap(), ["p2", "p1", "p3"]);
        assert_eq!(patients_of(c, "d1", "n1", day(11)).unwrap(), ["p7"]);
        assert!(patients_of(c, "d1", "n1", day(12)).unwrap().is_empty());
        // Moving a stop changes the order; assigning it again does not add it twice.
        assign(c, &stop(10, "d1", "n1", "p3", -1)).unwrap();
        assert_eq!(patients_of(c, "d1", "n1", day(10)).unwrap(), ["p3", "p2", "p1"]);
        assert_eq!(of_day(c, day(10)).unwrap().len(), 5);
        assert_eq!(of_day(c, day(10)).unwrap()[0], stop(10, ANY_DEVICE, "n1", "p2", 0));
        assert!(unassign(c, day(10), "d1", "p3").unwrap());
        assert!(!unassign(c, day(10), "d1", "p3").unwrap(), "already gone");
        assert_eq!(patients_of(c, "d1", "n1", day(10)).unwrap(), ["p2", "p1"]);
        // A position is set on the stop named, and says whether there was one.
        assert!(set_position(c, day(10), "d1", "p1", -5).unwrap());
        assert_eq!(patients_of(c, "d1", "n1", day(10)).unwrap(), ["p1", "p2"]);
        assert!(!set_position(c, day(10), "d1", "p3", 0).unwrap(), "taken off");
        assert!(!set_position(c, day(12), "d1", "p1", 0).unwrap(), "another day");
    }

    #[test]
    fn is_assigned_looks_only_within_the_margin_and_at_this_devices_stops() {
        let raw = db();
        let c = Conn::Sqlite(&raw);
        assign(c, &stop(10, "d1", "n1", "p1", 0)).unwrap();
        assign(c, &stop(20, ANY_DEVICE, "n1", "p2", 0)).unwrap();
        let on = |device, staff, patient, d, margin| {
            is_assigned(c, device, staff, patient, day(d), margin).unwrap()
        };
        assert!(on("d1", "n1", "p1", 10, 0));
        assert!(!on("d1", "n1", "p1", 11, 0));
        assert!(on("d1", "n1", "p1", 11, 1) && on("d1", "n1", "p1", 9, 1));
        assert!(!on("d1", "n1", "p1", 12, 1) && !on("d1", "n1", "p1", 8, 1));
        assert!(!on("d2", "n1", "p1", 10, 1), "another device of the same staff member");
        assert!(!on("d1", "n1", "p2", 10, 1), "another patient");
        assert!(on("d2", "n1", "p2", 20, 0), "a stop for any of n1's devices");
        assert!(!on("d3", "n2", "p2", 20, 0), "but not for another staff member's");
    }
}
