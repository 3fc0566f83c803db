// SPDX-License-Identifier: MPL-2.0
//! READ BINARY in the fewest round trips the transport allows.
//!
//! Each READ asks for at most the transport's chunk (`plan.rs`): a whole
//! range in one extended READ where the phone allows it, 256-byte short
//! READs otherwise, and never an answer longer than the phone trusts. If the
//! card or the phone answers `67 00` to an extended read, the reader falls
//! back to short reads for the rest of the session. The card returns fewer
//! bytes than asked at the end of a file; that ends the read.

use crate::card::apdu::{ins, Command, MAX_SHORT_LE};
use crate::card::error::CardError;
use crate::card::guard::Guard;
use crate::card::sw::StatusWord;
use crate::card::transport::CardTransport;

/// Largest offset READ BINARY can address (15 bits).
const MAX_OFFSET: usize = 0x7FFF;

/// Where to start a read.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// Select the EF implicitly by its short identifier (saves a SELECT).
    Sfi(u8),
    /// The EF the card has selected already.
    Current,
}

/// What a failed READ BINARY meant.
pub enum ReadFailure {
    NotFound,
    SecurityStatus,
    Other(CardError),
}

impl From<CardError> for ReadFailure {
    fn from(e: CardError) -> Self {
        ReadFailure::Other(e)
    }
}

/// Reads up to `len` bytes from `offset`; fewer only if the file ends.
pub async fn read<T: CardTransport>(
    g: &mut Guard<T>,
    start: Start,
    offset: usize,
    len: usize,
) -> Result<Vec<u8>, ReadFailure> {
    let mut out = Vec::with_capacity(len);
    let mut sfi = match start {
        Start::Sfi(s) => Some(s),
        Start::Current => None,
    };
    while out.len() < len {
        let pos = offset + out.len();
        let want = (len - out.len()).min(g.limits().read_chunk());
        let (p1, p2) = match sfi {
            Some(s) if pos <= 0xFF => (0x80 | s, pos as u8),
            Some(_) => return Err(CardError::internal("SFI read beyond offset 255").into()),
            None if pos <= MAX_OFFSET => ((pos >> 8) as u8, pos as u8),
            None => return Err(CardError::malformed("file offset beyond 0x7FFF").into()),
        };
        let resp = g.send(&Command::new(0x00, ins::READ_BINARY, p1, p2).with_le(want)).await?;
        match resp.sw {
            StatusWord::OK => {}
            StatusWord::WRONG_OFFSET | StatusWord(0x6282) => {
                out.extend_from_slice(&resp.data);
                break;
            }
            StatusWord::WRONG_LENGTH if want > MAX_SHORT_LE => {
                tracing::debug!("extended READ BINARY refused; falling back to short reads");
                g.fall_back_to_short();
                continue;
            }
            StatusWord::FILE_NOT_FOUND => return Err(ReadFailure::NotFound),
            StatusWord::SECURITY_NOT_SATISFIED => return Err(ReadFailure::SecurityStatus),
            sw => return Err(CardError::UnexpectedStatus { command: "READ BINARY", sw }.into()),
        }
        if resp.data.len() > want {
            return Err(CardError::malformed(format!(
                "READ BINARY returned {} bytes for Le {}",
                resp.data.len(),
                want
            ))
            .into());
        }
        sfi = None; // the SFI read selected the file
        let short = resp.data.len() < want;
        out.extend_from_slice(&resp.data);
        if short {
            break; // end of file
        }
    }
    Ok(out)
}
