// SPDX-License-Identifier: MPL-2.0
//! Picking up where the person was when their session ended: a page
//! opened without a session goes to the login and back (`?next=`); a form
//! posted after the session timed out (a follow-up note typed for half an
//! hour) is not lost — the login page carries its fields, and once logged
//! in the person sends it with one click (with the new session's CSRF
//! token; nothing is sent without that click). Only a form sent with the
//! console's own (expired) cookie is carried: another site's form carries
//! no cookie (SameSite=Strict) and is carried nowhere.
//!
//! What the login carries until the second factor is given is kept in
//! memory for at most a few minutes, by the new session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::auth::{self, Carry, Session, COOKIE, LOGIN_COOKIE};
use super::layout::{self, csrf, render};
use crate::app::App;
use crate::secrets::random_hex;

struct Kept {
    until: Instant,
    next: String,
    carry: Carry,
}

fn kept() -> &'static Mutex<HashMap<String, Kept>> {
    static KEPT: OnceLock<Mutex<HashMap<String, Kept>>> = OnceLock::new();
    KEPT.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps where to go (and what to send) after the login of `session`.
pub fn keep(session: &str, next: &str, carry: Carry) {
    let mut map = kept().lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    map.retain(|_, k| k.until > now);
    let until = now + Duration::from_secs(10 * 60);
    map.insert(session.to_owned(), Kept { until, next: next.to_owned(), carry });
}

fn take(session: &str) -> Option<(String, Carry)> {
    let mut map = kept().lock().unwrap_or_else(|e| e.into_inner());
    map.remove(session).filter(|k| k.until > Instant::now()).map(|k| (k.next, k.carry))
}

/// After a login: back to the page the person was on, or the form they
/// had posted, ready to send.
pub async fn continue_page(session: Session) -> Response {
    let Some((next, carry)) = take(session.key()) else {
        return layout::redirect("/console/");
    };
    let Some(action) = carry.action.clone() else {
        return layout::redirect(&next);
    };
    render(
        &session,
        "",
        "入力した内容を送信しますか",
        html! {
            p { "ログインの有効期限が切れる前に入力した内容です。確かめてから送信してください(まだ保存されていません)。" }
            form method="post" action=(action) {
                (csrf(&session))
                table {
                    @for (k, v) in &carry.fields {
                        @if is_shown(k) { tr { th { (label(k)) } td { (v) } } }
                    }
                }
                @for (k, v) in &carry.fields { input type="hidden" name=(k) value=(v); }
                p { button type="submit" { "この内容で送信する" } " "
                    a.button.secondary href=(next) { "送信せずに画面を開く" } }
            }
        },
    )
}

/// Fields worth showing (what the person typed, not the form's plumbing).
fn is_shown(name: &str) -> bool {
    !matches!(name, "kind" | "item" | "day" | "device" | "issue" | "action" | "decision")
}

fn label(name: &str) -> &str {
    match name {
        "note" => "メモ",
        "name" => "氏名",
        "kana" => "カナ",
        "birth_date" => "生年月日",
        "address" => "住所",
        "staff_id" => "職員ID",
        "patient" => "患者",
        "staff" => "職員",
        "facility" => "施設",
        "minutes" => "有効時間(分)",
        "password" => "パスワード",
        _ => "入力",
    }
}

/// A form posted with the console's cookie after its session ended (the
/// permission extractor was refused with the way to the login): the login
/// page, carrying the form's fields (URL-encoded forms only; a file
/// cannot be carried and is chosen again). Anything else: the refusal.
pub async fn stale_post(
    app: &Arc<App>,
    parts: axum::http::request::Parts,
    body: axum::body::Body,
    refusal: Response,
) -> Response {
    let to_login = refusal
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.starts_with("/console/login?"));
    let path = parts.uri.path().to_owned();
    if parts.method != Method::POST || !to_login || auth::cookie(&parts.headers, COOKIE).is_none() {
        return refusal;
    }
    let urlencoded = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return refusal;
    }
    let fields: Vec<(String, String)> =
        match Bytes::from_request(Request::from_parts(parts, body), app).await {
            Ok(b) => url::form_urlencoded::parse(&b)
                .into_owned()
                .filter(|(k, _)| k != "csrf" && k != "password")
                .collect(),
            Err(r) => return r.into_response(),
        };
    let carry = Carry { action: Some(path.clone()), fields };
    let token = random_hex(16);
    // Afterwards: the page the form was on.
    let area: String = path.split('/').take(3).collect::<Vec<_>>().join("/");
    let next_page = auth::safe_next(Some(&area));
    let body = auth::login_form(
        &token,
        None,
        Some("一定時間操作がなかったため、ログアウトしました。"),
        "",
        &next_page,
        &carry,
    );
    let mut resp = layout::bare_status(401, "ログイン", body);
    resp.headers_mut()
        .append(axum::http::header::SET_COOKIE, auth::set_cookie(app, LOGIN_COOKIE, &token, 900));
    resp
}
