// SPDX-License-Identifier: MPL-2.0
//! The 資格確認端末's file interface (オンライン資格確認 外部インターフェース):
//! the clinic server writes `OQSsiquc01req_<id>.xml` (a 番号-based single
//! query, 照会区分 2) into the terminal's request folder and reads
//! `OQSsiquc01res_<id>.xml` from its result folder. Results are Shift_JIS or
//! UTF-8. The element names come from public implementations of the
//! interface (docs/sync-protocol.md §5 lists them with their confidence);
//! the official specification is distributed to vendors only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use houmon_core::protocol::{CheckOutcome, ConsentFlag, Eligibility, InsuranceNumbers};
use quick_xml::events::Event;

pub const REQUEST_PREFIX: &str = "OQSsiquc01req_";
pub const RESULT_PREFIX: &str = "OQSsiquc01res_";

/// Where the terminal reads requests and writes results.
#[derive(Debug, Clone)]
pub struct OqsDirs {
    pub requests: PathBuf,
    pub results: PathBuf,
}

impl OqsDirs {
    /// `<root>/req` and `<root>/res` (created owner-only if missing).
    pub fn under(root: &Path) -> std::io::Result<OqsDirs> {
        let d = OqsDirs { requests: root.join("req"), results: root.join("res") };
        crate::files::create_private_dir(&d.requests)?;
        crate::files::create_private_dir(&d.results)?;
        Ok(d)
    }

    pub fn request_path(&self, id: &str) -> PathBuf {
        self.requests.join(format!("{REQUEST_PREFIX}{id}.xml"))
    }

    pub fn result_path(&self, id: &str) -> PathBuf {
        self.results.join(format!("{RESULT_PREFIX}{id}.xml"))
    }
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A 番号-based query (照会区分 2) for one patient. `id` is echoed back as
/// `ArbitraryFileIdentifier` and names the files.
pub fn request_xml(id: &str, institution: &str, n: &InsuranceNumbers, birth: NaiveDate) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
<XmlMsg>\n\
  <MessageHeader>\n\
    <MedicalInstitutionCode>{}</MedicalInstitutionCode>\n\
    <ArbitraryFileIdentifier>{}</ArbitraryFileIdentifier>\n\
  </MessageHeader>\n\
  <MessageBody>\n\
    <QualificationConfirmSearchInfo>\n\
      <InsurerNumber>{}</InsurerNumber>\n\
      <InsuredCardSymbol>{}</InsuredCardSymbol>\n\
      <InsuredIdentificationNumber>{}</InsuredIdentificationNumber>\n\
      <InsuredBranchNumber>{}</InsuredBranchNumber>\n\
      <Birthdate>{}</Birthdate>\n\
      <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>\n\
      <ArbitraryIdentifier>{}</ArbitraryIdentifier>\n\
    </QualificationConfirmSearchInfo>\n\
  </MessageBody>\n\
</XmlMsg>\n",
        esc(institution),
        esc(id),
        esc(&n.insurer_number),
        esc(&n.symbol),
        esc(&n.number),
        esc(&n.branch),
        birth.format("%Y%m%d"),
        esc(id),
    )
}

/// Why a result file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable result file: {0}")]
pub struct ParseError(pub String);

/// Decodes a result file (Shift_JIS or UTF-8, per its XML declaration).
pub fn decode(bytes: &[u8]) -> Result<String, ParseError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(100)]).to_ascii_lowercase();
    let sjis = head.contains("shift_jis") || head.contains("shift-jis") || head.contains("sjis");
    if sjis {
        let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
        if had_errors {
            return Err(ParseError("invalid Shift_JIS".into()));
        }
        Ok(text.into_owned())
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|_| ParseError("invalid UTF-8".into()))
    }
}

/// Every leaf element's text, first occurrence of each name.
pub fn leaves(xml: &str) -> Result<HashMap<String, String>, ParseError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = HashMap::new();
    let mut root_seen = false;
    loop {
        match reader.read_event().map_err(|e| ParseError(e.to_string()))? {
            Event::Start(e) => {
                root_seen = true;
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(t) => {
                text.push_str(&t.xml_content().map_err(|e| ParseError(e.to_string()))?)
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::GeneralRef(r) => {
                if let Ok(Some(ch)) = r.resolve_char_ref() {
                    text.push(ch);
                } else {
                    let name = r.decode().map_err(|e| ParseError(e.to_string()))?;
                    text.push(match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(ParseError(format!("unknown entity &{other};"))),
                    });
                }
            }
            Event::End(_) => {
                if let Some(name) = stack.pop() {
                    out.entry(name).or_insert_with(|| text.trim().to_owned());
                }
                text.clear();
            }
            Event::Empty(e) => {
                root_seen = true;
                out.entry(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
                    .or_insert_with(String::new);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen || !stack.is_empty() {
        return Err(ParseError("not a complete XML document".into()));
    }
    Ok(out)
}

/// A parsed result file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedResult {
    pub id: String,
    pub outcome: CheckOutcome,
    /// The insured person the answer is about, when it names them
    /// (保険者番号・記号・番号・枝番).
    pub numbers: Option<InsuranceNumbers>,
}

fn wari(v: Option<&String>) -> Option<u8> {
    // 030 = 3割
    let n: u32 = v?.trim().parse().ok()?;
    (n > 0 && n.is_multiple_of(10) && n <= 100).then_some((n / 10) as u8)
}

/// Parses a result file into the outcome of the check.
pub fn parse_result(bytes: &[u8]) -> Result<ParsedResult, ParseError> {
    let xml = decode(bytes)?;
    let l = leaves(&xml)?;
    let get = |k: &str| l.get(k).filter(|v| !v.is_empty());
    let id = get("ArbitraryFileIdentifier")
        .or_else(|| get("ArbitraryIdentifier"))
        .cloned()
        .ok_or_else(|| ParseError("no ArbitraryFileIdentifier".into()))?;
    let segment = get("SegmentOfResult").map(String::as_str).unwrap_or("1");
    let outcome = match segment {
        "2" => CheckOutcome::Pending,
        "1" => {
            if get("ProcessingResultStatus").map(String::as_str) == Some("2") {
                CheckOutcome::Error {
                    code: get("ProcessingResultCode").cloned().unwrap_or_default(),
                    message: get("ProcessingResultMessage").cloned().unwrap_or_default(),
                }
            } else {
                let code = get("QualificationValidity")
                    .ok_or_else(|| ParseError("no QualificationValidity".into()))?;
                let eligibility = Eligibility::from_code(code)
                    .ok_or_else(|| ParseError(format!("unknown QualificationValidity {code}")))?;
                CheckOutcome::Answered {
                    eligibility,
                    share_wari: wari(get("InsuredPartialContributionRatio")),
                    elderly_share_wari: wari(get("ElderlyRecipientContributionRatio")),
                    limit_category: get("LimitApplicationCertificateClassificationFlag").cloned(),
                    insurer_name: get("InsurerName").cloned(),
                    consent_flags: {
                        let mut f: Vec<ConsentFlag> = l
                            .iter()
                            .filter(|(k, v)| k.ends_with("ConsFlg") && !v.is_empty())
                            .map(|(k, v)| ConsentFlag { name: k.clone(), value: v.clone() })
                            .collect();
                        f.sort_by(|a, b| a.name.cmp(&b.name));
                        f
                    },
                    notice: match (get("ProcessingResultCode"), get("ProcessingResultMessage")) {
                        (None, None) => None,
                        (c, m) => Some(format!(
                            "{} {}",
                            c.map_or("", String::as_str),
                            m.map_or("", String::as_str)
                        ))
                        .map(|s| s.trim().to_owned()),
                    },
                }
            }
        }
        _ => CheckOutcome::Error {
            code: get("ErrorCode").cloned().unwrap_or_else(|| format!("segment-{segment}")),
            message: get("ErrorMessage").cloned().unwrap_or_default(),
        },
    };
    let numbers = match (
        get("InsurerNumber"),
        get("InsuredCardSymbol"),
        get("InsuredIdentificationNumber"),
        get("InsuredBranchNumber"),
    ) {
        (Some(i), Some(s), Some(n), Some(b)) => Some(InsuranceNumbers {
            insurer_number: i.clone(),
            symbol: s.clone(),
            number: n.clone(),
            branch: b.clone(),
        }),
        _ => None,
    };
    Ok(ParsedResult { id, outcome, numbers })
}

/// The request's search keys (read by the simulated terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    pub id: String,
    pub numbers: InsuranceNumbers,
    pub birth_date: String,
}

pub fn parse_request(bytes: &[u8]) -> Result<ParsedRequest, ParseError> {
    let l = leaves(&decode(bytes)?)?;
    let f = |k: &str| l.get(k).cloned().ok_or_else(|| ParseError(format!("no {k}")));
    Ok(ParsedRequest {
        id: f("ArbitraryFileIdentifier")?,
        numbers: InsuranceNumbers {
            insurer_number: f("InsurerNumber")?,
            symbol: f("InsuredCardSymbol")?,
            number: f("InsuredIdentificationNumber")?,
            branch: f("InsuredBranchNumber")?,
        },
        birth_date: f("Birthdate")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers() -> InsuranceNumbers {
        InsuranceNumbers {
            insurer_number: "06130012".into(),
            symbol: "記号<1>".into(),
            number: "123".into(),
            branch: "00".into(),
        }
    }

    #[test]
    fn a_request_round_trips_through_the_parser_with_escaping() {
        let x = request_xml(
            "chk-1",
            "1311111111",
            &numbers(),
            NaiveDate::from_ymd_opt(1940, 1, 2).unwrap(),
        );
        let r = parse_request(x.as_bytes()).unwrap();
        assert_eq!(r.id, "chk-1");
        assert_eq!(r.numbers, numbers());
        assert_eq!(r.birth_date, "19400102");
    }

    fn result(body: &str, encoding: &str) -> Vec<u8> {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\" standalone=\"no\"?>\n<XmlMsg><MessageHeader>\
             <ArbitraryFileIdentifier>chk-9</ArbitraryFileIdentifier>{body}</XmlMsg>"
        );
        if encoding == "Shift_JIS" {
            encoding_rs::SHIFT_JIS.encode(&xml).0.into_owned()
        } else {
            xml.into_bytes()
        }
    }

    #[test]
    fn a_shift_jis_answer_with_every_field_parses() {
        let body = "<SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>\
            <ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>\
            <ResultList><ResultOfQualificationConfirmation><InsurerName>全国健康保険協会</InsurerName>\
            <InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>\
            <ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio>\
            <PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg><DiagnosisInfoConsFlg>2</DiagnosisInfoConsFlg>\
            </ResultOfQualificationConfirmation></ResultList></MessageBody>";
        let r = parse_result(&result(body, "Shift_JIS")).unwrap();
        assert_eq!(r.id, "chk-9");
        assert_eq!(
            r.outcome,
            CheckOutcome::Answered {
                eligibility: Eligibility::Valid,
                share_wari: Some(3),
                elderly_share_wari: Some(2),
                limit_category: None,
                insurer_name: Some("全国健康保険協会".into()),
                notice: None,
                consent_flags: vec![
                    ConsentFlag { name: "DiagnosisInfoConsFlg".into(), value: "2".into() },
                    ConsentFlag { name: "PharmacistsInfoConsFlg".into(), value: "1".into() },
                ],
            }
        );
    }

    #[test]
    fn every_validity_code_and_the_processing_and_error_segments_parse() {
        for (code, e) in [
            ("2", Eligibility::Invalid),
            ("3", Eligibility::InvalidNewQualification),
            ("4", Eligibility::NoRecord),
            ("5", Eligibility::MultipleMatches),
            ("6", Eligibility::ValidUnregistered),
        ] {
            let body = format!(
                "<SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>\
                 <QualificationValidity>{code}</QualificationValidity></MessageBody>"
            );
            match parse_result(&result(&body, "UTF-8")).unwrap().outcome {
                CheckOutcome::Answered { eligibility, .. } => assert_eq!(eligibility, e),
                other => panic!("{other:?}"),
            }
        }
        let pending = "<SegmentOfResult>2</SegmentOfResult></MessageHeader>";
        assert_eq!(parse_result(&result(pending, "UTF-8")).unwrap().outcome, CheckOutcome::Pending);
        let err = "<SegmentOfResult>9</SegmentOfResult><ErrorCode>E001</ErrorCode>\
                   <ErrorMessage>照会に失敗しました</ErrorMessage></MessageHeader>";
        assert_eq!(
            parse_result(&result(err, "UTF-8")).unwrap().outcome,
            CheckOutcome::Error {
                code: "E001".into(), message: "照会に失敗しました".into()
            }
        );
    }

    #[test]
    fn garbage_truncated_and_unknown_codes_are_errors_not_panics() {
        for bad in [
            &b""[..],
            b"not xml at all",
            b"<XmlMsg><MessageHeader>",
            b"\xff\xfe\x00garbage",
            &result("<SegmentOfResult>1</SegmentOfResult></MessageHeader><QualificationValidity>7</QualificationValidity>", "UTF-8"),
            &result("<SegmentOfResult>1</SegmentOfResult></MessageHeader>", "UTF-8"),
        ] {
            assert!(parse_result(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
