// SPDX-License-Identifier: MPL-2.0
//! Kill a process that is enqueuing and syncing (SIGKILL at random points,
//! many times), then prove that every record acknowledged to the UI reached
//! the server exactly once, with the content that was acknowledged. The
//! records include PIN visits of patients on the round (their signatures
//! checked, cards enrolled) and 目視 visits.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use houmon_store::{Store, StoreKey};
use houmon_sync::SyncClient;
use houmon_tests::clinic::*;
use houmon_tests::crash::*;
use houmon_tests::seed::Seed;
use houmon_vcard::VirtualCard;
use rand::Rng;

const KEY: [u8; 32] = [7; 32];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_acknowledged_before_a_kill_reach_the_server_exactly_once_in_batches() {
    phone_killed(8, "batched").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_acknowledged_before_a_kill_reach_the_server_exactly_once_one_by_one() {
    phone_killed(0, "one-by-one").await;
}

/// `batch`: records per upload (0: one per call).
async fn phone_killed(batch: usize, name: &str) {
    let rounds: u64 =
        std::env::var("HOUMON_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let seed = Seed::for_test(&format!("records_acknowledged_before_a_kill ({name})"));
    println!("crash test ({name}): {rounds} rounds");
    let mut rng = seed.rng();

    let patients = PATIENTS.iter().map(|p| patient(p, None)).collect();
    let clinic = start_clinic(patients, vec![], false).await;
    let dir = scratch(&format!("crash-{name}"));
    let db = dir.join("phone.sqlite");
    // The phone, enrolled into the file the worker opens.
    let phone = {
        let store = Arc::new(Store::open(&db, StoreKey::from_bytes(&KEY).unwrap()).unwrap());
        let sync = SyncClient::enrol(
            store.clone(),
            &clinic.enrolment(STAFF),
            "crash-device",
            "crash test",
        )
        .await
        .unwrap();
        Phone { store, sync, device_id: "crash-device".into() }
    };
    clinic.assign(today(), "crash-device", &PATIENTS);
    let cards: Vec<VirtualCard> = PATIENTS.iter().map(|_| VirtualCard::standard()).collect();
    let pool = record_pool(&phone, &cards, (rounds * 40) as usize).await;
    drop(phone);
    let records_file = dir.join("records.jsonl");
    {
        let mut f = std::fs::File::create(&records_file).unwrap();
        for r in &pool {
            writeln!(f, "{}", r.to_json()).unwrap();
        }
    }
    let worker = env!("CARGO_BIN_EXE_crash-worker");
    let run = |first: u64, count: u64| {
        Command::new(worker)
            .args([
                db.to_str().unwrap(),
                records_file.to_str().unwrap(),
                &first.to_string(),
                &count.to_string(),
                &batch.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    let mut acked = BTreeMap::new();
    let mut kills = 0;
    for round in 0..rounds {
        // Where the kill lands is counted in records (after the k-th
        // acknowledgement, in the work on the next one), not in
        // milliseconds: the same seed kills at the same places on a fast
        // machine and a loaded one.
        let after_acks = rng.gen_range(1..40);
        let then_micros = rng.gen_range(0..3000);
        let child = run(round * 40, 40);
        let (killed, out) = tokio::task::spawn_blocking(move || {
            kill_after_acks(child, after_acks, Duration::from_micros(then_micros))
        })
        .await
        .unwrap();
        kills += u64::from(killed);
        for l in out.lines().filter_map(|l| l.strip_prefix("ACK ")) {
            let (id, digest) = l.split_once(' ').unwrap();
            acked.insert(id.to_owned(), digest.to_owned());
        }
    }
    // A last run drains the queue.
    let out = run(0, 0).wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DONE pending=0"), "{text}");

    let stored = assert_stored_exactly_once(clinic.app(), &acked);
    let pin_acked = acked
        .keys()
        .filter(|id| id.trim_start_matches("v-crash-").parse::<usize>().is_ok_and(|i| i % 2 == 0))
        .count();
    println!("{} acknowledged ({pin_acked} PIN), {stored} stored, {kills} kills", acked.len());
    assert!(kills >= rounds / 2, "the test must actually kill the worker ({kills} of {rounds})");
    assert!(
        acked.len() >= 10 && pin_acked >= 3,
        "enough records were acknowledged to mean something"
    );
    clinic.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads `child`'s output until its `acks`-th acknowledgement, waits
/// `then`, and kills it (SIGKILL) if it is still running. Returns whether
/// it was killed, and all it printed.
fn kill_after_acks(mut child: std::process::Child, acks: u32, then: Duration) -> (bool, String) {
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    let mut seen = 0;
    while seen < acks {
        let before = out.len();
        if stdout.read_line(&mut out).unwrap() == 0 {
            break;
        }
        seen += u32::from(out[before..].starts_with("ACK "));
    }
    std::thread::sleep(then);
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap(); // SIGKILL
    }
    child.wait().unwrap();
    stdout.read_to_string(&mut out).unwrap();
    (killed, out)
}
