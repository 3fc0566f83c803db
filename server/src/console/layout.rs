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
:root { --fg:#1b2b34; --muted:#5b6b74; --line:#d5dde2; --accent:#1b5e7a; --warn:#a33; --ok:#2e6b3f; --bg:#f6f8f9; --caution:#8a5a00; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.55 "Hiragino Sans","Noto Sans JP","Yu Gothic",sans-serif; color:var(--fg); background:var(--bg); }
header { background:var(--accent); color:#fff; padding:.5rem 1rem; display:flex; flex-wrap:wrap; gap:1rem; align-items:center; }
header a { color:#fff; text-decoration:none; padding:.4rem .2rem; }
header a.here { border-bottom:3px solid #fff; }
header form { margin-left:auto; }
main { padding:1rem; max-width:1200px; margin:0 auto; overflow-x:auto; }
h1 { font-size:1.4rem; } h2 { font-size:1.15rem; margin-top:1.6rem; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { border-bottom:1px solid var(--line); padding:.45rem .5rem; text-align:left; vertical-align:top; }
th { background:#eef2f4; font-weight:600; }
tr.attention td { background:#fdf1f1; }
tr.attention td:first-child { border-left:4px solid var(--warn); }
form.inline { display:inline; }
label { display:block; margin:.4rem 0; }
input, select, textarea, button { font:inherit; padding:.45rem .6rem; min-height:44px; }
a.button, button { display:inline-block; background:var(--accent); color:#fff; border:0; border-radius:6px; cursor:pointer; padding:.45rem .9rem; text-decoration:none; }
button.secondary, a.button.secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); }
button.danger { background:var(--warn); }
.error { color:var(--warn); font-weight:600; }
.ok { color:var(--ok); }
p.notice { background:#dff0e4; color:var(--ok); border-left:4px solid var(--ok); padding:.6rem .8rem; font-weight:600; }
.muted { color:var(--muted); font-size:.9rem; }
.badge { display:inline-block; padding:0 .5rem; border-radius:999px; background:#e6eef2; font-size:.85rem; }
.badge.warn, .badge.bad { background:#f6dede; color:var(--warn); font-weight:600; }
.badge.bad { background:var(--warn); color:#fff; }
.badge.caution { background:#fbecc8; color:var(--caution); font-weight:600; }
.badge.ok { background:#dff0e4; color:var(--ok); }
.diff { background:#fbecc8; font-weight:600; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(200px,1fr)); gap:.8rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; }
.card a.count { font-size:2rem; font-weight:700; text-decoration:none; color:var(--accent); }
.card.needs { border-left:5px solid var(--warn); }
.card.needs a.count { color:var(--warn); }
.qr svg { width:260px; height:260px; }
.print-only { display:none; }
.check { font-size:1.2rem; }
@media (max-width: 820px) {
  main { padding:.6rem; }
  th, td { padding:.35rem .3rem; font-size:.9rem; }
  header { gap:.4rem; }
}
@media print {
  @page { size: A4; margin: 12mm 10mm; }
  body { background:#fff; font-size:10.5pt; }
  header, form, button, .no-print, nav { display:none !important; }
  main { max-width:none; padding:0; overflow:visible; }
  h1 { font-size:14pt; margin:0 0 4mm; }
  h2 { font-size:12pt; margin:5mm 0 2mm; break-after:avoid; }
  table { width:100%; font-size:9.5pt; }
  thead { display:table-header-group; }
  tr { break-inside:avoid; }
  th, td { padding:1.2mm 1.5mm; border:1px solid #999; }
  th { background:#eee !important; -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  tr.attention td { background:#fff; }
  tr.attention td:first-child { border-left:3px solid #000; }
  .badge { padding:0; background:none !important; color:#000 !important; font-weight:600; }
  .print-only { display:initial; }
  td.print-only, th.print-only { display:table-cell; }
  a { color:#000; text-decoration:none; }
}
"#;

fn head(title: &str) -> Markup {
    html! {
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
            (DOCTYPE)
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
            (DOCTYPE)
            html lang="ja" {
                head { (head(title)) }
                body { main style="max-width:560px" { (body) } }
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
    bad_request_back(viewer, message, "/console/", "本日の画面に戻る")
}

/// A refusal staff can act on: what is wrong, and a link (no script) back
/// to the page to put it right.
pub fn bad_request_back(viewer: &impl Viewer, message: &str, back: &str, label: &str) -> Response {
    let mut r = render(
        viewer,
        "",
        "入力を確認してください",
        html! {
            p.error role="alert" { (message) }
            p { a.button href=(back) { "前の画面に戻る(" (label) ")" } }
        },
    );
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

/// The answer to a page that does not exist, in Japanese, with the way on.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        bare(
            "ページが見つかりません",
            html! {
                h1 { "ページが見つかりません" }
                p { "お探しのページはありません。アドレスが正しいか確かめてください。" }
                p { a.button href="/console/" { "クリニック管理画面(本日)へ" } }
            },
        ),
    )
        .into_response()
}

/// The message a page shows after an action succeeded: the page is opened
/// with `?done=<what>` (and `&n=<how many>`); an unknown key shows nothing.
pub fn notice(q: &std::collections::HashMap<String, String>) -> Markup {
    let n = q.get("n").and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
    let text = match q.get("done").map(String::as_str) {
        Some("imported") => format!("{n}名の患者を取り込みました。"),
        Some("saved") => "保存しました。".into(),
        Some("updated-from-answer") => {
            "資格確認端末の回答で患者情報を更新しました(元に戻すには患者の画面で編集してください)。"
                .into()
        }
        Some("team") => "担当の看護師を保存しました。".into(),
        Some("resolved") => "対応済みにしました。対応済みの一覧に移りました。".into(),
        Some("accepted") => "再発行されたカードとして承認しました。資格確認を依頼しました。".into(),
        Some("rejected") => "カードを却下しました。".into(),
        Some("planned") => format!("{n}件を訪問予定に加えました。"),
        Some("removed") => "訪問予定から外しました。".into(),
        Some("reordered") => "訪問の順番を保存しました。".into(),
        Some("copied") => format!("{n}件の予定をコピーしました。"),
        Some("repeated") => format!("{n}件の予定をくり返し加えました。"),
        Some("revoked") => "端末を取り消しました。この端末からの送信はもう受け付けません。".into(),
        Some("staff-saved") => "職員を保存しました。".into(),
        Some("unlocked") => "ログインの制限を解除しました。".into(),
        Some("disabled") => {
            "職員を無効にしました。ログイン中の画面は閉じられ、この職員の端末も使えません。".into()
        }
        Some("enabled") => "職員を有効に戻しました。".into(),
        Some("totp-reset") => "2段階認証をリセットしました。次のログインで設定し直します。".into(),
        Some("policy") => "2段階認証の方針を保存しました。".into(),
        Some("totp-on") => "2段階認証を設定しました。".into(),
        Some("codes") => "新しい回復用コードを作りました。以前のコードは使えません。".into(),
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
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
