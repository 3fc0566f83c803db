// SPDX-License-Identifier: MPL-2.0
//! Who made a record on a shared phone. A record names its staff member:
//! the one the device is enrolled for, or one signed in on the phone for
//! the shift. The server never takes the phone's word for it: a staff
//! member other than the enrolled one needs a sign-in proof that verifies
//! under that staff member's own key (`houmon_core::visit::signin`), and
//! must be on one of the device's rounds within a day of the record.

use chrono::NaiveDate;
use houmon_core::protocol::RefusalCode;
use houmon_core::visit::SignIn;

use super::store::ROUND_MARGIN_DAYS;
use super::Refused;
use crate::db::devices::DeviceAuth;
use crate::db::{signin, Conn, DbResult};
use crate::secrets::Secrets;

/// Checks that `staff_id` may have made item `item_id` on `device` on `day`.
pub fn check(
    tx: Conn<'_>,
    s: &Secrets,
    device: &DeviceAuth,
    staff_id: &str,
    sign_in: Option<&SignIn>,
    item_id: &str,
    day: NaiveDate,
) -> DbResult<Result<(), Refused>> {
    let Some(sign_in) = sign_in else {
        if staff_id == device.staff_id {
            return Ok(Ok(()));
        }
        return Ok(Err(Refused::new(
            422,
            RefusalCode::StaffMismatch,
            format!(
                "staff {staff_id:?} is not the device's ({:?}) and the record carries no sign-in",
                device.staff_id
            ),
        )));
    };
    if !signin::may_sign_in(
        tx,
        &device.device_id,
        &device.staff_id,
        staff_id,
        day,
        ROUND_MARGIN_DAYS,
    )? {
        return Ok(Err(Refused::new(
            422,
            RefusalCode::StaffNotOnRound,
            format!("staff {staff_id:?} is on none of this device's rounds on {day} (±{ROUND_MARGIN_DAYS} day)"),
        )));
    }
    let Some(key) = signin::key_of(tx, s, staff_id)? else {
        return Ok(Err(Refused::new(
            422,
            RefusalCode::SignInInvalid,
            format!("staff {staff_id:?} has no sign-in code, or is disabled"),
        )));
    };
    if !key.verify(&device.device_id, staff_id, item_id, sign_in) {
        return Ok(Err(Refused::new(
            422,
            RefusalCode::SignInInvalid,
            "the sign-in proof does not verify under the staff member's key",
        )));
    }
    Ok(Ok(()))
}
