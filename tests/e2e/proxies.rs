//! The proxy integrations and Lambda's function errors, end to end with the
//! real binary: `http_proxy` against a backend that records what it
//! receives; `aws_proxy`, and a non-proxy Lambda integration, against the
//! Lambda stand-in, which checks every call's SigV4 signature.

use serde_json::{Value, json};

use crate::support::lambda::{LambdaStandIn, base64_of};
use crate::support::recorder::{Recorder, Reply};
use crate::support::{AccessKey, Gateway, GatewayOptions, client, write_config};

/// A gateway on `yaml`, with `key` as its credentials and `endpoint` as
/// every AWS service's.
fn gateway(label: &str, yaml: &str, key: &AccessKey, endpoint: &str) -> Gateway {
    let config = write_config(label, yaml);
    Gateway::start(GatewayOptions {
        config: &config,
        env: vec![
            ("AWS_ACCESS_KEY_ID", key.id.clone()),
            ("AWS_SECRET_ACCESS_KEY", key.secret.clone()),
            ("AWS_ENDPOINT_URL", endpoint.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
        ],
    })
}

fn key() -> AccessKey {
    AccessKey {
        id: "AKIDLAMBDASTANDIN".into(),
        secret: "stand-in/secret+key".into(),
    }
}

/// A response read whole.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn request_id(&self) -> &str {
        self.headers["x-amzn-requestid"].to_str().unwrap()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request to the gateway");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_proxy_passes_query_headers_status_and_body_through() {
    let backend = Recorder::start();
    let yaml = format!(
        r#"
resources:
  /api/{{proxy+}}:
    ANY:
      integration:
        type: http_proxy
        uri: '{}/v3/{{proxy}}'
        request_parameters:
          integration.request.header.X-Gateway: "'gw-1'"
"#,
        backend.url()
    );
    let gateway = gateway("http-proxy", &yaml, &key(), "http://127.0.0.1:9");
    // Not UTF-8, and not JSON: bytes a template would refuse.
    let sent: Vec<u8> = vec![0x00, 0xff, b'{', b'"', b'v', b'"', b':', b'1', b'}', 0x80];
    let answered: Vec<u8> = vec![0xca, 0xfe, 0x00, 0xba, 0xbe];
    backend.reply(Reply {
        status: 207,
        headers: [
            ("Content-Type", "application/vnd.kafka.v2+json"),
            ("X-Backend", "b-1"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Cache-Control", "no-store"),
            ("Server", "kafka-rest/7"),
            ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ("WWW-Authenticate", "Basic realm=\"kafka\""),
            ("Via", "1.1 internal-lb"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect(),
        body: answered.clone(),
    });

    let answer =
        send(
            client()
                .post(gateway.url(
                    "/api/topics/orders/partitions?partition=1&partition=2&key=a%20b&empty=&flag",
                ))
                .header("Content-Type", "application/vnd.kafka.binary.v2+json")
                .header("X-Custom", "a")
                .header("X-Custom", "b")
                .header("Authorization", "Bearer token-1")
                .header("X-Gateway", "from-the-client")
                .body(sent.clone()),
        )
        .await;

    let received = backend.last();
    assert_eq!(received.method, "POST");
    assert_eq!(
        received.target,
        "/v3/topics/orders/partitions?partition=1&partition=2&key=a%20b&empty=&flag"
    );
    assert_eq!(received.header("x-custom"), ["a", "b"]);
    assert_eq!(received.header("authorization"), ["Bearer token-1"]);
    assert_eq!(
        received.header("content-type"),
        ["application/vnd.kafka.binary.v2+json"]
    );
    // The mapping applies on top of what the client sent.
    assert_eq!(received.header("x-gateway"), ["gw-1"]);
    // `Host` is the backend's, the length is the body's.
    assert_eq!(
        received.header("host"),
        [backend.url().trim_start_matches("http://")]
    );
    assert_eq!(received.header("content-length"), [sent.len().to_string()]);
    assert_eq!(received.header("x-amzn-trace-id").len(), 1);
    assert_eq!(received.body, sent);

    assert_eq!(answer.status, 207);
    assert_eq!(answer.body, answered);
    assert_eq!(
        answer.header("content-type"),
        ["application/vnd.kafka.v2+json"]
    );
    assert_eq!(answer.header("x-backend"), ["b-1"]);
    assert_eq!(answer.header("set-cookie"), ["a=1", "b=2"]);
    assert_eq!(answer.header("cache-control"), ["no-store"]);
    // API Gateway's remapping (known-issues table, http_proxy column).
    assert_eq!(answer.header("x-amzn-remapped-server"), ["kafka-rest/7"]);
    assert_eq!(
        answer.header("x-amzn-remapped-date"),
        ["Mon, 01 Jan 2024 00:00:00 GMT"]
    );
    assert_ne!(answer.header("date"), ["Mon, 01 Jan 2024 00:00:00 GMT"]);
    assert!(answer.header("server").is_empty());
    assert_eq!(
        answer.header("x-amzn-remapped-www-authenticate"),
        ["Basic realm=\"kafka\""]
    );
    assert!(answer.header("www-authenticate").is_empty());
    assert!(answer.header("via").is_empty());
    assert_eq!(answer.request_id().len(), 36);
}

/// A backend's error is the client's answer, as it is: a proxy has no
/// integration responses.
#[tokio::test(flavor = "multi_thread")]
async fn http_proxy_passes_backend_errors_through() {
    let backend = Recorder::start();
    let yaml = format!(
        "resources:\n  /{{proxy+}}:\n    GET:\n      integration:\n        type: http_proxy\n        uri: '{}/{{proxy}}'\n",
        backend.url()
    );
    let gateway = gateway("http-proxy-errors", &yaml, &key(), "http://127.0.0.1:9");
    backend.reply(Reply::json(
        404,
        &json!({"error_code": 40401, "message": "Topic not found."}),
    ));
    let answer = send(client().get(gateway.url("/topics/nope"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"error_code": 40401, "message": "Topic not found."})
    );
    assert!(answer.header("x-amzn-errortype").is_empty());
    assert_eq!(backend.last().target, "/topics/nope");
    assert_eq!(backend.count(), 1);
}

const LAMBDA_API: &str = r#"
api:
  id: proxyapi01
  account_id: '123456789012'
aws:
  region: us-east-1
stage:
  name: test
  variables:
    flavour: vanilla
resources:
  /shop/{proxy+}:
    ANY:
      integration:
        type: aws_proxy
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations
  /mirror:
    POST:
      integration:
        type: aws_proxy
        uri: mirror
  /fails:
    GET:
      integration:
        type: aws_proxy
        uri: arn:aws:lambda:us-east-1:123456789012:function:fails
  /malformed:
    GET:
      integration:
        type: aws_proxy
        uri: malformed
  /missing:
    GET:
      integration:
        type: aws_proxy
        uri: nobody
"#;

#[tokio::test(flavor = "multi_thread")]
async fn aws_proxy_invokes_the_function_with_api_gateways_event() {
    let lambda = LambdaStandIn::start(key(), "us-east-1");
    let gateway = gateway("aws-proxy", LAMBDA_API, &key(), lambda.url());
    let answer = send(
        client()
            .post(gateway.url("/shop/items/42?color=red&color=blue&size=M"))
            .header("Content-Type", "application/json")
            .header("X-Tag", "one")
            .header("X-Tag", "two")
            .body(r#"{"a": 1}"#),
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );

    let invocation = lambda.last();
    assert_eq!(
        invocation.function,
        "arn:aws:lambda:us-east-1:123456789012:function:echo"
    );
    let event = invocation.event();
    // The function answered with the event it was given.
    assert_eq!(answer.json(), event);
    let expected = json!({
        "resource": "/shop/{proxy+}",
        "path": "/shop/items/42",
        "httpMethod": "POST",
        "queryStringParameters": {"color": "blue", "size": "M"},
        "multiValueQueryStringParameters": {"color": ["red", "blue"], "size": ["M"]},
        "pathParameters": {"proxy": "items/42"},
        "stageVariables": {"flavour": "vanilla"},
        "body": "{\"a\": 1}",
        "isBase64Encoded": false,
    });
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&event[field], value, "{field}");
    }
    assert_eq!(event["headers"]["x-tag"], "two");
    assert_eq!(event["multiValueHeaders"]["x-tag"], json!(["one", "two"]));
    assert_eq!(event["headers"]["content-type"], "application/json");
    assert_eq!(
        event["headers"]["host"],
        gateway.url.trim_start_matches("http://")
    );
    assert!(event["headers"].get("content-length").is_none());
    let context = &event["requestContext"];
    assert_eq!(context["requestId"], answer.request_id());
    assert_eq!(context["stage"], "test");
    assert_eq!(context["resourcePath"], "/shop/{proxy+}");
    assert_eq!(context["httpMethod"], "POST");
    assert_eq!(context["accountId"], "123456789012");
    assert_eq!(context["apiId"], "proxyapi01");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    assert!(context["requestTimeEpoch"].as_i64().unwrap() > 1_700_000_000_000);

    // The result's headers, as API Gateway passes them on.
    assert_eq!(answer.header("content-type"), ["application/json"]);
    assert_eq!(answer.header("x-function"), ["echo"]);
    assert_eq!(answer.header("set-cookie"), ["a=1", "b=2"]);
    assert_eq!(answer.header("x-amzn-remapped-server"), ["lambda-stand-in"]);
    assert_eq!(
        answer.header("x-amzn-remapped-date"),
        ["Mon, 01 Jan 2024 00:00:00 GMT"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_proxy_carries_binary_bodies_as_base64_both_ways() {
    let lambda = LambdaStandIn::start(key(), "us-east-1");
    let gateway = gateway("aws-proxy-binary", LAMBDA_API, &key(), lambda.url());
    let bytes: Vec<u8> = vec![0x00, 0x9f, 0x92, 0x96, 0xff, b'\n'];
    let answer = send(
        client()
            .post(gateway.url("/mirror"))
            .header("Content-Type", "application/octet-stream")
            .body(bytes.clone()),
    )
    .await;
    let event = lambda.last().event();
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], base64_of(&bytes));
    // The function answered with the same base64 and `isBase64Encoded`: the
    // client gets the bytes.
    assert_eq!(answer.status, 201);
    assert_eq!(answer.header("content-type"), ["application/octet-stream"]);
    assert_eq!(answer.body, bytes);

    // Text goes as text.
    let answer = send(
        client()
            .post(gateway.url("/mirror"))
            .header("Content-Type", "text/plain")
            .body("héllo"),
    )
    .await;
    let event = lambda.last().event();
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["body"], "héllo");
    assert_eq!(answer.body, "héllo".as_bytes());
}

/// A function error, a malformed result and Lambda's own refusal reach the
/// client as API Gateway's generic answers, with the reason in the log line.
#[tokio::test(flavor = "multi_thread")]
async fn aws_proxy_failures_are_gateway_errors_explained_in_the_log() {
    let lambda = LambdaStandIn::start(key(), "us-east-1");
    let gateway = gateway("aws-proxy-failures", LAMBDA_API, &key(), lambda.url());
    for (path, status, logged) in [
        (
            "/fails",
            502,
            "the function failed (Unhandled): Error: Cannot read properties of undefined",
        ),
        (
            "/malformed",
            502,
            "malformed Lambda proxy response: `body` is not a string",
        ),
        (
            "/missing",
            500,
            "Lambda answered 404 ResourceNotFoundException: Function not found",
        ),
    ] {
        let answer = send(client().get(gateway.url(path))).await;
        assert_eq!(answer.status, status, "{path}");
        assert_eq!(
            answer.json(),
            json!({"message": "Internal server error"}),
            "{path}"
        );
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("arn:"),
            "{path}"
        );
        let line = gateway.log_line(answer.request_id(), "request failed");
        assert!(line.contains(logged), "{path}: {line}");
        assert!(lambda.last().signature.is_ok());
    }
}

/// The stand-in refuses a call signed with another secret, so the tests
/// above prove the gateway's signature is right.
#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_stand_in_checks_signatures() {
    let lambda = LambdaStandIn::start(key(), "us-east-1");
    let wrong = AccessKey {
        secret: "not-the-secret".into(),
        ..key()
    };
    let gateway = gateway("aws-proxy-wrong-key", LAMBDA_API, &wrong, lambda.url());
    let answer = send(client().post(gateway.url("/shop/x")).body("{}")).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json(), json!({"message": "Internal server error"}));
    let invocation = lambda.invocations().pop().unwrap();
    assert!(
        invocation
            .signature
            .as_ref()
            .is_err_and(|reason| reason.starts_with("the signature does not match")),
        "{:?}",
        invocation.signature
    );
    let line = gateway.log_line(answer.request_id(), "request failed");
    assert!(line.contains("InvalidSignatureException"), "{line}");
}

/// A non-proxy Lambda integration selects its integration response by the
/// function error's `errorMessage`, as API Gateway does; a success, by its
/// status.
#[tokio::test(flavor = "multi_thread")]
async fn lambda_function_errors_are_mapped_by_error_message() {
    let lambda = LambdaStandIn::start(key(), "us-east-1");
    let yaml = r#"
aws:
  region: us-east-1
resources:
  /orders:
    POST:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations
        request_templates:
          application/json: '{"order": $input.json(''$.order'')}'
        responses:
          # The Invoke call answers 200 even when the function fails: this
          # pattern takes successes only.
          - selection_pattern: '2\d{2}'
            status: 201
          - selection_pattern: 'Not found: .*'
            status: 404
            response_templates:
              application/json: '{"message": $input.json(''$.errorMessage'')}'
          - selection_pattern: 'Invalid.*'
            status: 400
            response_templates:
              application/json: '{"message": $input.json(''$.errorMessage'')}'
          - selection_pattern: '.*Task timed out.*'
            status: 504
            response_templates:
              application/json: '{"message": "The order service is slow; try again"}'
          - status: 500
            response_templates:
              application/json: '{"message": "unexpected"}'
"#;
    let gateway = gateway("lambda-errors", yaml, &key(), lambda.url());
    for (order, status, body) in [
        ("o-1", 201, json!({"order": "o-1", "status": "accepted"})),
        (
            "missing",
            404,
            json!({"message": "Not found: order missing"}),
        ),
        ("bad", 400, json!({"message": "Invalid order: bad"})),
        (
            "slow",
            504,
            json!({"message": "The order service is slow; try again"}),
        ),
    ] {
        let answer = send(
            client()
                .post(gateway.url("/orders"))
                .json(&json!({"order": order})),
        )
        .await;
        assert_eq!(answer.status, status, "{order}");
        assert_eq!(answer.json(), body, "{order}");
        let invocation = lambda.last();
        assert_eq!(invocation.event(), json!({"order": order}));
    }
}
