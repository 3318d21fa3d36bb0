//! `gateway render`: the integration request, printed instead of sent.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Gateway, root_config, write_config};

/// Runs `gateway render` with no AWS credentials and an endpoint where nothing
/// listens: rendering must need neither.
fn render(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(Gateway::binary())
        .arg("render")
        .arg("--config")
        .arg(config)
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn renders_the_tutorial_put_record() {
    let (code, stdout, stderr) = render(
        &root_config(),
        &[
            "PUT",
            "/streams/orders/record",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"Data": "some data", "PartitionKey": "some key"}"#,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        printed,
        json!({
            "method": "POST",
            "url": "http://127.0.0.1:9/?Action=PutRecord",
            "headers": {"Content-Type": "application/x-amz-json-1.1"},
            "body": "{\n    \"StreamName\": \"orders\",\n    \"Data\": \"InNvbWUgZGF0YSI=\",\n    \"PartitionKey\": \"some key\"\n}\n"
        })
    );
    // Exactly one JSON object on one line.
    assert_eq!(stdout.lines().count(), 1);
}

#[test]
fn renders_query_parameters_headers_and_a_body_file() {
    let config = write_config(
        "render-params",
        "aws:\n  region: eu-west-1\nresources:\n  /items/{id}:\n    POST:\n      integration:\n        type: aws\n        service: sqs\n        action: SendMessage\n        request_parameters:\n          integration.request.querystring.QueueUrl: method.request.querystring.queue\n          integration.request.header.X-Trace: method.request.header.X-Trace\n        request_templates:\n          application/json: '{\"id\": \"$input.params(''id'')\", \"n\": $input.path(''$.n'')}'\n",
    );
    let body = config.with_file_name("body.json");
    std::fs::write(&body, r#"{"n": 7}"#).unwrap();
    let (code, stdout, stderr) = render(
        &config,
        &[
            "post",
            "/items/abc?queue=https://q/1%202",
            "-H",
            "X-Trace: t-1",
            "-H",
            "Authorization: Bearer secret-client-token",
            "--data-file",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        printed["url"],
        "http://127.0.0.1:9/?Action=SendMessage&QueueUrl=https%3A%2F%2Fq%2F1%202"
    );
    assert_eq!(printed["headers"]["X-Trace"], "t-1");
    assert_eq!(printed["body"], r#"{"id": "abc", "n": 7}"#);
    assert!(!stdout.contains("secret-client-token"));
    assert!(!stdout.to_ascii_lowercase().contains("authorization"));
}

#[test]
fn no_route_exits_non_zero_with_the_message_on_stderr() {
    let (code, stdout, stderr) = render(&root_config(), &["GET", "/nowhere"]);
    assert_ne!(code, 0);
    assert!(stdout.is_empty());
    assert!(stderr.contains("/nowhere"), "{stderr}");

    let (code, _, stderr) = render(&root_config(), &["PATCH", "/streams"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("not allowed"), "{stderr}");
}

#[test]
fn a_render_error_exits_non_zero() {
    let config = write_config(
        "render-error",
        "aws:\n  region: us-east-1\nresources:\n  /loop:\n    POST:\n      integration:\n        type: aws\n        service: kinesis\n        action: PutRecords\n        request_templates:\n          application/json: '#foreach($i in [1..5000])x#end'\n",
    );
    let (code, stdout, stderr) = render(&config, &["POST", "/loop", "-d", "{}"]);
    assert_ne!(code, 0, "{stdout}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("1000") || stderr.contains("1,000"),
        "{stderr}"
    );
}
