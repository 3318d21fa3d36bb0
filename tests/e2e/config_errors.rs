//! A configuration that fails to load stops the start with the file, line,
//! column and key.

use std::process::Command;

use crate::support::{Gateway, write_config};

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
