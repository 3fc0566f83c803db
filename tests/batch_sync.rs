// SPDX-License-Identifier: MPL-2.0
//! Batched upload (`POST /v1/visits`): the server answers record by record,
//! in order; the phone settles each record by its own answer, retries a
//! whole batch whose answer it cannot trust, halves a batch the server finds
//! too large, and falls back to one record per call on an older server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use houmon_core::protocol::*;
use houmon_store::{ItemKind, ItemState, NewItem, Store, StoreKey};
use houmon_sync::{BatchLimits, ServerPin, SyncClient};
use houmon_tests::clinic::*;
use houmon_tests::rawdb::{is_postgres, with_raw};
use houmon_vcard::records::visual_record;
use houmon_vcard::VirtualCard;
use serde_json::{json, Value};

/// A device enrolled by hand over HTTP: its client, token and a
/// server-time token for its records.
struct RawDevice {
    http: reqwest::Client,
    url: String,
    token: String,
    anchor: Option<String>,
    id: String,
}

async fn raw_device(clinic: &Clinic, id: &str) -> RawDevice {
    let link = clinic.enrolment(STAFF);
    let pin = ServerPin::parse(link.pin.as_deref().unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(houmon_sync::tls::client_config(pin))
        .build()
        .unwrap();
    let resp = http
        .post(format!("{}/v1/devices", link.url))
        .json(&RegisterRequest {
            device_id: id.into(),
            device_name: "raw".into(),
            enrollment_code: link.code.clone(),
        })
        .send()
        .await
        .unwrap();
    let anchor = resp.headers().get(TIME_HEADER).map(|v| v.to_str().unwrap().to_owned());
    let r: RegisterResponse = resp.json().await.unwrap();
    RawDevice { http, url: link.url, token: r.token, anchor, id: id.into() }
}

impl RawDevice {
    fn record(&self, id: &str, patient: Option<&str>) -> Value {
        let cert = VirtualCard::standard().auth_certificate_der();
        let r = visual_record(id, &self.id, STAFF, patient, &cert, self.anchor.clone());
        serde_json::from_str(&r.to_json()).unwrap()
    }

    async fn post(&self, content_type: &str, body: String) -> (u16, Value) {
        self.post_to("/v1/visits", content_type, body).await
    }

    async fn post_to(&self, path: &str, content_type: &str, body: String) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_answered_record_by_record_in_order_and_a_refusal_holds_back_nothing() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let d = raw_device(&clinic, "raw-1").await;
    let good1 = d.record("v-good-1", None);
    let good2 = d.record("v-good-2", None);
    let mut altered = good1.clone();
    altered["completed_at"] = json!("2020-01-01T00:00:00Z");
    let records = vec![
        good1.clone(),
        d.record("v-not-assigned", Some("p0")),
        json!({ "id": "v-half", "version": 1 }),
        json!("not a record"),
        good2,
        good1,
        altered,
    ];
    let (status, answer) =
        d.post("application/json", json!({ "records": records }).to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let answer: BatchResponse = serde_json::from_value(answer).unwrap();
    let got: Vec<(String, String)> = answer
        .results
        .iter()
        .map(|a| {
            let what = match (&a.status, &a.refusal, &a.retry) {
                (Some(s), None, None) => {
                    serde_json::to_value(s).unwrap().as_str().unwrap().to_owned()
                }
                (None, Some(r), None) => r.code.as_wire(),
                other => panic!("exactly one of status, refusal, retry: {other:?}"),
            };
            (a.id.clone(), what)
        })
        .collect();
    let expected = [
        ("v-good-1", "accepted"),
        ("v-not-assigned", "not-assigned"),
        ("v-half", "malformed"),
        ("", "invalid-id"),
        ("v-good-2", "accepted"),
        ("v-good-1", "duplicate"),
        ("v-good-1", "conflict"),
    ];
    assert_eq!(
        got,
        expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>()
    );
    assert_eq!(clinic.stored_visit_ids(), vec!["v-good-1".to_owned(), "v-good-2".to_owned()]);
    // Every record is one audit entry, refusals included.
    let filter = houmon_server::db::audit::Filter {
        action_prefix: Some("visit.upload".into()),
        limit: 1000,
        ..Default::default()
    };
    let uploads = clinic.app().db.read(|c, _| houmon_server::db::audit::list(c, &filter)).unwrap();
    assert_eq!(uploads.len(), 7);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_is_not_a_batch_is_refused_whole_with_a_reason() {
    let clinic = start_clinic(vec![], vec![], false).await;
    let d = raw_device(&clinic, "raw-1").await;
    let (s, v) = d.post("text/plain", json!({ "records": [] }).to_string()).await;
    assert_eq!((s, code(&v)), (415, "unsupported-media-type".into()));
    let (s, v) = d.post("application/json", json!({ "records": 5 }).to_string()).await;
    assert_eq!((s, code(&v)), (422, "malformed".into()));
    let (s, v) = d.post("application/json", json!({ "records": [], "more": 1 }).to_string()).await;
    assert_eq!((s, code(&v)), (422, "malformed".into()), "unknown fields are refused");
    let many: Vec<Value> = (0..=BATCH_MAX_RECORDS).map(|_| json!({})).collect();
    let (s, v) = d.post("application/json", json!({ "records": many }).to_string()).await;
    assert_eq!((s, code(&v)), (413, "too-large".into()));
    let (s, v) = d.post("application/json", json!({ "records": [] }).to_string()).await;
    assert_eq!((s, v), (200, json!({ "results": [] })));
    assert!(clinic.stored_visit_ids().is_empty());
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custody_batch_of_the_most_entries_is_answered_and_one_more_is_refused_whole() {
    let clinic = start_clinic(vec![], vec![], false).await;
    let d = raw_device(&clinic, "raw-1").await;
    let event = |i: usize| CustodyEvent {
        id: format!("c-{i}"),
        device_id: "raw-1".into(),
        staff_id: STAFF.into(),
        patient_id: "p-unknown".into(),
        action: CustodyAction::Taken,
        at: Utc::now(),
        time_anchor: None,
        sign_in: None,
    };
    let batch =
        |n| serde_json::to_string(&CustodyBatch { events: (0..n).map(event).collect() }).unwrap();
    let (s, v) = d.post_to("/v1/custody", "application/json", batch(BATCH_MAX_RECORDS + 1)).await;
    assert_eq!((s, code(&v)), (413, "too-large".into()));
    let (s, v) = d.post_to("/v1/custody", "application/json", batch(BATCH_MAX_RECORDS)).await;
    assert_eq!(s, 200, "{v}");
    let results = v["results"].as_array().expect("one answer each");
    assert_eq!(results.len(), BATCH_MAX_RECORDS, "at the limit, every entry is answered");
    clinic.shutdown().await;
}

/// The refusal code of a whole-batch answer ("" if none).
fn code(v: &Value) -> String {
    v["code"].as_str().unwrap_or_default().to_owned()
}

/// A phone with `n` queued records `v-0` … and a client for `url`.
fn phone_with(url: &str, n: usize) -> (SyncClient, Arc<Store>) {
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    for i in 0..n {
        store
            .enqueue(
                &format!("v-{i}"),
                json!({ "id": format!("v-{i}") }).to_string().as_bytes(),
                Utc::now(),
            )
            .unwrap();
    }
    (SyncClient::new(url, store.clone(), Some("token".into()), None).unwrap(), store)
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn ids_of(body: &Value) -> Vec<String> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn accepted(ids: &[String]) -> Value {
    json!({ "results": ids.iter().map(|id| json!({ "id": id, "status": "accepted" })).collect::<Vec<_>>() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_is_settled_by_its_own_answer() {
    let app = axum::Router::new().route(
        "/v1/visits",
        axum::routing::post(|body: String| async move {
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(ids_of(&body), ["v-0", "v-1", "v-2", "v-3"]);
            axum::Json(json!({ "results": [
                { "id": "v-0", "status": "accepted" },
                { "id": "v-1", "refusal": { "code": "not-assigned", "message": "訪問予定にありません" } },
                { "id": "v-2", "status": "held" },
                { "id": "v-3", "retry": "the server could not store it now" },
            ]}))
        }),
    );
    let (c, store) = phone_with(&serve(app).await, 4);
    let r = c.upload_due().await.unwrap();
    assert_eq!((r.sent, r.held), (vec!["v-0".to_owned()], vec!["v-2".to_owned()]));
    assert_eq!(r.wedged, vec![("v-1".to_owned(), "not-assigned: 訪問予定にありません".to_owned())]);
    assert_eq!(r.deferred.as_deref(), Some("the server could not store it now"));
    let state = |id: &str| store.get(id).unwrap();
    assert_eq!(state("v-0").state, ItemState::Sent);
    assert_eq!(state("v-1").state, ItemState::Wedged);
    assert_eq!(state("v-2").state, ItemState::Sent);
    assert_eq!((state("v-3").state, state("v-3").attempts), (ItemState::Pending, 1));
    assert!(state("v-3").next_attempt_at.unwrap() > Utc::now(), "later, with backoff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_does_not_match_the_batch_retries_the_whole_batch() {
    for answer in [
        json!({ "results": [{ "id": "v-1", "status": "accepted" }, { "id": "v-0", "status": "accepted" }] }),
        json!({ "results": [{ "id": "v-0", "status": "accepted" }] }),
        json!({ "results": [{ "id": "v-0", "status": "accepted", "retry": "x" }, { "id": "v-1", "status": "accepted" }] }),
        json!({ "stored": 2 }),
    ] {
        let app = axum::Router::new().route(
            "/v1/visits",
            axum::routing::post(move || {
                let answer = answer.clone();
                async move { axum::Json(answer) }
            }),
        );
        let (c, store) = phone_with(&serve(app).await, 2);
        let r = c.upload_due().await.unwrap();
        assert!(r.sent.is_empty() && r.wedged.is_empty(), "{r:?}");
        for id in ["v-0", "v-1"] {
            let item = store.get(id).unwrap();
            assert_eq!(item.state, ItemState::Pending, "{id} kept for a retry");
            assert!(item.last_error.unwrap().contains("unreadable"));
            // The first backoff is 2 s ±20%: not before 1.5 s from now.
            let at = item.next_attempt_at.expect("a retry time");
            let soonest = Utc::now() + chrono::Duration::milliseconds(1500);
            assert!(at >= soonest, "{id} waits its backoff: {at} vs {soonest}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_too_large_for_the_server_is_halved_until_it_fits() {
    let (url, sizes) = narrow_server(3).await;
    let (c, store) = phone_with(&url, 10);
    c.set_batch_limits(Some(BatchLimits { records: 8, bytes: 1 << 20 }));
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent.len(), 10);
    assert!(store.list(ItemState::Pending).unwrap().is_empty());
    assert_eq!(sizes.lock().unwrap()[..3], [8, 4, 2], "halved: 8 → 4 → 2");
}

/// A route that takes at most `max_in_batch` items of `field` a call (413
/// above it); the batch sizes it saw.
fn narrow_route(
    field: &'static str,
    max_in_batch: usize,
) -> (axum::routing::MethodRouter, Arc<std::sync::Mutex<Vec<usize>>>) {
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let route = axum::routing::post(move |body: String| {
        let seen = seen.clone();
        async move {
            let body: Value = serde_json::from_str(&body).unwrap();
            let ids: Vec<String> = body[field]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect();
            seen.lock().unwrap().push(ids.len());
            if ids.len() > max_in_batch {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            }
            axum::Json(accepted(&ids)).into_response()
        }
    });
    (route, sizes)
}

/// A server that takes at most `max_in_batch` records in a batch (413
/// above it) and every record sent alone; the batch sizes it saw.
async fn narrow_server(max_in_batch: usize) -> (String, Arc<std::sync::Mutex<Vec<usize>>>) {
    let (batches, sizes) = narrow_route("records", max_in_batch);
    let app = axum::Router::new().route("/v1/visits", batches).route(
        "/v1/visits/{id}",
        axum::routing::put(|| async {
            (StatusCode::CREATED, axum::Json(json!({ "status": "accepted" })))
        }),
    );
    (serve(app).await, sizes)
}

/// A phone with `n` queued custody entries (施設) `c-0` … and no visit.
fn phone_with_custody(url: &str, n: usize) -> (SyncClient, Arc<Store>) {
    phone_with_custody_of(url, n, None)
}

/// The same, each entry padded to `bytes` if given.
fn phone_with_custody_of(url: &str, n: usize, bytes: Option<usize>) -> (SyncClient, Arc<Store>) {
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    for i in 0..n {
        let id = format!("c-{i}");
        let mut payload = json!({ "id": id }).to_string();
        if let Some(bytes) = bytes {
            let bare = json!({ "id": id, "pad": "" }).to_string().len();
            payload = json!({ "id": id, "pad": "x".repeat(bytes - bare) }).to_string();
            assert_eq!(payload.len(), bytes);
        }
        let item = NewItem {
            id: &id,
            kind: ItemKind::Custody,
            payload: payload.as_bytes(),
            day: "2026-12-02",
            note: b"{}",
        };
        store.enqueue_item(item, Utc::now()).unwrap();
    }
    (SyncClient::new(url, store.clone(), Some("token".into()), None).unwrap(), store)
}

/// A server whose `/v1/custody` takes at most `max_in_batch` entries a
/// call (413 above it); the batch sizes it saw.
async fn narrow_custody_server(max_in_batch: usize) -> (String, Arc<std::sync::Mutex<Vec<usize>>>) {
    let (batches, sizes) = narrow_route("events", max_in_batch);
    (serve(axum::Router::new().route("/v1/custody", batches)).await, sizes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custody_entries_too_many_for_the_server_are_halved_until_they_fit() {
    let (url, sizes) = narrow_custody_server(3).await;
    let (c, store) = phone_with_custody(&url, 10);
    let round = tokio::time::timeout(std::time::Duration::from_secs(30), c.upload_due());
    let r = round.await.expect("the round ends").unwrap();
    assert_eq!(r.sent.len(), 10, "{r:?}");
    assert_eq!(r.deferred, None);
    assert!(store.list(ItemState::Pending).unwrap().is_empty());
    let sizes = sizes.lock().unwrap().clone();
    // The default cap (200) halves until it is under ten: 200 … 12 each
    // send all ten, then 6, then 3 fits and the rest go three at a time.
    assert_eq!(sizes, [10, 10, 10, 10, 10, 6, 3, 3, 3, 1], "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_the_custody_call_still_takes_the_visits_in_batches() {
    // Visits in batches (and one by one), no `/v1/custody`: 404.
    let (url, sizes) = narrow_server(10).await;
    let (c, store) = phone_with_custody(&url, 2);
    store.enqueue("v-0", json!({ "id": "v-0" }).to_string().as_bytes(), Utc::now()).unwrap();
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent, ["v-0"], "{r:?}");
    assert_eq!(r.deferred.as_deref(), Some("the server takes no custody entries"));
    // The custody call's 404 is not the visits' call missing: the next
    // round's visits go in a batch too, not one per call.
    store.enqueue("v-1", json!({ "id": "v-1" }).to_string().as_bytes(), Utc::now()).unwrap();
    store.enqueue("v-2", json!({ "id": "v-2" }).to_string().as_bytes(), Utc::now()).unwrap();
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent, ["v-1", "v-2"], "{r:?}");
    assert_eq!(*sizes.lock().unwrap(), [1, 2], "two batch calls, one per round");
    assert_eq!(store.list(ItemState::Pending).unwrap().len(), 2, "the custody entries wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custody_entries_a_server_refuses_even_one_by_one_wait_for_an_update() {
    let (url, sizes) = narrow_custody_server(0).await;
    let (c, store) = phone_with_custody(&url, 2);
    let round = tokio::time::timeout(std::time::Duration::from_secs(30), c.upload_due());
    let r = round.await.expect("the round ends").unwrap();
    assert!(r.sent.is_empty(), "{r:?}");
    assert_eq!(r.deferred.as_deref(), Some("the server takes no custody entries"));
    assert_eq!(store.list(ItemState::Pending).unwrap().len(), 2, "both kept");
    // Halved from the default 200 down to one: 200 … 3 each carry both,
    // then one alone, refused too, is the last call of the round.
    assert_eq!(
        *sizes.lock().unwrap(),
        [2, 2, 2, 2, 2, 2, 2, 1],
        "a batch of one was the last tried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custody_entries_capped_by_bytes_halve_their_bytes_too() {
    let (url, sizes) = narrow_custody_server(1).await;
    // 100,000 bytes each: five fit the default 512 KiB, two half of it.
    let (c, _) = phone_with_custody_of(&url, 6, Some(100_000));
    let round = tokio::time::timeout(std::time::Duration::from_secs(30), c.upload_due());
    let r = round.await.expect("the round ends").unwrap();
    assert_eq!(r.sent.len(), 6, "{r:?}");
    assert_eq!(sizes.lock().unwrap()[..3], [5, 2, 1], "bytes halved: 5 entries, 2, 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_capped_by_bytes_halves_its_bytes_too() {
    let (url, sizes) = narrow_server(1).await;
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    for i in 0..6 {
        // 1000 bytes each (sealed: a few dozen more).
        let mut record = json!({ "id": format!("v-{i}"), "pad": "" }).to_string();
        let pad = "x".repeat(1000 - record.len());
        record = json!({ "id": format!("v-{i}"), "pad": pad }).to_string();
        assert_eq!(record.len(), 1000);
        store.enqueue(&format!("v-{i}"), record.as_bytes(), Utc::now()).unwrap();
    }
    let c = SyncClient::new(&url, store.clone(), Some("token".into()), None).unwrap();
    // Four records fit the byte cap; the record cap is far above.
    c.set_batch_limits(Some(BatchLimits { records: 64, bytes: 4200 }));
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent.len(), 6);
    assert_eq!(sizes.lock().unwrap()[..3], [4, 2, 1], "bytes halved: 4 records, 2, 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_takes_no_batch_at_all_gets_one_record_per_call_after_a_batch_of_one() {
    let (url, sizes) = narrow_server(0).await;
    let (c, store) = phone_with(&url, 3);
    c.set_batch_limits(Some(BatchLimits { records: 4, bytes: 1 << 20 }));
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent, ["v-0", "v-1", "v-2"]);
    assert!(store.list(ItemState::Pending).unwrap().is_empty());
    assert_eq!(*sizes.lock().unwrap(), [3, 2, 1], "a batch of one is the last tried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_server_without_batches_gets_one_record_per_call() {
    let puts = Arc::new(AtomicUsize::new(0));
    let count = puts.clone();
    let posts = Arc::new(AtomicUsize::new(0));
    let tried = posts.clone();
    // No batch call: POST /v1/visits answers 405, as an older server's would.
    let app = axum::Router::new()
        .route(
            "/v1/visits/{id}",
            axum::routing::put(move || {
                count.fetch_add(1, Ordering::SeqCst);
                async { (StatusCode::CREATED, axum::Json(json!({ "status": "accepted" }))) }
            }),
        )
        .route(
            "/v1/visits",
            axum::routing::post(move || {
                tried.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::METHOD_NOT_ALLOWED }
            }),
        );
    let (c, store) = phone_with(&serve(app).await, 3);
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent, ["v-0", "v-1", "v-2"]);
    assert_eq!(puts.load(Ordering::SeqCst), 3);
    assert!(store.list(ItemState::Pending).unwrap().is_empty());
    // The next round goes straight to one by one.
    store.enqueue("v-3", b"{}", Utc::now()).unwrap();
    c.upload_due().await.unwrap();
    assert_eq!(puts.load(Ordering::SeqCst), 4);
    assert_eq!(posts.load(Ordering::SeqCst), 1, "the batch call was tried once, not each round");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_by_one_a_server_that_no_longer_knows_the_phone_stops_it_and_wedges_nothing() {
    let app = axum::Router::new()
        .route("/v1/visits/{id}", axum::routing::put(|| async { StatusCode::UNAUTHORIZED }));
    let (c, store) = phone_with(&serve(app).await, 1);
    c.set_batch_limits(None);
    let r = c.upload_due().await;
    assert!(matches!(r, Err(houmon_sync::SyncError::Unauthorized)), "{r:?}");
    let item = store.get("v-0").unwrap();
    assert_eq!(item.state, ItemState::Pending, "kept for when the phone is enrolled again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_by_one_a_server_in_trouble_sends_the_record_back_to_wait_its_backoff() {
    let app = axum::Router::new()
        .route("/v1/visits/{id}", axum::routing::put(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let (c, store) = phone_with(&serve(app).await, 1);
    c.set_batch_limits(None);
    let before = Utc::now();
    let r = c.upload_due().await.unwrap();
    assert!(r.sent.is_empty() && r.deferred.is_some(), "{r:?}");
    let item = store.get("v-0").unwrap();
    assert_eq!((item.state, item.attempts), (ItemState::Pending, 1));
    // The first backoff is 2 s ±20%: not before 1.6 s from now.
    let at = item.next_attempt_at.expect("a retry time");
    assert!(at >= before + chrono::Duration::milliseconds(1500), "{at} vs {before}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_row_that_is_not_a_record_is_wedged_and_never_sent_in_a_batch() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/v1/visits",
        axum::routing::post(move |body: String| {
            let log = log.clone();
            async move {
                let ids = ids_of(&serde_json::from_str(&body).expect("a JSON batch"));
                log.lock().unwrap().extend(ids.clone());
                axum::Json(accepted(&ids)).into_response()
            }
        }),
    );
    let (c, store) = phone_with(&serve(app).await, 2);
    store.enqueue("v-bad", b"not a record {", Utc::now()).unwrap();
    c.set_batch_limits(Some(BatchLimits { records: 8, bytes: 1 << 20 }));
    let r = c.upload_due().await.unwrap();
    assert_eq!(r.sent, ["v-0", "v-1"]);
    assert_eq!(r.wedged, [("v-bad".to_owned(), "corrupt-row: not a record".to_owned())]);
    assert_eq!(*seen.lock().unwrap(), ["v-0", "v-1"], "the row was not sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_database_cannot_take_is_answered_retry_and_the_rest_of_its_batch_is_stored() {
    let clinic = start_clinic(vec![], vec![], false).await;
    let d = raw_device(&clinic, "raw-poison").await;
    let tag: u32 = rand::random();
    let poison = format!("v-poison-{tag}");
    // The database refuses that one row (as a full disk or a broken
    // constraint would).
    with_raw(&clinic.config, |c| {
        if is_postgres(&clinic.config) {
            c.execute_batch(&format!(
                "CREATE FUNCTION poison_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN IF NEW.id = '{poison}' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$;
                 CREATE TRIGGER poison_{tag} BEFORE INSERT ON visit
                 FOR EACH ROW EXECUTE FUNCTION poison_{tag}();"
            ))
        } else {
            c.execute_batch(&format!(
                "CREATE TRIGGER poison_{tag} BEFORE INSERT ON visit WHEN NEW.id = '{poison}'
                 BEGIN SELECT RAISE(ABORT, 'poisoned'); END;"
            ))
        }
    })
    .unwrap();
    let records =
        vec![d.record("v-before", None), d.record(&poison, None), d.record("v-after", None)];
    let (status, answer) =
        d.post("application/json", json!({ "records": &records }).to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let answer: BatchResponse = serde_json::from_value(answer).unwrap();
    let retry: Vec<bool> = answer.results.iter().map(|a| a.retry.is_some()).collect();
    assert_eq!(retry, [false, true, false], "{answer:?}");
    assert_eq!(clinic.stored_visit_ids(), ["v-after", "v-before"]);

    with_raw(&clinic.config, |c| {
        c.execute_batch(&if is_postgres(&clinic.config) {
            format!("DROP TRIGGER poison_{tag} ON visit; DROP FUNCTION poison_{tag}();")
        } else {
            format!("DROP TRIGGER poison_{tag};")
        })
    })
    .unwrap();
    // The retry of the whole batch: two duplicates and the one stored now.
    let (status, answer) =
        d.post("application/json", json!({ "records": records }).to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let answer: BatchResponse = serde_json::from_value(answer).unwrap();
    let statuses: Vec<_> = answer.results.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [
            Some(UploadStatus::Duplicate),
            Some(UploadStatus::Accepted),
            Some(UploadStatus::Duplicate)
        ]
    );
    assert_eq!(clinic.stored_visit_ids().len(), 3);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batched_path_and_the_one_by_one_path_store_the_same_visits() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let mut stored = Vec::new();
    // One patient, one card (another card would be held for review).
    let card = VirtualCard::standard();
    for (device, limits) in
        [("dev-batch", Some(BatchLimits { records: 2, bytes: 1 << 20 })), ("dev-single", None)]
    {
        let phone = Phone::new(&clinic, device).await;
        phone.sync.set_batch_limits(limits);
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(phone.pin_visit(&card, "p0", Utc::now()).await.id);
        }
        let r = phone.sync.upload_due().await.unwrap();
        assert_eq!(r.sent, ids, "{device}: {r:?}");
        stored.extend(ids);
    }
    stored.sort();
    assert_eq!(clinic.stored_visit_ids(), stored);
    clinic.shutdown().await;
}
