// SPDX-License-Identifier: MPL-2.0
//! `HoumonCore`: the app's handle, opened on a database path with a key
//! from the platform's KeyProvider.
//!
//! Runtime rules (ADR 0004): nothing here blocks the caller's thread.
//! SQLite runs on the runtime's blocking pool (`blocking`), HTTP on its
//! workers (`spawn`); the only synchronous exports touch memory alone.

use std::sync::{Arc, Once};

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::EnrolmentLink;
use houmon_core::visit::{new_id, CardCheck, SessionOptions, VisitContext};
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::{ServerPin, SyncClient};
use tracing_subscriber::layer::SubscriberExt;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::foreign::{KeyProvider, LogSink, SinkLayer};
use crate::records::{
    instant, CalendarDate, EligibilityView, Enrolment, QueueEntry, QueueState, RosterPatient,
    RosterView, SyncSummary, VisitStart,
};
use crate::runtime::{blocking, spawn};
use crate::session::VisitSession;
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct HoumonCore {
    store: Arc<Store>,
    keep_photo: bool,
    sync: std::sync::Mutex<Option<Arc<SyncClient>>>,
}

impl HoumonCore {
    #[doc(hidden)]
    pub fn store_for_tests(&self) -> Arc<Store> {
        self.store.clone()
    }

    fn sync_client(&self) -> Result<Arc<SyncClient>, HoumonError> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| {
            HoumonError::make(
                Kind::NotRegistered,
                "sync.not-enrolled",
                "この端末はまだクリニックに登録されていません。管理者から登録用QRコードを受け取り、読み取ってください。".into(),
                "neither enrol() nor connect() was called".into(),
            )
        })
    }
}

/// Sends the core's logs to the shell (once per process; later calls are ignored).
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(SinkLayer(sink));
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

#[uniffi::export]
impl HoumonCore {
    /// Opens (or creates) the encrypted database. `keep_photo`: keep the chip
    /// photo in 目視 evidence (off: only its hash).
    #[uniffi::constructor]
    pub async fn open(
        db_path: String,
        keys: Arc<dyn KeyProvider>,
        keep_photo: bool,
    ) -> Result<Arc<HoumonCore>, HoumonError> {
        let store = blocking(move || {
            let raw = Zeroizing::new(keys.database_key().map_err(|e| {
                HoumonError::make(
                    Kind::WrongKey,
                    "store.key-unavailable",
                    "端末内のデータの鍵を取得できません。端末のロックを解除してから、もう一度お試しください。"
                        .into(),
                    e.to_string(),
                )
            })?);
            let key = StoreKey::from_bytes(&raw)?;
            Ok(Arc::new(Store::open(&db_path, key)?))
        })
        .await?;
        // The clinic server this phone enrolled with, if it did.
        let s = store.clone();
        let client = spawn(async move { Ok(SyncClient::from_store(s).await?) }).await?;
        tracing::info!(enrolled = client.is_some(), "core opened");
        Ok(Arc::new(HoumonCore {
            store,
            keep_photo,
            sync: std::sync::Mutex::new(client.map(Arc::new)),
        }))
    }

    /// Enrols this phone with the clinic server named by the enrolment QR
    /// code (or its text typed in): trusts the server by the fingerprint it
    /// carries, registers with its one-time code, and keeps the credentials
    /// sealed on the phone (they survive restarts; the token is rotated
    /// before it expires).
    pub async fn enrol(
        &self,
        enrolment: String,
        device_name: String,
    ) -> Result<Enrolment, HoumonError> {
        let link = EnrolmentLink::parse(&enrolment).ok_or_else(|| {
            HoumonError::invalid_input(
                "sync.bad-enrolment",
                "登録用QRコードを読み取れませんでした。クリニックで発行されたQRコードをもう一度読み取ってください。"
                    .into(),
            )
        })?;
        let device_id = new_id("d");
        let store = self.store.clone();
        let client =
            spawn(
                async move { Ok(SyncClient::enrol(store, &link, &device_id, &device_name).await?) },
            )
            .await?;
        let info = Enrolment::of(&client);
        *self.sync.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(client));
        Ok(info)
    }

    /// Whom this phone is enrolled as, and with which server (none before
    /// enrolment).
    pub fn enrolment(&self) -> Option<Enrolment> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner()).as_deref().map(Enrolment::of)
    }

    /// Starts a visit; the visit id is generated here and is the upload's
    /// idempotency key. The device, the staff member and the server-time
    /// token come from the enrolment. With a `round_day`, the day's kept
    /// roster tells whose card is read (works offline).
    pub async fn start_visit(&self, start: VisitStart) -> Result<Arc<VisitSession>, HoumonError> {
        let first_visit_on = start.first_visit_on.map(NaiveDate::try_from).transpose()?;
        let round_day = start.round_day.map(NaiveDate::try_from).transpose()?;
        // A visit belongs to an enrolled device and its staff member: one
        // recorded before enrolment could never be accepted by the server.
        let client = self.sync_client()?;
        let patient = start.patient_id.clone();
        let (check, anchor, (device_id, staff_id)) = spawn(async move {
            let check = match round_day {
                Some(day) => match client.kept_roster(day).await? {
                    Some((roster, _)) => roster.card_check(patient.as_deref()),
                    None => CardCheck::default(),
                },
                None => CardCheck::default(),
            };
            // connect() (development and tests) has no enrolment to name.
            let who = client
                .enrolled_as()
                .unwrap_or_else(|| ("not-enrolled".into(), "not-enrolled".into()));
            Ok((check, client.time_anchor().await?, who))
        })
        .await?;
        let ctx = VisitContext {
            visit_id: new_id("v"),
            patient_id: start.patient_id,
            kind: start.kind.into(),
            staff_id,
            device_id,
            started_at: Utc::now(),
            first_visit_on,
            time_anchor: anchor,
        };
        Ok(VisitSession::new(
            ctx,
            SessionOptions { keep_photo: self.keep_photo },
            check,
            self.store.clone(),
        ))
    }

    /// Points the core at a clinic server directly (development and tests;
    /// apps use `enrol`): its address, the fingerprint to pin (`sha256:…`;
    /// none only for a loopback server) and a token.
    pub fn connect(
        &self,
        server_url: String,
        server_pin: Option<String>,
        token: Option<String>,
    ) -> Result<(), HoumonError> {
        let pin = match server_pin.as_deref() {
            None | Some("") => None,
            Some(p) => Some(ServerPin::parse(p).ok_or_else(|| {
                HoumonError::invalid_input(
                    "sync.bad-pin",
                    "サーバーの指紋の形式が正しくありません。登録用QRコードを読み取り直してください。"
                        .into(),
                )
            })?),
        };
        let client = Arc::new(SyncClient::new(&server_url, self.store.clone(), token, pin)?);
        *self.sync.lock().unwrap_or_else(|e| e.into_inner()) = Some(client);
        Ok(())
    }

    /// The shell reports connectivity changes.
    pub async fn set_online(&self, online: bool) -> Result<(), HoumonError> {
        let client = self.sync_client()?;
        spawn(async move {
            client.set_online(online).await;
            Ok(())
        })
        .await
    }

    /// Sends what is due, one record at a time, and fetches new results.
    /// Two calls at once run one after the other (never the same record
    /// twice). A failure to fetch results is reported, not dropped.
    pub async fn sync_now(&self) -> Result<SyncSummary, HoumonError> {
        let client = self.sync_client()?;
        spawn(async move {
            if let Err(e) = client.rotate_token_if_due().await {
                tracing::warn!(error = %e, "token not rotated");
            }
            let r = client.upload_due().await?;
            // The clinic's console follows up what this phone could not deliver.
            if let Err(e) = client.report_queue().await {
                tracing::warn!(error = %e, "queue not reported");
            }
            let (results_received, results_error) = match client.pull_results().await {
                Ok(n) => (n as u32, None),
                Err(e) => {
                    tracing::warn!(error = %e, "results not fetched");
                    (0, Some(e.staff_message()))
                }
            };
            Ok(SyncSummary {
                sent: r.sent.len() as u32,
                duplicates: r.duplicates.len() as u32,
                held: r.held.len() as u32,
                wedged: r.wedged.len() as u32,
                deferred: r.deferred,
                next_retry_at: client.next_wakeup().await?.map(instant),
                results_received,
                results_error,
            })
        })
        .await
    }

    /// The patient's eligibility as the app shows it: only from a server
    /// result, with its time; marked when shown offline.
    pub async fn eligibility(&self, patient_id: String) -> Result<EligibilityView, HoumonError> {
        let client = self.sync_client()?;
        spawn(async move {
            let r = client.last_result(&patient_id).await?;
            Ok(EligibilityView::of(r.as_ref(), client.is_online()))
        })
        .await
    }

    /// The day's round: downloaded and kept sealed on the phone; offline,
    /// the kept copy with the time it was fetched.
    pub async fn roster(&self, day: CalendarDate) -> Result<RosterView, HoumonError> {
        let client = self.sync_client()?;
        let date = NaiveDate::try_from(day)?;
        spawn(async move {
            let (roster, fetched_at, fresh) = client.roster(date).await?;
            let online = client.is_online();
            let mut patients = Vec::with_capacity(roster.entries.len());
            for e in roster.entries {
                let last = client.last_result(&e.patient_id).await?.or(e.last_eligibility);
                patients.push(RosterPatient {
                    eligibility: EligibilityView::of(last.as_ref(), online && fresh),
                    patient_id: e.patient_id,
                    name: e.name,
                    address: e.address,
                    birth_date: e.birth_date.into(),
                    facility: e.facility,
                    consent_until: e.consent_until.map(Into::into),
                    card_enrolled: e.enrolled_certificate.is_some(),
                });
            }
            Ok(RosterView {
                day: roster.day.into(),
                fetched_at: instant(fetched_at),
                fresh,
                patients,
            })
        })
        .await
    }

    /// Sends a wedged record again (after staff looked at the reason).
    pub async fn retry(&self, record_id: String) -> Result<(), HoumonError> {
        let store = self.store.clone();
        blocking(move || Ok(store.retry(&record_id)?)).await
    }

    /// Discards a wedged record (staff decided it cannot be sent).
    pub async fn discard(&self, record_id: String) -> Result<(), HoumonError> {
        let store = self.store.clone();
        blocking(move || Ok(store.discard(&record_id)?)).await
    }

    /// Queue entries in a state, oldest first.
    pub async fn queue(&self, state: QueueState) -> Result<Vec<QueueEntry>, HoumonError> {
        let store = self.store.clone();
        let state = match state {
            QueueState::Pending => ItemState::Pending,
            QueueState::Wedged => ItemState::Wedged,
            QueueState::Sent => ItemState::Sent,
        };
        blocking(move || Ok(store.list(state)?.into_iter().map(Into::into).collect())).await
    }
}
