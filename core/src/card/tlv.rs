// SPDX-License-Identifier: MPL-2.0
//! A small BER-TLV reader for the card's files (tags of one or two bytes,
//! definite lengths up to four bytes). Every read is bounds-checked and
//! returns an error rather than panicking on truncated data.

/// One TLV: its tag, where its value starts and ends in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u16,
    /// Offset of the first byte of the tag.
    pub start: usize,
    /// Offset of the first byte of the value.
    pub value_start: usize,
    pub len: usize,
}

impl Tlv {
    pub fn value_end(&self) -> usize {
        self.value_start + self.len
    }
    pub fn value<'a>(&self, buf: &'a [u8]) -> Option<&'a [u8]> {
        buf.get(self.value_start..self.value_end())
    }
}

/// Reads the tag and length at `pos`. The value may extend past `buf` (the
/// caller may have read only a header); use [`Tlv::value`] to get it.
pub fn header_at(buf: &[u8], pos: usize) -> Result<Tlv, &'static str> {
    let first = *buf.get(pos).ok_or("tag past the end")?;
    let (tag, mut p) = if first & 0x1F == 0x1F {
        let second = *buf.get(pos + 1).ok_or("two-byte tag truncated")?;
        if second & 0x80 != 0 {
            return Err("tags longer than two bytes are not used by this card");
        }
        (u16::from_be_bytes([first, second]), pos + 2)
    } else {
        (first as u16, pos + 1)
    };
    let l0 = *buf.get(p).ok_or("length truncated")?;
    p += 1;
    let len = if l0 < 0x80 {
        l0 as usize
    } else {
        let n = (l0 & 0x7F) as usize;
        if n == 0 || n > 3 {
            return Err("unsupported length form");
        }
        let bytes = buf.get(p..p + n).ok_or("long length truncated")?;
        p += n;
        bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
    };
    Ok(Tlv { tag, start: pos, value_start: p, len })
}

/// Total size of a DER object from its first bytes (`30 82 HH LL` → LL+4).
pub fn der_total_len(head: &[u8]) -> Result<usize, &'static str> {
    let t = header_at(head, 0)?;
    if t.tag != 0x30 {
        return Err("not a DER SEQUENCE");
    }
    Ok(t.value_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths_and_two_byte_tags() {
        let t = header_at(&[0xDF, 0x22, 0x08, b'1'], 0).unwrap();
        assert_eq!((t.tag, t.value_start, t.len), (0xDF22, 3, 8));
        let t = header_at(&[0xFF, 0x20, 0x82, 0x12, 0x34], 0).unwrap();
        assert_eq!((t.tag, t.value_start, t.len), (0xFF20, 5, 0x1234));
        assert_eq!(der_total_len(&[0x30, 0x82, 0x06, 0x2E]).unwrap(), 1586);
        assert_eq!(der_total_len(&[0x30, 0x81, 0x80]).unwrap(), 131);
    }

    #[test]
    fn truncated_or_odd_input_is_an_error() {
        for bad in [
            &[][..],
            &[0xDF],
            &[0xDF, 0x22],
            &[0x30, 0x82, 0x06],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(header_at(bad, 0).is_err(), "{bad:?}");
        }
        assert!(der_total_len(&[0x31, 0x03, 0, 0, 0]).is_err());
        assert!(header_at(&[0x1F, 0x81, 0x01], 0).is_err());
    }
}
