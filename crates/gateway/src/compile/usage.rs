//! API keys, usage plans, throttles and where their state lives, checked
//! and compiled into [`Usage`]. A problem names the key and the file's
//! place, never a key's value.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ApiKeyConfig, Loaded, MethodConfig, ThrottleConfig};
use crate::usage::{
    Access, ApiKey, Bucket, BucketSlot, Keys, Limit, Plan, Quota, QuotaCounter, QuotaSlot,
    RedisStore, Secret, Usage, max_offset, period_name,
};

use super::{Environment, Problems};

/// API Gateway refuses imported keys shorter than this.
const MIN_KEY_LENGTH: usize = 20;
/// Bounds that keep a bucket's arithmetic exact (microseconds in Redis's
/// doubles) and catch slips like a missing decimal point.
const MAX_RATE: f64 = 1_000_000.0;
const MIN_RATE: f64 = 0.001;
const MAX_BURST: u64 = 1_000_000;
const REDIS_TIMEOUT_MS: std::ops::RangeInclusive<u64> = 1..=10_000;

/// Builds [`Usage`]: keys and plans first, then each method's [`Access`]
/// as the methods are compiled, then [`UsageBuilder::finish`].
pub(super) struct UsageBuilder {
    usage: Usage,
    /// Per plan: `"METHOD /path"` → limit, and whether a method matched it.
    method_throttles: Vec<BTreeMap<String, (Limit, bool)>>,
    stage_throttle: Option<Limit>,
}

impl UsageBuilder {
    pub(super) fn new(
        loaded: &Loaded,
        environment: &Environment,
        prefix: String,
        problems: &mut Problems<'_>,
    ) -> Self {
        let config = &loaded.config;
        let mut keys = keys(loaded, environment, problems);
        let mut usage = Usage::default();
        let mut method_throttles = Vec::new();
        for (plan_name, raw) in &config.usage_plans {
            let at = ["usage_plans", plan_name.as_str()];
            check_name(plan_name, &at, problems);
            let plan_index = usage.plans.len();
            let throttle = raw
                .throttle
                .and_then(|t| limit(&t, &[&at[..], &["throttle"]].concat(), problems));
            let quota = raw.quota.and_then(|q| {
                let here = [&at[..], &["quota"]].concat();
                if q.limit == 0 {
                    problems.push(
                        &[&here[..], &["limit"]].concat(),
                        "must be at least 1".into(),
                    );
                    return None;
                }
                if q.offset > max_offset(q.period) {
                    problems.push(
                        &[&here[..], &["offset"]].concat(),
                        format!(
                            "a `{}` quota's offset is 0 to {}",
                            period_name(q.period),
                            max_offset(q.period)
                        ),
                    );
                    return None;
                }
                Some(Quota {
                    limit: q.limit,
                    period: q.period,
                    offset: q.offset,
                })
            });
            let mut plan = Plan {
                name: plan_name.clone(),
                throttle,
                quota,
                keys: Vec::new(),
                key_buckets: Vec::new(),
                key_quotas: Vec::new(),
                method_throttles: Vec::new(),
            };
            for (index, key_name) in raw.api_keys.iter().enumerate() {
                let index = index.to_string();
                let key_at = [&at[..], &["api_keys", index.as_str()]].concat();
                let Some(key) = keys.iter().position(|k| k.name == *key_name) else {
                    problems.push(
                        &key_at,
                        format!("no API key named `{key_name}` in `api_keys`"),
                    );
                    continue;
                };
                if let Some((other, _)) = keys[key].plan {
                    problems.push(
                        &key_at,
                        format!(
                            "API key `{key_name}` is in usage plan `{}` already; a key belongs to one plan",
                            usage.plans.get(other).map_or(plan_name.as_str(), |p: &Plan| p.name.as_str())
                        ),
                    );
                    continue;
                }
                let slot = plan.keys.len();
                keys[key].plan = Some((plan_index, slot));
                plan.keys.push(key);
                if let Some(throttle) = throttle {
                    plan.key_buckets.push(push_bucket(
                        &mut usage.buckets,
                        format!("p:{plan_name}:{key_name}"),
                        throttle,
                    ));
                }
                if let Some(quota) = quota {
                    plan.key_quotas.push(usage.quotas.len());
                    usage.quotas.push(QuotaSlot {
                        id: format!("{plan_name}:{key_name}"),
                        quota,
                        counter: Arc::new(QuotaCounter::default()),
                    });
                }
            }
            let mut methods = BTreeMap::new();
            for (method, raw_limit) in &raw.method_throttles {
                let here = [&at[..], &["method_throttles", method.as_str()]].concat();
                if let Some(l) = limit(raw_limit, &here, problems) {
                    plan.method_throttles.push((method.clone(), l));
                    methods.insert(normalise_method(method), (l, false));
                }
            }
            method_throttles.push(methods);
            usage.plans.push(plan);
        }
        for key in keys.iter().filter(|k| k.plan.is_none()) {
            problems.warn_key(
                &["api_keys", &key.name],
                "in no usage plan: requests with this key are refused, as in API Gateway".into(),
            );
        }
        usage.keys = Keys::new(std::mem::take(&mut keys));
        usage.store = store(loaded, prefix, problems);
        let stage_throttle = config
            .stage
            .throttle
            .and_then(|t| limit(&t, &["stage", "throttle"], problems));
        Self {
            usage,
            method_throttles,
            stage_throttle,
        }
    }

    /// The [`Access`] of method `verb` on resource `path`.
    pub(super) fn access(
        &mut self,
        path: &str,
        verb: &str,
        raw: &MethodConfig,
        at: &[&str],
        problems: &mut Problems<'_>,
    ) -> Access {
        let name = normalise_method(&format!("{verb} {path}"));
        let own = raw
            .throttle
            .and_then(|t| limit(&t, &[at, &["throttle"]].concat(), problems));
        let bucket = own
            .or(self.stage_throttle)
            .map(|l| push_bucket(&mut self.usage.buckets, format!("m:{name}"), l));
        let mut plan_buckets = Vec::new();
        if raw.api_key_required {
            for (plan_index, methods) in self.method_throttles.iter_mut().enumerate() {
                let Some((limit, matched)) = methods.get_mut(&name) else {
                    continue;
                };
                *matched = true;
                let plan = &self.usage.plans[plan_index];
                let buckets = plan
                    .keys
                    .iter()
                    .map(|&key| {
                        let id =
                            format!("pm:{}:{name}:{}", plan.name, self.usage.keys.keys[key].name);
                        push_bucket(&mut self.usage.buckets, id, *limit)
                    })
                    .collect();
                plan_buckets.push((plan_index, buckets));
            }
        }
        Access {
            api_key_required: raw.api_key_required,
            bucket,
            plan_buckets,
        }
    }

    /// Every per-method throttle must name a method that requires a key:
    /// only those requests carry a plan.
    pub(super) fn finish(self, problems: &mut Problems<'_>) -> Usage {
        for (plan, methods) in self.usage.plans.iter().zip(&self.method_throttles) {
            for (method, _) in &plan.method_throttles {
                if methods
                    .get(&normalise_method(method))
                    .is_some_and(|(_, matched)| !matched)
                {
                    problems.push_key(
                        &["usage_plans", &plan.name, "method_throttles", method],
                        "no method with `api_key_required: true` is named so: write it as `METHOD /resource/path`, as under `resources`".into(),
                    );
                }
            }
        }
        self.usage
    }
}

/// `put  /x` → `PUT /x`.
fn normalise_method(text: &str) -> String {
    let mut parts = text.split_whitespace();
    let verb = parts.next().unwrap_or_default().to_ascii_uppercase();
    let path = parts.next().unwrap_or_default();
    format!("{verb} {path}")
}

fn push_bucket(buckets: &mut Vec<BucketSlot>, id: String, limit: Limit) -> usize {
    buckets.push(BucketSlot {
        id,
        bucket: Arc::new(Bucket::new(limit)),
    });
    buckets.len() - 1
}

fn check_name(name: &str, at: &[&str], problems: &mut Problems<'_>) {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        problems.push_key(
            at,
            "a name is 1 to 128 letters, digits, `-`, `_` or `.`".into(),
        );
    }
}

fn limit(raw: &ThrottleConfig, at: &[&str], problems: &mut Problems<'_>) -> Option<Limit> {
    let mut ok = true;
    if !(raw.rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&raw.rate)) {
        problems.push(
            &[at, &["rate"]].concat(),
            format!("must be 0 (refuse every request) or between {MIN_RATE} and {MAX_RATE} requests per second"),
        );
        ok = false;
    }
    if raw.burst > MAX_BURST {
        problems.push(
            &[at, &["burst"]].concat(),
            format!("must be at most {MAX_BURST}"),
        );
        ok = false;
    }
    if raw.burst == 0 && raw.rate > 0.0 {
        problems.push(
            &[at, &["burst"]].concat(),
            "must be at least 1, or no request could ever pass (set `rate: 0` to refuse every request)".into(),
        );
        ok = false;
    }
    ok.then_some(Limit {
        rate: raw.rate,
        burst: raw.burst,
    })
}

fn keys(loaded: &Loaded, environment: &Environment, problems: &mut Problems<'_>) -> Vec<ApiKey> {
    let mut keys: Vec<ApiKey> = Vec::new();
    for (name, raw) in &loaded.config.api_keys {
        let at = ["api_keys", name.as_str()];
        check_name(name, &at, problems);
        let Some(value) = key_value(raw, &at, environment, problems) else {
            continue;
        };
        if value.chars().count() < MIN_KEY_LENGTH {
            problems.warn_key(
                &at,
                format!(
                    "shorter than {MIN_KEY_LENGTH} characters, API Gateway's minimum: easy to guess"
                ),
            );
        }
        if let Some(same) = keys.iter().find(|k| k.value.expose() == value) {
            problems.push_key(
                &at,
                format!(
                    "has the same value as API key `{}`; each key needs its own",
                    same.name
                ),
            );
            continue;
        }
        keys.push(ApiKey {
            name: name.clone(),
            value: Secret::new(value),
            enabled: raw.enabled,
            plan: None,
        });
    }
    keys
}

/// The key's value from exactly one of its sources. Messages name the
/// variable or the file, never what they hold.
fn key_value(
    raw: &ApiKeyConfig,
    at: &[&str],
    environment: &Environment,
    problems: &mut Problems<'_>,
) -> Option<String> {
    let sources = [
        raw.value_env.is_some(),
        raw.value_file.is_some(),
        raw.value.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        problems.push_key(
            at,
            "give the key's value with exactly one of `value_env`, `value_file` and `value`".into(),
        );
        return None;
    }
    let (value, source) = if let Some(variable) = &raw.value_env {
        match (environment.env)(variable) {
            Some(value) => (value, "value_env"),
            None => {
                problems.push(
                    &[at, &["value_env"]].concat(),
                    format!("the environment variable `{variable}` is not set"),
                );
                return None;
            }
        }
    } else if let Some(path) = &raw.value_file {
        match std::fs::read_to_string(path) {
            // Secret files usually end with a line break that is not part of the key.
            Ok(text) => (
                text.trim_end_matches(['\n', '\r']).to_string(),
                "value_file",
            ),
            Err(e) => {
                problems.push(
                    &[at, &["value_file"]].concat(),
                    format!("cannot read `{path}`: {}", e.kind()),
                );
                return None;
            }
        }
    } else {
        (raw.value.clone().unwrap_or_default(), "value")
    };
    if value.is_empty() || value.chars().any(|c| c.is_control()) {
        problems.push(
            &[at, &[source]].concat(),
            "the key is empty or holds control characters; a key travels in a header".into(),
        );
        return None;
    }
    Some(value)
}

fn store(loaded: &Loaded, prefix: String, problems: &mut Problems<'_>) -> Option<Arc<RedisStore>> {
    let state = &loaded.config.state;
    if !REDIS_TIMEOUT_MS.contains(&state.redis_timeout_ms) {
        problems.push(
            &["state", "redis_timeout_ms"],
            "must be between 1 and 10,000 milliseconds".into(),
        );
    }
    let url = state.redis_url.as_deref()?;
    RedisStore::new(
        url,
        Duration::from_millis(state.redis_timeout_ms.clamp(1, 10_000)),
        state.on_redis_error,
        prefix,
    )
    .map_err(|e| problems.push(&["state", "redis_url"], e))
    .ok()
    .map(Arc::new)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gateway_integration::Credentials;

    use crate::compile::{Environment, compile};
    use crate::config::Loaded;

    const RESOURCES: &str = "resources:\n  /things:\n    PUT:\n      api_key_required: true\n      integration:\n        type: mock\n";

    fn problems(yaml: &str) -> String {
        let loaded = Loaded::from_str(Path::new("t.yaml"), &format!("{yaml}{RESOURCES}")).unwrap();
        let environment = Environment {
            env: |name| (name == "SET_KEY").then(|| "from-the-environment-0123456789".to_string()),
            credentials: Credentials::fixed("a", "b", None),
        };
        match compile(&loaded, &environment) {
            Ok(api) => format!("ok; warnings: {}", api.warnings.join(" | ")),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_mistake_is_named_with_its_place_and_no_value() {
        let text = problems(concat!(
            "api_keys:\n",
            "  a:\n    value: secret-value-aaaaaaaaaaaaa\n",
            "  b:\n    value: secret-value-aaaaaaaaaaaaa\n",
            "  c:\n    value_env: UNSET_KEY\n",
            "  d:\n    value: x\n    value_env: SET_KEY\n",
            "  e:\n    value_env: SET_KEY\n",
            "usage_plans:\n",
            "  gold:\n    api_keys: [a, nobody]\n    throttle: {rate: 10, burst: 0}\n",
            "    quota: {limit: 5, period: week, offset: 7}\n",
            "    method_throttles:\n      \"GET /things\": {rate: 1, burst: 1}\n",
            "  silver:\n    api_keys: [a, e]\n",
            "stage:\n  throttle: {rate: 5000000, burst: 1}\n",
            "state:\n  redis_url: http://cache:6379\n",
        ));
        for expected in [
            "t.yaml:4:3: api_keys.b: has the same value as API key `a`",
            "t.yaml:7:16: api_keys.c.value_env: the environment variable `UNSET_KEY` is not set",
            "t.yaml:8:3: api_keys.d: give the key's value with exactly one of",
            "usage_plans.gold.api_keys.1: no API key named `nobody`",
            "usage_plans.gold.throttle.burst: must be at least 1",
            "usage_plans.gold.quota.offset: a `week` quota's offset is 0 to 6",
            "usage_plans.gold.method_throttles.GET /things: no method with `api_key_required: true` is named so",
            "usage_plans.silver.api_keys.0: API key `a` is in usage plan `gold` already",
            "stage.throttle.rate: must be 0 (refuse every request) or between",
            "state.redis_url: expected a `redis://` or `rediss://` URL",
        ] {
            assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
        }
        assert!(!text.contains("secret-value"), "{text}");
        assert!(!text.contains("from-the-environment"), "{text}");
    }

    #[test]
    fn short_keys_and_keys_in_no_plan_load_with_warnings() {
        let text = problems(concat!(
            "api_keys:\n  short:\n    value: abc\n  spare:\n    value: spare-key-0123456789abcdef\n",
            "usage_plans:\n  gold:\n    api_keys: [short]\n",
            "    method_throttles:\n      \"put /things\": {rate: 1, burst: 1}\n",
        ));
        assert!(text.starts_with("ok"), "{text}");
        assert!(
            text.contains("api_keys.short: shorter than 20 characters"),
            "{text}"
        );
        assert!(text.contains("api_keys.spare: in no usage plan"), "{text}");
        assert!(!text.contains("spare-key"), "{text}");
    }
}
