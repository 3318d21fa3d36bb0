//! The API's stage: its name, variables and access-log format, from an
//! `AWS::ApiGateway::Stage` of the API (or the `StageName` of its
//! `AWS::ApiGateway::Deployment`), or from an `AWS::Serverless::Api`'s own
//! properties. Stage settings the gateway does not have (throttling,
//! caching, tracing, canaries) are one warning each.

use serde_json::Value as Json;

use super::intrinsics::scalar_string;
use super::template::Node;
use super::usage::number;
use super::{Import, SERVERLESS_API, property_pointer, refers_to, resource_pointer};
use crate::config::{Config, ThrottleConfig};

/// Applies the stage of API `id` to `config`.
pub(super) fn apply(import: &mut Import<'_>, id: &str, api: &Node, config: &mut Config) {
    if api.get("Type").and_then(Node::as_str) == Some(SERVERLESS_API) {
        read(import, id, api, config, "StageName");
        return;
    }
    let resources = import
        .resolver
        .template
        .get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default();
    let of_api = |ty: &str| -> Vec<(&str, &Node)> {
        resources
            .iter()
            .filter(|(_, node)| node.get("Type").and_then(Node::as_str) == Some(ty))
            .filter(|(_, node)| {
                refers_to(node.get("Properties").and_then(|p| p.get("RestApiId")), id)
            })
            .filter(|(_, node)| import.resolver.exists(node).unwrap_or(true))
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    };
    let stages = of_api("AWS::ApiGateway::Stage");
    if let Some(((first, node), rest)) = stages.split_first() {
        read(import, first, node, config, "StageName");
        for (other, node) in rest {
            import.warn(
                node.pos,
                resource_pointer(other),
                format!("`{other}`: the API has several stages; the gateway serves one, `{first}`'s, and ignores this one"),
            );
        }
        return;
    }
    // A deployment's StageName makes a stage, with its StageDescription.
    if let Some((deployment, node)) =
        of_api("AWS::ApiGateway::Deployment")
            .into_iter()
            .find(|(_, n)| {
                n.get("Properties")
                    .and_then(|p| p.get("StageName"))
                    .is_some()
            })
    {
        read(import, deployment, node, config, "StageName");
        if let Some(description) = node
            .get("Properties")
            .and_then(|p| p.get("StageDescription"))
        {
            let holder = Node::new(
                description.pos,
                super::template::Value::Map(vec![("Properties".into(), description.clone())]),
            );
            settings(import, deployment, &holder, config, "StageDescription");
        }
    }
}

/// The name, variables and settings of a stage-like resource.
fn read(import: &mut Import<'_>, id: &str, node: &Node, config: &mut Config, name_key: &str) {
    let properties = node.get("Properties");
    if let Some(name) = properties.and_then(|p| p.get(name_key)) {
        match import.resolver.resolve_string(name) {
            Ok(name) => config.stage.name = name,
            Err(e) => import.error(e, &property_pointer(id, name_key)),
        }
    }
    settings(import, id, node, config, "");
}

/// `Variables`, `MethodSettings` and the stage's own settings, under
/// `Properties` of `node` (`within` names where they are, for pointers).
fn settings(import: &mut Import<'_>, id: &str, node: &Node, config: &mut Config, within: &str) {
    let Some(properties) = node.get("Properties").and_then(Node::as_map) else {
        return;
    };
    let pointer = |key: &str| {
        if within.is_empty() {
            property_pointer(id, key)
        } else {
            format!("{}/{key}", property_pointer(id, within))
        }
    };
    for (key, value_node) in properties {
        let value = match import.resolver.resolve(value_node) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(e) => {
                import.error(e, &pointer(key));
                continue;
            }
        };
        match key.as_str() {
            "Variables" => match value {
                Json::Object(variables) => {
                    for (name, value) in variables {
                        match scalar_string(&value) {
                            Some(text) => {
                                config.stage.variables.insert(name, text);
                            }
                            None => {
                                let problem = import.problem(
                                    value_node.pos,
                                    &pointer(key),
                                    &format!("the stage variable `{name}` must be a string"),
                                );
                                import.problems.push(problem);
                            }
                        }
                    }
                }
                _ => {
                    let problem = import.problem(
                        value_node.pos,
                        &pointer(key),
                        "Variables must be a mapping",
                    );
                    import.problems.push(problem);
                }
            },
            "MethodSettings" => method_settings(import, value_node, &value, &pointer(key), config),
            "AccessLogSetting" => {
                if let Some(format) = value.get("Format").and_then(Json::as_str) {
                    config.access_log.format = format.to_string();
                }
            }
            // A deployment's StageDescription: the stage's default throttle.
            "ThrottlingRateLimit" | "ThrottlingBurstLimit" => {
                let read = |name: &str| {
                    properties
                        .iter()
                        .find(|(k, _)| k == name)
                        .and_then(|(_, n)| import.resolver.resolve(n).ok().flatten())
                };
                let (rate, burst) = (read("ThrottlingRateLimit"), read("ThrottlingBurstLimit"));
                if let Some(throttle) = throttle(rate.as_ref(), burst.as_ref()) {
                    config.stage.throttle = Some(throttle);
                }
            }
            "CacheClusterEnabled"
            | "CachingEnabled"
            | "TracingEnabled"
            | "MetricsEnabled"
            | "DataTraceEnabled"
                if value == Json::Bool(false) || value == Json::String("false".into()) => {}
            "CacheClusterEnabled"
            | "CacheClusterSize"
            | "CachingEnabled"
            | "CacheTtlInSeconds"
            | "CacheDataEncrypted" => import.warn(
                value_node.pos,
                pointer(key),
                format!("the stage's `{key}`: response caching is not supported; ignored"),
            ),
            "TracingEnabled" => import.warn(
                value_node.pos,
                pointer(key),
                "the stage's `TracingEnabled`: X-Ray tracing is not supported; ignored".to_string(),
            ),
            "CanarySetting" | "ClientCertificateId" | "DocumentationVersion" => import.warn(
                value_node.pos,
                pointer(key),
                format!("the stage's `{key}` is not supported; ignored"),
            ),
            // Where the stage comes from, how it is described and logged:
            // nothing that changes what a request does.
            _ => {}
        }
    }
}

/// A throttle from `ThrottlingRateLimit` and `ThrottlingBurstLimit`, when
/// both are numbers (CloudFormation passes numbers as strings too).
fn throttle(rate: Option<&Json>, burst: Option<&Json>) -> Option<ThrottleConfig> {
    let (rate, burst) = (number(rate?)?, number(burst?)?);
    (rate >= 0.0 && burst >= 0.0).then_some(ThrottleConfig {
        rate,
        burst: burst as u64,
    })
}

/// Method settings: throttling becomes the stage's throttle (`/*` and `*`)
/// or a method's; caching is warned about, one warning per setting and
/// method.
fn method_settings(
    import: &mut Import<'_>,
    node: &Node,
    value: &Json,
    pointer: &str,
    config: &mut Config,
) {
    let Json::Array(settings) = value else { return };
    for (index, setting) in settings.iter().enumerate() {
        let Json::Object(setting) = setting else {
            continue;
        };
        let method = format!(
            "{} {}",
            setting
                .get("HttpMethod")
                .and_then(Json::as_str)
                .unwrap_or("*"),
            setting
                .get("ResourcePath")
                .and_then(Json::as_str)
                .unwrap_or("/*")
        );
        let pos = node
            .as_seq()
            .and_then(|items| items.get(index))
            .map_or(node.pos, |n| n.pos);
        if let Some(limits) = throttle(
            setting.get("ThrottlingRateLimit"),
            setting.get("ThrottlingBurstLimit"),
        ) {
            // `ResourcePath` is `/` then the resource's path with each `/`
            // escaped as `~1`, as in a JSON pointer: `/~1things~1{id}`; `/*`
            // is every resource.
            let raw = setting
                .get("ResourcePath")
                .and_then(Json::as_str)
                .unwrap_or("/*");
            let path = match raw.strip_prefix('/').unwrap_or(raw) {
                "*" => "/*".to_string(),
                "" => "/".to_string(),
                escaped => escaped.replace("~1", "/"),
            };
            let verb = setting
                .get("HttpMethod")
                .and_then(Json::as_str)
                .unwrap_or("*")
                .to_ascii_uppercase();
            if path == "/*" && verb == "*" {
                config.stage.throttle = Some(limits);
            } else if let Some(found) = config
                .resources
                .get_mut(&path)
                .and_then(|r| r.methods.get_mut(&verb))
            {
                found.throttle = Some(limits);
            } else {
                import.warn(
                    pos,
                    format!("{pointer}/{index}"),
                    format!("the throttle of {method} names no method of the API; ignored"),
                );
            }
        }
        for (key, value) in setting {
            let feature = match key.as_str() {
                "ThrottlingBurstLimit" | "ThrottlingRateLimit" => continue,
                "CachingEnabled" if value != &Json::Bool(true) => continue,
                "CachingEnabled"
                | "CacheTtlInSeconds"
                | "CacheDataEncrypted"
                | "RequireAuthorizationForCacheControl"
                | "UnauthorizedCacheControlHeaderStrategy" => "response caching is not supported",
                _ => continue,
            };
            import.warn(
                pos,
                format!("{pointer}/{index}/{key}"),
                format!("`{key}` of {method}: {feature}; ignored"),
            );
        }
    }
}
