// SPDX-License-Identifier: MPL-2.0
//! Slowing guessing without locking anyone out.
//!
//! A [`Throttle`] counts failures per key. The first [`Limits::free`]
//! cost nothing; each one after makes that key wait, twice as long as the
//! last time (from [`Limits::first_wait`] up to [`Limits::longest_wait`]).
//! While a key waits its attempts are refused unchecked (and not counted:
//! hammering does not lengthen the wait). A quiet day forgets a key's
//! failures; a success clears its own key only. Nothing locks: every wait
//! passes, so a throttle cannot be turned against an account's owner.
//!
//! - **Enrolment codes** ([`Throttle`] per source address): a code carries
//!   ~59 bits, works once and expires within the hour, so no wait shared
//!   by every address is needed — none is kept, and guessing from many
//!   addresses delays no genuine enrolment.
//! - **Console logins** ([`Logins`]): per address (every account guessed
//!   from there), per account and address, and per account for the
//!   addresses the account has not logged in from before — so guessing
//!   one account from many addresses stays slow, while its owner, at an
//!   address she logged in from, waits only for her own typing errors.
//!
//! Every refusal and every wait that starts is an audit entry (`api/`,
//! `console/auth.rs`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::peer::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures that cost nothing.
    pub free: u32,
    /// The wait after the first failure beyond them; each next one doubles it.
    pub first_wait: Duration,
    pub longest_wait: Duration,
}

impl Limits {
    /// Enrolment codes, per address: 5 wrong codes, then 1 minute, 2, 4, … 15.
    pub const ENROLMENT: Limits = Limits {
        free: 4,
        first_wait: Duration::from_secs(60),
        longest_wait: Duration::from_secs(15 * 60),
    };

    /// The wait after failure number `n` (counting from 1).
    fn wait_after(&self, n: u32) -> Option<Duration> {
        let beyond = n.checked_sub(self.free + 1)?;
        let wait = self.first_wait.saturating_mul(1u32 << beyond.min(20));
        Some(wait.min(self.longest_wait))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::ENROLMENT
    }
}

/// Failures are forgotten after this long without one.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Keys kept at most (the oldest quiet ones go first).
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last: Instant,
    until: Option<Instant>,
}

pub struct Throttle<K> {
    limits: Limits,
    counts: Mutex<HashMap<K, Count>>,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    pub fn new(limits: Limits) -> Throttle<K> {
        Throttle { limits, counts: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Count>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` must still wait, if it must.
    pub fn wait(&self, key: &K) -> Option<Duration> {
        let now = Instant::now();
        self.lock().get(key).and_then(|c| c.until).and_then(|u| u.checked_duration_since(now))
    }

    /// Counts a failure; returns the wait it starts, if any.
    pub fn failure(&self, key: K) -> Option<Duration> {
        let now = Instant::now();
        let mut counts = self.lock();
        if counts.len() >= MAX_KEYS {
            counts.retain(|_, c| now.duration_since(c.last) < FORGET_AFTER);
            if counts.len() >= MAX_KEYS {
                let mut lasts: Vec<Instant> = counts.values().map(|c| c.last).collect();
                lasts.sort();
                let cut = lasts[lasts.len() / 2];
                counts.retain(|_, c| c.last > cut || c.until.is_some_and(|u| u > now));
            }
        }
        let c = counts.entry(key).or_insert(Count { failures: 0, last: now, until: None });
        if now.duration_since(c.last) >= FORGET_AFTER {
            c.failures = 0;
        }
        c.failures += 1;
        c.last = now;
        let wait = self.limits.wait_after(c.failures);
        c.until = wait.map(|w| now + w);
        wait
    }

    pub fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    pub fn clear_where(&self, f: impl Fn(&K) -> bool) {
        self.lock().retain(|k, _| !f(k));
    }
}

/// The three throttles of console logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// One account from one address: its owner's own typing errors.
    pub account_at_address: Limits,
    /// Every account guessed from one address.
    pub address: Limits,
    /// One account from the addresses it has not logged in from.
    pub account: Limits,
}

impl Default for LoginLimits {
    /// 5 wrong passwords for an account from an address, or 10 from an
    /// address or (for an account) from new addresses, then waits of 1
    /// minute, 2, 4, … 15.
    fn default() -> Self {
        let after = |free| Limits {
            free,
            first_wait: Duration::from_secs(60),
            longest_wait: Duration::from_secs(15 * 60),
        };
        LoginLimits { account_at_address: after(4), address: after(9), account: after(9) }
    }
}

/// Which throttle holds a login back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    AccountAtAddress,
    Address,
    Account,
}

impl Held {
    pub fn as_str(self) -> &'static str {
        match self {
            Held::AccountAtAddress => "account-at-address",
            Held::Address => "address",
            Held::Account => "account",
        }
    }
}

pub struct Logins {
    account_at_address: Throttle<(String, Source)>,
    address: Throttle<Source>,
    account: Throttle<String>,
}

impl Logins {
    pub fn new(limits: LoginLimits) -> Logins {
        Logins {
            account_at_address: Throttle::new(limits.account_at_address),
            address: Throttle::new(limits.address),
            account: Throttle::new(limits.account),
        }
    }

    /// Whether a login to `account` from `from` must wait, and which
    /// throttle says so. `known`: the account has logged in from there.
    pub fn check(&self, account: &str, from: Source, known: bool) -> Result<(), (Held, Duration)> {
        if let Some(w) = self.account_at_address.wait(&(account.to_owned(), from)) {
            return Err((Held::AccountAtAddress, w));
        }
        if let Some(w) = self.address.wait(&from) {
            return Err((Held::Address, w));
        }
        if !known {
            if let Some(w) = self.account.wait(&account.to_owned()) {
                return Err((Held::Account, w));
            }
        }
        Ok(())
    }

    /// Counts a wrong password; the longest wait it starts, if any.
    pub fn failure(&self, account: &str, from: Source, known: bool) -> Option<Duration> {
        let waits = [
            self.account_at_address.failure((account.to_owned(), from)),
            self.address.failure(from),
            if known { None } else { self.account.failure(account.to_owned()) },
        ];
        waits.into_iter().flatten().max()
    }

    /// A login that worked: its owner's own errors from there are forgotten.
    pub fn success(&self, account: &str, from: Source) {
        self.account_at_address.clear(&(account.to_owned(), from));
    }

    /// An administrator lifts every wait on `account`.
    pub fn release(&self, account: &str) {
        self.account_at_address.clear_where(|(a, _)| a == account);
        self.account.clear(&account.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(n: u8) -> Source {
        Source::of(std::net::IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn waits_start_after_the_free_failures_and_double_up_to_the_longest() {
        let l = Limits {
            free: 2,
            first_wait: Duration::from_secs(60),
            longest_wait: Duration::from_secs(300),
        };
        let waits: Vec<_> = (1..=7).map(|n| l.wait_after(n).map(|w| w.as_secs())).collect();
        assert_eq!(waits, [None, None, Some(60), Some(120), Some(240), Some(300), Some(300)]);
        let t = Throttle::new(l);
        assert_eq!(t.failure(src(1)), None);
        assert_eq!(t.failure(src(1)), None);
        assert!(t.wait(&src(1)).is_none());
        assert_eq!(t.failure(src(1)), Some(Duration::from_secs(60)));
        assert!(t.wait(&src(1)).is_some_and(|w| w > Duration::from_secs(59)));
        assert!(t.wait(&src(2)).is_none(), "another key does not wait");
        t.clear(&src(1));
        assert!(t.wait(&src(1)).is_none());
    }

    #[test]
    fn guessing_from_elsewhere_never_holds_back_the_owner_at_her_own_address() {
        let logins = Logins::new(LoginLimits::default());
        let (desk, guesser) = (src(2), src(1));
        for _ in 0..30 {
            if logins.check("admin", guesser, false).is_ok() {
                logins.failure("admin", guesser, false);
            }
        }
        assert_eq!(logins.check("admin", guesser, false).unwrap_err().0, Held::AccountAtAddress);
        for n in 10..40 {
            if logins.check("admin", src(n), false).is_ok() {
                logins.failure("admin", src(n), false);
            }
        }
        assert_eq!(logins.check("admin", src(41), false).unwrap_err().0, Held::Account);
        assert!(logins.check("admin", desk, true).is_ok(), "her own address");
        assert!(logins.check("clerk", src(41), false).is_ok(), "another account");
        logins.release("admin");
        assert!(logins.check("admin", src(41), false).is_ok(), "released");
    }
}
