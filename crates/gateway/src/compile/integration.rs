//! Integration requests: the backend (an AWS call with its signer, an HTTP
//! call, or a mock), parameter mappings, templates, and the integration
//! responses.

use std::collections::BTreeMap;
use std::time::Duration;

use gateway_integration::{
    AwsUri, Call, Credentials, Endpoint, EndpointSource, Operation, Service, Signer, parse_http_uri,
};

use gateway_mapping::params::{self, Side, Target};

use crate::api::{Backend, Integration};
use crate::config::{IntegrationConfig, IntegrationType};

use super::{Problems, Shared, child, responses, substitute_stage_variables, templates};

pub(in crate::compile) mod proxy;

/// The largest integration timeout accepted, in milliseconds. API Gateway caps
/// it at 29 s by default; quotas can raise it, so more is allowed, to a bound.
const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
const MIN_TIMEOUT_MS: u64 = 50;

/// Signers and assumed-role credentials, shared between integrations.
#[derive(Default)]
pub(super) struct Signers {
    /// By (service, region, role).
    signers: BTreeMap<(String, String, Option<String>), Signer>,
    /// By (role ARN, region): a role is assumed through its region's STS.
    roles: BTreeMap<(String, String), Credentials>,
}

pub(super) fn compile(
    raw: &IntegrationConfig,
    method_at: &[&str],
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
) -> Option<Integration> {
    let before = problems.list.len();
    let at: Vec<&str> = child(method_at, "integration");
    let key = |k: &'static str| -> Vec<&str> { child(&at, k) };

    let http_method = match (&raw.http_method, raw.kind) {
        // A proxy's `ANY` is the method request's own verb, as in API Gateway.
        (Some(verb), IntegrationType::HttpProxy) if verb.eq_ignore_ascii_case("ANY") => None,
        (Some(verb), _) => match http::Method::from_bytes(verb.to_ascii_uppercase().as_bytes()) {
            Ok(m) => Some(m),
            Err(_) => {
                problems.push(
                    &key("http_method"),
                    format!("`{verb}` is not an HTTP method"),
                );
                None
            }
        },
        (None, IntegrationType::Aws | IntegrationType::AwsProxy) => Some(http::Method::POST),
        (None, _) => None,
    };
    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&raw.timeout_ms) {
        problems.push(
            &key("timeout_ms"),
            format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds"),
        );
    }
    let backend = match raw.kind {
        IntegrationType::Aws => aws_backend(raw, &at, shared, signers, problems),
        IntegrationType::Http => http_backend(raw, &at, shared, problems),
        IntegrationType::Mock => mock_backend(raw, &at, problems),
        IntegrationType::HttpProxy => proxy::http_proxy_backend(raw, &at, shared, problems),
        IntegrationType::AwsProxy => proxy::lambda_backend(raw, &at, shared, signers, problems),
    };
    // An `http_proxy` fills a placeholder from the route's path parameter of
    // the same name when no mapping names it.
    let route_params = match raw.kind {
        IntegrationType::HttpProxy => proxy::route_params(method_at[1]),
        _ => Vec::new(),
    };
    let placeholders: Vec<String> = backend
        .as_ref()
        .and_then(Backend::call)
        .map(|c| {
            c.operation
                .placeholders()
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();

    let mut request_parameters = Vec::new();
    for (target, source) in &raw.request_parameters {
        let mut path = key("request_parameters");
        path.push(target);
        match (
            params::parse_target(target, Side::IntegrationRequest),
            params::parse_source(source, Side::IntegrationRequest),
        ) {
            // API Gateway accepts a path mapping the URI does not use (published
            // patterns map `integration.request.path.PetType` on action calls), so
            // such a definition loads; the mapping is left out.
            (Ok(Target::Path(name)), Ok(_)) if !placeholders.contains(&name) => problems.warn_key(
                &path,
                format!(
                    "`{target}` is not used: the integration URI has no `{{{name}}}` placeholder"
                ),
            ),
            (Ok(t), Ok(s)) => request_parameters.push((t, s)),
            (Err(e), _) => problems.push_key(&path, e),
            (_, Err(e)) => problems.push(&path, e),
        }
    }
    for name in &placeholders {
        if !route_params.contains(name)
            && !request_parameters
                .iter()
                .any(|(t, _)| matches!(t, Target::Path(n) if n == name))
        {
            problems.push_key(
                &at,
                format!("`{{{name}}}` in the integration URI has no value: add `integration.request.path.{name}` to `request_parameters`"),
            );
        }
    }

    let name = format!("{} {}", method_at[2], method_at[1]);
    let request_templates = templates(
        &raw.request_templates,
        &key("request_templates"),
        &name,
        problems,
    );
    let responses =
        responses::integration_responses(&raw.responses, &key("responses"), &name, problems);

    if problems.list.len() > before {
        return None;
    }
    Some(Integration {
        http_method,
        backend: backend?,
        timeout: Duration::from_millis(raw.timeout_ms),
        request_parameters,
        templates: request_templates,
        passthrough: raw.passthrough_behavior,
        json_guard: raw.json_guard,
        content_handling: raw.content_handling,
        responses,
    })
}

/// Complains about keys that do not belong to the integration's type.
fn reject(
    raw: &IntegrationConfig,
    at: &[&str],
    keys: &[&'static str],
    problems: &mut Problems<'_>,
) {
    let kind = match raw.kind {
        IntegrationType::Aws => "aws",
        IntegrationType::Http => "http",
        IntegrationType::Mock => "mock",
        IntegrationType::HttpProxy => "http_proxy",
        IntegrationType::AwsProxy => "aws_proxy",
    };
    for &name in keys {
        let set = match name {
            "service" => raw.service.is_some(),
            "action" => raw.action.is_some(),
            "path" => raw.path.is_some(),
            "uri" => raw.uri.is_some(),
            "credentials" => raw.credentials.is_some(),
            "http_method" => raw.http_method.is_some(),
            "request_parameters" => !raw.request_parameters.is_empty(),
            "request_templates" => !raw.request_templates.is_empty(),
            "responses" => !raw.responses.is_empty(),
            "content_handling" => raw.content_handling.is_some(),
            _ => false,
        };
        if set {
            let path = child(at, name);
            problems.push_key(
                &path,
                format!("`{name}` does not apply to a `{kind}` integration"),
            );
        }
    }
}

fn aws_backend(
    raw: &IntegrationConfig,
    at: &[&str],
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
) -> Option<Backend> {
    let key = |k: &'static str| -> Vec<&str> { child(at, k) };
    let variables = &shared.stage.variables;
    let substitute = |value: &str, name: &'static str, problems: &mut Problems<'_>| {
        substitute_stage_variables(value, variables)
            .map_err(|e| problems.push(&key(name), e))
            .ok()
    };

    let (region, service, operation) = match (&raw.uri, &raw.service) {
        (Some(uri), None) => {
            reject(raw, at, &["action", "path"], problems);
            let uri = substitute(uri, "uri", problems)?;
            let parsed = AwsUri::parse(&uri)
                .map_err(|e| problems.push(&key("uri"), e.to_string()))
                .ok()?;
            (parsed.region, parsed.service, parsed.operation)
        }
        (None, Some(service)) => {
            let service = substitute(service, "service", problems)?;
            if service.is_empty()
                || !service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                problems.push(
                    &key("service"),
                    format!("`{service}` is not an AWS service name"),
                );
                return None;
            }
            let operation = match (&raw.action, &raw.path) {
                (Some(action), None) => {
                    let action = substitute(action, "action", problems)?;
                    if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
                        problems.push(&key("action"), format!("`{action}` is not an action name"));
                        return None;
                    }
                    Operation::action(action)
                }
                (None, Some(path)) => {
                    let path = substitute(path, "path", problems)?;
                    Operation::path(&path)
                        .map_err(|e| problems.push(&key("path"), e.to_string()))
                        .ok()?
                }
                (Some(_), Some(_)) => {
                    problems.push(
                        &key("path"),
                        "set either `action` or `path`, not both".into(),
                    );
                    return None;
                }
                (None, None) => {
                    problems.push_key(
                        at,
                        "an aws integration needs an `action` or a `path` (or a `uri`)".into(),
                    );
                    return None;
                }
            };
            (shared.region.clone(), service, operation)
        }
        (Some(_), Some(_)) => {
            problems.push(
                &key("uri"),
                "set either `uri` or `service`, not both".into(),
            );
            return None;
        }
        (None, None) => {
            problems.push_key(
                at,
                "an aws integration needs a `service` (with `action` or `path`) or a `uri`".into(),
            );
            return None;
        }
    };

    let service = Service::lookup(&service);
    let (base, signer) = signed_endpoint(raw, at, shared, signers, problems, &service, &region)?;
    let call = Call {
        base,
        service: Some(service),
        operation,
    };
    Some(Backend::Aws { call, signer })
}

/// The endpoint of `service` in `region` and its signer, with the role the
/// integration's `credentials` name (assumed through the region's STS), or
/// the gateway's own credentials.
fn signed_endpoint(
    raw: &IntegrationConfig,
    at: &[&str],
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
    service: &Service,
    region: &str,
) -> Option<(String, Signer)> {
    let key = |k: &'static str| -> Vec<&str> { child(at, k) };
    let variables = &shared.stage.variables;
    let substitute = |value: &str, name: &'static str, problems: &mut Problems<'_>| {
        substitute_stage_variables(value, variables)
            .map_err(|e| problems.push(&key(name), e))
            .ok()
    };
    let region = region.to_string();
    let explicit = problems.loaded.config.aws.endpoint_url.clone();
    let env = |name: &str| (shared.environment.env)(name);
    let endpoint = Endpoint::resolve(service, &region, explicit.as_deref(), &env)
        .map_err(|e| problems.push(&["aws", "endpoint_url"], e.to_string()))
        .ok()?;

    let role = match &raw.credentials {
        Some(arn) => {
            let arn = substitute(arn, "credentials", problems)?;
            if !is_role_arn(&arn) {
                problems.push(
                    &key("credentials"),
                    format!("`{arn}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
                );
                return None;
            }
            Some(arn)
        }
        None => None,
    };
    let credentials = match &role {
        Some(arn) => {
            let sts =
                Endpoint::resolve(&Service::lookup("sts"), &region, explicit.as_deref(), &env)
                    .map_err(|e| problems.push(&["aws", "endpoint_url"], e.to_string()))
                    .ok()?;
            let sts_endpoint =
                (*sts.source() != EndpointSource::Aws).then(|| sts.base().to_string());
            signers
                .roles
                .entry((arn.clone(), region.clone()))
                .or_insert_with(|| {
                    Credentials::assume_role(
                        arn,
                        &region,
                        sts_endpoint,
                        shared.environment.credentials.clone(),
                    )
                })
                .clone()
        }
        None => shared.environment.credentials.clone(),
    };
    let signer = signers
        .signers
        .entry((service.name.clone(), region.clone(), role))
        .or_insert_with(|| Signer::new(service, &region, credentials))
        .clone();
    Some((endpoint.base().to_string(), signer))
}

fn is_role_arn(arn: &str) -> bool {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        fields[..],
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    )
}

fn http_backend(
    raw: &IntegrationConfig,
    at: &[&str],
    shared: &Shared<'_>,
    problems: &mut Problems<'_>,
) -> Option<Backend> {
    reject(
        raw,
        at,
        &["service", "action", "path", "credentials"],
        problems,
    );
    let key: Vec<&str> = child(at, "uri");
    let Some(uri) = &raw.uri else {
        problems.push_key(at, "an http integration needs a `uri`".into());
        return None;
    };
    let uri = substitute_stage_variables(uri, &shared.stage.variables)
        .map_err(|e| problems.push(&key, e))
        .ok()?;
    let (base, operation) = parse_http_uri(&uri)
        .map_err(|e| problems.push(&key, e.to_string()))
        .ok()?;
    Some(Backend::Http {
        call: Call {
            service: None,
            base,
            operation,
        },
    })
}

fn mock_backend(
    raw: &IntegrationConfig,
    at: &[&str],
    problems: &mut Problems<'_>,
) -> Option<Backend> {
    reject(
        raw,
        at,
        &[
            "service",
            "action",
            "path",
            "uri",
            "credentials",
            "http_method",
        ],
        problems,
    );
    Some(Backend::Mock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_role_arns() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/apigAwsProxyRole"
        ));
        assert!(is_role_arn(
            "arn:aws-cn:iam::123456789012:role/path/to/role"
        ));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/alice"));
        assert!(!is_role_arn("arn:aws:iam::1234:role/x"));
        assert!(!is_role_arn("arn:aws:sts::123456789012:role/x"));
        assert!(!is_role_arn("role/x"));
    }
}
