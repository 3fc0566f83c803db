// SPDX-License-Identifier: MPL-2.0
//! カードの預かり: the day's card custody log per facility — which
//! resident's card staff took from the facility's safekeeping and put
//! back, who and when — with the cards not yet returned flagged first.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use houmon_core::protocol::CustodyAction;
use maud::html;

use crate::app::App;
use crate::console::auth::{Perm, Session};
use crate::console::blocking;
use crate::console::layout::{render, when};
use crate::db::custody::{self, CustodyRow};
use crate::db::{devices, patients, staff};

struct Line {
    row: CustodyRow,
    resident: String,
    staff: String,
    /// The phone's name, as it enrolled.
    device: String,
}

pub async fn page(
    State(app): State<Arc<App>>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = session.require(Perm::ViewVisits) {
        return r;
    }
    let day = super::day_of(&q);
    let loaded = blocking(move || {
        app.db.read(|c, s| {
            let phones = devices::list(c)?;
            let mut lines = Vec::new();
            for row in custody::of_day(c, day)? {
                let resident = patients::get(c, s, &row.patient_id)?
                    .map(|p| p.personal.name)
                    .unwrap_or_else(|| row.patient_id.clone());
                let staff = staff::get(c, &row.staff_id)?
                    .map(|s| s.name)
                    .unwrap_or_else(|| row.staff_id.clone());
                let device = phones
                    .iter()
                    .find(|d| d.device_id == row.device_id)
                    .map_or_else(|| row.device_id.clone(), |d| d.name.clone());
                lines.push(Line { row, resident, staff, device });
            }
            Ok(lines)
        })
    })
    .await;
    let lines = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut facilities: Vec<String> = Vec::new();
    for l in &lines {
        let f = l.row.facility.clone().unwrap_or_else(|| "(施設なし)".into());
        if !facilities.contains(&f) {
            facilities.push(f);
        }
    }
    let facility_of = |l: &Line| l.row.facility.clone().unwrap_or_else(|| "(施設なし)".into());
    // The last entry of each resident: out when it is "taken".
    let mut last: Vec<&Line> = Vec::new();
    for l in &lines {
        match last.iter_mut().find(|x| x.row.patient_id == l.row.patient_id) {
            Some(x) => *x = l,
            None => last.push(l),
        }
    }
    let out: Vec<&&Line> = last.iter().filter(|l| l.row.action == CustodyAction::Taken).collect();
    render(
        &session,
        "/console/custody",
        "カードの預かり",
        html! {
            form method="get" action="/console/custody" {
                label { "日付" input type="date" name="day" value=(day.to_string()); }
                button type="submit" { "表示" }
            }
            @if lines.is_empty() {
                p.muted { (day) " の預かりの記録はありません。" }
            }
            @if !out.is_empty() {
                h2 { "未返却のカード(" (out.len()) "枚)" }
                p.error { "次のカードは施設に返却された記録がありません。担当した職員に確認してください。" }
                table {
                    tr { th { "施設" } th { "入居者" } th { "預かった職員" } th { "預かった時刻" } }
                    @for l in &out {
                        tr {
                            td { (facility_of(l)) }
                            td { (l.resident) }
                            td { (l.staff) }
                            td { (when(l.row.at)) }
                        }
                    }
                }
            }
            @for f in &facilities {
                h2 { (f) }
                table {
                    tr { th { "時刻" } th { "入居者" } th { "操作" } th { "職員" } th { "端末" } }
                    @for l in lines.iter().filter(|l| &facility_of(l) == f) {
                        tr {
                            td { (when(l.row.at)) }
                            td { (l.resident) }
                            td { @match l.row.action {
                                CustodyAction::Taken => span.badge.warn { "預かり" },
                                CustodyAction::Returned => span.badge.ok { "返却" },
                            } }
                            td { (l.staff) }
                            td.muted { (l.device) }
                        }
                    }
                }
            }
        },
    )
}
