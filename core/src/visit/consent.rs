// SPDX-License-Identifier: MPL-2.0
//! Consent to the provision of medical information, and how long it holds.
//!
//! Categories and their interface codes: 特定健診 TKK, 薬剤 YZK, 診療 SRJ,
//! 手術 SHJ, 特定疾病療養受療証 TSR. 包括 (all at once) or 個別.
//!
//! How long a consent holds depends on the kind of visit; the rules are the
//! one table [`validity_rule`] (change them there, nothing else moves):
//! - 訪問診療 (and 施設, 訪問看護 — also continuing care): the first visit's
//!   consent carries to the last day of the third month after the first
//!   visit, then while monthly care continues (shown by the monthly claims);
//! - 往診: fresh consent every time;
//! - 対診: no public rule was found; treated like 往診 (this visit only) until
//!   the clinic says otherwise.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::context::VisitKind;
use crate::card::cert::{jst, last_day_of_month_after};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConsentCategory {
    /// 特定健診情報.
    #[serde(rename = "TKK")]
    Tkk,
    /// 薬剤情報.
    #[serde(rename = "YZK")]
    Yzk,
    /// 診療情報.
    #[serde(rename = "SRJ")]
    Srj,
    /// 手術情報.
    #[serde(rename = "SHJ")]
    Shj,
    /// 特定疾病療養受療証情報.
    #[serde(rename = "TSR")]
    Tsr,
}

impl ConsentCategory {
    pub const ALL: [ConsentCategory; 5] = [
        ConsentCategory::Tkk,
        ConsentCategory::Yzk,
        ConsentCategory::Srj,
        ConsentCategory::Shj,
        ConsentCategory::Tsr,
    ];

    pub fn name_ja(self) -> &'static str {
        match self {
            ConsentCategory::Tkk => "特定健診情報",
            ConsentCategory::Yzk => "薬剤情報",
            ConsentCategory::Srj => "診療情報",
            ConsentCategory::Shj => "手術情報",
            ConsentCategory::Tsr => "特定疾病療養受療証情報",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "kebab-case")]
#[serde(deny_unknown_fields)]
pub enum ConsentScope {
    /// 包括同意: every category at once.
    Comprehensive,
    /// 個別同意: only these (may be empty: consent refused, which does not
    /// affect insured care or the share).
    Individual { categories: Vec<ConsentCategory> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prescription {
    /// 電子処方箋.
    Electronic,
    /// 紙の処方箋.
    Paper,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentChoice {
    pub scope: ConsentScope,
    pub prescription: Prescription,
}

impl ConsentChoice {
    pub fn categories(&self) -> Vec<ConsentCategory> {
        match &self.scope {
            ConsentScope::Comprehensive => ConsentCategory::ALL.to_vec(),
            ConsentScope::Individual { categories } => {
                let mut c = categories.clone();
                c.sort();
                c.dedup();
                c
            }
        }
    }
}

/// How long a consent holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[serde(deny_unknown_fields)]
pub enum ConsentValidity {
    /// For this visit only, on `day` (a new consent at the next one).
    ThisVisit { day: NaiveDate },
    /// Until `until` (Japan date, inclusive), then while monthly care continues.
    UntilThenWhileMonthlyCare { until: NaiveDate },
}

impl ConsentValidity {
    /// The last day the consent holds as given (after it, the monthly-care
    /// condition or a new consent). Fixed when the consent is given, not
    /// when it is displayed.
    pub fn lapses_after(&self) -> NaiveDate {
        match self {
            ConsentValidity::ThisVisit { day } => *day,
            ConsentValidity::UntilThenWhileMonthlyCare { until } => *until,
        }
    }

    pub fn describe_ja(&self) -> String {
        match self {
            ConsentValidity::ThisVisit { .. } => {
                "今回の訪問のみ有効(次回は改めて同意が必要)".into()
            }
            ConsentValidity::UntilThenWhileMonthlyCare { until } => {
                format!("{until}まで有効。その後は毎月の訪問診療が続く間有効")
            }
        }
    }
}

/// The one table of consent-validity rules, by visit kind.
pub fn validity_rule(
    kind: VisitKind,
    visit_day: NaiveDate,
    first_visit_on: Option<NaiveDate>,
) -> ConsentValidity {
    match kind {
        VisitKind::HomeCare | VisitKind::Facility | VisitKind::HomeNursing => {
            let first = first_visit_on.unwrap_or(visit_day).min(visit_day);
            ConsentValidity::UntilThenWhileMonthlyCare { until: last_day_of_month_after(first, 3) }
        }
        VisitKind::HouseCall | VisitKind::Consultation => {
            ConsentValidity::ThisVisit { day: visit_day }
        }
    }
}

/// What is stored with the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    pub choice: ConsentChoice,
    pub categories: Vec<ConsentCategory>,
    pub given_at: DateTime<Utc>,
    pub validity: ConsentValidity,
}

impl ConsentRecord {
    pub fn new(
        choice: ConsentChoice,
        kind: VisitKind,
        given_at: DateTime<Utc>,
        first_visit_on: Option<NaiveDate>,
    ) -> Self {
        let day = given_at.with_timezone(&jst()).date_naive();
        ConsentRecord {
            categories: choice.categories(),
            validity: validity_rule(kind, day, first_visit_on),
            choice,
            given_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_consent_category_is_named_in_the_words_staff_read() {
        let names: Vec<_> = ConsentCategory::ALL.iter().map(|c| c.name_ja()).collect();
        assert_eq!(
            names,
            ["特定健診情報", "薬剤情報", "診療情報", "手術情報", "特定疾病療養受療証情報"]
        );
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn home_care_consent_carries_to_the_end_of_the_third_month_after_the_first_visit() {
        let v = validity_rule(VisitKind::HomeCare, d("2026-12-10"), Some(d("2026-11-05")));
        assert_eq!(v, ConsentValidity::UntilThenWhileMonthlyCare { until: d("2027-02-28") });
        // A first visit today.
        let v = validity_rule(VisitKind::HomeCare, d("2026-11-30"), None);
        assert_eq!(v.lapses_after(), d("2027-02-28"));
        assert!(v.describe_ja().contains("毎月"));
    }

    #[test]
    fn a_house_call_needs_fresh_consent_every_time() {
        let v = validity_rule(VisitKind::HouseCall, d("2026-11-25"), Some(d("2026-10-01")));
        assert_eq!(v, ConsentValidity::ThisVisit { day: d("2026-11-25") });
        assert_eq!(v.lapses_after(), d("2026-11-25"));
    }

    #[test]
    fn comprehensive_consent_covers_every_category_and_individual_ones_are_deduplicated() {
        let all = ConsentChoice {
            scope: ConsentScope::Comprehensive,
            prescription: Prescription::Electronic,
        };
        assert_eq!(all.categories().len(), 5);
        let some = ConsentChoice {
            scope: ConsentScope::Individual {
                categories: vec![ConsentCategory::Yzk, ConsentCategory::Tkk, ConsentCategory::Yzk],
            },
            prescription: Prescription::Paper,
        };
        assert_eq!(some.categories(), [ConsentCategory::Tkk, ConsentCategory::Yzk]);
        let json = serde_json::to_string(&some).unwrap();
        assert!(json.contains("\"YZK\""), "{json}");
    }

    #[test]
    fn the_consent_day_is_the_japan_date() {
        // 2026-11-30T16:00Z is already 2026-12-01 in Japan.
        let t = DateTime::parse_from_rfc3339("2026-11-30T16:00:00Z").unwrap().with_timezone(&Utc);
        let all =
            ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Paper };
        let r = ConsentRecord::new(all, VisitKind::HomeCare, t, None);
        assert_eq!(
            r.validity,
            ConsentValidity::UntilThenWhileMonthlyCare { until: d("2027-03-31") }
        );
    }
}
