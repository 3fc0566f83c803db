// SPDX-License-Identifier: MPL-2.0
//! The chip photo a 目視 record may carry (when the clinic keeps photos):
//! the chip's own JPEG 2000 bytes, which `photo_sha256` covers. The server
//! checks that the bytes are what the hash says, that they are no larger
//! than a card photo, that the header gives a card photo's size (read
//! before decoding, so that a crafted header costs nothing), and that they
//! decode — with the core's own decoder (`houmon_core::card::photo`), the one
//! the phone shows staff the photo with.

use houmon_core::visit::evidence::sha256_hex;

/// The largest photo accepted, in bytes (a card's is a few KB).
pub const MAX_BYTES: usize = 64 * 1024;
/// The sides a card photo may have, in pixels (the chip's is about
/// 150 × 200; this leaves room for other issues of the card).
pub const SIDES: std::ops::RangeInclusive<u32> = 32..=1024;

/// Why a photo was refused (the refusal's detail, for a developer).
pub fn check(jp2: &[u8], sha256: &str) -> Result<(), String> {
    if jp2.len() > MAX_BYTES {
        return Err(format!("目視: the photo is {} bytes, larger than a card photo", jp2.len()));
    }
    if !sha256_hex(jp2).eq_ignore_ascii_case(sha256) {
        return Err("目視: the photo does not match photo_sha256".into());
    }
    let settings = hayro_jpeg2000::DecodeSettings::default();
    let header = std::panic::catch_unwind(|| {
        hayro_jpeg2000::Image::new(jp2, &settings).map(|i| (i.width(), i.height()))
    });
    let Ok(Ok((w, h))) = header else {
        return Err("目視: the photo is not a JPEG 2000 image".into());
    };
    if !SIDES.contains(&w) || !SIDES.contains(&h) {
        return Err(format!("目視: the photo is {w}×{h}, not a card photo's size"));
    }
    houmon_core::card::photo::jp2_to_png(jp2)
        .map(|_| ())
        .map_err(|e| format!("目視: the photo does not decode ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use houmon_vcard::SAMPLE_PHOTO_JP2;

    #[test]
    fn only_a_card_photo_matching_its_hash_passes() {
        let hash = sha256_hex(SAMPLE_PHOTO_JP2);
        assert_eq!(check(SAMPLE_PHOTO_JP2, &hash), Ok(()));
        assert_eq!(check(SAMPLE_PHOTO_JP2, &hash.to_uppercase()), Ok(()));
        let err = check(SAMPLE_PHOTO_JP2, &"0".repeat(64)).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
        let text = b"not a photo at all".to_vec();
        let err = check(&text, &sha256_hex(&text)).unwrap_err();
        assert!(err.contains("not a JPEG 2000"), "{err}");
        let big = vec![0u8; MAX_BYTES + 1];
        assert!(check(&big, &sha256_hex(&big)).unwrap_err().contains("larger"));
        // A photo cut short inside its headers.
        let cut = &SAMPLE_PHOTO_JP2[..40];
        assert!(check(cut, &sha256_hex(cut)).is_err());
    }

    #[test]
    fn a_header_claiming_a_huge_image_is_refused_before_decoding() {
        // The codestream's size marker (SIZ, FF 51): length, capabilities,
        // then the image's width and height, four bytes each; and the
        // file's image header box (`ihdr`) says the same.
        let mut jp2 = SAMPLE_PHOTO_JP2.to_vec();
        let siz = jp2.windows(2).position(|w| w == [0xff, 0x51]).expect("a SIZ marker") + 6;
        jp2[siz..siz + 4].copy_from_slice(&4000u32.to_be_bytes());
        jp2[siz + 4..siz + 8].copy_from_slice(&4000u32.to_be_bytes());
        let ihdr = jp2.windows(4).position(|w| w == b"ihdr").expect("an ihdr box") + 4;
        jp2[ihdr..ihdr + 4].copy_from_slice(&4000u32.to_be_bytes());
        jp2[ihdr + 4..ihdr + 8].copy_from_slice(&4000u32.to_be_bytes());
        let err = check(&jp2, &sha256_hex(&jp2)).unwrap_err();
        assert!(err.contains("4000×4000"), "{err}");
    }
}
