//! Throttle and quota state in Redis, shared by every replica that uses the
//! same Redis and the same key prefix.
//!
//! A request costs one round trip: a server-side script (EVALSHA, and EVAL
//! the first time a server lacks it) checks every bucket and the quota and
//! takes from all of them only when all admit the request, atomically, on
//! Redis's clock so that replicas with skewed clocks agree. Buckets are kept
//! as in memory (the instant each will be full again, see
//! [`super::bucket::Bucket`]); a quota counter's key names its period and
//! expires after it, so counts survive gateway restarts and old periods
//! clean themselves up.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::bucket::{Limit, now_nanos};
use super::keys::Secret;
use crate::config::OnRedisError;

/// The admission script. KEYS: the buckets, then the quota counter when
/// there is one. ARGV: the number of buckets; each bucket's interval and
/// tolerance in microseconds; then the quota's limit and its counter's time
/// to live in seconds. Returns `{0, used}` (admitted; `used` is -1 without
/// a quota), `{1, i}` (bucket `i` refused) or `{2, used}` (quota spent).
const ADMIT: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local n = tonumber(ARGV[1])
local next_full = {}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[2 * i + 1])
  local full = tonumber(redis.call('GET', KEYS[i]) or '0')
  if full < now then full = now end
  local candidate = full + interval
  if candidate - now > tolerance then
    return {1, i}
  end
  next_full[i] = candidate
end
local used = -1
if #KEYS > n then
  local limit = tonumber(ARGV[2 * n + 2])
  used = tonumber(redis.call('GET', KEYS[n + 1]) or '0')
  if used >= limit then
    return {2, used}
  end
  used = redis.call('INCR', KEYS[n + 1])
  if used == 1 then
    redis.call('EXPIRE', KEYS[n + 1], tonumber(ARGV[2 * n + 3]))
  end
end
for i = 1, n do
  local ttl = math.ceil((next_full[i] - now) / 1000) + 1000
  redis.call('SET', KEYS[i], string.format('%.0f', next_full[i]), 'PX', ttl)
end
return {0, used}
";

/// What Redis decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Admitted; the quota's count with this request, when there is a quota.
    Admitted(Option<u64>),
    /// The bucket at this index refused.
    Throttled(usize),
    QuotaExceeded,
}

/// A quota check for the script: the counter's key for the current period.
#[derive(Debug)]
pub struct QuotaCheck<'a> {
    pub key: &'a str,
    pub period: i64,
    pub limit: u64,
    /// Seconds until the period ends.
    pub remaining_secs: i64,
}

/// The Redis behind `state.redis_url`.
pub struct RedisStore {
    client: redis::Client,
    /// As configured: it may hold a password.
    url: Secret,
    /// Identifies this store's connections among the worker's.
    id: u64,
    pub url_shown: String,
    pub timeout: Duration,
    pub policy: OnRedisError,
    /// Prefix of every key: `gateway:<api id>:<stage>:`.
    pub prefix: String,
    /// Until when (in [`now_nanos`]) Redis is not asked, after a failure.
    resting_until: AtomicU64,
    script: redis::Script,
}

/// After a failure, requests do not wait on Redis for this long: they get
/// the failure policy at once, so that a Redis that hangs costs one timeout
/// per second rather than one per request.
const REST_AFTER_FAILURE: Duration = Duration::from_secs(1);

thread_local! {
    // One connection per worker thread and store: each worker runs its own
    // single-threaded runtime, and a connection driven by another worker's
    // runtime would cost a cross-thread wake-up each way.
    // The cell makes the requests that arrive while the first connection
    // is being opened wait for it instead of each opening their own.
    static CONNECTIONS: RefCell<Vec<(u64, Arc<OnceCell<ConnectionManager>>)>> =
        const { RefCell::new(Vec::new()) };
}

impl RedisStore {
    /// Checks the URL (`redis://` or `rediss://`) without connecting.
    pub fn new(
        url: &str,
        timeout: Duration,
        policy: OnRedisError,
        prefix: String,
    ) -> Result<Self, String> {
        static IDS: AtomicU64 = AtomicU64::new(1);
        let scheme = url.split("://").next().unwrap_or_default();
        if scheme != "redis" && scheme != "rediss" {
            return Err("expected a `redis://` or `rediss://` URL".to_string());
        }
        // The parse error never repeats the URL, which may hold a password.
        let client = redis::Client::open(url).map_err(|e| format!("not a Redis URL: {e}"))?;
        Ok(Self {
            client,
            url: Secret::new(url.to_string()),
            id: IDS.fetch_add(1, Ordering::Relaxed),
            url_shown: without_password(url),
            timeout,
            policy,
            prefix,
            resting_until: AtomicU64::new(0),
            script: redis::Script::new(ADMIT),
        })
    }

    /// Whether this store talks to the same Redis the same way.
    pub fn same_as(&self, other: &RedisStore) -> bool {
        self.url == other.url
            && self.timeout == other.timeout
            && self.policy == other.policy
            && self.prefix == other.prefix
    }

    /// Runs the admission script within the timeout.
    pub async fn admit(
        &self,
        buckets: &[(&str, Limit)],
        quota: Option<QuotaCheck<'_>>,
    ) -> Result<Verdict, String> {
        if now_nanos() < self.resting_until.load(Ordering::Relaxed) {
            return Err("Redis failed less than a second ago; not asked".to_string());
        }
        let result = tokio::time::timeout(self.timeout, self.run(buckets, quota)).await;
        let error = match result {
            Ok(Ok(verdict)) => return Ok(verdict),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
        };
        self.rest();
        Err(error)
    }

    async fn run(
        &self,
        buckets: &[(&str, Limit)],
        quota: Option<QuotaCheck<'_>>,
    ) -> redis::RedisResult<Verdict> {
        let mut connection = self.connection().await?;
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(buckets.len());
        for (key, limit) in buckets {
            let interval = limit.interval(1e6).max(1);
            invocation
                .key(format!("{}t:{key}", self.prefix))
                .arg(interval)
                .arg(interval.saturating_mul(limit.burst));
        }
        if let Some(quota) = &quota {
            invocation
                .key(format!("{}q:{}:{}", self.prefix, quota.key, quota.period))
                .arg(quota.limit)
                .arg(quota.remaining_secs.max(1) + 3600);
        }
        let (code, value): (i64, i64) = invocation.invoke_async(&mut connection).await?;
        Ok(match code {
            0 => Verdict::Admitted(u64::try_from(value).ok()),
            1 => Verdict::Throttled(usize::try_from(value - 1).unwrap_or(0)),
            _ => Verdict::QuotaExceeded,
        })
    }

    /// The counts of quota counters (`key`, period start), for the usage
    /// report: one MGET.
    pub async fn quota_counts(&self, counters: &[(String, i64)]) -> Result<Vec<u64>, String> {
        if counters.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = counters
            .iter()
            .map(|(key, period)| format!("{}q:{key}:{period}", self.prefix))
            .collect();
        let read = async {
            let mut connection = self.connection().await?;
            let values: Vec<Option<u64>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut connection)
                .await?;
            Ok::<_, redis::RedisError>(values.into_iter().map(Option::unwrap_or_default).collect())
        };
        match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(values)) => Ok(values),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }

    fn rest(&self) {
        let until = now_nanos().saturating_add(REST_AFTER_FAILURE.as_nanos() as u64);
        self.resting_until.store(until, Ordering::Relaxed);
    }

    /// This worker's connection, opened on first use. The connection
    /// reconnects by itself after Redis comes back; a failed first opening
    /// is tried again by a later request.
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let cell = CONNECTIONS.with(|all| {
            let mut all = all.borrow_mut();
            match all.iter().find(|(id, _)| *id == self.id) {
                Some((_, cell)) => cell.clone(),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    all.push((self.id, cell.clone()));
                    cell
                }
            }
        });
        let connection = cell
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    // Retries happen on later requests, after the rest
                    // period; a request never waits on more than one attempt.
                    .set_number_of_retries(1);
                self.client.get_connection_manager_with_config(config)
            })
            .await?;
        Ok(connection.clone())
    }
}

impl std::fmt::Debug for RedisStore {
    // By hand: the client's connection details hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url_shown)
            .field("timeout", &self.timeout)
            .field("policy", &self.policy)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        // Only this thread's cache can be reached; the others' connections
        // close when their workers stop or meet this id again (never).
        let _ = CONNECTIONS.try_with(|all| {
            if let Ok(mut all) = all.try_borrow_mut() {
                all.retain(|(id, _)| *id != self.id);
            }
        });
    }
}

/// The URL as logs may show it: without a password.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    match rest.split_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_shown_without_passwords() {
        let store = |url: &str| {
            RedisStore::new(
                url,
                Duration::from_millis(100),
                OnRedisError::Allow,
                String::new(),
            )
        };
        assert_eq!(
            store("redis://:hunter2@10.0.0.5:6379/0").unwrap().url_shown,
            "redis://***@10.0.0.5:6379/0"
        );
        assert_eq!(
            store("rediss://cache.internal:6380").unwrap().url_shown,
            "rediss://cache.internal:6380"
        );
        let error = store("http://10.0.0.5").unwrap_err();
        assert!(error.contains("redis://"), "{error}");
        let error = store("redis://:hunter2@[::1").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
