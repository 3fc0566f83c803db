// SPDX-License-Identifier: MPL-2.0
//! `houmon-server --db PATH --listen ADDR --oqs-dir DIR` starts as documented.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn the_server_starts_with_db_listen_and_oqs_dir_and_answers_http() {
    let dir = std::env::temp_dir().join(format!("houmon-server-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_houmon-server"))
        .args([
            "--db",
            dir.join("s.sqlite").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--oqs-dir",
        ])
        .arg(dir.join("oqs"))
        .env("HOUMON_LOG", "warn")
        .env_remove("HOUMON_ENROLLMENT_CODE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let code_line = lines.next().unwrap().unwrap();
    assert!(code_line.starts_with("enrollment code for devices: "), "{code_line}");
    let listen_line = lines.next().unwrap().unwrap();
    let addr = listen_line.strip_prefix("listening on ").expect("address line").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET /v1/roster?day=2026-11-25 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 401"), "no token, no roster: {resp}");
    assert!(dir.join("oqs").join("req").is_dir() && dir.join("s.sqlite").exists());
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
