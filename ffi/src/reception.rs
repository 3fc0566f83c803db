// SPDX-License-Identifier: MPL-2.0
//! Reception guidance for the shells' guidance screen: the situation at the
//! door as typed records (the same inputs as `houmon assess`), the answer
//! ready to render.

use chrono::NaiveDate;
use houmon_core::reception::{self as r, assess, Policy};

use crate::records::CalendarDate;
use crate::HoumonError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InsurerKind {
    /// 国民健康保険
    Kokuho,
    /// 被用者保険 (協会けんぽ・健保組合・共済)
    Employee,
    /// 後期高齢者医療
    Kouki,
}

impl From<InsurerKind> for r::InsurerKind {
    fn from(k: InsurerKind) -> Self {
        match k {
            InsurerKind::Kokuho => r::InsurerKind::Kokuho,
            InsurerKind::Employee => r::InsurerKind::Employee,
            InsurerKind::Kouki => r::InsurerKind::Kouki,
        }
    }
}

/// Why the マイナ保険証 could not be checked online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CannotCheck {
    NoNetwork,
    DeviceOrCardFault,
    ResultInvalid,
    ResultNoRecord,
    NotRegistered,
}

impl From<CannotCheck> for r::CannotCheck {
    fn from(c: CannotCheck) -> Self {
        match c {
            CannotCheck::NoNetwork => r::CannotCheck::NoNetwork,
            CannotCheck::DeviceOrCardFault => r::CannotCheck::DeviceOrCardFault,
            CannotCheck::ResultInvalid => r::CannotCheck::ResultInvalid,
            CannotCheck::ResultNoRecord => r::CannotCheck::ResultNoRecord,
            CannotCheck::NotRegistered => r::CannotCheck::NotRegistered,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CardStatus {
    /// Identity confirmed and the online check answered 有効.
    Confirmed,
    CannotCheck {
        reason: CannotCheck,
    },
}

impl From<CardStatus> for r::CardStatus {
    fn from(c: CardStatus) -> Self {
        match c {
            CardStatus::Confirmed => r::CardStatus::Confirmed,
            CardStatus::CannotCheck { reason } => {
                r::CardStatus::CannotCheck { reason: reason.into() }
            }
        }
    }
}

/// A document the patient presents.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PresentedDocument {
    /// マイナ保険証.
    MynaCard { status: CardStatus, certificate_expiry: Option<CalendarDate> },
    /// 資格確認書.
    Kakuninsho {
        insurer_kind: InsurerKind,
        valid_until: CalendarDate,
        issued_on: Option<CalendarDate>,
        share_printed: Option<u8>,
    },
    /// The former 健康保険証.
    HealthInsuranceCard { insurer_kind: InsurerKind, valid_until: Option<CalendarDate> },
    /// 資格情報のお知らせ.
    QualificationNotice { share_printed: Option<u8> },
    /// マイナポータルの資格情報画面.
    PortalScreen,
    /// 高齢受給者証.
    ElderlyRecipientCertificate { valid_until: CalendarDate, share: u8 },
    /// 限度額適用認定証 etc.
    LimitCertificate { valid_until: CalendarDate },
}

fn date(d: CalendarDate) -> Result<NaiveDate, HoumonError> {
    NaiveDate::try_from(d)
}

fn opt_date(d: Option<CalendarDate>) -> Result<Option<NaiveDate>, HoumonError> {
    d.map(date).transpose()
}

impl TryFrom<PresentedDocument> for r::Document {
    type Error = HoumonError;
    fn try_from(d: PresentedDocument) -> Result<Self, HoumonError> {
        Ok(match d {
            PresentedDocument::MynaCard { status, certificate_expiry } => r::Document::MynaCard {
                status: status.into(),
                certificate_expiry: opt_date(certificate_expiry)?,
            },
            PresentedDocument::Kakuninsho {
                insurer_kind,
                valid_until,
                issued_on,
                share_printed,
            } => r::Document::Kakuninsho {
                insurer_kind: insurer_kind.into(),
                valid_until: date(valid_until)?,
                issued_on: opt_date(issued_on)?,
                share_printed,
            },
            PresentedDocument::HealthInsuranceCard { insurer_kind, valid_until } => {
                r::Document::HealthInsuranceCard {
                    insurer_kind: insurer_kind.into(),
                    valid_until: opt_date(valid_until)?,
                }
            }
            PresentedDocument::QualificationNotice { share_printed } => {
                r::Document::QualificationNotice { share_printed }
            }
            PresentedDocument::PortalScreen => r::Document::PortalScreen,
            PresentedDocument::ElderlyRecipientCertificate { valid_until, share } => {
                r::Document::ElderlyRecipientCertificate { valid_until: date(valid_until)?, share }
            }
            PresentedDocument::LimitCertificate { valid_until } => {
                r::Document::LimitCertificate { valid_until: date(valid_until)? }
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OnlineCheck {
    Now,
    Later,
    LimitedApp,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VisitHistory {
    FirstVisit,
    ReturnVisit { share_on_file: Option<u8> },
}

/// The situation at the door.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionSituation {
    pub date: CalendarDate,
    pub birth_date: Option<CalendarDate>,
    pub age: Option<u32>,
    pub insurer_kind: Option<InsurerKind>,
    pub history: VisitHistory,
    pub online_check: OnlineCheck,
    pub documents: Vec<PresentedDocument>,
}

impl TryFrom<ReceptionSituation> for r::Situation {
    type Error = HoumonError;
    fn try_from(s: ReceptionSituation) -> Result<Self, HoumonError> {
        Ok(r::Situation {
            date: date(s.date)?,
            birth_date: opt_date(s.birth_date)?,
            age: s.age,
            insurer_kind: s.insurer_kind.map(Into::into),
            history: match s.history {
                VisitHistory::FirstVisit => r::History::FirstVisit,
                VisitHistory::ReturnVisit { share_on_file } => {
                    r::History::ReturnVisit { share_on_file }
                }
            },
            online_check: match s.online_check {
                OnlineCheck::Now => r::OnlineCheck::Now,
                OnlineCheck::Later => r::OnlineCheck::Later,
                OnlineCheck::LimitedApp => r::OnlineCheck::LimitedApp,
                OnlineCheck::None => r::OnlineCheck::None,
            },
            documents: s.documents.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidanceWarning {
    pub text: String,
    /// Rests on a fact marked uncertain: show as 要確認.
    pub uncertain: bool,
}

/// The assessment, ready to render (Japanese).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionGuidance {
    pub accepted: bool,
    pub basis: String,
    pub share_text: String,
    /// In 割 (1–3, 10 for the full charge), when known now.
    pub share_wari: Option<u8>,
    pub next_checks: Vec<String>,
    /// Fields of the 被保険者資格申立書, when one is needed.
    pub declaration_fields: Vec<String>,
    pub follow_up: Vec<String>,
    pub claim_steps: Vec<String>,
    pub tekiyo: Option<String>,
    pub warnings: Vec<GuidanceWarning>,
    pub rule_ids: Vec<String>,
    /// The whole guidance as plain text.
    pub text: String,
}

/// Assesses a situation against the policy table shipped with the core, or
/// a newer one from the clinic server (`policy_json`; a broken one falls
/// back to the shipped table).
#[uniffi::export]
pub fn assess_reception(
    situation: ReceptionSituation,
    policy_json: Option<String>,
) -> Result<ReceptionGuidance, HoumonError> {
    let situation: r::Situation = situation.try_into()?;
    let policy = match policy_json {
        Some(json) => match Policy::from_json(&json) {
            Ok(p) => Policy::embedded().newer(p),
            Err(e) => {
                tracing::warn!(error = %e, "server policy table refused; using the embedded one");
                Policy::embedded()
            }
        },
        None => Policy::embedded(),
    };
    let a = assess(&situation, &policy)?;
    Ok(ReceptionGuidance {
        accepted: a.accepted,
        basis: a.basis.clone(),
        share_text: a.share.text.clone(),
        share_wari: a.share.wari,
        next_checks: a.next_checks.clone(),
        declaration_fields: a.declaration.as_ref().map(|d| d.fields.clone()).unwrap_or_default(),
        follow_up: a.follow_up.clone(),
        claim_steps: a.claim_path.iter().map(|c| c.text.clone()).collect(),
        tekiyo: a.tekiyo.clone(),
        warnings: a
            .warnings
            .iter()
            .map(|w| GuidanceWarning { text: w.text.clone(), uncertain: w.uncertain })
            .collect(),
        rule_ids: a.rules.iter().map(|r| r.id.clone()).collect(),
        text: a.to_text(),
    })
}
