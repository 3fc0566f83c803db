// SPDX-License-Identifier: MPL-2.0
//! フォローアップ: the receptionist's list; each item resolved with a note
//! (a held card accepted as reissued, or rejected) — only as the open item
//! and the role allow (`console/resolve.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::html;

use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::followups::{self, Kind};
use crate::console::layout::{bad_request, csrf, forbidden, redirect, render, when};
use crate::console::resolve::{self, Decision};
use crate::console::{audit_view, blocking};

pub async fn page(State(app): State<Arc<App>>, Can(session, _): Can<perm::FollowUps>) -> Response {
    let (app2, s2) = (app.clone(), session.clone());
    let (f, choices) = match blocking(move || {
        audit_view(&app2, &s2, "console.follow-ups", String::new())?;
        let f = followups::compute(&app2, Utc::now())?;
        // What this role may decide on each item (`resolve.rs`).
        let mut choices = BTreeMap::new();
        for i in &f.open {
            let c = resolve::choices(&app2, s2.staff.role, i.kind, &i.key)?;
            choices.insert((i.kind, i.key.clone()), c);
        }
        Ok((f, choices))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let kinds = Kind::ALL;
    render(
        &session,
        "/console/follow-ups",
        "フォローアップ",
        html! {
            p.muted { "直近" (followups::WINDOW_DAYS) "日の訪問から、対応が必要なものを表示しています。対応したらメモを書いて「対応済みにする」を押してください(監査ログに残ります)。" }
            @for kind in kinds {
                @let items: Vec<_> = f.open.iter().filter(|i| i.kind == kind).collect();
                h2 { (kind.title()) " " span.badge.warn[!items.is_empty()] { (items.len()) } }
                @if items.is_empty() { p.muted { "ありません" } } @else {
                    table {
                        tr { th { "日時" } th { "患者・端末" } th { "内容" } th { "すること" } th { "対応" } }
                        @for i in items {
                            tr {
                                td { (i.when.map(when).unwrap_or_default()) }
                                td { (i.who) @if let Some(v) = &i.visit_id { br; a href={ "/console/visits/" (v) } { "訪問を見る" } } }
                                td { (i.what) }
                                td { (i.todo) }
                                td {
                                    @let can = choices.get(&(i.kind, i.key.clone())).cloned().unwrap_or_default();
                                    @if can.is_empty() {
                                        span.muted { "事務または管理者が対応します。" }
                                    } @else {
                                        form method="post" action="/console/follow-ups/resolve" {
                                            (csrf(&session))
                                            input type="hidden" name="kind" value=(i.kind.id());
                                            input type="hidden" name="item" value=(i.key);
                                            label { "メモ" textarea name="note" rows="2" required {} }
                                            @if can.contains(&Decision::AcceptAsReissued) {
                                                button type="submit" name="decision" value="accept" { "再発行として承認" } " "
                                            }
                                            @if can.contains(&Decision::Reject) {
                                                button.danger type="submit" name="decision" value="reject" { "却下" }
                                            }
                                            @if can.contains(&Decision::Resolved) {
                                                button type="submit" { "対応済みにする" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "不詳レセプト(③)の件数" }
            @if f.fushou_by_month.is_empty() { p.muted { "ありません" } } @else {
                table { tr { th { "月" } th { "件数" } }
                    @for (m, n) in &f.fushou_by_month { tr { td { (followups::month_label(m)) } td { (n) } } } }
            }
            h2 { "対応済み(新しい順)" }
            table {
                tr { th { "日時" } th { "種類" } th { "対象" } th { "結果" } th { "メモ" } th { "対応者" } }
                @for r in f.resolved.iter().take(50) {
                    tr {
                        td { (r.resolved_at.map(when).unwrap_or_default()) }
                        td { (followups::kind_of(&r.kind).map_or(r.kind.as_str(), |k| k.title())) }
                        td { (r.item) } td { (r.outcome) } td { (r.note) } td { (r.resolved_by) }
                    }
                }
            }
        },
    )
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::FollowUps>,
) -> Response {
    let Some(kind) = form.get("kind").and_then(followups::kind_of) else {
        return bad_request(&session, "対応する項目の種類が分かりません。");
    };
    let item = form.get("item").unwrap_or_default().to_owned();
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    let decision = match (kind, form.get("decision")) {
        (Kind::HeldCard, Some("accept")) => Decision::AcceptAsReissued,
        (Kind::HeldCard, Some("reject")) => Decision::Reject,
        (Kind::HeldCard, _) => return bad_request(&session, "承認か却下を選んでください。"),
        _ => Decision::Resolved,
    };
    let staff = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        resolve::resolve(&app, &staff, kind, &item, &note, decision)
    })
    .await;
    match done {
        Ok(Ok(Ok(()))) => redirect("/console/follow-ups"),
        Ok(Ok(Err(why))) if why.forbidden() => forbidden(&session, &why.message_ja()),
        Ok(Ok(Err(why))) => bad_request(&session, &why.message_ja()),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
