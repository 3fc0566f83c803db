// SPDX-License-Identifier: MPL-2.0
//! # houmon-server: the clinic server
//!
//! - `PUT /v1/visits/{id}`: idempotent ingest of visit records; the
//!   identity evidence is checked ([`verify`]) before anything is stored.
//! - `POST /v1/devices`: device registration → bearer token.
//! - `GET /v1/roster?day=`: the day's patients, encrypted on the phone.
//! - `GET /v1/results?since=`: eligibility results after a cursor.
//! - A worker runs eligibility checks through the 資格確認端末's file
//!   interface ([`oqs`]); [`terminal`] simulates the terminal.
//!
//! The wire types are `houmon_core::protocol`; `docs/sync-protocol.md`
//! describes the protocol.

pub mod db;
pub mod loopback;
pub mod oqs;
pub mod terminal;
pub mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::cert::AuthCertificate;
use houmon_core::protocol::*;
use houmon_core::visit::{Evidence, VisitRecord};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::oqs::OqsDirs;

/// A patient the clinic has on file (the demo and tests seed these).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientSeed {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    pub birth_date: NaiveDate,
    pub insurance: Option<InsuranceNumbers>,
    pub round_day: Option<NaiveDate>,
    /// The care facility the patient lives in, if any.
    #[serde(default)]
    pub facility: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub oqs_dir: PathBuf,
    /// DER certificates; empty: the J-LIS 利用者証明用 roots.
    pub trust_anchors: Vec<Vec<u8>>,
    pub enrollment_code: String,
    /// 医療機関コード (10 digits), written into requests.
    pub institution_code: String,
    pub patients: Vec<PatientSeed>,
    /// How long to wait for the terminal before reporting a time-out.
    pub check_timeout: Duration,
    pub poll_interval: Duration,
}

struct AppState {
    db: Mutex<Connection>,
    anchors: Vec<AuthCertificate>,
    enrollment_code: String,
    dirs: OqsDirs,
    institution_code: String,
    check_timeout: Duration,
}

impl AppState {
    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops serving and the worker; the database stays consistent (every
    /// write is a committed transaction).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
        self.worker.abort();
        let _ = self.worker.await;
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn random_hex(n: usize) -> String {
    (0..n).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Starts the server (and its eligibility worker) on `config.listen`.
pub async fn start(config: Config) -> Result<Server, String> {
    let conn =
        db::open(&config.db).map_err(|e| format!("database {}: {e}", config.db.display()))?;
    for p in &config.patients {
        let n = p.insurance.as_ref();
        conn.execute(
            "INSERT OR IGNORE INTO patients (patient_id, name, address, birth_date, insurer_number, symbol, number,
             branch, round_day, facility) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                p.patient_id,
                p.name,
                p.address,
                p.birth_date.to_string(),
                n.map(|n| n.insurer_number.clone()),
                n.map(|n| n.symbol.clone()),
                n.map(|n| n.number.clone()),
                n.map(|n| n.branch.clone()),
                p.round_day.map(|d| d.to_string()),
                p.facility,
            ],
        )
        .map_err(|e| e.to_string())?;
    }
    let anchors = if config.trust_anchors.is_empty() {
        verify::jlis_roots()
    } else {
        config
            .trust_anchors
            .iter()
            .map(|d| AuthCertificate::from_der(d).map_err(|e| format!("trust anchor: {e}")))
            .collect::<Result<_, _>>()?
    };
    let dirs = OqsDirs::under(&config.oqs_dir).map_err(|e| format!("OQS folder: {e}"))?;
    let state = Arc::new(AppState {
        db: Mutex::new(conn),
        anchors,
        enrollment_code: config.enrollment_code.clone(),
        dirs,
        institution_code: config.institution_code.clone(),
        check_timeout: config.check_timeout,
    });
    let app = Router::new()
        .route("/v1/devices", post(register))
        .route("/v1/visits/{id}", put(upload))
        .route("/v1/roster", get(roster))
        .route("/v1/results", get(results))
        .with_state(state.clone());
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("listen: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    let poll = config.poll_interval;
    let worker = tokio::spawn(async move {
        loop {
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || process_checks(&s)).await;
            tokio::time::sleep(poll).await;
        }
    });
    tracing::info!(%addr, "houmon-server listening");
    Ok(Server { addr, shutdown: Some(tx), task, worker })
}

fn refuse(status: StatusCode, code: RefusalCode) -> Response {
    (status, Json(Refusal { code, message: code.message_ja().to_owned() })).into_response()
}

fn device(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")?;
    db::device_for_token(&state.db(), token).ok().flatten()
}

async fn register(
    State(state): State<Arc<AppState>>,
    Json(req): Json<RegisterRequest>,
) -> Response {
    if req.enrollment_code != state.enrollment_code || req.device_id.trim().is_empty() {
        return (StatusCode::FORBIDDEN, "enrollment refused").into_response();
    }
    let token = random_hex(32);
    let r = state.db().execute(
        "INSERT INTO devices (device_id, name, token, registered_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(device_id) DO UPDATE SET token = excluded.token, name = excluded.name",
        params![req.device_id, req.device_name, token, ts(Utc::now())],
    );
    match r {
        Ok(_) => (StatusCode::OK, Json(RegisterResponse { token })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn upload(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(device_id) = device(&state, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(record) = serde_json::from_slice::<VisitRecord>(&body) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, RefusalCode::Malformed);
    };
    if record.id != id {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, RefusalCode::Malformed);
    }
    let state2 = state.clone();
    tokio::task::spawn_blocking(move || ingest(&state2, &device_id, record))
        .await
        .unwrap_or_else(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

fn ingest(state: &AppState, device_id: &str, record: VisitRecord) -> Response {
    let canonical = record.to_json();
    let digest: String =
        Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut conn = state.db();
    let existing: Option<String> = match conn
        .query_row("SELECT record_sha256 FROM visits WHERE id = ?1", params![record.id], |r| {
            r.get(0)
        })
        .optional()
    {
        Ok(e) => e,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    if let Some(d) = existing {
        return if d == digest {
            (
                StatusCode::OK,
                Json(UploadResponse { status: UploadStatus::Duplicate, warnings: vec![] }),
            )
                .into_response()
        } else {
            refuse(StatusCode::CONFLICT, RefusalCode::Conflict)
        };
    }
    let mut warnings = match verify::verify(&record, device_id, &state.anchors, Utc::now()) {
        Ok(w) => w,
        Err(code) => {
            tracing::info!(visit = %record.id, ?code, "record refused");
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, code);
        }
    };
    let result = (|| -> rusqlite::Result<Result<(), RefusalCode>> {
        let tx = conn.transaction()?;
        if let Evidence::Pin(p) = &record.evidence {
            let used: Option<String> = tx
                .query_row(
                    "SELECT visit_id FROM nonces WHERE nonce = ?1",
                    params![p.challenge.nonce],
                    |r| r.get(0),
                )
                .optional()?;
            if used.is_some() {
                return Ok(Err(RefusalCode::NonceReplayed));
            }
            tx.execute(
                "INSERT INTO nonces (nonce, visit_id) VALUES (?1, ?2)",
                params![p.challenge.nonce, record.id],
            )?;
        }
        let patient = record.context.patient_id.clone();
        if let (Some(pid), Evidence::Pin(_)) = (&patient, &record.evidence) {
            let fp = AuthCertificate::from_der(record.evidence.certificate())
                .map(|c| c.fingerprint_sha256())
                .unwrap_or_default();
            let enrolled: Option<Option<String>> = tx
                .query_row(
                    "SELECT enrolled_cert FROM patients WHERE patient_id = ?1",
                    params![pid],
                    |r| r.get(0),
                )
                .optional()?;
            match enrolled {
                Some(None) => {
                    tx.execute(
                        "UPDATE patients SET enrolled_cert = ?2 WHERE patient_id = ?1",
                        params![pid, fp],
                    )?;
                }
                Some(Some(e)) if e != fp => {
                    warnings.push("certificate-differs-from-enrolled".into())
                }
                _ => {}
            }
        }
        if let Some(until) = match &record.consent.validity {
            houmon_core::visit::ConsentValidity::UntilThenWhileMonthlyCare { until } => {
                Some(*until)
            }
            houmon_core::visit::ConsentValidity::ThisVisit { .. } => None,
        } {
            if let Some(pid) = &patient {
                tx.execute(
                    "UPDATE patients SET consent_until = ?2 WHERE patient_id = ?1",
                    params![pid, until.to_string()],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO visits (id, device_id, patient_id, received_at, record_sha256, record_json, warnings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![record.id, device_id, patient, ts(Utc::now()), digest, canonical, warnings.join(",")],
        )?;
        if let Some(pid) = &patient {
            let has_numbers: Option<String> = tx
                .query_row(
                    "SELECT insurer_number FROM patients WHERE patient_id = ?1",
                    params![pid],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if has_numbers.is_some() {
                tx.execute(
                    "INSERT INTO checks (id, patient_id, visit_id, state, requested_at) VALUES (?1, ?2, ?3, 'queued', ?4)",
                    params![format!("chk-{}", random_hex(12)), pid, record.id, ts(Utc::now())],
                )?;
            }
        }
        tx.commit()?;
        Ok(Ok(()))
    })();
    match result {
        Ok(Ok(())) => {
            tracing::info!(visit = %record.id, "record accepted");
            (StatusCode::CREATED, Json(UploadResponse { status: UploadStatus::Accepted, warnings }))
                .into_response()
        }
        Ok(Err(code)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, code),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct DayQuery {
    day: NaiveDate,
}

fn latest_result(conn: &Connection, patient_id: &str) -> Option<EligibilityResult> {
    conn.query_row(
        "SELECT cursor, patient_id, visit_id, checked_at, outcome_json FROM results WHERE patient_id = ?1
         ORDER BY cursor DESC LIMIT 1",
        params![patient_id],
        row_to_result,
    )
    .optional()
    .ok()
    .flatten()
}

fn row_to_result(r: &rusqlite::Row<'_>) -> rusqlite::Result<EligibilityResult> {
    let checked: String = r.get(3)?;
    let outcome: String = r.get(4)?;
    Ok(EligibilityResult {
        cursor: r.get(0)?,
        patient_id: r.get(1)?,
        visit_id: r.get(2)?,
        checked_at: DateTime::parse_from_rfc3339(&checked)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        outcome: serde_json::from_str(&outcome).unwrap_or(CheckOutcome::Pending),
    })
}

async fn roster(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
) -> Response {
    if device(&state, &headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let conn = state.db();
    let entries = (|| -> rusqlite::Result<Vec<RosterEntry>> {
        let mut st = conn.prepare(
            "SELECT patient_id, name, address, birth_date, insurer_number, symbol, number, branch, consent_until,
             enrolled_cert, facility FROM patients WHERE round_day IS NULL OR round_day = ?1 ORDER BY patient_id",
        )?;
        let rows = st.query_map(params![q.day.to_string()], |r| {
            let numbers = match r.get::<_, Option<String>>(4)? {
                Some(insurer_number) => Some(InsuranceNumbers {
                    insurer_number,
                    symbol: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    number: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    branch: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                }),
                None => None,
            };
            let birth: String = r.get(3)?;
            let consent: Option<String> = r.get(8)?;
            Ok(RosterEntry {
                patient_id: r.get(0)?,
                name: r.get(1)?,
                address: r.get(2)?,
                birth_date: birth.parse().unwrap_or_default(),
                facility: r.get(10)?,
                insurance: numbers,
                last_eligibility: None,
                consent_until: consent.and_then(|c| c.parse().ok()),
                enrolled_certificate: r.get(9)?,
            })
        })?;
        rows.collect()
    })();
    match entries {
        Ok(mut entries) => {
            for e in &mut entries {
                e.last_eligibility = latest_result(&conn, &e.patient_id);
            }
            Json(Roster { day: q.day, entries }).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct SinceQuery {
    #[serde(default)]
    since: i64,
}

async fn results(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<SinceQuery>,
) -> Response {
    if device(&state, &headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let conn = state.db();
    let page = (|| -> rusqlite::Result<Vec<EligibilityResult>> {
        let mut st = conn.prepare(
            "SELECT cursor, patient_id, visit_id, checked_at, outcome_json FROM results WHERE cursor > ?1
             ORDER BY cursor LIMIT 500",
        )?;
        let rows = st.query_map(params![q.since], row_to_result)?;
        rows.collect()
    })();
    match page {
        Ok(results) => {
            let cursor = results.last().map_or(q.since, |r| r.cursor);
            Json(ResultsPage { results, cursor }).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn record_result(
    conn: &Connection,
    patient: &str,
    visit: Option<&str>,
    outcome: &CheckOutcome,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO results (patient_id, visit_id, checked_at, outcome_json) VALUES (?1, ?2, ?3, ?4)",
        params![patient, visit, ts(Utc::now()), serde_json::to_string(outcome).unwrap_or_default()],
    )?;
    Ok(())
}

/// One pass of the eligibility worker: send queued checks to the terminal,
/// read its answers, time out the silent ones.
fn process_checks(state: &AppState) {
    let conn = state.db();
    let work = (|| -> rusqlite::Result<()> {
        let mut st = conn.prepare(
            "SELECT c.id, c.patient_id, c.visit_id, c.state, c.sent_at, p.insurer_number, p.symbol, p.number,
             p.branch, p.birth_date FROM checks c JOIN patients p ON p.patient_id = c.patient_id
             WHERE c.state IN ('queued', 'sent') ORDER BY c.requested_at",
        )?;
        type Row = (
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            String,
        );
        let rows: Vec<Row> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                    r.get(9)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        for (
            id,
            patient,
            visit,
            check_state,
            sent_at,
            insurer_number,
            symbol,
            number,
            branch,
            birth,
        ) in rows
        {
            if check_state == "queued" {
                let numbers = InsuranceNumbers { insurer_number, symbol, number, branch };
                let xml = oqs::request_xml(
                    &id,
                    &state.institution_code,
                    &numbers,
                    birth.parse().unwrap_or_default(),
                );
                let path = state.dirs.request_path(&id);
                let tmp = path.with_extension("tmp");
                if std::fs::write(&tmp, xml).and_then(|_| std::fs::rename(&tmp, &path)).is_ok() {
                    conn.execute(
                        "UPDATE checks SET state = 'sent', sent_at = ?2 WHERE id = ?1",
                        params![id, ts(Utc::now())],
                    )?;
                }
                continue;
            }
            let res_path = state.dirs.result_path(&id);
            if let Ok(bytes) = std::fs::read(&res_path) {
                let _ = std::fs::remove_file(&res_path);
                let outcome = match oqs::parse_result(&bytes) {
                    Ok(r) if r.outcome == CheckOutcome::Pending => continue, // 処理中: keep waiting
                    Ok(r) => r.outcome,
                    Err(e) => {
                        CheckOutcome::Error { code: "unreadable".into(), message: e.to_string() }
                    }
                };
                let st = if matches!(outcome, CheckOutcome::Error { .. }) {
                    "error"
                } else {
                    "answered"
                };
                conn.execute(
                    "UPDATE checks SET state = ?2, answered_at = ?3, raw_result = ?4 WHERE id = ?1",
                    params![id, st, ts(Utc::now()), bytes],
                )?;
                record_result(&conn, &patient, visit.as_deref(), &outcome)?;
                continue;
            }
            let sent = sent_at
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc));
            if sent.is_some_and(|t| {
                Utc::now() - t > chrono::Duration::from_std(state.check_timeout).unwrap_or_default()
            }) {
                let _ = std::fs::remove_file(state.dirs.request_path(&id));
                conn.execute(
                    "UPDATE checks SET state = 'error', answered_at = ?2 WHERE id = ?1",
                    params![id, ts(Utc::now())],
                )?;
                let outcome = CheckOutcome::Error {
                    code: "timeout".into(),
                    message: "資格確認端末から応答がありません。端末の状態を確認してください。"
                        .into(),
                };
                record_result(&conn, &patient, visit.as_deref(), &outcome)?;
            }
        }
        Ok(())
    })();
    if let Err(e) = work {
        tracing::error!(error = %e, "eligibility worker");
    }
}
