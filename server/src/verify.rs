// SPDX-License-Identifier: MPL-2.0
//! Checks a visit record's identity evidence before it is accepted.

use chrono::{DateTime, Duration, Utc};
use houmon_core::cert::{AuthCertificate, Validity};
use houmon_core::protocol::RefusalCode;
use houmon_core::visit::{Evidence, VisitRecord};

/// How far ahead of the server a device's clock may be before the record is
/// flagged (it is still accepted: the signature covers the time).
const CLOCK_TOLERANCE_MINUTES: i64 = 5;

/// The J-LIS 利用者証明用 roots shipped as production trust anchors.
pub const JLIS_ROOTS_PEM: [&str; 2] = [
    include_str!("../trust/jpki-user-auth-root-2015.pem"),
    include_str!("../trust/jpki-user-auth-root-2023.pem"),
];

/// DER from a PEM certificate (or DER given as is).
pub fn pem_to_der(input: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(input).ok();
    match text {
        Some(t) if t.contains("-----BEGIN CERTIFICATE-----") => {
            let body: String = t
                .lines()
                .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
                .skip(1)
                .take_while(|l| !l.starts_with("-----END"))
                .collect();
            base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
        }
        _ => Some(input.to_vec()),
    }
}

pub fn jlis_roots() -> Vec<AuthCertificate> {
    JLIS_ROOTS_PEM
        .iter()
        .filter_map(|p| pem_to_der(p.as_bytes()))
        .filter_map(|d| AuthCertificate::from_der(&d).ok())
        .collect()
}

/// Verifies the evidence of `record`, uploaded by `device_id`, at `now`.
/// Returns warnings for an accepted record, or why it is refused.
pub fn verify(
    record: &VisitRecord,
    device_id: &str,
    anchors: &[AuthCertificate],
    now: DateTime<Utc>,
) -> Result<Vec<String>, RefusalCode> {
    let mut warnings = Vec::new();
    if record.id != record.context.visit_id || record.context.device_id != device_id {
        return Err(RefusalCode::ChallengeMismatch);
    }
    let cert = AuthCertificate::from_der(record.evidence.certificate())
        .map_err(|_| RefusalCode::Malformed)?;
    if !anchors.iter().any(|a| cert.verify_issued_by(a).is_ok()) {
        return Err(RefusalCode::UnknownCa);
    }
    let claimed = match &record.evidence {
        Evidence::Pin(p) => p.challenge.time,
        Evidence::Visual(_) => record.completed_at,
    };
    let at = if claimed > now + Duration::minutes(CLOCK_TOLERANCE_MINUTES) {
        warnings.push("device-clock-ahead".to_owned());
        now
    } else {
        claimed
    };
    match cert.validity_at(at) {
        Validity::Expired { .. } => return Err(RefusalCode::CertificateExpired),
        Validity::NotYetValid => {
            // A device clock far behind: judge by the server's clock.
            if !cert.validity_at(now).usable() {
                return Err(RefusalCode::CertificateExpired);
            }
            warnings.push("device-clock-behind".to_owned());
        }
        Validity::InGrace { .. } => warnings.push("certificate-in-grace".to_owned()),
        Validity::Valid => {}
    }
    match &record.evidence {
        Evidence::Pin(p) => {
            if p.challenge.visit_id != record.id || p.challenge.device_id != device_id {
                return Err(RefusalCode::ChallengeMismatch);
            }
            if p.signed_message != p.challenge.to_bytes() {
                return Err(RefusalCode::ChallengeMismatch);
            }
            cert.verify_signature(&p.signed_message, &p.signature)
                .map_err(|_| RefusalCode::ForgedSignature)?;
        }
        Evidence::Visual(v) => {
            if v.checked_by.trim().is_empty() || v.photo_sha256.len() != 64 {
                return Err(RefusalCode::Malformed);
            }
        }
    }
    Ok(warnings)
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
        assert!(roots.iter().all(|r| r.subject.contains("JPKI for user authentication")));
    }
}
