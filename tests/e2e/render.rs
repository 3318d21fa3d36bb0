//! `gateway render`: the integration request, printed instead of sent, and
//! given the backend's answer, the response the client would get.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Gateway, root_config, write_config};

/// Runs `gateway render` with no AWS credentials and an endpoint where nothing
/// listens: rendering must need neither. `AWS_ENDPOINT_URL` is set to another
/// address, which a render must not read.
fn render(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(Gateway::binary())
        .arg("render")
        .arg("--config")
        .arg(config)
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:8")
        .env("GATEWAY_RENDER_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// [`render`] with `--format json`, the printed object parsed.
fn render_json(config: &std::path::Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = render(config, &all);
    // Exactly one JSON object on one line.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let printed = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (code, printed, stderr)
}

const PUT_RECORD: [&str; 6] = [
    "PUT",
    "/streams/orders/record",
    "-H",
    "Content-Type: application/json",
    "-d",
    r#"{"Data": "some data", "PartitionKey": "some key"}"#,
];

#[test]
fn renders_the_tutorial_put_record() {
    let (code, printed, stderr) = render_json(&root_config(), &PUT_RECORD);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        printed,
        json!({
            "integration_request": {
                "method": "POST",
                "url": "http://127.0.0.1:9/?Action=PutRecord",
                "headers": {"Content-Type": "application/x-amz-json-1.1"},
                "body": "{\n    \"StreamName\": \"orders\",\n    \"Data\": \"InNvbWUgZGF0YSI=\",\n    \"PartitionKey\": \"some key\"\n}\n"
            },
            "method_response": null,
            "gateway_response": null
        })
    );
}

#[test]
fn the_endpoint_comes_from_the_file_or_the_flag_never_the_shell() {
    // Without the flag or its variable, AWS's endpoint, whatever
    // AWS_ENDPOINT_URL says.
    let output = Command::new(Gateway::binary())
        .arg("render")
        .arg("--config")
        .arg(root_config())
        .args(["--format", "json"])
        .args(PUT_RECORD)
        .env_clear()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:8")
        .env("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:7")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        printed["integration_request"]["url"],
        "https://kinesis.us-east-1.amazonaws.com/?Action=PutRecord"
    );

    let mut args = vec![
        "--format",
        "json",
        "--endpoint-url",
        "http://127.0.0.1:5000",
    ];
    args.extend_from_slice(&PUT_RECORD);
    let (code, stdout, _) = render(&root_config(), &args);
    assert_eq!(code, 0);
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        printed["integration_request"]["url"],
        "http://127.0.0.1:5000/?Action=PutRecord"
    );
}

#[test]
fn renders_query_parameters_headers_and_a_body_file() {
    let config = write_config(
        "render-params",
        "aws:\n  region: eu-west-1\nresources:\n  /items/{id}:\n    POST:\n      integration:\n        type: aws\n        service: sqs\n        action: SendMessage\n        request_parameters:\n          integration.request.querystring.QueueUrl: method.request.querystring.queue\n          integration.request.header.X-Trace: method.request.header.X-Trace\n        request_templates:\n          application/json: '{\"id\": \"$input.params(''id'')\", \"n\": $input.path(''$.n'')}'\n",
    );
    let body = config.with_file_name("body.json");
    std::fs::write(&body, r#"{"n": 7}"#).unwrap();
    let (code, printed, stderr) = render_json(
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
    let request = &printed["integration_request"];
    assert_eq!(
        request["url"],
        "http://127.0.0.1:9/?Action=SendMessage&QueueUrl=https%3A%2F%2Fq%2F1%202"
    );
    assert_eq!(request["headers"]["X-Trace"], "t-1");
    assert_eq!(request["body"], r#"{"id": "abc", "n": 7}"#);
    let text = printed.to_string();
    assert!(!text.contains("secret-client-token"));
    assert!(!text.to_ascii_lowercase().contains("authorization"));
}

/// A Kinesis-like method with a mapped 4xx (selection pattern, template,
/// header mapping) and a default 200.
const MAPPED: &str = r#"aws:
  region: us-east-1
resources:
  /streams/{name}:
    GET:
      integration:
        type: aws
        service: kinesis
        action: DescribeStream
        request_templates:
          application/json: '{"StreamName": "$input.params(''name'')"}'
        responses:
          - selection_pattern: '4\d{2}'
            status: 404
            response_parameters:
              method.response.header.X-Kinesis-Error: integration.response.body.__type
              method.response.header.X-Backend-Id: integration.response.header.x-amzn-RequestId
            response_templates:
              application/json: '{"error": $input.json(''$.__type''), "stream": "$input.params(''name'')"}'
          - status: 200
            response_parameters:
              method.response.header.Cache-Control: "'no-store'"
  /raw:
    GET:
      integration:
        type: aws
        service: kinesis
        action: ListStreams
        request_templates:
          application/json: '{}'
"#;

#[test]
fn renders_a_mapped_4xx_as_the_client_gets_it() {
    let config = write_config("render-mapped", MAPPED);
    let (code, printed, stderr) = render_json(
        &config,
        &[
            "GET",
            "/streams/orders",
            "--response-status",
            "400",
            "--response-header",
            "Content-Type: application/x-amz-json-1.1",
            "--response-header",
            "x-amzn-RequestId: backend-7",
            "--response-body",
            r#"{"__type": "ResourceNotFoundException", "message": "Stream orders not found"}"#,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        printed["integration_request"]["body"],
        r#"{"StreamName": "orders"}"#
    );
    assert_eq!(printed["gateway_response"], Value::Null);
    let response = &printed["method_response"];
    assert_eq!(response["status"], 404);
    assert_eq!(
        response["headers"]["x-kinesis-error"],
        "ResourceNotFoundException"
    );
    assert_eq!(response["headers"]["x-backend-id"], "backend-7");
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(
        response["body"],
        r#"{"error": "ResourceNotFoundException", "stream": "orders"}"#
    );

    // The default response for a 200.
    let (code, printed, _) = render_json(
        &config,
        &[
            "GET",
            "/streams/orders",
            "--response-status",
            "200",
            "--response-body",
            r#"{"StreamDescription": {}}"#,
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(printed["method_response"]["status"], 200);
    assert_eq!(
        printed["method_response"]["headers"]["cache-control"],
        "no-store"
    );
}

#[test]
fn renders_a_passthrough_response() {
    let config = write_config("render-passthrough", MAPPED);
    let (code, stdout, stderr) = render(
        &config,
        &[
            "GET",
            "/raw",
            "--response-status",
            "503",
            "--response-header",
            "Content-Type: application/x-amz-json-1.1",
            "--response-body",
            r#"{"__type": "ServiceUnavailable"}"#,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // The text form: the integration request, then the method response.
    assert!(
        stdout.starts_with("# integration request\nPOST http://127.0.0.1:9/?Action=ListStreams\n"),
        "{stdout}"
    );
    let response = stdout
        .split_once("# method response\n")
        .unwrap_or_else(|| panic!("no method response: {stdout}"))
        .1;
    assert!(
        response.starts_with("503 Service Unavailable\n"),
        "{response}"
    );
    assert!(
        response.contains("content-type: application/x-amz-json-1.1\n"),
        "{response}"
    );
    assert!(
        response.ends_with("\n{\"__type\": \"ServiceUnavailable\"}\n"),
        "{response}"
    );
}

#[test]
fn a_gateway_response_renders_as_the_client_sees_it_and_exits_3() {
    // An unsupported media type: 415, before any integration request.
    let (code, printed, stderr) = render_json(
        &root_config(),
        &[
            "PUT",
            "/streams/orders/record",
            "-H",
            "Content-Type: text/csv",
            "-d",
            "a,b",
        ],
    );
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(printed["integration_request"], Value::Null);
    assert_eq!(printed["method_response"], Value::Null);
    let refused = &printed["gateway_response"];
    assert_eq!(refused["type"], "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(refused["status"], 415);
    assert_eq!(refused["message"], "Unsupported Media Type");
    assert_eq!(
        refused["headers"]["x-amzn-errortype"],
        "UNSUPPORTED_MEDIA_TYPE"
    );
    assert_eq!(refused["body"], r#"{"message":"Unsupported Media Type"}"#);
    assert!(
        stderr.contains("render: the gateway would answer 415 UNSUPPORTED_MEDIA_TYPE"),
        "{stderr}"
    );

    // An unknown route.
    let (code, printed, _) = render_json(&root_config(), &["GET", "/nowhere"]);
    assert_eq!(code, 3);
    assert_eq!(printed["gateway_response"]["type"], "RESOURCE_NOT_FOUND");
    assert_eq!(printed["gateway_response"]["status"], 404);
    assert_eq!(
        printed["gateway_response"]["body"],
        r#"{"message":"No resource matches GET /nowhere"}"#
    );

    // A template that fails at run time: the cause for the developer.
    let config = write_config(
        "render-error",
        "aws:\n  region: us-east-1\nresources:\n  /loop:\n    POST:\n      integration:\n        type: aws\n        service: kinesis\n        action: PutRecords\n        request_templates:\n          application/json: '#foreach($i in [1..5000])x#end'\n",
    );
    let (code, stdout, stderr) = render(&config, &["POST", "/loop", "-d", "{}"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.starts_with("# gateway response "), "{stdout}");
    assert!(
        stdout.contains("1000") || stdout.contains("1,000"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1000") || stderr.contains("1,000"),
        "{stderr}"
    );
}

/// A mock that prints every `$context` value that changes from run to run.
const CONTEXT: &str = r#"stage:
  variables:
    color: blue
resources:
  /context:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
        responses:
          - status: 200
            response_templates:
              application/json: '{"id": "$context.requestId", "time": "$context.requestTime", "epoch": $context.requestTimeEpoch, "ip": "$context.identity.sourceIp", "color": "$stageVariables.color"}'
"#;

#[test]
fn a_fixed_context_gives_byte_identical_output() {
    let config = write_config("render-context", CONTEXT);
    let args = [
        "GET",
        "/context",
        "--request-id",
        "req-1",
        "--request-time",
        "2026-01-02T03:04:05Z",
        "--source-ip",
        "198.51.100.7",
        "--stage-variable",
        "color=green",
    ];
    let (code, first, stderr) = render(&config, &args);
    assert_eq!(code, 0, "{stderr}");
    // Far enough apart that `$context.requestTime` would change were it read
    // from the clock.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, second, _) = render(&config, &args);
    assert_eq!(first, second);
    assert!(
        first.contains(r#"{"id": "req-1", "time": "02/Jan/2026:03:04:05 +0000", "epoch": 1767323045000, "ip": "198.51.100.7", "color": "green"}"#),
        "{first}"
    );
    // The mock's own request, then its response, without asking.
    assert!(
        first.starts_with("# integration request\nGET (mock)\n"),
        "{first}"
    );

    // The same time as milliseconds.
    let mut millis = args.to_vec();
    millis[5] = "1767323045000";
    let (_, third, _) = render(&config, &millis);
    assert_eq!(first, third);
}

#[test]
fn exit_codes() {
    // 2: bad usage.
    for bad in [
        &["GET", "/streams", "-H", "NoColon"][..],
        &["GET", "/streams", "--request-time", "yesterday"][..],
        &["GET", "/streams", "--stage-variable", "novalue"][..],
        &["GET", "/streams", "--response-body", "x"][..],
        &["GET", "/streams", "--format", "xml"][..],
    ] {
        let (code, _, stderr) = render(&root_config(), bad);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
    }
    let (_, _, stderr) = render(
        &root_config(),
        &["GET", "/streams", "--request-time", "yesterday"],
    );
    assert!(stderr.contains("`yesterday` is not a time"), "{stderr}");

    // 78: a configuration that does not load.
    let config = write_config("render-bad-config", "resources:\n  nope: {}\n");
    let (code, _, stderr) = render(&config, &["GET", "/"]);
    assert_eq!(code, 78, "{stderr}");

    // 1: anything else, here an unreadable body file.
    let (code, _, stderr) = render(
        &root_config(),
        &[
            "PUT",
            "/streams/s/record",
            "--data-file",
            "/nonexistent/body",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("reading the body from /nonexistent/body"),
        "{stderr}"
    );

    // 0 and 3 are asserted above.
}
