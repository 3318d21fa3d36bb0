//! API keys, usage plans and throttles, as API Gateway applies them, and
//! the state they keep: in memory for the whole process, or in Redis for a
//! fleet of replicas.
//!
//! [`Usage`] is compiled once with the [`crate::api::Api`]: the keys, the
//! plans, and one slot per token bucket and quota counter, each with a
//! stable id. A method's [`Access`] names its slots. A request with a key
//! meets, in order (API Gateway's order of application), the plan's
//! throttle for this method, the plan's throttle, then the method's own
//! throttle (or the stage's default), each a token bucket; then the plan's
//! quota. It passes only when all admit it, and only then is anything
//! taken from them.
//!
//! On reload, the new API adopts the old one's buckets and counters whose
//! id and limits did not change ([`Usage::adopt`]): a SIGHUP neither resets
//! a client's quota nor refills its buckets.

mod bucket;
mod keys;
mod period;
mod redis;

use std::collections::HashMap;
use std::sync::Arc;

pub use bucket::{Bucket, Limit, QuotaCounter, now_nanos};
pub use keys::{ApiKey, KeyRefusal, Keys, Secret, constant_time_eq};
pub use period::{Quota, max_offset, period_name, rfc3339, unix_now};
pub use redis::{RedisStore, Verdict};

use crate::config::OnRedisError;

/// Keys, plans and their state.
#[derive(Debug, Default)]
pub struct Usage {
    pub keys: Keys,
    pub plans: Vec<Plan>,
    pub buckets: Vec<BucketSlot>,
    pub quotas: Vec<QuotaSlot>,
    /// `None`: state in memory.
    pub store: Option<Arc<RedisStore>>,
}

/// One usage plan.
#[derive(Debug)]
pub struct Plan {
    pub name: String,
    pub throttle: Option<Limit>,
    pub quota: Option<Quota>,
    /// Its keys (indices into [`Keys::keys`]), in the order of `api_keys`:
    /// a key's place here is its slot in the vectors below.
    pub keys: Vec<usize>,
    /// Each key's bucket for `throttle` (indices into [`Usage::buckets`]).
    pub key_buckets: Vec<usize>,
    /// Each key's quota counter (indices into [`Usage::quotas`]).
    pub key_quotas: Vec<usize>,
    /// `"METHOD /path"` → limit, for the report.
    pub method_throttles: Vec<(String, Limit)>,
}

/// A token bucket and the id it keeps across reloads (and in Redis).
#[derive(Debug)]
pub struct BucketSlot {
    pub id: String,
    pub bucket: Arc<Bucket>,
}

/// A quota counter and the id it keeps across reloads (and in Redis).
#[derive(Debug)]
pub struct QuotaSlot {
    pub id: String,
    pub quota: Quota,
    pub counter: Arc<QuotaCounter>,
}

/// What a method asks of its requests.
#[derive(Debug, Default)]
pub struct Access {
    pub api_key_required: bool,
    /// The method's bucket: its own throttle, or the stage's.
    pub bucket: Option<usize>,
    /// For plans with a throttle for this method: the plan and each of its
    /// keys' buckets, by key slot.
    pub plan_buckets: Vec<(usize, Vec<usize>)>,
}

/// Which throttle a bucket stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A usage plan's throttle for one method, per key.
    PlanMethod,
    /// A usage plan's throttle, per key.
    Plan,
    /// The method's throttle (or the stage's default), for all clients.
    Method,
}

impl Scope {
    /// The metric label.
    pub fn name(self) -> &'static str {
        match self {
            Scope::PlanMethod => "plan_method",
            Scope::Plan => "plan",
            Scope::Method => "method",
        }
    }
}

/// The limits one request meets, in the order they apply.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    buckets: [(usize, Scope); 3],
    count: usize,
    quota: Option<usize>,
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.quota.is_none()
    }

    fn buckets(&self) -> &[(usize, Scope)] {
        &self.buckets[..self.count]
    }
}

/// What the limits decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Pass,
    /// This bucket (an index into [`Usage::buckets`]) refused.
    Throttled(usize, Scope),
    /// This counter (an index into [`Usage::quotas`]) is spent.
    QuotaExceeded(usize),
    /// Redis did not answer; the policy decides.
    Unavailable(String, OnRedisError),
}

impl Usage {
    /// The limits a request to a method with `access` meets, with `key`
    /// (an index into [`Keys::keys`]) when the method required one.
    pub fn checks(&self, access: &Access, key: Option<usize>) -> Checks {
        let mut checks = Checks {
            buckets: [(0, Scope::Method); 3],
            count: 0,
            quota: None,
        };
        let mut push = |bucket: usize, scope: Scope| {
            checks.buckets[checks.count] = (bucket, scope);
            checks.count += 1;
        };
        if let Some((plan, slot)) = key.and_then(|k| self.keys.keys[k].plan) {
            if let Some((_, buckets)) = access.plan_buckets.iter().find(|(p, _)| *p == plan) {
                push(buckets[slot], Scope::PlanMethod);
            }
            let plan = &self.plans[plan];
            if let Some(&bucket) = plan.key_buckets.get(slot) {
                push(bucket, Scope::Plan);
            }
            checks.quota = plan.key_quotas.get(slot).copied();
        }
        if let Some(bucket) = access.bucket {
            push(bucket, Scope::Method);
        }
        checks
    }

    /// Decides in memory, at `now` ([`now_nanos`]) and `unix` seconds.
    pub fn admit_in_memory(&self, checks: &Checks, now: u64, unix: i64) -> Decision {
        let buckets = checks.buckets();
        for (taken, &(index, scope)) in buckets.iter().enumerate() {
            if !self.buckets[index].bucket.take(now) {
                self.give_back(&buckets[..taken]);
                return Decision::Throttled(index, scope);
            }
        }
        if let Some(index) = checks.quota {
            let slot = &self.quotas[index];
            let (start, _) = slot.quota.period_at(unix);
            if slot.counter.take(start, slot.quota.limit).is_err() {
                self.give_back(buckets);
                return Decision::QuotaExceeded(index);
            }
        }
        Decision::Pass
    }

    fn give_back(&self, taken: &[(usize, Scope)]) {
        for &(index, _) in taken {
            self.buckets[index].bucket.give_back();
        }
    }

    /// Decides: in memory, or in Redis in one round trip.
    pub async fn admit(&self, checks: &Checks) -> Decision {
        let Some(store) = &self.store else {
            return self.admit_in_memory(checks, now_nanos(), unix_now());
        };
        // A bucket that refuses everything needs no round trip.
        if let Some(&(index, scope)) = checks
            .buckets()
            .iter()
            .find(|(i, _)| self.buckets[*i].bucket.limit().blocks_all())
        {
            return Decision::Throttled(index, scope);
        }
        let mut buckets: [(&str, Limit); 3] = [(
            "",
            Limit {
                rate: 0.0,
                burst: 0,
            },
        ); 3];
        for (place, &(index, _)) in checks.buckets().iter().enumerate() {
            let slot = &self.buckets[index];
            buckets[place] = (slot.id.as_str(), slot.bucket.limit());
        }
        let unix = unix_now();
        let quota = checks.quota.map(|index| {
            let slot = &self.quotas[index];
            let (start, end) = slot.quota.period_at(unix);
            redis::QuotaCheck {
                key: &slot.id,
                period: start,
                limit: slot.quota.limit,
                remaining_secs: end - unix,
            }
        });
        match store.admit(&buckets[..checks.count], quota).await {
            Ok(Verdict::Admitted(_)) => Decision::Pass,
            Ok(Verdict::Throttled(place)) => {
                let (index, scope) = checks.buckets()[place.min(checks.count - 1)];
                Decision::Throttled(index, scope)
            }
            Ok(Verdict::QuotaExceeded) => Decision::QuotaExceeded(checks.quota.unwrap_or(0)),
            Err(error) => Decision::Unavailable(error, store.policy),
        }
    }

    /// Takes over `old`'s buckets and counters where the id and the limits
    /// are the same, and its Redis connections when Redis is configured the
    /// same way. Returns how many buckets and counters were kept.
    pub fn adopt(&mut self, old: &Usage) -> (usize, usize) {
        let old_buckets: HashMap<&str, &BucketSlot> =
            old.buckets.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut kept = (0, 0);
        for slot in &mut self.buckets {
            if let Some(previous) = old_buckets.get(slot.id.as_str())
                && previous.bucket.limit() == slot.bucket.limit()
            {
                slot.bucket = previous.bucket.clone();
                kept.0 += 1;
            }
        }
        let old_quotas: HashMap<&str, &QuotaSlot> =
            old.quotas.iter().map(|s| (s.id.as_str(), s)).collect();
        for slot in &mut self.quotas {
            // A new limit keeps the count: raising a quota mid-period must
            // not hand out a fresh one.
            if let Some(previous) = old_quotas.get(slot.id.as_str())
                && previous.quota.period == slot.quota.period
                && previous.quota.offset == slot.quota.offset
            {
                slot.counter = previous.counter.clone();
                kept.1 += 1;
            }
        }
        if let (Some(new), Some(previous)) = (&self.store, &old.store)
            && new.same_as(previous)
        {
            self.store = Some(previous.clone());
        }
        kept
    }

    /// Every plan and key with its use in the current quota period, as
    /// JSON for the admin listener. Never a key's value.
    pub async fn report(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let unix = unix_now();
        let mut counters = Vec::new();
        for slot in &self.quotas {
            counters.push((slot.id.clone(), slot.quota.period_at(unix).0));
        }
        let (used, error) = match &self.store {
            None => (
                self.quotas
                    .iter()
                    .zip(&counters)
                    .map(|(slot, (_, start))| slot.counter.used(*start))
                    .collect(),
                None,
            ),
            Some(store) => match store.quota_counts(&counters).await {
                Ok(used) => (used, None),
                Err(e) => (vec![0; counters.len()], Some(e)),
            },
        };
        let limit_json = |l: &Limit| json!({"rate": l.rate, "burst": l.burst});
        let mut plans = Map::new();
        for plan in &self.plans {
            let mut keys = Map::new();
            for (slot, &key) in plan.keys.iter().enumerate() {
                let api_key = &self.keys.keys[key];
                let mut entry = Map::new();
                entry.insert("enabled".into(), Value::Bool(api_key.enabled));
                if let (Some(quota), Some(&index)) = (&plan.quota, plan.key_quotas.get(slot)) {
                    let (start, end) = quota.period_at(unix);
                    let used = used.get(index).copied().unwrap_or(0);
                    entry.insert("used".into(), json!(used));
                    entry.insert("remaining".into(), json!(quota.limit.saturating_sub(used)));
                    entry.insert("period_start".into(), json!(rfc3339(start)));
                    entry.insert("period_end".into(), json!(rfc3339(end)));
                }
                keys.insert(api_key.name.clone(), Value::Object(entry));
            }
            let methods: Map<String, Value> = plan
                .method_throttles
                .iter()
                .map(|(m, l)| (m.clone(), limit_json(l)))
                .collect();
            plans.insert(
                plan.name.clone(),
                json!({
                    "throttle": plan.throttle.as_ref().map(limit_json),
                    "quota": plan.quota.map(|q| json!({
                        "limit": q.limit,
                        "period": period_name(q.period),
                        "offset": q.offset,
                    })),
                    "method_throttles": methods,
                    "keys": keys,
                }),
            );
        }
        let without_plan: Vec<&str> = self
            .keys
            .keys
            .iter()
            .filter(|k| k.plan.is_none())
            .map(|k| k.name.as_str())
            .collect();
        let mut report = json!({
            "state": match &self.store {
                None => "memory".to_string(),
                Some(store) => format!("redis {}", store.url_shown),
            },
            "usage_plans": plans,
            "keys_without_plan": without_plan,
        });
        if let Some(error) = error {
            report["error"] = json!(format!("Redis did not answer: {error}"));
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::QuotaPeriod;

    /// One plan with a per-method throttle, a throttle and a quota, one key,
    /// and a method bucket.
    fn usage(method: Limit, plan_method: Limit, plan: Limit, quota: u64) -> (Usage, Access) {
        let bucket = |id: &str, limit| BucketSlot {
            id: id.into(),
            bucket: Arc::new(Bucket::new(limit)),
        };
        let usage = Usage {
            keys: Keys::new(vec![ApiKey {
                name: "k".into(),
                value: Secret::new("k".repeat(20)),
                enabled: true,
                plan: Some((0, 0)),
            }]),
            plans: vec![Plan {
                name: "p".into(),
                throttle: Some(plan),
                quota: Some(Quota {
                    limit: quota,
                    period: QuotaPeriod::Day,
                    offset: 0,
                }),
                keys: vec![0],
                key_buckets: vec![1],
                key_quotas: vec![0],
                method_throttles: Vec::new(),
            }],
            buckets: vec![
                bucket("m", method),
                bucket("p", plan),
                bucket("pm", plan_method),
            ],
            quotas: vec![QuotaSlot {
                id: "q".into(),
                quota: Quota {
                    limit: quota,
                    period: QuotaPeriod::Day,
                    offset: 0,
                },
                counter: Arc::default(),
            }],
            store: None,
        };
        let access = Access {
            api_key_required: true,
            bucket: Some(0),
            plan_buckets: vec![(0, vec![2])],
        };
        (usage, access)
    }

    const fn limit(rate: f64, burst: u64) -> Limit {
        Limit { rate, burst }
    }

    #[test]
    fn limits_apply_in_api_gateways_order_and_a_refusal_takes_nothing() {
        let (usage, access) = usage(limit(1.0, 3), limit(1.0, 2), limit(1.0, 10), 100);
        let checks = usage.checks(&access, Some(0));
        let scopes: Vec<Scope> = checks.buckets().iter().map(|(_, s)| *s).collect();
        assert_eq!(scopes, [Scope::PlanMethod, Scope::Plan, Scope::Method]);
        let now = 1_000_000_000;
        assert_eq!(usage.admit_in_memory(&checks, now, 0), Decision::Pass);
        assert_eq!(usage.admit_in_memory(&checks, now, 0), Decision::Pass);
        assert_eq!(
            usage.admit_in_memory(&checks, now, 0),
            Decision::Throttled(2, Scope::PlanMethod)
        );
        // Without the key, only the method's bucket applies: it gave back
        // nothing it did not take, so one request is left in it.
        let anonymous = usage.checks(&access, None);
        assert_eq!(usage.admit_in_memory(&anonymous, now, 0), Decision::Pass);
        assert_eq!(
            usage.admit_in_memory(&anonymous, now, 0),
            Decision::Throttled(0, Scope::Method)
        );
        assert_eq!(usage.quotas[0].counter.used(0), 2);
    }

    #[test]
    fn the_quota_counts_admitted_requests_only() {
        let (usage, access) = usage(
            limit(1000.0, 1000),
            limit(1000.0, 1000),
            limit(1000.0, 1000),
            3,
        );
        let checks = usage.checks(&access, Some(0));
        let now = 1_000_000_000;
        for _ in 0..3 {
            assert_eq!(usage.admit_in_memory(&checks, now, 0), Decision::Pass);
        }
        assert_eq!(
            usage.admit_in_memory(&checks, now, 0),
            Decision::QuotaExceeded(0)
        );
        assert_eq!(usage.quotas[0].counter.used(0), 3);
        // The next day starts afresh.
        assert_eq!(usage.admit_in_memory(&checks, now, 86_400), Decision::Pass);
    }

    #[test]
    fn a_reload_keeps_state_whose_limits_did_not_change() {
        let (old, access) = usage(limit(1.0, 1), limit(1.0, 1), limit(1.0, 1), 10);
        let checks = old.checks(&access, Some(0));
        let now = 1_000_000_000;
        assert_eq!(old.admit_in_memory(&checks, now, 0), Decision::Pass);
        // The plan-method throttle changes; the rest stays.
        let (mut new, _) = usage(limit(1.0, 1), limit(5.0, 5), limit(1.0, 1), 20);
        assert_eq!(new.adopt(&old), (2, 1));
        assert!(Arc::ptr_eq(&new.buckets[0].bucket, &old.buckets[0].bucket));
        assert!(!Arc::ptr_eq(&new.buckets[2].bucket, &old.buckets[2].bucket));
        assert_eq!(new.quotas[0].counter.used(0), 1, "the count carries over");
    }
}
