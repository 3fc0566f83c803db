// SPDX-License-Identifier: MPL-2.0
//! `cargo run -q -p houmon-bench -- sync`: the offline queue and the clinic
//! server.
//!
//! 1. Durable enqueue latency on a file database (WAL, synchronous=FULL).
//! 2. Syncing 10,000 queued records from one phone to a loopback server.
//! 3. Server ingest with 50 devices uploading at once.
//!
//! Records are 目視 visit records built around a real virtual-card
//! certificate, so the server does its full evidence check (certificate
//! parse, chain to the trust anchor, validity) on every one; PIN records add
//! one RSA-2048 signature check each (measured separately in the card bench).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use houmon_server::loopback::{LoopbackClinic, Options, NURSE};
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::SyncClient;
use houmon_vcard::{TestCa, VirtualCard};

fn record(
    i: usize,
    device: &str,
    cert: &[u8],
    anchor: &Option<String>,
) -> houmon_core::visit::VisitRecord {
    houmon_vcard::records::visual_record(
        &format!("v-{device}-{i:06}"),
        device,
        NURSE,
        None,
        cert,
        anchor.clone(),
    )
}

/// A loopback clinic (TLS) trusting the virtual cards' test CA.
async fn start_clinic(dir: std::path::PathBuf) -> LoopbackClinic {
    let options = Options {
        trust_anchors: vec![TestCa::shared().cert_der.clone()],
        check_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    LoopbackClinic::start(dir, options, vec![], vec![]).await.expect("clinic")
}

/// An enrolled phone and the server-time token it holds.
async fn phone(
    clinic: &LoopbackClinic,
    store: Arc<Store>,
    device: &str,
) -> (SyncClient, Option<String>) {
    let sync =
        SyncClient::enrol(store, &clinic.enrolment(NURSE), device, "bench").await.expect("enrol");
    let anchor = sync.time_anchor().await.expect("anchor");
    (sync, anchor)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("houmon-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub fn run() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cert = VirtualCard::standard().auth_certificate_der();

    // 1. Durable enqueue latency.
    let dir = temp("enqueue");
    let store = Store::open(dir.join("phone.sqlite"), StoreKey::generate()).expect("store");
    let payload = record(0, "d", &cert, &None).to_json();
    let mut lat: Vec<Duration> = (0..1000)
        .map(|i| {
            let t = Instant::now();
            store.enqueue(&format!("e-{i}"), payload.as_bytes(), Utc::now()).expect("enqueue");
            t.elapsed()
        })
        .collect();
    lat.sort();
    println!("| measure | value |\n|---|---:|");
    println!(
        "| durable enqueue of a {}-byte record, median (1,000 enqueues) | {:.2} ms |",
        payload.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3
    );
    println!("| durable enqueue, p99 | {:.2} ms |", percentile(&lat, 0.99).as_secs_f64() * 1e3);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);

    rt.block_on(async {
        // 2. One phone, 10,000 queued records.
        let dir = temp("sync");
        let clinic = start_clinic(dir.join("clinic")).await;
        let store =
            Arc::new(Store::open(dir.join("phone.sqlite"), StoreKey::generate()).expect("store"));
        let (sync, anchor) = phone(&clinic, store.clone(), "phone-0").await;
        for i in 0..10_000 {
            let r = record(i, "phone-0", &cert, &anchor);
            store.enqueue(&r.id, r.to_json().as_bytes(), Utc::now()).expect("enqueue");
        }
        let t = Instant::now();
        let report = sync.upload_due().await.expect("sync");
        let elapsed = t.elapsed();
        assert_eq!(report.sent.len(), 10_000, "{:?}", report.deferred);
        assert!(store.list(ItemState::Pending).expect("list").is_empty());
        println!(
            "| sync 10,000 queued records, one phone, loopback | {:.0} records/s ({:.1} s) |",
            10_000.0 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
        clinic.shutdown().await;

        // 3. 50 devices at once, 200 records each.
        let clinic = start_clinic(dir.join("clinic50")).await;
        let mut phones = Vec::new();
        for d in 0..50 {
            let device = format!("phone-{d}");
            let store = Arc::new(Store::open_in_memory(StoreKey::generate()).expect("store"));
            let (sync, anchor) = phone(&clinic, store.clone(), &device).await;
            for i in 0..200 {
                let r = record(i, &device, &cert, &anchor);
                store.enqueue(&r.id, r.to_json().as_bytes(), Utc::now()).expect("enqueue");
            }
            phones.push(sync);
        }
        let t = Instant::now();
        let mut tasks = Vec::new();
        for p in phones {
            tasks.push(tokio::spawn(async move {
                p.upload_due().await.map(|r| r.sent.len()).unwrap_or(0)
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("task");
        }
        let elapsed = t.elapsed();
        assert_eq!(total, 10_000);
        println!(
            "| server ingest, 50 devices × 200 records at once | {:.0} records/s ({:.1} s) |",
            total as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
        assert_eq!(clinic.stored_visit_ids().len(), 10_000);
        clinic.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}
