// SPDX-License-Identifier: MPL-2.0
//! 端末: issue a one-time enrolment QR code (address, fingerprint, code,
//! drawn by the server), see each phone's last contact and what waits in
//! its queue, revoke a phone at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::Response;
use houmon_core::protocol::EnrolmentLink;
use maud::{html, PreEscaped};

use crate::app::{App, EnrolmentError, ENROLMENT_MINUTES};
use crate::console::access::perm;
use crate::console::auth::{Can, Posted, Session};
use crate::console::layout::{
    bad_request_back, csrf, notice, redirect, render, server_error, when,
};
use crate::console::{blocking, dates};
use crate::db::staff::Role;
use crate::db::{console as cdb, devices, staff};
use crate::secrets::random_hex;

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManageDevices>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let loaded = blocking(move || {
        app.db.read(|c, _| Ok((devices::list(c)?, cdb::device_reports(c)?, staff::all(c)?)))
    })
    .await;
    let (list, reports, all_staff) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    let name_of = |id: &str| {
        all_staff
            .iter()
            .find(|s| s.staff_id == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    };
    render(
        &session,
        "/console/devices",
        "端末",
        html! {
            (notice(&q))
            h2 { "端末を登録する" }
            p.muted { "スマートフォン1台ごとに、使う職員を選んで登録用QRコードを発行します。コードは1回だけ使え、指定した時間で失効します。" }
            form method="post" action="/console/devices/enrol" {
                (csrf(&session))
                input type="hidden" name="issue" value=(random_hex(16));
                label { "使う職員" select name="staff" required {
                    option value="" { "— 職員を選ぶ —" }
                    @for s in staff_in_order(&all_staff) { option value=(s.staff_id) { (s.name) "(" (s.role.name_ja()) ")" } }
                } }
                label { "有効時間(分、" (ENROLMENT_MINUTES.start()) "〜" (ENROLMENT_MINUTES.end()) ")" input type="number" name="minutes" value="15" min=(ENROLMENT_MINUTES.start()) max=(ENROLMENT_MINUTES.end()); }
                button type="submit" { "登録用QRコードを発行" }
            }
            h2 { "登録済みの端末" }
            table {
                thead { tr { th { "端末" } th { "職員" } th { "最終接続" } th { "端末に残っている記録" } th { "状態" } th {} } }
                tbody {
                @for d in &list {
                    @let report = reports.iter().find(|r| r.0 == d.device_id);
                    tr {
                        td { (d.name) br; span.muted { "端末ID " (d.device_id) } }
                        td { (name_of(&d.staff_id)) }
                        td { (d.last_seen_at.map(when).unwrap_or_else(|| "-".into())) }
                        td { @match report.and_then(|r| r.1) {
                            Some(n) => { (n) " 件" @if let Some(at) = report.and_then(|r| r.2) { br; span.muted { (when(at)) " 時点" } } }
                            None => "-",
                        } }
                        td { @if d.revoked_at.is_some() { span.badge.bad { "取り消し済み" } } @else { span.badge.ok { "有効" } } }
                        td { @if d.revoked_at.is_none() {
                            form.inline method="post" action="/console/devices/confirm-revoke" {
                                (csrf(&session))
                                input type="hidden" name="device" value=(d.device_id);
                                button.danger type="submit" { "取り消す…" }
                            }
                        } @else {
                            form.inline method="post" action="/console/devices/enrol" {
                                (csrf(&session))
                                input type="hidden" name="issue" value=(random_hex(16));
                                input type="hidden" name="device" value=(d.device_id);
                                input type="hidden" name="staff" value=(d.staff_id);
                                button.secondary type="submit" { "再登録用のQRコードを発行" }
                            }
                        } }
                    }
                }
                }
            }
        },
    )
}

/// Staff in the order a planner or an administrator picks from: nurses
/// and doctors first, the desk next, administrators last (the default is
/// never the administrator), active ones only.
pub fn staff_in_order(all: &[staff::Staff]) -> Vec<&staff::Staff> {
    let rank = |r: Role| match r {
        Role::Nurse => 0,
        Role::Doctor => 1,
        Role::Clerk => 2,
        Role::Admin => 3,
    };
    let mut v: Vec<&staff::Staff> = all.iter().filter(|s| !s.disabled).collect();
    v.sort_by_key(|s| (rank(s.role), s.name.clone()));
    v
}

/// A code issued from one form, kept (in memory, for the code's life) so
/// that reloading the page shows the same code instead of issuing another.
struct Issued {
    session: String,
    until: Instant,
    link: EnrolmentLink,
    minutes: i64,
    device: Option<String>,
}

fn issued() -> &'static Mutex<HashMap<String, Issued>> {
    static ISSUED: OnceLock<Mutex<HashMap<String, Issued>>> = OnceLock::new();
    ISSUED.get_or_init(|| Mutex::new(HashMap::new()))
}

fn already_issued(nonce: &str, session: &str) -> Option<(EnrolmentLink, i64, Option<String>)> {
    let mut map = issued().lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    map.retain(|_, i| i.until > now);
    map.get(nonce)
        .filter(|i| i.session == session)
        .map(|i| (i.link.clone(), i.minutes, i.device.clone()))
}

pub async fn enrol(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageDevices>,
) -> Response {
    let nonce = form.get("issue").filter(|n| n.len() == 32).map(str::to_owned);
    if let Some((link, minutes, device)) =
        nonce.as_deref().and_then(|n| already_issued(n, session.key()))
    {
        // The same form again (a reload): the same code, none issued.
        return code_page(&session, &link, minutes, device.as_deref(), true);
    }
    let staff_id = form.get("staff").unwrap_or_default().to_owned();
    let minutes: i64 = match form.get("minutes").map(str::trim).filter(|m| !m.is_empty()) {
        None => 15,
        Some(m) => match dates::digits(m).and_then(|d| d.parse().ok()) {
            Some(n) => n,
            None => {
                return bad_request_back(
                    &session,
                    "有効時間は分の数で入力してください。",
                    "/console/devices",
                    "端末",
                )
            }
        },
    };
    // A revoked device to enrol again: the administrator's choice.
    let device = form.get("device").filter(|d| !d.is_empty()).map(str::to_owned);
    let actor = session.actor();
    let again = device.clone();
    let issued_now = tokio::task::spawn_blocking(move || {
        app.issue_enrolment_for(&staff_id, device.as_deref(), &actor, minutes)
    })
    .await;
    let link = match issued_now {
        Ok(Ok(l)) => l,
        Ok(Err(EnrolmentError::Db(e))) => return server_error(e),
        Ok(Err(e)) => {
            return bad_request_back(&session, &e.to_string(), "/console/devices", "端末")
        }
        Err(e) => return server_error(e),
    };
    if let Some(n) = nonce {
        let until = Instant::now() + Duration::from_secs(minutes.max(1) as u64 * 60);
        let entry = Issued {
            session: session.key().to_owned(),
            until,
            link: link.clone(),
            minutes,
            device: again.clone(),
        };
        issued().lock().unwrap_or_else(|e| e.into_inner()).insert(n, entry);
    }
    code_page(&session, &link, minutes, again.as_deref(), false)
}

fn code_page(
    session: &Session,
    link: &EnrolmentLink,
    minutes: i64,
    again: Option<&str>,
    reloaded: bool,
) -> Response {
    let uri = link.to_uri();
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).build()
        })
        .unwrap_or_default();
    render(
        session,
        "/console/devices",
        "登録用QRコード",
        html! {
            @if reloaded { p.notice role="status" { "発行済みのコードをもう一度表示しています(新しいコードは発行していません)。" } }
            @else { p.notice role="status" { "登録用QRコードを発行しました。" } }
            p { "スマートフォンの訪問アプリで「クリニックへの登録」を開き、このQRコードを読み取ってください。" strong { (minutes) "分以内に1回だけ" } "使えます。" }
            @if let Some(d) = again { p { "このコードは取り消した端末(端末ID " (d) ")の再登録にだけ使えます。" } }
            div.qr { (PreEscaped(svg)) }
            table {
                tr { th { "登録コード" } td { code id="enrolment-code" { (link.code) } } }
                tr { th { "サーバー" } td { (link.url) } }
                tr { th { "指紋(端末が固定する)" } td { code { (link.pin.clone().unwrap_or_default()) } } }
            }
            details { summary { "QRコードの文字列(読み取れないとき)" } p { code id="enrolment-text" style="word-break:break-all" { (uri) } } }
            p { a href="/console/devices" { "端末の一覧に戻る" } }
        },
    )
}

/// Revoking cannot be undone (the phone needs a new code to come back):
/// the button opens this confirmation step (a page, no script).
pub async fn confirm_revoke(
    State(app): State<Arc<App>>,

    Posted(session, form, _): Posted<perm::ManageDevices>,
) -> Response {
    let device = form.get("device").unwrap_or_default().to_owned();
    let d2 = device.clone();
    let found = match blocking(move || {
        app.db.read(|c, _| Ok(devices::list(c)?.into_iter().find(|d| d.device_id == d2)))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(d) = found else {
        return bad_request_back(
            &session,
            "この端末は登録されていません。",
            "/console/devices",
            "端末",
        );
    };
    render(
        &session,
        "/console/devices",
        "端末を取り消しますか",
        html! {
            p { "端末「" strong { (d.name) } "」(端末ID " (d.device_id) ")を取り消します。" }
            p.error { "取り消すと、この端末からの送信はすぐに受け付けなくなり、端末に残っている記録も送れなくなります。元に戻すことはできません(もう一度使うには新しい登録用QRコードが必要です)。" }
            form method="post" action="/console/devices/revoke" {
                (csrf(&session))
                input type="hidden" name="device" value=(d.device_id);
                button.danger type="submit" { "取り消す" } " "
                a.button.secondary href="/console/devices" { "やめる(端末の一覧に戻る)" }
            }
        },
    )
}

pub async fn revoke(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageDevices>,
) -> Response {
    let device = form.get("device").unwrap_or_default().to_owned();
    let actor = session.actor();
    match blocking(move || app.revoke_device(&device, &actor)).await {
        Ok(true) => redirect("/console/devices?done=revoked"),
        Ok(false) => bad_request_back(
            &session,
            "この端末は登録されていないか、すでに取り消されています。",
            "/console/devices",
            "端末",
        ),
        Err(r) => r,
    }
}
