// SPDX-License-Identifier: MPL-2.0
//! 監査ログ (管理者のみ, read-only), in Japanese: who did what to whom
//! and when — logins, logouts and time-outs with how long the session was
//! used, every patient or visit page opened and every export — filtered by
//! 操作 (in words), by patient, by staff member, by day and by a keyword;
//! the chain's state at the top; the same rows as a CSV for the clinic's
//! own review (`/console/audit.csv`, itself an audit entry). The codes
//! stay in tooltips and in the CSV's code columns.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::app::App;
use crate::console::access::perm;
use crate::console::auth::Can;
use crate::console::layout::{bad_request_back, render, when};
use crate::console::spreadsheet::Sheet;
use crate::console::{audit_view, blocking, dates, words};
use crate::db::audit::{self, Chain, Filter, Row};
use crate::db::{patients, staff, visits};

/// How many entries the page shows (the CSV takes up to [`EXPORT_MAX`]).
const SHOWN: usize = 500;
const EXPORT_MAX: usize = 100_000;

/// The filters, as the form sends them.
#[derive(Debug, Clone, Default)]
struct Wanted {
    action: String,
    staff: String,
    patient: String,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    keyword: String,
}

impl Wanted {
    fn of(q: &HashMap<String, String>) -> Result<Wanted, String> {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        Ok(Wanted {
            action: get("action"),
            staff: get("staff"),
            patient: get("patient"),
            from: dates::parse_day(q.get("from").map(String::as_str))?,
            to: dates::parse_day(q.get("to").map(String::as_str))?,
            keyword: get("q"),
        })
    }

    fn query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("action", self.action.clone()),
            ("staff", self.staff.clone()),
            ("patient", self.patient.clone()),
            ("from", self.from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", self.to.map(|d| d.to_string()).unwrap_or_default()),
            ("q", self.keyword.clone()),
        ] {
            if !v.is_empty() {
                s.append_pair(k, &v);
            }
        }
        s.finish()
    }
}

/// An entry in words.
struct Line {
    row: Row,
    who: String,
    what: &'static str,
    target: String,
    outcome: String,
    used: Option<String>,
}

/// `duration_s=N` in a detail, as minutes and seconds.
fn used(detail: &str) -> Option<String> {
    let s: i64 =
        detail.split_whitespace().find_map(|w| w.strip_prefix("duration_s="))?.parse().ok()?;
    Some(if s >= 3600 {
        format!("{}時間{}分", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}分{}秒", s / 60, s % 60)
    })
}

/// Reads the trail as the filters ask, put in words.
fn lines(app: &App, w: &Wanted, limit: usize) -> crate::db::DbResult<Vec<Line>> {
    let (staff_all, patients_all) =
        app.db.read(|c, s| Ok((staff::all(c)?, patients::all(c, s)?)))?;
    let staff_name = |id: &str| staff_all.iter().find(|s| s.staff_id == id).map(|s| s.name.clone());
    let patient_label = |id: &str| {
        patients_all
            .iter()
            .find(|p| p.patient_id == id)
            .map(|p| format!("{}({})", p.personal.name, p.patient_id))
    };
    // A patient asked for by name or number: their ids.
    let wanted_patients: Vec<String> = if w.patient.is_empty() {
        Vec::new()
    } else {
        patients_all
            .iter()
            .filter(|p| super::patients::matches(p, &w.patient))
            .map(|p| p.patient_id.clone())
            .collect()
    };
    let f = Filter {
        action_prefix: Some(w.action.clone()).filter(|a| !a.is_empty()),
        actor_contains: None,
        since: w.from.map(|d| crate::console::data::day_bounds(d).0),
        limit: EXPORT_MAX,
    };
    let rows = app.db.read(|c, _| audit::list(c, &f))?;
    let mut visit_patient: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= limit {
            break;
        }
        if let Some(to) = w.to {
            if row.at > crate::console::data::day_bounds(to).1 {
                continue;
            }
        }
        if !w.staff.is_empty()
            && row.staff_id.as_deref() != Some(w.staff.as_str())
            && row.actor != format!("staff:{}", w.staff)
        {
            continue;
        }
        // What the entry is about: a patient (by id), a visit (its patient),
        // a device.
        let target = row.target.clone().unwrap_or_default();
        let mut about: Option<String> = target
            .split(|c: char| c.is_whitespace() || c == ':' || c == '/')
            .find(|t| patients_all.iter().any(|p| p.patient_id == *t))
            .map(str::to_owned);
        if about.is_none() && (row.action == "console.visit" || row.action == "followup.resolve") {
            let key = target.split_whitespace().last().unwrap_or_default().to_owned();
            let pid = match visit_patient.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p = app.db.read(|c, _| visits::get(c, &key))?.and_then(|v| v.patient_id);
                    visit_patient.insert(key.clone(), p.clone());
                    p
                }
            };
            about = pid;
        }
        if !w.patient.is_empty() && !about.as_ref().is_some_and(|a| wanted_patients.contains(a)) {
            continue;
        }
        let target_words = match (&about, row.action.as_str()) {
            (Some(pid), "console.visit") => {
                format!("訪問({})", patient_label(pid).unwrap_or_default())
            }
            (Some(pid), _) => patient_label(pid).unwrap_or_else(|| pid.clone()),
            (None, a) if a.starts_with("device.") || a == "token.rotate" => {
                if target.is_empty() {
                    String::new()
                } else {
                    format!("端末 {}", target.split_whitespace().next().unwrap_or_default())
                }
            }
            (None, a) if a.starts_with("staff.") => {
                staff_name(&target).map_or(target.clone(), |n| format!("{n}({target})"))
            }
            (None, "console.visits" | "console.today" | "console.rounds" | "console.export") => {
                format!("{}の一覧", target.split_whitespace().next().unwrap_or_default())
            }
            (None, "console.login") if row.outcome != "ok" => format!("職員ID「{target}」"),
            _ => String::new(),
        };
        let line = Line {
            who: words::actor(&row.actor, |id| staff_name(id)),
            what: words::action(&row.action),
            target: target_words,
            outcome: words::outcome(&row.outcome),
            used: used(&row.detail),
            row,
        };
        if !w.keyword.is_empty() {
            let k = &w.keyword;
            let hit = [line.who.as_str(), line.what, line.target.as_str(), line.outcome.as_str()]
                .iter()
                .any(|t| t.contains(k.as_str()));
            if !hit {
                continue;
            }
        }
        out.push(line);
    }
    Ok(out)
}

pub async fn page(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ViewAudit>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let w = match Wanted::of(&q) {
        Ok(w) => w,
        Err(why) => {
            return bad_request_back(
                &session,
                &format!("期間の日付が正しくありません: {why}"),
                "/console/audit",
                "監査ログ",
            )
        }
    };
    let (app2, s2, w2) = (app.clone(), session.clone(), w.clone());
    let (lines, chain, all_staff) = match blocking(move || {
        crate::console::auth::record_timeouts(&app2)?;
        audit_view(&app2, &s2, "console.audit", w2.query())?;
        let lines = lines(&app2, &w2, SHOWN)?;
        Ok((lines, crate::admin::verify_audit(&app2)?, app2.db.read(|c, _| staff::all(c))?))
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let query = w.query();
    render(
        &session,
        "/console/audit",
        "監査ログ",
        html! {
            p {
                @match chain {
                    Chain::Intact { entries, head } => { span.badge.ok { "改ざんなし" } " " (entries) " 件、先頭 " code title="記録の鎖の先頭(ハッシュ)" { (head.chars().take(16).collect::<String>()) } "…(毎日控えてください)" }
                    Chain::BrokenAt { seq } => { span.badge.bad { "改ざんを検出" } " " (seq) " 番の記録から鎖がつながりません。管理者はすぐにバックアップと照合してください。" }
                    Chain::TailMissing { anchored, .. } => { span.badge.bad { "最新の記録が消されています" } " 記録は " (anchored) " 番まであったはずですが、その記録がありません(削除、または差し替え)。管理者はすぐにバックアップと照合してください。" }
                }
            }
            form.no-print method="get" action="/console/audit" {
                label style="display:inline-block" { "操作 " select name="action" {
                    option value="" { "すべての操作" }
                    @for (code, label) in words::ACTIONS { option value=(code) selected[w.action == *code] { (label) } }
                } }
                label style="display:inline-block" { " 職員 " select name="staff" {
                    option value="" { "すべての職員" }
                    @for s in &all_staff { option value=(s.staff_id) selected[w.staff == s.staff_id] { (s.name) } }
                } }
                label style="display:inline-block" { " 患者(氏名・番号) " input type="search" name="patient" value=(w.patient) size="12"; }
                label style="display:inline-block" { " 期間 " input type="date" name="from" value=(w.from.map(|d| d.to_string()).unwrap_or_default()); " 〜 " input type="date" name="to" value=(w.to.map(|d| d.to_string()).unwrap_or_default()); }
                label style="display:inline-block" { " キーワード " input type="search" name="q" value=(w.keyword) placeholder="例: 拒否、閲覧" size="10"; }
                " " button type="submit" { "絞り込む" }
                " " a href="/console/audit" { "条件を消す" }
            }
            p { (lines.len()) " 件" @if lines.len() >= SHOWN { "(新しい順に" (SHOWN) "件まで。すべてはCSVで)" }
                " ・ " a href={ "/console/audit.csv" @if !query.is_empty() { "?" (query) } } { "この条件でCSV出力" } }
            table {
                thead { tr { th { "日時" } th { "操作した人" } th { "操作" } th { "対象" } th { "結果" } th { "利用時間" } th { "詳細" } } }
                tbody {
                @for l in &lines {
                    tr.attention[l.row.outcome.starts_with("refused:")] {
                        td { (when(l.row.at)) }
                        td { (l.who) }
                        td title=(l.row.action) { (l.what) }
                        td { (l.target) }
                        td title=(l.row.outcome) { (l.outcome) }
                        td { (l.used.clone().unwrap_or_default()) }
                        td { details { summary { "#" (l.row.seq) } span.muted { (l.row.action) " " (l.row.target.clone().unwrap_or_default()) " " (l.row.outcome) " " (l.row.detail) } } }
                    }
                }
                }
            }
        },
    )
}

/// The columns of the audit export.
pub const CSV_COLUMNS: [&str; 11] = [
    "番号",
    "日時",
    "操作した人",
    "操作",
    "対象",
    "結果",
    "利用時間",
    "操作コード",
    "対象コード",
    "結果コード",
    "詳細",
];

pub async fn export(
    State(app): State<Arc<App>>,
    Can(session, _): Can<perm::ViewAudit>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let w = match Wanted::of(&q) {
        Ok(w) => w,
        Err(why) => {
            return bad_request_back(
                &session,
                &format!("期間の日付が正しくありません: {why}"),
                "/console/audit",
                "監査ログ",
            )
        }
    };
    let (app2, s2, w2) = (app.clone(), session.clone(), w.clone());
    let lines = match blocking(move || {
        audit_view(&app2, &s2, "console.audit-export", w2.query())?;
        lines(&app2, &w2, EXPORT_MAX)
    })
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut sheet = Sheet::new(&CSV_COLUMNS);
    for l in &lines {
        let cells = [
            l.row.seq.to_string(),
            when(l.row.at),
            l.who.clone(),
            l.what.to_owned(),
            l.target.clone(),
            l.outcome.clone(),
            l.used.clone().unwrap_or_default(),
            l.row.action.clone(),
            l.row.target.clone().unwrap_or_default(),
            l.row.outcome.clone(),
            l.row.detail.clone(),
        ];
        sheet.row(cells.iter().map(String::as_str));
    }
    let text = format!("\u{feff}{}", sheet.finish());
    let day = crate::console::layout::today();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"houmon-audit-{day}.csv\""),
            ),
        ],
        text,
    )
        .into_response()
}
