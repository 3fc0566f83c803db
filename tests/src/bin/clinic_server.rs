// SPDX-License-Identifier: MPL-2.0
//! The clinic server as a process of its own, for the server crash test:
//! TLS with the clinic CA kept in DATA_DIR, the key from
//! `HOUMON_SERVER_KEY`, the test CA's certificate as trust anchor. Prints
//! `READY <url> <pin>` once it listens. With `HOUMON_TEST_DATABASE` and
//! `HOUMON_TEST_CLINIC_ID`, that clinic in that PostgreSQL database.
//!
//! Usage: clinic-server DATA_DIR PORT ANCHOR_DER_FILE

use std::time::Duration;

use houmon_server::{Config, KeyFrom, TlsMode};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let [_, dir, port, anchor] = &a[..] else {
        eprintln!("usage: clinic-server DATA_DIR PORT ANCHOR_DER_FILE");
        std::process::exit(2);
    };
    let mut config = Config::new(dir.into(), format!("127.0.0.1:{port}").parse().expect("port"));
    config.tls = TlsMode::Generate { names: vec!["127.0.0.1".into()] };
    config.key = KeyFrom::Default(None);
    config.trust_anchors = vec![std::fs::read(anchor).expect("anchor file")];
    config.poll_interval = Duration::from_millis(50);
    // PostgreSQL when the test names a database and a clinic in it.
    if let (Some(url), Ok(clinic)) = (
        std::env::var("HOUMON_TEST_DATABASE").ok().filter(|u| !u.is_empty()),
        std::env::var("HOUMON_TEST_CLINIC_ID"),
    ) {
        let password = std::env::var("HOUMON_TEST_DATABASE_PASSWORD").ok();
        config.database =
            Some(houmon_server::db::PgLocation::new(&url, password, &clinic, 4).expect("database"));
    }
    let server = houmon_server::start(config).await.expect("the server starts");
    println!("READY {} {}", server.url, server.pin.clone().unwrap_or_default());
    // Until killed.
    std::future::pending::<()>().await;
}
