// SPDX-License-Identifier: MPL-2.0
//! 訪問予定: for a day, which staff member (and which of their phones, or
//! all of them) visits which patients or a facility's residents. Each
//! phone's roster is built from this. A nurse plans only her own rounds,
//! with the patients the clinic gave her, and sees only those
//! (`reach.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use maud::html;

use super::day_of;
use crate::admin;
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::blocking;
use crate::console::layout::{bad_request, csrf, forbidden, redirect, render};
use crate::db::rounds::{self, Stop, ANY_DEVICE};
use crate::db::{devices, patients, staff};
use crate::reach::Reach;

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::PlanRounds>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let day = day_of(&q);
    let me = session.staff.clone();
    // Each role sees what it may act on (`reach.rs`): a nurse, her own
    // stops and phones, and the patients the clinic gave her.
    let loaded = blocking(move || {
        app.db.read(|c, s| {
            let reach = Reach::of(c, &me)?;
            let stops: Vec<Stop> =
                rounds::of_day(c, day)?.into_iter().filter(|st| reach.stop(st)).collect();
            let patients: Vec<_> =
                patients::all(c, s)?.into_iter().filter(|p| reach.patient(&p.patient_id)).collect();
            let staff: Vec<_> =
                staff::all(c)?.into_iter().filter(|st| reach.staff(&st.staff_id)).collect();
            let devices: Vec<_> =
                devices::list(c)?.into_iter().filter(|d| reach.staff(&d.staff_id)).collect();
            Ok((stops, patients, staff, devices))
        })
    })
    .await;
    let (stops, all_patients, all_staff, all_devices) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    let name_of = |pid: &str| {
        all_patients
            .iter()
            .find(|p| p.patient_id == pid)
            .map(|p| p.personal.name.clone())
            .unwrap_or_else(|| pid.to_owned())
    };
    let facilities: std::collections::BTreeSet<&str> =
        all_patients.iter().filter_map(|p| p.facility.as_deref()).collect();
    render(
        &session,
        "/console/rounds",
        &format!("訪問予定 {day}"),
        html! {
            form method="get" action="/console/rounds" {
                label style="display:inline-block" { "日付 " input type="date" name="day" value=(day); } " " button type="submit" { "表示" }
            }
            h2 { "この日の予定" }
            @if stops.is_empty() { p.muted { "まだ予定がありません。" } } @else {
                table {
                    tr { th { "職員" } th { "端末" } th { "順" } th { "患者" } th {} }
                    @for s in &stops {
                        tr {
                            td { (s.staff_id) }
                            td { @if s.device_id == ANY_DEVICE { "この職員のすべての端末" } @else { (s.device_id) } }
                            td { (s.position + 1) }
                            td { (name_of(&s.patient_id)) " " span.muted { (s.patient_id) } }
                            td {
                                form.inline method="post" action="/console/rounds/remove" {
                                    (csrf(&session))
                                    input type="hidden" name="day" value=(day);
                                    input type="hidden" name="device" value=(s.device_id);
                                    input type="hidden" name="patient" value=(s.patient_id);
                                    button.secondary type="submit" { "外す" }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "予定に加える" }
            form method="post" action="/console/rounds" {
                (csrf(&session))
                input type="hidden" name="day" value=(day);
                label { "職員" select name="staff" required {
                    @for s in &all_staff { @if !s.disabled { option value=(s.staff_id) { (s.name) "(" (s.role.name_ja()) ")" } } }
                } }
                label { "端末" select name="device" {
                    option value=(ANY_DEVICE) { "この職員のすべての端末" }
                    @for d in &all_devices { @if d.revoked_at.is_none() { option value=(d.device_id) { (d.device_id) " " (d.name) "(" (d.staff_id) ")" } } }
                } }
                label { "施設の入居者をまとめて加える" select name="facility" {
                    option value="" { "—" }
                    @for f in &facilities { option value=(f) { (f) } }
                } }
                fieldset {
                    legend { "患者" }
                    @for p in &all_patients {
                        label { input type="checkbox" name="patient" value=(p.patient_id); " " (p.personal.name) " " span.muted { (p.patient_id) @if let Some(f) = &p.facility { " ・ " (f) } } }
                    }
                }
                button type="submit" { "予定に加える" }
            }
        },
    )
}

pub async fn assign(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let Some(day) = form.get("day").and_then(|d| d.parse::<NaiveDate>().ok()) else {
        return bad_request(&session, "日付を選んでください。");
    };
    let staff_id = form.get("staff").unwrap_or_default().to_owned();
    let device = form.get("device").filter(|d| !d.is_empty()).unwrap_or(ANY_DEVICE).to_owned();
    let facility = form.get("facility").filter(|f| !f.is_empty()).map(str::to_owned);
    let chosen: Vec<String> = form.all("patient").into_iter().map(str::to_owned).collect();
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        let reach = app.db.read(|c, _| Reach::of(c, &planner))?;
        let mut ids = chosen;
        if let Some(f) = &facility {
            // A facility's residents: those this planner may plan.
            let residents = app.db.read(patients::all)?;
            ids.extend(
                residents
                    .into_iter()
                    .filter(|p| p.facility.as_deref() == Some(f.as_str()))
                    .filter(|p| reach.patient(&p.patient_id))
                    .map(|p| p.patient_id),
            );
        }
        ids.dedup();
        if ids.is_empty() {
            return Ok(Err(admin::AdminError::Invalid("患者か施設を選んでください。".into())));
        }
        let start = app.db.read(|c, _| rounds::of_day(c, day))?.len() as i64;
        let stops: Vec<Stop> = ids
            .iter()
            .enumerate()
            .map(|(i, pid)| Stop {
                day,
                device_id: device.clone(),
                staff_id: staff_id.clone(),
                patient_id: pid.clone(),
                position: start + i as i64,
            })
            .collect();
        // All of them or none: the first one outside the planner's reach
        // is refused (and audited) before any is planned.
        for stop in &stops {
            if app.db.read(|c, _| reach.may_plan(c, stop))?.is_err() {
                return Ok(admin::plan_stop(&app, &planner, stop));
            }
        }
        for stop in &stops {
            if let Err(e) = admin::plan_stop(&app, &planner, stop) {
                return Ok(Err(e));
            }
        }
        Ok::<_, crate::db::DbError>(Ok(()))
    })
    .await;
    match done {
        Ok(Ok(Ok(()))) => redirect(&format!("/console/rounds?day={day}")),
        Ok(Ok(Err(admin::AdminError::Forbidden(m)))) => forbidden(&session, &m),
        Ok(Ok(Err(admin::AdminError::Invalid(m)))) => bad_request(&session, &m),
        Ok(Ok(Err(admin::AdminError::Db(e)))) | Ok(Err(e)) => {
            crate::console::layout::server_error(e)
        }
        Err(e) => crate::console::layout::server_error(e),
    }
}

pub async fn remove(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let Some(day) = form.get("day").and_then(|d| d.parse::<NaiveDate>().ok()) else {
        return bad_request(&session, "日付が正しくありません。");
    };
    let device = form.get("device").unwrap_or_default().to_owned();
    let patient = form.get("patient").unwrap_or_default().to_owned();
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        admin::unplan_stop(&app, &planner, day, &device, &patient)
    })
    .await;
    match done {
        Ok(Ok(_)) => redirect(&format!("/console/rounds?day={day}")),
        Ok(Err(admin::AdminError::Forbidden(m))) => forbidden(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
