// SPDX-License-Identifier: MPL-2.0
//! 端末のサインインコード (管理者): the code each staff member types to sign
//! in on a shared phone (6–12 digits). The code is kept nowhere: the
//! server keeps the key derived from it, phones get a verifier with their
//! roster (`db/signin.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

use crate::admin;
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::blocking;
use crate::console::layout::{bad_request, csrf, redirect, render};
use crate::db::staff;

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManageStaff>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let all = match blocking(move || app.db.read(|c, _| staff::all(c))).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/staff",
        "端末のサインインコード",
        html! {
            @if q.contains_key("saved") { p.ok { "サインインコードを設定しました。端末には次に予定を受け取ったときに反映されます。" } }
            p.muted { "複数の職員で使う端末では、職員はその日の訪問予定に入っていればサインインできます。サインインコード(6〜12桁の数字)を職員ごとに設定してください。コードはサーバーにも端末にも保存されません。" }
            form method="post" action="/console/staff/signin-code" {
                (csrf(&session))
                label { "職員" select name="staff_id" required {
                    @for s in all.iter().filter(|s| !s.disabled) { option value=(s.staff_id) { (s.name) "(" (s.role.name_ja()) ")" } }
                } }
                label { "サインインコード(6〜12桁の数字)" input type="password" name="code" inputmode="numeric" autocomplete="new-password" minlength="6" maxlength="12" pattern="[0-9]{6,12}" required; }
                button type="submit" { "設定する" }
            }
        },
    )
}

pub async fn save(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageStaff>,
) -> Response {
    let staff_id = form.get("staff_id").unwrap_or_default().to_owned();
    let code = zeroize::Zeroizing::new(form.get("code").unwrap_or_default().to_owned());
    let by = session.actor();
    let done = blocking(move || Ok(admin::set_signin_code(&app, &by, &staff_id, &code))).await;
    match done {
        Ok(Ok(())) => redirect("/console/staff/signin-code?saved=1"),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(r) => r,
    }
}
