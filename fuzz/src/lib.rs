//! What the fuzz targets share: the fixed request a template is rendered
//! against, and the templates taken from the repository's own files.
//!
//! The targets are in `fuzz_targets/`; `scripts/fuzz.sh` builds and runs them.

use std::collections::BTreeMap;

use gateway_mapping::{
    Authorizer, Body, Context, ErrorContext, Identity, Input, Interpolations, Params, Template,
    Variables,
};

/// The body templates see in the `template` target: every JSON type, nested
/// lists and maps, a hyphenated key, and the fields the tutorial reads.
pub const BODY: &str = r#"{
  "Data": "some data",
  "PartitionKey": "pk-1",
  "records": [
    {"data": "one", "partition-key": "a"},
    {"data": {"nested": [1, 2.5, -3e2]}, "partition-key": "b"}
  ],
  "n": 42, "f": 0.5, "t": true, "nul": null, "empty": {}, "none": [],
  "deep": [[[[{"x": [[["y"]]]}]]]],
  "text": "line\n\"quoted\" \\ </script> \u00e9\ud83d\ude00"
}"#;

/// The request parameters (path, then query string, then headers).
pub fn params() -> [Vec<(String, String)>; 3] {
    let pairs = |p: &[(&str, &str)]| {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    [
        pairs(&[("stream-name", "s1"), ("id", "7")]),
        pairs(&[("q", "a b"), ("q", "c"), ("limit", "10"), ("empty", "")]),
        pairs(&[
            ("Content-Type", "application/json"),
            ("X-Amz-Target", "Kinesis_20131202.PutRecord"),
            ("Shard-Iterator", "AAAA"),
        ]),
    ]
}

/// `$context`, with an error so that `$context.error.*` has values.
pub fn context() -> Context {
    Context {
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef".into(),
        extended_request_id: "ext".into(),
        api_id: "abc123".into(),
        account_id: "123456789012".into(),
        stage: "prod".into(),
        deployment_id: "dep".into(),
        resource_id: "res".into(),
        resource_path: "/streams/{stream-name}".into(),
        path: "/prod/streams/s1".into(),
        http_method: "POST".into(),
        protocol: "HTTP/1.1".into(),
        request_time: "09/Apr/2015:12:34:56 +0000".into(),
        request_time_epoch: 1_428_582_896_000,
        domain_name: "example.com".into(),
        domain_prefix: "example".into(),
        xray_trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793".into(),
        identity: Identity {
            source_ip: "192.0.2.1".into(),
            user_agent: "curl/8".into(),
            ..Identity::default()
        },
        authorizer: Authorizer {
            principal_id: "user-1".into(),
            claims: vec![("scope".into(), "streams/read".into())],
            values: vec![("tier".into(), "gold".into())],
        },
        error: Some(ErrorContext {
            message: "Forbidden \"x\"".into(),
            response_type: "ACCESS_DENIED".into(),
            validation_error_string: String::new(),
        }),
    }
}

/// `$stageVariables`.
pub fn stage_variables() -> BTreeMap<String, String> {
    [
        ("env", "prod"),
        ("stream", "s1"),
        ("url", "https://example.com/"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Renders `template` over `body` with the fixed parameters, context and
/// stage variables. An error is a fine outcome; only a panic is a finding.
pub fn render(template: &Template, body: &Body<'_>) -> Option<String> {
    render_with(template, body, None)
}

/// Renders as [`render`] does, noting in `interpolations` which bytes each
/// reference printed, for [`Template::check_json`].
pub fn render_recording(
    template: &Template,
    body: &Body<'_>,
    interpolations: &mut Interpolations,
) -> Option<String> {
    render_with(template, body, Some(interpolations))
}

fn render_with(
    template: &Template,
    body: &Body<'_>,
    interpolations: Option<&mut Interpolations>,
) -> Option<String> {
    let [path, querystring, header] = params();
    let context = context();
    let stage_variables = stage_variables();
    let vars = Variables {
        input: Input::new(
            body,
            Params {
                path: &path,
                querystring: &querystring,
                header: &header,
            },
        ),
        context: &context,
        stage_variables: &stage_variables,
    };
    let rendered = match interpolations {
        Some(interpolations) => template.render_recording(&vars, interpolations),
        None => template.render(&vars),
    };
    rendered.ok().map(|r| r.body)
}

/// The `--- template` section of a conformance fixture
/// (`crates/mapping/tests/fixtures/*.case`), as `conformance.rs` reads it.
pub fn fixture_template(case: &str) -> &str {
    let start = case
        .find("\n--- template\n")
        .map(|i| i + "\n--- template\n".len())
        .expect("the fixture has a template section");
    let rest = &case[start..];
    let end = rest.find("\n--- ").unwrap_or(rest.len());
    &rest[..end]
}
