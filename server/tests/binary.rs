// SPDX-License-Identifier: MPL-2.0
//! `houmon-server serve` starts as documented: TLS with a clinic CA it makes
//! (plain HTTP is refused), the key from the environment, never from the
//! command line; and `houmon-server enrol` issues a code for the running
//! server's address and pin.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_houmon-server"));
    c.env("HOUMON_LOG", "warn").env("HOUMON_SERVER_KEY", "ab".repeat(32));
    c
}

#[test]
fn the_server_starts_with_tls_refuses_plain_http_and_enrols_with_a_one_time_code() {
    let dir = std::env::temp_dir().join(format!("houmon-server-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    let mut child = Running(
        bin()
            .args(["serve", "--data-dir", data, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let listen_line = lines.next().unwrap().unwrap();
    let addr = listen_line
        .strip_prefix("listening on ")
        .and_then(|l| l.split(' ').next())
        .expect("address line")
        .to_owned();
    let pin_line = lines.next().unwrap().unwrap();
    assert!(
        pin_line.starts_with("phones pin the TLS certificate fingerprint sha256:"),
        "{pin_line}"
    );
    let console_line = lines.next().unwrap().unwrap();
    assert!(
        console_line.starts_with("console: https://") && console_line.ends_with("/console/"),
        "{console_line}"
    );
    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    write!(s, "GET /v1/roster?day=2026-11-25 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    assert!(!resp.starts_with(b"HTTP/1.1 200"), "no plain HTTP service");
    assert!(dir.join("tls").join("clinic-ca.pem").exists() && dir.join("clinic.sqlite").exists());
    assert!(!dir.join("server.key").exists(), "the key came from the environment");
    // An admin command against the running server's database.
    let staff = bin()
        .args([
            "staff",
            "add",
            "--data-dir",
            data,
            "--id",
            "nurse-1",
            "--name",
            "看護師 一",
            "--role",
            "nurse",
        ])
        .output()
        .unwrap();
    assert!(staff.status.success(), "{}", String::from_utf8_lossy(&staff.stderr));
    // The console's first administrator: the password from standard input,
    // never an argument, and never a default.
    let with_password = |id: &str, password: &[u8]| {
        let mut child = bin()
            .args([
                "staff",
                "add",
                "--data-dir",
                data,
                "--id",
                id,
                "--name",
                "管理者",
                "--role",
                "admin",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(password).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = with_password("admin", b"a long enough password\n");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("console password")
    );
    let out = with_password("admin2", b"short\n");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("12文字以上"));
    let enrol = bin().args(["enrol", "--data-dir", data, "--staff", "nurse-1"]).output().unwrap();
    let out = String::from_utf8_lossy(&enrol.stdout);
    assert!(enrol.status.success(), "{}", String::from_utf8_lossy(&enrol.stderr));
    assert!(out.contains("QR text: houmon://enrol?v=1&url=https%3A%2F%2Flocalhost%3A"), "{out}");
    assert!(out.contains("&pin=sha256%3A"), "{out}");
    // A code lives an hour at most, from the command line too.
    for minutes in ["525600", "61", "0"] {
        let long = bin()
            .args(["enrol", "--data-dir", data, "--staff", "nurse-1", "--minutes", minutes])
            .output()
            .unwrap();
        assert!(!long.status.success(), "--minutes {minutes} issued a code");
        assert!(String::from_utf8_lossy(&long.stderr).contains("1〜60分"), "{long:?}");
    }
    let audit = bin().args(["audit", "--data-dir", data]).output().unwrap();
    assert!(String::from_utf8_lossy(&audit.stdout).contains("audit trail intact"));
    // Someone with the database file removes the newest entry (the code's
    // issue, which the command wrote down): the command says so and fails.
    let db = rusqlite::Connection::open(dir.join("clinic.sqlite")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log);",
    )
    .unwrap();
    drop(db);
    let audit = bin().args(["audit", "--data-dir", data]).output().unwrap();
    assert!(!audit.status.success());
    assert!(
        String::from_utf8_lossy(&audit.stderr).contains("newest entries are missing"),
        "{audit:?}"
    );
    // Plain HTTP on a non-loopback address is refused at start.
    let refused = bin()
        .args(["serve", "--data-dir", data, "--listen", "0.0.0.0:0", "--plain-http"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
    // Without the key, an admin command refuses the database and makes no
    // new key beside it.
    let keyless = Command::new(env!("CARGO_BIN_EXE_houmon-server"))
        .env_remove("HOUMON_SERVER_KEY")
        .args(["audit", "--data-dir", data])
        .output()
        .unwrap();
    assert!(!keyless.status.success());
    assert!(String::from_utf8_lossy(&keyless.stderr).contains("--key-file"));
    assert!(!dir.join("server.key").exists());
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_leaver_is_disabled_and_enabled_again_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("houmon-server-bin-staff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    // The command's words, then its data folder, then the rest.
    let run = |command: &[&str], rest: &[&str]| {
        let mut all = command.to_vec();
        all.extend_from_slice(&["--data-dir", data]);
        all.extend_from_slice(rest);
        bin().args(&all).output().unwrap()
    };
    let out =
        run(&["staff", "add"], &["--id", "nurse-9", "--name", "看護師 九", "--role", "nurse"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let disabled = || {
        let mut config = houmon_server::Config::new(dir.clone(), "127.0.0.1:0".parse().unwrap());
        config.key = houmon_server::KeyFrom::Given(std::sync::Arc::new(
            houmon_server::secrets::Secrets::from_master(&[0xab; 32]),
        ));
        let app = houmon_server::open_app(&config, String::new(), None).unwrap();
        let s = app.db.read(|c, _| houmon_server::db::staff::get(c, "nurse-9")).unwrap();
        s.expect("nurse-9").disabled
    };
    assert!(!disabled());
    let out = run(&["staff", "disable"], &["--id", "nurse-9"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nurse-9 disabled"));
    assert!(disabled());
    let out = run(&["staff", "disable"], &["--id", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("登録されていません"));
    let out = run(&["staff", "enable"], &["--id", "nurse-9"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!disabled());
    let audit = run(&["audit"], &[]);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("audit trail intact"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server process, stopped when the test ends (a failed assertion too).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
