//! The configuration file, `gateway.yaml`: its raw shape as written by people,
//! and loading it with errors that point at the file, line, column and key.
//!
//! These types mirror the YAML exactly; nothing on the request path reads
//! them. [`crate::compile`] turns them into the runtime [`crate::api::Api`].

mod locate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use locate::{Location, Locations};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The address to listen on. Default `127.0.0.1:8080`; `--listen` overrides it.
    #[serde(default)]
    pub listen: Option<String>,
    /// AWS settings shared by all `type: aws` integrations.
    #[serde(default)]
    pub aws: AwsConfig,
    /// Limits on what clients may send.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The API: resource path → HTTP method (or `ANY`) → method.
    pub resources: BTreeMap<String, BTreeMap<String, MethodConfig>>,
}

/// `aws:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// The region of the AWS services. Default: `AWS_REGION`, then
    /// `AWS_DEFAULT_REGION`.
    #[serde(default)]
    pub region: Option<String>,
    /// Send every AWS call to this URL instead of the service's AWS endpoint
    /// (LocalStack, moto). Default: `AWS_ENDPOINT_URL_<SERVICE>`, then
    /// `AWS_ENDPOINT_URL`, then the AWS endpoint.
    #[serde(default)]
    pub endpoint_url: Option<String>,
}

/// `limits:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// The largest request body accepted, in bytes. Default 10 MB (10,485,760),
    /// API Gateway's payload limit. A larger body gets 413 without being read.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body_bytes(),
        }
    }
}

fn default_max_body_bytes() -> usize {
    10 * 1024 * 1024
}

/// One method of a resource, e.g. `GET` on `/streams`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodConfig {
    /// What the method calls.
    pub integration: IntegrationConfig,
}

/// The integration request of a method.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationConfig {
    /// The integration type. Only `aws` for now.
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    /// The AWS service's endpoint prefix and signing name, e.g. `kinesis`.
    pub service: String,
    /// The service action, sent as `?Action=<action>`.
    pub action: String,
    /// The HTTP method of the call to the service. Default `POST`.
    #[serde(default = "default_http_method")]
    pub http_method: String,
    /// `integration.request.{header,querystring}.<name>` → a mapping
    /// expression: `'static value'`, `method.request.{path,querystring,header}.<name>`.
    #[serde(default)]
    pub request_parameters: BTreeMap<String, String>,
    /// Media type → mapping template. The request's `Content-Type` media type
    /// picks one; a request without `Content-Type` counts as `application/json`.
    #[serde(default)]
    pub request_templates: BTreeMap<String, String>,
    /// What to do with a body whose media type has no template:
    /// `when_no_templates` (default), `when_no_match` or `never`.
    #[serde(default)]
    pub passthrough_behavior: PassthroughBehavior,
    /// How long to wait for the service, in milliseconds: 50 to 29,000 as in API
    /// Gateway, or more. Default 29,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_http_method() -> String {
    "POST".to_string()
}

fn default_timeout_ms() -> u64 {
    29_000
}

/// `type:` of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationType {
    /// An AWS service, called with a SigV4-signed request.
    Aws,
}

/// API Gateway's passthroughBehavior.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassthroughBehavior {
    /// Pass the body through when the API has no template for its media type.
    WhenNoMatch,
    /// Pass the body through only when the method has no templates at all;
    /// otherwise 415. API Gateway's recommended setting, and ours by default
    /// because a body nobody wrote a template for never reaches the service.
    #[default]
    WhenNoTemplates,
    /// Never pass a body through untransformed: 415 when no template matches.
    Never,
}

/// A configuration that failed to load: every problem, each with its place.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

/// One problem in a configuration file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The dotted key path, e.g. `resources./streams.GET.integration.action`.
    pub key: String,
    pub location: Option<Location>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{} has {count} problem{}:",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {}", self.file.display())?;
            if let Some(loc) = p.location {
                write!(f, ":{}:{}", loc.line, loc.column)?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A parsed file with the positions of its keys, ready to compile.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    pub locations: Locations,
}

impl Loaded {
    /// Reads and parses `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![Problem {
                key: String::new(),
                location: None,
                message: format!("cannot read the file: {e}"),
            }],
        })?;
        Self::from_str(path, &text)
    }

    /// Parses `text`, naming it `path` in errors.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let fail = |problem: Problem| ConfigError {
            file: path.to_path_buf(),
            problems: vec![problem],
        };
        let config: Config = serde_yaml::from_str(text).map_err(|e| fail(yaml_problem(&e)))?;
        let locations = Locations::scan(text).map_err(|message| {
            fail(Problem {
                key: String::new(),
                location: None,
                message,
            })
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            config,
            locations,
        })
    }
}

/// A serde_yaml error as a [`Problem`]. Its message starts with the key path
/// (`resources./streams.GET: unknown field ...`), which is split off into `key`.
fn yaml_problem(error: &serde_yaml::Error) -> Problem {
    let location = error.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    });
    let text = error.to_string();
    // Drop serde_yaml's own " at line X column Y" suffix: the location is printed separately.
    let text = match text.rfind(" at line ") {
        Some(at) if location.is_some() => text[..at].to_string(),
        _ => text,
    };
    match text.split_once(": ") {
        Some((key, message)) if !key.contains(' ') => Problem {
            key: key.to_string(),
            location,
            message: message.to_string(),
        },
        _ => Problem {
            key: String::new(),
            location,
            message: text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, ConfigError> {
        Loaded::from_str(Path::new("test.yaml"), text)
    }

    #[test]
    fn unknown_key_names_file_line_column_and_key() {
        let err = load(
            "resources:\n  /streams:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        colour: blue\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("test.yaml:8:9"), "{text}");
        assert!(
            text.contains("resources./streams.GET.integration"),
            "{text}"
        );
        assert!(text.contains("unknown field `colour`"), "{text}");
    }

    #[test]
    fn defaults() {
        let loaded = load(
            "resources:\n  /s:\n    GET:\n      integration: {type: aws, service: kinesis, action: ListStreams}\n",
        )
        .unwrap();
        let i = &loaded.config.resources["/s"]["GET"].integration;
        assert_eq!(i.http_method, "POST");
        assert_eq!(i.timeout_ms, 29_000);
        assert_eq!(i.passthrough_behavior, PassthroughBehavior::WhenNoTemplates);
        assert_eq!(loaded.config.limits.max_body_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn bad_type_is_reported() {
        let err = load("resources:\n  /s:\n    GET:\n      integration: {type: lambda, service: x, action: y}\n")
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `lambda`"),
            "{err}"
        );
    }
}
