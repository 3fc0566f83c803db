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
pub mod signin;
pub mod staff;
pub mod visits;

use std::collections::HashMap;

use chrono::NaiveDate;

/// `?day=YYYY-MM-DD`, else today in Japan.
pub fn day_of(q: &HashMap<String, String>) -> NaiveDate {
    q.get("day").and_then(|d| d.parse().ok()).unwrap_or_else(super::layout::today)
}
