// SPDX-License-Identifier: MPL-2.0
//! The traits the shells implement, and their adapters to the core's traits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use houmon_core::card::progress as p;
use houmon_core::card::transport::{self as t, TransportError};
use tokio::sync::Notify;

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
        TransportFailure::Io { reason: first_line(&e.reason) }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().chars().take(200).collect()
}

/// What the phone's NFC stack can carry (Android: `isExtendedLengthApduSupported()`
/// and `maxTransceiveLength`; iOS: no extended length, answers ≤ 1 KB).
/// The core plans every READ within these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TransportLimits {
    pub extended_length: bool,
    /// The longest command APDU, header included.
    pub max_command: u32,
    /// The longest answer trusted, status word included.
    pub max_response: u32,
}

impl From<TransportLimits> for t::TransportLimits {
    fn from(l: TransportLimits) -> Self {
        t::TransportLimits {
            extended_length: l.extended_length,
            max_command: l.max_command as usize,
            max_response: l.max_response as usize,
        }
    }
}

/// Limits for an iPhone (no extended length, answers ≤ 1 KB), so the iOS
/// shell and the tests name them the same way.
#[uniffi::export]
pub fn iphone_transport_limits() -> TransportLimits {
    let l = t::TransportLimits::IPHONE;
    TransportLimits {
        extended_length: l.extended_length,
        max_command: l.max_command as u32,
        max_response: l.max_response as u32,
    }
}

/// The NFC tag (Android `IsoDep`, iOS `NFCISO7816Tag`). `transceive` is
/// async: Kotlin `suspend fun`, Swift `async throws` (ADR 0006).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait CardTransport: Send + Sync {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure>;
    fn limits(&self) -> TransportLimits;
}

/// Where the 32-byte database key comes from (Android Keystore, iOS Keychain).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyProviderFailure {
    #[error("key unavailable: {reason}")]
    Unavailable { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyProviderFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyProviderFailure::Unavailable { reason: first_line(&e.reason) }
    }
}

#[uniffi::export(with_foreign)]
pub trait KeyProvider: Send + Sync {
    /// The 32-byte key (made on first use, kept by the platform's key store).
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure>;
    /// Forget the key (the store it opened was wiped, after an
    /// administrator confirmed): the next `database_key` makes a new one.
    fn reset_database_key(&self) -> Result<(), KeyProviderFailure>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// Receives the core's logs (never a PIN, never personal data).
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// A phase of the card read (the same in both apps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReadPhase {
    ReadingCertificate,
    CheckingPin,
    Signing,
    CheckingCollation,
    ReadingPhoto,
}

impl From<p::ReadPhase> for ReadPhase {
    fn from(x: p::ReadPhase) -> Self {
        match x {
            p::ReadPhase::ReadingCertificate => ReadPhase::ReadingCertificate,
            p::ReadPhase::CheckingPin => ReadPhase::CheckingPin,
            p::ReadPhase::Signing => ReadPhase::Signing,
            p::ReadPhase::CheckingCollation => ReadPhase::CheckingCollation,
            p::ReadPhase::ReadingPhoto => ReadPhase::ReadingPhoto,
        }
    }
}

/// One progress report: iOS shows `message` in the NFC sheet's
/// `alertMessage`, Android on the hold-the-card screen, with `done` of
/// `expected` APDUs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReadProgress {
    pub phase: ReadPhase,
    /// 証明書を読んでいます / 暗証番号を確認しています / 署名しています / …
    pub message: String,
    pub done: u32,
    pub expected: u32,
}

/// Read progress for the HoldCard screen (called from the core's threads).
#[uniffi::export(with_foreign)]
pub trait ReadProgressListener: Send + Sync {
    fn on_progress(&self, progress: ReadProgress);
}

/// Cancels a running read: set once, seen before the next APDU, and wakes
/// an APDU that is waiting on the card.
#[derive(Default)]
pub(crate) struct Cancel {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The foreign transport as the core's transport.
pub(crate) struct ForeignTransport {
    inner: Arc<dyn CardTransport>,
    limits: t::TransportLimits,
    cancel: Arc<Cancel>,
}

impl ForeignTransport {
    pub fn new(inner: Arc<dyn CardTransport>, cancel: Arc<Cancel>) -> Self {
        let limits = inner.limits().into();
        ForeignTransport { inner, limits, cancel }
    }

    /// Plans every READ for answers of at most `max` bytes (careful
    /// reading, for phones that drop the card on long answers).
    pub fn with_response_cap(mut self, max: usize) -> Self {
        self.limits.max_response = self.limits.max_response.min(max);
        self
    }
}

#[async_trait::async_trait]
impl t::CardTransport for ForeignTransport {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let cancelled = || TransportError::Io { reason: "cancelled".into() };
        let woken = self.cancel.notify.notified();
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        tokio::select! {
            r = self.inner.transceive(apdu.to_vec()) => r.map_err(|e| match e {
                TransportFailure::TagLost => TransportError::TagLost,
                TransportFailure::Timeout => TransportError::Timeout,
                TransportFailure::Io { reason } => TransportError::Io { reason },
            }),
            () = woken => Err(cancelled()),
        }
    }

    fn limits(&self) -> t::TransportLimits {
        self.limits
    }
}

pub(crate) struct ForeignProgress(pub Arc<dyn ReadProgressListener>);

impl p::ReadProgress for ForeignProgress {
    fn progress(&self, x: p::Progress) {
        self.0.on_progress(ReadProgress {
            phase: x.phase.into(),
            message: x.message_ja().to_owned(),
            done: x.done,
            expected: x.expected,
        });
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
