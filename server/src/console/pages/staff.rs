// SPDX-License-Identifier: MPL-2.0
//! 職員 (管理者のみ): accounts and roles, a password set by the
//! administrator (at least 12 characters), unlocking a locked account,
//! disabling a leaver at once (and enabling them again).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use maud::html;

use crate::admin;
use crate::app::App;
use crate::console::auth::{Perm, Session};
use crate::console::blocking;
use crate::console::layout::{bad_request, csrf, redirect, render, FormData};
use crate::db::audit::Entry;
use crate::db::staff::{self, Role};

pub async fn page(State(app): State<Arc<App>>, session: Session) -> Response {
    if let Err(r) = session.require(Perm::ManageStaff) {
        return r;
    }
    let all = match blocking(move || app.db.read(|c, _| staff::all(c))).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let roles = [Role::Doctor, Role::Nurse, Role::Clerk, Role::Admin];
    render(
        &session,
        "/console/staff",
        "職員",
        html! {
            table {
                tr { th { "職員ID" } th { "氏名" } th { "役割" } th {} }
                @for s in &all {
                    tr {
                        td { (s.staff_id) } td { (s.name) } td { (s.role.name_ja()) @if s.disabled { " (無効)" } }
                        td {
                            form.inline method="post" action="/console/staff" {
                                (csrf(&session))
                                input type="hidden" name="action" value="unlock";
                                input type="hidden" name="staff_id" value=(s.staff_id);
                                button.secondary type="submit" { "ロック解除" }
                            }
                            @if s.disabled {
                                form.inline method="post" action="/console/staff" {
                                    (csrf(&session))
                                    input type="hidden" name="action" value="enable";
                                    input type="hidden" name="staff_id" value=(s.staff_id);
                                    button.secondary type="submit" { "有効に戻す" }
                                }
                            } @else if s.staff_id != session.staff.staff_id {
                                form.inline method="post" action="/console/staff" {
                                    (csrf(&session))
                                    input type="hidden" name="action" value="disable";
                                    input type="hidden" name="staff_id" value=(s.staff_id);
                                    button.danger type="submit" title="管理画面にログインできなくなり、この職員の端末も使えなくなります" { "無効にする(退職など)" }
                                }
                            }
                        }
                    }
                }
            }
            p { a href="/console/staff/signin-code" { "端末のサインインコードを設定する(複数の職員で使う端末)" } }
            h2 { "職員を追加・パスワードを設定" }
            form method="post" action="/console/staff" {
                (csrf(&session))
                input type="hidden" name="action" value="save";
                label { "職員ID" input name="staff_id" required pattern="[A-Za-z0-9][A-Za-z0-9._-]{0,63}"; }
                label { "氏名" input name="name" required; }
                label { "役割" select name="role" { @for r in roles { option value=(r.as_str()) { (r.name_ja()) } } } }
                label { "パスワード(12文字以上。空欄なら変更しない)" input type="password" name="password" autocomplete="new-password"; }
                button type="submit" { "保存" }
            }
        },
    )
}

pub async fn save(State(app): State<Arc<App>>, session: Session, body: Bytes) -> Response {
    if let Err(r) = session.require(Perm::ManageStaff) {
        return r;
    }
    let form = FormData::parse(&body);
    if let Err(r) = session.check_csrf(&form) {
        return r;
    }
    let staff_id = form.get("staff_id").unwrap_or_default().trim().to_owned();
    let actor = session.actor();
    let result = match form.get("action") {
        Some("unlock") => {
            let (app2, actor2) = (app.clone(), actor.clone());
            tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                let entry = Entry::new(actor2, "staff.unlock", "ok").target(&staff_id);
                app2.db
                    .write(|tx, s| {
                        crate::db::console::unlock(tx, &staff_id)?;
                        crate::db::audit::append(tx, s, &entry, now)
                    })
                    .map_err(admin::AdminError::from)
            })
            .await
        }
        Some(action @ ("disable" | "enable")) => {
            let disable = action == "disable";
            tokio::task::spawn_blocking(move || {
                if disable {
                    admin::disable_staff(&app, &actor, &staff_id)
                } else {
                    admin::enable_staff(&app, &actor, &staff_id)
                }
            })
            .await
        }
        _ => {
            let name = form.get("name").unwrap_or_default().trim().to_owned();
            let role = form.get("role").and_then(Role::parse);
            let password = form.get("password").unwrap_or_default().to_owned();
            let Some(role) = role else {
                return bad_request(&session, "役割を選んでください。");
            };
            tokio::task::spawn_blocking(move || {
                admin::add_staff(&app, &actor, &staff_id, &name, role)?;
                if !password.is_empty() {
                    admin::set_password(&app, &actor, &staff_id, &password)?;
                }
                Ok(())
            })
            .await
        }
    };
    match result {
        Ok(Ok(())) => redirect("/console/staff"),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
