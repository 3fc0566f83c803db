// SPDX-License-Identifier: MPL-2.0
//! `VisitSession`: the core's visit state machine for the shells.
//!
//! Every method returns the step to render next. Besides moving to the
//! right step, a read that stopped throws what the app may want to react to:
//! `WrongSecret` (tries left), `CardRemoved` (hold it again: the read
//! resumes), `CardProblem`, `Cancelled`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use houmon_core::visit::{self as v, SessionOptions, VisitContext};
use houmon_store::Store;
use zeroize::Zeroizing;

use crate::foreign::{CardTransport, ForeignProgress, ForeignTransport, ReadProgressListener};
use crate::records::{ConsentInput, IdentityMode, VisitStep, VisualReason};
use crate::runtime::blocking;
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct VisitSession {
    inner: Arc<Mutex<v::VisitSession>>,
    cancelled: Arc<AtomicBool>,
    store: Arc<Store>,
    visit_id: String,
}

impl VisitSession {
    pub(crate) fn new(ctx: VisitContext, options: SessionOptions, store: Arc<Store>) -> Arc<Self> {
        let visit_id = ctx.visit_id.clone();
        Arc::new(VisitSession {
            inner: Arc::new(Mutex::new(v::VisitSession::new(ctx, options))),
            cancelled: Arc::new(AtomicBool::new(false)),
            store,
            visit_id,
        })
    }

    fn lock(&self) -> MutexGuard<'_, v::VisitSession> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<F>(&self, f: F) -> Result<VisitStep, HoumonError>
    where
        F: FnOnce(&mut v::VisitSession) -> Result<(), v::VisitError>,
    {
        let mut s = self.lock();
        f(&mut s)?;
        Ok(s.step().into())
    }
}

#[uniffi::export]
impl VisitSession {
    /// The client-generated visit id (the record's id in the queue).
    pub fn visit_id(&self) -> String {
        self.visit_id.clone()
    }

    pub fn step(&self) -> VisitStep {
        self.lock().step().into()
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

    /// The card is at the phone. Runs the read on the core's blocking pool.
    pub async fn read_card(
        self: Arc<Self>,
        transport: Arc<dyn CardTransport>,
        progress: Option<Arc<dyn ReadProgressListener>>,
    ) -> Result<VisitStep, HoumonError> {
        let this = self.clone();
        blocking(move || {
            let transport =
                ForeignTransport { inner: transport, cancelled: this.cancelled.clone() };
            let progress = ForeignProgress(progress);
            let mut s = this.lock();
            s.read_card_with_progress(transport, Utc::now(), &progress)?;
            if this.cancelled.load(Ordering::SeqCst) {
                s.cancel();
                return Err(HoumonError::cancelled());
            }
            let step: VisitStep = s.step().into();
            match (s.step(), s.last_card_error()) {
                (
                    v::Step::HoldCard { .. }
                    | v::Step::EnterPin { .. }
                    | v::Step::EnterCollation { .. },
                    Some(e),
                ) => Err(e.clone().into()),
                _ => Ok(step),
            }
        })
        .await
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
            Ok(s.step().into())
        })
        .await
    }

    /// Cancels at any step (also during a read: it stops before the next APDU).
    pub fn cancel(&self) -> VisitStep {
        self.cancelled.store(true, Ordering::SeqCst);
        // During a read the session is busy (possibly calling this very
        // method from the transport): the read sees the flag before its next
        // APDU and cancels the session itself.
        match self.inner.try_lock() {
            Ok(mut s) => {
                s.cancel();
                s.step().into()
            }
            Err(std::sync::TryLockError::Poisoned(p)) => {
                let mut s = p.into_inner();
                s.cancel();
                s.step().into()
            }
            Err(std::sync::TryLockError::WouldBlock) => VisitStep::Cancelled,
        }
    }
}
