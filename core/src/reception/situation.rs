// SPDX-License-Identifier: MPL-2.0
//! The input: what the patient presents and the context at the door.
//! JSON-friendly (`houmon assess --file`), validated before any rule runs.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::policy::RuleId;
use super::ReceptionError;

/// The kind of insurer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InsurerKind {
    /// 国民健康保険 (市町村・国保組合).
    Kokuho,
    /// 被用者保険: 協会けんぽ・健保組合・共済.
    Employee,
    /// 後期高齢者医療.
    Kouki,
}

impl InsurerKind {
    pub fn name_ja(self) -> &'static str {
        match self {
            InsurerKind::Kokuho => "国民健康保険",
            InsurerKind::Employee => "被用者保険(協会けんぽ・健保組合・共済)",
            InsurerKind::Kouki => "後期高齢者医療",
        }
    }
    pub(crate) fn old_card_rule(self) -> RuleId {
        match self {
            InsurerKind::Kokuho => RuleId::OldCardEndKokuho,
            InsurerKind::Employee => RuleId::OldCardEndEmployee,
            InsurerKind::Kouki => RuleId::OldCardEndKouki,
        }
    }
}

/// Why the マイナ保険証 could not be checked online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CannotCheck {
    /// No signal, or the clinic's system is down: the check can only be done later.
    NoNetwork,
    /// Reader, phone or card chip trouble; card cannot be read.
    DeviceOrCardFault,
    /// Result 資格(無効): the insurer's registration lags (new job etc.).
    ResultInvalid,
    /// Result 資格情報なし / 該当資格なし.
    ResultNoRecord,
    /// The card is not registered for 保険証 use.
    NotRegistered,
}

/// What happened with the patient's マイナ保険証.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum CardStatus {
    /// Identity confirmed and the online check answered 有効.
    Confirmed,
    /// Identity confirmed but the online check could not be done or did not confirm.
    CannotCheck { reason: CannotCheck },
}

/// A document the patient presents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Document {
    /// マイナ保険証 (the card). `certificate_expiry`: the 利用者証明用電子証明書's
    /// (or the card's) expiry date, when known.
    MynaCard {
        status: CardStatus,
        #[serde(default)]
        certificate_expiry: Option<NaiveDate>,
    },
    /// 資格確認書.
    Kakuninsho {
        insurer_kind: InsurerKind,
        valid_until: NaiveDate,
        #[serde(default)]
        issued_on: Option<NaiveDate>,
        /// 負担割合 printed (in 割: 1, 2, 3).
        #[serde(default)]
        share_printed: Option<u8>,
    },
    /// The former 健康保険証.
    HealthInsuranceCard {
        insurer_kind: InsurerKind,
        #[serde(default)]
        valid_until: Option<NaiveDate>,
    },
    /// 資格情報のお知らせ.
    QualificationNotice {
        #[serde(default)]
        share_printed: Option<u8>,
    },
    /// マイナポータルの資格情報画面 (or its PDF).
    PortalScreen,
    /// 高齢受給者証.
    ElderlyRecipientCertificate { valid_until: NaiveDate, share: u8 },
    /// 限度額適用認定証, 限度額適用・標準負担額減額認定証, 特定疾病療養受療証.
    LimitCertificate { valid_until: NaiveDate },
}

/// Whether the clinic can run an online check (オンライン資格確認).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnlineCheck {
    /// Now (signal, system up).
    Now,
    /// Not now, but later today (back at the clinic, or when signal returns).
    Later,
    /// Only a 資格確認限定型 app: no 番号-based lookup.
    LimitedApp,
    /// The clinic has no online check.
    None,
}

/// What the clinic has on file for this patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum History {
    FirstVisit,
    /// A returning patient; `share_on_file` is the 負担割合 last billed.
    ReturnVisit {
        #[serde(default)]
        share_on_file: Option<u8>,
    },
}

/// The whole situation at the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    pub date: NaiveDate,
    /// Preferred: the birth date (age and 未就学 follow from it).
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// When the birth date is unknown.
    #[serde(default)]
    pub age: Option<u32>,
    #[serde(default)]
    pub insurer_kind: Option<InsurerKind>,
    pub history: History,
    pub online_check: OnlineCheck,
    #[serde(default)]
    pub documents: Vec<Document>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ReceptionError {
    ReceptionError::InvalidInput { field, reason: reason.into() }
}

/// Whole years from `birth` to `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

impl Situation {
    /// Parses a situation (the CLI's `--file`, the FFI's JSON); unknown
    /// fields and values (e.g. an unknown insurer kind) are errors.
    pub fn from_json(json: &str) -> Result<Situation, ReceptionError> {
        serde_json::from_str(json).map_err(|e| invalid("json", e.to_string()))
    }

    /// The patient's age on the date, if known.
    pub fn age(&self) -> Option<u32> {
        self.birth_date.map(|b| age_on(b, self.date)).or(self.age)
    }

    /// 未就学: before the first 1 April after the 6th birthday.
    pub fn preschool(&self) -> Option<bool> {
        let b = self.birth_date?;
        let six = b.with_year(b.year() + 6).unwrap_or(b);
        let april_year =
            if (six.month(), six.day()) <= (4, 1) { six.year() } else { six.year() + 1 };
        let first_april = NaiveDate::from_ymd_opt(april_year, 4, 1)?;
        Some(self.date < first_april)
    }

    /// Refuses impossible or contradictory input instead of guessing.
    pub fn validate(&self, kakuninsho_max_years: u32) -> Result<(), ReceptionError> {
        let plausible = |d: NaiveDate| (1900..=2200).contains(&d.year());
        let mut dates = vec![("date", self.date)];
        dates.extend(self.birth_date.map(|b| ("birth_date", b)));
        for doc in &self.documents {
            match doc {
                Document::MynaCard { certificate_expiry: Some(d), .. } => {
                    dates.push(("certificate_expiry", *d))
                }
                Document::Kakuninsho { valid_until, issued_on, .. } => {
                    dates.push(("kakuninsho.valid_until", *valid_until));
                    dates.extend(issued_on.map(|d| ("kakuninsho.issued_on", d)));
                }
                Document::HealthInsuranceCard { valid_until: Some(d), .. } => {
                    dates.push(("health_insurance_card.valid_until", *d))
                }
                Document::ElderlyRecipientCertificate { valid_until, .. }
                | Document::LimitCertificate { valid_until } => {
                    dates.push(("valid_until", *valid_until))
                }
                _ => {}
            }
        }
        if let Some((field, d)) = dates.into_iter().find(|(_, d)| !plausible(*d)) {
            return Err(invalid(field, format!("日付 {d} はありえない値です")));
        }
        if let Some(b) = self.birth_date {
            if b > self.date {
                return Err(invalid("birth_date", "生年月日が受付日より後です"));
            }
            if let Some(a) = self.age {
                if a != age_on(b, self.date) {
                    return Err(invalid("age", "年齢が生年月日と合いません"));
                }
            }
        }
        if self.age().is_some_and(|a| a > 130) {
            return Err(invalid("age", "年齢が130歳を超えています"));
        }
        let share_ok = |s: u8| (1..=3).contains(&s);
        let card_count =
            self.documents.iter().filter(|d| matches!(d, Document::MynaCard { .. })).count();
        if card_count > 1 {
            return Err(invalid("documents", "マイナ保険証が2枚あります"));
        }
        for d in &self.documents {
            match d {
                Document::Kakuninsho { valid_until, issued_on, share_printed, insurer_kind } => {
                    if let Some(issued) = issued_on {
                        if valid_until < issued {
                            return Err(invalid(
                                "kakuninsho.valid_until",
                                "資格確認書の有効期限が交付日より前です",
                            ));
                        }
                        let max = issued
                            .with_year(issued.year() + kakuninsho_max_years as i32)
                            .unwrap_or(*issued);
                        if *valid_until > max {
                            return Err(invalid(
                                "kakuninsho.valid_until",
                                format!("資格確認書の有効期間が{kakuninsho_max_years}年を超えています(券面を確認してください)"),
                            ));
                        }
                        if *issued > self.date {
                            return Err(invalid(
                                "kakuninsho.issued_on",
                                "資格確認書の交付日が受付日より後です",
                            ));
                        }
                    }
                    if share_printed.is_some_and(|s| !share_ok(s)) {
                        return Err(invalid("kakuninsho.share_printed", "負担割合は1〜3割です"));
                    }
                    if self.insurer_kind.is_some_and(|k| k != *insurer_kind) {
                        return Err(invalid(
                            "kakuninsho.insurer_kind",
                            "保険の種別が患者情報と合いません",
                        ));
                    }
                }
                Document::HealthInsuranceCard { insurer_kind, .. } => {
                    if self.insurer_kind.is_some_and(|k| k != *insurer_kind) {
                        return Err(invalid(
                            "health_insurance_card.insurer_kind",
                            "保険の種別が患者情報と合いません",
                        ));
                    }
                }
                Document::QualificationNotice { share_printed } => {
                    if share_printed.is_some_and(|s| !share_ok(s)) {
                        return Err(invalid(
                            "qualification_notice.share_printed",
                            "負担割合は1〜3割です",
                        ));
                    }
                }
                Document::ElderlyRecipientCertificate { share, .. } => {
                    if !share_ok(*share) {
                        return Err(invalid(
                            "elderly_recipient_certificate.share",
                            "負担割合は1〜3割です",
                        ));
                    }
                    if self.age().is_some_and(|a| !(70..75).contains(&a)) {
                        return Err(invalid(
                            "elderly_recipient_certificate",
                            "高齢受給者証は70〜74歳の方のものです",
                        ));
                    }
                }
                Document::MynaCard { .. }
                | Document::PortalScreen
                | Document::LimitCertificate { .. } => {}
            }
        }
        if let History::ReturnVisit { share_on_file: Some(s) } = self.history {
            if !share_ok(s) {
                return Err(invalid("history.share_on_file", "負担割合は1〜3割です"));
            }
        }
        Ok(())
    }
}
