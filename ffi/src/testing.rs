// SPDX-License-Identifier: MPL-2.0
//! Test builds only (feature `test-card`): a virtual card the Kotlin tests
//! forward their `CardTransport` to.

use houmon_core::transport::{CardTransport as _, TransportError};
use houmon_vcard::{CardConfig, Faults, Holder, Variant, VirtualCard};

use crate::foreign::TransportFailure;
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct TestCard {
    card: VirtualCard,
}

#[uniffi::export]
impl TestCard {
    /// `variant`: standard, face-recognition, no-photo, expired-in-grace,
    /// expired, one-try-left, locked, collation-one-try-left.
    /// `tag_lost_at`: the card leaves the field at that APDU (once).
    /// `pin`: the card's PIN (default 1234).
    #[uniffi::constructor]
    pub fn new(
        variant: String,
        extended_length: bool,
        tag_lost_at: Option<u32>,
        pin: Option<String>,
    ) -> Result<Self, HoumonError> {
        let variant = Variant::from_name(&variant).ok_or_else(|| HoumonError::InvalidInput {
            staff_message: format!("unknown variant {variant}"),
        })?;
        let faults = Faults { tag_lost_at: tag_lost_at.map(|n| n as usize), ..Faults::default() };
        let mut holder = Holder::default();
        if let Some(pin) = pin {
            holder.pin = pin;
        }
        Ok(TestCard {
            card: VirtualCard::new(CardConfig {
                holder,
                variant,
                extended_length,
                faults,
                ..CardConfig::default()
            }),
        })
    }

    pub fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        self.card.transceive(&apdu).map_err(|e| match e {
            TransportError::TagLost => TransportFailure::TagLost,
            TransportError::Timeout => TransportFailure::Timeout,
            TransportError::Io { reason } => TransportFailure::Io { reason },
        })
    }

    pub fn supports_extended_length(&self) -> bool {
        self.card.supports_extended_length()
    }

    /// The card is held to the phone again.
    pub fn reinsert(&self) {
        self.card.reinsert();
    }

    /// VERIFY commands with a secret that reached the card.
    pub fn verify_count(&self) -> u32 {
        self.card.log().iter().filter(|e| e.is_verify_with_secret()).count() as u32
    }
}
