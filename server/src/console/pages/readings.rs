// SPDX-License-Identifier: MPL-2.0
//! 読み取り性能 (管理者): how card reads go on the clinic's phones, per
//! phone model over the last 30 days — the median and 90th percentile of
//! the read time and how often the card left the phone mid-read. From the
//! field timing each visit record carries (no personal data).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use maud::html;

use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::Can;
use crate::console::blocking;
use crate::console::layout::render;
use crate::db::readings;

/// The period the page covers.
pub const DAYS: i64 = 30;

fn seconds(ms: u32) -> String {
    format!("{:.1} 秒", f64::from(ms) / 1000.0)
}

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManageDevices>,
) -> Response {
    let from = Utc::now() - Duration::days(DAYS);
    let stats = match blocking(move || app.db.read(|c, _| readings::per_model(c, from))).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/readings",
        "読み取り性能",
        html! {
            p.muted { "過去" (DAYS) "日間に本人確認できた訪問の、カード読み取りにかかった時間(カードを当ててから読み終えるまで)と、読み取り中にカードが離れた割合です。機種ごとに集計しています。" }
            @if stats.is_empty() {
                p { "まだ記録がありません。端末で訪問が記録されると表示されます。" }
            } @else {
                table {
                    tr { th { "機種" } th { "OS" } th { "訪問数" } th { "読み取り時間(中央値)" } th { "読み取り時間(90%)" } th { "カードが離れた割合" } }
                    @for m in &stats {
                        tr {
                            td { (m.phone_model) }
                            td { (m.os.join("、")) }
                            td { (m.visits) }
                            td { (seconds(m.median_ms)) }
                            td { (seconds(m.p90_ms)) }
                            td {
                                @let pct = m.tag_loss_rate * 100.0;
                                @if pct >= 20.0 { span.badge.warn { (format!("{pct:.0}%")) } " 慎重な読み取りを検討してください" }
                                @else { (format!("{pct:.0}%")) }
                                " (" (m.reads) "回中)"
                            }
                        }
                    }
                }
            }
        },
    )
}
