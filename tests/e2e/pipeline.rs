//! The request/response pipeline against moto with signature checking on:
//! validation, passthrough, integration responses, header mappings both ways,
//! the injection guard, gateway responses, stages and limits.

use serde_json::json;

use crate::support::{Gateway, Moto, client, json_body, repo_root, root_config, stream_records};

fn pipeline_config() -> std::path::PathBuf {
    repo_root().join("tests/e2e/configs/pipeline.yaml")
}

/// How many calls of `action` moto has received.
fn calls(moto: &Moto, action: &str) -> usize {
    moto.calls(&format!("Action={action} "))
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_failures_are_400_and_nothing_reaches_kinesis() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&pipeline_config(), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(&format!("/test{path}"));
    assert_eq!(
        http.post(url("/streams/orders"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A required header is missing.
    let response = http
        .put(url("/validated/orders/record"))
        .json(&json!({"Data": "d", "PartitionKey": "k"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "BAD_REQUEST_PARAMETERS"
    );
    assert_eq!(
        json_body(response).await["message"],
        "Missing required request parameters: [X-Client-Id]"
    );

    // A blank one counts as missing.
    let response = http
        .put(url("/validated/orders/record"))
        .header("X-Client-Id", "  ")
        .json(&json!({"Data": "d", "PartitionKey": "k"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // The body breaks the model: the customised BAD_REQUEST_BODY response.
    let response = http
        .put(url("/validated/orders/record"))
        .header("X-Client-Id", "c-1")
        .json(&json!({"Data": 42}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-error-type"], "BAD_REQUEST_BODY");
    assert_eq!(response.headers()["x-stage"], "gateway-objects");
    let request_id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body = json_body(response).await;
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("Invalid request body"), "{error}");
    assert!(
        error.contains("PartitionKey") && error.contains("Data"),
        "{error}"
    );
    assert_eq!(body["stage"], "test");
    assert_eq!(body["request"], request_id);

    // Not JSON at all.
    let response = http
        .put(url("/validated/orders/record"))
        .header("X-Client-Id", "c-1")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    assert_eq!(
        calls(&moto, "PutRecord"),
        0,
        "a refused request reached Kinesis"
    );

    // A valid request goes through.
    let response = http
        .put(url("/validated/orders/record"))
        .header("X-Client-Id", "c-1")
        .json(&json!({"Data": "d", "PartitionKey": "k"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls(&moto, "PutRecord"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn never_passthrough_is_415_and_nothing_is_sent() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&pipeline_config(), &moto, &moto.key.secret);
    let http = client();
    let response = http
        .put(gateway.url("/test/strict/orders/record"))
        .header("Content-Type", "text/plain")
        .body("raw text")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "UNSUPPORTED_MEDIA_TYPE"
    );
    assert_eq!(
        json_body(response).await["message"],
        "Unsupported Media Type"
    );
    assert_eq!(calls(&moto, "PutRecord"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_4xx_is_mapped_by_the_integration_response() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&pipeline_config(), &moto, &moto.key.secret);
    let http = client();

    let response = http
        .get(gateway.url("/test/streams/missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["x-kinesis-error"],
        "ResourceNotFoundException"
    );
    assert!(!response.headers()["x-backend-request-id"].is_empty());
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        json_body(response).await,
        json!({"error": "ResourceNotFoundException", "stream": "missing"})
    );

    // The default response maps the 200.
    assert_eq!(
        http.post(gateway.url("/test/streams/orders"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = http
        .get(gateway.url("/test/streams/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-stream-status"], "ACTIVE");
    assert_eq!(
        json_body(response).await,
        json!({"name": "orders", "shards": 1})
    );

    // Outside the stage's base path nothing is routed.
    let response = http
        .get(gateway.url("/streams/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn header_mappings_both_ways_through_s3() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&pipeline_config(), &moto, &moto.key.secret);
    let http = client();

    let response = http.put(gateway.url("/test/bucket")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // Request direction: X-Owner becomes the object's x-amz-meta-owner.
    let response = http
        .put(gateway.url("/test/objects/report%20one.txt"))
        .header("X-Owner", "team-data")
        .header("Content-Type", "text/plain")
        .body("hello from the gateway")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // Response direction: x-amz-meta-owner comes back as X-Owner.
    let response = http
        .get(gateway.url("/test/objects/report%20one.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-owner"], "team-data");
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), "hello from the gateway");
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_key_injection_is_refused_and_nothing_is_written() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let http = client();
    for stream in ["orders", "other-stream"] {
        let response = http
            .post(gateway.url(&format!("/streams/{stream}")))
            .json(&json!({"ShardCount": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let response = http
        .put(gateway.url("/streams/orders/record"))
        .json(&json!({"Data": "stolen", "PartitionKey": "x\", \"StreamName\": \"other-stream"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-amzn-errortype"], "BAD_REQUEST_BODY");
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    // The client hears what was wrong with its request, not about templates.
    assert_eq!(
        json_body(response).await["message"],
        "Invalid request body: a value in it breaks the structure of the integration request"
    );
    // The operator hears which template, which reference and what it did.
    let line = gateway.log_line(&id, "request refused");
    assert!(
        line.contains("PUT /streams/{stream-name}/record application/json"),
        "{line}"
    );
    assert!(
        line.contains("the value of `$input.path('$.PartitionKey')` closed the JSON string"),
        "{line}"
    );
    assert_eq!(calls(&moto, "PutRecord"), 0);

    // Neither stream holds a record.
    for stream in ["orders", "other-stream"] {
        assert_eq!(stream_records(&gateway, stream).await, [], "{stream}");
    }

    // An ordinary partition key goes through: the guard refuses only values
    // that change the body's structure.
    let response = http
        .put(gateway.url("/streams/orders/record"))
        .json(&json!({"Data": "ok", "PartitionKey": "plain-key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls(&moto, "PutRecord"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn body_over_ten_megabytes_is_413_before_kinesis() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let http = client();
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];

    let response = http
        .put(gateway.url("/streams/orders/record"))
        .header("Content-Type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["x-amzn-errortype"], "REQUEST_TOO_LARGE");

    // Chunked, so the size is only known while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1024 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = http
        .put(gateway.url("/streams/orders/record"))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
        .send()
        .await;
    // The gateway reads and drops the rest, so the client gets the 413.
    assert_eq!(response.unwrap().status(), 413);
    assert_eq!(calls(&moto, "PutRecord"), 0);
    // And the gateway is still serving.
    assert_eq!(
        http.get(gateway.url("/streams"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
