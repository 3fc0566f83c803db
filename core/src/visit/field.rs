// SPDX-License-Identifier: MPL-2.0
//! Field timing: how the card read went on this phone, kept with the
//! visit's record so that the clinic learns which phones read cards well.
//! No personal data: the phone's model and OS, what its NFC stack carries,
//! and counts and milliseconds.

use serde::{Deserialize, Serialize};

/// The longest text a phone may put in a model or OS name.
pub const MAX_NAME: usize = 64;
/// Phases a read reports (`progress::ReadPhase`); more is malformed.
pub const MAX_PHASES: usize = 8;

/// One phase of the read that went through, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseTime {
    /// `progress::ReadPhase::name` (`reading-certificate`, `signing`, …).
    pub phase: String,
    pub ms: u32,
}

/// How the reads of one visit went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadTiming {
    /// 「Pixel 8」, 「iPhone15,2」: the phone's model as its OS names it.
    pub phone_model: String,
    /// 「Android 15」, 「iOS 18.1」.
    pub os: String,
    pub extended_length: bool,
    pub max_command: u32,
    pub max_response: u32,
    /// Card reads started in this visit (a tag lost and held again is two).
    pub reads: u32,
    /// Reads that ended because the card left the field (or timed out).
    pub tag_losses: u32,
    /// Of the read that went through: APDUs, bytes each way, time.
    pub apdus: u32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub total_ms: u32,
    pub phases: Vec<PhaseTime>,
}

impl ReadTiming {
    /// Whether a server should keep it as is (bounded text, sane numbers).
    pub fn is_plausible(&self) -> bool {
        let name_ok = |s: &str| {
            !s.is_empty() && s.chars().count() <= MAX_NAME && !s.chars().any(char::is_control)
        };
        const TEN_MINUTES: u32 = 600_000;
        name_ok(&self.phone_model)
            && name_ok(&self.os)
            && self.phases.len() <= MAX_PHASES
            && self.phases.iter().all(|p| p.ms <= TEN_MINUTES && name_ok(&p.phase))
            && self.total_ms <= TEN_MINUTES
            && self.tag_losses <= self.reads
            && self.reads <= 1_000
            && self.apdus <= 10_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReadTiming {
        ReadTiming {
            phone_model: "Pixel 8".into(),
            os: "Android 15".into(),
            extended_length: true,
            max_command: 65_544,
            max_response: 65_538,
            reads: 2,
            tag_losses: 1,
            apdus: 6,
            bytes_out: 400,
            bytes_in: 2_400,
            total_ms: 1_850,
            phases: vec![PhaseTime { phase: "signing".into(), ms: 900 }],
        }
    }

    #[test]
    fn a_phones_timing_is_plausible_and_nonsense_is_not() {
        assert!(sample().is_plausible());
        assert!(!ReadTiming { phone_model: String::new(), ..sample() }.is_plausible());
        assert!(!ReadTiming { os: "x".repeat(65), ..sample() }.is_plausible());
        assert!(!ReadTiming { phone_model: "a\u{7}".into(), ..sample() }.is_plausible());
        assert!(!ReadTiming { tag_losses: 3, ..sample() }.is_plausible());
        assert!(!ReadTiming { total_ms: 700_000, ..sample() }.is_plausible());
        // Each bound on its own, at the edge and one past it.
        assert!(ReadTiming { total_ms: 600_000, ..sample() }.is_plausible());
        assert!(ReadTiming { reads: 1_000, tag_losses: 1_000, ..sample() }.is_plausible());
        assert!(!ReadTiming { reads: 1_001, tag_losses: 0, ..sample() }.is_plausible());
        assert!(ReadTiming { apdus: 10_000, ..sample() }.is_plausible());
        assert!(!ReadTiming { apdus: 10_001, ..sample() }.is_plausible());
        assert!(!ReadTiming { os: String::new(), ..sample() }.is_plausible());
        let phase = |phase: &str, ms| PhaseTime { phase: phase.into(), ms };
        assert!(ReadTiming { phases: vec![phase("signing", 600_000)], ..sample() }.is_plausible());
        assert!(!ReadTiming { phases: vec![phase("signing", 600_001)], ..sample() }.is_plausible());
        assert!(!ReadTiming { phases: vec![phase("", 5)], ..sample() }.is_plausible());
        let many = vec![phase("signing", 1); MAX_PHASES + 1];
        assert!(!ReadTiming { phases: many, ..sample() }.is_plausible());
        let most = vec![phase("signing", 1); MAX_PHASES];
        assert!(ReadTiming { phases: most, ..sample() }.is_plausible());
    }
}
