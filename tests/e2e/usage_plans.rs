//! API keys, usage plans and throttles, end to end: the real binary in front
//! of a recording backend, with state in memory or in a real Redis.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::recorder::Recorder;
use crate::support::redis::Redis;
use crate::support::{Gateway, GatewayOptions, client, json_body, tempdir, write_config};

const KEY_A: &str = "pa-7Hq2Lm9Xv4Rt8Ws1Yz6Kb3";
const KEY_B: &str = "pb-2Nd5Fg8Jk1Mp4Qs7Tv0Wx3";
const KEY_C: &str = "pc-9Zc6Vb3Nm0Lk7Jh4Gf1Ds8";

/// The gateway on `config`, with an admin listener and `env`.
fn start(config: &Path, env: Vec<(&str, String)>) -> Gateway {
    Gateway::start_with_args(
        GatewayOptions { config, env },
        &["--admin-listen", "127.0.0.1:0", "--workers", "2"],
    )
}

/// A GET with `key` in `x-api-key`: the status and the body.
async fn get(gateway: &Gateway, path: &str, key: Option<&str>) -> (u16, Value, String) {
    let mut request = client().get(gateway.url(path));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, json_body(response).await, request_id)
}

async fn usage(gateway: &Gateway) -> Value {
    let response = client().get(gateway.admin("/usage")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    json_body(response).await
}

#[tokio::test]
async fn keys_missing_wrong_or_disabled_are_forbidden_and_reach_nothing() {
    let backend = Recorder::start();
    let dir = tempdir("keys");
    let key_file = dir.join("partner-b.key");
    std::fs::write(&key_file, format!("{KEY_B}\n")).unwrap();
    let config = write_config(
        "keys",
        &format!(
            r#"
api_keys:
  partner-a:
    value_env: PARTNER_A_KEY
  partner-b:
    value_file: {}
  partner-c:
    value: {KEY_C}
    enabled: false
usage_plans:
  gold:
    api_keys: [partner-a, partner-b, partner-c]
resources:
  /things:
    GET:
      api_key_required: true
      integration:
        type: http
        uri: {}/things
        request_parameters:
          integration.request.header.X-Key-Id: context.identity.apiKeyId
  /open:
    GET:
      integration:
        type: http
        uri: {}/open
        request_parameters:
          integration.request.header.X-Key-Id: "'none'"
"#,
            key_file.display(),
            backend.url(),
            backend.url()
        ),
    );
    let gateway = start(&config, vec![("PARTNER_A_KEY", KEY_A.to_string())]);

    let mut refused = Vec::new();
    for (key, cause) in [
        (None, "no API key"),
        (Some("pa-not-a-key-at-all-0000000"), "matches no API key"),
        (Some(KEY_C), "API key `partner-c` is disabled"),
    ] {
        let (status, body, request_id) = get(&gateway, "/things", key).await;
        assert_eq!(status, 403, "{key:?}");
        assert_eq!(body, json!({"message": "Forbidden"}), "{key:?}");
        let line = gateway.log_line(&request_id, "INVALID_API_KEY");
        assert!(line.contains(cause), "{line}");
        assert!(line.contains("GET /things"), "{line}");
        refused.push(request_id);
    }
    assert_eq!(backend.count(), 0, "a refused request reaches nothing");

    for (key, id) in [(KEY_A, "partner-a"), (KEY_B, "partner-b")] {
        let (status, _, _) = get(&gateway, "/things", Some(key)).await;
        assert_eq!(status, 200);
        assert_eq!(backend.last().header("x-key-id"), [id]);
    }
    // A method that requires no key takes requests without one.
    assert_eq!(get(&gateway, "/open", None).await.0, 200);
    assert_eq!(backend.count(), 3);

    // Names everywhere, values nowhere: not in the log, the access log, the
    // usage report or `gateway validate`'s output.
    let report = usage(&gateway).await;
    assert_eq!(
        report["usage_plans"]["gold"]["keys"]["partner-c"]["enabled"],
        false
    );
    let validate = std::process::Command::new(Gateway::binary())
        .args(["validate", "--config"])
        .arg(&config)
        .env("PARTNER_A_KEY", KEY_A)
        .output()
        .unwrap();
    assert!(validate.status.success(), "{validate:?}");
    let outputs = [
        gateway.process.log_text(),
        gateway.process.stdout_text(),
        report.to_string(),
        String::from_utf8_lossy(&validate.stdout).into_owned(),
        String::from_utf8_lossy(&validate.stderr).into_owned(),
    ];
    for text in outputs {
        for key in [KEY_A, KEY_B, KEY_C] {
            assert!(!text.contains(key), "a key value in:\n{text}");
        }
    }
}

/// Sends `per_second` GETs a second for `seconds`, spread over `gateways`
/// in turn, each at its own instant. Returns the statuses and how long the
/// sending took, first request to last.
async fn drive(
    gateways: &[&Gateway],
    path: &str,
    key: &str,
    per_second: u32,
    seconds: u32,
) -> (Vec<u16>, Duration) {
    let http = client();
    let total = per_second * seconds;
    let gap = Duration::from_secs(1) / per_second;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until((started + gap * i).into()).await;
        let request = http
            .get(gateways[i as usize % gateways.len()].url(path))
            .header("x-api-key", key)
            .send();
        tasks.push(tokio::spawn(async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            if status == 429 {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body, json!({"message": "Too Many Requests"}));
            }
            status
        }));
    }
    let span = started.elapsed();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    (statuses, span)
}

/// What a token bucket of `burst` refilled at `rate` admits over `span`.
fn expected_passes(rate: f64, burst: f64, span: Duration) -> f64 {
    burst + rate * span.as_secs_f64()
}

/// Checks that 200s and 429s alone were answered, that the 200s are the
/// bucket's rate within 15%, and that the backend saw exactly the 200s.
///
/// The tolerance: the bucket itself is exact (its unit tests count to the
/// request), so what varies is when requests reach it. The expected count
/// uses the span the client actually took to send, so a client that falls
/// behind on a busy machine moves the expectation with it; what is left is
/// arrival jitter at the ends of the span (a few requests out of about a
/// hundred) and, across replicas, Redis's single clock. 15% is the issue's
/// bound and about three times that.
fn check_rate(statuses: &[u16], span: Duration, backend: &Recorder, rate: f64, burst: f64) {
    let passed = statuses.iter().filter(|s| **s == 200).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        passed + throttled,
        statuses.len(),
        "only 200 and 429: {statuses:?}"
    );
    let expected = expected_passes(rate, burst, span);
    let per_second = passed as f64 / span.as_secs_f64();
    eprintln!(
        "{passed} of {} passed in {span:?} ({per_second:.1}/s); expected {expected:.0}",
        statuses.len()
    );
    assert!(
        (passed as f64 - expected).abs() <= expected * 0.15,
        "{passed} passed in {span:?} ({per_second:.1}/s); a bucket of {burst} at {rate}/s admits {expected:.0}"
    );
    assert_eq!(
        backend.count(),
        passed,
        "nothing but the admitted requests reaches the backend"
    );
}

fn rate_config(backend: &Recorder, state: &str) -> String {
    format!(
        r#"
{state}
api_keys:
  partner-a:
    value: {KEY_A}
usage_plans:
  gold:
    api_keys: [partner-a]
    throttle: {{rate: 100, burst: 200}}
    method_throttles:
      "GET /things": {{rate: 20, burst: 5}}
stage:
  throttle: {{rate: 1000, burst: 2000}}
resources:
  /things:
    GET:
      api_key_required: true
      integration:
        type: http
        uri: {}/things
"#,
        backend.url()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_throttle_holds_its_rate_across_workers() {
    let backend = Recorder::start();
    let config = write_config("rate", &rate_config(&backend, ""));
    let gateway = start(&config, Vec::new());
    let (statuses, span) = drive(&[&gateway], "/things", KEY_A, 100, 5).await;
    check_rate(&statuses, span, &backend, 20.0, 5.0);
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        gateway
            .metric(r#"gateway_throttled_requests_total{scope="plan_method"}"#)
            .await as usize,
        refused
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_hold_one_rate() {
    let redis = Redis::start();
    let backend = Recorder::start();
    let state = format!("state:\n  redis_url: {}\n", redis.url);
    let config = write_config("replicas", &rate_config(&backend, &state));
    let first = start(&config, Vec::new());
    let second = start(&config, Vec::new());
    let (statuses, span) = drive(&[&first, &second], "/things", KEY_A, 100, 5).await;
    check_rate(&statuses, span, &backend, 20.0, 5.0);
    // Both replicas admitted some: the limit is shared, not split.
    for gateway in [&first, &second] {
        let passed = gateway
            .metric(r#"gateway_requests_total{method="GET",resource="/things",status="200"}"#)
            .await;
        assert!(passed > 10.0, "{passed}");
    }
}

fn quota_config(backend: &Recorder, state: &str, limit: u64) -> String {
    format!(
        r#"
{state}
api_keys:
  partner-a:
    value: {KEY_A}
usage_plans:
  gold:
    api_keys: [partner-a]
    quota: {{limit: {limit}, period: day}}
gateway_responses:
  QUOTA_EXCEEDED:
    response_templates:
      application/json: '{{"message": $context.error.messageString, "key": "$context.identity.apiKeyId"}}'
resources:
  /things:
    GET:
      api_key_required: true
      integration:
        type: http
        uri: {}/things
"#,
        backend.url()
    )
}

async fn expect_quota_exceeded(gateway: &Gateway) {
    let (status, body, request_id) = get(gateway, "/things", Some(KEY_A)).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"message": "Limit Exceeded", "key": "partner-a"})
    );
    let line = gateway.log_line(&request_id, "QUOTA_EXCEEDED");
    assert!(line.contains("quota of"), "{line}");
}

#[tokio::test]
async fn a_quota_survives_a_gateway_restart_with_redis() {
    let redis = Redis::start();
    let backend = Recorder::start();
    let state = format!("state:\n  redis_url: {}\n", redis.url);
    let config = write_config("quota-redis", &quota_config(&backend, &state, 50));
    let mut gateway = start(&config, Vec::new());
    for n in 1..=50 {
        assert_eq!(
            get(&gateway, "/things", Some(KEY_A)).await.0,
            200,
            "request {n}"
        );
    }
    expect_quota_exceeded(&gateway).await;
    let report = usage(&gateway).await;
    let key = &report["usage_plans"]["gold"]["keys"]["partner-a"];
    assert_eq!(
        (key["used"].as_u64(), key["remaining"].as_u64()),
        (Some(50), Some(0))
    );
    assert_eq!(
        gateway
            .metric("gateway_quota_exceeded_requests_total")
            .await,
        1.0
    );

    gateway.process.terminate(Duration::from_secs(10));
    let gateway = start(&config, Vec::new());
    expect_quota_exceeded(&gateway).await;
    assert_eq!(
        usage(&gateway).await["usage_plans"]["gold"]["keys"]["partner-a"]["used"],
        50
    );
    assert_eq!(backend.count(), 50);
}

#[tokio::test]
async fn a_quota_in_memory_holds_across_a_reload() {
    let backend = Recorder::start();
    let config = write_config("quota-memory", &quota_config(&backend, "", 3));
    let gateway = start(&config, Vec::new());
    for _ in 0..3 {
        assert_eq!(get(&gateway, "/things", Some(KEY_A)).await.0, 200);
    }
    expect_quota_exceeded(&gateway).await;
    gateway.process.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gateway.process.log_text().contains("1 of 1 quota counters") {
        assert!(Instant::now() < deadline, "{}", gateway.process.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    expect_quota_exceeded(&gateway).await;
    assert_eq!(backend.count(), 3);
}

#[tokio::test]
async fn redis_stopped_mid_run_applies_the_policy_and_logs_it_until_it_is_back() {
    let mut redis = Redis::start();
    let backend = Recorder::start();
    let gateway = |policy: &str| {
        let state = format!(
            "state:\n  redis_url: {}\n  on_redis_error: {policy}\n  redis_timeout_ms: 200\n",
            redis.url
        );
        let config = write_config(&format!("redis-{policy}"), &rate_config(&backend, &state));
        start(&config, Vec::new())
    };
    let (open, closed) = (gateway("allow"), gateway("deny"));
    for gateway in [&open, &closed] {
        assert_eq!(get(gateway, "/things", Some(KEY_A)).await.0, 200);
    }
    redis.stop();

    let (status, _, request_id) = get(&open, "/things", Some(KEY_A)).await;
    assert_eq!(status, 200, "fail open");
    let line = open.log_line(&request_id, "Redis did not answer");
    assert!(line.contains("GET /things"), "{line}");
    assert_eq!(
        open.metric(r#"gateway_redis_errors_total{policy="allow"}"#)
            .await,
        1.0
    );

    let (status, body, request_id) = get(&closed, "/things", Some(KEY_A)).await;
    assert_eq!(status, 503, "fail closed");
    assert_eq!(body, json!({"message": "Service Unavailable"}));
    let line = closed.log_line(&request_id, "on_redis_error` is deny");
    assert!(line.contains("GET /things"), "{line}");
    assert_eq!(
        closed
            .metric(r#"gateway_redis_errors_total{policy="deny"}"#)
            .await,
        1.0
    );
    assert_eq!(backend.count(), 3, "the denied request reached nothing");

    // Redis back: after the rest that follows a failure, requests use it
    // again, the fail-closed gateway's included.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if get(&closed, "/things", Some(KEY_A)).await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "{}", closed.process.log_text());
    }
}

/// What keys and throttles cost per request, measured: the same mock route
/// with no limits, with a key, three throttles and a quota in memory, and
/// with them in Redis; sequential requests on one keep-alive connection, one
/// worker. Prints mean and p99 latency and the gateway's (and Redis's) CPU
/// per request. Timing-dependent, so not part of the suite:
/// `cargo test -p gateway --test e2e measure_limit_costs -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn measure_limit_costs() {
    const REQUESTS: usize = 5000;
    let redis = Redis::start();
    let limits = format!(
        r#"
api_keys:
  partner-a:
    value: {KEY_A}
usage_plans:
  gold:
    api_keys: [partner-a]
    throttle: {{rate: 100000, burst: 100000}}
    quota: {{limit: 100000000, period: month}}
    method_throttles:
      "GET /things": {{rate: 100000, burst: 100000}}
stage:
  throttle: {{rate: 100000, burst: 100000}}
"#
    );
    let route = |required: bool| {
        format!(
            "resources:\n  /things:\n    GET:\n      api_key_required: {required}\n      integration:\n        type: mock\n        request_templates:\n          application/json: '{{\"statusCode\": 200}}'\n"
        )
    };
    let configs = [
        ("no limits", route(false)),
        ("key + limits in memory", format!("{limits}{}", route(true))),
        (
            "key + limits in Redis",
            format!(
                "state:\n  redis_url: {}\n{limits}{}",
                redis.url,
                route(true)
            ),
        ),
    ];
    for (name, yaml) in configs {
        let config = write_config("measure", &format!("access_log:\n  enabled: false\n{yaml}"));
        let gateway = Gateway::start_with_args(
            GatewayOptions {
                config: &config,
                env: Vec::new(),
            },
            &["--workers", "1"],
        );
        let http = client();
        let send = || {
            http.get(gateway.url("/things"))
                .header("x-api-key", KEY_A)
                .send()
        };
        for _ in 0..200 {
            assert_eq!(send().await.unwrap().status(), 200, "{name}");
        }
        let (cpu, redis_cpu) = (gateway.process.cpu_time(), redis.process.cpu_time());
        let mut latencies = Vec::with_capacity(REQUESTS);
        for _ in 0..REQUESTS {
            let started = Instant::now();
            let response = send().await.unwrap();
            assert_eq!(response.status(), 200, "{name}");
            response.bytes().await.unwrap();
            latencies.push(started.elapsed());
        }
        let cpu = (gateway.process.cpu_time() - cpu) / REQUESTS as u32;
        let redis_cpu = (redis.process.cpu_time() - redis_cpu) / REQUESTS as u32;
        latencies.sort();
        let mean = latencies.iter().sum::<Duration>() / REQUESTS as u32;
        let p99 = latencies[REQUESTS * 99 / 100];
        println!(
            "{name:>24}: mean {:>6.1} µs, p99 {:>6.1} µs, gateway CPU {:>5.1} µs/request, Redis CPU {:>5.1} µs/request",
            mean.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            cpu.as_secs_f64() * 1e6,
            redis_cpu.as_secs_f64() * 1e6
        );
    }
}

/// Without keys: the stage's throttle is each method's default, a method's
/// own throttle replaces it, and each method has a bucket of its own.
#[tokio::test]
async fn stage_and_method_throttles_apply_without_keys() {
    let backend = Recorder::start();
    let config = write_config(
        "keyless",
        &format!(
            r#"
stage:
  throttle: {{rate: 0.01, burst: 3}}
resources:
  /default:
    GET:
      integration: {{type: http, uri: '{0}/default'}}
  /other:
    GET:
      integration: {{type: http, uri: '{0}/other'}}
  /own:
    GET:
      throttle: {{rate: 0.01, burst: 1}}
      integration: {{type: http, uri: '{0}/own'}}
"#,
            backend.url()
        ),
    );
    let gateway = start(&config, Vec::new());
    let mut statuses = Vec::new();
    for path in ["/default", "/own", "/other"] {
        let mut answered = Vec::new();
        for _ in 0..4 {
            let (status, body, _) = get(&gateway, path, None).await;
            if status == 429 {
                assert_eq!(body, json!({"message": "Too Many Requests"}));
            }
            answered.push(status);
        }
        statuses.push(answered);
    }
    assert_eq!(
        statuses,
        [
            [200, 200, 200, 429],
            [200, 429, 429, 429],
            [200, 200, 200, 429],
        ]
    );
    assert_eq!(backend.count(), 7);
    assert_eq!(
        gateway
            .metric(r#"gateway_throttled_requests_total{scope="method"}"#)
            .await,
        5.0
    );
}
