// SPDX-License-Identifier: MPL-2.0
//! # houmon-sync: the phone's side of the sync protocol
//!
//! After matrix-rust-sdk's send queue: items were persisted (with their
//! client-generated ids) before anything is sent; [`SyncClient::upload_due`]
//! sends the oldest due items in batches, one batch in flight (one round at
//! a time per phone: two concurrent calls never send the same item); each
//! item is settled by its own answer, and only after the server
//! acknowledged it; network failures, 429 and 5xx (and a reply that cannot
//! be read) are transient: the batch's items keep their ids and are retried
//! later with exponential backoff and jitter, honouring Retry-After; a
//! refusal wedges its item with the server's typed reason, and the others
//! go on ([`upload`]). The shells report connectivity with
//! [`SyncClient::set_online`].
//!
//! - The clinic server is trusted by the fingerprint learned at enrolment
//!   ([`tls`]); the address, pin, device id, staff id and token are kept
//!   sealed in the store ([`SyncClient::from_store`]); the token is rotated
//!   before it expires ([`SyncClient::rotate_token_if_due`]).
//! - Every answer carries a server-time token; the newest is kept
//!   ([`SyncClient::time_anchor`]) and goes into each visit, so the server
//!   can bound a visit's time by a time it issued (`docs/sync-protocol.md`).
//! - The store is SQLite: every call into it runs on the runtime's blocking
//!   pool, never on an async worker.

mod label;
pub mod tls;
mod upload;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::*;
use houmon_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

pub use label::eligibility_label;
pub use tls::ServerPin;
pub use upload::BatchLimits;

/// The longest wait between two tries of one item.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
const BASE_BACKOFF: Duration = Duration::from_secs(2);
/// A token is rotated when it has less than this left.
const ROTATE_BEFORE: chrono::Duration = chrono::Duration::days(7);

const META_LINK: &str = "server-link";
const META_TIME: &str = "time-anchor";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("offline")]
    Offline,
    #[error("the device is not registered or its token was revoked")]
    Unauthorized,
    /// The server refused the enrolment (code unknown, used or expired, or
    /// the device is registered already).
    #[error("enrolment refused: {0}")]
    EnrolmentRefused(String),
    #[error("network: {0}")]
    Network(String),
    #[error("the server answered something unreadable: {0}")]
    Garbage(String),
    /// The server address or its trust is not acceptable (plain HTTP to
    /// another machine, HTTPS without a fingerprint).
    #[error("insecure server address: {0}")]
    Insecure(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn staff_message(&self) -> String {
        match self {
            SyncError::Offline | SyncError::Network(_) => {
                "通信できません。記録は端末に保存されています。電波のある場所で自動的に送信します。"
                    .into()
            }
            SyncError::Unauthorized => {
                "この端末はクリニックのサーバーに登録されていないか、登録が取り消されています。管理者に連絡してください。"
                    .into()
            }
            SyncError::EnrolmentRefused(_) => {
                "登録できませんでした。登録コードの有効期限(発行から数分)が切れたか、すでに使われています。クリニックで新しい登録用QRコードを発行してもらってください。"
                    .into()
            }
            SyncError::Garbage(_) => {
                "サーバーの応答を読み取れませんでした。記録は保存されており、後で再送します。"
                    .into()
            }
            SyncError::Insecure(_) => {
                "サーバーの接続情報が安全ではありません。クリニックで発行された登録用QRコードを読み取り直してください。"
                    .into()
            }
            SyncError::Store(e) => e.staff_message(),
        }
    }
}

/// What one upload round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub sent: Vec<String>,
    pub duplicates: Vec<String>,
    /// Delivered, but held by the clinic for review (another card than the
    /// enrolled one).
    pub held: Vec<String>,
    /// (id, reason) of items wedged in this round.
    pub wedged: Vec<(String, String)>,
    /// The transient failure that ended the round, if any.
    pub deferred: Option<String>,
}

/// Exponential backoff with ±20% jitter: 2 s, 4 s, 8 s … up to 15 min.
pub fn backoff(attempts: u32) -> Duration {
    let exp = BASE_BACKOFF.saturating_mul(1u32 << attempts.min(16)).min(MAX_BACKOFF);
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    exp.mul_f64(jitter)
}

/// What the phone keeps about its enrolment (sealed in the store).
#[derive(Clone, Serialize, Deserialize)]
struct Credentials {
    device_id: String,
    staff_id: String,
    token: String,
    token_expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct SavedLink {
    url: String,
    pin: Option<String>,
    credentials: Credentials,
}

pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    pin: Option<ServerPin>,
    credentials: Mutex<Option<Credentials>>,
    store: Arc<Store>,
    online: AtomicBool,
    /// Set when the network came back; the next upload first makes what
    /// waited for it due ([`SyncClient::mark_online`]).
    back_online: AtomicBool,
    /// One upload round at a time: two concurrent rounds would both see the
    /// same due item and send it twice.
    uploading: tokio::sync::Mutex<()>,
    /// How many records one upload carries (`None`: one record per call,
    /// the first protocol).
    batch: Mutex<Option<BatchLimits>>,
    /// The server answered that it has no batch call (an older server):
    /// records go one by one.
    no_batch: AtomicBool,
    /// The newest server-time token, and when a token was last written to
    /// the store (at most once a minute: a write per answer would double
    /// the phone's durable writes while syncing).
    time: Mutex<(Option<String>, Option<std::time::Instant>)>,
}

/// How often the newest server-time token is written to the store. A
/// token up to this old after a restart costs nothing: the server's
/// tolerance before a token is minutes.
const TIME_PERSIST_EVERY: Duration = Duration::from_secs(60);

fn short(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    s.truncate(200);
    s
}

impl SyncClient {
    /// A client for the clinic server at `base_url`, trusted by `pin` (the
    /// fingerprint from enrolment); plain HTTP only to loopback. With a
    /// `token` (tests), the device is taken as registered already.
    pub fn new(
        base_url: &str,
        store: Arc<Store>,
        token: Option<String>,
        pin: Option<ServerPin>,
    ) -> Result<SyncClient, SyncError> {
        tls::check_url(base_url, pin.as_ref()).map_err(SyncError::Insecure)?;
        let tls = match pin {
            Some(pin) => tls::client_config(pin),
            None => tls::trust_nothing_config(),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .https_only(pin.is_some())
            .use_preconfigured_tls(tls)
            .build()
            .map_err(|e| SyncError::Insecure(short(&e)))?;
        let credentials = token.map(|token| Credentials {
            device_id: String::new(),
            staff_id: String::new(),
            token,
            token_expires_at: Utc::now() + chrono::Duration::days(30),
        });
        Ok(SyncClient {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            pin,
            credentials: Mutex::new(credentials),
            store,
            online: AtomicBool::new(true),
            back_online: AtomicBool::new(false),
            uploading: tokio::sync::Mutex::new(()),
            batch: Mutex::new(Some(BatchLimits::default())),
            no_batch: AtomicBool::new(false),
            time: Mutex::new((None, None)),
        })
    }

    /// The client this phone enrolled with earlier, from its store (`None`
    /// before enrolment).
    pub async fn from_store(store: Arc<Store>) -> Result<Option<SyncClient>, SyncError> {
        let s = store.clone();
        let saved = tokio::task::spawn_blocking(move || s.meta(META_LINK))
            .await
            .map_err(|e| SyncError::Network(format!("store task: {e}")))??;
        let Some(json) = saved else { return Ok(None) };
        let saved: SavedLink =
            serde_json::from_slice(&json).map_err(|e| SyncError::Garbage(e.to_string()))?;
        let pin = saved.pin.as_deref().and_then(ServerPin::parse);
        let client = SyncClient::new(&saved.url, store, None, pin)?;
        *client.lock_credentials() = Some(saved.credentials);
        Ok(Some(client))
    }

    /// Enrols this phone with the clinic server named by an enrolment link
    /// (QR code): registers, and keeps the link and the token sealed.
    pub async fn enrol(
        store: Arc<Store>,
        link: &EnrolmentLink,
        device_id: &str,
        device_name: &str,
    ) -> Result<SyncClient, SyncError> {
        let pin = match link.pin.as_deref() {
            Some(p) => Some(
                ServerPin::parse(p).ok_or_else(|| SyncError::Insecure("malformed pin".into()))?,
            ),
            None => None,
        };
        let client = SyncClient::new(&link.url, store, None, pin)?;
        client.register(device_id, device_name, &link.code).await?;
        Ok(client)
    }

    fn lock_credentials(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.credentials.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs store work on the blocking pool (SQLite never on an async worker).
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| SyncError::Network(format!("store task: {e}")))?
            .map_err(SyncError::from)
    }

    async fn save_credentials(&self) -> Result<(), SyncError> {
        let Some(credentials) = self.lock_credentials().clone() else { return Ok(()) };
        let saved =
            SavedLink { url: self.base.clone(), pin: self.pin.map(|p| p.to_string()), credentials };
        let json = serde_json::to_vec(&saved).expect("the link serialises");
        self.db(move |s| s.put_meta(META_LINK, &json)).await
    }

    /// The device id and staff id this phone was enrolled with.
    pub fn enrolled_as(&self) -> Option<(String, String)> {
        self.lock_credentials().as_ref().map(|c| (c.device_id.clone(), c.staff_id.clone()))
    }

    /// The server's address and pin, for the settings screen.
    pub fn server(&self) -> (String, Option<String>) {
        (self.base.clone(), self.pin.map(|p| p.to_string()))
    }

    /// The newest server-time token the phone holds (it goes into each
    /// visit).
    pub async fn time_anchor(&self) -> Result<Option<String>, SyncError> {
        if let Some(t) = self.lock_time().0.clone() {
            return Ok(Some(t));
        }
        let v = self.db(|s| s.meta(META_TIME)).await?;
        Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Keeps the server-time token of an answer.
    async fn remember_time(&self, headers: &reqwest::header::HeaderMap) {
        let Some(token) = headers.get(TIME_HEADER).and_then(|v| v.to_str().ok()) else { return };
        if token.len() > 256 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return;
        }
        let token = token.to_owned();
        let persist = {
            let mut t = self.lock_time();
            t.0 = Some(token.clone());
            let due = t.1.is_none_or(|at| at.elapsed() >= TIME_PERSIST_EVERY);
            if due {
                t.1 = Some(std::time::Instant::now());
            }
            due
        };
        if persist {
            if let Err(e) = self.db(move |s| s.put_meta(META_TIME, token.as_bytes())).await {
                tracing::warn!(error = %e, "could not keep the server time");
                self.lock_time().1 = None;
            }
        }
    }

    fn lock_time(&self) -> std::sync::MutexGuard<'_, (Option<String>, Option<std::time::Instant>)> {
        self.time.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shells report connectivity changes here; what waited for the
    /// network is due at once.
    pub async fn set_online(&self, online: bool) {
        self.mark_online(online);
        self.due_now_if_back_online().await;
    }

    /// The same without waiting: the flag changes now, in the caller's
    /// order (the app core calls this before it starts the upload the
    /// network's return asks for), and the retry times are reset by the
    /// next upload before it looks for due items.
    pub fn mark_online(&self, online: bool) {
        let was = self.online.swap(online, Ordering::SeqCst);
        if online && !was {
            self.back_online.store(true, Ordering::SeqCst);
        }
    }

    /// Back online: what waited for the network is due now.
    pub(crate) async fn due_now_if_back_online(&self) {
        if self.back_online.swap(false, Ordering::SeqCst) {
            if let Err(e) = self.db(|s| s.all_due_now()).await {
                tracing::warn!(error = %e, "could not reset retry times");
            }
        }
    }

    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::SeqCst)
    }

    fn token(&self) -> Result<String, SyncError> {
        self.lock_credentials().as_ref().map(|c| c.token.clone()).ok_or(SyncError::Unauthorized)
    }

    /// Registers the device with a one-time enrolment code; keeps the token.
    pub async fn register(
        &self,
        device_id: &str,
        device_name: &str,
        code: &str,
    ) -> Result<String, SyncError> {
        if !self.is_online() {
            return Err(SyncError::Offline);
        }
        let req = RegisterRequest {
            device_id: device_id.into(),
            device_name: device_name.into(),
            enrollment_code: code.into(),
        };
        let resp = self
            .http
            .post(format!("{}/v1/devices", self.base))
            .json(&req)
            .send()
            .await
            .map_err(|e| SyncError::Network(short(&e)))?;
        let status = resp.status().as_u16();
        self.remember_time(resp.headers()).await;
        let body = resp.bytes().await.map_err(|e| SyncError::Network(short(&e)))?;
        if !(200..300).contains(&status) {
            let why = serde_json::from_slice::<Refusal>(&body)
                .map(|r| r.detail.unwrap_or(r.message))
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(if status == 429 || status >= 500 {
                SyncError::Network(why)
            } else {
                SyncError::EnrolmentRefused(why)
            });
        }
        let r: RegisterResponse =
            serde_json::from_slice(&body).map_err(|e| SyncError::Garbage(e.to_string()))?;
        *self.lock_credentials() = Some(Credentials {
            device_id: device_id.into(),
            staff_id: r.staff_id,
            token: r.token.clone(),
            token_expires_at: r.token_expires_at,
        });
        self.save_credentials().await?;
        Ok(r.token)
    }

    /// Rotates the device token when it has less than a week left.
    /// Returns whether it did.
    pub async fn rotate_token_if_due(&self) -> Result<bool, SyncError> {
        let due = self
            .lock_credentials()
            .as_ref()
            .is_some_and(|c| c.token_expires_at - Utc::now() < ROTATE_BEFORE);
        if !due || !self.is_online() {
            return Ok(false);
        }
        let resp = self
            .http
            .post(format!("{}/v1/devices/self/token", self.base))
            .bearer_auth(self.token()?)
            .send()
            .await
            .map_err(|e| SyncError::Network(short(&e)))?;
        match resp.status().as_u16() {
            200 => {}
            401 | 403 => return Err(SyncError::Unauthorized),
            other => return Err(SyncError::Network(format!("HTTP {other}"))),
        }
        self.remember_time(resp.headers()).await;
        let body = resp.bytes().await.map_err(|e| SyncError::Network(short(&e)))?;
        let t: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| SyncError::Garbage(e.to_string()))?;
        if let Some(c) = self.lock_credentials().as_mut() {
            c.token = t.token;
            c.token_expires_at = t.token_expires_at;
        }
        self.save_credentials().await?;
        Ok(true)
    }

    /// When the earliest pending item is due again.
    pub async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, SyncError> {
        self.db(|s| s.next_wakeup()).await
    }

    /// Downloads the day's roster and keeps it (sealed) for offline use;
    /// offline, returns the kept one with the time it was fetched.
    pub async fn roster(&self, day: NaiveDate) -> Result<(Roster, DateTime<Utc>, bool), SyncError> {
        let key = day.to_string();
        if self.is_online() {
            if let Ok(token) = self.token() {
                let r = self
                    .http
                    .get(format!("{}/v1/roster?day={key}", self.base))
                    .bearer_auth(token)
                    .send()
                    .await;
                if let Ok(resp) = r {
                    if resp.status().as_u16() == 401 {
                        return Err(SyncError::Unauthorized);
                    }
                    if resp.status().is_success() {
                        self.remember_time(resp.headers()).await;
                        let body = resp.bytes().await.map_err(|e| SyncError::Network(short(&e)))?;
                        let roster: Roster = serde_json::from_slice(&body)
                            .map_err(|e| SyncError::Garbage(e.to_string()))?;
                        let now = Utc::now();
                        let k = key.clone();
                        self.db(move |s| s.put_roster(&k, &body, now)).await?;
                        return Ok((roster, now, true));
                    }
                }
            }
        }
        self.kept_roster(day).await?.map(|(r, at)| (r, at, false)).ok_or(SyncError::Offline)
    }

    /// The roster of `day` as kept on the phone (no network).
    pub async fn kept_roster(
        &self,
        day: NaiveDate,
    ) -> Result<Option<(Roster, DateTime<Utc>)>, SyncError> {
        let key = day.to_string();
        match self.db(move |s| s.roster(&key)).await? {
            Some((at, json)) => {
                let roster =
                    serde_json::from_slice(&json).map_err(|e| SyncError::Garbage(e.to_string()))?;
                Ok(Some((roster, at)))
            }
            None => Ok(None),
        }
    }

    /// Tells the clinic what waits in this phone's queue: the pending count
    /// and the records it refused, with the reason staff saw, so the
    /// clinic's console lists them as follow-ups.
    pub async fn report_queue(&self) -> Result<(), SyncError> {
        if !self.is_online() {
            return Err(SyncError::Offline);
        }
        let token = self.token()?;
        let (pending, wedged) = self
            .db(|s| {
                Ok((
                    s.list(houmon_store::ItemState::Pending)?.len(),
                    s.list(houmon_store::ItemState::Wedged)?,
                ))
            })
            .await?;
        let report = QueueReport {
            pending: pending as u32,
            wedged: wedged
                .into_iter()
                .map(|w| WedgedRecord { id: w.id, reason: w.wedge_reason.unwrap_or_default() })
                .collect(),
        };
        let resp = self
            .http
            .post(format!("{}/v1/devices/self/report", self.base))
            .bearer_auth(token)
            .json(&report)
            .send()
            .await
            .map_err(|e| SyncError::Network(short(&e)))?;
        self.remember_time(resp.headers()).await;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(SyncError::Unauthorized),
            other => Err(SyncError::Network(format!("HTTP {other}"))),
        }
    }

    /// Fetches results after the last one held; returns how many arrived.
    pub async fn pull_results(&self) -> Result<usize, SyncError> {
        if !self.is_online() {
            return Err(SyncError::Offline);
        }
        let token = self.token()?;
        let mut total = 0;
        loop {
            let since = self.db(|s| s.results_cursor()).await?;
            let resp = self
                .http
                .get(format!("{}/v1/results?since={since}", self.base))
                .bearer_auth(&token)
                .send()
                .await
                .map_err(|e| SyncError::Network(short(&e)))?;
            match resp.status().as_u16() {
                401 | 403 => return Err(SyncError::Unauthorized),
                200 => {}
                other => return Err(SyncError::Network(format!("HTTP {other}"))),
            }
            self.remember_time(resp.headers()).await;
            let body = resp.bytes().await.map_err(|e| SyncError::Network(short(&e)))?;
            let page: ResultsPage =
                serde_json::from_slice(&body).map_err(|e| SyncError::Garbage(e.to_string()))?;
            if page.results.is_empty() {
                return Ok(total);
            }
            total += page.results.len();
            self.db(move |s| {
                let now = Utc::now();
                for r in &page.results {
                    let json = serde_json::to_vec(r).unwrap_or_default();
                    s.put_result(r.cursor, &r.patient_id, &json, now)?;
                }
                Ok(())
            })
            .await?;
        }
    }

    /// The last result the phone holds for a patient. Never a guess: if the
    /// server has not answered, there is nothing to show.
    pub async fn last_result(
        &self,
        patient_id: &str,
    ) -> Result<Option<EligibilityResult>, SyncError> {
        let id = patient_id.to_owned();
        match self.db(move |s| s.latest_result(&id)).await? {
            Some(json) => Ok(serde_json::from_slice(&json).ok()),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_2_seconds_with_jitter_up_to_15_minutes() {
        // The schedule in seconds, written out (not recomputed from the
        // constants the code uses): 2, 4, 8 … then 15 minutes.
        let nominal = [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900];
        for (attempts, secs) in nominal.iter().enumerate() {
            let secs = *secs as f64;
            let (mut low, mut high) = (f64::MAX, 0f64);
            for _ in 0..200 {
                let b = backoff(attempts as u32).as_secs_f64();
                assert!(b >= secs * 0.8 && b <= secs * 1.2, "{attempts}: {b} s, not {secs} s ±20%");
                (low, high) = (low.min(b), high.max(b));
            }
            assert!(
                low < secs * 0.95 && high > secs * 1.05,
                "{attempts}: no jitter ({low}–{high} s)"
            );
        }
        for attempts in [16, 17, 40, u32::MAX] {
            assert!(backoff(attempts).as_secs_f64() <= 900.0 * 1.2, "{attempts}");
        }
    }
}
