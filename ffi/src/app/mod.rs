// SPDX-License-Identifier: MPL-2.0
//! # The app core: one app for both phones
//!
//! The Elm architecture, after redbadger/crux: the shell sends
//! [`AppEvent`]s (a tap on a patient, a PIN typed, the network came back,
//! the app went to the background) and cards tapped at the phone
//! ([`AppCore::card_tapped`]); the core updates one model of the app
//! (`model.rs`, by the pure `update/`), and hands the shell the whole
//! [`AppView`] of the current screen (`render/`, Japanese text included)
//! and the [`Effect`]s the platform runs (schedule the next sync, the
//! read-finished feedback, a screen-reader announcement, the NFC settings).
//! The shells render the view and run the effects; they hold no app state.
//!
//! The work the state machine asks for (the store, the clinic server, a
//! card read) runs in `runtime.rs` on the core's tokio runtime and comes
//! back as messages: a read outlives the screen that started it, and its
//! outcome always reaches the visit (ADR 0009).

mod command;
mod config;
mod event;
mod labels;
mod model;
mod render;
mod runtime;
mod update;
mod view;

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use houmon_core::card::cert::jst;

pub use config::{default_clinic_policy, AppConfig, ClinicPolicy, PlatformInfo, SignInPolicy};
pub use event::{AppEvent, NfcState};
pub use view::*;

use crate::foreign::{CardTransport, KeyProvider};
use event::Msg;
use model::{Model, Phase, ScreenId};

/// Receives the core's views and effects, in order, from the core's
/// threads (Kotlin: post to a `StateFlow`; Swift: hop to the main actor).
#[uniffi::export(with_foreign)]
pub trait AppShell: Send + Sync {
    fn render(&self, view: AppView);
    fn run(&self, effect: Effect);
}

/// Whether a scanned text is the clinic's enrolment link (the QR scanner
/// stops at the first one; the core checks it again when it is sent).
#[uniffi::export]
pub fn is_enrolment_link(text: String) -> bool {
    houmon_core::protocol::EnrolmentLink::parse(text.trim()).is_some()
}

/// The app: one per process (Android: the `Application`; iOS: the `App`).
#[derive(uniffi::Object)]
pub struct AppCore {
    inner: Arc<runtime::Inner>,
}

fn new_model(config: AppConfig) -> Model {
    let today: NaiveDate = Utc::now().with_timezone(&jst()).date_naive();
    Model {
        policy: config.policy.clone(),
        careful_reading: config.policy.careful_reading,
        config,
        phase: Phase::Opening,
        enrolment: None,
        online: true,
        foreground: true,
        nfc: NfcState::On,
        today,
        round: None,
        round_loading: false,
        round_error: None,
        day_log: Vec::new(),
        queue: Default::default(),
        signed_in: None,
        sign_in: Default::default(),
        sync: Default::default(),
        screen: ScreenId::Round,
        back_stack: Vec::new(),
        visit: None,
        reception: None,
        pending: None,
        notice: None,
        revision: 0,
    }
}

#[uniffi::export]
impl AppCore {
    /// Opens the app: the store is opened in the background; a store that
    /// does not open (a lost key, a newer app's data, a full disk) shows
    /// the recovery screen instead of failing here. Never blocks.
    #[uniffi::constructor]
    pub fn new(
        config: AppConfig,
        keys: Arc<dyn KeyProvider>,
        shell: Arc<dyn AppShell>,
    ) -> Arc<Self> {
        let inner = runtime::Inner::start(new_model(config), keys, shell);
        inner.run_all(vec![command::Command::OpenStore]);
        Arc::new(AppCore { inner })
    }

    /// Applies an event at once (memory only: never blocks the caller);
    /// the new view follows through `AppShell::render`.
    pub fn send(&self, event: AppEvent) {
        self.inner.dispatch(Msg::Shell(event));
    }

    /// A card at the phone (Android reader mode, an iOS NFC session). The
    /// read runs on the core's runtime, whatever happens to the caller.
    pub fn card_tapped(&self, transport: Arc<dyn CardTransport>) -> TapAnswer {
        let ((answer, commands), view) =
            self.inner.with_model(|m, ctx| update::card_tapped(m, transport, ctx));
        self.inner.queue_view(view);
        self.inner.run_all(commands);
        answer
    }

    /// The current view (a shell's first frame; afterwards `render` brings each).
    pub fn view(&self) -> AppView {
        self.inner.view()
    }

    /// Waits until the core's work is done and the shell has the newest
    /// view: a background job awaits this after `SyncDue` before it
    /// finishes; tests await it between steps.
    pub async fn settle(&self) {
        let inner = self.inner.clone();
        let _ = crate::runtime::spawn(async move {
            inner.settle().await;
            Ok(())
        })
        .await;
    }
}
