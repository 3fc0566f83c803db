// SPDX-License-Identifier: MPL-2.0
//! A PC/SC reader as a [`CardTransport`] (feature `pcsc`).

use std::ffi::CString;

use houmon_core::card::transport::{CardTransport, TransportError, TransportLimits};

pub struct PcscTransport {
    card: pcsc::Card,
}

impl PcscTransport {
    /// Connects to the first reader whose name contains `name` (any reader
    /// with a card when `name` is empty).
    pub fn connect(name: &str) -> Result<Self, String> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| format!("PC/SC is not available (is pcscd running?): {e}"))?;
        let readers: Vec<CString> =
            ctx.list_readers_owned().map_err(|e| format!("listing PC/SC readers: {e}"))?;
        let mut last_error = format!("no PC/SC reader matches {name:?}");
        for reader in readers.iter().filter(|r| r.to_string_lossy().contains(name)) {
            match ctx.connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY) {
                Ok(card) => {
                    tracing::info!(reader = %reader.to_string_lossy(), "connected");
                    return Ok(PcscTransport { card });
                }
                Err(e) => last_error = format!("{}: {e}", reader.to_string_lossy()),
            }
        }
        Err(format!("カードを読めません: {last_error}"))
    }
}

#[async_trait::async_trait]
impl CardTransport for PcscTransport {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        match self.card.transmit(apdu, &mut buf) {
            Ok(resp) => Ok(resp.to_vec()),
            Err(pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::NoSmartcard) => {
                Err(TransportError::TagLost)
            }
            Err(pcsc::Error::Timeout) => Err(TransportError::Timeout),
            Err(e) => Err(TransportError::Io { reason: e.to_string() }),
        }
    }

    fn limits(&self) -> TransportLimits {
        // Most PC/SC readers pass extended APDUs; the core falls back to
        // short ones on 67 00.
        TransportLimits::EXTENDED
    }
}
