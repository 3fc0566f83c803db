// SPDX-License-Identifier: MPL-2.0
//! The one error of the phones' API: a refusal the phone reads (a 4xx
//! with a JSON [`Refusal`]: a code, Japanese for staff, a detail for a
//! developer), or the server's own failure (a 500 that says nothing more
//! and is logged). Handlers return `Result<_, ApiError>` and use `?`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use houmon_core::protocol::{Refusal, RefusalCode};

use crate::db::DbError;
use crate::ingest::UploadError;

#[derive(Debug)]
pub enum ApiError {
    Refused(StatusCode, Refusal),
    Internal(String),
}

impl ApiError {
    pub fn refused(status: u16, code: RefusalCode, detail: impl Into<String>) -> ApiError {
        ApiError::Refused(status_of(status), Refusal::with_detail(code, detail))
    }

    /// A refusal with the status it was decided with (`ingest/`).
    pub fn from_refusal(status: u16, refusal: Refusal) -> ApiError {
        ApiError::Refused(status_of(status), refusal)
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

fn status_of(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Refused(status, refusal) => (status, Json(refusal)).into_response(),
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> ApiError {
        match e {
            UploadError::Refused(r) => ApiError::from_refusal(r.status, r.refusal),
            UploadError::Storage(e) => e.into(),
        }
    }
}

/// Runs database work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}
