// SPDX-License-Identifier: MPL-2.0
//! The traits the shells implement, and their adapters to the core's traits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use houmon_core::transport::TransportError;
use houmon_core::visit::ReadProgress;

/// What a platform transport reports (Android `TagLostException` →
/// `TagLost`; an `IOException` that says time-out → `Timeout`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TransportFailure {
    #[error("tag lost")]
    TagLost,
    #[error("timeout")]
    Timeout,
    #[error("I/O: {reason}")]
    Io { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The reason may hold a foreign stack trace: keep only its first line.
        TransportFailure::Io {
            reason: e.reason.lines().next().unwrap_or_default().chars().take(200).collect(),
        }
    }
}

/// The NFC tag (Android `IsoDep`, iOS `NFCISO7816Tag`). Blocking; called on
/// the core's blocking pool.
#[uniffi::export(foreign)]
pub trait CardTransport: Send + Sync {
    fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure>;
    fn supports_extended_length(&self) -> bool;
}

/// Where the 32-byte database key comes from (Android Keystore, iOS Keychain).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyProviderFailure {
    #[error("key unavailable: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyProviderFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyProviderFailure::Unavailable {
            reason: e.reason.lines().next().unwrap_or_default().into(),
        }
    }
}

#[uniffi::export(foreign)]
pub trait KeyProvider: Send + Sync {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// Receives the core's logs (never a PIN, never personal data).
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// Read progress for the HoldCard screen.
#[uniffi::export(foreign)]
pub trait ReadProgressListener: Send + Sync {
    fn on_progress(&self, done: u32, expected: u32);
}

/// The foreign transport as the core's transport; a cancelled session stops
/// the read before the next APDU.
pub(crate) struct ForeignTransport {
    pub inner: Arc<dyn CardTransport>,
    pub cancelled: Arc<AtomicBool>,
}

impl houmon_core::transport::CardTransport for ForeignTransport {
    fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.cancelled.load(Ordering::SeqCst) {
            return Err(TransportError::Io { reason: "cancelled".into() });
        }
        self.inner.transceive(apdu.to_vec()).map_err(|e| match e {
            TransportFailure::TagLost => TransportError::TagLost,
            TransportFailure::Timeout => TransportError::Timeout,
            TransportFailure::Io { reason } => TransportError::Io { reason },
        })
    }
    fn supports_extended_length(&self) -> bool {
        self.inner.supports_extended_length()
    }
}

pub(crate) struct ForeignProgress(pub Option<Arc<dyn ReadProgressListener>>);

impl ReadProgress for ForeignProgress {
    fn progress(&self, done: u32, expected: u32) {
        if let Some(l) = &self.0 {
            l.on_progress(done, expected);
        }
    }
}

/// Forwards tracing events to the shell's log sink.
pub(crate) struct SinkLayer(pub Arc<dyn LogSink>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SinkLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            _ => LogLevel::Debug,
        };
        let mut text = String::new();
        event.record(&mut FieldText(&mut text));
        self.0.log(level, event.metadata().target().to_owned(), text);
    }
}

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!("{}={value:?}", field.name()));
        }
    }
}
