// SPDX-License-Identifier: MPL-2.0
//! The dated policy table: the Ministry's reception rules as data.
//!
//! The table ships with the core (`core/policy/reception-policy.json`); the
//! clinic server may send a newer one ([`Policy::from_json`] validates it,
//! [`Policy::newer`] picks it). The engine asks for rules by id and reads
//! their dates and parameters from here, so a date that moves is a change to
//! the table, not to the code. `docs/reception-rules.md` lists the rules in
//! the same order (a test keeps the two in step).

use chrono::NaiveDate;
use serde::Deserialize;

use super::ReceptionError;

/// The table that ships with this build.
pub const EMBEDDED_JSON: &str = include_str!("../../policy/reception-policy.json");

/// Declares the rules the engine needs: a typed id for each, and the id it
/// has in the table. A table without one of them is refused at load, so
/// [`Policy::rule`] cannot fail.
macro_rules! rule_ids {
    ($($variant:ident => $id:literal,)*) => {
        /// A rule the engine needs, by its id in the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RuleId { $($variant,)* }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id,)* }
            }
        }
    };
}

rule_ids! {
    OldCardEndEmployee => "old-card-end-employee",
    OldCardEndKokuho => "old-card-end-kokuho",
    OldCardEndKouki => "old-card-end-kouki",
    NoticeNeedsCard => "notice-needs-card",
    PortalScreenWithCard => "portal-screen-with-card",
    ProvisionalOriginal => "provisional-expired-card-or-notice-original",
    Provisional => "provisional-expired-card-or-notice",
    ProvisionalNeedsOnlineCheck => "provisional-needs-online-check",
    UnconfirmedFirstVisitFullCharge => "unconfirmed-first-visit-full-charge",
    KoukiCertificateForAll => "kouki-certificate-for-all",
    KoukiFrom202608 => "kouki-from-2026-08",
    KakuninshoMaxValidity => "kakuninsho-max-validity",
    KakuninshoElderlyShare => "kakuninsho-elderly-share",
    ElderlyRecipientRenewal => "elderly-recipient-renewal",
    LimitCertificatesUntilExpiry => "limit-certificates-until-expiry",
    CertificateGrace => "certificate-grace",
    DeclarationWhenCardCannotBeChecked => "declaration-when-card-cannot-be-checked",
    ClaimOrder => "claim-order",
    ClaimUnknownInsurerAlt => "claim-unknown-insurer-alt",
    VisualWhenPinUnavailable => "identity-visual-when-pin-unavailable",
    KakuninshoWhoGetsOne => "kakuninsho-who-gets-one",
    CertificateRenewalWindow => "certificate-renewal-window",
    NoticeElderlySharePeriod => "notice-elderly-share-period",
    PublicAssistance => "public-assistance-medical-aid",
    PublicExpense => "public-expense-certificate",
    ConsultationBilling => "consultation-billing",
    KakuninshoFirst => "kakuninsho-first-when-card-fails",
    Kouki202412 => "kouki-certificate-2024-12",
    SmartphoneNoGrace => "smartphone-certificate-no-grace",
    DownloadBeforeVisit => "download-before-visit",
    PhotoLessPinOnly => "photo-less-card-pin-only",
    VisualAtReader => "visual-check-at-reader",
    VisualOnVisit => "visual-check-on-visit",
    KakuninshoProxy => "kakuninsho-proxy-application",
    AppAtConsultation => "app-at-consultation",
    ConsentChoice => "consent-comprehensive-or-individual",
    ConsentCarryOver => "consent-carry-over",
    ConsentPaper => "consent-paper-with-general-reader",
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub source: String,
    pub last_reviewed: NaiveDate,
    pub uncertain: bool,
    #[serde(default)]
    pub uncertain_note: Option<String>,
    /// How (and why) the rule departs from the seed lecture (佐賀県保険医協会
    /// 「今さら聞けないマイナ保険証」), or that the lecture does not say it.
    /// `docs/reception-rules.md` lists every one in its departures section.
    #[serde(default)]
    pub departure: Option<String>,
}

impl Rule {
    /// In force on `date` (both ends inclusive).
    pub fn active_on(&self, date: NaiveDate) -> bool {
        date >= self.effective_from && self.effective_until.is_none_or(|u| date <= u)
    }

    pub fn param_u32(&self, name: &str) -> Option<u32> {
        self.params.get(name)?.as_u64().and_then(|v| u32::try_from(v).ok())
    }

    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.get(name)?.as_str()
    }

    pub fn param_date(&self, name: &str) -> Option<NaiveDate> {
        self.param_str(name)?.parse().ok()
    }
}

/// A policy table as read from JSON, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    schema: u32,
    version: NaiveDate,
    #[serde(default)]
    note: String,
    rules: Vec<Rule>,
}

/// A validated policy table. It can only be made by [`Policy::from_json`]
/// (or [`Policy::embedded`]), which checks every rule the engine needs.
#[derive(Debug, Clone)]
pub struct Policy {
    version: NaiveDate,
    note: String,
    rules: Vec<Rule>,
    /// Where each [`RuleId`] sits in `rules`.
    index: Vec<usize>,
}

impl Policy {
    /// The table shipped with this build (checked by a unit test).
    pub fn embedded() -> Policy {
        Policy::from_json(EMBEDDED_JSON).expect("the embedded policy table is valid (unit-tested)")
    }

    /// Parses and validates a table (e.g. one sent by the clinic server).
    pub fn from_json(json: &str) -> Result<Policy, ReceptionError> {
        let bad = |reason: String| ReceptionError::Policy { reason };
        let p: RawPolicy =
            serde_json::from_str(json).map_err(|e| bad(format!("not a policy table: {e}")))?;
        if p.schema != 1 {
            return Err(bad(format!("unsupported schema {}", p.schema)));
        }
        for (i, r) in p.rules.iter().enumerate() {
            if p.rules[..i].iter().any(|o| o.id == r.id) {
                return Err(bad(format!("rule {} appears twice", r.id)));
            }
            if r.effective_until.is_some_and(|u| u < r.effective_from) {
                return Err(bad(format!("rule {} ends before it starts", r.id)));
            }
            if r.source.trim().is_empty() || r.title.trim().is_empty() {
                return Err(bad(format!("rule {} has no title or source", r.id)));
            }
            if r.departure.as_ref().is_some_and(|d| d.trim().is_empty()) {
                return Err(bad(format!("rule {} has an empty departure", r.id)));
            }
        }
        let index = RuleId::ALL
            .iter()
            .map(|id| {
                p.rules
                    .iter()
                    .position(|r| r.id == id.as_str())
                    .ok_or_else(|| bad(format!("rule {} is missing", id.as_str())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { version: p.version, note: p.note, rules: p.rules, index })
    }

    /// The table's date; a newer table has a later version.
    pub fn version(&self) -> NaiveDate {
        self.version
    }

    pub fn note(&self) -> &str {
        &self.note
    }

    /// Every rule, in table order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The newer of two tables (by version date).
    pub fn newer(self, other: Policy) -> Policy {
        if other.version > self.version {
            other
        } else {
            self
        }
    }

    /// A rule the engine needs (present in every validated table).
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[self.index[id as usize]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_is_valid_and_holds_every_required_rule() {
        let p = Policy::embedded();
        assert_eq!(p.rules().len(), RuleId::ALL.len());
        assert!(p
            .rules()
            .iter()
            .all(|r| r.last_reviewed >= NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
    }

    #[test]
    fn rule_dates_are_inclusive_at_both_ends() {
        let p = Policy::embedded();
        let r = p.rule(RuleId::Provisional);
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(r.active_on(d(2026, 7, 31)));
        assert!(!r.active_on(d(2026, 8, 1)));
        assert!(r.active_on(d(2025, 6, 27)));
        assert!(!r.active_on(d(2025, 6, 26)));
    }

    #[test]
    fn a_bad_table_is_refused_with_the_reason() {
        let reason = |json: &str| match Policy::from_json(json) {
            Err(ReceptionError::Policy { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(reason("{").contains("not a policy table"));
        let mut v: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        v["rules"].as_array_mut().unwrap().remove(0);
        assert!(reason(&v.to_string()).contains("old-card-end-employee is missing"));
        let mut v: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        v["rules"][1]["effective_until"] = "2020-01-01".into();
        assert!(reason(&v.to_string()).contains("ends before it starts"));
        let mut v: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        v["schema"] = 2.into();
        assert!(reason(&v.to_string()).contains("schema"));
        let mut v: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        v["rules"][0]["departure"] = " ".into();
        assert!(reason(&v.to_string()).contains("empty departure"));
    }

    #[test]
    fn a_newer_table_from_the_server_replaces_the_embedded_one() {
        let mut v: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        v["version"] = "2027-01-01".into();
        for r in v["rules"].as_array_mut().unwrap() {
            if r["id"] == RuleId::Provisional.as_str() {
                r["effective_until"] = "2026-12-31".into();
            }
        }
        let newer = Policy::from_json(&v.to_string()).unwrap();
        let chosen = Policy::embedded().newer(newer);
        let d = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        assert!(chosen.rule(RuleId::Provisional).active_on(d));
        // An older table does not replace a newer one.
        let mut old: serde_json::Value = serde_json::from_str(EMBEDDED_JSON).unwrap();
        old["version"] = "2020-01-01".into();
        let kept = Policy::embedded().newer(Policy::from_json(&old.to_string()).unwrap());
        assert_eq!(kept.version(), Policy::embedded().version());
    }
}
