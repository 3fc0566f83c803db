// SPDX-License-Identifier: MPL-2.0
//! 職員 (管理者のみ): accounts and roles, a password set by the
//! administrator (at least 12 characters), lifting the waits that wrong
//! passwords put on an account (ロック解除), disabling a leaver at once (and
//! enabling them again).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

use crate::admin;
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted, Session};
use crate::console::layout::{bad_request, csrf, notice, redirect, render};
use crate::console::{blocking, totp};
use crate::db::audit::Entry;
use crate::db::staff::{self, Role};

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManageStaff>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let loaded = blocking(move || {
        app.db
            .read(|c, _| Ok((staff::all(c)?, crate::db::totp::confirmed(c)?, totp::policy_all(c)?)))
    })
    .await;
    let (all, with_totp, policy_all) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    staff_page(&session, &all, &with_totp, policy_all, &q, None)
}

/// What was typed into the add form (kept when it is refused).
#[derive(Default)]
struct Typed {
    staff_id: String,
    name: String,
    role: String,
}

fn staff_page(
    session: &Session,
    all: &[staff::Staff],
    with_totp: &std::collections::HashSet<String>,
    policy_all: bool,
    q: &HashMap<String, String>,
    refused: Option<(&str, Typed)>,
) -> Response {
    let roles = [Role::Nurse, Role::Doctor, Role::Clerk, Role::Admin];
    let (error, typed) = match refused {
        Some((e, t)) => (Some(e), t),
        None => (None, Typed { role: "nurse".into(), ..Typed::default() }),
    };
    let mut r = render(
        session,
        "/console/staff",
        "職員",
        html! {
            (notice(q))
            table {
                thead { tr { th { "職員ID" } th { "氏名" } th { "役割" } th { "2段階認証" } th {} } }
                tbody {
                @for s in all {
                    @let required = s.role == Role::Admin || policy_all;
                    tr {
                        td { (s.staff_id) } td { (s.name) } td { (s.role.name_ja()) @if s.disabled { " (無効)" } }
                        td {
                            @if with_totp.contains(&s.staff_id) { span.badge.ok { "設定済み" } }
                            @else if required { span.badge.warn { "未設定(次のログインで設定)" } }
                            @else { span.muted { "未設定(任意)" } }
                        }
                        td {
                            form.inline method="post" action="/console/staff" {
                                (csrf(session))
                                input type="hidden" name="action" value="unlock";
                                input type="hidden" name="staff_id" value=(s.staff_id);
                                button.secondary type="submit" { "ログイン制限の解除" }
                            }
                            @if with_totp.contains(&s.staff_id) {
                                " "
                                form.inline method="post" action="/console/staff/totp-reset" {
                                    (csrf(session))
                                    input type="hidden" name="staff_id" value=(s.staff_id);
                                    button.secondary type="submit" { "2段階認証のリセット…" }
                                }
                            }
                            @if s.disabled {
                                form.inline method="post" action="/console/staff" {
                                    (csrf(session))
                                    input type="hidden" name="action" value="enable";
                                    input type="hidden" name="staff_id" value=(s.staff_id);
                                    button.secondary type="submit" { "有効に戻す" }
                                }
                            } @else if s.staff_id != session.staff.staff_id {
                                form.inline method="post" action="/console/staff" {
                                    (csrf(session))
                                    input type="hidden" name="action" value="disable";
                                    input type="hidden" name="staff_id" value=(s.staff_id);
                                    button.danger type="submit" title="管理画面にログインできなくなり、この職員の端末も使えなくなります" { "無効にする(退職など)" }
                                }
                            }
                        }
                    }
                }
                }
            }
            p { a href="/console/staff/signin-code" { "端末のサインインコードを設定する(複数の職員で使う端末)" } }
            h2 id="add" { "職員を追加・パスワードを設定" }
            @if let Some(e) = error { p.error role="alert" { "保存しませんでした: " (e) "(職員は追加されていません)" } }
            form method="post" action="/console/staff" {
                (csrf(session))
                input type="hidden" name="action" value="save";
                label { "職員ID(英数字で始め、英数字と - _ . で64文字まで)" input name="staff_id" value=(typed.staff_id) required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" title="英数字で始め、英数字と - _ . だけで64文字まで"; }
                label { "氏名" input name="name" value=(typed.name) required maxlength="64"; }
                label { "役割" select name="role" { @for r in roles { option value=(r.as_str()) selected[typed.role == r.as_str()] { (r.name_ja()) } } } }
                label { "パスワード(12文字以上。既存の職員で空欄なら変更しない)" input type="password" name="password" autocomplete="new-password" minlength="12"; }
                p.muted { "管理者" @if policy_all { "と、すべての職員" } "は、初めてのログインで2段階認証を設定します。" }
                button type="submit" { "保存" }
            }
            h2 { "2段階認証の方針" }
            form method="post" action="/console/staff/totp-policy" {
                (csrf(session))
                label { input type="checkbox" name="all" value="1" checked[policy_all]; " すべての職員に2段階認証を求める(管理者にはいつも求めます)" }
                button.secondary type="submit" { "方針を保存" }
            }
        },
    );
    if error.is_some() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn save(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageStaff>,
) -> Response {
    let staff_id = form.get("staff_id").unwrap_or_default().trim().to_owned();
    let actor = session.actor();
    let result = match form.get("action") {
        Some("unlock") => {
            let (app2, actor2) = (app.clone(), actor.clone());
            tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                let entry = Entry::new(actor2, "staff.unlock", "ok").target(&staff_id);
                app2.logins.release(&staff_id);
                app2.db
                    .write(|tx, s| {
                        crate::db::console::unlock(tx, &staff_id)?;
                        crate::db::audit::append(tx, s, &entry, now)
                    })
                    .map(|_| "unlocked")
                    .map_err(admin::AdminError::from)
            })
            .await
        }
        Some(action @ ("disable" | "enable")) => {
            let disable = action == "disable";
            tokio::task::spawn_blocking(move || {
                if disable {
                    admin::disable_staff(&app, &actor, &staff_id).map(|_| "disabled")
                } else {
                    admin::enable_staff(&app, &actor, &staff_id).map(|_| "enabled")
                }
            })
            .await
        }
        _ => {
            let name = form.get("name").unwrap_or_default().trim().to_owned();
            let role_text = form.get("role").unwrap_or_default().to_owned();
            let Some(role) = Role::parse(&role_text) else {
                return bad_request(&session, "役割を選んでください。");
            };
            let password = form.get("password").filter(|p| !p.is_empty()).map(str::to_owned);
            let (app2, id2, name2) = (app.clone(), staff_id.clone(), name.clone());
            let done = tokio::task::spawn_blocking(move || {
                admin::save_staff(&app2, &actor, &id2, &name2, role, password.as_deref())
                    .map(|_| "staff-saved")
            })
            .await;
            if let Ok(Err(admin::AdminError::Invalid(m))) = &done {
                let typed = Typed { staff_id, name, role: role_text };
                let m = m.clone();
                let loaded = blocking(move || {
                    app.db.read(|c, _| {
                        Ok((staff::all(c)?, crate::db::totp::confirmed(c)?, totp::policy_all(c)?))
                    })
                })
                .await;
                return match loaded {
                    Ok((all, with, policy)) => staff_page(
                        &session,
                        &all,
                        &with,
                        policy,
                        &HashMap::new(),
                        Some((&m, typed)),
                    ),
                    Err(r) => r,
                };
            }
            done
        }
    };
    match result {
        Ok(Ok(done)) => redirect(&format!("/console/staff?done={done}")),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}

/// The clinic's policy: a second factor for every staff member or only
/// for administrators.
pub async fn policy(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageStaff>,
) -> Response {
    let all = form.get("all") == Some("1");
    let by = session.actor();
    match blocking(move || totp::set_policy(&app, &by, all)).await {
        Ok(()) => redirect("/console/staff?done=policy"),
        Err(r) => r,
    }
}

/// Resetting a staff member's second factor (a lost phone): a
/// confirmation step first, then the reset (audited; their sessions end).
pub async fn totp_reset(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::ManageStaff>,
) -> Response {
    let staff_id = form.get("staff_id").unwrap_or_default().to_owned();
    if form.get("confirm") == Some("yes") {
        let by = session.actor();
        return match blocking(move || totp::reset(&app, &by, &staff_id)).await {
            Ok(_) => redirect("/console/staff?done=totp-reset"),
            Err(r) => r,
        };
    }
    let id2 = staff_id.clone();
    let who = match blocking(move || app.db.read(|c, _| staff::get(c, &id2))).await {
        Ok(Some(s)) => s,
        Ok(None) => return bad_request(&session, "この職員は登録されていません。"),
        Err(r) => return r,
    };
    render(
        &session,
        "/console/staff",
        "2段階認証をリセットしますか",
        html! {
            p { (who.name) "(" (who.staff_id) ")の2段階認証と回復用コードを消します。" }
            p.error { "今のログインはすべて終わり、次のログインで認証アプリを設定し直します。認証アプリのスマートフォンをなくしたときなど、本人であることを確かめてから行ってください。" }
            form method="post" action="/console/staff/totp-reset" {
                (csrf(&session))
                input type="hidden" name="staff_id" value=(who.staff_id);
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" { "リセットする" } " "
                a.button.secondary href="/console/staff" { "やめる(職員の一覧に戻る)" }
            }
        },
    )
}
