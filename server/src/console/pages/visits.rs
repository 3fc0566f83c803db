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
use crate::console::access::{allowed, perm, Perm};
use crate::console::auth::{Can, Posted, Session};
use crate::console::data::{Standing, VisitView};
use crate::console::layout::{bad_request_back, csrf, notice, redirect, render, when};
use crate::console::spreadsheet::Sheet;
use crate::console::{answer, audit_refusal, audit_view, blocking, data, reach_of, words};
use crate::db::{patients, staff};

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
    let day = match day_of(&session, &q, "/console/visits") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (app2, s2) = (app.clone(), session.clone());
    let (visits, names) = match blocking(move || {
        audit_view(&app2, &s2, "console.visits", day.to_string())?;
        // A nurse: her own visits and her patients' (`reach.rs`).
        let reach = reach_of(&app2, &s2)?;
        let mut visits = data::visits_of_day(&app2, day)?;
        visits.retain(|v| reach.visit(&v.row));
        let names: HashMap<String, String> =
            app2.db.read(|c, _| staff::all(c))?.into_iter().map(|s| (s.staff_id, s.name)).collect();
        Ok((visits, names))
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
            Some("valid") => v.standing() == Standing::Valid,
            Some("attention") => v.needs_attention(),
            Some("waiting") => v.result.is_none(),
            _ => true,
        })
        .collect();
    let staff: std::collections::BTreeSet<&str> =
        visits.iter().map(|v| v.row.staff_id.as_str()).collect();
    let facilities: std::collections::BTreeSet<&str> =
        visits.iter().filter_map(|v| v.facility.as_deref()).collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let selected = |key: &str, value: &str| q.get(key).is_some_and(|v| v == value);
    render(
        &session,
        "/console/visits",
        &format!("訪問結果 {day}"),
        html! {
            form.no-print method="get" action="/console/visits" {
                label style="display:inline-block" { "日付 " input type="date" name="day" value=(day); }
                label style="display:inline-block" { " 職員 " select name="staff" {
                    option value="" { "すべて" }
                    @for s in &staff { option value=(s) selected[selected("staff", s)] { (name_of(s)) } }
                } }
                label style="display:inline-block" { " 施設 " select name="facility" {
                    option value="" { "すべて" }
                    @for f in &facilities { option value=(f) selected[selected("facility", f)] { (f) } }
                } }
                label style="display:inline-block" { " 状態 " select name="status" {
                    option value="" { "すべて" }
                    option value="valid" selected[selected("status", "valid")] { "資格 有効" }
                    option value="attention" selected[selected("status", "attention")] { "要確認(有効でない・カード確認待ち)" }
                    option value="waiting" selected[selected("status", "waiting")] { "照会待ち・照会なし" }
                    option value="held" selected[selected("status", "held")] { "別のカード(確認待ち)" }
                } }
                " " button type="submit" { "表示" }
            }
            p { (shown.len()) " 件"
                span.no-print { " ・ " a href={ "/console/export.csv?day=" (day) } { "CSV(Shift_JIS)" } " ・ " a href={ "/console/export.csv?encoding=utf-8&day=" (day) } { "CSV(UTF-8)" }
                " ・ 印刷するとA4の一覧になります" } }
            table {
                thead { tr { th { "時刻" } th { "患者(番号・年齢)" } th { "職員・端末" } th { "本人確認" } th { "同意" } th { "資格確認の結果" } th { "状態" } } }
                tbody {
                    @for v in &shown {
                        @let (answer, at, _) = v.eligibility();
                        tr.attention[v.needs_attention()] {
                            td { a href={ "/console/visits/" (v.row.id) } { (when(v.row.visited_at)) } }
                            td { (v.patient_label()) @if let Some(f) = &v.facility { br; span.muted { (f) } } }
                            td { (name_of(&v.row.staff_id)) br; span.muted { "端末 " (v.row.device_id) } }
                            td { (v.identity()) }
                            td { (v.consent()) }
                            td { span class=(v.standing().class()) { (answer) } @if let Some(t) = at { br; span.muted { (when(t)) " 確認" } } }
                            td { span.badge.bad[v.row.status == "held"] title=(v.row.held_reason.clone().unwrap_or_default()) { (status_label(v)) }
                                 @for w in &v.row.warnings { br; span.muted title=(w) { (words::warning(w)) } } }
                        }
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
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (app2, s2, id2) = (app.clone(), session.clone(), id.clone());
    let may_update = allowed(session.staff.role, Perm::ManagePatients);
    let found = blocking(move || {
        let reach = reach_of(&app2, &s2)?;
        let found = data::visit(&app2, &id2)?;
        if found.as_ref().is_some_and(|v| !reach.visit(&v.row)) {
            audit_refusal(&app2, &s2, "console.visit", id2, "not this staff member's patient")?;
            return Ok(Err(()));
        }
        audit_view(&app2, &s2, "console.visit", id2.clone())?;
        let answer = answer::of_visit(&app2, &id2)?;
        Ok(Ok(found.map(|v| (v, answer))))
    })
    .await;
    let (v, answer) = match found {
        Ok(Ok(Some(v))) => v,
        Ok(Ok(None)) => {
            return bad_request_back(
                &session,
                "この訪問記録はありません。",
                "/console/visits",
                "訪問結果",
            )
        }
        Ok(Err(())) => {
            return crate::console::layout::forbidden(
                &session,
                "担当の患者の訪問ではないため表示できません。",
            )
        }
        Err(r) => return r,
    };
    let (answer_text, at, _) = v.eligibility();
    let day = v.row.visited_at.with_timezone(&houmon_core::card::cert::jst()).date_naive();
    render(
        &session,
        "/console/visits",
        "訪問の詳細",
        html! {
            (notice(&q))
            table {
                tr { th { "訪問日時(サーバーが確認した時刻)" } td { (when(v.row.visited_at)) } }
                tr { th { "受信" } td { (when(v.row.received_at)) } }
                tr { th { "患者(番号・年齢)" } td { (v.patient_label())
                    @if let (Some(pid), true) = (&v.row.patient_id, may_update) { " " a href={ "/console/patients/" (pid) } { "患者の画面" } } } }
                tr { th { "職員・端末" } td { (v.row.staff_id) " / 端末 " (v.row.device_id) } }
                tr { th { "本人確認" } td { (v.identity()) } }
                tr { th { "提示された書類" } td { "マイナ保険証(ICチップ読み取り)" } }
                tr { th { "同意" } td { (v.consent()) } }
                tr.attention[v.needs_attention()] { th { "資格確認の結果" } td { span class=(v.standing().class()) { (answer_text) } @if let Some(t) = at { " " span.muted { (when(t)) } } } }
                tr { th { "状態" } td { (status_label(&v)) @if let Some(h) = &v.row.held_reason { "(" span title=(h) { (words::held_reason(h)) } ")" } } }
                tr { th { "注意" } td { @if v.row.warnings.is_empty() { "なし" } @for w in &v.row.warnings { div title=(w) { (words::warning(w)) } } } }
            }
            @if let Some((patient, a)) = &answer {
                (answer_section(&session, &v, patient, a, may_update))
            }
            details.no-print {
                summary { "技術情報(問い合わせのとき)" }
                table {
                    tr { th { "記録番号" } td { code { (v.row.id) } } }
                    tr { th { "カード(電子証明書のSHA-256)" } td { code { (v.row.card_fingerprint) } } }
                }
            }
            p { a href={ "/console/visits?day=" (day) } { "一覧に戻る" } }
        },
    )
}

fn wari(w: Option<u8>) -> String {
    w.map_or_else(|| "回答なし".into(), |w| format!("{w}割"))
}

/// The terminal's whole answer beside the registration, the differences
/// marked, and the one step that updates the registration from it.
fn answer_section(
    session: &Session,
    v: &VisitView,
    patient: &patients::Patient,
    a: &answer::Answer,
    may_update: bool,
) -> maud::Markup {
    let rows = answer::compare(patient, a);
    let differs = rows.iter().filter(|r| r.differs).count();
    html! {
        h2 { "資格確認端末の回答" }
        table.answer {
            tr { th { "保険者名" } td { (a.insurer_name.clone().unwrap_or_else(|| "回答なし".into())) } }
            tr { th { "負担割合" } td { (wari(a.share_wari)) } }
            tr { th { "高齢受給者の負担割合" } td { @if a.elderly_share_wari.is_some() { (wari(a.elderly_share_wari)) } @else { "該当なし(回答なし)" } } }
            tr { th { "限度額適用区分" } td { (a.limit_category.clone().unwrap_or_else(|| "回答なし".into())) } }
            tr { th { "情報提供の同意" } td {
                @if a.consent_flags.is_empty() { "回答なし" }
                @for f in &a.consent_flags { div title=(f.name) { (words::consent_flag(&f.name)) ": " (f.label_ja()) } }
            } }
            tr { th { "端末からのお知らせ" } td { (a.notice.clone().unwrap_or_else(|| "なし".into())) } }
        }
        h2 { "登録内容との比較" }
        @if differs == 0 {
            p.ok { "登録内容は資格確認端末の回答と一致しています。" }
        } @else {
            p.error { (differs) "か所が登録内容と違います(色のついた行)。" }
        }
        table.compare {
            thead { tr { th { "項目" } th { "登録内容" } th { "資格確認端末の回答" } th { "" } } }
            tbody {
                @for r in &rows {
                    tr.diff[r.differs] {
                        th { (r.label) }
                        td { (r.registered) }
                        td { @match &r.answered { Some(x) => (x), None => span.muted { "回答に含まれていません" } } }
                        td { @if r.differs { span.badge.bad { "違い" } } }
                    }
                }
            }
        }
        @if may_update && differs > 0 {
            form.no-print method="post" action={ "/console/visits/" (v.row.id) "/update-patient" } {
                (csrf(session))
                p.muted { "登録内容を端末の回答に合わせます(監査ログに残ります。元に戻すには患者の画面で編集してください)。" }
                button type="submit" { "この内容で患者情報を更新" }
            }
        }
    }
}

/// 「この内容で患者情報を更新」: the patient's registration from the
/// terminal's answer to this visit's check (`answer.rs`, audited).
pub async fn update_patient(
    State(app): State<Arc<App>>,

    Path(id): Path<String>,
    Posted(session, _form, _): Posted<perm::ManagePatients>,
) -> Response {
    let (staff, id2) = (session.staff.clone(), id.clone());
    match blocking(move || answer::update_patient(&app, &staff, &id2)).await {
        Ok(Ok(_)) => redirect(&format!("/console/visits/{id}?done=updated-from-answer")),
        Ok(Err(why)) => {
            bad_request_back(&session, why, &format!("/console/visits/{id}"), "訪問の詳細")
        }
        Err(r) => r,
    }
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
    let day = match day_of(&session, &q, "/console/visits") {
        Ok(d) => d,
        Err(r) => return r,
    };
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
