// SPDX-License-Identifier: MPL-2.0
//! One file per area of the console.

pub mod audit;
pub mod custody;
pub mod devices;
pub mod followups;
pub mod home;
pub mod patients;
pub mod readings;
pub mod rounds;
pub mod second_factor;
pub mod signin;
pub mod staff;
pub mod visits;

use std::collections::HashMap;

use axum::response::Response;
use chrono::NaiveDate;

use super::auth::Session;

/// `?day=` (any way staff write a date: `dates.rs`), else today in Japan;
/// a day that cannot be read is refused with what is wrong and a link
/// back to `back` — never silently today.
pub fn day_of(
    session: &Session,
    q: &HashMap<String, String>,
    back: &str,
) -> Result<NaiveDate, Response> {
    match super::dates::parse_day(q.get("day").map(String::as_str)) {
        Ok(d) => Ok(d.unwrap_or_else(super::layout::today)),
        Err(why) => Err(super::layout::bad_request_back(
            session,
            &format!("表示する日付が正しくありません: {why}"),
            back,
            "今日の分",
        )),
    }
}
