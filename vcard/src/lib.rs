// SPDX-License-Identifier: MPL-2.0
//! # houmon-vcard: a faithful virtual マイナンバーカード
//!
//! The same applications, files, access conditions, retry counters and lock
//! behaviour as the real card (as far as public sources tell; see
//! `docs/card-protocol.md`), with RSA-2048 keys and certificates issued at
//! run time by a test CA (no private key is committed anywhere).
//!
//! - [`VirtualCard`] answers APDUs ([`VirtualCard::process`]) and is a
//!   [`houmon_core::card::transport::CardTransport`].
//! - [`Variant`] picks a kind of card: 顔認証, no photo, expired certificate,
//!   one try left, locked.
//! - [`Faults`] injects a card pulled away, time-outs, garbage status words,
//!   truncated answers and latency.
//! - Every APDU is logged ([`VirtualCard::log`]); with
//!   `HOUMON_APDU_AUDIT_DIR` set, also to a file that the whole-suite audit
//!   test reads.
//! - **Anything that reaches for the 個人番号 panics**: selecting the
//!   券面事項入力補助AP or the 住基AP, touching 照合番号A or the 個人番号
//!   image. So does locking a counter on a card whose test did not declare
//!   the patient's confirmation ([`CardConfig::allow_lock`]).
//! - [`vpcd`] serves the card to `pcscd` through vsmartcard's vpcd protocol.

mod audit;
mod ca;
mod card;
mod faults;
mod files;
pub mod records;
pub mod vpcd;

pub use audit::{AuditEvent, AUDIT_DIR_ENV};
pub use ca::{TestCa, TestKeys};
pub use card::{CardConfig, LogEntry, VirtualCard};
pub use faults::Faults;
pub use files::{Holder, Variant};

/// The card's synthetic face photo (JPEG 2000, 150×200 greyscale, drawn by
/// `assets/make_photo.py`; no real person).
pub const SAMPLE_PHOTO_JP2: &[u8] = include_bytes!("../assets/photo.jp2");

/// The contact ATR of the real card (OpenSC's JPKI driver matches it).
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];
