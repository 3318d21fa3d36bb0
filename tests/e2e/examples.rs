//! The APIs in `examples/`, one per AWS service, each served by the real
//! gateway against moto with signature checking on and walked with plain
//! HTTP. Every test asserts an effect in the service (a message received, an
//! item read back, an object listed), not only a status code.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::{Gateway, Moto, client, repo_root};

/// The examples, by file name; `every_example_loads` checks this list against
/// the folder.
const EXAMPLES: &[&str] = &[
    "dynamodb.yaml",
    "eventbridge.yaml",
    "firehose.yaml",
    "kafka-rest.yaml",
    "lambda.yaml",
    "s3.yaml",
    "sns.yaml",
    "sqs.yaml",
    "ssm.yaml",
    "stepfunctions.yaml",
];

fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// A gateway answer, read whole.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A response header; empty when absent.
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn request_id(&self) -> &str {
        self.header("x-amzn-requestid")
    }

    fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
}

async fn call(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request to the gateway");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

/// Every `<tag>...</tag>` text in an XML answer (the Query protocol's and
/// S3's), in order. The answers are small and flat enough for this.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_string)
        .collect()
}

/// `POST /moto-api/<path>` with a JSON body: moto's own settings, which are
/// not AWS calls and need no signature.
async fn moto_api(moto: &Moto, path: &str, body: Value) {
    let response = client()
        .post(format!("{}/moto-api/{path}", moto.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "moto-api/{path}: {}",
        response.status()
    );
}

/// Lets moto accept the next `count` AWS calls without checking their
/// signatures; checking comes back on by itself after them.
async fn moto_skip_signature_checks(moto: &Moto, count: u32) {
    let response = client()
        .post(format!("{}/moto-api/reset-auth", moto.url))
        .header("Content-Type", "text/plain")
        .body(count.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[test]
fn every_example_loads() {
    let mut found: Vec<String> = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    found.sort();
    assert_eq!(found, EXAMPLES, "every example file needs a test here");
    for name in EXAMPLES {
        let path = example(name);
        // No credentials, no region variable, no endpoint: the file alone.
        let output = Command::new(Gateway::binary())
            .args(["validate", "--config"])
            .arg(&path)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name} does not load:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        // An example that calls AWS pins its region.
        assert!(
            !text.contains("type: aws") || text.contains("region: us-east-1"),
            "{name} should pin us-east-1"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("endpoint_url")),
            "{name} should leave the endpoint to AWS_ENDPOINT_URL"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_example_sends_receives_and_deletes_messages() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("sqs.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let reply = call(http.post(url("/queue"))).await.expect(200);
    assert!(
        reply.json()["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/123456789012/gateway-orders"),
        "{}",
        reply.text
    );

    // JSON protocol: the body becomes the message, the request id an attribute.
    let order = json!({"order": "o-1", "note": "customer's \"rush\" order", "qty": 2});
    let sent = call(http.post(url("/orders")).json(&order))
        .await
        .expect(202);
    let json_id = sent.json()["message_id"].as_str().unwrap().to_string();
    assert!(!json_id.is_empty());
    let json_request = sent.request_id().to_string();

    // Query protocol: a form post, re-encoded as one form field.
    let form = "order=o-2&note=a+b%26c";
    let sent = call(
        http.post(url("/orders/form"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form),
    )
    .await
    .expect(200);
    assert!(sent.header("content-type").contains("xml"), "{}", sent.text);
    let form_id = xml_values(&sent.text, "MessageId").pop().unwrap();
    let form_request = sent.request_id().to_string();
    // Both protocols name the action in the query string, as API Gateway does.
    assert_eq!(moto.calls("POST /?Action=SendMessage "), 2);

    let depth = call(http.get(url("/queue/depth"))).await.expect(200);
    assert_eq!(depth.json(), json!({"visible": 2, "in_flight": 0}));

    // Receive one, then the rest.
    let first = call(http.get(url("/orders?max=1")))
        .await
        .expect(200)
        .json();
    assert_eq!(first["orders"].as_array().unwrap().len(), 1);
    let rest = call(http.get(url("/orders"))).await.expect(200).json();
    let mut received: Vec<Value> = first["orders"].as_array().unwrap().clone();
    received.extend(rest["orders"].as_array().unwrap().iter().cloned());
    assert_eq!(received.len(), 2, "{received:?}");
    let by_id = |id: &str| {
        received
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("message {id} not received: {received:?}"))
            .clone()
    };
    let json_message = by_id(&json_id);
    let body: Value = serde_json::from_str(json_message["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, order);
    assert_eq!(json_message["sent_by_request"], json_request.as_str());
    let form_message = by_id(&form_id);
    assert_eq!(form_message["body"], form);
    assert_eq!(form_message["sent_by_request"], form_request.as_str());

    let depth = call(http.get(url("/queue/depth"))).await.expect(200);
    assert_eq!(depth.json(), json!({"visible": 0, "in_flight": 2}));

    // Deleting needs the receipt handle; without it nothing is sent.
    let refused = call(http.delete(url("/orders"))).await.expect(400);
    assert_eq!(refused.header("x-amzn-errortype"), "BAD_REQUEST_PARAMETERS");
    assert_eq!(moto.calls("Action=DeleteMessage "), 0);
    for message in &received {
        call(
            http.delete(url("/orders"))
                .header("Receipt-Handle", message["receipt"].as_str().unwrap()),
        )
        .await
        .expect(204);
    }
    let depth = call(http.get(url("/queue/depth"))).await.expect(200);
    assert_eq!(depth.json(), json!({"visible": 0, "in_flight": 0}));
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_example_publishes_to_a_subscribed_queue() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("sns.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);
    let topic_arn = "arn:aws:sns:us-east-1:123456789012:gateway-notifications";
    let queue_arn = "arn:aws:sqs:us-east-1:123456789012:gateway-notification-inbox";

    let reply = call(http.post(url("/topic"))).await.expect(200);
    assert_eq!(xml_values(&reply.text, "TopicArn"), [topic_arn]);
    call(http.post(url("/subscribers/queue"))).await.expect(200);
    let reply = call(http.post(url("/subscriptions/queue")))
        .await
        .expect(200);
    assert_eq!(xml_values(&reply.text, "SubscriptionArn").len(), 1);

    let topics = call(http.get(url("/topics"))).await.expect(200);
    assert_eq!(xml_values(&topics.text, "TopicArn"), [topic_arn]);
    let subscriptions = call(http.get(url("/subscriptions"))).await.expect(200);
    assert_eq!(xml_values(&subscriptions.text, "Endpoint"), [queue_arn]);
    assert_eq!(xml_values(&subscriptions.text, "Protocol"), ["sqs"]);

    // Nothing delivered yet.
    let inbox = call(http.get(url("/subscribers/queue/messages")))
        .await
        .expect(200);
    assert_eq!(inbox.json(), json!({"notifications": []}));

    // Characters that a form body must encode: &, +, =, quotes, non-ASCII.
    let notification =
        json!({"event": "order-shipped", "order": "o-1", "note": "a+b=c & it's \"done\" ✓"});
    let published = call(
        http.post(url("/notifications"))
            .header("Subject", "Order o-1 shipped")
            .json(&notification),
    )
    .await
    .expect(200);
    assert_eq!(xml_values(&published.text, "MessageId").len(), 1);

    // SNS delivered it to the queue, raw, with the request id attribute.
    let inbox = call(http.get(url("/subscribers/queue/messages")))
        .await
        .expect(200)
        .json();
    let delivered = inbox["notifications"].as_array().unwrap();
    assert_eq!(delivered.len(), 1, "{inbox}");
    let message: Value = serde_json::from_str(delivered[0]["message"].as_str().unwrap()).unwrap();
    assert_eq!(message, notification);
    assert_eq!(delivered[0]["published_by_request"], published.request_id());
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_example_puts_gets_and_queries_plain_json() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("dynamodb.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let table = call(http.post(url("/table"))).await.expect(200).json();
    assert_eq!(table["TableDescription"]["TableName"], "gateway-orders");

    // Quotes and an apostrophe in the body and in the path survive the typed
    // JSON both ways.
    let stored = call(
        http.put(url("/customers/O'Brien/orders/o-1"))
            .json(&json!({"product": "tea \"green\"", "quantity": 3, "note": "it's a gift"})),
    )
    .await
    .expect(201);
    assert_eq!(
        stored.json(),
        json!({"customer": "O'Brien", "order": "o-1"})
    );
    call(
        http.put(url("/customers/O'Brien/orders/o-2"))
            .json(&json!({"product": "coffee", "quantity": 1})),
    )
    .await
    .expect(201);
    call(
        http.put(url("/customers/c-2/orders/o-1"))
            .json(&json!({"product": "water", "quantity": 6})),
    )
    .await
    .expect(201);

    // The model refuses a string quantity before DynamoDB sees it.
    let refused = call(
        http.put(url("/customers/c-2/orders/o-9"))
            .json(&json!({"product": "water", "quantity": "6"})),
    )
    .await
    .expect(400);
    assert_eq!(refused.header("x-amzn-errortype"), "BAD_REQUEST_BODY");
    assert_eq!(moto.calls("Action=PutItem "), 3);

    let item = call(http.get(url("/customers/O'Brien/orders/o-1")))
        .await
        .expect(200);
    assert_eq!(
        item.json(),
        json!({"customer": "O'Brien", "order": "o-1", "product": "tea \"green\"", "quantity": 3, "note": "it's a gift"})
    );
    let item = call(http.get(url("/customers/O'Brien/orders/o-2")))
        .await
        .expect(200);
    assert_eq!(
        item.json(),
        json!({"customer": "O'Brien", "order": "o-2", "product": "coffee", "quantity": 1})
    );
    let missing = call(http.get(url("/customers/O'Brien/orders/o-3")))
        .await
        .expect(404);
    assert_eq!(missing.json(), json!({"message": "no such order"}));

    // Query: one customer's orders only, sort key descending.
    let orders = call(http.get(url("/customers/O'Brien/orders")))
        .await
        .expect(200);
    assert_eq!(
        orders.json(),
        json!({"count": 2, "orders": [
            {"order": "o-2", "product": "coffee", "quantity": 1},
            {"order": "o-1", "product": "tea \"green\"", "quantity": 3}
        ]})
    );
    let first = call(http.get(url("/customers/O'Brien/orders?limit=1")))
        .await
        .expect(200);
    assert_eq!(first.json()["count"], 1);
    assert_eq!(first.json()["orders"][0]["order"], "o-2");

    call(http.delete(url("/customers/O'Brien/orders/o-2")))
        .await
        .expect(204);
    call(http.get(url("/customers/O'Brien/orders/o-2")))
        .await
        .expect(404);
    let orders = call(http.get(url("/customers/O'Brien/orders")))
        .await
        .expect(200);
    assert_eq!(orders.json()["count"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_example_routes_events_to_a_queue() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("eventbridge.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let bus = call(http.post(url("/bus"))).await.expect(200).json();
    assert_eq!(
        bus["EventBusArn"],
        "arn:aws:events:us-east-1:123456789012:event-bus/gateway-orders"
    );
    call(http.post(url("/audit-queue"))).await.expect(200);
    call(http.post(url("/rules/orders"))).await.expect(200);
    let targets = call(http.post(url("/rules/orders/target")))
        .await
        .expect(200)
        .json();
    assert_eq!(targets["FailedEntryCount"], 0);

    let placed = json!({"order": "o-1", "customer": "O'Brien", "total": 12.5});
    let reply = call(http.post(url("/orders")).json(&placed))
        .await
        .expect(202);
    let body = reply.json();
    assert_eq!(body["failed"], 0);
    let placed_id = body["entries"][0]["EventId"].as_str().unwrap().to_string();

    let cancelled = json!({"order": "o-1", "reason": "changed mind"});
    let reply = call(
        http.post(url("/orders"))
            .header("Event-Type", "OrderCancelled")
            .json(&cancelled),
    )
    .await
    .expect(202);
    let cancelled_id = reply.json()["entries"][0]["EventId"]
        .as_str()
        .unwrap()
        .to_string();

    let batch = json!({"orders": [{"order": "o-2"}, {"order": "o-3", "items": ["tea", "cups"]}]});
    let reply = call(http.post(url("/orders/batch")).json(&batch))
        .await
        .expect(202);
    let body = reply.json();
    assert_eq!(body["failed"], 0);
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);

    // The rule delivered every event to the queue, in EventBridge's envelope.
    let events = call(http.get(url("/audit-queue/events")))
        .await
        .expect(200)
        .json();
    let events = events["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 4, "{events:?}");
    for event in &events {
        assert_eq!(event["source"], "com.example.orders");
    }
    let find = |id: &str| events.iter().find(|e| e["id"] == id).unwrap().clone();
    let event = find(&placed_id);
    assert_eq!(event["detail-type"], "OrderPlaced");
    assert_eq!(event["detail"], placed);
    let event = find(&cancelled_id);
    assert_eq!(event["detail-type"], "OrderCancelled");
    assert_eq!(event["detail"], cancelled);
    let details: Vec<&Value> = events.iter().map(|e| &e["detail"]).collect();
    assert!(details.contains(&&batch["orders"][0]), "{details:?}");
    assert!(details.contains(&&batch["orders"][1]), "{details:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn firehose_example_delivers_records_to_s3() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("firehose.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    call(http.put(url("/archive"))).await.expect(200);
    let created = call(http.post(url("/stream"))).await.expect(200).json();
    assert_eq!(
        created["DeliveryStreamARN"],
        "arn:aws:firehose:us-east-1:123456789012:deliverystream/gateway-clicks"
    );
    let stream = call(http.get(url("/stream"))).await.expect(200).json();
    assert_eq!(
        stream,
        json!({"name": "gateway-clicks", "status": "ACTIVE", "bucket": "arn:aws:s3:::gateway-click-archive"})
    );

    let click = json!({"page": "/home", "user": "u-1"});
    let put = call(http.post(url("/clicks")).json(&click))
        .await
        .expect(200);
    assert!(put.json()["RecordId"].is_string(), "{}", put.text);
    let clicks = json!({"clicks": [{"page": "/a"}, {"page": "/b", "ms": 12}]});
    let batch = call(http.post(url("/clicks/batch")).json(&clicks))
        .await
        .expect(200);
    assert_eq!(batch.json(), json!({"failed": 0, "records": 2}));

    // moto writes each call's records to one object at once (AWS buffers
    // them first); the objects are JSON lines.
    let listing = call(http.get(url("/archive"))).await.expect(200);
    let keys = xml_values(&listing.text, "Key");
    assert_eq!(keys.len(), 2, "{}", listing.text);
    let mut contents = Vec::new();
    for key in &keys {
        assert!(key.starts_with("clicks/"), "{key}");
        assert!(key.contains("/gateway-clicks-"), "{key}");
        let object = call(http.get(url(&format!("/archive/{key}"))))
            .await
            .expect(200);
        contents.push(object.text);
    }
    contents.sort();
    assert_eq!(
        contents,
        [
            "{\"page\":\"/a\"}\n{\"page\":\"/b\",\"ms\":12}\n",
            "{\"page\":\"/home\",\"user\":\"u-1\"}\n",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stepfunctions_example_starts_and_describes_executions() {
    let moto = Moto::start();
    // moto runs state machines only when asked to; otherwise every execution
    // stays RUNNING with no output.
    moto_api(
        &moto,
        "config",
        json!({"stepfunctions": {"execute_state_machine": true}}),
    )
    .await;
    let gateway = Gateway::against_moto(&example("stepfunctions.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let machine = call(http.post(url("/workflow"))).await.expect(200).json();
    assert_eq!(
        machine["stateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:gateway-order-workflow"
    );

    // The model refuses an order without items; nothing is started.
    let refused = call(http.post(url("/orders")).json(&json!({"order": "o-0"})))
        .await
        .expect(400);
    assert_eq!(refused.header("x-amzn-errortype"), "BAD_REQUEST_BODY");

    let order = json!({"order": "o-1", "items": [{"sku": "tea", "quantity": 2}], "note": "it's \"urgent\""});
    let started = call(http.post(url("/orders")).json(&order))
        .await
        .expect(202);
    let id = started.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id, started.request_id());
    assert_eq!(
        started.json()["execution"],
        format!("arn:aws:states:us-east-1:123456789012:execution:gateway-order-workflow:{id}")
    );
    assert_eq!(started.header("location"), format!("/orders/{id}"));
    assert_eq!(moto.calls("Action=StartExecution "), 1);

    let deadline = Instant::now() + Duration::from_secs(20);
    let described = loop {
        let reply = call(http.get(url(&format!("/orders/{id}"))))
            .await
            .expect(200);
        let body = reply.json();
        if body["status"] != "RUNNING" || Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        described,
        json!({
            "id": id,
            "status": "SUCCEEDED",
            "output": {"order": "o-1", "items": [{"sku": "tea", "quantity": 2}], "status": "ACCEPTED"}
        })
    );

    let unknown = call(http.get(url("/orders/no-such-execution")))
        .await
        .expect(404);
    assert_eq!(unknown.json(), json!({"message": "no such order workflow"}));
}

/// A zip archive holding one file, stored uncompressed: what a Lambda
/// deployment package is.
fn zip_one_file(name: &str, data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let crc = crc32(data);
    let size = u32::try_from(data.len()).unwrap();
    let name_len = u16::try_from(name.len()).unwrap();
    // Version 2.0, no flags, stored, 1980-01-01 00:00.
    let common = |out: &mut Vec<u8>| {
        for v in [20u16, 0, 0, 0, 0x21] {
            out.extend(v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend(v.to_le_bytes());
        }
        out.extend(name_len.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // extra field length
    };
    let mut out = Vec::new();
    out.extend(0x0403_4b50u32.to_le_bytes());
    common(&mut out);
    out.extend(name.as_bytes());
    out.extend(data);
    let directory_offset = u32::try_from(out.len()).unwrap();
    out.extend(0x0201_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes()); // made by
    common(&mut out);
    for v in [0u16, 0, 0] {
        out.extend(v.to_le_bytes()); // comment length, disk, internal attributes
    }
    out.extend(0u32.to_le_bytes()); // external attributes
    out.extend(0u32.to_le_bytes()); // offset of the local header
    out.extend(name.as_bytes());
    let directory_size = u32::try_from(out.len()).unwrap() - directory_offset;
    out.extend(0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        out.extend(v.to_le_bytes());
    }
    out.extend(directory_size.to_le_bytes());
    out.extend(directory_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Creates the functions' execution role in moto (Lambda refuses a role that
/// does not exist), as a deployment would have beforehand. IAM is outside the
/// example's API, so this uses botocore from moto's virtualenv.
fn create_lambda_role(moto: &Moto, role: &str) {
    let venv = std::env::var_os("GATEWAY_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    let script = r#"
import json, sys
import botocore.session
endpoint, key, secret, role = sys.argv[1:]
iam = botocore.session.get_session().create_client(
    "iam", region_name="us-east-1", endpoint_url=endpoint,
    aws_access_key_id=key, aws_secret_access_key=secret)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
"#;
    let output = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            script,
            &moto.url,
            &moto.key.id,
            &moto.key.secret,
            role,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "creating the role: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_example_deploys_and_invokes_functions() {
    let moto = Moto::start();
    // moto runs function code only in Docker. Without it (`use_docker:
    // false`) Invoke answers with the request's payload, or with a result
    // queued through /moto-api/static/lambda-simple/response.
    moto_api(&moto, "config", json!({"lambda": {"use_docker": false}})).await;
    create_lambda_role(&moto, "gateway-lambda-execution");
    let gateway = Gateway::against_moto(&example("lambda.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let package = zip_one_file(
        "index.py",
        b"def handler(event, context):\n    return {\"greeting\": \"Hello, \" + event[\"name\"]}\n",
    );
    let zip = base64::engine::general_purpose::STANDARD.encode(&package);
    let deployment = json!({"name": "gateway-greeter", "runtime": "python3.12", "handler": "index.handler", "zip": zip});
    let created = call(http.post(url("/functions")).json(&deployment))
        .await
        .expect(201);
    assert_eq!(
        created.json(),
        json!({
            "name": "gateway-greeter",
            "arn": "arn:aws:lambda:us-east-1:123456789012:function:gateway-greeter",
            "version": "1"
        })
    );
    // The model refuses a deployment without a package.
    call(
        http.post(url("/functions"))
            .json(&json!({"name": "x", "runtime": "python3.12", "handler": "h"})),
    )
    .await
    .expect(400);
    // Lambda refuses a second function of the same name: its 409 maps to 400.
    let taken = call(http.post(url("/functions")).json(&deployment))
        .await
        .expect(400);
    assert!(
        taken.text.contains("ResourceConflictException"),
        "{}",
        taken.text
    );

    // /greetings invokes the stage's function with the shaped event; moto
    // answers with the event it got, which shows the template's work.
    let greeting = call(http.post(url("/greetings")).json(&json!({"name": "Ada"})))
        .await
        .expect(200);
    assert_eq!(
        greeting.json(),
        json!({
            "name": "Ada",
            "language": "en",
            "requestId": greeting.request_id(),
            "sourceIp": "127.0.0.1",
            "stage": "local"
        })
    );
    // A function's own answer passes through as it is.
    moto_api(
        &moto,
        "static/lambda-simple/response",
        json!({"results": ["{\"greeting\": \"Hello, Ada\"}"], "region": "us-east-1"}),
    )
    .await;
    let greeting = call(http.post(url("/greetings")).json(&json!({"name": "Ada"})))
        .await
        .expect(200);
    assert_eq!(greeting.json(), json!({"greeting": "Hello, Ada"}));

    // Any function, body passed through; `Invocation-Type: Event` is asynchronous.
    let payload = json!({"raw": [1, 2, 3]});
    let direct = call(
        http.post(url("/functions/gateway-greeter/invocations"))
            .json(&payload),
    )
    .await
    .expect(200);
    assert_eq!(direct.json(), payload);
    call(
        http.post(url("/functions/gateway-greeter/invocations"))
            .header("Invocation-Type", "Event")
            .json(&payload),
    )
    .await
    .expect(202);
    // Two calls by the function's name, two by its ARN (the `uri:` route).
    assert_eq!(
        moto.calls("POST /2015-03-31/functions/gateway-greeter/invocations "),
        2
    );
    assert_eq!(
        moto.calls("POST /2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:gateway-greeter/invocations "
        ),
        2
    );

    // moto 5.2.5 cannot check the signature of a Lambda call with neither a
    // body nor a query string (GetFunction, ListFunctions, DeleteFunction):
    // it re-signs such a request with its headers as a form body, so even
    // botocore's own calls get 403 SignatureDoesNotMatch. Checking is
    // lifted for exactly these four calls.
    moto_skip_signature_checks(&moto, 4).await;
    let function = call(http.get(url("/functions/gateway-greeter")))
        .await
        .expect(200);
    assert_eq!(
        function.json(),
        json!({
            "name": "gateway-greeter",
            "runtime": "python3.12",
            "handler": "index.handler",
            "memory": 128,
            "code_size": package.len(),
            "code_sha256": function.json()["code_sha256"]
        })
    );
    assert!(!function.json()["code_sha256"].as_str().unwrap().is_empty());
    let functions = call(http.get(url("/functions"))).await.expect(200);
    assert_eq!(
        functions.json(),
        json!({"functions": [{"name": "gateway-greeter", "runtime": "python3.12"}]})
    );
    call(http.delete(url("/functions/gateway-greeter")))
        .await
        .expect(204);
    let gone = call(http.get(url("/functions/gateway-greeter")))
        .await
        .expect(404);
    assert_eq!(gone.json(), json!({"message": "no such function"}));
    // Checking is back on by itself: a call signed with a wrong secret fails.
    let wrong = Gateway::against_moto(&example("lambda.yaml"), &moto, "not-the-secret");
    let refused = call(
        client()
            .post(wrong.url("/greetings"))
            .json(&json!({"name": "Eve"})),
    )
    .await
    .expect(500);
    assert_eq!(refused.json(), json!({"message": "Internal server error"}));
    let line = wrong.log_line(refused.request_id(), "request failed");
    assert!(line.contains("SignatureDoesNotMatch"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_example_puts_lists_reads_and_deletes_nested_keys() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("s3.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    call(http.put(url("/store"))).await.expect(200);

    // A nested key through the greedy {key+}, with its author as metadata.
    let csv = "region,total\neu,12\nus,30\n";
    let put = call(
        http.put(url("/files/reports/2024/q1.csv"))
            .header("Content-Type", "text/csv")
            .header("X-Author", "Ada")
            .body(csv),
    )
    .await
    .expect(201);
    let etag = put.header("etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    call(
        http.put(url("/files/notes/hello%20world.txt"))
            .header("Content-Type", "text/plain; charset=utf-8")
            .body("hi there"),
    )
    .await
    .expect(201);
    // An upload must say what it is; nothing is sent otherwise.
    let refused = call(http.put(url("/files/anonymous.bin")).body("??"))
        .await
        .expect(400);
    assert_eq!(refused.header("x-amzn-errortype"), "BAD_REQUEST_PARAMETERS");

    let listing = call(http.get(url("/files"))).await.expect(200);
    assert_eq!(
        xml_values(&listing.text, "Key"),
        ["notes/hello world.txt", "reports/2024/q1.csv"]
    );
    let listing = call(http.get(url("/files?prefix=reports/")))
        .await
        .expect(200);
    assert_eq!(xml_values(&listing.text, "Key"), ["reports/2024/q1.csv"]);

    let file = call(http.get(url("/files/reports/2024/q1.csv")))
        .await
        .expect(200);
    assert_eq!(file.header("content-type"), "text/csv");
    assert_eq!(file.header("x-author"), "Ada");
    assert_eq!(file.header("etag"), etag);
    assert_eq!(file.text, csv);
    let file = call(http.get(url("/files/notes/hello%20world.txt")))
        .await
        .expect(200);
    assert_eq!(file.text, "hi there");
    assert_eq!(file.header("x-author"), "");

    let head = call(http.head(url("/files/reports/2024/q1.csv")))
        .await
        .expect(200);
    assert_eq!(head.header("x-author"), "Ada");
    assert_eq!(head.header("x-size"), csv.len().to_string());
    assert_eq!(head.text, "");

    call(http.delete(url("/files/reports/2024/q1.csv")))
        .await
        .expect(204);
    let gone = call(http.get(url("/files/reports/2024/q1.csv")))
        .await
        .expect(404);
    assert_eq!(gone.json(), json!({"message": "no such file"}));
    call(http.head(url("/files/reports/2024/q1.csv")))
        .await
        .expect(404);
    let listing = call(http.get(url("/files"))).await.expect(200);
    assert_eq!(xml_values(&listing.text, "Key"), ["notes/hello world.txt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ssm_example_needs_configuration_only() {
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&example("ssm.yaml"), &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);

    let put = call(
        http.put(url("/settings/db/host"))
            .json(&json!({"value": "db1.internal", "description": "primary"})),
    )
    .await
    .expect(200);
    assert_eq!(put.json(), json!({"version": 1}));
    let put = call(
        http.put(url("/settings/db/host"))
            .json(&json!({"value": "db2.internal"})),
    )
    .await
    .expect(200);
    assert_eq!(put.json(), json!({"version": 2}));
    call(
        http.put(url("/settings/feature/banner"))
            .json(&json!({"value": "it's \"on\""})),
    )
    .await
    .expect(200);
    // The model refuses an empty value.
    call(http.put(url("/settings/x")).json(&json!({"value": ""})))
        .await
        .expect(400);
    // The generic call: `?Action=` only, the target and content type from mappings.
    assert_eq!(moto.calls("POST /?Action=PutParameter "), 3);

    let setting = call(http.get(url("/settings/db/host"))).await.expect(200);
    assert_eq!(
        setting.json(),
        json!({"name": "db/host", "value": "db2.internal", "version": 2})
    );
    let missing = call(http.get(url("/settings/db/port"))).await.expect(404);
    assert_eq!(missing.json(), json!({"message": "no such setting"}));

    let all = call(http.get(url("/settings"))).await.expect(200);
    assert_eq!(
        all.json(),
        json!({"db/host": "db2.internal", "feature/banner": "it's \"on\""})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kafka_rest_example_proxies_topics_partitions_and_produce() {
    use crate::support::recorder::{Recorder, Reply};

    let backend = Recorder::start();
    // The example with its REST proxy's address replaced by the recorder's.
    let text = std::fs::read_to_string(example("kafka-rest.yaml")).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("kafka_rest:"))
        .expect("the example names its REST proxy in a stage variable");
    let config = crate::support::write_config(
        "kafka-rest",
        &text.replace(line, &format!("    kafka_rest: {}", backend.url())),
    );
    let gateway = Gateway::start(crate::support::GatewayOptions {
        config: &config,
        env: Vec::new(),
    });
    let http = client();
    let url = |path: &str| gateway.url(path);
    let kafka = |status: u16, body: Value| Reply {
        status,
        headers: vec![(
            "Content-Type".into(),
            "application/vnd.kafka.v2+json".into(),
        )],
        body: body.to_string().into_bytes(),
    };

    backend.reply(kafka(200, json!(["orders", "payments"])));
    let topics = call(http.get(url("/topics"))).await.expect(200);
    assert_eq!(topics.json(), json!(["orders", "payments"]));
    assert_eq!(
        topics.header("content-type"),
        "application/vnd.kafka.v2+json"
    );
    let received = backend.last();
    assert_eq!(
        (received.method.as_str(), received.target.as_str()),
        ("GET", "/topics")
    );
    // The mapping on top: the REST proxy sees the gateway's request id.
    assert_eq!(received.header("x-request-id"), [topics.request_id()]);

    let partitions = json!([
        {"partition": 0, "leader": 1, "replicas": [{"broker": 1, "leader": true, "in_sync": true}]},
        {"partition": 1, "leader": 2, "replicas": [{"broker": 2, "leader": true, "in_sync": true}]}
    ]);
    backend.reply(kafka(200, partitions.clone()));
    let listed = call(http.get(url("/topics/orders/partitions")))
        .await
        .expect(200);
    assert_eq!(listed.json(), partitions);
    assert_eq!(backend.last().target, "/topics/orders/partitions");

    let records = r#"{"records":[{"key":"o-1","value":{"qty":2}},{"value":{"qty":1}}]}"#;
    backend.reply(kafka(
        200,
        json!({"key_schema_id": null, "value_schema_id": null,
               "offsets": [{"partition": 1, "offset": 41}, {"partition": 1, "offset": 42}]}),
    ));
    let produced = call(
        http.post(url("/topics/orders?partition=1"))
            .header("Content-Type", "application/vnd.kafka.json.v2+json")
            .header("Accept", "application/vnd.kafka.v2+json")
            .body(records),
    )
    .await
    .expect(200);
    assert_eq!(produced.json()["offsets"][1]["offset"], 42);
    let received = backend.last();
    assert_eq!(received.method, "POST");
    assert_eq!(received.target, "/topics/orders?partition=1");
    assert_eq!(received.body, records.as_bytes());
    assert_eq!(
        received.header("content-type"),
        ["application/vnd.kafka.json.v2+json"]
    );
    assert_eq!(received.header("accept"), ["application/vnd.kafka.v2+json"]);

    // The REST proxy's errors reach the client as they are.
    backend.reply(kafka(
        404,
        json!({"error_code": 40401, "message": "Topic nope not found."}),
    ));
    let missing = call(http.get(url("/topics/nope"))).await.expect(404);
    assert_eq!(missing.json()["error_code"], 40401);
    assert_eq!(missing.header("x-amzn-errortype"), "");
}

/// A body every example's request models accept: the union of their
/// required fields (DynamoDB's and Step Functions' `Order`, Lambda's
/// `Deployment`, SSM's `Setting`).
fn any_valid_body() -> Value {
    json!({
        "order": "o-1",
        "items": [{"sku": "tea", "quantity": 1}],
        "product": "tea",
        "quantity": 1,
        "name": "gateway-greeter",
        "runtime": "python3.12",
        "handler": "index.handler",
        "zip": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==",
        "value": "v"
    })
}

/// Every route of example `name`, served against an endpoint that answers
/// every call with 500 and an AWS XML error: the client gets a 5xx. A route
/// with integration responses answers with its own mapping (no
/// `x-amzn-ErrorType`, which only the gateway's own errors carry) and a JSON
/// body, so a default response cannot turn the failure into a success, and
/// the service's XML does not reach a JSON client; a route without them
/// passes the service's status and answer through.
async fn backend_failures_stay_server_errors(name: &str) {
    let backend = crate::support::EchoServer::failing(500);
    let path = example(name);
    let gateway = Gateway::start(crate::support::GatewayOptions {
        config: &path,
        env: vec![
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "secret".to_string()),
            ("AWS_ENDPOINT_URL", backend.url.clone()),
            ("AWS_REGION", "us-east-1".to_string()),
        ],
    });
    let config: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let http = client();
    let mut checked = 0;
    for (resource, methods) in config["resources"].as_mapping().unwrap() {
        let resource = resource.as_str().unwrap();
        // `{name}` and `{name+}` filled with plain values.
        let concrete: String = resource
            .split('/')
            .map(|segment| match segment.strip_prefix('{') {
                Some(p) if p.ends_with("+}") => "a/b.txt",
                Some(_) => "x-1",
                None => segment,
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, settings) in methods.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            let integration = &settings["integration"];
            let media_type = integration["request_templates"]
                .as_mapping()
                .and_then(|t| t.keys().next())
                .and_then(|k| k.as_str())
                .unwrap_or("application/json")
                .to_string();
            let body = if media_type == "application/x-www-form-urlencoded" {
                "order=o-1&note=a+b".to_string()
            } else {
                any_valid_body().to_string()
            };
            let request = http
                .request(method.parse().unwrap(), gateway.url(&concrete))
                .header("Content-Type", &media_type)
                .header("Receipt-Handle", "r-1")
                .body(body);
            let reply = call(request).await;
            let route = format!("{name}: {method} {resource}");
            assert!(
                (500..600).contains(&reply.status),
                "{route}: {} {}",
                reply.status,
                reply.text
            );
            let mapped = integration["responses"]
                .as_sequence()
                .is_some_and(|r| !r.is_empty());
            if mapped {
                assert_eq!(
                    reply.header("x-amzn-errortype"),
                    "",
                    "{route}: {}",
                    reply.text
                );
                if method != "HEAD" {
                    serde_json::from_str::<Value>(&reply.text)
                        .unwrap_or_else(|e| panic!("{route}: not JSON ({e}): {}", reply.text));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "{name} has no routes");
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("dynamodb.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("eventbridge.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn firehose_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("firehose.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("lambda.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("s3.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("sns.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("sqs.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ssm_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("ssm.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stepfunctions_example_keeps_backend_failures_server_errors() {
    backend_failures_stay_server_errors("stepfunctions.yaml").await;
}
