// SPDX-License-Identifier: MPL-2.0
//! Fault injection. APDUs are numbered from 0 in the order the card receives
//! them (since the card was made or last re-inserted). Each fault fires
//! once: a card pulled away and held again reads normally.

use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// APDU number N is carried out by the card (a VERIFY counts!) but its
    /// answer never arrives: the card left the field. Every later APDU fails
    /// with `TagLost` until [`crate::VirtualCard::reinsert`].
    pub tag_lost_at: Option<usize>,
    /// APDU number N is not carried out and fails with `Timeout`.
    pub timeout_at: Option<usize>,
    /// APDU number N is not carried out; the card answers these raw bytes
    /// instead (a wrong status word, or garbage).
    pub garbage_at: Option<(usize, Vec<u8>)>,
    /// APDU number N is carried out, and its answer cut to this many bytes.
    pub truncate_at: Option<(usize, usize)>,
    /// Added to every APDU.
    pub latency: Duration,
    /// Added to every COMPUTE DIGITAL SIGNATURE (an RSA-2048 signature on
    /// a real card takes on the order of a second; see docs).
    pub signature_latency: Duration,
}
