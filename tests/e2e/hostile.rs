//! Clients that hold resources or send ambiguous requests: every connection
//! and body is bounded and timed, and framing the gateway cannot trust is
//! refused.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Gateway, GatewayOptions, client, json_body, write_config};

/// A mock `POST /m` answering `{"ok": true}`, with `limits` on top.
fn mock_api(limits: &str) -> String {
    format!(
        r#"limits:
{limits}
resources:
  /m:
    POST:
      integration:
        type: mock
        request_templates:
          application/json: '{{"statusCode": 200}}'
        responses:
          - status: 200
            response_templates:
              application/json: '{{"ok": true}}'
"#
    )
}

fn start(limits: &str) -> Gateway {
    let config = write_config("hostile", &mock_api(limits));
    Gateway::start(GatewayOptions {
        config: &config,
        env: Vec::new(),
    })
}

fn connect(gateway: &Gateway) -> TcpStream {
    let address = gateway.url.trim_start_matches("http://");
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Sends `bytes`, then reads until the gateway closes the connection;
/// returns what it answered and how long it took to close.
fn send_and_wait_for_close(stream: &mut TcpStream, bytes: &[u8]) -> (String, Duration) {
    let started = Instant::now();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_and_stalled_connections_are_closed_while_others_are_served() {
    let gateway = start("  header_timeout_ms: 1000\n  body_timeout_ms: 1000");
    // Many connections that send nothing or stop in their headers.
    let mut idle: Vec<TcpStream> = (0..100).map(|_| connect(&gateway)).collect();
    let mut stalled: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = connect(&gateway);
            stream
                .write_all(b"POST /m HTTP/1.1\r\nHost: x\r\nContent-")
                .unwrap();
            stream
        })
        .collect();
    // A normal request is still served meanwhile.
    let response = client()
        .post(gateway.url("/m"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body(response).await, json!({"ok": true}));

    // Each is closed at its timeout: the read sees the end of the stream.
    for stream in idle.iter_mut().chain(stalled.iter_mut()) {
        let (answer, waited) = send_and_wait_for_close(stream, b"");
        assert_eq!(answer, "", "nothing is answered to a request never sent");
        assert!(waited < Duration::from_secs(20), "closed after {waited:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_trickles_past_its_deadline_gets_408() {
    let gateway = start("  body_timeout_ms: 1500");
    let mut stream = connect(&gateway);
    stream
        .write_all(b"POST /m HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        .unwrap();
    // One byte every 100 ms: never idle, never done in time.
    let started = Instant::now();
    let mut answer = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while started.elapsed() < Duration::from_secs(20) {
        if stream.write_all(b" ").is_err() {
            break;
        }
        let mut buffer = [0u8; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("x-amzn-errortype: REQUEST_TIMEOUT\r\n"),
        "{answer}"
    );
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert!(
        answer.contains(r#"{"message":"The request body did not arrive within 1500 ms"}"#),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread")]
async fn ambiguous_framing_gets_400_and_a_closed_connection() {
    let gateway = start("  max_body_bytes: 1000");
    for (request, reason) in [
        (
            &b"POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"[..],
            "both Content-Length and Transfer-Encoding frame the body",
        ),
        (
            // After a clear request on the same connection, the other order.
            &b"POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}POST /m HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n2\r\n{}\r\n0\r\n\r\n"[..],
            "both Content-Length and Transfer-Encoding frame the body",
        ),
        (
            &b"POST /m HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"[..],
            "an HTTP/1.1 request needs a Host header",
        ),
        (
            &b"POST /m HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"[..],
            "more than one Host header",
        ),
    ] {
        let mut stream = connect(&gateway);
        let (answer, _) = send_and_wait_for_close(&mut stream, request);
        // The refusal is the last answer on the connection.
        let refusal = &answer[answer.rfind("HTTP/1.1 400 Bad Request").unwrap_or(0)..];
        assert!(refusal.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
        assert!(refusal.contains("connection: close\r\n"), "{answer}");
        assert!(refusal.contains(reason), "{answer}");
        let id = refusal
            .lines()
            .find_map(|l| l.strip_prefix("x-amzn-requestid: "))
            .unwrap()
            .to_string();
        let line = gateway.log_line(&id, "request refused");
        assert!(line.contains(reason), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unparsable_requests_and_cleartext_http2_are_refused_and_logged() {
    let gateway = start("  max_body_bytes: 1000");
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        // The HTTP/2 prior-knowledge preface: h2c is not served.
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..],
    ] {
        let mut stream = connect(&gateway);
        let (answer, _) = send_and_wait_for_close(&mut stream, request);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = gateway.process.log_text();
        let refused = log
            .lines()
            .filter(|l| l.contains("route=\"- (unparsable request)\"") && l.contains("request_id="))
            .count();
        if refused == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        gateway
            .process
            .log_text()
            .contains("invalid HTTP version parsed (found HTTP2 preface)")
    );
    // And an access-log line each, with its request id.
    let out = gateway
        .process
        .wait_for_stdout("\"- - HTTP/1.1\" 400 0 ", 2);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("\"- - HTTP/1.1\" 400 0 "))
            .count(),
        2,
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_past_the_memory_budget_wait_then_get_503() {
    // Room for two of these bodies at once, not three.
    let gateway = start(
        "  max_body_bytes: 1048576\n  max_inflight_body_bytes: 1500000\n  body_timeout_ms: 20000",
    );
    let head = b"POST /m HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 700000\r\n\r\n";
    let chunk = vec![b' '; 690_000];
    // Two uploads that have sent most of their body and wait.
    let mut holding: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(&gateway);
            stream.write_all(head).unwrap();
            stream.write_all(&chunk).unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut third = connect(&gateway);
    third.write_all(head).unwrap();
    let _ = third.write_all(&chunk);
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("retry-after: 1\r\n"), "{answer}");
    assert!(
        answer.contains("x-amzn-errortype: SERVICE_UNAVAILABLE\r\n"),
        "{answer}"
    );

    // The first two finish normally, and their budget comes back.
    for stream in &mut holding {
        stream.write_all(&vec![b' '; 9_998]).unwrap();
        stream.write_all(b"{}").unwrap();
        let mut buffer = [0u8; 1024];
        let n = stream.read(&mut buffer).unwrap();
        let answer = String::from_utf8_lossy(&buffer[..n]);
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    }
    let response = client()
        .post(gateway.url("/m"))
        .body(format!("{}{{}}", " ".repeat(699_998)))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_past_the_limit_wait_in_the_queue() {
    let config = write_config(
        "max-connections",
        &mock_api("  max_connections: 4\n  header_timeout_ms: 60000"),
    );
    let gateway = Gateway::start_with_args(
        GatewayOptions {
            config: &config,
            env: Vec::new(),
        },
        &["--admin-listen", "127.0.0.1:0"],
    );
    let open = "gateway_open_connections";
    // Eight silent connections: four are taken, four wait in the kernel's
    // queue without costing the gateway a file descriptor.
    let silent: Vec<TcpStream> = (0..8).map(|_| connect(&gateway)).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while gateway.metric(open).await < 4.0 {
        assert!(Instant::now() < deadline, "the limit was never reached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Never more than the limit, while the silent ones come and go.
    for _ in 0..20 {
        let now = gateway.metric(open).await;
        assert!(now <= 4.0, "{now} connections open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once they leave, a normal request is served.
    drop(silent);
    let response = client()
        .post(gateway.url("/m"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body(response).await, json!({"ok": true}));
}

/// A PUT of `body` to `path` through the root gateway.yaml: status, error
/// type and message.
async fn put(gateway: &Gateway, path: &str, body: Vec<u8>) -> (u16, String, String) {
    let response = client()
        .put(gateway.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        kind,
        body["message"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_bodies_are_refused_and_nothing_reaches_kinesis() {
    let moto = crate::support::Moto::start();
    let gateway = Gateway::against_moto(&crate::support::root_config(), &moto, &moto.key.secret);
    let response = client()
        .post(gateway.url("/streams/s"))
        .json(&json!({"ShardCount": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let deep = format!("{{\"Data\": {}", "[".repeat(100_000));
    let mut not_utf8 = br#"{"Data": "caf"#.to_vec();
    not_utf8.extend_from_slice(&[0xe9, b'"', b',', b' ']);
    not_utf8.extend_from_slice(br#""PartitionKey": "k"}"#);
    for (body, message) in [
        (
            br#"{"Data": "#.to_vec(),
            "Invalid request body: the body is not valid JSON: EOF while parsing a value at line 1 column 9",
        ),
        (
            deep.into_bytes(),
            "Invalid request body: the body is not valid JSON: recursion limit exceeded at line 1 column 136",
        ),
        (
            not_utf8,
            "Invalid request body: not UTF-8 text (invalid byte at offset 13)",
        ),
    ] {
        let (status, kind, text) = put(&gateway, "/streams/s/record", body).await;
        assert_eq!((status, kind.as_str()), (400, "BAD_REQUEST_BODY"), "{text}");
        assert_eq!(text, message);
    }
    // More records than a loop may take, and a record too large to send once
    // base64-encoded: the client's doing, so a 4xx, never a 500.
    let records: Vec<serde_json::Value> = (0..1_001)
        .map(|n| json!({"data": format!("r{n}"), "partition-key": "k"}))
        .collect();
    let (status, kind, text) = put(
        &gateway,
        "/streams/s/records",
        serde_json::to_vec(&json!({ "records": records })).unwrap(),
    )
    .await;
    assert_eq!((status, kind.as_str()), (400, "BAD_REQUEST_BODY"), "{text}");
    assert_eq!(
        text,
        "Invalid request body: #foreach over 1001 items: API Gateway allows at most 1000 iterations"
    );
    let large = json!({"Data": "x".repeat(9_000_000), "PartitionKey": "k"});
    let (status, kind, text) = put(
        &gateway,
        "/streams/s/record",
        serde_json::to_vec(&large).unwrap(),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (413, "REQUEST_TOO_LARGE"),
        "{text}"
    );
    assert_eq!(
        text,
        "The integration request for this body would be larger than 10485760 bytes"
    );
    assert_eq!(moto.calls("Action=PutRecord"), 0);
}
