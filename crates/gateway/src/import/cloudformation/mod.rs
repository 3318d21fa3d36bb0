//! CloudFormation and SAM templates, JSON or YAML, and what `cdk synth`
//! writes: the API of one `AWS::ApiGateway::RestApi` or
//! `AWS::Serverless::Api`, converted into the gateway's config.
//!
//! The template is read with the place of every value ([`template`]), its
//! intrinsic functions and references are resolved as CloudFormation would
//! ([`intrinsics`], [`references`]), and the API becomes one OpenAPI 3
//! document: its inline `Body` / `DefinitionBody` (or the file that
//! `DefinitionUri` or `AWS::Include` names), to which the template's
//! `Resource`, `Method`, `Model`, `RequestValidator`, `GatewayResponse` and
//! `Authorizer` resources add what they define ([`synth`]). The OpenAPI
//! converter reads that document like any export; the API's stage (name,
//! variables, access-log format) is applied to the result last.
//!
//! Every problem names its place in the template; what the gateway does not
//! run is one warning each.

mod intrinsics;
mod limits;
mod references;
mod stage;
mod synth;
mod template;
mod usage;

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use crate::config::{ConfigError, Loaded, Location, Locations, Problem};
use crate::import::openapi::{self, Origin};
use crate::import::{ImportOptions, escape_pointer, pointer_segments};
use intrinsics::Resolver;
use synth::Note;
use template::{Node, Pos};

const REST_API: &str = "AWS::ApiGateway::RestApi";
const SERVERLESS_API: &str = "AWS::Serverless::Api";

/// Loads the API of a CloudFormation or SAM template.
pub fn load(path: &Path, text: &str, options: &ImportOptions) -> Result<Loaded, ConfigError> {
    load_with(path, text, options, &|name| std::env::var(name).ok())
}

/// [`load`], reading the environment (the region's defaults) with `env`.
pub fn load_with(
    path: &Path,
    text: &str,
    options: &ImportOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let fail = |problems: Vec<Problem>| ConfigError {
        file: path.to_path_buf(),
        problems,
    };
    let template = template::parse(text, 0).map_err(|e| {
        fail(vec![Problem {
            key: String::new(),
            location: e.pos.map(location),
            message: e.message,
        }])
    })?;
    if template.get("Resources").and_then(Node::as_map).is_none() {
        return Err(fail(vec![problem_at(
            &template,
            "",
            "a template needs a `Resources` mapping",
        )]));
    }
    let resolver = Resolver::new(path, &template, options, env);
    let source = Locations::scan(text).ok();
    let mut import = Import {
        path,
        text,
        resolver: &resolver,
        source: source.as_ref(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let (id, api) = import.select_api().map_err(|p| fail(vec![p]))?;
    let built = import.document(id, api);
    let mut problems = std::mem::take(&mut import.problems);
    let Some((doc, origin, prefix, synthesis)) = built else {
        return Err(fail(problems));
    };
    let remap = Remap {
        prefix,
        map: synthesis.map,
    };
    problems.extend(synthesis.problems.iter().map(|n| import.note_problem(n)));
    import.unsupported_resources(id);
    let mut warnings: Vec<String> = synthesis
        .warnings
        .iter()
        .map(|n| import.note_warning(n))
        .collect();
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let mut loaded = match openapi::to_loaded(&Json::Object(doc), &origin, options) {
        Ok(loaded) => loaded,
        Err(mut error) => {
            for problem in &mut error.problems {
                if let Some(pointer) = remap.pointer(&problem.key) {
                    problem.location = import.value_location(&pointer).or(problem.location);
                    problem.key = pointer;
                }
            }
            return Err(error);
        }
    };
    import.remap_loaded(&mut loaded, &remap, &origin);
    warnings.extend(
        loaded
            .warnings
            .iter()
            .map(|w| import.remap_warning(w, &remap)),
    );
    stage::apply(&mut import, id, api, &mut loaded.config);
    usage::apply(&mut import, id, &mut loaded.config);
    loaded.config.aws.region = Some(resolver.pseudo("AWS::Region").to_string());
    loaded.config.api.account_id = Some(resolver.pseudo("AWS::AccountId").to_string());
    let notes = std::mem::take(&mut import.warnings);
    warnings.extend(notes.iter().map(|n| import.note_warning(n)));
    let problems = std::mem::take(&mut import.problems);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    loaded.warnings = warnings;
    loaded.path = path.to_path_buf();
    Ok(loaded)
}

/// A 1-based position as the config's [`Location`].
fn location(pos: Pos) -> Location {
    Location {
        line: pos.line,
        column: pos.column,
    }
}

fn problem_at(node: &Node, pointer: &str, message: &str) -> Problem {
    Problem {
        key: pointer.to_string(),
        location: node.pos.is_known().then(|| location(node.pos)),
        message: message.to_string(),
    }
}

fn resource_pointer(id: &str) -> String {
    format!("/Resources/{}", escape_pointer(id))
}

fn property_pointer(id: &str, property: &str) -> String {
    format!("{}/{}", properties_pointer(id), escape_pointer(property))
}

/// The pointer of a resource's `Properties`.
fn properties_pointer(id: &str) -> String {
    format!("{}/Properties", resource_pointer(id))
}

/// Whether `node` is `Ref: <id>` (how a resource names its API, a plan its
/// key).
fn refers_to(node: Option<&Node>, id: &str) -> bool {
    node.and_then(Node::intrinsic)
        .is_some_and(|(f, arg)| f == "Ref" && arg.as_str() == Some(id))
}

/// Maps pointers of the converted document back to the template.
struct Remap {
    /// The pointer of the document in the file the converter was told of.
    prefix: String,
    /// Document pointer → template pointer, from [`synth`].
    map: Vec<(String, String)>,
}

impl Remap {
    /// The template's pointer for a pointer the converter named, when it is
    /// of a place the template's resources made.
    fn pointer(&self, pointer: &str) -> Option<String> {
        let inner = pointer.strip_prefix(&self.prefix)?;
        let (from, to) = self
            .map
            .iter()
            .filter(|(from, _)| {
                inner == from
                    || inner
                        .strip_prefix(from.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|(from, _)| from.len())?;
        Some(format!("{to}{}", &inner[from.len()..]))
    }
}

/// One import under way: the template, and what it found so far.
pub(crate) struct Import<'a> {
    path: &'a Path,
    text: &'a str,
    resolver: &'a Resolver<'a>,
    /// The template's key positions, for the converter's key paths.
    source: Option<&'a Locations>,
    problems: Vec<Problem>,
    warnings: Vec<Note>,
}

impl<'a> Import<'a> {
    fn note_problem(&self, note: &Note) -> Problem {
        self.problem(note.pos, &note.pointer, &note.message)
    }

    /// A problem at `pos`; one in an included file names that file.
    fn problem(&self, pos: Pos, pointer: &str, message: &str) -> Problem {
        if pos.file != 0 && pos.is_known() {
            let file = self.resolver.file(pos).unwrap_or_default();
            return Problem {
                key: pointer.to_string(),
                location: None,
                message: format!("{}:{}:{}: {message}", file.display(), pos.line, pos.column),
            };
        }
        Problem {
            key: pointer.to_string(),
            location: if pos.is_known() {
                Some(location(pos))
            } else {
                self.value_location(pointer)
            },
            message: message.to_string(),
        }
    }

    /// A warning names the key of the setting it is about, where the
    /// template has one; a problem names the value at fault.
    fn note_warning(&self, note: &Note) -> String {
        let mut problem = self.problem(note.pos, &note.pointer, &note.message);
        if note.pos.file == 0
            && let Some(at) = self.key_location(&note.pointer)
        {
            problem.location = Some(at);
        }
        problem.in_file(self.path)
    }

    fn warn(&mut self, pos: Pos, pointer: String, message: String) {
        self.warnings.push(Note {
            pos,
            pointer,
            message,
        });
    }

    fn error(&mut self, error: intrinsics::Error, pointer: &str) {
        let problem = self.problem(error.pos, pointer, &error.message);
        self.problems.push(problem);
    }

    fn value_location(&self, pointer: &str) -> Option<Location> {
        let segments = pointer_segments(pointer);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        self.source?.value(&segments)
    }

    fn key_location(&self, pointer: &str) -> Option<Location> {
        let segments = pointer_segments(pointer);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        self.source?.key(&segments)
    }

    /// The API to load: `--api`, else the template's only one.
    fn select_api(&self) -> Result<(&'a str, &'a Node), Problem> {
        let template = self.resolver.template;
        let resources = template
            .get("Resources")
            .and_then(Node::as_map)
            .unwrap_or_default();
        let mut apis = Vec::new();
        for (id, node) in resources {
            let ty = node.get("Type").and_then(Node::as_str);
            if !matches!(ty, Some(REST_API | SERVERLESS_API)) {
                continue;
            }
            match self.resolver.exists(node) {
                Ok(true) => apis.push((id.as_str(), node)),
                Ok(false) => {}
                Err(e) => {
                    return Err(self.problem(
                        e.pos,
                        &format!("{}/Condition", resource_pointer(id)),
                        &e.message,
                    ));
                }
            }
        }
        let names = || {
            apis.iter()
                .map(|(id, node)| {
                    let ty = node.get("Type").and_then(Node::as_str).unwrap_or("");
                    let line = self
                        .key_location(&resource_pointer(id))
                        .map_or(node.pos.line, |l| l.line);
                    format!("{id} ({ty}, line {line})")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(wanted) = &self.resolver.options.api {
            return apis
                .iter()
                .find(|(id, _)| id == wanted)
                .copied()
                .ok_or_else(|| Problem {
                    key: "/Resources".to_string(),
                    location: self.key_location("/Resources"),
                    message: if apis.is_empty() {
                        format!("--api {wanted}: the template defines no API")
                    } else {
                        format!(
                            "--api {wanted}: no such API; the template defines {}",
                            names()
                        )
                    },
                });
        }
        match apis.as_slice() {
            [one] => Ok(*one),
            [] => Err(Problem {
                key: "/Resources".to_string(),
                location: self.key_location("/Resources"),
                message: format!(
                    "the template defines no API: no {REST_API} or {SERVERLESS_API} (SAM's implicit API, made from functions' Api events, is not converted)"
                ),
            }),
            _ => Err(Problem {
                key: "/Resources".to_string(),
                location: self.key_location("/Resources"),
                message: format!(
                    "the template defines {} APIs: choose one with --api LOGICAL_ID: {}",
                    apis.len(),
                    names()
                ),
            }),
        }
    }

    /// The API's OpenAPI document, where the converter should say it is,
    /// the pointer of the document in that file, and what the template's
    /// resources added. `None` after reporting a problem.
    fn document(
        &mut self,
        id: &str,
        api: &Node,
    ) -> Option<(Map<String, Json>, Origin, String, synth::Synthesis)> {
        let ty = api.get("Type").and_then(Node::as_str).unwrap_or("");
        let properties = api.get("Properties");
        if let Some(node) = properties.filter(|p| p.as_map().is_none()) {
            self.problems.push(self.problem(
                node.pos,
                &format!("{}/Properties", resource_pointer(id)),
                "Properties must be a mapping",
            ));
            return None;
        }
        let property = |name: &str| properties.and_then(|p| p.get(name));
        let (body_name, uri_name) = if ty == SERVERLESS_API {
            ("DefinitionBody", "DefinitionUri")
        } else {
            ("Body", "BodyS3Location")
        };
        let (mut doc, origin, prefix) = if let Some(body) = property(body_name) {
            let pointer = property_pointer(id, body_name);
            // An included body's places are in the included file.
            let (doc, origin, prefix) = match body.intrinsic() {
                Some(("Fn::Transform", argument)) => {
                    let included = match self.resolver.include(body.pos, argument, 0) {
                        Ok(node) => node,
                        Err(e) => {
                            self.error(e, &pointer);
                            return None;
                        }
                    };
                    let file = self.resolver.file(included.pos).unwrap_or_default();
                    let file_text = std::fs::read_to_string(&file).unwrap_or_default();
                    (
                        self.resolver.resolve(&included),
                        Origin::new(&file, &file_text),
                        String::new(),
                    )
                }
                _ => (
                    self.resolver.resolve(body),
                    Origin::embedded(self.path, self.text, &pointer),
                    pointer.clone(),
                ),
            };
            match doc {
                Ok(Some(Json::Object(doc))) => (doc, origin, prefix),
                Ok(_) => {
                    self.problems.push(self.problem(
                        body.pos,
                        &pointer,
                        "the API's definition must be a mapping (an OpenAPI document)",
                    ));
                    return None;
                }
                Err(e) => {
                    self.error(e, &pointer);
                    return None;
                }
            }
        } else if let Some(uri) = property(uri_name) {
            let pointer = property_pointer(id, uri_name);
            let Some(location) = uri.as_str().filter(|_| ty == SERVERLESS_API) else {
                self.problems.push(self.problem(
                    uri.pos,
                    &pointer,
                    &format!("{uri_name} in S3 is not read: put the definition in the template or in a local file ({})", if ty == SERVERLESS_API { "DefinitionUri: ./api.yaml" } else { "Body, or Fn::Transform AWS::Include" }),
                ));
                return None;
            };
            // SAM does not resolve intrinsic functions in a DefinitionUri
            // file; neither does this.
            let node = match self.resolver.read_file(uri.pos, location) {
                Ok(node) => node,
                Err(e) => {
                    self.error(e, &pointer);
                    return None;
                }
            };
            let file = self.resolver.file(node.pos).unwrap_or_default();
            let file_text = std::fs::read_to_string(&file).unwrap_or_default();
            match template::to_json(&node) {
                Json::Object(doc) => (doc, Origin::new(&file, &file_text), String::new()),
                _ => {
                    self.problems.push(self.problem(
                        uri.pos,
                        &pointer,
                        "the definition file is not a mapping (an OpenAPI document)",
                    ));
                    return None;
                }
            }
        } else {
            // Only the template's resources define it: positions come from
            // the remapping, not from the converter.
            let title = property("Name")
                .and_then(|n| self.resolver.resolve_string(n).ok())
                .unwrap_or_else(|| id.to_string());
            let doc = json!({"openapi": "3.0.1", "info": {"title": title, "version": "1.0"}, "paths": {}});
            let Json::Object(doc) = doc else { return None };
            (doc, Origin::embedded(self.path, "", ""), String::new())
        };
        let mut synthesis = synth::add_resources(self.resolver, id, &mut doc);
        self.api_properties(id, api, &mut doc, &mut synthesis);
        Some((doc, origin, prefix, synthesis))
    }

    /// The API's own properties that the document carries as extensions.
    fn api_properties(
        &mut self,
        id: &str,
        api: &Node,
        doc: &mut Map<String, Json>,
        synthesis: &mut synth::Synthesis,
    ) {
        let Some(properties) = api.get("Properties").and_then(Node::as_map) else {
            return;
        };
        let serverless = api.get("Type").and_then(Node::as_str) == Some(SERVERLESS_API);
        for (key, node) in properties {
            let pointer = property_pointer(id, key);
            let value = || match self.resolver.resolve(node) {
                Ok(value) => Ok(value),
                Err(e) => Err(e),
            };
            match key.as_str() {
                "Body"
                | "DefinitionBody"
                | "DefinitionUri"
                | "BodyS3Location"
                | "Name"
                | "Description"
                | "Tags"
                | "FailOnWarnings"
                | "Mode"
                | "Parameters"
                | "EndpointConfiguration"
                | "DisableExecuteApiEndpoint"
                | "OpenApiVersion"
                | "PropagateTags"
                | "AlwaysDeploy"
                | "MergeDefinitions"
                | "StageName"
                | "Variables"
                | "MethodSettings"
                | "AccessLogSetting"
                | "CacheClusterEnabled"
                | "CacheClusterSize"
                | "TracingEnabled"
                | "CanarySetting"
                | "DeploymentId" => {}
                "BinaryMediaTypes" => match value() {
                    // SAM writes `/` as `~1` (`image~1png`).
                    Ok(Some(Json::Array(types))) => {
                        let types: Vec<Json> = types
                            .iter()
                            .filter_map(Json::as_str)
                            .map(|t| Json::String(t.replace("~1", "/")))
                            .collect();
                        doc.insert(
                            "x-amazon-apigateway-binary-media-types".into(),
                            Json::Array(types),
                        );
                        synthesis
                            .map
                            .push(("/x-amazon-apigateway-binary-media-types".into(), pointer));
                    }
                    Ok(_) => self.problems.push(self.problem(
                        node.pos,
                        &pointer,
                        "BinaryMediaTypes must be a list",
                    )),
                    Err(e) => self.error(e, &pointer),
                },
                "ApiKeySourceType" => match value() {
                    Ok(Some(v)) => {
                        doc.insert("x-amazon-apigateway-api-key-source".into(), v);
                        synthesis
                            .map
                            .push(("/x-amazon-apigateway-api-key-source".into(), pointer));
                    }
                    Ok(None) => {}
                    Err(e) => self.error(e, &pointer),
                },
                "Policy" => match value() {
                    Ok(Some(v)) => {
                        doc.insert("x-amazon-apigateway-policy".into(), v);
                        synthesis
                            .map
                            .push(("/x-amazon-apigateway-policy".into(), pointer));
                    }
                    Ok(None) => {}
                    Err(e) => self.error(e, &pointer),
                },
                "GatewayResponses" if serverless => match value() {
                    Ok(Some(Json::Object(responses))) => {
                        sam_gateway_responses(doc, responses);
                        synthesis
                            .map
                            .push(("/x-amazon-apigateway-gateway-responses".into(), pointer));
                    }
                    Ok(_) => self.problems.push(self.problem(
                        node.pos,
                        &pointer,
                        "GatewayResponses must be a mapping",
                    )),
                    Err(e) => self.error(e, &pointer),
                },
                "Models" if serverless => match value() {
                    Ok(Some(Json::Object(models))) => {
                        let components = doc.entry("components").or_insert_with(|| json!({}));
                        if let Some(components) = components.as_object_mut() {
                            let schemas = components.entry("schemas").or_insert_with(|| json!({}));
                            if let Some(schemas) = schemas.as_object_mut() {
                                schemas.extend(models);
                            }
                        }
                        synthesis.map.push(("/components/schemas".into(), pointer));
                    }
                    Ok(_) => self.problems.push(self.problem(
                        node.pos,
                        &pointer,
                        "Models must be a mapping",
                    )),
                    Err(e) => self.error(e, &pointer),
                },
                _ => self.warn(
                    node.pos,
                    pointer,
                    format!("the API's `{key}` is not supported and is ignored"),
                ),
            }
        }
    }

    /// One warning for each API Gateway resource of the template that the
    /// gateway does not run.
    fn unsupported_resources(&mut self, api: &str) {
        let Some(resources) = self
            .resolver
            .template
            .get("Resources")
            .and_then(Node::as_map)
        else {
            return;
        };
        for (id, node) in resources {
            let ty = node.get("Type").and_then(Node::as_str).unwrap_or("");
            let feature = match ty {
                "AWS::ApiGateway::BasePathMapping" | "AWS::ApiGateway::DomainName" => {
                    "custom domain names are not served: the gateway answers on its own address"
                }
                "AWS::ApiGateway::DocumentationPart" | "AWS::ApiGateway::DocumentationVersion" => {
                    continue;
                }
                "AWS::Serverless::Function" => {
                    // SAM adds a Lambda proxy method for each Api event of a function.
                    let events = node
                        .get("Properties")
                        .and_then(|p| p.get("Events"))
                        .and_then(Node::as_map);
                    let api_events = events.unwrap_or_default().iter().any(|(_, event)| {
                        event.get("Type").and_then(Node::as_str) == Some("Api")
                            && event
                                .get("Properties")
                                .and_then(|p| p.get("RestApiId"))
                                .and_then(|r| r.intrinsic())
                                .is_some_and(|(_, arg)| arg.as_str() == Some(api))
                    });
                    if !api_events {
                        continue;
                    }
                    "the function's Api events are not converted into methods: write them in the API's definition"
                }
                _ => continue,
            };
            self.warn(
                node.pos,
                resource_pointer(id),
                format!("`{id}` ({ty}): {feature}; ignored"),
            );
        }
    }

    /// Points the converted config's key paths at the template's places for
    /// what the template's resources made.
    fn remap_loaded(&self, loaded: &mut Loaded, remap: &Remap, origin: &Origin) {
        if remap.map.is_empty() {
            return;
        }
        let Some(source) = self.source else { return };
        // Keep what the converter found in the template's own text.
        let same_file = origin.path() == self.path;
        let mut locations = Locations::imported(source);
        for (config_path, pointer) in loaded.pointers.iter_mut() {
            let config_path: Vec<&str> = config_path.iter().map(String::as_str).collect();
            if let Some(template_pointer) = remap.pointer(pointer) {
                *pointer = template_pointer;
            } else if !same_file || remap.prefix.is_empty() {
                continue;
            }
            let segments = pointer_segments(pointer);
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            locations.alias(&config_path, source, &segments);
        }
        if same_file {
            loaded.locations = locations;
        }
    }

    /// A converter's warning (`file[:line:col]: pointer: message`) about a
    /// place the template's resources made, pointed at the template.
    fn remap_warning(&self, warning: &str, remap: &Remap) -> String {
        let Some(rest) = warning.strip_prefix(&self.path.display().to_string()) else {
            return warning.to_string();
        };
        // Skip `:line:column`, if any.
        let rest = rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
        let Some(rest) = rest.strip_prefix(' ') else {
            return warning.to_string();
        };
        let Some((pointer, message)) = rest.split_once(": ") else {
            return warning.to_string();
        };
        match remap.pointer(pointer) {
            Some(template_pointer) => Problem {
                location: self.key_location(&template_pointer),
                key: template_pointer,
                message: message.to_string(),
            }
            .in_file(self.path),
            None => warning.to_string(),
        }
    }
}

/// SAM's `GatewayResponses` as the extension: `ResponseParameters` are
/// grouped into `Headers`, `Paths` and `QueryStrings`.
fn sam_gateway_responses(doc: &mut Map<String, Json>, responses: Map<String, Json>) {
    let mut out = Map::new();
    for (kind, response) in responses {
        let mut converted = Map::new();
        if let Some(status) = response.get("StatusCode") {
            converted.insert("statusCode".into(), status.clone());
        }
        if let Some(Json::Object(groups)) = response.get("ResponseParameters") {
            let mut parameters = Map::new();
            for (group, prefix) in [
                ("Headers", "header"),
                ("Paths", "path"),
                ("QueryStrings", "querystring"),
            ] {
                if let Some(Json::Object(values)) = groups.get(group) {
                    for (name, value) in values {
                        parameters
                            .insert(format!("gatewayresponse.{prefix}.{name}"), value.clone());
                    }
                }
            }
            converted.insert("responseParameters".into(), Json::Object(parameters));
        }
        if let Some(templates) = response.get("ResponseTemplates") {
            converted.insert("responseTemplates".into(), templates.clone());
        }
        out.insert(kind, Json::Object(converted));
    }
    doc.insert(
        "x-amazon-apigateway-gateway-responses".into(),
        Json::Object(out),
    );
}

#[cfg(test)]
mod tests;
