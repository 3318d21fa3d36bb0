//! Compiling a loaded configuration into the runtime [`Api`]: routes built,
//! templates parsed, mappings parsed, endpoints resolved. Every problem is
//! collected and reported at once, each with its place in the file.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gateway_integration::{Client, ClientOptions, Credentials, Endpoint, Signer};
use gateway_mapping::Template;
use gateway_router::Router;

use crate::api::{Api, Integration, Limits, Method, Templates};
use crate::config::{ConfigError, IntegrationConfig, Loaded, Problem};
use crate::params;

/// What compiling needs from the outside world, so that tests and
/// `gateway render` can supply their own.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Reads an environment variable (region and endpoint defaults).
    pub env: fn(&str) -> Option<String>,
    /// Where signing credentials come from.
    pub credentials: Credentials,
}

/// The largest integration timeout accepted, in milliseconds. API Gateway caps
/// it at 29 s by default; quotas can raise it, so more is allowed, to a bound.
const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
const MIN_TIMEOUT_MS: u64 = 50;

/// Resolves the region: the configuration, then `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`.
pub fn region(loaded: &Loaded, env: fn(&str) -> Option<String>) -> Option<String> {
    loaded
        .config
        .aws
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
}

/// Compiles `loaded` into an [`Api`].
pub fn compile(loaded: &Loaded, environment: &Environment) -> Result<Api, ConfigError> {
    let mut problems = Problems {
        loaded,
        list: Vec::new(),
    };
    let config = &loaded.config;
    let region = region(loaded, environment.env);
    if region.is_none() && !config.resources.is_empty() {
        problems.push(
            &["aws", "region"],
            "no AWS region: set `aws.region` in the file, or AWS_REGION in the environment"
                .to_string(),
        );
    }
    let region = region.unwrap_or_default();

    let mut builder = Router::builder();
    let mut signers: BTreeMap<String, Signer> = BTreeMap::new();
    for (path, methods) in &config.resources {
        for (verb, method) in methods {
            let at = ["resources", path.as_str(), verb.as_str(), "integration"];
            let Some(integration) = compile_integration(
                &method.integration,
                &at,
                &region,
                environment,
                &mut signers,
                &mut problems,
            ) else {
                continue;
            };
            let compiled = Method {
                resource_path: path.clone(),
                http_method: verb.to_ascii_uppercase(),
                integration,
            };
            if let Err(e) = builder.add(path, verb, Arc::new(compiled)) {
                problems.push(&["resources", path, verb], e.to_string());
            }
        }
    }
    let router = match builder.try_build() {
        Ok(router) => Some(router),
        Err(e) => {
            problems.push(&["resources"], e.to_string());
            None
        }
    };
    let client = Client::new(&ClientOptions::default())
        .map_err(|e| problems.push(&[], e.to_string()))
        .ok();
    match (router, client) {
        (Some(router), Some(client)) if problems.list.is_empty() => Ok(Api {
            router,
            client,
            limits: Limits {
                max_body_bytes: config.limits.max_body_bytes,
            },
            stage_variables: BTreeMap::new(),
        }),
        _ => Err(ConfigError {
            file: loaded.path.clone(),
            problems: problems.list,
        }),
    }
}

fn compile_integration(
    raw: &IntegrationConfig,
    at: &[&str],
    region: &str,
    environment: &Environment,
    signers: &mut BTreeMap<String, Signer>,
    problems: &mut Problems<'_>,
) -> Option<Integration> {
    let before = problems.list.len();
    let key = |k: &'static str| -> Vec<&str> { at.iter().copied().chain([k]).collect() };

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
    if raw.service.is_empty()
        || !raw
            .service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        problems.push(
            &key("service"),
            format!("`{}` is not an AWS service name", raw.service),
        );
    }
    if raw.action.is_empty() || !raw.action.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems.push(
            &key("action"),
            format!("`{}` is not an action name", raw.action),
        );
    }

    let mut request_parameters = Vec::new();
    for (target, source) in &raw.request_parameters {
        let mut path = key("request_parameters");
        path.push(target);
        match (params::parse_target(target), params::parse_source(source)) {
            (Ok(t), Ok(s)) => request_parameters.push((t, s)),
            (Err(e), _) => problems.push_key(&path, e),
            (_, Err(e)) => problems.push(&path, e),
        }
    }

    let mut templates = Templates::default();
    for (media_type, source) in &raw.request_templates {
        let mut path = key("request_templates");
        path.push(media_type);
        let name = format!("{} {} {}", at[2], at[1], media_type);
        match Template::compile(name, source) {
            Ok(t) => templates
                .by_media_type
                .push((media_type.to_ascii_lowercase(), t)),
            Err(e) => {
                let location = loaded_location(
                    problems.loaded,
                    &path,
                    e.line() as usize,
                    e.column() as usize,
                );
                problems.list.push(Problem {
                    key: path.join("."),
                    location,
                    message: format!("template error: {e}"),
                });
            }
        }
    }

    let endpoint = Endpoint::resolve(
        &raw.service,
        region,
        problems.loaded.config.aws.endpoint_url.as_deref(),
        &|name| (environment.env)(name),
    )
    .map_err(|e| problems.push(&["aws", "endpoint_url"], e.to_string()))
    .ok();

    if problems.list.len() > before {
        return None;
    }
    let endpoint = endpoint?;
    let signer = signers
        .entry(raw.service.clone())
        .or_insert_with(|| {
            Signer::new(
                endpoint.signing_name(),
                region,
                environment.credentials.clone(),
            )
        })
        .clone();
    Some(Integration {
        http_method,
        url: endpoint.action_url(&raw.action),
        signer,
        timeout: Duration::from_millis(raw.timeout_ms),
        request_parameters,
        templates,
        passthrough: raw.passthrough_behavior,
    })
}

/// The file position of an error inside a template value.
fn loaded_location(
    loaded: &Loaded,
    path: &[&str],
    line: usize,
    column: usize,
) -> Option<crate::config::Location> {
    loaded
        .locations
        .inside_value(path, line, column)
        .or_else(|| loaded.locations.value(path))
}

struct Problems<'a> {
    loaded: &'a Loaded,
    list: Vec<Problem>,
}

impl Problems<'_> {
    /// A problem with the value at `path`.
    fn push(&mut self, path: &[&str], message: String) {
        let location = self.loaded.locations.value(path);
        self.list.push(Problem {
            key: path.join("."),
            location,
            message,
        });
    }

    /// A problem with the key at `path` itself.
    fn push_key(&mut self, path: &[&str], message: String) {
        let location = self.loaded.locations.key(path);
        self.list.push(Problem {
            key: path.join("."),
            location,
            message,
        });
    }
}
