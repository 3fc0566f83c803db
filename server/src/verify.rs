// SPDX-License-Identifier: MPL-2.0
//! Checks a visit record's identity evidence before anything is stored.
//!
//! In order: the record names this device and its staff; the certificate
//! parses, is an end-entity 利用者証明用 certificate (not a CA, the J-LIS
//! profile), chains to a trust anchor and is not on a loaded revocation
//! list; the visit's time lies between the server-time token the record
//! carries and the server's own clock (`time_anchor.rs`) and the
//! certificate is valid then (with the 3-month grace); in PIN mode the
//! signed bytes are exactly the challenge rebuilt from its fields, the
//! challenge names this visit, device and anchor, and the card's signature
//! verifies; in 目視 mode the staff attestation is present, and a photo it
//! carries is the card photo its hash names (`photo.rs`).
//!
//! Pure CPU: it runs before (and outside) the database write.

use chrono::{DateTime, Utc};
use houmon_core::card::cert::{AuthCertificate, Validity};
use houmon_core::protocol::{Refusal, RefusalCode};
use houmon_core::visit::{Evidence, VisitRecord};

use crate::crl::CrlStore;
use crate::db::devices::DeviceAuth;
use crate::secrets::Secrets;
use crate::time_anchor::{self, TimeRefusal};

/// The J-LIS 利用者証明用 roots shipped as production trust anchors.
pub const JLIS_ROOTS_PEM: [&str; 2] = [
    include_str!("../trust/jpki-user-auth-root-2015.pem"),
    include_str!("../trust/jpki-user-auth-root-2023.pem"),
];

/// The first PEM block labelled `label` (`CERTIFICATE`, `X509 CRL`), as DER.
pub fn pem_block(input: &[u8], label: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(input).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let body: String = text
        .lines()
        .skip_while(|l| l.trim() != begin)
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    if body.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}

/// DER from a PEM certificate (or DER given as is).
pub fn pem_to_der(input: &[u8]) -> Option<Vec<u8>> {
    match pem_block(input, "CERTIFICATE") {
        Some(der) => Some(der),
        None if std::str::from_utf8(input).is_ok_and(|t| t.contains("-----BEGIN")) => None,
        None => Some(input.to_vec()),
    }
}

pub fn jlis_roots() -> Vec<AuthCertificate> {
    JLIS_ROOTS_PEM
        .iter()
        .filter_map(|p| pem_to_der(p.as_bytes()))
        .filter_map(|d| AuthCertificate::from_der(&d).ok())
        .collect()
}

/// What the checks established.
#[derive(Debug)]
pub struct Verified {
    pub certificate: AuthCertificate,
    pub fingerprint: String,
    /// The visit's time, bounded by the server's clock and the anchor.
    pub visited_at: DateTime<Utc>,
    pub warnings: Vec<String>,
}

fn refuse(code: RefusalCode, detail: impl Into<String>) -> Refusal {
    Refusal::with_detail(code, detail)
}

/// Verifies the evidence of `record`, uploaded by `device`, at `now`.
pub fn verify(
    record: &VisitRecord,
    device: &DeviceAuth,
    anchors: &[AuthCertificate],
    crl: &CrlStore,
    secrets: &Secrets,
    now: DateTime<Utc>,
) -> Result<Verified, Refusal> {
    let ctx = &record.context;
    if record.id != ctx.visit_id || ctx.device_id != device.device_id {
        return Err(refuse(
            RefusalCode::ChallengeMismatch,
            "the record names another visit or device",
        ));
    }
    // Who made the record (the device's staff member, or one signed in on
    // a shared phone) is checked against the rounds and the sign-in when
    // it is stored (`ingest/signin.rs`).
    let cert = AuthCertificate::from_der(record.evidence.certificate())
        .map_err(|e| refuse(RefusalCode::Malformed, format!("certificate: {e}")))?;
    cert.check_user_auth_profile()
        .map_err(|e| refuse(RefusalCode::NotUserCertificate, e.to_string()))?;
    if !anchors.iter().any(|a| cert.verify_issued_by(a).is_ok()) {
        return Err(refuse(RefusalCode::UnknownCa, format!("issuer {}", cert.issuer())));
    }
    if crl.is_revoked(&cert) {
        return Err(refuse(RefusalCode::CertificateRevoked, format!("serial {}", cert.serial_hex)));
    }
    let claimed = match &record.evidence {
        Evidence::Pin(p) => {
            if p.challenge.anchor != ctx.time_anchor.clone().unwrap_or_default() {
                return Err(refuse(
                    RefusalCode::ChallengeMismatch,
                    "the signed challenge carries another time anchor",
                ));
            }
            p.challenge.time
        }
        Evidence::Visual(_) => record.completed_at,
    };
    let visited_at =
        time_anchor::bound(secrets, &device.device_id, ctx.time_anchor.as_deref(), claimed, now)
            .map_err(|e| match e {
                TimeRefusal::NoAnchor => refuse(
                    RefusalCode::TimeUnverifiable,
                    "no valid server-time token from this device in the record",
                ),
                TimeRefusal::BeforeAnchor => refuse(
                    RefusalCode::TimeBeforeAnchor,
                    format!("visit time {claimed} is before the device's last server time"),
                ),
                TimeRefusal::InFuture => refuse(
                    RefusalCode::TimeInFuture,
                    format!("visit time {claimed} is after {now}"),
                ),
            })?;
    let mut warnings = Vec::new();
    match cert.validity_at(visited_at) {
        Validity::Expired { grace_until } => {
            return Err(refuse(
                RefusalCode::CertificateExpired,
                format!("expired; grace ended {grace_until}"),
            ))
        }
        Validity::NotYetValid => {
            return Err(refuse(RefusalCode::CertificateExpired, "not yet valid at the visit time"))
        }
        Validity::InGrace { .. } => warnings.push("certificate-in-grace".to_owned()),
        Validity::Valid => {}
    }
    match &record.evidence {
        Evidence::Pin(p) => {
            if p.challenge.visit_id != record.id || p.challenge.device_id != device.device_id {
                return Err(refuse(
                    RefusalCode::ChallengeMismatch,
                    "the challenge names another visit",
                ));
            }
            if p.signed_message != p.challenge.to_bytes() {
                return Err(refuse(
                    RefusalCode::ChallengeMismatch,
                    "the signed bytes are not the challenge",
                ));
            }
            cert.verify_signature(&p.signed_message, &p.signature)
                .map_err(|_| refuse(RefusalCode::ForgedSignature, "RSA PKCS#1 v1.5 / SHA-256"))?;
        }
        Evidence::Visual(v) => {
            if v.checked_by != ctx.staff_id {
                return Err(refuse(
                    RefusalCode::StaffMismatch,
                    "目視: the photo was compared by someone other than the record's staff member",
                ));
            }
            if v.checked_by.trim().is_empty()
                || v.photo_sha256.len() != 64
                || !v.photo_sha256.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(refuse(RefusalCode::Malformed, "目視: who checked, or the photo hash"));
            }
            if let Some(jp2) = &v.photo_jp2 {
                crate::photo::check(jp2, &v.photo_sha256)
                    .map_err(|why| refuse(RefusalCode::Malformed, why))?;
            }
        }
    }
    Ok(Verified { fingerprint: cert.fingerprint_sha256(), certificate: cert, visited_at, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_jlis_roots_parse_and_match_their_published_fingerprints() {
        let roots = jlis_roots();
        assert_eq!(roots.len(), 2);
        let fps: Vec<String> = roots.iter().map(|r| r.fingerprint_sha256()).collect();
        assert!(
            fps.contains(
                &"4dcfc4ca0aaf9fb2a3081b3f0c991c320b3acc008667a341eeaec5af1d58ca7d".to_string()
            ),
            "{fps:?}"
        );
        assert!(
            fps.contains(
                &"64114f29620c24ed2631d46476a040e7ee740d956089c00b036a6a8118c322b5".to_string()
            ),
            "{fps:?}"
        );
        assert!(roots.iter().all(|r| r.subject().contains("JPKI for user authentication")));
    }

    #[test]
    fn a_root_certificate_is_not_a_card_certificate() {
        for root in jlis_roots() {
            assert!(root.check_user_auth_profile().is_err());
        }
    }
}
