// SPDX-License-Identifier: MPL-2.0
//! The whole-suite audit: after every other test has run (scripts/test.sh
//! runs this last), read every APDU that reached any virtual card — from
//! the Rust tests, the CLI tests and the PC/SC interop test with OpenSC —
//! and prove from the commands alone that:
//!
//! 1. nothing selected the 券面事項入力補助AP or the 住基AP;
//! 2. inside the 券面AP nothing selected, read or verified the 個人番号
//!    image (EF 0005) or 照合番号A (0013);
//! 3. no counter reached 0 unless the test declared the patient's
//!    confirmation;
//! 4. the virtual card recorded no violation.
//!
//! The checker is tested on synthetic bad logs so that it can fail.

use std::path::PathBuf;

const FORBIDDEN_AIDS: [&str; 2] = [
    "D3921000310001010408", // 券面事項入力補助AP (holds the 個人番号 as text)
    "D3921000310001010401", // 住基AP
];
const FORBIDDEN_KENMEN: [u8; 2] = [0x05, 0x13]; // 個人番号 image, 照合番号A

/// Returns one message per offending line.
fn check(lines: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, line) in lines.lines().enumerate() {
        let mut bad = |why: &str| problems.push(format!("line {}: {why}: {line}", i + 1));
        if line.starts_with("violation") {
            bad("the virtual card recorded a violation");
            continue;
        }
        if line.starts_with("lock") {
            if !line.contains("declared=true") {
                bad("a counter was locked without the patient's confirmation");
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("apdu ") else {
            if !line.trim().is_empty() {
                bad("unreadable audit line");
            }
            continue;
        };
        let field = |name: &str| {
            rest.split_whitespace()
                .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        };
        let header = rest.split_whitespace().next().unwrap_or_default();
        let byte = |k: usize| {
            u8::from_str_radix(header.get(2 * k..2 * k + 2).unwrap_or("00"), 16).unwrap_or(0)
        };
        let (ins, p1, p2) = (byte(1), byte(2), byte(3));
        let data = field("data").unwrap_or("-");
        let in_kenmen = field("app") == Some("KENMEN");
        if ins == 0xA4
            && p1 == 0x04
            && FORBIDDEN_AIDS.iter().any(|aid| data.len() >= 2 && aid.starts_with(data))
        {
            bad("SELECT of a forbidden application");
        }
        if in_kenmen {
            let touches = |id: u8| FORBIDDEN_KENMEN.contains(&id);
            let selected_ef = (ins == 0xA4 && p1 == 0x02 && data.len() == 4)
                .then(|| u8::from_str_radix(&data[2..], 16).unwrap_or(0))
                .filter(|_| data.starts_with("00"));
            if selected_ef.is_some_and(touches) {
                bad("SELECT of the 個人番号 image or 照合番号A");
            }
            if ins == 0xB0 && p1 & 0x80 != 0 && touches(p1 & 0x1F) {
                bad("READ BINARY of the 個人番号 image or 照合番号A");
            }
            if ins == 0x20 && p2 & 0x80 != 0 && touches(p2 & 0x1F) {
                bad("VERIFY of 照合番号A");
            }
        }
    }
    problems
}

#[test]
#[ignore = "run after the whole suite: scripts/test.sh"]
fn no_command_in_the_whole_suite_reached_the_individual_number_or_locked_a_card_unasked() {
    let dir = PathBuf::from(
        std::env::var_os("HOUMON_APDU_AUDIT_DIR")
            .expect("HOUMON_APDU_AUDIT_DIR must name the audit directory"),
    );
    let mut files = 0;
    let mut apdus = 0;
    let mut locks = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the audit directory exists (run the suite first)")
    {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        files += 1;
        apdus += text.lines().filter(|l| l.starts_with("apdu")).count();
        locks += text.lines().filter(|l| l.starts_with("lock")).count();
        problems.extend(check(&text).into_iter().map(|p| format!("{}: {p}", path.display())));
    }
    println!("audited {apdus} APDUs on {files} virtual cards; {locks} confirmed lock(s)");
    assert!(
        files >= 50 && apdus >= 1000,
        "too little was audited ({files} cards, {apdus} APDUs): did the suite run?"
    );
    assert!(locks >= 1, "the confirmed-lock test should have left a declared lock");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_accepts_the_commands_the_product_sends() {
    let good = "apdu 00A4040C lc=10 le=- data=D392F000260100000001 app=JPKI sw=9000\n\
                apdu 00B08A00 lc=0 le=256 data=- app=JPKI sw=9000\n\
                apdu 00A4040C lc=10 le=- data=D3921000310001010402 app=KENMEN sw=9000\n\
                apdu 00A4020C lc=2 le=- data=0012 app=KENMEN sw=9000\n\
                apdu 00200080 lc=14 le=- data=- app=KENMEN sw=9000\n\
                apdu 00B08200 lc=0 le=256 data=- app=KENMEN sw=9000\n\
                lock app=JPKI key=0018 declared=true\n";
    assert_eq!(check(good), Vec::<String>::new());
}

#[test]
fn the_checker_catches_every_way_to_the_individual_number() {
    for bad in [
        "apdu 00A4040C lc=10 le=- data=D3921000310001010408 app=- sw=9000",
        "apdu 00A4040C lc=7 le=- data=D3921000310001 app=- sw=9000",
        "apdu 00A4040C lc=10 le=- data=D3921000310001010401 app=- sw=9000",
        "apdu 00A4020C lc=2 le=- data=0005 app=KENMEN sw=9000",
        "apdu 00A4020C lc=2 le=- data=0013 app=KENMEN sw=9000",
        "apdu 00B08500 lc=0 le=256 data=- app=KENMEN sw=9000",
        "apdu 00200093 lc=0 le=- data=- app=KENMEN sw=63CA",
        "lock app=JPKI key=0018 declared=false",
        "violation SELECT of the 券面事項入力補助AP or the 住基AP",
        "garbage",
    ] {
        assert_eq!(check(bad).len(), 1, "not caught: {bad}");
    }
}
