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
use crate::gateway_response::{GatewayError, ResponseType};
use crate::metrics::Metrics;
use crate::pipeline::{self, Exchange, MethodRequest};

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
    let api = shared.api.load_full();
    let api = api.as_ref();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let source_ip = crate::forwarded::client_ip(
        peer.ip(),
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        &api.settings.trusted_proxies,
    );
    let method_request = MethodRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
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
    };
    let mut exchange = Exchange::new(api, method_request, request_id);
    if let Some(account) = shared.account_id.get() {
        exchange.context.account_id.clone_from(account);
    }
    let mut error_kind = None;
    let response = match run(api, client, &parts, body, &mut exchange).await {
        Ok(response) => response,
        Err(error) => {
            error_kind = Some(error.kind);
            pipeline::error_response(api, error, &exchange)
        }
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = exchange.method.as_ref().map(|method| {
        method.metrics.get_or_init(|| {
            shared.metrics.route(
                &exchange.context.http_method,
                &exchange.context.resource_path,
            )
        })
    });
    shared
        .metrics
        .request(route, &exchange.request.method, status, elapsed);
    if let Some(kind) = error_kind {
        shared.metrics.error(kind.name());
    }
    if let Some(log) = &shared.access_log {
        let length = hyper::body::Body::size_hint(response.body())
            .exact()
            .unwrap_or(0);
        let context = &exchange.context;
        let entry = crate::access_log::Entry {
            request_id: &context.request_id,
            extended_request_id: &context.extended_request_id,
            request_time: &context.request_time,
            request_time_epoch: context.request_time_epoch,
            http_method: &context.http_method,
            resource_path: &context.resource_path,
            path: &context.path,
            protocol: version(parts.version),
            stage: &context.stage,
            account_id: &context.account_id,
            domain_name: &context.domain_name,
            status,
            response_length: length,
            response_latency_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            error_response_type: error_kind.map_or("", |k| k.name()),
            source_ip: &context.identity.source_ip,
            user_agent: &context.identity.user_agent,
            ..crate::access_log::Entry::default()
        };
        let mut line = String::with_capacity(256);
        api.access_log.write(&entry, &mut line);
        log.send(line);
    }
    response
}

/// The request's protocol, as `$context.protocol` names it.
fn version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    }
}

async fn run(
    api: &Api,
    client: &Client,
    parts: &http::request::Parts,
    body: Incoming,
    exchange: &mut Exchange,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    check_sizes(api, parts)?;
    // Route before reading the body: an unknown path costs no body read.
    pipeline::route(api, exchange)?;
    exchange.request.body = read_body(body, &parts.headers, api.limits.max_body_bytes).await?;
    pipeline::execute(api, client, exchange).await
}

/// The URL and header limits.
fn check_sizes(api: &Api, parts: &http::request::Parts) -> Result<(), GatewayError> {
    let url = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if url > api.limits.max_url_bytes {
        return Err(GatewayError::new(
            ResponseType::UriTooLong,
            format!(
                "The request URL is longer than {} bytes",
                api.limits.max_url_bytes
            ),
        ));
    }
    let headers: usize = parts
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if headers > api.limits.max_header_bytes {
        return Err(GatewayError::new(
            ResponseType::RequestHeaderTooLarge,
            format!(
                "The request headers are larger than {} bytes",
                api.limits.max_header_bytes
            ),
        ));
    }
    Ok(())
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

/// Reads the body, refusing one larger than `limit`: from `Content-Length`
/// before reading anything, and while reading a chunked body.
async fn read_body(
    body: Incoming,
    headers: &http::HeaderMap,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    let too_large = || {
        GatewayError::new(
            ResponseType::RequestTooLarge,
            format!("Request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        discard(body);
        return Err(too_large());
    }
    // One buffer, sized from Content-Length when there is one.
    let mut buffer = bytes::BytesMut::with_capacity(declared.map_or(0, |len| len as usize));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            GatewayError::new(
                ResponseType::BadRequestBody,
                format!("Could not read the request body: {e}"),
            )
        })?;
        if let Some(data) = frame.data_ref() {
            if buffer.len() + data.len() > limit {
                discard(body);
                return Err(too_large());
            }
            buffer.extend_from_slice(data);
        }
    }
    Ok(buffer.freeze())
}
