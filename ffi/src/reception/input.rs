// SPDX-License-Identifier: MPL-2.0
//! The situation at the door as typed records: the same inputs as
//! `houmon assess` (documents, how identity was checked, the steps tried,
//! the setting), converted to the core's `Situation`.

use chrono::NaiveDate;
use houmon_core::reception as r;

use crate::records::CalendarDate;
use crate::renewal::CertificateCarrier;
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

/// The kind of マイナンバーカード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MynaCardKind {
    /// 顔写真付き, with a PIN.
    Standard,
    /// 「顔認証」と記載されたカード: no PIN; 顔認証 or 目視.
    FaceRecognition,
    /// 顔写真なし: PIN only, never 目視.
    NoPhoto,
}

/// A document the patient presents.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PresentedDocument {
    /// マイナ保険証; `card_kind` (none: a standard card) and `carrier` (none:
    /// the card itself; a smartphone's certificate has no grace).
    MynaCard {
        status: CardStatus,
        certificate_expiry: Option<CalendarDate>,
        #[uniffi(default = None)]
        card_kind: Option<MynaCardKind>,
        #[uniffi(default = None)]
        carrier: Option<CertificateCarrier>,
    },
    /// 資格確認書.
    Kakuninsho {
        insurer_kind: InsurerKind,
        valid_until: CalendarDate,
        issued_on: Option<CalendarDate>,
        share_printed: Option<u8>,
    },
    /// The former 健康保険証.
    HealthInsuranceCard { insurer_kind: InsurerKind, valid_until: Option<CalendarDate> },
    /// 資格情報のお知らせ; for 70 and over, the end of its share's period.
    QualificationNotice { share_printed: Option<u8>, share_valid_until: Option<CalendarDate> },
    /// The patient has a マイナ保険証 but it is not here.
    CardNotHere { reason: CardAbsence },
    /// 生活保護の医療扶助: the 医療券 at hand, its 本人支払額.
    MedicalAssistance { ticket: bool, self_pay_yen: Option<u32> },
    /// A 公費負担医療 受給者証: 法別番号, valid until, the patient's share (割), the monthly cap (円).
    PublicExpenseCertificate {
        law_number: String,
        valid_until: CalendarDate,
        self_share: Option<u8>,
        monthly_cap_yen: Option<u32>,
    },
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
            PresentedDocument::MynaCard { status, certificate_expiry, card_kind, carrier } => {
                r::Document::MynaCard {
                    status: status.into(),
                    certificate_expiry: opt_date(certificate_expiry)?,
                    card_kind: match card_kind {
                        None | Some(MynaCardKind::Standard) => r::CardKind::Standard,
                        Some(MynaCardKind::FaceRecognition) => r::CardKind::FaceRecognition,
                        Some(MynaCardKind::NoPhoto) => r::CardKind::NoPhoto,
                    },
                    carrier: carrier.map(Into::into).unwrap_or_default(),
                }
            }
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
            PresentedDocument::QualificationNotice { share_printed, share_valid_until } => {
                r::Document::QualificationNotice {
                    share_printed,
                    share_valid_until: opt_date(share_valid_until)?,
                }
            }
            PresentedDocument::CardNotHere { reason } => r::Document::CardNotHere {
                reason: match reason {
                    CardAbsence::Lost => r::CardAbsence::Lost,
                    CardAbsence::BeingRenewed => r::CardAbsence::BeingRenewed,
                    CardAbsence::NotWithThem => r::CardAbsence::NotWithThem,
                },
            },
            PresentedDocument::MedicalAssistance { ticket, self_pay_yen } => {
                r::Document::MedicalAssistance { ticket, self_pay_yen }
            }
            PresentedDocument::PublicExpenseCertificate {
                law_number,
                valid_until,
                self_share,
                monthly_cap_yen,
            } => r::Document::PublicExpenseCertificate {
                law_number,
                valid_until: date(valid_until)?,
                self_share,
                monthly_cap_yen,
            },
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

/// Why the patient's マイナ保険証 is not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CardAbsence {
    Lost,
    BeingRenewed,
    NotWithThem,
}

/// Why the PIN cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PinUnavailable {
    /// 顔認証マイナンバーカード: no PIN set.
    NotSet,
    Forgotten,
    Locked,
    CannotEnter,
}

/// How identity was (or could not be) checked with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IdentityCheck {
    Pin,
    Visual,
    Face,
    PinUnavailable { why: PinUnavailable },
    VisualFailed,
}

/// A step staff take at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReceptionStep {
    AskCard,
    VisualCheck,
    /// 顔認証 at the clinic's 顔認証付きカードリーダー (at a desk only).
    FaceRecognition,
    FamilyBringsDocument,
    PhoneInsurer,
    OnlineQuery,
    WelfareOffice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StepResult {
    Failed,
    Confirmed,
    Pending,
}

/// A step already taken, its result, and (confirmed) the share learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct StepTaken {
    pub step: ReceptionStep,
    pub result: StepResult,
    pub share: Option<u8>,
}

/// Where the patient is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CareSetting {
    Clinic,
    Home,
    Facility,
    /// 対診 at another hospital.
    Consultation,
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
    pub identity: Option<IdentityCheck>,
    pub tried: Vec<StepTaken>,
    pub setting: CareSetting,
    /// The card was read with a 汎用カードリーダー (consent on paper).
    #[uniffi(default = false)]
    pub general_purpose_reader: bool,
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
            identity: s.identity.map(|i| match i {
                IdentityCheck::Pin => r::Identity::Pin,
                IdentityCheck::Visual => r::Identity::Visual,
                IdentityCheck::Face => r::Identity::Face,
                IdentityCheck::VisualFailed => r::Identity::VisualFailed,
                IdentityCheck::PinUnavailable { why } => r::Identity::PinUnavailable {
                    why: match why {
                        PinUnavailable::NotSet => r::PinUnavailable::NotSet,
                        PinUnavailable::Forgotten => r::PinUnavailable::Forgotten,
                        PinUnavailable::Locked => r::PinUnavailable::Locked,
                        PinUnavailable::CannotEnter => r::PinUnavailable::CannotEnter,
                    },
                },
            }),
            tried: s
                .tried
                .into_iter()
                .map(|t| r::Attempt {
                    step: match t.step {
                        ReceptionStep::AskCard => r::Step::AskCard,
                        ReceptionStep::VisualCheck => r::Step::VisualCheck,
                        ReceptionStep::FaceRecognition => r::Step::FaceRecognition,
                        ReceptionStep::FamilyBringsDocument => r::Step::FamilyBringsDocument,
                        ReceptionStep::PhoneInsurer => r::Step::PhoneInsurer,
                        ReceptionStep::OnlineQuery => r::Step::OnlineQuery,
                        ReceptionStep::WelfareOffice => r::Step::WelfareOffice,
                    },
                    result: match t.result {
                        StepResult::Failed => r::StepResult::Failed,
                        StepResult::Confirmed => r::StepResult::Confirmed,
                        StepResult::Pending => r::StepResult::Pending,
                    },
                    share: t.share,
                })
                .collect(),
            setting: match s.setting {
                CareSetting::Clinic => r::Setting::Clinic,
                CareSetting::Home => r::Setting::Home,
                CareSetting::Facility => r::Setting::Facility,
                CareSetting::Consultation => r::Setting::Consultation,
            },
            general_purpose_reader: s.general_purpose_reader,
        })
    }
}
