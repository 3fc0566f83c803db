// SPDX-License-Identifier: MPL-2.0
//! 券面事項確認AP (券面AP): the card face and its photo, for 目視.
//!
//! Unlocked with 照合番号B only (never 照合番号A, which *is* the 個人番号).
//! Commands (see `docs/card-protocol.md` §3):
//! - `00 A4 04 0C 0A D3921000310001010402` select the application;
//! - `00 A4 02 0C 02 0012`, `00 20 00 80` (counter), `00 20 00 80 0E <B>`;
//! - `00 B0 82 00 00` the head of EF 0002 (offset table, birth date, sex);
//! - one READ of the photo's range from the offset table (and the expiry),
//!   so the name and address images are never transferred.
//!
//! The SFI form of VERIFY (`00 20 00 92`) is not confirmed on this
//! application, so the key is selected first ([`VERIFY_BY_SFI`]).

use crate::card::apdu::{ins, Command};
use crate::card::binary::{self, ReadFailure, Start};
use crate::card::credentials::CollationB;
use crate::card::error::{CardError, Result, Secret};
use crate::card::guard::Guard;
use crate::card::ids::{self, kenmen, sfi};
use crate::card::plan::FaceSpan;
use crate::card::sw::StatusWord;
use crate::card::tlv;
use crate::card::transport::CardTransport;
use crate::card::verify::SecretKey;

pub use crate::card::ids::kenmen::VERIFY_BY_SFI;

/// How far into EF 0002 the `FF 20` record may start (a 2-byte prefix has
/// been reported on some cards; see the protocol notes).
const MAX_PREFIX: usize = 8;

/// Tags inside the `FF 20` record, in the order of the offset table.
const TAG_OFFSETS: u16 = 0xDF21;
const TAGS: [u16; 9] = [0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A];
const IDX_BIRTH: usize = 0;
const IDX_SEX: usize = 1;
const IDX_PHOTO: usize = 5;
const IDX_SIGNATURE: usize = 6;
const IDX_EXPIRY: usize = 7;

/// What the card face tells, as text (the name and address are images on
/// the card and are not read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFace {
    /// 生年月日, Gregorian `YYYYMMDD`.
    pub birth_date: String,
    /// 性別 code (JIS X 0303: 1 男, 2 女, 9 適用不能, 0 不明).
    pub sex: String,
    /// カード有効期限 `YYYYMMDD`, if present.
    pub card_expiry: Option<String>,
    /// The photo (JPEG 2000), or `None` for a card without one.
    pub photo_jp2: Option<Vec<u8>>,
}

/// 照合番号B, addressed by SFI or as the selected key ([`VERIFY_BY_SFI`]).
pub(crate) const COLLATION_B: SecretKey = SecretKey {
    aid: ids::AID_KENMEN,
    key: kenmen::KEY_COLLATION_B,
    secret: Secret::CollationB,
    p2: if VERIFY_BY_SFI { 0x80 | kenmen::KEY_COLLATION_B as u8 } else { 0x80 },
    command: "VERIFY 照合番号B",
};

pub async fn select<T: CardTransport>(g: &mut Guard<T>) -> Result<()> {
    let sel = Command::new(0, ins::SELECT, 0x04, 0x0C).with_data(ids::AID_KENMEN.to_vec());
    match g.send(&sel).await?.sw {
        StatusWord::OK => Ok(()),
        StatusWord::FILE_NOT_FOUND => Err(CardError::NoCardFaceApplication),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT 券面AP", sw }),
    }
}

/// Selects 照合番号B so that VERIFY can address it (unless by SFI).
async fn select_key<T: CardTransport>(g: &mut Guard<T>) -> Result<()> {
    if VERIFY_BY_SFI {
        return Ok(());
    }
    let sel = Command::new(0, ins::SELECT, 0x02, 0x0C)
        .with_data(kenmen::KEY_COLLATION_B.to_be_bytes().to_vec());
    match g.send(&sel).await?.sw {
        StatusWord::OK => Ok(()),
        sw => Err(CardError::UnexpectedStatus { command: "SELECT 照合番号B", sw }),
    }
}

/// Unlocks the card face with 照合番号B, counter first; the try that could
/// lock it needs `confirm_last_try`. Returns the tries there were before.
pub async fn verify_collation<T: CardTransport>(
    g: &mut Guard<T>,
    b: &CollationB,
    confirm_last_try: bool,
) -> Result<u8> {
    if g.fresh_counter(&ids::AID_KENMEN, kenmen::KEY_COLLATION_B).is_none() {
        select_key(g).await?;
    }
    COLLATION_B.verify(g, b.as_bytes(), confirm_last_try).await
}

fn face_err(reason: impl Into<String>) -> CardError {
    CardError::CardFace { reason: reason.into() }
}

fn map_read(f: ReadFailure) -> CardError {
    match f {
        ReadFailure::NotFound => face_err("EF 0002 not found"),
        ReadFailure::SecurityStatus => CardError::UnexpectedStatus {
            command: "READ 0002",
            sw: StatusWord::SECURITY_NOT_SATISFIED,
        },
        ReadFailure::Other(e) => e,
    }
}

/// Parsed head of EF 0002: the absolute offsets of the nine items.
struct Head {
    bytes: Vec<u8>,
    offsets: [usize; 9],
    record_end: usize,
}

fn parse_head(bytes: Vec<u8>) -> Result<Head> {
    let start = bytes
        .windows(2)
        .take(MAX_PREFIX + 1)
        .position(|w| w == [0xFF, 0x20])
        .ok_or_else(|| face_err("no FF 20 record at the start of EF 0002"))?;
    let rec = tlv::header_at(&bytes, start).map_err(face_err)?;
    let off = tlv::header_at(&bytes, rec.value_start).map_err(face_err)?;
    if off.tag != TAG_OFFSETS || off.len != 18 {
        return Err(face_err("offset table DF21 missing or not 18 bytes"));
    }
    let table = off.value(&bytes).ok_or_else(|| face_err("offset table truncated"))?;
    let mut offsets = [0usize; 9];
    for (i, o) in offsets.iter_mut().enumerate() {
        *o = u16::from_be_bytes([table[2 * i], table[2 * i + 1]]) as usize;
    }
    let record_end = rec.value_end();
    for (i, &o) in offsets.iter().enumerate() {
        if o < off.value_end() || o >= record_end {
            return Err(face_err(format!("offset {i} ({o}) outside the record")));
        }
    }
    if offsets[IDX_PHOTO] > offsets[IDX_SIGNATURE] {
        return Err(face_err("photo offset after the signature"));
    }
    Ok(Head { bytes, offsets, record_end })
}

/// Reads one item's TLV at `buf[at..]`, checking its tag.
fn item(buf: &[u8], at: usize, idx: usize) -> Result<&[u8]> {
    let t = tlv::header_at(buf, at).map_err(face_err)?;
    if t.tag != TAGS[idx] {
        return Err(face_err(format!("expected tag {:04X}, found {:04X}", TAGS[idx], t.tag)));
    }
    t.value(buf).ok_or_else(|| face_err(format!("item {:04X} truncated", TAGS[idx])))
}

fn ascii_date(v: &[u8], what: &str) -> Result<String> {
    if v.len() != 8 || !v.iter().all(u8::is_ascii_digit) {
        return Err(face_err(format!("{what} is not YYYYMMDD")));
    }
    Ok(String::from_utf8_lossy(v).into_owned())
}

/// Reads the card face after [`verify_collation`]: the head, then only the
/// photo's range and the expiry date (in one READ when that saves a round
/// trip, `plan.rs`).
pub async fn read_front<T: CardTransport>(g: &mut Guard<T>) -> Result<CardFace> {
    let ef_sfi = sfi(kenmen::EF_FRONT).unwrap_or(0x02);
    let head_len = g.plan().face_head_read();
    let head = binary::read(g, Start::Sfi(ef_sfi), 0, head_len).await.map_err(map_read)?;
    let head = parse_head(head)?;
    let o = head.offsets;

    // Birth date and sex sit right after the offset table: in the head.
    let text_end = o[IDX_SEX] + 3 + 1;
    let text = if text_end <= head.bytes.len() {
        head.bytes.clone()
    } else {
        let mut b = head.bytes.clone();
        let more =
            binary::read(g, Start::Current, b.len(), text_end - b.len()).await.map_err(map_read)?;
        b.extend_from_slice(&more);
        b
    };
    let birth_date = ascii_date(item(&text, o[IDX_BIRTH], IDX_BIRTH)?, "birth date")?;
    let sex = String::from_utf8_lossy(item(&text, o[IDX_SEX], IDX_SEX)?).into_owned();

    // Photo, and the expiry after the signature.
    let span = FaceSpan {
        photo_start: o[IDX_PHOTO],
        photo_end: o[IDX_SIGNATURE],
        expiry_start: o[IDX_EXPIRY],
        expiry_len: 11.min(head.record_end - o[IDX_EXPIRY]),
    };
    g.learned_face(span);
    let photo_len = span.photo_end - span.photo_start;
    let (merged, _) = g.plan().face_reads(span);
    let (photo_buf, expiry_buf) = if merged {
        let all = binary::read(
            g,
            Start::Current,
            span.photo_start,
            span.expiry_start + span.expiry_len - span.photo_start,
        )
        .await
        .map_err(map_read)?;
        let split = (span.expiry_start - span.photo_start).min(all.len());
        (all[..photo_len.min(all.len())].to_vec(), all[split..].to_vec())
    } else {
        let p =
            binary::read(g, Start::Current, span.photo_start, photo_len).await.map_err(map_read)?;
        let e = binary::read(g, Start::Current, span.expiry_start, span.expiry_len)
            .await
            .map_err(map_read)?;
        (p, e)
    };
    let photo = item(&photo_buf, 0, IDX_PHOTO)?;
    let photo_jp2 = (!photo.is_empty()).then(|| photo.to_vec());
    let card_expiry = match item(&expiry_buf, 0, IDX_EXPIRY) {
        Ok(v) => Some(ascii_date(v, "card expiry")?),
        Err(_) => None,
    };
    Ok(CardFace { birth_date, sex, card_expiry, photo_jp2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_short_head_is_a_card_face_error() {
        for head in [
            &[][..],
            &[0xFF],
            &[0xFF, 0x20],
            &[0x00; 40],
            &[0xFF, 0x20, 0x82, 0x10, 0x00, 0xDF, 0x21, 0x12],
        ] {
            assert!(
                matches!(parse_head(head.to_vec()), Err(CardError::CardFace { .. })),
                "{head:02X?}"
            );
        }
    }

    #[test]
    fn a_prefix_before_the_record_is_skipped() {
        let mut head = vec![0x00, 0x00, 0xFF, 0x20, 0x82, 0x00, 0x40, 0xDF, 0x21, 0x12];
        for i in 0..9u16 {
            head.extend_from_slice(&(30 + i * 4).to_be_bytes());
        }
        head.resize(2 + 5 + 0x40, 0);
        let h = parse_head(head).unwrap();
        assert_eq!(h.offsets[0], 30);
    }
}
