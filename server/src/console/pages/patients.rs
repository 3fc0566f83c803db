// SPDX-License-Identifier: MPL-2.0
//! 患者: the list, import from a レセコン's CSV (all rows or none), a
//! patient's page with the enrolled card, the consent and the nurses the
//! patient is given to (the care team), and editing.

use std::sync::Arc;

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use houmon_core::protocol::InsuranceNumbers;
use maud::html;

use crate::admin::{self, PatientSeed};
use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::{Can, Posted, Session};
use crate::console::layout::{
    bad_request_back, csrf, notice, redirect, render, today, when, FormData,
};
use crate::console::{audit_view, blocking, dates};
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

/// One patient's fields as typed or imported: `Ok` the seed, `Err` what
/// is wrong with each field (in Japanese, without the line).
pub fn seed_of(get: impl Fn(usize) -> String) -> Result<PatientSeed, Vec<String>> {
    let mut errors = Vec::new();
    let patient_id = get(0);
    if !crate::validate::is_id(&patient_id) {
        errors.push(format!("患者ID「{patient_id}」は英数字と - _ . で64文字までです"));
    }
    let name = get(1);
    if name.is_empty() {
        errors.push("氏名がありません".to_owned());
    } else if name.chars().any(char::is_control) {
        errors.push("氏名に使えない文字があります".to_owned());
    }
    let birth = match dates::parse(&get(3)) {
        Ok(d) => Some(d),
        Err(why) if get(3).is_empty() => {
            errors.push(format!("生年月日がありません({why})"));
            None
        }
        Err(why) => {
            errors.push(format!("生年月日: {why}"));
            None
        }
    };
    let insurer_typed = get(5);
    let insurance = if insurer_typed.is_empty() {
        None
    } else {
        let insurer = dates::digits(&insurer_typed).filter(|d| d.len() == 6 || d.len() == 8);
        let number = dates::half_width(&get(7)).trim().to_owned();
        if insurer.is_none() {
            errors.push(format!("保険者番号「{insurer_typed}」は6桁か8桁の数字です"));
        }
        if number.is_empty() {
            errors.push("保険者番号があるのに番号がありません".to_owned());
        }
        insurer.map(|insurer_number| InsuranceNumbers {
            insurer_number,
            symbol: get(6),
            number,
            branch: dates::half_width(&get(8)).trim().to_owned(),
        })
    };
    match birth {
        Some(birth_date) if errors.is_empty() => Ok(PatientSeed {
            patient_id,
            name,
            kana: get(2),
            address: get(4),
            birth_date,
            insurance,
            facility: Some(get(9)).filter(|f| !f.is_empty()),
            unit: None,
        }),
        _ => Err(errors),
    }
}

/// Parses the CSV: every patient, or every bad line with its line number
/// and what is wrong (nothing is imported unless all are right).
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<PatientSeed>, Vec<String>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
            if bad {
                return Err(vec![
                    "文字コードが読めません。UTF-8 か Shift_JIS で保存してください。".into(),
                ]);
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec!["1行目(見出し)が読めません。".into()]),
    };
    let index =
        |col: (&str, &str)| headers.iter().position(|h| h.trim() == col.0 || h.trim() == col.1);
    let idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(*c)).collect();
    let mut errors = Vec::new();
    for (i, required) in [(0, "患者ID"), (1, "氏名"), (3, "生年月日"), (4, "住所")] {
        if idx[i].is_none() {
            errors.push(format!("1行目: 見出しに「{required}」の列がありません"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let Ok(rec) = rec else {
            errors.push(format!("{line}行目: 読めません(引用符 \" の閉じ忘れなど)"));
            continue;
        };
        if rec.len() != headers.len() {
            errors.push(format!(
                "{line}行目: 列の数が {} です(見出しは {} 列)",
                rec.len(),
                headers.len()
            ));
            continue;
        }
        let get = |i: usize| {
            idx[i].and_then(|j| rec.get(j)).map(str::trim).unwrap_or_default().to_owned()
        };
        match seed_of(get) {
            Ok(seed) => {
                if let Some(first) = seen.insert(seed.patient_id.clone(), line) {
                    errors.push(format!(
                        "{line}行目: 患者ID「{}」は{first}行目と同じです",
                        seed.patient_id
                    ));
                }
                out.push(seed);
            }
            Err(why) => errors.extend(why.into_iter().map(|w| format!("{line}行目: {w}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(vec!["患者の行がありません。".into()]);
    }
    Ok(out)
}

/// Whether a patient matches a search (name, kana or number; widths and
/// spaces ignored).
pub fn matches(p: &patients::Patient, query: &str) -> bool {
    let norm = |t: &str| -> String {
        dates::half_width(t)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    let q = norm(query);
    q.is_empty()
        || norm(&p.patient_id).contains(&q)
        || norm(&p.personal.name).contains(&q)
        || norm(&p.personal.kana).contains(&q)
}

pub async fn list(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManagePatients>,
    Query(q): Query<HashMap<String, String>>,
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
    list_page(&session, &all, &q, &[])
}

fn list_page(
    session: &Session,
    all: &[patients::Patient],
    q: &HashMap<String, String>,
    errors: &[String],
) -> Response {
    let search = q.get("q").cloned().unwrap_or_default();
    let shown: Vec<&patients::Patient> = all.iter().filter(|p| matches(p, &search)).collect();
    let today = today();
    let mut r = render(
        session,
        "/console/patients",
        "患者",
        html! {
            (notice(q))
            h2 { "CSVから取り込む" }
            p.muted { "レセコンから出力したCSV(見出し行つき、UTF-8 または Shift_JIS)。列: "
                @for (i, (_, ja)) in COLUMNS.iter().enumerate() { @if i > 0 { "、" } (ja) }
                "。生年月日は 1940-04-01・1940/4/1・昭和15年4月1日 のどれでも、数字は全角でも読めます。すべての行が正しいときだけ取り込みます(1行でも誤りがあれば何も変えません)。" }
            @if !errors.is_empty() {
                div.card role="alert" {
                    p.error { "取り込みませんでした。次の" (errors.len()) "か所を直して、もう一度取り込んでください(患者の情報は何も変わっていません)。" }
                    ul.import-errors { @for e in errors { li { (e) } } }
                }
            }
            form method="post" action="/console/patients/import" enctype="multipart/form-data" {
                (csrf(session))
                input type="file" name="file" accept=".csv,text/csv" required;
                " " button type="submit" { "取り込む" }
            }
            h2 { "患者一覧(" (all.len()) "名)" }
            form method="get" action="/console/patients" {
                label style="display:inline-block" { "氏名・カナ・患者番号で探す " input type="search" name="q" value=(search); }
                " " button.secondary type="submit" { "探す" }
                @if !search.is_empty() { " " a href="/console/patients" { "すべて表示" } }
            }
            @if !search.is_empty() { p.muted { "「" (search) "」: " (shown.len()) "名" } }
            table {
                thead { tr { th { "患者番号" } th { "氏名" } th { "生年月日(年齢)" } th { "施設" } th { "被保険者番号" } th { "カード" } th { "同意" } } }
                tbody {
                    @for p in &shown {
                        tr {
                            td { a href={ "/console/patients/" (p.patient_id) } { (p.patient_id) } }
                            td { a href={ "/console/patients/" (p.patient_id) } { (p.personal.name) } @if !p.personal.kana.is_empty() { br; span.muted { (p.personal.kana) } } }
                            td { (p.personal.birth_date) " (" (dates::age(p.personal.birth_date, today)) "歳)" }
                            td { (p.facility.clone().unwrap_or_default()) }
                            td { @if p.personal.insurance.is_some() { span.badge.ok { "登録済み" } } @else { span.badge.warn { "未登録" } } }
                            td { @if p.enrolled_cert.is_some() { "登録済み" } @else { "-" } }
                            td { (p.consent_until.map(|d| format!("{d} まで")).unwrap_or_else(|| "-".into())) }
                        }
                    }
                }
            }
        },
    );
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
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
                return bad_request_back(
                    &session,
                    "ファイルを受け取れませんでした(大きすぎる可能性があります)。",
                    "/console/patients",
                    "患者",
                )
            }
        }
    }
    if let Err(r) = session.check_csrf(&FormData::from_pairs(fields)) {
        return r;
    }
    let Some(file) = file else {
        return bad_request_back(
            &session,
            "CSVファイルを選んでください。",
            "/console/patients",
            "患者",
        );
    };
    let parsed = parse_csv(&file);
    let actor = session.actor();
    let app2 = app.clone();
    let done = blocking(move || {
        let errors = match parsed {
            Ok(seeds) => match admin::import_patients(&app2, &actor, &seeds) {
                Ok(n) => return Ok(Ok(n)),
                Err(admin::AdminError::Db(e)) => return Err(e),
                Err(e) => vec![e.to_string()],
            },
            Err(errors) => errors,
        };
        Ok(Err((errors, app2.db.read(patients::all)?)))
    })
    .await;
    match done {
        Ok(Ok(n)) => redirect(&format!("/console/patients?done=imported&n={n}")),
        Ok(Err((errors, all))) => list_page(&session, &all, &HashMap::new(), &errors),
        Err(r) => r,
    }
}

/// The edit form's fields, as the patient has them or as they were typed.
struct Typed {
    values: HashMap<&'static str, String>,
}

impl Typed {
    fn of(p: &patients::Patient) -> Typed {
        let ins = p.personal.insurance.clone().unwrap_or(InsuranceNumbers {
            insurer_number: String::new(),
            symbol: String::new(),
            number: String::new(),
            branch: String::new(),
        });
        let values = [
            ("name", p.personal.name.clone()),
            ("kana", p.personal.kana.clone()),
            ("birth_date", p.personal.birth_date.to_string()),
            ("address", p.personal.address.clone()),
            ("facility", p.facility.clone().unwrap_or_default()),
            ("insurer_number", ins.insurer_number),
            ("symbol", ins.symbol),
            ("number", ins.number),
            ("branch", ins.branch),
        ]
        .into_iter()
        .collect();
        Typed { values }
    }

    fn from_form(form: &FormData) -> Typed {
        let mut values = HashMap::new();
        for k in FIELDS {
            values.insert(k, form.get(k).unwrap_or_default().trim().to_owned());
        }
        Typed { values }
    }

    fn get(&self, k: &str) -> &str {
        self.values.get(k).map_or("", String::as_str)
    }
}

const FIELDS: [&str; 9] = [
    "name",
    "kana",
    "birth_date",
    "address",
    "facility",
    "insurer_number",
    "symbol",
    "number",
    "branch",
];

pub async fn detail(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ManagePatients>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    patient_page(app, session, id, q, None).await
}

async fn patient_page(
    app: Arc<App>,
    session: Session,
    id: String,
    q: HashMap<String, String>,
    typed: Option<(Typed, Vec<String>)>,
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
        Ok((None, _, _)) => {
            return bad_request_back(
                &session,
                "この患者は登録されていません。",
                "/console/patients",
                "患者一覧",
            )
        }
        Err(r) => return r,
    };
    let (values, errors) = typed.unwrap_or_else(|| (Typed::of(&p), Vec::new()));
    let age = dates::age(p.personal.birth_date, today());
    let mut r = render(
        &session,
        "/console/patients",
        &format!("患者: {}", p.personal.name),
        html! {
            (notice(&q))
            p { "患者番号 " strong { (p.patient_id) } " ・ " (p.personal.birth_date) "生まれ(" (age) "歳)"
                @if let Some(f) = &p.facility { " ・ " (f) } }
            h2 { "カードと同意" }
            table {
                tr { th { "登録済みのカード" } td { @if let Some(fp) = &p.enrolled_cert { "登録済み " span.muted title={ "電子証明書のSHA-256: " (fp) } { "(証明書の指紋 " (fp.chars().take(8).collect::<String>()) "…)" } } @else { "未登録(暗証番号での本人確認が受け付けられると登録されます)" } } }
                tr { th { "カードの登録日時" } td { (p.enrolled_at.map(when).unwrap_or_else(|| "-".into())) } }
                tr { th { "登録した訪問" } td { @if let Some(v) = &p.enrolled_by_visit { a href={ "/console/visits/" (v) } { "訪問を見る" } } @else { "-" } } }
                tr { th { "情報提供の同意" } td { (p.consent_until.map(|d| format!("{d} まで(以後は毎月の訪問が続く間)")).unwrap_or_else(|| "記録なし".into())) } }
                tr { th { "初回の訪問" } td { (p.first_visit_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into())) } }
            }
            h2 { "担当の看護師" }
            p.muted { "看護師は、担当の患者だけを自分の訪問予定に入れられ、その患者の訪問結果だけを見られます。" }
            form method="post" action={ "/console/patients/" (p.patient_id) "/team" } {
                (csrf(&session))
                @if nurses.is_empty() { p.muted { "看護師が登録されていません。" } }
                @for n in &nurses {
                    label { input type="checkbox" name="staff" value=(n.staff_id) checked[team.contains(&n.staff_id)]; " " (n.name) }
                }
                button type="submit" { "担当を保存" }
            }
            h2 id="edit" { "登録内容の変更" }
            @if !errors.is_empty() {
                div.card role="alert" {
                    p.error { "保存しませんでした。次を直してください(入力した内容は残してあります)。" }
                    ul { @for e in &errors { li { (e) } } }
                }
            }
            form method="post" action={ "/console/patients/" (p.patient_id) } {
                (csrf(&session))
                label { "氏名" input name="name" value=(values.get("name")) required; }
                label { "カナ" input name="kana" value=(values.get("kana")); }
                label { "生年月日(1940-04-01、昭和15年4月1日 など)" input name="birth_date" value=(values.get("birth_date")) required; }
                label { "住所" input name="address" value=(values.get("address")) size="60"; }
                label { "施設" input name="facility" value=(values.get("facility")); }
                label { "保険者番号(6桁か8桁)" input name="insurer_number" value=(values.get("insurer_number")) inputmode="numeric"; }
                label { "記号" input name="symbol" value=(values.get("symbol")); }
                label { "番号" input name="number" value=(values.get("number")); }
                label { "枝番" input name="branch" value=(values.get("branch")) inputmode="numeric"; }
                button type="submit" { "保存" }
            }
        },
    );
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn save(
    State(app): State<Arc<App>>,

    Path(id): Path<String>,
    Posted(session, form, _): Posted<perm::ManagePatients>,
) -> Response {
    let typed = Typed::from_form(&form);
    let columns = [
        "",
        "name",
        "kana",
        "birth_date",
        "address",
        "insurer_number",
        "symbol",
        "number",
        "branch",
        "facility",
    ];
    let seed = seed_of(|i| if i == 0 { id.clone() } else { typed.get(columns[i]).to_owned() });
    let seed = match seed {
        Ok(s) => s,
        Err(errors) => {
            return patient_page(app, session, id, HashMap::new(), Some((typed, errors))).await
        }
    };
    let actor = session.actor();
    let app2 = app.clone();
    match blocking(move || Ok(admin::add_patient(&app2, &actor, &seed))).await {
        Ok(Ok(())) => redirect(&format!("/console/patients/{id}?done=saved")),
        Ok(Err(admin::AdminError::Db(e))) => crate::console::layout::server_error(e),
        Ok(Err(e)) => {
            patient_page(app, session, id, HashMap::new(), Some((typed, vec![e.to_string()]))).await
        }
        Err(r) => r,
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
        Ok(Ok(())) => redirect(&format!("/console/patients/{id}?done=team")),
        Ok(Err(admin::AdminError::Invalid(m))) => {
            bad_request_back(&session, &m, &format!("/console/patients/{id}"), "患者")
        }
        Ok(Err(e)) => crate::console::layout::server_error(e),
        Err(e) => crate::console::layout::server_error(e),
    }
}
