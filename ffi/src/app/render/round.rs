// SPDX-License-Identifier: MPL-2.0
//! The round screen.

use chrono::{DateTime, Utc};
use houmon_store::{ItemKind, ItemState};

use crate::app::labels;
use crate::app::model::{DayNote, Model, PatientInfo};
use crate::app::update::{custody_states, sign_in_required};
use crate::app::view::{CustodyLine, KindOption, PatientGroup, PatientRow, RoundView};
use crate::records::VisitKind;

/// The patients visited today (a record queued for them), newest last.
fn visits_today(m: &Model) -> Vec<(&str, DateTime<Utc>, ItemState)> {
    m.day_log
        .iter()
        .filter(|d| d.kind == ItemKind::Visit)
        .filter_map(|d| match &d.note {
            DayNote::Visit { patient_id: Some(p), .. } => Some((p.as_str(), d.at, d.state)),
            _ => None,
        })
        .collect()
}

/// Round order: homes first, then each facility and its floors, each in
/// the order the clinic planned.
fn grouped(patients: &[PatientInfo]) -> Vec<(Option<String>, Option<String>, Vec<&PatientInfo>)> {
    let mut groups: Vec<(Option<String>, Option<String>, Vec<&PatientInfo>)> = Vec::new();
    for p in patients {
        let key = (p.entry.facility.clone(), p.entry.facility.as_ref().and(p.entry.unit.clone()));
        match groups.iter_mut().find(|g| (g.0.clone(), g.1.clone()) == key) {
            Some(g) => g.2.push(p),
            None => groups.push((key.0, key.1, vec![p])),
        }
    }
    // Homes first; facilities in the order they first appear.
    groups.sort_by_key(|g| g.0.is_some());
    groups
}

/// The next patient: the first not visited today, in round order, after
/// the one visited last.
pub(crate) fn next_patient(m: &Model) -> Option<String> {
    let round = m.round.as_ref()?;
    let order: Vec<&str> = grouped(&round.patients)
        .into_iter()
        .flat_map(|g| g.2.into_iter().map(|p| p.entry.patient_id.as_str()))
        .collect();
    let visits = visits_today(m);
    let visited = |id: &str| visits.iter().any(|(p, _, _)| *p == id);
    let last = visits.iter().max_by_key(|(_, at, _)| *at).map(|(p, _, _)| *p);
    let start = last.and_then(|l| order.iter().position(|p| *p == l)).map_or(0, |i| i + 1);
    order[start..]
        .iter()
        .chain(order[..start].iter())
        .find(|p| !visited(p))
        .map(|p| (*p).to_owned())
}

pub(super) fn view(m: &Model, now: DateTime<Utc>) -> RoundView {
    let _ = now;
    let visits = visits_today(m);
    let custody = custody_states(m);
    let next = next_patient(m);
    let groups = m
        .round
        .as_ref()
        .map(|r| {
            grouped(&r.patients)
                .into_iter()
                .map(|(facility, unit, ps)| PatientGroup {
                    title: match (&facility, &unit) {
                        (None, _) => labels::HOME.into(),
                        (Some(f), Some(u)) => format!("{f} {u}"),
                        (Some(f), None) => f.clone(),
                    },
                    patients: ps
                        .into_iter()
                        .map(|p| row(m, p, &visits, &custody, next.as_deref()))
                        .collect(),
                    facility,
                    unit,
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let cards_out = custody.iter().filter(|(_, c)| c.out).count() as u32;
    RoundView {
        day: m.today.into(),
        title: format!("{}の訪問予定", labels::day(m.today)),
        loading: m.round_loading && m.round.is_none(),
        offline_line: m.round.as_ref().filter(|r| !r.fresh).map(|r| {
            format!(
                "{}: {} に取得した予定を表示しています",
                labels::OFFLINE,
                labels::day_time(r.fetched_at)
            )
        }),
        empty_line: (m.round.is_some() && groups.is_empty()).then(|| {
            "本日の訪問予定はありません。クリニックで予定が組まれると表示されます。".into()
        }),
        groups,
        next_patient_id: next,
        error: m.round_error.clone(),
        cards_out,
        sign_in_needed: sign_in_required(m) && m.signed_in.is_none(),
        unplanned: [
            VisitKind::HouseCall,
            VisitKind::Consultation,
            VisitKind::HomeCare,
            VisitKind::HomeNursing,
        ]
        .into_iter()
        .map(|kind| KindOption { kind, label: labels::kind(kind).into() })
        .collect(),
    }
}

fn row(
    m: &Model,
    p: &PatientInfo,
    visits: &[(&str, DateTime<Utc>, ItemState)],
    custody: &[(String, crate::app::update::Custody)],
    next: Option<&str>,
) -> PatientRow {
    let id = p.entry.patient_id.as_str();
    let visit = visits.iter().rev().find(|(pid, _, _)| *pid == id);
    let facility = p.entry.facility.is_some();
    let card = custody.iter().find(|(pid, _)| pid == id).map(|(_, c)| c);
    PatientRow {
        patient_id: id.to_owned(),
        name: p.entry.name.clone(),
        address: p.entry.address.clone(),
        age_line: format!("{}歳", labels::age(p.entry.birth_date, m.today)),
        eligibility: p.eligibility.clone(),
        visited: visit.is_some(),
        visited_line: visit.map(|(_, at, state)| {
            let how = match state {
                ItemState::Sent => "送信済み",
                ItemState::Pending => "未送信",
                ItemState::Wedged => "要確認",
            };
            format!("本日訪問済み {}({how})", labels::time(*at))
        }),
        next: next == Some(id),
        card_enrolled: p.entry.enrolled_certificate.is_some(),
        consent_line: p.entry.consent_until.map(|d| format!("同意: {}まで", labels::day(d))),
        kind: if facility { VisitKind::Facility } else { VisitKind::HomeCare },
        custody: card.map(|c| CustodyLine {
            out: c.out,
            text: if c.out {
                format!("カード預かり中({} {}〜)", c.staff_name, labels::time(c.at))
            } else {
                format!("カード返却済み {}", labels::time(c.at))
            },
        }),
        can_take_card: facility && !card.is_some_and(|c| c.out),
        can_return_card: facility && card.is_some_and(|c| c.out),
    }
}
