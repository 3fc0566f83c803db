// SPDX-License-Identifier: MPL-2.0
//! The CSV files the server writes for people to open in a spreadsheet
//! (the day export for the レセコン and for checking by hand). A cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula
//! to Excel and LibreOffice — `=HYPERLINK(…)`, `+cmd|…` run when the file
//! is opened — so such a cell is written with a leading `'` (OWASP's
//! CSV-injection rule), which the spreadsheet shows as text. The
//! full-width forms (`＝＋－＠`) are treated the same: Japanese Excel turns
//! them into formulas too. Every CSV the server writes goes through
//! [`Sheet`].

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// `text` as a cell a spreadsheet shows and never runs.
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV being written: a header row, then rows, each cell made safe.
pub struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Sheet {
    /// CRLF line ends (what Excel and the レセコン expect).
    pub fn new(header: &[&str]) -> Sheet {
        let mut sheet = Sheet {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        };
        sheet.row(header.iter().copied());
        sheet
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        // Writing into memory cannot fail.
        let _ = self.writer.write_record(cells.into_iter().map(|c| cell(c).into_owned()));
    }

    /// The text of the whole file.
    pub fn finish(self) -> String {
        let bytes = self.writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_written_as_text_and_others_as_they_are() {
        for bad in ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1", "＠x"]
        {
            assert_eq!(cell(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["山田 花子", "2026-11-25", "06130012", "有効(3割)", "", "a=b", "'quoted"]
        {
            assert_eq!(cell(fine), fine);
        }
        let mut sheet = Sheet::new(&["氏名", "記号"]);
        sheet.row(["=HYPERLINK(\"http://x\",\"y\")", "あ"]);
        assert_eq!(
            sheet.finish(),
            "氏名,記号\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",あ\r\n"
        );
    }
}
