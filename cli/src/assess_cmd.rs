// SPDX-License-Identifier: MPL-2.0
//! `houmon assess`: reception guidance for a situation given as a JSON file
//! or as flags.

use std::io::Read;

use chrono::{NaiveDate, Utc};
use houmon_core::cert::jst;
use houmon_core::reception::{
    assess, CannotCheck, CardStatus, Document, History, InsurerKind, OnlineCheck, Policy, Situation,
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
        documents.push(Document::MynaCard { status, certificate_expiry: a.cert_expiry });
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
        documents.push(Document::QualificationNotice { share_printed: a.share_printed });
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
