// SPDX-License-Identifier: MPL-2.0
//! Reading a situation from JSON (`houmon assess --file`): an error names
//! the field and says what is wrong in words, not in a parser's terms.

use super::Situation;
use crate::reception::ReceptionError;

impl Situation {
    /// Parses a situation; unknown fields and values are errors that name
    /// the field (`documents[1].insurer_kind`) and the problem.
    pub fn from_json(json: &str) -> Result<Situation, ReceptionError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ReceptionError::InvalidInput { field: "json", reason: explain(&path, &inner) }
        })
    }
}

/// The parser's message in the words staff and integrators read.
fn explain(path: &str, e: &serde_json::Error) -> String {
    let where_ = if path.is_empty() || path == "." {
        "入力全体".to_owned()
    } else {
        format!("「{path}」")
    };
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or_default().to_owned();
    let expected = |m: &str| {
        m.split("expected ")
            .nth(1)
            .map(|x| x.replace('`', "").replace("one of ", "").replace(" or ", ", "))
            .unwrap_or_default()
    };
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("JSONの書き方が正しくありません({}行目{}文字目付近)", e.line(), e.column())
        }
        _ if msg.starts_with("missing field") => {
            format!("{where_}に必要な項目「{}」がありません", quoted(&msg))
        }
        _ if msg.starts_with("unknown field") => {
            format!(
                "{where_}の項目「{}」は使えません(使える項目: {})",
                quoted(&msg),
                expected(&msg)
            )
        }
        _ if msg.starts_with("unknown variant") => {
            format!("{where_}の値「{}」は使えません(使える値: {})", quoted(&msg), expected(&msg))
        }
        _ if msg.starts_with("invalid type") || msg.starts_with("invalid value") => {
            format!("{where_}の値の形式が違います(必要な形式: {})", expected(&msg))
        }
        _ if msg.starts_with("input contains invalid characters")
            || msg.contains("premature end") =>
        {
            format!("{where_}の日付は YYYY-MM-DD で書いてください")
        }
        _ => format!("{where_}: {msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(json: &str) -> String {
        match Situation::from_json(json) {
            Err(ReceptionError::InvalidInput { reason, .. }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field_and_the_problem_in_words() {
        let base = r#""history":{"kind":"first-visit"},"online_check":"now""#;
        let r = reason(&format!(r#"{{{base}}}"#));
        assert!(r.contains("「date」") && r.contains("ありません"), "{r}");
        let r = reason(&format!(
            r#"{{"date":"2026-11-25",{base},"documents":[{{"kind":"portal-screen"}},{{"kind":"health-insurance-card","insurer_kind":"mutual"}}]}}"#
        ));
        // (Inside a tagged document the path ends at the document.)
        assert!(
            r.contains("documents[1]")
                && r.contains("「mutual」")
                && r.contains("kokuho, employee, kouki"),
            "{r}"
        );
        let r = reason(&format!(r#"{{"date":"2026-11-25",{base},"pin":"1234"}}"#));
        assert!(r.contains("「pin」は使えません"), "{r}");
        let r = reason(&format!(r#"{{"date":"2026/11/25",{base}}}"#));
        assert!(r.contains("「date」") && r.contains("YYYY-MM-DD"), "{r}");
        let r = reason(r#"{"date": "2026-11-25","#);
        assert!(r.contains("JSONの書き方"), "{r}");
        let r = reason(&format!(r#"{{"date":"2026-11-25",{base},"age":"八十"}}"#));
        assert!(r.contains("「age」") && r.contains("形式"), "{r}");
    }
}
