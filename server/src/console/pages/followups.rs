// SPDX-License-Identifier: MPL-2.0
//! フォローアップ: the receptionist's list; each item resolved with a note
//! (a held card accepted as reissued, or rejected).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::html;

use crate::admin::{self, HeldDecision};
use crate::app::App;
use crate::console::auth::{Perm, Session};
use crate::console::followups::{self, Kind};
use crate::console::layout::{bad_request, csrf, redirect, render, when, FormData};
use crate::console::{audit_view, blocking};

pub async fn page(State(app): State<Arc<App>>, session: Session) -> Response {
    if let Err(r) = session.require(Perm::FollowUps) {
        return r;
    }
    let (app2, s2) = (app.clone(), session.clone());
    let f = match blocking(move || {
        audit_view(&app2, &s2, "console.follow-ups", String::new())?;
        followups::compute(&app2, Utc::now())
    })
    .await
    {
        Ok(f) => f,
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
                                    form method="post" action="/console/follow-ups/resolve" {
                                        (csrf(&session))
                                        input type="hidden" name="kind" value=(i.kind.id());
                                        input type="hidden" name="item" value=(i.key);
                                        label { "メモ" textarea name="note" rows="2" required {} }
                                        @if i.kind == Kind::HeldCard {
                                            button type="submit" name="decision" value="accept" { "再発行として承認" } " "
                                            button.danger type="submit" name="decision" value="reject" { "却下" }
                                        } @else {
                                            button type="submit" { "対応済みにする" }
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

pub async fn resolve(State(app): State<Arc<App>>, session: Session, body: Bytes) -> Response {
    if let Err(r) = session.require(Perm::FollowUps) {
        return r;
    }
    let form = FormData::parse(&body);
    if let Err(r) = session.check_csrf(&form) {
        return r;
    }
    let Some(kind) = form.get("kind").and_then(followups::kind_of) else {
        return bad_request(&session, "対応する項目の種類が分かりません。");
    };
    let item = form.get("item").unwrap_or_default().to_owned();
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    if note.is_empty() {
        return bad_request(&session, "対応した内容をメモに書いてください。");
    }
    let held = match (kind, form.get("decision")) {
        (Kind::HeldCard, Some("accept")) => Some(HeldDecision::AcceptAsReissued),
        (Kind::HeldCard, Some("reject")) => Some(HeldDecision::Reject),
        (Kind::HeldCard, _) => return bad_request(&session, "承認か却下を選んでください。"),
        _ => None,
    };
    let actor = session.actor();
    let done = tokio::task::spawn_blocking(move || {
        admin::resolve_follow_up(&app, &actor, kind.id(), &item, &note, held)
    })
    .await;
    match done {
        Ok(Ok(_)) => redirect("/console/follow-ups"),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
