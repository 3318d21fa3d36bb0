//! The request flow, as named stages over one [`Exchange`], listed once in
//! [`run`]:
//!
//! 1. **limits**: the URL and the headers within their limits (414, 431);
//! 2. **route**: the method and path, under the stage's base path (404, 405);
//!    before it, a CORS preflight is answered by the gateway ([`crate::cors`]);
//! 3. **authorize**: the method's authorizer ([`crate::auth`]): a JWT, a
//!    Lambda authorizer's policy, a SigV4 signature (401, 403, 500);
//! 4. **access**: the API key (403 `INVALID_API_KEY`), then the throttles and
//!    the quota (429 `THROTTLED`, `QUOTA_EXCEEDED`) ([`access`]); then the
//!    body within its limit (413): an unknown path or a refused client costs
//!    no body read. An `aws_iam` signature covers the body, so for those
//!    methods the body is read first and the signature checked after it;
//! 5. **method request**: the request validator: required parameters and the
//!    body's model (400);
//! 6. **integration request**: parameter mappings, the template picked by media
//!    type or the body passed through (415), `$context.requestOverride`, the
//!    template-injection guard (400); for an `http_proxy`, the method request
//!    as it came with the mappings on top ([`proxy`]); for an `aws_proxy`, API
//!    Gateway's proxy event ([`lambda_proxy`]);
//! 7. **integration**: the [`Dispatch`] signs and sends (500 when credentials
//!    are missing, 502 when unreachable, 504 on timeout), or, for `gateway
//!    render`, captures the request instead;
//! 8. **integration response**: the response selected by status code (by
//!    `errorMessage` for a Lambda function error), its header mappings and
//!    template, `$context.responseOverride`; with no integration responses,
//!    the backend's status, content type and body; for a proxy, the backend's
//!    answer or the function's proxy result (502 for a function error or a
//!    malformed result).
//!
//! `gateway run` and `gateway render` both run [`run`]. A stage's error
//! keeps its origin and cause ([`GatewayError`]) until the caller hands it to
//! [`crate::gateway_response::fail`], the one place that logs it and turns it
//! into a gateway response.

mod access;
mod dispatch;
mod function_error;
mod integration_request;
mod integration_response;
mod lambda_proxy;
mod method_request;
mod proxy;
mod request;
mod route;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gateway_mapping::Body;
use http::Response;
use http_body_util::Full;

pub use dispatch::{Dispatch, Sender, mock_response};
pub use integration_request::Prepared;
pub use lambda_proxy::event as proxy_event;
pub use request::{Exchange, MethodRequest, Routed, insert_request_id, text};

use crate::api::{Api, Backend, Integration};
use crate::error::{GatewayError, ResponseType};

/// What the flow observed besides the response, for metrics and logs.
#[derive(Debug, Default)]
pub struct Record {
    /// Set when an integration was called (never for a mock).
    pub integration: Option<IntegrationCall>,
    /// Set when a throttle, a quota or the state store stopped or failed
    /// the request.
    pub limit: Option<LimitEvent>,
}

pub use access::LimitEvent;

/// One integration call, as the access log and metrics see it.
#[derive(Debug, Clone)]
pub struct IntegrationCall {
    /// The AWS service's name (`kinesis`), or `http`.
    pub service: String,
    pub latency: Duration,
    /// The backend's status, when it answered.
    pub status: Option<u16>,
    /// Why the call failed, or the error the service answered with: for the
    /// operator only.
    pub error: Option<String>,
}

/// Where the request body comes from: the connection (read within the
/// limit) or, for `gateway render`, memory.
pub trait ReadBody {
    fn read(self, limit: usize) -> impl Future<Output = Result<Bytes, GatewayError>>;
}

impl ReadBody for Bytes {
    async fn read(self, limit: usize) -> Result<Bytes, GatewayError> {
        if self.len() > limit {
            return Err(too_large(limit));
        }
        Ok(self)
    }
}

/// 413 `REQUEST_TOO_LARGE`.
pub fn too_large(limit: usize) -> GatewayError {
    GatewayError::client(
        ResponseType::RequestTooLarge,
        format!("Request body is larger than {limit} bytes"),
    )
}

/// The request flow: every stage, once, in order. `None` when the dispatch
/// ended the flow after the integration request.
pub async fn run(
    api: &Arc<Api>,
    exchange: &mut Exchange,
    record: &mut Record,
    body: impl ReadBody,
    dispatch: &impl Dispatch,
) -> Result<Option<Response<Full<Bytes>>>, GatewayError> {
    route::check_limits(api, &exchange.request)?;
    // A preflight asks about a resource, not a method: answered before a
    // method is routed, and without authorization, as browsers send it
    // without credentials.
    if let Some(preflight) = crate::cors::preflight(api, exchange) {
        return Ok(Some(preflight));
    }
    route::locate(api, exchange)?;
    // API Gateway's order: the authorizer, then the API key and the usage
    // plan. A SigV4 signature covers the body, so it is checked once the
    // body is read; every other refusal comes before the body is read.
    let signed = exchange
        .method()
        .is_some_and(|m| matches!(m.authorization, crate::auth::Authorization::Iam(_)));
    let mut body = Some(body);
    if signed && let Some(body) = body.take() {
        route::receive(api, exchange, body).await?;
    }
    crate::auth::authorize(api, exchange, dispatch.client()).await?;
    access::check(api, exchange, record).await?;
    if let Some(body) = body {
        route::receive(api, exchange, body).await?;
    }
    let routed = exchange.routed().ok_or_else(route::not_routed)?;
    let prepared = if routed.request.body.len() >= HEAVY_BODY_BYTES {
        prepare_elsewhere(api, &routed).await?
    } else {
        prepare(api, &routed)?
    };
    let integration = &routed.method.integration;
    let Some(inbound) = integrate(integration, prepared, dispatch, record).await? else {
        return Ok(None);
    };
    let response = match &integration.backend {
        Backend::HttpProxy { .. } => Ok(proxy::respond(&routed, inbound)),
        Backend::AwsProxy { .. } => lambda_proxy::respond(&routed, inbound),
        _ => integration_response::respond(api, &routed, inbound),
    };
    if let (Err(error), Some(call)) = (&response, &mut record.integration) {
        call.error = Some(error.to_string());
    }
    response.map(Some)
}

/// The method request, then the integration request, reading one parsed
/// body. It is not `Send`, so it lives in this synchronous function and is
/// never held across an await.
fn prepare(api: &Api, routed: &Routed<'_>) -> Result<Prepared, GatewayError> {
    // A payload of a binary media type is read as its base64 text, the only
    // form in which API Gateway lets templates read one; it is encoded only
    // when something reads it.
    let binary = routed.request.is_binary(&api.binary_media_types);
    let text = if !binary {
        body_text(routed)?
    } else if reads_body(routed) || !routed.method.validation.models.is_empty() {
        std::borrow::Cow::Owned(gateway_mapping::binary::base64_encode(&routed.request.body))
    } else {
        std::borrow::Cow::Borrowed("")
    };
    let body = if binary {
        Body::binary(&text)
    } else {
        Body::new(&text)
    };
    method_request::validate(routed, &body)?;
    match &routed.method.integration.backend {
        Backend::HttpProxy { .. } => proxy::build(api, routed, &body),
        Backend::AwsProxy { .. } => lambda_proxy::build(api, routed),
        _ => integration_request::build(api, routed, &body),
    }
}

/// Bodies from this size on are parsed and rendered on the blocking pool.
/// A worker serves many connections on one thread; a 10 MB body of nested
/// arrays takes a good part of a second to parse and render, and every other
/// request on that worker would wait for it. Below this size the work is a
/// few milliseconds at most, less than handing it over costs in latency.
pub const HEAVY_BODY_BYTES: usize = 256 * 1024;

/// [`prepare`] on the blocking pool, with the request copied there (its
/// body is reference-counted, so only the head is copied). As many heavy
/// bodies are prepared at once as there are cores: the others wait their
/// turn, so forty large bodies do not hold forty parsed documents at once.
async fn prepare_elsewhere(api: &Arc<Api>, routed: &Routed<'_>) -> Result<Prepared, GatewayError> {
    static HEAVY: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let turns = HEAVY.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores)
    });
    let _turn = turns.acquire().await.map_err(|e| {
        GatewayError::configuration(crate::error::Cause::Configuration(format!(
            "rendering the integration request stopped: {e}"
        )))
    })?;
    let api = api.clone();
    let request = routed.request.clone();
    let context = routed.context.clone();
    let method = routed.method.clone();
    let path_params = routed.path_params.to_vec();
    tokio::task::spawn_blocking(move || {
        let routed = Routed {
            request: &request,
            context: &context,
            method: &method,
            path_params: &path_params,
        };
        prepare(&api, &routed)
    })
    .await
    .map_err(|e| {
        GatewayError::configuration(crate::error::Cause::Configuration(format!(
            "rendering the integration request stopped: {e}"
        )))
    })?
}

/// Whether a template or a body mapping reads the request's body.
fn reads_body(routed: &Routed<'_>) -> bool {
    let integration = &routed.method.integration;
    integration
        .templates
        .get(&routed.request.media_type())
        .is_some()
        || integration.request_parameters.iter().any(|(_, source)| {
            matches!(
                source,
                gateway_mapping::params::Source::Body
                    | gateway_mapping::params::Source::BodyPath(_)
            )
        })
}

/// The body of a text media type as text. A template or a body mapping that
/// reads a body which is not UTF-8 would read replacement characters and
/// send them on as if the client had sent them: that is a 400 instead (a
/// binary media type is read as base64, and never refused). A body passed
/// through is sent as the bytes it is.
fn body_text<'r>(routed: &Routed<'r>) -> Result<std::borrow::Cow<'r, str>, GatewayError> {
    let request = routed.request;
    match std::str::from_utf8(&request.body) {
        Ok(text) => Ok(std::borrow::Cow::Borrowed(text)),
        Err(error) => {
            if reads_body(routed) {
                return Err(GatewayError::client(
                    ResponseType::BadRequestBody,
                    format!(
                        "Invalid request body: not UTF-8 text (invalid byte at offset {})",
                        error.valid_up_to()
                    ),
                ));
            }
            Ok(String::from_utf8_lossy(&request.body))
        }
    }
}

/// Calls the integration through `dispatch`, timing it.
async fn integrate(
    integration: &Integration,
    prepared: Prepared,
    dispatch: &impl Dispatch,
    record: &mut Record,
) -> Result<Option<gateway_integration::InboundResponse>, GatewayError> {
    let service = match &integration.backend {
        Backend::Aws { call, .. } | Backend::AwsProxy { call, .. } => call
            .service
            .as_ref()
            .map_or_else(|| "aws".to_string(), |s| s.name.clone()),
        Backend::Http { .. } | Backend::HttpProxy { .. } => "http".to_string(),
        Backend::Mock => return dispatch.call(integration, prepared).await,
    };
    let started = Instant::now();
    let result = dispatch.call(integration, prepared).await;
    let (status, error) = match &result {
        Ok(Some(inbound)) => (
            Some(inbound.status.as_u16()),
            gateway_integration::AwsError::from_response(inbound)
                .map(|e| e.to_string())
                .or_else(|| {
                    function_error::FunctionError::from_response(inbound).map(|e| e.to_string())
                }),
        ),
        Ok(None) => (None, None),
        Err(error) => (None, Some(error.to_string())),
    };
    record.integration = Some(IntegrationCall {
        service,
        latency: started.elapsed(),
        status,
        error,
    });
    result
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gateway_integration::{Credentials, InboundResponse};
    use http::StatusCode;

    use super::*;
    use crate::compile::{Environment, compile};
    use crate::config::Loaded;

    /// Three resources per passthrough behavior: `/<behavior>/templated` with an
    /// `application/json` template, `/<behavior>/bare` with none.
    fn api() -> Api {
        let mut yaml = String::from(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\nresources:\n",
        );
        for behavior in ["when_no_match", "when_no_templates", "never"] {
            for (name, templates) in [
                (
                    "templated",
                    "\n        request_templates:\n          application/json: '{\"t\": 1}'",
                ),
                ("bare", ""),
            ] {
                yaml.push_str(&format!(
                    "  /{behavior}/{name}:\n    POST:\n      integration:\n        type: aws\n        service: kinesis\n        action: PutRecord\n        passthrough_behavior: {behavior}{templates}\n"
                ));
            }
        }
        api_from(&yaml)
    }

    fn api_from(yaml: &str) -> Api {
        let loaded = Loaded::from_str(Path::new("test.yaml"), yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        compile(&loaded, &environment).unwrap()
    }

    /// Routes `exchange`, with the body it already has.
    fn routed<'e>(api: &Api, exchange: &'e mut Exchange) -> Routed<'e> {
        let body = exchange.request.body.clone();
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(route::route(api, exchange, body))
            .unwrap()
    }

    /// The body sent for a POST with `content_type`, or the gateway response type.
    fn send(api: &Api, path: &str, content_type: Option<&str>) -> Result<String, &'static str> {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        let request = MethodRequest {
            method: "POST".into(),
            path: path.into(),
            headers,
            body: Bytes::from_static(b"raw body"),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(api, request, "id".into());
        prepare(api, &routed(api, &mut exchange))
            .map(|r| String::from_utf8(r.outbound.body.to_vec()).unwrap())
            .map_err(|e| e.kind.name())
    }

    const TRANSFORMED: Result<&str, &str> = Ok(r#"{"t": 1}"#);
    const PASSED: Result<&str, &str> = Ok("raw body");
    const REFUSED: Result<&str, &str> = Err("UNSUPPORTED_MEDIA_TYPE");

    /// API Gateway's table, row by row.
    #[test]
    fn passthrough_table() {
        let api = api();
        let check = |path: &str, ct: Option<&str>, expected: Result<&str, &str>| {
            assert_eq!(
                send(&api, path, ct).as_deref().map_err(|e| *e),
                expected,
                "{path} {ct:?}"
            );
        };
        // A template matches the media type (a missing Content-Type is application/json).
        for behavior in ["when_no_match", "when_no_templates", "never"] {
            check(
                &format!("/{behavior}/templated"),
                Some("application/json; charset=utf-8"),
                TRANSFORMED,
            );
            check(&format!("/{behavior}/templated"), None, TRANSFORMED);
        }
        // Templates exist, none matches.
        check("/when_no_match/templated", Some("text/plain"), PASSED);
        check("/when_no_templates/templated", Some("text/plain"), REFUSED);
        check("/never/templated", Some("text/plain"), REFUSED);
        // No templates at all.
        check("/when_no_match/bare", Some("text/plain"), PASSED);
        check("/when_no_templates/bare", Some("text/plain"), PASSED);
        check("/never/bare", Some("text/plain"), REFUSED);
    }

    #[test]
    fn json_guard_auto_on_and_off() {
        // `raw body` printed outside strings is not one JSON value.
        const TEMPLATE: &str = "          application/json: '{\"a\": $input.body}'\n";
        let method = |path: &str, service: &str, guard: &str, content_type: &str| {
            format!(
                "  {path}:\n    POST:\n      integration:\n        type: aws\n        service: {service}\n        action: Go\n        json_guard: {guard}\n        request_parameters:\n          integration.request.header.Content-Type: \"'{content_type}'\"\n        request_templates:\n{TEMPLATE}"
            )
        };
        let yaml = format!(
            "aws:\n  region: us-east-1\nresources:\n{}{}{}{}{}{}  /mock:\n    POST:\n      integration:\n        type: mock\n        request_templates:\n{TEMPLATE}",
            method("/auto-amz", "kinesis", "auto", "application/x-amz-json-1.1"),
            method("/auto-json", "ssm", "auto", "application/json"),
            method("/auto-suffix", "ssm", "auto", "application/vnd.api+json"),
            method("/auto-xml", "ssm", "auto", "application/xml"),
            method("/on", "ssm", "on", "application/xml"),
            method("/off", "kinesis", "off", "application/x-amz-json-1.1"),
        );
        let api = api_from(&yaml);
        for refused in ["/auto-amz", "/auto-json", "/auto-suffix", "/on", "/mock"] {
            assert_eq!(
                send(&api, refused, None),
                Err("BAD_REQUEST_BODY"),
                "{refused}"
            );
        }
        for passed in ["/auto-xml", "/off"] {
            assert_eq!(
                send(&api, passed, None).unwrap(),
                r#"{"a": raw body}"#,
                "{passed}"
            );
        }
    }

    #[test]
    fn a_refused_body_names_the_template_and_the_reference_for_the_operator() {
        let api = api_from(concat!(
            "aws:\n  region: us-east-1\nresources:\n  /r:\n    POST:\n      integration:\n",
            "        type: mock\n        request_templates:\n          application/json: |\n",
            "            {\"k\": \"$input.body\", \"n\": 1}\n",
        ));
        let request = MethodRequest {
            method: "POST".into(),
            path: "/r".into(),
            body: Bytes::from_static(br#"x", "statusCode": "500"#),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(&api, request, "id".into());
        let error = prepare(&api, &routed(&api, &mut exchange)).unwrap_err();
        assert_eq!(error.kind.name(), "BAD_REQUEST_BODY");
        assert_eq!(error.message, crate::json_guard::CLIENT_MESSAGE);
        assert_eq!(
            error.cause.to_string(),
            "the integration request rendered by template `POST /r application/json` was refused and not sent: at line 1, column 8, the value of `$input.body` closed the JSON string it is in (an unescaped `\"`)"
        );
    }

    #[test]
    fn request_overrides_replace_mappings() {
        let api = api_from(concat!(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\nresources:\n  /o:\n    POST:\n      integration:\n",
            "        type: aws\n        service: kinesis\n        action: PutRecord\n",
            "        request_parameters:\n          integration.request.header.X-Team: \"'mapped'\"\n",
            "          integration.request.querystring.mode: \"'mapped'\"\n",
            "        request_templates:\n          application/json: |\n",
            "            #set($context.requestOverride.header.X-Team = 'overridden')\n",
            "            #set($context.requestOverride.querystring.mode = 'fast')\n",
            "            {}\n",
        ));
        let request = MethodRequest {
            method: "POST".into(),
            path: "/o".into(),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(&api, request, "id".into());
        let outbound = prepare(&api, &routed(&api, &mut exchange))
            .unwrap()
            .outbound;
        assert_eq!(outbound.header("x-team"), Some("overridden"));
        assert_eq!(
            outbound.url,
            "http://127.0.0.1:9/?Action=PutRecord&mode=fast"
        );
    }

    #[test]
    fn response_selection_templates_and_overrides() {
        let api = api_from(concat!(
            "aws:\n  region: us-east-1\nresources:\n  /r:\n    GET:\n      integration:\n",
            "        type: aws\n        service: kinesis\n        action: DescribeStream\n        responses:\n",
            "          - selection_pattern: '5\\d{2}'\n            status: 503\n",
            "          - selection_pattern: '40[04]'\n            status: 404\n            response_templates:\n",
            "              application/json: |\n                #set($context.responseOverride.status = 410)\n",
            "                #set($context.responseOverride.header.X-Gone = 'yes')\n                {\"gone\": \"$input.path('$.__type')\"}\n",
            "              text/plain: 'gone'\n",
        ));
        let respond = |status: u16, accept: Option<&str>| {
            let request = MethodRequest {
                method: "GET".into(),
                path: "/r".into(),
                headers: accept
                    .map(|a| vec![("accept".to_string(), a.to_string())])
                    .unwrap_or_default(),
                ..MethodRequest::default()
            };
            let mut exchange = Exchange::new(&api, request, "id".into());
            let backend = InboundResponse {
                status: StatusCode::from_u16(status).unwrap(),
                headers: http::HeaderMap::new(),
                body: Bytes::from_static(br#"{"__type": "ResourceNotFoundException"}"#),
            };
            integration_response::respond(&api, &routed(&api, &mut exchange), backend)
        };
        let response = respond(400, None).unwrap();
        assert_eq!(response.status(), 410);
        assert_eq!(response.headers()["x-gone"], "yes");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(respond(503, None).unwrap().status(), 503);
        // `40[04]` must match the whole code: 4004 does not exist, 401 does not match,
        // and there is no default response.
        let error = respond(401, None).unwrap_err();
        assert_eq!(error.kind, ResponseType::ApiConfigurationError);
        assert_eq!(
            error.to_string(),
            "no integration response matches status 401, and none is the default"
        );
        // The first Accept type picks the template.
        let response = respond(404, Some("text/plain")).unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["content-type"], "text/plain");
    }

    #[test]
    fn credential_refusals_become_configuration_errors_without_the_service_text() {
        let api = api();
        let request = MethodRequest {
            method: "POST".into(),
            path: "/never/bare".into(),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(&api, request, "id".into());
        let backend = InboundResponse {
            status: StatusCode::FORBIDDEN,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(br#"{"__type": "AccessDeniedException", "message": "User: arn:aws:sts::123456789012:assumed-role/writer/gw is not authorized to perform: kinesis:PutRecord"}"#),
        };
        let error =
            integration_response::respond(&api, &routed(&api, &mut exchange), backend).unwrap_err();
        assert_eq!(error.kind, ResponseType::ApiConfigurationError);
        assert_eq!(error.message, "Internal server error");
        assert_eq!(
            error.to_string(),
            "the service answered 403 AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/writer/gw is not authorized to perform: kinesis:PutRecord"
        );
    }

    /// The validator, a body mapping and the template read one parsed body.
    #[test]
    fn validator_mappings_and_template_read_one_body() {
        let api = api_from(concat!(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\n",
            "models:\n  Keyed:\n    type: object\n    required: [k]\n",
            "request_validators:\n  body:\n    validate_request_body: true\n",
            "resources:\n  /b:\n    POST:\n      request_validator: body\n",
            "      request_models:\n        application/json: Keyed\n",
            "      integration:\n        type: aws\n        service: kinesis\n        action: PutRecord\n",
            "        request_parameters:\n          integration.request.header.X-Key: method.request.body.k\n",
            "        request_templates:\n          application/json: '{\"k\": \"$input.path(''$.k'')\"}'\n",
        ));
        let run = |body: &'static str| {
            let request = MethodRequest {
                method: "POST".into(),
                path: "/b".into(),
                body: Bytes::from_static(body.as_bytes()),
                ..MethodRequest::default()
            };
            let mut exchange = Exchange::new(&api, request, "id".into());
            prepare(&api, &routed(&api, &mut exchange)).map(|p| p.outbound)
        };
        let outbound = run(r#"{"k": "v"}"#).unwrap();
        assert_eq!(outbound.header("x-key"), Some("v"));
        assert_eq!(&outbound.body[..], br#"{"k": "v"}"#);

        let error = run(r#"{"j": 1}"#).unwrap_err();
        assert_eq!(error.kind, ResponseType::BadRequestBody);
        assert_eq!(
            error.message,
            r#"Invalid request body: ["k" is a required property] (model Keyed)"#
        );
        for (body, reason) in [
            ("k=v", "expected value at line 1 column 1"),
            ("", "EOF while parsing a value at line 1 column 0"),
        ] {
            let error = run(body).unwrap_err();
            assert_eq!(
                error.message,
                format!("Invalid request body: [the body is not JSON: {reason}]"),
                "{body:?}"
            );
        }
    }

    /// Required parameters are read as templates and mappings read them: the
    /// last of repeated values, header names in any case.
    #[test]
    fn required_parameters_follow_the_lookup_rule() {
        let api = api_from(concat!(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\n",
            "request_validators:\n  params:\n    validate_request_parameters: true\n",
            "resources:\n  /v/{id}:\n    POST:\n      request_validator: params\n",
            "      request_parameters:\n        method.request.path.id: true\n",
            "        method.request.querystring.q: true\n        method.request.header.X-Client-Id: true\n",
            "      integration:\n        type: aws\n        service: kinesis\n        action: PutRecord\n",
        ));
        let check = |query: &[(&str, &str)], headers: &[(&str, &str)]| {
            let pairs = |items: &[(&str, &str)]| {
                items
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect()
            };
            let request = MethodRequest {
                method: "POST".into(),
                path: "/v/7".into(),
                query: pairs(query),
                headers: pairs(headers),
                ..MethodRequest::default()
            };
            let mut exchange = Exchange::new(&api, request, "id".into());
            method_request::validate(&routed(&api, &mut exchange), &Body::new(""))
                .map_err(|e| e.message.to_string())
        };
        assert_eq!(
            check(&[("q", "1")], &[("x-client-id", "c")]),
            Ok(()),
            "a header name in another case"
        );
        assert_eq!(
            check(&[("q", "1"), ("q", " ")], &[("x-client-id", "c")]),
            Err("Missing required request parameters: [q]".to_string()),
            "the last of repeated values counts, and it is blank"
        );
        assert_eq!(
            check(
                &[("q", ""), ("q", "1")],
                &[("X-Client-Id", "c"), ("x-client-id", "")]
            ),
            Err("Missing required request parameters: [X-Client-Id]".to_string())
        );
        assert_eq!(
            check(&[("Q", "1")], &[]),
            Err("Missing required request parameters: [X-Client-Id, q]".to_string()),
            "query string names are compared exactly"
        );
    }

    /// Keeps the integration request and ends the flow.
    #[derive(Default)]
    struct Keep(std::sync::Mutex<Option<gateway_integration::OutboundRequest>>);

    impl Dispatch for Keep {
        async fn call(
            &self,
            _integration: &Integration,
            prepared: Prepared,
        ) -> Result<Option<InboundResponse>, GatewayError> {
            *self.0.lock().unwrap() = Some(prepared.outbound);
            Ok(None)
        }
    }

    /// A heavy body is rendered on the blocking pool, into the same request
    /// a small one would give, errors included.
    #[test]
    fn heavy_bodies_render_elsewhere_to_the_same_result() {
        let api = Arc::new(api_from(concat!(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\n",
            "resources:\n  /h:\n    POST:\n      integration:\n",
            "        type: aws\n        service: kinesis\n        action: PutRecord\n",
            "        request_templates:\n          application/json: '{\"n\": $input.path(''$.items'').size()}'\n",
        )));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let send = |body: String| {
            let request = MethodRequest {
                method: "POST".into(),
                path: "/h".into(),
                body: Bytes::from(body),
                ..MethodRequest::default()
            };
            let body = request.body.clone();
            let mut exchange = Exchange::new(&api, request, "id".into());
            let keep = Keep::default();
            let mut record = Record::default();
            runtime
                .block_on(run(&api, &mut exchange, &mut record, body, &keep))
                .map(|_| {
                    String::from_utf8(keep.0.lock().unwrap().take().unwrap().body.to_vec()).unwrap()
                })
                .map_err(|e| e.message.to_string())
        };
        let items = |n: usize| format!("{{\"items\": [{}]}}", vec!["1"; n].join(","));
        let heavy = items(HEAVY_BODY_BYTES / 2 + 1);
        assert!(heavy.len() >= HEAVY_BODY_BYTES);
        assert_eq!(
            send(heavy),
            Ok(format!("{{\"n\": {}}}", HEAVY_BODY_BYTES / 2 + 1))
        );
        assert_eq!(send(items(3)), Ok(r#"{"n": 3}"#.to_string()));
        let mut broken = items(HEAVY_BODY_BYTES / 2 + 1);
        broken.pop();
        assert_eq!(
            send(broken),
            Err(format!(
                "Invalid request body: the body is not valid JSON: EOF while parsing an object at line 1 column {}",
                HEAVY_BODY_BYTES + 13
            ))
        );
    }

    /// An API with `binary_media_types: [image/*]`: `/t` reads bodies with a
    /// template for `image/png` and `text/plain`, converting what it renders
    /// to binary; `/pass/<handling>` passes bodies through with that
    /// `content_handling`.
    fn binary_api() -> Api {
        let mut yaml = String::from(concat!(
            "binary_media_types: ['image/*']\n",
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\nresources:\n",
            "  /t:\n    POST:\n      integration:\n        type: http\n        uri: http://127.0.0.1:9/t\n",
            "        content_handling: convert_to_binary\n        request_templates:\n",
            "          image/png: '$input.body'\n          text/plain: '$input.body'\n",
        ));
        for handling in ["convert_to_text", "convert_to_binary"] {
            yaml.push_str(&format!(
                "  /pass/{handling}:\n    POST:\n      integration:\n        type: http\n        uri: http://127.0.0.1:9/p\n        content_handling: {handling}\n"
            ));
        }
        yaml.push_str(
            "  /pass/unset:\n    POST:\n      integration:\n        type: http\n        uri: http://127.0.0.1:9/p\n",
        );
        api_from(&yaml)
    }

    /// The integration request's body for `body` sent to `path` as
    /// `content_type`, or the error's type, client message and cause.
    fn send_bytes(
        api: &Api,
        path: &str,
        content_type: &str,
        body: &'static [u8],
    ) -> Result<Vec<u8>, (&'static str, String, String)> {
        let request = MethodRequest {
            method: "POST".into(),
            path: path.into(),
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: Bytes::from_static(body),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(api, request, "id".into());
        prepare(api, &routed(api, &mut exchange))
            .map(|p| p.outbound.body.to_vec())
            .map_err(|e| (e.kind.name(), e.message.to_string(), e.to_string()))
    }

    const PNG_BYTES: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff];
    const PNG_BASE64: &[u8] = b"iVBORwD/";

    /// A template reads a binary payload as base64, and what it renders is
    /// decoded by `convert_to_binary`: the bytes arrive as they were sent.
    #[test]
    fn a_template_reads_binary_as_base64() {
        let api = binary_api();
        assert_eq!(
            send_bytes(&api, "/t", "image/png", PNG_BYTES).unwrap(),
            PNG_BYTES
        );
        // Text is read as it is, and decoded as base64 on the way out.
        assert_eq!(
            send_bytes(&api, "/t", "text/plain", PNG_BASE64).unwrap(),
            PNG_BYTES
        );
    }

    /// A body that is not UTF-8 is refused when a template would read it as
    /// text, never when its type is binary.
    #[test]
    fn a_text_body_that_is_not_utf8_is_refused_a_binary_one_is_not() {
        let api = binary_api();
        let (kind, message, _) = send_bytes(&api, "/t", "text/plain", PNG_BYTES).unwrap_err();
        assert_eq!(kind, "BAD_REQUEST_BODY");
        assert_eq!(
            message,
            "Invalid request body: not UTF-8 text (invalid byte at offset 0)"
        );
        assert!(send_bytes(&api, "/t", "image/png; charset=binary", PNG_BYTES).is_ok());
    }

    /// Passed through, the payload follows the request table.
    #[test]
    fn passthrough_follows_content_handling() {
        let api = binary_api();
        let cases: [(&str, &str, &[u8], &[u8]); 6] = [
            ("/pass/unset", "image/png", PNG_BYTES, PNG_BYTES),
            ("/pass/unset", "text/plain", PNG_BASE64, PNG_BASE64),
            ("/pass/convert_to_text", "image/png", PNG_BYTES, PNG_BASE64),
            (
                "/pass/convert_to_text",
                "text/plain",
                PNG_BASE64,
                PNG_BASE64,
            ),
            ("/pass/convert_to_binary", "image/png", PNG_BYTES, PNG_BYTES),
            (
                "/pass/convert_to_binary",
                "text/plain",
                PNG_BASE64,
                PNG_BYTES,
            ),
        ];
        for (path, content_type, sent, expected) in cases {
            assert_eq!(
                send_bytes(&api, path, content_type, sent).unwrap(),
                expected,
                "{path} {content_type}"
            );
        }
    }

    /// Text that `convert_to_binary` cannot decode is a 500 whose reason is
    /// the operator's alone.
    #[test]
    fn text_that_is_not_base64_is_a_configuration_error() {
        let api = binary_api();
        let (kind, message, cause) =
            send_bytes(&api, "/pass/convert_to_binary", "text/plain", b"{\"a\": 1}").unwrap_err();
        assert_eq!(kind, "API_CONFIGURATION_ERROR");
        assert_eq!(message, "Internal server error");
        assert_eq!(
            cause,
            "content_handling convert_to_binary: the request body is not base64: Invalid symbol 123, offset 0."
        );
        let (kind, _, cause) = send_bytes(&api, "/t", "text/plain", b"no way!").unwrap_err();
        assert_eq!(kind, "API_CONFIGURATION_ERROR");
        assert_eq!(
            cause,
            "content_handling convert_to_binary: the body template `POST /t text/plain` rendered is not base64: Invalid symbol 33, offset 5."
        );
    }

    /// The answer follows the response table: binary when the first
    /// `Accept` type is binary, text otherwise, unless `content_handling`
    /// says which; a template's output is text.
    #[test]
    fn answers_follow_accept_and_content_handling() {
        let mut yaml = String::from(concat!(
            "binary_media_types: ['image/png']\n",
            "aws:\n  region: us-east-1\nresources:\n",
        ));
        for (path, response) in [
            ("/unset", "{status: 200}"),
            ("/text", "{status: 200, content_handling: convert_to_text}"),
            (
                "/binary",
                "{status: 200, content_handling: convert_to_binary}",
            ),
            (
                "/template",
                r#"{status: 200, response_templates: {application/json: '{"b": "$input.body"}'}}"#,
            ),
            (
                "/template-text",
                r#"{status: 200, content_handling: convert_to_text, response_templates: {application/json: '{"b": "$input.body"}'}}"#,
            ),
        ] {
            yaml.push_str(&format!(
                "  {path}:\n    GET:\n      integration:\n        type: http\n        uri: http://127.0.0.1:9/\n        responses:\n          - {response}\n"
            ));
        }
        let api = api_from(&yaml);
        let respond = |path: &str, content_type: &str, body: &'static [u8], accept: &str| {
            let request = MethodRequest {
                method: "GET".into(),
                path: path.into(),
                headers: vec![("Accept".to_string(), accept.to_string())],
                ..MethodRequest::default()
            };
            let mut exchange = Exchange::new(&api, request, "id".into());
            let mut headers = http::HeaderMap::new();
            headers.insert("content-type", content_type.parse().unwrap());
            let backend = InboundResponse {
                status: StatusCode::OK,
                headers,
                body: Bytes::from_static(body),
            };
            integration_response::respond(&api, &routed(&api, &mut exchange), backend)
                .map(|r| {
                    use http_body_util::BodyExt;
                    let body = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap()
                        .block_on(r.into_body().collect())
                        .unwrap()
                        .to_bytes();
                    body.to_vec()
                })
                .map_err(|e| (e.kind.name(), e.to_string()))
        };
        let png = "image/png";
        assert_eq!(
            respond("/unset", png, PNG_BYTES, "image/png, */*").unwrap(),
            PNG_BYTES
        );
        assert_eq!(
            respond("/unset", png, PNG_BYTES, "*/*, image/png").unwrap(),
            PNG_BASE64
        );
        assert_eq!(
            respond("/unset", "text/plain", PNG_BASE64, png).unwrap(),
            PNG_BYTES
        );
        assert_eq!(respond("/text", png, PNG_BYTES, png).unwrap(), PNG_BASE64);
        assert_eq!(
            respond("/binary", "text/plain", PNG_BASE64, "text/plain").unwrap(),
            PNG_BYTES
        );
        // A template reads a binary answer as base64.
        assert_eq!(
            respond("/template", png, PNG_BYTES, "application/json").unwrap(),
            br#"{"b": "iVBORwD/"}"#
        );
        // Its JSON, asked for as binary, is not base64: a 500, explained in the log.
        assert_eq!(
            respond("/template", png, PNG_BYTES, png).unwrap_err(),
            (
                "API_CONFIGURATION_ERROR",
                "the answer cannot be converted to binary (content_handling, or a binary Accept): it is not base64: Invalid symbol 123, offset 0.".to_string()
            )
        );
        assert_eq!(
            respond("/template-text", png, PNG_BYTES, png).unwrap(),
            br#"{"b": "iVBORwD/"}"#
        );
    }

    #[test]
    fn guard_checks_only_rendered_bodies() {
        let api = api();
        // A passed-through body is the client's own; the guard is for templates.
        assert_eq!(
            send(
                &api,
                "/when_no_match/bare",
                Some("application/x-amz-json-1.1")
            )
            .unwrap(),
            "raw body"
        );
    }
}
