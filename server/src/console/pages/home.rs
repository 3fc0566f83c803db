// SPDX-License-Identifier: MPL-2.0
//! 本日: the day at a glance — visits, answers, what needs following up.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::html;

use crate::app::App;
use crate::console::access::{allowed, perm, Perm};
use crate::console::auth::Can;
use crate::console::layout::{render, today};
use crate::console::{blocking, data, followups, reach_of};

pub async fn page(State(app): State<Arc<App>>, Can(session, _): Can<perm::ViewVisits>) -> Response {
    let day = today();
    let s2 = session.clone();
    let loaded = blocking(move || {
        let reach = reach_of(&app, &s2)?;
        let mut visits = data::visits_of_day(&app, day)?;
        visits.retain(|v| reach.visit(&v.row));
        let open = if allowed(s2.staff.role, Perm::FollowUps) {
            Some(followups::compute(&app, Utc::now())?.open.len())
        } else {
            None
        };
        Ok((visits, open))
    })
    .await;
    let (visits, open) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    let valid = visits.iter().filter(|v| v.eligibility().2).count();
    let waiting = visits.iter().filter(|v| v.result.is_none()).count();
    render(
        &session,
        "/console/",
        &format!("本日 {day}"),
        html! {
            div.grid {
                div.card { div.muted { "本日の訪問" } strong style="font-size:2rem" { (visits.len()) } }
                div.card { div.muted { "資格 有効" } strong style="font-size:2rem" { (valid) } }
                div.card { div.muted { "照会待ち・照会なし" } strong style="font-size:2rem" { (waiting) } }
                @if let Some(open) = open {
                    div.card { div.muted { "未対応のフォローアップ" } strong style="font-size:2rem" { a href="/console/follow-ups" { (open) } } }
                }
            }
            h2 { "最近の訪問" }
            table {
                tr { th { "時刻" } th { "患者" } th { "本人確認" } th { "資格確認の結果" } }
                @for v in visits.iter().take(10) {
                    @let (answer, _, ok) = v.eligibility();
                    tr {
                        td { a href={ "/console/visits/" (v.row.id) } { (crate::console::layout::when(v.row.visited_at)) } }
                        td { (v.patient_name.clone().unwrap_or_else(|| "-".into())) }
                        td { (v.identity()) }
                        td { span.badge.ok[ok] { (answer) } }
                    }
                }
            }
            p { a href="/console/visits" { "本日の訪問結果をすべて見る" }
                @if allowed(session.staff.role, Perm::Export) { " ・ " a href="/console/export.csv" { "本日の結果をCSVで出力" } } }
        },
    )
}
