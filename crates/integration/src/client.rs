//! The pooled HTTP client that sends integration requests.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

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
    /// How long to wait for a TCP (and TLS) connection.
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

/// The outbound HTTP client: keep-alive pooled, shared by all integrations.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    max_response_bytes: usize,
}

impl Client {
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .connect_timeout(options.connect_timeout)
            .tcp_nodelay(true)
            // Backends answer on the request's URL; a redirect would need a new
            // signature, so it is returned to the caller, not followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
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
        let mut builder = self
            .http
            .request(request.method, url.as_str())
            .timeout(timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let built = builder
            .body(request.body)
            .build()
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let exchange = async {
            let mut response = self
                .http
                .execute(built)
                .await
                .map_err(|e| classify(e, &url, timeout))?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut body = BytesMut::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(e, &url, timeout))?
            {
                if body.len() + chunk.len() > self.max_response_bytes {
                    return Err(Error::BadResponse(format!(
                        "the response body is larger than {} bytes",
                        self.max_response_bytes
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(InboundResponse {
                status,
                headers,
                body: body.freeze(),
            })
        };
        // reqwest's own timeout covers the exchange too; this one is the
        // backstop that guarantees the caller's deadline.
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout { timeout }),
        }
    }
}

fn classify(error: reqwest::Error, url: &str, timeout: Duration) -> Error {
    if error.is_timeout() {
        Error::Timeout { timeout }
    } else if error.is_connect() {
        Error::Unreachable {
            url: url.to_string(),
            reason: root_cause(&error),
        }
    } else if error.is_builder() {
        Error::InvalidRequest(root_cause(&error))
    } else {
        Error::BadResponse(root_cause(&error))
    }
}

/// The innermost cause, which is the readable part (`Connection refused`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
