//! The template-injection guard on the tutorial's own templates (the root
//! `gateway.yaml`), against moto with signature checking on: values that
//! change the integration request's structure are refused and nothing reaches
//! Kinesis; values that only look like JSON, or that `$util.escapeJavaScript`
//! escaped, are sent and stored exactly.

use serde_json::{Value, json};

use crate::support::{
    EchoServer, Gateway, Moto, client, root_config, stream_records, write_config,
};

/// The client's message for every refused body.
const REFUSED: &str =
    "Invalid request body: a value in it breaks the structure of the integration request";

/// Status, `x-amzn-errortype`, request id and body of a response.
async fn send(request: reqwest::RequestBuilder) -> (u16, String, String, Value) {
    let response = request.send().await.expect("request to the gateway");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (error_type, id) = (header("x-amzn-errortype"), header("x-amzn-requestid"));
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, error_type, id, body)
}

/// How many calls of `action` moto has received.
fn calls(moto: &Moto, action: &str) -> usize {
    moto.calls(&format!("Action={action} "))
}

#[tokio::test(flavor = "multi_thread")]
async fn values_that_change_the_structure_are_refused_and_nothing_reaches_kinesis() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let http = client();
    let (status, _, _, body) = send(
        http.post(gateway.url("/streams/orders"))
            .json(&json!({"ShardCount": 2})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // PutRecord: a partition key that closes its string and adds
    // `ExplicitHashKey`, which picks the shard. Valid JSON, no key repeated.
    let (status, error_type, id, body) = send(
        http.put(gateway.url("/streams/orders/record"))
            .json(&json!({"Data": "d", "PartitionKey": "k\", \"ExplicitHashKey\": \"0"})),
    )
    .await;
    assert_eq!((status, error_type.as_str()), (400, "BAD_REQUEST_BODY"));
    assert_eq!(body, json!({ "message": REFUSED }));
    // The operator hears which template, which reference and what it did.
    let line = gateway.log_line(&id, "request refused");
    assert!(
        line.contains(
            "template `PUT /streams/{stream-name}/record application/json` was refused and not sent: at line 4, column 22, the value of `$input.path('$.PartitionKey')` closed the JSON string it is in"
        ),
        "{line}"
    );

    // PutRecords: a partition key that closes its record and opens a second.
    let (status, error_type, id, _) = send(http.put(gateway.url("/streams/orders/records")).json(
        &json!({"records": [{
            "data": "one",
            "partition-key": "k\"}, {\"Data\": \"c3RvbGVu\", \"PartitionKey\": \"z"
        }]}),
    ))
    .await;
    assert_eq!((status, error_type.as_str()), (400, "BAD_REQUEST_BODY"));
    let line = gateway.log_line(&id, "request refused");
    assert!(
        line.contains("the value of `$elem.partition-key` closed the JSON string it is in"),
        "{line}"
    );

    // CreateStream prints ShardCount outside strings: a value that adds a key.
    let (status, error_type, id, _) =
        send(http.post(gateway.url("/streams/ondemand")).json(
            &json!({"ShardCount": "1, \"StreamModeDetails\": {\"StreamMode\": \"ON_DEMAND\"}"}),
        ))
        .await;
    assert_eq!((status, error_type.as_str()), (400, "BAD_REQUEST_BODY"));
    let line = gateway.log_line(&id, "request refused");
    assert!(
        line.contains(
            "the value of `$input.path('$.ShardCount')` printed more than one JSON value"
        ),
        "{line}"
    );

    // Nothing was sent: moto saw no write, and the streams are as they were.
    assert_eq!(calls(&moto, "PutRecord"), 0);
    assert_eq!(calls(&moto, "PutRecords"), 0);
    assert_eq!(calls(&moto, "CreateStream"), 1);
    assert!(stream_records(&gateway, "orders").await.is_empty());
    let (status, _, _, body) = send(http.get(gateway.url("/streams"))).await;
    assert_eq!((status, &body["StreamNames"]), (200, &json!(["orders"])));
}

#[tokio::test(flavor = "multi_thread")]
async fn values_that_only_look_like_json_are_sent_and_stored_exactly() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let http = client();
    let (status, _, _, body) =
        send(http.post(gateway.url("/streams/orders")).json(&json!({}))).await;
    assert_eq!(status, 200, "{body}");

    let key = "O'Brien {a}: [b], c";
    let data = "{\"x\": 1, \"y\": [2, {}]}";
    let (status, _, _, body) = send(
        http.put(gateway.url("/streams/orders/record"))
            .json(&json!({"Data": data, "PartitionKey": key})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _, body) = send(http.put(gateway.url("/streams/orders/records")).json(
        &json!({"records": [
            {"data": data, "partition-key": key},
            {"data": "}, {", "partition-key": "O'Brien"}
        ]}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["FailedRecordCount"], 0, "{body}");

    let mut records = stream_records(&gateway, "orders").await;
    records.sort();
    // PutRecord sends `$input.json('$.Data')`: JSON text, quotes included.
    let mut expected = vec![
        (key.to_string(), serde_json::to_string(data).unwrap()),
        (key.to_string(), data.to_string()),
        ("O'Brien".to_string(), "}, {".to_string()),
    ];
    expected.sort();
    assert_eq!(records, expected);
    assert_eq!(calls(&moto, "PutRecord"), 1);
    assert_eq!(calls(&moto, "PutRecords"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn escaped_values_pass_the_guard() {
    let moto = Moto::start();
    let echo = EchoServer::start();
    // The tutorial's API, with a PutRecord that escapes its partition key (and
    // undoes the `\'` Kinesis's strict JSON would refuse), and an HTTP
    // integration that sends escapeJavaScript's output as it is.
    let root = std::fs::read_to_string(root_config()).unwrap();
    let config = write_config(
        "escaped",
        &format!(
            r#"{root}
  /escaped/{{stream-name}}/record:
    PUT:
      integration:
        type: aws
        service: kinesis
        action: PutRecord
        request_parameters:
          integration.request.header.Content-Type: "'application/x-amz-json-1.1'"
        request_templates:
          application/json: |
            {{
                "StreamName": "$input.params('stream-name')",
                "Data": "$util.base64Encode($input.path('$.Data'))",
                "PartitionKey": "$util.escapeJavaScript($input.path('$.PartitionKey')).replaceAll("\\'", "'")"
            }}
  /echo:
    POST:
      integration:
        type: http
        uri: {echo}/people
        request_templates:
          application/json: |
            {{"name": "$util.escapeJavaScript($input.path('$.name'))"}}
  /echo/raw:
    POST:
      integration:
        type: http
        uri: {echo}/people
        request_templates:
          application/json: |
            {{"name": "$input.path('$.name')"}}
"#,
            echo = echo.url
        ),
    );
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();
    let (status, _, _, body) =
        send(http.post(gateway.url("/streams/orders")).json(&json!({}))).await;
    assert_eq!(status, 200, "{body}");

    // Escaped, even the ExplicitHashKey attack is one partition key.
    let keys = [
        "O'Brien",
        "say \"hi\" {a}: [b], c\\",
        "k\", \"ExplicitHashKey\": \"0",
    ];
    for key in keys {
        let (status, _, _, body) = send(
            http.put(gateway.url("/escaped/orders/record"))
                .json(&json!({"Data": "d", "PartitionKey": key})),
        )
        .await;
        assert_eq!(status, 200, "{key}: {body}");
    }
    let mut records = stream_records(&gateway, "orders").await;
    records.sort();
    let mut expected: Vec<_> = keys
        .iter()
        .map(|k| (k.to_string(), "d".to_string()))
        .collect();
    expected.sort();
    assert_eq!(records, expected);

    // escapeJavaScript's `\'` is not valid JSON, but changes no structure:
    // the guard lets it through, byte for byte, to a JSON backend.
    let (status, _, _, body) = send(
        http.post(gateway.url("/echo"))
            .json(&json!({"name": "O'Brien"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["body"], "{\"name\": \"O\\'Brien\"}\n");
    // Unescaped, the same template shape is refused before it is sent.
    let response = http
        .post(gateway.url("/echo/raw"))
        .json(&json!({"name": "x\", \"admin\": true, \"y\": \""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("x-echo").is_none(), "not sent");
    let (status, _, _, body) = send(
        http.post(gateway.url("/echo/raw"))
            .json(&json!({"name": "O'Brien"})),
    )
    .await;
    assert_eq!(
        (status, &body["body"]),
        (200, &json!("{\"name\": \"O'Brien\"}\n"))
    );
}
