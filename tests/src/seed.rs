// SPDX-License-Identifier: MPL-2.0
//! The seed of a randomised test, printed and kept: it is taken from
//! `HOUMON_CRASH_SEED` (to replay a run) or drawn fresh, printed at the
//! start, appended to `houmon-crash-seeds.log` in the temporary folder,
//! and printed again, with the command that replays it, if the test
//! fails. What the seed decides must not depend on the machine's speed
//! (where a kill lands is counted in records, not in milliseconds), so a
//! failing seed fails again.

use std::io::Write;

use rand::rngs::StdRng;
use rand::SeedableRng;

pub struct Seed {
    pub value: u64,
    test: String,
}

impl Seed {
    /// The seed for `test` (the name the replay command filters on).
    pub fn for_test(test: &str) -> Seed {
        let value = std::env::var("HOUMON_CRASH_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(rand::random);
        println!("{test}: seed {value} (HOUMON_CRASH_SEED={value} to replay)");
        let log = std::env::temp_dir().join("houmon-crash-seeds.log");
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
            let _ = writeln!(f, "{} {test} {value}", chrono::Utc::now().to_rfc3339());
        }
        Seed { value, test: test.to_owned() }
    }

    pub fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.value)
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{} failed with seed {}: replay with HOUMON_CRASH_SEED={} cargo test -p houmon-tests -- {}",
                self.test, self.value, self.value, self.test
            );
        }
    }
}
