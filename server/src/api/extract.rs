// SPDX-License-Identifier: MPL-2.0
//! What a device handler is given before it runs: the device behind the
//! bearer token ([`Device`]: a refused token is a 401 and an audit
//! entry), its strictly read JSON body ([`JsonBody`]) and query
//! ([`StrictQuery`]); and the server-time token every answer to a known
//! device carries ([`time_header`]).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use houmon_core::protocol::{RefusalCode, TIME_HEADER};
use serde::de::DeserializeOwned;

use super::error::{blocking, ApiError};
use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::devices::{self, DeviceAuth};
use crate::time_anchor;

/// The device an answer is for, once it is known: the answer then carries
/// a server-time token issued to it (set by [`Device`], or by enrolment).
#[derive(Clone, Default)]
pub struct AnswerFor(Arc<OnceLock<String>>);

impl AnswerFor {
    pub fn set(&self, device_id: &str) {
        let _ = self.0.set(device_id.to_owned());
    }
}

/// Adds [`TIME_HEADER`] to every answer to a known device, refusals
/// included.
pub async fn time_header(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let answer_for = AnswerFor::default();
    req.extensions_mut().insert(answer_for.clone());
    let mut resp = next.run(req).await;
    if let Some(device) = answer_for.0.get() {
        let token = time_anchor::issue(app.db.secrets(), device, Utc::now());
        if let Ok(v) = HeaderValue::from_str(&token) {
            resp.headers_mut().insert(TIME_HEADER, v);
        }
    }
    resp
}

/// The device behind a valid bearer token. A missing, unknown, expired or
/// revoked token is refused (`401 unauthorized`) and is an audit entry
/// with the peer's address.
pub struct Device(pub DeviceAuth);

impl FromRequestParts<Arc<App>> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Device, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| ApiError::internal("no peer address"))?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| t.len() <= 128)
            .map(str::to_owned);
        let app = app.clone();
        let auth = blocking(move || authenticate(&app, token.as_deref(), peer)).await?;
        if let Some(answer_for) = parts.extensions.get::<AnswerFor>() {
            answer_for.set(&auth.device_id);
        }
        Ok(Device(auth))
    }
}

fn authenticate(app: &App, token: Option<&str>, peer: SocketAddr) -> Result<DeviceAuth, ApiError> {
    let now = Utc::now();
    let found = match token {
        Some(t) => app.db.read(|c, _| devices::by_token(c, t, now))?,
        None => None,
    };
    let Some(auth) = found else {
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
        return Err(ApiError::Refused(
            axum::http::StatusCode::UNAUTHORIZED,
            houmon_core::protocol::Refusal::new(RefusalCode::Unauthorized),
        ));
    };
    if auth.last_seen_at.is_none_or(|t| now - t > devices::LAST_SEEN_GRANULARITY) {
        app.db.write(|tx, _| devices::touch(tx, &auth.device_id, now))?;
    }
    Ok(auth)
}

/// Whether a request says its body is JSON.
pub fn is_json(content_type: Option<&str>) -> bool {
    crate::ingest::is_json(content_type)
}

/// A JSON body, read strictly: `415` unless it says `application/json`,
/// `422 malformed` (with serde's reason) unless it is exactly a `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody<T>, ApiError> {
        let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(ApiError::refused(
                415,
                RefusalCode::UnsupportedMediaType,
                "Content-Type must be application/json",
            ));
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::refused(413, RefusalCode::TooLarge, e.body_text()))?;
        serde_json::from_slice(&body)
            .map(JsonBody)
            .map_err(|e| ApiError::refused(422, RefusalCode::Malformed, e.to_string()))
    }
}

/// What a query looks like, for the refusal of one that is not.
pub trait QueryShape: DeserializeOwned {
    const EXPECTED: &'static str;
}

/// A query, read strictly: `422 malformed` naming what was expected.
pub struct StrictQuery<T>(pub T);

impl<T: QueryShape, S: Send + Sync> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<StrictQuery<T>, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(q)| StrictQuery(q)).map_err(
            |_| ApiError::refused(422, RefusalCode::Malformed, format!("query: {}", T::EXPECTED)),
        )
    }
}
