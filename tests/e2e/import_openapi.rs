//! API Gateway exports run unchanged: the tutorial API as an OpenAPI 3.0 and
//! as a Swagger 2.0 document with API Gateway's extensions, each served by
//! the real binary against moto with signature checking on.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{
    Gateway, GatewayOptions, Moto, client, gateway_command as gateway, import_fixture as fixture,
    json_body, moto_env, put_read_back_and_delete, repo_root, sts_calls_after_setup as sts_calls,
    tempdir,
};

/// The tutorial's flow: create, put a record, put records, read them back
/// shard by shard (shard iterator, then records), delete.
async fn tutorial_flow(gateway: &Gateway, stream: &str) {
    let http = client();
    let url = |path: String| gateway.url(&path);

    let response = http
        .post(url(format!("/streams/{stream}")))
        .json(&json!({"ShardCount": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http.get(url("/streams".into())).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert!(
        body["StreamNames"]
            .as_array()
            .unwrap()
            .contains(&json!(stream)),
        "{body}"
    );

    put_read_back_and_delete(gateway, stream).await;
    // Other methods have only the export's `default` → 200, and answer as
    // API Gateway does: 200, with the service's error as the body.
    let response = http
        .get(url(format!("/streams/{stream}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["__type"], "ResourceNotFoundException", "{body}");
}

/// The request validators and gateway responses of the export apply.
async fn validation(gateway: &Gateway) {
    let http = client();
    // `shard-id` is a required query parameter, checked by `params-only`.
    let response = http
        .get(gateway.url("/streams/s/sharditerator"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = json_body(response).await;
    assert!(
        body["message"].as_str().unwrap().contains("shard-id"),
        "{body}"
    );
    // The body of PutRecords must match the model, whose items are a `$ref`.
    let response = http
        .put(gateway.url("/streams/s/records"))
        .json(&json!({"records": [{"data": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-invalid-body"], "true");
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi3_export_runs_the_tutorial_against_moto_with_the_callers_credentials() {
    let moto = Moto::start();
    let config = fixture("openapi3.yaml");
    // The export's role does not exist in moto: the flag signs with the
    // gateway's own credentials instead.
    let gateway = Gateway::start_with_args(
        GatewayOptions {
            config: &config,
            env: moto_env(&moto),
        },
        &["--no-execution-roles"],
    );
    tutorial_flow(&gateway, "imported-oas3").await;
    validation(&gateway).await;
    // No role assumed: at most the account lookup went to STS.
    assert!(sts_calls(&moto) <= 1, "{}", moto.process.log_text());
    // The resource policy is not enforced, and the operator is told where it is.
    let log = gateway.process.log_text();
    assert!(
        log.contains("openapi3.yaml:334:1: /x-amazon-apigateway-policy: `x-amazon-apigateway-policy` is not supported"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn swagger2_export_runs_the_tutorial_against_moto_assuming_its_execution_role() {
    let moto = Moto::start();
    // The export's own role, replaced by one that exists in moto: the
    // gateway assumes it and signs with what STS gives.
    let text = std::fs::read_to_string(fixture("swagger2.json"))
        .unwrap()
        .replace(
            "arn:aws:iam::123456789012:role/apigAwsProxyRole",
            &moto.roles["gateway-writer"],
        );
    let config = tempdir("swagger2").join("api.json");
    std::fs::write(&config, text).unwrap();
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: moto_env(&moto),
    });
    tutorial_flow(&gateway, "imported-swagger2").await;
    validation(&gateway).await;
    // The account lookup, and the role assumed once.
    assert_eq!(sts_calls(&moto), 2, "{}", moto.process.log_text());
}

#[test]
fn validate_prints_each_unsupported_extension_with_its_place() {
    let (code, stdout, stderr) = gateway(&[
        "validate",
        "--config",
        fixture("openapi3.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("openapi3.yaml: ok, 8 routes"), "{stdout}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].ends_with("openapi3.yaml:334:1: /x-amazon-apigateway-policy: `x-amazon-apigateway-policy` is not supported by the gateway; ignored"),
        "{stderr}"
    );
}

/// Writes `text` as `name` in a new directory.
fn write(name: &str, text: &str) -> PathBuf {
    let path = tempdir("import").join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(path: &Path) -> String {
    let (code, _, stderr) = gateway(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 78, "{stderr}");
    stderr
}

#[test]
fn a_template_error_in_an_export_names_the_line_inside_the_template_and_the_pointer() {
    let path = write(
        "api.yaml",
        "openapi: 3.0.1\npaths:\n  /s:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates:\n          application/json: |\n            {\n              #if($x\n            }\n",
    );
    let stderr = problems(&path);
    assert!(
        stderr.contains("api.yaml:11:13: "),
        "the template's third line is the file's eleventh: {stderr}"
    );
    assert!(
        stderr.contains(": /paths/~1s/get/x-amazon-apigateway-integration/requestTemplates/application~1json: template error"),
        "{stderr}"
    );
}

#[test]
fn a_json_export_names_the_line_and_pointer_of_a_bad_value() {
    let text = r#"{
  "swagger": "2.0",
  "paths": {
    "/s": {
      "get": {
        "x-amazon-apigateway-integration": {
          "type": "aws",
          "uri": "arn:aws:apigateway:us-east-1:kinesis:action/ListStreams",
          "responses": {"default": {"statusCode": "two hundred"}}
        }
      }
    }
  }
}
"#;
    let path = write("api.json", text);
    let stderr = problems(&path);
    assert!(stderr.contains("has 1 problem"), "{stderr}");
    assert!(
        stderr.contains("api.json:9:51: /paths/~1s/get/x-amazon-apigateway-integration/responses/default/statusCode: `\"two hundred\"` is not an HTTP status code"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_integration_type_and_a_dangling_ref_are_errors() {
    let path = write(
        "api.yaml",
        "openapi: 3.0.1\npaths:\n  /s:\n    put:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/Missing'}\n      x-amazon-apigateway-integration:\n        type: vpc_magic\n",
    );
    let stderr = problems(&path);
    assert!(stderr.contains("api.yaml:10:15: /paths/~1s/put/x-amazon-apigateway-integration/type: integration type `vpc_magic`"), "{stderr}");
    assert!(stderr.contains("api.yaml:8:28: /paths/~1s/put/requestBody/content/application~1json/schema/$ref: `#/components/schemas/Missing` names no model"), "{stderr}");
}

#[test]
fn render_and_test_take_the_import_flags() {
    let config = fixture("swagger2.json");
    let (code, stdout, stderr) = gateway(&[
        "render",
        "--config",
        config.to_str().unwrap(),
        "--no-execution-roles",
        "PUT",
        "/streams/s/record",
        "-d",
        r#"{"Data": "x", "PartitionKey": "p"}"#,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("?Action=PutRecord"), "{stdout}");
    assert!(stdout.contains(r#""PartitionKey": "p""#), "{stdout}");
}

/// `gateway export --config <config> --format <format>`, written to `name`
/// in `dir`.
fn export(config: &Path, format: &str, dir: &Path, name: &str) -> PathBuf {
    let (code, stdout, stderr) = gateway(&[
        "export",
        "--config",
        config.to_str().unwrap(),
        "--format",
        format,
    ]);
    assert_eq!(code, 0, "export of {}: {stderr}", config.display());
    let path = dir.join(name);
    std::fs::write(&path, stdout).unwrap();
    path
}

#[test]
fn a_round_trip_through_openapi_renders_every_tutorial_request_the_same() {
    let dir = tempdir("round-trip");
    let original = repo_root().join("gateway.yaml");
    let openapi = export(&original, "openapi", &dir, "api.json");
    let back = export(&openapi, "gateway-yaml", &dir, "gateway.yaml");
    // The document API Gateway would import carries every integration.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&openapi).unwrap()).unwrap();
    assert_eq!(
        doc["paths"]["/streams/{stream-name}/records"]["put"]["x-amazon-apigateway-integration"]["uri"],
        "arn:aws:apigateway:us-east-1:kinesis:action/PutRecords"
    );
    let requests: [&[&str]; 8] = [
        &["GET", "/streams"],
        &["POST", "/streams/s", "-d", r#"{"ShardCount": 2}"#],
        &["GET", "/streams/s"],
        &["DELETE", "/streams/s"],
        &[
            "PUT",
            "/streams/s/record",
            "-d",
            r#"{"Data": "x", "PartitionKey": "p"}"#,
        ],
        &[
            "PUT",
            "/streams/s/records",
            "-d",
            r#"{"records": [{"data": "x", "partition-key": "p"}]}"#,
        ],
        &["GET", "/streams/s/sharditerator?shard-id=shardId-0"],
        &["GET", "/streams/s/records", "-H", "Shard-Iterator: it"],
    ];
    for request in requests {
        let render = |config: &Path| {
            let mut args = vec!["render", "--config", config.to_str().unwrap()];
            args.extend_from_slice(request);
            args.extend_from_slice(&[
                "--request-time",
                "2026-01-02T03:04:05Z",
                "--response-status",
                "400",
                "--response-body",
                "{}",
            ]);
            let (code, stdout, stderr) = gateway(&args);
            assert_eq!(code, 0, "{request:?} on {}: {stderr}", config.display());
            stdout
        };
        assert_eq!(render(&original), render(&back), "{request:?}");
        assert_eq!(render(&original), render(&openapi), "{request:?}");
    }
    // And back again: the same document.
    let again = export(&back, "openapi", &dir, "again.json");
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(&openapi).unwrap()
    );
}

#[test]
fn every_example_exports_to_openapi_and_back_unchanged() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    for example in examples {
        // Beside the example, so that files it names resolve the same.
        let dir = example.parent().unwrap();
        let name = format!(".export-{}.json", std::process::id());
        let first = export(&example, "openapi", dir, &name);
        let second = {
            let (code, stdout, stderr) = gateway(&[
                "export",
                "--config",
                first.to_str().unwrap(),
                "--format",
                "openapi",
            ]);
            let _ = std::fs::remove_file(&first);
            assert_eq!(code, 0, "{}: {stderr}", example.display());
            stdout
        };
        let (code, stdout, stderr) = gateway(&[
            "export",
            "--config",
            example.to_str().unwrap(),
            "--format",
            "openapi",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, second, "{}", example.display());
    }
}

#[test]
fn api_keys_usage_plans_and_throttles_survive_the_round_trip() {
    let dir = tempdir("round-trip-keys");
    let original = dir.join("keys.yaml");
    std::fs::write(
        &original,
        r#"api_keys:
  partner-a:
    value: partner-a-key-0123456789
usage_plans:
  gold:
    api_keys: [partner-a]
    throttle: {rate: 100, burst: 200}
    quota: {limit: 1000, period: day}
resources:
  /orders:
    POST:
      api_key_required: true
      throttle: {rate: 5, burst: 2}
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
"#,
    )
    .unwrap();
    let openapi = export(&original, "openapi", &dir, "api.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&openapi).unwrap()).unwrap();
    // API Gateway's own shape for the key requirement.
    assert_eq!(
        doc["paths"]["/orders"]["post"]["security"],
        serde_json::json!([{"api_key": []}])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        serde_json::json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
    );
    let back = export(&openapi, "gateway-yaml", &dir, "gateway.yaml");
    let text = std::fs::read_to_string(&back).unwrap();
    for expected in [
        "api_key_required: true",
        "rate: 5",
        "partner-a",
        "limit: 1000",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // The imported API refuses a request without the key, and takes one with it.
    for (config, name) in [(&openapi, "openapi"), (&back, "gateway-yaml")] {
        let (code, stdout, _) = gateway(&[
            "render",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "json",
            "POST",
            "/orders",
        ]);
        assert_eq!(code, 3, "{name}: {stdout}");
        assert!(stdout.contains("INVALID_API_KEY"), "{name}: {stdout}");
        let (code, stdout, stderr) = gateway(&[
            "render",
            "--config",
            config.to_str().unwrap(),
            "POST",
            "/orders",
            "-H",
            "x-api-key: partner-a-key-0123456789",
        ]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
    }
}
