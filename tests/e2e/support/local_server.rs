//! A plain HTTP/1.1 server on loopback, in its own thread, answering every
//! request with what a handler makes of it. The backends of the proxy tests
//! ([`super::recorder::Recorder`], [`super::lambda::LambdaStandIn`]) are
//! built on it. It stops when dropped.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// A request as the server read it: its head and its whole body.
pub type Handler =
    dyn Fn(http::request::Parts, Bytes) -> http::Response<Full<Bytes>> + Send + Sync + 'static;

pub struct LocalServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    pub fn start(handler: Arc<Handler>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
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
                            let handler = handler.clone();
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                                    let handler = handler.clone();
                                    async move {
                                        let (parts, body) = request.into_parts();
                                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                                        Ok::<_, std::convert::Infallible>(handler(parts, body))
                                    }
                                });
                                let io = hyper_util::rt::TokioIo::new(stream);
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(io, service)
                                    .await;
                            });
                        }
                        _ = &mut stop => break,
                    }
                }
            });
        });
        Self {
            url,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A response with `status`, `headers` in order (repeats kept) and `body`.
pub fn response(
    status: u16,
    headers: &[(String, String)],
    body: impl Into<Bytes>,
) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(body.into()));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    response
}
