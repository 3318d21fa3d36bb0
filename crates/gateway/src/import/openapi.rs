//! OpenAPI 3.0 and Swagger 2.0 documents with API Gateway's extensions, as
//! `aws apigateway get-export --extensions integrations` writes them,
//! converted into the gateway's [`Config`].
//!
//! The conversion reads every key it knows and names every one it does not
//! run: each `x-amazon-apigateway-*` extension the gateway does not implement
//! is one warning with its JSON pointer and line. Only what would silently
//! change what a request does is an error.
//!
//! Where API Gateway's defaults differ from gateway.yaml's, the conversion
//! writes API Gateway's explicitly (an integration without
//! `passthroughBehavior` passes unmatched bodies through, as it does there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{
    AuthorizationType, AuthorizerConfig, AuthorizerType, Config, ConfigError, ContentHandling,
    GatewayResponseConfig, IntegrationConfig, IntegrationResponseConfig, IntegrationType, Loaded,
    Location, Locations, MethodConfig, PassthroughBehavior, Problem, RequestValidatorConfig,
    ResourceConfig,
};

use super::{ImportOptions, escape_pointer, pointer_segments};

/// The extension that carries what only this gateway has (listen address,
/// limits, the template-injection guard, CORS, ...), so that an export to
/// OpenAPI and back loses nothing. API Gateway ignores it.
pub const GATEWAY_EXTENSION: &str = "x-gateway";

/// Where a document came from: the file, where the document sits in it, and
/// the positions of the file's keys.
#[derive(Debug)]
pub struct Origin {
    path: PathBuf,
    /// The segments of the pointer to the document inside the file; empty
    /// when the document is the whole file.
    prefix: Vec<String>,
    /// `None` when the text could not be scanned: problems then name the
    /// pointer alone.
    locations: Option<Locations>,
}

impl Origin {
    /// A document that is the whole file `path`, whose text is `text`.
    pub fn new(path: &Path, text: &str) -> Self {
        Self::embedded(path, text, "")
    }

    /// A document inside a larger YAML or JSON file, at the JSON pointer
    /// `prefix_pointer` (e.g. `/Resources/Api/Properties/Body`).
    pub fn embedded(path: &Path, text: &str, prefix_pointer: &str) -> Self {
        Self {
            path: path.to_path_buf(),
            prefix: pointer_segments(prefix_pointer),
            locations: Locations::scan(text).ok(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The JSON pointer, in the file, of `at` (segments inside the document).
    pub fn pointer<S: AsRef<str>>(&self, at: &[S]) -> String {
        self.prefix
            .iter()
            .map(String::as_str)
            .chain(at.iter().map(AsRef::as_ref))
            .map(|s| format!("/{}", escape_pointer(s)))
            .collect()
    }

    /// Where the key `at` is written in the file, or its nearest parent.
    pub fn location<S: AsRef<str>>(&self, at: &[S]) -> Option<Location> {
        let path = self.file_path(at);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        self.locations.as_ref()?.key(&path)
    }

    /// Where the value of `at` starts in the file, or its key's place.
    pub fn value_location<S: AsRef<str>>(&self, at: &[S]) -> Option<Location> {
        let path = self.file_path(at);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        self.locations.as_ref()?.value(&path)
    }

    /// A problem with the value of `at`, named by its pointer and place.
    pub fn problem<S: AsRef<str>>(&self, at: &[S], message: impl Into<String>) -> Problem {
        Problem {
            key: self.pointer(at),
            location: self.value_location(at),
            message: message.into(),
        }
    }

    /// A warning about the key `at`: `file:line:column: pointer: message`.
    pub fn warning<S: AsRef<str>>(&self, at: &[S], message: impl Into<String>) -> String {
        Problem {
            key: self.pointer(at),
            location: self.location(at),
            message: message.into(),
        }
        .in_file(&self.path)
    }

    fn file_path<S: AsRef<str>>(&self, at: &[S]) -> Vec<String> {
        self.prefix
            .iter()
            .cloned()
            .chain(at.iter().map(|s| s.as_ref().to_string()))
            .collect()
    }
}

/// Converts an OpenAPI 3.0 / Swagger 2.0 document into the gateway's config.
/// `origin` names the file and maps a JSON pointer inside `doc` to a place in
/// the file (line/column), when known; `warnings` gets one line per
/// unsupported extension or feature, naming it and its location.
pub fn to_config(
    doc: &Value,
    origin: &Origin,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<Config, Vec<Problem>> {
    convert(doc, origin, options, warnings).map(|c| c.config)
}

/// Converts `doc` into a [`Loaded`] whose positions and key names point into
/// the file, so that problems found when compiling it name the file's line
/// and JSON pointer. The entry point for a document embedded in a larger
/// file: `origin` says where.
pub fn to_loaded(
    doc: &Value,
    origin: &Origin,
    options: &ImportOptions,
) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();
    let converted =
        convert(doc, origin, options, &mut warnings).map_err(|problems| ConfigError {
            file: origin.path.clone(),
            problems,
        })?;
    let mut locations = match &origin.locations {
        Some(source) => Locations::imported(source),
        None => Locations::default(),
    };
    let mut pointers = BTreeMap::new();
    for (config_path, doc_path) in &converted.trail {
        let config_path: Vec<&str> = config_path.iter().map(String::as_str).collect();
        if let Some(source) = &origin.locations {
            let file_path = origin.file_path(doc_path);
            let file_path: Vec<&str> = file_path.iter().map(String::as_str).collect();
            locations.alias(&config_path, source, &file_path);
        }
        pointers.insert(
            config_path.iter().map(|s| s.to_string()).collect(),
            origin.pointer(doc_path),
        );
    }
    Ok(Loaded {
        path: origin.path.clone(),
        config: converted.config,
        locations,
        problems: Vec::new(),
        warnings,
        pointers,
    })
}

/// Loads a whole file holding an OpenAPI or Swagger document, JSON or YAML.
pub fn load(path: &Path, text: &str, options: &ImportOptions) -> Result<Loaded, ConfigError> {
    let doc = parse(path, text)?;
    let origin = Origin::new(path, text);
    let mut loaded = to_loaded(&doc, &origin, options)?;
    // Keys written twice: JSON and YAML parsers keep the last silently.
    if let Some(locations) = &origin.locations {
        for duplicate in locations.duplicates() {
            loaded.problems.push(Problem {
                key: origin.pointer(&duplicate.parent),
                location: Some(duplicate.again),
                message: format!(
                    "duplicate key `{}` (first written at line {})",
                    duplicate.key, duplicate.first.line
                ),
            });
        }
    }
    Ok(loaded)
}

/// Parses JSON or YAML text into a JSON value, with the parser's position on
/// failure.
fn parse(path: &Path, text: &str) -> Result<Value, ConfigError> {
    let fail = |location: Option<Location>, message: String| ConfigError {
        file: path.to_path_buf(),
        problems: vec![Problem {
            key: String::new(),
            location,
            message,
        }],
    };
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            fail(
                Some(Location {
                    line: e.line(),
                    column: e.column(),
                }),
                format!("not valid JSON: {e}"),
            )
        });
    }
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        let location = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        fail(location, format!("not a valid YAML document: {e}"))
    })
}

/// The result of a conversion: the config, and for each key path in it the
/// path in the document it came from.
struct Converted {
    config: Config,
    trail: Vec<(Vec<String>, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Swagger2,
    OpenApi3,
}

/// A place in the document: its segments.
type At = Vec<String>;

fn at(parent: &[String], segment: &str) -> At {
    let mut path = parent.to_vec();
    path.push(segment.to_string());
    path
}

struct Converter<'a> {
    doc: &'a Value,
    version: Version,
    origin: &'a Origin,
    options: &'a ImportOptions,
    warnings: &'a mut Vec<String>,
    problems: Vec<Problem>,
    trail: Vec<(Vec<String>, Vec<String>)>,
    /// The named schemas, by model name.
    schemas: BTreeMap<String, (&'a Value, At)>,
    /// Models made for body schemas written in place.
    inline_models: BTreeMap<String, (Value, At)>,
}

/// The HTTP methods an OpenAPI path item may hold, and API Gateway's
/// any-method extension.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

fn convert(
    doc: &Value,
    origin: &Origin,
    options: &ImportOptions,
    warnings: &mut Vec<String>,
) -> Result<Converted, Vec<Problem>> {
    let version = match (doc.get("openapi"), doc.get("swagger")) {
        (Some(v), _) if version_text(v).starts_with("3.") => Version::OpenApi3,
        (_, Some(v)) if version_text(v) == "2.0" || version_text(v) == "2" => Version::Swagger2,
        _ => {
            return Err(vec![origin.problem(
                &[] as &[&str],
                "not an OpenAPI 3.0 or Swagger 2.0 document: no `openapi: 3.0.x` or `swagger: \"2.0\"`",
            )]);
        }
    };
    if !doc.is_object() {
        return Err(vec![
            origin.problem(&[] as &[&str], "the document is not a mapping"),
        ]);
    }
    let mut converter = Converter {
        doc,
        version,
        origin,
        options,
        warnings,
        problems: Vec::new(),
        trail: Vec::new(),
        schemas: BTreeMap::new(),
        inline_models: BTreeMap::new(),
    };
    let config = converter.config();
    // In file order, as gateway.yaml's problems are; those without a place last.
    converter
        .problems
        .sort_by_key(|p| p.location.map_or((usize::MAX, 0), |l| (l.line, l.column)));
    if converter.problems.is_empty() {
        Ok(Converted {
            config,
            trail: converter.trail,
        })
    } else {
        Err(converter.problems)
    }
}

fn version_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// An empty config: no resources, every setting at its default.
fn empty_config() -> Config {
    serde_json::from_value(serde_json::json!({ "resources": {} }))
        .expect("a config with no resources deserialises")
}

impl<'a> Converter<'a> {
    fn problem(&mut self, at: &[String], message: impl Into<String>) {
        let problem = self.origin.problem(at, message);
        self.problems.push(problem);
    }

    fn warn(&mut self, at: &[String], message: impl Into<String>) {
        let warning = self.origin.warning(at, message);
        self.warnings.push(warning);
    }

    /// Records that the config's `config_path` comes from the document's `doc_path`.
    fn trace(&mut self, config_path: &[&str], doc_path: &[String]) {
        self.trail.push((
            config_path.iter().map(|s| s.to_string()).collect(),
            doc_path.to_vec(),
        ));
    }

    fn config(&mut self) -> Config {
        let mut config = empty_config();
        let root: At = Vec::new();
        let top = self.doc.as_object().expect("checked to be an object");
        for (key, value) in top {
            let here = at(&root, key);
            match key.as_str() {
                "openapi" | "swagger" | "info" | "servers" | "host" | "basePath" | "schemes"
                | "paths" | "components" | "definitions" | "securityDefinitions" | "security"
                | "tags" | "externalDocs" | "consumes" | "produces" | "parameters"
                | "responses" => {}
                "x-amazon-apigateway-request-validators" => {
                    config.request_validators = self.validators(value, &here);
                }
                "x-amazon-apigateway-request-validator" => match value.as_str() {
                    Some(name) => {
                        config.request_validator = Some(name.to_string());
                        self.trace(&["request_validator"], &here);
                    }
                    None => self.problem(&here, "expected the name of a request validator"),
                },
                "x-amazon-apigateway-gateway-responses" => {
                    config.gateway_responses = self.gateway_responses(value, &here);
                }
                "x-amazon-apigateway-binary-media-types" => {
                    config.binary_media_types = self.strings(value, &here);
                    self.trace(&["binary_media_types"], &here);
                    for index in 0..config.binary_media_types.len() {
                        let i = index.to_string();
                        self.trace(&["binary_media_types", &i], &at(&here, &i));
                    }
                }
                "x-amazon-apigateway-api-key-source" => self.warn(
                    &here,
                    "API keys are not checked by the gateway: `x-amazon-apigateway-api-key-source` is ignored",
                ),
                GATEWAY_EXTENSION => self.gateway_settings(value, &here, &mut config),
                other if other.starts_with("x-amazon-apigateway-") => {
                    self.warn(&here, format!("`{other}` is not supported by the gateway; ignored"));
                }
                // Other tools' extensions say nothing to API Gateway either.
                _ => {}
            }
        }
        if let Some(stage) = self.stage_name() {
            config.stage.name = stage;
        }
        self.models(&mut config);
        let authorizers = self.authorizers(&mut config);
        self.paths(&mut config, &authorizers);
        for (name, (model, from)) in std::mem::take(&mut self.inline_models) {
            self.trace(&["models", &name], &from);
            config.models.insert(name, model);
        }
        config
    }

    /// The stage an export was taken from: Swagger's `basePath`, or the
    /// `basePath` variable of OpenAPI's first server, when it is one name.
    /// It is what `$context.stage` gave there.
    fn stage_name(&self) -> Option<String> {
        let base = match self.version {
            Version::Swagger2 => self.doc.get("basePath")?.as_str()?.to_string(),
            Version::OpenApi3 => self
                .doc
                .pointer("/servers/0/variables/basePath/default")?
                .as_str()?
                .to_string(),
        };
        let name = base.trim_matches('/');
        let valid = !name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        valid.then(|| name.to_string())
    }

    /// `x-gateway`: the settings only this gateway has, in gateway.yaml's keys.
    fn gateway_settings(&mut self, value: &Value, here: &[String], config: &mut Config) {
        let Some(map) = value.as_object() else {
            self.problem(here, format!("`{GATEWAY_EXTENSION}` must be a mapping"));
            return;
        };
        const ALLOWED: &[&str] = &[
            "listen",
            "admin",
            "shutdown_timeout_ms",
            "trusted_proxies",
            "access_log",
            "api",
            "aws",
            "limits",
            "stage",
            "cors",
            "authorizers",
            "api_keys",
            "usage_plans",
            "state",
        ];
        for key in map.keys() {
            if !ALLOWED.contains(&key.as_str()) {
                self.problem(
                    &at(here, key),
                    format!(
                        "unknown key `{key}` in `{GATEWAY_EXTENSION}`, expected one of {}",
                        ALLOWED.join(", ")
                    ),
                );
            }
        }
        let mut settings = value.clone();
        settings["resources"] = serde_json::json!({});
        let parsed: Config = match serde_json::from_value(settings) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.problem(here, format!("`{GATEWAY_EXTENSION}`: {e}"));
                return;
            }
        };
        for key in map.keys() {
            self.trace(&[key.as_str()], &at(here, key));
        }
        config.listen = parsed.listen;
        config.admin = parsed.admin;
        config.shutdown_timeout_ms = parsed.shutdown_timeout_ms;
        config.trusted_proxies = parsed.trusted_proxies;
        config.access_log = parsed.access_log;
        config.api = parsed.api;
        config.aws = parsed.aws;
        config.limits = parsed.limits;
        config.stage = parsed.stage;
        config.cors = parsed.cors;
        config.authorizers.extend(parsed.authorizers);
        config.api_keys = parsed.api_keys;
        config.usage_plans = parsed.usage_plans;
        config.state = parsed.state;
    }

    fn strings(&mut self, value: &Value, here: &[String]) -> Vec<String> {
        match value.as_array() {
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        self.problem(&at(here, &i.to_string()), "expected a string");
                        None
                    }
                })
                .collect(),
            None => {
                self.problem(here, "expected a list of strings");
                Vec::new()
            }
        }
    }

    fn string_map(&mut self, value: &Value, here: &[String]) -> BTreeMap<String, String> {
        let Some(map) = value.as_object() else {
            self.problem(here, "expected a mapping of strings");
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (key, value) in map {
            match value {
                Value::String(s) => {
                    out.insert(key.clone(), s.clone());
                }
                // API Gateway takes `'static'` values; a number or boolean
                // written bare in YAML means the same text.
                Value::Number(n) => {
                    out.insert(key.clone(), n.to_string());
                }
                Value::Bool(b) => {
                    out.insert(key.clone(), b.to_string());
                }
                _ => self.problem(&at(here, key), "expected a string"),
            }
        }
        out
    }

    /// `x-amazon-apigateway-request-validators`.
    fn validators(
        &mut self,
        value: &Value,
        here: &[String],
    ) -> BTreeMap<String, RequestValidatorConfig> {
        let mut out = BTreeMap::new();
        let Some(map) = value.as_object() else {
            self.problem(here, "expected a mapping of request validators");
            return out;
        };
        for (name, validator) in map {
            let there = at(here, name);
            let mut config = RequestValidatorConfig::default();
            for (key, flag) in validator.as_object().into_iter().flatten() {
                let target = match key.as_str() {
                    "validateRequestBody" => &mut config.validate_request_body,
                    "validateRequestParameters" => &mut config.validate_request_parameters,
                    other => {
                        self.warn(
                            &at(&there, other),
                            format!("`{other}` is not a request validator setting; ignored"),
                        );
                        continue;
                    }
                };
                match flag.as_bool() {
                    Some(b) => *target = b,
                    None => self.problem(&at(&there, key), "expected true or false"),
                }
            }
            self.trace(&["request_validators", name], &there);
            out.insert(name.clone(), config);
        }
        out
    }

    /// `x-amazon-apigateway-gateway-responses`.
    fn gateway_responses(
        &mut self,
        value: &Value,
        here: &[String],
    ) -> BTreeMap<String, GatewayResponseConfig> {
        let mut out = BTreeMap::new();
        let Some(map) = value.as_object() else {
            self.problem(here, "expected a mapping of gateway responses");
            return out;
        };
        for (kind, response) in map {
            let there = at(here, kind);
            let mut config = GatewayResponseConfig::default();
            for (key, value) in response.as_object().into_iter().flatten() {
                let field = at(&there, key);
                match key.as_str() {
                    "statusCode" => config.status = self.status(value, &field),
                    "responseParameters" => {
                        config.response_parameters = self.string_map(value, &field);
                        for name in config.response_parameters.keys() {
                            self.trace(
                                &["gateway_responses", kind, "response_parameters", name],
                                &at(&field, name),
                            );
                        }
                    }
                    "responseTemplates" => {
                        config.response_templates = self.string_map(value, &field);
                        for name in config.response_templates.keys() {
                            self.trace(
                                &["gateway_responses", kind, "response_templates", name],
                                &at(&field, name),
                            );
                        }
                    }
                    other => self.warn(
                        &field,
                        format!("`{other}` is not a gateway response setting; ignored"),
                    ),
                }
            }
            self.trace(&["gateway_responses", kind], &there);
            out.insert(kind.clone(), config);
        }
        out
    }

    /// A status code, written as a string (as exports do) or a number.
    fn status(&mut self, value: &Value, here: &[String]) -> Option<u16> {
        let parsed = match value {
            Value::String(s) => s.trim().parse::<u16>().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            _ => None,
        };
        match parsed {
            Some(status) if (100..=599).contains(&status) => Some(status),
            _ => {
                self.problem(here, format!("`{value}` is not an HTTP status code"));
                None
            }
        }
    }

    fn paths(&mut self, config: &mut Config, authorizers: &Authorizers) {
        let root: At = vec!["paths".to_string()];
        let doc: &'a Value = self.doc;
        let Some(paths) = doc.get("paths") else {
            self.problem(&[], "no `paths`: the document defines no API");
            return;
        };
        let Some(paths) = paths.as_object() else {
            self.problem(&root, "`paths` must be a mapping");
            return;
        };
        for (path, item) in paths {
            let here = at(&root, path);
            if !path.starts_with('/') {
                self.problem(&here, format!("a path starts with `/`: `{path}`"));
                continue;
            }
            let Some(item) = item.as_object() else {
                self.problem(&here, "a path item must be a mapping");
                continue;
            };
            let mut resource = ResourceConfig::default();
            let shared_parameters = item.get("parameters");
            for (key, operation) in item {
                let there = at(&here, key);
                if let Some((_, verb)) = OPERATIONS.iter().find(|(k, _)| k == key) {
                    if let Some(method) = self.operation(
                        operation,
                        &there,
                        shared_parameters.map(|p| (p, at(&here, "parameters"))),
                        path,
                        verb,
                        authorizers,
                    ) {
                        resource.methods.insert(verb.to_string(), method);
                    }
                    continue;
                }
                match key.as_str() {
                    "parameters" | "summary" | "description" | "servers" => {}
                    "trace" => self.warn(&there, "API Gateway has no TRACE method; ignored"),
                    "$ref" => self.problem(
                        &there,
                        "a path item `$ref` is not supported; write the path's operations in place",
                    ),
                    GATEWAY_EXTENSION => {
                        if let Some(cors) = value_at(operation, "cors") {
                            match serde_json::from_value(cors.clone()) {
                                Ok(cors) => resource.cors = Some(cors),
                                Err(e) => self.problem(&at(&there, "cors"), e.to_string()),
                            }
                            self.trace(&["resources", path, "cors"], &at(&there, "cors"));
                        }
                    }
                    other if other.starts_with("x-amazon-apigateway-") => self.warn(
                        &there,
                        format!("`{other}` is not supported by the gateway; ignored"),
                    ),
                    _ => {}
                }
            }
            self.trace(&["resources", path], &here);
            if !resource.methods.is_empty() || resource.cors.is_some() {
                config.resources.insert(path.clone(), resource);
            }
        }
    }

    fn operation(
        &mut self,
        operation: &'a Value,
        here: &[String],
        shared_parameters: Option<(&'a Value, At)>,
        path: &str,
        verb: &str,
        authorizers: &Authorizers,
    ) -> Option<MethodConfig> {
        let Some(op) = operation.as_object() else {
            self.problem(here, "an operation must be a mapping");
            return None;
        };
        let method_at = ["resources", path, verb];
        let Some(raw_integration) = op.get("x-amazon-apigateway-integration") else {
            self.warn(
                here,
                "no `x-amazon-apigateway-integration`: API Gateway answers 500 to this method; not served",
            );
            return None;
        };
        let integration_at = at(here, "x-amazon-apigateway-integration");
        // The rest of the method is read even when its integration is bad,
        // so that one run reports every problem.
        let integration = self.integration(raw_integration, &integration_at, &method_at);
        let mut method = MethodConfig {
            request_parameters: BTreeMap::new(),
            request_validator: None,
            request_models: BTreeMap::new(),
            integration: integration.clone().unwrap_or_else(|| IntegrationConfig {
                kind: IntegrationType::Mock,
                ..empty_integration()
            }),
            authorization: AuthorizationType::None,
            authorizer: None,
            authorization_scopes: Vec::new(),
            api_key_required: false,
            throttle: None,
        };
        self.trace(&method_at, here);
        // Path-level parameters first; the operation's replace them by name
        // and place, as OpenAPI says.
        let mut parameters: BTreeMap<String, (bool, At)> = BTreeMap::new();
        if let Some((shared, shared_at)) = shared_parameters {
            self.parameters(shared, &shared_at, &mut parameters, &mut method, path, verb);
        }
        if let Some(own) = op.get("parameters") {
            self.parameters(
                own,
                &at(here, "parameters"),
                &mut parameters,
                &mut method,
                path,
                verb,
            );
        }
        for (name, (required, from)) in parameters {
            self.trace(
                &["resources", path, verb, "request_parameters", &name],
                &from,
            );
            method.request_parameters.insert(name, required);
        }
        if let Some(body) = op.get("requestBody") {
            self.request_body(body, &at(here, "requestBody"), &mut method, path, verb);
        }
        for (key, value) in op {
            let field = at(here, key);
            match key.as_str() {
                "x-amazon-apigateway-integration"
                | "parameters"
                | "requestBody"
                | "security"
                | "responses"
                | "operationId"
                | "summary"
                | "description"
                | "tags"
                | "deprecated"
                | "externalDocs"
                | "consumes"
                | "produces"
                | "schemes"
                | "servers" => {}
                "x-amazon-apigateway-request-validator" => match value.as_str() {
                    Some(name) => {
                        method.request_validator = Some(name.to_string());
                        self.trace(&["resources", path, verb, "request_validator"], &field);
                    }
                    None => self.problem(&field, "expected the name of a request validator"),
                },
                "x-amazon-apigateway-auth" => {
                    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
                    if kind.eq_ignore_ascii_case("aws_iam") {
                        self.aws_iam(&field);
                    } else if !kind.eq_ignore_ascii_case("none") {
                        self.warn(
                            &field,
                            format!(
                                "authorization type `{kind}` is not supported; the method is open"
                            ),
                        );
                    }
                }
                GATEWAY_EXTENSION => self.method_settings(value, &field, &mut method),
                "callbacks" => self.warn(&field, "callbacks are not supported; ignored"),
                other if other.starts_with("x-amazon-apigateway-") => self.warn(
                    &field,
                    format!("`{other}` is not supported by the gateway; ignored"),
                ),
                _ => {}
            }
        }
        let security = match op.get("security") {
            Some(s) => Some((s, at(here, "security"))),
            None => self
                .doc
                .get("security")
                .map(|s| (s, vec!["security".to_string()])),
        };
        if let Some((security, security_at)) = security {
            self.security(security, &security_at, &mut method, authorizers);
        }
        integration.map(|_| method)
    }

    /// An operation's `x-gateway`: what only this gateway has, in
    /// gateway.yaml's keys.
    fn method_settings(&mut self, value: &Value, here: &[String], method: &mut MethodConfig) {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Settings {
            #[serde(default)]
            json_guard: Option<crate::config::JsonGuard>,
            #[serde(default)]
            authorization: Option<AuthorizationType>,
            #[serde(default)]
            authorizer: Option<String>,
            #[serde(default)]
            authorization_scopes: Vec<String>,
            #[serde(default)]
            throttle: Option<crate::config::ThrottleConfig>,
        }
        match serde_json::from_value::<Settings>(value.clone()) {
            Ok(settings) => {
                if let Some(guard) = settings.json_guard {
                    method.integration.json_guard = guard;
                }
                if settings.throttle.is_some() {
                    method.throttle = settings.throttle;
                }
                if let Some(authorization) = settings.authorization {
                    method.authorization = authorization;
                    method.authorizer = settings.authorizer;
                    method.authorization_scopes = settings.authorization_scopes;
                }
            }
            Err(e) => self.problem(here, format!("`{GATEWAY_EXTENSION}`: {e}")),
        }
    }

    fn aws_iam(&mut self, here: &[String]) {
        // The gateway checks SigV4 callers only against an `aws_iam`
        // authorizer's file of keys, which a definition cannot name.
        self.warn(
            here,
            "AWS_IAM authorization is not enforced: the gateway checks SigV4 signatures only against an `aws_iam` authorizer's credentials file (export to gateway-yaml and add one); the method is open",
        );
    }
}

/// A key of a mapping, if `value` is one.
fn value_at<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_object()?.get(key)
}

/// The authorizers the document defines, by security scheme name.
#[derive(Debug, Default)]
struct Authorizers {
    /// Scheme name → the method authorization it gives.
    by_scheme: BTreeMap<String, Scheme>,
}

#[derive(Debug, Clone)]
enum Scheme {
    /// An authorizer of the config.
    Authorizer(AuthorizationType),
    /// An `x-api-key` header scheme: API Gateway's API-key requirement.
    ApiKey,
    /// SigV4 (`x-amazon-apigateway-authtype: awsSigv4`).
    AwsIam,
    /// Something else, already warned about where it is defined.
    Unsupported,
}

/// An integration with API Gateway's defaults.
fn empty_integration() -> IntegrationConfig {
    IntegrationConfig {
        kind: IntegrationType::Mock,
        service: None,
        action: None,
        path: None,
        uri: None,
        credentials: None,
        http_method: None,
        request_parameters: BTreeMap::new(),
        request_templates: BTreeMap::new(),
        // API Gateway's default, not gateway.yaml's: a definition that
        // does not say keeps the behaviour it has there.
        passthrough_behavior: PassthroughBehavior::WhenNoMatch,
        timeout_ms: 29_000,
        json_guard: Default::default(),
        content_handling: None,
        responses: Vec::new(),
    }
}

/// The integration's type, as API Gateway writes it in either case.
fn integration_type(text: &str) -> Option<IntegrationType> {
    Some(match text.to_ascii_lowercase().as_str() {
        "aws" => IntegrationType::Aws,
        "http" => IntegrationType::Http,
        "mock" => IntegrationType::Mock,
        "http_proxy" => IntegrationType::HttpProxy,
        "aws_proxy" => IntegrationType::AwsProxy,
        _ => return None,
    })
}

fn content_handling(text: &str) -> Option<ContentHandling> {
    match text.to_ascii_uppercase().as_str() {
        "CONVERT_TO_TEXT" => Some(ContentHandling::ConvertToText),
        "CONVERT_TO_BINARY" => Some(ContentHandling::ConvertToBinary),
        _ => None,
    }
}

impl Converter<'_> {
    /// `x-amazon-apigateway-integration`.
    fn integration(
        &mut self,
        raw: &Value,
        here: &[String],
        method_at: &[&str],
    ) -> Option<IntegrationConfig> {
        let Some(map) = raw.as_object() else {
            self.problem(here, "expected a mapping");
            return None;
        };
        let config_at = |key: &str| -> Vec<String> {
            method_at
                .iter()
                .map(|s| s.to_string())
                .chain(["integration".to_string(), key.to_string()])
                .collect()
        };
        let kind = match map.get("type").and_then(Value::as_str) {
            Some(t) => match integration_type(t) {
                Some(kind) => kind,
                None => {
                    self.problem(
                        &at(here, "type"),
                        format!("integration type `{t}` is not one of aws, aws_proxy, http, http_proxy, mock"),
                    );
                    return None;
                }
            },
            None => {
                self.problem(here, "an integration needs a `type`");
                return None;
            }
        };
        let mut integration = IntegrationConfig {
            kind,
            ..empty_integration()
        };
        let proxy = matches!(kind, IntegrationType::AwsProxy | IntegrationType::HttpProxy);
        let mut trail: Vec<(Vec<String>, At)> = vec![(
            config_at("")
                .into_iter()
                .take(method_at.len() + 1)
                .collect(),
            here.to_vec(),
        )];
        for (key, value) in map {
            let field = at(here, key);
            let text = value.as_str();
            match key.as_str() {
                "type" => trail.push((config_at("type"), field)),
                "uri" => match text {
                    Some(uri) => {
                        integration.uri = Some(uri.to_string());
                        trail.push((config_at("uri"), field));
                    }
                    None => self.problem(&field, "expected a URI"),
                },
                "httpMethod" => match text {
                    Some(verb) => {
                        integration.http_method = Some(verb.to_string());
                        trail.push((config_at("http_method"), field));
                    }
                    None => self.problem(&field, "expected an HTTP method"),
                },
                "credentials" => match text {
                    // API Gateway's way of saying "the caller's own
                    // credentials": the gateway has no caller credentials
                    // to sign with.
                    Some(arn) if arn.starts_with("arn:aws:iam::*:user/") => self.warn(
                        &field,
                        "calling with the caller's own credentials is not supported; the gateway's credentials are used",
                    ),
                    Some(_) if self.options.no_execution_roles => {}
                    Some(arn) => {
                        integration.credentials = Some(arn.to_string());
                        trail.push((config_at("credentials"), field));
                    }
                    None => self.problem(&field, "expected a role ARN"),
                },
                "requestParameters" => {
                    integration.request_parameters = self.string_map(value, &field);
                    for name in integration.request_parameters.keys() {
                        let mut path = config_at("request_parameters");
                        path.push(name.clone());
                        trail.push((path, at(&field, name)));
                    }
                }
                "requestTemplates" => {
                    integration.request_templates = self.string_map(value, &field);
                    for name in integration.request_templates.keys() {
                        let mut path = config_at("request_templates");
                        path.push(name.clone());
                        trail.push((path, at(&field, name)));
                    }
                }
                "passthroughBehavior" => {
                    integration.passthrough_behavior =
                        match text.map(str::to_ascii_lowercase).as_deref() {
                            Some("when_no_match") => PassthroughBehavior::WhenNoMatch,
                            Some("when_no_templates") => PassthroughBehavior::WhenNoTemplates,
                            Some("never") => PassthroughBehavior::Never,
                            _ => {
                                self.problem(&field, format!("passthroughBehavior `{value}` is not when_no_match, when_no_templates or never"));
                                PassthroughBehavior::WhenNoMatch
                            }
                        };
                    trail.push((config_at("passthrough_behavior"), field));
                }
                "contentHandling" => match text.and_then(content_handling) {
                    Some(handling) => {
                        integration.content_handling = Some(handling);
                        trail.push((config_at("content_handling"), field));
                    }
                    None => self.problem(&field, format!("contentHandling `{value}` is not CONVERT_TO_TEXT or CONVERT_TO_BINARY")),
                },
                "timeoutInMillis" => match value.as_u64().or_else(|| text.and_then(|t| t.parse().ok())) {
                    Some(ms) => {
                        integration.timeout_ms = ms;
                        trail.push((config_at("timeout_ms"), field));
                    }
                    None => self.problem(&field, "expected milliseconds"),
                },
                "responses" => {
                    // API Gateway ignores integration responses of proxy
                    // integrations; exports still write a default one.
                    if !proxy {
                        integration.responses = self.responses(value, &field, &config_at("responses"), &mut trail);
                    }
                }
                "cacheNamespace" | "cacheKeyParameters" => {
                    let empty = match value {
                        Value::Array(list) => list.is_empty(),
                        _ => false,
                    };
                    // Exports write a cache namespace for every method; only
                    // cache keys say the stage cache is wanted.
                    if key == "cacheKeyParameters" && !empty {
                        self.warn(&field, "the stage cache is not supported; `cacheKeyParameters` ignored");
                    }
                }
                "connectionType" => {
                    if text.is_some_and(|t| !t.eq_ignore_ascii_case("INTERNET")) {
                        self.warn(&field, format!("connection type `{value}` is not supported; the URI is called directly"));
                    }
                }
                "connectionId" => {}
                "tlsConfig" => self.warn(&field, "`tlsConfig` is not supported; the gateway verifies TLS with the system's roots"),
                other => self.warn(&field, format!("`{other}` is not an integration setting the gateway supports; ignored")),
            }
        }
        self.trail.extend(trail);
        Some(integration)
    }

    /// The integration responses, keyed by selection pattern, in the
    /// document's order: the gateway tries patterns in order (and the
    /// default only when none matches), so the first of two overlapping
    /// patterns wins, as written.
    fn responses(
        &mut self,
        value: &Value,
        here: &[String],
        config_at: &[String],
        trail: &mut Vec<(Vec<String>, At)>,
    ) -> Vec<IntegrationResponseConfig> {
        let Some(map) = value.as_object() else {
            self.problem(
                here,
                "expected a mapping of selection patterns to responses",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (pattern, response) in map {
            let there = at(here, pattern);
            let Some(fields) = response.as_object() else {
                self.problem(&there, "expected a mapping");
                continue;
            };
            let mut config = IntegrationResponseConfig {
                selection_pattern: (pattern != "default").then(|| pattern.clone()),
                status: 200,
                response_parameters: BTreeMap::new(),
                response_templates: BTreeMap::new(),
                content_handling: None,
            };
            let mut own_trail = Vec::new();
            let mut has_status = false;
            for (key, value) in fields {
                let field = at(&there, key);
                match key.as_str() {
                    "statusCode" => {
                        // A bad status is reported as such, not as a missing one.
                        has_status = true;
                        if let Some(status) = self.status(value, &field) {
                            config.status = status;
                        }
                        own_trail.push((vec!["status".to_string()], field));
                    }
                    "responseParameters" => {
                        config.response_parameters = self.string_map(value, &field);
                        for name in config.response_parameters.keys() {
                            own_trail.push((vec!["response_parameters".to_string(), name.clone()], at(&field, name)));
                        }
                    }
                    "responseTemplates" => {
                        config.response_templates = self.string_map(value, &field);
                        for name in config.response_templates.keys() {
                            own_trail.push((vec!["response_templates".to_string(), name.clone()], at(&field, name)));
                        }
                    }
                    "contentHandling" => match value.as_str().and_then(content_handling) {
                        Some(handling) => config.content_handling = Some(handling),
                        None => self.problem(&field, format!("contentHandling `{value}` is not CONVERT_TO_TEXT or CONVERT_TO_BINARY")),
                    },
                    other => self.warn(&field, format!("`{other}` is not an integration response setting; ignored")),
                }
            }
            if !has_status {
                self.problem(&there, "an integration response needs a `statusCode`");
            }
            out.push((config, there, own_trail));
        }
        out.into_iter()
            .enumerate()
            .map(|(index, (config, there, own_trail))| {
                let mut base = config_at.to_vec();
                base.push(index.to_string());
                trail.push((base.clone(), there));
                for (rest, from) in own_trail {
                    let mut path = base.clone();
                    path.extend(rest);
                    trail.push((path, from));
                }
                config
            })
            .collect()
    }
}

// Parameters, request bodies and models.
impl<'a> Converter<'a> {
    /// Follows a local `$ref` (`#/components/parameters/X`, ...) to what it
    /// names, with the path of the target. A chain of references is followed
    /// a few hops at most, so one that loops is an error, not a hang.
    fn deref(&mut self, value: &'a Value, here: At) -> Option<(&'a Value, At)> {
        const MAX_HOPS: usize = 8;
        let (mut value, mut here) = (value, here);
        for _ in 0..MAX_HOPS {
            let Some(reference) = value_at(value, "$ref") else {
                return Some((value, here));
            };
            let Some(pointer) = reference.as_str().and_then(|r| r.strip_prefix('#')) else {
                self.problem(
                    &at(&here, "$ref"),
                    format!(
                        "`{reference}`: only references inside the document (`#/...`) are supported"
                    ),
                );
                return None;
            };
            let Some(target) = self.doc.pointer(pointer) else {
                self.problem(
                    &at(&here, "$ref"),
                    format!("`{reference}` names nothing in the document"),
                );
                return None;
            };
            value = target;
            here = pointer_segments(pointer);
        }
        self.problem(
            &here,
            format!("more than {MAX_HOPS} `$ref`s in a chain (a loop?)"),
        );
        None
    }

    /// A list of parameters: each one's `method.request.*` name, whether it
    /// is required, and where it is written.
    fn parameters(
        &mut self,
        list: &'a Value,
        here: &[String],
        out: &mut BTreeMap<String, (bool, At)>,
        method: &mut MethodConfig,
        path: &str,
        verb: &str,
    ) {
        let Some(list) = list.as_array() else {
            self.problem(here, "`parameters` must be a list");
            return;
        };
        for (index, parameter) in list.iter().enumerate() {
            let Some((parameter, there)) = self.deref(parameter, at(here, &index.to_string()))
            else {
                continue;
            };
            let name = parameter.get("name").and_then(Value::as_str);
            let place = parameter.get("in").and_then(Value::as_str);
            let (Some(name), Some(place)) = (name, place) else {
                self.problem(&there, "a parameter needs a `name` and an `in`");
                continue;
            };
            let required = parameter
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(place == "path");
            let location = match place {
                "path" => "path",
                "query" => "querystring",
                "header" => "header",
                "body" if self.version == Version::Swagger2 => {
                    if let Some(schema) = parameter.get("schema") {
                        let media_types = self.consumes(path, verb);
                        for media_type in media_types {
                            if let Some(model) = self.model_for(
                                schema,
                                &at(&there, "schema"),
                                path,
                                verb,
                                &media_type,
                            ) {
                                self.trace(
                                    &["resources", path, verb, "request_models", &media_type],
                                    &at(&there, "schema"),
                                );
                                method.request_models.insert(media_type, model);
                            }
                        }
                    }
                    continue;
                }
                other => {
                    self.warn(
                        &at(&there, "in"),
                        format!("parameters in `{other}` are not declared to the gateway; `{name}` is not checked"),
                    );
                    continue;
                }
            };
            out.insert(
                format!("method.request.{location}.{name}"),
                (required, there),
            );
        }
    }

    /// Swagger's media types of a body: the operation's `consumes`, the
    /// document's, else JSON.
    fn consumes(&self, path: &str, verb: &str) -> Vec<String> {
        let key = OPERATIONS
            .iter()
            .find(|(_, v)| *v == verb)
            .map_or("get", |(k, _)| *k);
        let op = self
            .doc
            .get("paths")
            .and_then(|p| p.get(path))
            .and_then(|p| p.get(key));
        let list = op
            .and_then(|o| o.get("consumes"))
            .or_else(|| self.doc.get("consumes"))
            .and_then(Value::as_array);
        match list {
            Some(list) if !list.is_empty() => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => vec!["application/json".to_string()],
        }
    }

    /// OpenAPI 3's `requestBody`: a model per media type.
    fn request_body(
        &mut self,
        body: &'a Value,
        here: &[String],
        method: &mut MethodConfig,
        path: &str,
        verb: &str,
    ) {
        let Some((body, there)) = self.deref(body, here.to_vec()) else {
            return;
        };
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            return;
        };
        for (media_type, entry) in content {
            let Some(schema) = entry.get("schema") else {
                continue;
            };
            let schema_at = at(&at(&at(&there, "content"), media_type), "schema");
            if let Some(model) = self.model_for(schema, &schema_at, path, verb, media_type) {
                self.trace(
                    &["resources", path, verb, "request_models", media_type],
                    &schema_at,
                );
                method.request_models.insert(media_type.clone(), model);
            }
        }
    }

    /// The model a body schema names: a `$ref` to a named schema, or, for a
    /// schema written in place, a model made for it. An empty schema checks
    /// nothing and gives none.
    fn model_for(
        &mut self,
        schema: &'a Value,
        here: &[String],
        path: &str,
        verb: &str,
        media_type: &str,
    ) -> Option<String> {
        if let Some(reference) = value_at(schema, "$ref") {
            let reference = reference.as_str().unwrap_or_default();
            return match self.model_name(reference) {
                Some(name) if self.schemas.contains_key(&name) => Some(name),
                _ => {
                    self.problem(
                        &at(here, "$ref"),
                        format!("`{reference}` names no model of the document"),
                    );
                    None
                }
            };
        }
        if schema.as_object().is_none_or(|m| m.is_empty()) {
            return None;
        }
        // API Gateway names the models it makes for inline schemas after
        // the method; the gateway's model names are letters and digits.
        let name: String = format!("{verb} {path} {media_type} body")
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                first.into_iter().chain(chars).collect::<String>()
            })
            .collect();
        let model = self.model_schema(schema, here);
        self.inline_models
            .insert(name.clone(), (model, here.to_vec()));
        Some(name)
    }

    /// The model a `$ref` names: `#/components/schemas/Name`,
    /// `#/definitions/Name`, or API Gateway's
    /// `https://apigateway.amazonaws.com/restapis/<id>/models/Name`.
    fn model_name(&self, reference: &str) -> Option<String> {
        let prefix = match self.version {
            Version::OpenApi3 => "#/components/schemas/",
            Version::Swagger2 => "#/definitions/",
        };
        if let Some(name) = reference.strip_prefix(prefix) {
            return Some(pointer_segments(&format!("/{name}")).join("/"));
        }
        let rest = reference.strip_prefix("https://apigateway.amazonaws.com/restapis/")?;
        let (_, name) = rest.split_once("/models/")?;
        (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
    }

    /// The named schemas of `components.schemas` / `definitions`, each made
    /// a model of its own.
    fn models(&mut self, config: &mut Config) {
        let (key, inner) = match self.version {
            Version::OpenApi3 => ("components", Some("schemas")),
            Version::Swagger2 => ("definitions", None),
        };
        let mut container = self.doc.get(key);
        let mut here = vec![key.to_string()];
        if let Some(inner) = inner {
            container = container.and_then(|c| c.get(inner));
            here.push(inner.to_string());
        }
        let Some(schemas) = container.and_then(Value::as_object) else {
            return;
        };
        for (name, schema) in schemas {
            self.schemas.insert(name.clone(), (schema, at(&here, name)));
        }
        for (name, (schema, there)) in self.schemas.clone() {
            let model = self.model_schema(schema, &there);
            self.trace(&["models", &name], &there);
            config.models.insert(name, model);
        }
        if let Some(components) = self.doc.get("components").and_then(Value::as_object) {
            for key in components.keys() {
                if !matches!(
                    key.as_str(),
                    "schemas"
                        | "parameters"
                        | "requestBodies"
                        | "securitySchemes"
                        | "responses"
                        | "headers"
                        | "examples"
                        | "links"
                        | "callbacks"
                ) && key.starts_with("x-amazon-apigateway-")
                {
                    let here = vec!["components".to_string(), key.clone()];
                    self.warn(
                        &here,
                        format!("`{key}` is not supported by the gateway; ignored"),
                    );
                }
            }
        }
    }

    /// A schema as a standalone draft-04 model: each `$ref` to another
    /// named schema becomes `#/definitions/<Name>`, and the schemas it
    /// reaches, however indirectly, are copied under `definitions`. A cycle
    /// of references is fine: each schema is copied once.
    fn model_schema(&mut self, schema: &Value, here: &[String]) -> Value {
        let mut root = schema.clone();
        let mut needed = Vec::new();
        self.rewrite_refs(&mut root, here, &mut needed, 0);
        let mut definitions = serde_json::Map::new();
        let mut index = 0;
        while index < needed.len() {
            let name = needed[index].clone();
            index += 1;
            if definitions.contains_key(&name) {
                continue;
            }
            let Some((target, there)) = self.schemas.get(&name).cloned() else {
                continue;
            };
            let mut copy = target.clone();
            self.rewrite_refs(&mut copy, &there, &mut needed, 0);
            definitions.insert(name, copy);
        }
        if !definitions.is_empty() {
            match root.as_object_mut() {
                Some(object) => {
                    let own = object
                        .entry("definitions")
                        .or_insert_with(|| Value::Object(serde_json::Map::new()));
                    match own.as_object_mut() {
                        Some(own) => {
                            for (name, definition) in definitions {
                                if own.contains_key(&name) {
                                    self.problem(
                                        &at(here, "definitions"),
                                        format!("the schema's own definition `{name}` has the name of a model it refers to"),
                                    );
                                }
                                own.insert(name, definition);
                            }
                        }
                        None => self
                            .problem(&at(here, "definitions"), "`definitions` must be a mapping"),
                    }
                }
                None => self.problem(here, "a schema must be a mapping"),
            }
        }
        root
    }

    /// Rewrites every `$ref` under `value` that names a model, noting the
    /// names in `needed`. Any other reference cannot be resolved offline
    /// and is an error: a model that silently checked less would change what
    /// requests are refused.
    fn rewrite_refs(
        &mut self,
        value: &mut Value,
        here: &[String],
        needed: &mut Vec<String>,
        depth: usize,
    ) {
        // Parsers already bound nesting; this keeps a document built in
        // memory (a CloudFormation body) within the same bound.
        const MAX_DEPTH: usize = 128;
        if depth > MAX_DEPTH {
            self.problem(
                here,
                format!("a schema nested more than {MAX_DEPTH} levels deep"),
            );
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if key == "$ref"
                        && let Value::String(reference) = child
                    {
                        match self.model_name(reference) {
                            Some(name) if self.schemas.contains_key(&name) => {
                                *reference = format!("#/definitions/{}", escape_pointer(&name));
                                needed.push(name);
                            }
                            // A reference inside the schema itself.
                            _ if reference.starts_with("#/definitions/")
                                && self.version == Version::OpenApi3 => {}
                            _ => self.problem(
                                &at(here, key),
                                format!("`{reference}` names no model of the document"),
                            ),
                        }
                        continue;
                    }
                    let there = at(here, key);
                    self.rewrite_refs(child, &there, needed, depth + 1);
                }
            }
            Value::Array(list) => {
                for (index, child) in list.iter_mut().enumerate() {
                    let there = at(here, &index.to_string());
                    self.rewrite_refs(child, &there, needed, depth + 1);
                }
            }
            _ => {}
        }
    }
}

// Security schemes and authorizers.
impl<'a> Converter<'a> {
    /// The security schemes: API Gateway authorizers become the config's
    /// authorizers, by scheme name.
    fn authorizers(&mut self, config: &mut Config) -> Authorizers {
        let mut out = Authorizers::default();
        let here: At = match self.version {
            Version::OpenApi3 => vec!["components".into(), "securitySchemes".into()],
            Version::Swagger2 => vec!["securityDefinitions".into()],
        };
        let pointer = format!("/{}", here.join("/"));
        let Some(schemes) = self.doc.pointer(&pointer).and_then(Value::as_object) else {
            return out;
        };
        for (name, scheme) in schemes {
            let there = at(&here, name);
            let kind = self.scheme(name, scheme, &there, config);
            out.by_scheme.insert(name.clone(), kind);
        }
        out
    }

    fn scheme(
        &mut self,
        name: &str,
        scheme: &'a Value,
        here: &[String],
        config: &mut Config,
    ) -> Scheme {
        let auth_type = scheme
            .get("x-amazon-apigateway-authtype")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") {
            let there = at(here, "x-amazon-apigateway-authorizer");
            return match self.authorizer(scheme, authorizer, &there) {
                Some((config_authorizer, authorization)) => {
                    self.trace(&["authorizers", name], &there);
                    config
                        .authorizers
                        .insert(name.to_string(), config_authorizer);
                    Scheme::Authorizer(authorization)
                }
                None => Scheme::Unsupported,
            };
        }
        if auth_type.eq_ignore_ascii_case("awsSigv4") {
            return Scheme::AwsIam;
        }
        let api_key = scheme.get("type").and_then(Value::as_str) == Some("apiKey")
            && scheme
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"));
        if api_key {
            return Scheme::ApiKey;
        }
        self.warn(
            here,
            format!("security scheme `{name}` is not an API Gateway authorizer; methods that require it are open"),
        );
        Scheme::Unsupported
    }

    /// `x-amazon-apigateway-authorizer`.
    fn authorizer(
        &mut self,
        scheme: &Value,
        raw: &Value,
        here: &[String],
    ) -> Option<(AuthorizerConfig, AuthorizationType)> {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_string);
        let kind = text("type").unwrap_or_default().to_ascii_lowercase();
        // A TOKEN authorizer and a user pool read the header the scheme names.
        // `Authorization` is the gateway's default too.
        let header = scheme
            .get("name")
            .and_then(Value::as_str)
            .filter(|h| !h.eq_ignore_ascii_case("Authorization"))
            .map(|h| format!("method.request.header.{h}"));
        let identity_source = text("identitySource")
            .map(|s| s.split(',').map(str::trim).collect::<Vec<_>>().join(","))
            .or(header);
        let ttl_seconds = raw
            .get("authorizerResultTtlInSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(300);
        let credentials =
            text("authorizerCredentials").filter(|_| !self.options.no_execution_roles);
        let mut authorizer = AuthorizerConfig {
            kind: AuthorizerType::Token,
            issuer: None,
            audience: Vec::new(),
            jwks_url: None,
            function: None,
            identity_source,
            identity_validation_expression: text("identityValidationExpression"),
            ttl_seconds,
            credentials,
            credentials_file: None,
        };
        for key in raw.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !matches!(
                key.as_str(),
                "type"
                    | "authorizerUri"
                    | "authorizerCredentials"
                    | "identitySource"
                    | "identityValidationExpression"
                    | "authorizerResultTtlInSeconds"
                    | "providerARNs"
            ) {
                self.warn(
                    &at(here, key),
                    format!("`{key}` is not an authorizer setting the gateway supports; ignored"),
                );
            }
        }
        let authorization = match kind.as_str() {
            "token" | "request" => {
                authorizer.kind = if kind == "token" {
                    AuthorizerType::Token
                } else {
                    AuthorizerType::Request
                };
                let Some(uri) = text("authorizerUri") else {
                    self.problem(here, "a Lambda authorizer needs an `authorizerUri`");
                    return None;
                };
                authorizer.function = Some(lambda_function(&uri));
                AuthorizationType::Custom
            }
            "cognito_user_pools" => {
                authorizer.kind = AuthorizerType::CognitoUserPools;
                let arns = raw.get("providerARNs").and_then(Value::as_array);
                let first = arns.and_then(|a| a.first()).and_then(Value::as_str);
                let Some(issuer) = first.and_then(user_pool_issuer) else {
                    self.problem(
                        &at(here, "providerARNs"),
                        "a user pool authorizer needs `providerARNs` with a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)",
                    );
                    return None;
                };
                if arns.is_some_and(|a| a.len() > 1) {
                    self.warn(
                        &at(here, "providerARNs"),
                        "only the first user pool is trusted; the others are ignored",
                    );
                }
                authorizer.issuer = Some(issuer);
                authorizer.ttl_seconds = 300;
                AuthorizationType::CognitoUserPools
            }
            other => {
                self.warn(
                    &at(here, "type"),
                    format!(
                        "authorizer type `{other}` is not supported; methods that use it are open"
                    ),
                );
                return None;
            }
        };
        Some((authorizer, authorization))
    }

    /// A method's `security` requirements.
    fn security(
        &mut self,
        value: &Value,
        here: &[String],
        method: &mut MethodConfig,
        authorizers: &Authorizers,
    ) {
        let Some(list) = value.as_array() else {
            self.problem(here, "`security` must be a list");
            return;
        };
        if list.len() > 1 {
            self.warn(here, "API Gateway takes one security requirement; the first is used, the alternatives are ignored");
        }
        let Some(requirement) = list.first().and_then(Value::as_object) else {
            return;
        };
        let there = at(here, "0");
        for (name, scopes) in requirement {
            let field = at(&there, name);
            match authorizers.by_scheme.get(name) {
                Some(Scheme::Authorizer(kind)) => {
                    if method.authorizer.is_some() {
                        self.problem(&field, "a method takes one authorizer");
                        continue;
                    }
                    method.authorization = *kind;
                    method.authorizer = Some(name.clone());
                    if *kind == AuthorizationType::CognitoUserPools {
                        method.authorization_scopes = scopes
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect();
                    }
                }
                // The keys and their usage plans are not part of an OpenAPI
                // document: declare them in `x-gateway` (`api_keys`,
                // `usage_plans`), or they come from a CloudFormation
                // template's ApiKey and UsagePlan resources.
                Some(Scheme::ApiKey) => method.api_key_required = true,
                Some(Scheme::AwsIam) => self.aws_iam(&field),
                Some(Scheme::Unsupported) => {}
                None => self.problem(&field, format!("no security scheme named `{name}`")),
            }
        }
    }
}

/// The function of API Gateway's Lambda URI
/// (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<ARN>/invocations`),
/// or the text itself.
fn lambda_function(uri: &str) -> String {
    uri.split_once("/functions/")
        .map(|(_, rest)| rest.strip_suffix("/invocations").unwrap_or(rest))
        .unwrap_or(uri)
        .to_string()
}

/// The issuer of a user pool's tokens, from the pool's ARN.
fn user_pool_issuer(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:cognito-idp:")?;
    let (region, rest) = rest.split_once(':')?;
    let (_account, pool) = rest.split_once(":userpool/")?;
    (!region.is_empty() && !pool.is_empty())
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_yaml(text: &str) -> (Result<Config, Vec<Problem>>, Vec<String>) {
        convert_with(text, &ImportOptions::default())
    }

    fn convert_with(
        text: &str,
        options: &ImportOptions,
    ) -> (Result<Config, Vec<Problem>>, Vec<String>) {
        let doc: Value = serde_yaml::from_str(text).unwrap();
        let origin = Origin::new(Path::new("api.yaml"), text);
        let mut warnings = Vec::new();
        let config = to_config(&doc, &origin, options, &mut warnings);
        (config, warnings)
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .map(|p| p.in_file(Path::new("api.yaml")))
            .collect()
    }

    const MOCK: &str = "x-amazon-apigateway-integration: {type: MOCK}";

    #[test]
    fn an_integration_without_passthrough_behavior_keeps_api_gateways_default() {
        let (config, _) = convert_yaml(&format!(
            "openapi: 3.0.1\npaths:\n  /s:\n    x-amazon-apigateway-any-method:\n      {MOCK}\n"
        ));
        let config = config.unwrap();
        let method = &config.resources["/s"]["ANY"];
        assert_eq!(method.integration.kind, IntegrationType::Mock);
        assert_eq!(
            method.integration.passthrough_behavior,
            PassthroughBehavior::WhenNoMatch
        );
    }

    #[test]
    fn models_that_refer_to_each_other_in_a_cycle_become_standalone_schemas() {
        let (config, _) = convert_yaml(&format!(
            "openapi: 3.0.1\npaths:\n  /s:\n    put:\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/Node'}}\n      {MOCK}\ncomponents:\n  schemas:\n    Node:\n      type: object\n      properties:\n        next: {{$ref: '#/components/schemas/Link'}}\n    Link:\n      type: object\n      properties:\n        node: {{$ref: 'https://apigateway.amazonaws.com/restapis/abc/models/Node'}}\n"
        ));
        let config = config.unwrap();
        assert_eq!(
            config.resources["/s"]["PUT"].request_models["application/json"],
            "Node"
        );
        let node = &config.models["Node"];
        assert_eq!(node["properties"]["next"]["$ref"], "#/definitions/Link");
        assert_eq!(
            node["definitions"]["Link"]["properties"]["node"]["$ref"],
            "#/definitions/Node"
        );
        let validator = jsonschema::draft4::new(node).unwrap();
        assert!(validator.is_valid(&serde_json::json!({"next": {"node": {}}})));
        assert!(!validator.is_valid(&serde_json::json!({"next": {"node": 5}})));
    }

    #[test]
    fn a_loop_of_parameter_refs_is_an_error_not_a_hang() {
        let (config, _) = convert_yaml(&format!(
            "openapi: 3.0.1\npaths:\n  /s:\n    get:\n      parameters: [{{$ref: '#/components/parameters/A'}}]\n      {MOCK}\ncomponents:\n  parameters:\n    A: {{$ref: '#/components/parameters/B'}}\n    B: {{$ref: '#/components/parameters/A'}}\n"
        ));
        let problems = messages(&config.unwrap_err());
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].contains("`$ref`s in a chain"), "{problems:#?}");
    }

    #[test]
    fn swagger_parameters_and_body_become_declared_parameters_and_models() {
        let (config, _) = convert_yaml(&format!(
            "swagger: '2.0'\nconsumes: [application/json, text/plain]\npaths:\n  /s/{{id}}:\n    parameters:\n      - {{name: id, in: path, required: true, type: string}}\n    post:\n      parameters:\n        - {{name: q, in: query, type: string}}\n        - {{name: X-Req, in: header, required: true, type: string}}\n        - {{name: body, in: body, schema: {{$ref: '#/definitions/Thing'}}}}\n      {MOCK}\ndefinitions:\n  Thing: {{type: object}}\n"
        ));
        let method = &config.unwrap().resources["/s/{id}"]["POST"];
        let declared: Vec<(&str, bool)> = method
            .request_parameters
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            declared,
            [
                ("method.request.header.X-Req", true),
                ("method.request.path.id", true),
                ("method.request.querystring.q", false),
            ]
        );
        assert_eq!(method.request_models["application/json"], "Thing");
        assert_eq!(method.request_models["text/plain"], "Thing");
    }

    #[test]
    fn authorizers_and_api_keys_map_from_security() {
        let text = format!(
            "openapi: 3.0.1\nsecurity: [{{api_key: []}}]\npaths:\n  /a:\n    get:\n      security: [{{lambda: []}}]\n      {MOCK}\n  /b:\n    get:\n      security: [{{pool: [email]}}]\n      {MOCK}\n  /c:\n    get:\n      {MOCK}\ncomponents:\n  securitySchemes:\n    api_key: {{type: apiKey, name: x-api-key, in: header}}\n    lambda:\n      type: apiKey\n      name: X-Token\n      in: header\n      x-amazon-apigateway-authtype: custom\n      x-amazon-apigateway-authorizer:\n        type: token\n        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations\n        authorizerCredentials: arn:aws:iam::123456789012:role/invoker\n        authorizerResultTtlInSeconds: 60\n    pool:\n      type: apiKey\n      name: Authorization\n      in: header\n      x-amazon-apigateway-authtype: cognito_user_pools\n      x-amazon-apigateway-authorizer:\n        type: cognito_user_pools\n        providerARNs: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc]\n"
        );
        let (config, warnings) = convert_yaml(&text);
        let config = config.unwrap();
        let lambda = &config.authorizers["lambda"];
        assert_eq!(lambda.kind, AuthorizerType::Token);
        assert_eq!(
            lambda.function.as_deref(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:auth")
        );
        assert_eq!(
            lambda.identity_source.as_deref(),
            Some("method.request.header.X-Token")
        );
        assert_eq!(lambda.ttl_seconds, 60);
        assert_eq!(
            lambda.credentials.as_deref(),
            Some("arn:aws:iam::123456789012:role/invoker")
        );
        assert_eq!(
            config.authorizers["pool"].issuer.as_deref(),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc")
        );
        let a = &config.resources["/a"]["GET"];
        assert_eq!(
            (a.authorization, a.authorizer.as_deref()),
            (AuthorizationType::Custom, Some("lambda"))
        );
        let b = &config.resources["/b"]["GET"];
        assert_eq!(b.authorization, AuthorizationType::CognitoUserPools);
        assert_eq!(b.authorization_scopes, ["email"]);
        // The document's default security applies to /c: an API key, which
        // the method then requires; /a and /b name their own security.
        assert_eq!(
            config.resources["/c"]["GET"].authorization,
            AuthorizationType::None
        );
        assert!(config.resources["/c"]["GET"].api_key_required);
        assert!(!config.resources["/a"]["GET"].api_key_required);
        assert!(warnings.is_empty(), "{warnings:#?}");

        // Without execution roles, the authorizer's role goes too.
        let options = ImportOptions {
            no_execution_roles: true,
            ..Default::default()
        };
        let (config, _) = convert_with(&text, &options);
        assert_eq!(config.unwrap().authorizers["lambda"].credentials, None);
    }

    #[test]
    fn unsupported_extensions_are_one_warning_each_and_unknown_schemes_an_error() {
        let (config, warnings) = convert_yaml(
            "openapi: 3.0.1\nx-amazon-apigateway-endpoint-configuration: {types: [REGIONAL]}\nx-amazon-apigateway-documentation: {}\nx-amazon-apigateway-minimum-compression-size: 0\npaths:\n  /s:\n    get:\n      security: [{nobody: []}]\n      x-amazon-apigateway-integration:\n        type: http\n        uri: http://example.com\n        cacheKeyParameters: [method.request.path.id]\n",
        );
        assert_eq!(warnings.len(), 4, "{warnings:#?}");
        assert!(
            warnings[0].starts_with("api.yaml:2:1: /x-amazon-apigateway-endpoint-configuration:")
        );
        assert!(warnings[3].contains("/cacheKeyParameters: the stage cache is not supported"));
        let problems = messages(&config.unwrap_err());
        assert_eq!(
            problems,
            ["api.yaml:8:27: /paths/~1s/get/security/0/nobody: no security scheme named `nobody`"]
        );
    }

    #[test]
    fn an_embedded_document_names_places_in_the_whole_file() {
        let text = "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body:\n        openapi: 3.0.1\n        paths:\n          /s:\n            get:\n              x-amazon-apigateway-integration:\n                type: nothing\n";
        let whole: Value = serde_yaml::from_str(text).unwrap();
        let doc = whole.pointer("/Resources/Api/Properties/Body").unwrap();
        let origin = Origin::embedded(Path::new("t.yaml"), text, "/Resources/Api/Properties/Body");
        let error = to_loaded(doc, &origin, &ImportOptions::default()).unwrap_err();
        assert_eq!(
            error.problems[0].in_file(Path::new("t.yaml")),
            "t.yaml:11:23: /Resources/Api/Properties/Body/paths/~1s/get/x-amazon-apigateway-integration/type: integration type `nothing` is not one of aws, aws_proxy, http, http_proxy, mock"
        );
    }
}
