//! The HTTP server: accepts connections, turns each hyper request into a
//! [`MethodRequest`], runs the pipeline, and logs one line per request.
//!
//! Each worker thread runs [`serve`] on its own single-threaded runtime with
//! its own listening socket and backend client (see `cli::run`).

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

use gateway_integration::Client;

use crate::api::Api;
use crate::gateway_response::{GatewayError, ResponseType};
use crate::pipeline::{self, Exchange, MethodRequest};

/// How long a client may take to send a request's line and headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_DEADLINE: Duration = Duration::from_secs(30);

/// Serves `api` on `listener` until `shutdown` completes, then drains
/// in-flight requests for up to [`DRAIN_DEADLINE`]. Integration calls go
/// through `client`, whose pooled connections belong to this runtime.
pub async fn serve(
    api: Arc<Api>,
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
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let api = api.clone();
                let client = client.clone();
                let service = service_fn(move |request| {
                    let api = api.clone();
                    let client = client.clone();
                    async move { Ok::<_, Infallible>(handle(&api, &client, request, peer).await) }
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
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(DRAIN_DEADLINE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("drain deadline passed; closing remaining connections");
    }
}

/// One request, start to finish, with its access-log line.
pub async fn handle(
    api: &Api,
    client: &Client,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
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
        source_ip: peer.ip().to_string(),
    };
    let mut exchange = Exchange::new(api, method_request, request_id);
    let response = match run(api, client, &parts, body, &mut exchange).await {
        Ok(response) => response,
        Err(error) => pipeline::error_response(api, error, &exchange),
    };
    tracing::info!(
        target: "access",
        method = %exchange.request.method,
        path = %exchange.request.path,
        status = response.status().as_u16(),
        latency_ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0),
        request_id = %exchange.context.request_id,
    );
    response
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
