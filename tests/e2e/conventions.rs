//! AWS and proxy conventions: `AWS_CA_BUNDLE`, `X-Amzn-Trace-Id`,
//! `trusted_proxies` with `X-Forwarded-For`, the API's ids in `$context`;
//! and the configuration mistakes that only show on a request.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{
    EchoServer, Gateway, GatewayOptions, Moto, client, json_body, tempdir, write_config,
};

/// `GET /whoami`: an http integration to `backend` whose body is what the
/// gateway knows of the caller and of itself.
fn whoami(backend: &str, top: &str) -> String {
    format!(
        r#"{top}
resources:
  /whoami:
    GET:
      integration:
        type: http
        http_method: POST
        uri: {backend}/whoami
        request_templates:
          application/json: '{{"ip": "$context.identity.sourceIp", "trace": "$context.xrayTraceId", "api": "$context.apiId", "account": "$context.accountId", "resource": "$context.resourceId"}}'
"#
    )
}

fn start(config: &std::path::Path, env: Vec<(&'static str, String)>) -> Gateway {
    Gateway::start(GatewayOptions { config, env })
}

/// What the backend received: the echo's `headers` and its parsed `body`.
async fn echoed(response: reqwest::Response) -> (Value, Value) {
    assert_eq!(response.status(), 200);
    let echo = json_body(response).await;
    let body: Value = serde_json::from_str(echo["body"].as_str().unwrap()).unwrap();
    (echo["headers"].clone(), body)
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let echo = EchoServer::start();
    let trusting = write_config(
        "trusted",
        &whoami(&echo.url, "trusted_proxies: [127.0.0.1/32, 10.0.0.0/8]"),
    );
    let gateway = start(&trusting, Vec::new());
    let http = client();
    // The test connects from 127.0.0.1: a trusted proxy. The right-most
    // untrusted address is the client; what the client wrote left of it is not.
    let response = http
        .get(gateway.url("/whoami"))
        .header("X-Forwarded-For", "192.0.2.1, 203.0.113.7, 10.1.1.1")
        .send()
        .await
        .unwrap();
    let (_, body) = echoed(response).await;
    assert_eq!(body["ip"], "203.0.113.7");

    let distrusting = write_config("untrusted", &whoami(&echo.url, ""));
    let gateway = start(&distrusting, Vec::new());
    let response = http
        .get(gateway.url("/whoami"))
        .header("X-Forwarded-For", "203.0.113.7")
        .send()
        .await
        .unwrap();
    let (_, body) = echoed(response).await;
    assert_eq!(body["ip"], "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_ids_are_passed_on_or_made_and_are_in_the_context() {
    let echo = EchoServer::start();
    let config = write_config("trace", &whoami(&echo.url, ""));
    let gateway = start(&config, Vec::new());
    let http = client();
    let given = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    let response = http
        .get(gateway.url("/whoami"))
        .header("X-Amzn-Trace-Id", given)
        .send()
        .await
        .unwrap();
    let (headers, body) = echoed(response).await;
    assert_eq!(headers["x-amzn-trace-id"], given);
    assert_eq!(body["trace"], given);

    let (headers, body) = echoed(http.get(gateway.url("/whoami")).send().await.unwrap()).await;
    let made = headers["x-amzn-trace-id"].as_str().unwrap();
    assert!(made.starts_with("Root=1-") && made.len() == 40, "{made}");
    assert_eq!(body["trace"], made);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_account_and_resource_ids_fill_the_context() {
    let echo = EchoServer::start();
    let config = write_config(
        "ids",
        &whoami(
            &echo.url,
            "api:\n  id: shop-api\n  account_id: \"111122223333\"",
        ),
    );
    let gateway = start(&config, Vec::new());
    let (_, body) = echoed(client().get(gateway.url("/whoami")).send().await.unwrap()).await;
    assert_eq!(body["api"], "shop-api");
    assert_eq!(body["account"], "111122223333");
    let resource = body["resource"].as_str().unwrap();
    assert_eq!(resource.len(), 10, "{resource}");
    assert!(
        resource
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    // The same on another start: ids are derived, not random.
    let again = start(&config, Vec::new());
    let (_, body) = echoed(client().get(again.url("/whoami")).send().await.unwrap()).await;
    assert_eq!(body["resource"], resource);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_account_comes_from_sts_when_the_file_does_not_set_it() {
    let moto = Moto::start();
    let config = write_config(
        "sts-account",
        r#"resources:
  /account:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
        responses:
          - status: 200
            response_templates:
              application/json: '{"account": "$context.accountId"}'
"#,
    );
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    gateway.log_line("", "AWS account 123456789012 (STS GetCallerIdentity)");
    let body = json_body(client().get(gateway.url("/account")).send().await.unwrap()).await;
    assert_eq!(body, json!({"account": "123456789012"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_ca_bundle_makes_a_private_ca_trusted() {
    let echo = EchoServer::start_tls();
    let dir = tempdir("ca-bundle");
    let bundle = dir.join("ca.pem");
    std::fs::write(&bundle, echo.ca_pem.as_deref().unwrap()).unwrap();
    let config = write_config("ca-bundle", &whoami(&echo.url, ""));

    // Without the bundle, the backend's certificate is not trusted.
    let gateway = start(&config, Vec::new());
    let response = client().get(gateway.url("/whoami")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let line = gateway.log_line(&id, "request failed");
    assert!(line.contains("not trusted"), "{line}");

    let gateway = start(
        &config,
        vec![("AWS_CA_BUNDLE", bundle.display().to_string())],
    );
    let (headers, _) = echoed(client().get(gateway.url("/whoami")).send().await.unwrap()).await;
    assert!(headers["host"].as_str().unwrap().starts_with("127.0.0.1:"));

    // A bundle that cannot be read stops the start, naming the file.
    let output = Gateway::command(&GatewayOptions {
        config: &config,
        env: vec![(
            "AWS_CA_BUNDLE",
            dir.join("missing.pem").display().to_string(),
        )],
    })
    .args(["--listen", "127.0.0.1:0"])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing.pem"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mock_template_without_a_status_code_is_a_logged_500() {
    let config = write_config(
        "mock-no-status",
        r#"resources:
  /cors:
    OPTIONS:
      integration:
        type: mock
        request_templates:
          application/json: '{"status": 200}'
"#,
    );
    let gateway = start(&config, Vec::new());
    let response = client()
        .request(reqwest::Method::OPTIONS, gateway.url("/cors"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "API_CONFIGURATION_ERROR"
    );
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json_body(response).await,
        json!({"message": "Internal server error"})
    );
    let line = gateway.log_line(&id, "request failed");
    assert!(
        line.contains("the mock integration's template `OPTIONS /cors application/json` rendered no numeric `statusCode`"),
        "{line}"
    );
}

#[test]
fn render_refuses_a_header_without_a_colon_as_bad_usage() {
    let output = std::process::Command::new(Gateway::binary())
        .args(["render", "--config"])
        .arg(crate::support::root_config())
        .args(["GET", "/streams", "-H", "NoColon"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a header is `Name: value`, got `NoColon`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_from_a_profile_never_reach_the_log() {
    let dir = tempdir("profile");
    let credentials = dir.join("credentials");
    std::fs::write(
        &credentials,
        "[gateway]\naws_access_key_id = AKIDPROFILE0000LOGGED\naws_secret_access_key = profile-secret-never-logged\n",
    )
    .unwrap();
    let config = write_config(
        "profile",
        "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\nresources:\n  /s:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n",
    );
    let gateway = start(
        &config,
        vec![
            ("AWS_PROFILE", "gateway".to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.display().to_string(),
            ),
            // The most a user could ask for.
            ("GATEWAY_LOG", "trace".to_string()),
        ],
    );
    gateway.log_line("", "AWS credentials loaded");
    let response = client().get(gateway.url("/s")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = gateway.process.log_text();
    for secret in ["AKIDPROFILE0000LOGGED", "profile-secret-never-logged"] {
        assert!(!log.contains(secret), "the log shows {secret}:\n{log}");
    }
}
