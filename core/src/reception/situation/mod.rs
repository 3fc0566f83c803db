// SPDX-License-Identifier: MPL-2.0
//! The input: what the patient presents, how identity was checked, what was
//! already tried, and the context at the door. JSON-friendly (`houmon
//! assess --file`, [`Situation::from_json`]), validated before any rule
//! runs (`validate.rs`).

mod json;
mod validate;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::policy::RuleId;
pub use crate::renewal::CertificateCarrier;

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

    /// Where a 資格確認書 is asked for.
    pub fn office_ja(self) -> &'static str {
        match self {
            InsurerKind::Kokuho => "お住まいの市区町村の国民健康保険の窓口",
            InsurerKind::Employee => "勤務先、または加入している健康保険組合・協会けんぽ・共済組合",
            InsurerKind::Kouki => {
                "お住まいの市区町村の後期高齢者医療の窓口(後期高齢者医療広域連合)"
            }
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
    /// The card is not registered for 保険証 use: it is not a マイナ保険証.
    NotRegistered,
}

/// What happened with the patient's マイナ保険証.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum CardStatus {
    /// Identity confirmed and the online check answered 有効.
    Confirmed,
    /// The online check could not be done or did not confirm.
    CannotCheck { reason: CannotCheck },
}

/// Why the patient's マイナ保険証 is not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardAbsence {
    /// Lost (紛失).
    Lost,
    /// Being renewed or reissued (更新中・再発行中).
    BeingRenewed,
    /// At home, or kept by the family or the facility.
    NotWithThem,
}

/// Which kind of マイナンバーカード it is (the lecture's three kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardKind {
    /// 顔写真付き, with a PIN (the usual card).
    #[default]
    Standard,
    /// 「顔認証」と記載されたカード: no PIN set; 顔認証 or 目視.
    FaceRecognition,
    /// 顔写真なし (e.g. issued to a child under one from 2024-12-02): PIN only.
    NoPhoto,
}

/// A document the patient presents (or says they have).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Document {
    /// マイナ保険証 (the card). `certificate_expiry`: the 利用者証明用電子証明書's
    /// (or the card's) expiry date, when known; `card_kind`: a photo-less or
    /// 顔認証 card; `carrier`: the card itself or a smartphone (スマホ用電子証明書,
    /// which has no grace after its expiry).
    MynaCard {
        status: CardStatus,
        #[serde(default)]
        certificate_expiry: Option<NaiveDate>,
        #[serde(default)]
        card_kind: CardKind,
        #[serde(default)]
        carrier: CertificateCarrier,
    },
    /// The patient has a マイナ保険証 but it is not here.
    CardNotHere { reason: CardAbsence },
    /// 資格確認書. `issued_on`: the 交付日, where staff have it (the validity
    /// is at most 5 years from it).
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
    /// 資格情報のお知らせ. For patients of 70 and over it prints the
    /// 負担割合 with the period it applies to (`share_valid_until`).
    QualificationNotice {
        #[serde(default)]
        share_printed: Option<u8>,
        #[serde(default)]
        share_valid_until: Option<NaiveDate>,
    },
    /// マイナポータルの資格情報画面 (or its PDF).
    PortalScreen,
    /// 高齢受給者証.
    ElderlyRecipientCertificate { valid_until: NaiveDate, share: u8 },
    /// 限度額適用認定証, 限度額適用・標準負担額減額認定証, 特定疾病療養受療証.
    LimitCertificate { valid_until: NaiveDate },
    /// 生活保護の医療扶助: the patient receives 生活保護. `ticket`: the
    /// 医療券 is at hand (or was sent to the clinic); `self_pay_yen`: the
    /// 本人支払額 printed on it, if any.
    MedicalAssistance {
        #[serde(default)]
        ticket: bool,
        #[serde(default)]
        self_pay_yen: Option<u32>,
    },
    /// A 公費負担医療 受給者証 (e.g. 54 難病, 52 小児慢性, 21 自立支援(精神通院),
    /// 15 自立支援(更生医療)): `law_number` is the 法別番号 (2 digits);
    /// `self_share` the patient's share in 割 (0 when none), `monthly_cap_yen`
    /// the monthly limit, as printed.
    PublicExpenseCertificate {
        law_number: String,
        valid_until: NaiveDate,
        #[serde(default)]
        self_share: Option<u8>,
        #[serde(default)]
        monthly_cap_yen: Option<u32>,
    },
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
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum History {
    FirstVisit,
    /// A returning patient; `share_on_file` is the 負担割合 last billed.
    ReturnVisit {
        #[serde(default)]
        share_on_file: Option<u8>,
    },
}

/// Why the PIN cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinUnavailable {
    /// A 顔認証マイナンバーカード: no PIN is set.
    NotSet,
    Forgotten,
    Locked,
    /// The patient cannot enter it (dementia, disability, condition).
    CannotEnter,
}

/// How identity was (or could not be) checked with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Identity {
    Pin,
    /// 目視 (照合番号B and the chip's photo).
    Visual,
    /// 顔認証 at a reader.
    Face,
    /// The PIN cannot be used; 目視 has not been done yet.
    PinUnavailable {
        why: PinUnavailable,
    },
    /// 目視 was tried and could not confirm the person.
    VisualFailed,
}

/// A step staff can take at the door, in the order they are suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Ask for the マイナ保険証 or the 資格確認書 (or for it to be fetched).
    AskCard,
    /// 目視 (the photo compared with the person), then the online check:
    /// with this app on a visit, at the reader or the terminal at a desk.
    VisualCheck,
    /// 顔認証 at the clinic's 顔認証付きカードリーダー (before 目視 there).
    FaceRecognition,
    /// The family brings the 資格確認書 (or the card and the お知らせ).
    FamilyBringsDocument,
    /// Phone the insurer.
    PhoneInsurer,
    /// Query オンライン資格確認 with the numbers on a document.
    OnlineQuery,
    /// Call the 福祉事務所 (生活保護).
    WelfareOffice,
}

impl Step {
    pub fn text_ja(self) -> &'static str {
        match self {
            Step::AskCard => "マイナ保険証か資格確認書を見せてもらう(家にあれば持ってきてもらう)",
            Step::VisualCheck => {
                "目視確認で本人確認する(カードの顔写真と本人を見比べる)。そのうえでオンライン資格確認を行う"
            }
            Step::FaceRecognition => {
                "顔認証付きカードリーダーで顔認証してもらう(顔認証に失敗し、かつ暗証番号を忘れた・ロックのときに目視確認へ)"
            }
            Step::FamilyBringsDocument => {
                "資格確認書(またはマイナ保険証と資格情報のお知らせ)を家族に届けてもらう"
            }
            Step::PhoneInsurer => {
                "保険者に電話して資格(保険者番号・記号・番号・負担割合)を確認する"
            }
            Step::OnlineQuery => "書類の被保険者番号等でオンライン資格確認に照会する",
            Step::WelfareOffice => {
                "福祉事務所(担当のケースワーカー)に連絡し、医療券を発行・送付してもらう"
            }
        }
    }
}

impl Step {
    /// What an acceptance rests on when this step confirmed the insurance.
    pub fn confirmed_basis_ja(self) -> &'static str {
        match self {
            Step::AskCard => "持ってきてもらったマイナ保険証・資格確認書で資格を確認",
            Step::VisualCheck => "目視で本人確認し、オンライン資格確認で資格を確認",
            Step::FaceRecognition => "顔認証で本人確認し、オンライン資格確認で資格を確認",
            Step::FamilyBringsDocument => "家族が届けた資格確認書等で資格を確認",
            Step::PhoneInsurer => "保険者への電話で資格を確認",
            Step::OnlineQuery => "被保険者番号等によるオンライン資格確認の照会で資格を確認",
            Step::WelfareOffice => "福祉事務所に確認",
        }
    }
}

/// What came of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    /// Done, and it did not confirm anything.
    Failed,
    /// Done, and it confirmed the patient's insurance (with the share, if told).
    Confirmed,
    /// Under way (the family is bringing the document, the insurer calls back).
    Pending,
}

/// A step already taken, and its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub step: Step,
    pub result: StepResult,
    /// With `confirmed`: the 負担割合 learnt (1–3).
    #[serde(default)]
    pub share: Option<u8>,
}

/// Where the patient is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// At the clinic's own counter.
    Clinic,
    /// At the patient's home (在宅医療), the default.
    #[default]
    Home,
    /// At a care facility (施設).
    Facility,
    /// 対診: this doctor sees the patient at another hospital, where the
    /// patient is an inpatient.
    Consultation,
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
    /// How identity was checked with the card (when there is one).
    #[serde(default)]
    pub identity: Option<Identity>,
    /// Steps already taken and what came of them.
    #[serde(default)]
    pub tried: Vec<Attempt>,
    #[serde(default)]
    pub setting: Setting,
    /// The card was read with a 汎用カードリーダー (no consent screen: the
    /// consent is taken on paper).
    #[serde(default)]
    pub general_purpose_reader: bool,
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
    /// A situation on `date` with nothing presented (builders for callers).
    pub fn on(date: NaiveDate, history: History, online_check: OnlineCheck) -> Situation {
        Situation {
            date,
            birth_date: None,
            age: None,
            insurer_kind: None,
            history,
            online_check,
            documents: Vec::new(),
            identity: None,
            tried: Vec::new(),
            setting: Setting::default(),
            general_purpose_reader: false,
        }
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

    /// What came of `step`, if it was tried.
    pub fn result_of(&self, step: Step) -> Option<Attempt> {
        self.tried.iter().rev().find(|a| a.step == step).copied()
    }

    /// The insurer kind as given, or 後期高齢者医療 from 75 (everyone is
    /// enrolled in it at 75, except those on 生活保護).
    pub fn likely_insurer(&self) -> Option<InsurerKind> {
        self.insurer().or_else(|| self.age().filter(|a| *a >= 75).map(|_| InsurerKind::Kouki))
    }

    /// The マイナ保険証 as presented: its status, certificate expiry, kind and carrier.
    pub fn card(&self) -> Option<(CardStatus, Option<NaiveDate>, CardKind, CertificateCarrier)> {
        self.documents.iter().find_map(|d| match d {
            Document::MynaCard { status, certificate_expiry, card_kind, carrier } => {
                Some((*status, *certificate_expiry, *card_kind, *carrier))
            }
            _ => None,
        })
    }

    /// Seen on a visit (home, facility, 対診), not at the clinic's desk.
    pub fn on_visit(&self) -> bool {
        self.setting != Setting::Clinic
    }

    /// The insurer kind, from the input or a document.
    pub fn insurer(&self) -> Option<InsurerKind> {
        self.insurer_kind.or_else(|| {
            self.documents.iter().find_map(|d| match d {
                Document::Kakuninsho { insurer_kind, .. }
                | Document::HealthInsuranceCard { insurer_kind, .. } => Some(*insurer_kind),
                _ => None,
            })
        })
    }
}
