// SPDX-License-Identifier: MPL-2.0
//! The second step of a login (`totp.rs`): the code from the staff
//! member's authenticator app (or a recovery code), or — when the role or
//! the clinic's policy requires a second factor not yet set up — setting
//! it up: a QR code to scan, one code to confirm it, the recovery codes
//! shown once. Until then the session opens no page. 自分の設定
//! (`/console/account`): set it up by choice, or make new recovery codes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use chrono::Utc;
use maud::{html, Markup, PreEscaped};

use crate::app::App;
use crate::console::auth::{self, constant_eq, Session, COOKIE};
use crate::console::layout::{self, bare, bare_status, csrf, redirect, render, FormData};
use crate::console::{blocking, totp};
use crate::db::audit::{self, Actor, Entry};
use crate::db::console as cdb;
use crate::db::staff::{self, Staff};
use crate::peer::Source;
use crate::secrets::token_hash;

/// A session that still owes its second factor.
pub struct Pending {
    staff: Staff,
    csrf: String,
    hash: String,
    step: String,
}

impl FromRequestParts<Arc<App>> for Pending {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let Some(token) = auth::cookie(&parts.headers, COOKIE).filter(|t| t.len() == 64) else {
            return Err(redirect("/console/login"));
        };
        let hash = token_hash(token);
        let app = app.clone();
        let found = blocking(move || {
            let now = Utc::now();
            app.db.read(|c, _| {
                let Some(live) = cdb::session(c, &hash, now)? else { return Ok(None) };
                let Some(step) = live.pending else { return Ok(Some(Err(()))) };
                let staff = staff::get(c, &live.staff_id)?.filter(|s| !s.disabled);
                Ok(staff.map(|staff| Ok(Pending { staff, csrf: live.csrf, hash, step })))
            })
        })
        .await?;
        match found {
            Some(Ok(p)) => Ok(p),
            // Already logged in.
            Some(Err(())) => Err(redirect("/console/")),
            None => Err(redirect("/console/login?expired=1")),
        }
    }
}

fn page(title: &str, body: Markup) -> Response {
    use axum::response::IntoResponse;
    bare(title, body).into_response()
}

fn code_form(p: &Pending, error: Option<&str>) -> Markup {
    html! {
        h1 { "2段階認証" }
        p { (p.staff.name) " さん、認証アプリ(Google Authenticator、Microsoft Authenticator など)に表示されている6桁の確認コードを入力してください。" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/console/login/code" {
            input type="hidden" name="csrf" value=(p.csrf);
            label { "確認コード(6桁)" input name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus; }
            button type="submit" { "確認してログイン" }
        }
        p.muted { "認証アプリを入れたスマートフォンが手元にないときは、設定のときに控えた回復用コード(XXXX-XXXX-XXXX)を同じ欄に入力できます。どちらもないときは管理者に2段階認証のリセットを依頼してください。" }
        (cancel())
    }
}

fn cancel() -> Markup {
    html! { p { a href="/console/login" { "ログインをやめる" } } }
}

pub async fn code_page(p: Pending) -> Response {
    if p.step != "code" {
        return redirect("/console/login/setup");
    }
    page("2段階認証", code_form(&p, None))
}

/// Completes a login: the session opens pages from now on; the login is
/// an audit entry (with the second factor).
fn complete(app: &App, p: &Pending, peer: SocketAddr, how: &str) -> crate::db::DbResult<()> {
    let now = Utc::now();
    let entry = Entry::new(Actor::Staff(p.staff.staff_id.clone()), "console.login", "ok")
        .staff(&p.staff.staff_id)
        .detail(format!("from {}; {how}", peer.ip()));
    app.db.write(|tx, s| {
        cdb::clear_pending(tx, &p.hash)?;
        audit::append(tx, s, &entry, now)
    })
}

pub async fn code(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    p: Pending,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if !form.get("csrf").is_some_and(|t| constant_eq(t, &p.csrf)) || p.step != "code" {
        return redirect("/console/login");
    }
    let typed = zeroize::Zeroizing::new(form.get("code").unwrap_or_default().to_owned());
    let id = p.staff.staff_id.clone();
    let app2 = app.clone();
    let from = Source::of(peer.ip());
    let checked = blocking(move || {
        // Wrong codes count with wrong passwords (`limiter.rs`).
        let known = app2.db.read(|c, _| {
            cdb::known_address(c, &id, &from.to_string(), Utc::now() - cdb::KNOWN_ADDRESS_FOR)
        })?;
        if let Err((_, wait)) = app2.logins.check(&id, from, known) {
            let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            return Ok(Err(format!(
                "失敗が続いたため、{}まで入力を受け付けません。時間をおいてからお試しください。",
                auth::local_time(until)
            )));
        }
        match totp::verify(&app2, &id, &typed)? {
            Ok(()) => {
                app2.logins.success(&id, from);
                Ok(Ok(()))
            }
            Err(why) => {
                app2.logins.failure(&id, from, known);
                Ok(Err(why.to_owned()))
            }
        }
    })
    .await;
    match checked {
        Ok(Ok(())) => match blocking(move || complete(&app, &p, peer, "second factor")).await {
            Ok(()) => redirect("/console/login/continue"),
            Err(r) => r,
        },
        Ok(Err(why)) => bare_status(401, "2段階認証", code_form(&p, Some(&why))),
        Err(r) => r,
    }
}

/// The setup: the QR code of the secret, the secret as text, and the
/// field for the first code.
fn setup_view(
    secret: &[u8],
    staff_id: &str,
    action: &str,
    token: &str,
    error: Option<&str>,
    intro: Markup,
) -> Markup {
    let uri = totp::uri(secret, staff_id);
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).build())
        .unwrap_or_default();
    html! {
        (intro)
        ol {
            li { "スマートフォンに認証アプリ(Google Authenticator、Microsoft Authenticator など)を入れます。" }
            li { "アプリで「QRコードをスキャン」を選び、次のQRコードを読み取ります。" }
            li { "アプリに表示された6桁の数字を下の欄に入力します。" }
        }
        div.qr { (PreEscaped(svg)) }
        p.muted { "読み取れないときは、アプリで「セットアップキーを入力」を選び、次のキーを入力してください(時間ベース): " code id="totp-secret" { (totp::secret_text(secret)) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(token);
            label { "確認コード(6桁)" input name="code" inputmode="numeric" autocomplete="one-time-code" required; }
            button type="submit" { "設定する" }
        }
    }
}

fn recovery_view(codes: &[String], next: &str, label: &str) -> Markup {
    html! {
        h1 { "回復用コード" }
        p.notice role="status" { "2段階認証を設定しました。" }
        p { "認証アプリのスマートフォンをなくしたときに、確認コードの代わりに使えるコードです(1つにつき1回)。" strong { "この画面でしか表示しません。" } "印刷するか書き写して、鍵のかかる場所に保管してください。" }
        ol id="recovery-codes" { @for c in codes { li { code { (c) } } } }
        p { a.button href=(next) { (label) } }
    }
}

pub async fn setup_page(State(app): State<Arc<App>>, p: Pending) -> Response {
    if p.step != "setup" {
        return redirect("/console/login/code");
    }
    let id = p.staff.staff_id.clone();
    let secret = match blocking(move || match totp::pending_secret(&app, &id)? {
        Some(s) => Ok(s),
        None => totp::begin_setup(&app, &id),
    })
    .await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(
        "2段階認証の設定",
        setup_view(
            &secret,
            &p.staff.staff_id,
            "/console/login/setup",
            &p.csrf,
            None,
            setup_intro(&p),
        ),
    )
}

fn setup_intro(p: &Pending) -> Markup {
    html! {
        h1 { "2段階認証の設定" }
        p { (p.staff.name) " さん、このクリニックでは" (p.staff.role.name_ja()) "のログインに2段階認証(パスワードと、スマートフォンの認証アプリの確認コード)が必要です。最初に一度だけ設定します。" }
    }
}

pub async fn setup(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    p: Pending,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if !form.get("csrf").is_some_and(|t| constant_eq(t, &p.csrf)) || p.step != "setup" {
        return redirect("/console/login");
    }
    let typed = form.get("code").unwrap_or_default().to_owned();
    let (app2, id) = (app.clone(), p.staff.staff_id.clone());
    let done = blocking(move || {
        let r = totp::confirm_setup(&app2, &id, &typed)?;
        let secret = totp::pending_secret(&app2, &id)?;
        Ok((r, secret))
    })
    .await;
    match done {
        Ok((Ok(codes), _)) => {
            match blocking(move || complete(&app, &p, peer, "second factor set up")).await {
                Ok(()) => page(
                    "回復用コード",
                    recovery_view(&codes, "/console/login/continue", "控えました。続ける"),
                ),
                Err(r) => r,
            }
        }
        Ok((Err(why), Some(secret))) => {
            let view = setup_view(
                &secret,
                &p.staff.staff_id,
                "/console/login/setup",
                &p.csrf,
                Some(why),
                setup_intro(&p),
            );
            let mut r = page("2段階認証の設定", view);
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        Ok((Err(why), None)) => {
            bare_status(422, "2段階認証の設定", html! { p.error { (why) } (cancel()) })
        }
        Err(r) => r,
    }
}

/// 自分の設定: the staff member's own second factor.
pub async fn account(State(app): State<Arc<App>>, session: Session) -> Response {
    let (app2, id) = (app.clone(), session.staff.staff_id.clone());
    let role = session.staff.role;
    let (state, left, required) = match blocking(move || {
        let state = totp::state(&app2, &id)?;
        let left = app2.db.read(|c, _| crate::db::totp::recovery_left(c, &id))?;
        let required = app2.db.read(|c, _| totp::required(c, role))?;
        Ok((state, left, required))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/account",
        "自分の設定",
        html! {
            h2 { "2段階認証" }
            @match state {
                totp::State::On => {
                    p { span.badge.ok { "設定済み" } " ログインのたびに認証アプリの確認コードを入力します。回復用コードの残り: " (left) "個" }
                    h2 { "回復用コードを作り直す" }
                    p.muted { "今の回復用コードはすべて使えなくなります。認証アプリの確認コードを入力してください。" }
                    form method="post" action="/console/account/recovery-codes" {
                        (csrf(&session))
                        label { "確認コード(6桁)" input name="code" inputmode="numeric" autocomplete="one-time-code" required; }
                        button type="submit" { "作り直す" }
                    }
                }
                totp::State::Off => {
                    p { span.badge.warn { "未設定" } @if required { " このクリニックでは必要です。" } @else { " 設定すると、パスワードが漏れてもログインされにくくなります。" } }
                    form method="post" action="/console/account/totp" {
                        (csrf(&session))
                        input type="hidden" name="start" value="1";
                        button type="submit" { "2段階認証を設定する" }
                    }
                }
            }
        },
    )
}

/// Setting up the second factor by choice, from 自分の設定.
pub async fn account_totp(State(app): State<Arc<App>>, session: Session, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = session.check_csrf(&form) {
        return r;
    }
    let (app2, id) = (app.clone(), session.staff.staff_id.clone());
    let starting = form.get("start").is_some();
    let typed = form.get("code").unwrap_or_default().to_owned();
    let done = blocking(move || {
        if totp::state(&app2, &id)? == totp::State::On {
            return Ok(Err(None));
        }
        if starting {
            let secret = match totp::pending_secret(&app2, &id)? {
                Some(s) => s,
                None => totp::begin_setup(&app2, &id)?,
            };
            return Ok(Err(Some((secret, None))));
        }
        match totp::confirm_setup(&app2, &id, &typed)? {
            Ok(codes) => Ok(Ok(codes)),
            Err(why) => Ok(Err(totp::pending_secret(&app2, &id)?.map(|s| (s, Some(why))))),
        }
    })
    .await;
    match done {
        Ok(Ok(codes)) => render(
            &session,
            "/console/account",
            "回復用コード",
            recovery_view(&codes, "/console/account", "自分の設定に戻る"),
        ),
        Ok(Err(Some((secret, why)))) => render(
            &session,
            "/console/account",
            "2段階認証の設定",
            setup_view(
                &secret,
                &session.staff.staff_id,
                "/console/account/totp",
                &session.csrf,
                why,
                html! {},
            ),
        ),
        Ok(Err(None)) => redirect("/console/account"),
        Err(r) => r,
    }
}

pub async fn account_recovery(
    State(app): State<Arc<App>>,
    session: Session,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if let Err(r) = session.check_csrf(&form) {
        return r;
    }
    let (id, typed) =
        (session.staff.staff_id.clone(), form.get("code").unwrap_or_default().to_owned());
    match blocking(move || totp::renew_recovery_codes(&app, &id, &typed)).await {
        Ok(Ok(codes)) => render(
            &session,
            "/console/account",
            "回復用コード",
            recovery_view(&codes, "/console/account", "自分の設定に戻る"),
        ),
        Ok(Err(why)) => layout::bad_request_back(&session, why, "/console/account", "自分の設定"),
        Err(r) => r,
    }
}
