// SPDX-License-Identifier: MPL-2.0
//! Read progress, in words the two apps show the same way.
//!
//! Each phase of a card read has a name and one Japanese line (iOS shows it
//! in the NFC sheet's `alertMessage`, Android on the hold-the-card screen),
//! with the APDUs done and expected for the whole read. `expected` comes
//! from [`crate::card::plan::ReadPlan`]: it is an estimate until the certificate's
//! and the photo's lengths are known, then exact; `done` never passes it.

use std::sync::Arc;

use crate::card::plan::{FaceSpan, ReadPlan};

/// A phase of a card read, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadPhase {
    /// Selecting the application and reading the 利用者証明用 certificate.
    ReadingCertificate,
    /// Reading the PIN counter and verifying the PIN.
    CheckingPin,
    /// The card signs the visit's challenge (the slow step, ~1 s).
    Signing,
    /// Reading the 照合番号B counter and verifying it.
    CheckingCollation,
    /// Reading the card face: the offset table, then only the photo.
    ReadingPhoto,
}

impl ReadPhase {
    /// Stable name for logs and the shells.
    pub fn name(self) -> &'static str {
        match self {
            ReadPhase::ReadingCertificate => "reading-certificate",
            ReadPhase::CheckingPin => "checking-pin",
            ReadPhase::Signing => "signing",
            ReadPhase::CheckingCollation => "checking-collation",
            ReadPhase::ReadingPhoto => "reading-photo",
        }
    }

    /// The line both apps show while the card is read.
    pub fn message_ja(self) -> &'static str {
        match self {
            ReadPhase::ReadingCertificate => "証明書を読んでいます",
            ReadPhase::CheckingPin => "暗証番号を確認しています",
            ReadPhase::Signing => "署名しています",
            ReadPhase::CheckingCollation => "照合番号Bを確認しています",
            ReadPhase::ReadingPhoto => "顔写真を読んでいます",
        }
    }
}

/// One progress report: the phase and the APDUs done of those expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: ReadPhase,
    pub done: u32,
    pub expected: u32,
}

impl Progress {
    pub fn message_ja(&self) -> &'static str {
        self.phase.message_ja()
    }
}

/// Receives progress reports (the FFI forwards them to the shell).
pub trait ReadProgress: Send + Sync {
    fn progress(&self, p: Progress);
}

impl ReadProgress for () {
    fn progress(&self, _: Progress) {}
}

/// Which read the progress belongs to (for the estimate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Info,
    Pin,
    Visual,
}

/// What the guard reports when a phase begins and after each APDU: the
/// current phase, and the
/// estimate of the whole read, refined as the card tells its lengths.
#[derive(Clone)]
pub(crate) struct Tracker {
    sink: Option<Arc<dyn ReadProgress>>,
    pub(crate) phase: ReadPhase,
    flow: Flow,
    cert_len: Option<usize>,
    face: Option<FaceSpan>,
    expected: u32,
    done: u32,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            sink: None,
            phase: ReadPhase::ReadingCertificate,
            flow: Flow::Info,
            cert_len: None,
            face: None,
            expected: 0,
            done: 0,
        }
    }
}

impl Tracker {
    pub(crate) fn new(sink: Option<Arc<dyn ReadProgress>>) -> Self {
        Tracker { sink, ..Tracker::default() }
    }

    pub(crate) fn start(&mut self, flow: Flow, plan: ReadPlan) {
        self.flow = flow;
        self.estimate(plan);
    }

    pub(crate) fn learned_cert_len(&mut self, len: usize, plan: ReadPlan) {
        self.cert_len = Some(len);
        self.estimate(plan);
    }

    pub(crate) fn learned_face(&mut self, face: FaceSpan, plan: ReadPlan) {
        self.face = Some(face);
        self.estimate(plan);
    }

    /// The whole read's APDUs under `plan`, as far as the lengths are known.
    pub(crate) fn estimate(&mut self, plan: ReadPlan) {
        self.expected = match self.flow {
            Flow::Info => plan.info(self.cert_len),
            Flow::Pin => plan.pin_mode(self.cert_len),
            Flow::Visual => plan.visual_mode(self.cert_len, self.face),
        };
    }

    /// A new phase begins: say so at once, before its first APDU, so that
    /// the line on screen names what the card is doing now (the signature
    /// takes the card a second or more).
    pub(crate) fn enter(&mut self, phase: ReadPhase) {
        if phase != self.phase {
            self.phase = phase;
            if self.expected > 0 {
                self.report();
            }
        }
    }

    /// After APDU number `done` (1-based) of this read.
    pub(crate) fn tick(&mut self, done: u32) {
        self.done = done;
        self.report();
    }

    /// The read is over: the bar reaches its end even if a fallback to
    /// short APDUs changed the count on the way.
    pub(crate) fn finish(&mut self) {
        if self.expected != self.done {
            self.expected = self.done;
            self.report();
        }
    }

    fn report(&mut self) {
        self.expected = self.expected.max(self.done);
        if let Some(s) = &self.sink {
            s.progress(Progress { phase: self.phase, done: self.done, expected: self.expected });
        }
    }
}
