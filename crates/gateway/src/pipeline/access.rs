//! The access stage, after routing and before the body is read: the API
//! key (403 `INVALID_API_KEY`), then the usage plan's and the method's
//! throttles (429 `THROTTLED`) and the plan's quota (429 `QUOTA_EXCEEDED`).
//!
//! The client reads API Gateway's words ("Forbidden", "Too Many Requests",
//! "Limit Exceeded"); the operator's log line says which key, plan and
//! limit, never a key's value.

use std::borrow::Cow;

use super::Record;
use super::request::Exchange;
use crate::api::Api;
use crate::config::OnRedisError;
use crate::error::{Cause, GatewayError, Origin, ResponseType};
use crate::usage::{Decision, KeyRefusal, Scope, Usage, period_name};

/// A throttle, a quota or the state store stopped or failed a request: for
/// the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitEvent {
    Throttled(Scope),
    QuotaExceeded,
    /// Redis did not answer, and the policy applied.
    StoreFailed(OnRedisError),
}

/// Checks the key, then the limits. A valid key fills
/// `$context.identity.apiKey` and `apiKeyId`.
pub async fn check(
    api: &Api,
    exchange: &mut Exchange,
    record: &mut Record,
) -> Result<(), GatewayError> {
    let Some(method) = exchange.method().cloned() else {
        return Ok(());
    };
    let access = &method.access;
    let usage = &api.usage;
    let key = if access.api_key_required {
        // API Gateway's HEADER key source. Its AUTHORIZER source (a Lambda
        // authorizer's `usageIdentifierKey`) would hand its value to the
        // same lookup, after the authorizer stage.
        let found = usage.keys.find(exchange.request.header("x-api-key"));
        let index = found.map_err(|refusal| invalid_key(usage, refusal))?;
        let key = &usage.keys.keys[index];
        let identity = &mut exchange.context.identity;
        identity.api_key = key.value.expose().to_string();
        identity.api_key_id.clone_from(&key.name);
        Some(index)
    } else {
        None
    };
    let checks = usage.checks(access, key);
    if checks.is_empty() {
        return Ok(());
    }
    match usage.admit(&checks).await {
        Decision::Pass => Ok(()),
        Decision::Throttled(bucket, scope) => {
            record.limit = Some(LimitEvent::Throttled(scope));
            let limit = usage.buckets[bucket].bucket.limit();
            let whose = match (scope, key.and_then(|k| plan_of(usage, k))) {
                (Scope::PlanMethod, Some((plan, key))) => {
                    format!("usage plan `{plan}`'s throttle for this method, for API key `{key}`")
                }
                (Scope::Plan, Some((plan, key))) => {
                    format!("usage plan `{plan}`'s throttle, for API key `{key}`")
                }
                _ => "the method's throttle (its own, or `stage.throttle`)".to_string(),
            };
            Err(GatewayError::client_with_cause(
                ResponseType::Throttled,
                "Too Many Requests",
                format!("over {whose}: {limit}"),
            ))
        }
        Decision::QuotaExceeded(counter) => {
            record.limit = Some(LimitEvent::QuotaExceeded);
            let quota = usage.quotas[counter].quota;
            let (plan, key) = key.and_then(|k| plan_of(usage, k)).unwrap_or_default();
            Err(GatewayError::client_with_cause(
                ResponseType::QuotaExceeded,
                "Limit Exceeded",
                format!(
                    "API key `{key}` has used usage plan `{plan}`'s quota of {} per {}",
                    quota.limit,
                    period_name(quota.period)
                ),
            ))
        }
        Decision::Unavailable(error, policy) => {
            record.limit = Some(LimitEvent::StoreFailed(policy));
            match policy {
                OnRedisError::Allow => {
                    crate::report::limits_skipped(exchange, &error);
                    Ok(())
                }
                OnRedisError::Deny => Err(GatewayError {
                    kind: ResponseType::ServiceUnavailable,
                    origin: Origin::Gateway,
                    cause: Box::new(Cause::Refused(format!(
                        "throttles and quotas could not be checked, and `state.on_redis_error` is deny: {error}"
                    ))),
                    message: Cow::Borrowed("Service Unavailable"),
                    validation_error: String::new(),
                    allow: None,
                    retry_after: Some(1),
                }),
            }
        }
    }
}

/// The plan's and the key's names.
fn plan_of(usage: &Usage, key: usize) -> Option<(&str, &str)> {
    let key = &usage.keys.keys[key];
    let (plan, _) = key.plan?;
    Some((usage.plans[plan].name.as_str(), key.name.as_str()))
}

/// 403 `INVALID_API_KEY`, "Forbidden", as API Gateway answers a missing,
/// unknown or disabled key alike (its `InvalidKeyParameter`).
fn invalid_key(usage: &Usage, refusal: KeyRefusal) -> GatewayError {
    let name = |index: usize| usage.keys.keys[index].name.as_str();
    let cause = match refusal {
        KeyRefusal::Missing => "no API key: the method requires one in `x-api-key`".to_string(),
        KeyRefusal::Unknown => "the `x-api-key` value matches no API key".to_string(),
        KeyRefusal::Disabled(index) => format!("API key `{}` is disabled", name(index)),
        KeyRefusal::NoPlan(index) => format!(
            "API key `{}` is in no usage plan, so API Gateway would refuse it",
            name(index)
        ),
    };
    GatewayError::client_with_cause(ResponseType::InvalidApiKey, "Forbidden", cause)
}
