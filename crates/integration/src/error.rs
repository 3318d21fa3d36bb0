//! The crate's one error type.

use std::time::Duration;

/// What can go wrong between a rendered request and the backend's response.
/// Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint configuration is unusable.
    #[error("invalid endpoint `{url}`: {reason}")]
    InvalidEndpoint { url: String, reason: String },
    /// No credentials could be loaded from the configured source.
    #[error("AWS credentials are unavailable: {0}")]
    CredentialsUnavailable(String),
    /// The request could not be signed (a malformed URL or header).
    #[error("could not sign the integration request: {0}")]
    Signing(String),
    /// The request could not be built (a header name or value is not valid HTTP).
    #[error("invalid integration request: {0}")]
    InvalidRequest(String),
    /// The backend could not be reached: refused connection, DNS, TLS.
    #[error("could not reach the integration endpoint {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The backend did not answer within the integration timeout.
    #[error("the integration endpoint did not answer within {} ms", timeout.as_millis())]
    Timeout { timeout: Duration },
    /// The backend answered, but the exchange failed midway or the response
    /// body was larger than allowed.
    #[error("bad response from the integration endpoint: {0}")]
    BadResponse(String),
    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}
