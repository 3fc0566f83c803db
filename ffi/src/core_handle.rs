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
use crate::records::{QueueEntry, QueueState, VisitStart};
use crate::runtime::blocking;
use crate::session::VisitSession;
use crate::HoumonError;

#[derive(uniffi::Object)]
pub struct HoumonCore {
    store: Arc<Store>,
    keep_photo: bool,
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
            Ok(Arc::new(HoumonCore { store: Arc::new(store), keep_photo }))
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
