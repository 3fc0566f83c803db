// SPDX-License-Identifier: MPL-2.0
//! 公的個人認証AP (JPKI-AP): the 利用者証明用 certificate, PIN and key.
//!
//! Commands (see `docs/card-protocol.md` §2):
//! - `00 A4 04 0C 0A D392F000260100000001` select the application;
//! - `00 B0 8A 00 <Le>` then `00 B0 <offset> <Le>` read EF 000A by SFI;
//! - `00 20 00 98` (no data) read the PIN counter without spending a try;
//! - `00 20 00 98 04 <PIN>` verify;
//! - `80 2A 00 97 33 <DigestInfo> 00` sign with key 0017 named by SFI.

use crate::card::apdu::{ins, Command};
use crate::card::binary::{self, ReadFailure, Start};
use crate::card::cert::sha256_digest_info;
use crate::card::credentials::Pin;
use crate::card::error::{CardError, Result, Secret};
use crate::card::guard::Guard;
use crate::card::ids::{self, jpki, sfi};
use crate::card::sw::StatusWord;
use crate::card::tlv;
use crate::card::transport::CardTransport;
use crate::card::variant::CounterState;
use crate::card::verify::SecretKey;

/// A certificate is 1.5–1.8 KB; the file must stay readable by offset.
const MAX_CERT_LEN: usize = 0x7FFF;

fn p2_key(fid: u16) -> u8 {
    0x80 | sfi(fid).unwrap_or(0)
}

/// The 利用者証明用 PIN, addressed by SFI.
pub(crate) const AUTH_PIN: SecretKey = SecretKey {
    aid: ids::AID_JPKI,
    key: jpki::PIN_AUTH,
    secret: Secret::AuthPin,
    p2: 0x80 | jpki::PIN_AUTH as u8,
    command: "VERIFY PIN",
};

pub async fn select<T: CardTransport>(g: &mut Guard<T>) -> Result<()> {
    let sel = Command::new(0, ins::SELECT, 0x04, 0x0C).with_data(ids::AID_JPKI.to_vec());
    match g.send(&sel).await?.sw {
        StatusWord::OK => Ok(()),
        StatusWord::FILE_NOT_FOUND => Err(CardError::NotMyNumberCard),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT JPKI", sw }),
    }
}

/// Reads the PIN counter without spending a try.
pub async fn pin_state<T: CardTransport>(g: &mut Guard<T>) -> Result<CounterState> {
    AUTH_PIN.counter(g).await
}

/// Reads the 利用者証明用 certificate (no PIN needed): the first READ is big
/// enough for the DER length and most of the certificate, the rest comes in
/// the fewest READs the transport allows (`plan.rs`).
pub async fn read_auth_cert<T: CardTransport>(g: &mut Guard<T>) -> Result<Vec<u8>> {
    let map = |f: ReadFailure| match f {
        ReadFailure::NotFound => CardError::NoAuthCertificate,
        ReadFailure::SecurityStatus => CardError::UnexpectedStatus {
            command: "READ 000A",
            sw: StatusWord::SECURITY_NOT_SATISFIED,
        },
        ReadFailure::Other(e) => e,
    };
    let ef_sfi = sfi(jpki::EF_AUTH_CERT).unwrap_or(0x0A);
    let first = g.plan().cert_first_read();
    let mut cert = binary::read(g, Start::Sfi(ef_sfi), 0, first).await.map_err(map)?;
    if cert.first().is_none_or(|b| *b == 0xFF || *b == 0x00) {
        return Err(CardError::NoAuthCertificate);
    }
    let total = tlv::der_total_len(&cert)
        .map_err(|e| CardError::Certificate { reason: format!("header: {e}") })?;
    if total > MAX_CERT_LEN {
        return Err(CardError::Certificate { reason: format!("implausible length {total}") });
    }
    // Now that the length is known, the estimate of the whole read is exact.
    g.learned_cert_len(total);
    if cert.len() < total {
        let rest =
            binary::read(g, Start::Current, cert.len(), total - cert.len()).await.map_err(map)?;
        cert.extend_from_slice(&rest);
    }
    if cert.len() < total {
        return Err(CardError::Certificate {
            reason: format!("truncated: {} of {} bytes", cert.len(), total),
        });
    }
    cert.truncate(total); // drop the EF's filler
    Ok(cert)
}

/// Verifies the PIN (counter first; the try that could lock the card needs
/// `confirm_last_try`). Returns the tries there were before this one.
pub async fn verify_pin<T: CardTransport>(
    g: &mut Guard<T>,
    pin: &Pin,
    confirm_last_try: bool,
) -> Result<u8> {
    AUTH_PIN.verify(g, pin.as_bytes(), confirm_last_try).await
}

/// Has the card sign `DigestInfo(SHA-256(message))` with the 利用者証明用 key
/// (PKCS#1 v1.5, the card pads). Needs a successful [`verify_pin`] first.
pub async fn sign<T: CardTransport>(g: &mut Guard<T>, message: &[u8]) -> Result<Vec<u8>> {
    let cmd = Command::new(0x80, ins::COMPUTE_SIGNATURE, 0x00, p2_key(jpki::KEY_AUTH))
        .with_data(sha256_digest_info(message))
        .with_le(256);
    let resp = g.send(&cmd).await?;
    match resp.sw {
        StatusWord::OK if resp.data.len() == 256 => Ok(resp.data),
        StatusWord::OK => {
            Err(CardError::malformed(format!("signature of {} bytes", resp.data.len())))
        }
        sw => Err(CardError::UnexpectedStatus { command: "COMPUTE SIGNATURE", sw }),
    }
}
