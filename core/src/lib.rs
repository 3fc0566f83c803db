// SPDX-License-Identifier: MPL-2.0
//! # houmon-core
//!
//! The shared core of Houmon. Everything that is a *rule* lives here; the
//! Android and iOS shells only move bytes between the card and this crate.
//!
//! This crate is pure Rust with no FFI: the uniffi surface is a thin wrapper
//! crate on top of it, and the CLI, the server and the tests use it directly.
//!
//! - [`card`]: the card layer, bytes at the bottom and the read flows on
//!   top (its own page lists its layers): the allow-list guard every APDU
//!   passes through, the JPKI-AP and 券面AP flows, the certificate and the
//!   photo, the Japanese message of every card error.
//! - [`renewal`]: the renewal coach for an expiring certificate (one pure
//!   function the visit record, the reception guidance and the server use).
//! - [`visit`]: the visit session (over the card layer); [`reception`]:
//!   the reception rules; [`protocol`]: the sync protocol's wire types.

pub mod card;
pub mod protocol;
pub mod reception;
pub mod renewal;
pub mod visit;

pub use card::error::{CardError, Result};
