//! Compiling a loaded configuration into the runtime [`Api`]: routes built,
//! templates parsed, mappings parsed, regexes and schemas compiled, endpoints
//! resolved. Every problem is collected and reported at once, each with its
//! place in the file.

mod auth;
mod integration;
mod method;
mod responses;
mod settings;
mod usage;

use std::collections::BTreeMap;
use std::sync::Arc;

use gateway_integration::Credentials;
use gateway_mapping::Template;
use gateway_router::Router;

use crate::api::{Api, Limits, Method, Model, Stage, Templates};
use crate::binary::BinaryMediaTypes;
use crate::config::{ConfigError, Loaded, Location, Problem};

/// What compiling needs from the outside world, so that tests and
/// `gateway render` can supply their own.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Reads an environment variable (region and endpoint defaults).
    pub env: fn(&str) -> Option<String>,
    /// Where signing credentials come from.
    pub credentials: Credentials,
}

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
        // Unknown and duplicate keys first, so that one run shows every mistake.
        list: loaded.problems.clone(),
        warnings: Vec::new(),
    };
    let config = &loaded.config;
    let region = region(loaded, environment.env);
    // Only `aws` integrations that do not carry their region in a `uri` need
    // one, and `aws_proxy` ones that name their function without an ARN.
    let needs_region = config
        .resources
        .values()
        .flat_map(|methods| methods.values())
        .any(|m| match m.integration.kind {
            crate::config::IntegrationType::Aws => m.integration.uri.is_none(),
            crate::config::IntegrationType::AwsProxy => {
                integration::proxy::needs_region(m.integration.uri.as_deref())
            }
            _ => false,
        });
    if region.is_none() && needs_region {
        problems.push(
            &["aws", "region"],
            "no AWS region: set `aws.region` in the file, or AWS_REGION in the environment"
                .to_string(),
        );
    }
    let shared = Shared {
        region: region.unwrap_or_default(),
        environment,
        stage: stage(loaded, &mut problems),
        models: method::models(loaded, &mut problems),
    };
    let settings = settings::settings(loaded, &mut problems);
    let access_log = crate::access_log::Format::compile(&settings.access_log.format)
        .map_err(|e| problems.push(&["access_log", "format"], e))
        .ok();
    let gateway_responses = responses::gateway_responses(loaded, &mut problems);
    let binary_media_types = binary_media_types(loaded, &mut problems);
    method::check_validators(loaded, &mut problems);
    let api_id = settings.api_id.clone().unwrap_or_else(|| {
        let path = std::fs::canonicalize(&loaded.path).unwrap_or(loaded.path.clone());
        short_id(&path.to_string_lossy())
    });
    // Replicas that share a Redis share state when they serve the same API
    // and stage.
    let mut usage = usage::UsageBuilder::new(
        loaded,
        environment,
        format!("gateway:{api_id}:{}:", shared.stage.name),
        &mut problems,
    );

    let mut builder = Router::builder();
    let mut signers = integration::Signers::default();
    let authorizers = auth::authorizers(&shared, &mut signers, &mut problems);
    let cors = auth::cors(&mut problems);
    for (path, methods) in &config.resources {
        // A bad path is the resource's problem: reported once, not per method.
        let path_ok = gateway_router::check_path(path)
            .map_err(|e| problems.push_key(&["resources", path], e.to_string()))
            .is_ok();
        for (verb, raw) in methods {
            let at = ["resources", path.as_str(), verb.as_str()];
            let validation = method::validation(raw, &at, &shared, &mut problems);
            let integration =
                integration::compile(&raw.integration, &at, &shared, &mut signers, &mut problems);
            let authorization = auth::method_authorization(raw, &at, &authorizers, &mut problems);
            let access = usage.access(path, verb, raw, &at, &mut problems);
            let (Some(validation), Some(integration), Some(authorization), true) =
                (validation, integration, authorization, path_ok)
            else {
                continue;
            };
            let compiled = Method {
                resource_id: short_id(path),
                validation,
                integration,
                authorization,
                access,
                metrics: std::sync::OnceLock::new(),
            };
            if let Err(e) = builder.add(path, verb, Arc::new(compiled)) {
                problems.push_key(&at, e.to_string());
            }
        }
    }
    let usage = usage.finish(&mut problems);
    let router = builder
        .try_build()
        .map_err(|e| problems.push(&["resources"], e.to_string()))
        .ok();
    let limits = &config.limits;
    match (router, access_log) {
        (Some(router), Some(access_log)) if problems.list.is_empty() => Ok(Api {
            id: api_id,
            usage,
            access_log,
            router,
            limits: Limits {
                max_body_bytes: limits.max_body_bytes,
                max_header_bytes: limits.max_header_bytes,
                max_url_bytes: limits.max_url_bytes,
                body_timeout: std::time::Duration::from_millis(limits.body_timeout_ms),
            },
            stage: shared.stage,
            gateway_responses,
            binary_media_types,
            settings,
            // The import's warnings first: they are about the file as written.
            warnings: loaded
                .warnings
                .iter()
                .cloned()
                .chain(problems.warnings.iter().map(|w| w.in_file(&loaded.path)))
                .collect(),
            cors,
        }),
        _ => Err(ConfigError {
            file: loaded.path.clone(),
            problems: problems.list,
        }),
    }
}

/// What every method's compilation shares.
struct Shared<'a> {
    region: String,
    environment: &'a Environment,
    stage: Stage,
    models: BTreeMap<String, Arc<Model>>,
}

/// API Gateway's limits on stage names and variables.
const MAX_STAGE_NAME: usize = 128;
const MAX_STAGE_VARIABLES: usize = 100;
const MAX_STAGE_VARIABLE_NAME: usize = 64;
const MAX_STAGE_VARIABLE_VALUE: usize = 512;

fn stage(loaded: &Loaded, problems: &mut Problems<'_>) -> Stage {
    let raw = &loaded.config.stage;
    let name_ok = |n: &str| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if raw.name.is_empty() || raw.name.len() > MAX_STAGE_NAME || !name_ok(&raw.name) {
        problems.push(
            &["stage", "name"],
            format!("a stage name is 1 to {MAX_STAGE_NAME} letters, digits, `-` or `_`"),
        );
    }
    if raw.variables.len() > MAX_STAGE_VARIABLES {
        problems.push(
            &["stage", "variables"],
            format!("at most {MAX_STAGE_VARIABLES} stage variables"),
        );
    }
    for (name, value) in &raw.variables {
        if name.is_empty()
            || name.len() > MAX_STAGE_VARIABLE_NAME
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            problems.push_key(
                &["stage", "variables", name],
                format!(
                    "a stage variable name is 1 to {MAX_STAGE_VARIABLE_NAME} letters, digits or `_`"
                ),
            );
        }
        if value.len() > MAX_STAGE_VARIABLE_VALUE {
            problems.push(
                &["stage", "variables", name],
                format!("a stage variable value is at most {MAX_STAGE_VARIABLE_VALUE} characters"),
            );
        }
    }
    Stage {
        name: raw.name.clone(),
        base_path: raw.base_path.then(|| format!("/{}", raw.name)),
        variables: raw.variables.clone(),
    }
}

/// `binary_media_types`, compiled once: each entry that is not a media type
/// is a problem at its place in the list.
fn binary_media_types(loaded: &Loaded, problems: &mut Problems<'_>) -> BinaryMediaTypes {
    BinaryMediaTypes::compile(&loaded.config.binary_media_types).unwrap_or_else(|list| {
        for (index, message) in list {
            problems.push(&["binary_media_types", &index.to_string()], message);
        }
        BinaryMediaTypes::default()
    })
}

/// Replaces `${stageVariables.<name>}` in an integration setting.
fn substitute_stage_variables(
    text: &str,
    variables: &BTreeMap<String, String>,
) -> Result<String, String> {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{text}`: unclosed `${{stageVariables.`"))?;
        let name = &after[..end];
        let value = variables.get(name).ok_or_else(|| {
            format!(
                "`{text}` uses stage variable `{name}`, which `stage.variables` does not define"
            )
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Compiles `media type → template` entries found at `at`.
fn templates(
    raw: &BTreeMap<String, String>,
    at: &[&str],
    name_prefix: &str,
    problems: &mut Problems<'_>,
) -> Templates {
    let mut templates = Templates::default();
    for (media_type, source) in raw {
        let path = child(at, media_type);
        let name = format!("{name_prefix} {media_type}");
        match Template::compile(name, source) {
            Ok(t) => templates
                .by_media_type
                .push((media_type.to_ascii_lowercase(), t)),
            Err(e) => {
                let location = problems
                    .loaded
                    .locations
                    .inside_value(&path, e.line() as usize, e.column() as usize)
                    .or_else(|| problems.loaded.locations.value(&path));
                problems.push_at(&path, location, format!("template error: {e}"));
            }
        }
    }
    templates
}

struct Problems<'a> {
    loaded: &'a Loaded,
    list: Vec<Problem>,
    /// What loads, but is worth the operator's eye.
    warnings: Vec<Problem>,
}

impl Problems<'_> {
    /// A problem with the value at `path`.
    fn push(&mut self, path: &[&str], message: String) {
        let location = self.loaded.locations.value(path);
        self.push_at(path, location, message);
    }

    /// A problem with the key at `path` itself.
    fn push_key(&mut self, path: &[&str], message: String) {
        let location = self.loaded.locations.key(path);
        self.push_at(path, location, message);
    }

    /// A warning about the key at `path` itself.
    fn warn_key(&mut self, path: &[&str], message: String) {
        self.warnings.push(Problem {
            key: self.loaded.key_name(path),
            location: self.loaded.locations.key(path),
            message,
        });
    }

    fn push_at(&mut self, path: &[&str], location: Option<Location>, message: String) {
        self.list.push(Problem {
            key: self.loaded.key_name(path),
            location,
            message,
        });
    }
}

/// A 10-character id of `[a-z0-9]`, as API Gateway's API and resource ids
/// look, derived from `text` with FNV-1a: stable across starts, machines and
/// versions, which a std hasher does not promise.
fn short_id(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..10)
        .map(|_| {
            let digit = DIGITS[(hash % 36) as usize];
            hash /= 36;
            char::from(digit)
        })
        .collect()
}

/// The key path of `key` under `at`, for naming it in a problem.
fn child<'a>(at: &[&'a str], key: &'a str) -> Vec<&'a str> {
    at.iter().copied().chain([key]).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A member `$util`, `$input` or `$context` lacks is refused at load, at
    /// its place in the file.
    #[test]
    fn unknown_template_member_names_file_line_and_column() {
        let yaml = concat!(
            "aws:\n  region: us-east-1\nresources:\n  /s:\n    POST:\n      integration:\n",
            "        type: aws\n        service: kinesis\n        action: PutRecord\n",
            "        request_templates:\n          application/json: |\n",
            "            {\n              \"Data\": \"$util.base64Encode($input.body)\",\n",
            "              \"Key\": \"$util.escapeJavascript($input.path('$.k'))\"\n            }\n",
        );
        let loaded = Loaded::from_str(Path::new("t.yaml"), yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        let error = compile(&loaded, &environment).unwrap_err().to_string();
        assert!(
            error.contains("t.yaml:14:29: resources./s.POST.integration.request_templates.application/json: template error: POST /s application/json:3:17: unknown method `$util.escapeJavascript`; did you mean `escapeJavaScript`?"),
            "{error}"
        );
    }

    /// Every binary media type that is not one, and a `content_handling` on
    /// a proxy, is named at its place in the file.
    #[test]
    fn binary_settings_are_checked_at_load() {
        let yaml = concat!(
            "binary_media_types: [image/png, png, 'image/p*']\n",
            "resources:\n  /p:\n    POST:\n      integration:\n",
            "        type: http_proxy\n        uri: http://127.0.0.1:9/\n",
            "        content_handling: convert_to_text\n",
            "  /h:\n    POST:\n      integration:\n",
            "        type: http\n        uri: http://127.0.0.1:9/\n",
            "        content_handling: convert_to_binary\n",
            "        responses:\n          - {status: 200, content_handling: convert_to_text}\n",
        );
        let loaded = Loaded::from_str(Path::new("t.yaml"), yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        let error = compile(&loaded, &environment).unwrap_err().to_string();
        for expected in [
            "t.yaml:1:33: binary_media_types.1: `png` is not a media type: expected `type/subtype`, `type/*` or `*/*`",
            "t.yaml:1:38: binary_media_types.2: `image/p*` is not a media type",
            "t.yaml:8:9: resources./p.POST.integration.content_handling: `content_handling` does not apply to a `http_proxy` integration",
        ] {
            assert!(error.contains(expected), "{expected}\n{error}");
        }
        assert!(!error.contains("/h"), "{error}");
        let fixed = yaml
            .replace(", png, 'image/p*'", ", 'image/*'")
            .replace("        content_handling: convert_to_text\n  /h", "  /h");
        let loaded = Loaded::from_str(Path::new("t.yaml"), &fixed).unwrap();
        let api = compile(&loaded, &environment).unwrap();
        assert!(api.binary_media_types.matches("image/gif"));
    }

    #[test]
    fn short_ids_are_stable_and_look_like_api_gateways() {
        assert_eq!(short_id("/streams"), short_id("/streams"));
        assert_ne!(short_id("/streams"), short_id("/streams/{stream-name}"));
        let id = short_id("/streams/{stream-name}/record");
        assert_eq!(id.len(), 10);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
    }

    #[test]
    fn substitutes_stage_variables() {
        let vars = BTreeMap::from([("action".to_string(), "PutRecord".to_string())]);
        assert_eq!(
            substitute_stage_variables("${stageVariables.action}", &vars).unwrap(),
            "PutRecord"
        );
        assert_eq!(
            substitute_stage_variables("a-${stageVariables.action}-b", &vars).unwrap(),
            "a-PutRecord-b"
        );
        assert_eq!(substitute_stage_variables("plain", &vars).unwrap(), "plain");
        assert!(substitute_stage_variables("${stageVariables.nope}", &vars).is_err());
        assert!(substitute_stage_variables("${stageVariables.action", &vars).is_err());
    }
}
