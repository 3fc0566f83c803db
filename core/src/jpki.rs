// SPDX-License-Identifier: MPL-2.0
//! 公的個人認証AP (JPKI-AP): the 利用者証明用 certificate, PIN and key.
//!
//! Commands (see `docs/card-protocol.md` §2):
//! - `00 A4 04 0C 0A D392F000260100000001` select the application;
//! - `00 B0 8A 00 00` then `00 B0 <offset> <Le>` read EF 000A by SFI;
//! - `00 20 00 98` (no data) read the PIN counter without spending a try;
//! - `00 20 00 98 04 <PIN>` verify;
//! - `80 2A 00 97 33 <DigestInfo> 00` sign with key 0017 named by SFI.

use crate::apdu::{ins, Command, StatusWord};
use crate::binary::{BinaryReader, ReadFailure, Start};
use crate::cert::sha256_digest_info;
use crate::credentials::Pin;
use crate::error::{CardError, Result, Secret};
use crate::guard::Guard;
use crate::ids::{self, jpki, sfi};
use crate::tlv;
use crate::transport::CardTransport;
use crate::variant::{classify_counter, CounterState};

/// A certificate is 1.5–1.8 KB; the file must stay readable by offset.
const MAX_CERT_LEN: usize = 0x7FFF;

fn p2_key(fid: u16) -> u8 {
    0x80 | sfi(fid).unwrap_or(0)
}

pub fn select<T: CardTransport>(g: &mut Guard<T>) -> Result<()> {
    let sel = Command::new(0, ins::SELECT, 0x04, 0x0C).with_data(ids::AID_JPKI.to_vec());
    match g.send(&sel)?.sw {
        StatusWord::OK => Ok(()),
        StatusWord::FILE_NOT_FOUND => Err(CardError::NotMyNumberCard),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT JPKI", sw }),
    }
}

/// Reads the PIN counter without spending a try.
pub fn pin_state<T: CardTransport>(g: &mut Guard<T>) -> Result<CounterState> {
    let resp = g.send(&Command::new(0, ins::VERIFY, 0, p2_key(jpki::PIN_AUTH)))?;
    classify_counter(Secret::AuthPin, resp.sw)
}

/// Reads the 利用者証明用 certificate (no PIN needed): the first 256 bytes
/// give the DER length, the rest comes in one extended read or the fewest
/// short ones.
pub fn read_auth_cert<T: CardTransport>(g: &mut Guard<T>, r: &mut BinaryReader) -> Result<Vec<u8>> {
    let map = |f: ReadFailure| match f {
        ReadFailure::NotFound => CardError::NoAuthCertificate,
        ReadFailure::SecurityStatus => CardError::UnexpectedStatus {
            command: "READ 000A",
            sw: StatusWord::SECURITY_NOT_SATISFIED,
        },
        ReadFailure::Other(e) => e,
    };
    let ef_sfi = sfi(jpki::EF_AUTH_CERT).unwrap_or(0x0A);
    let mut cert = r.read(g, Start::Sfi(ef_sfi), 0, 256).map_err(map)?;
    if cert.first().is_none_or(|b| *b == 0xFF || *b == 0x00) {
        return Err(CardError::NoAuthCertificate);
    }
    let total = tlv::der_total_len(&cert)
        .map_err(|e| CardError::Certificate { reason: format!("header: {e}") })?;
    if total > MAX_CERT_LEN {
        return Err(CardError::Certificate { reason: format!("implausible length {total}") });
    }
    if cert.len() < total {
        let rest = r.read(g, Start::Current, cert.len(), total - cert.len()).map_err(map)?;
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

/// Verifies the PIN, reading the counter first unless it was read by the
/// command just before. Refuses the try that could lock the card unless
/// `confirm_last_try`. Returns the tries there were before this one.
pub fn verify_pin<T: CardTransport>(
    g: &mut Guard<T>,
    pin: &Pin,
    confirm_last_try: bool,
) -> Result<u8> {
    let tries = match g.fresh_counter(&ids::AID_JPKI, jpki::PIN_AUTH) {
        Some(t) => t,
        None => match pin_state(g)? {
            CounterState::Available { tries } => tries,
            CounterState::Locked => return Err(CardError::Locked { secret: Secret::AuthPin }),
            CounterState::NotSet => return Err(CardError::PinNotSet),
        },
    };
    if tries == 0 {
        return Err(CardError::Locked { secret: Secret::AuthPin });
    }
    if tries == 1 {
        if !confirm_last_try {
            return Err(CardError::LastTryNeedsConfirmation { secret: Secret::AuthPin });
        }
        g.confirm_last_try();
    }
    let cmd =
        Command::new(0, ins::VERIFY, 0, p2_key(jpki::PIN_AUTH)).with_data(pin.as_bytes().to_vec());
    let resp = match g.send(&cmd) {
        Ok(r) => r,
        // The try may have been counted: never retry blindly.
        Err(CardError::Transport(_)) => {
            return Err(CardError::VerifyInterrupted { secret: Secret::AuthPin })
        }
        Err(e) => return Err(e),
    };
    match resp.sw {
        StatusWord::OK => Ok(tries),
        StatusWord(0x63C0)
        | StatusWord::REFERENCE_DATA_UNUSABLE
        | StatusWord::AUTH_METHOD_BLOCKED => Err(CardError::Locked { secret: Secret::AuthPin }),
        sw => match sw.retries() {
            Some(remaining) => Err(CardError::WrongSecret { secret: Secret::AuthPin, remaining }),
            None => Err(CardError::UnexpectedStatus { command: "VERIFY PIN", sw }),
        },
    }
}

/// Has the card sign `DigestInfo(SHA-256(message))` with the 利用者証明用 key
/// (PKCS#1 v1.5, the card pads). Needs a successful [`verify_pin`] first.
pub fn sign<T: CardTransport>(g: &mut Guard<T>, message: &[u8]) -> Result<Vec<u8>> {
    let cmd = Command::new(0x80, ins::COMPUTE_SIGNATURE, 0x00, p2_key(jpki::KEY_AUTH))
        .with_data(sha256_digest_info(message))
        .with_le(256);
    let resp = g.send(&cmd)?;
    match resp.sw {
        StatusWord::OK if resp.data.len() == 256 => Ok(resp.data),
        StatusWord::OK => {
            Err(CardError::malformed(format!("signature of {} bytes", resp.data.len())))
        }
        sw => Err(CardError::UnexpectedStatus { command: "COMPUTE SIGNATURE", sw }),
    }
}
