//! API keys, usage plans and throttles: `AWS::ApiGateway::ApiKey`,
//! `UsagePlan` and `UsagePlanKey` resources, and a stage's throttling
//! `MethodSettings`, as gateway.yaml's `api_keys`, `usage_plans`,
//! `stage.throttle` and methods' `throttle`.
//!
//! CloudFormation makes up the value of a key declared without `Value`; a
//! gateway cannot, so such a key is read from the environment variable
//! `API_KEY_<LOGICAL_ID>` (upper case, `-` as `_`), with a warning saying so.

use serde_json::Value as Json;

use super::intrinsics::scalar_string;
use super::template::Node;
use super::{Import, property_pointer, refers_to};
use crate::config::{
    ApiKeyConfig, Config, QuotaConfig, QuotaPeriod, ThrottleConfig, UsagePlanConfig,
};

/// Applies the keys and usage plans of API `api` to `config`.
pub(super) fn apply(import: &mut Import<'_>, api: &str, config: &mut Config) {
    let resources: Vec<(String, Node)> = import
        .resolver
        .template
        .get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|(id, node)| (id.clone(), node.clone()))
        .collect();
    let of_type = |ty: &str| -> Vec<&(String, Node)> {
        resources
            .iter()
            .filter(|(_, node)| node.get("Type").and_then(Node::as_str) == Some(ty))
            .collect()
    };

    // Plans that serve a stage of this API.
    let mut plans: Vec<(String, String)> = Vec::new();
    for (id, node) in of_type("AWS::ApiGateway::UsagePlan") {
        let Some(properties) = node.get("Properties") else {
            continue;
        };
        let stages = properties
            .get("ApiStages")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        let ours: Vec<&Node> = stages
            .iter()
            .filter(|stage| refers_to(stage.get("ApiId"), api))
            .collect();
        if ours.is_empty() {
            continue;
        }
        let mut plan = UsagePlanConfig::default();
        if let Some(throttle) = properties.get("Throttle") {
            plan.throttle = throttle_of(import, throttle, &property_pointer(id, "Throttle"));
        }
        if let Some(quota) = properties.get("Quota") {
            plan.quota = quota_of(import, quota, &property_pointer(id, "Quota"));
        }
        for stage in ours {
            let Some(throttles) = stage.get("Throttle").and_then(Node::as_map) else {
                continue;
            };
            for (target, value) in throttles {
                // `/streams/{stream-name}/record/PUT`: the path, then the method.
                let pointer = format!("{}/Throttle/{target}", property_pointer(id, "ApiStages"));
                let Some((path, verb)) = target.rsplit_once('/') else {
                    let problem = import.problem(
                        value.pos,
                        &pointer,
                        "a method throttle is named `/resource/path/METHOD`",
                    );
                    import.problems.push(problem);
                    continue;
                };
                let path = if path.is_empty() { "/" } else { path };
                if let Some(throttle) = throttle_of(import, value, &pointer) {
                    plan.method_throttles
                        .insert(format!("{} {path}", verb.to_ascii_uppercase()), throttle);
                }
            }
        }
        let name = properties
            .get("UsagePlanName")
            .and_then(|n| import.resolver.resolve_string(n).ok())
            .unwrap_or_else(|| id.clone());
        plans.push((id.clone(), name.clone()));
        config.usage_plans.insert(name, plan);
    }

    // Keys, and which plan each belongs to.
    for (id, node) in of_type("AWS::ApiGateway::UsagePlanKey") {
        let Some(properties) = node.get("Properties") else {
            continue;
        };
        let plan = plans
            .iter()
            .find(|(plan_id, _)| refers_to(properties.get("UsagePlanId"), plan_id));
        let key_id = properties
            .get("KeyId")
            .and_then(Node::intrinsic)
            .filter(|(f, _)| *f == "Ref")
            .and_then(|(_, arg)| arg.as_str());
        let (Some((_, plan_name)), Some(key_id)) = (plan, key_id) else {
            if plan.is_some() {
                import.warn(
                    node.pos,
                    property_pointer(id, "KeyId"),
                    format!("`{id}`: a key is taken by `Ref` to an AWS::ApiGateway::ApiKey of the template; ignored"),
                );
            }
            continue;
        };
        let Some((_, key_node)) = resources.iter().find(|(k, _)| k == key_id) else {
            continue;
        };
        let key_name = key(import, key_id, key_node, config);
        if let Some(plan) = config.usage_plans.get_mut(plan_name)
            && !plan.api_keys.contains(&key_name)
        {
            plan.api_keys.push(key_name);
        }
    }
}

/// Declares the key of resource `id` in `config`, once; its name.
fn key(import: &mut Import<'_>, id: &str, node: &Node, config: &mut Config) -> String {
    let properties = node.get("Properties");
    let name = properties
        .and_then(|p| p.get("Name"))
        .and_then(|n| import.resolver.resolve_string(n).ok())
        .unwrap_or_else(|| id.to_string());
    if config.api_keys.contains_key(&name) {
        return name;
    }
    let enabled = properties
        .and_then(|p| p.get("Enabled"))
        .and_then(|e| import.resolver.resolve(e).ok().flatten())
        .and_then(|v| scalar_string(&v))
        .is_none_or(|v| v != "false");
    let value = properties
        .and_then(|p| p.get("Value"))
        .and_then(|v| import.resolver.resolve_string(v).ok());
    let mut config_key = ApiKeyConfig {
        value_env: None,
        value_file: None,
        value: None,
        enabled,
    };
    match value {
        Some(value) => config_key.value = Some(value),
        None => {
            let variable = format!(
                "API_KEY_{}",
                id.to_ascii_uppercase().replace(['-', '.'], "_")
            );
            import.warn(
                node.pos,
                super::resource_pointer(id),
                format!("`{id}` has no `Value` (CloudFormation would make one up): its value is read from the environment variable {variable}"),
            );
            config_key.value_env = Some(variable);
        }
    }
    config.api_keys.insert(name.clone(), config_key);
    name
}

/// `{RateLimit, BurstLimit}`.
fn throttle_of(import: &mut Import<'_>, node: &Node, pointer: &str) -> Option<ThrottleConfig> {
    let value = match import.resolver.resolve(node) {
        Ok(Some(value)) => value,
        Ok(None) => return None,
        Err(e) => {
            import.error(e, pointer);
            return None;
        }
    };
    let field = |key: &str| value.get(key).and_then(number);
    match (field("RateLimit"), field("BurstLimit")) {
        (Some(rate), Some(burst)) if rate >= 0.0 && burst >= 0.0 => Some(ThrottleConfig {
            rate,
            burst: burst as u64,
        }),
        _ => {
            let problem = import.problem(
                node.pos,
                pointer,
                "a throttle needs numbers `RateLimit` and `BurstLimit`, 0 or more",
            );
            import.problems.push(problem);
            None
        }
    }
}

/// `{Limit, Period, Offset}`.
fn quota_of(import: &mut Import<'_>, node: &Node, pointer: &str) -> Option<QuotaConfig> {
    let value = match import.resolver.resolve(node) {
        Ok(Some(value)) => value,
        Ok(None) => return None,
        Err(e) => {
            import.error(e, pointer);
            return None;
        }
    };
    let period = match value.get("Period").and_then(Json::as_str) {
        Some(p) if p.eq_ignore_ascii_case("DAY") => Some(QuotaPeriod::Day),
        Some(p) if p.eq_ignore_ascii_case("WEEK") => Some(QuotaPeriod::Week),
        Some(p) if p.eq_ignore_ascii_case("MONTH") => Some(QuotaPeriod::Month),
        _ => None,
    };
    let limit = value.get("Limit").and_then(number);
    let offset = value.get("Offset").and_then(number).unwrap_or(0.0);
    match (limit, period) {
        (Some(limit), Some(period)) if limit >= 1.0 => Some(QuotaConfig {
            limit: limit as u64,
            period,
            offset: offset as u32,
        }),
        _ => {
            let problem = import.problem(
                node.pos,
                pointer,
                "a quota needs `Limit` (1 or more) and `Period` (DAY, WEEK or MONTH)",
            );
            import.problems.push(problem);
            None
        }
    }
}

/// A number, or a string of one (CloudFormation passes both).
pub(super) fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}
