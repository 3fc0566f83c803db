// SPDX-License-Identifier: MPL-2.0
//! Who is using the console: staff log in with a password (argon2id),
//! guessing slowed by growing waits per address and per account — never a
//! lock on the account (`limiter.rs`); a session lives in a Secure, HttpOnly,
//! SameSite=Strict cookie whose token the server keeps only hashed; every
//! form carries the session's CSRF token (the login form a double-submit
//! token); a handler asks for what its role must be allowed ([`Can`], or
//! [`Posted`] for a form: `access.rs`). Logins, failures, logouts and
//! refusals are audit entries.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::html;

use super::access::{allowed, Permission};
use super::layout::{self, FormData, Viewer};
use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::console as cdb;
use crate::db::staff::{self, Role, Staff};
use crate::peer::Source;
use crate::secrets::{random_hex, token_hash};

pub const COOKIE: &str = "houmon_console";
pub const LOGIN_COOKIE: &str = "houmon_login";

/// A logged-in staff member.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff: Staff,
    pub csrf: String,
    token_hash: String,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff.staff_id.clone())
    }

    /// 403 unless the form carries this session's CSRF token.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), Response> {
        if form.get("csrf").is_some_and(|t| constant_eq(t, &self.csrf)) {
            Ok(())
        } else {
            Err(layout::forbidden(
                self,
                "フォームの有効期限が切れました。ページを開き直してからもう一度操作してください。",
            ))
        }
    }
}

impl Viewer for Session {
    fn name(&self) -> &str {
        &self.staff.name
    }

    fn role(&self) -> Role {
        self.staff.role
    }

    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A logged-in staff member whose role may `P` (`access::allowed`): what
/// a handler asks for. Anyone else gets a 403 page, and the refusal is an
/// audit entry (`console.access`, the path and the permission).
pub struct Can<P>(pub Session, pub PhantomData<P>);

impl<P: Permission> FromRequestParts<Arc<App>> for Can<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, app).await?;
        if allowed(session.staff.role, P::PERM) {
            return Ok(Can(session, PhantomData));
        }
        let path: String = parts.uri.path().chars().take(200).collect();
        let entry = Entry::new(session.actor(), "console.access", "refused:forbidden")
            .staff(&session.staff.staff_id)
            .target(path)
            .detail(P::PERM.as_str());
        let app = app.clone();
        let _ = tokio::task::spawn_blocking(move || {
            app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now()))
        })
        .await;
        Err(layout::forbidden(
            &session,
            "この操作を行う権限がありません。管理者に依頼してください。",
        ))
    }
}

/// A form posted by a staff member whose role may `P`, carrying this
/// session's CSRF token (else 403: another site's form changes nothing).
pub struct Posted<P>(pub Session, pub FormData, pub PhantomData<P>);

impl<P: Permission> FromRequest<Arc<App>> for Posted<P> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Can(session, _) = Can::<P>::from_request_parts(&mut parts, app).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = FormData::parse(&bytes);
        session.check_csrf(&form)?;
        Ok(Posted(session, form, PhantomData))
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(app: &App, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.public_url.starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl FromRequestParts<Arc<App>> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, COOKIE).filter(|t| t.len() == 64) else {
            return Err(layout::redirect("/console/login"));
        };
        let hash = token_hash(token);
        let app = app.clone();
        let found = tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let s = app.db.read(|c, _| {
                let Some((staff_id, csrf)) = cdb::session(c, &hash, now)? else { return Ok(None) };
                Ok(staff::get(c, &staff_id)?.filter(|s| !s.disabled).map(|s| (s, csrf)))
            })?;
            if s.is_some() {
                app.db.write(|tx, _| cdb::touch_session(tx, &hash, now))?;
            }
            Ok::<_, crate::db::DbError>(s.map(|(staff, csrf)| Session {
                staff,
                csrf,
                token_hash: hash,
            }))
        })
        .await;
        match found {
            Ok(Ok(Some(s))) => Ok(s),
            Ok(Ok(None)) => Err(layout::redirect("/console/login")),
            Ok(Err(e)) => Err(layout::server_error(e)),
            Err(e) => Err(layout::server_error(e)),
        }
    }
}

pub async fn login_page(State(app): State<Arc<App>>) -> Response {
    let token = random_hex(16);
    let body = login_form(&token, None);
    let mut resp = layout::bare("ログイン", body).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, LOGIN_COOKIE, &token, 900));
    resp
}

fn login_form(token: &str, error: Option<&str>) -> maud::Markup {
    html! {
        h1 { "訪問 資格確認 — クリニック管理画面" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/console/login" {
            input type="hidden" name="login_csrf" value=(token);
            label { "職員ID" input name="staff_id" autocomplete="username" required; }
            label { "パスワード" input type="password" name="password" autocomplete="current-password" required; }
            button type="submit" { "ログイン" }
        }
    }
}

pub async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let double_submit = cookie(&headers, LOGIN_COOKIE).map(str::to_owned);
    let ok_token = match (form.get("login_csrf"), double_submit.as_deref()) {
        (Some(a), Some(b)) => constant_eq(a, b),
        _ => false,
    };
    if !ok_token {
        return layout::bare_status(
            403,
            "ログイン",
            html! {
                p.error { "ログイン画面の有効期限が切れました。" a href="/console/login" { "ログイン画面を開き直してください" } }
            },
        );
    }
    let staff_id = form.get("staff_id").unwrap_or_default().trim().to_owned();
    let password = form.get("password").unwrap_or_default().to_owned();
    let app2 = app.clone();
    let outcome =
        tokio::task::spawn_blocking(move || authenticate(&app2, &staff_id, &password, peer)).await;
    let token = double_submit.unwrap_or_default();
    match outcome {
        Ok(Ok(Ok((session_token, _staff)))) => {
            let mut resp = layout::redirect("/console/");
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&app, COOKIE, &session_token, cdb::SESSION_MAX.num_seconds()),
            );
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, LOGIN_COOKIE, "", 0));
            resp
        }
        Ok(Ok(Err(refusal))) => {
            let mut resp =
                layout::bare_status(401, "ログイン", login_form(&token, Some(&refusal.message)));
            if let Some(wait) = refusal.retry_after {
                if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            resp
        }
        Ok(Err(e)) => layout::server_error(e),
        Err(e) => layout::server_error(e),
    }
}

/// A login refused: what staff read, and how long to wait if it waits.
pub struct LoginRefused {
    pub message: String,
    pub retry_after: Option<std::time::Duration>,
}

fn local_time(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&houmon_core::card::cert::jst()).format("%H:%M").to_string()
}

/// Checks the password; on success makes a session. Guessing is slowed
/// (`limiter.rs`), never turned into a lock on the account: a login from
/// an address the account has logged in from is held back only by wrong
/// passwords typed there. `Ok(Err(…))` is a refusal staff read.
fn authenticate(
    app: &App,
    staff_id: &str,
    password: &str,
    peer: SocketAddr,
) -> crate::db::DbResult<Result<(String, Staff), LoginRefused>> {
    let now = Utc::now();
    let from = Source::of(peer.ip());
    let refused = |outcome: &str, detail: String| {
        let entry = Entry::new(
            Actor::Anonymous(peer.ip().to_string()),
            "console.login",
            format!("refused:{outcome}"),
        )
        .target(staff_id.chars().filter(|c| c.is_ascii_graphic()).take(64).collect::<String>())
        .detail(detail);
        app.db.write(|tx, s| audit::append(tx, s, &entry, now))
    };
    let bad = || LoginRefused {
        message: "職員IDまたはパスワードが違います。".to_owned(),
        retry_after: None,
    };
    let since = now - cdb::KNOWN_ADDRESS_FOR;
    let (creds, known) = app.db.read(|c, _| {
        Ok((
            cdb::credentials(c, staff_id)?,
            cdb::known_address(c, staff_id, &from.to_string(), since)?,
        ))
    })?;
    if let Err((held, wait)) = app.logins.check(staff_id, from, known) {
        refused("throttled", format!("{} waits {} s", held.as_str(), wait.as_secs().max(1)))?;
        let until = now + chrono::Duration::from_std(wait).unwrap_or_default();
        return Ok(Err(LoginRefused {
            message: format!(
                "ログインの失敗が続いたため、{}までロックされています。時間をおいてから、または管理者にロック解除を依頼してください。",
                local_time(until)
            ),
            retry_after: Some(wait),
        }));
    }
    let Some(creds) = creds else {
        let _ = super::password::verify(password, super::password::decoy());
        let wait = app.logins.failure(staff_id, from, known);
        refused("bad-credentials", waits("unknown staff id", wait))?;
        return Ok(Err(bad()));
    };
    if creds.disabled {
        refused("disabled", String::new())?;
        return Ok(Err(bad()));
    }
    let hash = creds.password_hash.unwrap_or_else(|| super::password::decoy().to_owned());
    if !super::password::verify(password, &hash) {
        let wait = app.logins.failure(staff_id, from, known);
        refused("bad-credentials", waits("", wait))?;
        return Ok(Err(match wait {
            Some(w) => {
                let minutes = w.as_secs().div_ceil(60);
                LoginRefused {
                    message: format!(
                        "ログインの失敗が続いたため、{minutes}分間ロックしました。{minutes}分後にもう一度お試しいただくか、管理者にロック解除を依頼してください。"
                    ),
                    retry_after: Some(w),
                }
            }
            None => bad(),
        }));
    }
    app.logins.success(staff_id, from);
    let token = random_hex(32);
    let csrf = random_hex(32);
    let staff = app.db.read(|c, _| staff::get(c, staff_id))?;
    let Some(staff) = staff else { return Ok(Err(bad())) };
    app.db.write(|tx, s| {
        cdb::create_session(tx, &token_hash(&token), staff_id, &csrf, &from.to_string(), now)?;
        let entry = Entry::new(Actor::Staff(staff_id.into()), "console.login", "ok")
            .staff(staff_id)
            .detail(format!("from {}", peer.ip()));
        audit::append(tx, s, &entry, now)
    })?;
    Ok(Ok((token, staff)))
}

/// An audit detail, with the wait a failure started.
fn waits(detail: &str, wait: Option<std::time::Duration>) -> String {
    match wait {
        Some(w) if detail.is_empty() => format!("waits {} s now", w.as_secs()),
        Some(w) => format!("{detail}; waits {} s now", w.as_secs()),
        None => detail.to_owned(),
    }
}

pub async fn logout(State(app): State<Arc<App>>, session: Session, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = session.check_csrf(&form) {
        return r;
    }
    let app2 = app.clone();
    let s = session.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        app2.db.write(|tx, sec| {
            cdb::end_session(tx, &s.token_hash, now)?;
            let entry = Entry::new(s.actor(), "console.logout", "ok").staff(&s.staff.staff_id);
            audit::append(tx, sec, &entry, now)
        })
    })
    .await;
    let mut resp = layout::redirect("/console/login");
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, COOKIE, "", 0));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_every_byte_is() {
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "xbc"));
        assert!(!constant_eq("ab", "ba"), "two differences do not cancel out");
        assert!(!constant_eq("abc", "abcd"), "a prefix is not the token");
        assert!(!constant_eq("", "a"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; houmon_console=abc; b=2"));
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
