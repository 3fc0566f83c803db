// SPDX-License-Identifier: MPL-2.0
//! # houmon-store: the on-device store
//!
//! One SQLite file (bundled SQLite, WAL, `synchronous=FULL`): a record
//! written here survives a crash or a kill. The schema lives in one place
//! ([`schema`]) with numbered migrations and a test that upgrades every old
//! version. Sensitive payloads are sealed with XChaCha20-Poly1305 under a
//! key from the platform's `KeyProvider` ([`crypto`]); a wrong key is a clear
//! error ([`StoreError::WrongKey`]), never garbage. The offline queue of
//! visit records is [`queue`] (the send loop is in the sync layer).

mod batch;
pub mod crypto;
mod day;
mod error;
pub mod queue;
pub mod schema;

pub use batch::{DueItem, Settle};
pub use crypto::StoreKey;
pub use day::{delete_database, unsent_in, DayEntry, ItemKind, NewItem};
pub use error::StoreError;
pub use queue::{ItemState, QueueItem, Store};
