//! In-memory throttle and quota state, shared by every worker of the
//! process: a token bucket is one atomic word, a quota counter a tiny mutex.

use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A throttle: `rate` requests per second on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rate: f64,
    pub burst: u64,
}

impl Limit {
    /// Whether every request is refused: API Gateway's way of switching a
    /// method off is a rate (or burst) of 0.
    pub fn blocks_all(&self) -> bool {
        self.rate <= 0.0 || self.burst == 0
    }

    /// The time one request costs, in `unit`s per second (1e9 for
    /// nanoseconds, 1e6 for microseconds).
    pub fn interval(&self, unit: f64) -> u64 {
        (unit / self.rate).ceil() as u64
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/s, burst {}", self.rate, self.burst)
    }
}

/// Nanoseconds since the process's first throttle check: monotonic, so that
/// a clock step cannot fill or drain buckets.
pub fn now_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A token bucket, kept as the generic cell rate algorithm does: instead of
/// a token count and a refill time, the one instant at which the bucket
/// will be full again ("theoretical arrival time"). A request passes when
/// taking its interval keeps that instant within `burst` intervals of now.
/// This is the same admission as a bucket of `burst` tokens refilled at
/// `rate`, in one word that a compare-and-swap updates, so workers on other
/// threads never wait for each other.
#[derive(Debug)]
pub struct Bucket {
    limit: Limit,
    /// Nanoseconds per request.
    interval: u64,
    /// How far ahead of now the full-again instant may be: `burst` intervals.
    tolerance: u64,
    full_at: AtomicU64,
}

impl Bucket {
    pub fn new(limit: Limit) -> Self {
        let (interval, tolerance) = if limit.blocks_all() {
            (u64::MAX, 0)
        } else {
            let interval = limit.interval(1e9).max(1);
            (interval, interval.saturating_mul(limit.burst))
        };
        Self {
            limit,
            interval,
            tolerance,
            full_at: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Takes one request's worth at `now` (from [`now_nanos`]), or refuses.
    pub fn take(&self, now: u64) -> bool {
        if self.tolerance == 0 {
            return false;
        }
        let mut current = self.full_at.load(Ordering::Relaxed);
        loop {
            let next = current.max(now).saturating_add(self.interval);
            if next - now > self.tolerance {
                return false;
            }
            match self.full_at.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    /// Returns what [`Bucket::take`] took, for a request that a later limit
    /// refused: it did not pass, so it should not count.
    pub fn give_back(&self) {
        let _ = self
            .full_at
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |at| {
                Some(at.saturating_sub(self.interval))
            });
    }
}

/// Requests counted in the current quota period.
#[derive(Debug, Default)]
pub struct QuotaCounter {
    /// The period's start (Unix seconds) and the count in it.
    state: Mutex<(i64, u64)>,
}

impl QuotaCounter {
    /// Counts one request in the period starting at `period`, unless `limit`
    /// are counted already. Returns the count with it.
    pub fn take(&self, period: i64, limit: u64) -> Result<u64, u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 != period {
            *state = (period, 0);
        }
        if state.1 >= limit {
            return Err(state.1);
        }
        state.1 += 1;
        Ok(state.1)
    }

    /// The count in the period starting at `period`.
    pub fn used(&self, period: i64) -> u64 {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == period { state.1 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn a_bucket_passes_its_burst_at_once_then_its_rate() {
        let bucket = Bucket::new(Limit {
            rate: 20.0,
            burst: 5,
        });
        let start = 10 * SECOND;
        let passed = (0..100).filter(|_| bucket.take(start)).count();
        assert_eq!(passed, 5, "the burst, all at once");
        // 100 requests a second for 5 s: 20 a second pass.
        let mut passed = 0;
        for i in 1..=500u64 {
            if bucket.take(start + i * SECOND / 100) {
                passed += 1;
            }
        }
        assert_eq!(passed, 100);
        // After a quiet spell the bucket is full again, never fuller.
        let later = start + 60 * SECOND;
        assert_eq!((0..100).filter(|_| bucket.take(later)).count(), 5);
    }

    #[test]
    fn a_refused_request_can_be_given_back() {
        let bucket = Bucket::new(Limit {
            rate: 1.0,
            burst: 2,
        });
        assert!(bucket.take(SECOND));
        assert!(bucket.take(SECOND));
        assert!(!bucket.take(SECOND));
        bucket.give_back();
        assert!(bucket.take(SECOND));
    }

    #[test]
    fn rate_or_burst_zero_refuses_everything() {
        for limit in [
            Limit {
                rate: 0.0,
                burst: 10,
            },
            Limit {
                rate: 10.0,
                burst: 0,
            },
        ] {
            let bucket = Bucket::new(limit);
            assert!(!bucket.take(SECOND));
            assert!(!bucket.take(100 * SECOND));
        }
    }

    #[test]
    fn workers_on_many_threads_share_one_bucket() {
        let bucket = std::sync::Arc::new(Bucket::new(Limit {
            rate: 0.001,
            burst: 1000,
        }));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let bucket = bucket.clone();
                std::thread::spawn(move || (0..1000).filter(|_| bucket.take(SECOND)).count())
            })
            .collect();
        let passed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(passed, 1000);
    }

    #[test]
    fn quotas_count_per_period_up_to_the_limit() {
        let counter = QuotaCounter::default();
        assert_eq!(counter.take(100, 2), Ok(1));
        assert_eq!(counter.take(100, 2), Ok(2));
        assert_eq!(counter.take(100, 2), Err(2));
        assert_eq!(counter.used(100), 2);
        assert_eq!(counter.used(200), 0);
        assert_eq!(counter.take(200, 2), Ok(1), "a new period starts at 0");
    }
}
