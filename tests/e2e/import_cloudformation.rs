//! CloudFormation, SAM and `cdk synth` templates run unchanged: the tutorial
//! API as a SAM template, a plain CloudFormation template with Resource and
//! Method resources, and a CDK-synthesised template, each served by the real
//! binary against moto with signature checking on.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{
    Gateway, GatewayOptions, Moto, client, gateway_command as gateway, import_fixture as fixture,
    json_body, moto_env, put_read_back_and_delete, sts_calls_after_setup as sts_calls, tempdir,
};

fn start(moto: &Moto, config: &Path, args: &[&str]) -> Gateway {
    Gateway::start_with_args(
        GatewayOptions {
            config,
            env: moto_env(moto),
        },
        args,
    )
}

/// The tutorial's flow: create, put a record, put records, read them back
/// shard by shard (shard iterator, then records), delete.
async fn tutorial_flow(gateway: &Gateway, stream: &str) {
    let http = client();
    let url = |path: String| gateway.url(&path);

    // No ShardCount: the template's default of 5.
    let response = http
        .post(url(format!("/streams/{stream}")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body = json_body(
        http.get(url(format!("/streams/{stream}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        body["StreamDescription"]["Shards"].as_array().map(Vec::len),
        Some(5),
        "{body}"
    );
    let body = json_body(http.get(url("/streams".into())).send().await.unwrap()).await;
    assert!(
        body["StreamNames"]
            .as_array()
            .unwrap()
            .contains(&json!(stream)),
        "{body}"
    );

    put_read_back_and_delete(gateway, stream).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sam_template_runs_the_tutorial_assuming_its_execution_role() {
    let moto = Moto::start();
    // The role's name is a template parameter; moto has `gateway-writer`.
    // `!GetAtt KinesisProxyRole.Arn` is built from it, and the gateway
    // assumes that role for each integration.
    let gateway = start(
        &moto,
        &fixture("sam-template.yaml"),
        &["--parameter", "ExecutionRoleName=gateway-writer"],
    );
    tutorial_flow(&gateway, "sam-stream").await;
    // The role assumed once; no account lookup, since the template's
    // account (AWS::AccountId) is `$context.accountId`.
    assert_eq!(sts_calls(&moto), 1, "{}", moto.process.log_text());
    // The stage's method settings throttle every method.
    let (code, exported, stderr) = self::gateway(&[
        "export",
        "--config",
        fixture("sam-template.yaml").to_str().unwrap(),
        "--parameter",
        "ExecutionRoleName=gateway-writer",
        "--format",
        "gateway-yaml",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        exported.contains("throttle:\n    rate: 50.0\n    burst: 100"),
        "{exported}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudformation_template_with_resource_and_method_resources_runs_the_tutorial() {
    let moto = Moto::start();
    // The role has no RoleName: `--resource` names the one moto has.
    let gateway = start(
        &moto,
        &fixture("cloudformation.yaml"),
        &["--resource", "ApiGatewayKinesisRole=gateway-writer"],
    );
    tutorial_flow(&gateway, "cfn-stream").await;
    assert_eq!(sts_calls(&moto), 1, "{}", moto.process.log_text());

    // The template's validators, model and gateway response apply.
    let http = client();
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
    let response = http
        .put(gateway.url("/streams/s/records"))
        .json(&json!({"records": [{"data": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-invalid-body"], "true");

    // The stage's access-log format. The line is written just after the
    // answer: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let out = gateway.process.stdout_text();
        if out
            .lines()
            .any(|l| l.ends_with(" PUT /streams/{stream-name}/records 400"))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{out}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cdk_synth_output_runs_the_tutorial_with_the_callers_credentials() {
    let moto = Moto::start();
    // CDK names the role itself, so it does not exist in moto: the flag signs
    // with the gateway's own credentials instead.
    let gateway = start(
        &moto,
        &fixture("cdk-synth.template.json"),
        &["--no-execution-roles"],
    );
    tutorial_flow(&gateway, "cdk-stream").await;
    // No role assumed, and no account lookup either.
    assert_eq!(sts_calls(&moto), 0, "{}", moto.process.log_text());
}

#[test]
fn validate_loads_each_template_and_names_what_it_ignores() {
    for (name, routes) in [
        ("sam-template.yaml", 8),
        ("cloudformation.yaml", 8),
        ("cdk-synth.template.json", 8),
    ] {
        let path = fixture(name);
        let (code, stdout, stderr) = gateway(&["validate", "--config", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(
            stdout.contains(&format!("{name}: ok, {routes} routes")),
            "{stdout}"
        );
        let warnings = stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .count();
        // Nothing ignored: SAM's throttling settings are the stage's throttle.
        assert_eq!(warnings, 0, "{name}: {stderr}");
    }
}

/// Writes `text` as `name` in a new directory.
fn write(name: &str, text: &str) -> PathBuf {
    let path = tempdir("import-cfn").join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(path: &Path, args: &[&str]) -> String {
    let mut all = vec!["validate", "--config", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let (code, _, stderr) = gateway(&all);
    assert_eq!(code, 78, "{stderr}");
    stderr
}

const TWO_APIS: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Public:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /s:
            get:
              x-amazon-apigateway-integration:
                type: aws
                uri: !Sub 'arn:aws:apigateway:${AWS::Region}:kinesis:action/ListStreams'
                credentials: !GetAtt Missing.Arn
  Internal:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /t:
            get:
              x-amazon-apigateway-integration: {type: mock}
";

#[test]
fn an_unresolvable_reference_names_its_line_and_column() {
    let path = write("template.yaml", TWO_APIS);
    let stderr = problems(&path, &["--api", "Public"]);
    assert!(
        stderr.contains("template.yaml:14:38: /Resources/Public/Properties/Body: Fn::GetAtt: `Missing` is not a resource of this template; give --resource Missing.Arn=VALUE"),
        "{stderr}"
    );
    // Given, it loads.
    let (code, stdout, stderr) = gateway(&[
        "validate",
        "--config",
        path.to_str().unwrap(),
        "--api",
        "Public",
        "--resource",
        "Missing.Arn=arn:aws:iam::123456789012:role/r",
        "--parameter",
        "Unused=1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok, 1 routes"), "{stdout}");
}

#[test]
fn several_apis_need_api_and_the_error_lists_them() {
    let path = write("template.yaml", TWO_APIS);
    let stderr = problems(&path, &[]);
    assert!(
        stderr.contains("the template defines 2 APIs: choose one with --api LOGICAL_ID: Public (AWS::ApiGateway::RestApi, line 3), Internal (AWS::Serverless::Api, line 15)"),
        "{stderr}"
    );
    let (code, stdout, stderr) = gateway(&[
        "validate",
        "--config",
        path.to_str().unwrap(),
        "--api",
        "Internal",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok, 1 routes"), "{stdout}");
    let stderr = problems(&path, &["--api", "Nope"]);
    assert!(
        stderr.contains("--api Nope: no such API; the template defines Public"),
        "{stderr}"
    );
}

#[test]
fn a_template_error_in_a_method_resource_names_its_place_in_the_template() {
    let text = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
  Things:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: things}
  GetThings:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Things
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates:
          application/json: |
            {
              #if($x
            }
";
    let path = write("template.yaml", text);
    let stderr = problems(&path, &[]);
    assert!(
        stderr.contains("template.yaml:21:13: /Resources/GetThings/Properties/Integration/RequestTemplates/application~1json: template error"),
        "{stderr}"
    );
}
