// SPDX-License-Identifier: MPL-2.0
//! The eligibility worker: one pass every poll interval.
//!
//! 1. Queued checks → request files for the 資格確認端末 (written atomically),
//!    then marked sent.
//! 2. Answer files are read **outside any database lock**, each checked
//!    before it is believed: a regular file (not a FIFO, a device or a
//!    link), at most [`MAX_ANSWER_BYTES`], readable XML in Shift_JIS or
//!    UTF-8, its `ArbitraryFileIdentifier` the id its name says, that id an
//!    open check, and — where the answer names the insured person — the
//!    same numbers the check asked about. Then the result is written in one
//!    transaction, and only then is the file removed. Anything else is moved
//!    to `rejected/` beside the result folder and logged, so it can be looked
//!    at and never lands on a patient.
//! 3. Checks the terminal has not answered in time get an error result.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Utc;
use houmon_core::protocol::CheckOutcome;

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::eligibility::{self, OpenCheck};
use crate::db::DbResult;
use crate::oqs::{self, RESULT_PREFIX};

/// A real answer is a few KB; anything far larger is not one.
pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// Why an answer file was not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    NotARegularFile,
    TooLarge(u64),
    Unreadable(String),
    IdMismatch { named: String, inside: String },
    UnknownCheck(String),
    OtherPerson,
}

impl Rejected {
    /// What the phone and the clinic see for a check whose answer was not
    /// believed. Never a status: the staff ask again.
    fn outcome(&self) -> CheckOutcome {
        let (code, message) = match self {
            Rejected::IdMismatch { .. } | Rejected::OtherPerson => {
                ("mismatch", "資格確認端末の応答が別の照会のものでした。もう一度確認してください。")
            }
            _ => ("unreadable", "資格確認端末の応答を読めませんでした。もう一度確認してください。"),
        };
        CheckOutcome::Error { code: code.into(), message: message.into() }
    }
}

/// One pass. Errors are logged; the next pass tries again.
pub fn pass(app: &App) {
    if let Err(e) = send_queued(app) {
        tracing::error!(error = %e, "eligibility worker: sending");
    }
    if let Err(e) = read_answers(app) {
        tracing::error!(error = %e, "eligibility worker: answers");
    }
    if let Err(e) = time_out(app) {
        tracing::error!(error = %e, "eligibility worker: time-outs");
    }
}

fn open_checks(app: &App) -> DbResult<Vec<OpenCheck>> {
    app.db.read(eligibility::open_checks)
}

fn send_queued(app: &App) -> DbResult<()> {
    for check in open_checks(app)?.into_iter().filter(|c| !c.sent) {
        let xml =
            oqs::request_xml(&check.id, &app.institution_code, &check.numbers, check.birth_date);
        let path = app.oqs.request_path(&check.id);
        // Owner-only: the request carries the patient's numbers and birth date.
        let written = crate::files::replace_private(&path, xml.as_bytes());
        match written {
            Ok(()) => app.db.write(|tx, _| eligibility::mark_sent(tx, &check.id, Utc::now()))?,
            Err(e) => tracing::warn!(check = ?check.id, error = %e, "request file not written"),
        }
    }
    Ok(())
}

/// Reads one answer file without trusting it: type and size first.
fn read_file(path: &Path) -> Result<Vec<u8>, Rejected> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Rejected::Unreadable(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(Rejected::NotARegularFile);
    }
    if meta.len() > MAX_ANSWER_BYTES {
        return Err(Rejected::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ANSWER_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Rejected::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_ANSWER_BYTES {
        return Err(Rejected::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

fn reject(app: &App, path: &Path, why: &Rejected) {
    // Audited first: once the file is gone from the result folder, the
    // trail already says why.
    tracing::warn!(file = ?path, reason = ?why, "terminal answer rejected");
    let entry = Entry::new(Actor::System, "eligibility.answer", "rejected")
        .target(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .detail(format!("{why:?}"));
    let _ = app.db.write(|tx, s| audit::append(tx, s, &entry, Utc::now()));
    let dir = app.oqs.results.with_file_name("rejected");
    let moved = crate::files::create_private_dir(&dir).and_then(|_| {
        let name = path.file_name().map(PathBuf::from).unwrap_or_else(|| "answer".into());
        let kept = dir.join(format!("{}-{}", Utc::now().format("%Y%m%d%H%M%S%f"), name.display()));
        std::fs::rename(path, &kept)?;
        // An answer holds personal data: kept owner-only.
        let _ = crate::files::tighten_tree(&kept);
        Ok(())
    });
    if moved.is_err() {
        let _ = std::fs::remove_file(path);
    }
}

fn read_answers(app: &App) -> DbResult<()> {
    let Ok(dir) = std::fs::read_dir(&app.oqs.results) else { return Ok(()) };
    let files: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
    if files.is_empty() {
        return Ok(());
    }
    let open = open_checks(app)?;
    for path in files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        // Files being written (.tmp) are the terminal's business.
        let Some(named) = name.strip_prefix(RESULT_PREFIX).and_then(|n| n.strip_suffix(".xml"))
        else {
            if !name.ends_with(".tmp") {
                reject(app, &path, &Rejected::Unreadable("not an answer file name".into()));
            }
            continue;
        };
        let named = named.to_owned();
        let checked = read_file(&path).and_then(|bytes| {
            let parsed =
                oqs::parse_result(&bytes).map_err(|e| Rejected::Unreadable(e.to_string()))?;
            if parsed.id != named {
                return Err(Rejected::IdMismatch { named: named.clone(), inside: parsed.id });
            }
            let check = open
                .iter()
                .find(|c| c.id == named && c.sent)
                .ok_or_else(|| Rejected::UnknownCheck(named.clone()))?;
            if parsed.numbers.as_ref().is_some_and(|n| *n != check.numbers) {
                return Err(Rejected::OtherPerson);
            }
            Ok((check.clone(), parsed.outcome, bytes))
        });
        match checked {
            Err(why) => {
                reject(app, &path, &why);
                // The terminal did answer this check, but not with something
                // we believe: the phone hears it now instead of at the time-out.
                if let Some(check) = open.iter().find(|c| c.id == named && c.sent) {
                    let outcome = why.outcome();
                    let now = Utc::now();
                    app.db.write(|tx, s| {
                        eligibility::answer(tx, s, check, &outcome, None, now).map(|_| ())
                    })?;
                }
            }
            // 処理中: the terminal will write the answer; take this one away.
            Ok((_, CheckOutcome::Pending, _)) => {
                let _ = std::fs::remove_file(&path);
            }
            Ok((check, outcome, raw)) => {
                let now = Utc::now();
                app.db.write(|tx, s| {
                    eligibility::answer(tx, s, &check, &outcome, Some(&raw), now)?;
                    let entry = Entry::new(Actor::System, "eligibility.answer", "ok")
                        .target(&check.id)
                        .detail(format!("patient={}", check.patient_id));
                    audit::append(tx, s, &entry, now)
                })?;
                // Only after the result is durable.
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(())
}

fn time_out(app: &App) -> DbResult<()> {
    let now = Utc::now();
    let limit = chrono::Duration::from_std(app.check_timeout).unwrap_or_default();
    for check in open_checks(app)?.into_iter().filter(|c| c.sent) {
        if check.sent_at.is_some_and(|t| now - t > limit) {
            let _ = std::fs::remove_file(app.oqs.request_path(&check.id));
            let outcome = CheckOutcome::Error {
                code: "timeout".into(),
                message: "資格確認端末から応答がありません。端末の状態を確認してください。".into(),
            };
            app.db.write(|tx, s| {
                eligibility::answer(tx, s, &check, &outcome, None, now).map(|_| ())
            })?;
        }
    }
    Ok(())
}
