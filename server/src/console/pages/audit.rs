// SPDX-License-Identifier: MPL-2.0
//! 監査ログ (管理者のみ, read-only): filters by action and actor; the
//! chain's state at the top.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::Can;
use crate::console::layout::{render, when};
use crate::console::{audit_view, blocking};
use crate::db::audit::{self, Chain, Filter};

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ViewAudit>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let action = q.get("action").cloned().unwrap_or_default();
    let actor = q.get("actor").cloned().unwrap_or_default();
    let f = Filter {
        action_prefix: Some(action.clone()).filter(|a| !a.is_empty()),
        actor_contains: Some(actor.clone()).filter(|a| !a.is_empty()),
        since: None,
        limit: 500,
    };
    let (app2, s2) = (app.clone(), session.clone());
    let (rows, chain) = match blocking(move || {
        audit_view(&app2, &s2, "console.audit", String::new())?;
        Ok((app2.db.read(|c, _| audit::list(c, &f))?, crate::admin::verify_audit(&app2)?))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/audit",
        "監査ログ",
        html! {
            p {
                @match chain {
                    Chain::Intact { entries, head } => { span.badge.ok { "改ざんなし" } " " (entries) " 件、先頭 " code { (head.chars().take(16).collect::<String>()) } "…(毎日控えてください)" }
                    Chain::BrokenAt { seq } => { span.badge.warn { "改ざんを検出" } " " (seq) " 番の記録から鎖がつながりません。管理者はすぐにバックアップと照合してください。" }
                    Chain::TailMissing { anchored, .. } => { span.badge.warn { "最新の記録が消されています" } " 記録は " (anchored) " 番まであったはずですが、その記録がありません(削除、または差し替え)。管理者はすぐにバックアップと照合してください。" }
                }
            }
            form method="get" action="/console/audit" {
                label style="display:inline-block" { "操作(前方一致) " input name="action" value=(action) placeholder="例: console.login"; }
                label style="display:inline-block" { " 操作者 " input name="actor" value=(actor) placeholder="例: staff:admin"; }
                " " button type="submit" { "絞り込む" }
            }
            table {
                tr { th { "#" } th { "日時" } th { "操作者" } th { "操作" } th { "対象" } th { "結果" } th { "詳細" } }
                @for r in &rows {
                    tr { td { (r.seq) } td { (when(r.at)) } td { (r.actor) @if let Some(s) = &r.staff_id { br; span.muted { (s) } } }
                         td { (r.action) } td { (r.target.clone().unwrap_or_default()) } td { (r.outcome) } td { (r.detail) } }
                }
            }
        },
    )
}
