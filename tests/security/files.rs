// SPDX-License-Identifier: MPL-2.0
//! The server's files on disk (issue 22, item 6): the database and its
//! write-ahead files, keys, certificates and the folders that hold them
//! are the server account's only; loose ones found at start are
//! tightened (and said so), a loose key file given to it is refused.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::Utc;
use houmon_server::{Config, KeyFrom, TlsMode};
use houmon_tests::clinic::*;
use houmon_tests::rawdb::is_postgres;
use houmon_vcard::VirtualCard;

use super::server_log;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode()
        & 0o777
}

/// Every file and folder under `dir`, `dir` included.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_owned()];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_keys_certificates_and_their_folders_are_the_server_accounts_only() {
    let clinic = start_clinic(vec![patient("p0", Some(0))], vec![answer(0, "1")], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    assert!(phone.wait_result("p0", super::WAIT).await.is_some(), "a request file was written");
    let db = clinic.config.db_path();
    if !is_postgres(&clinic.config) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            assert!(Path::new(&p).exists(), "{p:?}");
        }
    }
    let all = tree(&clinic.dir);
    assert!(all.iter().any(|p| p.ends_with("tls/clinic-ca.key")), "{all:?}");
    for p in &all {
        assert_eq!(mode(p) & 0o077, 0, "{} is {:o}", p.display(), mode(p));
    }
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loose_files_are_tightened_at_start_and_said_so_and_a_loose_key_file_is_refused() {
    let log = server_log();
    let mut clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    clinic.stop_server().await;
    let loosen = |p: PathBuf, m: u32| {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        p
    };
    let mut loose = vec![
        loosen(clinic.dir.clone(), 0o755),
        loosen(clinic.dir.join("tls"), 0o755),
        loosen(clinic.dir.join("tls/clinic-ca.key"), 0o644),
        loosen(clinic.dir.join("tls/server.pem"), 0o644),
    ];
    if !is_postgres(&clinic.config) {
        loose.push(loosen(clinic.config.db_path(), 0o644));
    }
    clinic.restart_server().await.unwrap();
    for p in &loose {
        assert_eq!(mode(p) & 0o077, 0, "{} is {:o}", p.display(), mode(p));
    }
    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(text.contains("clinic-ca.key"), "the tightening is said: {text}");
    clinic.shutdown().await;

    // A key file others may read is not used.
    let dir = scratch("loose-key");
    let key = dir.join("server.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut config = Config::new(dir.join("data"), "127.0.0.1:0".parse().unwrap());
    config.tls = TlsMode::PlainLoopback;
    config.key = KeyFrom::Default(Some(key.clone()));
    config.database = houmon_server::loopback::test_database();
    match houmon_server::start(config).await {
        Err(e) => assert!(e.contains("server.key") && e.contains("600"), "{e}"),
        Ok(server) => {
            server.stop().await;
            panic!("a key file readable by others was used");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
