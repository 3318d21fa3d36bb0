//! Integration requests: the endpoint, the signer, parameter mappings,
//! templates, and the integration responses.

use std::collections::BTreeMap;
use std::time::Duration;

use gateway_integration::{Endpoint, Signer};

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
    let action = substitute_stage_variables(&raw.action, variables)
        .map_err(|e| problems.push(&key("action"), e))
        .ok()
        .unwrap_or_default();
    if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.push(
            &key("action"),
            format!("`{}` is not an action name", raw.action),
        );
    }

    let mut request_parameters = Vec::new();
    for (target, source) in &raw.request_parameters {
        let mut path = key("request_parameters");
        path.push(target);
        match (params::parse_target(target, Side::IntegrationRequest), params::parse_source(source, Side::IntegrationRequest)) {
            (Ok(Target::Path(_)), _) => problems.push_key(
                &path,
                format!("`{target}`: path parameters apply to path-style integrations, and this integration calls an action"),
            ),
            (Ok(t), Ok(s)) => request_parameters.push((t, s)),
            (Err(e), _) => problems.push_key(&path, e),
            (_, Err(e)) => problems.push(&path, e),
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
    let endpoint = endpoint?;
    let signer = signers
        .entry(service.clone())
        .or_insert_with(|| {
            Signer::new(
                endpoint.signing_name(),
                &shared.region,
                shared.environment.credentials.clone(),
            )
        })
        .clone();
    Some(Integration {
        http_method,
        url: endpoint.action_url(&action),
        signer,
        timeout: Duration::from_millis(raw.timeout_ms),
        request_parameters,
        templates: request_templates,
        passthrough: raw.passthrough_behavior,
        json_guard: raw.json_guard,
        responses,
    })
}
