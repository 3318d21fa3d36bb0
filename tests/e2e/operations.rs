//! Operating the gateway: the admin listener's health, readiness and
//! metrics; reloads under load; draining on SIGTERM; one owner per port;
//! access logs.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Gateway, GatewayOptions, Moto, client, json_body, root_config, stream_records, tempdir,
    write_config,
};

const ADMIN: &[&str] = &["--admin-listen", "127.0.0.1:0"];

/// A mock API: `GET /ping` answers `{"version": N}`, and with `added`,
/// `GET /added` answers `{"added": true}`.
fn mock_api(version: u32, added: bool) -> String {
    let mut text = format!(
        r#"resources:
  /ping:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: '{{"statusCode": 200}}'
        responses:
          - status: 200
            response_templates:
              application/json: '{{"version": {version}}}'
"#
    );
    if added {
        text.push_str(
            r#"  /added:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
        responses:
          - status: 200
            response_templates:
              application/json: '{"added": true}'
"#,
        );
    }
    text
}

/// Replaces a file the way deployment tools do: a new file renamed over it.
fn replace(path: &Path, text: &str) {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// Waits until the gateway's log has `count` lines containing `needle`.
fn wait_for_log(gateway: &Gateway, needle: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = gateway
            .process
            .log_text()
            .lines()
            .filter(|l| l.contains(needle))
            .count();
        if seen >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited for {count} log lines with `{needle}`, saw {seen}:\n{}",
            gateway.process.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A bounded load: `tasks` clients sending `GET url` in a loop until told to
/// stop, counting answers that were 200 and everything else.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(url: String, tasks: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let handles = (0..tasks)
            .map(|_| {
                let (stop, ok, failed, failures, url) = (
                    stop.clone(),
                    ok.clone(),
                    failed.clone(),
                    failures.clone(),
                    url.clone(),
                );
                tokio::spawn(async move {
                    let http = client();
                    // Bounded: at most 100,000 requests per task.
                    for _ in 0..100_000 {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        match http.get(&url).send().await {
                            Ok(response) if response.status() == 200 => {
                                ok.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(response) => {
                                failed.fetch_add(1, Ordering::SeqCst);
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("status {}", response.status()));
                            }
                            Err(e) => {
                                failed.fetch_add(1, Ordering::SeqCst);
                                failures.lock().unwrap().push(e.to_string());
                            }
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            ok,
            failed,
            failures,
            tasks: handles,
        }
    }

    /// Stops the clients; returns (answered with 200, anything else).
    async fn finish(self) -> (usize, usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        (
            self.ok.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
            failures,
        )
    }
}

fn mock_options(config: &Path) -> GatewayOptions<'_> {
    GatewayOptions {
        config,
        env: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_reloads_under_load_fail_no_request_and_serve_added_routes() {
    let config = write_config("reload", &mock_api(0, false));
    let gateway = Gateway::start_with_args(mock_options(&config), ADMIN);
    let http = client();
    assert_eq!(
        http.get(gateway.url("/added"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let load = Load::start(gateway.url("/ping"), 4);
    for n in 1..=10u32 {
        // Let requests flow between reloads.
        let before = load.ok.load(Ordering::SeqCst);
        while load.ok.load(Ordering::SeqCst) < before + 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        replace(&config, &mock_api(n, n >= 5));
        gateway.process.signal("HUP");
        wait_for_log(&gateway, "configuration reloaded", n as usize);
    }
    let (ok, failed, failures) = load.finish().await;
    assert_eq!(failed, 0, "failed requests during reloads: {failures:?}");
    assert!(ok >= 200, "only {ok} requests were answered");

    // The last reload is what is served now.
    let body = json_body(http.get(gateway.url("/ping")).send().await.unwrap()).await;
    assert_eq!(body, json!({"version": 10}));
    let response = http.get(gateway.url("/added")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(response).await, json!({"added": true}));

    let log = gateway.process.log_text();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("added: [GET /added]"))
            .count(),
        1,
        "{log}"
    );
    assert_eq!(
        gateway
            .metric(r#"gateway_config_reloads_total{result="ok"}"#)
            .await,
        10.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_config_on_reload_leaves_the_old_api_serving() {
    let config = write_config("reload-broken", &mock_api(1, false));
    let gateway = Gateway::start_with_args(mock_options(&config), ADMIN);
    let broken = mock_api(2, true).replace("type: mock\n", "type: mock\n        colour: blue\n")
        + "  /bad:\n    GET:\n      integration:\n        type: mock\n        request_templates:\n          application/json: '#if('\n";
    replace(&config, &broken);
    gateway.process.signal("HUP");
    wait_for_log(&gateway, "reload failed", 1);

    let body = json_body(client().get(gateway.url("/ping")).send().await.unwrap()).await;
    assert_eq!(body, json!({"version": 1}));
    assert_eq!(
        client()
            .get(gateway.url("/added"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let log = gateway.process.log_text();
    let file = config.display().to_string();
    // Every problem, each with its place in the file.
    assert!(
        log.contains(&format!("{file}:6:9")) && log.contains("unknown field `colour`"),
        "{log}"
    );
    assert!(log.contains("template error"), "{log}");
    assert_eq!(
        gateway
            .metric(r#"gateway_config_reloads_total{result="error"}"#)
            .await,
        1.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listen_address_changed_by_a_reload_asks_for_a_restart() {
    let config = write_config(
        "reload-listen",
        &format!("listen: 127.0.0.1:8181\n{}", mock_api(1, false)),
    );
    let gateway = Gateway::start(mock_options(&config));
    replace(
        &config,
        &format!("listen: 127.0.0.1:8282\n{}", mock_api(2, false)),
    );
    gateway.process.signal("HUP");
    wait_for_log(&gateway, "configuration reloaded", 1);
    let log = gateway.process.log_text();
    assert!(
        log.contains("`listen` changed from 127.0.0.1:8181 to 127.0.0.1:8282 in the file; the listener stays as it is: restart the gateway to apply it"),
        "{log}"
    );
    // The rest of the file is applied, on the same port.
    let body = json_body(client().get(gateway.url("/ping")).send().await.unwrap()).await;
    assert_eq!(body, json!({"version": 2}));
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_exactly_the_requests_sent_by_resource_template() {
    let moto = Moto::start();
    let gateway = Gateway::start_with_args(
        GatewayOptions {
            config: &root_config(),
            env: vec![
                ("AWS_ACCESS_KEY_ID", moto.key.id.clone()),
                ("AWS_SECRET_ACCESS_KEY", moto.key.secret.clone()),
                ("AWS_ENDPOINT_URL", moto.url.clone()),
                ("AWS_REGION", "us-east-1".to_string()),
            ],
        },
        ADMIN,
    );
    let http = client();
    for (path, status) in [("/health", 200), ("/ready", 200), ("/metrics", 200)] {
        let response = http.get(gateway.admin(path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    // The admin endpoints are not on the API's port.
    assert_eq!(
        http.get(gateway.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let record = r#"gateway_requests_total{method="PUT",resource="/streams/{stream-name}/record",status="200"}"#;
    let describe =
        r#"gateway_requests_total{method="GET",resource="/streams/{stream-name}",status="200"}"#;
    let unmatched = r#"gateway_requests_total{method="GET",resource="(unmatched)",status="404"}"#;
    let not_found = r#"gateway_errors_total{type="RESOURCE_NOT_FOUND"}"#;
    let record_count = r#"gateway_request_duration_seconds_count{method="PUT",resource="/streams/{stream-name}/record"}"#;
    let kinesis = r#"gateway_integration_duration_seconds_count{service="kinesis"}"#;
    let samples = [
        record,
        describe,
        unmatched,
        not_found,
        record_count,
        kinesis,
    ];
    let mut before = Vec::new();
    for sample in samples {
        before.push(gateway.metric(sample).await);
    }
    // The admin check above sent one request to the API's port: a 404.
    assert_eq!(before, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);

    let response = http
        .post(gateway.url("/streams/metered"))
        .json(&json!({"ShardCount": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for n in 0..5 {
        let response = http
            .put(gateway.url("/streams/metered/record"))
            .json(&json!({"Data": format!("r{n}"), "PartitionKey": "k"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for _ in 0..3 {
        let response = http
            .get(gateway.url("/streams/metered"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for path in ["/nowhere", "/streams/metered/record/extra"] {
        let response = http.get(gateway.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }

    let mut moved = Vec::new();
    for (sample, before) in samples.into_iter().zip(before) {
        moved.push(gateway.metric(sample).await - before);
    }
    // Five PutRecord, three DescribeStream, two unmatched paths; the
    // integration ran for CreateStream, PutRecord and DescribeStream.
    assert_eq!(moved, [5.0, 3.0, 2.0, 2.0, 5.0, 9.0]);
    assert_eq!(gateway.metric("gateway_inflight_requests").await, 0.0);
    // The raw paths never become labels.
    let text = http
        .get(gateway.admin("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("metered"), "{text}");
    assert!(!text.contains("/nowhere"), "{text}");
    // Every request is counted by the worker that served it: the 1 + 1 + 5
    // + 3 + 2 above, over however many workers the machine has.
    let per_worker: f64 = text
        .lines()
        .filter(|line| line.starts_with("gateway_worker_requests_total{worker=\""))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(per_worker, 12.0, "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_load_loses_no_acknowledged_record() {
    let moto = Moto::start();
    let mut gateway = Gateway::start_with_args(
        GatewayOptions {
            config: &root_config(),
            env: vec![
                ("AWS_ACCESS_KEY_ID", moto.key.id.clone()),
                ("AWS_SECRET_ACCESS_KEY", moto.key.secret.clone()),
                ("AWS_ENDPOINT_URL", moto.url.clone()),
                ("AWS_REGION", "us-east-1".to_string()),
            ],
        },
        ADMIN,
    );
    // One stream per client task: moto's PutRecord is not safe for
    // concurrent writes to one shard (its own comment says so), and two
    // records could take one sequence number there.
    for task in 0..4 {
        let response = client()
            .post(gateway.url(&format!("/streams/drained-{task}")))
            .json(&json!({"ShardCount": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(usize, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let (acknowledged, stop, url) = (
                acknowledged.clone(),
                stop.clone(),
                gateway.url(&format!("/streams/drained-{task}/record")),
            );
            tokio::spawn(async move {
                let http = client();
                for n in 0..2_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let data = format!("task{task}-record{n}");
                    let sent = http
                        .put(&url)
                        .json(&json!({"Data": data, "PartitionKey": "k"}))
                        .send()
                        .await;
                    let Ok(response) = sent else { break };
                    if response.status() != 200 {
                        break;
                    }
                    let body: Value = response.json().await.unwrap();
                    assert!(body["SequenceNumber"].is_string(), "{body}");
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((task, format!("\"{data}\"")));
                }
            })
        })
        .collect();

    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gateway.process.signal("TERM");
    let status = gateway
        .process
        .wait(Duration::from_secs(30))
        .expect("the gateway did not exit within 30 s of SIGTERM");
    assert_eq!(status.code(), Some(0), "{}", gateway.process.log_text());
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let log = gateway.process.log_text();
    assert!(log.contains("SIGTERM received: draining"), "{log}");

    // A second gateway reads the streams back.
    let reader = Gateway::against_moto(&root_config(), &moto, &moto.key.secret);
    let mut stored = Vec::new();
    for task in 0..4 {
        let records = stream_records(&reader, &format!("drained-{task}")).await;
        stored.push(
            records
                .into_iter()
                .map(|(_, data)| data)
                .collect::<BTreeSet<_>>(),
        );
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|(task, data)| !stored[*task].contains(data))
        .map(|(_, data)| data)
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged records are not in the stream: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_turns_503_while_draining_and_in_flight_requests_finish() {
    // A backend that answers only when told to.
    let backend = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let backend_url = format!("http://{}", backend.local_addr().unwrap());
    let (release, released) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        let (mut stream, _) = backend.accept().unwrap();
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer);
        let _ = released.recv();
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}",
        );
    });
    let config = write_config(
        "drain",
        &format!(
            "resources:\n  /slow:\n    GET:\n      integration:\n        type: http\n        uri: {backend_url}/slow\n"
        ),
    );
    let mut gateway = Gateway::start_with_args(mock_options(&config), ADMIN);
    let http = client();
    let in_flight = tokio::spawn({
        let url = gateway.url("/slow");
        let http = http.clone();
        async move { http.get(url).send().await }
    });
    // Wait until the request is in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while gateway.metric("gateway_inflight_requests").await < 1.0 {
        assert!(Instant::now() < deadline, "the request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        http.get(gateway.admin("/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    gateway.process.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = http
            .get(gateway.admin("/ready"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "/ready stayed {status}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Health stays green while draining; the API's port no longer accepts.
    assert_eq!(
        http.get(gateway.admin("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(http.get(gateway.url("/slow")).send().await.is_err());

    release.send(()).unwrap();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(response).await, json!({"ok": true}));
    let status = gateway.process.wait(Duration::from_secs(10)).unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_on_a_used_port_exits_non_zero() {
    let config = write_config("port", &mock_api(1, false));
    let first = Gateway::start(mock_options(&config));
    let address = first.url.trim_start_matches("http://").to_string();
    let mut second = Gateway::command(&mock_options(&config))
        .args(["--listen", &address])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second gateway started on {address}, which the first one serves");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot listen on {address}: another process is already listening there"
        )),
        "{stderr}"
    );
    // The first one still serves.
    let body = json_body(client().get(first.url("/ping")).send().await.unwrap()).await;
    assert_eq!(body, json!({"version": 1}));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_access_log_has_one_line_per_request_with_numbers() {
    let dir = tempdir("access-log");
    let log_path = dir.join("access.log");
    let config = dir.join("gateway.yaml");
    std::fs::write(
        &config,
        format!(
            "access_log:\n  format: json\n  destination: {}\n{}",
            log_path.display(),
            mock_api(3, false)
        ),
    )
    .unwrap();
    let mut gateway = Gateway::start(mock_options(&config));
    let http = client();
    let response = http
        .get(gateway.url("/ping"))
        .header("User-Agent", "probe \"quoted\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        http.get(gateway.url("/nowhere"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    gateway.process.terminate(Duration::from_secs(10)).unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let ok = &lines[0];
    assert_eq!(ok["requestId"], request_id.as_str());
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["httpMethod"], "GET");
    assert_eq!(ok["resourcePath"], "/ping");
    assert_eq!(ok["path"], "/ping");
    assert_eq!(ok["responseLength"], 14);
    assert!(ok["responseLatency"].is_u64(), "{ok}");
    assert_eq!(ok["userAgent"], "probe \"quoted\"");
    assert_eq!(ok["ip"], "127.0.0.1");
    let missing = &lines[1];
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["errorType"], "RESOURCE_NOT_FOUND");
    assert_eq!(missing["resourcePath"], "-");
    // Nothing else reached the process's own log.
    assert!(!gateway.process.log_text().contains("/ping"));
}
