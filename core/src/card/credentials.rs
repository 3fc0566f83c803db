// SPDX-License-Identifier: MPL-2.0
//! The secrets a patient types: the 利用者証明用 PIN and 照合番号B.
//!
//! Both are checked for shape before anything is sent (a malformed PIN would
//! cost a try), live in zeroizing buffers, and print as `[redacted]`.

use zeroize::Zeroizing;

use crate::card::error::{CardError, Result, Secret};

/// The 4-digit 利用者証明用 PIN. Wiped from memory when dropped.
pub struct Pin(Zeroizing<Vec<u8>>);

impl Pin {
    /// Accepts exactly four ASCII digits (surrounding whitespace is trimmed,
    /// so a line read from standard input works).
    pub fn new(typed: &str) -> Result<Self> {
        let t = typed.trim();
        let bad = |reason| CardError::BadSecretFormat { secret: Secret::AuthPin, reason };
        if t.len() != 4 {
            return Err(bad("not 4 characters"));
        }
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not all digits"));
        }
        Ok(Pin(Zeroizing::new(t.as_bytes().to_vec())))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

/// 照合番号B: 生年月日 YYMMDD as printed on the card (和暦 era year for
/// Japanese nationals) + the card's expiry year (西暦 YYYY) + the 4-digit
/// セキュリティコード, 14 ASCII digits in all.
pub struct CollationB(Zeroizing<Vec<u8>>);

impl CollationB {
    /// From the three printed fields.
    pub fn from_parts(birth_yymmdd: &str, expiry_year: &str, security_code: &str) -> Result<Self> {
        Self::new(&format!("{}{}{}", birth_yymmdd.trim(), expiry_year.trim(), security_code.trim()))
    }

    /// From the 14 digits typed in one go.
    pub fn new(typed: &str) -> Result<Self> {
        let t = Zeroizing::new(typed.trim().to_owned());
        let bad = |reason| CardError::BadSecretFormat { secret: Secret::CollationB, reason };
        if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not 14 digits"));
        }
        let b = t.as_bytes();
        let num = |r: std::ops::Range<usize>| -> u32 {
            b[r].iter().fold(0, |acc, d| acc * 10 + (d - b'0') as u32)
        };
        let (month, day, year) = (num(2..4), num(4..6), num(6..10));
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad("birth date is not MMDD"));
        }
        if !(2015..=2100).contains(&year) {
            return Err(bad("expiry year out of range"));
        }
        Ok(CollationB(Zeroizing::new(b.to_vec())))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for CollationB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CollationB([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_accepts_four_digits_only_and_never_prints() {
        assert!(Pin::new("1234\n").is_ok());
        for bad in ["123", "12345", "12a4", "", "１２３４"] {
            assert!(Pin::new(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", Pin::new("1234").unwrap()), "Pin([redacted])");
    }

    #[test]
    fn collation_b_is_birth_expiry_year_and_code() {
        // The reference's worked example: 昭和55年2月17日, expiry 2035, code 2285.
        let c = CollationB::from_parts("550217", "2035", "2285").unwrap();
        assert_eq!(c.as_bytes(), b"55021720352285");
        assert!(!format!("{c:?}").contains("5502"));
        for bad in [
            "5502172035228",
            "551317203522850",
            "55131720352285",
            "55023220352285",
            "55021719992285",
        ] {
            assert!(CollationB::new(bad).is_err(), "{bad}");
        }
    }
}
