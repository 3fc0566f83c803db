// SPDX-License-Identifier: MPL-2.0
//! The clinic console: web pages served by `houmon-server` itself under
//! `/console` — server-rendered (maud), no front-end build, in Japanese,
//! for a desktop or a tablet.
//!
//! - [`access`]: what each role may open; [`auth`]: logins (argon2id,
//!   growing waits), sessions, CSRF, the permission extractors;
//! - [`layout`]: the page shell and forms;
//! - [`data`]: a visit put in words; [`followups`]: the follow-up list;
//!   [`resolve`]: resolving one, checked against the open item;
//! - [`spreadsheet`]: the CSV it writes (no cell a spreadsheet runs);
//! - [`pages`]: one file per area (today, visits, follow-ups, rounds,
//!   patients, devices, staff, audit, export).
//!
//! Every change goes through `admin.rs` (audited); every page showing
//! personal data is an audit entry too.

// Handlers and their helpers return the ready `Response` of a refusal as
// their error: built once per request and answered as is.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod auth;
pub mod data;
pub mod followups;
pub mod layout;
pub mod pages;
pub mod password;
pub mod resolve;
pub mod spreadsheet;

use std::sync::Arc;

use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::app::App;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console", get(pages::home::page))
        .route("/console/", get(pages::home::page))
        .route("/console/visits", get(pages::visits::list))
        .route("/console/visits/{id}", get(pages::visits::detail))
        .route("/console/export.csv", get(pages::visits::export))
        .route("/console/follow-ups", get(pages::followups::page))
        .route("/console/follow-ups/resolve", post(pages::followups::resolve))
        .route("/console/rounds", get(pages::rounds::page).post(pages::rounds::assign))
        .route("/console/rounds/remove", post(pages::rounds::remove))
        .route("/console/patients", get(pages::patients::list))
        .route("/console/patients/import", post(pages::patients::import))
        .route("/console/patients/{id}", get(pages::patients::detail).post(pages::patients::save))
        .route("/console/patients/{id}/team", post(pages::patients::team))
        .route("/console/devices", get(pages::devices::page))
        .route("/console/devices/enrol", post(pages::devices::enrol))
        .route("/console/devices/revoke", post(pages::devices::revoke))
        .route("/console/staff", get(pages::staff::page).post(pages::staff::save))
        .route("/console/audit", get(pages::audit::page))
        .route("/console/custody", get(pages::custody::page))
        .route("/console/readings", get(pages::readings::page))
        .route("/console/staff/signin-code", get(pages::signin::page).post(pages::signin::save))
        .layer(axum::middleware::map_response(page_headers))
}

/// What a browser may do with a console page: no script at all, nothing
/// loaded from elsewhere, never framed (clickjacking), forms only to the
/// console, no `Referer` carrying a patient's URL away. (Styles are inline
/// in the page.) Caching is refused on every answer (`api::no_store`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn page_headers(mut resp: Response) -> Response {
    use axum::http::{header, HeaderValue};
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// Runs database work on the blocking pool; a failure is a 500 page.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::db::DbError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(layout::server_error(e)),
        Err(e) => Err(layout::server_error(e)),
    }
}

/// What the logged-in staff member may act on (`reach.rs`).
pub fn reach_of(
    app: &App,
    session: &auth::Session,
) -> Result<crate::reach::Reach, crate::db::DbError> {
    app.db.read(|c, _| crate::reach::Reach::of(c, &session.staff))
}

/// Writes an audit entry for something refused to a staff member.
pub fn audit_refusal(
    app: &App,
    session: &auth::Session,
    what: &'static str,
    target: String,
    why: &str,
) -> Result<(), crate::db::DbError> {
    let now = chrono::Utc::now();
    let entry = crate::db::audit::Entry::new(session.actor(), what, "refused:forbidden")
        .staff(&session.staff.staff_id)
        .target(target)
        .detail(why);
    app.db.write(|tx, s| crate::db::audit::append(tx, s, &entry, now))
}

/// Writes an audit entry for a page that shows personal data.
pub fn audit_view(
    app: &App,
    session: &auth::Session,
    what: &'static str,
    target: String,
) -> Result<(), crate::db::DbError> {
    let now = chrono::Utc::now();
    let entry = crate::db::audit::Entry::new(session.actor(), what, "ok")
        .staff(&session.staff.staff_id)
        .target(target);
    app.db.write(|tx, s| crate::db::audit::append(tx, s, &entry, now))
}
