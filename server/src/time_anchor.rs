// SPDX-License-Identifier: MPL-2.0
//! Time the server can stand behind.
//!
//! The phone's clock cannot be trusted: set back 400 days, it would make an
//! expired certificate look valid. So every authenticated answer carries a
//! token of the server's own time, MAC'd under the server key and bound to
//! the device (`houmon-server-time` header). The phone keeps the newest and
//! puts it in each visit (`VisitContext::time_anchor`; in PIN mode it is
//! inside the bytes the card signs). The server then accepts a visit time
//! only between the anchor's time and its own clock (a few minutes of
//! tolerance): backdating is limited to the real offline window, and future
//! times are refused. Certificate validity is judged at that bounded time.
//!
//! Token: `v1.<device id>.<unix seconds>.<hex HMAC-SHA256>`.

use chrono::{DateTime, Duration, Utc};

use crate::secrets::{hex, Secrets};

/// How far a visit time may be ahead of the server's clock (clocks drift).
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// How far before the anchor a visit time may be (the phone took the
/// anchor a moment after the visit began: a sync during a visit).
pub const BEFORE_ANCHOR_TOLERANCE: Duration = Duration::minutes(5);

fn message(device_id: &str, secs: i64) -> String {
    format!("houmon-time/1|{device_id}|{secs}")
}

/// A token of `now` for `device_id`.
pub fn issue(s: &Secrets, device_id: &str, now: DateTime<Utc>) -> String {
    let secs = now.timestamp();
    format!("v1.{device_id}.{secs}.{}", hex(&s.time_mac(message(device_id, secs).as_bytes())))
}

/// The time in a token, if it is genuine and was issued to `device_id`.
pub fn verify(s: &Secrets, device_id: &str, token: &str) -> Option<DateTime<Utc>> {
    let rest = token.strip_prefix("v1.")?;
    let (rest, mac) = rest.rsplit_once('.')?;
    let (device, secs) = rest.rsplit_once('.')?;
    if device != device_id {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let expected = hex(&s.time_mac(message(device, secs).as_bytes()));
    // Both are hex of the same length; compare without early exit.
    if mac.len() != expected.len()
        || mac.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0
    {
        return None;
    }
    DateTime::from_timestamp(secs, 0)
}

/// Why a claimed visit time is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRefusal {
    NoAnchor,
    BeforeAnchor,
    InFuture,
}

/// Bounds a claimed visit time by the anchor (a time the server issued to
/// this device) and the server's clock.
pub fn bound(
    s: &Secrets,
    device_id: &str,
    anchor: Option<&str>,
    claimed: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TimeRefusal> {
    let anchor_time = anchor
        .filter(|a| !a.is_empty())
        .and_then(|a| verify(s, device_id, a))
        .ok_or(TimeRefusal::NoAnchor)?;
    if anchor_time > now + FUTURE_TOLERANCE {
        return Err(TimeRefusal::NoAnchor);
    }
    if claimed > now + FUTURE_TOLERANCE {
        return Err(TimeRefusal::InFuture);
    }
    if claimed < anchor_time - BEFORE_ANCHOR_TOLERANCE {
        return Err(TimeRefusal::BeforeAnchor);
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_its_device_and_key() {
        let s = Secrets::generate();
        let now = Utc::now();
        let t = issue(&s, "d-1", now);
        assert_eq!(verify(&s, "d-1", &t).map(|x| x.timestamp()), Some(now.timestamp()));
        assert_eq!(verify(&s, "d-2", &t), None, "another device");
        assert_eq!(verify(&Secrets::generate(), "d-1", &t), None, "another key");
        let forged =
            t.replace(&now.timestamp().to_string(), &(now.timestamp() - 86_400 * 400).to_string());
        assert_eq!(verify(&s, "d-1", &forged), None, "the time cannot be edited");
        assert_eq!(verify(&s, "d-1", "v1.d-1.x.y"), None);
    }

    #[test]
    fn a_visit_time_must_lie_between_the_anchor_and_the_server_clock() {
        let s = Secrets::generate();
        let now = Utc::now();
        let anchor = issue(&s, "d", now - Duration::days(3)); // three days offline
        let a = Some(anchor.as_str());
        let ok = now - Duration::days(2);
        assert_eq!(bound(&s, "d", a, ok, now), Ok(ok));
        assert_eq!(
            bound(&s, "d", a, now - Duration::days(400), now),
            Err(TimeRefusal::BeforeAnchor)
        );
        assert_eq!(bound(&s, "d", a, now + Duration::days(730), now), Err(TimeRefusal::InFuture));
        assert_eq!(bound(&s, "d", None, ok, now), Err(TimeRefusal::NoAnchor));
        assert_eq!(bound(&s, "other", a, ok, now), Err(TimeRefusal::NoAnchor));
    }
}
