// SPDX-License-Identifier: MPL-2.0
//! ISO/IEC 7816-4 command and response APDUs.
//!
//! [`Command`] encodes itself in the short form when it fits (Lc ≤ 255,
//! Le ≤ 256) and in the extended form otherwise; [`Response::parse`] splits
//! the data from the status word and refuses anything shorter than a status
//! word. Nothing here panics on bad input.

use crate::card::sw::StatusWord;

/// What the codec refuses (the card layer's `CardError` is built from it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    /// A command no card could take (data over 65 535 bytes, Le out of range).
    #[error("impossible command: {0}")]
    Impossible(&'static str),
    /// Bytes that are not a command APDU.
    #[error("malformed command: {0}")]
    MalformedCommand(&'static str),
    /// Bytes that are not a response APDU.
    #[error("malformed response: {0}")]
    MalformedResponse(String),
}

/// Instruction bytes the product uses. Anything else is refused by the guard.
pub mod ins {
    pub const SELECT: u8 = 0xA4;
    pub const READ_BINARY: u8 = 0xB0;
    pub const VERIFY: u8 = 0x20;
    /// COMPUTE DIGITAL SIGNATURE (proprietary, CLA 0x80).
    pub const COMPUTE_SIGNATURE: u8 = 0x2A;
}

/// The largest Le an extended APDU can ask for (encoded as `00 00`).
pub const MAX_EXTENDED_LE: usize = 65_536;
/// The largest Le a short APDU can ask for (encoded as `00`).
pub const MAX_SHORT_LE: usize = 256;
/// The largest single extended READ BINARY the core asks for: offsets are
/// 15 bits, so no file the product reads is longer (keeps buffers sane).
pub const MAX_READ_EXTENDED: usize = 0x7FFF;

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length: `None` = no Le field; `Some(n)` with
    /// 1 ≤ n ≤ 65 536.
    pub le: Option<usize>,
}

impl std::fmt::Debug for Command {
    // Never print the data field: for VERIFY it is a PIN or 照合番号.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, lc={}, le={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// True when this command needs the extended-length encoding.
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|le| le > MAX_SHORT_LE)
    }

    /// Encodes the command. Errors only for impossible lengths
    /// (data over 65 535 bytes, Le of 0 or over 65 536).
    pub fn encode(&self) -> Result<Vec<u8>, ApduError> {
        if self.data.len() > 65_535 {
            return Err(ApduError::Impossible("command data longer than 65535 bytes"));
        }
        if let Some(le) = self.le {
            if le == 0 || le > MAX_EXTENDED_LE {
                return Err(ApduError::Impossible("Le out of range"));
            }
        }
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let extended = self.is_extended();
        if !self.data.is_empty() {
            if extended {
                out.push(0x00);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            } else {
                out.push(self.data.len() as u8);
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if extended {
                if self.data.is_empty() {
                    out.push(0x00);
                }
                // 65 536 is encoded as 00 00.
                out.extend_from_slice(&((le % MAX_EXTENDED_LE) as u16).to_be_bytes());
            } else {
                out.push((le % MAX_SHORT_LE) as u8);
            }
        }
        Ok(out)
    }

    /// Decodes a command APDU (used by the virtual card and in tests).
    pub fn decode(raw: &[u8]) -> Result<Self, ApduError> {
        let bad = ApduError::MalformedCommand;
        if raw.len() < 4 {
            return Err(bad("shorter than a header"));
        }
        let mut cmd = Command::new(raw[0], raw[1], raw[2], raw[3]);
        let body = &raw[4..];
        match body.len() {
            0 => {}
            1 => cmd.le = Some(if body[0] == 0 { 256 } else { body[0] as usize }),
            _ if body[0] != 0 => {
                // Short form: Lc data [Le]
                let lc = body[0] as usize;
                let rest = &body[1..];
                if rest.len() == lc {
                    cmd.data = rest.to_vec();
                } else if rest.len() == lc + 1 {
                    cmd.data = rest[..lc].to_vec();
                    let le = rest[lc];
                    cmd.le = Some(if le == 0 { 256 } else { le as usize });
                } else {
                    return Err(bad("Lc does not match the data"));
                }
            }
            3 => {
                // Extended, no data: 00 Le1 Le2
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                cmd.le = Some(if le == 0 { MAX_EXTENDED_LE } else { le });
            }
            _ => {
                // Extended: 00 Lc1 Lc2 data [Le1 Le2]
                if body.len() < 3 {
                    return Err(bad("truncated extended length"));
                }
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                let rest = &body[3..];
                if lc == 0 {
                    return Err(bad("extended Lc of zero"));
                }
                if rest.len() == lc {
                    cmd.data = rest.to_vec();
                } else if rest.len() == lc + 2 {
                    cmd.data = rest[..lc].to_vec();
                    let le = u16::from_be_bytes([rest[lc], rest[lc + 1]]) as usize;
                    cmd.le = Some(if le == 0 { MAX_EXTENDED_LE } else { le });
                } else {
                    return Err(bad("extended Lc does not match the data"));
                }
            }
        }
        Ok(cmd)
    }
}

/// A response APDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    /// Splits raw bytes from the card into data and status word.
    pub fn parse(mut raw: Vec<u8>) -> Result<Self, ApduError> {
        if raw.len() < 2 {
            return Err(ApduError::MalformedResponse(format!(
                "{} bytes, shorter than a status word",
                raw.len()
            )));
        }
        let sw2 = raw.pop().unwrap_or_default();
        let sw1 = raw.pop().unwrap_or_default();
        Ok(Self { data: raw, sw: StatusWord(u16::from_be_bytes([sw1, sw2])) })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.data.clone();
        v.extend_from_slice(&self.sw.0.to_be_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_case_1_to_4_encode_as_the_standard_says() {
        assert_eq!(Command::new(0, 0x20, 0, 0x98).encode().unwrap(), [0, 0x20, 0, 0x98]);
        assert_eq!(
            Command::new(0, 0xB0, 0x8A, 0).with_le(256).encode().unwrap(),
            [0, 0xB0, 0x8A, 0, 0]
        );
        assert_eq!(
            Command::new(0, 0xA4, 2, 0x0C).with_data([0, 0x0A]).encode().unwrap(),
            [0, 0xA4, 2, 0x0C, 2, 0, 0x0A]
        );
        let sign = Command::new(0x80, 0x2A, 0, 0x97).with_data(vec![0xAA; 51]).with_le(256);
        let enc = sign.encode().unwrap();
        assert_eq!(enc.len(), 4 + 1 + 51 + 1);
        assert_eq!((enc[4], enc[56]), (51, 0));
    }

    #[test]
    fn extended_le_is_three_bytes_without_data_and_two_with_data() {
        let rd = Command::new(0, 0xB0, 1, 0).with_le(0x061F);
        assert_eq!(rd.encode().unwrap(), [0, 0xB0, 1, 0, 0, 0x06, 0x1F]);
        let whole = Command::new(0, 0xB0, 0x8A, 0).with_le(MAX_EXTENDED_LE);
        assert_eq!(whole.encode().unwrap(), [0, 0xB0, 0x8A, 0, 0, 0, 0]);
        let big = Command::new(0x80, 0xA2, 0, 0).with_data(vec![1; 300]).with_le(256);
        let enc = big.encode().unwrap();
        assert_eq!(&enc[4..7], &[0, 0x01, 0x2C]);
        assert_eq!(&enc[enc.len() - 2..], &[0x01, 0x00]);
    }

    #[test]
    fn decode_inverts_encode_for_every_case() {
        let cases = [
            Command::new(0, 0x20, 0, 0x98),
            Command::new(0, 0xB0, 0, 4).with_le(4),
            Command::new(0, 0xB0, 0, 4).with_le(256),
            Command::new(0, 0xB0, 1, 0).with_le(1000),
            Command::new(0, 0xB0, 1, 0).with_le(MAX_EXTENDED_LE),
            Command::new(0, 0xA4, 4, 0x0C).with_data(vec![0xD3; 10]),
            Command::new(0x80, 0x2A, 0, 0x97).with_data(vec![7; 51]).with_le(256),
            Command::new(0x80, 0xA2, 0, 0).with_data(vec![1; 300]),
            Command::new(0x80, 0xA2, 0, 0).with_data(vec![1; 300]).with_le(65536),
        ];
        for c in cases {
            assert_eq!(Command::decode(&c.encode().unwrap()).unwrap(), c, "{c:?}");
        }
    }

    #[test]
    fn malformed_commands_and_responses_are_errors_not_panics() {
        assert!(Command::decode(&[0, 0xA4, 4]).is_err());
        assert!(Command::decode(&[0, 0xA4, 4, 0x0C, 5, 1, 2]).is_err());
        assert!(Command::decode(&[0, 0xB0, 0, 0, 0, 0x10]).is_err());
        assert!(Response::parse(vec![]).is_err());
        assert!(Response::parse(vec![0x90]).is_err());
        assert!(Command::new(0, 0xB0, 0, 0).with_le(0).encode().is_err());
        assert!(Command::new(0, 0xB0, 0, 0).with_le(65537).encode().is_err());
    }

    #[test]
    fn a_response_splits_its_data_from_the_status_word() {
        let r = Response::parse(vec![1, 2, 0x63, 0xC1]).unwrap();
        assert_eq!((r.data, r.sw), (vec![1, 2], StatusWord(0x63C1)));
    }
}
