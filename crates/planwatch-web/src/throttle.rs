//! Brute-force protection for sign-ins, in memory (per server process): after
//! [`NAME_FREE_TRIES`] failed sign-ins for one user name, or [`ADDRESS_TRIES_PER_MINUTE`] in a
//! minute from one address, further tries are refused (429) for a delay that doubles with every
//! further failure ([`BASE_DELAY`], at most [`MAX_DELAY`]). A success clears the name's count.
//! Pure: the time comes in as an argument. Several servers behind one proxy each count their own
//! tries, so an attacker spreading tries over `n` servers gets `n` times as many.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Failed sign-ins for one name before the delays begin.
pub(crate) const NAME_FREE_TRIES: u32 = 5;
/// Failed sign-ins from one address within a minute before the delays begin.
pub(crate) const ADDRESS_TRIES_PER_MINUTE: usize = 20;
/// The first delay; each further failure doubles it.
pub(crate) const BASE_DELAY: Duration = Duration::from_secs(2);
/// The longest delay.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MINUTE: Duration = Duration::from_secs(60);
/// Entries kept before old ones are dropped (bounds memory whatever the tries).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
struct Strikes {
    /// Failures in a row (for a name) or beyond the free ones (for an address).
    failures: u32,
    last: Option<Instant>,
}

#[derive(Debug, Default)]
struct AddressTries {
    recent: VecDeque<Instant>,
    strikes: Strikes,
}

/// The failed sign-ins counted by user name and by client address.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    names: HashMap<String, Strikes>,
    addresses: HashMap<String, AddressTries>,
}

/// The delay after `over` failures beyond the free ones.
fn delay(over: u32) -> Duration {
    BASE_DELAY
        .saturating_mul(1 << over.saturating_sub(1).min(20))
        .min(MAX_DELAY)
}

/// How long until `strikes` allow another try (after `free` free failures).
fn wait(strikes: &Strikes, free: u32, now: Instant) -> Option<Duration> {
    let over = strikes.failures.checked_sub(free).filter(|&o| o > 0)?;
    let until = strikes.last? + delay(over);
    (until > now).then(|| until - now)
}

impl Throttle {
    /// `Err(wait)` when a sign-in as `name` from `address` must wait.
    pub(crate) fn check(
        &mut self,
        name: &str,
        address: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let by_name = self
            .names
            .get(name)
            .and_then(|s| wait(s, NAME_FREE_TRIES - 1, now));
        let by_address = self
            .addresses
            .get(address)
            .and_then(|tries| wait(&tries.strikes, 0, now));
        match by_name.max(by_address) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub(crate) fn failed(&mut self, name: &str, address: &str, now: Instant) {
        if self.names.len() + self.addresses.len() > MAX_ENTRIES {
            self.forget(now);
        }
        let strikes = self.names.entry(name.to_owned()).or_default();
        strikes.failures += 1;
        strikes.last = Some(now);
        let tries = self.addresses.entry(address.to_owned()).or_default();
        while tries
            .recent
            .front()
            .is_some_and(|&t| now.duration_since(t) > MINUTE)
        {
            tries.recent.pop_front();
        }
        tries.recent.push_back(now);
        if tries.recent.len() >= ADDRESS_TRIES_PER_MINUTE {
            tries.strikes.failures += 1;
            tries.strikes.last = Some(now);
        }
    }

    /// A successful sign-in as `name`: its count starts again.
    pub(crate) fn succeeded(&mut self, name: &str) {
        self.names.remove(name);
    }

    /// Drops what no longer delays anyone.
    fn forget(&mut self, now: Instant) {
        let stale = |last: Option<Instant>| last.is_none_or(|t| now - t > MAX_DELAY);
        self.names.retain(|_, s| !stale(s.last));
        self.addresses.retain(|_, a| {
            !stale(a.strikes.last) || a.recent.back().is_some_and(|&t| now - t <= MINUTE)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_for_a_name_then_growing_delays() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for i in 0..5 {
            let now = start + Duration::from_secs(i);
            assert_eq!(throttle.check("alice", &format!("10.0.0.{i}"), now), Ok(()));
            throttle.failed("alice", &format!("10.0.0.{i}"), now);
        }
        let after_five = start + Duration::from_secs(4);
        assert_eq!(
            throttle.check("alice", "10.0.0.9", after_five),
            Err(BASE_DELAY)
        );
        // Another name from the same addresses is not held back.
        assert_eq!(throttle.check("bob", "10.0.0.1", after_five), Ok(()));
        // After the delay, one more failure doubles it.
        let later = after_five + BASE_DELAY;
        assert_eq!(throttle.check("alice", "10.0.0.9", later), Ok(()));
        throttle.failed("alice", "10.0.0.9", later);
        assert_eq!(
            throttle.check("alice", "10.0.0.9", later),
            Err(2 * BASE_DELAY)
        );
        // A success clears the name.
        throttle.succeeded("alice");
        assert_eq!(throttle.check("alice", "10.0.0.9", later), Ok(()));
        assert_eq!(delay(100), MAX_DELAY);
    }

    #[test]
    fn twenty_failures_a_minute_from_one_address() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for i in 0..19 {
            throttle.failed(&format!("user{i}"), "10.0.0.1", start);
        }
        assert_eq!(throttle.check("someone", "10.0.0.1", start), Ok(()));
        throttle.failed("user19", "10.0.0.1", start);
        assert_eq!(
            throttle.check("someone", "10.0.0.1", start),
            Err(BASE_DELAY)
        );
        assert_eq!(throttle.check("someone", "10.0.0.2", start), Ok(()));
        // Failures spread over more than a minute do not add up.
        let mut slow = Throttle::default();
        for i in 0..40 {
            slow.failed(
                &format!("u{i}"),
                "10.0.0.3",
                start + Duration::from_secs(4 * i),
            );
        }
        assert_eq!(
            slow.check("x", "10.0.0.3", start + Duration::from_secs(200)),
            Ok(())
        );
    }
}
