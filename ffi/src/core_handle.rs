// SPDX-License-Identifier: MPL-2.0
//! `HoumonCore`: the app's handle, opened on a database path with a key
//! from the platform's KeyProvider.

use std::sync::{Arc, Once};

use chrono::{NaiveDate, Utc};
use houmon_core::visit::{new_id, SessionOptions, VisitContext};
use houmon_store::{ItemState, Store, StoreKey};
use tracing_subscriber::layer::SubscriberExt;
use zeroize::Zeroizing;

use crate::foreign::{KeyProvider, LogSink, SinkLayer};
use crate::records::{QueueEntry, QueueState, RosterPatient, RosterView, SyncSummary, VisitStart};
use crate::runtime::{blocking, spawn};
use crate::session::VisitSession;
use crate::HoumonError;
use houmon_sync::SyncClient;

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
            HoumonError::NotRegistered {
                staff_message:
                    "クリニックのサーバーが設定されていません。管理者に連絡してください。".into(),
            }
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
        blocking(move || {
            let raw = Zeroizing::new(keys.database_key().map_err(|e| HoumonError::WrongKey {
                staff_message: format!("鍵を取得できません: {e}"),
            })?);
            let key = StoreKey::from_bytes(&raw)?;
            let store = Store::open(&db_path, key)?;
            tracing::info!("core opened");
            Ok(Arc::new(HoumonCore {
                store: Arc::new(store),
                keep_photo,
                sync: std::sync::Mutex::new(None),
            }))
        })
        .await
    }

    /// Starts a visit; the visit id is generated here and is the upload's
    /// idempotency key.
    pub fn start_visit(&self, start: VisitStart) -> Result<Arc<VisitSession>, HoumonError> {
        let first_visit_on = match start.first_visit_on.as_deref() {
            None | Some("") => None,
            Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                HoumonError::InvalidInput {
                    staff_message: format!(
                        "初回訪問日の形式が正しくありません({d})。YYYY-MM-DD で入力してください。"
                    ),
                }
            })?),
        };
        let ctx = VisitContext {
            visit_id: new_id("v"),
            patient_id: start.patient_id,
            kind: start.kind.into(),
            staff_id: start.staff_id,
            device_id: start.device_id,
            started_at: Utc::now(),
            first_visit_on,
        };
        Ok(VisitSession::new(
            ctx,
            SessionOptions { keep_photo: self.keep_photo },
            self.store.clone(),
        ))
    }

    /// Points the core at the clinic server (`token` from an earlier registration).
    pub fn connect(&self, server_url: String, token: Option<String>) {
        let client = Arc::new(SyncClient::new(&server_url, self.store.clone(), token));
        *self.sync.lock().unwrap_or_else(|e| e.into_inner()) = Some(client);
    }

    /// Registers this device; returns the token to keep (in the Keychain /
    /// Keystore) for `connect` next time.
    pub async fn register(
        &self,
        device_id: String,
        device_name: String,
        enrollment_code: String,
    ) -> Result<String, HoumonError> {
        let client = self.sync_client()?;
        spawn(async move { Ok(client.register(&device_id, &device_name, &enrollment_code).await?) })
            .await
    }

    /// The shell reports connectivity changes.
    pub fn set_online(&self, online: bool) -> Result<(), HoumonError> {
        self.sync_client()?.set_online(online);
        Ok(())
    }

    /// Sends what is due, one record at a time, and fetches new results.
    pub async fn sync_now(&self) -> Result<SyncSummary, HoumonError> {
        let client = self.sync_client()?;
        let store = self.store.clone();
        spawn(async move {
            let r = client.upload_due().await?;
            let _ = client.pull_results().await;
            Ok(SyncSummary {
                sent: r.sent.len() as u32,
                duplicates: r.duplicates.len() as u32,
                wedged: r.wedged.len() as u32,
                deferred: r.deferred,
                next_retry_at: store.next_wakeup()?.map(|t| t.to_rfc3339()),
            })
        })
        .await
    }

    /// The patient's eligibility as the app shows it: only from a server
    /// result, with its date; marked when shown offline.
    pub fn eligibility(&self, patient_id: String) -> Result<String, HoumonError> {
        let client = self.sync_client()?;
        let result = client.last_result(&patient_id)?;
        Ok(houmon_sync::eligibility_label(result.as_ref(), client.is_online()))
    }

    /// The day's round (`YYYY-MM-DD`): downloaded and kept sealed on the
    /// phone; offline, the kept copy with the time it was fetched.
    pub async fn roster(&self, day: String) -> Result<RosterView, HoumonError> {
        let client = self.sync_client()?;
        let date =
            NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| HoumonError::InvalidInput {
                staff_message: format!(
                    "日付の形式が正しくありません({day})。YYYY-MM-DD で指定してください。"
                ),
            })?;
        spawn(async move {
            let (roster, fetched_at, fresh) = client.roster(date).await?;
            let online = client.is_online();
            let patients = roster
                .entries
                .into_iter()
                .map(|e| {
                    let last =
                        client.last_result(&e.patient_id).ok().flatten().or(e.last_eligibility);
                    RosterPatient {
                        eligibility: houmon_sync::eligibility_label(last.as_ref(), online && fresh),
                        patient_id: e.patient_id,
                        name: e.name,
                        address: e.address,
                        birth_date: e.birth_date.to_string(),
                        consent_until: e.consent_until.map(|d| d.to_string()),
                        card_enrolled: e.enrolled_certificate.is_some(),
                    }
                })
                .collect();
            Ok(RosterView {
                day: roster.day.to_string(),
                fetched_at: fetched_at.to_rfc3339(),
                fresh,
                patients,
            })
        })
        .await
    }

    /// Sends a wedged record again (after staff looked at the reason).
    pub fn retry(&self, record_id: String) -> Result<(), HoumonError> {
        Ok(self.store.retry(&record_id)?)
    }

    /// Discards a wedged record (staff decided it cannot be sent).
    pub fn discard(&self, record_id: String) -> Result<(), HoumonError> {
        Ok(self.store.discard(&record_id)?)
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
