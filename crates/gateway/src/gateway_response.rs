//! Gateway responses: the one place where the gateway's own errors become
//! HTTP responses. The names and default statuses are API Gateway's.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

/// An error raised by the gateway itself rather than by the backend.
#[derive(Debug)]
pub struct GatewayError {
    pub kind: ResponseType,
    /// The `message` of the JSON body. Never contains credentials.
    pub message: String,
    /// The value of `Allow` for a 405.
    pub allow: Option<String>,
}

/// API Gateway's gateway response types that this gateway raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// No resource matches the path. API Gateway answers 403 "Missing
    /// Authentication Token" here; a plain 404 is clearer.
    ResourceNotFound,
    /// The resource exists without this method.
    MethodNotAllowed,
    RequestTooLarge,
    UnsupportedMediaType,
    BadRequestBody,
    /// The configuration cannot serve the request, e.g. a template failed at run time.
    ApiConfigurationError,
    /// The backend could not be reached or answered badly.
    IntegrationFailure,
    IntegrationTimeout,
    /// Credentials to sign the call are unavailable.
    CredentialsUnavailable,
}

impl ResponseType {
    pub fn status(self) -> StatusCode {
        match self {
            Self::ResourceNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BadRequestBody => StatusCode::BAD_REQUEST,
            Self::ApiConfigurationError | Self::CredentialsUnavailable => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::IntegrationFailure => StatusCode::BAD_GATEWAY,
            Self::IntegrationTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The name sent in `x-amzn-ErrorType`, as API Gateway names its responses.
    pub fn name(self) -> &'static str {
        match self {
            Self::ResourceNotFound => "RESOURCE_NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RequestTooLarge => "REQUEST_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::BadRequestBody => "BAD_REQUEST_BODY",
            Self::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            Self::IntegrationFailure => "INTEGRATION_FAILURE",
            Self::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            Self::CredentialsUnavailable => "API_CONFIGURATION_ERROR",
        }
    }
}

impl GatewayError {
    pub fn new(kind: ResponseType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            allow: None,
        }
    }

    /// The response: `{"message": "..."}` with the type's status.
    pub fn into_response(self, request_id: &str) -> Response<Full<Bytes>> {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = self.kind.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(self.kind.name()),
        );
        if let Ok(id) = HeaderValue::from_str(request_id) {
            headers.insert("x-amzn-RequestId", id);
        }
        if let Some(allow) = self.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            headers.insert(header::ALLOW, allow);
        }
        response
    }
}

impl From<gateway_integration::Error> for GatewayError {
    fn from(error: gateway_integration::Error) -> Self {
        use gateway_integration::Error as E;
        let kind = match &error {
            E::CredentialsUnavailable(_) => ResponseType::CredentialsUnavailable,
            E::Timeout { .. } => ResponseType::IntegrationTimeout,
            E::Unreachable { .. } | E::BadResponse(_) => ResponseType::IntegrationFailure,
            E::InvalidEndpoint { .. } | E::Signing(_) | E::InvalidRequest(_) | E::Client(_) => {
                ResponseType::ApiConfigurationError
            }
        };
        Self::new(kind, error.to_string())
    }
}
