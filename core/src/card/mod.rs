// SPDX-License-Identifier: MPL-2.0
//! # The card layer: from bytes on the wire to the read flows
//!
//! Everything that talks to the マイナンバーカード, in layers whose imports run
//! one way — a module uses only modules of a lower layer or its own (the
//! `layers_run_one_way` test below reads the sources and fails on an import
//! that goes up or sideways across a layer):
//!
//! 1. **bytes**: [`sw`] (status words), [`tlv`] (the BER-TLV bits the card
//!    files need), [`ids`] (AIDs, file and key ids).
//! 2. **commands**: [`apdu`] (ISO 7816-4 command/response encoding, short
//!    and extended length).
//! 3. **the phone's NFC**: [`transport`] (the async `CardTransport` the
//!    platforms implement, and their `TransportLimits`).
//! 4. **errors**: [`error`] (`CardError`, the Japanese message staff see for
//!    each; built from the lower layers' own errors).
//! 5. **what the card holds**: [`cert`] (X.509, RSA, validity and the grace
//!    in Japan's time), [`photo`] (JPEG 2000 → PNG, hardened),
//!    [`credentials`] (the PIN and 照合番号B, shape-checked, zeroized),
//!    [`variant`] (what kind of card this is, from its answers).
//! 6. **planning**: [`plan`] (how many APDUs a read takes within the limits:
//!    the one place), [`progress`] (named read phases in Japanese).
//! 7. **the allow-list**: [`guard`] (every APDU passes through it; anything
//!    that could reach the 個人番号, 照合番号A or the 署名用 key is refused
//!    before the transport).
//! 8. **reading files and secrets**: [`binary`] (READ BINARY in the fewest
//!    round trips), `verify` (the one counter-checked VERIFY).
//! 9. **the two applications**: [`jpki`] (JPKI-AP: certificate, PIN counter,
//!    VERIFY, SIGN), [`kenmen`] (券面AP: 照合番号B, the photo's byte range).
//! 10. **the flows**: [`reader`] (info, PIN mode, 目視 mode; the certificate
//!     first).

pub mod apdu;
pub mod binary;
pub mod cert;
pub mod credentials;
pub mod error;
pub mod guard;
pub mod ids;
pub mod jpki;
pub mod kenmen;
pub mod photo;
pub mod plan;
pub mod progress;
pub mod reader;
pub mod sw;
pub mod tlv;
pub mod transport;
pub mod variant;
pub(crate) mod verify;

#[cfg(test)]
mod layers;
