// SPDX-License-Identifier: MPL-2.0
//! `houmon assess`: reception guidance for a situation given as a JSON file
//! or as flags.

use std::io::Read;

use chrono::{NaiveDate, Utc};
use houmon_core::cert::jst;
use houmon_core::reception::{
    assess, Attempt, CannotCheck, CardAbsence, CardStatus, Document, History, Identity,
    InsurerKind, OnlineCheck, Policy, Setting, Situation, Step, StepResult,
};

#[derive(clap::Args)]
pub struct AssessArgs {
    /// The situation as JSON (`-` for standard input); flags are ignored then.
    #[arg(long)]
    file: Option<String>,
    /// Print the assessment as JSON.
    #[arg(long)]
    json: bool,
    /// Date of the visit (default: today in Japan).
    #[arg(long)]
    date: Option<NaiveDate>,
    #[arg(long)]
    birth_date: Option<NaiveDate>,
    #[arg(long)]
    age: Option<u32>,
    /// kokuho, employee or kouki.
    #[arg(long, value_parser = parse_kind)]
    insurer_kind: Option<InsurerKind>,
    /// A returning patient (default: first visit).
    #[arg(long)]
    return_visit: bool,
    /// 負担割合 on file for a returning patient (1–3).
    #[arg(long)]
    share_on_file: Option<u8>,
    /// now, later, limited-app or none.
    #[arg(long, default_value = "now", value_parser = parse_online)]
    online: OnlineCheck,
    /// マイナ保険証: confirmed, no-network, device-or-card-fault, result-invalid,
    /// result-no-record or not-registered.
    #[arg(long)]
    card: Option<String>,
    /// Expiry of the card's 利用者証明用電子証明書.
    #[arg(long)]
    cert_expiry: Option<NaiveDate>,
    /// 資格確認書 valid until this date (insurer kind from --insurer-kind).
    #[arg(long)]
    kakuninsho_until: Option<NaiveDate>,
    /// 負担割合 printed on the 資格確認書 or the お知らせ.
    #[arg(long)]
    share_printed: Option<u8>,
    /// The former 健康保険証 (insurer kind from --insurer-kind); its printed expiry if any.
    #[arg(long)]
    hokensho: bool,
    #[arg(long)]
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
    #[arg(long)]
    limit_until: Option<NaiveDate>,
    /// The end of the period the お知らせ's 負担割合 applies to (70 and over).
    #[arg(long)]
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
    /// ask-card, visual-check, family-brings-document, phone-insurer,
    /// online-query, welfare-office.
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
    #[arg(long)]
    welfare_self_pay: Option<u32>,
    /// A 公費負担医療 受給者証: LAW:UNTIL[:SHARE[:CAP]] — 法別番号, valid until,
    /// the patient's share in 割, the monthly cap in yen (repeatable).
    #[arg(long = "public-expense")]
    public_expense: Vec<String>,
}

fn parse_json_str<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|e| {
        let allowed = e.to_string();
        let allowed = allowed.split("expected ").nth(1).unwrap_or_default().replace(['`'], "");
        format!("unknown value {s:?}: {allowed}")
    })
}

fn parse_identity(s: &str) -> Result<Identity, String> {
    let json = match s.split_once(':') {
        Some(("pin-unavailable", why)) => {
            serde_json::json!({"method": "pin-unavailable", "why": why})
        }
        _ => serde_json::json!({ "method": s }),
    };
    serde_json::from_value(json).map_err(|_| {
        format!("unknown --identity {s:?}: pin, visual, face, visual-failed or pin-unavailable:not-set|forgotten|locked|cannot-enter")
    })
}

fn parse_attempt(s: &str) -> Result<Attempt, String> {
    let (step, rest) = s.split_once('=').ok_or("--tried takes STEP=RESULT[:SHARE]")?;
    let (result, share) = match rest.split_once(':') {
        Some((r, w)) => (r, Some(w.parse::<u8>().map_err(|_| format!("bad share {w:?}"))?)),
        None => (rest, None),
    };
    Ok(Attempt {
        step: parse_json_str::<Step>(step)?,
        result: parse_json_str::<StepResult>(result)?,
        share,
    })
}

fn parse_kind(s: &str) -> Result<InsurerKind, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| format!("unknown insurer kind {s:?}: kokuho, employee or kouki"))
}

fn parse_online(s: &str) -> Result<OnlineCheck, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| format!("unknown value {s:?}: now, later, limited-app or none"))
}

fn from_flags(a: &AssessArgs) -> Result<Situation, String> {
    let kind = || a.insurer_kind.ok_or("--insurer-kind is needed for a 資格確認書 or 保険証");
    let mut documents = Vec::new();
    if let Some(c) = &a.card {
        let status = if c == "confirmed" {
            CardStatus::Confirmed
        } else {
            let reason: CannotCheck = serde_json::from_value(serde_json::Value::String(c.clone()))
                .map_err(|_| format!("unknown --card {c:?}"))?;
            CardStatus::CannotCheck { reason }
        };
        documents.push(Document::MynaCard {
            status,
            certificate_expiry: a.cert_expiry,
            card_kind: Default::default(),
            carrier: Default::default(),
        });
    }
    if let Some(until) = a.kakuninsho_until {
        documents.push(Document::Kakuninsho {
            insurer_kind: kind()?,
            valid_until: until,
            issued_on: None,
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
        let mut parts = p.split(':');
        let law = parts.next().unwrap_or_default().to_owned();
        let until = parts.next().ok_or("--public-expense takes LAW:UNTIL[:SHARE[:CAP]]")?;
        let number = |v: Option<&str>| {
            v.map(|x| x.parse::<u32>().map_err(|_| format!("bad number {x:?}"))).transpose()
        };
        let share = number(parts.next())?;
        documents.push(Document::PublicExpenseCertificate {
            law_number: law,
            valid_until: until.parse().map_err(|_| format!("bad date {until:?}"))?,
            self_share: share.map(|w| w.min(255) as u8),
            monthly_cap_yen: number(parts.next())?,
        });
    }
    if a.portal {
        documents.push(Document::PortalScreen);
    }
    if let Some(e) = &a.elderly {
        let (until, share) = e.split_once(':').ok_or("--elderly takes UNTIL:SHARE")?;
        documents.push(Document::ElderlyRecipientCertificate {
            valid_until: until.parse().map_err(|_| format!("bad date {until:?}"))?,
            share: share.parse().map_err(|_| format!("bad share {share:?}"))?,
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
        online_check: a.online,
        documents,
        identity: a.identity,
        tried: a.tried.clone(),
        setting: a.setting.unwrap_or_default(),
        general_purpose_reader: false,
    })
}

pub fn run(a: &AssessArgs) -> Result<(), String> {
    let situation = match &a.file {
        Some(path) => {
            let mut json = String::new();
            if path == "-" {
                std::io::stdin().read_to_string(&mut json).map_err(|e| e.to_string())?;
            } else {
                json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
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
