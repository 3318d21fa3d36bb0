//! The README's examples as a user copies them: every mapping template in its
//! fenced `yaml` blocks, read from the README itself, is rendered with the
//! inputs it would meet (client text with quotes, apostrophes, backslashes
//! and non-ASCII; an AWS error body; a validation message, which holds
//! quotes), and its output must be valid for its media type.

use std::collections::BTreeMap;

use gateway_mapping::{Body, Context, ErrorContext, Input, Params, Template, Variables};
use serde_yaml::Value;

use crate::support::repo_root;

/// Where a template sits, which decides what it is given.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `request_templates`: the client's request.
    Request,
    /// `responses[].response_templates`: the service's answer.
    Response,
    /// `gateway_responses.<TYPE>.response_templates`: the gateway's error.
    GatewayResponse,
}

struct Found {
    kind: Kind,
    media_type: String,
    source: String,
    /// The key path, to name the template in a failure.
    at: String,
}

/// The text of every fenced block whose info string is `yaml`.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim() == "```yaml" => current = Some(Vec::new()),
            None => {}
            Some(_) if line.trim() == "```" => blocks.push(current.take().unwrap().join("\n")),
            Some(lines) => lines.push(line),
        }
    }
    blocks
}

fn collect(value: &Value, at: &mut Vec<String>, found: &mut Vec<Found>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().unwrap_or("?").to_string();
                let kind = match key.as_str() {
                    "request_templates" => Some(Kind::Request),
                    "response_templates" if at.iter().any(|k| k == "gateway_responses") => {
                        Some(Kind::GatewayResponse)
                    }
                    "response_templates" => Some(Kind::Response),
                    _ => None,
                };
                at.push(key);
                match (kind, child.as_mapping()) {
                    (Some(kind), Some(templates)) => {
                        for (media_type, source) in templates {
                            found.push(Found {
                                kind,
                                media_type: media_type.as_str().unwrap().to_string(),
                                source: source.as_str().unwrap().to_string(),
                                at: format!("{}.{}", at.join("."), media_type.as_str().unwrap()),
                            });
                        }
                    }
                    _ => collect(child, at, found),
                }
                at.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(i.to_string());
                collect(item, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The base64 of the 8 bytes every PNG starts with.
const PNG_SIGNATURE_BASE64: &str = "iVBORw0KGgo=";

/// Renders `found` with the inputs its kind meets.
fn render(found: &Found) -> String {
    let template = Template::compile(found.at.clone(), &found.source)
        .unwrap_or_else(|e| panic!("{}: does not compile: {e:#}", found.at));
    let hostile = "it's \"quoted\", a \\ backslash, </script> and ü";
    let body = match found.kind {
        Kind::Request => serde_json::json!({
            "Data": hostile,
            "PartitionKey": hostile,
        })
        .to_string(),
        Kind::Response => serde_json::json!({
            "__type": "ResourceNotFoundException",
            "message": "Stream \"orders\" under account 123456789012 not found.",
        })
        .to_string(),
        Kind::GatewayResponse => r#"{"Data": "x"}"#.to_string(),
    };
    // A template for an image reads it as base64, as the gateway lends a
    // payload of a binary media type (the README's examples list `image/*`).
    let body = if found.media_type.starts_with("image/") {
        Body::binary(PNG_SIGNATURE_BASE64)
    } else {
        Body::new(&body)
    };
    let path = [("stream-name".to_string(), "orders".to_string())];
    let mut context = Context {
        request_id: "c45ac31a-4c19-4296-84bb-1d2e899a0a8d".into(),
        stage: "prod".into(),
        ..Context::default()
    };
    if found.kind == Kind::GatewayResponse {
        let validation = r#"[object has missing required properties (["PartitionKey"])]"#;
        context.error = Some(ErrorContext {
            message: format!("Invalid request body: {validation}"),
            response_type: "BAD_REQUEST_BODY".into(),
            validation_error_string: validation.into(),
        });
    }
    let stage_variables = BTreeMap::new();
    let variables = Variables {
        input: Input::new(
            &body,
            Params {
                path: &path,
                ..Params::default()
            },
        ),
        context: &context,
        stage_variables: &stage_variables,
    };
    template
        .render(&variables)
        .unwrap_or_else(|e| panic!("{}: does not render: {e:#}", found.at))
        .body
}

#[test]
fn every_readme_template_renders_valid_output() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut found = Vec::new();
    for block in yaml_blocks(&readme) {
        let value: Value = serde_yaml::from_str(&block).unwrap_or_else(|e| {
            panic!("a yaml block of the README does not parse ({e}):\n{block}")
        });
        collect(&value, &mut Vec::new(), &mut found);
    }
    // The configuration's request template, the mock's, an integration
    // response's and a gateway response's, at least.
    for kind in [Kind::Request, Kind::Response, Kind::GatewayResponse] {
        assert!(
            found.iter().any(|f| f.kind == kind),
            "no {kind:?} template found in the README"
        );
    }
    for template in &found {
        let output = render(template);
        match template.media_type.as_str() {
            "application/json" => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&output) {
                    panic!("{}: not JSON ({e}):\n{output}", template.at);
                }
            }
            // Sent as bytes by `content_handling: convert_to_binary`: it
            // must be base64.
            image if image.starts_with("image/") => {
                use base64::Engine as _;
                let decoded = base64::engine::general_purpose::STANDARD.decode(output.trim());
                assert!(
                    decoded.is_ok_and(|bytes| !bytes.is_empty()),
                    "{}: not base64:\n{output}",
                    template.at
                );
            }
            other => panic!(
                "{}: no check for `{other}` here: add one for this media type",
                template.at
            ),
        }
    }
}
