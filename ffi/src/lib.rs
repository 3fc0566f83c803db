// SPDX-License-Identifier: MPL-2.0
//! # houmon-ffi: the mobile surface of the core
//!
//! A thin uniffi layer (proc-macros, no UDL) over `houmon-core` and
//! `houmon-store`, in the application-services style: objects that wrap an
//! inner Rust type, records and enums for every step, one public error type
//! ([`HoumonError`]) mapped from the internal errors in one place
//! (`error.rs`). The shells implement three foreign traits: the NFC
//! [`CardTransport`], the [`KeyProvider`] (Android Keystore / iOS Keychain)
//! and a [`LogSink`]. Async methods run on one tokio runtime owned here
//! (`runtime.rs`); a blocking `transceive` runs on its blocking pool, never
//! on a worker.

uniffi::setup_scaffolding!("houmon");

mod core_handle;
mod error;
mod foreign;
mod reception;
mod records;
mod runtime;
mod session;
#[cfg(feature = "test-card")]
mod testing;

pub use core_handle::HoumonCore;
pub use error::HoumonError;
pub use foreign::{
    CardTransport, KeyProvider, KeyProviderFailure, LogLevel, LogSink, ReadProgressListener,
    TransportFailure,
};
pub use reception::{assess_reception, ReceptionGuidance};
pub use records::*;
pub use session::VisitSession;
