//! The gateway's own failures, with their origin and cause kept until the one
//! place that logs them and turns them into gateway responses
//! ([`crate::gateway_response`]).
//!
//! A failure has two audiences. The client gets API Gateway's response type,
//! status and a message that never names an internal URL, a role ARN, a
//! template position or a credential problem. The operator gets the
//! [`Cause`], which names all of those.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// Who has to act on a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client sent something the API refuses: no route, a failed
    /// validation, a body too large, a media type without a template.
    Client,
    /// The backend: unreachable, too slow, a broken answer.
    Integration,
    /// The API's definition or the gateway's environment: a template that
    /// fails, no integration response for a status, missing credentials,
    /// credentials or permissions the service refuses.
    Configuration,
    /// The gateway itself.
    Gateway,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Client => "client",
            Origin::Integration => "integration",
            Origin::Configuration => "configuration",
            Origin::Gateway => "gateway",
        }
    }
}

/// What went wrong, for the operator's log.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// A refusal the gateway explains in words of its own.
    #[error("{0}")]
    Refused(String),
    /// A template failed while rendering: its name, line and column.
    #[error("{0}")]
    Template(#[source] gateway_mapping::Error),
    /// The integration call failed: the endpoint and the OS error, the
    /// timeout, the credential problem.
    #[error("{0}")]
    Integration(#[source] gateway_integration::Error),
    /// The service refused the gateway's own credentials or permissions.
    #[error("the service answered {status} {error}")]
    Service {
        status: u16,
        error: gateway_integration::AwsError,
    },
    /// The API's definition does not cover this request.
    #[error("{0}")]
    Configuration(String),
    /// The backend answered with what the integration cannot pass on: a
    /// Lambda function error or a malformed result for a proxy integration.
    #[error("{0}")]
    Answer(String),
    /// An authorizer could not decide: its function failed or answered
    /// nonsense, its keys could not be fetched.
    #[error("{0}")]
    Authorizer(String),
}

/// An error raised by the gateway rather than by the backend.
#[derive(Debug)]
pub struct GatewayError {
    pub kind: ResponseType,
    pub origin: Origin,
    /// Boxed: errors travel through every stage's `Result`, which should
    /// stay small for the requests that succeed.
    pub cause: Box<Cause>,
    /// What the client may read, `$context.error.message`.
    pub message: Cow<'static, str>,
    /// `$context.error.validationErrorString`: details of a failed validation.
    pub validation_error: String,
    /// The value of `Allow` for a 405.
    pub allow: Option<String>,
    /// Seconds for `Retry-After`, for a 503.
    pub retry_after: Option<u32>,
}

/// API Gateway's message for server errors: nothing about the cause.
pub const INTERNAL_SERVER_ERROR: &str = "Internal server error";

impl GatewayError {
    /// A refusal of the client's request, whose explanation the client may
    /// read (it only speaks of what the client sent).
    pub fn client(kind: ResponseType, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            kind,
            origin: Origin::Client,
            message: Cow::Owned(message.clone()),
            cause: Box::new(Cause::Refused(message)),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// A refusal of the client's request with a short message for the client
    /// and a longer explanation for the operator.
    pub fn client_with_cause(
        kind: ResponseType,
        message: &'static str,
        cause: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            origin: Origin::Client,
            message: Cow::Borrowed(message),
            cause: Box::new(Cause::Refused(cause.into())),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// The API's definition failed for this request: 500
    /// `API_CONFIGURATION_ERROR`, "Internal server error".
    pub fn configuration(cause: Cause) -> Self {
        Self {
            kind: ResponseType::ApiConfigurationError,
            origin: Origin::Configuration,
            message: Cow::Borrowed(INTERNAL_SERVER_ERROR),
            cause: Box::new(cause),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// The backend answered with what the integration cannot pass on: 502
    /// `INTEGRATION_FAILURE`, "Internal server error", as API Gateway answers
    /// a Lambda proxy's function error or malformed result.
    pub fn bad_answer(reason: String) -> Self {
        Self {
            kind: ResponseType::IntegrationFailure,
            origin: Origin::Integration,
            message: Cow::Borrowed(INTERNAL_SERVER_ERROR),
            cause: Box::new(Cause::Answer(reason)),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// The service refused the gateway's own credentials or permissions: the
    /// client gets a 500 and none of the service's text, which can name role
    /// ARNs and account ids.
    pub fn service_refused_credentials(status: u16, error: gateway_integration::AwsError) -> Self {
        Self::configuration(Cause::Service { status, error })
    }

    /// A request template that failed. What the client's request drove it
    /// to (a body that looks like JSON and is not, more items than a loop
    /// may take, an integration request over the size limit) is the
    /// client's mistake, and the client hears what it was, without the
    /// template's position; anything else is the API's definition, a 500.
    pub fn request_template(error: gateway_mapping::Error) -> Self {
        use gateway_mapping::ErrorKind;
        let (kind, message) = match error.kind() {
            ErrorKind::Body | ErrorKind::Limit => (
                ResponseType::BadRequestBody,
                format!("Invalid request body: {}", error.message()),
            ),
            ErrorKind::TooLarge => (
                ResponseType::RequestTooLarge,
                format!(
                    "The integration request for this body would be larger than {} bytes",
                    gateway_mapping::limits::MAX_OUTPUT_BYTES
                ),
            ),
            _ => return Self::configuration(Cause::Template(error)),
        };
        Self {
            kind,
            origin: Origin::Client,
            message: Cow::Owned(message),
            cause: Box::new(Cause::Template(error)),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }

    /// The message and type for the client, as one line.
    pub fn client_view(&self) -> String {
        format!("{} ({})", self.message, self.kind.name())
    }
}

impl fmt::Display for GatewayError {
    /// The operator's view: the cause.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cause.fmt(f)
    }
}

impl From<gateway_integration::Error> for GatewayError {
    fn from(error: gateway_integration::Error) -> Self {
        use gateway_integration::Error as E;
        let (kind, message) = match &error {
            // API Gateway's own words for a timeout.
            E::Timeout { .. } => (
                ResponseType::IntegrationTimeout,
                "Endpoint request timed out",
            ),
            E::Unreachable { .. } | E::BadResponse { .. } => {
                (ResponseType::IntegrationFailure, INTERNAL_SERVER_ERROR)
            }
            _ => (ResponseType::ApiConfigurationError, INTERNAL_SERVER_ERROR),
        };
        let origin = match error.origin() {
            gateway_integration::Origin::Integration => Origin::Integration,
            gateway_integration::Origin::Configuration => Origin::Configuration,
        };
        Self {
            kind,
            origin,
            message: Cow::Borrowed(message),
            cause: Box::new(Cause::Integration(error)),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }
}

impl GatewayError {
    /// An authorizer that could not decide: 500
    /// `AUTHORIZER_CONFIGURATION_ERROR`, "Internal server error", the
    /// reason for the operator only.
    pub fn authorizer_configuration(reason: String) -> Self {
        Self {
            kind: ResponseType::AuthorizerConfigurationError,
            origin: Origin::Configuration,
            message: Cow::Borrowed(INTERNAL_SERVER_ERROR),
            cause: Box::new(Cause::Authorizer(reason)),
            validation_error: String::new(),
            allow: None,
            retry_after: None,
        }
    }
}

/// API Gateway's gateway response types, plus `METHOD_NOT_ALLOWED` and the
/// protocol limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResponseType {
    AccessDenied,
    ApiConfigurationError,
    AuthorizerConfigurationError,
    AuthorizerFailure,
    BadRequestParameters,
    BadRequestBody,
    Default4xx,
    Default5xx,
    ExpiredToken,
    IntegrationFailure,
    IntegrationTimeout,
    InvalidApiKey,
    InvalidSignature,
    MissingAuthenticationToken,
    QuotaExceeded,
    RequestTooLarge,
    ResourceNotFound,
    Throttled,
    Unauthorized,
    UnsupportedMediaType,
    WafFiltered,
    /// The resource exists without this method. API Gateway answers 403
    /// MISSING_AUTHENTICATION_TOKEN here; 405 with `Allow` is plainer.
    MethodNotAllowed,
    /// The request line or headers are larger than the limits.
    RequestHeaderTooLarge,
    UriTooLong,
    /// The body did not arrive within `limits.body_timeout_ms`.
    RequestTimeout,
    /// The gateway holds as many request bodies as it may.
    ServiceUnavailable,
}

impl ResponseType {
    /// Every type, for parsing and documentation.
    pub const ALL: [ResponseType; 26] = [
        Self::AccessDenied,
        Self::ApiConfigurationError,
        Self::AuthorizerConfigurationError,
        Self::AuthorizerFailure,
        Self::BadRequestParameters,
        Self::BadRequestBody,
        Self::Default4xx,
        Self::Default5xx,
        Self::ExpiredToken,
        Self::IntegrationFailure,
        Self::IntegrationTimeout,
        Self::InvalidApiKey,
        Self::InvalidSignature,
        Self::MissingAuthenticationToken,
        Self::QuotaExceeded,
        Self::RequestTooLarge,
        Self::ResourceNotFound,
        Self::Throttled,
        Self::Unauthorized,
        Self::UnsupportedMediaType,
        Self::WafFiltered,
        Self::MethodNotAllowed,
        Self::RequestHeaderTooLarge,
        Self::UriTooLong,
        Self::RequestTimeout,
        Self::ServiceUnavailable,
    ];

    /// The default status. DEFAULT_4XX and DEFAULT_5XX have none of their own
    /// in API Gateway; here they default to 400 and 500.
    pub fn default_status(self) -> StatusCode {
        match self {
            Self::AccessDenied
            | Self::ExpiredToken
            | Self::InvalidApiKey
            | Self::InvalidSignature
            | Self::MissingAuthenticationToken
            | Self::WafFiltered => StatusCode::FORBIDDEN,
            Self::ApiConfigurationError
            | Self::AuthorizerConfigurationError
            | Self::AuthorizerFailure
            | Self::Default5xx => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadRequestParameters | Self::BadRequestBody | Self::Default4xx => {
                StatusCode::BAD_REQUEST
            }
            // API Gateway answers 504 for both; an unreachable backend is a 502
            // here, which says what happened.
            Self::IntegrationFailure => StatusCode::BAD_GATEWAY,
            Self::IntegrationTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::QuotaExceeded | Self::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ResourceNotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestHeaderTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The name used in the configuration and in `x-amzn-ErrorType`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessDenied => "ACCESS_DENIED",
            Self::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            Self::AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
            Self::AuthorizerFailure => "AUTHORIZER_FAILURE",
            Self::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            Self::BadRequestBody => "BAD_REQUEST_BODY",
            Self::Default4xx => "DEFAULT_4XX",
            Self::Default5xx => "DEFAULT_5XX",
            Self::ExpiredToken => "EXPIRED_TOKEN",
            Self::IntegrationFailure => "INTEGRATION_FAILURE",
            Self::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            Self::InvalidApiKey => "INVALID_API_KEY",
            Self::InvalidSignature => "INVALID_SIGNATURE",
            Self::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            Self::QuotaExceeded => "QUOTA_EXCEEDED",
            Self::RequestTooLarge => "REQUEST_TOO_LARGE",
            Self::ResourceNotFound => "RESOURCE_NOT_FOUND",
            Self::Throttled => "THROTTLED",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::WafFiltered => "WAF_FILTERED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RequestHeaderTooLarge => "REQUEST_HEADER_TOO_LARGE",
            Self::UriTooLong => "URI_TOO_LONG",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_statuses_match_api_gateway() {
        for kind in ResponseType::ALL {
            assert_eq!(ResponseType::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            ResponseType::MissingAuthenticationToken.default_status(),
            403
        );
        assert_eq!(ResponseType::QuotaExceeded.default_status(), 429);
        assert_eq!(ResponseType::UnsupportedMediaType.default_status(), 415);
        assert_eq!(ResponseType::IntegrationTimeout.default_status(), 504);
    }

    #[test]
    fn clients_see_the_type_and_generic_text_operators_see_the_cause() {
        let error = GatewayError::configuration(Cause::Configuration(
            "no integration response matches status 201".into(),
        ));
        assert_eq!(
            error.client_view(),
            "Internal server error (API_CONFIGURATION_ERROR)"
        );
        assert_eq!(
            error.to_string(),
            "no integration response matches status 201"
        );
        assert_eq!(error.origin, Origin::Configuration);

        let error = GatewayError::client(ResponseType::BadRequestBody, "Invalid request body");
        assert_eq!(error.message, "Invalid request body");
        assert_eq!(error.origin, Origin::Client);
    }
}
