//! Where a request reads: the primary or a read replica (`serve --read-db`), and whether the
//! server is read-only. Pure: the states and positions come in, the decision goes out; the
//! service's watcher measures them and the `reads` middleware (in `service`) applies them.
//!
//! Positions are the audit log's last id (`Store::position`): every write is audited in its own
//! transaction, so a replica whose id has reached a primary's has every write the primary had.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The database a request's reads go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Primary,
    Replica,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Primary => "primary",
            Source::Replica => "replica",
        }
    }
}

/// What the watcher last found of the replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplicaHealth {
    /// Its last poll answered.
    pub(crate) up: bool,
    /// Its audit position at that poll.
    pub(crate) position: i64,
    /// How far behind the primary it is: the age of the first primary position it had not
    /// reached (zero when it had them all).
    pub(crate) lag: Duration,
}

/// The databases as the watcher last found them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Health {
    /// The primary's last poll answered (and no write has failed to reach it since).
    pub(crate) primary_up: bool,
    /// `None` without `--read-db`.
    pub(crate) replica: Option<ReplicaHealth>,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) reads: Source,
    /// Writes are refused (503 `read_only`): the primary cannot be reached.
    pub(crate) read_only: bool,
}

/// Where a request reads. `min_position` is the position the request must see (its
/// read-your-writes cookie or header), `max_lag` the bound on the replica's lag.
///
/// - No replica, or a replica down: the primary.
/// - The primary down and the replica up: the replica, read-only — the newest data anyone can
///   read; the answers say so.
/// - A replica further behind than `max_lag`, or behind the request's position: the primary.
/// - Otherwise the replica.
pub(crate) fn route(health: &Health, max_lag: Duration, min_position: Option<i64>) -> Route {
    let read_only = !health.primary_up;
    let reads = match health.replica {
        Some(replica) if replica.up => {
            if read_only
                || (replica.lag <= max_lag && min_position.is_none_or(|p| p <= replica.position))
            {
                Source::Replica
            } else {
                Source::Primary
            }
        }
        _ => Source::Primary,
    };
    Route { reads, read_only }
}

/// Positions kept at most (at 5 polls a second, hours of a replica that does not follow).
const TRACKED: usize = 100_000;

/// The primary's positions, each with the instant the watcher first saw it, until the replica
/// has it: the replica's lag is the age of the oldest it has not reached.
#[derive(Debug, Default)]
pub(crate) struct LagTracker {
    seen: VecDeque<(i64, Instant)>,
}

impl LagTracker {
    /// The primary was found at `position` at `now`.
    pub(crate) fn primary_at(&mut self, position: i64, now: Instant) {
        let full = self.seen.len() >= TRACKED;
        match self.seen.back_mut() {
            Some((last, _)) if position <= *last => {}
            // Full: the newest entry moves on and keeps its older instant, which can only
            // make the lag look longer, never shorter.
            Some((last, _)) if full => *last = position,
            _ => self.seen.push_back((position, now)),
        }
    }

    /// The replica was found at `position`: forgets what it has reached, and answers since when
    /// it has been behind (the first instant of a primary position it lacks), if it is.
    pub(crate) fn replica_at(&mut self, position: i64) -> Option<Instant> {
        while self.seen.front().is_some_and(|(p, _)| *p <= position) {
            self.seen.pop_front();
        }
        self.seen.front().map(|(_, at)| *at)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const BOUND: Duration = Duration::from_secs(2);

    fn health(primary_up: bool, replica: Option<(bool, i64, u64)>) -> Health {
        Health {
            primary_up,
            replica: replica.map(|(up, position, lag_ms)| ReplicaHealth {
                up,
                position,
                lag: Duration::from_millis(lag_ms),
            }),
        }
    }

    fn reads(h: Health, min: Option<i64>) -> (Source, bool) {
        let r = route(&h, BOUND, min);
        (r.reads, r.read_only)
    }

    #[test]
    fn the_rules() {
        use Source::*;
        // No replica: the primary, read-only when it is down.
        assert_eq!(reads(health(true, None), None), (Primary, false));
        assert_eq!(reads(health(false, None), Some(3)), (Primary, true));
        // A replica in step: it serves.
        assert_eq!(
            reads(health(true, Some((true, 10, 0))), None),
            (Replica, false)
        );
        assert_eq!(
            reads(health(true, Some((true, 10, 0))), Some(10)),
            (Replica, false)
        );
        // Behind the request's own write: the primary.
        assert_eq!(
            reads(health(true, Some((true, 10, 0))), Some(11)),
            (Primary, false)
        );
        // Lagging beyond the bound (and exactly at it).
        assert_eq!(
            reads(health(true, Some((true, 10, 2001))), None),
            (Primary, false)
        );
        assert_eq!(
            reads(health(true, Some((true, 10, 2000))), None),
            (Replica, false)
        );
        // Down: the primary.
        assert_eq!(
            reads(health(true, Some((false, 10, 0))), None),
            (Primary, false)
        );
        // The primary down: the replica, read-only, whatever its lag or the request's position.
        assert_eq!(
            reads(health(false, Some((true, 10, 9000))), Some(99)),
            (Replica, true)
        );
        // Both down: the primary (whose failure is a 503), read-only.
        assert_eq!(
            reads(health(false, Some((false, 10, 0))), None),
            (Primary, true)
        );
    }

    #[test]
    fn the_lag_is_the_age_of_the_first_position_the_replica_lacks() {
        let start = Instant::now();
        let mut lag = LagTracker::default();
        assert_eq!(lag.replica_at(0), None);
        lag.primary_at(5, start);
        lag.primary_at(5, start + Duration::from_secs(1));
        lag.primary_at(7, start + Duration::from_secs(2));
        assert_eq!(lag.replica_at(4), Some(start));
        assert_eq!(lag.replica_at(5), Some(start + Duration::from_secs(2)));
        assert_eq!(lag.replica_at(6), Some(start + Duration::from_secs(2)));
        assert_eq!(lag.replica_at(7), None);
        assert_eq!(lag.replica_at(7), None);
    }

    proptest! {
        /// While the primary is up, never the replica when it lags beyond the bound or is
        /// behind the request; with the primary down never writes; the replica only when up.
        #[test]
        fn never_a_replica_too_far_behind(
            primary_up in any::<bool>(),
            replica in proptest::option::of((any::<bool>(), 0i64..50, 0u64..5000)),
            min in proptest::option::of(0i64..50),
        ) {
            let h = health(primary_up, replica);
            let r = route(&h, BOUND, min);
            prop_assert_eq!(r.read_only, !primary_up);
            if r.reads == Source::Replica {
                let replica = h.replica.expect("a replica serves only when there is one");
                prop_assert!(replica.up);
                if primary_up {
                    prop_assert!(replica.lag <= BOUND);
                    prop_assert!(min.is_none_or(|m| m <= replica.position));
                }
            } else if let Some(replica) = h.replica {
                // The primary serves only when the replica may not.
                prop_assert!(
                    !replica.up
                        || (primary_up
                            && (replica.lag > BOUND || min.is_some_and(|m| m > replica.position)))
                );
            }
        }

        /// The tracked lag never under-states: whatever the order of polls, the instant given
        /// is never later than the first sighting of any position the replica lacks.
        #[test]
        fn the_lag_never_understates(
            steps in proptest::collection::vec((any::<bool>(), 0i64..40), 1..60),
        ) {
            let start = Instant::now();
            let mut lag = LagTracker::default();
            let mut first_seen: Vec<(i64, Instant)> = Vec::new();
            let (mut primary, mut replica) = (0i64, 0i64);
            for (i, (is_primary, value)) in steps.into_iter().enumerate() {
                let now = start + Duration::from_millis(200 * i as u64);
                if is_primary {
                    primary = primary.max(value);
                    if first_seen.last().is_none_or(|(p, _)| primary > *p) {
                        first_seen.push((primary, now));
                    }
                    lag.primary_at(primary, now);
                } else {
                    // A replica only moves forward.
                    replica = replica.max(value);
                    let behind_since = lag.replica_at(replica);
                    let lacked = first_seen.iter().find(|(p, _)| *p > replica);
                    match lacked {
                        Some((_, at)) => prop_assert!(behind_since.is_some_and(|b| b <= *at)),
                        None => prop_assert_eq!(behind_since, None),
                    }
                }
            }
        }
    }
}
