// SPDX-License-Identifier: MPL-2.0
//! The APDU audit trail shared by the whole test suite.
//!
//! With `HOUMON_APDU_AUDIT_DIR` set, every virtual card appends one line per
//! APDU it receives to `<dir>/<pid>-<n>.log`: the header, the lengths, the
//! application and EF selected, the status word, and the data of SELECTs
//! only (never VERIFY data). Locks and violations get their own lines.
//! `tests/apdu_audit.rs` reads every file after the suite has run and checks,
//! from the commands alone, that nothing reached the 個人番号 and that no
//! card was locked without the patient's confirmation.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable naming the audit directory.
pub const AUDIT_DIR_ENV: &str = "HOUMON_APDU_AUDIT_DIR";

/// A line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEvent {
    Apdu {
        header: [u8; 4],
        lc: usize,
        le: Option<usize>,
        select_data: Option<Vec<u8>>,
        app: Option<&'static str>,
        sw: u16,
    },
    /// A counter reached 0. `declared` is true when the test declared that
    /// the patient confirmed the last try.
    Lock {
        app: &'static str,
        key: u16,
        declared: bool,
    },
    Violation {
        what: String,
    },
}

impl AuditEvent {
    pub fn to_line(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
        match self {
            AuditEvent::Apdu { header, lc, le, select_data, app, sw } => format!(
                "apdu {} lc={} le={} data={} app={} sw={:04X}",
                hex(header),
                lc,
                le.map_or("-".into(), |l| l.to_string()),
                select_data.as_deref().map_or("-".into(), hex),
                app.unwrap_or("-"),
                sw
            ),
            AuditEvent::Lock { app, key, declared } => {
                format!("lock app={app} key={key:04X} declared={declared}")
            }
            AuditEvent::Violation { what } => format!("violation {what}"),
        }
    }
}

pub(crate) struct AuditFile(Option<File>);

impl AuditFile {
    pub fn open() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let Some(dir) = std::env::var_os(AUDIT_DIR_ENV) else {
            return AuditFile(None);
        };
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let name = format!("{}-{}.log", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        AuditFile(OpenOptions::new().create(true).append(true).open(dir.join(name)).ok())
    }

    pub fn none() -> Self {
        AuditFile(None)
    }

    pub fn write(&mut self, e: &AuditEvent) {
        if let Some(f) = self.0.as_mut() {
            let _ = writeln!(f, "{}", e.to_line());
        }
    }
}
