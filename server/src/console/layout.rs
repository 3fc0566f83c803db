// SPDX-License-Identifier: MPL-2.0
//! The page shell (navigation by role, a small stylesheet for desktop and
//! tablet), forms, and the answers every handler shares. Markup is maud:
//! every value is escaped unless marked otherwise.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::access::{allowed, Perm};
use crate::db::staff::Role;

/// Whom a page is for: what the shell shows of them, and the token their
/// forms carry (a logged-in staff member's session, `auth.rs`).
pub trait Viewer {
    fn name(&self) -> &str;
    fn role(&self) -> Role;
    fn csrf(&self) -> &str;
}

/// The fields of a posted form (`application/x-www-form-urlencoded`),
/// repeated names kept (checkbox lists).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormData {
        FormData(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

const STYLE: &str = r#"
:root { --fg:#1b2b34; --muted:#5b6b74; --line:#d5dde2; --accent:#1b5e7a; --warn:#a33; --ok:#2e6b3f; --bg:#f6f8f9; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.55 "Hiragino Sans","Noto Sans JP","Yu Gothic",sans-serif; color:var(--fg); background:var(--bg); }
header { background:var(--accent); color:#fff; padding:.5rem 1rem; display:flex; flex-wrap:wrap; gap:1rem; align-items:center; }
header a { color:#fff; text-decoration:none; padding:.4rem .2rem; }
header a.here { border-bottom:3px solid #fff; }
header form { margin-left:auto; }
main { padding:1rem; max-width:1200px; margin:0 auto; }
h1 { font-size:1.4rem; } h2 { font-size:1.15rem; margin-top:1.6rem; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { border-bottom:1px solid var(--line); padding:.45rem .5rem; text-align:left; vertical-align:top; }
th { background:#eef2f4; font-weight:600; }
form.inline { display:inline; }
label { display:block; margin:.4rem 0; }
input, select, textarea, button { font:inherit; padding:.45rem .6rem; min-height:44px; }
button { background:var(--accent); color:#fff; border:0; border-radius:6px; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); }
button.danger { background:var(--warn); }
.error { color:var(--warn); font-weight:600; }
.ok { color:var(--ok); }
.muted { color:var(--muted); font-size:.9rem; }
.badge { display:inline-block; padding:0 .5rem; border-radius:999px; background:#e6eef2; font-size:.85rem; }
.badge.warn { background:#f6dede; color:var(--warn); }
.badge.ok { background:#dff0e4; color:var(--ok); }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(220px,1fr)); gap:.8rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; }
.qr svg { width:260px; height:260px; }
@media (max-width: 800px) { table, thead, tbody, tr, th, td { display:block; } th { display:none; } td { border:0; } tr { border-bottom:1px solid var(--line); } }
"#;

fn head(title: &str) -> Markup {
    html! {
        (DOCTYPE)
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " — 訪問 資格確認" }
        style { (PreEscaped(STYLE)) }
    }
}

const NAV: &[(&str, &str, Perm)] = &[
    ("/console/", "本日", Perm::ViewVisits),
    ("/console/visits", "訪問結果", Perm::ViewVisits),
    ("/console/follow-ups", "フォローアップ", Perm::FollowUps),
    ("/console/rounds", "訪問予定", Perm::PlanRounds),
    ("/console/custody", "カード預かり", Perm::ViewVisits),
    ("/console/patients", "患者", Perm::ManagePatients),
    ("/console/devices", "端末", Perm::ManageDevices),
    ("/console/readings", "読み取り性能", Perm::ManageDevices),
    ("/console/staff", "職員", Perm::ManageStaff),
    ("/console/audit", "監査ログ", Perm::ViewAudit),
];

/// A console page for a logged-in staff member.
pub fn render(viewer: &impl Viewer, here: &str, title: &str, body: Markup) -> Response {
    Html(
        html! {
            html lang="ja" {
                head { (head(title)) }
                body {
                    header {
                        strong { "訪問 資格確認" }
                        nav {
                            @for (href, label, perm) in NAV {
                                @if allowed(viewer.role(), *perm) {
                                    a href=(href) class=[(*href == here).then_some("here")] { (label) } " "
                                }
                            }
                        }
                        form method="post" action="/console/logout" {
                            (csrf(viewer))
                            span.muted style="color:#dbe9ef" { (viewer.name()) "(" (viewer.role().name_ja()) ") " }
                            button.secondary type="submit" { "ログアウト" }
                        }
                    }
                    main { h1 { (title) } (body) }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}

/// A page outside the session (the login).
pub fn bare(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            html lang="ja" {
                head { (head(title)) }
                body { main style="max-width:520px" { (body) } }
            }
        }
        .into_string(),
    )
}

pub fn bare_status(status: u16, title: &str, body: Markup) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (code, bare(title, body)).into_response()
}

/// The hidden CSRF field of every form.
pub fn csrf(viewer: &impl Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf()); }
}

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

pub fn forbidden(viewer: &impl Viewer, message: &str) -> Response {
    let mut r = render(
        viewer,
        "",
        "操作できません",
        html! { p.error { (message) } p { a href="/console/" { "本日の画面に戻る" } } },
    );
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

pub fn bad_request(viewer: &impl Viewer, message: &str) -> Response {
    let mut r = render(
        viewer,
        "",
        "入力を確認してください",
        html! {
            p.error { (message) }
            p { "ブラウザの「戻る」で前の画面に戻り、直してからもう一度送ってください。" a href="/console/" { "本日の画面へ" } }
        },
    );
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

pub fn server_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        bare("エラー", html! { p.error { "サーバーでエラーが発生しました。時間をおいてもう一度お試しください。続く場合は管理者に連絡してください。" } }),
    )
        .into_response()
}

/// A time in Japan, for people.
pub fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&houmon_core::card::cert::jst()).format("%Y-%m-%d %H:%M").to_string()
}

/// Today in Japan.
pub fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&houmon_core::card::cert::jst()).date_naive()
}
