//! `render_body`: the shipped templates rendered over an arbitrary request
//! body, as the pipeline does: the body's bytes read as text (lossily when
//! not UTF-8), then every template rendered, then the template-injection
//! guard run over each output.
//!
//! The templates are every request and response template of `gateway.yaml`
//! (the tutorial's PutRecord and PutRecords among them) and
//! `examples/*.yaml`, loaded through the gateway's own config loader, and a
//! few conformance fixtures that read the body with JSONPath filters,
//! `..`, `$util.parseJson` and `#foreach`. The fuzz input is the body only:
//! templates are configuration, bodies come from clients.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use gateway::config::Loaded;
use gateway_fuzz::{fixture_template, render_recording};
use gateway_mapping::{Body, Interpolations, Template};
use libfuzzer_sys::fuzz_target;

const CONFIGS: &[(&str, &str)] = &[
    ("gateway.yaml", include_str!("../../gateway.yaml")),
    (
        "dynamodb.yaml",
        include_str!("../../examples/dynamodb.yaml"),
    ),
    (
        "eventbridge.yaml",
        include_str!("../../examples/eventbridge.yaml"),
    ),
    (
        "firehose.yaml",
        include_str!("../../examples/firehose.yaml"),
    ),
    ("lambda.yaml", include_str!("../../examples/lambda.yaml")),
    ("s3.yaml", include_str!("../../examples/s3.yaml")),
    ("sns.yaml", include_str!("../../examples/sns.yaml")),
    ("sqs.yaml", include_str!("../../examples/sqs.yaml")),
    ("ssm.yaml", include_str!("../../examples/ssm.yaml")),
    (
        "stepfunctions.yaml",
        include_str!("../../examples/stepfunctions.yaml"),
    ),
];

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                "../../crates/mapping/tests/fixtures/",
                $name,
                ".case"
            )),
        )
    };
}

const FIXTURES: &[(&str, &str)] = &[
    fixture!("doc_example_photos_input_mapping"),
    fixture!("doc_petstore_flatten_all"),
    fixture!("doc_reference_util_escape_javascript_workaround"),
    fixture!("input_json_forms"),
    fixture!("input_path_native_values"),
    fixture!("jsonpath_filters"),
    fixture!("jsonpath_indefinite"),
    fixture!("util_parse_json"),
];

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let mut templates = Vec::new();
    for (file, text) in CONFIGS {
        let loaded = Loaded::from_str(Path::new(file), text).expect("a shipped config loads");
        for (path, methods) in &loaded.config.resources {
            for (verb, method) in methods {
                let integration = &method.integration;
                let responses = integration
                    .responses
                    .iter()
                    .flat_map(|r| &r.response_templates);
                for (content_type, source) in integration.request_templates.iter().chain(responses)
                {
                    let name = format!("{file} {path} {verb} {content_type}");
                    templates.push(Template::compile(name, source).expect("a shipped template"));
                }
            }
        }
    }
    assert!(
        templates.iter().any(
            |t| t.source().contains("PutRecords") || t.source().contains("$elem.partition-key")
        ),
        "the tutorial's templates are among them"
    );
    for (name, case) in FIXTURES {
        let source = fixture_template(case);
        templates.push(Template::compile(*name, source).expect("a fixture template"));
    }
    templates
});

fuzz_target!(|data: &[u8]| {
    // As `pipeline::request` reads a body.
    let text = String::from_utf8_lossy(data);
    let body = Body::new(&text);
    let mut interpolations = Interpolations::default();
    for template in TEMPLATES.iter() {
        if let Some(output) = render_recording(template, &body, &mut interpolations) {
            let _ = gateway::json_guard::check(template, output.as_bytes(), &mut interpolations);
        }
    }
});
