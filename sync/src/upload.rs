// SPDX-License-Identifier: MPL-2.0
//! Sending the queue (`docs/sync-protocol.md`).
//!
//! A round sends the oldest due records in batches (`POST /v1/visits`, at
//! most [`BatchLimits`] records and bytes each), one batch in flight, and
//! settles each record by its own answer in one store transaction:
//! stored, duplicate or held → sent; refused → wedged with the server's
//! reason (the others go on); "retry" → tried again later. A batch whose
//! answer is lost or unreadable is sent again as a whole: every record
//! keeps its id, so the server answers the ones it has as duplicates.
//!
//! Against a server without the batch call (404/405) the phone falls back
//! to one record per call (`PUT /v1/visits/{id}`); a batch too large for
//! the server (413) is halved.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use houmon_core::protocol::*;
use houmon_store::{ItemKind, QueueItem, Settle, StoreError};

use crate::{backoff, short, SyncClient, SyncError, SyncReport};

/// How much one batch carries: whichever cap is reached first (at least
/// one record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub records: usize,
    /// About this many bytes of records (a record with a kept photo is
    /// ~100 KB; without, ~2 KB).
    pub bytes: usize,
}

impl Default for BatchLimits {
    /// 200 records or 512 KiB: on one bar of signal a batch still goes in
    /// seconds, and a lost answer costs one batch.
    fn default() -> Self {
        BatchLimits { records: 200, bytes: 512 * 1024 }
    }
}

/// What one step of a round ended with.
enum Step {
    /// Nothing more is due.
    Done,
    /// Go on with the next records.
    More,
    /// A transient failure: the round ends (the report says why).
    Deferred,
    /// The server found the batch too large: halve it.
    Smaller,
    /// The server has no batch call, or refused the batch as a whole: one
    /// record per call for the rest of the round.
    OneByOne,
}

fn refusal_reason(body: &[u8], status: u16) -> String {
    match serde_json::from_slice::<Refusal>(body) {
        Ok(r) => format!("{}: {}", r.code.as_wire(), r.message),
        Err(_) => format!("HTTP {status}"),
    }
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

impl SyncClient {
    /// Sets how much one batch carries; `None` sends one record per call
    /// (the first protocol).
    pub fn set_batch_limits(&self, limits: Option<BatchLimits>) {
        let limits = limits.map(|l| BatchLimits {
            records: l.records.clamp(1, BATCH_MAX_RECORDS),
            bytes: l.bytes.max(1),
        });
        *self.batch.lock().unwrap_or_else(|e| e.into_inner()) = limits;
    }

    /// Sends due items, oldest first, one batch in flight, until none is
    /// due or a transient failure ends the round. A second call waits for
    /// the first.
    pub async fn upload_due(&self) -> Result<SyncReport, SyncError> {
        let _round = self.uploading.lock().await;
        let mut report = SyncReport::default();
        if !self.is_online() {
            return Err(SyncError::Offline);
        }
        self.due_now_if_back_online().await;
        let token = self.token()?;
        let mut limits = *self.batch.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let step = match limits {
                Some(l) if !self.no_batch.load(Ordering::SeqCst) => {
                    self.send_batch(&token, ItemKind::Visit, l, &mut report).await?
                }
                _ => self.send_one(&token, &mut report).await?,
            };
            match step {
                Step::Deferred => return Ok(report),
                Step::Done => break,
                Step::More => {}
                Step::Smaller => {
                    limits = limits.and_then(|l| {
                        (l.records > 1).then_some(BatchLimits {
                            records: l.records / 2,
                            bytes: (l.bytes / 2).max(1),
                        })
                    })
                }
                Step::OneByOne => limits = None,
            }
        }
        // Card-custody entries (施設), after the visits, in batches of their own.
        let mut limits = BatchLimits::default();
        loop {
            match self.send_batch(&token, ItemKind::Custody, limits, &mut report).await? {
                Step::Done | Step::Deferred => break,
                Step::More => {}
                Step::Smaller if limits.records > 1 => {
                    limits = BatchLimits { records: limits.records / 2, bytes: limits.bytes / 2 }
                }
                // An older server without the call: they wait for an update.
                Step::Smaller | Step::OneByOne => {
                    report.deferred = Some("the server takes no custody entries".into());
                    break;
                }
            }
        }
        Ok(report)
    }

    async fn settle(&self, outcomes: Vec<Settle>) -> Result<(), SyncError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        self.db(move |s| s.settle(&outcomes, Utc::now())).await
    }

    /// Sends one batch of items of `kind`: visit records to `/v1/visits`,
    /// custody entries to `/v1/custody`.
    async fn send_batch(
        &self,
        token: &str,
        kind: ItemKind,
        limits: BatchLimits,
        report: &mut SyncReport,
    ) -> Result<Step, SyncError> {
        let now = Utc::now();
        let due = self.db(move |s| s.due_batch_of(kind, now, limits.records, limits.bytes)).await?;
        let (path, field) = match kind {
            ItemKind::Visit => ("visits", "records"),
            ItemKind::Custody => ("custody", "events"),
        };
        if due.is_empty() {
            return Ok(Step::Done);
        }
        let mut outcomes = Vec::new();
        let mut items: Vec<QueueItem> = Vec::with_capacity(due.len());
        let mut body = zeroize::Zeroizing::new(Vec::with_capacity(
            due.iter().map(|d| d.payload.as_ref().map_or(0, |p| p.len() + 1)).sum::<usize>() + 16,
        ));
        body.extend_from_slice(format!("{{\"{field}\":[").as_bytes());
        for d in due {
            let why = match &d.payload {
                Err(reason) => Some(format!("corrupt-row: {reason}")),
                Ok(p) if serde_json::from_slice::<serde::de::IgnoredAny>(p).is_err() => {
                    Some("corrupt-row: not a record".to_owned())
                }
                Ok(p) => {
                    if !items.is_empty() {
                        body.push(b',');
                    }
                    body.extend_from_slice(p);
                    None
                }
            };
            match why {
                Some(why) => {
                    outcomes.push(Settle::Wedge(d.item.id.clone(), why.clone()));
                    report.wedged.push((d.item.id, why));
                }
                None => items.push(d.item),
            }
        }
        body.extend_from_slice(b"]}");
        if items.is_empty() {
            self.settle(outcomes).await?;
            return Ok(Step::More);
        }
        let retry_all = |outcomes: &mut Vec<Settle>, why: &str, at_least: Duration| {
            for item in &items {
                let wait = backoff(item.attempts).max(at_least);
                outcomes.push(Settle::Retry(item.id.clone(), why.to_owned(), Utc::now() + wait));
            }
        };
        let sent = self
            .send_json(self.http.post(format!("{}/v1/{path}", self.base)), token, body.to_vec())
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let why = short(&e);
                retry_all(&mut outcomes, &why, Duration::ZERO);
                self.settle(outcomes).await?;
                report.deferred = Some(why);
                return Ok(Step::Deferred);
            }
        };
        let status = resp.status().as_u16();
        self.remember_time(resp.headers()).await;
        let wait = retry_after(&resp);
        let answer = resp.bytes().await;
        let step = match (status, answer) {
            (200, Ok(answer)) => self.settle_answers(&items, &answer, &mut outcomes, report),
            (200, Err(e)) => {
                let why = format!("acknowledgement lost: {}", short(&e));
                retry_all(&mut outcomes, &why, Duration::ZERO);
                report.deferred = Some(why);
                Step::Deferred
            }
            (401 | 403, _) => {
                self.settle(outcomes).await?;
                return Err(SyncError::Unauthorized);
            }
            (404 | 405, _) if kind == ItemKind::Custody => Step::OneByOne,
            (404 | 405, _) => {
                tracing::info!(status, "the server has no batch call: one record per call");
                self.no_batch.store(true, Ordering::SeqCst);
                Step::OneByOne
            }
            (413, _) => Step::Smaller,
            (429 | 500..=599, _) => {
                let why = format!("HTTP {status}");
                retry_all(&mut outcomes, &why, wait.unwrap_or_default());
                report.deferred = Some(why);
                Step::Deferred
            }
            (_, answer) => {
                // The batch as a whole was refused: a phone and a server that
                // disagree on the batch itself. One by one, each record gets
                // its own verdict; nothing is wedged for the batch's sake.
                let why = refusal_reason(&answer.unwrap_or_default(), status);
                tracing::warn!(status, reason = %why, "batch refused: one record per call this round");
                Step::OneByOne
            }
        };
        self.settle(outcomes).await?;
        Ok(step)
    }

    /// Each record by its own answer. An answer that does not match the
    /// batch (count, order, ids) is unreadable: the whole batch is retried.
    fn settle_answers(
        &self,
        items: &[QueueItem],
        answer: &[u8],
        outcomes: &mut Vec<Settle>,
        report: &mut SyncReport,
    ) -> Step {
        let now = Utc::now();
        let parsed = serde_json::from_slice::<BatchResponse>(answer)
            .map_err(|e| e.to_string())
            .and_then(|r| {
                let fits = r.results.len() == items.len()
                    && r.results.iter().zip(items).all(|(a, i)| a.id == i.id)
                    && r.results.iter().all(|a| {
                        usize::from(a.status.is_some())
                            + usize::from(a.refusal.is_some())
                            + usize::from(a.retry.is_some())
                            == 1
                    });
                if fits {
                    Ok(r)
                } else {
                    Err("the answers do not match the records sent".to_owned())
                }
            });
        let answers = match parsed {
            Ok(r) => r.results,
            Err(e) => {
                let why = format!("unreadable acknowledgement: {e}");
                for item in items {
                    outcomes.push(Settle::Retry(
                        item.id.clone(),
                        why.clone(),
                        now + backoff(item.attempts),
                    ));
                }
                report.deferred = Some(why);
                return Step::Deferred;
            }
        };
        let mut step = Step::More;
        for (a, item) in answers.into_iter().zip(items) {
            if let Some(status) = a.status {
                outcomes.push(Settle::Sent(a.id.clone()));
                match status {
                    UploadStatus::Accepted => report.sent.push(a.id),
                    UploadStatus::Duplicate => report.duplicates.push(a.id),
                    UploadStatus::Held => report.held.push(a.id),
                }
            } else if let Some(r) = a.refusal {
                let why = format!("{}: {}", r.code.as_wire(), r.message);
                outcomes.push(Settle::Wedge(a.id.clone(), why.clone()));
                report.wedged.push((a.id, why));
            } else {
                // The server could not store this one now; the others are
                // settled, and the round ends (the server is in trouble).
                let why = a.retry.unwrap_or_default();
                outcomes.push(Settle::Retry(a.id, why.clone(), now + backoff(item.attempts)));
                report.deferred = Some(why);
                step = Step::Deferred;
            }
        }
        step
    }

    /// Sends the oldest due item alone (`PUT /v1/visits/{id}`).
    /// Sends a JSON body with the device's token (a batch or one record).
    async fn send_json(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
        body: Vec<u8>,
    ) -> reqwest::Result<reqwest::Response> {
        request
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
    }

    async fn send_one(&self, token: &str, report: &mut SyncReport) -> Result<Step, SyncError> {
        let Some(item) = self.db(|s| s.next_due(Utc::now())).await? else {
            return Ok(Step::Done);
        };
        let id = item.id.clone();
        let payload = match self.db(move |s| s.payload(&id)).await {
            Ok(p) => p,
            Err(SyncError::Store(StoreError::Corrupt { reason, .. })) => {
                let why = format!("corrupt-row: {reason}");
                self.wedge(&item, &why).await?;
                report.wedged.push((item.id, why));
                return Ok(Step::More);
            }
            Err(e) => return Err(e),
        };
        let url = format!("{}/v1/visits/{}", self.base, item.id);
        let sent = self.send_json(self.http.put(url), token, payload.to_vec()).await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let why = short(&e);
                self.retry_later(&item, &why, backoff(item.attempts)).await?;
                report.deferred = Some(why);
                return Ok(Step::Deferred);
            }
        };
        let status = resp.status().as_u16();
        self.remember_time(resp.headers()).await;
        let wait = retry_after(&resp);
        let body = resp.bytes().await.unwrap_or_default();
        match status {
            200..=202 => match serde_json::from_slice::<UploadResponse>(&body) {
                Ok(r) => {
                    let id = item.id.clone();
                    self.db(move |s| s.mark_sent(&id, Utc::now())).await?;
                    match r.status {
                        UploadStatus::Accepted => report.sent.push(item.id),
                        UploadStatus::Duplicate => report.duplicates.push(item.id),
                        UploadStatus::Held => report.held.push(item.id),
                    }
                    Ok(Step::More)
                }
                // The server may have stored it: retry (the id makes it idempotent).
                Err(e) => {
                    let why = format!("unreadable acknowledgement: {e}");
                    self.retry_later(&item, &why, backoff(item.attempts)).await?;
                    report.deferred = Some(why);
                    Ok(Step::Deferred)
                }
            },
            401 | 403 => Err(SyncError::Unauthorized),
            429 | 500..=599 => {
                let wait = backoff(item.attempts).max(wait.unwrap_or_default());
                let why = format!("HTTP {status}");
                self.retry_later(&item, &why, wait).await?;
                report.deferred = Some(why);
                Ok(Step::Deferred)
            }
            _ => {
                let why = refusal_reason(&body, status);
                self.wedge(&item, &why).await?;
                report.wedged.push((item.id, why));
                Ok(Step::More)
            }
        }
    }

    async fn retry_later(
        &self,
        item: &QueueItem,
        why: &str,
        wait: Duration,
    ) -> Result<(), SyncError> {
        let (id, why) = (item.id.clone(), why.to_owned());
        self.db(move |s| s.mark_retry(&id, &why, Utc::now() + wait)).await
    }

    async fn wedge(&self, item: &QueueItem, why: &str) -> Result<(), SyncError> {
        let (id, why) = (item.id.clone(), why.to_owned());
        self.db(move |s| s.wedge(&id, &why)).await
    }
}
