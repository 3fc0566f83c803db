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
    /// When the login began (the logout's audit entry says how long).
    pub since: chrono::DateTime<Utc>,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff.staff_id.clone())
    }

    /// What tells this session from another (the hash of its token).
    pub fn key(&self) -> &str {
        &self.token_hash
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
        let session = match Can::<P>::from_request_parts(&mut parts, app).await {
            Ok(Can(session, _)) => session,
            // The session ended while the form was being filled in: what
            // was typed is carried through the login (`resume.rs`).
            Err(r) => return Err(super::resume::stale_post(app, parts, body, r).await),
        };
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = FormData::parse(&bytes);
        session.check_csrf(&form)?;
        Ok(Posted(session, form, PhantomData))
    }
}

pub fn constant_eq(a: &str, b: &str) -> bool {
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

pub fn set_cookie(app: &App, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.public_url.starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl FromRequestParts<Arc<App>> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        // Without a session, a page sends the person to the login and,
        // once logged in, back to where they were (`?next=`).
        let next = {
            let to = parts.uri.path_and_query().map_or("/console/", |p| p.as_str());
            let next = if parts.method == axum::http::Method::GET { to } else { "/console/" };
            url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish()
        };
        let Some(token) = cookie(&parts.headers, COOKIE).filter(|t| t.len() == 64) else {
            return Err(layout::redirect(&format!("/console/login?{next}")));
        };
        let hash = token_hash(token);
        let app = app.clone();
        let found = tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let s = app.db.read(|c, _| {
                let Some(live) = cdb::session(c, &hash, now)? else { return Ok(None) };
                Ok(staff::get(c, &live.staff_id)?.filter(|s| !s.disabled).map(|s| (s, live)))
            })?;
            match s {
                Some((staff, live)) if live.pending.is_none() => {
                    app.db.write(|tx, _| cdb::touch_session(tx, &hash, now))?;
                    let since = live.created_at;
                    Ok::<_, crate::db::DbError>(Ok(Session {
                        staff,
                        csrf: live.csrf,
                        token_hash: hash,
                        since,
                    }))
                }
                // Half logged in: the second factor first.
                Some((_, live)) => Ok(Err(live.pending)),
                None => {
                    // A session that timed out: its end goes in the trail.
                    record_timeouts(&app)?;
                    Ok(Err(None))
                }
            }
        })
        .await;
        match found {
            Ok(Ok(Ok(s))) => Ok(s),
            Ok(Ok(Err(Some(step)))) => Err(layout::redirect(&format!("/console/login/{step}"))),
            Ok(Ok(Err(None))) => Err(layout::redirect(&format!("/console/login?expired=1&{next}"))),
            Ok(Err(e)) => Err(layout::server_error(e)),
            Err(e) => Err(layout::server_error(e)),
        }
    }
}

/// Ends the sessions that timed out and writes each one's end in the
/// audit trail (`console.timeout`, with how long it was used).
pub fn record_timeouts(app: &App) -> crate::db::DbResult<()> {
    let now = Utc::now();
    app.db.write(|tx, s| {
        for t in cdb::sweep(tx, now)? {
            let used = (t.last_seen_at - t.created_at).num_seconds().max(0);
            let entry = Entry::new(Actor::Staff(t.staff_id.clone()), "console.timeout", "ok")
                .staff(&t.staff_id)
                .detail(format!(
                    "duration_s={used}{}",
                    if t.pending { " second factor not given" } else { "" }
                ));
            audit::append(tx, s, &entry, now)?;
        }
        Ok(())
    })
}

/// Where to go after logging in: a page of this console, never elsewhere
/// (an open redirect), never the login itself.
pub fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with("/console")
            && !n.starts_with("/console/login")
            && !n.starts_with("/console/logout")
            && !n.contains("//")
            && !n.contains('\\')
            && n.chars().all(|c| c.is_ascii_graphic())
    })
    .map_or_else(|| "/console/".to_owned(), str::to_owned)
}

pub async fn login_page(
    State(app): State<Arc<App>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let app2 = app.clone();
    let _ = tokio::task::spawn_blocking(move || record_timeouts(&app2)).await;
    let token = random_hex(16);
    let next = safe_next(q.get("next").map(String::as_str));
    let note = if q.contains_key("expired") {
        Some(EXPIRED)
    } else if q.get("done").is_some_and(|d| d == "logout") {
        Some("ログアウトしました。")
    } else {
        None
    };
    let body = login_form(&token, None, note, "", &next, &Carry::default());
    let mut resp = layout::bare("ログイン", body).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, LOGIN_COOKIE, &token, 900));
    resp
}

const EXPIRED: &str = "一定時間操作がなかったため、ログアウトしました。もう一度ログインすると、表示していた画面に戻ります。";

/// A form that was posted after the session had ended: kept (its fields
/// as hidden inputs of the login form) so that, once logged in, the
/// person can send it with one click instead of typing it again.
#[derive(Debug, Clone, Default)]
pub struct Carry {
    pub action: Option<String>,
    pub fields: Vec<(String, String)>,
}

impl Carry {
    /// What the login form carried (`carry_action`, `c.<name>` fields).
    pub fn from_login(form: &FormData, pairs: &[(String, String)]) -> Carry {
        let action =
            form.get("carry_action").map(|a| safe_next(Some(a))).filter(|a| a != "/console/");
        let fields = pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("c.").map(|k| (k.to_owned(), v.clone())))
            .filter(|(k, _)| k != "csrf")
            .take(200)
            .collect();
        Carry { action, fields }
    }

    fn hidden(&self) -> maud::Markup {
        html! {
            @if let Some(a) = &self.action {
                input type="hidden" name="carry_action" value=(a);
                @for (k, v) in &self.fields { input type="hidden" name={ "c." (k) } value=(v); }
            }
        }
    }
}

pub fn login_form(
    token: &str,
    error: Option<&str>,
    note: Option<&str>,
    staff_id: &str,
    next: &str,
    carry: &Carry,
) -> maud::Markup {
    html! {
        h1 { "訪問 資格確認 — クリニック管理画面" }
        @if let Some(n) = note { p.notice role="status" { (n) } }
        @if carry.action.is_some() { p.notice role="status" { "ログインの有効期限が切れていたため、送信した内容はまだ保存されていません。ログインすると、入力した内容をそのまま送信できます。" } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/console/login" {
            input type="hidden" name="login_csrf" value=(token);
            input type="hidden" name="next" value=(next);
            (carry.hidden())
            label { "職員ID" input name="staff_id" value=(staff_id) autocomplete="username" required; }
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
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let carry = Carry::from_login(&form, &pairs);
    let next = safe_next(form.get("next"));
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
    let typed_id = staff_id.clone();
    let outcome =
        tokio::task::spawn_blocking(move || authenticate(&app2, &staff_id, &password, peer)).await;
    let token = double_submit.unwrap_or_default();
    match outcome {
        Ok(Ok(Ok((session_token, _staff, pending)))) => {
            super::resume::keep(&token_hash(&session_token), &next, carry);
            let to = match pending {
                Some(step) => format!("/console/login/{step}"),
                None => "/console/login/continue".to_owned(),
            };
            let mut resp = layout::redirect(&to);
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&app, COOKIE, &session_token, cdb::SESSION_MAX.num_seconds()),
            );
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, LOGIN_COOKIE, "", 0));
            resp
        }
        Ok(Ok(Err(refusal))) => {
            let form = login_form(&token, Some(&refusal.message), None, &typed_id, &next, &carry);
            let mut resp = layout::bare_status(401, "ログイン", form);
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

/// A password accepted: the session's token, the staff member, and the
/// second-factor step the session still owes (`code`, `setup`), if any.
type LoggedIn = (String, Staff, Option<&'static str>);

/// A login refused: what staff read, and how long to wait if it waits.
pub struct LoginRefused {
    pub message: String,
    pub retry_after: Option<std::time::Duration>,
}

pub fn local_time(at: chrono::DateTime<Utc>) -> String {
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
) -> crate::db::DbResult<Result<LoggedIn, LoginRefused>> {
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
    // The second factor: asked when it is set up, set up first when the
    // role or the clinic's policy requires it (`totp.rs`).
    let pending = match super::totp::state(app, staff_id)? {
        super::totp::State::On => Some("code"),
        super::totp::State::Off if app.db.read(|c, _| super::totp::required(c, staff.role))? => {
            Some("setup")
        }
        super::totp::State::Off => None,
    };
    app.db.write(|tx, s| {
        let hash = token_hash(&token);
        cdb::create_session(tx, &hash, staff_id, &csrf, &from.to_string(), pending, now)?;
        if pending.is_some() {
            return Ok(());
        }
        let entry = Entry::new(Actor::Staff(staff_id.into()), "console.login", "ok")
            .staff(staff_id)
            .detail(format!("from {}", peer.ip()));
        audit::append(tx, s, &entry, now)
    })?;
    Ok(Ok((token, staff, pending)))
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
            let used = (now - s.since).num_seconds().max(0);
            let entry = Entry::new(s.actor(), "console.logout", "ok")
                .staff(&s.staff.staff_id)
                .detail(format!("duration_s={used}"));
            audit::append(tx, sec, &entry, now)
        })
    })
    .await;
    let mut resp = layout::redirect("/console/login?done=logout");
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&app, COOKIE, "", 0));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_only_a_console_page_other_than_login_and_logout_is_a_destination() {
        assert_eq!(
            safe_next(Some("/console/visits?day=2026-12-02")),
            "/console/visits?day=2026-12-02"
        );
        for bad in [
            "/elsewhere",
            "evil.example",
            "https://evil.example/console",
            "/console//evil.example",
            "/console\\evil",
            "/console/login",
            "/console/logout",
            "/console/ページ",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/");
    }

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
    fn a_lock_is_said_until_a_time_of_day_in_japan() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T15:07:30Z").unwrap();
        assert_eq!(local_time(at.with_timezone(&Utc)), "00:07", "15:07 UTC is 00:07 JST");
    }

    #[test]
    fn an_audit_detail_says_the_wait_a_failure_started_after_what_happened() {
        let wait = Some(std::time::Duration::from_secs(8));
        assert_eq!(waits("unknown staff id", wait), "unknown staff id; waits 8 s now");
        assert_eq!(waits("", wait), "waits 8 s now");
        assert_eq!(waits("unknown staff id", None), "unknown staff id");
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; houmon_console=abc; b=2"));
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
