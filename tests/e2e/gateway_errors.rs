//! The gateway's own errors: JSON `{"message": ...}` with the right status.

use std::io::Read as _;
use std::net::TcpListener;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Gateway, GatewayOptions, client, root_config, write_config};

fn fixed_credentials(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE".to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "secret-that-must-not-leak".to_string(),
        ),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
    ]
}

/// An address where nothing listens.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

async fn message(response: reqwest::Response) -> String {
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
    let gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: fixed_credentials(&closed_port()),
    });
    let http = client();

    let response = http.get(gateway.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(message(response).await.contains("/nowhere"));

    let response = http
        .put(gateway.url("/streams/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "DELETE, GET, POST");
    message(response).await;
}

/// The request id of a response.
fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_upstream_is_502_logged_with_its_cause_and_not_leaked() {
    let endpoint = closed_port();
    let gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: fixed_credentials(&endpoint),
    });
    let response = client().get(gateway.url("/streams")).send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "INTEGRATION_FAILURE"
    );
    let id = request_id(&response);
    // The client learns nothing of the endpoint.
    assert_eq!(message(response).await, "Internal server error");
    // The operator learns everything, in one line.
    let line = gateway.log_line(&id, "request failed");
    for expected in [
        "route=\"GET /streams\"",
        "status=502",
        "response_type=\"INTEGRATION_FAILURE\"",
        "origin=\"integration\"",
        &format!("could not reach the integration endpoint {endpoint}/?Action=ListStreams"),
        "refused",
    ] {
        assert!(line.contains(expected), "`{expected}` not in: {line}");
    }
    assert!(line.starts_with(' ') || line.contains("WARN"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_timeout_is_504_with_the_cause_in_the_log_only() {
    // A backend that accepts connections and reads, but never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = stream.read(&mut buffer);
            held.push(stream);
        }
    });
    let config = write_config(
        "timeout",
        "aws:\n  region: us-east-1\nresources:\n  /slow:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        timeout_ms: 300\n        request_templates:\n          application/json: '{}'\n",
    );
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: fixed_credentials(&endpoint),
    });
    let response = client().get(gateway.url("/slow")).send().await.unwrap();
    assert_eq!(response.status(), 504);
    let id = request_id(&response);
    // API Gateway's words for it.
    assert_eq!(message(response).await, "Endpoint request timed out");
    let line = gateway.log_line(&id, "request failed");
    assert!(line.contains("did not answer within 300 ms"), "{line}");
    assert!(
        line.contains("response_type=\"INTEGRATION_TIMEOUT\""),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_is_500_with_the_cause_in_the_log_only() {
    let gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: vec![("AWS_ENDPOINT_URL", closed_port())],
    });
    let response = client().get(gateway.url("/streams")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    let id = request_id(&response);
    assert_eq!(message(response).await, "Internal server error");
    let line = gateway.log_line(&id, "request failed");
    assert!(line.contains("AWS credentials are unavailable"), "{line}");
    assert!(line.contains("origin=\"configuration\""), "{line}");
    assert!(
        line.contains("response_type=\"API_CONFIGURATION_ERROR\""),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_the_log_or_responses() {
    let gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: fixed_credentials(&closed_port()),
    });
    let response = client()
        .put(gateway.url("/streams/s/record"))
        .header("Authorization", "Bearer client-token-secret")
        .json(&json!({"Data": "x", "PartitionKey": "k"}))
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    let log = gateway.process.log_text();
    for secret in ["secret-that-must-not-leak", "client-token-secret"] {
        assert!(!log.contains(secret), "log leaks {secret}:\n{log}");
        assert!(!body.contains(secret), "response leaks {secret}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn body_over_the_limit_is_413_and_unmapped_media_type_is_415() {
    let config = write_config(
        "limits",
        "aws:\n  region: us-east-1\nlimits:\n  max_body_bytes: 64\nresources:\n  /r:\n    PUT:\n      integration:\n        type: aws\n        service: kinesis\n        action: PutRecord\n        request_templates:\n          application/json: '{}'\n",
    );
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: fixed_credentials(&closed_port()),
    });
    let http = client();

    let big = "x".repeat(65);
    let response = http
        .put(gateway.url("/r"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    message(response).await;

    // Chunked, without Content-Length.
    let chunks = futures_stream(vec![vec![b'x'; 40], vec![b'x'; 40]]);
    let response = http
        .put(gateway.url("/r"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let response = http
        .put(gateway.url("/r"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(message(response).await, "Unsupported Media Type");
}

fn futures_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    tokio_stream::iter(chunks.into_iter().map(Ok))
}

#[tokio::test(flavor = "multi_thread")]
async fn long_url_is_414_and_large_headers_are_431() {
    let gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: fixed_credentials(&closed_port()),
    });
    let http = client();

    let long = format!("/streams/{}", "a".repeat(11 * 1024));
    let response = http.get(gateway.url(&long)).send().await.unwrap();
    assert_eq!(response.status(), 414);
    message(response).await;

    let response = http
        .get(gateway.url("/streams"))
        .header("X-Big", "b".repeat(11 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    message(response).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_gateway_cleanly() {
    let mut gateway = Gateway::start(GatewayOptions {
        config: &root_config(),
        env: fixed_credentials(&closed_port()),
    });
    // It serves first, so the signal reaches a running server.
    let response = client().get(gateway.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let status = gateway
        .process
        .terminate(Duration::from_secs(10))
        .expect("the gateway did not stop within 10 s of SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
