//! The "REST API as an Amazon Kinesis proxy" tutorial, walked through the
//! gateway with plain HTTP, against moto with signature checking on.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::{Gateway, Moto, client, root_config};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request to the gateway");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

fn decode(data: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_walkthrough_against_moto_with_signature_checking() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    // Create a stream with the template's default ShardCount (5), and one with an explicit count.
    let (status, body) = send(http.post(url("/streams/orders")).json(&json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        http.post(url("/streams/audit"))
            .json(&json!({"ShardCount": 2})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // List.
    let (status, body) = send(http.get(url("/streams"))).await;
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<&str> = body["StreamNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["audit", "orders"]);

    // Describe: the default and the explicit shard counts took effect.
    let (status, body) = send(http.get(url("/streams/orders"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["StreamDescription"]["StreamName"], "orders");
    assert_eq!(
        body["StreamDescription"]["Shards"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let (_, body) = send(http.get(url("/streams/audit"))).await;
    assert_eq!(
        body["StreamDescription"]["Shards"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Put one record, then two.
    let (status, body) = send(
        http.put(url("/streams/orders/record"))
            .json(&json!({"Data": "some data", "PartitionKey": "some key"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let shard_id = body["ShardId"]
        .as_str()
        .expect("PutRecord returns a ShardId")
        .to_string();
    assert!(body["SequenceNumber"].is_string(), "{body}");

    let (status, body) = send(http.put(url("/streams/orders/records")).json(&json!({
        "records": [
            {"data": "some data", "partition-key": "some key"},
            {"data": "some other data", "partition-key": "some key"}
        ]
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["FailedRecordCount"], 0, "{body}");
    assert_eq!(body["Records"].as_array().unwrap().len(), 2);
    // The same partition key lands on the same shard.
    assert_eq!(body["Records"][0]["ShardId"], shard_id.as_str());

    // Shard iterator, then the records.
    let (status, body) = send(http.get(url(&format!(
        "/streams/orders/sharditerator?shard-id={shard_id}"
    ))))
    .await;
    assert_eq!(status, 200, "{body}");
    // moto ends its iterators with a newline, which no header value may carry.
    let iterator = body["ShardIterator"]
        .as_str()
        .unwrap()
        .trim_end()
        .to_string();

    let (status, body) = send(
        http.get(url("/streams/orders/records"))
            .header("Shard-Iterator", iterator),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let data: Vec<String> = body["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| decode(&r["Data"]))
        .collect();
    // PutRecord sends `$input.json('$.Data')`: JSON text, quotes included.
    // PutRecords sends `$elem.data`: the string itself.
    assert_eq!(data, ["\"some data\"", "some data", "some other data"]);
    assert!(
        body["Records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["PartitionKey"] == "some key")
    );

    // Delete, after which describing the stream is a Kinesis 400, passed through.
    let (status, body) = send(http.delete(url("/streams/audit"))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(http.get(url("/streams/audit"))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "ResourceNotFoundException", "{body}");

    // A describe of a stream that never existed.
    let (status, body) = send(http.get(url("/streams/does-not-exist"))).await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert_eq!(body["__type"], "ResourceNotFoundException");

    // One access-log line per request, in API Gateway's CLF, on stdout.
    let response = http
        .get(url("/streams/does-not-exist"))
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let access = loop {
        let out = gateway.process.stdout_text();
        if let Some(line) = out.lines().find(|l| l.ends_with(&id)) {
            break line.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access log line in:\n{out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        access.starts_with("127.0.0.1 - - [")
            && access.contains("] \"GET /streams/{stream-name} HTTP/1.1\" 400 "),
        "{access}"
    );
    // And the service's error, for the operator.
    let line = gateway.log_line(&id, "the integration answered with an error");
    assert!(
        line.contains("status=400") && line.contains("ResourceNotFoundException"),
        "{line}"
    );
    let log = gateway.process.log_text();
    assert!(
        !log.contains(&moto.key.secret),
        "the log must never contain the secret key"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_secret_is_500_for_the_client_and_signature_does_not_match_in_the_log() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, "not-the-secret-key");
    let http = client();

    for request in [
        http.get(gateway.url("/streams")),
        http.post(gateway.url("/streams/orders")).json(&json!({})),
        http.put(gateway.url("/streams/orders/record"))
            .json(&json!({"Data": "x", "PartitionKey": "k"})),
    ] {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let id = response.headers()["x-amzn-requestid"]
            .to_str()
            .unwrap()
            .to_string();
        let body = response.text().await.unwrap();
        // The gateway's own credentials are wrong: nothing the client can fix,
        // and nothing of the service's answer reaches it.
        assert_eq!(status, 500, "{body}");
        assert_eq!(body, r#"{"message":"Internal server error"}"#);
        let line = gateway.log_line(&id, "request failed");
        assert!(
            line.contains("the service answered 403 SignatureDoesNotMatch")
                && line.contains("origin=\"configuration\""),
            "{line}"
        );
    }

    // With the right key the same stream does not exist: nothing was created.
    drop(gateway);
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let (status, body) = send(http.get(gateway.url("/streams"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["StreamNames"], json!([]));
}
