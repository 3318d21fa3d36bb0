//! `gateway test`: the shipped case files pass, a failing case shows its
//! diff and fails the run, and `--update` rewrites what a case expects.

use std::path::Path;
use std::process::Command;

use crate::support::{Gateway, repo_root, tempdir};

fn gateway_test(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(Gateway::binary())
        .current_dir(dir)
        .arg("test")
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Read by `gateway run`, never by `gateway test`.
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
fn the_root_cases_pin_all_eight_methods() {
    let (code, stdout, stderr) = gateway_test(&repo_root(), &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with("cases: 11 passed, 0 failed\n"), "{stdout}");
    let root = std::fs::read_to_string(repo_root().join("tests/templates/streams.yaml")).unwrap()
        + &std::fs::read_to_string(repo_root().join("tests/templates/records.yaml")).unwrap();
    for action in [
        "ListStreams",
        "DescribeStream",
        "CreateStream",
        "DeleteStream",
        "PutRecord",
        "PutRecords",
        "GetShardIterator",
        "GetRecords",
    ] {
        assert!(
            root.contains(&format!("/?Action={action}\n")),
            "no case sends {action}"
        );
    }
}

#[test]
fn every_example_has_passing_cases() {
    let examples = repo_root().join("examples");
    let mut ran = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let config = entry.unwrap().path();
        if config.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let name = config.file_stem().unwrap().to_str().unwrap().to_string();
        let cases = examples.join("tests").join(format!("{name}.yaml"));
        assert!(cases.is_file(), "examples/{name}.yaml has no case file");
        let (code, stdout, stderr) = gateway_test(
            &repo_root(),
            &[
                "--config",
                config.to_str().unwrap(),
                cases.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        assert!(stdout.contains(" 0 failed"), "{stdout}");
        ran += 1;
    }
    assert!(ran >= 10, "{ran} examples");
}

/// A config with one mock method, and a case file pinning it.
fn project(label: &str) -> std::path::PathBuf {
    let dir = tempdir(label);
    std::fs::write(
        dir.join("gateway.yaml"),
        r#"resources:
  /hello/{name}:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
        responses:
          - status: 200
            response_templates:
              application/json: '{"greeting": "hello $input.params(''name'')", "at": "$context.requestTime"}'
"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("tests/templates")).unwrap();
    std::fs::write(
        dir.join("tests/templates/hello.yaml"),
        r#"# Greetings.
context:
  request_time: '2026-03-04T05:06:07Z'
cases:
  - name: greets by name
    request:
      method: GET
      path: /hello/ada
    expect:
      response:
        status: 200
        headers:
          Content-Type: application/json
        body: '{"at": "04/Mar/2026:05:06:07 +0000", "greeting": "hello ada"}'
"#,
    )
    .unwrap();
    dir
}

#[test]
fn a_passing_set_exits_0() {
    let dir = project("cases-pass");
    let (code, stdout, stderr) = gateway_test(&dir, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "ok    tests/templates/hello.yaml: greets by name\n1 cases: 1 passed, 0 failed\n"
    );
}

#[test]
fn a_failing_case_shows_a_diff_and_update_rewrites_it() {
    let dir = project("cases-fail");
    let file = dir.join("tests/templates/hello.yaml");
    let pinned = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, pinned.replace("hello ada", "hi ada")).unwrap();

    let (code, stdout, _) = gateway_test(&dir, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL  tests/templates/hello.yaml: greets by name\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("      --- expected\n      +++ actual\n"),
        "{stdout}"
    );
    // Bodies that are JSON are compared, and shown, as canonical JSON.
    assert!(
        stdout.contains("-      \"greeting\": \"hi ada\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("+      \"greeting\": \"hello ada\""),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 cases: 0 passed, 1 failed\n"),
        "{stdout}"
    );

    // --update writes what the case did, shows the change, and keeps the
    // file's opening comment.
    let (code, stdout, stderr) = gateway_test(&dir, &["--update"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("upd   tests/templates/hello.yaml: greets by name\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+++ tests/templates/hello.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("hi ada"), "{stdout}");
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert!(rewritten.starts_with("# Greetings.\n"), "{rewritten}");
    assert!(rewritten.contains("hello ada"), "{rewritten}");
    assert!(!rewritten.contains("hi ada"), "{rewritten}");
    let (code, stdout, _) = gateway_test(&dir, &[]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn problems_are_told_apart_by_exit_code() {
    // No case folder: 1, and what was looked for.
    let dir = tempdir("cases-none");
    std::fs::write(dir.join("gateway.yaml"), "resources: {}\n").unwrap();
    let (code, _, stderr) = gateway_test(&dir, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("tests/templates does not exist"),
        "{stderr}"
    );

    // A configuration that does not load: 78.
    let dir = project("cases-config");
    std::fs::write(dir.join("gateway.yaml"), "resources:\n  nope: {}\n").unwrap();
    let (code, _, stderr) = gateway_test(&dir, &[]);
    assert_eq!(code, 78, "{stderr}");

    // A case file that is not one: a failure naming the file.
    let dir = project("cases-bad-file");
    std::fs::write(dir.join("tests/templates/bad.yaml"), "cases:\n  - nom: x\n").unwrap();
    let (code, stdout, _) = gateway_test(&dir, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL  tests/templates/bad.yaml: not a case file"),
        "{stdout}"
    );

    // Bad usage: 2.
    let (code, _, _) = gateway_test(&dir, &["--no-such-flag"]);
    assert_eq!(code, 2);
}

#[test]
fn the_readme_case_file_passes() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("# tests/templates/records.yaml\n")
        .expect("the README shows a case file");
    let end = start + readme[start..].find("```").unwrap();
    let dir = tempdir("cases-readme");
    let file = dir.join("records.yaml");
    std::fs::write(&file, &readme[start..end]).unwrap();
    let config = repo_root().join("gateway.yaml");
    let (code, stdout, stderr) = gateway_test(
        &dir,
        &["--config", config.to_str().unwrap(), file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("2 cases: 2 passed, 0 failed\n"),
        "{stdout}"
    );
}
