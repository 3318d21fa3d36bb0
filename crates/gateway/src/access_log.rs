//! Access logs in API Gateway's terms: a format string with `$context`
//! variables, as in a stage's access-log settings, compiled once; and a
//! writer thread so that a slow destination never blocks a worker.
//!
//! ```text
//! {"requestId":"$context.requestId","status":"$context.status","latency":"$context.responseLatency"}
//! ```
//!
//! A format that starts with `{` is JSON: values are escaped as JSON string
//! content inside quotes, and written as JSON values (numbers as numbers,
//! `null` when absent) outside them, so every line is valid JSON whatever the
//! client sent. Other formats escape quotes, backslashes and control
//! characters. An absent value is `-`, as in API Gateway.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use crate::metrics::Metrics;

/// API Gateway's CLF preset.
pub const CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId";

/// The JSON preset: API Gateway's JSON preset, with latencies, the error and
/// the trace id, and numbers written as numbers.
pub const JSON: &str = concat!(
    r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","#,
    r#""requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","#,
    r#""resourcePath":"$context.resourcePath","path":"$context.path","#,
    r#""status":$context.status,"protocol":"$context.protocol","#,
    r#""responseLength":$context.responseLength,"responseLatency":$context.responseLatency,"#,
    r#""integrationLatency":$context.integrationLatency,"integrationStatus":$context.integration.status,"#,
    r#""errorType":"$context.error.responseType","errorMessage":"$context.error.message","#,
    r#""integrationError":"$context.integrationErrorMessage","#,
    r#""userAgent":"$context.identity.userAgent","xrayTraceId":"$context.xrayTraceId"}"#
);

/// What one access-log line can show.
#[derive(Debug, Default, Clone)]
pub struct Entry<'a> {
    pub request_id: &'a str,
    pub extended_request_id: &'a str,
    pub request_time: &'a str,
    pub request_time_epoch: i64,
    pub http_method: &'a str,
    pub resource_path: &'a str,
    pub resource_id: &'a str,
    pub path: &'a str,
    pub protocol: &'a str,
    pub stage: &'a str,
    pub api_id: &'a str,
    pub account_id: &'a str,
    pub domain_name: &'a str,
    pub status: u16,
    pub response_length: u64,
    pub response_latency_ms: u64,
    pub integration_latency_ms: Option<u64>,
    pub integration_status: Option<u16>,
    pub integration_error_message: &'a str,
    pub error_message: &'a str,
    pub error_response_type: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    pub api_key_id: &'a str,
    pub xray_trace_id: &'a str,
}

/// A `$context` variable of an access-log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    RequestId,
    ExtendedRequestId,
    RequestTime,
    RequestTimeEpoch,
    HttpMethod,
    ResourcePath,
    ResourceId,
    Path,
    Protocol,
    Stage,
    ApiId,
    AccountId,
    DomainName,
    Status,
    ResponseLength,
    ResponseLatency,
    IntegrationLatency,
    IntegrationStatus,
    IntegrationErrorMessage,
    ErrorMessage,
    ErrorMessageString,
    ErrorResponseType,
    SourceIp,
    UserAgent,
    ApiKeyId,
    XrayTraceId,
    /// A variable API Gateway defines that this gateway has no value for
    /// (`$context.identity.caller`, ...): always absent.
    Absent,
}

/// Names, longest first among those sharing a prefix, so that the longest
/// name wins at each `$context.` in a format.
const VARIABLES: &[(&str, Var)] = &[
    ("requestId", Var::RequestId),
    ("extendedRequestId", Var::ExtendedRequestId),
    ("requestTimeEpoch", Var::RequestTimeEpoch),
    ("requestTime", Var::RequestTime),
    ("httpMethod", Var::HttpMethod),
    ("resourcePath", Var::ResourcePath),
    ("resourceId", Var::ResourceId),
    ("path", Var::Path),
    ("protocol", Var::Protocol),
    ("stage", Var::Stage),
    ("apiId", Var::ApiId),
    ("accountId", Var::AccountId),
    ("domainName", Var::DomainName),
    ("status", Var::Status),
    ("responseLength", Var::ResponseLength),
    ("responseLatency", Var::ResponseLatency),
    ("integrationLatency", Var::IntegrationLatency),
    ("integration.latency", Var::IntegrationLatency),
    ("integrationStatus", Var::IntegrationStatus),
    ("integration.status", Var::IntegrationStatus),
    ("integration.integrationStatus", Var::IntegrationStatus),
    ("integrationErrorMessage", Var::IntegrationErrorMessage),
    ("integration.error", Var::IntegrationErrorMessage),
    ("error.messageString", Var::ErrorMessageString),
    ("error.message", Var::ErrorMessage),
    ("error.responseType", Var::ErrorResponseType),
    ("identity.sourceIp", Var::SourceIp),
    ("identity.userAgent", Var::UserAgent),
    ("identity.apiKeyId", Var::ApiKeyId),
    ("xrayTraceId", Var::XrayTraceId),
    ("domainPrefix", Var::Absent),
    ("deploymentId", Var::Absent),
    ("awsEndpointRequestId", Var::Absent),
    ("identity.caller", Var::Absent),
    ("identity.user", Var::Absent),
    ("identity.userArn", Var::Absent),
    ("identity.accountId", Var::Absent),
    ("identity.cognitoIdentityId", Var::Absent),
    ("identity.cognitoIdentityPoolId", Var::Absent),
    ("identity.principalOrgId", Var::Absent),
    ("wafResponseCode", Var::Absent),
    ("webaclArn", Var::Absent),
    ("authorizer.principalId", Var::Absent),
    ("authorizer.error", Var::Absent),
    ("authorizer.status", Var::Absent),
    ("authorizer.latency", Var::Absent),
];

#[derive(Debug, Clone)]
enum Segment {
    Text(String),
    /// A variable, and whether it sits inside a JSON string of a JSON format.
    Var {
        var: Var,
        quoted: bool,
    },
}

/// A compiled access-log format.
#[derive(Debug, Clone)]
pub struct Format {
    segments: Vec<Segment>,
    json: bool,
}

impl Format {
    /// `clf`, `json`, or a custom format. Unknown `$context` names are errors,
    /// as are formats without the request id (API Gateway requires
    /// `$context.requestId` or `$context.extendedRequestId`).
    pub fn compile(format: &str) -> Result<Self, String> {
        let text = match format {
            "clf" => CLF,
            "json" => JSON,
            other => other,
        };
        let json = text.trim_start().starts_with('{');
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut in_string = false;
        let mut rest = text;
        while let Some(at) = rest.find("$context.") {
            let (before, after) = rest.split_at(at);
            in_string = json_string_state(before, in_string, json);
            literal.push_str(before);
            let name = &after["$context.".len()..];
            let (length, var) = VARIABLES
                .iter()
                .filter(|(n, _)| {
                    name.starts_with(n)
                        && !name[n.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .map(|(n, v)| (n.len(), *v))
                .max_by_key(|(len, _)| *len)
                .ok_or_else(|| {
                    let word: String = name
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                        .collect();
                    format!("`$context.{word}` is not an access-log variable")
                })?;
            if !literal.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut literal)));
            }
            segments.push(Segment::Var {
                var,
                quoted: in_string,
            });
            rest = &name[length..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        if !segments.iter().any(|s| {
            matches!(
                s,
                Segment::Var {
                    var: Var::RequestId | Var::ExtendedRequestId,
                    ..
                }
            )
        }) {
            return Err(
                "an access-log format must include `$context.requestId` or `$context.extendedRequestId`"
                    .to_string(),
            );
        }
        Ok(Self { segments, json })
    }

    /// Appends one line for `entry` to `out`, with its newline.
    pub fn write(&self, entry: &Entry<'_>, out: &mut String) {
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var { var, quoted } => self.value(*var, *quoted, entry, out),
            }
        }
        out.push('\n');
    }

    fn value(&self, var: Var, quoted: bool, entry: &Entry<'_>, out: &mut String) {
        let number = |n: Option<u64>, out: &mut String| match n {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None if self.json && !quoted => out.push_str("null"),
            None => out.push('-'),
        };
        let text = match var {
            Var::RequestId => entry.request_id,
            Var::ExtendedRequestId => entry.extended_request_id,
            Var::RequestTime => entry.request_time,
            Var::HttpMethod => entry.http_method,
            Var::ResourcePath => entry.resource_path,
            Var::ResourceId => entry.resource_id,
            Var::Path => entry.path,
            Var::Protocol => entry.protocol,
            Var::Stage => entry.stage,
            Var::ApiId => entry.api_id,
            Var::AccountId => entry.account_id,
            Var::DomainName => entry.domain_name,
            Var::IntegrationErrorMessage => entry.integration_error_message,
            Var::ErrorMessage => entry.error_message,
            Var::ErrorResponseType => entry.error_response_type,
            Var::SourceIp => entry.source_ip,
            Var::UserAgent => entry.user_agent,
            Var::ApiKeyId => entry.api_key_id,
            Var::XrayTraceId => entry.xray_trace_id,
            Var::Absent => "",
            Var::ErrorMessageString => {
                // The message as a JSON string, quotes included.
                if entry.error_message.is_empty() {
                    return number(None, out);
                }
                let quoted_message = serde_json::Value::from(entry.error_message).to_string();
                return self.text(&quoted_message, quoted, out);
            }
            Var::RequestTimeEpoch => {
                return number(u64::try_from(entry.request_time_epoch).ok(), out);
            }
            Var::Status => return number(Some(u64::from(entry.status)), out),
            Var::ResponseLength => return number(Some(entry.response_length), out),
            Var::ResponseLatency => return number(Some(entry.response_latency_ms), out),
            Var::IntegrationLatency => return number(entry.integration_latency_ms, out),
            Var::IntegrationStatus => return number(entry.integration_status.map(u64::from), out),
        };
        if text.is_empty() {
            if self.json && !quoted {
                out.push_str("null");
            } else {
                out.push('-');
            }
            return;
        }
        self.text(text, quoted, out);
    }

    fn text(&self, text: &str, quoted: bool, out: &mut String) {
        if self.json {
            if quoted {
                escape_json(text, out);
            } else {
                out.push('"');
                escape_json(text, out);
                out.push('"');
            }
        } else {
            escape_plain(text, out);
        }
    }
}

/// Whether the end of `text` is inside a JSON string, starting from `state`.
fn json_string_state(text: &str, state: bool, json: bool) -> bool {
    if !json {
        return false;
    }
    let mut inside = state;
    let mut escaped = false;
    for c in text.chars() {
        if inside && escaped {
            escaped = false;
        } else if inside && c == '\\' {
            escaped = true;
        } else if c == '"' {
            inside = !inside;
        }
    }
    inside
}

fn escape_json(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Quotes, backslashes and control characters escaped, as nginx does, so a
/// client cannot forge a line.
fn escape_plain(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Where access-log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    Stderr,
    File(PathBuf),
}

impl Destination {
    pub fn parse(text: &str) -> Self {
        match text {
            "stdout" => Self::Stdout,
            "stderr" => Self::Stderr,
            path => Self::File(PathBuf::from(path)),
        }
    }
}

/// How many lines may wait for the writer before new ones are dropped.
const QUEUE_LINES: usize = 64 * 1024;

/// How often the writer takes the lines queued meanwhile. Waking the writer
/// for every line cost more than the rest of a request's logging (a futex
/// wake, a context switch and a write per line, measured with `perf` under
/// load); every few milliseconds it writes a batch with one call instead.
const FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// Queued bytes from which the writer is woken at once, to keep the batch
/// (and the memory it holds) small under heavy load.
const WAKE_BYTES: usize = 256 * 1024;

/// The sending side of the access log; cheap to clone, one per worker.
#[derive(Debug, Clone)]
pub struct AccessLog {
    queue: Arc<Queue>,
    metrics: Arc<Metrics>,
}

/// Lines waiting for the writer, as one buffer.
#[derive(Debug, Default)]
struct Queue {
    batch: std::sync::Mutex<Batch>,
    ready: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    lines: usize,
}

/// The writer thread; [`Writer::finish`] waits until every queued line is
/// written.
#[derive(Debug)]
pub struct Writer {
    thread: std::thread::JoinHandle<()>,
}

impl AccessLog {
    /// Opens `destination` (a file is created or appended to) and starts the
    /// writer thread.
    pub fn open(
        destination: &Destination,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(Self, Writer)> {
        let sink: Box<dyn std::io::Write + Send> = match destination {
            Destination::Stdout => Box::new(std::io::stdout()),
            Destination::Stderr => Box::new(std::io::stderr()),
            Destination::File(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
        };
        let queue = Arc::new(Queue::default());
        let writer_queue = queue.clone();
        let thread = std::thread::Builder::new()
            .name("gateway-access-log".into())
            .spawn(move || write_lines(&writer_queue, sink))?;
        Ok((Self { queue, metrics }, Writer { thread }))
    }

    /// Queues one line. When the destination cannot keep up, the line is
    /// dropped and counted rather than slowing the request down.
    pub fn send(&self, line: String) {
        let mut batch = self.queue.batch.lock().unwrap_or_else(|e| e.into_inner());
        if batch.lines >= QUEUE_LINES {
            drop(batch);
            self.metrics.access_log_dropped();
            return;
        }
        batch.bytes.extend_from_slice(line.as_bytes());
        batch.lines += 1;
        let wake = batch.bytes.len() >= WAKE_BYTES;
        drop(batch);
        if wake {
            self.queue.ready.notify_one();
        }
    }
}

impl Writer {
    /// Waits, up to `timeout`, for the writer to write every queued line and
    /// stop, which it does once every [`AccessLog`] is dropped.
    pub fn finish(self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
    }
}

/// Every [`FLUSH_INTERVAL`] (or sooner when much is queued), takes the
/// queued lines and writes them with one call; stops once no [`AccessLog`]
/// is left and the last lines are written.
fn write_lines(queue: &Arc<Queue>, mut sink: Box<dyn std::io::Write + Send>) {
    let mut spare = Vec::new();
    loop {
        let senders_gone = Arc::strong_count(queue) == 1;
        let taken = {
            let mut batch = queue.batch.lock().unwrap_or_else(|e| e.into_inner());
            if batch.bytes.is_empty() && !senders_gone {
                batch = queue
                    .ready
                    .wait_timeout(batch, FLUSH_INTERVAL)
                    .map_or_else(|e| e.into_inner().0, |(b, _)| b);
            }
            batch.lines = 0;
            std::mem::replace(&mut batch.bytes, std::mem::take(&mut spare))
        };
        if !taken.is_empty() {
            let _ = sink.write_all(&taken);
            let _ = sink.flush();
        }
        spare = taken;
        spare.clear();
        if senders_gone && queue.batch.lock().map_or(true, |b| b.bytes.is_empty()) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry<'static> {
        Entry {
            request_id: "r-1",
            extended_request_id: "r-1",
            request_time: "29/Nov/2026:16:00:00 +0000",
            request_time_epoch: 1_796_000_000_000,
            http_method: "PUT",
            resource_path: "/streams/{stream-name}/record",
            path: "/streams/s1/record",
            protocol: "HTTP/1.1",
            status: 502,
            response_length: 36,
            response_latency_ms: 12,
            integration_latency_ms: Some(10),
            integration_status: None,
            integration_error_message: "connection refused",
            error_message: "Internal server error",
            error_response_type: "INTEGRATION_FAILURE",
            source_ip: "10.0.0.1",
            user_agent: "curl/8 \"evil\"\n{\"forged\":1}",
            xray_trace_id: "Root=1-00000000-000000000000000000000000",
            ..Entry::default()
        }
    }

    fn line(format: &str, entry: &Entry<'_>) -> String {
        let mut out = String::new();
        Format::compile(format).unwrap().write(entry, &mut out);
        out
    }

    #[test]
    fn clf_preset_is_api_gateways() {
        assert_eq!(
            line("clf", &entry()),
            "10.0.0.1 - - [29/Nov/2026:16:00:00 +0000] \"PUT /streams/{stream-name}/record HTTP/1.1\" 502 36 r-1\n"
        );
    }

    #[test]
    fn json_preset_is_valid_json_with_numbers_and_nulls() {
        let text = line("json", &entry());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["status"], 502);
        assert_eq!(value["responseLatency"], 12);
        assert_eq!(value["integrationLatency"], 10);
        assert_eq!(value["integrationStatus"], serde_json::Value::Null);
        assert_eq!(value["errorType"], "INTEGRATION_FAILURE");
        // A hostile user agent stays one string on one line.
        assert_eq!(value["userAgent"], "curl/8 \"evil\"\n{\"forged\":1}");
        assert_eq!(text.matches('\n').count(), 1);
    }

    #[test]
    fn custom_json_format_quotes_what_the_user_quoted() {
        let text = line(
            r#"{"requestId":"$context.requestId","status":"$context.status","latency":"$context.responseLatency","trace":$context.xrayTraceId,"key":"$context.identity.apiKeyId"}"#,
            &entry(),
        );
        assert_eq!(
            text,
            "{\"requestId\":\"r-1\",\"status\":\"502\",\"latency\":\"12\",\"trace\":\"Root=1-00000000-000000000000000000000000\",\"key\":\"-\"}\n"
        );
    }

    #[test]
    fn plain_format_escapes_quotes_and_control_characters() {
        let text = line(
            "$context.requestId \"$context.identity.userAgent\" $context.integration.status $context.error.messageString",
            &entry(),
        );
        assert_eq!(
            text,
            "r-1 \"curl/8 \\\"evil\\\"\\x0A{\\\"forged\\\":1}\" - \\\"Internal server error\\\"\n"
        );
    }

    #[test]
    fn longest_name_wins_and_unknown_names_are_refused() {
        let text = line(
            "$context.requestId $context.requestTimeEpoch $context.requestTime.",
            &entry(),
        );
        assert_eq!(text, "r-1 1796000000000 29/Nov/2026:16:00:00 +0000.\n");
        assert_eq!(
            Format::compile("$context.requestId $context.requestTiem").unwrap_err(),
            "`$context.requestTiem` is not an access-log variable"
        );
        assert!(
            Format::compile("$context.status")
                .unwrap_err()
                .contains("must include `$context.requestId`")
        );
    }

    #[test]
    fn writer_appends_every_line_to_a_file() {
        let dir = std::env::temp_dir().join(format!("gateway-access-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("access.log");
        let _ = std::fs::remove_file(&path);
        let metrics = Arc::new(Metrics::new());
        let (log, writer) = AccessLog::open(&Destination::File(path.clone()), metrics).unwrap();
        for n in 0..1000 {
            log.send(format!("line {n}\n"));
        }
        drop(log);
        writer.finish(std::time::Duration::from_secs(10));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert_eq!(text.lines().last(), Some("line 999"));
    }
}
