//! The credentials cache: one provider call at a time, refreshed in the
//! background while the cached credentials are still good.
//!
//! A request is served from the cache whenever the cached credentials are
//! *usable* (not within a safety margin of their expiry). When a refresh is
//! due, the request that notices it starts one in a task of its own and goes
//! on with the cached credentials; so a slow or failing source never delays a
//! request while usable credentials exist. A request waits only when there are
//! no usable credentials; it then joins the load in progress, or starts one,
//! so a burst of requests makes one provider call.
//!
//! A refresh that fails is logged and retried after a growing interval, for as
//! long as the cached credentials stay usable. Once they expire, requests wait
//! for a load again, and see its error when it fails.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as Keys;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use tokio::sync::watch;
use tokio::time::Instant;

use super::describe;
use crate::Error;

/// Long-lived credentials are refreshed this long before they expire, which
/// leaves time for several retries when their source is down.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// Credentials are not used in their last seconds, so that a request signed
/// with them does not reach AWS after they expired. Credentials that live less
/// than 100 s keep a tenth of their lifetime instead, so that they remain
/// usable at all.
const SAFETY_MARGIN: Duration = Duration::from_secs(10);

/// Share of the usable lifetime after which credentials too short-lived for
/// `REFRESH_BEFORE_EXPIRY` are refreshed: late enough that their source is
/// called about once per lifetime, early enough to retry once or twice.
const REFRESH_AT_NUMERATOR: u32 = 3;
const REFRESH_AT_DENOMINATOR: u32 = 4;

/// No refresh starts sooner than this after the previous attempt, whatever
/// the credentials' lifetime; it is also the first wait after a failure.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The wait after a failed refresh doubles up to this.
const MAX_RETRY_INTERVAL: Duration = Duration::from_secs(60);

/// A load that takes longer fails. The chain's own sources have shorter
/// timeouts; this one bounds what has none, such as a `credential_process`
/// that hangs, so that requests never wait on it forever.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The cache behind [`super::Credentials`].
pub(super) struct Cache {
    provider: SharedCredentialsProvider,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// The load in progress: its outcome is sent once, when it ends.
    loading: Option<watch::Receiver<Option<Outcome>>>,
    /// Failed loads since the last one that succeeded.
    failures: u32,
}

struct Cached {
    keys: Arc<Keys>,
    /// Until when they may sign, on both clocks: the monotonic one for the
    /// schedule, the wall clock because expiry is a wall-clock time and the
    /// monotonic clock stands still while the host is suspended.
    usable_until: Option<(Instant, SystemTime)>,
    /// The first request after this starts a refresh.
    refresh_at: Option<Instant>,
}

type Outcome = Result<Arc<Keys>, Failure>;

/// A failed load, shared by every request that waited for it.
#[derive(Clone)]
struct Failure {
    reason: String,
    error: Arc<CredentialsError>,
}

/// What a request does after looking at the cache.
enum Next {
    Serve(Arc<Keys>),
    Wait(watch::Receiver<Option<Outcome>>),
}

impl Cache {
    pub(super) fn new(provider: SharedCredentialsProvider) -> Self {
        Self {
            provider,
            state: Mutex::new(State::default()),
        }
    }

    pub(super) fn provider(&self) -> &SharedCredentialsProvider {
        &self.provider
    }

    /// Usable credentials: from the cache, or from a load when there are none.
    pub(super) async fn get(self: &Arc<Self>) -> Result<Arc<Keys>, Error> {
        loop {
            let (next, load) = self.next(Instant::now());
            // Spawned with the state unlocked: a runtime that is shutting
            // down drops the task at once, and its drop locks the state.
            if let Some(load) = load {
                tokio::spawn(load.run());
            }
            let mut loading = match next {
                Next::Serve(keys) => return Ok(keys),
                Next::Wait(loading) => loading,
            };
            let outcome = match loading.wait_for(Option::is_some).await {
                Ok(outcome) => outcome.clone(),
                Err(_) => None,
            };
            match outcome {
                Some(Ok(keys)) => return Ok(keys),
                Some(Err(failure)) => return Err(failure.to_error()),
                // The load was dropped unfinished with its runtime: start
                // another one on this runtime.
                None => continue,
            }
        }
    }

    fn next(self: &Arc<Self>, now: Instant) -> (Next, Option<Load>) {
        let mut state = self.lock();
        if let Some(cached) = &state.cached
            && cached.usable(now)
        {
            let keys = cached.keys.clone();
            let due = cached.refresh_at.is_some_and(|at| now >= at);
            let load = (due && state.loading.is_none()).then(|| self.start(&mut state));
            return (Next::Serve(keys), load);
        }
        match &state.loading {
            Some(loading) => (Next::Wait(loading.clone()), None),
            None => {
                let load = self.start(&mut state);
                let loading = state.loading.clone().expect("a load was just started");
                (Next::Wait(loading), Some(load))
            }
        }
    }

    fn start(self: &Arc<Self>, state: &mut State) -> Load {
        let (outcome, loading) = watch::channel(None);
        state.loading = Some(loading);
        Load {
            cache: self.clone(),
            outcome,
            finished: false,
        }
    }

    /// Stores what a load brought and schedules the next one.
    fn finish(&self, loaded: Result<Keys, CredentialsError>) -> Outcome {
        let mut guard = self.lock();
        let state = &mut *guard;
        state.loading = None;
        let now = Instant::now();
        match loaded {
            Ok(keys) => {
                let keys = Arc::new(keys);
                let failures = std::mem::take(&mut state.failures);
                let cached = Cached::new(keys.clone(), now, SystemTime::now());
                if failures > 0 {
                    tracing::info!(failures, "AWS credentials refreshed");
                }
                tracing::debug!(
                    refresh_in_s = cached.refresh_at.map(|at| (at - now).as_secs()),
                    "AWS credentials loaded"
                );
                state.cached = Some(cached);
                Ok(keys)
            }
            Err(error) => {
                state.failures += 1;
                let failure = Failure {
                    reason: describe(&error),
                    error: Arc::new(error),
                };
                let retry_in = retry_interval(state.failures);
                // Requests that waited for this load get its error, and the
                // gateway logs each of them; a failed refresh has no request
                // to report it, so it is logged here, once.
                if let Some(cached) = state.cached.as_mut()
                    && let Some(usable_for) = cached.usable_for(now)
                {
                    cached.refresh_at = Some(now + retry_in);
                    tracing::warn!(
                        reason = failure.reason.as_str(),
                        failures = state.failures,
                        retry_in_s = retry_in.as_secs(),
                        usable_for_s = usable_for.as_secs(),
                        "refreshing AWS credentials failed; the cached credentials stay in use until they expire"
                    );
                }
                Err(failure)
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One provider call, run as a task of its own so that no request's
/// cancellation stops it.
struct Load {
    cache: Arc<Cache>,
    outcome: watch::Sender<Option<Outcome>>,
    finished: bool,
}

impl Load {
    async fn run(mut self) {
        let loaded = tokio::time::timeout(LOAD_TIMEOUT, self.cache.provider.provide_credentials())
            .await
            .unwrap_or_else(|_| Err(CredentialsError::provider_timed_out(LOAD_TIMEOUT)));
        let outcome = self.cache.finish(loaded);
        self.finished = true;
        // Nobody may be waiting: a background refresh.
        let _ = self.outcome.send(Some(outcome));
    }
}

impl Drop for Load {
    /// A load dropped unfinished (its runtime shut down) must not leave the
    /// cache waiting for it: the next request starts another.
    fn drop(&mut self) {
        if !self.finished {
            self.cache.lock().loading = None;
        }
    }
}

impl Cached {
    fn new(keys: Arc<Keys>, now: Instant, wall: SystemTime) -> Self {
        let Some(expiry) = keys.expiry() else {
            return Self {
                keys,
                usable_until: None,
                refresh_at: None,
            };
        };
        let lifetime = expiry.duration_since(wall).unwrap_or_default();
        let (usable, refresh) = schedule(lifetime);
        Self {
            keys,
            usable_until: Some((now + usable, wall + usable)),
            refresh_at: Some(now + refresh),
        }
    }

    fn usable(&self, now: Instant) -> bool {
        self.usable_for(now).is_some()
    }

    /// How much longer they may sign; `Duration::MAX` for credentials that
    /// never expire; `None` once they may not.
    fn usable_for(&self, now: Instant) -> Option<Duration> {
        let Some((until, wall_until)) = self.usable_until else {
            return Some(Duration::MAX);
        };
        let left = until.checked_duration_since(now).filter(|d| !d.is_zero())?;
        let wall_left = wall_until
            .duration_since(SystemTime::now())
            .ok()
            .filter(|d| !d.is_zero())?;
        Some(left.min(wall_left))
    }
}

/// For credentials that expire `lifetime` after they were loaded: how long
/// they may sign, and when their refresh is due.
fn schedule(lifetime: Duration) -> (Duration, Duration) {
    let usable = lifetime - SAFETY_MARGIN.min(lifetime / 10);
    let refresh = lifetime
        .saturating_sub(REFRESH_BEFORE_EXPIRY)
        .max(usable * REFRESH_AT_NUMERATOR / REFRESH_AT_DENOMINATOR)
        .max(MIN_INTERVAL);
    (usable, refresh)
}

/// The wait before the next attempt after `failures` failed ones in a row:
/// 1 s, 2 s, 4 s, ... up to a minute.
fn retry_interval(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    MIN_INTERVAL
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_INTERVAL)
}

impl Failure {
    /// The error for one request. `CredentialsError` cannot be cloned: each
    /// request gets one of the same kind whose source is the shared original,
    /// so the text and the chain of causes read as the original's.
    fn to_error(&self) -> Error {
        let shared = self.error.clone();
        let source = match &*self.error {
            CredentialsError::CredentialsNotLoaded(_) => CredentialsError::not_loaded(shared),
            CredentialsError::ProviderTimedOut(timeout) => {
                CredentialsError::provider_timed_out(timeout.timeout_duration())
            }
            CredentialsError::InvalidConfiguration(_) => {
                CredentialsError::invalid_configuration(shared)
            }
            CredentialsError::Unhandled(_) => CredentialsError::unhandled(shared),
            _ => CredentialsError::provider_error(shared),
        };
        Error::CredentialsUnavailable {
            reason: self.reason.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use aws_credential_types::provider::future;

    use super::*;

    /// A provider that counts its calls, fails on demand, takes `delay` and
    /// hands out credentials that expire `lifetime` after they are made.
    #[derive(Debug, Clone, Default)]
    struct Fake(Arc<FakeState>);

    #[derive(Debug, Default)]
    struct FakeState {
        calls: AtomicUsize,
        failing: AtomicBool,
        lifetime: Mutex<Option<Duration>>,
        delay: Mutex<Duration>,
    }

    impl Fake {
        fn expiring_after(lifetime: Duration) -> Self {
            let fake = Self::default();
            *fake.0.lifetime.lock().unwrap() = Some(lifetime);
            fake
        }

        fn taking(self, delay: Duration) -> Self {
            *self.0.delay.lock().unwrap() = delay;
            self
        }

        fn calls(&self) -> usize {
            self.0.calls.load(Ordering::SeqCst)
        }

        fn fail(&self, failing: bool) {
            self.0.failing.store(failing, Ordering::SeqCst);
        }

        fn cache(&self) -> Arc<Cache> {
            Arc::new(Cache::new(SharedCredentialsProvider::new(self.clone())))
        }
    }

    impl ProvideCredentials for Fake {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::new(async move {
                let call = self.0.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let delay = *self.0.delay.lock().unwrap();
                tokio::time::sleep(delay).await;
                if self.0.failing.load(Ordering::SeqCst) {
                    return Err(CredentialsError::provider_error("the source is down"));
                }
                let lifetime = *self.0.lifetime.lock().unwrap();
                Ok(Keys::new(
                    format!("AKIDFAKE{call}"),
                    "fake-secret",
                    Some("fake-token".to_string()),
                    lifetime.map(|l| SystemTime::now() + l),
                    "fake",
                ))
            })
        }
    }

    /// Lets spawned loads run; with the clock paused, no time passes.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn schedule_refreshes_long_lived_credentials_five_minutes_ahead_and_short_ones_late() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        // (lifetime, usable for, refresh after)
        let table = [
            (s(3600), s(3590), s(3300)),
            (s(900), s(890), ms(667_500)),
            (s(60), s(54), ms(40_500)),
            (s(4), ms(3600), ms(2700)),
            (ms(500), ms(450), s(1)),
            (s(0), s(0), s(1)),
        ];
        for (lifetime, usable, refresh) in table {
            assert_eq!(schedule(lifetime), (usable, refresh), "{lifetime:?}");
        }
    }

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|n| retry_interval(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(retry_interval(u32::MAX), MAX_RETRY_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_requests_makes_one_provider_call() {
        let fake =
            Fake::expiring_after(Duration::from_secs(3600)).taking(Duration::from_millis(100));
        let cache = fake.cache();
        let burst = |cache: Arc<Cache>| async move {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..100 {
                let cache = cache.clone();
                tasks.spawn(async move { cache.get().await.unwrap() });
            }
            let keys = tasks.join_all().await;
            assert_eq!(keys.len(), 100);
            assert!(keys.iter().all(|k| Arc::ptr_eq(k, &keys[0])));
            keys[0].clone()
        };
        let first = burst(cache.clone()).await;
        assert_eq!(fake.calls(), 1);
        assert_eq!(first.access_key_id(), "AKIDFAKE1");

        // Expired: the next burst waits, again for one call.
        tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
        let second = burst(cache.clone()).await;
        assert_eq!(fake.calls(), 2);
        assert_eq!(second.access_key_id(), "AKIDFAKE2");
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_with_a_minute_left_are_not_fetched_per_request() {
        let fake = Fake::expiring_after(Duration::from_secs(60));
        let cache = fake.cache();
        // A request a second for ten minutes.
        let mut served = 0;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(600) {
            cache.get().await.unwrap();
            served += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert_eq!(served, 600);
        // A refresh is due 40.5 s after a load (3/4 of the 54 usable
        // seconds), so one starts every 41 s: at 0, 41, 82, ... 574 s.
        assert_eq!(fake.calls(), 15);
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_refresh_runs_in_the_background_while_the_cached_credentials_serve() {
        let fake = Fake::expiring_after(Duration::from_secs(60)).taking(Duration::from_secs(5));
        let cache = fake.cache();
        let old = cache.get().await.unwrap();
        assert_eq!(fake.calls(), 1);

        tokio::time::sleep(Duration::from_secs(41)).await;
        let before = Instant::now();
        let served = cache.get().await.unwrap();
        // Served at once although the refresh takes 5 s.
        assert_eq!(Instant::now(), before);
        assert!(Arc::ptr_eq(&served, &old));
        settle().await;
        assert_eq!(fake.calls(), 2);
        // While it runs, requests are served the old ones, and start no other.
        for _ in 0..10 {
            assert!(Arc::ptr_eq(&cache.get().await.unwrap(), &old));
        }
        assert_eq!(fake.calls(), 2);

        // Done at 46 s.
        tokio::time::sleep(Duration::from_secs(6)).await;
        let new = cache.get().await.unwrap();
        assert_eq!(new.access_key_id(), "AKIDFAKE2");
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_refresh_keeps_serving_the_cached_credentials_until_they_expire() {
        let fake = Fake::expiring_after(Duration::from_secs(60));
        let cache = fake.cache();
        let cached = cache.get().await.unwrap();
        fake.fail(true);

        // Usable for 54 s; the refresh is due at 40.5 s. A request every
        // 100 ms from 41 s gets the cached credentials, while attempts fail
        // at 41, 42, 44 and 48 s (the next would be at 56 s).
        tokio::time::sleep(Duration::from_secs(41)).await;
        let started = Instant::now();
        let mut served = 0;
        while started.elapsed() < Duration::from_millis(12_900) {
            let keys = cache.get().await.unwrap();
            assert!(Arc::ptr_eq(&keys, &cached));
            served += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(served, 129);
        assert_eq!(fake.calls(), 5);

        // 54 s: expired. A request waits for a load and gets its error.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let error = cache.get().await.unwrap_err();
        assert_eq!(fake.calls(), 6);
        assert!(
            matches!(error, Error::CredentialsUnavailable { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "AWS credentials are unavailable: an error occurred while loading credentials: the source is down"
        );
        // Each request tries again: none is refused on an old failure.
        assert!(cache.get().await.is_err());
        assert_eq!(fake.calls(), 7);

        fake.fail(false);
        let fresh = cache.get().await.unwrap();
        assert_eq!(fresh.access_key_id(), "AKIDFAKE8");
        assert_eq!(fake.calls(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_that_wait_share_one_failure() {
        let fake = Fake::default().taking(Duration::from_millis(100));
        fake.fail(true);
        let cache = fake.cache();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let cache = cache.clone();
            tasks.spawn(async move { cache.get().await.unwrap_err().to_string() });
        }
        let errors = tasks.join_all().await;
        assert_eq!(fake.calls(), 1);
        assert_eq!(errors.len(), 20);
        for error in errors {
            assert_eq!(
                error,
                "AWS credentials are unavailable: an error occurred while loading credentials: the source is down"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_load_that_hangs_fails_after_the_load_timeout() {
        let fake = Fake::default().taking(Duration::from_secs(3600));
        let cache = fake.cache();
        let started = Instant::now();
        let error = cache.get().await.unwrap_err();
        assert_eq!(started.elapsed(), LOAD_TIMEOUT);
        assert_eq!(
            error.to_string(),
            "AWS credentials are unavailable: credentials provider timed out after 30 seconds"
        );
    }

    #[test]
    fn a_load_dropped_with_its_runtime_is_started_again_on_another() {
        let fake =
            Fake::expiring_after(Duration::from_secs(3600)).taking(Duration::from_secs(3600));
        let cache = fake.cache();
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
        };
        let first = runtime();
        first.block_on(async {
            // The load starts and hangs; the request gives up.
            let waited = tokio::time::timeout(Duration::from_millis(10), cache.get()).await;
            assert!(waited.is_err());
        });
        drop(first);
        assert_eq!(fake.calls(), 1);

        *fake.0.delay.lock().unwrap() = Duration::ZERO;
        let keys = runtime().block_on(cache.get()).unwrap();
        assert_eq!(keys.access_key_id(), "AKIDFAKE2");
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_without_expiry_are_loaded_once() {
        let fake = Fake::default();
        let cache = fake.cache();
        for _ in 0..100 {
            cache.get().await.unwrap();
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        assert_eq!(fake.calls(), 1);
    }
}
