//! Test support: real processes on loopback, stopped by PID when dropped.
//!
//! - [`Moto`]: a moto server with SigV4 signature checking switched on, and the
//!   access key of an IAM user allowed to do everything.
//! - [`Gateway`]: the real `gateway` binary, built once by cargo for all tests.
//! - [`recorder::Recorder`]: an HTTP backend that records what it receives.
//! - [`lambda::LambdaStandIn`]: Lambda's Invoke API with a few functions,
//!   checking SigV4 signatures, since moto runs functions only in Docker.
//! - [`redis::Redis`]: a real `redis-server` on a free loopback port.

pub mod jwks;
pub mod lambda;
pub mod local_server;
pub mod recorder;
pub mod redis;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// How long a process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A child process killed (by PID) when dropped, with its stderr and stdout
/// collected.
pub struct Process {
    name: &'static str,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Spawns `command` and reads its stderr until a line makes `ready` return
    /// `Some`; keeps collecting the rest in the background.
    fn spawn<T>(
        name: &'static str,
        command: &mut Command,
        ready: impl Fn(&str) -> Option<T>,
    ) -> (Self, T) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let collected = log.clone();
        std::thread::spawn(move || forward(stderr, &collected, &tx));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let collected = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                collected.lock().unwrap().push(line);
            }
        });
        let mut process = Self {
            name,
            child,
            log,
            stdout,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(value) = ready(&line) {
                        return (process, value);
                    }
                }
                Err(_) => {
                    let status = process.child.try_wait().ok().flatten();
                    panic!(
                        "{name} did not become ready (exit status: {status:?}); its output:\n{}",
                        process.log_text()
                    );
                }
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the process has used (user and system), from `/proc`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // USER_HZ is 100 on Linux.
        Duration::from_millis(ticks * 10)
    }

    /// Everything the process wrote to stderr so far.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Everything the process wrote to stdout so far (the gateway's access
    /// log, by default).
    pub fn stdout_text(&self) -> String {
        self.stdout.lock().unwrap().join("\n")
    }

    /// Waits, up to 5 s, until stdout has `count` lines that contain
    /// `needle` (the access log is written in batches, a few milliseconds
    /// after the answers), and returns stdout.
    pub fn wait_for_stdout(&self, needle: &str, count: usize) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let out = self.stdout_text();
            if out.lines().filter(|l| l.contains(needle)).count() >= count {
                return out;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{count} lines with `{needle}` expected in:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits for the exit, up to `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.signal("TERM");
        self.wait(timeout)
    }

    /// Sends a signal by name (`HUP`, `TERM`) to the process, by its PID.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

fn forward(stderr: ChildStderr, log: &Mutex<Vec<String>>, tx: &std::sync::mpsc::Sender<String>) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        log.lock().unwrap().push(line.clone());
        let _ = tx.send(line);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- {} output ---\n{}\n--- {} stdout ---\n{}",
                self.name,
                self.log_text(),
                self.name,
                self.stdout_text()
            );
        }
    }
}

/// Credentials of the IAM user created in moto.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

/// A moto server on loopback with signature checking on.
pub struct Moto {
    pub process: Process,
    pub url: String,
    pub key: AccessKey,
    /// Roles created for integrations to assume, by name: `gateway-writer`
    /// (every action) and `gateway-reader` (Kinesis reads only).
    pub roles: std::collections::BTreeMap<String, String>,
}

impl Moto {
    /// Starts moto and switches signature checking on. Fails, never skips, when
    /// moto is not installed: `scripts/test.sh` installs it.
    pub fn start() -> Self {
        let venv = std::env::var_os("GATEWAY_MOTO_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".venv"));
        let server = venv.join("bin/moto_server");
        assert!(
            server.exists(),
            "moto server is not installed at {}: run `scripts/install-moto.sh` (scripts/test.sh does)",
            server.display()
        );
        let (process, port) = Process::spawn(
            "moto",
            Command::new(&server).args(["-H", "127.0.0.1", "-p", "0"]),
            |line| {
                let rest = line.split("Running on http://127.0.0.1:").nth(1)?;
                rest.trim().trim_end_matches('/').parse::<u16>().ok()
            },
        );
        let url = format!("http://127.0.0.1:{port}");
        let output = Command::new(venv.join("bin/python"))
            .arg(repo_root().join("scripts/moto_auth.py"))
            .args(["--endpoint", &url])
            .output()
            .expect("running scripts/moto_auth.py");
        assert!(
            output.status.success(),
            "moto_auth.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let key = AccessKey {
            id: printed["access_key_id"].as_str().unwrap().to_string(),
            secret: printed["secret_access_key"].as_str().unwrap().to_string(),
        };
        let roles = printed["roles"]
            .as_object()
            .map(|roles| {
                roles
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            process,
            url,
            key,
            roles,
        }
    }

    /// How many calls moto logged whose request line contains `needle`
    /// (`"Action=PutRecord "`, `"PUT /bucket/"`). moto's log reaches the test
    /// through a pipe, a moment after the answer: the count is taken once it
    /// has stopped changing for 100 ms.
    pub fn calls(&self, needle: &str) -> usize {
        let count = || {
            self.process
                .log_text()
                .lines()
                .filter(|l| l.contains(needle))
                .count()
        };
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut last = count();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = count();
            if now == last || Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }
}

/// The real gateway binary, serving a configuration on an ephemeral port.
pub struct Gateway {
    pub process: Process,
    pub url: String,
    /// The admin listener, when the gateway was started with one.
    pub admin_url: Option<String>,
}

/// How a test starts the gateway.
pub struct GatewayOptions<'a> {
    pub config: &'a Path,
    /// Environment variables; nothing else from the test's environment is passed
    /// on but `PATH`, so the user's AWS settings cannot leak in.
    pub env: Vec<(&'a str, String)>,
}

impl Gateway {
    /// The binary cargo built for these tests.
    pub fn binary() -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_gateway"))
    }

    pub fn start(options: GatewayOptions<'_>) -> Self {
        Self::start_with_args(options, &[])
    }

    /// Starts the gateway with extra arguments to `gateway run`, e.g.
    /// `--admin-listen 127.0.0.1:0`.
    pub fn start_with_args(options: GatewayOptions<'_>, args: &[&str]) -> Self {
        let mut command = Self::command(&options);
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        command.args(args);
        let (process, address) = Process::spawn("gateway", &mut command, |line| {
            let rest = line.split("listening on ").nth(1)?;
            Some(rest.split_whitespace().next()?.to_string())
        });
        // The admin line comes before the listening line.
        let admin_url = process.log_text().lines().find_map(|line| {
            let rest = line.split("admin endpoints on ").nth(1)?;
            Some(rest.split_whitespace().next()?.to_string())
        });
        Self {
            process,
            url: format!("http://{address}"),
            admin_url,
        }
    }

    /// The `gateway run` command for `options`, with no `--listen`.
    pub fn command(options: &GatewayOptions<'_>) -> Command {
        let home = tempdir("home");
        let mut command = Command::new(Self::binary());
        command
            .args(["run", "--config"])
            .arg(options.config)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // No shared AWS files, no instance metadata: only what the test sets.
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"));
        for (name, value) in &options.env {
            command.env(name, value);
        }
        command
    }

    /// Starts the gateway on `config` against `moto`, with `secret` as the
    /// secret key of moto's IAM user.
    pub fn against_moto(config: &Path, moto: &Moto, secret: &str) -> Self {
        Self::start(GatewayOptions {
            config,
            env: vec![
                ("AWS_ACCESS_KEY_ID", moto.key.id.clone()),
                ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
                ("AWS_ENDPOINT_URL", moto.url.clone()),
                ("AWS_REGION", "us-east-1".to_string()),
            ],
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The gateway's log line about request `request_id` that contains
    /// `needle`, waiting up to 5 s for it.
    pub fn log_line(&self, request_id: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.process.log_text();
            if let Some(line) = log
                .lines()
                .find(|l| l.contains(request_id) && l.contains(needle))
            {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {request_id} and `{needle}`:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A URL on the admin listener.
    pub fn admin(&self, path: &str) -> String {
        let base = self
            .admin_url
            .as_deref()
            .expect("the gateway was started without an admin listener");
        format!("{base}{path}")
    }

    /// The value of one sample of the admin listener's `/metrics`, e.g.
    /// `gateway_requests_total{method="GET",resource="/streams",status="200"}`;
    /// 0 when the sample does not exist yet.
    pub async fn metric(&self, sample: &str) -> f64 {
        let text = client()
            .get(self.admin("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse().unwrap())
    }
}

/// A fresh directory under the target directory, unique per call.
pub fn tempdir(label: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("gateway-e2e-{}-{label}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to a new file and returns its path.
pub fn write_config(label: &str, text: &str) -> PathBuf {
    let path = tempdir(label).join("gateway.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The root `gateway.yaml`.
pub fn root_config() -> PathBuf {
    repo_root().join("gateway.yaml")
}

/// A response body as JSON; panics with the text when it is not JSON.
pub async fn json_body(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The tutorial's middle, on a stream that exists: put a record, put two
/// records, read them back shard by shard, delete the stream, and delete it
/// again, which the API maps to 400 `ResourceNotFoundException` (both
/// imported tutorials map DeleteStream's 4xx so).
pub async fn put_read_back_and_delete(gateway: &Gateway, stream: &str) {
    use serde_json::json;
    let http = client();
    let url = |path: String| gateway.url(&path);
    let response = http
        .put(url(format!("/streams/{stream}/record")))
        .json(&json!({"Data": "one", "PartitionKey": "k1"}))
        .send()
        .await
        .unwrap();
    let body = json_body(response).await;
    assert!(body["SequenceNumber"].is_string(), "{body}");
    let response = http
        .put(url(format!("/streams/{stream}/records")))
        .json(&json!({"records": [
            {"data": "two", "partition-key": "k2"},
            {"data": "three", "partition-key": "k2"}
        ]}))
        .send()
        .await
        .unwrap();
    let body = json_body(response).await;
    assert_eq!(body["FailedRecordCount"], 0, "{body}");

    let mut records = stream_records(gateway, stream).await;
    records.sort();
    assert_eq!(
        records,
        [
            ("k1".to_string(), "\"one\"".to_string()),
            ("k2".to_string(), "three".to_string()),
            ("k2".to_string(), "two".to_string()),
        ]
    );

    let response = http
        .delete(url(format!("/streams/{stream}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .delete(url(format!("/streams/{stream}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = json_body(response).await;
    assert_eq!(body["__type"], "ResourceNotFoundException", "{body}");
}

/// Every record of a Kinesis stream, read back through a gateway serving the
/// root `gateway.yaml`, shard by shard: its partition key and its data,
/// decoded.
pub async fn stream_records(gateway: &Gateway, stream: &str) -> Vec<(String, String)> {
    use base64::Engine as _;
    let http = client();
    let get = |path: String, iterator: Option<&str>| {
        let mut request = http.get(gateway.url(&path));
        if let Some(iterator) = iterator {
            request = request.header("Shard-Iterator", iterator);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            json_body(response).await
        }
    };
    let description = get(format!("/streams/{stream}"), None).await;
    let mut records = Vec::new();
    for shard in description["StreamDescription"]["Shards"]
        .as_array()
        .unwrap()
    {
        let shard_id = shard["ShardId"].as_str().unwrap();
        let body = get(
            format!("/streams/{stream}/sharditerator?shard-id={shard_id}"),
            None,
        )
        .await;
        // moto ends its iterators with a newline, which no header value may carry.
        let iterator = body["ShardIterator"]
            .as_str()
            .unwrap()
            .trim_end()
            .to_string();
        let body = get(format!("/streams/{stream}/records"), Some(&iterator)).await;
        for record in body["Records"].as_array().unwrap() {
            let data = base64::engine::general_purpose::STANDARD
                .decode(record["Data"].as_str().unwrap())
                .unwrap();
            records.push((
                record["PartitionKey"].as_str().unwrap().to_string(),
                String::from_utf8(data).unwrap(),
            ));
        }
    }
    records
}

/// A plain HTTP client for talking to the gateway.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An HTTP backend on loopback that answers every request with a JSON echo of
/// it: `{"method", "path", "query", "headers", "body"}`, status 200, or the
/// status in an `x-echo-status` request header. Stops when dropped.
pub struct EchoServer {
    pub url: String,
    /// For an HTTPS echo server, its CA's certificate (PEM).
    pub ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A private CA and a certificate it signed for 127.0.0.1, with its key.
fn private_ca() -> (String, rustls::ServerConfig) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "gateway e2e CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let certificate = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (ca.pem(), config)
}

impl EchoServer {
    pub fn start() -> Self {
        Self::serve(None, None)
    }

    /// A stand-in for an AWS endpoint that fails: every request gets
    /// `status` with an AWS XML error body (`<ErrorResponse>...<Code>
    /// InternalFailure</Code>...`), as S3 and the Query-protocol services
    /// answer, and as no client of a JSON API can read.
    pub fn failing(status: u16) -> Self {
        Self::serve(None, Some(status))
    }

    /// An echo server over HTTPS, with a certificate from a private CA.
    pub fn start_tls() -> Self {
        let (ca_pem, config) = private_ca();
        let mut server = Self::serve(
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
            None,
        );
        server.ca_pem = Some(ca_pem);
        server
    }

    fn serve(tls: Option<tokio_rustls::TlsAcceptor>, fail: Option<u16>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |request| async move {
                                    match fail {
                                        Some(status) => Ok(failure(status)),
                                        None => echo(request).await,
                                    }
                                });
                                let http = hyper::server::conn::http1::Builder::new();
                                match tls {
                                    None => {
                                        let io = hyper_util::rt::TokioIo::new(stream);
                                        let _ = http.serve_connection(io, service).await;
                                    }
                                    // A client that does not trust the certificate
                                    // ends the handshake: not the server's error.
                                    Some(tls) => if let Ok(stream) = tls.accept(stream).await {
                                        let io = hyper_util::rt::TokioIo::new(stream);
                                        let _ = http.serve_connection(io, service).await;
                                    },
                                }
                            });
                        }
                        _ = &mut stop => break,
                    }
                }
            });
        });
        Self {
            url,
            ca_pem: None,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

async fn echo(
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                serde_json::Value::String(v.to_str().unwrap_or("").to_string()),
            )
        })
        .collect();
    let status = parts
        .headers
        .get("x-echo-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u16>().ok())
        .unwrap_or(200);
    let echoed = serde_json::json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query().unwrap_or(""),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(
        echoed.to_string(),
    )));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert("x-echo", http::HeaderValue::from_static("yes"));
    Ok(response)
}

/// What a failing AWS XML-protocol service answers.
fn failure(status: u16) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>The request processing has failed because of an unknown error, exception or failure.</Message></Error><RequestId>c45ac31a-4c19-4296-84bb-1d2e899a0a8d</RequestId></ErrorResponse>";
    let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", http::HeaderValue::from_static("text/xml"));
    response
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A definition under `tests/fixtures/import/`.
pub fn import_fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/import").join(name)
}

/// The environment of a gateway that calls moto with moto's key.
pub fn moto_env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", moto.key.id.clone()),
        ("AWS_SECRET_ACCESS_KEY", moto.key.secret.clone()),
        ("AWS_ENDPOINT_URL", moto.url.clone()),
        ("AWS_REGION", "us-east-1".to_string()),
    ]
}

/// `gateway <args>`, without the region variables of the test's own
/// environment: exit code, stdout, stderr.
pub fn gateway_command(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(Gateway::binary())
        .args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The calls to STS after moto's setup: STS calls are `POST /`, Kinesis
/// calls `POST /?Action=`.
pub fn sts_calls_after_setup(moto: &Moto) -> usize {
    let log = moto.process.log_text();
    let after_setup = log.split("reset-auth").nth(1).unwrap_or_default();
    after_setup
        .lines()
        .filter(|l| l.contains("POST / HTTP"))
        .count()
}
