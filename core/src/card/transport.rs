// SPDX-License-Identifier: MPL-2.0
//! The one thing a platform must implement: move APDU bytes to the card.
//!
//! Android implements it over `IsoDep.transceive`, iOS over
//! `NFCISO7816Tag.sendCommand`, the CLI over PC/SC, the tests over the
//! virtual card. The trait is **async**: CoreNFC answers through a callback
//! and the core must not park a thread per APDU waiting for it (ADR 0006).
//! The core's flows are plain `async fn`s with no runtime of their own, so
//! any executor drives them (tokio in the FFI, a one-line `block_on` in the
//! CLI and the tests).
//!
//! A transport also tells the core its [`TransportLimits`]: whether it
//! passes extended-length APDUs, the longest command it takes and the
//! longest answer it trusts. The core plans every READ within them
//! (`plan.rs`). A card taken away, a time-out or an I/O failure are ordinary
//! results ([`TransportError`]), never panics.

use async_trait::async_trait;

/// Why a transceive failed. The shells map their platform exceptions here:
/// Android `TagLostException` → [`TransportError::TagLost`],
/// an `IOException` whose message says time-out → [`TransportError::Timeout`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card left the field (pulled away, or the phone moved).
    #[error("the card left the reader")]
    TagLost,
    /// The card did not answer in time.
    #[error("the card did not answer in time")]
    Timeout,
    /// Anything else the platform reported. `reason` must not contain APDU
    /// data (it may be logged).
    #[error("transport failure: {reason}")]
    Io { reason: String },
}

/// What a phone's NFC stack can carry. Android reports
/// `isExtendedLengthApduSupported()` and `maxTransceiveLength`; on iPhones
/// answers of about 1.7 KB and more have been reported to drop the tag, so
/// the iOS shell says so here (`docs/card-protocol.md` §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportLimits {
    /// The reader passes extended-length APDUs (Lc/Le over 255/256). The
    /// core still falls back to short APDUs if the card answers `67 00`.
    pub extended_length: bool,
    /// The longest command APDU, in bytes, header included.
    pub max_command: usize,
    /// The longest response APDU the transport trusts, in bytes, status
    /// word included.
    pub max_response: usize,
}

/// Limits under which the product's commands or answers cannot fit (the
/// card layer's `CardError::TransportTooLimited` is built from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLimited(pub TransportLimits);

impl TransportLimits {
    /// The smallest answer the product needs in one piece: an RSA-2048
    /// signature (256 bytes) and its status word. A signature cannot be
    /// read in parts.
    pub const MIN_RESPONSE: usize = 256 + 2;
    /// The longest command the product sends: COMPUTE DIGITAL SIGNATURE with
    /// a SHA-256 DigestInfo (4 + 1 + 51 + 1 bytes).
    pub const MIN_COMMAND: usize = 57;

    /// Short APDUs only, the ISO 7816-4 short maxima (Android's default
    /// `maxTransceiveLength` of 261 without extended length).
    pub const SHORT: TransportLimits =
        TransportLimits { extended_length: false, max_command: 261, max_response: 258 };

    /// Extended length with no practical limit (PC/SC readers, the virtual card).
    pub const EXTENDED: TransportLimits =
        TransportLimits { extended_length: true, max_command: 65_544, max_response: 65_538 };

    /// What the iOS shell reports: answers up to 1 KB, which stays well under
    /// the ~1.7 KB at which some iPhones drop the tag, and no extended length.
    pub const IPHONE: TransportLimits =
        TransportLimits { extended_length: false, max_command: 261, max_response: 1024 };

    /// Checks that the product's commands and answers fit at all.
    pub fn validate(self) -> Result<TransportLimits, TooLimited> {
        if self.max_response < Self::MIN_RESPONSE || self.max_command < Self::MIN_COMMAND {
            return Err(TooLimited(self));
        }
        Ok(self)
    }

    /// The most data one READ BINARY may ask for under these limits.
    pub fn read_chunk(self) -> usize {
        let answer = self.max_response.saturating_sub(2);
        let apdu_max = if self.extended_length {
            crate::card::apdu::MAX_READ_EXTENDED
        } else {
            crate::card::apdu::MAX_SHORT_LE
        };
        answer.min(apdu_max).max(1)
    }

    /// The same limits with extended length turned off (after the card
    /// refused an extended command).
    pub fn short_only(self) -> TransportLimits {
        TransportLimits { extended_length: false, ..self }
    }
}

/// A connection to one card. Implementations are `Send + Sync` so the core
/// can drive them from any task.
#[async_trait]
pub trait CardTransport: Send + Sync {
    /// Sends one encoded command APDU and returns the raw response
    /// (data ‖ SW1 SW2).
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// What this transport can carry.
    fn limits(&self) -> TransportLimits;
}

#[async_trait]
impl<T: CardTransport + ?Sized> CardTransport for &T {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu).await
    }
    fn limits(&self) -> TransportLimits {
        (**self).limits()
    }
}

#[async_trait]
impl<T: CardTransport + ?Sized> CardTransport for std::sync::Arc<T> {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu).await
    }
    fn limits(&self) -> TransportLimits {
        (**self).limits()
    }
}

#[async_trait]
impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu).await
    }
    fn limits(&self) -> TransportLimits {
        (**self).limits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_fits_the_answer_and_the_apdu_form() {
        assert_eq!(TransportLimits::SHORT.read_chunk(), 256);
        assert_eq!(TransportLimits::IPHONE.read_chunk(), 256, "no extended length: short Le");
        let ext_1k = TransportLimits { extended_length: true, ..TransportLimits::IPHONE };
        assert_eq!(ext_1k.read_chunk(), 1022, "the answer's status word counts");
        assert_eq!(TransportLimits::EXTENDED.read_chunk(), crate::card::apdu::MAX_READ_EXTENDED);
    }

    #[test]
    fn limits_too_small_for_a_signature_or_a_sign_command_are_refused() {
        assert!(TransportLimits::SHORT.validate().is_ok());
        let tiny = TransportLimits { max_response: 257, ..TransportLimits::SHORT };
        assert_eq!(tiny.validate(), Err(TooLimited(tiny)));
        let tiny = TransportLimits { max_command: 56, ..TransportLimits::SHORT };
        assert!(tiny.validate().is_err());
    }
}
