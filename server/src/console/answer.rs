// SPDX-License-Identifier: MPL-2.0
//! The 資格確認端末's whole answer to a visit's check — the fields the
//! outcome keeps (保険者名, 負担割合, 高齢受給者, 限度額適用区分, the consent
//! flags, the notice) and those only the answer file holds (保険者番号,
//! 記号・番号・枝番, and 氏名・カナ・生年月日・住所 where the terminal gives
//! them) — compared with what the clinic registered for the patient, and
//! the patient's registration updated from it in one audited step
//! ([`update_patient`]; undone by editing the patient).

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::{CheckOutcome, ConsentFlag, InsuranceNumbers};

use super::dates::half_width;
use crate::app::App;
use crate::db::audit::{self, Entry};
use crate::db::patients::{self, Patient, PersonalData};
use crate::db::staff::Staff;
use crate::db::{eligibility, DbResult};

/// What the terminal answered, as staff read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub insurer_name: Option<String>,
    pub share_wari: Option<u8>,
    pub elderly_share_wari: Option<u8>,
    pub limit_category: Option<String>,
    pub consent_flags: Vec<ConsentFlag>,
    pub notice: Option<String>,
    pub numbers: Option<InsuranceNumbers>,
    pub name: Option<String>,
    pub kana: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
}

impl Answer {
    /// From the outcome the server kept and the answer file it read.
    pub fn from(outcome: &CheckOutcome, raw: Option<&[u8]>) -> Option<Answer> {
        let CheckOutcome::Answered {
            share_wari,
            elderly_share_wari,
            limit_category,
            insurer_name,
            notice,
            consent_flags,
            ..
        } = outcome
        else {
            return None;
        };
        let mut a = Answer {
            insurer_name: insurer_name.clone(),
            share_wari: *share_wari,
            elderly_share_wari: *elderly_share_wari,
            limit_category: limit_category.clone(),
            consent_flags: consent_flags.clone(),
            notice: notice.clone(),
            ..Answer::default()
        };
        let leaves = raw
            .and_then(|b| crate::oqs::decode(b).ok())
            .and_then(|x| crate::oqs::leaves(&x).ok())
            .unwrap_or_default();
        let get = |k: &str| leaves.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Ok(parsed) = raw.map(crate::oqs::parse_result).transpose() {
            a.numbers = parsed.and_then(|p| p.numbers);
        }
        a.name = get("Name");
        a.kana = get("NameKana");
        a.birth_date = get("Birthdate").and_then(|b| NaiveDate::parse_from_str(&b, "%Y%m%d").ok());
        a.address = get("Address");
        Some(a)
    }
}

/// One line of the comparison: the registration, the answer (if it
/// carries the field), and whether they differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub label: &'static str,
    pub registered: String,
    pub answered: Option<String>,
    pub differs: bool,
}

fn same(a: &str, b: &str) -> bool {
    let norm = |t: &str| half_width(t).split_whitespace().collect::<Vec<_>>().join(" ");
    norm(a) == norm(b)
}

/// The registration beside the answer, field by field.
pub fn compare(p: &Patient, a: &Answer) -> Vec<Compared> {
    let ins = p.personal.insurance.as_ref();
    let reg = |f: fn(&InsuranceNumbers) -> &String| ins.map(f).cloned().unwrap_or_default();
    let ans = |f: fn(&InsuranceNumbers) -> &String| a.numbers.as_ref().map(f).cloned();
    let rows: Vec<(&'static str, String, Option<String>)> = vec![
        ("氏名", p.personal.name.clone(), a.name.clone()),
        ("カナ", p.personal.kana.clone(), a.kana.clone()),
        ("生年月日", p.personal.birth_date.to_string(), a.birth_date.map(|d| d.to_string())),
        ("住所", p.personal.address.clone(), a.address.clone()),
        ("保険者番号", reg(|i| &i.insurer_number), ans(|i| &i.insurer_number)),
        ("記号", reg(|i| &i.symbol), ans(|i| &i.symbol)),
        ("番号", reg(|i| &i.number), ans(|i| &i.number)),
        ("枝番", reg(|i| &i.branch), ans(|i| &i.branch)),
    ];
    rows.into_iter()
        .map(|(label, registered, answered)| Compared {
            label,
            differs: answered.as_ref().is_some_and(|v| !same(v, &registered)),
            registered,
            answered,
        })
        .collect()
}

/// The registration as the answer has it: only the fields that differ
/// (a full-width space in the answer's name changes nothing); fields the
/// answer does not carry are kept.
fn updated(p: &PersonalData, a: &Answer) -> PersonalData {
    let mut n = p.clone();
    let take = |old: &mut String, new: &Option<String>| {
        if let Some(v) = new.as_ref().filter(|v| !same(v, old)) {
            *old = v.clone();
        }
    };
    take(&mut n.name, &a.name);
    take(&mut n.kana, &a.kana);
    take(&mut n.address, &a.address);
    if let Some(v) = a.birth_date {
        n.birth_date = v;
    }
    if let Some(v) = &a.numbers {
        let differs = p.personal_numbers_differ(v);
        if differs {
            n.insurance = Some(v.clone());
        }
    }
    n
}

trait NumbersOf {
    fn personal_numbers_differ(&self, v: &InsuranceNumbers) -> bool;
}

impl NumbersOf for PersonalData {
    fn personal_numbers_differ(&self, v: &InsuranceNumbers) -> bool {
        match &self.insurance {
            None => true,
            Some(i) => {
                !same(&i.insurer_number, &v.insurer_number)
                    || !same(&i.symbol, &v.symbol)
                    || !same(&i.number, &v.number)
                    || !same(&i.branch, &v.branch)
            }
        }
    }
}

/// The visit's patient and the terminal's answer to its check.
pub fn of_visit(app: &App, visit_id: &str) -> DbResult<Option<(Patient, Answer)>> {
    app.db.read(|c, s| {
        let Some(row) = crate::db::visits::get(c, visit_id)? else { return Ok(None) };
        let Some(pid) = row.patient_id else { return Ok(None) };
        let Some(p) = patients::get(c, s, &pid)? else { return Ok(None) };
        let Some(result) = eligibility::for_visit(c, s, visit_id)? else { return Ok(None) };
        let raw = eligibility::raw_for_visit(c, s, visit_id)?;
        Ok(Answer::from(&result.outcome, raw.as_deref().map(Vec::as_slice)).map(|a| (p, a)))
    })
}

/// Updates the visit's patient from the terminal's answer, in one
/// transaction with its audit entry; the fields changed (empty: nothing
/// differed), or why not.
pub fn update_patient(
    app: &App,
    staff: &Staff,
    visit_id: &str,
) -> DbResult<Result<Vec<&'static str>, &'static str>> {
    let now = Utc::now();
    app.db.write(|tx, s| {
        let Some(row) = crate::db::visits::get(tx, visit_id)? else {
            return Ok(Err("この訪問記録はありません"));
        };
        let Some(pid) = row.patient_id else {
            return Ok(Err("この訪問には患者がいません"));
        };
        let Some(p) = patients::get(tx, s, &pid)? else {
            return Ok(Err("この患者は登録されていません"));
        };
        let Some(result) = eligibility::for_visit(tx, s, visit_id)? else {
            return Ok(Err("資格確認端末の回答がまだありません"));
        };
        let raw = eligibility::raw_for_visit(tx, s, visit_id)?;
        let Some(a) = Answer::from(&result.outcome, raw.as_deref().map(Vec::as_slice)) else {
            return Ok(Err("資格確認端末の回答に患者の情報がありません"));
        };
        let changed: Vec<&'static str> =
            compare(&p, &a).into_iter().filter(|c| c.differs).map(|c| c.label).collect();
        if changed.is_empty() {
            return Ok(Ok(changed));
        }
        let personal = updated(&p.personal, &a);
        patients::upsert(tx, s, &pid, &personal, p.facility.as_deref(), now)?;
        let entry =
            Entry::new(audit::Actor::Staff(staff.staff_id.clone()), "patient.from-answer", "ok")
                .staff(&staff.staff_id)
                .target(&pid)
                .detail(format!("visit={visit_id} fields={}", changed.join(",")));
        audit::append(tx, s, &entry, now)?;
        Ok(Ok(changed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient() -> Patient {
        Patient {
            patient_id: "k1".into(),
            personal: PersonalData {
                name: "在宅 一郎".into(),
                kana: "ザイタク イチロウ".into(),
                address: "東京都千代田区1-1".into(),
                birth_date: NaiveDate::from_ymd_opt(1946, 5, 10).unwrap(),
                insurance: Some(InsuranceNumbers {
                    insurer_number: "06130012".into(),
                    symbol: "あいう".into(),
                    number: "000001".into(),
                    branch: "00".into(),
                }),
                unit: None,
            },
            facility: None,
            first_visit_on: None,
            consent_until: None,
            enrolled_cert: None,
            enrolled_at: None,
            enrolled_by_visit: None,
        }
    }

    fn raw(address: &str, number: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader>\
             <ArbitraryFileIdentifier>c1</ArbitraryFileIdentifier><SegmentOfResult>1</SegmentOfResult>\
             </MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
             <QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>\
             <InsurerNumber>06130012</InsurerNumber><InsuredCardSymbol>あいう</InsuredCardSymbol>\
             <InsuredIdentificationNumber>{number}</InsuredIdentificationNumber><InsuredBranchNumber>00</InsuredBranchNumber>\
             <Name>在宅　一郎</Name><Birthdate>19460510</Birthdate><Address>{address}</Address>\
             <InsurerName>全国健康保険協会</InsurerName><InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>\
             </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"
        )
        .into_bytes()
    }

    #[test]
    fn the_answer_is_compared_field_by_field_and_only_real_differences_are_marked() {
        let bytes = raw("東京都港区2-2", "000001");
        let outcome = crate::oqs::parse_result(&bytes).unwrap().outcome;
        let a = Answer::from(&outcome, Some(&bytes)).unwrap();
        assert_eq!(a.insurer_name.as_deref(), Some("全国健康保険協会"));
        assert_eq!(a.share_wari, Some(3));
        let rows = compare(&patient(), &a);
        let differs: Vec<_> = rows.iter().filter(|r| r.differs).map(|r| r.label).collect();
        // A full-width space in the name is not a difference; the address is.
        assert_eq!(differs, ["住所"]);
        let kana = rows.iter().find(|r| r.label == "カナ").unwrap();
        assert!(kana.answered.is_none() && !kana.differs, "not in the answer: not compared");
        let n = updated(&patient().personal, &a);
        assert_eq!(n.address, "東京都港区2-2");
        assert_eq!(n.kana, "ザイタク イチロウ", "kept");
        assert_eq!(n.name, "在宅 一郎", "the same name, not rewritten");
    }
}
