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
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use arc_swap::ArcSwap;
use gateway_integration::Client;

use crate::access_log::AccessLog;
use crate::api::Api;
use crate::error::{GatewayError, ResponseType};
use crate::gateway_response;
use crate::metrics::Metrics;
use crate::pipeline::{self, Exchange, MethodRequest, ReadBody, Record, Sender};

/// How long a client may take to send a request's line and headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
}

/// Serves on `listener` until `shutdown` completes, then lets in-flight
/// requests finish (the process bounds how long: `shutdown_timeout_ms`).
/// Integration calls go through `client`, whose pooled connections belong to
/// this runtime.
pub async fn serve(
    shared: Arc<Shared>,
    client: Client,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A client that sends its request head slowly, or not at all, is cut off
    // instead of holding a connection forever.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        shared.metrics.connection_refused("accept_failed");
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let client = client.clone();
                let service = service_fn(move |request| {
                    let shared = shared.clone();
                    let client = client.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, &client, request, peer).await) }
                });
                let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// One request, start to finish: the pipeline, then its metrics, its
/// access-log line and, for a failure, one log line with the cause.
pub async fn handle(
    shared: &Shared,
    client: &Client,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let _inflight = shared.metrics.inflight();
    // The API this request started with, whatever a reload does meanwhile.
    let api = shared.api.load_full();
    let api = api.as_ref();
    let (parts, body) = request.into_parts();
    let mut exchange = Exchange::new(
        api,
        method_request(api, &parts, peer),
        uuid::Uuid::new_v4().to_string(),
    );
    if let Some(account) = shared.account_id.get() {
        exchange.context.account_id.clone_from(account);
    }
    let mut record = Record::default();
    let body = IncomingBody {
        body,
        declared: content_length(&parts.headers),
    };
    let dispatch = Sender { client };
    let (response, error) =
        match pipeline::run(api, &mut exchange, &mut record, body, &dispatch).await {
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
/// trusted proxies) and the trace id settled here.
fn method_request(api: &Api, parts: &http::request::Parts, peer: SocketAddr) -> MethodRequest {
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
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Bytes::new(),
        source_ip: source_ip.to_string(),
        protocol: version(parts.version),
        trace_id,
    }
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
    if let Some(call) = &record.integration {
        shared
            .metrics
            .integration(&call.service)
            .observe(call.latency.as_secs_f64());
        // A backend error the client gets as it is: a gateway failure was
        // logged already.
        if failure.is_none()
            && let Some(backend_status) = call.status.filter(|s| *s >= 400)
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
        api_key_id: "",
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
struct IncomingBody {
    body: Incoming,
    /// `Content-Length`, when the client sent one.
    declared: Option<u64>,
}

impl ReadBody for IncomingBody {
    /// Reads the body, refusing one larger than `limit`: from `Content-Length`
    /// before reading anything, and while reading a chunked body.
    async fn read(self, limit: usize) -> Result<Bytes, GatewayError> {
        if self.declared.is_some_and(|len| len > limit as u64) {
            discard(self.body);
            return Err(pipeline::too_large(limit));
        }
        // One buffer, sized from Content-Length when there is one.
        let mut buffer =
            bytes::BytesMut::with_capacity(self.declared.map_or(0, |len| len as usize));
        let mut body = self.body;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                GatewayError::client(
                    ResponseType::BadRequestBody,
                    format!("Could not read the request body: {e}"),
                )
            })?;
            if let Some(data) = frame.data_ref() {
                if buffer.len() + data.len() > limit {
                    discard(body);
                    return Err(pipeline::too_large(limit));
                }
                buffer.extend_from_slice(data);
            }
        }
        Ok(buffer.freeze())
    }
}
