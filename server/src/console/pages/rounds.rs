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
use chrono::{Duration, NaiveDate};
use maud::html;

use super::day_of;
use crate::admin;
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::layout::{bad_request_back, csrf, forbidden, notice, redirect, render};
use crate::console::{blocking, dates};
use crate::db::rounds::{self, Stop, ANY_DEVICE};
use crate::db::{devices, patients, staff};
use crate::reach::Reach;

/// How many patients the add form lists at once (search for the rest).
const LISTED: usize = 40;

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::PlanRounds>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let day = match day_of(&session, &q, "/console/rounds") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let me = session.staff.clone();
    let s2 = session.clone();
    // Each role sees what it may act on (`reach.rs`): a nurse, her own
    // stops and phones, and the patients the clinic gave her.
    let loaded = blocking(move || {
        crate::console::audit_view(&app, &s2, "console.rounds", day.to_string())?;
        app.db.read(|c, s| {
            let reach = Reach::of(c, &me)?;
            let stops: Vec<Stop> =
                rounds::of_day(c, day)?.into_iter().filter(|st| reach.stop(st)).collect();
            let last_week = rounds::of_day(c, day - Duration::days(7))?
                .into_iter()
                .filter(|st| reach.stop(st))
                .count();
            let patients: Vec<_> =
                patients::all(c, s)?.into_iter().filter(|p| reach.patient(&p.patient_id)).collect();
            let staff: Vec<_> =
                staff::all(c)?.into_iter().filter(|st| reach.staff(&st.staff_id)).collect();
            let devices: Vec<_> = devices::list(c)?;
            Ok((stops, last_week, patients, staff, devices))
        })
    })
    .await;
    let (stops, last_week, all_patients, all_staff, all_devices) = match loaded {
        Ok(v) => v,
        Err(r) => return r,
    };
    let patient_of = |pid: &str| all_patients.iter().find(|p| p.patient_id == pid);
    let staff_name = |id: &str| {
        all_staff
            .iter()
            .find(|s| s.staff_id == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    };
    let device_of = |id: &str| all_devices.iter().find(|d| d.device_id == id);
    let revoked: Vec<&Stop> = stops
        .iter()
        .filter(|s| {
            s.device_id != ANY_DEVICE
                && device_of(&s.device_id).is_none_or(|d| d.revoked_at.is_some())
        })
        .collect();
    let facilities: std::collections::BTreeSet<&str> =
        all_patients.iter().filter_map(|p| p.facility.as_deref()).collect();
    let search = q.get("q").cloned().unwrap_or_default();
    let found: Vec<_> =
        all_patients.iter().filter(|p| super::patients::matches(p, &search)).collect();
    let today = crate::console::layout::today();
    // The rounds of the day, one per staff member and phone, in order.
    let mut groups: Vec<((String, String), Vec<&Stop>)> = Vec::new();
    for s in &stops {
        let key = (s.staff_id.clone(), s.device_id.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(s),
            None => groups.push((key, vec![s])),
        }
    }
    for (_, v) in &mut groups {
        v.sort_by_key(|s| (s.position, s.patient_id.clone()));
    }
    let planner_is_nurse = session.staff.role == staff::Role::Nurse;
    render(
        &session,
        "/console/rounds",
        &format!("訪問予定 {day}"),
        html! {
            (notice(&q))
            form.no-print method="get" action="/console/rounds" {
                label style="display:inline-block" { "日付 " input type="date" name="day" value=(day); } " " button type="submit" { "表示" }
                " " a href={ "/console/rounds?day=" (day + Duration::days(1)) } { "翌日" }
                " ・ " a href={ "/console/rounds?day=" (day - Duration::days(1)) } { "前日" }
            }
            @if !revoked.is_empty() {
                div.card.needs role="alert" {
                    p.error { "取り消した端末(または登録のない端末)に入っている予定が " (revoked.len()) " 件あります。その端末には届きません。外して、使える端末か「この職員のすべての端末」に入れ直してください。" }
                }
            }
            h2 { "この日の予定" }
            @if stops.is_empty() {
                p.muted { "まだ予定がありません。" }
            } @else {
                form method="post" action="/console/rounds/order" {
                    (csrf(&session))
                    input type="hidden" name="day" value=(day);
                    @for ((staff_id, device_id), list) in &groups {
                        h3 { (staff_name(staff_id)) " ・ "
                            @if device_id == ANY_DEVICE { "この職員のすべての端末" }
                            @else { @match device_of(device_id) {
                                Some(d) if d.revoked_at.is_none() => { "端末 " (d.name) }
                                Some(d) => { "端末 " (d.name) " " span.badge.bad { "取り消し済みの端末" } }
                                None => { span.badge.bad { "登録のない端末" } }
                            } }
                        }
                        table {
                            thead { tr { th { "順" } th { "患者(番号・年齢)" } th { "施設" } th.no-print {} } }
                            tbody {
                            @for (i, s) in list.iter().enumerate() {
                                tr.attention[revoked.iter().any(|r| std::ptr::eq(*r, *s))] {
                                    td {
                                        input type="hidden" name="stop" value={ (s.device_id) "|" (s.patient_id) };
                                        input type="number" name="position" value=(i + 1) min="1" max="999" style="width:5em" aria-label="訪問の順";
                                    }
                                    td { @match patient_of(&s.patient_id) {
                                        Some(p) => { (p.personal.name) "(" (p.patient_id) "・" (dates::age(p.personal.birth_date, today)) "歳)" }
                                        None => { (s.patient_id) }
                                    } }
                                    td { (patient_of(&s.patient_id).and_then(|p| p.facility.clone()).unwrap_or_default()) }
                                    td.no-print {
                                        button.secondary type="submit" formaction="/console/rounds/remove" name="remove" value={ (s.device_id) "|" (s.patient_id) } { "外す" }
                                    }
                                }
                            }
                            }
                        }
                    }
                    p.no-print { button type="submit" { "順番を保存" } span.muted { " 順の数字を書き換えて保存すると、端末にその順で表示されます。" } }
                }
            }
            div.no-print {
                h2 { "まとめて予定を作る" }
                form.inline method="post" action="/console/rounds/copy" {
                    (csrf(&session))
                    input type="hidden" name="day" value=(day);
                    button.secondary type="submit" disabled[last_week == 0] { "先週(" (day - Duration::days(7)) ")の予定 " (last_week) " 件をこの日にコピー" }
                }
                " "
                form.inline method="post" action="/console/rounds/repeat" {
                    (csrf(&session))
                    input type="hidden" name="day" value=(day);
                    label style="display:inline-block" { "この日の予定を毎週くり返す: "
                        select name="weeks" { @for n in [1, 2, 3, 4, 8, 12] { option value=(n) selected[n == 4] { (n) "週先まで" } } } }
                    " " button.secondary type="submit" disabled[stops.is_empty()] { "くり返す" }
                }
                h2 { "予定に加える" }
                form method="get" action="/console/rounds" {
                    input type="hidden" name="day" value=(day);
                    label style="display:inline-block" { "患者を探す(氏名・カナ・患者番号) " input type="search" name="q" value=(search); }
                    " " button.secondary type="submit" { "探す" }
                    @if !search.is_empty() { " " a href={ "/console/rounds?day=" (day) } { "検索をやめる" } }
                }
                form method="post" action="/console/rounds" {
                    (csrf(&session))
                    input type="hidden" name="day" value=(day);
                    label { "職員" select name="staff" required {
                        @if !planner_is_nurse { option value="" { "— 職員を選ぶ —" } }
                        @for s in super::devices::staff_in_order(&all_staff) { option value=(s.staff_id) { (s.name) "(" (s.role.name_ja()) ")" } }
                    } }
                    label { "端末" select name="device" {
                        option value=(ANY_DEVICE) { "この職員のすべての端末" }
                        @for d in &all_devices { @if d.revoked_at.is_none() && all_staff.iter().any(|s| s.staff_id == d.staff_id) {
                            option value=(d.device_id) { (d.name) "(" (staff_name(&d.staff_id)) ")" } } }
                    } }
                    label { "施設の入居者をまとめて加える" select name="facility" {
                        option value="" { "—" }
                        @for f in &facilities { option value=(f) { (f) } }
                    } }
                    fieldset {
                        legend { "患者" @if !search.is_empty() { "(「" (search) "」: " (found.len()) "名)" } }
                        @if found.is_empty() { p.muted { "見つかりません。氏名・カナ・患者番号の一部で探してください。" } }
                        @for p in found.iter().take(LISTED) {
                            label { input type="checkbox" name="patient" value=(p.patient_id); " " (p.personal.name) " " span.muted { (p.patient_id) "・" (dates::age(p.personal.birth_date, today)) "歳" @if let Some(f) = &p.facility { " ・ " (f) } } }
                        }
                        @if found.len() > LISTED { p.muted { "ほか " (found.len() - LISTED) " 名。上の「患者を探す」で絞り込んでください。" } }
                    }
                    button type="submit" { "予定に加える" }
                }
            }
        },
    )
}

fn planned_day(
    session: &crate::console::auth::Session,
    form: &crate::console::layout::FormData,
) -> Result<NaiveDate, Response> {
    match dates::parse_day(form.get("day")) {
        Ok(Some(d)) => Ok(d),
        _ => {
            Err(bad_request_back(session, "日付を選んでください。", "/console/rounds", "訪問予定"))
        }
    }
}

fn answer(
    session: &crate::console::auth::Session,
    day: NaiveDate,
    done: Result<Result<String, admin::AdminError>, crate::db::DbError>,
) -> Response {
    let back = format!("/console/rounds?day={day}");
    match done {
        Ok(Ok(notice)) => redirect(&format!("{back}&{notice}")),
        Ok(Err(admin::AdminError::Forbidden(m))) => forbidden(session, &m),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request_back(session, &m, &back, "訪問予定"),
        Ok(Err(admin::AdminError::Db(e))) | Err(e) => crate::console::layout::server_error(e),
    }
}

pub async fn assign(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let day = match planned_day(&session, &form) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let staff_id = form.get("staff").unwrap_or_default().to_owned();
    if staff_id.is_empty() {
        return bad_request_back(
            &session,
            "訪問する職員を選んでください。",
            &format!("/console/rounds?day={day}"),
            "訪問予定",
        );
    }
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
        let mut seen = std::collections::HashSet::new();
        ids.retain(|i| seen.insert(i.clone()));
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
        // All of them or none (`admin::plan_stops`).
        Ok(admin::plan_stops(&app, &planner, &stops).map(|n| format!("done=planned&n={n}")))
    })
    .await
    .unwrap_or_else(|e| Err(crate::db::DbError::Commit(e.to_string())));
    answer(&session, day, done)
}

/// The order of the day's stops as typed (the `順` numbers).
pub async fn order(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let day = match planned_day(&session, &form) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let stops = form.all("stop");
    let positions = form.all("position");
    if stops.len() != positions.len() {
        return bad_request_back(
            &session,
            "順番を読めませんでした。ページを開き直してください。",
            &format!("/console/rounds?day={day}"),
            "訪問予定",
        );
    }
    let mut order: Vec<(String, String, i64, usize)> = Vec::new();
    for (i, (stop, pos)) in stops.iter().zip(&positions).enumerate() {
        let Some((device, patient)) = stop.split_once('|') else { continue };
        let Some(n) = dates::digits(pos).and_then(|d| d.parse::<i64>().ok()) else {
            return bad_request_back(
                &session,
                &format!("順「{pos}」は数字で入力してください。"),
                &format!("/console/rounds?day={day}"),
                "訪問予定",
            );
        };
        order.push((device.to_owned(), patient.to_owned(), n, i));
    }
    // Numbered again from 0 in the typed order (ties keep the page's order).
    order.sort_by_key(|(d, _, n, i)| (d.clone(), *n, *i));
    let order: Vec<(String, String, i64)> =
        order.into_iter().enumerate().map(|(i, (d, p, _, _))| (d, p, i as i64)).collect();
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        Ok(admin::reorder_stops(&app, &planner, day, &order).map(|_| "done=reordered".to_owned()))
    })
    .await
    .unwrap_or_else(|e| Err(crate::db::DbError::Commit(e.to_string())));
    answer(&session, day, done)
}

/// Last week's stops (same weekday) onto this day.
pub async fn copy(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let day = match planned_day(&session, &form) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        let reach = app.db.read(|c, _| Reach::of(c, &planner))?;
        let from = app.db.read(|c, _| rounds::of_day(c, day - Duration::days(7)))?;
        let stops: Vec<Stop> =
            from.into_iter().filter(|s| reach.stop(s)).map(|s| Stop { day, ..s }).collect();
        Ok(admin::plan_stops(&app, &planner, &stops).map(|n| format!("done=copied&n={n}")))
    })
    .await
    .unwrap_or_else(|e| Err(crate::db::DbError::Commit(e.to_string())));
    answer(&session, day, done)
}

/// This day's stops onto the same weekday of the next weeks.
pub async fn repeat(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let day = match planned_day(&session, &form) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let weeks = form.get("weeks").and_then(|w| w.parse::<i64>().ok()).unwrap_or(0);
    if !(1..=12).contains(&weeks) {
        return bad_request_back(
            &session,
            "くり返す週の数は1〜12です。",
            &format!("/console/rounds?day={day}"),
            "訪問予定",
        );
    }
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        let reach = app.db.read(|c, _| Reach::of(c, &planner))?;
        let this: Vec<Stop> = app
            .db
            .read(|c, _| rounds::of_day(c, day))?
            .into_iter()
            .filter(|s| reach.stop(s))
            .collect();
        let stops: Vec<Stop> = (1..=weeks)
            .flat_map(|w| {
                this.iter().map(move |s| Stop { day: day + Duration::days(7 * w), ..s.clone() })
            })
            .collect();
        Ok(admin::plan_stops(&app, &planner, &stops).map(|n| format!("done=repeated&n={n}")))
    })
    .await
    .unwrap_or_else(|e| Err(crate::db::DbError::Commit(e.to_string())));
    answer(&session, day, done)
}

pub async fn remove(
    State(app): State<Arc<App>>,
    Posted(session, form, _): Posted<perm::PlanRounds>,
) -> Response {
    let day = match planned_day(&session, &form) {
        Ok(d) => d,
        Err(r) => return r,
    };
    // One form per stop (`device`, `patient`), or the order form's 外す
    // button (`remove` = device|patient).
    let (device, patient) = match form.get("remove").and_then(|r| r.split_once('|')) {
        Some((d, p)) => (d.to_owned(), p.to_owned()),
        None => (
            form.get("device").unwrap_or_default().to_owned(),
            form.get("patient").unwrap_or_default().to_owned(),
        ),
    };
    let planner = session.staff.clone();
    let done = tokio::task::spawn_blocking(move || {
        Ok(admin::unplan_stop(&app, &planner, day, &device, &patient)
            .map(|_| "done=removed".to_owned()))
    })
    .await
    .unwrap_or_else(|e| Err(crate::db::DbError::Commit(e.to_string())));
    answer(&session, day, done)
}
