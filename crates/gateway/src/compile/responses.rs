//! Integration responses and gateway responses.

use std::collections::BTreeMap;

use gateway_mapping::params::{self, Side, Source, Target};
use http::{HeaderName, StatusCode};

use crate::api::{Custom, GatewayResponses, IntegrationResponse};
use crate::config::{IntegrationResponseConfig, Loaded};
use crate::error::ResponseType;

use super::{Problems, child, templates};

pub(super) fn integration_responses(
    raw: &[IntegrationResponseConfig],
    at: &[&str],
    name: &str,
    problems: &mut Problems<'_>,
) -> Vec<IntegrationResponse> {
    let mut compiled = Vec::new();
    let mut defaults = 0;
    for (index, response) in raw.iter().enumerate() {
        let index = index.to_string();
        let here: Vec<&str> = child(at, index.as_str());
        let key = |k: &'static str| -> Vec<&str> { child(&here, k) };

        let pattern = match response
            .selection_pattern
            .as_deref()
            .filter(|p| !p.is_empty())
        {
            None => {
                defaults += 1;
                if defaults == 2 {
                    problems.push_key(
                        &here,
                        "a second default response (no `selection_pattern`)".into(),
                    );
                }
                None
            }
            // Anchored: the pattern must match the whole status code, as in API Gateway.
            Some(pattern) => match regex::Regex::new(&format!("^(?:{pattern})$")) {
                Ok(regex) => Some(regex),
                Err(e) => {
                    problems.push(
                        &key("selection_pattern"),
                        format!("not a valid regular expression: {e}"),
                    );
                    None
                }
            },
        };
        let status = status(response.status, &key("status"), problems);
        let parameters = headers(
            &response.response_parameters,
            &key("response_parameters"),
            Side::MethodResponse,
            problems,
        );
        let templates = templates(
            &response.response_templates,
            &key("response_templates"),
            &format!("{name} response {}", response.status),
            problems,
        );
        compiled.push(IntegrationResponse {
            pattern,
            status,
            parameters,
            templates,
            content_handling: response.content_handling,
        });
    }
    compiled
}

pub(super) fn gateway_responses(loaded: &Loaded, problems: &mut Problems<'_>) -> GatewayResponses {
    let mut responses = GatewayResponses::default();
    for (name, raw) in &loaded.config.gateway_responses {
        let at = ["gateway_responses", name.as_str()];
        let Some(kind) = ResponseType::from_name(name) else {
            let known: Vec<&str> = ResponseType::ALL.iter().map(|t| t.name()).collect();
            problems.push_key(
                &at,
                format!(
                    "unknown gateway response type `{name}`; expected one of {}",
                    known.join(", ")
                ),
            );
            continue;
        };
        let key = |k: &'static str| -> Vec<&str> { child(&at, k) };
        let status = raw.status.map(|s| status(s, &key("status"), problems));
        let headers = headers(
            &raw.response_parameters,
            &key("response_parameters"),
            Side::GatewayResponse,
            problems,
        );
        let templates = templates(
            &raw.response_templates,
            &key("response_templates"),
            &format!("gateway response {name}"),
            problems,
        );
        responses.custom.insert(
            kind,
            Custom {
                status,
                headers,
                templates,
            },
        );
    }
    responses
}

fn status(code: u16, at: &[&str], problems: &mut Problems<'_>) -> StatusCode {
    match StatusCode::from_u16(code) {
        Ok(status) if (100..=599).contains(&code) => status,
        _ => {
            problems.push(at, format!("{code} is not an HTTP status (100 to 599)"));
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// `*.header.<name>` → source entries, for method and gateway responses.
fn headers(
    raw: &BTreeMap<String, String>,
    at: &[&str],
    side: Side,
    problems: &mut Problems<'_>,
) -> Vec<(HeaderName, Source)> {
    let mut compiled = Vec::new();
    for (target, source) in raw {
        let path = child(at, target);
        match (
            params::parse_target(target, side),
            params::parse_source(source, side),
        ) {
            (Ok(Target::Header(name)), Ok(source)) => match HeaderName::from_bytes(name.as_bytes())
            {
                Ok(header) => compiled.push((header, source)),
                Err(_) => problems.push_key(&path, format!("`{name}` is not a valid header name")),
            },
            (Ok(_), Ok(_)) => problems.push_key(
                &path,
                format!("`{target}`: only headers can be mapped here"),
            ),
            (Err(e), _) => problems.push_key(&path, e),
            (_, Err(e)) => problems.push(&path, e),
        }
    }
    compiled
}
