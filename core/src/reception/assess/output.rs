// SPDX-License-Identifier: MPL-2.0
//! What the engine answers, and how it reads top to bottom: what to do
//! now, then what to charge — 10割 only once every step has failed.

use chrono::NaiveDate;
use serde::Serialize;

use crate::renewal::RenewalAdvice;

/// What staff do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Care goes ahead at the share below (insured, or 公費).
    Accept,
    /// Try the steps first; the share is decided after them.
    TryFirst,
    /// Every step was tried and none confirmed: 10割, the patient claims
    /// 療養費 from the insurer.
    FullCharge,
}

/// How the patient's share is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShareKind {
    /// As confirmed: the online result, a document, the insurer on the phone.
    AsConfirmed,
    /// From the 被保険者資格申立書 (3割 etc.), confirmed afterwards.
    Declared,
    /// From the clinic's past record after oral confirmation.
    PastRecord,
    /// 公費 (生活保護の医療扶助): none, or the 本人支払額.
    PublicAssistance,
    /// Not decided yet: the steps come first.
    NotYet,
    /// 10割; the patient claims 療養費 from the insurer.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub kind: ShareKind,
    /// In 割 (0–3, or 10 for the full charge), when known now.
    pub wari: Option<u8>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub form: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimStep {
    pub order: u8,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub rule_id: String,
    pub text: String,
    /// The rule rests on a fact marked uncertain in the table: 要確認.
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRule {
    pub id: String,
    pub source: String,
    pub uncertain: bool,
}

/// The guidance for staff, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub date: NaiveDate,
    pub decision: Decision,
    /// `decision == Accept`: care can go ahead at the share below.
    pub accepted: bool,
    /// What the decision rests on.
    pub basis: String,
    /// In order: what to do now (before any charge is decided).
    pub next_checks: Vec<String>,
    /// Steps already taken, as staff entered them.
    pub tried: Vec<String>,
    pub share: Share,
    pub declaration: Option<Declaration>,
    pub follow_up: Vec<String>,
    pub claim_path: Vec<ClaimStep>,
    /// What goes in the 摘要欄 if the claim ends as 不詳.
    pub tekiyo: Option<String>,
    pub warnings: Vec<Warning>,
    pub rules: Vec<AppliedRule>,
    /// The renewal coach, when the card's certificate expires within 3
    /// months, is in its grace or is past it.
    pub renewal: Option<RenewalAdvice>,
    /// How to take the consent to view the patient's information.
    pub consent: Vec<String>,
}

impl Assessment {
    pub(crate) fn empty(date: NaiveDate) -> Assessment {
        Assessment {
            date,
            decision: Decision::TryFirst,
            accepted: false,
            basis: String::new(),
            next_checks: Vec::new(),
            tried: Vec::new(),
            share: Share { kind: ShareKind::NotYet, wari: None, text: String::new() },
            declaration: None,
            follow_up: Vec::new(),
            claim_path: Vec::new(),
            tekiyo: None,
            warnings: Vec::new(),
            rules: Vec::new(),
            renewal: None,
            consent: Vec::new(),
        }
    }

    /// The first line staff read.
    pub fn headline(&self) -> &'static str {
        match (self.decision, self.share.kind) {
            (Decision::Accept, ShareKind::PublicAssistance) => {
                "医療扶助(生活保護)として受付できます"
            }
            (Decision::Accept, ShareKind::PastRecord) => {
                "受付できます(資格に変更がないことを口頭で確認して、過去の負担割合で)"
            }
            (Decision::Accept, _) => "保険診療として受付できます",
            (Decision::TryFirst, _) => {
                "まず下の手順で資格を確認してください(負担割合はその後に決めます)"
            }
            (Decision::FullCharge, _) => "資格を確認できませんでした",
        }
    }

    /// Plain text for the CLI and the apps, in the order staff act: what
    /// to do first, then the charge.
    pub fn to_text(&self) -> String {
        let mut t = format!("【{}】{}\n根拠: {}\n", self.date, self.headline(), self.basis);
        let list = |t: &mut String, title: &str, items: &[String], numbered: bool| {
            if !items.is_empty() {
                t.push_str(title);
                t.push('\n');
                for (i, item) in items.iter().enumerate() {
                    if numbered {
                        t.push_str(&format!("  {}. {item}\n", i + 1));
                    } else {
                        t.push_str(&format!("  ・{item}\n"));
                    }
                }
            }
        };
        let first = if self.decision == Decision::TryFirst {
            "まず行うこと(上から順に):"
        } else {
            "確認すること:"
        };
        list(&mut t, first, &self.next_checks, self.decision == Decision::TryFirst);
        list(&mut t, "試したこと:", &self.tried, false);
        t.push_str(&format!("負担: {}\n", self.share.text));
        if let Some(d) = &self.declaration {
            t.push_str(&format!("{}に記入してもらう項目: {}\n", d.form, d.fields.join("、")));
        }
        list(&mut t, "同意:", &self.consent, false);
        list(&mut t, "事後に行うこと:", &self.follow_up, false);
        if let Some(r) = &self.renewal {
            t.push_str(&format!("電子証明書: {}\n", r.title));
            for (i, step) in r.steps.iter().enumerate() {
                t.push_str(&format!("  {}. {step}\n", i + 1));
            }
        }
        if !self.claim_path.is_empty() {
            t.push_str("レセプト請求:\n");
            for s in &self.claim_path {
                t.push_str(&format!("  {} {}\n", circled(s.order), s.text));
            }
        }
        if let Some(k) = &self.tekiyo {
            t.push_str(&format!("摘要欄: {k}\n"));
        }
        for w in &self.warnings {
            t.push_str(&format!("注意{}: {}\n", if w.uncertain { "(要確認)" } else { "" }, w.text));
        }
        if !self.rules.is_empty() {
            t.push_str("根拠となるルール: ");
            t.push_str(&self.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "));
            t.push('\n');
        }
        t
    }
}

fn circled(n: u8) -> char {
    char::from_u32(0x2460 + n.saturating_sub(1) as u32).unwrap_or('・')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circled_numbers_render() {
        assert_eq!(circled(1), '①');
        assert_eq!(circled(3), '③');
    }

    #[test]
    fn an_empty_rule_list_prints_no_rule_line() {
        let a = Assessment::empty(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert!(!a.to_text().contains("根拠となるルール"));
    }

    #[test]
    fn the_steps_come_before_the_charge() {
        let mut a = Assessment::empty(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        a.next_checks.push("保険者に電話".into());
        a.share.text = "10割".into();
        let t = a.to_text();
        assert!(t.find("保険者に電話").unwrap() < t.find("負担:").unwrap(), "{t}");
    }
}
