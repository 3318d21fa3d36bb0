//! Credentials that expire within seconds, from a `credential_process`: the
//! gateway runs the process about once per lifetime, not once per request,
//! and keeps serving with the cached credentials while the process fails.
//!
//! The integration is `type: aws` (Kinesis ListStreams) against moto with
//! signature checking on: the process prints temporary credentials that moto's
//! STS issued for the `gateway-writer` role, so moto verifies the signature
//! and the session token of every request. Only the `Expiration` the process
//! prints is short; moto's own expiry of those credentials is an hour away.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Gateway, GatewayOptions, Moto, client, repo_root, tempdir, write_config};

const CONFIG: &str = r#"aws:
  region: us-east-1
resources:
  /streams:
    GET:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/ListStreams
        request_templates:
          application/json: '{}'
"#;

/// Asks moto's STS for temporary credentials of a role, as moto's IAM user.
const ASSUME_ROLE: &str = r#"
import json, os
import botocore.session
sts = botocore.session.get_session().create_client(
    "sts",
    region_name="us-east-1",
    endpoint_url=os.environ["MOTO_URL"],
    aws_access_key_id=os.environ["USER_KEY_ID"],
    aws_secret_access_key=os.environ["USER_SECRET"],
)
c = sts.assume_role(RoleArn=os.environ["ROLE_ARN"], RoleSessionName="credential-process")
c = c["Credentials"]
print(json.dumps([c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]]))
"#;

/// Lifetime of the credentials while the process's runs are counted.
const SHORT_LIFETIME_S: u64 = 4;
/// Lifetime while the process fails for a while: usable for 18 s (a tenth is
/// kept as a safety margin), the refresh is due after 13.5 s (3/4 of that),
/// which leaves 4.5 s in which the failing process is retried while the
/// cached credentials serve.
const OUTAGE_LIFETIME_S: u64 = 20;

struct Keys {
    id: String,
    secret: String,
    token: String,
}

fn moto_venv() -> PathBuf {
    std::env::var_os("GATEWAY_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"))
}

fn assumed_role_keys(moto: &Moto) -> Keys {
    let output = Command::new(moto_venv().join("bin/python"))
        .args(["-c", ASSUME_ROLE])
        .env_clear()
        .env("MOTO_URL", &moto.url)
        .env("USER_KEY_ID", &moto.key.id)
        .env("USER_SECRET", &moto.key.secret)
        .env("ROLE_ARN", &moto.roles["gateway-writer"])
        .output()
        .expect("running moto's python");
    assert!(
        output.status.success(),
        "AssumeRole failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let [id, secret, token]: [String; 3] = serde_json::from_slice(&output.stdout).unwrap();
    assert!(id.starts_with("ASIA"), "not temporary credentials: {id}");
    Keys { id, secret, token }
}

/// The `credential_process` and the files it reads and writes, in `dir`:
/// it appends `ok <lifetime>` or `fail` to `runs` each time it runs, prints
/// `keys` expiring `lifetime` seconds ahead (the number in `lifetime`), and
/// fails while `down` exists.
struct Process {
    dir: PathBuf,
}

impl Process {
    fn write(dir: &Path, keys: &Keys) -> Self {
        let script = dir.join("credential-process.sh");
        std::fs::write(
            &script,
            format!(
                r#"#!/bin/sh
dir='{dir}'
if [ -e "$dir/down" ]; then
    echo fail >> "$dir/runs"
    echo "the credential source is down" >&2
    exit 1
fi
lifetime=$(cat "$dir/lifetime")
echo "ok $lifetime" >> "$dir/runs"
expiration=$(date -u -d "+$lifetime seconds" +%Y-%m-%dT%H:%M:%S.%3NZ)
printf '{{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}}\n' \
    '{id}' '{secret}' '{token}' "$expiration"
"#,
                dir = dir.display(),
                id = keys.id,
                secret = keys.secret,
                token = keys.token,
            ),
        )
        .unwrap();
        let status = Command::new("chmod")
            .arg("755")
            .arg(&script)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::write(
            dir.join("config"),
            format!(
                "[profile expiring]\ncredential_process = {}\n",
                script.display()
            ),
        )
        .unwrap();
        let process = Self {
            dir: dir.to_path_buf(),
        };
        process.set_lifetime(SHORT_LIFETIME_S);
        process
    }

    fn set_lifetime(&self, seconds: u64) {
        std::fs::write(self.dir.join("lifetime"), seconds.to_string()).unwrap();
    }

    fn set_down(&self, down: bool) {
        let flag = self.dir.join("down");
        if down {
            std::fs::write(flag, "").unwrap();
        } else {
            std::fs::remove_file(flag).unwrap();
        }
    }

    /// Every run so far: `ok <lifetime>` or `fail`.
    fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("runs"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn failed_runs(&self) -> usize {
        self.runs().iter().filter(|r| *r == "fail").count()
    }

    /// Waits up to `timeout` for a run that makes `done` true.
    async fn wait_for(&self, timeout: Duration, what: &str, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.runs()) {
            assert!(
                Instant::now() < deadline,
                "no {what} within {timeout:?}; runs: {:?}",
                self.runs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Clients sending `GET url` one after the other until stopped.
struct Traffic {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    fn start(url: String, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks = (0..clients)
            .map(|_| {
                let (stop, ok, failures, url) =
                    (stop.clone(), ok.clone(), failures.clone(), url.clone());
                tokio::spawn(async move {
                    let http = client();
                    while !stop.load(Ordering::SeqCst) {
                        let failure = match http.get(&url).send().await {
                            Ok(response) if response.status() == 200 => {
                                ok.fetch_add(1, Ordering::SeqCst);
                                continue;
                            }
                            Ok(response) => format!(
                                "{}: {}",
                                response.status(),
                                response.text().await.unwrap_or_default()
                            ),
                            Err(e) => e.to_string(),
                        };
                        failures.lock().unwrap().push(failure);
                    }
                })
            })
            .collect();
        Self {
            stop,
            ok,
            failures,
            tasks,
        }
    }

    fn ok(&self) -> usize {
        self.ok.load(Ordering::SeqCst)
    }

    fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }

    /// Stops the clients; returns every answer that was not a 200.
    async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.failures.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_process_runs_once_per_expiry_and_an_outage_fails_no_request() {
    let moto = Moto::start();
    let keys = assumed_role_keys(&moto);
    let dir = tempdir("credential-process");
    let process = Process::write(&dir, &keys);
    let config = write_config("credential-process", CONFIG);

    let started = Instant::now();
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: vec![
            ("AWS_CONFIG_FILE", dir.join("config").display().to_string()),
            ("AWS_PROFILE", "expiring".to_string()),
            ("AWS_ENDPOINT_URL", moto.url.clone()),
            ("AWS_REGION", "us-east-1".to_string()),
        ],
    });
    let traffic = Traffic::start(gateway.url("/streams"), 4);

    // Ten seconds of requests with credentials that live 4 s.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let runs = process.runs().len();
    let requests = traffic.ok();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{requests} requests in {seconds:.1} s; the process ran {runs} times");
    assert_eq!(traffic.failures(), Vec::<String>::new());
    // Credentials usable for 3.6 s are loaded at least every 3.6 s; a
    // refresh is due 2.7 s after a load: four or five runs.
    assert!(runs >= 3, "{runs} runs in {seconds:.1} s");
    let most = (seconds / SHORT_LIFETIME_S as f64 * 2.0 + 3.0) as usize;
    assert!(
        runs <= most,
        "{runs} runs in {seconds:.1} s (at most {most})"
    );
    assert!(requests >= 10 * runs, "{requests} requests, {runs} runs");

    // Longer-lived credentials; once loaded, the process fails for a while.
    process.set_lifetime(OUTAGE_LIFETIME_S);
    process
        .wait_for(
            Duration::from_secs(10),
            "run with the new lifetime",
            |runs| {
                runs.last()
                    .is_some_and(|r| *r == format!("ok {OUTAGE_LIFETIME_S}"))
            },
        )
        .await;
    let loaded = Instant::now();
    process.set_down(true);
    let before_outage = traffic.ok();
    // The refresh is due 13.5 s after the load and fails; it is retried
    // after 1 s. The process comes back once the retry has failed too, or
    // 15.5 s after the load at the latest: 2.5 s before the credentials
    // expire.
    let deadline = loaded + Duration::from_millis(15_500);
    while process.failed_runs() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.set_down(false);
    let outage = loaded.elapsed();
    let during_outage = traffic.ok() - before_outage;
    process
        .wait_for(Duration::from_secs(20), "run after the outage", |runs| {
            runs.last().is_some_and(|r| r.starts_with("ok")) && runs.iter().any(|r| r == "fail")
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = traffic.ok();
    let failures = traffic.stop().await;
    let failed_runs = process.failed_runs();
    eprintln!(
        "{during_outage} requests during {:.1} s with the process down; it failed {failed_runs} times",
        outage.as_secs_f64()
    );
    // At 13.5 s and, unless the deadline came first, at 14.5 s; the next
    // attempt would be at 16.5 s, after the process is back.
    assert!(
        (1..=2).contains(&failed_runs),
        "{failed_runs} failed runs: {:?}",
        process.runs()
    );
    assert!(
        during_outage >= 100,
        "{during_outage} requests during the outage"
    );
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(logged_failures(&gateway), 0);
    eprintln!(
        "{total} requests in all; the process ran {} times",
        process.runs().len()
    );

    // One WARN per failed run, which names the cause and the next wait (1 s,
    // then 2 s), and no key.
    let warnings = wait_for_warnings(&gateway, failed_runs).await;
    for (n, line) in warnings.iter().enumerate() {
        assert!(line.contains(" WARN "), "{line}");
        assert!(
            line.contains("Stderr: the credential source is down"),
            "{line}"
        );
        let retry = format!("failures={} retry_in_s={}", n + 1, 1 << n);
        assert!(line.contains(&retry), "{line}");
    }
    let log = format!(
        "{}\n{}",
        gateway.process.log_text(),
        gateway.process.stdout_text()
    );
    for secret in [&keys.id, &keys.secret, &keys.token] {
        assert!(
            !log.contains(secret.as_str()),
            "the log shows a key:\n{log}"
        );
    }
}

/// Requests the gateway logged as failed.
fn logged_failures(gateway: &Gateway) -> usize {
    gateway
        .process
        .log_text()
        .lines()
        .filter(|l| l.contains("request failed"))
        .count()
}

/// The log's lines about failed refreshes, once there are `count` of them
/// (the log reaches the test through a pipe, a moment after the fact).
async fn wait_for_warnings(gateway: &Gateway, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let warnings: Vec<String> = gateway
            .process
            .log_text()
            .lines()
            .filter(|l| l.contains("refreshing AWS credentials failed"))
            .map(str::to_string)
            .collect();
        if warnings.len() >= count || Instant::now() > deadline {
            assert_eq!(warnings.len(), count, "{warnings:#?}");
            return warnings;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
