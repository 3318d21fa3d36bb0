//! Gateway responses: the one place where the gateway's own errors are
//! logged ([`fail`]) and become HTTP responses ([`GatewayResponses::respond`]).
//! The response types and their default statuses are API Gateway's; each can
//! be customised per API (status, headers, body template).

use std::collections::BTreeMap;

use bytes::Bytes;
use gateway_mapping::params::Scope;
use gateway_mapping::{Body, Context, ErrorContext, Input, Variables};
use http::{HeaderValue, Response, header};
use http_body_util::Full;

use crate::api::{Api, Custom, GatewayResponses};
use crate::error::{GatewayError, ResponseType};
use crate::pipeline::{Exchange, insert_request_id, text};
use crate::report;

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
    pub fn respond(&self, error: &GatewayError, scope: ErrorScope<'_>) -> Response<Full<Bytes>> {
        let custom = self.custom_for(error.kind);
        // A status set on DEFAULT_4XX/5XX applies to the types it stands in for.
        let status = custom
            .and_then(|c| c.status)
            .unwrap_or_else(|| error.kind.default_status());
        let mut context = scope.context;
        context.error = Some(ErrorContext {
            message: error.message.to_string(),
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
                        tracing::warn!(
                            request_id = %context.request_id,
                            error = %e,
                            "the {} gateway response's template failed; sending the default body",
                            error.kind.name()
                        );
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
        insert_request_id(headers, &context.request_id);
        if let Some(allow) = error
            .allow
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            headers.insert(header::ALLOW, allow);
        }
        if let Some(seconds) = error.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
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

/// Logs a failed request once, for the operator, and answers it with the
/// API's gateway response, for the client. The log line carries the request
/// id, the route, the response type, the origin and the cause; the response
/// carries none of the cause.
pub fn fail(api: &Api, exchange: &Exchange, error: GatewayError) -> Response<Full<Bytes>> {
    let response = respond(api, exchange, &error);
    report::failure(exchange, &error, response.status().as_u16());
    response
}

/// The API's gateway response for `error`, without logging it (for `gateway
/// render`, which prints the cause itself).
pub fn respond(api: &Api, exchange: &Exchange, error: &GatewayError) -> Response<Full<Bytes>> {
    let text = text(&exchange.request.body);
    let body = Body::new(&text);
    api.gateway_responses.respond(
        error,
        ErrorScope {
            request: exchange.input(&body),
            accept: exchange.request.header("accept"),
            context: exchange.context.clone(),
            stage_variables: &api.stage.variables,
        },
    )
}

/// API Gateway's default body, `{"message": $context.error.messageString}`.
fn default_body(message: &str) -> String {
    serde_json::json!({ "message": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Templates;
    use gateway_mapping::params::Source;
    use gateway_mapping::{Params, Template};
    use http::{HeaderName, StatusCode};

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

    #[tokio::test]
    async fn default_response_is_json_message_with_headers() {
        let vars = BTreeMap::new();
        let mut error = GatewayError::client(ResponseType::MethodNotAllowed, "no \"PUT\" here");
        error.allow = Some("GET".into());
        let response = GatewayResponses::default().respond(&error, scope(&vars, &Body::new("")));
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET");
        assert_eq!(response.headers()["x-amzn-errortype"], "METHOD_NOT_ALLOWED");
        assert_eq!(response.headers()["x-amzn-requestid"], "rid-1");
        assert_eq!(body(response).await, r#"{"message":"no \"PUT\" here"}"#);
    }

    #[tokio::test]
    async fn customised_type_then_default_class_then_builtin() {
        let request_body = Body::new("");
        let vars = BTreeMap::from([("team".to_string(), "data".to_string())]);
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
            &GatewayError::client(ResponseType::BadRequestBody, "bad"),
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
            &GatewayError::client(ResponseType::UnsupportedMediaType, "Unsupported"),
            scope(&vars, &request_body),
        );
        assert_eq!(response.status(), 400);
        assert_eq!(body(response).await, r#"{"message":"Unsupported"}"#);

        // 5xx types are untouched by DEFAULT_4XX.
        let response = responses.respond(
            &GatewayError::client(ResponseType::IntegrationTimeout, "slow"),
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
