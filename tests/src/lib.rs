// SPDX-License-Identifier: MPL-2.0
//! Helpers shared by the end-to-end tests.

pub mod clinic;
pub mod console;
pub mod crash;
pub mod rawdb;
pub mod seed;
pub mod timed;

use chrono::Utc;
use houmon_core::card::cert::AuthCertificate;
use houmon_core::card::credentials::{CollationB, Pin};
use houmon_core::card::transport::TransportLimits;
use houmon_core::card::transport::{CardTransport, TransportError};
use houmon_vcard::{CardConfig, Faults, Holder, TestCa, Variant, VirtualCard};

pub fn pin(s: &str) -> Pin {
    Pin::new(s).expect("test PIN has the right shape")
}

pub fn collation(holder: &Holder) -> CollationB {
    CollationB::new(&holder.collation_b()).expect("test 照合番号B has the right shape")
}

pub fn card(variant: Variant, extended_length: bool) -> VirtualCard {
    VirtualCard::new(CardConfig { variant, extended_length, ..CardConfig::default() })
}

pub fn card_with_faults(faults: Faults, extended_length: bool) -> VirtualCard {
    VirtualCard::new(CardConfig { faults, extended_length, ..CardConfig::default() })
}

pub fn test_ca() -> AuthCertificate {
    AuthCertificate::from_der(&TestCa::shared().cert_der).expect("test CA parses")
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Drives one of the core's async flows to the end on this thread (the
/// virtual card answers at once; the FFI uses tokio instead).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// A reader that claims extended length but whose card refuses it: the
/// core must fall back to short reads.
pub struct ClaimsExtended<'a>(pub &'a VirtualCard);

#[async_trait::async_trait]
impl CardTransport for ClaimsExtended<'_> {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.exchange(apdu)
    }
    fn limits(&self) -> TransportLimits {
        TransportLimits { extended_length: true, ..self.0.limits() }
    }
}

/// A PIN-mode record signed by `card` over `challenge`, built by hand (for
/// the crash tests' pool and for refusal cases a session would never
/// produce). PIN `1234`; comprehensive consent, paper prescriptions.
pub fn signed_pin_record(
    card: &VirtualCard,
    ctx: houmon_core::visit::VisitContext,
    challenge: houmon_core::visit::Challenge,
) -> houmon_core::visit::VisitRecord {
    use houmon_core::visit::*;
    let message = challenge.to_bytes();
    let r = block_on(houmon_core::card::reader::CardReader::new(card).read_pin_mode(
        &pin("1234"),
        false,
        &message,
        Utc::now(),
    ))
    .expect("a PIN read");
    let choice =
        ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Paper };
    VisitRecord {
        version: record::RECORD_VERSION,
        id: ctx.visit_id.clone(),
        consent: ConsentRecord::new(choice, ctx.kind, Utc::now(), None),
        context: ctx,
        evidence: Evidence::Pin(PinEvidence {
            certificate: r.certificate.der().to_vec(),
            challenge,
            signed_message: message,
            signature: r.signature,
            pin_tries_before: r.tries_before,
        }),
        card_match: CardMatch::NotChecked,
        certificate_validity: "valid".into(),
        completed_at: Utc::now(),
        renewal: None,
        sign_in: None,
        read_timing: None,
    }
}
