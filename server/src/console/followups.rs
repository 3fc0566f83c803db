// SPDX-License-Identifier: MPL-2.0
//! The follow-up list the receptionist works through, computed from the
//! data (nothing to keep in step): visits that need the after-the-fact
//! check of a 被保険者資格申立書, claims that need the ②/③ path (and the
//! month's 不詳 count), cards held for review, records a phone could not
//! deliver, consents about to lapse, patients whose card certificate
//! expires within 3 months or is in (or past) its grace — the renewal coach
//! (`houmon_core::renewal`) run on the certificate the server verified, as
//! of today, not the phone's advice. Each can be resolved with a note
//! (`console/resolve.rs`: checked against the open item, audited).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use houmon_core::card::cert::AuthCertificate;
use houmon_core::protocol::{CheckOutcome, Eligibility};
use houmon_core::renewal::{self, CertificateCarrier};

use super::data::{self, VisitView};
use crate::app::App;
use crate::db::{console as cdb, patients, visits, DbResult};

/// The kinds, in the order the list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    HeldCard,
    AfterCheck,
    ClaimPath,
    Undelivered,
    ConsentLapsing,
    CertificateRenewal,
}

impl Kind {
    /// Every kind, in the order the list shows them.
    pub const ALL: [Kind; 6] = [
        Kind::HeldCard,
        Kind::AfterCheck,
        Kind::ClaimPath,
        Kind::Undelivered,
        Kind::ConsentLapsing,
        Kind::CertificateRenewal,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::HeldCard => "held-card",
            Kind::AfterCheck => "after-check",
            Kind::ClaimPath => "claim-path",
            Kind::Undelivered => "undelivered",
            Kind::ConsentLapsing => "consent-lapsing",
            Kind::CertificateRenewal => "certificate-renewal",
        }
    }

    /// The few words 本日 counts it under.
    pub fn short(self) -> &'static str {
        match self {
            Kind::HeldCard => "カード保留",
            Kind::AfterCheck => "申立書の事後確認",
            Kind::ClaimPath => "資格が有効でない",
            Kind::Undelivered => "送れなかった記録",
            Kind::ConsentLapsing => "同意の期限",
            Kind::CertificateRenewal => "証明書の更新",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::HeldCard => "登録と違うカード(確認待ち)",
            Kind::AfterCheck => "事後確認(被保険者資格申立書・照会エラー)",
            Kind::ClaimPath => "請求の方法(② 旧資格 / ③ 不詳)",
            Kind::Undelivered => "端末から送れなかった記録",
            Kind::ConsentLapsing => "同意の期限が近い患者",
            Kind::CertificateRenewal => "電子証明書の更新が必要な患者(期限が近い・猶予中)",
        }
    }
}

/// One thing to follow up.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    /// Unique within its kind (what a resolution names).
    pub key: String,
    pub when: Option<DateTime<Utc>>,
    pub who: String,
    /// The patient's number and age (「k1・86歳」), shown beside the name.
    pub whom: Option<String>,
    pub what: String,
    pub todo: String,
    pub visit_id: Option<String>,
}

/// How far back visits are followed up.
pub const WINDOW_DAYS: i64 = 62;
/// Consents that end within this many days are listed.
pub const CONSENT_NOTICE_DAYS: i64 = 14;

pub struct FollowUps {
    pub open: Vec<Item>,
    /// 不詳 claims (③) per month (YYYY-MM), resolved or not.
    pub fushou_by_month: BTreeMap<String, usize>,
    pub resolved: Vec<cdb::Resolution>,
}

fn name(v: &VisitView) -> String {
    v.patient_name
        .clone()
        .unwrap_or_else(|| v.row.patient_id.clone().unwrap_or_else(|| "(患者未指定)".into()))
}

/// 「k1・86歳」
fn number_age(v: &VisitView) -> Option<String> {
    let id = v.row.patient_id.as_ref()?;
    Some(match v.age() {
        Some(a) => format!("{id}・{a}歳"),
        None => id.clone(),
    })
}

pub fn compute(app: &App, now: DateTime<Utc>) -> DbResult<FollowUps> {
    let today = now.with_timezone(&houmon_core::card::cert::jst()).date_naive();
    let from = data::day_bounds(today - Duration::days(WINDOW_DAYS)).0;
    let rows = app.db.read(|c, _| visits::between(c, from, now + Duration::days(1)))?;
    let resolved = app.db.read(|c, _| cdb::resolutions(c))?;
    let done: HashSet<(String, String)> =
        resolved.iter().map(|r| (r.kind.clone(), r.item.clone())).collect();
    let mut items = Vec::new();
    let mut fushou_by_month = BTreeMap::new();
    let mut renewals = Renewals::default();
    for row in rows {
        let v = data::view(app, row)?;
        let who = name(&v);
        let whom = number_age(&v);
        let when = Some(v.row.visited_at);
        renewals.see(&v, &who, whom.clone());
        if v.row.status == "held" {
            items.push(Item {
                kind: Kind::HeldCard,
                key: v.row.id.clone(),
                when,
                who: who.clone(),
                whom: whom.clone(),
                what: format!(
                    "登録と違うカードで本人確認({})",
                    match v.row.held_reason.as_deref() {
                        Some("card-enrolled-to-another-patient") => "別の患者に登録済みのカード",
                        _ => "登録済みのカードと違う",
                    }
                ),
                todo: "再発行されたカードなら「再発行として承認」、そうでなければ「却下」".into(),
                visit_id: Some(v.row.id.clone()),
            });
            continue;
        }
        match v.result.as_ref().map(|r| &r.outcome) {
            None if !v.checked && v.row.patient_id.is_some() => items.push(Item {
                kind: Kind::AfterCheck,
                key: v.row.id.clone(),
                when,
                who: who.clone(),
                whom: whom.clone(),
                what: "被保険者番号が未登録のため照会できていません".into(),
                todo: "被保険者番号等を患者から聞き取って登録し、照会する(被保険者資格申立書の事後確認)".into(),
                visit_id: Some(v.row.id.clone()),
            }),
            Some(CheckOutcome::Error { message, .. }) => items.push(Item {
                kind: Kind::AfterCheck,
                key: v.row.id.clone(),
                when,
                who: who.clone(),
                whom: whom.clone(),
                what: format!("照会エラー: {message}"),
                todo: "資格確認端末で再照会する。確認できなければ請求は ①→②→③ の順".into(),
                visit_id: Some(v.row.id.clone()),
            }),
            Some(CheckOutcome::Answered { eligibility, .. }) => {
                let todo = match eligibility {
                    Eligibility::Invalid | Eligibility::InvalidNewQualification => Some((
                        "資格(無効)",
                        "新しい資格を聞き取れれば ①、分からなければ ② 旧資格の被保険者番号等で請求",
                    )),
                    Eligibility::NoRecord => {
                        // The month in Japan: a visit before 09:00 JST on the 1st
                        // is in that month, though still the previous one in UTC.
                        let local = v.row.visited_at.with_timezone(&houmon_core::card::cert::jst());
                        let month = format!("{:04}-{:02}", local.year(), local.month());
                        *fushou_by_month.entry(month).or_insert(0) += 1;
                        Some((
                            "該当資格なし",
                            "③ 不詳レセプト: 保険者番号等を「7」で埋め、申立書の住所・連絡先等を摘要欄に記載",
                        ))
                    }
                    Eligibility::MultipleMatches => Some(("複数該当", "患者に確認して正しい資格で再照会する")),
                    _ => None,
                };
                if let Some((what, todo)) = todo {
                    items.push(Item {
                        kind: Kind::ClaimPath,
                        key: v.row.id.clone(),
                        when,
                        who: who.clone(),
                        whom: whom.clone(),
                        what: format!("資格確認端末の回答: {what}"),
                        todo: todo.into(),
                        visit_id: Some(v.row.id.clone()),
                    });
                }
            }
            _ => {}
        }
    }
    for u in app.db.read(|c, _| cdb::undelivered(c))? {
        items.push(Item {
            kind: Kind::Undelivered,
            key: format!("{}/{}", u.device_id, u.record_id),
            when: u.reported_at,
            who: format!("端末 {}", u.device_id),
            whom: None,
            what: undelivered_reason(&u.reason),
            todo: "理由を確認し、直せるもの(訪問予定への追加など)は直して端末で再送する。再送できないものは端末で破棄".into(),
            visit_id: None,
        });
    }
    items.extend(renewals.items(now));
    let lapse_by = today + Duration::days(CONSENT_NOTICE_DAYS);
    for p in app.db.read(patients::all)? {
        if let Some(until) = p.consent_until.filter(|u| *u >= today && *u <= lapse_by) {
            items.push(Item {
                kind: Kind::ConsentLapsing,
                key: format!("{}:{until}", p.patient_id),
                when: None,
                who: p.personal.name.clone(),
                whom: Some(format!(
                    "{}・{}歳",
                    p.patient_id,
                    super::dates::age(p.personal.birth_date, today)
                )),
                what: format!("情報提供の同意は {until} まで"),
                todo: "次の訪問で同意を取り直す(毎月の訪問が続く場合は継続)".into(),
                visit_id: None,
            });
        }
    }
    items.retain(|i| !done.contains(&(i.kind.id().to_owned(), i.key.clone())));
    items.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.when.cmp(&a.when)));
    Ok(FollowUps { open: items, fushou_by_month, resolved })
}

/// A patient's latest visit: when, the certificate, name, number and age,
/// the visit.
type Latest = (DateTime<Utc>, AuthCertificate, String, Option<String>, String);

/// Each patient's (or, without one, each card's) latest visit in the
/// window, with the certificate it was verified with.
#[derive(Default)]
struct Renewals {
    latest: BTreeMap<String, Latest>,
}

impl Renewals {
    fn see(&mut self, v: &VisitView, who: &str, whom: Option<String>) {
        let Some(record) = &v.record else { return };
        let Ok(cert) = AuthCertificate::from_der(record.evidence.certificate()) else { return };
        let key = match &v.row.patient_id {
            Some(p) => p.clone(),
            None => format!("card:{}", v.row.card_fingerprint),
        };
        // The rows come newest first (`visits::between`): the first one
        // seen for a patient is their latest.
        self.latest
            .entry(key)
            .or_insert_with(|| (v.row.visited_at, cert, who.to_owned(), whom, v.row.id.clone()));
    }

    /// The patients the coach has something for today.
    fn items(self, now: DateTime<Utc>) -> Vec<Item> {
        self.latest
            .into_iter()
            .filter_map(|(key, (at, cert, who, whom, visit))| {
                let advice =
                    renewal::for_certificate(&cert, now, CertificateCarrier::Card).into_needed()?;
                Some(Item {
                    kind: Kind::CertificateRenewal,
                    key: format!("{key}:{}", advice.expires_on),
                    when: Some(at),
                    who,
                    whom,
                    what: advice.title,
                    todo: advice
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, step)| format!("{} {step}", circled(i)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    visit_id: Some(visit),
                })
            })
            .collect()
    }
}

fn circled(i: usize) -> char {
    char::from_u32(0x2460 + i as u32).unwrap_or('・')
}

/// Why a phone could not deliver a record, in words: the server's code
/// (`not-assigned: …`) as its Japanese reason, then what the phone said.
fn undelivered_reason(reason: &str) -> String {
    let (code, rest) = match reason.split_once(": ") {
        Some((c, r)) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') => {
            (Some(c), r)
        }
        _ => (None, reason),
    };
    let why = code.map(super::words::refusal);
    let rest =
        if rest.bytes().any(|b| b.is_ascii_lowercase()) && rest.is_ascii() { "" } else { rest };
    match (why, rest.is_empty()) {
        (Some(w), true) => format!("送れなかった理由: {w}"),
        (Some(w), false) => format!("送れなかった理由: {w}({rest})"),
        (None, _) => format!("送れなかった理由: {rest}"),
    }
}

/// The kind of an id from a form.
pub fn kind_of(id: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.id() == id)
}

/// A month's label.
pub fn month_label(m: &str) -> String {
    NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
        .map(|d| format!("{}年{}月", d.year(), d.month()))
        .unwrap_or_else(|_| m.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_read_back_from_its_id_and_the_list_shows_them_in_order() {
        let kinds = [
            Kind::HeldCard,
            Kind::AfterCheck,
            Kind::ClaimPath,
            Kind::Undelivered,
            Kind::ConsentLapsing,
            Kind::CertificateRenewal,
        ];
        for k in kinds {
            assert_eq!(kind_of(k.id()), Some(k));
            assert!(!k.title().is_empty());
        }
        assert_eq!(kind_of("held-card"), Some(Kind::HeldCard));
        assert_eq!(kind_of("resolved"), None);
        assert_eq!(kind_of(""), None);
        let mut sorted = kinds;
        sorted.sort();
        assert_eq!(sorted, kinds, "held cards first, certificate renewals last");
    }

    #[test]
    fn items_are_numbered_with_circled_digits_from_one() {
        assert_eq!(circled(0), '①');
        assert_eq!(circled(2), '③');
        assert_eq!(circled(19), '⑳');
    }

    #[test]
    fn an_undelivered_reason_is_said_in_japanese_and_keeps_the_phones_own_japanese_words() {
        let r = undelivered_reason("not-assigned: 端末 dev-1 の予定にありません");
        assert!(
            r.starts_with("送れなかった理由: ") && r.ends_with("(端末 dev-1 の予定にありません)"),
            "{r}"
        );
        assert!(!r.contains("not-assigned"), "{r}");
        // English from a library is left out; digits alone are kept.
        let english = undelivered_reason("not-assigned: the patient is not on this round");
        assert!(!english.contains("patient") && !english.contains('('), "{english}");
        assert!(undelivered_reason("not-assigned: 12345").ends_with("(12345)"));
    }

    #[test]
    fn only_a_lowercase_code_before_the_colon_is_read_as_the_servers_reason() {
        // The phone's own words may hold ": " too; they are shown whole.
        assert_eq!(undelivered_reason("通信エラー: 圏外"), "送れなかった理由: 通信エラー: 圏外");
        assert_eq!(undelivered_reason(": 圏外"), "送れなかった理由: : 圏外", "no code at all");
        assert_eq!(
            undelivered_reason("not-assigned: 圏外"),
            "送れなかった理由: 訪問予定にない患者(圏外)"
        );
    }

    #[test]
    fn a_month_is_labelled_in_japanese() {
        assert_eq!(month_label("2026-11"), "2026年11月");
        assert_eq!(month_label("2027-01"), "2027年1月");
        assert_eq!(month_label("not a month"), "not a month");
    }
}
