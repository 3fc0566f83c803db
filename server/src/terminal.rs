// SPDX-License-Identifier: MPL-2.0
//! A simulated 資格確認端末 for the demo and the tests: it watches the
//! request folder and answers each `OQSsiquc01req_*.xml` from a data set,
//! the way the real terminal's file interface does — including slow
//! answers, 処理中 first, errors, garbage, Shift_JIS, 無効, 該当資格なし and
//! 複数該当. Numbers it does not know are answered 該当資格なし.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::oqs::{parse_request, OqsDirs};

/// How the terminal answers one insured person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalEntry {
    pub insurer_number: String,
    pub symbol: String,
    pub number: String,
    pub branch: String,
    /// 資格有効性 code 1–6.
    #[serde(default = "one")]
    pub validity: String,
    /// 一部負担金割合 as the terminal writes it (`030`).
    #[serde(default)]
    pub share: Option<String>,
    #[serde(default)]
    pub elderly_share: Option<String>,
    #[serde(default)]
    pub insurer_name: Option<String>,
    /// Answer after this long.
    #[serde(default)]
    pub delay_ms: u64,
    /// Answer 処理中 (SegmentOfResult 2) first, then the result.
    #[serde(default)]
    pub processing_first: bool,
    /// Answer 異常終了 with this code and message.
    #[serde(default)]
    pub error: Option<(String, String)>,
    /// Write a file that is not XML.
    #[serde(default)]
    pub garbage: bool,
    #[serde(default)]
    pub shift_jis: bool,
    /// Answer about someone else (other numbers): a mix-up the server must
    /// not put on this patient.
    #[serde(default)]
    pub other_person: bool,
}

fn one() -> String {
    "1".into()
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

/// The result file for an entry (or for an unknown person: 該当資格なし).
pub fn result_file(id: &str, e: Option<&TerminalEntry>, segment: &str) -> Vec<u8> {
    let encoding = if e.is_some_and(|e| e.shift_jis) { "Shift_JIS" } else { "UTF-8" };
    let mut header = format!(
        "<ProcessExecutionTime>{}</ProcessExecutionTime><ArbitraryFileIdentifier>{}</ArbitraryFileIdentifier>\
         <ReferenceClassification>2</ReferenceClassification><SegmentOfResult>{segment}</SegmentOfResult>",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        quick_xml::escape::escape(id)
    );
    let body = match (segment, e) {
        ("2", _) => String::new(),
        (_, Some(TerminalEntry { error: Some((code, msg)), .. })) => {
            header.push_str(&format!(
                "<ErrorCode>{code}</ErrorCode><ErrorMessage>{msg}</ErrorMessage>"
            ));
            String::new()
        }
        (_, Some(e)) => {
            let mut r = String::new();
            let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
            let number = if e.other_person { format!("{}9", e.number) } else { e.number.clone() };
            r.push_str(&format!(
                "<InsurerNumber>{}</InsurerNumber><InsuredCardSymbol>{}</InsuredCardSymbol>\
                 <InsuredIdentificationNumber>{}</InsuredIdentificationNumber><InsuredBranchNumber>{}</InsuredBranchNumber>",
                esc(&e.insurer_number),
                esc(&e.symbol),
                esc(&number),
                esc(&e.branch)
            ));
            if let Some(n) = &e.insurer_name {
                r.push_str(&format!("<InsurerName>{}</InsurerName>", quick_xml::escape::escape(n)));
            }
            if let Some(s) = &e.share {
                r.push_str(&format!(
                    "<InsuredPartialContributionRatio>{s}</InsuredPartialContributionRatio>"
                ));
            }
            if let Some(s) = &e.elderly_share {
                r.push_str(&format!(
                    "<ElderlyRecipientCertificateInfo><ElderlyRecipientContributionRatio>{s}</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo>"
                ));
            }
            format!(
                "<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
                 <QualificationValidity>{}</QualificationValidity><ResultList>\
                 <ResultOfQualificationConfirmation>{r}</ResultOfQualificationConfirmation></ResultList></MessageBody>",
                e.validity
            )
        }
        (_, None) => "<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
                      <QualificationValidity>4</QualificationValidity></MessageBody>"
            .into(),
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\" standalone=\"no\"?>\n<XmlMsg><MessageHeader>{header}</MessageHeader>{body}</XmlMsg>\n"
    );
    if encoding == "Shift_JIS" {
        encoding_rs::SHIFT_JIS.encode(&xml).0.into_owned()
    } else {
        xml.into_bytes()
    }
}

/// Runs the terminal until `stop` is set (call from a thread).
pub fn run(dirs: OqsDirs, data: Vec<TerminalEntry>, stop: Arc<AtomicBool>) {
    let mut due: HashMap<String, (Instant, Option<TerminalEntry>, std::path::PathBuf)> =
        HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(entries) = std::fs::read_dir(&dirs.requests) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|x| x != "xml") {
                    continue;
                }
                let Ok(bytes) = std::fs::read(&path) else { continue };
                let Ok(req) = parse_request(&bytes) else {
                    tracing::warn!(file = %path.display(), "terminal: unreadable request");
                    let _ = std::fs::remove_file(&path);
                    continue;
                };
                if due.contains_key(&req.id) {
                    continue;
                }
                let found = data
                    .iter()
                    .find(|e| {
                        e.insurer_number == req.numbers.insurer_number
                            && e.symbol == req.numbers.symbol
                            && e.number == req.numbers.number
                            && e.branch == req.numbers.branch
                    })
                    .cloned();
                if found.as_ref().is_some_and(|e| e.processing_first) {
                    let _ = write_atomically(
                        &dirs.result_path(&req.id),
                        &result_file(&req.id, found.as_ref(), "2"),
                    );
                }
                let delay = Duration::from_millis(found.as_ref().map_or(0, |e| e.delay_ms));
                due.insert(req.id.clone(), (Instant::now() + delay, found, path));
            }
        }
        let now = Instant::now();
        let ready: Vec<String> =
            due.iter().filter(|(_, (t, _, _))| *t <= now).map(|(k, _)| k.clone()).collect();
        for id in ready {
            let (_, entry, req_path) = due.remove(&id).expect("present");
            let out = dirs.result_path(&id);
            // A 処理中 answer must have been picked up first.
            if entry.as_ref().is_some_and(|e| e.processing_first) && out.exists() {
                due.insert(id, (now + Duration::from_millis(20), entry, req_path));
                continue;
            }
            let bytes = if entry.as_ref().is_some_and(|e| e.garbage) {
                b"\x00\x01 this is not a result file".to_vec()
            } else {
                let segment =
                    if entry.as_ref().is_some_and(|e| e.error.is_some()) { "9" } else { "1" };
                result_file(&id, entry.as_ref(), segment)
            };
            let _ = write_atomically(&out, &bytes);
            let _ = std::fs::remove_file(req_path);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oqs::parse_result;
    use houmon_core::protocol::{CheckOutcome, Eligibility};

    #[test]
    fn an_unknown_person_is_answered_no_record() {
        let r = parse_result(&result_file("x", None, "1")).unwrap();
        assert!(matches!(
            r.outcome,
            CheckOutcome::Answered { eligibility: Eligibility::NoRecord, .. }
        ));
    }
}
