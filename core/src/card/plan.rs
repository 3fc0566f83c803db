// SPDX-License-Identifier: MPL-2.0
//! How many APDUs a read takes under given transport limits: the one place
//! these counts live. The read flows (`reader.rs`, `binary.rs`) follow the
//! same rules, the progress bar's `expected` comes from here, and the tests
//! check every flow's real count against it for every limit combination.
//!
//! Rules:
//! - A READ asks for at most [`TransportLimits::read_chunk`] bytes.
//! - The certificate's first READ (by SFI, offset 0) asks for
//!   [`CERT_FIRST_READ`] bytes (or a chunk, if smaller): every real
//!   certificate is longer, so nothing is wasted, and its DER header tells
//!   how much remains.
//! - The card face: one READ of its head (the offset table, birth date and
//!   sex), then the photo's range only. The card's expiry date sits after
//!   the signature that follows the photo: it is read in the same READ as
//!   the photo when that saves a round trip, in its own READ otherwise.

use crate::card::transport::TransportLimits;

/// The certificate's first READ: below every real 利用者証明用 certificate
/// (1571–1586 bytes seen; the virtual card's is 1434).
pub const CERT_FIRST_READ: usize = 1024;
/// The head of EF 0002 read first (offset table, birth date, sex).
pub const FACE_HEAD_READ: usize = 256;

/// Sizes assumed until the card tells (for the progress estimate only).
pub const NOMINAL_CERT_LEN: usize = 1600;
const NOMINAL_PHOTO_LEN: usize = 2500;

/// Where the photo and the expiry date sit in EF 0002 (absolute offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceSpan {
    pub photo_start: usize,
    /// Where the signature after the photo starts (= the photo's end).
    pub photo_end: usize,
    pub expiry_start: usize,
    pub expiry_len: usize,
}

impl FaceSpan {
    fn nominal() -> FaceSpan {
        let photo_start = 300;
        let photo_end = photo_start + NOMINAL_PHOTO_LEN;
        FaceSpan { photo_start, photo_end, expiry_start: photo_end + 260, expiry_len: 11 }
    }
}

/// The APDU plan for one transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPlan {
    pub limits: TransportLimits,
}

impl ReadPlan {
    pub fn new(limits: TransportLimits) -> ReadPlan {
        ReadPlan { limits }
    }

    pub fn chunk(&self) -> usize {
        self.limits.read_chunk()
    }

    /// READs needed for `len` bytes.
    pub fn reads(&self, len: usize) -> u32 {
        len.div_ceil(self.chunk()) as u32
    }

    pub fn cert_first_read(&self) -> usize {
        CERT_FIRST_READ.min(self.chunk())
    }

    /// READs for a certificate of `len` bytes.
    pub fn cert_reads(&self, len: usize) -> u32 {
        let first = self.cert_first_read();
        1 + self.reads(len.saturating_sub(first))
    }

    pub fn face_head_read(&self) -> usize {
        FACE_HEAD_READ.min(self.chunk())
    }

    /// Whether the photo and the expiry come in one READ range, and how many
    /// READs they take.
    pub fn face_reads(&self, span: FaceSpan) -> (bool, u32) {
        let separate = self.reads(span.photo_end - span.photo_start) + self.reads(span.expiry_len);
        if span.expiry_start > span.photo_start {
            let merged = self.reads(span.expiry_start + span.expiry_len - span.photo_start);
            if merged < separate {
                return (true, merged);
            }
        }
        (false, separate)
    }

    /// `houmon card info`: SELECT, the certificate, the PIN counter.
    pub fn info(&self, cert_len: Option<usize>) -> u32 {
        1 + self.cert_reads(cert_len.unwrap_or(NOMINAL_CERT_LEN)) + 1
    }

    /// PIN mode: SELECT, the certificate, counter, VERIFY, SIGN.
    pub fn pin_mode(&self, cert_len: Option<usize>) -> u32 {
        1 + self.cert_reads(cert_len.unwrap_or(NOMINAL_CERT_LEN)) + 3
    }

    /// 目視 mode: the certificate (SELECT + READs), then the 券面AP: SELECT,
    /// SELECT 照合番号B (unless VERIFY by SFI is on), counter, VERIFY, the
    /// head, the photo (and expiry).
    pub fn visual_mode(&self, cert_len: Option<usize>, face: Option<FaceSpan>) -> u32 {
        let select_key = u32::from(!crate::card::ids::kenmen::VERIFY_BY_SFI);
        let (_, face_reads) = self.face_reads(face.unwrap_or_else(FaceSpan::nominal));
        1 + self.cert_reads(cert_len.unwrap_or(NOMINAL_CERT_LEN))
            + 1
            + select_key
            + 2
            + 1
            + face_reads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_read_in_the_fewest_pieces_the_limits_allow() {
        let plan = |l| ReadPlan::new(l);
        // 1434 bytes: extended 1024 + 410; 1 KB answers 1022 + 412; short 6 × 256.
        assert_eq!(plan(TransportLimits::EXTENDED).cert_reads(1434), 2);
        let ext_1k = TransportLimits { extended_length: true, ..TransportLimits::IPHONE };
        assert_eq!(plan(ext_1k).cert_reads(1434), 2);
        assert_eq!(plan(TransportLimits::SHORT).cert_reads(1434), 6);
        assert_eq!(plan(TransportLimits::IPHONE).cert_reads(1434), 6);
        assert_eq!(plan(TransportLimits::EXTENDED).pin_mode(Some(1434)), 6);
        assert_eq!(plan(TransportLimits::SHORT).pin_mode(Some(1434)), 10);
    }

    #[test]
    fn photo_and_expiry_share_a_read_only_when_it_saves_a_round_trip() {
        let span =
            FaceSpan { photo_start: 100, photo_end: 2598, expiry_start: 2858, expiry_len: 11 };
        assert_eq!(ReadPlan::new(TransportLimits::EXTENDED).face_reads(span), (true, 1));
        // Short: 10 + 1 separately, 11 merged: a tie keeps the fewer bytes.
        assert_eq!(ReadPlan::new(TransportLimits::SHORT).face_reads(span), (false, 11));
    }
}
