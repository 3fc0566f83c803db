// SPDX-License-Identifier: MPL-2.0
//! Kill a process that is enqueuing and syncing (SIGKILL at random points,
//! many times), then prove that every record acknowledged to the UI reached
//! the server exactly once.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use houmon_tests::clinic::*;
use houmon_vcard::VirtualCard;
use rand::{Rng, SeedableRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_acknowledged_before_a_kill_reach_the_server_exactly_once() {
    let rounds: u64 =
        std::env::var("HOUMON_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let seed: u64 = std::env::var("HOUMON_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash test: {rounds} rounds, seed {seed} (HOUMON_CRASH_SEED to replay)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let clinic = start_clinic(vec![], vec![], false).await;
    let dir = scratch("crash");
    let db = dir.join("phone.sqlite");
    let cert = dir.join("cert.der");
    std::fs::write(&cert, VirtualCard::standard().auth_certificate_der()).unwrap();
    let token = {
        let store = std::sync::Arc::new(
            houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap(),
        );
        let c = houmon_sync::SyncClient::new(&clinic.url, store, None, None).unwrap();
        c.register("crash-device", "crash test", ENROLLMENT_CODE).await.unwrap()
    };
    let worker = env!("CARGO_BIN_EXE_crash-worker");
    let run = |first: u64, count: u64| {
        Command::new(worker)
            .args([
                db.to_str().unwrap(),
                &clinic.url,
                &token,
                cert.to_str().unwrap(),
                &first.to_string(),
                &count.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    let mut acked = BTreeSet::new();
    let mut kills = 0;
    for round in 0..rounds {
        let mut child = run(round * 40, 40);
        let wait = Duration::from_millis(rng.gen_range(5..150));
        tokio::time::sleep(wait).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        acked.extend(out.lines().filter_map(|l| l.strip_prefix("ACK ").map(str::to_owned)));
    }
    // A last run drains the queue.
    let out = run(0, 0).wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DONE pending=0"), "{text}");

    let stored: Vec<String> = clinic.stored_visit_ids();
    let unique: BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no record twice");
    let missing: Vec<&String> = acked.iter().filter(|id| !unique.contains(id)).collect();
    println!("{} acknowledged, {} stored, {kills} kills", acked.len(), stored.len());
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(kills >= rounds / 2, "the test must actually kill the worker ({kills} of {rounds})");
    assert!(acked.len() >= 10, "enough records were acknowledged to mean something");
    clinic.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
