// SPDX-License-Identifier: MPL-2.0
//! The renewal coach: what to tell a patient whose 利用者証明用電子証明書 is
//! about to expire, has expired but is still in its grace, or is past it.
//!
//! About 20–28 million certificates expire every year from 2025 to 2027, and
//! a bedridden patient cannot go to the 市区町村 window; every card read
//! already gives the certificate's expiry. [`advise`] is one pure function
//! of that expiry, the day in Japan and where the certificate lives (on the
//! card, or the phone-held スマホ用電子証明書, which has no grace). The visit
//! record carries its answer (`visit::session`), the reception guidance
//! shows it (`reception`), and the clinic server recomputes it from the
//! certificate it verified for the console's follow-up list.
//!
//! The dates (MHLW; the reception table's `certificate-renewal-window` and
//! `certificate-grace`, kept equal by a test):
//! - renewal at the 市区町村 from 3 months before the expiry;
//! - a card's certificate still works as a 保険証 until the end of the
//!   third month after the month it expired (February → end of May), but
//!   medical information (薬剤情報 etc.) cannot be viewed then; after that,
//!   the patient is sent a 資格確認書 without applying;
//! - a スマホ用電子証明書 has no such grace.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::card::cert::GRACE_MONTHS;
use crate::card::cert::{jst, last_day_of_month_after, months_before, AuthCertificate};

/// Months before the expiry from which the certificate can be renewed (and
/// the reader shows its alert).
pub const NOTICE_MONTHS: u32 = 3;

/// Where the certificate lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateCarrier {
    /// The マイナンバーカード's own 利用者証明用電子証明書.
    #[default]
    Card,
    /// The スマホ用電子証明書 held in a smartphone: no grace after expiry.
    Smartphone,
}

/// What the advice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RenewalKind {
    /// Nothing to say: the expiry is more than 3 months away.
    None,
    /// Expires within 3 months: renew now.
    ExpiringSoon,
    /// Expired, still usable as a 保険証 until `usable_until` (cards only).
    InGrace,
    /// Past the grace (or, on a smartphone, past the expiry): the
    /// マイナ保険証 no longer works with this certificate.
    Expired,
}

/// The coach's answer, in Japanese, ready to show and to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalAdvice {
    pub kind: RenewalKind,
    pub carrier: CertificateCarrier,
    /// The day (in Japan) the advice was made for.
    pub as_of: NaiveDate,
    /// The certificate's last valid day (in Japan).
    pub expires_on: NaiveDate,
    /// Renewal at the 市区町村 is possible from this day.
    pub renew_from: NaiveDate,
    /// The last day the マイナ保険証 works with this certificate: the end of
    /// the grace on a card, the expiry itself on a smartphone.
    pub usable_until: NaiveDate,
    /// One line for the done screen and the console.
    pub title: String,
    /// What to do, in order (renewal, a 代理人, what comes after the grace).
    pub steps: Vec<String>,
}

impl RenewalAdvice {
    /// There is something to tell the patient.
    pub fn needed(&self) -> bool {
        self.kind != RenewalKind::None
    }

    /// `Some` when there is something to tell.
    pub fn into_needed(self) -> Option<RenewalAdvice> {
        self.needed().then_some(self)
    }
}

/// The lengths the advice uses (the reception table may carry others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub notice_months: u32,
    pub grace_months: u32,
}

impl Terms {
    /// The lengths this build ships with.
    pub const STANDARD: Terms = Terms { notice_months: NOTICE_MONTHS, grace_months: GRACE_MONTHS };
}

/// The certificate's last valid day in Japan (a JPKI certificate ends at
/// 23:59:59 JST, so this is the day printed on the card).
pub fn expiry_day(not_after: DateTime<Utc>) -> NaiveDate {
    not_after.with_timezone(&jst()).date_naive()
}

/// The day in Japan at `now`.
pub fn day_in_japan(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&jst()).date_naive()
}

/// The advice for a certificate read from a card (or checked by the server), at `now`.
pub fn for_certificate(
    cert: &AuthCertificate,
    now: DateTime<Utc>,
    carrier: CertificateCarrier,
) -> RenewalAdvice {
    advise(expiry_day(cert.not_after), day_in_japan(now), carrier)
}

/// The advice with the lengths this build ships with.
pub fn advise(
    expires_on: NaiveDate,
    today: NaiveDate,
    carrier: CertificateCarrier,
) -> RenewalAdvice {
    advise_with(Terms::STANDARD, expires_on, today, carrier)
}

fn ja(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

const PROXY: &str = "寝たきり・入院中・施設に入所しているなどで本人が市区町村の窓口に行けない場合は、\
     家族などの代理人が手続きできます。必要な書類と日数(代理人の手続きは日数がかかることがあります)を\
     市区町村に確認するよう、家族や施設に伝えてください";

/// The advice for a certificate that expires on `expires_on`, on `today`.
pub fn advise_with(
    terms: Terms,
    expires_on: NaiveDate,
    today: NaiveDate,
    carrier: CertificateCarrier,
) -> RenewalAdvice {
    let renew_from = months_before(expires_on, terms.notice_months);
    let usable_until = match carrier {
        CertificateCarrier::Card => last_day_of_month_after(expires_on, terms.grace_months),
        CertificateCarrier::Smartphone => expires_on,
    };
    let kind = if today < renew_from {
        RenewalKind::None
    } else if today <= expires_on {
        RenewalKind::ExpiringSoon
    } else if today <= usable_until {
        RenewalKind::InGrace
    } else {
        RenewalKind::Expired
    };
    let (e, u) = (ja(expires_on), ja(usable_until));
    let months = terms.grace_months;
    let (title, steps): (String, Vec<String>) = match (carrier, kind) {
        (_, RenewalKind::None) => (String::new(), Vec::new()),
        (CertificateCarrier::Card, RenewalKind::ExpiringSoon) => (
            format!("マイナンバーカードの電子証明書の有効期限({e})が近づいています"),
            vec![
                format!(
                    "有効期限({e})までに、お住まいの市区町村の窓口で電子証明書を更新してもらう\
                     (手数料は無料。{}から手続きできます)",
                    ja(renew_from)
                ),
                PROXY.to_owned(),
                format!(
                    "有効期限を過ぎても{u}までは保険証として使えますが、その間は薬剤情報などの医療情報を見られません。\
                     {u}を過ぎるとマイナ保険証として使えなくなり、資格確認書(申請なしで交付されます)で受診します"
                ),
            ],
        ),
        (CertificateCarrier::Card, RenewalKind::InGrace) => (
            format!("電子証明書の有効期限({e})が切れています。{u}までは保険証として使えます"),
            vec![
                "できるだけ早く、お住まいの市区町村の窓口で電子証明書を更新してもらう(手数料は無料)"
                    .to_owned(),
                PROXY.to_owned(),
                format!(
                    "{u}までは保険証として資格確認できますが、薬剤情報などの医療情報は見られません"
                ),
                format!(
                    "{u}を過ぎるとマイナ保険証として使えなくなります。その後は資格確認書で受診します\
                     (電子証明書の有効期限が切れた方には申請なしで交付されます)"
                ),
            ],
        ),
        (CertificateCarrier::Card, RenewalKind::Expired) => (
            format!(
                "電子証明書の有効期限({e})から{months}か月後の月末({u})も過ぎ、マイナ保険証として使えません"
            ),
            vec![
                "資格確認書で受診してもらう(電子証明書の有効期限が切れた方には申請なしで交付されます。\
                 届いていなければ保険者に確認する)"
                    .to_owned(),
                "マイナ保険証として使い続けるには、市区町村の窓口で電子証明書を発行し直してもらう(手数料は無料)"
                    .to_owned(),
                PROXY.to_owned(),
            ],
        ),
        (CertificateCarrier::Smartphone, RenewalKind::ExpiringSoon) => (
            format!(
                "スマホ用電子証明書の有効期限({e})が近づいています(スマホ用電子証明書には猶予期間がありません)"
            ),
            vec![
                format!(
                    "スマホ用電子証明書には、カードのような有効期限後{months}か月の猶予がありません。\
                     {e}を過ぎるとスマートフォンでは受診できません"
                ),
                "期限までにスマートフォンでスマホ用電子証明書を申し込み直してもらう\
                 (マイナンバーカードの電子証明書の期限も近ければ、先に市区町村の窓口で更新する)"
                    .to_owned(),
                "期限が切れたら、マイナンバーカード本体か資格確認書で受診してもらう".to_owned(),
            ],
        ),
        (CertificateCarrier::Smartphone, RenewalKind::InGrace | RenewalKind::Expired) => (
            format!("スマホ用電子証明書の有効期限({e})が切れています(猶予期間はありません)"),
            vec![
                "スマートフォンのマイナ保険証は使えません。マイナンバーカード本体か資格確認書で受診してもらう"
                    .to_owned(),
                "スマホ用電子証明書は、スマートフォンで申し込み直せます".to_owned(),
            ],
        ),
    };
    RenewalAdvice {
        kind,
        carrier,
        as_of: today,
        expires_on,
        renew_from,
        usable_until,
        title,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn kind(expiry: &str, today: &str, c: CertificateCarrier) -> RenewalKind {
        advise(d(expiry), d(today), c).kind
    }

    #[test]
    fn a_card_certificate_is_coached_from_three_months_before_to_the_end_of_its_grace() {
        use CertificateCarrier::Card;
        assert_eq!(kind("2026-12-31", "2026-09-29", Card), RenewalKind::None);
        assert_eq!(kind("2026-12-31", "2026-09-30", Card), RenewalKind::ExpiringSoon);
        assert_eq!(kind("2026-12-31", "2026-12-31", Card), RenewalKind::ExpiringSoon);
        assert_eq!(kind("2026-12-31", "2027-01-01", Card), RenewalKind::InGrace);
        // February → the end of May.
        assert_eq!(kind("2026-02-10", "2026-05-31", Card), RenewalKind::InGrace);
        assert_eq!(kind("2026-02-10", "2026-06-01", Card), RenewalKind::Expired);
        let a = advise(d("2026-02-10"), d("2026-03-01"), Card);
        assert_eq!((a.renew_from, a.usable_until), (d("2025-11-10"), d("2026-05-31")));
    }

    #[test]
    fn a_smartphone_certificate_has_no_grace() {
        use CertificateCarrier::Smartphone;
        assert_eq!(kind("2026-12-31", "2026-12-31", Smartphone), RenewalKind::ExpiringSoon);
        assert_eq!(kind("2026-12-31", "2027-01-01", Smartphone), RenewalKind::Expired);
        let a = advise(d("2026-12-31"), d("2026-11-01"), Smartphone);
        assert_eq!(a.usable_until, d("2026-12-31"));
        assert!(a.title.contains("猶予期間がありません"), "{}", a.title);
        assert!(a.steps[0].contains("猶予がありません"));
    }

    #[test]
    fn the_advice_says_where_to_renew_who_may_go_and_what_follows_the_grace() {
        let a = advise(d("2026-12-31"), d("2026-11-01"), CertificateCarrier::Card);
        let all = a.steps.join("\n");
        assert!(a.title.contains("2026年12月31日"), "{}", a.title);
        assert!(all.contains("市区町村の窓口"), "{all}");
        assert!(all.contains("代理人"), "{all}");
        assert!(all.contains("2027年3月31日") && all.contains("資格確認書"), "{all}");
        let g = advise(d("2026-12-31"), d("2027-01-15"), CertificateCarrier::Card);
        assert!(g.title.contains("2027年3月31日まで"), "{}", g.title);
        assert!(g.steps.iter().any(|s| s.contains("医療情報は見られません")));
        let none = advise(d("2030-01-01"), d("2026-11-01"), CertificateCarrier::Card);
        assert!(!none.needed() && none.title.is_empty() && none.steps.is_empty());
        assert!(none.into_needed().is_none());
    }

    #[test]
    fn the_expiry_day_is_the_day_in_japan() {
        // 23:59:59 JST on 17 May is 14:59:59 UTC.
        let t = Utc.with_ymd_and_hms(2029, 5, 17, 14, 59, 59).unwrap();
        assert_eq!(expiry_day(t), d("2029-05-17"));
        assert_eq!(
            day_in_japan(Utc.with_ymd_and_hms(2029, 5, 17, 15, 0, 0).unwrap()),
            d("2029-05-18")
        );
    }

    #[test]
    fn the_lengths_follow_the_terms_given() {
        let t = Terms { notice_months: 2, grace_months: 1 };
        let a = advise_with(t, d("2026-12-31"), d("2026-10-30"), CertificateCarrier::Card);
        assert_eq!(a.kind, RenewalKind::None);
        let a = advise_with(t, d("2026-12-31"), d("2026-10-31"), CertificateCarrier::Card);
        assert_eq!((a.kind, a.usable_until), (RenewalKind::ExpiringSoon, d("2027-01-31")));
    }

    #[test]
    fn the_advice_round_trips_through_json() {
        let a = advise(d("2026-12-31"), d("2027-01-15"), CertificateCarrier::Card);
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""kind":"in-grace""#), "{json}");
        assert_eq!(serde_json::from_str::<RenewalAdvice>(&json).unwrap(), a);
    }
}
