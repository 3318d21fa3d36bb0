//! The pooled HTTP client that sends integration requests.
//!
//! It is hyper's own pooled client with a rustls connector. A higher-level
//! client (URL parsing, redirect and retry layers) cost about a sixth of the
//! gateway's CPU per request in profiles; none of it is needed here, because
//! the URL is built and signed by the gateway and a redirect would need a new
//! signature anyway.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::{Error, OutboundRequest};

/// Settings of the outbound client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The largest response body accepted from a backend.
    pub max_response_bytes: usize,
    /// Idle pooled connections are closed after this long.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per backend host.
    pub pool_max_idle_per_host: usize,
    /// How long to wait for a TCP connection.
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            // API Gateway's payload limit.
            max_response_bytes: 10 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 256,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A backend's answer.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// The outbound HTTP client: keep-alive pooled, HTTP and HTTPS. Cheap to clone;
/// clones share the pool.
#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(options.connect_timeout));
        connector.enforce_http(false);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .build(https);
        Ok(Self {
            http,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// Sends `request` and reads the whole response, within `timeout`.
    pub async fn send(
        &self,
        request: OutboundRequest,
        timeout: Duration,
    ) -> Result<InboundResponse, Error> {
        let url = request.url;
        let built = build(request.method, &url, &request.headers, request.body)?;
        let exchange = async {
            let response = self.http.request(built).await.map_err(|e| {
                if e.is_connect() {
                    Error::Unreachable {
                        url: url.clone(),
                        reason: root_cause(&e),
                        source: Box::new(e),
                    }
                } else {
                    Error::BadResponse {
                        url: url.clone(),
                        reason: root_cause(&e),
                        source: Some(Box::new(e)),
                    }
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, self.max_response_bytes)
                .collect()
                .await
                .map_err(|e| Error::BadResponse {
                    url: url.clone(),
                    reason: if e.is::<LengthLimitError>() {
                        format!(
                            "the response body is larger than {} bytes",
                            self.max_response_bytes
                        )
                    } else {
                        root_cause(&*e)
                    },
                    source: Some(e),
                })?
                .to_bytes();
            Ok(InboundResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout { url, timeout }),
        }
    }
}

/// The hyper request. A header that is not valid HTTP is named, never its
/// value, which may be a session token.
fn build(
    method: http::Method,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, Error> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| Error::InvalidRequest(format!("`{url}` is not a valid URL: {e}")))?;
    let mut request = http::Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let map = request.headers_mut();
    map.reserve(headers.len());
    for (name, value) in headers {
        let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("`{name}` is not a valid HTTP header name"))
        })?;
        let value = http::HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidRequest(format!(
                "the value of header `{name}` is not valid HTTP (only visible ASCII, spaces and tabs are)"
            ))
        })?;
        map.append(header, value);
    }
    Ok(request)
}

/// TLS with the system's root certificates, read once per process: every
/// worker's client shares them. A system without any still gets a client:
/// plain HTTP works and HTTPS fails with a certificate error.
fn tls_config() -> Result<rustls::ClientConfig, Error> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| load_tls_config().map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::Client)
}

fn load_tls_config() -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for certificate in native.certs {
        // One unreadable certificate in the store should not stop the rest.
        let _ = roots.add(certificate);
    }
    if roots.is_empty() {
        tracing::warn!("no system root certificates found: HTTPS integrations will fail");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Client(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The innermost cause, which is the readable part (`Connection refused`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A backend on loopback that answers one request with `body`, sent in
    /// chunks of `chunk` bytes (chunked transfer encoding).
    async fn backend(body: Vec<u8>, chunk: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await.unwrap();
            let mut answer = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            for piece in body.chunks(chunk) {
                answer.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                answer.extend_from_slice(piece);
                answer.extend_from_slice(b"\r\n");
            }
            answer.extend_from_slice(b"0\r\n\r\n");
            socket.write_all(&answer).await.unwrap();
        });
        url
    }

    async fn fetch(limit: usize, body: Vec<u8>, chunk: usize) -> Result<Bytes, Error> {
        let client = Client::new(&ClientOptions {
            max_response_bytes: limit,
            ..ClientOptions::default()
        })
        .unwrap();
        let url = backend(body, chunk).await;
        let request = OutboundRequest::new(http::Method::GET, url);
        client
            .send(request, Duration::from_secs(10))
            .await
            .map(|response| response.body)
    }

    #[tokio::test]
    async fn reads_bodies_up_to_the_limit_in_one_frame_or_many() {
        let body: Vec<u8> = (0..100u8).collect();
        assert_eq!(fetch(100, body.clone(), 100).await.unwrap(), body);
        assert_eq!(fetch(100, body.clone(), 7).await.unwrap(), body);
    }

    #[test]
    fn a_bad_header_is_named_without_its_value() {
        let headers = [
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "X-Amz-Security-Token".to_string(),
                "secret-token\r\nX-Injected: 1".to_string(),
            ),
        ];
        let error = build(
            http::Method::POST,
            "http://127.0.0.1:1/",
            &headers,
            Bytes::new(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid integration request: the value of header `X-Amz-Security-Token` is not valid HTTP (only visible ASCII, spaces and tabs are)"
        );
        let headers = [("Bad Name".to_string(), "v".to_string())];
        let error = build(
            http::Method::GET,
            "http://127.0.0.1:1/",
            &headers,
            Bytes::new(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid integration request: `Bad Name` is not a valid HTTP header name"
        );
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_limit() {
        let error = fetch(100, vec![b'x'; 101], 30).await.unwrap_err();
        assert!(
            matches!(&error, Error::BadResponse { reason, .. } if reason == "the response body is larger than 100 bytes"),
            "{error:?}"
        );
    }
}
