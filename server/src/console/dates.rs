// SPDX-License-Identifier: MPL-2.0
//! Dates and numbers as staff type them or a レセコン writes them: the
//! western calendar (`1940-04-01`, `1940/4/1`, `19400401`, `1940年4月1日`)
//! or the Japanese one (`昭和15年4月1日`, `S15.4.1`, `令和元年5月1日`), in
//! half- or full-width digits. A date that does not exist is refused in
//! words that say so (「1940-02-30 は存在しない日付です」), not as a format
//! error.

use chrono::{Datelike, NaiveDate};

/// Full-width ASCII (`０-９`, `Ａ-Ｚ`, `－`, `／`, `．`, the ideographic
/// space) as half-width; everything else as it is.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            'ー' | '−' | '‐' | '―' => '-',
            _ => c,
        })
        .collect()
}

/// A number staff typed (`１５`, ` 15 `) as its digits, or `None`.
pub fn digits(s: &str) -> Option<String> {
    let t = half_width(s).trim().to_owned();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then_some(t)
}

/// A day as (year, month, day).
type Ymd = (i32, u32, u32);

/// An era: its names, its first day and (but for the present one) its last.
const ERAS: &[(&[&str], Ymd, Option<Ymd>)] = &[
    (&["令和", "R"], (2019, 5, 1), None),
    (&["平成", "H"], (1989, 1, 8), Some((2019, 4, 30))),
    (&["昭和", "S"], (1926, 12, 25), Some((1989, 1, 7))),
    (&["大正", "T"], (1912, 7, 30), Some((1926, 12, 24))),
    (&["明治", "M"], (1868, 1, 25), Some((1912, 7, 29))),
];

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Why a date was not read, for the person who typed it.
fn not_a_date(text: &str) -> String {
    format!("「{text}」は日付として読めません。1940-04-01 や 昭和15年4月1日 のように書いてください")
}

/// Year, month and day from `text` after the era (or the western year).
fn numbers(rest: &str) -> Option<(i64, u32, u32)> {
    let rest = rest.trim();
    // 1940年4月1日 / 15年4月1日
    let cleaned: String = rest
        .replace('元', "1")
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' | '-' | ' ' => ' ',
            '日' => ' ',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = cleaned.split_whitespace().collect();
    match parts.as_slice() {
        [y, m, d] => Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)),
        // 19400401 / 150401 after an era
        [one] if one.len() == 8 && one.bytes().all(|b| b.is_ascii_digit()) => {
            Some((one[..4].parse().ok()?, one[4..6].parse().ok()?, one[6..].parse().ok()?))
        }
        _ => None,
    }
}

/// A date as staff or a レセコン write it. The error says what to do, in
/// Japanese.
pub fn parse(text: &str) -> Result<NaiveDate, String> {
    let original = text.trim();
    let t = half_width(original);
    let t = t.trim();
    if t.is_empty() {
        return Err("日付を入力してください".into());
    }
    for (names, start, end) in ERAS {
        let Some(rest) = names.iter().find_map(|n| t.strip_prefix(n)) else { continue };
        let (y, m, d) = numbers(rest).ok_or_else(|| not_a_date(original))?;
        let era = names[0];
        if !(1..=99).contains(&y) {
            return Err(format!("{era}{y}年 はありません"));
        }
        let year = start.0 + y as i32 - 1;
        let Some(date) = NaiveDate::from_ymd_opt(year, m, d) else {
            return Err(format!("{era}{y}年{m}月{d}日 は存在しない日付です"));
        };
        let first = ymd(start.0, start.1, start.2);
        if date < first {
            return Err(format!("{era}は{}年{}月{}日からです", first.year(), start.1, start.2));
        }
        if let Some((ey, em, ed)) = end {
            let last = ymd(*ey, *em, *ed);
            if date > last {
                let last_y = ey - start.0 + 1;
                return Err(format!(
                    "{era}は{last_y}年{em}月{ed}日までです({era}{y}年 はありません)"
                ));
            }
        }
        return Ok(date);
    }
    let (y, m, d) = numbers(t).ok_or_else(|| not_a_date(original))?;
    if !(1868..=2200).contains(&y) {
        return Err(not_a_date(original));
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
        .ok_or_else(|| format!("{y:04}-{m:02}-{d:02} は存在しない日付です"))
}

/// A `?day=` or a form's day: empty is `None` (the caller's default).
pub fn parse_day(text: Option<&str>) -> Result<Option<NaiveDate>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse(t).map(Some),
    }
}

/// A person's age on `day`.
pub fn age(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut a = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn western_japanese_and_full_width_dates_are_read() {
        for (text, want) in [
            ("1940-04-01", d(1940, 4, 1)),
            ("1940/4/1", d(1940, 4, 1)),
            ("19400401", d(1940, 4, 1)),
            ("１９４０年４月１日", d(1940, 4, 1)),
            ("昭和15年4月1日", d(1940, 4, 1)),
            ("昭和１５年４月１日", d(1940, 4, 1)),
            ("S15.4.1", d(1940, 4, 1)),
            ("Ｓ１５．４．１", d(1940, 4, 1)),
            ("平成元年1月8日", d(1989, 1, 8)),
            ("令和元年5月1日", d(2019, 5, 1)),
            ("令和8年11月25日", d(2026, 11, 25)),
            ("大正15年12月24日", d(1926, 12, 24)),
        ] {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn a_date_that_does_not_exist_is_named_as_such() {
        assert_eq!(parse("1940-02-30").unwrap_err(), "1940-02-30 は存在しない日付です");
        assert_eq!(parse("1941/13/01").unwrap_err(), "1941-13-01 は存在しない日付です");
        assert!(parse("昭和15年2月30日").unwrap_err().contains("存在しない日付"));
        assert!(parse("平成32年1月1日").unwrap_err().contains("平成は31年4月30日まで"));
        assert!(parse("令和元年4月1日").unwrap_err().contains("令和は2019年5月1日から"));
        assert!(parse("きのう").unwrap_err().contains("日付として読めません"));
        assert!(parse("").is_err());
    }

    #[test]
    fn numbers_and_ages() {
        assert_eq!(digits("０６１３００１２").as_deref(), Some("06130012"));
        assert_eq!(digits(" 15 ").as_deref(), Some("15"));
        assert_eq!(digits("1a"), None);
        assert_eq!(age(d(1940, 4, 1), d(2026, 3, 31)), 85);
        assert_eq!(age(d(1940, 4, 1), d(2026, 4, 1)), 86);
    }
}
