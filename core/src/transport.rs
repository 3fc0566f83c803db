// SPDX-License-Identifier: MPL-2.0
//! The one thing a platform must implement: move APDU bytes to the card.
//!
//! Android implements it over `IsoDep.transceive`, iOS over
//! `NFCISO7816Tag.sendCommand`, the CLI over PC/SC, the tests over the
//! virtual card. A card taken away, a time-out or an I/O failure are ordinary
//! results ([`TransportError`]), never panics.

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

/// A connection to one card. Implementations are `Send + Sync` so the core can
/// drive them from a worker thread; a blocking `transceive` is expected.
pub trait CardTransport: Send + Sync {
    /// Sends one encoded command APDU and returns the raw response (data ‖ SW1 SW2).
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Whether the reader passes extended-length APDUs (Android:
    /// `IsoDep.isExtendedLengthApduSupported()`). The core still falls back to
    /// short APDUs if the card or reader answers `67 00` to an extended one.
    fn supports_extended_length(&self) -> bool {
        false
    }
}

impl<T: CardTransport + ?Sized> CardTransport for &T {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}

impl<T: CardTransport + ?Sized> CardTransport for std::sync::Arc<T> {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transceive(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}
