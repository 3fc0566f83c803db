// SPDX-License-Identifier: MPL-2.0
//! The process the crash test kills: it enqueues visit records one by one,
//! printing `ACK <id>` once each enqueue has returned (the moment the UI
//! would tell the nurse "saved"), and syncs after each; with a count of 0 it
//! only drains the queue.
//!
//! Usage: crash-worker DB URL TOKEN CERT_DER_FILE FIRST COUNT

use std::io::Write;
use std::sync::Arc;

use chrono::Utc;
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::SyncClient;

const KEY: [u8; 32] = [7; 32];

fn record(i: u64, device: &str, cert: &[u8]) -> houmon_core::visit::VisitRecord {
    houmon_vcard::records::visual_record(&format!("v-crash-{i:06}"), device, cert)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let [_, db, url, token, cert, first, count] = &a[..] else {
        eprintln!("usage: crash-worker DB URL TOKEN CERT_DER_FILE FIRST COUNT");
        std::process::exit(2);
    };
    let cert = std::fs::read(cert).expect("certificate file");
    let (first, count): (u64, u64) = (first.parse().expect("FIRST"), count.parse().expect("COUNT"));
    let store = Arc::new(
        Store::open(db, StoreKey::from_bytes(&KEY).expect("key"))
            .expect("store opens after a kill"),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sync =
        SyncClient::new(url, store.clone(), Some(token.clone()), None).expect("a loopback client");
    let mut out = std::io::stdout().lock();
    for i in first..first + count {
        let r = record(i, "crash-device", &cert);
        store.enqueue(&r.id, r.to_json().as_bytes(), Utc::now()).expect("enqueue");
        writeln!(out, "ACK {}", r.id).expect("stdout");
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
