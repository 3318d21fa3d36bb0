//! The HTTP server: accepts connections, turns each hyper request into a
//! [`MethodRequest`], runs the pipeline, and records the outcome: metrics, the
//! access log, and one log line for a failure.
//!
//! Each worker thread runs [`serve`] on its own single-threaded runtime with
//! its own listening socket and backend client (see [`crate::run`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use arc_swap::ArcSwap;
use gateway_integration::Client;

use crate::access_log::AccessLog;
use crate::api::Api;
use crate::error::{GatewayError, ResponseType};
use crate::framing::{Framing, Head, Spellings, Watched};
use crate::gateway_response;
use crate::metrics::Metrics;
use crate::pipeline::{self, Exchange, MethodRequest, ReadBody, Record, Sender};

/// What every worker shares for the life of the process.
#[derive(Debug)]
pub struct Shared {
    /// The API being served. A reload replaces it whole: each request holds
    /// the one it started with until it finishes.
    pub api: ArcSwap<Api>,
    pub metrics: Arc<Metrics>,
    /// `None` when access logs are off.
    pub access_log: Option<AccessLog>,
    /// `$context.accountId`: from the file, or from STS once known.
    pub account_id: Arc<std::sync::OnceLock<String>>,
    /// One permit per open client connection (`limits.max_connections`).
    pub connections: Arc<Semaphore>,
    /// One permit per KiB of request body held in memory
    /// (`limits.max_inflight_body_bytes`).
    pub body_budget: Arc<Semaphore>,
    /// `limits.header_timeout_ms`.
    pub header_timeout: Duration,
}

/// Serves on `listener` until `shutdown` completes, then lets in-flight
/// requests finish (the process bounds how long: `shutdown_timeout_ms`).
/// Integration calls go through `client`, whose pooled connections belong to
/// this runtime.
///
/// HTTP/1.1 only: cleartext HTTP/2 (h2c) is not served. Clients of an API
/// gateway reach it over HTTP/1.1 or through a load balancer that speaks
/// HTTP/1.1 to its targets, and one h2c connection could hold hundreds of
/// stalled streams, each with a body buffer.
/// `worker` numbers this worker in the per-worker request count, which
/// shows how evenly the kernel spreads connections.
pub async fn serve(
    shared: Arc<Shared>,
    client: Client,
    listener: TcpListener,
    worker: usize,
    shutdown: impl Future<Output = ()>,
) {
    let served = shared.metrics.worker(worker);
    let mut builder = http1::Builder::new();
    // A connection that sends no request head, stops in one, or idles
    // between requests is cut off instead of holding a socket forever.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    shared.metrics.connection_refused("accept_failed");
                    accept_errors.log(&e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // At the connection limit, this worker holds the connection it just
        // accepted and accepts no more until a slot frees: the next clients
        // wait in the kernel's queue instead of taking file descriptors. (A
        // permit taken before accepting would be held by an idle worker
        // while another one has clients waiting.)
        let permit = tokio::select! {
            permit = shared.connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (stream, heads) = Watched::new(stream);
        let service = {
            let shared = shared.clone();
            let client = client.clone();
            let served = served.clone();
            service_fn(move |request| {
                let shared = shared.clone();
                let client = client.clone();
                let head = heads.next();
                served.inc();
                async move { Ok::<_, Infallible>(handle(&shared, &client, request, peer, head).await) }
            })
        };
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let shared = shared.clone();
        let open = shared.metrics.connection();
        tokio::spawn(async move {
            let _held = (permit, open);
            if let Err(e) = connection.await {
                connection_error(&shared, peer, &e);
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Logs failed accepts at most once a second: a process out of file
/// descriptors would otherwise write thousands of lines.
#[derive(Default)]
struct AcceptErrors {
    last: Option<Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    fn log(&mut self, error: &std::io::Error) {
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(
            error = %error,
            "accept failed; {} more since the last such line",
            self.suppressed
        );
        self.last = Some(Instant::now());
        self.suppressed = 0;
    }
}

/// A connection that ended badly. A request the HTTP parser refused (hyper
/// answered it with a bare 400 or 431) gets a request id, a log line and an
/// access-log line like any other refusal; timeouts and resets are routine.
fn connection_error(shared: &Shared, peer: SocketAddr, error: &hyper::Error) {
    if error.is_timeout() {
        tracing::debug!(peer = %peer, "connection closed: no complete request head within limits.header_timeout_ms");
        return;
    }
    if !error.is_parse() && !error.is_parse_too_large() {
        tracing::debug!(peer = %peer, error = %error, "connection ended with an error");
        return;
    }
    let status: u16 = if error.is_parse_too_large() { 431 } else { 400 };
    let request_id = uuid::Uuid::new_v4().to_string();
    let reason = error.to_string();
    tracing::info!(
        target: "gateway::request",
        request_id = request_id.as_str(),
        route = "- (unparsable request)",
        status,
        response_type = "DEFAULT_4XX",
        origin = "client",
        reason = reason.as_str(),
        "request refused"
    );
    shared
        .metrics
        .request(None, "OTHER", status, Duration::ZERO);
    shared.metrics.error(ResponseType::Default4xx.name());
    if let Some(log) = &shared.access_log {
        let now = std::time::SystemTime::now();
        let time = crate::time::clf(now);
        let ip = peer.ip().to_string();
        let entry = crate::access_log::Entry {
            request_id: &request_id,
            extended_request_id: &request_id,
            request_time: &time,
            request_time_epoch: now
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            protocol: "HTTP/1.1",
            status,
            error_message: &reason,
            error_response_type: ResponseType::Default4xx.name(),
            source_ip: &ip,
            ..crate::access_log::Entry::default()
        };
        let mut line = String::with_capacity(160);
        shared.api.load().access_log.write(&entry, &mut line);
        log.send(line);
    }
}

/// What RFC 9112 asks a server to refuse, because a proxy in front of it
/// could read the same bytes as a different request: a body framed two ways,
/// no `Host`, two `Host`s.
fn framing_error(parts: &http::request::Parts, framing: Framing) -> Option<&'static str> {
    let headers = &parts.headers;
    // hyper drops Content-Length when Transfer-Encoding is present; the
    // watch on the connection saw both.
    if framing == Framing::Ambiguous
        || (headers.contains_key(header::CONTENT_LENGTH)
            && headers.contains_key(header::TRANSFER_ENCODING))
    {
        return Some("Bad request: both Content-Length and Transfer-Encoding frame the body");
    }
    match headers.get_all(header::HOST).iter().count() {
        0 if parts.version == http::Version::HTTP_11 => {
            Some("Bad request: an HTTP/1.1 request needs a Host header")
        }
        0 | 1 => None,
        _ => Some("Bad request: more than one Host header"),
    }
}

/// One request, start to finish: the pipeline, then its metrics, its
/// access-log line and, for a failure, one log line with the cause.
pub async fn handle(
    shared: &Shared,
    client: &Client,
    request: Request<Incoming>,
    peer: SocketAddr,
    head: Head,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let _inflight = shared.metrics.inflight();
    // The API this request started with, whatever a reload does meanwhile.
    let shared_api = shared.api.load_full();
    let api = shared_api.as_ref();
    let (parts, body) = request.into_parts();
    let mut exchange = Exchange::new(
        api,
        method_request(api, &parts, peer, &head.spellings),
        uuid::Uuid::new_v4().to_string(),
    );
    if let Some(account) = shared.account_id.get() {
        exchange.context.account_id.clone_from(account);
    }
    let mut record = Record::default();
    // The body's share of the memory budget, held until the answer is made.
    let held = std::sync::Mutex::new(None);
    let outcome = match framing_error(&parts, head.framing) {
        Some(problem) => Err(GatewayError::client(ResponseType::Default4xx, problem)),
        None => {
            let body = IncomingBody {
                body,
                declared: content_length(&parts.headers),
                timeout: api.limits.body_timeout,
                budget: &shared.body_budget,
                held: &held,
            };
            let dispatch = Sender { client };
            pipeline::run(&shared_api, &mut exchange, &mut record, body, &dispatch).await
        }
    };
    let (mut response, error) = match outcome {
        Ok(Some(response)) => (response, None),
        // The server's dispatch always answers; this is for completeness.
        Ok(None) => (Response::new(Full::new(Bytes::new())), None),
        Err(error) => {
            let failure = Failure {
                kind: error.kind,
                message: error.message.clone(),
            };
            (gateway_response::fail(api, &exchange, error), Some(failure))
        }
    };
    drop(held);
    // Every answer of a route CORS covers, the gateway's own included, so
    // that a page can read its errors too.
    crate::cors::decorate(api, &exchange, response.headers_mut());
    // After a framing problem or a body that did not arrive in time, the
    // connection's remaining bytes cannot be trusted to start a request.
    if error.as_ref().is_some_and(|f| {
        matches!(
            f.kind,
            ResponseType::Default4xx | ResponseType::RequestTimeout
        )
    }) {
        response
            .headers_mut()
            .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    }
    observe(
        shared,
        api,
        &exchange,
        &record,
        &response,
        error,
        started.elapsed(),
    );
    response
}

/// The method request as the stages see it: the client's address (through
/// trusted proxies), the trace id and the header names' spelling settled here.
fn method_request(
    api: &Api,
    parts: &http::request::Parts,
    peer: SocketAddr,
    spellings: &Spellings,
) -> MethodRequest {
    let source_ip = crate::forwarded::client_ip(
        peer.ip(),
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        &api.settings.trusted_proxies,
    );
    let trace_id = crate::forwarded::trace_id(
        parts
            .headers
            .get("x-amzn-trace-id")
            .and_then(|v| v.to_str().ok()),
    );
    let raw_query = parts.uri.query().unwrap_or_default();
    MethodRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query: raw_query.to_string(),
        headers: header_pairs(&parts.headers, spellings),
        body: Bytes::new(),
        source_ip: source_ip.to_string(),
        protocol: version(parts.version),
        trace_id,
    }
}

/// The headers as name/value pairs in hyper's order, each name as the
/// client spelled it where the connection's watch saw it (hyper lower-cases
/// them), lower-cased otherwise. hyper yields the values of a repeated name
/// one after the other, so the n-th value takes the n-th spelling.
fn header_pairs(headers: &http::HeaderMap, spellings: &Spellings) -> Vec<(String, String)> {
    let mut previous: Option<&header::HeaderName> = None;
    let mut nth = 0;
    headers
        .iter()
        .map(|(name, value)| {
            nth = if previous == Some(name) { nth + 1 } else { 0 };
            previous = Some(name);
            let spelled = spellings.get(name.as_str(), nth).unwrap_or(name.as_str());
            (
                spelled.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// What the access log and metrics keep of a gateway response.
struct Failure {
    kind: ResponseType,
    /// The client's message, `$context.error.message`.
    message: std::borrow::Cow<'static, str>,
}

/// Metrics and the access-log line of one answered request.
fn observe(
    shared: &Shared,
    api: &Api,
    exchange: &Exchange,
    record: &Record,
    response: &Response<Full<Bytes>>,
    failure: Option<Failure>,
    elapsed: Duration,
) {
    let status = response.status().as_u16();
    let context = &exchange.context;
    let route = exchange.method().map(|method| {
        method.metrics.get_or_init(|| {
            shared
                .metrics
                .route(&context.http_method, &context.resource_path)
        })
    });
    shared
        .metrics
        .request(route, &exchange.request.method, status, elapsed);
    if let Some(failure) = &failure {
        shared.metrics.error(failure.kind.name());
    }
    if let Some(event) = record.limit {
        shared.metrics.limit(event);
    }
    if let Some(call) = &record.integration {
        shared
            .metrics
            .integration(&call.service)
            .observe(call.latency.as_secs_f64());
        // A backend error the client gets as it is (or as the API maps it, a
        // Lambda function error among them): a gateway failure was logged
        // already.
        if failure.is_none()
            && let Some(backend_status) = call.status.filter(|s| *s >= 400 || call.error.is_some())
        {
            crate::report::integration_error(exchange, call, backend_status);
        }
    }
    let Some(log) = &shared.access_log else {
        return;
    };
    let call = record.integration.as_ref();
    let entry = crate::access_log::Entry {
        request_id: &context.request_id,
        extended_request_id: &context.extended_request_id,
        request_time: &context.request_time,
        request_time_epoch: context.request_time_epoch,
        http_method: &context.http_method,
        resource_path: &context.resource_path,
        resource_id: &context.resource_id,
        path: &context.path,
        protocol: exchange.request.protocol,
        stage: &context.stage,
        api_id: &context.api_id,
        account_id: &context.account_id,
        domain_name: &context.domain_name,
        status,
        response_length: hyper::body::Body::size_hint(response.body())
            .exact()
            .unwrap_or(0),
        response_latency_ms: millis(elapsed),
        integration_latency_ms: call.map(|c| millis(c.latency)),
        integration_status: call.and_then(|c| c.status),
        integration_error_message: call.and_then(|c| c.error.as_deref()).unwrap_or(""),
        error_message: failure.as_ref().map_or("", |f| &f.message),
        error_response_type: failure.as_ref().map_or("", |f| f.kind.name()),
        source_ip: &context.identity.source_ip,
        user_agent: &context.identity.user_agent,
        api_key_id: &context.identity.api_key_id,
        xray_trace_id: &exchange.request.trace_id,
    };
    let mut line = String::with_capacity(256);
    api.access_log.write(&entry, &mut line);
    log.send(line);
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The request's protocol, as `$context.protocol` names it.
fn version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    }
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// How much of a refused body is read and thrown away, and for how long, so
/// that a client still sending it gets to read the 413 instead of a reset
/// connection. Beyond this the connection is closed.
const DISCARD_MAX_BYTES: usize = 64 * 1024 * 1024;
const DISCARD_MAX_TIME: Duration = Duration::from_secs(10);

/// Reads and drops `body` in the background, within the bounds above.
fn discard(body: Incoming) {
    tokio::spawn(async move {
        let drain = async {
            let mut body = body;
            let mut seen = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                seen += frame.data_ref().map_or(0, |d| d.len());
                if seen > DISCARD_MAX_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DISCARD_MAX_TIME, drain).await;
    });
}

/// The body of a request on a connection.
struct IncomingBody<'a> {
    body: Incoming,
    /// `Content-Length`, when the client sent one.
    declared: Option<u64>,
    /// The whole body must arrive within this.
    timeout: Duration,
    /// The process's budget for body bytes in memory, in KiB permits.
    budget: &'a Arc<Semaphore>,
    /// Where the permits taken for this body are kept until the request ends.
    held: &'a std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

/// How long a body waits for others to free the memory budget before 503.
const BUDGET_WAIT: Duration = Duration::from_secs(1);

impl ReadBody for IncomingBody<'_> {
    /// Reads the body within its size limit (413: from `Content-Length`
    /// before reading anything, and while reading a chunked body), its time
    /// limit (408) and the process's memory budget (503). The buffer grows
    /// with what arrives, never with what `Content-Length` announces.
    async fn read(self, limit: usize) -> Result<Bytes, GatewayError> {
        let IncomingBody {
            mut body,
            declared,
            timeout,
            budget,
            held,
        } = self;
        if declared.is_some_and(|len| len > limit as u64) {
            discard(body);
            return Err(pipeline::too_large(limit));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(_) => {
                    return Err(GatewayError::client(
                        ResponseType::RequestTimeout,
                        format!(
                            "The request body did not arrive within {} ms",
                            timeout.as_millis()
                        ),
                    ));
                }
            };
            let frame = frame.map_err(|e| {
                GatewayError::client(
                    ResponseType::BadRequestBody,
                    format!("Could not read the request body: {e}"),
                )
            })?;
            let Some(data) = frame.data_ref() else {
                continue;
            };
            if buffer.len() + data.len() > limit {
                discard(body);
                return Err(pipeline::too_large(limit));
            }
            if let Err(error) = reserve(budget, held, buffer.len(), data.len()).await {
                // Read and dropped in the background, so that the client
                // reads the 503 instead of a reset connection.
                discard(body);
                return Err(error);
            }
            grow(&mut buffer, data.len(), declared);
            buffer.extend_from_slice(data);
        }
        Ok(Bytes::from(buffer))
    }
}

/// Makes room for `more` bytes: doubling as bytes arrive, as a buffer does,
/// but never past the announced `Content-Length`, so the last growth of a
/// large body does not leave it with up to twice the room it needs.
fn grow(buffer: &mut Vec<u8>, more: usize, declared: Option<u64>) {
    let needed = buffer.len() + more;
    if needed <= buffer.capacity() {
        return;
    }
    let doubled = needed.max(buffer.capacity() * 2).max(8 * 1024);
    let target = match declared.and_then(|d| usize::try_from(d).ok()) {
        Some(declared) if declared >= needed => doubled.min(declared),
        _ => doubled,
    };
    buffer.reserve_exact(target - buffer.len());
}

/// Takes budget for `more` bytes on top of `held_bytes`, waiting briefly
/// when others hold it all; the permits join those in `held`.
async fn reserve(
    budget: &Arc<Semaphore>,
    held: &std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
    held_bytes: usize,
    more: usize,
) -> Result<(), GatewayError> {
    let kib = |bytes: usize| bytes.div_ceil(1024);
    let needed = kib(held_bytes + more) - kib(held_bytes);
    if needed == 0 {
        return Ok(());
    }
    let needed = u32::try_from(needed).unwrap_or(u32::MAX);
    let permit = match budget.clone().try_acquire_many_owned(needed) {
        Ok(permit) => permit,
        Err(_) => {
            match tokio::time::timeout(BUDGET_WAIT, budget.clone().acquire_many_owned(needed)).await
            {
                Ok(Ok(permit)) => permit,
                _ => {
                    return Err(GatewayError {
                        retry_after: Some(1),
                        ..GatewayError::client_with_cause(
                            ResponseType::ServiceUnavailable,
                            "Service Unavailable: too many request bodies in flight; retry shortly",
                            "limits.max_inflight_body_bytes is taken by other requests' bodies",
                        )
                    });
                }
            }
        }
    };
    let mut held = held.lock().unwrap_or_else(|e| e.into_inner());
    match held.as_mut() {
        Some(all) => all.merge(permit),
        None => *held = Some(permit),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_buffers_double_but_never_past_the_announced_length() {
        let mut buffer = Vec::new();
        let declared = Some(100_000);
        let mut capacities = Vec::new();
        for _ in 0..100 {
            grow(&mut buffer, 1_000, declared);
            buffer.extend_from_slice(&[0; 1_000]);
            capacities.push(buffer.capacity());
        }
        capacities.dedup();
        assert_eq!(capacities, [8_192, 16_384, 32_768, 65_536, 100_000]);
        // A client that sends more than it announced still fits (and is
        // stopped by the size limit, not here).
        grow(&mut buffer, 10, declared);
        assert!(buffer.capacity() >= 100_010);
        // Without a length, plain doubling.
        let mut chunked = Vec::new();
        grow(&mut chunked, 10_000, None);
        assert_eq!(chunked.capacity(), 10_000);
        chunked.extend_from_slice(&[0; 10_000]);
        grow(&mut chunked, 1, None);
        assert_eq!(chunked.capacity(), 20_000);
    }
}
