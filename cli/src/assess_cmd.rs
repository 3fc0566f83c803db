// SPDX-License-Identifier: MPL-2.0
//! `houmon assess`: reception guidance for a situation given as a JSON file
//! or as flags. Every error staff see is Japanese and says what to fix: bad
//! values (instead of clap's English, [`clap_error_ja`]), flags that would be
//! ignored, and contradictions (the core's checks).

use std::io::Read;

use chrono::{NaiveDate, Utc};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use houmon_core::card::cert::jst;
use houmon_core::reception::{
    assess, Attempt, CannotCheck, CardAbsence, CardKind, CardStatus, CertificateCarrier, Document,
    History, Identity, InsurerKind, OnlineCheck, Policy, Setting, Situation, Step, StepResult,
};

#[derive(clap::Args)]
pub struct AssessArgs {
    /// The situation as JSON (`-` for standard input); no other flag but --json then.
    #[arg(long)]
    file: Option<String>,
    /// Print the assessment as JSON.
    #[arg(long)]
    json: bool,
    /// Date of the visit, YYYY-MM-DD (default: today in Japan).
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
    #[arg(long, value_parser = parse_date)]
    birth_date: Option<NaiveDate>,
    #[arg(long, value_parser = parse_number::<u32>)]
    age: Option<u32>,
    /// kokuho, employee or kouki.
    #[arg(long, value_parser = parse_json_str::<InsurerKind>)]
    insurer_kind: Option<InsurerKind>,
    /// A returning patient (default: first visit).
    #[arg(long)]
    return_visit: bool,
    /// 負担割合 on file for a returning patient (1–3; with --return-visit).
    #[arg(long, value_parser = parse_number::<u8>)]
    share_on_file: Option<u8>,
    /// now (default), later, limited-app or none.
    #[arg(long, value_parser = parse_json_str::<OnlineCheck>)]
    online: Option<OnlineCheck>,
    /// マイナ保険証: confirmed, no-network, device-or-card-fault, result-invalid,
    /// result-no-record or not-registered.
    #[arg(long, value_parser = parse_card)]
    card: Option<CardStatus>,
    /// Expiry of the card's 利用者証明用電子証明書 (with --card).
    #[arg(long, value_parser = parse_date)]
    cert_expiry: Option<NaiveDate>,
    /// The kind of card (with --card): standard, face-recognition (「顔認証」と
    /// 記載、暗証番号なし) or no-photo (顔写真なし: 暗証番号のみ).
    #[arg(long, value_parser = parse_json_str::<CardKind>)]
    card_kind: Option<CardKind>,
    /// The マイナ保険証 is on a smartphone (スマホ用電子証明書: no grace; with --card).
    #[arg(long)]
    smartphone: bool,
    /// The card was read with a 汎用カードリーダー (paper consent; with --card).
    #[arg(long)]
    general_purpose_reader: bool,
    /// 資格確認書 valid until this date (insurer kind from --insurer-kind).
    #[arg(long, value_parser = parse_date)]
    kakuninsho_until: Option<NaiveDate>,
    /// The 資格確認書's issue date (交付日), if printed (with --kakuninsho-until).
    #[arg(long, value_parser = parse_date)]
    kakuninsho_issued: Option<NaiveDate>,
    /// 負担割合 printed on the 資格確認書 or the お知らせ.
    #[arg(long, value_parser = parse_number::<u8>)]
    share_printed: Option<u8>,
    /// The former 健康保険証 (insurer kind from --insurer-kind); its printed expiry if any.
    #[arg(long)]
    hokensho: bool,
    #[arg(long, value_parser = parse_date)]
    hokensho_until: Option<NaiveDate>,
    /// 資格情報のお知らせ.
    #[arg(long)]
    notice: bool,
    /// マイナポータル 資格情報画面 (or its PDF).
    #[arg(long)]
    portal: bool,
    /// 高齢受給者証 as UNTIL:SHARE, e.g. 2027-07-31:2.
    #[arg(long)]
    elderly: Option<String>,
    /// 限度額適用認定証 etc. valid until.
    #[arg(long, value_parser = parse_date)]
    limit_until: Option<NaiveDate>,
    /// The end of the period the お知らせ's 負担割合 applies to (70 and over; with --notice).
    #[arg(long, value_parser = parse_date)]
    notice_share_until: Option<NaiveDate>,
    /// The マイナ保険証 is not here: lost, being-renewed or not-with-them.
    #[arg(long, value_parser = parse_json_str::<CardAbsence>)]
    card_not_here: Option<CardAbsence>,
    /// How identity was checked with the card: pin, visual, face,
    /// visual-failed, or pin-unavailable:WHY (not-set, forgotten, locked,
    /// cannot-enter).
    #[arg(long, value_parser = parse_identity)]
    identity: Option<Identity>,
    /// A step already taken: STEP=RESULT[:SHARE], e.g. phone-insurer=confirmed:3,
    /// family-brings-document=pending, ask-card=failed (repeatable). Steps:
    /// ask-card, visual-check, face-recognition (at a desk), family-brings-document,
    /// phone-insurer, online-query, welfare-office.
    #[arg(long = "tried", value_parser = parse_attempt)]
    tried: Vec<Attempt>,
    /// clinic, home (default), facility or consultation (対診).
    #[arg(long, value_parser = parse_json_str::<Setting>)]
    setting: Option<Setting>,
    /// 生活保護 (医療扶助).
    #[arg(long)]
    welfare: bool,
    /// The 医療券 is at hand (with --welfare).
    #[arg(long)]
    welfare_ticket: bool,
    /// The 本人支払額 on the 医療券, in yen (with --welfare).
    #[arg(long, value_parser = parse_number::<u32>)]
    welfare_self_pay: Option<u32>,
    /// A 公費負担医療 受給者証: LAW:UNTIL[:SHARE[:CAP]] — 法別番号, valid until,
    /// the patient's share in 割, the monthly cap in yen (repeatable).
    #[arg(long = "public-expense")]
    public_expense: Vec<String>,
}

/// The values a kebab-case enum takes, from serde's own message.
fn allowed_values(e: &serde_json::Error) -> String {
    let m = e.to_string();
    m.split("expected ")
        .nth(1)
        .unwrap_or_default()
        .replace('`', "")
        .replace("one of ", "")
        .replace(" or ", ", ")
        .split(" at line")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn parse_json_str<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|e| format!("「{s}」は使えません(使える値: {})", allowed_values(&e)))
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        format!("「{s}」は日付として読めません。YYYY-MM-DD(例: 2026-11-26)で書いてください")
    })
}

fn parse_number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("「{s}」は数として読めません(半角の数字で書いてください)"))
}

fn parse_card(s: &str) -> Result<CardStatus, String> {
    if s == "confirmed" {
        return Ok(CardStatus::Confirmed);
    }
    serde_json::from_value::<CannotCheck>(serde_json::Value::String(s.into()))
        .map(|reason| CardStatus::CannotCheck { reason })
        .map_err(|e| format!("「{s}」は使えません(使える値: confirmed, {})", allowed_values(&e)))
}

fn parse_identity(s: &str) -> Result<Identity, String> {
    let json = match s.split_once(':') {
        Some(("pin-unavailable", why)) => {
            serde_json::json!({"method": "pin-unavailable", "why": why})
        }
        _ => serde_json::json!({ "method": s }),
    };
    serde_json::from_value(json).map_err(|_| {
        format!("「{s}」は使えません(使える値: pin, visual, face, visual-failed, pin-unavailable:not-set|forgotten|locked|cannot-enter)")
    })
}

fn parse_attempt(s: &str) -> Result<Attempt, String> {
    let shape = "STEP=RESULT[:SHARE](例: phone-insurer=confirmed:3)で書いてください";
    let (step, rest) = s.split_once('=').ok_or_else(|| format!("「{s}」は {shape}"))?;
    let (result, share) = match rest.split_once(':') {
        Some((r, w)) => (r, Some(parse_number::<u8>(w)?)),
        None => (rest, None),
    };
    Ok(Attempt {
        step: parse_json_str::<Step>(step)?,
        result: parse_json_str::<StepResult>(result)?,
        share,
    })
}

/// A clap error (a bad value, an unknown flag) in Japanese, with what to do.
pub fn clap_error_ja(e: &clap::Error) -> String {
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    // "--insurer-kind <INSURER_KIND>" → "--insurer-kind"
    let flag =
        text(ContextKind::InvalidArg).split([' ', '=']).next().unwrap_or_default().to_owned();
    let value = text(ContextKind::InvalidValue);
    let help = "使える項目と値は `houmon assess --help` で確認できます";
    let what = match e.kind() {
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("「{value}」は使えません"));
            format!("「{flag}」の値: {why}")
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("「{flag}」には値が必要です"),
        ErrorKind::InvalidValue => {
            let valid = text(ContextKind::ValidValue);
            format!("「{flag}」の値「{value}」は使えません(使える値: {valid})")
        }
        ErrorKind::UnknownArgument => {
            let suggested = text(ContextKind::SuggestedArg);
            let hint = if suggested.is_empty() {
                String::new()
            } else {
                format!("(「{suggested}」のことですか?)")
            };
            format!("「{flag}」という項目はありません{hint}")
        }
        ErrorKind::ArgumentConflict => {
            format!("「{flag}」は「{}」と一緒には使えません", text(ContextKind::PriorArg))
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            format!("「{flag}」の値の数が違います")
        }
        ErrorKind::MissingRequiredArgument => "必要な項目が足りません".to_owned(),
        _ => "入力の書き方が正しくありません".to_owned(),
    };
    format!("入力内容を確認してください: {what}。{help}")
}

impl AssessArgs {
    /// The situation flags given (everything but --file and --json).
    fn flags_given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut given = |yes: bool, name: &'static str| {
            if yes {
                v.push(name);
            }
        };
        given(self.date.is_some(), "--date");
        given(self.birth_date.is_some(), "--birth-date");
        given(self.age.is_some(), "--age");
        given(self.insurer_kind.is_some(), "--insurer-kind");
        given(self.return_visit, "--return-visit");
        given(self.share_on_file.is_some(), "--share-on-file");
        given(self.online.is_some(), "--online");
        given(self.card.is_some(), "--card");
        given(self.cert_expiry.is_some(), "--cert-expiry");
        given(self.card_kind.is_some(), "--card-kind");
        given(self.smartphone, "--smartphone");
        given(self.general_purpose_reader, "--general-purpose-reader");
        given(self.kakuninsho_until.is_some(), "--kakuninsho-until");
        given(self.kakuninsho_issued.is_some(), "--kakuninsho-issued");
        given(self.share_printed.is_some(), "--share-printed");
        given(self.hokensho, "--hokensho");
        given(self.hokensho_until.is_some(), "--hokensho-until");
        given(self.notice, "--notice");
        given(self.portal, "--portal");
        given(self.elderly.is_some(), "--elderly");
        given(self.limit_until.is_some(), "--limit-until");
        given(self.notice_share_until.is_some(), "--notice-share-until");
        given(self.card_not_here.is_some(), "--card-not-here");
        given(self.identity.is_some(), "--identity");
        given(!self.tried.is_empty(), "--tried");
        given(self.setting.is_some(), "--setting");
        given(self.welfare, "--welfare");
        given(self.welfare_ticket, "--welfare-ticket");
        given(self.welfare_self_pay.is_some(), "--welfare-self-pay");
        given(!self.public_expense.is_empty(), "--public-expense");
        v
    }

    /// Flags that would be ignored without the one they belong to.
    fn stray_flag(&self) -> Option<String> {
        let needs = |given: bool, flag: &str, has: bool, with: &str| {
            (given && !has).then(|| {
                format!(
                    "{flag} は {with} と一緒に使います({with} を加えるか、{flag} を外してください)"
                )
            })
        };
        let card = self.card.is_some();
        needs(self.share_on_file.is_some(), "--share-on-file", self.return_visit, "--return-visit")
            .or_else(|| needs(self.cert_expiry.is_some(), "--cert-expiry", card, "--card"))
            .or_else(|| needs(self.card_kind.is_some(), "--card-kind", card, "--card"))
            .or_else(|| needs(self.smartphone, "--smartphone", card, "--card"))
            .or_else(|| {
                needs(self.general_purpose_reader, "--general-purpose-reader", card, "--card")
            })
            .or_else(|| {
                needs(
                    self.kakuninsho_issued.is_some(),
                    "--kakuninsho-issued",
                    self.kakuninsho_until.is_some(),
                    "--kakuninsho-until",
                )
            })
            .or_else(|| {
                needs(
                    self.share_printed.is_some(),
                    "--share-printed",
                    self.kakuninsho_until.is_some() || self.notice,
                    "--kakuninsho-until か --notice",
                )
            })
            .or_else(|| {
                needs(
                    self.notice_share_until.is_some(),
                    "--notice-share-until",
                    self.notice,
                    "--notice",
                )
            })
            .or_else(|| needs(self.welfare_ticket, "--welfare-ticket", self.welfare, "--welfare"))
            .or_else(|| {
                needs(
                    self.welfare_self_pay.is_some(),
                    "--welfare-self-pay",
                    self.welfare,
                    "--welfare",
                )
            })
    }
}

fn from_flags(a: &AssessArgs) -> Result<Situation, String> {
    if let Some(stray) = a.stray_flag() {
        return Err(format!("入力内容を確認してください: {stray}"));
    }
    let kind = || {
        a.insurer_kind.ok_or(
            "入力内容を確認してください: 資格確認書・保険証には --insurer-kind(kokuho, employee, kouki)も指定してください",
        )
    };
    let bad_part = |flag: &str, shape: &str| {
        format!("入力内容を確認してください: {flag} は {shape} の形で書いてください")
    };
    let mut documents = Vec::new();
    if let Some(status) = a.card {
        documents.push(Document::MynaCard {
            status,
            certificate_expiry: a.cert_expiry,
            card_kind: a.card_kind.unwrap_or_default(),
            carrier: if a.smartphone {
                CertificateCarrier::Smartphone
            } else {
                CertificateCarrier::Card
            },
        });
    }
    if let Some(until) = a.kakuninsho_until {
        documents.push(Document::Kakuninsho {
            insurer_kind: kind()?,
            valid_until: until,
            issued_on: a.kakuninsho_issued,
            share_printed: a.share_printed,
        });
    }
    if a.hokensho || a.hokensho_until.is_some() {
        documents.push(Document::HealthInsuranceCard {
            insurer_kind: kind()?,
            valid_until: a.hokensho_until,
        });
    }
    if a.notice {
        documents.push(Document::QualificationNotice {
            share_printed: a.share_printed,
            share_valid_until: a.notice_share_until,
        });
    }
    if let Some(reason) = a.card_not_here {
        documents.push(Document::CardNotHere { reason });
    }
    if a.welfare {
        documents.push(Document::MedicalAssistance {
            ticket: a.welfare_ticket,
            self_pay_yen: a.welfare_self_pay,
        });
    }
    for p in &a.public_expense {
        let shape = "LAW:UNTIL[:SHARE[:CAP]](例: 54:2027-03-31:2:5000)";
        let bad = || bad_part("--public-expense", shape);
        let mut parts = p.split(':');
        let law = parts.next().unwrap_or_default().to_owned();
        let until = parts.next().ok_or_else(bad)?;
        let share = parts.next().map(parse_number::<u8>).transpose().map_err(|_| bad())?;
        let cap = parts.next().map(parse_number::<u32>).transpose().map_err(|_| bad())?;
        if parts.next().is_some() {
            return Err(bad());
        }
        documents.push(Document::PublicExpenseCertificate {
            law_number: law,
            valid_until: parse_date(until).map_err(|_| bad())?,
            self_share: share,
            monthly_cap_yen: cap,
        });
    }
    if a.portal {
        documents.push(Document::PortalScreen);
    }
    if let Some(e) = &a.elderly {
        let bad = || bad_part("--elderly", "UNTIL:SHARE(例: 2027-07-31:2)");
        let (until, share) = e.split_once(':').ok_or_else(bad)?;
        documents.push(Document::ElderlyRecipientCertificate {
            valid_until: parse_date(until).map_err(|_| bad())?,
            share: parse_number(share).map_err(|_| bad())?,
        });
    }
    if let Some(until) = a.limit_until {
        documents.push(Document::LimitCertificate { valid_until: until });
    }
    Ok(Situation {
        date: a.date.unwrap_or_else(|| Utc::now().with_timezone(&jst()).date_naive()),
        birth_date: a.birth_date,
        age: a.age,
        insurer_kind: a.insurer_kind,
        history: if a.return_visit {
            History::ReturnVisit { share_on_file: a.share_on_file }
        } else {
            History::FirstVisit
        },
        online_check: a.online.unwrap_or(OnlineCheck::Now),
        documents,
        identity: a.identity,
        tried: a.tried.clone(),
        setting: a.setting.unwrap_or_default(),
        general_purpose_reader: a.general_purpose_reader,
    })
}

/// Why a file could not be read, in words.
fn io_ja(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "ファイルがありません。名前と場所を確認してください",
        std::io::ErrorKind::PermissionDenied => "読む権限がありません",
        std::io::ErrorKind::InvalidData => "UTF-8 の文字として読めません。UTF-8 で保存してください",
        _ => "読み込み中にエラーが起きました",
    }
}

pub fn run(a: &AssessArgs) -> Result<(), String> {
    let situation = match &a.file {
        Some(path) => {
            let flags = a.flags_given();
            if !flags.is_empty() {
                return Err(format!(
                    "入力内容を確認してください: --file を使うときは、{} は JSON の中に書いてください(一緒に使えるのは --json だけです)",
                    flags.join(", ")
                ));
            }
            let mut json = String::new();
            if path == "-" {
                std::io::stdin()
                    .read_to_string(&mut json)
                    .map_err(|e| format!("標準入力を読めませんでした({})", io_ja(&e)))?;
            } else {
                json = std::fs::read_to_string(path)
                    .map_err(|e| format!("ファイル {path} を読めませんでした({})", io_ja(&e)))?;
            }
            Situation::from_json(&json).map_err(|e| e.staff_message())?
        }
        None => from_flags(a)?,
    };
    let assessment = assess(&situation, &Policy::embedded()).map_err(|e| e.staff_message())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&assessment).map_err(|e| e.to_string())?);
    } else {
        print!("{}", assessment.to_text());
    }
    Ok(())
}
