//! The admin listener: health, readiness and metrics, on an address of its
//! own so that none of it is reachable through the API's port.
//!
//! - `GET /health`: 200 while the process runs.
//! - `GET /ready`: 200 while serving; 503 while starting and while draining.
//! - `GET /metrics`: every metric, in the Prometheus (OpenMetrics) text format.
//! - `GET /usage`: each usage plan and its keys by name, with the requests
//!   counted in the current quota period and those remaining, as JSON. Key
//!   values never appear.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::server::Shared;

/// Whether the gateway takes traffic: false while starting and draining.
#[derive(Debug, Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serves the admin endpoints on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    readiness: Arc<Readiness>,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let readiness = readiness.clone();
                let shared = shared.clone();
                let service = service_fn(move |request| {
                    let readiness = readiness.clone();
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(answer(&request, &readiness, &shared).await) }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            () = &mut shutdown => break,
        }
    }
}

async fn answer(
    request: &Request<Incoming>,
    readiness: &Readiness,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    match request.uri().path() {
        "/health" => text(StatusCode::OK, "ok\n"),
        "/ready" if readiness.get() => text(StatusCode::OK, "ready\n"),
        "/ready" => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
        "/metrics" => {
            let mut response = Response::new(Full::new(Bytes::from(shared.metrics.encode())));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        "/usage" => {
            // The API of the moment: plans and keys as the last reload left them.
            let api = shared.api.load_full();
            let report = api.usage.report().await;
            let mut body = serde_json::to_string_pretty(&report).unwrap_or_default();
            body.push('\n');
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
