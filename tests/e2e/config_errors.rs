//! A configuration that fails to load stops the start with the file, line,
//! column and key.

use std::process::Command;

use crate::support::{Gateway, GatewayOptions, write_config};

/// `gateway validate --config FILE`: its exit code and stderr.
fn validate(config: &std::path::Path) -> (i32, String) {
    let output = Command::new(Gateway::binary())
        .args(["validate", "--config"])
        .arg(config)
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts that `validate` refuses `text` with exactly the problem lines
/// `expected` (`LINE:COL: key: message`), in this order.
fn assert_problems(label: &str, text: &str, expected: &[&str]) {
    let config = write_config(label, text);
    let (code, stderr) = validate(&config);
    assert_eq!(code, 78, "{stderr}");
    let count = expected.len();
    let mut want = format!(
        "error: {} has {count} problem{}:",
        config.display(),
        if count == 1 { "" } else { "s" }
    );
    for line in expected {
        want.push_str(&format!("\n  {}:{line}", config.display()));
    }
    assert_eq!(stderr.trim_end(), want);
}

fn run(config: &std::path::Path) -> (i32, String) {
    let output = Command::new(Gateway::binary())
        .args(["run", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn unknown_key_names_file_line_column_and_key() {
    let config = write_config(
        "unknown-key",
        "resources:\n  /streams:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        request_template: {}\n",
    );
    let (code, stderr) = run(&config);
    assert_eq!(code, 78, "{stderr}");
    let expected = format!(
        "{}:8:9: resources./streams.GET.integration: unknown field `request_template`",
        config.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn template_syntax_error_names_file_line_and_column() {
    let config = write_config(
        "bad-template",
        "resources:\n  /streams:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        request_templates:\n          application/json: |\n            {\n              \"a\": #if($x == 1) yes\n            }\n",
    );
    let (code, stderr) = run(&config);
    assert_eq!(code, 78, "{stderr}");
    // The unterminated #if starts on file line 11.
    assert!(
        stderr.contains(&format!("{}:11:", config.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("resources./streams.GET.integration.request_templates.application/json"),
        "{stderr}"
    );
}

/// Both commands exited 101 (a panic in the code that maps a template's
/// line into the file) on a file with bare CR line breaks, which YAML counts
/// as line breaks, and a template error.
#[test]
fn cr_line_breaks_and_a_template_error_exit_78_not_101() {
    let config = write_config(
        "cr-line-breaks",
        "resources:\r\r\r\r\r\r\r\r\r\r\n  /a:\n    GET:\n      integration:\n        type: mock\n        request_templates:\n          application/json: |\n            #if(\n",
    );
    // Ten CRs end ten lines: `/a:` is on line 11, and the template's line 2
    // (the end of the template) on line 18.
    let expected = format!(
        "{}:18:13: resources./a.GET.integration.request_templates.application/json: template error: GET /a application/json:2:1: ",
        config.display()
    );
    for (command, (code, stderr)) in [("validate", validate(&config)), ("run", run(&config))] {
        assert_eq!(code, 78, "{command}: {stderr}");
        assert!(stderr.contains(&expected), "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let config = write_config(
        "many",
        "resources:\n  /a:\n    FETCH:\n      integration: {type: aws, service: kinesis, action: ListStreams}\n  /b:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        timeout_ms: 1\n        request_parameters:\n          integration.request.header.X: nonsense\n",
    );
    let (code, stderr) = run(&config);
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("3 problems"), "{stderr}");
    assert!(stderr.contains("FETCH"), "{stderr}");
    assert!(stderr.contains("timeout_ms"), "{stderr}");
    assert!(stderr.contains("nonsense"), "{stderr}");
}

#[test]
fn missing_file_is_an_error() {
    let (code, stderr) = run(std::path::Path::new("/nonexistent/gateway.yaml"));
    assert_eq!(code, 78);
    assert!(stderr.contains("/nonexistent/gateway.yaml"), "{stderr}");
}

#[test]
fn a_method_written_twice_is_an_error() {
    assert_problems(
        "duplicate-method",
        "resources:\n  /s:\n    GET:\n      integration: {type: mock}\n    POST:\n      integration: {type: mock}\n    GET:\n      integration: {type: mock}\n",
        &["7:5: resources./s: duplicate key `GET` (first written at line 3)"],
    );
}

#[test]
fn a_path_written_twice_is_an_error() {
    assert_problems(
        "duplicate-path",
        "resources:\n  /s:\n    GET:\n      integration: {type: mock}\n  /t:\n    GET:\n      integration: {type: mock}\n  /s:\n    POST:\n      integration: {type: mock}\n",
        &["8:3: resources: duplicate key `/s` (first written at line 2)"],
    );
}

#[test]
fn every_unknown_key_is_reported_in_one_run() {
    assert_problems(
        "unknown-keys",
        "stage:\n  nmae: prod\nresources:\n  /s:\n    GET:\n      integration:\n        type: mock\n        colour: blue\n      request_models: {}\n      validator: strict\nlisten: 127.0.0.1:8080\n",
        &[
            "2:3: stage: unknown field `nmae`, expected one of `name`, `base_path`, `variables`, `throttle`",
            "8:9: resources./s.GET.integration: unknown field `colour`, expected one of `type`, `service`, `action`, `path`, `uri`, `credentials`, `http_method`, `request_parameters`, `request_templates`, `passthrough_behavior`, `timeout_ms`, `json_guard`, `content_handling`, `responses`",
            "10:7: resources./s.GET: unknown field `validator`, expected one of `api_key_required`, `throttle`, `request_parameters`, `request_validator`, `request_models`, `integration`, `authorization`, `authorizer`, `authorization_scopes`",
        ],
    );
}

#[test]
fn unknown_keys_are_reported_with_the_problems_compiling_finds() {
    assert_problems(
        "unknown-and-compile",
        "resources:\n  /s:\n    FETCH:\n      integration: {type: mock, colour: blue}\n",
        &[
            "4:33: resources./s.FETCH.integration: unknown field `colour`, expected one of `type`, `service`, `action`, `path`, `uri`, `credentials`, `http_method`, `request_parameters`, `request_templates`, `passthrough_behavior`, `timeout_ms`, `json_guard`, `content_handling`, `responses`",
            "3:5: resources./s.FETCH: invalid method `FETCH` on `/s`: expected one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, or ANY",
        ],
    );
}

#[test]
fn an_invalid_listen_address_stops_the_start_as_a_config_problem() {
    // Exit 78 with the place in the file, not a failure to bind (exit 1), even
    // though `--listen` would replace it.
    let config = write_config(
        "bad-listen",
        "listen: localhost:8080\nresources:\n  /s:\n    GET:\n      integration: {type: mock}\n",
    );
    let (code, stderr) = run(&config);
    assert_eq!(code, 78, "{stderr}");
    let expected = format!(
        "{}:1:9: listen: `localhost:8080` is not a listen address: expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8080 (host names are not resolved)",
        config.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn an_invalid_admin_listen_address_is_an_error() {
    assert_problems(
        "bad-admin-listen",
        "listen: 127.0.0.1:8080\nadmin:\n  listen: 127.0.0.1:80800\nresources:\n  /s:\n    GET:\n      integration: {type: mock}\n",
        &[
            "3:11: admin.listen: `127.0.0.1:80800` is not a listen address: expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8080 (host names are not resolved)",
        ],
    );
}

#[test]
fn the_admin_listener_cannot_take_the_api_address() {
    assert_problems(
        "same-admin-listen",
        "listen: 0.0.0.0:8080\nadmin:\n  listen: 127.0.0.1:8080\nresources:\n  /s:\n    GET:\n      integration: {type: mock}\n",
        &[
            "3:11: admin.listen: `127.0.0.1:8080` is also the API's address (`listen`: 0.0.0.0:8080); the admin listener needs its own",
        ],
    );
}

#[test]
fn a_bad_trusted_proxy_is_an_error() {
    assert_problems(
        "bad-cidr",
        "trusted_proxies:\n  - 10.0.0.0/8\n  - 192.168.0.0/33\n  - '::1'\nresources:\n  /s:\n    GET:\n      integration: {type: mock}\n",
        &[
            "3:5: trusted_proxies.1: `192.168.0.0/33` is not a CIDR block or an IP address, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8",
        ],
    );
}

#[test]
fn a_path_naming_a_parameter_twice_is_an_error() {
    // Once for the resource, not once per method.
    assert_problems(
        "parameter-twice",
        "resources:\n  /a/{x}/{x}:\n    GET:\n      integration: {type: mock}\n    POST:\n      integration: {type: mock}\n",
        &[
            "2:3: resources./a/{x}/{x}: invalid resource path `/a/{x}/{x}`: parameter `x` is named twice; each parameter of a path needs its own name",
        ],
    );
}

/// A mock method whose template is `template`, on line 8 of the file.
fn mock_template(template: &str) -> String {
    format!(
        "resources:\n  /a:\n    POST:\n      integration:\n        type: mock\n        request_templates:\n          application/json: |\n            {template}\n"
    )
}

#[test]
fn an_unknown_method_of_util_input_or_context_is_refused_with_a_suggestion() {
    let key = "resources./a.POST.integration.request_templates.application/json";
    // The column is the member's: the template's own, and the file's (the
    // block is indented by 12).
    for (template, column, message) in [
        (
            r#"{"x": "$util.escapeJavascript('a')"}"#,
            14,
            "unknown method `$util.escapeJavascript`; did you mean `escapeJavaScript`?",
        ),
        (
            r#"{"x": "$input.pathh('$.a')"}"#,
            15,
            "unknown method `$input.pathh`; did you mean `path`?",
        ),
        (
            r#"{"x": "$context.requestID"}"#,
            17,
            "unknown property `$context.requestID`; did you mean `requestId`?",
        ),
    ] {
        assert_problems(
            "unknown-member",
            &mock_template(template),
            &[&format!(
                "8:{}: {key}: template error: POST /a application/json:1:{column}: {message}",
                column + 12
            )],
        );
    }
}

/// The published DynamoDB pattern: `integration.request.path.PetType` mapped on
/// an action call whose URI has no `{PetType}`. API Gateway accepts such a
/// definition, so it loads here too, with a warning naming the mapping:
/// printed by `validate`, logged by `run` at start.
#[test]
fn an_unused_path_mapping_loads_with_a_warning() {
    let config = write_config(
        "unused-path-mapping",
        concat!(
            "resources:\n",
            "  /pets/{PetType}:\n",
            "    GET:\n",
            "      request_parameters:\n",
            "        method.request.path.PetType: true\n",
            "      integration:\n",
            "        type: aws\n",
            "        uri: arn:aws:apigateway:us-east-1:dynamodb:action/Query\n",
            "        request_parameters:\n",
            "          integration.request.path.PetType: method.request.path.PetType\n",
            "        request_templates:\n",
            "          application/json: '{\"TableName\": \"Pets\", \"KeyConditionExpression\": \"PetType = :t\", \"ExpressionAttributeValues\": {\":t\": {\"S\": \"$input.params(''PetType'')\"}}}'\n",
        ),
    );
    let warning = format!(
        "{}:10:11: resources./pets/{{PetType}}.GET.integration.request_parameters.integration.request.path.PetType: `integration.request.path.PetType` is not used: the integration URI has no `{{PetType}}` placeholder",
        config.display()
    );

    let (code, stderr) = validate(&config);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.trim_end(), format!("warning: {warning}"));

    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: vec![("AWS_REGION", "us-east-1".to_string())],
    });
    let log = gateway.process.log_text();
    let line = log
        .lines()
        .find(|l| l.contains(&warning))
        .unwrap_or_else(|| panic!("no warning in the start-up log:\n{log}"));
    assert!(line.contains("WARN"), "{line}");
}
