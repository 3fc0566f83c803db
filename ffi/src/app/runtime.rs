// SPDX-License-Identifier: MPL-2.0
//! The runtime: runs the state machine's commands on the core's tokio
//! runtime (SQLite on its blocking pool, HTTP and card reads on its
//! workers) and feeds each result back as a message. Views and effects
//! reach the shell in order, from one delivery task, never on the caller's
//! thread and never while the model is locked.
//!
//! A card read is a task of its own: it runs to its end whatever happens to
//! the screen that started it, and its outcome always comes back to the
//! model — also when the task panics (a drop guard sends a "lost" outcome),
//! so the session's reading flag can never stay set.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use houmon_core::card::progress::{Progress, ReadPhase, ReadProgress};
use houmon_core::visit::{self as v, new_id, PhaseTime, StaffKey};
use houmon_store::{ItemKind, ItemState, NewItem, Store, StoreKey};
use houmon_sync::SyncClient;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use zeroize::Zeroizing;

use super::command::Command;
use super::event::{Ctx, Msg};
use super::model::{DayItem, DayNote, Model, PatientInfo, Problem, RoundData, SyncOutcome};
use super::view::{AppView, Effect};
use super::{render, update, AppShell};
use crate::error::Kind;
use crate::foreign::{Cancel, ForeignTransport, KeyProvider};
use crate::records::{EligibilityView, Enrolment, QueueEntry};
use crate::runtime::RUNTIME;
use crate::HoumonError;

const META_SIGN_IN: &str = "app-sign-in";
const META_SETTINGS: &str = "app-settings";
/// Careful reading: answers of at most 1 KB, for phones that drop the card
/// on long answers.
const CAREFUL_RESPONSE: usize = 1024;

/// A staff sign-in kept sealed in the phone's store across a restart.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SavedSignIn {
    pub staff_id: String,
    pub name: String,
    pub at: chrono::DateTime<Utc>,
    pub key: Vec<u8>,
}

impl Drop for SavedSignIn {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Settings {
    careful_reading: bool,
}

/// What the store kept for the app across a restart.
#[derive(Default)]
pub(crate) struct Saved {
    pub sign_in: Option<SavedSignIn>,
    pub careful_reading: Option<bool>,
}

#[derive(Default)]
struct Io {
    store: Option<Arc<Store>>,
    client: Option<Arc<SyncClient>>,
}

enum Delivery {
    View(Box<AppView>),
    Effect(Effect),
}

pub(crate) struct Inner {
    model: Mutex<Model>,
    db_path: PathBuf,
    keys: Arc<dyn KeyProvider>,
    io: Mutex<Io>,
    outbox: mpsc::UnboundedSender<Delivery>,
    /// Commands running (not timers): `settle` waits for none.
    busy: AtomicUsize,
    /// The newest revision handed to the delivery task, and the newest the
    /// shell was given.
    queued: AtomicU64,
    delivered: AtomicU64,
    changed: Notify,
    timer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub fn start(model: Model, keys: Arc<dyn KeyProvider>, shell: Arc<dyn AppShell>) -> Arc<Inner> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
        let db_path = PathBuf::from(&model.config.db_path);
        let inner = Arc::new(Inner {
            model: Mutex::new(model),
            db_path,
            keys,
            io: Mutex::new(Io::default()),
            outbox: tx,
            busy: AtomicUsize::new(0),
            queued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            changed: Notify::new(),
            timer: Mutex::new(None),
        });
        let weak = Arc::downgrade(&inner);
        RUNTIME.spawn(async move {
            while let Some(first) = rx.recv().await {
                // Views queued behind each other: only the newest is drawn;
                // effects all run, in order.
                let mut batch = vec![first];
                while let Ok(d) = rx.try_recv() {
                    batch.push(d);
                }
                let newest_view = batch.iter().rposition(|d| matches!(d, Delivery::View(_)));
                for (i, d) in batch.into_iter().enumerate() {
                    match d {
                        Delivery::View(view) if Some(i) == newest_view => {
                            let rev = view.revision;
                            shell.render(*view);
                            if let Some(inner) = weak.upgrade() {
                                inner.delivered.fetch_max(rev, Ordering::SeqCst);
                                inner.changed.notify_waiters();
                            }
                        }
                        Delivery::View(_) => {}
                        Delivery::Effect(e) => shell.run(e),
                    }
                }
            }
        });
        inner
    }

    pub fn view(&self) -> AppView {
        let m = lock(&self.model);
        render::view(&m, Utc::now())
    }

    pub fn with_model<T>(&self, f: impl FnOnce(&mut Model, Ctx) -> T) -> (T, AppView) {
        let ctx = Ctx { now: Utc::now(), random: rand::random() };
        let mut m = lock(&self.model);
        let t = f(&mut m, ctx);
        let view = render::view(&m, ctx.now);
        (t, view)
    }

    /// Applies a message, queues the view and runs the commands.
    pub fn dispatch(self: &Arc<Self>, msg: Msg) {
        let ctx = Ctx { now: Utc::now(), random: rand::random() };
        let commands = {
            let mut m = lock(&self.model);
            let commands = update::update(&mut m, msg, ctx);
            // Queued under the lock: views reach the shell in revision order.
            self.queue_view(render::view(&m, ctx.now));
            commands
        };
        self.run_all(commands);
    }

    pub fn queue_view(&self, view: AppView) {
        self.queued.fetch_max(view.revision, Ordering::SeqCst);
        let _ = self.outbox.send(Delivery::View(Box::new(view)));
    }

    pub fn run_all(self: &Arc<Self>, commands: Vec<Command>) {
        for c in commands {
            self.run(c);
        }
    }

    /// Waits until no command runs and the shell has the newest view.
    pub async fn settle(&self) {
        loop {
            let waiter = self.changed.notified();
            if self.busy.load(Ordering::SeqCst) == 0
                && self.delivered.load(Ordering::SeqCst) >= self.queued.load(Ordering::SeqCst)
            {
                return;
            }
            let _ = tokio::time::timeout(std::time::Duration::from_millis(50), waiter).await;
        }
    }

    fn store(&self) -> Option<Arc<Store>> {
        lock(&self.io).store.clone()
    }

    fn client(&self) -> Option<Arc<SyncClient>> {
        lock(&self.io).client.clone()
    }

    /// Runs `f` as a counted task; its message is dispatched when it ends.
    fn task<F>(self: &Arc<Self>, f: F)
    where
        F: std::future::Future<Output = Option<Msg>> + Send + 'static,
    {
        self.busy.fetch_add(1, Ordering::SeqCst);
        let me = self.clone();
        RUNTIME.spawn(async move {
            let msg = f.await;
            if let Some(msg) = msg {
                me.dispatch(msg);
            }
            me.busy.fetch_sub(1, Ordering::SeqCst);
            me.changed.notify_waiters();
        });
    }

    /// Blocking work (SQLite, the sign-in's key derivation) as a counted task.
    fn blocking<F>(self: &Arc<Self>, f: F)
    where
        F: FnOnce(&Inner) -> Option<Msg> + Send + 'static,
    {
        let me = self.clone();
        self.task(async move {
            let inner = me.clone();
            RUNTIME.spawn_blocking(move || f(&inner)).await.unwrap_or(None)
        });
    }

    fn run(self: &Arc<Self>, c: Command) {
        match c {
            Command::Shell(e) => {
                let _ = self.outbox.send(Delivery::Effect(e));
            }
            Command::OpenStore => self.blocking(|me| Some(me.open_store())),
            Command::Enrol { link, device_name, reset_first } => {
                let me = self.clone();
                self.task(async move { Some(me.enrol(link, device_name, reset_first).await) })
            }
            Command::LoadRoster { day, online } => {
                let Some(client) = self.client() else { return };
                // Now, in the order of the commands: a sync asked for after
                // this sees the network the model has.
                client.mark_online(online);
                self.task(async move {
                    let result = load_roster(&client, day).await.map_err(Problem::from);
                    Some(Msg::RosterLoaded { day, result })
                })
            }
            Command::LoadDayLog { day } => self.blocking(move |me| {
                let store = me.store()?;
                let items = store.day_log(&day.to_string()).ok()?;
                Some(Msg::DayLogLoaded { day, items: day_items(items) })
            }),
            Command::LoadQueue => self.blocking(|me| {
                let store = me.store()?;
                let list = |s| -> Vec<QueueEntry> {
                    store
                        .list(s)
                        .map(|l| l.into_iter().map(Into::into).collect())
                        .unwrap_or_default()
                };
                Some(Msg::QueueLoaded {
                    pending: list(ItemState::Pending),
                    wedged: list(ItemState::Wedged),
                    next_wakeup: store.next_wakeup().ok().flatten(),
                })
            }),
            Command::PrepareVisit { visit_id } => {
                let client = self.client();
                self.task(async move {
                    let anchor = match client {
                        Some(c) => {
                            c.time_anchor().await.map_err(|e| Problem::from(HoumonError::from(e)))
                        }
                        None => Ok(None),
                    };
                    Some(Msg::VisitReady { visit_id, anchor })
                })
            }
            Command::ReadCard { visit_id, read, transport, cancel, careful } => {
                self.read_card(visit_id, read, transport, cancel, careful)
            }
            Command::StoreRecord { visit_id, record, day, note } => self.blocking(move |me| {
                let result = me.enqueue(
                    &record.id,
                    ItemKind::Visit,
                    record.to_json().as_bytes(),
                    day,
                    &note,
                );
                Some(Msg::RecordStored { visit_id, record, result })
            }),
            Command::StoreCustody { mut event, day, note } => {
                let me = self.clone();
                self.task(async move {
                    if let Some(c) = me.client() {
                        event.time_anchor = c.time_anchor().await.ok().flatten();
                    }
                    let json = serde_json::to_vec(&*event).unwrap_or_default();
                    let (me2, id) = (me.clone(), event.id.clone());
                    let result = RUNTIME
                        .spawn_blocking(move || {
                            me2.enqueue(&id, ItemKind::Custody, &json, day, &note)
                        })
                        .await
                        .unwrap_or_else(|e| Err(Problem::from(HoumonError::internal(e))));
                    Some(Msg::CustodyStored { event, result })
                })
            }
            Command::Sync => {
                let client = self.client();
                let store = self.store();
                self.task(async move {
                    let (Some(client), Some(store)) = (client, store) else {
                        return Some(Msg::SyncFinished(Err(Problem {
                            code: "sync.not-enrolled".into(),
                            message: String::new(),
                        })));
                    };
                    Some(Msg::SyncFinished(sync(&client, &store).await))
                })
            }
            // Not a task: a task could start after the upload that the
            // network's return asks for, which would then find the client
            // still offline (a CI run saw a revoked phone not learn it).
            Command::SetOnline(online) => {
                if let Some(client) = self.client() {
                    client.mark_online(online);
                }
            }
            Command::CheckSignIn { staff_id, code, verifier } => self.blocking(move |_| {
                let result = StaffKey::sign_in(&code, &verifier);
                drop(code);
                Some(Msg::SignInChecked { staff_id, result })
            }),
            Command::SaveSignIn(saved) => self.blocking(move |me| {
                let store = me.store()?;
                let json = Zeroizing::new(match &saved {
                    Some(s) => serde_json::to_vec(s).unwrap_or_default(),
                    None => Vec::new(),
                });
                if let Err(e) = store.put_meta(META_SIGN_IN, &json) {
                    tracing::warn!(error = %e, "sign-in not kept");
                }
                None
            }),
            Command::SaveSettings { careful_reading } => self.blocking(move |me| {
                let store = me.store()?;
                let json = serde_json::to_vec(&Settings { careful_reading }).unwrap_or_default();
                if let Err(e) = store.put_meta(META_SETTINGS, &json) {
                    tracing::warn!(error = %e, "settings not kept");
                }
                None
            }),
            Command::Retry(id) => self.blocking(move |me| {
                let store = me.store()?;
                Some(Msg::QueueChanged(store.retry(&id).map_err(|e| HoumonError::from(e).into())))
            }),
            Command::Discard(id) => self.blocking(move |me| {
                let store = me.store()?;
                Some(Msg::QueueChanged(store.discard(&id).map_err(|e| HoumonError::from(e).into())))
            }),
            Command::ArmTimer(at) => {
                let mut timer = lock(&self.timer);
                if let Some(t) = timer.take() {
                    t.abort();
                }
                if let Some(at) = at {
                    let weak = Arc::downgrade(self);
                    *timer = Some(RUNTIME.spawn(async move {
                        let wait = (at - Utc::now()).to_std().unwrap_or_default();
                        tokio::time::sleep(wait).await;
                        if let Some(me) = weak.upgrade() {
                            me.dispatch(Msg::Shell(super::AppEvent::SyncDue));
                        }
                    }));
                }
            }
        }
    }

    fn enqueue(
        &self,
        id: &str,
        kind: ItemKind,
        payload: &[u8],
        day: NaiveDate,
        note: &DayNote,
    ) -> Result<(), Problem> {
        let store = self.store().ok_or_else(|| Problem::from(HoumonError::internal("no store")))?;
        let note = serde_json::to_vec(note).unwrap_or_default();
        store
            .enqueue_item(
                NewItem { id, kind, payload, day: &day.to_string(), note: &note },
                Utc::now(),
            )
            .map(|_| ())
            .map_err(|e| HoumonError::from(e).into())
    }

    /// Opens the store and what the phone kept; or says why it does not open.
    fn open_store(&self) -> Msg {
        let opened = (|| -> Result<Arc<Store>, HoumonError> {
            let raw = Zeroizing::new(self.keys.database_key().map_err(|e| {
                HoumonError::make(
                    Kind::WrongKey,
                    "store.key-unavailable",
                    "端末内のデータの鍵を取得できません。端末のロックを解除してから「再試行」を押してください。続く場合は管理者に連絡してください。"
                        .into(),
                    e.to_string(),
                )
            })?);
            let key = StoreKey::from_bytes(&raw)?;
            Ok(Arc::new(Store::open(&self.db_path, key)?))
        })();
        let store = match opened {
            Ok(s) => s,
            Err(e) => {
                return Msg::OpenFailed {
                    problem: e.into(),
                    unsent: houmon_store::unsent_in(&self.db_path),
                }
            }
        };
        let client = RUNTIME.block_on_ok(SyncClient::from_store(store.clone()));
        let client = match client {
            Ok(c) => c.map(Arc::new),
            Err(e) => {
                return Msg::OpenFailed {
                    problem: HoumonError::from(e).into(),
                    unsent: houmon_store::unsent_in(&self.db_path),
                }
            }
        };
        let saved = Saved {
            sign_in: store
                .meta(META_SIGN_IN)
                .ok()
                .flatten()
                .filter(|b| !b.is_empty())
                .and_then(|b| serde_json::from_slice(&b).ok()),
            careful_reading: store
                .meta(META_SETTINGS)
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
                .map(|s| s.careful_reading),
        };
        let enrolment = client.as_deref().map(Enrolment::of);
        *lock(&self.io) = Io { store: Some(store), client };
        tracing::info!(enrolled = enrolment.is_some(), "app core opened");
        Msg::Opened { enrolment, saved }
    }

    async fn enrol(self: &Arc<Self>, link: String, device_name: String, reset_first: bool) -> Msg {
        if reset_first {
            if let Err(p) = self.reset_store().await {
                return Msg::Reset(Err(p));
            }
        }
        let Some(store) = self.store() else {
            return Msg::Enrolled(Err(HoumonError::internal("no store").into()));
        };
        let Some(parsed) = houmon_core::protocol::EnrolmentLink::parse(&link) else {
            return Msg::Enrolled(Err(Problem {
                code: "sync.bad-enrolment".into(),
                message: super::labels::NOT_OURS.into(),
            }));
        };
        let device_id = new_id("d");
        match SyncClient::enrol(store, &parsed, &device_id, &device_name).await {
            Ok(client) => {
                let e = Enrolment::of(&client);
                lock(&self.io).client = Some(Arc::new(client));
                Msg::Enrolled(Ok(e))
            }
            Err(e) => Msg::Enrolled(Err(HoumonError::from(e).into())),
        }
    }

    /// The administrator confirmed: the store and its key go, a new one is made.
    async fn reset_store(self: &Arc<Self>) -> Result<(), Problem> {
        *lock(&self.io) = Io::default();
        let me = self.clone();
        RUNTIME
            .spawn_blocking(move || -> Result<(), Problem> {
                houmon_store::delete_database(&me.db_path).map_err(|e| {
                    Problem::from(HoumonError::make(
                        Kind::Storage,
                        "store.reset-failed",
                        "端末内のデータを消去できませんでした。端末を再起動してから、もう一度お試しください。".into(),
                        e.to_string(),
                    ))
                })?;
                me.keys.reset_database_key().map_err(|e| {
                    Problem::from(HoumonError::make(
                        Kind::WrongKey,
                        "store.key-reset-failed",
                        "新しいデータの鍵を作れませんでした。端末のロックを解除してから、もう一度お試しください。".into(),
                        e.to_string(),
                    ))
                })?;
                match me.open_store() {
                    Msg::OpenFailed { problem, .. } => Err(problem),
                    _ => Ok(()),
                }
            })
            .await
            .unwrap_or_else(|e| Err(HoumonError::internal(e).into()))
    }

    fn read_card(
        self: &Arc<Self>,
        visit_id: String,
        read: v::CardRead,
        transport: Arc<dyn crate::foreign::CardTransport>,
        cancel: Arc<Cancel>,
        careful: bool,
    ) {
        let mut transport = ForeignTransport::new(transport, cancel);
        if careful {
            transport = transport.with_response_cap(CAREFUL_RESPONSE);
        }
        let limits = houmon_core::card::transport::CardTransport::limits(&transport);
        let timer = Arc::new(PhaseTimer::new(self.clone(), visit_id.clone()));
        let guard = ReadGuard {
            inner: self.clone(),
            visit_id: visit_id.clone(),
            mode: read.mode(),
            limits,
            done: false,
        };
        self.task(async move {
            let mut guard = guard;
            let started = Instant::now();
            let outcome = read.run(transport, Some(timer.clone() as Arc<dyn ReadProgress>)).await;
            guard.done = true;
            let total_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
            Some(Msg::ReadFinished { visit_id, outcome, phases: timer.finish(), total_ms, limits })
        });
    }
}

/// Sends the read's "lost" outcome if its task ends without one.
struct ReadGuard {
    inner: Arc<Inner>,
    visit_id: String,
    mode: v::IdentityMode,
    limits: houmon_core::card::transport::TransportLimits,
    done: bool,
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        if !self.done {
            tracing::warn!("a card read ended without an outcome");
            self.inner.dispatch(Msg::ReadFinished {
                visit_id: std::mem::take(&mut self.visit_id),
                outcome: v::ReadOutcome::lost(self.mode),
                phases: Vec::new(),
                total_ms: 0,
                limits: self.limits,
            });
        }
    }
}

/// Times each phase of a read, and tells the model where the read is.
struct PhaseTimer {
    inner: Arc<Inner>,
    visit_id: String,
    phases: Mutex<Vec<(ReadPhase, Instant, Option<Instant>)>>,
}

impl PhaseTimer {
    fn new(inner: Arc<Inner>, visit_id: String) -> Self {
        PhaseTimer { inner, visit_id, phases: Mutex::new(Vec::new()) }
    }

    fn finish(&self) -> Vec<PhaseTime> {
        let now = Instant::now();
        lock(&self.phases)
            .iter()
            .map(|(p, start, end)| PhaseTime {
                phase: p.name().into(),
                ms: end.unwrap_or(now).duration_since(*start).as_millis().min(600_000) as u32,
            })
            .collect()
    }
}

impl ReadProgress for PhaseTimer {
    fn progress(&self, p: Progress) {
        {
            let mut phases = lock(&self.phases);
            if phases.last().map(|(ph, _, _)| *ph) != Some(p.phase) {
                let now = Instant::now();
                if let Some(last) = phases.last_mut() {
                    last.2 = Some(now);
                }
                phases.push((p.phase, now, None));
            }
        }
        self.inner.dispatch(Msg::ReadProgress {
            visit_id: self.visit_id.clone(),
            phase: p.phase,
            done: p.done,
            expected: p.expected,
        });
    }
}

fn day_items(entries: Vec<houmon_store::DayEntry>) -> Vec<DayItem> {
    entries
        .into_iter()
        .filter_map(|e| {
            let note: DayNote = serde_json::from_slice(e.note.as_deref()?).ok()?;
            Some(DayItem {
                at: e.item.created_at,
                wedge_reason: e.item.wedge_reason.clone(),
                state: e.item.state,
                kind: e.kind,
                id: e.item.id,
                note,
            })
        })
        .collect()
}

async fn load_roster(client: &SyncClient, day: NaiveDate) -> Result<RoundData, HoumonError> {
    let (roster, fetched_at, fresh) = client.roster(day).await?;
    let online = client.is_online();
    let mut patients = Vec::with_capacity(roster.entries.len());
    for e in &roster.entries {
        let last = client.last_result(&e.patient_id).await?.or_else(|| e.last_eligibility.clone());
        patients.push(PatientInfo {
            eligibility: EligibilityView::of(last.as_ref(), online && fresh),
            entry: e.clone(),
        });
    }
    Ok(RoundData { day, fetched_at, fresh, roster, patients })
}

async fn sync(client: &SyncClient, store: &Arc<Store>) -> Result<SyncOutcome, Problem> {
    if let Err(e) = client.rotate_token_if_due().await {
        tracing::warn!(error = %e, "token not rotated");
    }
    let r = client.upload_due().await.map_err(|e| Problem::from(HoumonError::from(e)))?;
    if let Err(e) = client.report_queue().await {
        tracing::warn!(error = %e, "queue not reported");
    }
    let results_error = match client.pull_results().await {
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "results not fetched");
            Some(e.staff_message())
        }
    };
    let s = store.clone();
    let pending_after = tokio::task::spawn_blocking(move || s.counts().map(|c| c.0).unwrap_or(0))
        .await
        .unwrap_or(0);
    Ok(SyncOutcome {
        sent: (r.sent.len() + r.duplicates.len()) as u32,
        held: r.held.len() as u32,
        wedged: r.wedged.len() as u32,
        deferred: r.deferred,
        next_retry_at: client.next_wakeup().await.ok().flatten(),
        results_error,
        pending_after,
    })
}

/// `block_on` from a blocking-pool thread (never an async worker).
trait BlockOnOk {
    fn block_on_ok<F: std::future::Future>(&self, f: F) -> F::Output;
}

impl BlockOnOk for tokio::runtime::Runtime {
    fn block_on_ok<F: std::future::Future>(&self, f: F) -> F::Output {
        self.handle().block_on(f)
    }
}
