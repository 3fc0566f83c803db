// SPDX-License-Identifier: MPL-2.0
//! # houmon-ffi: the mobile surface of the core
//!
//! A thin uniffi layer (proc-macros, no UDL) over `houmon-core` and
//! `houmon-store`, in the application-services style: objects that wrap an
//! inner Rust type, records and enums for every step, one public error type
//! ([`HoumonError`]) mapped from the internal errors in one place
//! (`error.rs`). The shells implement the foreign traits: the NFC
//! [`CardTransport`] (async `transceive`, and its [`TransportLimits`]), the
//! [`KeyProvider`] (Android Keystore / iOS Keychain), a [`LogSink`] and a
//! [`ReadProgressListener`]. Async methods run on one tokio runtime owned
//! here (`runtime.rs`): the card read awaits the shell's transport on its
//! workers; SQLite runs on its blocking pool; nothing blocks the caller.

uniffi::setup_scaffolding!("houmon");

mod app;
mod core_handle;
mod error;
mod foreign;
mod reception;
mod records;
mod renewal;
mod runtime;
mod session;
#[cfg(feature = "test-card")]
mod testing;

pub use app::*;
pub use core_handle::HoumonCore;
pub use error::HoumonError;
pub use foreign::{
    iphone_transport_limits, CardTransport, KeyProvider, KeyProviderFailure, LogLevel, LogSink,
    ReadPhase, ReadProgress, ReadProgressListener, TransportFailure, TransportLimits,
};
pub use reception::*;
pub use records::*;
pub use renewal::*;
pub use session::VisitSession;
