// SPDX-License-Identifier: MPL-2.0
//! Staff sign-in on shared phones (`houmon_core::visit::signin`): each
//! staff member's key, derived from their sign-in code and sealed at rest,
//! and the verifier the phones of their rounds get (salt, iterations, a
//! check value — no secret). Who may sign in on a phone on a day: the
//! staff its rounds name that day, and the staff member it is enrolled for.

use chrono::{Duration, NaiveDate};
use houmon_core::protocol::RosterStaff;
use houmon_core::visit::{SignInVerifier, StaffKey};

use super::engine::Conn;
use super::{open_sealed, DbResult};
use crate::params;
use crate::secrets::Secrets;

fn aad(staff_id: &str) -> String {
    format!("staff-signin:{staff_id}")
}

/// Sets (or replaces) a staff member's sign-in code. Returns false when
/// there is no such staff member.
pub fn set_code(
    c: Conn<'_>,
    s: &Secrets,
    staff_id: &str,
    key: &StaffKey,
    verifier: &SignInVerifier,
) -> DbResult<bool> {
    let json = serde_json::to_string(verifier).expect("a verifier serialises");
    Ok(c.execute(
        "UPDATE staff SET signin_key = ?2, signin_verifier = ?3 WHERE staff_id = ?1",
        params![staff_id, s.seal(key.bytes(), &aad(staff_id)), json],
    )? == 1)
}

/// The staff member's key, to re-check a record's proof (none for a
/// disabled staff member or one without a code).
pub fn key_of(c: Conn<'_>, s: &Secrets, staff_id: &str) -> DbResult<Option<StaffKey>> {
    let sealed: Option<Option<Vec<u8>>> = c.query_opt(
        "SELECT signin_key FROM staff WHERE staff_id = ?1 AND disabled_at IS NULL",
        params![staff_id],
        |r| r.get(0),
    )?;
    let Some(Some(sealed)) = sealed else { return Ok(None) };
    let bytes = open_sealed(s, &sealed, &aad(staff_id))?;
    Ok(StaffKey::from_bytes(&bytes))
}

/// Whether `staff_id` is on a round `device_id` carries within `margin`
/// days of `day`, or is the staff member the device is enrolled for.
pub fn may_sign_in(
    c: Conn<'_>,
    device_id: &str,
    enrolled_staff: &str,
    staff_id: &str,
    day: NaiveDate,
    margin: i64,
) -> DbResult<bool> {
    if staff_id == enrolled_staff {
        return Ok(true);
    }
    Ok(c.query_opt(
        "SELECT 1 FROM round_stop WHERE device_id = ?1 AND staff_id = ?2
             AND day BETWEEN ?3 AND ?4 LIMIT 1",
        params![
            device_id,
            staff_id,
            (day - Duration::days(margin)).to_string(),
            (day + Duration::days(margin)).to_string()
        ],
        |_| Ok(()),
    )?
    .is_some())
}

/// The staff who may sign in on `device_id` on `day`, for its roster: the
/// enrolled staff member first, then those its rounds name.
pub fn roster_staff(
    c: Conn<'_>,
    device_id: &str,
    enrolled_staff: &str,
    day: NaiveDate,
) -> DbResult<Vec<RosterStaff>> {
    let mut ids = vec![enrolled_staff.to_owned()];
    let on_rounds: Vec<String> = c.query_all(
        "SELECT DISTINCT staff_id FROM round_stop WHERE device_id = ?1 AND day = ?2 ORDER BY staff_id",
        params![device_id, day.to_string()],
        |r| r.get(0),
    )?;
    for id in on_rounds {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut out = Vec::new();
    for id in ids {
        let row: Option<(String, Option<String>)> = c.query_opt(
            "SELECT name, signin_verifier FROM staff WHERE staff_id = ?1 AND disabled_at IS NULL",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let Some((name, verifier)) = row {
            out.push(RosterStaff {
                sign_in: verifier.and_then(|v| serde_json::from_str(&v).ok()),
                staff_id: id,
                name,
            });
        }
    }
    Ok(out)
}
