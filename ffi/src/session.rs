// SPDX-License-Identifier: MPL-2.0
//! `VisitSession`: the core's visit state machine for the shells.
//!
//! Every method returns the step to render next. Besides moving to the
//! right step, a read that stopped throws what the app may want to react to:
//! `WrongSecret` (tries left), `CardRemoved` (hold it again: the read
//! resumes), `CardProblem`, `Cancelled`.
//!
//! The card read runs without holding the session: `step()` and `cancel()`
//! answer at once while the card is being read (`houmon_core::visit::read`).

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use houmon_core::visit::{self as v, SessionOptions, VisitContext};
use houmon_store::Store;
use zeroize::Zeroizing;

use crate::foreign::{
    Cancel, CardTransport, ForeignProgress, ForeignTransport, ReadProgressListener,
};
use crate::records::{ConsentInput, IdentityMode, VisitStep, VisualReason};
use crate::runtime::{blocking, spawn};
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct VisitSession {
    inner: Arc<Mutex<v::VisitSession>>,
    cancel: Arc<Cancel>,
    store: Arc<Store>,
    visit_id: String,
}

impl VisitSession {
    pub(crate) fn new(
        ctx: VisitContext,
        options: SessionOptions,
        check: v::CardCheck,
        store: Arc<Store>,
    ) -> Arc<Self> {
        let visit_id = ctx.visit_id.clone();
        Arc::new(VisitSession {
            inner: Arc::new(Mutex::new(v::VisitSession::new(ctx, options).with_card_check(check))),
            cancel: Arc::new(Cancel::default()),
            store,
            visit_id,
        })
    }

    fn lock(&self) -> MutexGuard<'_, v::VisitSession> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self, outcome: v::ReadOutcome) -> Result<VisitStep, HoumonError> {
        let note = outcome.cancel_note_ja();
        let mut s = self.lock();
        s.finish_read(outcome, Utc::now());
        if self.cancel.is_cancelled() {
            s.cancel();
            return Err(HoumonError::cancelled_with(note));
        }
        let step = VisitStep::from_session(&s);
        match (s.step(), s.last_card_error()) {
            (
                v::Step::HoldCard { .. }
                | v::Step::EnterPin { .. }
                | v::Step::EnterCollation { .. },
                Some(e),
            ) => Err(e.clone().into()),
            _ => Ok(step),
        }
    }

    fn with<F>(&self, f: F) -> Result<VisitStep, HoumonError>
    where
        F: FnOnce(&mut v::VisitSession) -> Result<(), v::VisitError>,
    {
        let mut s = self.lock();
        f(&mut s)?;
        Ok(VisitStep::from_session(&s))
    }
}

/// Gives the session a "lost" outcome if the read's task ends without
/// one (it panicked, or the runtime shut down).
struct FinishGuard {
    session: Option<Arc<VisitSession>>,
    mode: v::IdentityMode,
}

impl Drop for FinishGuard {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let _ = s.finish(v::ReadOutcome::lost(self.mode));
        }
    }
}

#[uniffi::export]
impl VisitSession {
    /// The client-generated visit id (the record's id in the queue).
    pub fn visit_id(&self) -> String {
        self.visit_id.clone()
    }

    /// The step to render (answers at once, also during a card read).
    pub fn step(&self) -> VisitStep {
        VisitStep::from_session(&self.lock())
    }

    /// Whether a card read is running.
    pub fn is_reading(&self) -> bool {
        self.lock().is_reading()
    }

    pub fn choose_mode(&self, mode: IdentityMode) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.choose_mode(mode.into()).map(|_| ()))
    }

    /// The PIN the patient typed. Held only until the card has used it.
    pub fn enter_pin(&self, pin: String) -> Result<VisitStep, HoumonError> {
        let pin = Zeroizing::new(pin);
        self.with(|s| s.enter_pin(&pin).map(|_| ()))
    }

    /// 照合番号B: 14 digits (birth YYMMDD as printed, expiry year, security code).
    pub fn enter_collation(&self, value: String) -> Result<VisitStep, HoumonError> {
        let value = Zeroizing::new(value);
        self.with(|s| s.enter_collation(&value).map(|_| ()))
    }

    /// The patient explicitly confirmed the try that could lock the card.
    pub fn confirm_last_try(&self) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.confirm_last_try().map(|_| ()))
    }

    pub fn back_to_mode_choice(&self) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.back_to_mode_choice().map(|_| ()))
    }

    /// After `WrongCard` or `ConfirmNewCard`: hold another card.
    pub fn hold_another_card(&self) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.hold_another_card().map(|_| ()))
    }

    /// Staff confirmed with the patient that this is the patient's new
    /// (reissued) card; the record says so and the clinic reviews it.
    pub fn confirm_new_card(&self) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.confirm_new_card().map(|_| ()))
    }

    /// The card is at the phone. The read and its outcome run as one task
    /// on the core's runtime, awaiting the shell's async `transceive`; the
    /// session is not held meanwhile. The caller's future may be dropped
    /// (an activity recreated, an app sent to the background): the read
    /// still finishes and its outcome reaches the session, so the session
    /// is never left "reading". A cancelled read answers `Cancelled` with
    /// what became of the PIN (whether a try was used).
    pub async fn read_card(
        self: Arc<Self>,
        transport: Arc<dyn CardTransport>,
        progress: Option<Arc<dyn ReadProgressListener>>,
    ) -> Result<VisitStep, HoumonError> {
        let read = self.lock().begin_read(Utc::now())?;
        let mode = read.mode();
        let transport = ForeignTransport::new(transport, self.cancel.clone());
        let progress = progress.map(|l| {
            Arc::new(ForeignProgress(l)) as Arc<dyn houmon_core::card::progress::ReadProgress>
        });
        let this = self.clone();
        spawn(async move {
            let mut guard = FinishGuard { session: Some(this.clone()), mode };
            let outcome = read.run(transport, progress).await;
            guard.session = None;
            Ok(this.finish(outcome))
        })
        .await?
    }

    /// Staff compared the patient with the photo: they match.
    pub fn photo_matches(
        &self,
        checked_by: String,
        reason: VisualReason,
        note: String,
    ) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.photo_matches(&checked_by, reason.into(), &note, Utc::now()).map(|_| ()))
    }

    pub fn photo_does_not_match(&self) -> Result<VisitStep, HoumonError> {
        self.with(|s| s.photo_does_not_match().map(|_| ()))
    }

    /// Records consent and writes the visit durably to the offline queue;
    /// `Done` is returned only once the record is on disk.
    pub async fn give_consent(
        self: Arc<Self>,
        consent: ConsentInput,
    ) -> Result<VisitStep, HoumonError> {
        let this = self.clone();
        blocking(move || {
            let mut s = this.lock();
            let now = Utc::now();
            let record = s.record_for_consent(consent.into(), now)?;
            this.store.enqueue(&record.id, record.to_json().as_bytes(), now)?;
            s.finish(record)?;
            Ok(VisitStep::from_session(&s))
        })
        .await
    }

    /// Cancels at any step, also during a read: the read stops before its
    /// next APDU (an APDU waiting on the card is abandoned).
    pub fn cancel(&self) -> VisitStep {
        self.cancel.cancel();
        let mut s = self.lock();
        s.cancel();
        VisitStep::from_session(&s)
    }
}
