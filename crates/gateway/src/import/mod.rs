//! API definitions written for Amazon API Gateway, run as they are: OpenAPI
//! 3.0 and Swagger 2.0 documents with API Gateway's `x-amazon-apigateway-*`
//! extensions ([`openapi`]) and CloudFormation or SAM templates
//! ([`cloudformation`]), each converted into the gateway's own
//! [`Config`](crate::config::Config) and compiled like gateway.yaml.
//!
//! [`detect`] tells the formats apart by content, so `--config` takes any of
//! them; [`ImportOptions`] holds what the import flags set.
//!
//! ```no_run
//! use gateway::config::Loaded;
//! use gateway::import::ImportOptions;
//!
//! let options = ImportOptions { no_execution_roles: true, ..Default::default() };
//! let loaded = Loaded::from_file_with("api.json".as_ref(), &options)?;
//! for warning in &loaded.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! # Ok::<(), gateway::config::ConfigError>(())
//! ```

pub mod cloudformation;
pub mod export;
pub mod openapi;

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{ConfigError, Loaded};

/// What the import flags set (shared by run, validate, render, test, export).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--parameter NAME=VALUE` (repeatable): a template parameter's value.
    pub parameters: BTreeMap<String, String>,
    /// `--resource LOGICAL_ID=VALUE` (repeatable): what a `Ref` to a template
    /// resource gives.
    pub resources: BTreeMap<String, String>,
    /// `--api LOGICAL_ID`: the API to run, of several in one template.
    pub api: Option<String>,
    /// `--no-execution-roles`: drop integrations' `credentials` (use the
    /// caller's own).
    pub no_execution_roles: bool,
}

/// The import flags on the command line, flattened into each command that
/// loads a configuration.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ImportArgs {
    /// A template parameter, `NAME=VALUE`, replacing its `Default` (as `sam
    /// --parameter-overrides`). Also sets a pseudo parameter such as
    /// `AWS::AccountId`. Repeatable.
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub parameters: Vec<(String, String)>,
    /// What a `Ref` or `Fn::GetAtt` to a template resource gives, `LOGICAL_ID=VALUE`
    /// (`LOGICAL_ID.Attribute=VALUE` for one attribute). Repeatable.
    #[arg(long = "resource", value_name = "LOGICAL_ID=VALUE", value_parser = parse_assignment)]
    pub resources: Vec<(String, String)>,
    /// The API to load from a template that defines several, by logical id.
    #[arg(long, value_name = "LOGICAL_ID")]
    pub api: Option<String>,
    /// Ignore the execution roles (`credentials`) of integrations and
    /// authorizers, and call with the gateway's own credentials: for local
    /// runs against moto or LocalStack, where the roles do not exist.
    #[arg(long)]
    pub no_execution_roles: bool,
}

impl ImportArgs {
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            parameters: self.parameters.iter().cloned().collect(),
            resources: self.resources.iter().cloned().collect(),
            api: self.api.clone(),
            no_execution_roles: self.no_execution_roles,
        }
    }
}

/// `NAME=VALUE`, split at the first `=`.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

/// The formats `--config` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The gateway's own gateway.yaml.
    Gateway,
    /// An OpenAPI 3.x document (`openapi: 3.0.1`).
    OpenApi3,
    /// A Swagger 2.0 document (`swagger: "2.0"`).
    Swagger2,
    /// A CloudFormation or SAM template.
    CloudFormation,
}

/// Tells a file's format by its content: `openapi: 3.x`, `swagger: "2.0"`,
/// `AWSTemplateFormatVersion` or `Resources` of `Type: AWS::...`, else
/// gateway.yaml. Text that does not parse is gateway.yaml, whose loader says
/// where it breaks.
pub fn detect(text: &str) -> Format {
    // YAML's tags (`!Ref`) parse into tagged values; JSON is read as YAML too.
    let Ok(serde_yaml::Value::Mapping(top)) = serde_yaml::from_str::<serde_yaml::Value>(text)
    else {
        return Format::Gateway;
    };
    let string = |key: &str| top.get(key).and_then(plain_string);
    if string("openapi").is_some_and(|v| v.starts_with('3')) {
        return Format::OpenApi3;
    }
    if string("swagger").is_some_and(|v| v.starts_with('2')) {
        return Format::Swagger2;
    }
    if top.contains_key("AWSTemplateFormatVersion") {
        return Format::CloudFormation;
    }
    let aws_resource = |resource: &serde_yaml::Value| {
        resource
            .get("Type")
            .and_then(plain_string)
            .is_some_and(|t| t.starts_with("AWS::"))
    };
    match top.get("Resources") {
        Some(serde_yaml::Value::Mapping(resources)) if resources.values().any(aws_resource) => {
            Format::CloudFormation
        }
        _ => Format::Gateway,
    }
}

/// A version written as a number (`swagger: 2.0`) or a string.
fn plain_string(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Loads `text`, read from `path`, in whichever format [`detect`] finds.
pub fn load(path: &Path, text: &str, options: &ImportOptions) -> Result<Loaded, ConfigError> {
    match detect(text) {
        Format::Gateway => Loaded::from_str(path, text),
        Format::OpenApi3 | Format::Swagger2 => openapi::load(path, text, options),
        Format::CloudFormation => cloudformation::load(path, text, options),
    }
}

/// A JSON pointer segment (RFC 6901): `~` as `~0`, `/` as `~1`.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The segments of a JSON pointer, unescaped. `""` is the whole document.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        assert_eq!(detect("openapi: 3.0.1\npaths: {}\n"), Format::OpenApi3);
        assert_eq!(
            detect("{\"openapi\": \"3.0.1\", \"paths\": {}}"),
            Format::OpenApi3
        );
        assert_eq!(detect("swagger: \"2.0\"\npaths: {}\n"), Format::Swagger2);
        assert_eq!(detect("swagger: 2.0\npaths: {}\n"), Format::Swagger2);
        assert_eq!(
            detect("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"),
            Format::CloudFormation
        );
        assert_eq!(
            detect(
                "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: !Ref Stage\n"
            ),
            Format::CloudFormation
        );
        assert_eq!(detect("resources:\n  /s: {}\n"), Format::Gateway);
        // A gateway.yaml resource path called `Resources` is still gateway.yaml.
        assert_eq!(detect("Resources: {}\nresources: {}\n"), Format::Gateway);
        assert_eq!(detect("resources: [\n"), Format::Gateway);
        assert_eq!(detect(""), Format::Gateway);
    }

    #[test]
    fn pointers_escape_and_unescape() {
        assert_eq!(escape_pointer("/streams/{a~b}"), "~1streams~1{a~0b}");
        assert_eq!(
            pointer_segments("/paths/~1streams~1{a~0b}/get"),
            ["paths", "/streams/{a~b}", "get"]
        );
        assert!(pointer_segments("").is_empty());
    }

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_assignment("Url=https://x/?a=b").unwrap(),
            ("Url".to_string(), "https://x/?a=b".to_string())
        );
        assert!(parse_assignment("=x").is_err());
        assert!(parse_assignment("x").is_err());
    }
}
