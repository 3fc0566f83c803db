// SPDX-License-Identifier: MPL-2.0
//! 訪問結果: the day's visits with identity method, evidence, consent and
//! the 資格確認端末's answer — of the patients this staff member may act
//! on (`reach.rs`); a detail page; the CSV for the レセコン.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::day_of;
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::Can;
use crate::console::data::VisitView;
use crate::console::layout::{render, when};
use crate::console::spreadsheet::Sheet;
use crate::console::{audit_refusal, audit_view, blocking, data, reach_of};
use crate::db::patients;

fn status_label(v: &VisitView) -> &'static str {
    match v.row.status.as_str() {
        "held" => "確認待ち(別のカード)",
        _ => "受付済み",
    }
}

pub async fn list(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ViewVisits>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let day = day_of(&q);
    let (app2, s2) = (app.clone(), session.clone());
    let visits = match blocking(move || {
        audit_view(&app2, &s2, "console.visits", day.to_string())?;
        // A nurse: her own visits and her patients' (`reach.rs`).
        let reach = reach_of(&app2, &s2)?;
        let mut visits = data::visits_of_day(&app2, day)?;
        visits.retain(|v| reach.visit(&v.row));
        Ok(visits)
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let staff_filter = q.get("staff").filter(|s| !s.is_empty());
    let facility_filter = q.get("facility").filter(|s| !s.is_empty());
    let status_filter = q.get("status").filter(|s| !s.is_empty());
    let shown: Vec<&VisitView> = visits
        .iter()
        .filter(|v| staff_filter.is_none_or(|s| &v.row.staff_id == s))
        .filter(|v| facility_filter.is_none_or(|f| v.facility.as_deref() == Some(f.as_str())))
        .filter(|v| match status_filter.map(String::as_str) {
            Some("held") => v.row.status == "held",
            Some("valid") => v.eligibility().2,
            Some("attention") => !v.eligibility().2,
            _ => true,
        })
        .collect();
    let staff: std::collections::BTreeSet<&str> =
        visits.iter().map(|v| v.row.staff_id.as_str()).collect();
    let facilities: std::collections::BTreeSet<&str> =
        visits.iter().filter_map(|v| v.facility.as_deref()).collect();
    render(
        &session,
        "/console/visits",
        &format!("訪問結果 {day}"),
        html! {
            form method="get" action="/console/visits" {
                label style="display:inline-block" { "日付 " input type="date" name="day" value=(day); }
                label style="display:inline-block" { " 職員 " select name="staff" {
                    option value="" { "すべて" }
                    @for s in &staff { option value=(s) selected[staff_filter.is_some_and(|f| f == s)] { (s) } }
                } }
                label style="display:inline-block" { " 施設 " select name="facility" {
                    option value="" { "すべて" }
                    @for f in &facilities { option value=(f) selected[facility_filter.is_some_and(|x| x == f)] { (f) } }
                } }
                label style="display:inline-block" { " 状態 " select name="status" {
                    option value="" { "すべて" }
                    option value="valid" selected[status_filter.is_some_and(|s| s == "valid")] { "資格 有効" }
                    option value="attention" selected[status_filter.is_some_and(|s| s == "attention")] { "要確認" }
                    option value="held" selected[status_filter.is_some_and(|s| s == "held")] { "別のカード(確認待ち)" }
                } }
                " " button type="submit" { "表示" }
            }
            p { (shown.len()) " 件 ・ " a href={ "/console/export.csv?day=" (day) } { "CSV(Shift_JIS)" } " ・ " a href={ "/console/export.csv?encoding=utf-8&day=" (day) } { "CSV(UTF-8)" } }
            table {
                tr { th { "時刻" } th { "患者" } th { "職員・端末" } th { "本人確認" } th { "同意" } th { "資格確認の結果" } th { "状態" } }
                @for v in &shown {
                    @let (answer, at, ok) = v.eligibility();
                    tr {
                        td { a href={ "/console/visits/" (v.row.id) } { (when(v.row.visited_at)) } }
                        td { (v.patient_name.clone().unwrap_or_else(|| "-".into())) @if let Some(f) = &v.facility { br; span.muted { (f) } } }
                        td { (v.row.staff_id) br; span.muted { (v.row.device_id) } }
                        td { (v.identity()) }
                        td { (v.consent()) }
                        td { span.badge.ok[ok] { (answer) } @if let Some(t) = at { br; span.muted { (when(t)) " 確認" } } }
                        td { span.badge.warn[v.row.status == "held"] { (status_label(v)) }
                             @for w in &v.row.warnings { br; span.muted { (w) } } }
                    }
                }
            }
        },
    )
}

pub async fn detail(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ViewVisits>,
    Path(id): Path<String>,
) -> Response {
    let (app2, s2, id2) = (app.clone(), session.clone(), id.clone());
    let v = match blocking(move || {
        let reach = reach_of(&app2, &s2)?;
        let found = data::visit(&app2, &id2)?;
        if found.as_ref().is_some_and(|v| !reach.visit(&v.row)) {
            audit_refusal(&app2, &s2, "console.visit", id2, "not this staff member's patient")?;
            return Ok(Err(()));
        }
        audit_view(&app2, &s2, "console.visit", id2.clone())?;
        Ok(Ok(found))
    })
    .await
    {
        Ok(Ok(Some(v))) => v,
        Ok(Ok(None)) => {
            return crate::console::layout::bad_request(&session, "この訪問記録はありません。")
        }
        Ok(Err(())) => {
            return crate::console::layout::forbidden(
                &session,
                "担当の患者の訪問ではないため表示できません。",
            )
        }
        Err(r) => return r,
    };
    let (answer, at, ok) = v.eligibility();
    render(
        &session,
        "/console/visits",
        "訪問の詳細",
        html! {
            table {
                tr { th { "訪問ID" } td { (v.row.id) } }
                tr { th { "訪問日時(サーバーが確認した時刻)" } td { (when(v.row.visited_at)) } }
                tr { th { "受信" } td { (when(v.row.received_at)) } }
                tr { th { "患者" } td { (v.patient_name.clone().unwrap_or_else(|| "-".into())) " " span.muted { (v.row.patient_id.clone().unwrap_or_default()) } } }
                tr { th { "職員・端末" } td { (v.row.staff_id) " / " (v.row.device_id) } }
                tr { th { "本人確認" } td { (v.identity()) } }
                tr { th { "カード(電子証明書のSHA-256)" } td { code { (v.row.card_fingerprint) } } }
                tr { th { "提示された書類" } td { "マイナ保険証(ICチップ読み取り)" } }
                tr { th { "同意" } td { (v.consent()) } }
                tr { th { "資格確認の結果" } td { span.badge.ok[ok] { (answer) } @if let Some(t) = at { " " span.muted { (when(t)) } } } }
                tr { th { "状態" } td { (status_label(&v)) @if let Some(h) = &v.row.held_reason { " (" (h) ")" } } }
                tr { th { "注意" } td { @for w in &v.row.warnings { div { (w) } } } }
            }
            p { a href={ "/console/visits?day=" (v.row.visited_at.with_timezone(&houmon_core::card::cert::jst()).date_naive()) } { "一覧に戻る" } }
        },
    )
}

/// The columns of the export, in order (documented in docs/console.md).
pub const CSV_COLUMNS: [&str; 15] = [
    "受診日",
    "訪問ID",
    "患者ID",
    "氏名",
    "カナ",
    "生年月日",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "本人確認",
    "資格確認結果",
    "負担割合",
    "確認日時",
    "状態",
];

pub async fn export(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::Export>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let day = day_of(&q);
    let utf8 = q.get("encoding").is_some_and(|e| e.eq_ignore_ascii_case("utf-8"));
    let (app2, s2) = (app.clone(), session.clone());
    let rows = match blocking(move || {
        audit_view(
            &app2,
            &s2,
            "console.export",
            format!("{day} {}", if utf8 { "utf-8" } else { "shift_jis" }),
        )?;
        let visits = data::visits_of_day(&app2, day)?;
        let mut rows = Vec::new();
        for v in visits {
            let patient = match &v.row.patient_id {
                Some(pid) => app2.db.read(|c, s| patients::get(c, s, pid))?,
                None => None,
            };
            rows.push((v, patient));
        }
        Ok(rows)
    })
    .await
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut sheet = Sheet::new(&CSV_COLUMNS);
    for (v, p) in &rows {
        let (answer, at, _) = v.eligibility();
        let share = match v.result.as_ref().map(|r| &r.outcome) {
            Some(houmon_core::protocol::CheckOutcome::Answered { share_wari: Some(w), .. }) => {
                format!("{w}割")
            }
            _ => String::new(),
        };
        let ins = p.as_ref().and_then(|p| p.personal.insurance.clone());
        let cells = [
            v.row
                .visited_at
                .with_timezone(&houmon_core::card::cert::jst())
                .date_naive()
                .to_string(),
            v.row.id.clone(),
            v.row.patient_id.clone().unwrap_or_default(),
            p.as_ref().map(|p| p.personal.name.clone()).unwrap_or_default(),
            p.as_ref().map(|p| p.personal.kana.clone()).unwrap_or_default(),
            p.as_ref().map(|p| p.personal.birth_date.to_string()).unwrap_or_default(),
            ins.as_ref().map(|i| i.insurer_number.clone()).unwrap_or_default(),
            ins.as_ref().map(|i| i.symbol.clone()).unwrap_or_default(),
            ins.as_ref().map(|i| i.number.clone()).unwrap_or_default(),
            ins.as_ref().map(|i| i.branch.clone()).unwrap_or_default(),
            v.identity(),
            answer,
            share,
            at.map(when).unwrap_or_default(),
            status_label(v).to_owned(),
        ];
        sheet.row(cells.iter().map(String::as_str));
    }
    let text = sheet.finish();
    let (bytes, charset) = if utf8 {
        (format!("\u{feff}{text}").into_bytes(), "utf-8")
    } else {
        (encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(), "Shift_JIS")
    };
    (
        [
            (header::CONTENT_TYPE, format!("text/csv; charset={charset}")),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"houmon-{day}.csv\"")),
        ],
        bytes,
    )
        .into_response()
}
