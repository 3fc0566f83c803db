// SPDX-License-Identifier: MPL-2.0
//! # houmon-core
//!
//! The shared core of Houmon. Everything that is a *rule* lives here; the
//! Android and iOS shells only move bytes between the card and this crate.
//!
//! This crate is pure Rust with no FFI: the uniffi surface is a thin wrapper
//! crate on top of it, and the CLI, the server and the tests use it directly.
//!
//! Layers, bottom up (each file is one concern):
//!
//! - [`apdu`], [`sw`]: ISO 7816-4 command/response encoding, status words.
//! - [`transport`]: the async [`transport::CardTransport`] trait the
//!   platforms implement, and their [`transport::TransportLimits`].
//! - [`guard`]: the allow-list. Every APDU passes through it; anything that
//!   could reach the 個人番号, 照合番号A or the 署名用 key is refused before it
//!   reaches the transport.
//! - [`tlv`]: the small BER-TLV reader the card files need.
//! - [`jpki`], [`kenmen`]: the two card applications the product uses.
//! - [`cert`], [`photo`]: parsing the 利用者証明用 certificate, decoding the photo.
//! - [`variant`]: what kind of card this is (顔認証, no photo, expired, locked).
//! - [`verify`]: the one counter-checked VERIFY (PIN and 照合番号B).
//! - [`reader`]: the read flows (PIN mode, 目視 mode, info) with the fewest
//!   round trips the transport permits; [`plan`] counts them;
//!   [`progress`] names their phases in Japanese.
//! - [`renewal`]: the renewal coach for an expiring certificate (one pure
//!   function the visit record, the reception guidance and the server use).
//! - [`visit`]: the visit session; [`reception`]: the reception rules;
//!   [`protocol`]: the sync protocol's wire types.
//! - [`error`]: internal errors and the Japanese messages staff see.

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
pub mod protocol;
pub mod reader;
pub mod reception;
pub mod renewal;
pub mod sw;
pub mod tlv;
pub mod transport;
pub mod variant;
pub(crate) mod verify;
pub mod visit;

pub use error::{CardError, Result};
