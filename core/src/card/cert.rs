// SPDX-License-Identifier: MPL-2.0
//! The 利用者証明用電子証明書: parsing, signature checks and the expiry grace.
//!
//! Parsing uses RustCrypto's `x509-cert`. Signatures are RSASSA-PKCS1-v1_5
//! with SHA-256 (exactly what the card produces when it pads a SHA-256
//! DigestInfo), checked with `ring` for keys of 2048–8192 bits (the JPKI
//! keys; ~10× faster than the pure-Rust `rsa` crate, which matters on a
//! server checking thousands of records a second — `docs/benchmarks.md`)
//! and with the `rsa` crate for any other size. A test holds the two to
//! the same verdicts.
//!
//! The grace rule (MHLW): a マイナ保険証 whose certificate has expired can
//! still be used until the end of the third month after the month of expiry
//! (expiry in February → usable to the end of May), in Japan time.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use der::{Decode, Encode};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::card::error::{CardError, Result};

/// The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1).
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// `DigestInfo(SHA-256(message))`: what the card is asked to sign.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let mut di = SHA256_DIGEST_INFO_PREFIX.to_vec();
    di.extend_from_slice(&Sha256::digest(message));
    di
}

const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

/// The certificate policy of the 利用者証明用電子証明書 (J-LIS profile;
/// `docs/card-protocol.md` §5).
pub const USER_AUTH_POLICY: &str = "1.2.392.200149.8.5.1.3.30";

/// Japan Standard Time (no daylight saving).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("9 hours is a valid offset")
}

/// A parsed 利用者証明用 certificate.
#[derive(Clone, Debug)]
pub struct AuthCertificate {
    der: Vec<u8>,
    pub serial_hex: String,
    /// The names as text, made on first use (formatting a name costs as
    /// much as parsing the certificate, and a server checking records
    /// needs them only to say what went wrong).
    subject: std::sync::OnceLock<String>,
    issuer: std::sync::OnceLock<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    public_key: RsaPublicKey,
    /// The modulus and exponent, big-endian, for `ring`.
    n_be: Vec<u8>,
    e_be: Vec<u8>,
    cert: Certificate,
}

/// Where a certificate stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid,
    /// Expired, but still usable as 保険証 until `grace_until`. 医療情報 cannot
    /// be viewed in this window.
    InGrace {
        grace_until: DateTime<Utc>,
    },
    /// Expired and past the grace: renewal at the 市区町村 is needed.
    Expired {
        grace_until: DateTime<Utc>,
    },
}

impl Validity {
    pub fn usable(self) -> bool {
        matches!(self, Validity::Valid | Validity::InGrace { .. })
    }
}

/// Months of grace after the certificate (or card) expires: usable as a
/// 保険証 to the end of the third month after the month of expiry. The
/// reception policy table carries the same number (`certificate-grace`); a
/// test keeps them equal.
pub const GRACE_MONTHS: u32 = 3;

/// The last day of the month `months` after the month of `date`.
pub fn last_day_of_month_after(date: NaiveDate, months: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months as i32 + 1; // first of the month after
                                                                             // Dates past chrono's range (only from absurd input) saturate.
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .and_then(|first_after| first_after.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// The same day `months` months earlier (the month's last day when it is
/// shorter: 3 months before 31 May is 28 or 29 February).
pub fn months_before(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MIN)
}

/// The last instant of the grace (end of the third month after the month of
/// `not_after`), in JST.
pub fn grace_until(not_after: DateTime<Utc>) -> DateTime<Utc> {
    let local = not_after.with_timezone(&jst());
    let last_day = last_day_of_month_after(local.date_naive(), GRACE_MONTHS);
    let end = last_day.and_hms_opt(23, 59, 59).expect("23:59:59 is valid");
    jst().from_local_datetime(&end).single().expect("JST has no gaps").with_timezone(&Utc)
}

impl AuthCertificate {
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let bad = |r: String| CardError::Certificate { reason: r };
        let cert = Certificate::from_der(der).map_err(|e| bad(format!("not X.509 DER: {e}")))?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_public_key_info.to_der().map_err(|e| bad(e.to_string()))?;
        let public_key = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|e| bad(format!("public key is not RSA: {e}")))?;
        let to_utc = |t: x509_cert::time::Time| {
            DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
                .ok_or_else(|| bad("time out of range".into()))
        };
        Ok(Self {
            der: der.to_vec(),
            serial_hex: hex(tbs.serial_number.as_bytes()),
            subject: std::sync::OnceLock::new(),
            issuer: std::sync::OnceLock::new(),
            not_before: to_utc(tbs.validity.not_before)?,
            not_after: to_utc(tbs.validity.not_after)?,
            n_be: public_key.n().to_bytes_be(),
            e_be: public_key.e().to_bytes_be(),
            public_key,
            cert,
        })
    }

    /// The subject's name (RFC 4514 text).
    pub fn subject(&self) -> &str {
        self.subject.get_or_init(|| self.cert.tbs_certificate.subject.to_string())
    }

    /// The issuer's name (RFC 4514 text).
    pub fn issuer(&self) -> &str {
        self.issuer.get_or_init(|| self.cert.tbs_certificate.issuer.to_string())
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// SHA-256 of the DER, lower-case hex: how a card is recognised again.
    pub fn fingerprint_sha256(&self) -> String {
        hex(&Sha256::digest(&self.der))
    }

    pub fn validity_at(&self, now: DateTime<Utc>) -> Validity {
        if now < self.not_before {
            return Validity::NotYetValid;
        }
        if now <= self.not_after {
            return Validity::Valid;
        }
        let grace = grace_until(self.not_after);
        if now <= grace {
            Validity::InGrace { grace_until: grace }
        } else {
            Validity::Expired { grace_until: grace }
        }
    }

    /// Checks a card signature: RSASSA-PKCS1-v1_5 / SHA-256 over `message`.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        if (2048..=8192).contains(&(self.public_key.n().bits())) {
            let key = ring::signature::RsaPublicKeyComponents { n: &self.n_be, e: &self.e_be };
            return key
                .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .map_err(|_| CardError::BadSignature);
        }
        self.verify_signature_rsa_crate(message, signature)
    }

    fn verify_signature_rsa_crate(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let sig = Signature::try_from(signature).map_err(|_| CardError::BadSignature)?;
        VerifyingKey::<Sha256>::new(self.public_key.clone())
            .verify(message, &sig)
            .map_err(|_| CardError::BadSignature)
    }

    /// Checks that this is an end-entity 利用者証明用 certificate: not a CA
    /// (no `cA` basic constraint, no certificate or CRL signing key usage),
    /// not self-signed, a key for digital signatures, and the J-LIS
    /// user-authentication policy. Says what is wrong otherwise.
    pub fn check_user_auth_profile(&self) -> Result<()> {
        use x509_cert::ext::pkix::{BasicConstraints, CertificatePolicies, KeyUsage, KeyUsages};
        let bad = |r: &str| CardError::Certificate { reason: r.to_owned() };
        let tbs = &self.cert.tbs_certificate;
        if tbs.issuer == tbs.subject {
            return Err(bad("self-signed: a CA, not a card's certificate"));
        }
        let mut policy = false;
        for ext in tbs.extensions.iter().flatten() {
            let value = ext.extn_value.as_bytes();
            match ext.extn_id.to_string().as_str() {
                "2.5.29.19" => {
                    let bc =
                        BasicConstraints::from_der(value).map_err(|_| bad("basic constraints"))?;
                    if bc.ca {
                        return Err(bad("a CA certificate"));
                    }
                }
                "2.5.29.15" => {
                    let ku = KeyUsage::from_der(value).map_err(|_| bad("key usage"))?;
                    if !ku.0.contains(KeyUsages::DigitalSignature) {
                        return Err(bad("key usage without digitalSignature"));
                    }
                    if ku.0.contains(KeyUsages::KeyCertSign) || ku.0.contains(KeyUsages::CRLSign) {
                        return Err(bad("a key that signs certificates"));
                    }
                }
                "2.5.29.32" => {
                    let cp = CertificatePolicies::from_der(value)
                        .map_err(|_| bad("certificate policies"))?;
                    policy |=
                        cp.0.iter().any(|p| p.policy_identifier.to_string() == USER_AUTH_POLICY);
                }
                _ => {}
            }
        }
        if !policy {
            return Err(bad("not the 利用者証明用 certificate policy"));
        }
        Ok(())
    }

    /// Checks that `issuer` signed this certificate (sha256WithRSAEncryption).
    /// The clinic server uses this against its trust anchors.
    pub fn verify_issued_by(&self, issuer: &AuthCertificate) -> Result<()> {
        let bad = |r: &str| CardError::Certificate { reason: r.to_owned() };
        if self.cert.signature_algorithm.oid.to_string() != SHA256_WITH_RSA {
            return Err(bad("unsupported signature algorithm"));
        }
        let tbs = self.cert.tbs_certificate.to_der().map_err(|_| bad("cannot re-encode"))?;
        let sig = self.cert.signature.as_bytes().ok_or_else(|| bad("signature has unused bits"))?;
        issuer.verify_signature(&tbs, sig).map_err(|_| bad("not issued by this CA"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_and_the_rsa_crate_give_the_same_verdicts_on_card_signatures() {
        use rsa::pkcs1v15::SigningKey;
        use rsa::signature::{SignatureEncoding, Signer};
        let card = AuthCertificate::from_der(
            &houmon_vcard::VirtualCard::standard().auth_certificate_der(),
        )
        .unwrap();
        let ca = AuthCertificate::from_der(&houmon_vcard::TestCa::shared().cert_der).unwrap();
        let key = SigningKey::<Sha256>::new(houmon_vcard::TestKeys::shared().card_auth.clone());
        let message = b"visit-bound challenge";
        let good = key.sign(message).to_vec();
        let mut flipped = good.clone();
        flipped[100] ^= 1;
        let short = &good[..good.len() - 1];
        for (sig, msg, expect) in [
            (&good[..], &message[..], true),
            (&flipped[..], &message[..], false),
            (short, &message[..], false),
            (&good[..], &b"another challenge"[..], false),
            (&[][..], &message[..], false),
        ] {
            assert_eq!(card.verify_signature(msg, sig).is_ok(), expect, "ring");
            assert_eq!(card.verify_signature_rsa_crate(msg, sig).is_ok(), expect, "rsa crate");
        }
        // And the chain: the CA's signature on the card's certificate.
        assert!(card.verify_issued_by(&ca).is_ok());
        assert!(card.verify_issued_by(&card).is_err(), "not self-issued");
    }

    #[test]
    fn the_last_day_of_a_later_month_handles_year_ends_and_absurd_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(last_day_of_month_after(d(2026, 2, 10), 3), d(2026, 5, 31));
        assert_eq!(last_day_of_month_after(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(last_day_of_month_after(d(2027, 11, 1), 3), d(2028, 2, 29));
        assert_eq!(
            last_day_of_month_after(NaiveDate::MAX, 3),
            NaiveDate::MAX,
            "saturates, no panic"
        );
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn grace_ends_at_the_end_of_the_third_month_in_japan_time() {
        // Real certificates expire at 23:59:59 JST on the birthday.
        assert_eq!(grace_until(utc("2026-02-17T14:59:59Z")), utc("2026-05-31T14:59:59Z"));
        assert_eq!(grace_until(utc("2026-11-30T14:59:59Z")), utc("2027-02-28T14:59:59Z"));
        assert_eq!(grace_until(utc("2027-11-05T14:59:59Z")), utc("2028-02-29T14:59:59Z"));
        // 2026-01-31 20:00 UTC is already 1 February in Japan.
        assert_eq!(grace_until(utc("2026-01-31T20:00:00Z")), utc("2026-05-31T14:59:59Z"));
    }

    #[test]
    fn digest_info_is_the_rfc_8017_prefix_and_the_hash() {
        let di = sha256_digest_info(b"abc");
        assert_eq!(di.len(), 51);
        assert_eq!(&di[..19], &SHA256_DIGEST_INFO_PREFIX);
        assert_eq!(di[19], 0xBA);
    }

    #[test]
    fn garbage_and_truncated_certificates_are_clear_errors() {
        assert!(matches!(AuthCertificate::from_der(&[]), Err(CardError::Certificate { .. })));
        assert!(AuthCertificate::from_der(&[0x30, 0x82, 0x06, 0x2E, 0x30]).is_err());
        assert!(AuthCertificate::from_der(&[0xFF; 64]).is_err());
    }
}
