//! Integration requests: the endpoint, the signer, parameter mappings,
//! templates, and the integration responses.

use std::collections::BTreeMap;
use std::time::Duration;

use gateway_integration::{Call, Endpoint, Operation, PathTemplate, Service, Signer};

use crate::api::Integration;
use crate::config::IntegrationConfig;
use crate::params::{self, Side, Target};

use super::{Problems, Shared, responses, substitute_stage_variables, templates};

/// The largest integration timeout accepted, in milliseconds. API Gateway caps
/// it at 29 s by default; quotas can raise it, so more is allowed, to a bound.
const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
const MIN_TIMEOUT_MS: u64 = 50;

pub(super) fn compile(
    raw: &IntegrationConfig,
    method_at: &[&str],
    shared: &Shared<'_>,
    signers: &mut BTreeMap<String, Signer>,
    problems: &mut Problems<'_>,
) -> Option<Integration> {
    let before = problems.list.len();
    let at: Vec<&str> = method_at.iter().copied().chain(["integration"]).collect();
    let key = |k: &'static str| -> Vec<&str> { at.iter().copied().chain([k]).collect() };
    let variables = &shared.stage.variables;

    let http_method =
        match http::Method::from_bytes(raw.http_method.to_ascii_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                problems.push(
                    &key("http_method"),
                    format!("`{}` is not an HTTP method", raw.http_method),
                );
                http::Method::POST
            }
        };
    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&raw.timeout_ms) {
        problems.push(
            &key("timeout_ms"),
            format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds"),
        );
    }
    let service = substitute_stage_variables(&raw.service, variables)
        .map_err(|e| problems.push(&key("service"), e))
        .ok()
        .unwrap_or_default();
    if !service.is_empty()
        && !service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        problems.push(
            &key("service"),
            format!("`{service}` is not an AWS service name"),
        );
    }
    let operation = operation(raw, &at, variables, problems);
    let mut request_parameters = Vec::new();
    for (target, source) in &raw.request_parameters {
        let mut path = key("request_parameters");
        path.push(target);
        match (
            params::parse_target(target, Side::IntegrationRequest),
            params::parse_source(source, Side::IntegrationRequest),
        ) {
            (Ok(Target::Path(name)), _) if !matches!(&operation, Some(Operation::Path(p)) if p.params().any(|n| n == name)) => {
                problems.push_key(
                    &path,
                    format!("`{target}`: the integration `path` has no `{{{name}}}` placeholder"),
                )
            }
            (Ok(t), Ok(s)) => request_parameters.push((t, s)),
            (Err(e), _) => problems.push_key(&path, e),
            (_, Err(e)) => problems.push(&path, e),
        }
    }
    if let Some(Operation::Path(template)) = &operation {
        for name in template.params() {
            let mapped = request_parameters
                .iter()
                .any(|(t, _)| matches!(t, Target::Path(n) if n == name));
            if !mapped {
                problems.push(
                    &key("path"),
                    format!("`{{{name}}}` has no value: add `integration.request.path.{name}` to `request_parameters`"),
                );
            }
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

    let service = Service::lookup(&service);
    let endpoint = Endpoint::resolve(
        &service,
        &shared.region,
        problems.loaded.config.aws.endpoint_url.as_deref(),
        &|name| (shared.environment.env)(name),
    )
    .map_err(|e| problems.push(&["aws", "endpoint_url"], e.to_string()))
    .ok();

    if problems.list.len() > before {
        return None;
    }
    let (endpoint, operation) = (endpoint?, operation?);
    let signer = signers
        .entry(service.name.clone())
        .or_insert_with(|| {
            Signer::new(
                &service,
                &shared.region,
                shared.environment.credentials.clone(),
            )
        })
        .clone();
    Some(Integration {
        http_method,
        call: Call {
            service,
            endpoint,
            operation,
        },
        signer,
        timeout: Duration::from_millis(raw.timeout_ms),
        request_parameters,
        templates: request_templates,
        passthrough: raw.passthrough_behavior,
        json_guard: raw.json_guard,
        responses,
    })
}

/// `action` or `path`: exactly one.
fn operation(
    raw: &IntegrationConfig,
    at: &[&str],
    variables: &BTreeMap<String, String>,
    problems: &mut Problems<'_>,
) -> Option<Operation> {
    let key = |k: &'static str| -> Vec<&str> { at.iter().copied().chain([k]).collect() };
    match (&raw.action, &raw.path) {
        (Some(action), None) => {
            let action = substitute_stage_variables(action, variables)
                .map_err(|e| problems.push(&key("action"), e))
                .ok()?;
            if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
                problems.push(&key("action"), format!("`{action}` is not an action name"));
                return None;
            }
            Some(Operation::Action(action))
        }
        (None, Some(path)) => {
            let path = substitute_stage_variables(path, variables)
                .map_err(|e| problems.push(&key("path"), e))
                .ok()?;
            PathTemplate::parse(&path)
                .map(Operation::Path)
                .map_err(|e| problems.push(&key("path"), e.to_string()))
                .ok()
        }
        (Some(_), Some(_)) => {
            problems.push(
                &key("path"),
                "set either `action` or `path`, not both".into(),
            );
            None
        }
        (None, None) => {
            problems.push_key(
                at,
                "an aws integration needs an `action` or a `path`".into(),
            );
            None
        }
    }
}
