//! The crate's one error type.
//!
//! Each variant's `Display` is the operator's whole explanation: what failed,
//! where (the endpoint URL, the file) and the innermost cause (`Connection
//! refused (os error 111)`), so one log line of `{error}` says it all. Where a
//! typed cause exists it is also kept as the error's `source()`, for code that
//! inspects it; a printer that walks the source chain (anyhow's `{:#}`) would
//! therefore repeat the cause. What a client of the gateway may see is the
//! gateway's decision, not this text's.

use std::path::PathBuf;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;

use crate::AwsError;

/// A typed cause, kept for inspection (`downcast_ref`).
pub(crate) type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong between a rendered request and the backend's response.
/// Messages never contain a secret key, a session token or a signature.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint configuration is unusable.
    #[error("invalid endpoint `{url}`: {reason}")]
    InvalidEndpoint { url: String, reason: String },
    /// No credentials could be loaded from the configured source. `reason`
    /// is the provider's error with its causes, which name what was tried
    /// (a profile, a file, a role), never a key.
    #[error("AWS credentials are unavailable: {reason}")]
    CredentialsUnavailable {
        reason: String,
        #[source]
        source: CredentialsError,
    },
    /// The request could not be signed (a malformed URL or header).
    #[error("could not sign the integration request: {0}")]
    Signing(String),
    /// The request could not be built (a header name or value is not valid
    /// HTTP, a URL or an integration URI is malformed).
    #[error("invalid integration request: {0}")]
    InvalidRequest(String),
    /// The backend could not be reached: refused connection, DNS, TLS (an
    /// untrusted certificate among them).
    #[error("could not reach the integration endpoint {url}: {reason}")]
    Unreachable {
        url: String,
        reason: String,
        #[source]
        source: Cause,
    },
    /// The backend did not answer within the integration timeout.
    #[error("the integration endpoint {url} did not answer within {} ms", timeout.as_millis())]
    Timeout { url: String, timeout: Duration },
    /// The backend answered, but the exchange failed midway or the response
    /// body was larger than allowed.
    #[error("bad response from the integration endpoint {url}: {reason}")]
    BadResponse {
        url: String,
        reason: String,
        #[source]
        source: Option<Cause>,
    },
    /// An AWS service that this crate calls on its own behalf (STS
    /// GetCallerIdentity) answered with an error. `error` is what its answer
    /// said, when it could be read.
    #[error("{service} answered {status}{}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Service {
        service: String,
        status: http::StatusCode,
        error: Option<AwsError>,
    },
    /// The CA bundle (`AWS_CA_BUNDLE`) cannot be read or holds no usable
    /// certificate.
    #[error("the CA bundle {} is unusable: {reason}", path.display())]
    CaBundle {
        path: PathBuf,
        reason: String,
        #[source]
        source: Option<Cause>,
    },
    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

/// Whose fault an [`Error`] is, for the operator's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The backend or the way to it: unreachable, too slow, a broken answer,
    /// or a service error that is not about the gateway's own credentials.
    Integration,
    /// The gateway's configuration or environment: credentials and
    /// permissions, endpoint, signing, the integration request, the client's
    /// setup (a CA bundle).
    Configuration,
}

impl Error {
    /// Whether the integration or the configuration is at fault.
    pub fn origin(&self) -> Origin {
        match self {
            Error::Unreachable { .. } | Error::Timeout { .. } | Error::BadResponse { .. } => {
                Origin::Integration
            }
            Error::Service { error, .. } => {
                if error.as_ref().is_some_and(AwsError::is_auth_failure) {
                    Origin::Configuration
                } else {
                    Origin::Integration
                }
            }
            Error::InvalidEndpoint { .. }
            | Error::CredentialsUnavailable { .. }
            | Error::Signing(_)
            | Error::InvalidRequest(_)
            | Error::CaBundle { .. }
            | Error::Client(_) => Origin::Configuration,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn each_variant_names_its_origin() {
        let io = || -> Cause { Box::new(std::io::Error::other("x")) };
        let integration = [
            Error::Unreachable {
                url: "http://127.0.0.1:1".into(),
                reason: "Connection refused (os error 111)".into(),
                source: io(),
            },
            Error::Timeout {
                url: "http://127.0.0.1:1".into(),
                timeout: Duration::from_millis(29_000),
            },
            Error::BadResponse {
                url: "http://127.0.0.1:1".into(),
                reason: "connection closed before message completed".into(),
                source: None,
            },
            Error::Service {
                service: "sts".into(),
                status: http::StatusCode::BAD_REQUEST,
                error: Some(AwsError {
                    code: "Throttling".into(),
                    message: Some("Rate exceeded".into()),
                }),
            },
            Error::Service {
                service: "sts".into(),
                status: http::StatusCode::INTERNAL_SERVER_ERROR,
                error: None,
            },
        ];
        for error in &integration {
            assert_eq!(error.origin(), Origin::Integration, "{error}");
        }
        let configuration = [
            Error::InvalidEndpoint {
                url: "x".into(),
                reason: "not a URL".into(),
            },
            Error::CredentialsUnavailable {
                reason: "none".into(),
                source: CredentialsError::not_loaded("none"),
            },
            Error::Signing("`x` has no scheme".into()),
            Error::InvalidRequest("no value for `{id}`".into()),
            Error::CaBundle {
                path: "/x.pem".into(),
                reason: "it holds no PEM certificate".into(),
                source: None,
            },
            Error::Client("no protocol versions".into()),
            Error::Service {
                service: "sts".into(),
                status: http::StatusCode::FORBIDDEN,
                error: Some(AwsError {
                    code: "InvalidClientTokenId".into(),
                    message: None,
                }),
            },
        ];
        for error in &configuration {
            assert_eq!(error.origin(), Origin::Configuration, "{error}");
        }
    }

    #[test]
    fn display_is_the_whole_explanation_and_the_cause_stays_typed() {
        let error = Error::Unreachable {
            url: "http://127.0.0.1:1/?Action=PutRecord".into(),
            reason: "Connection refused (os error 111)".into(),
            source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        assert_eq!(
            error.to_string(),
            "could not reach the integration endpoint http://127.0.0.1:1/?Action=PutRecord: Connection refused (os error 111)"
        );
        let io = error
            .source()
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind);
        assert_eq!(io, Some(std::io::ErrorKind::ConnectionRefused));

        let error = Error::Service {
            service: "sts".into(),
            status: http::StatusCode::FORBIDDEN,
            error: Some(AwsError {
                code: "InvalidClientTokenId".into(),
                message: Some("The security token included in the request is invalid.".into()),
            }),
        };
        assert_eq!(
            error.to_string(),
            "sts answered 403 Forbidden: InvalidClientTokenId: The security token included in the request is invalid."
        );
        let error = Error::Service {
            service: "sts".into(),
            status: http::StatusCode::INTERNAL_SERVER_ERROR,
            error: None,
        };
        assert_eq!(error.to_string(), "sts answered 500 Internal Server Error");

        assert_eq!(
            Error::Timeout {
                url: "http://127.0.0.1:1/".into(),
                timeout: Duration::from_millis(1500)
            }
            .to_string(),
            "the integration endpoint http://127.0.0.1:1/ did not answer within 1500 ms"
        );
    }
}
