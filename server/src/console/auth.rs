// SPDX-License-Identifier: MPL-2.0
//! Who is using the console: staff log in with a password (argon2id),
//! locked after repeated failures; a session lives in a Secure, HttpOnly,
//! SameSite=Strict cookie whose token the server keeps only hashed; every
//! form carries the session's CSRF token (the login form a double-submit
//! token); what a role may do is [`allowed`]. Logins, failures and logouts
//! are audit entries.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::html;

use super::layout::{self, FormData};
use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::console as cdb;
use crate::db::staff::{self, Role, Staff};
use crate::secrets::{random_hex, token_hash};

pub const COOKIE: &str = "houmon_console";
pub const LOGIN_COOKIE: &str = "houmon_login";

/// What a part of the console needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    ViewVisits,
    PlanRounds,
    ManagePatients,
    FollowUps,
    Export,
    ManageDevices,
    ViewAudit,
    ManageStaff,
}

/// Which role may do what: 管理者 everything; 事務 the desk's work;
/// 医師 planning and follow-ups; 看護師 the rounds and visits.
pub fn allowed(role: Role, perm: Perm) -> bool {
    use Perm::*;
    match role {
        Role::Admin => true,
        Role::Clerk => {
            matches!(perm, ViewVisits | PlanRounds | ManagePatients | FollowUps | Export)
        }
        Role::Doctor => matches!(perm, ViewVisits | PlanRounds | ManagePatients | FollowUps),
        Role::Nurse => matches!(perm, ViewVisits | PlanRounds),
    }
}

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

    /// 403 unless the role may.
    pub fn require(&self, perm: Perm) -> Result<(), Response> {
        if allowed(self.staff.role, perm) {
            Ok(())
        } else {
            Err(layout::forbidden(
                self,
                "この操作を行う権限がありません。管理者に依頼してください。",
            ))
        }
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
        Ok(Ok(Err(message))) => {
            layout::bare_status(401, "ログイン", login_form(&token, Some(&message)))
        }
        Ok(Err(e)) => layout::server_error(e),
        Err(e) => layout::server_error(e),
    }
}

/// Checks the password; on success makes a session. `Ok(Err(message))` is
/// a refusal staff read.
fn authenticate(
    app: &App,
    staff_id: &str,
    password: &str,
    peer: SocketAddr,
) -> crate::db::DbResult<Result<(String, Staff), String>> {
    let now = Utc::now();
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
    let bad = "職員IDまたはパスワードが違います。".to_owned();
    let creds = app.db.read(|c, _| cdb::credentials(c, staff_id))?;
    let Some(creds) = creds else {
        let _ = super::password::verify(password, super::password::decoy());
        refused("bad-credentials", "unknown staff id".into())?;
        return Ok(Err(bad));
    };
    if let Some(until) = creds.locked_until.filter(|u| now < *u) {
        refused("locked", format!("until {until}"))?;
        let local = until.with_timezone(&houmon_core::cert::jst()).format("%H:%M");
        return Ok(Err(format!(
            "ログインの失敗が続いたため、このアカウントは{local}までロックされています。時間をおいてから、または管理者にロック解除を依頼してください。"
        )));
    }
    if creds.disabled {
        refused("disabled", String::new())?;
        return Ok(Err(bad));
    }
    let hash = creds.password_hash.unwrap_or_else(|| super::password::decoy().to_owned());
    if !super::password::verify(password, &hash) {
        let locked = app.db.write(|tx, _| cdb::login_failed(tx, staff_id, now))?;
        refused("bad-credentials", if locked { "locked now".into() } else { String::new() })?;
        return Ok(Err(if locked {
            "ログインの失敗が続いたため、このアカウントをロックしました。15分後に、または管理者にロック解除を依頼してください。".into()
        } else {
            bad
        }));
    }
    let token = random_hex(32);
    let csrf = random_hex(32);
    let staff = app.db.read(|c, _| staff::get(c, staff_id))?;
    let Some(staff) = staff else { return Ok(Err(bad)) };
    app.db.write(|tx, s| {
        cdb::login_succeeded(tx, staff_id)?;
        cdb::create_session(tx, &token_hash(&token), staff_id, &csrf, now)?;
        let entry = Entry::new(Actor::Staff(staff_id.into()), "console.login", "ok")
            .staff(staff_id)
            .detail(format!("from {}", peer.ip()));
        audit::append(tx, s, &entry, now)
    })?;
    Ok(Ok((token, staff)))
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
    fn roles_can_do_only_their_part() {
        assert!(Perm::ManageStaff != Perm::ManageDevices);
        for perm in [Perm::ManageDevices, Perm::ViewAudit, Perm::ManageStaff] {
            assert!(allowed(Role::Admin, perm));
            assert!(!allowed(Role::Clerk, perm), "{perm:?}");
            assert!(!allowed(Role::Nurse, perm), "{perm:?}");
        }
        assert!(allowed(Role::Clerk, Perm::Export) && !allowed(Role::Nurse, Perm::Export));
    }

    #[test]
    fn each_role_may_do_exactly_its_part() {
        use Perm::*;
        let all = [
            ViewVisits,
            PlanRounds,
            ManagePatients,
            FollowUps,
            Export,
            ManageDevices,
            ViewAudit,
            ManageStaff,
        ];
        let may = |role| all.into_iter().filter(|p| allowed(role, *p)).collect::<Vec<_>>();
        assert_eq!(may(Role::Admin), all);
        assert_eq!(may(Role::Clerk), [ViewVisits, PlanRounds, ManagePatients, FollowUps, Export]);
        assert_eq!(may(Role::Doctor), [ViewVisits, PlanRounds, ManagePatients, FollowUps]);
        assert_eq!(may(Role::Nurse), [ViewVisits, PlanRounds]);
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
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; houmon_console=abc; b=2"));
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
