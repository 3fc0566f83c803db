// SPDX-License-Identifier: MPL-2.0
//! The renewal coach as the shells see it: a typed record (the core's
//! `renewal::RenewalAdvice`) for the done screen and the reception
//! guidance, and [`renewal_advice`] for a certificate the app knows the
//! expiry of (e.g. a patient's スマホ用電子証明書).

use chrono::NaiveDate;
use houmon_core::renewal as core;

use crate::records::CalendarDate;
use crate::HoumonError;

/// Where the certificate lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CertificateCarrier {
    /// The マイナンバーカード's own 利用者証明用電子証明書.
    Card,
    /// A スマホ用電子証明書: no grace after its expiry.
    Smartphone,
}

impl From<CertificateCarrier> for core::CertificateCarrier {
    fn from(c: CertificateCarrier) -> Self {
        match c {
            CertificateCarrier::Card => core::CertificateCarrier::Card,
            CertificateCarrier::Smartphone => core::CertificateCarrier::Smartphone,
        }
    }
}

impl From<core::CertificateCarrier> for CertificateCarrier {
    fn from(c: core::CertificateCarrier) -> Self {
        match c {
            core::CertificateCarrier::Card => CertificateCarrier::Card,
            core::CertificateCarrier::Smartphone => CertificateCarrier::Smartphone,
        }
    }
}

/// What the advice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RenewalKind {
    /// More than 3 months to the expiry: nothing to say.
    NotDue,
    /// Expires within 3 months: renew now.
    ExpiringSoon,
    /// Expired, still usable as a 保険証 until `usable_until` (cards only).
    InGrace,
    /// Past the grace (a smartphone: past the expiry): the マイナ保険証 no
    /// longer works with this certificate.
    Expired,
}

/// The renewal coach's advice, ready to render (Japanese).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RenewalAdvice {
    pub kind: RenewalKind,
    pub carrier: CertificateCarrier,
    pub as_of: CalendarDate,
    /// The certificate's last valid day.
    pub expires_on: CalendarDate,
    /// Renewal at the 市区町村 is possible from this day.
    pub renew_from: CalendarDate,
    /// The last day the マイナ保険証 works with this certificate.
    pub usable_until: CalendarDate,
    pub title: String,
    /// In order: renewal, a 代理人, what follows the grace.
    pub steps: Vec<String>,
}

impl From<&core::RenewalAdvice> for RenewalAdvice {
    fn from(a: &core::RenewalAdvice) -> Self {
        RenewalAdvice {
            kind: match a.kind {
                core::RenewalKind::None => RenewalKind::NotDue,
                core::RenewalKind::ExpiringSoon => RenewalKind::ExpiringSoon,
                core::RenewalKind::InGrace => RenewalKind::InGrace,
                core::RenewalKind::Expired => RenewalKind::Expired,
            },
            carrier: a.carrier.into(),
            as_of: a.as_of.into(),
            expires_on: a.expires_on.into(),
            renew_from: a.renew_from.into(),
            usable_until: a.usable_until.into(),
            title: a.title.clone(),
            steps: a.steps.clone(),
        }
    }
}

/// The advice for a certificate expiring on `expires_on`, on `today` (both
/// in Japan).
#[uniffi::export]
pub fn renewal_advice(
    expires_on: CalendarDate,
    today: CalendarDate,
    carrier: CertificateCarrier,
) -> Result<RenewalAdvice, HoumonError> {
    let advice =
        core::advise(NaiveDate::try_from(expires_on)?, NaiveDate::try_from(today)?, carrier.into());
    Ok((&advice).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advice_crosses_as_typed_dates_and_kinds() {
        let d = |year, month, day| CalendarDate { year, month, day };
        let a = renewal_advice(d(2026, 12, 31), d(2027, 1, 15), CertificateCarrier::Card).unwrap();
        assert_eq!((a.kind, a.usable_until), (RenewalKind::InGrace, d(2027, 3, 31)));
        assert!(!a.steps.is_empty());
        let p =
            renewal_advice(d(2026, 12, 31), d(2027, 1, 1), CertificateCarrier::Smartphone).unwrap();
        assert_eq!(p.kind, RenewalKind::Expired);
        let far = renewal_advice(d(2030, 1, 1), d(2026, 11, 1), CertificateCarrier::Card).unwrap();
        assert_eq!(far.kind, RenewalKind::NotDue);
        assert!(renewal_advice(d(2026, 2, 31), d(2026, 1, 1), CertificateCarrier::Card).is_err());
    }
}
