//! Gateway responses: the one place where the gateway's own errors become HTTP
//! responses. The response types and their default statuses are API
//! Gateway's; each can be customised per API (status, headers, body template).

use std::collections::BTreeMap;

use bytes::Bytes;
use gateway_mapping::params::{Scope, Source};
use gateway_mapping::{Context, ErrorContext, Input, Variables};
use http::{HeaderName, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::api::Templates;

/// An error raised by the gateway itself rather than by the backend.
#[derive(Debug)]
pub struct GatewayError {
    pub kind: ResponseType,
    /// `$context.error.message`. Never contains credentials.
    pub message: String,
    /// `$context.error.validationErrorString`: details of a failed validation.
    pub validation_error: String,
    /// The value of `Allow` for a 405.
    pub allow: Option<String>,
}

/// API Gateway's gateway response types, plus `METHOD_NOT_ALLOWED`.
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
}

impl ResponseType {
    /// Every type, for parsing and documentation.
    pub const ALL: [ResponseType; 24] = [
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
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl GatewayError {
    pub fn new(kind: ResponseType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            validation_error: String::new(),
            allow: None,
        }
    }
}

impl From<gateway_integration::Error> for GatewayError {
    fn from(error: gateway_integration::Error) -> Self {
        use gateway_integration::Error as E;
        let kind = match &error {
            E::Timeout { .. } => ResponseType::IntegrationTimeout,
            E::Unreachable { .. } | E::BadResponse(_) => ResponseType::IntegrationFailure,
            E::CredentialsUnavailable(_)
            | E::InvalidEndpoint { .. }
            | E::Signing(_)
            | E::InvalidRequest(_)
            | E::Client(_) => ResponseType::ApiConfigurationError,
        };
        Self::new(kind, error.to_string())
    }
}

/// One customised gateway response, compiled.
#[derive(Debug, Default)]
pub struct Custom {
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, Source)>,
    pub templates: Templates,
}

/// The API's gateway responses: the customised ones by type.
#[derive(Debug, Default)]
pub struct GatewayResponses {
    pub custom: BTreeMap<ResponseType, Custom>,
}

/// What a gateway response may read of the request that caused it.
#[derive(Debug)]
pub struct ErrorScope<'a> {
    /// The method request, as far as it was read.
    pub request: Input<'a>,
    /// The `Accept` header, to pick a template.
    pub accept: Option<&'a str>,
    pub context: Context,
    pub stage_variables: &'a BTreeMap<String, String>,
}

impl GatewayResponses {
    /// The customisation that applies to `kind`: its own, or for an unknown
    /// route MISSING_AUTHENTICATION_TOKEN's (what API Gateway raises there),
    /// or DEFAULT_4XX/DEFAULT_5XX's by status class.
    fn custom_for(&self, kind: ResponseType) -> Option<&Custom> {
        if let Some(custom) = self.custom.get(&kind) {
            return Some(custom);
        }
        if matches!(
            kind,
            ResponseType::ResourceNotFound | ResponseType::MethodNotAllowed
        ) && let Some(custom) = self.custom.get(&ResponseType::MissingAuthenticationToken)
        {
            return Some(custom);
        }
        let class = if kind.default_status().is_server_error() {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        };
        self.custom.get(&class)
    }

    /// The response for `error`.
    pub fn respond(&self, error: GatewayError, scope: ErrorScope<'_>) -> Response<Full<Bytes>> {
        let custom = self.custom_for(error.kind);
        // A status set on DEFAULT_4XX/5XX applies to the types it stands in for.
        let status = custom
            .and_then(|c| c.status)
            .unwrap_or_else(|| error.kind.default_status());
        let mut context = scope.context;
        context.error = Some(ErrorContext {
            message: error.message.clone(),
            response_type: error.kind.name().to_string(),
            validation_error_string: error.validation_error.clone(),
        });

        let input = scope.request;
        let mut content_type = HeaderValue::from_static("application/json");
        let body = match custom.and_then(|c| c.templates.select(scope.accept)) {
            Some((media_type, template)) => {
                let variables = Variables {
                    input,
                    context: &context,
                    stage_variables: scope.stage_variables,
                };
                match template.render(&variables) {
                    Ok(rendered) => {
                        if let Ok(value) = HeaderValue::from_str(media_type) {
                            content_type = value;
                        }
                        rendered.body
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "gateway response template failed; sending the default body");
                        default_body(&error.message)
                    }
                }
            }
            None => default_body(&error.message),
        };

        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type);
        headers.insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(error.kind.name()),
        );
        crate::pipeline::insert_request_id(headers, &context.request_id);
        if let Some(allow) = error
            .allow
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            headers.insert(header::ALLOW, allow);
        }
        if let Some(custom) = custom {
            let mapping_scope = Scope {
                request: input,
                response: None,
                context: &context,
                stage_variables: scope.stage_variables,
            };
            for (name, source) in &custom.headers {
                if let Some(value) = source
                    .resolve(&mapping_scope)
                    .and_then(|v| HeaderValue::from_str(&v).ok())
                {
                    headers.insert(name.clone(), value);
                }
            }
        }
        response
    }
}

/// API Gateway's default body, `{"message": $context.error.messageString}`.
fn default_body(message: &str) -> String {
    serde_json::json!({ "message": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_mapping::{Body, Params, Template};

    fn scope<'a>(vars: &'a BTreeMap<String, String>, body: &'a Body<'_>) -> ErrorScope<'a> {
        ErrorScope {
            request: Input::new(body, Params::default()),
            accept: None,
            context: Context {
                request_id: "rid-1".into(),
                stage: "prod".into(),
                ..Default::default()
            },
            stage_variables: vars,
        }
    }

    async fn body(response: Response<Full<Bytes>>) -> String {
        use http_body_util::BodyExt;
        String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap()
    }

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

    #[tokio::test]
    async fn default_response_is_json_message_with_headers() {
        let vars = BTreeMap::new();
        let request_body = Body::new("");
        let mut error = GatewayError::new(ResponseType::MethodNotAllowed, "no \"PUT\" here");
        error.allow = Some("GET".into());
        let response = GatewayResponses::default().respond(error, scope(&vars, &request_body));
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET");
        assert_eq!(response.headers()["x-amzn-errortype"], "METHOD_NOT_ALLOWED");
        assert_eq!(response.headers()["x-amzn-requestid"], "rid-1");
        assert_eq!(body(response).await, r#"{"message":"no \"PUT\" here"}"#);
    }

    #[tokio::test]
    async fn customised_type_then_default_class_then_builtin() {
        let vars = BTreeMap::from([("team".to_string(), "data".to_string())]);
        let request_body = Body::new("");
        let mut responses = GatewayResponses::default();
        let mut templates = Templates::default();
        templates.by_media_type.push((
            "application/json".into(),
            Template::compile(
                "t",
                r#"{"error": $context.error.messageString, "type": "$context.error.responseType", "stage": "$context.stage"}"#,
            )
            .unwrap(),
        ));
        responses.custom.insert(
            ResponseType::Default4xx,
            Custom {
                status: Some(StatusCode::IM_A_TEAPOT),
                headers: vec![
                    (
                        HeaderName::from_static("access-control-allow-origin"),
                        Source::Static("*".into()),
                    ),
                    (
                        HeaderName::from_static("x-team"),
                        Source::StageVariable("team".into()),
                    ),
                ],
                templates,
            },
        );
        responses.custom.insert(
            ResponseType::UnsupportedMediaType,
            Custom {
                status: Some(StatusCode::BAD_REQUEST),
                ..Default::default()
            },
        );

        let response = responses.respond(
            GatewayError::new(ResponseType::BadRequestBody, "bad"),
            scope(&vars, &request_body),
        );
        assert_eq!(response.status(), 418);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert_eq!(response.headers()["x-team"], "data");
        assert_eq!(
            body(response).await,
            r#"{"error": "bad", "type": "BAD_REQUEST_BODY", "stage": "prod"}"#
        );

        // Its own customisation wins over DEFAULT_4XX.
        let response = responses.respond(
            GatewayError::new(ResponseType::UnsupportedMediaType, "Unsupported"),
            scope(&vars, &request_body),
        );
        assert_eq!(response.status(), 400);
        assert_eq!(body(response).await, r#"{"message":"Unsupported"}"#);

        // 5xx types are untouched by DEFAULT_4XX.
        let response = responses.respond(
            GatewayError::new(ResponseType::IntegrationTimeout, "slow"),
            scope(&vars, &request_body),
        );
        assert_eq!(response.status(), 504);
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
}
