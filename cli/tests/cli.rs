// SPDX-License-Identifier: MPL-2.0
//! The `houmon` binary, end to end on the virtual card. The PIN mode JSON is
//! checked with openssl, as a user outside the project would check it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use houmon_core::card::cert::AuthCertificate;
use serde_json::Value;

fn houmon(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_houmon"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("houmon starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("a base64 string")).expect("valid base64")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("houmon-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn openssl_available() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("HOUMON_REQUIRE_TOOLS").is_some() {
        panic!("openssl is required (HOUMON_REQUIRE_TOOLS is set) but not found");
    }
    found
}

#[test]
fn pin_mode_json_carries_a_signature_that_openssl_verifies() {
    let out = houmon(
        &["card", "read", "--reader", "sim", "--mode", "pin", "--pin-stdin", "--json"],
        "1234\n",
    );
    let v = json_of(&out);
    let der = b64(&v["certificate"]["der_base64"]);
    let message = b64(&v["signed_message_base64"]);
    let signature = b64(&v["signature_base64"]);
    assert_eq!(v["pin_tries_before"], 3);
    assert_eq!(signature.len(), 256);
    AuthCertificate::from_der(&der).unwrap().verify_signature(&message, &signature).unwrap();

    if !openssl_available() {
        eprintln!("openssl not found: skipping the openssl half of this test");
        return;
    }
    let d = scratch("openssl");
    std::fs::write(d.join("cert.der"), &der).unwrap();
    std::fs::write(d.join("msg.bin"), &message).unwrap();
    std::fs::write(d.join("sig.bin"), &signature).unwrap();
    let run = |args: &[&str]| Command::new("openssl").args(args).current_dir(&d).output().unwrap();
    let pubkey =
        run(&["x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem"]);
    assert!(pubkey.status.success(), "{}", String::from_utf8_lossy(&pubkey.stderr));
    let ok = run(&["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin"]);
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "Verified OK");
    // A changed message does not verify.
    std::fs::write(d.join("msg.bin"), b"another message").unwrap();
    let bad = run(&["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin"]);
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn visual_mode_json_carries_the_photo_as_png_and_the_face_text() {
    let out = houmon(
        &[
            "card",
            "read",
            "--reader",
            "sim",
            "--mode",
            "visual",
            "--collation-stdin",
            "--json",
            "--short-apdus",
        ],
        "55021720352285\n",
    );
    let v = json_of(&out);
    assert_eq!(&b64(&v["photo"]["png_base64"])[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(v["photo"]["width"], 150);
    assert_eq!(v["face"]["birth_date"], "19800217");
    assert_eq!(v["face"]["card_expiry"], "20350217");
    assert_eq!(v["collation_tries_before"], 10);
}

#[test]
fn card_info_shows_tries_left_and_validity_for_each_variant() {
    for (variant, tries, label) in [
        ("standard", Value::from(3), "standard"),
        ("locked", Value::from(0), "pin-locked"),
        ("face-recognition", Value::Null, "face-recognition-card"),
        ("expired", Value::from(3), "certificate-expired"),
    ] {
        let v = json_of(&houmon(
            &["card", "info", "--reader", "sim", "--variant", variant, "--json"],
            "",
        ));
        assert_eq!(v["pin_tries_left"], tries, "{variant}");
        assert!(v["variant"].as_array().unwrap().contains(&Value::from(label)), "{variant}: {v}");
    }
    let text = houmon(&["card", "info", "--reader", "sim", "--variant", "one-try-left"], "");
    assert!(String::from_utf8_lossy(&text.stdout).contains("1 回"));
}

#[test]
fn a_wrong_pin_fails_with_the_tries_left_in_japanese() {
    let out =
        houmon(&["card", "read", "--reader", "sim", "--mode", "pin", "--pin-stdin"], "9999\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("残り2回"), "{err}");
}

#[test]
fn pin_mode_on_a_face_recognition_card_points_to_visual_mode() {
    let out = houmon(
        &[
            "card",
            "read",
            "--reader",
            "sim",
            "--variant",
            "face-recognition",
            "--mode",
            "pin",
            "--pin-stdin",
        ],
        "1234\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("目視"));
}

#[test]
fn the_pin_cannot_be_given_as_an_argument() {
    let out = houmon(&["card", "read", "--reader", "sim", "--mode", "pin", "--pin", "1234"], "");
    assert_eq!(out.status.code(), Some(2), "clap rejects the unknown flag");
    // Without --pin-stdin and without a terminal, it asks for the flag.
    let out = houmon(&["card", "read", "--reader", "sim", "--mode", "pin"], "1234\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pin-stdin"));
}

#[test]
fn an_unknown_variant_or_reader_is_a_clear_error() {
    let out = houmon(&["card", "info", "--reader", "sim", "--variant", "golden"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("face-recognition"));
    let out = houmon(&["card", "info", "--reader", "nfc"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sim, pcsc"));
    if !cfg!(feature = "pcsc") {
        let out = houmon(&["card", "info", "--reader", "pcsc"], "");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features pcsc"));
    }
}

#[test]
fn the_demo_confirms_every_patient_of_the_round() {
    let out = houmon(&["demo"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("7 件中 7 件で本人確認完了"), "{text}");
    assert!(text.contains("かざし直し"));
}

#[test]
fn assess_prints_guidance_in_japanese_from_flags() {
    let out = houmon(
        &["assess", "--date", "2026-11-25", "--card", "device-or-card-fault", "--age", "40"],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("被保険者資格申立書") && text.contains("3割"), "{text}");
}

#[test]
fn assess_reads_a_json_situation_and_prints_json() {
    let situation = r#"{"date":"2026-08-01","age":40,"history":{"kind":"first-visit"},
        "online_check":"now","documents":[{"kind":"qualification-notice","share_printed":3}]}"#;
    let v = json_of(&houmon(&["assess", "--file", "-", "--json"], situation));
    assert_eq!(v["accepted"], false);
    assert_eq!(v["decision"], "try-first", "the steps before any charge");
    assert_eq!(v["share"]["kind"], "not-yet");
    // The same patient after every step failed: 10割.
    let tried = situation.replace(
        r#""documents""#,
        r#""tried":[{"step":"ask-card","result":"failed"},{"step":"family-brings-document","result":"failed"},{"step":"phone-insurer","result":"failed"}],"documents""#,
    );
    let v2 = json_of(&houmon(&["assess", "--file", "-", "--json"], &tried));
    assert_eq!(
        (v2["decision"].as_str(), v2["share"]["wari"].as_u64()),
        (Some("full-charge"), Some(10))
    );
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["rule_id"] == "provisional-expired-card-or-notice"));
}

#[test]
fn assess_refuses_contradictory_input_with_a_message() {
    let out = houmon(&["assess", "--date", "2026-11-25", "--age", "300"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("130歳"));
    let out = houmon(&["assess", "--insurer-kind", "mutual-aid-x"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("kokuho, employee, kouki"));
    // A JSON error names the field in words.
    let out = houmon(
        &["assess", "--file", "-"],
        r#"{"date":"2026/11/25","history":{"kind":"first-visit"},"online_check":"now"}"#,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("「date」") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    // The inputs of the app are flags too.
    let out = houmon(
        &[
            "assess",
            "--date",
            "2026-11-26",
            "--tried",
            "phone-insurer=confirmed:2",
            "--setting",
            "consultation",
        ],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("保険者への電話で資格を確認")
            && text.contains("2割")
            && text.contains("入院先"),
        "{text}"
    );
}

#[test]
fn assess_answers_bad_flags_in_japanese_with_what_to_fix() {
    let err = |args: &[&str]| {
        let out = houmon(args, "");
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for (args, says) in [
        (
            &["assess", "--insurer-kind", "nhk"][..],
            &["「--insurer-kind」", "「nhk」", "kokuho, employee, kouki"][..],
        ),
        (&["assess", "--date", "2026/11/25"], &["「--date」", "YYYY-MM-DD"]),
        (&["assess", "--age", "八十"], &["「--age」", "数として読めません"]),
        (&["assess", "--online", "maybe"], &["now, later, limited-app, none"]),
        (&["assess", "--tried", "phone-insurer=maybe"], &["failed, confirmed, pending"]),
        (&["assess", "--card-kind", "plain"], &["standard, face-recognition, no-photo"]),
        (
            &["assess", "--cert-expir", "2026-01-01"],
            &["「--cert-expir」という項目はありません", "--cert-expiry"],
        ),
        (&["assess", "--date"], &["「--date」には値が必要です"]),
    ] {
        let e = err(args);
        for s in says {
            assert!(e.contains(s), "{args:?}: expected {s:?} in {e}");
        }
        for english in ["invalid value", "error:", "unexpected argument", "For more information"] {
            assert!(!e.contains(english), "{args:?}: English in {e}");
        }
    }
}

#[test]
fn assess_refuses_flags_that_would_be_ignored() {
    let err = |args: &[&str], stdin: &str| {
        let out = houmon(args, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for (args, flag, with) in [
        (&["assess", "--share-on-file", "3"][..], "--share-on-file", "--return-visit"),
        (&["assess", "--cert-expiry", "2027-01-01"], "--cert-expiry", "--card"),
        (&["assess", "--card-kind", "no-photo"], "--card-kind", "--card"),
        (&["assess", "--smartphone"], "--smartphone", "--card"),
        (
            &["assess", "--kakuninsho-issued", "2024-12-03"],
            "--kakuninsho-issued",
            "--kakuninsho-until",
        ),
        (&["assess", "--share-printed", "3"], "--share-printed", "--kakuninsho-until"),
        (&["assess", "--notice-share-until", "2026-07-31"], "--notice-share-until", "--notice"),
        (&["assess", "--welfare-ticket"], "--welfare-ticket", "--welfare"),
    ] {
        let e = err(args, "");
        assert!(e.contains(flag) && e.contains(with), "{args:?}: {e}");
    }
    let e = err(&["assess", "--file", "-", "--date", "2026-11-26"], "{}");
    assert!(e.contains("--file") && e.contains("--date") && e.contains("JSON の中"), "{e}");
    let e = err(&["assess", "--kakuninsho-until", "2029-11-30"], "");
    assert!(e.contains("--insurer-kind"), "{e}");
    let e = err(&["assess", "--file", "/nonexistent/situation.json"], "");
    assert!(e.contains("ファイルがありません") && !e.contains("No such file"), "{e}");
}

#[test]
fn assess_takes_the_card_kind_the_smartphone_and_the_kakuninsho_issue_date() {
    // A photo-less card is PIN-only: no 目視 offered.
    let out = houmon(
        &[
            "assess",
            "--date",
            "2026-11-26",
            "--card",
            "device-or-card-fault",
            "--card-kind",
            "no-photo",
            "--identity",
            "pin-unavailable:forgotten",
            "--json",
        ],
        "",
    );
    let v = json_of(&out);
    let rules: Vec<&str> =
        v["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(rules.contains(&"photo-less-card-pin-only"), "{rules:?}");
    assert_eq!(v["share"]["kind"], "declared");
    // The smartphone's certificate has no grace.
    let v = json_of(&houmon(
        &[
            "assess",
            "--date",
            "2027-01-01",
            "--card",
            "confirmed",
            "--cert-expiry",
            "2026-12-31",
            "--smartphone",
            "--json",
        ],
        "",
    ));
    assert_eq!(v["renewal"]["kind"], "expired");
    assert_eq!(v["renewal"]["carrier"], "smartphone");
    // A 資格確認書 valid for more than 5 years from its issue date is queried.
    let out = houmon(
        &[
            "assess",
            "--date",
            "2026-11-26",
            "--insurer-kind",
            "employee",
            "--kakuninsho-until",
            "2030-01-01",
            "--kakuninsho-issued",
            "2024-12-03",
        ],
        "",
    );
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("5年"));
}
