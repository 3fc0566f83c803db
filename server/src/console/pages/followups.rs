// SPDX-License-Identifier: MPL-2.0
//! フォローアップ: the receptionist's list; each item resolved with a note
//! (a held card accepted as reissued, or rejected) — only as the open item
//! and the role allow (`console/resolve.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Utc;
use maud::html;

use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::followups::{self, Kind};
use crate::console::layout::{bad_request_back, csrf, forbidden, notice, redirect, render, when};
use crate::console::resolve::{self, Decision};
use crate::console::{audit_view, blocking, words};

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::FollowUps>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only = q.get("kind").and_then(|k| followups::kind_of(k));
    let (app2, s2) = (app.clone(), session.clone());
    let (f, choices, names) = match blocking(move || {
        audit_view(&app2, &s2, "console.follow-ups", String::new())?;
        let f = followups::compute(&app2, Utc::now())?;
        // What this role may decide on each item (`resolve.rs`).
        let mut choices = BTreeMap::new();
        for i in &f.open {
            let c = resolve::choices(&app2, s2.staff.role, i.kind, &i.key)?;
            choices.insert((i.kind, i.key.clone()), c);
        }
        let names: HashMap<String, String> = app2
            .db
            .read(|c, _| crate::db::staff::all(c))?
            .into_iter()
            .map(|s| (s.staff_id, s.name))
            .collect();
        Ok((f, choices, names))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| only.is_none_or(|o| o == *k)).collect();
    render(
        &session,
        "/console/follow-ups",
        "フォローアップ",
        html! {
            (notice(&q))
            p.muted.no-print { "直近" (followups::WINDOW_DAYS) "日の訪問から、対応が必要なものを表示しています。対応したらメモを書いて「対応済みにする」を押してください(監査ログに残ります)。印刷すると、チェック欄つきの一覧になります。" }
            p.no-print {
                @for k in Kind::ALL {
                    @let n = f.open.iter().filter(|i| i.kind == k).count();
                    @if only == Some(k) { strong { (k.short()) "(" (n) ")" } } @else { a href={ "/console/follow-ups?kind=" (k.id()) } { (k.short()) "(" (n) ")" } }
                    " ・ "
                }
                @if only.is_some() { a href="/console/follow-ups" { "すべて表示" } } @else { strong { "すべて" } }
            }
            @for kind in kinds {
                @let items: Vec<_> = f.open.iter().filter(|i| i.kind == kind).collect();
                h2 { (kind.title()) " " span.badge.warn[!items.is_empty()] { (items.len()) } }
                @if items.is_empty() { p.muted { "ありません" } } @else {
                    table.checklist {
                        thead { tr { th.print-only { "済" } th { "日時" } th { "患者・端末" } th { "内容" } th { "すること" } th.no-print { "対応" } } }
                        tbody {
                        @for i in items {
                            tr {
                                td.print-only.check { "☐" }
                                td { (i.when.map(when).unwrap_or_default()) }
                                td { (i.who) @if let Some(w) = &i.whom { "(" (w) ")" } @if let Some(v) = &i.visit_id { br; a.no-print href={ "/console/visits/" (v) } { "訪問を見る" } } }
                                td { (i.what) }
                                td { (i.todo) }
                                td.no-print {
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
                                                button.danger type="submit" name="decision" value="reject" formaction="/console/follow-ups/confirm-reject" { "却下…" }
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
            }
            @if only.is_none() {
                h2 { "不詳レセプト(③)の件数" }
                @if f.fushou_by_month.is_empty() { p.muted { "ありません" } } @else {
                    table { tr { th { "月" } th { "件数" } }
                        @for (m, n) in &f.fushou_by_month { tr { td { (followups::month_label(m)) } td { (n) } } } }
                }
                h2.no-print { "対応済み(新しい順)" }
                table.no-print {
                    tr { th { "日時" } th { "種類" } th { "結果" } th { "メモ" } th { "対応者" } }
                    @for r in f.resolved.iter().take(50) {
                        tr {
                            td { (r.resolved_at.map(when).unwrap_or_default()) }
                            td title=(r.item) { (followups::kind_of(&r.kind).map_or("その他", |k| k.short())) }
                            td title=(r.outcome) { (words::resolution(&r.outcome)) } td { (r.note) }
                            td { (names.get(&r.resolved_by).cloned().unwrap_or_else(|| r.resolved_by.clone())) }
                        }
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
        return bad_request_back(
            &session,
            "対応する項目の種類が分かりません。",
            BACK,
            "フォローアップ",
        );
    };
    let item = form.get("item").unwrap_or_default().to_owned();
    let note = form.get("note").unwrap_or_default().trim().to_owned();
    let decision = match (kind, form.get("decision")) {
        (Kind::HeldCard, Some("accept")) => Decision::AcceptAsReissued,
        (Kind::HeldCard, Some("reject")) => Decision::Reject,
        (Kind::HeldCard, _) => {
            return bad_request_back(
                &session,
                "承認か却下を選んでください。",
                BACK,
                "フォローアップ",
            )
        }
        _ => Decision::Resolved,
    };
    let staff = session.staff.clone();
    let note2 = note.clone();
    let done = tokio::task::spawn_blocking(move || {
        resolve::resolve(&app, &staff, kind, &item, &note2, decision)
    })
    .await;
    let kept = |why: &str| {
        let mut r = render(
            &session,
            "",
            "対応できませんでした",
            html! {
                p.error role="alert" { (why) }
                @if !note.is_empty() { p { "書いたメモ(コピーして使えます):" } pre.card { (note) } }
                p { a.button href=(BACK) { "前の画面に戻る(フォローアップ)" } }
            },
        );
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        r
    };
    match done {
        Ok(Ok(Ok(()))) => redirect(match decision {
            Decision::AcceptAsReissued => "/console/follow-ups?done=accepted",
            Decision::Reject => "/console/follow-ups?done=rejected",
            Decision::Resolved => "/console/follow-ups?done=resolved",
        }),
        Ok(Ok(Err(why))) if why.forbidden() => forbidden(&session, &why.message_ja()),
        Ok(Ok(Err(why))) => kept(&why.message_ja()),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}

const BACK: &str = "/console/follow-ups";

/// Rejecting a card cannot be undone: the 却下 button opens this
/// confirmation step (a page, no script), which keeps the note and posts
/// the rejection only when staff confirm.
pub async fn confirm_reject(Posted(session, form, _): Posted<perm::FollowUps>) -> Response {
    let item = form.get("item").unwrap_or_default();
    let note = form.get("note").unwrap_or_default().trim();
    if note.is_empty() {
        return bad_request_back(
            &session,
            "対応した内容をメモに書いてください。",
            BACK,
            "フォローアップ",
        );
    }
    let session = &session;
    render(
        session,
        "/console/follow-ups",
        "カードを却下しますか",
        html! {
            p.error { "却下すると、この訪問のカードは患者のカードとして登録されず、訪問は確認待ちのまま残ります。この操作は取り消せません。" }
            p { "メモ: " (note) }
            form method="post" action="/console/follow-ups/resolve" {
                (csrf(session))
                input type="hidden" name="kind" value=(Kind::HeldCard.id());
                input type="hidden" name="item" value=(item);
                input type="hidden" name="note" value=(note);
                input type="hidden" name="decision" value="reject";
                button.danger type="submit" { "却下する" } " "
                a.button.secondary href=(BACK) { "やめる(フォローアップに戻る)" }
            }
        },
    )
}
