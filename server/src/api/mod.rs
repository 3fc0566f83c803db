// SPDX-License-Identifier: MPL-2.0
//! The phones' API (`docs/sync-protocol.md`):
//!
//! - `POST /v1/devices` — enrol with a one-time code (wrong ones slowed
//!   per address: `limiter.rs`);
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
//! Every answer to a known device carries a server-time token
//! ([`TIME_HEADER`], `extract::time_header`); every call is an audit
//! entry; every refusal is a 4xx with a JSON [`Refusal`] (a code, Japanese
//! for staff, a detail for a developer): [`ApiError`]. A handler reads as
//! the protocol it serves: the device ([`Device`]) and its strictly read
//! body or query are given to it, it does its work on the blocking pool
//! and answers or refuses with `?`.

mod error;
mod extract;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use chrono::{Duration, NaiveDate, Utc};
use houmon_core::card::cert::jst;
use houmon_core::protocol::*;
use serde::Deserialize;

use error::blocking;
pub use error::ApiError;
pub use extract::Device;
use extract::{AnswerFor, JsonBody, QueryShape, StrictQuery};

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::devices::{self, DeviceAuth, RedeemRefusal};
use crate::db::{eligibility, patients, rounds, signin};
use crate::ingest;
use crate::peer::Source;
use crate::secrets::random_hex;
use crate::validate::{is_id, is_name};

/// Results are served for patients on the device's rounds from this many
/// days ago…
const RESULTS_PAST_DAYS: i64 = 31;
/// …to this many days ahead.
const RESULTS_AHEAD_DAYS: i64 = 7;
const RESULTS_PAGE: usize = 500;

pub fn router(app: Arc<App>, limits: crate::listener::Limits) -> Router {
    let devices = Router::new()
        .route("/v1/devices", post(register))
        .route("/v1/devices/self/token", post(rotate))
        .route("/v1/devices/self/report", post(report))
        .route("/v1/time", get(time))
        .route("/v1/visits", post(upload_batch))
        .route("/v1/visits/{id}", put(upload))
        .route("/v1/custody", post(upload_custody))
        .route("/v1/roster", get(roster))
        .route("/v1/results", get(results))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), extract::time_header));
    devices
        .merge(crate::console::router())
        .layer(axum::middleware::map_response(no_store))
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .with_state(app)
}

/// Every answer, the phones' and the console's: rosters, results and
/// console pages carry personal data, so no cache (the browser's, a
/// proxy's) keeps any of them, and no content is sniffed into another type.
async fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(axum::http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

/// An audit entry for what `d` did.
fn audit_device(
    app: &App,
    d: &DeviceAuth,
    action: &'static str,
    target: String,
    detail: String,
) -> Result<(), ApiError> {
    let entry = Entry::new(Actor::Device(d.device_id.clone()), action, "ok")
        .staff(&d.staff_id)
        .target(target)
        .detail(detail);
    Ok(app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now()))?)
}

/// A refused enrolment: audited with the peer, and (if `count`) a wrong
/// code that makes the address wait.
fn refuse_enrolment(
    app: &App,
    peer: SocketAddr,
    status: u16,
    code: RefusalCode,
    detail: &str,
    count: bool,
) -> ApiError {
    let source = Source::of(peer.ip());
    let wait = if count { app.enrolments.failure(source) } else { None };
    let detail = match wait {
        Some(w) => format!("{detail}; {source} waits {} s now", w.as_secs()),
        None => detail.to_owned(),
    };
    let entry = Entry::new(
        Actor::Anonymous(peer.ip().to_string()),
        "device.enrol",
        format!("refused:{}", code.as_wire()),
    )
    .detail(&detail);
    let _ = app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now()));
    tracing::info!(peer = %peer, code = ?code, "enrolment refused");
    ApiError::refused(status, code, detail)
}

async fn register(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(answer_for): Extension<AnswerFor>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    blocking(move || {
        let source = Source::of(peer.ip());
        if let Some(wait) = app.enrolments.wait(&source) {
            let why = "too many failed enrolments";
            let refused =
                refuse_enrolment(&app, peer, 429, RefusalCode::TooManyAttempts, why, false);
            let mut r = refused.into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            return Ok(r);
        }
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        if !extract::is_json(content_type) {
            let why = "Content-Type must be application/json";
            return Err(refuse_enrolment(
                &app,
                peer,
                415,
                RefusalCode::UnsupportedMediaType,
                why,
                false,
            ));
        }
        let req: RegisterRequest = serde_json::from_slice(&body).map_err(|e| {
            refuse_enrolment(&app, peer, 422, RefusalCode::Malformed, &e.to_string(), true)
        })?;
        if !is_id(&req.device_id) || !is_name(&req.device_name) {
            return Err(refuse_enrolment(
                &app,
                peer,
                422,
                RefusalCode::InvalidId,
                "device id or name",
                true,
            ));
        }
        let token = random_hex(32);
        let now = Utc::now();
        let hash = app.db.secrets().code_hash(&req.enrollment_code);
        let redeemed = app.db.write(|tx, s| {
            let r = devices::redeem(tx, &hash, &req.device_id, &req.device_name, &token, now)?;
            if let Ok(done) = &r {
                let again = if done.again { ", enrolled again after its revocation" } else { "" };
                let entry = Entry::new(Actor::Device(req.device_id.clone()), "device.enrol", "ok")
                    .staff(&done.staff_id)
                    .target(&req.device_id)
                    .detail(format!("from {}{again}", peer.ip()));
                audit::append(tx, s, &entry, now)?;
            }
            Ok(r)
        })?;
        let staff_id = match redeemed {
            Ok(devices::Redeemed { staff_id, .. }) => staff_id,
            Err(RedeemRefusal::DeviceExists) => {
                let why = "device id registered already";
                return Err(refuse_enrolment(
                    &app,
                    peer,
                    409,
                    RefusalCode::DeviceExists,
                    why,
                    true,
                ));
            }
            Err(why) => {
                let why = format!("{why:?}");
                return Err(refuse_enrolment(
                    &app,
                    peer,
                    403,
                    RefusalCode::EnrolmentRefused,
                    &why,
                    true,
                ));
            }
        };
        app.enrolments.clear(&source);
        tracing::info!(device = ?req.device_id, "device enrolled");
        answer_for.set(&req.device_id);
        let body =
            RegisterResponse { token, token_expires_at: now + devices::TOKEN_LIFETIME, staff_id };
        Ok((StatusCode::CREATED, Json(body)).into_response())
    })
    .await
}

async fn rotate(
    State(app): State<Arc<App>>,
    Device(d): Device,
) -> Result<Json<TokenResponse>, ApiError> {
    blocking(move || {
        let token = random_hex(32);
        let now = Utc::now();
        let expires = app.db.write(|tx, s| {
            let expires = devices::rotate(tx, &d, &token, now)?;
            let entry = Entry::new(Actor::Device(d.device_id.clone()), "token.rotate", "ok")
                .staff(&d.staff_id);
            audit::append(tx, s, &entry, now)?;
            Ok(expires)
        })?;
        Ok(Json(TokenResponse { token, token_expires_at: expires }))
    })
    .await
}

/// The most refused records one report may list.
const REPORT_MAX: usize = 1000;

async fn report(
    State(app): State<Arc<App>>,
    Device(d): Device,
    JsonBody(report): JsonBody<QueueReport>,
) -> Result<StatusCode, ApiError> {
    if report.wedged.len() > REPORT_MAX || report.wedged.iter().any(|w| !is_id(&w.id)) {
        return Err(ApiError::refused(422, RefusalCode::InvalidId, "wedged record ids"));
    }
    // The reason is shown on the console: printable text, bounded.
    let wedged: Vec<(String, String)> = report
        .wedged
        .iter()
        .map(|w| (w.id.clone(), w.reason.chars().filter(|c| !c.is_control()).take(300).collect()))
        .collect();
    blocking(move || {
        let now = Utc::now();
        app.db.write(|tx, s| {
            crate::db::console::report_queue(tx, &d.device_id, report.pending, &wedged, now)?;
            let entry = Entry::new(Actor::Device(d.device_id.clone()), "device.report", "ok")
                .staff(&d.staff_id)
                .detail(format!("pending={} wedged={}", report.pending, wedged.len()));
            audit::append(tx, s, &entry, now)
        })?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn time(Device(_): Device) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "time": Utc::now() }))
}

async fn upload(
    State(app): State<Arc<App>>,
    Device(d): Device,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    blocking(move || {
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let r = ingest::upload(&app, &d, &id, content_type, &body, Utc::now())?;
        let status = match r.status {
            UploadStatus::Accepted | UploadStatus::Held => StatusCode::CREATED,
            UploadStatus::Duplicate => StatusCode::OK,
        };
        Ok((status, Json(r)))
    })
    .await
}

async fn upload_batch(
    State(app): State<Arc<App>>,
    Device(d): Device,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BatchResponse>, ApiError> {
    blocking(move || {
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        Ok(Json(ingest::upload_batch(&app, &d, content_type, &body, Utc::now())?))
    })
    .await
}

async fn upload_custody(
    State(app): State<Arc<App>>,
    Device(d): Device,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BatchResponse>, ApiError> {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if !extract::is_json(content_type) {
        return Err(ApiError::Refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::new(RefusalCode::UnsupportedMediaType),
        ));
    }
    blocking(move || match ingest::custody::ingest(&app, &d, &body, Utc::now())? {
        Ok(r) => Ok(Json(r)),
        Err(r) => Err(ApiError::from_refusal(r.status, r.refusal)),
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayQuery {
    day: NaiveDate,
}

impl QueryShape for DayQuery {
    const EXPECTED: &'static str = "day=YYYY-MM-DD";
}

async fn roster(
    State(app): State<Arc<App>>,
    Device(d): Device,
    StrictQuery(q): StrictQuery<DayQuery>,
) -> Result<Json<Roster>, ApiError> {
    blocking(move || {
        let entries = app.db.read(|c, s| {
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
        })?;
        let (entries, staff) = entries;
        let detail = format!("{} patients", entries.len());
        audit_device(&app, &d, "roster.read", q.day.to_string(), detail)?;
        Ok(Json(Roster { day: q.day, entries, staff }))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinceQuery {
    #[serde(default)]
    since: i64,
}

impl QueryShape for SinceQuery {
    const EXPECTED: &'static str = "since=<cursor>";
}

async fn results(
    State(app): State<Arc<App>>,
    Device(d): Device,
    StrictQuery(q): StrictQuery<SinceQuery>,
) -> Result<Json<ResultsPage>, ApiError> {
    blocking(move || {
        let today = Utc::now().with_timezone(&jst()).date_naive();
        let (from, to) =
            (today - Duration::days(RESULTS_PAST_DAYS), today + Duration::days(RESULTS_AHEAD_DAYS));
        let results = app.db.read(|c, s| {
            eligibility::since_for_device(
                c,
                s,
                q.since,
                (&d.device_id, &d.staff_id),
                from,
                to,
                RESULTS_PAGE,
            )
        })?;
        let cursor = results.last().map_or(q.since, |r| r.cursor);
        let detail = format!("{} results", results.len());
        audit_device(&app, &d, "results.read", format!("since {}", q.since), detail)?;
        Ok(Json(ResultsPage { results, cursor }))
    })
    .await
}
