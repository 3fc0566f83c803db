// SPDX-License-Identifier: MPL-2.0
//! The phones' API (`docs/sync-protocol.md`):
//!
//! - `POST /v1/devices` — enrol with a one-time code (rate-limited);
//! - `POST /v1/devices/self/token` — rotate the token;
//! - `POST /v1/devices/self/report` — the phone's queue after a sync
//!   (pending count, refused records) for the console's follow-ups;
//! - `GET /v1/time` — a server-time token;
//! - `POST /v1/visits` — upload a batch of visit records, answered one
//!   by one (`ingest/`);
//! - `PUT /v1/visits/{id}` — upload one visit record (older phones);
//! - `POST /v1/custody` — a facility's card custody entries, answered one
//!   by one (`ingest/custody.rs`);
//! - `GET /v1/roster?day=` — the patients of this device's round that day;
//! - `GET /v1/results?since=` — results for the patients of its rounds.
//!
//! Every authenticated answer carries a server-time token
//! ([`TIME_HEADER`]); every call is an audit entry; every refusal is a 4xx
//! with a JSON [`Refusal`] (a code, Japanese for staff, a detail for a
//! developer). Handlers run their database work on the blocking pool.

// Helpers return the ready `Response` of a refusal as their error: it is
// built once per request and answered as is.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Duration, NaiveDate, Utc};
use houmon_core::cert::jst;
use houmon_core::protocol::*;
use serde::Deserialize;

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::devices::{self, DeviceAuth, RedeemRefusal};
use crate::db::{eligibility, patients, rounds, signin};
use crate::ingest::{self, UploadError};
use crate::secrets::random_hex;
use crate::time_anchor;
use crate::validate::{is_id, is_name};

/// Results are served for patients on the device's rounds from this many
/// days ago…
const RESULTS_PAST_DAYS: i64 = 31;
/// …to this many days ahead.
const RESULTS_AHEAD_DAYS: i64 = 7;
const RESULTS_PAGE: usize = 500;

pub fn router(app: Arc<App>, limits: crate::listener::Limits) -> Router {
    Router::new()
        .route("/v1/devices", post(register))
        .route("/v1/devices/self/token", post(rotate))
        .route("/v1/devices/self/report", post(report))
        .route("/v1/time", get(time))
        .route("/v1/visits", post(upload_batch))
        .route("/v1/visits/{id}", put(upload))
        .route("/v1/custody", post(upload_custody))
        .route("/v1/roster", get(roster))
        .route("/v1/results", get(results))
        .merge(crate::console::router())
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(app)
}

fn refusal(status: u16, r: Refusal) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    (status, Json(r)).into_response()
}

fn server_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// Runs database work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(f).await.map_err(server_error)
}

fn with_time(mut resp: Response, app: &App, device_id: &str) -> Response {
    let token = time_anchor::issue(app.db.secrets(), device_id, Utc::now());
    if let Ok(v) = HeaderValue::from_str(&token) {
        resp.headers_mut().insert(TIME_HEADER, v);
    }
    resp
}

/// The device behind a bearer token, or the 401 to answer. A failed
/// attempt is an audit entry.
fn authenticate(app: &App, headers: &HeaderMap, peer: SocketAddr) -> Result<DeviceAuth, Response> {
    let now = Utc::now();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| t.len() <= 128);
    let found = match token {
        Some(t) => app.db.read(|c, _| devices::by_token(c, t, now)).map_err(server_error)?,
        None => None,
    };
    match found {
        Some(auth) => {
            if auth.last_seen_at.is_none_or(|t| now - t > devices::LAST_SEEN_GRANULARITY) {
                app.db
                    .write(|tx, _| devices::touch(tx, &auth.device_id, now))
                    .map_err(server_error)?;
            }
            Ok(auth)
        }
        None => {
            let entry = Entry::new(
                Actor::Anonymous(peer.ip().to_string()),
                "token.use",
                "refused:unauthorized",
            )
            .detail(if token.is_some() {
                "unknown, expired or revoked token"
            } else {
                "no token"
            });
            let _ = app.db.write(|tx, s| audit::append(tx, s, &entry, now));
            Err(refusal(401, Refusal::new(RefusalCode::Unauthorized)))
        }
    }
}

fn audit_device(
    app: &App,
    d: &DeviceAuth,
    action: &'static str,
    target: String,
    detail: String,
) -> Result<(), Response> {
    let entry = Entry::new(Actor::Device(d.device_id.clone()), action, "ok")
        .staff(&d.staff_id)
        .target(target)
        .detail(detail);
    app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now())).map_err(server_error)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

async fn register(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(move || {
        let now = Utc::now();
        let actor = Actor::Anonymous(peer.ip().to_string());
        let fail = |code: RefusalCode, status: u16, detail: &str, count: bool| {
            if count {
                app.limiter.failure(peer.ip());
            }
            let outcome = format!("refused:{}", code.as_wire());
            let entry = Entry::new(actor.clone(), "device.enrol", outcome).detail(detail);
            let _ = app.db.write(|tx, s| audit::append(tx, s, &entry, now));
            tracing::info!(peer = %peer, code = ?code, "enrolment refused");
            refusal(status, Refusal::with_detail(code, detail))
        };
        if let Err(wait) = app.limiter.check(peer.ip()) {
            let mut r =
                fail(RefusalCode::TooManyAttempts, 429, "too many failed enrolments", false);
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            return r;
        }
        if !is_json(&headers) {
            return fail(
                RefusalCode::UnsupportedMediaType,
                415,
                "Content-Type must be application/json",
                false,
            );
        }
        let req: RegisterRequest = match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return fail(RefusalCode::Malformed, 422, &e.to_string(), true),
        };
        if !is_id(&req.device_id) || !is_name(&req.device_name) {
            return fail(RefusalCode::InvalidId, 422, "device id or name", true);
        }
        let token = random_hex(32);
        let hash = app.db.secrets().code_hash(&req.enrollment_code);
        let redeemed = app.db.write(|tx, s| {
            let r = devices::redeem(tx, &hash, &req.device_id, &req.device_name, &token, now)?;
            if let Ok(staff) = &r {
                let entry = Entry::new(Actor::Device(req.device_id.clone()), "device.enrol", "ok")
                    .staff(staff)
                    .target(&req.device_id)
                    .detail(format!("from {}", peer.ip()));
                audit::append(tx, s, &entry, now)?;
            }
            Ok(r)
        });
        match redeemed {
            Ok(Ok(staff_id)) => {
                app.limiter.success(peer.ip());
                tracing::info!(device = ?req.device_id, "device enrolled");
                let body = RegisterResponse {
                    token,
                    token_expires_at: now + devices::TOKEN_LIFETIME,
                    staff_id,
                };
                with_time((StatusCode::CREATED, Json(body)).into_response(), &app, &req.device_id)
            }
            Ok(Err(RedeemRefusal::DeviceExists)) => {
                fail(RefusalCode::DeviceExists, 409, "device id registered already", true)
            }
            Ok(Err(why)) => fail(RefusalCode::EnrolmentRefused, 403, &format!("{why:?}"), true),
            Err(e) => server_error(e),
        }
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn rotate(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    blocking(move || {
        let d = match authenticate(&app, &headers, peer) {
            Ok(d) => d,
            Err(r) => return r,
        };
        let token = random_hex(32);
        let now = Utc::now();
        let rotated = app.db.write(|tx, s| {
            let expires = devices::rotate(tx, &d, &token, now)?;
            let entry = Entry::new(Actor::Device(d.device_id.clone()), "token.rotate", "ok")
                .staff(&d.staff_id);
            audit::append(tx, s, &entry, now)?;
            Ok(expires)
        });
        match rotated {
            Ok(expires) => with_time(
                Json(TokenResponse { token, token_expires_at: expires }).into_response(),
                &app,
                &d.device_id,
            ),
            Err(e) => server_error(e),
        }
    })
    .await
    .unwrap_or_else(|r| r)
}

/// The most refused records one report may list.
const REPORT_MAX: usize = 1000;

async fn report(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(move || {
        let d = match authenticate(&app, &headers, peer) {
            Ok(d) => d,
            Err(r) => return r,
        };
        if !is_json(&headers) {
            return refusal(
                415,
                Refusal::with_detail(
                    RefusalCode::UnsupportedMediaType,
                    "Content-Type must be application/json",
                ),
            );
        }
        let report: QueueReport = match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                return refusal(422, Refusal::with_detail(RefusalCode::Malformed, e.to_string()))
            }
        };
        if report.wedged.len() > REPORT_MAX || report.wedged.iter().any(|w| !is_id(&w.id)) {
            return refusal(422, Refusal::with_detail(RefusalCode::InvalidId, "wedged record ids"));
        }
        // The reason is shown on the console: printable text, bounded.
        let wedged: Vec<(String, String)> = report
            .wedged
            .iter()
            .map(|w| {
                (w.id.clone(), w.reason.chars().filter(|c| !c.is_control()).take(300).collect())
            })
            .collect();
        let now = Utc::now();
        let stored = app.db.write(|tx, s| {
            crate::db::console::report_queue(tx, &d.device_id, report.pending, &wedged, now)?;
            let entry = Entry::new(Actor::Device(d.device_id.clone()), "device.report", "ok")
                .staff(&d.staff_id)
                .detail(format!("pending={} wedged={}", report.pending, wedged.len()));
            audit::append(tx, s, &entry, now)
        });
        match stored {
            Ok(()) => with_time(StatusCode::NO_CONTENT.into_response(), &app, &d.device_id),
            Err(e) => server_error(e),
        }
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn time(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    blocking(move || match authenticate(&app, &headers, peer) {
        Ok(d) => with_time(
            Json(serde_json::json!({ "time": Utc::now() })).into_response(),
            &app,
            &d.device_id,
        ),
        Err(r) => r,
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn upload(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(move || {
        let d = match authenticate(&app, &headers, peer) {
            Ok(d) => d,
            Err(r) => return r,
        };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let resp = match ingest::upload(&app, &d, &id, content_type, &body, Utc::now()) {
            Ok(r) => {
                let status = match r.status {
                    UploadStatus::Accepted | UploadStatus::Held => StatusCode::CREATED,
                    UploadStatus::Duplicate => StatusCode::OK,
                };
                (status, Json(r)).into_response()
            }
            Err(UploadError::Refused(r)) => refusal(r.status, r.refusal),
            Err(UploadError::Storage(e)) => server_error(e),
        };
        with_time(resp, &app, &d.device_id)
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn upload_batch(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(move || {
        let d = match authenticate(&app, &headers, peer) {
            Ok(d) => d,
            Err(r) => return r,
        };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let resp = match ingest::upload_batch(&app, &d, content_type, &body, Utc::now()) {
            Ok(r) => Json(r).into_response(),
            Err(UploadError::Refused(r)) => refusal(r.status, r.refusal),
            Err(UploadError::Storage(e)) => server_error(e),
        };
        with_time(resp, &app, &d.device_id)
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn upload_custody(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    blocking(move || {
        let d = match authenticate(&app, &headers, peer) {
            Ok(d) => d,
            Err(r) => return r,
        };
        if !is_json(&headers) {
            return refusal(415, Refusal::new(RefusalCode::UnsupportedMediaType));
        }
        let resp = match ingest::custody::ingest(&app, &d, &body, Utc::now()) {
            Ok(Ok(r)) => Json(r).into_response(),
            Ok(Err(r)) => refusal(r.status, r.refusal),
            Err(e) => server_error(e),
        };
        with_time(resp, &app, &d.device_id)
    })
    .await
    .unwrap_or_else(|r| r)
}

/// The device and its query, or the 401/422 to answer.
fn device_and_query<Q>(
    app: &App,
    headers: &HeaderMap,
    peer: SocketAddr,
    query: Result<Query<Q>, axum::extract::rejection::QueryRejection>,
    expected: &str,
) -> Result<(DeviceAuth, Q), Response> {
    let d = authenticate(app, headers, peer)?;
    match query {
        Ok(Query(q)) => Ok((d, q)),
        Err(_) => Err(refusal(
            422,
            Refusal::with_detail(RefusalCode::Malformed, format!("query: {expected}")),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayQuery {
    day: NaiveDate,
}

async fn roster(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<DayQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking(move || {
        let (d, q) = match device_and_query(&app, &headers, peer, query, "day=YYYY-MM-DD") {
            Ok(dq) => dq,
            Err(r) => return r,
        };
        let built = app.db.read(|c, s| {
            let mut entries = Vec::new();
            for pid in rounds::patients_of(c, &d.device_id, &d.staff_id, q.day)? {
                let Some(p) = patients::get(c, s, &pid)? else { continue };
                entries.push(RosterEntry {
                    patient_id: p.patient_id.clone(),
                    name: p.personal.name,
                    address: p.personal.address,
                    birth_date: p.personal.birth_date,
                    unit: p.facility.as_ref().and(p.personal.unit),
                    facility: p.facility,
                    insurance: p.personal.insurance,
                    last_eligibility: eligibility::latest(c, s, &pid)?,
                    consent_until: p.consent_until,
                    enrolled_certificate: p.enrolled_cert,
                });
            }
            // Who may sign in on this phone that day (a shared phone).
            let staff = signin::roster_staff(c, &d.device_id, &d.staff_id, q.day)?;
            Ok((entries, staff))
        });
        match built {
            Ok((entries, staff)) => {
                if let Err(r) = audit_device(
                    &app,
                    &d,
                    "roster.read",
                    q.day.to_string(),
                    format!("{} patients", entries.len()),
                ) {
                    return r;
                }
                with_time(
                    Json(Roster { day: q.day, entries, staff }).into_response(),
                    &app,
                    &d.device_id,
                )
            }
            Err(e) => server_error(e),
        }
    })
    .await
    .unwrap_or_else(|r| r)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinceQuery {
    #[serde(default)]
    since: i64,
}

async fn results(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<SinceQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking(move || {
        let (d, q) = match device_and_query(&app, &headers, peer, query, "since=<cursor>") {
            Ok(dq) => dq,
            Err(r) => return r,
        };
        let today = Utc::now().with_timezone(&jst()).date_naive();
        let (from, to) =
            (today - Duration::days(RESULTS_PAST_DAYS), today + Duration::days(RESULTS_AHEAD_DAYS));
        let page = app.db.read(|c, s| {
            eligibility::since_for_device(
                c,
                s,
                q.since,
                (&d.device_id, &d.staff_id),
                from,
                to,
                RESULTS_PAGE,
            )
        });
        match page {
            Ok(results) => {
                let cursor = results.last().map_or(q.since, |r| r.cursor);
                if let Err(r) = audit_device(
                    &app,
                    &d,
                    "results.read",
                    format!("since {}", q.since),
                    format!("{} results", results.len()),
                ) {
                    return r;
                }
                with_time(Json(ResultsPage { results, cursor }).into_response(), &app, &d.device_id)
            }
            Err(e) => server_error(e),
        }
    })
    .await
    .unwrap_or_else(|r| r)
}
