// SPDX-License-Identifier: MPL-2.0
//! The process the crash test kills: it enqueues visit records one by one
//! (taken in order from a file of records the test built), printing
//! `ACK <id> <sha256 of the record>` once each enqueue has returned (the
//! moment the UI would tell the nurse "saved"), and syncs after each; with
//! a count of 0 it only drains the queue. The phone was enrolled by the test
//! into the same database file.
//!
//! Usage: crash-worker DB RECORDS_FILE FIRST COUNT [BATCH]
//!
//! BATCH: records per upload (0: one record per call, the first
//! protocol); the client's default without it.

use std::io::{BufRead, Write};
use std::sync::Arc;

use chrono::Utc;
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::SyncClient;
use sha2::{Digest, Sha256};

/// The phone database key the crash test uses.
pub const KEY: [u8; 32] = [7; 32];

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (db, records, first, count, batch) = match &a[..] {
        [_, db, records, first, count] => (db, records, first, count, None),
        [_, db, records, first, count, batch] => {
            (db, records, first, count, Some(batch.parse::<usize>().expect("BATCH")))
        }
        _ => {
            eprintln!("usage: crash-worker DB RECORDS_FILE FIRST COUNT [BATCH]");
            std::process::exit(2);
        }
    };
    let (first, count): (usize, usize) =
        (first.parse().expect("FIRST"), count.parse().expect("COUNT"));
    let lines: Vec<String> =
        std::io::BufReader::new(std::fs::File::open(records).expect("records file"))
            .lines()
            .map(|l| l.expect("a line"))
            .collect();
    let store = Arc::new(
        Store::open(db, StoreKey::from_bytes(&KEY).expect("key"))
            .expect("store opens after a kill"),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sync = rt
        .block_on(SyncClient::from_store(store.clone()))
        .expect("the enrolment is kept")
        .expect("enrolled");
    if let Some(n) = batch {
        sync.set_batch_limits(
            (n > 0).then_some(houmon_sync::BatchLimits { records: n, bytes: 1 << 20 }),
        );
    }
    let mut out = std::io::stdout().lock();
    for json in lines.iter().skip(first).take(count) {
        let record = houmon_core::visit::VisitRecord::from_json(json).expect("a record");
        store.enqueue(&record.id, json.as_bytes(), Utc::now()).expect("enqueue");
        let digest: String =
            Sha256::digest(json.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        writeln!(out, "ACK {} {digest}", record.id).expect("stdout");
        out.flush().expect("flush");
        let _ = rt.block_on(sync.upload_due());
    }
    // Drain: everything pending goes, whatever the backoff said.
    store.all_due_now().expect("due");
    for _ in 0..100 {
        if store.list(ItemState::Pending).expect("list").is_empty() {
            break;
        }
        let _ = rt.block_on(sync.upload_due());
        store.all_due_now().expect("due");
    }
    writeln!(out, "DONE pending={}", store.list(ItemState::Pending).expect("list").len())
        .expect("stdout");
}
