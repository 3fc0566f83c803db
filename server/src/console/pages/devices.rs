// SPDX-License-Identifier: MPL-2.0
//! 端末: issue a one-time enrolment QR code (address, fingerprint, code,
//! drawn by the server), see each phone's last contact and what waits in
//! its queue, revoke a phone at once.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use maud::{html, PreEscaped};

use crate::app::{App, EnrolmentError, ENROLMENT_MINUTES};
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::blocking;
use crate::console::layout::{bad_request, csrf, redirect, render, server_error, when};
use crate::db::{console as cdb, devices, staff};

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManageDevices>,
) -> Response {
    let loaded = blocking(move || {
        app.db.read(|c, _| Ok((devices::list(c)?, cdb::device_reports(c)?, staff::all(c)?)))
    })
    .await;
    let (list, reports, all_staff) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/devices",
        "端末",
        html! {
            h2 { "端末を登録する" }
            p.muted { "スマートフォン1台ごとに、使う職員を選んで登録用QRコードを発行します。コードは1回だけ使え、数分で失効します。" }
            form method="post" action="/console/devices/enrol" {
                (csrf(&session))
                label { "使う職員" select name="staff" required {
                    @for s in &all_staff { @if !s.disabled { option value=(s.staff_id) { (s.name) "(" (s.role.name_ja()) ")" } } }
                } }
                label { "有効時間(分)" input type="number" name="minutes" value="15" min=(ENROLMENT_MINUTES.start()) max=(ENROLMENT_MINUTES.end()); }
                button type="submit" { "登録用QRコードを発行" }
            }
            h2 { "登録済みの端末" }
            table {
                tr { th { "端末ID" } th { "名前" } th { "職員" } th { "最終接続" } th { "端末に残っている記録" } th { "状態" } th {} }
                @for d in &list {
                    @let report = reports.iter().find(|r| r.0 == d.device_id);
                    tr {
                        td { (d.device_id) }
                        td { (d.name) }
                        td { (d.staff_id) }
                        td { (d.last_seen_at.map(when).unwrap_or_else(|| "-".into())) }
                        td { @match report.and_then(|r| r.1) {
                            Some(n) => { (n) " 件" @if let Some(at) = report.and_then(|r| r.2) { br; span.muted { (when(at)) " 時点" } } }
                            None => "-",
                        } }
                        td { @if d.revoked_at.is_some() { span.badge.warn { "取り消し済み" } } @else { span.badge.ok { "有効" } } }
                        td { @if d.revoked_at.is_none() {
                            form.inline method="post" action="/console/devices/revoke" {
                                (csrf(&session))
                                input type="hidden" name="device" value=(d.device_id);
                                button.danger type="submit" { "今すぐ取り消す" }
                            }
                        } @else {
                            form.inline method="post" action="/console/devices/enrol" {
                                (csrf(&session))
                                input type="hidden" name="device" value=(d.device_id);
                                input type="hidden" name="staff" value=(d.staff_id);
                                button.secondary type="submit" { "再登録用のQRコードを発行" }
                            }
                        } }
                    }
                }
            }
        },
    )
}

pub async fn enrol(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageDevices>,
) -> Response {
    let staff_id = form.get("staff").unwrap_or_default().to_owned();
    let minutes: i64 = match form.get("minutes").map(str::trim).filter(|m| !m.is_empty()) {
        None => 15,
        Some(m) => match m.parse() {
            Ok(n) => n,
            Err(_) => return bad_request(&session, "有効時間は分の数で入力してください。"),
        },
    };
    // A revoked device to enrol again: the administrator's choice.
    let device = form.get("device").filter(|d| !d.is_empty()).map(str::to_owned);
    let actor = session.actor();
    let again = device.clone();
    let issued = tokio::task::spawn_blocking(move || {
        app.issue_enrolment_for(&staff_id, device.as_deref(), &actor, minutes)
    })
    .await;
    let link = match issued {
        Ok(Ok(l)) => l,
        Ok(Err(EnrolmentError::Db(e))) => return server_error(e),
        Ok(Err(e)) => return bad_request(&session, &e.to_string()),
        Err(e) => return server_error(e),
    };
    let uri = link.to_uri();
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).build()
        })
        .unwrap_or_default();
    render(
        &session,
        "/console/devices",
        "登録用QRコード",
        html! {
            p { "スマートフォンの訪問アプリで「クリニックへの登録」を開き、このQRコードを読み取ってください。" strong { (minutes) "分以内に1回だけ" } "使えます。" }
            @if let Some(d) = &again { p { "このコードは取り消した端末 " code { (d) } " の再登録にだけ使えます。" } }
            div.qr { (PreEscaped(svg)) }
            table {
                tr { th { "登録コード" } td { code id="enrolment-code" { (link.code) } } }
                tr { th { "サーバー" } td { (link.url) } }
                tr { th { "指紋(端末が固定する)" } td { code { (link.pin.clone().unwrap_or_default()) } } }
                tr { th { "QRコードの文字列" } td { code id="enrolment-text" style="word-break:break-all" { (uri) } } }
            }
            p { a href="/console/devices" { "端末の一覧に戻る" } }
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
        Ok(_) => redirect("/console/devices"),
        Err(r) => r,
    }
}
