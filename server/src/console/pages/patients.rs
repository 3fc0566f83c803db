// SPDX-License-Identifier: MPL-2.0
//! 患者: the list, import from a レセコン's CSV (all rows or none), a
//! patient's page with the enrolled card, the consent and the nurses the
//! patient is given to (the care team), and editing.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use houmon_core::protocol::InsuranceNumbers;
use maud::html;

use crate::admin::{self, PatientSeed};
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted};
use crate::console::layout::{bad_request, csrf, redirect, render, when, FormData};
use crate::console::{audit_view, blocking};
use crate::db::staff::{self, Role};
use crate::db::{care_team, patients};

/// The CSV columns: English names, or the Japanese ones a レセコン writes
/// (docs/console.md). Header row required; UTF-8 (with or without BOM) or
/// Shift_JIS.
pub const COLUMNS: [(&str, &str); 10] = [
    ("patient_id", "患者ID"),
    ("name", "氏名"),
    ("kana", "カナ"),
    ("birth_date", "生年月日"),
    ("address", "住所"),
    ("insurer_number", "保険者番号"),
    ("symbol", "記号"),
    ("number", "番号"),
    ("branch", "枝番"),
    ("facility", "施設"),
];

fn date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
        .ok()
}

/// Parses the CSV; an error names the line and the column.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<PatientSeed>, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
            if bad {
                return Err(
                    "文字コードが読めません。UTF-8 か Shift_JIS で保存してください。".into()
                );
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("1行目(見出し)が読めません: {e}"))?.clone();
    let index =
        |col: (&str, &str)| headers.iter().position(|h| h.trim() == col.0 || h.trim() == col.1);
    let idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(*c)).collect();
    for (i, required) in [(0, "患者ID"), (1, "氏名"), (3, "生年月日"), (4, "住所")] {
        if idx[i].is_none() {
            return Err(format!("見出しに「{required}」({})の列がありません。", COLUMNS[i].0));
        }
    }
    let mut out = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| format!("{line}行目が読めません: {e}"))?;
        let get = |i: usize| {
            idx[i].and_then(|j| rec.get(j)).map(str::trim).unwrap_or_default().to_owned()
        };
        let birth = date(&get(3)).ok_or_else(|| {
            format!("{line}行目: 生年月日「{}」は YYYY-MM-DD で書いてください", get(3))
        })?;
        let insurer = get(5);
        let insurance = if insurer.is_empty() {
            None
        } else {
            if insurer.len() != 6 && insurer.len() != 8
                || !insurer.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(format!("{line}行目: 保険者番号「{insurer}」は6桁か8桁の数字です"));
            }
            if get(7).is_empty() {
                return Err(format!("{line}行目: 保険者番号があるのに番号がありません"));
            }
            Some(InsuranceNumbers {
                insurer_number: insurer,
                symbol: get(6),
                number: get(7),
                branch: get(8),
            })
        };
        let seed = PatientSeed {
            patient_id: get(0),
            name: get(1),
            kana: get(2),
            address: get(4),
            birth_date: birth,
            insurance,
            facility: Some(get(9)).filter(|f| !f.is_empty()),
            unit: None,
        };
        if !crate::validate::is_id(&seed.patient_id) {
            return Err(format!(
                "{line}行目: 患者ID「{}」は英数字と - _ . で64文字までです",
                seed.patient_id
            ));
        }
        if seed.name.is_empty() {
            return Err(format!("{line}行目: 氏名がありません"));
        }
        out.push(seed);
    }
    if out.is_empty() {
        return Err("患者の行がありません。".into());
    }
    Ok(out)
}

pub async fn list(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManagePatients>,
) -> Response {
    let (app2, s2) = (app.clone(), session.clone());
    let all = match blocking(move || {
        audit_view(&app2, &s2, "console.patients", String::new())?;
        app2.db.read(patients::all)
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(
        &session,
        "/console/patients",
        "患者",
        html! {
            h2 { "CSVから取り込む" }
            p.muted { "レセコンから出力したCSV(見出し行つき、UTF-8 または Shift_JIS)。列: "
                @for (i, (en, ja)) in COLUMNS.iter().enumerate() { @if i > 0 { "、" } (ja) "(" (en) ")" }
                "。すべての行が正しいときだけ取り込みます(1行でも誤りがあれば何も変えません)。" }
            form method="post" action="/console/patients/import" enctype="multipart/form-data" {
                (csrf(&session))
                input type="file" name="file" accept=".csv,text/csv" required;
                " " button type="submit" { "取り込む" }
            }
            h2 { "患者一覧(" (all.len()) "名)" }
            table {
                tr { th { "患者ID" } th { "氏名" } th { "生年月日" } th { "施設" } th { "被保険者番号" } th { "カード" } th { "同意" } }
                @for p in &all {
                    tr {
                        td { a href={ "/console/patients/" (p.patient_id) } { (p.patient_id) } }
                        td { (p.personal.name) @if !p.personal.kana.is_empty() { br; span.muted { (p.personal.kana) } } }
                        td { (p.personal.birth_date) }
                        td { (p.facility.clone().unwrap_or_default()) }
                        td { @if p.personal.insurance.is_some() { span.badge.ok { "登録済み" } } @else { span.badge.warn { "未登録" } } }
                        td { @if p.enrolled_cert.is_some() { "登録済み" } @else { "-" } }
                        td { (p.consent_until.map(|d| format!("{d} まで")).unwrap_or_else(|| "-".into())) }
                    }
                }
            }
        },
    )
}

pub async fn import(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManagePatients>,
    mut multipart: Multipart,
) -> Response {
    let mut fields = Vec::new();
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        match field.bytes().await {
            Ok(b) if name == "file" => file = Some(b),
            Ok(b) => fields.push((name, String::from_utf8_lossy(&b).into_owned())),
            Err(_) => {
                return bad_request(
                    &session,
                    "ファイルを受け取れませんでした(大きすぎる可能性があります)。",
                )
            }
        }
    }
    if let Err(r) = session.check_csrf(&FormData::from_pairs(fields)) {
        return r;
    }
    let Some(file) = file else {
        return bad_request(&session, "CSVファイルを選んでください。");
    };
    let seeds = match parse_csv(&file) {
        Ok(s) => s,
        Err(m) => return bad_request(&session, &m),
    };
    let actor = session.actor();
    match tokio::task::spawn_blocking(move || admin::import_patients(&app, &actor, &seeds)).await {
        Ok(Ok(_)) => redirect("/console/patients"),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}

pub async fn detail(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManagePatients>,
    Path(id): Path<String>,
) -> Response {
    let (app2, s2, id2) = (app.clone(), session.clone(), id.clone());
    let (p, team, nurses) = match blocking(move || {
        audit_view(&app2, &s2, "console.patient", id2.clone())?;
        app2.db.read(|c, s| {
            let nurses: Vec<_> = staff::all(c)?
                .into_iter()
                .filter(|st| st.role == Role::Nurse && !st.disabled)
                .collect();
            Ok((patients::get(c, s, &id2)?, care_team::of_patient(c, &id2)?, nurses))
        })
    })
    .await
    {
        Ok((Some(p), team, nurses)) => (p, team, nurses),
        Ok((None, _, _)) => return bad_request(&session, "この患者は登録されていません。"),
        Err(r) => return r,
    };
    let ins = p.personal.insurance.clone();
    render(
        &session,
        "/console/patients",
        &format!("患者: {}", p.personal.name),
        html! {
            h2 { "カードと同意" }
            table {
                tr { th { "登録済みのカード(電子証明書のSHA-256)" } td { @if let Some(fp) = &p.enrolled_cert { code { (fp) } } @else { "未登録(暗証番号での本人確認が受け付けられると登録されます)" } } }
                tr { th { "カードの登録日時" } td { (p.enrolled_at.map(when).unwrap_or_else(|| "-".into())) } }
                tr { th { "登録した訪問" } td { @if let Some(v) = &p.enrolled_by_visit { a href={ "/console/visits/" (v) } { (v) } } @else { "-" } } }
                tr { th { "情報提供の同意" } td { (p.consent_until.map(|d| format!("{d} まで(以後は毎月の訪問が続く間)")).unwrap_or_else(|| "記録なし".into())) } }
                tr { th { "初回の訪問" } td { (p.first_visit_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into())) } }
            }
            h2 { "担当の看護師" }
            p.muted { "看護師は、担当の患者だけを自分の訪問予定に入れられ、その患者の訪問結果だけを見られます。" }
            form method="post" action={ "/console/patients/" (p.patient_id) "/team" } {
                (csrf(&session))
                @if nurses.is_empty() { p.muted { "看護師が登録されていません。" } }
                @for n in &nurses {
                    label { input type="checkbox" name="staff" value=(n.staff_id) checked[team.contains(&n.staff_id)]; " " (n.name) " " span.muted { (n.staff_id) } }
                }
                button type="submit" { "担当を保存" }
            }
            h2 { "登録内容の変更" }
            form method="post" action={ "/console/patients/" (p.patient_id) } {
                (csrf(&session))
                label { "氏名" input name="name" value=(p.personal.name) required; }
                label { "カナ" input name="kana" value=(p.personal.kana); }
                label { "生年月日" input type="date" name="birth_date" value=(p.personal.birth_date) required; }
                label { "住所" input name="address" value=(p.personal.address) size="60"; }
                label { "施設" input name="facility" value=(p.facility.clone().unwrap_or_default()); }
                label { "保険者番号" input name="insurer_number" value=(ins.as_ref().map(|i| i.insurer_number.clone()).unwrap_or_default()) inputmode="numeric"; }
                label { "記号" input name="symbol" value=(ins.as_ref().map(|i| i.symbol.clone()).unwrap_or_default()); }
                label { "番号" input name="number" value=(ins.as_ref().map(|i| i.number.clone()).unwrap_or_default()); }
                label { "枝番" input name="branch" value=(ins.as_ref().map(|i| i.branch.clone()).unwrap_or_default()); }
                button type="submit" { "保存" }
            }
        },
    )
}

pub async fn save(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Posted(session, form, _): Posted<perm::ManagePatients>,
) -> Response {
    let f = |k: &str| form.get(k).unwrap_or_default().trim().to_owned();
    let mut csv = String::from(
        "patient_id,name,kana,birth_date,address,insurer_number,symbol,number,branch,facility\n",
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        id.clone(),
        f("name"),
        f("kana"),
        f("birth_date"),
        f("address"),
        f("insurer_number"),
        f("symbol"),
        f("number"),
        f("branch"),
        f("facility"),
    ]);
    csv.push_str(&String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default());
    let seeds = match parse_csv(csv.as_bytes()) {
        Ok(s) => s,
        Err(m) => return bad_request(&session, &m.replace("2行目: ", "")),
    };
    let actor = session.actor();
    match tokio::task::spawn_blocking(move || admin::add_patient(&app, &actor, &seeds[0])).await {
        Ok(Ok(())) => redirect(&format!("/console/patients/{id}")),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}

/// The nurses the clinic gives this patient to (the care team).
pub async fn team(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Posted(session, form, _): Posted<perm::ManagePatients>,
) -> Response {
    let team: std::collections::BTreeSet<String> =
        form.all("staff").into_iter().map(str::to_owned).collect();
    let actor = session.actor();
    let id2 = id.clone();
    match tokio::task::spawn_blocking(move || admin::set_care_team(&app, &actor, &id2, &team)).await
    {
        Ok(Ok(())) => redirect(&format!("/console/patients/{id}")),
        Ok(Err(admin::AdminError::Invalid(m))) => bad_request(&session, &m),
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
