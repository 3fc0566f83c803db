// SPDX-License-Identifier: MPL-2.0
//! Failed enrolment attempts: counted per peer address and in total. After
//! [`Limits::per_peer`] failures from one address within the window, that
//! address is refused until the window passes; after [`Limits::total`]
//! failures from everywhere, every enrolment waits. Every failure is also
//! an audit entry (`api.rs`). Codes carry ~59 bits, work once and expire
//! in minutes, so this is a second wall, not the first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_peer: u32,
    pub total: u32,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_peer: 5, total: 50, window: Duration::from_secs(15 * 60) }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

#[derive(Default)]
struct State {
    peers: HashMap<IpAddr, Window>,
    total: Option<Window>,
}

pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter { limits, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(retry_after)` when `peer` must wait.
    pub fn check(&self, peer: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let l = self.limits;
        let s = self.lock();
        let blocked = |w: &Option<Window>, max: u32| {
            w.filter(|w| now.duration_since(w.start) < l.window && w.failures >= max)
                .map(|w| l.window - now.duration_since(w.start))
        };
        if let Some(wait) = blocked(&s.total, l.total) {
            return Err(wait);
        }
        if let Some(wait) = blocked(&s.peers.get(&peer).copied(), l.per_peer) {
            return Err(wait);
        }
        Ok(())
    }

    pub fn failure(&self, peer: IpAddr) {
        let now = Instant::now();
        let window = self.limits.window;
        let mut s = self.lock();
        let bump = |w: &mut Window| {
            if now.duration_since(w.start) >= window {
                *w = Window { start: now, failures: 0 };
            }
            w.failures += 1;
        };
        bump(s.peers.entry(peer).or_insert(Window { start: now, failures: 0 }));
        bump(s.total.get_or_insert(Window { start: now, failures: 0 }));
        if s.peers.len() > 10_000 {
            s.peers.retain(|_, w| now.duration_since(w.start) < window);
        }
    }

    pub fn success(&self, peer: IpAddr) {
        self.lock().peers.remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_stopped_after_its_failures_and_everyone_after_many() {
        let l = Limiter::new(Limits { per_peer: 3, total: 5, window: Duration::from_secs(60) });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
            l.failure(a);
        }
        assert!(l.check(a).is_err(), "a is locked out");
        assert!(l.check(b).is_ok(), "b is not");
        l.failure(b);
        l.failure(b);
        assert!(l.check(b).is_err(), "five failures in all: everyone waits");
    }
}
