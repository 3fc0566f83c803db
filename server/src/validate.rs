// SPDX-License-Identifier: MPL-2.0
//! What ids and names may look like. Everything from outside is checked
//! here before it reaches the database or a log line.

/// Record ids, device ids, patient ids, staff ids: 1–64 characters of
/// `A–Z a–z 0–9 - _ .`, starting with a letter or a digit.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A device or staff name: 1–64 characters, no control characters, no
/// leading or trailing blanks.
pub fn is_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=64).contains(&n) && !s.chars().any(char::is_control) && s.trim() == s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_refuse_paths_control_characters_and_lengths() {
        assert!(is_id("v-0123abcd") && is_id("p0") && is_id("device.3_a"));
        for bad in
            ["", "../../etc/passwd", "a/b", "v\u{0}", "x\ny", "-lead", &"a".repeat(65), "v%0A"]
        {
            assert!(!is_id(bad), "{bad:?}");
        }
        assert!(is_name("訪問用スマートフォン 1"));
        for bad in ["", " x", "x\n", "a\u{7}", &"名".repeat(65)] {
            assert!(!is_name(bad), "{bad:?}");
        }
    }
}
