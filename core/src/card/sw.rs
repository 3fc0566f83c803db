// SPDX-License-Identifier: MPL-2.0
//! Status words (SW1 SW2) and the ones the product names.
//!
//! Kept apart from the APDU codec and from the errors, which both use it.

/// A status word (SW1 SW2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    pub const OK: StatusWord = StatusWord(0x9000);
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    pub const SECURITY_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    pub const AUTH_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    pub const REFERENCE_DATA_UNUSABLE: StatusWord = StatusWord(0x6984);
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    pub const COMMAND_NOT_ALLOWED: StatusWord = StatusWord(0x6986);
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    pub const INCORRECT_P1P2: StatusWord = StatusWord(0x6A86);
    pub const REFERENCE_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    pub const WRONG_OFFSET: StatusWord = StatusWord(0x6B00);
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);

    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
    /// `63 Cx`: a verification failed or was queried; x tries remain.
    pub fn retries(self) -> Option<u8> {
        (self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0).then_some(self.sw2() & 0x0F)
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_word_reports_retries_only_for_63cx() {
        assert_eq!(StatusWord(0x63C2).retries(), Some(2));
        assert_eq!(StatusWord(0x63C0).retries(), Some(0));
        assert_eq!(StatusWord(0x6300).retries(), None);
        assert_eq!(StatusWord(0x9000).retries(), None);
    }
}
