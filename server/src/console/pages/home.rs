// SPDX-License-Identifier: MPL-2.0
//! 本日: the page a clinic opens at 9:00 — what needs action first (how
//! many of each kind of follow-up, each linking to its list), then the
//! day's visits with the ones that are not 有効 standing out, each with the
//! patient's number and age. Printed, it is the day's list on A4.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup};

use crate::app::App;
use crate::console::access::{allowed, perm, Perm};
use crate::console::auth::Can;
use crate::console::data::VisitView;
use crate::console::followups::Kind;
use crate::console::layout::{render, today, when};
use crate::console::{audit_view, blocking, data, followups, reach_of, words};

pub async fn page(State(app): State<Arc<App>>, Can(session, _): Can<perm::ViewVisits>) -> Response {
    let day = today();
    let s2 = session.clone();
    let loaded = blocking(move || {
        audit_view(&app, &s2, "console.today", day.to_string())?;
        let reach = reach_of(&app, &s2)?;
        let mut visits = data::visits_of_day(&app, day)?;
        visits.retain(|v| reach.visit(&v.row));
        let open = if allowed(s2.staff.role, Perm::FollowUps) {
            let f = followups::compute(&app, Utc::now())?;
            Some(Kind::ALL.map(|k| (k, f.open.iter().filter(|i| i.kind == k).count())))
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
    let attention = visits.iter().filter(|v| v.needs_attention()).count();
    let waiting = visits.iter().filter(|v| v.result.is_none()).count();
    // What needs action first: not 有効 and held first, then the rest,
    // each by time.
    let mut ordered: Vec<&VisitView> = visits.iter().collect();
    ordered.sort_by_key(|v| (!v.needs_attention(), v.row.visited_at));
    render(
        &session,
        "/console/",
        &format!("本日 {day}"),
        html! {
            @if let Some(open) = &open {
                h2.no-print { "対応が必要なもの" }
                div.grid.no-print {
                    @for (kind, n) in open {
                        div.card.needs[*n > 0] {
                            div.muted { (kind.short()) }
                            a.count href={ "/console/follow-ups?kind=" (kind.id()) } { (n) " 件" }
                        }
                    }
                }
            }
            div.grid.no-print style="margin-top:.8rem" {
                div.card { div.muted { "本日の訪問" } a.count href="/console/visits" { (visits.len()) " 件" } }
                div.card.needs[attention > 0] { div.muted { "資格が有効でない・確認待ち" } a.count href="/console/visits?status=attention" { (attention) " 件" } }
                div.card { div.muted { "照会待ち・照会なし" } a.count href="/console/visits?status=waiting" { (waiting) " 件" } }
            }
            h2 { "本日の訪問(要対応が先)" }
            p.muted.no-print { "印刷するとA4の一覧になります(ブラウザの「印刷」)。" }
            (day_table(&ordered))
            p.no-print { a href="/console/visits" { "本日の訪問結果を詳しく見る" }
                @if allowed(session.staff.role, Perm::Export) { " ・ " a href="/console/export.csv" { "本日の結果をCSVで出力" } } }
        },
    )
}

/// The day's visits as a table: time, patient (number, age), identity,
/// the terminal's answer, what to look at.
pub fn day_table(visits: &[&VisitView]) -> Markup {
    html! {
        @if visits.is_empty() { p.muted { "この日の訪問はまだありません。" } } @else {
            table.day {
                thead { tr { th { "時刻" } th { "患者(番号・年齢)" } th { "施設" } th { "職員" } th { "本人確認" } th { "資格確認の結果" } th { "注意" } } }
                tbody {
                    @for v in visits {
                        @let (answer, _, _) = v.eligibility();
                        tr.attention[v.needs_attention()] {
                            td { a href={ "/console/visits/" (v.row.id) } { (when(v.row.visited_at).split(' ').nth(1).unwrap_or_default()) } }
                            td { (v.patient_label()) }
                            td { (v.facility.clone().unwrap_or_default()) }
                            td { (v.row.staff_id) }
                            td { (v.identity_short()) }
                            td { span class=(v.standing().class()) { (answer) } }
                            td {
                                @if v.row.status == "held" {
                                    span.badge.bad title=(v.row.held_reason.clone().unwrap_or_default()) { "カード確認待ち: " (words::held_reason(v.row.held_reason.as_deref().unwrap_or_default())) }
                                }
                                @for w in &v.row.warnings { div.muted title=(w) { (words::warning(w)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
