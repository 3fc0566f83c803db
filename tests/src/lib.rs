// SPDX-License-Identifier: MPL-2.0
//! Helpers shared by the end-to-end tests.

pub mod clinic;

use chrono::Utc;
use houmon_core::cert::AuthCertificate;
use houmon_core::credentials::{CollationB, Pin};
use houmon_core::transport::{CardTransport, TransportError};
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

/// A reader that claims extended length but whose card refuses it: the
/// core must fall back to short reads.
pub struct ClaimsExtended<'a>(pub &'a VirtualCard);

impl CardTransport for ClaimsExtended<'_> {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.transceive(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        true
    }
}
