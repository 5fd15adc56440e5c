//! Brute-force protection for sign-ins: after [`NAME_FREE_TRIES`] failed sign-ins for one user
//! name, or [`ADDRESS_TRIES_PER_MINUTE`] in a minute from one address, further tries are refused
//! (429) for a delay that doubles with every further failure ([`BASE_DELAY`], at most
//! [`MAX_DELAY`]). A success clears the name's count.
//!
//! The name's failures are counted in the store (`sign_in_strikes`), so that every server on
//! one database counts them together; [`name_wait`] decides from the count and the time. The
//! address's are counted here, in memory, per server process ([`Throttle`]): several servers
//! behind one proxy each count their own, and the proxy limits requests per address across them
//! (docs/scaling.md, docs/security.md). Pure: the time comes in as an argument.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use planwatch_store::Strikes as NameStrikes;

/// Failed sign-ins for one name before the delays begin.
pub(crate) const NAME_FREE_TRIES: u32 = 5;
/// Failed sign-ins from one address within a minute before the delays begin.
pub(crate) const ADDRESS_TRIES_PER_MINUTE: usize = 20;
/// The first delay; each further failure doubles it.
pub(crate) const BASE_DELAY: Duration = Duration::from_secs(2);
/// The longest delay.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const MINUTE: Duration = Duration::from_secs(60);
/// Addresses kept before old ones are dropped (bounds memory whatever the tries).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
struct Strikes {
    /// Failures beyond the free ones.
    failures: u32,
    last: Option<Instant>,
}

#[derive(Debug, Default)]
struct AddressTries {
    recent: VecDeque<Instant>,
    strikes: Strikes,
}

/// The failed sign-ins counted by client address, in this process.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    addresses: HashMap<String, AddressTries>,
}

/// The delay after `over` failures beyond the free ones.
fn delay(over: u32) -> Duration {
    BASE_DELAY
        .saturating_mul(1 << over.saturating_sub(1).min(20))
        .min(MAX_DELAY)
}

/// How long a sign-in as a name with `strikes` (as the store counts them) must wait at `now_ms`
/// (Unix milliseconds), if at all.
pub(crate) fn name_wait(strikes: Option<NameStrikes>, now_ms: i64) -> Option<Duration> {
    let strikes = strikes?;
    let over = strikes
        .failures
        .checked_sub(NAME_FREE_TRIES - 1)
        .filter(|&o| o > 0)?;
    let wait = i64::try_from(delay(over).as_millis()).unwrap_or(i64::MAX);
    let until = strikes.last_ms.saturating_add(wait);
    (until > now_ms).then(|| Duration::from_millis(u64::try_from(until - now_ms).unwrap_or(0)))
}

impl Throttle {
    /// `Err(wait)` when a sign-in from `address` must wait.
    pub(crate) fn check(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let strikes = match self.addresses.get(address) {
            Some(tries) => &tries.strikes,
            None => return Ok(()),
        };
        if strikes.failures == 0 {
            return Ok(());
        }
        match strikes.last.map(|last| last + delay(strikes.failures)) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in from `address`.
    pub(crate) fn failed(&mut self, address: &str, now: Instant) {
        if self.addresses.len() > MAX_ENTRIES {
            self.forget(now);
        }
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

    /// Drops what no longer delays anyone.
    fn forget(&mut self, now: Instant) {
        let stale = |last: Option<Instant>| last.is_none_or(|t| now - t > MAX_DELAY);
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
        let strikes = |failures, last_ms| Some(NameStrikes { failures, last_ms });
        let start = 1_700_000_000_000;
        assert_eq!(name_wait(None, start), None);
        for failures in 1..5 {
            assert_eq!(name_wait(strikes(failures, start), start), None);
        }
        // The fifth failure: the next try waits BASE_DELAY from it.
        assert_eq!(name_wait(strikes(5, start), start), Some(BASE_DELAY));
        assert_eq!(
            name_wait(strikes(5, start), start + 500),
            Some(BASE_DELAY - Duration::from_millis(500))
        );
        let later = start + 2_000;
        assert_eq!(name_wait(strikes(5, start), later), None);
        // One more failure doubles it.
        assert_eq!(name_wait(strikes(6, later), later), Some(2 * BASE_DELAY));
        assert_eq!(name_wait(strikes(100, later), later), Some(MAX_DELAY));
        assert_eq!(delay(100), MAX_DELAY);
    }

    #[test]
    fn twenty_failures_a_minute_from_one_address() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..19 {
            throttle.failed("10.0.0.1", start);
        }
        assert_eq!(throttle.check("10.0.0.1", start), Ok(()));
        throttle.failed("10.0.0.1", start);
        assert_eq!(throttle.check("10.0.0.1", start), Err(BASE_DELAY));
        assert_eq!(throttle.check("10.0.0.2", start), Ok(()));
        // Failures spread over more than a minute do not add up.
        let mut slow = Throttle::default();
        for i in 0..40 {
            slow.failed("10.0.0.3", start + Duration::from_secs(4 * i));
        }
        assert_eq!(
            slow.check("10.0.0.3", start + Duration::from_secs(200)),
            Ok(())
        );
    }
}
