// SPDX-License-Identifier: MPL-2.0
//! The chip's face photo: JPEG 2000 (greyscale) in, PNG out.
//!
//! Android has no JPEG 2000 decoder, so the core decodes with the pure-Rust
//! `hayro-jpeg2000` and hands the shells a PNG. The input comes from a card
//! and is untrusted: dimensions are capped, and a decoder panic is caught and
//! reported as [`CardError::Photo`].

use crate::card::error::{CardError, Result};

/// Larger than any card photo; refuses absurd headers before allocating.
const MAX_SIDE: u32 = 2048;

/// A decoded photo.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedPhoto {
    pub width: u32,
    pub height: u32,
    /// PNG bytes, greyscale (or RGB if the card ever holds colour).
    pub png: Vec<u8>,
}

impl std::fmt::Debug for DecodedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecodedPhoto({}x{}, {} PNG bytes)", self.width, self.height, self.png.len())
    }
}

/// Decodes a JP2 file or a raw J2K codestream to PNG.
pub fn jp2_to_png(jp2: &[u8]) -> Result<DecodedPhoto> {
    let bad = |r: String| CardError::Photo { reason: r };
    let decoded = std::panic::catch_unwind(|| decode_pixels(jp2))
        .map_err(|_| bad("the decoder failed on this data".into()))??;
    let (width, height, channels, pixels) = decoded;
    let colour = match channels {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        n => return Err(bad(format!("{n} colour channels"))),
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(colour);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| bad(e.to_string()))?;
        w.write_image_data(&pixels).map_err(|e| bad(e.to_string()))?;
    }
    Ok(DecodedPhoto { width, height, png: out })
}

fn decode_pixels(jp2: &[u8]) -> Result<(u32, u32, u8, Vec<u8>)> {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let bad = |r: String| CardError::Photo { reason: r };
    let image = Image::new(jp2, &DecodeSettings::default()).map_err(|e| bad(format!("{e:?}")))?;
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(format!("implausible size {w}x{h}")));
    }
    if image.has_alpha() {
        return Err(bad("unexpected alpha channel".into()));
    }
    let channels = image.color_space().num_channels();
    let mut ctx = DecoderContext::default();
    let decoded = image.decode(&mut ctx).map_err(|e| bad(format!("{e:?}")))?;
    let pixels = decoded.data_u8();
    if pixels.len() != (w as usize) * (h as usize) * channels as usize {
        return Err(bad("decoded size does not match the header".into()));
    }
    Ok((w, h, channels, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_cards_photo_decodes_to_a_greyscale_png() {
        let p = jp2_to_png(houmon_vcard::SAMPLE_PHOTO_JP2).unwrap();
        assert!(p.width > 50 && p.height > 50, "{p:?}");
        assert_eq!(&p.png[..8], b"\x89PNG\r\n\x1a\n");
        // Colour type byte in IHDR: 0 = greyscale.
        assert_eq!(p.png[25], 0);
    }

    #[test]
    fn truncated_and_garbage_photos_are_errors_not_panics() {
        let jp2 = houmon_vcard::SAMPLE_PHOTO_JP2;
        // Cut inside the headers: an error.
        for cut in [0, 12, 40, 100] {
            assert!(jp2_to_png(&jp2[..cut]).is_err(), "cut at {cut}");
        }
        // Cut inside the code-blocks: JPEG 2000 is progressive, so a shorter
        // image may still decode (blurred); it must never panic. A photo cut
        // short by the card is caught earlier, by its TLV length.
        for cut in [jp2.len() / 3, jp2.len() / 2, jp2.len() - 1] {
            let _ = jp2_to_png(&jp2[..cut]);
        }
        let mut flipped = jp2.to_vec();
        for i in (60..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5A;
        }
        let _ = jp2_to_png(&flipped); // any result but a panic
        assert!(jp2_to_png(b"\x00\x00\x00\x0CjP  \r\n\x87\n garbage").is_err());
    }
}
