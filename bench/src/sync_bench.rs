// SPDX-License-Identifier: MPL-2.0
//! `cargo run -q -p houmon-bench -- sync`: the offline queue and the clinic
//! server.
//!
//! 1. Durable enqueue latency on a file database (WAL, synchronous=FULL).
//! 2. Syncing 10,000 queued records from one phone to a loopback server.
//! 3. Server ingest with 50 devices uploading at once, and the process's
//!    peak resident memory meanwhile (server and the 50 phones' stores).
//!
//! 2 and 3 run for the first protocol (one record per call) and for
//! batches, side by side, on SQLite and — when `HOUMON_BENCH_DATABASE`
//! names a PostgreSQL database (an address without password; a fresh
//! clinic id each run) — on PostgreSQL. `HOUMON_BENCH_ONLY=batched` (or
//! `PostgreSQL`, `SQLite`) runs those rows only. The peak RSS is this process's (server and phones), not
//! PostgreSQL's.
//!
//! Records are 目視 visit records built around a real virtual-card
//! certificate, so the server does its full evidence check (certificate
//! parse, chain to the trust anchor, validity) on every one; PIN records add
//! one RSA-2048 signature check each (measured separately in the card bench).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use houmon_server::db::PgLocation;
use houmon_server::loopback::{LoopbackClinic, Options, NURSE};
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::{BatchLimits, SyncClient};
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

/// A loopback clinic (TLS) trusting the virtual cards' test CA, on a
/// SQLite file in `dir` or as a new clinic in the PostgreSQL database.
async fn start_clinic(dir: std::path::PathBuf, postgres: Option<&str>) -> LoopbackClinic {
    let database = postgres.map(|url| {
        let password = std::env::var("HOUMON_BENCH_DATABASE_PASSWORD").ok();
        let clinic = format!("bench-{}", houmon_server::secrets::random_hex(8));
        PgLocation::new(url, password, &clinic, 8).expect("HOUMON_BENCH_DATABASE")
    });
    let options = Options {
        trust_anchors: vec![TestCa::shared().cert_der.clone()],
        check_timeout: Duration::from_secs(10),
        database,
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

    let only = std::env::var("HOUMON_BENCH_ONLY").unwrap_or_default();
    let postgres = std::env::var("HOUMON_BENCH_DATABASE").ok().filter(|u| !u.is_empty());
    let mut engines = vec![("SQLite", None)];
    if let Some(url) = postgres.as_deref() {
        engines.push(("PostgreSQL", Some(url)));
    }
    println!();
    println!(
        "| engine | path | one phone, 10,000 records | 50 devices × 200 records | peak RSS during the 50 |"
    );
    println!("|---|---|---:|---:|---:|");
    for (engine, url) in engines {
        for (name, limits) in [
            ("one record per call (`PUT`, before)", None),
            ("batched (`POST /v1/visits`, 200 per batch)", Some(BatchLimits::default())),
        ] {
            if !only.is_empty() && !format!("{engine} {name}").contains(&only) {
                continue;
            }
            let dir = temp("sync");
            let (one, fifty, peak) = rt.block_on(async {
                let one = one_phone(&dir, &cert, limits, url).await;
                reset_peak_rss();
                let fifty = fifty_devices(&dir, &cert, limits, url).await;
                (one, fifty, peak_rss_mib())
            });
            println!(
            "| {engine} | {name} | {:.0} records/s ({:.2} s) | {:.0} records/s ({:.2} s) | {} |",
            10_000.0 / one.as_secs_f64(),
            one.as_secs_f64(),
            10_000.0 / fifty.as_secs_f64(),
            fifty.as_secs_f64(),
            peak.map_or("n/a".to_owned(), |m| format!("{m} MiB")),
        );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// One phone with 10,000 queued records: the time to sync them all.
async fn one_phone(
    dir: &std::path::Path,
    cert: &[u8],
    limits: Option<BatchLimits>,
    postgres: Option<&str>,
) -> Duration {
    let clinic = start_clinic(dir.join("clinic"), postgres).await;
    let store =
        Arc::new(Store::open(dir.join("phone.sqlite"), StoreKey::generate()).expect("store"));
    let (sync, anchor) = phone(&clinic, store.clone(), "phone-0").await;
    sync.set_batch_limits(limits);
    for i in 0..10_000 {
        let r = record(i, "phone-0", cert, &anchor);
        store.enqueue(&r.id, r.to_json().as_bytes(), Utc::now()).expect("enqueue");
    }
    let t = Instant::now();
    let report = sync.upload_due().await.expect("sync");
    let elapsed = t.elapsed();
    assert_eq!(report.sent.len(), 10_000, "{:?}", report.deferred);
    assert!(store.list(ItemState::Pending).expect("list").is_empty());
    assert_eq!(clinic.stored_visit_ids().len(), 10_000);
    clinic.shutdown().await;
    elapsed
}

/// 50 phones with 200 records each, syncing at once.
async fn fifty_devices(
    dir: &std::path::Path,
    cert: &[u8],
    limits: Option<BatchLimits>,
    postgres: Option<&str>,
) -> Duration {
    let clinic = start_clinic(dir.join("clinic50"), postgres).await;
    let mut phones = Vec::new();
    for d in 0..50 {
        let device = format!("phone-{d}");
        let store = Arc::new(Store::open_in_memory(StoreKey::generate()).expect("store"));
        let (sync, anchor) = phone(&clinic, store.clone(), &device).await;
        sync.set_batch_limits(limits);
        for i in 0..200 {
            let r = record(i, &device, cert, &anchor);
            store.enqueue(&r.id, r.to_json().as_bytes(), Utc::now()).expect("enqueue");
        }
        phones.push(sync);
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for p in phones {
        tasks.push(tokio::spawn(
            async move { p.upload_due().await.map(|r| r.sent.len()).unwrap_or(0) },
        ));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task");
    }
    let elapsed = t.elapsed();
    assert_eq!(total, 10_000);
    assert_eq!(clinic.stored_visit_ids().len(), 10_000);
    clinic.shutdown().await;
    elapsed
}

/// Resets the kernel's peak-RSS mark of this process (Linux).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set since the last reset, in MiB (Linux).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
