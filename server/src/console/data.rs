// SPDX-License-Identifier: MPL-2.0
//! What the console shows of a visit: from the stored (sealed) record, the
//! patient's sealed data and the terminal's answer, put in words.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use houmon_core::card::cert::jst;
use houmon_core::protocol::{CheckOutcome, EligibilityResult};
use houmon_core::visit::{ConsentScope, ConsentValidity, Evidence, VisitRecord};

use crate::app::App;
use crate::db::{eligibility, patients, visits, DbResult};

/// One visit, ready to show.
#[derive(Debug, Clone)]
pub struct VisitView {
    pub row: visits::Row,
    pub patient_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub facility: Option<String>,
    pub record: Option<VisitRecord>,
    pub result: Option<EligibilityResult>,
    /// A check was queued (the patient's numbers are on file).
    pub checked: bool,
}

/// How a visit's answer stands, for how it is shown: 有効 plainly, an
/// answer that is not 有効 so that it stands out, and waiting neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// 無効, 該当資格なし, 複数該当, or the terminal's error.
    NotValid,
    /// No answer yet, or no check (no numbers on file).
    Waiting,
}

impl Standing {
    /// The badge's class.
    pub fn class(self) -> &'static str {
        match self {
            Standing::Valid => "badge ok",
            Standing::NotValid => "badge bad",
            Standing::Waiting => "badge caution",
        }
    }
}

impl VisitView {
    pub fn standing(&self) -> Standing {
        match self.result.as_ref().map(|r| &r.outcome) {
            Some(CheckOutcome::Answered { eligibility, .. }) => match eligibility {
                houmon_core::protocol::Eligibility::Valid
                | houmon_core::protocol::Eligibility::ValidUnregistered => Standing::Valid,
                _ => Standing::NotValid,
            },
            Some(CheckOutcome::Error { .. }) => Standing::NotValid,
            _ => Standing::Waiting,
        }
    }

    /// Whether the row needs the desk's attention (held, or not 有効).
    pub fn needs_attention(&self) -> bool {
        self.row.status == "held" || self.standing() == Standing::NotValid
    }

    /// The patient's age on the day of the visit.
    pub fn age(&self) -> Option<i32> {
        let day = self.row.visited_at.with_timezone(&jst()).date_naive();
        self.birth_date.map(|b| super::dates::age(b, day))
    }

    /// 「在宅 一郎(k1・80歳)」
    pub fn patient_label(&self) -> String {
        let name = self.patient_name.clone().unwrap_or_else(|| "(患者未登録)".into());
        match (&self.row.patient_id, self.age()) {
            (Some(id), Some(a)) => format!("{name}({id}・{a}歳)"),
            (Some(id), None) => format!("{name}({id})"),
            (None, _) => name,
        }
    }

    pub fn identity(&self) -> String {
        match self.record.as_ref().map(|r| &r.evidence) {
            Some(Evidence::Pin(_)) => "暗証番号(カードの署名を検証済み)".into(),
            Some(Evidence::Visual(v)) => {
                let note = if v.note.is_empty() {
                    String::new()
                } else {
                    format!("、メモ: {}", v.note)
                };
                format!("目視({} が確認。理由: {}{note})", v.checked_by, v.reason.label_ja())
            }
            None => "-".into(),
        }
    }

    /// The identity method in a few words (for lists).
    pub fn identity_short(&self) -> String {
        match self.record.as_ref().map(|r| &r.evidence) {
            Some(Evidence::Pin(_)) => "暗証番号".into(),
            Some(Evidence::Visual(v)) => format!("目視({})", v.checked_by),
            None => "-".into(),
        }
    }

    pub fn consent(&self) -> String {
        let Some(r) = &self.record else { return "-".into() };
        let scope = match &r.consent.choice.scope {
            ConsentScope::Comprehensive => "包括同意".to_owned(),
            ConsentScope::Individual { categories } if categories.is_empty() => {
                "同意なし".to_owned()
            }
            ConsentScope::Individual { categories } => format!(
                "個別同意({})",
                categories.iter().map(|c| c.name_ja()).collect::<Vec<_>>().join("・")
            ),
        };
        let until = match r.consent.validity {
            ConsentValidity::ThisVisit { day } => format!("{day} の訪問のみ"),
            ConsentValidity::UntilThenWhileMonthlyCare { until } => {
                format!("{until} まで(以後は毎月の訪問が続く間)")
            }
        };
        format!("{scope} / {until}")
    }

    /// The terminal's answer in words, with its 負担割合 and time.
    pub fn eligibility(&self) -> (String, Option<DateTime<Utc>>, bool) {
        match &self.result {
            Some(r) => match &r.outcome {
                CheckOutcome::Answered { eligibility, share_wari, .. } => (
                    format!(
                        "{}{}",
                        eligibility.label_ja(),
                        share_wari.map(|w| format!("({w}割)")).unwrap_or_default()
                    ),
                    Some(r.checked_at),
                    matches!(
                        eligibility,
                        houmon_core::protocol::Eligibility::Valid
                            | houmon_core::protocol::Eligibility::ValidUnregistered
                    ),
                ),
                CheckOutcome::Error { message, .. } => {
                    (format!("照会エラー: {message}"), Some(r.checked_at), false)
                }
                CheckOutcome::Pending => ("照会中".into(), None, false),
            },
            None if self.checked => ("照会待ち".into(), None, false),
            None => ("照会なし(被保険者番号が未登録)".into(), None, false),
        }
    }
}

/// The start and end of a day in Japan.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = jst()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    (start, start + Duration::days(1) - Duration::seconds(1))
}

pub fn view(app: &App, row: visits::Row) -> DbResult<VisitView> {
    app.db.read(|c, s| {
        let patient = match &row.patient_id {
            Some(pid) => patients::get(c, s, pid)?,
            None => None,
        };
        let record = visits::record_json(c, s, &row.id)?
            .and_then(|json| serde_json::from_str::<VisitRecord>(&json).ok());
        Ok(VisitView {
            patient_name: patient.as_ref().map(|p| p.personal.name.clone()),
            birth_date: patient.as_ref().map(|p| p.personal.birth_date),
            facility: patient.and_then(|p| p.facility),
            record,
            result: eligibility::for_visit(c, s, &row.id)?,
            checked: eligibility::has_check(c, &row.id)?,
            row,
        })
    })
}

/// The visits of a day (in Japan), newest first.
pub fn visits_of_day(app: &App, day: NaiveDate) -> DbResult<Vec<VisitView>> {
    let (from, to) = day_bounds(day);
    let mut rows = app.db.read(|c, _| visits::between(c, from, to))?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.visited_at));
    rows.into_iter().map(|r| view(app, r)).collect()
}

pub fn visit(app: &App, id: &str) -> DbResult<Option<VisitView>> {
    match app.db.read(|c, _| visits::get(c, id))? {
        Some(row) => Ok(Some(view(app, row)?)),
        None => Ok(None),
    }
}
