//! The request flow, as named stages over one [`Exchange`]:
//!
//! 1. **route**: match the method and path, under the stage's base path (404, 405);
//! 2. **method request**: the body within its limit (413, read by the server),
//!    then the request validator: required parameters and the body's model (400);
//! 3. **integration request**: parameter mappings, the template picked by media
//!    type or the body passed through (415), `$context.requestOverride`, the
//!    template-injection guard (400);
//! 4. **integration**: sign and send, with the integration's timeout (500 when
//!    credentials are missing, 502 when unreachable, 504 on timeout);
//! 5. **integration response**: the response selected by status code, its
//!    header mappings and template, `$context.responseOverride`; with no
//!    integration responses, the backend's status, content type and body.
//!
//! Errors from any stage become gateway responses in [`error_response`].
//! Stages 1 to 3 are plain functions, so that `gateway render` runs exactly
//! what the server runs, minus the call. Stages 2 and 3 read the request body
//! through one [`Body`], which parses it at most once for the validator, the
//! parameter mappings and the template ([`prepare`]).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gateway_integration::{Client, InboundResponse, OutboundRequest};
use gateway_mapping::params::{Location, ResponseView, Scope, Target};
use gateway_mapping::{Body, Context, Identity, Input, Overrides, Params, Variables};
use gateway_router::RouteError;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::api::{Api, Backend, Integration, Method, media_type};
use crate::config::{JsonGuard, PassthroughBehavior};
use crate::gateway_response::{ErrorScope, GatewayError, ResponseType};
use crate::json_guard;

/// A method request, independent of the HTTP server that received it.
#[derive(Debug, Clone, Default)]
pub struct MethodRequest {
    pub method: String,
    /// The path as sent, percent-encoded, without the query string.
    pub path: String,
    /// Decoded query string pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers in order; names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub source_ip: String,
}

impl MethodRequest {
    /// The value of header `name`, by the rule of [`Params`]: the last of a
    /// repeated header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let params = Params {
            header: &self.headers,
            ..Params::default()
        };
        params.get(Location::Header, name)
    }

    /// The media type of `Content-Type`; `application/json` when absent, as in
    /// API Gateway.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .map(media_type)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/json".to_string())
    }
}

/// Bytes as text for templates: borrowed when they are UTF-8 (the common
/// case, checked with the fast validator), with replacement characters
/// otherwise.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One request on its way through the stages.
#[derive(Debug)]
pub struct Exchange {
    pub request: MethodRequest,
    pub context: Context,
    /// Set by [`route`].
    pub method: Option<Arc<Method>>,
    pub path_params: Vec<(String, String)>,
}

impl Exchange {
    /// Starts an exchange: `$context` gets what is known before routing.
    pub fn new(api: &Api, request: MethodRequest, request_id: String) -> Self {
        let now = SystemTime::now();
        let context = Context {
            extended_request_id: request_id.clone(),
            request_id,
            stage: api.stage.name.clone(),
            path: request.path.clone(),
            http_method: request.method.clone(),
            protocol: "HTTP/1.1".to_string(),
            request_time: crate::time::clf(now),
            request_time_epoch: now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            domain_name: request.header("host").unwrap_or_default().to_string(),
            identity: Identity {
                source_ip: request.source_ip.clone(),
                user_agent: request.header("user-agent").unwrap_or_default().to_string(),
            },
            ..Context::default()
        };
        Self {
            request,
            context,
            method: None,
            path_params: Vec::new(),
        }
    }

    /// The method request's parameters: the route's path parameters, the
    /// query string and the headers.
    pub fn params(&self) -> Params<'_> {
        Params {
            path: &self.path_params,
            querystring: &self.request.query,
            header: &self.request.headers,
        }
    }

    /// `$input`: `body` (the method request's, or in a response template
    /// the backend's) and the method request's parameters.
    pub fn input<'a>(&'a self, body: &'a Body<'_>) -> Input<'a> {
        Input::new(body, self.params())
    }

    fn method(&self) -> &Method {
        self.method.as_deref().expect("the exchange was routed")
    }
}

/// Stage 1: routing, under the stage's base path.
pub fn route(api: &Api, exchange: &mut Exchange) -> Result<(), GatewayError> {
    let method = exchange.request.method.as_str();
    let full_path = exchange.request.path.as_str();
    let not_found = || {
        GatewayError::new(
            ResponseType::ResourceNotFound,
            format!("No resource matches {method} {full_path}"),
        )
    };
    let path = api.stage.route_path(full_path).ok_or_else(not_found)?;
    match api.router.at(method, path) {
        Ok(found) => {
            exchange.context.resource_path = found.resource_path.to_string();
            exchange.path_params = found.params;
            exchange.method = Some(found.value.clone());
            Ok(())
        }
        Err(RouteError::MethodNotAllowed { allow }) => Err(GatewayError {
            allow: Some(allow.clone()),
            ..GatewayError::new(
                ResponseType::MethodNotAllowed,
                format!("Method {method} is not allowed on {full_path}; allowed: {allow}"),
            )
        }),
        Err(_) => Err(not_found()),
    }
}

/// Stages 2 and 3 for a routed request whose body has been read: the
/// request validator, then the integration request, unsigned.
///
/// The one [`Body`] both stages read lives in this function: it is not
/// `Send`, so it must not be held across the `.await`s that follow (the
/// server's request futures are `Send`).
pub fn prepare(api: &Api, exchange: &Exchange) -> Result<OutboundRequest, GatewayError> {
    let text = text(&exchange.request.body);
    let body = Body::new(&text);
    validate(exchange, &body)?;
    integration_request(api, exchange, &body)
}

/// Stage 2: the request validator.
pub fn validate(exchange: &Exchange, body: &Body<'_>) -> Result<(), GatewayError> {
    let validation = &exchange.method().validation;
    let request = &exchange.request;
    let params = exchange.params();
    let missing: Vec<&str> = validation
        .required
        .iter()
        .filter(|(location, name)| {
            params
                .get(*location, name)
                .is_none_or(|v| v.trim().is_empty())
        })
        .map(|(_, name)| name.as_str())
        .collect();
    if !missing.is_empty() {
        let detail = format!(
            "Missing required request parameters: [{}]",
            missing.join(", ")
        );
        return Err(GatewayError {
            validation_error: detail.clone(),
            ..GatewayError::new(ResponseType::BadRequestParameters, detail)
        });
    }

    let media_type = request.media_type();
    let Some((_, model)) = validation.models.iter().find(|(m, _)| *m == media_type) else {
        return Ok(());
    };
    let invalid = |detail: String| GatewayError {
        validation_error: detail.clone(),
        ..GatewayError::new(
            ResponseType::BadRequestBody,
            format!("Invalid request body: {detail}"),
        )
    };
    let body = body
        .to_json()
        .map_err(|e| invalid(format!("[the body is not JSON: {e}]")))?;
    let errors: Vec<String> = model
        .validator
        .iter_errors(&body)
        .take(10)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "[{}] (model {})",
            errors.join("; "),
            model.name
        )))
    }
}

/// Stage 3: the integration request, unsigned.
pub fn integration_request(
    api: &Api,
    exchange: &Exchange,
    body: &Body<'_>,
) -> Result<OutboundRequest, GatewayError> {
    let integration = &exchange.method().integration;
    let request = &exchange.request;
    let input = exchange.input(body);
    let variables = Variables {
        input,
        context: &exchange.context,
        stage_variables: &api.stage.variables,
    };

    // Without a configured verb, the method request's own is used.
    let verb = integration
        .http_method
        .clone()
        .or_else(|| http::Method::from_bytes(request.method.as_bytes()).ok())
        .unwrap_or(http::Method::POST);
    let mut outbound = OutboundRequest::new(verb, String::new());
    let mut overrides = Overrides::default();
    let mut rendered_by = None;
    match integration.templates.get(&request.media_type()) {
        Some(template) => {
            let rendered = template.render(&variables).map_err(configuration_error)?;
            outbound.body = Bytes::from(rendered.body);
            overrides = rendered.overrides;
            rendered_by = Some(template.name());
        }
        None => {
            let pass = match integration.passthrough {
                PassthroughBehavior::WhenNoMatch => true,
                PassthroughBehavior::WhenNoTemplates => integration.templates.is_empty(),
                PassthroughBehavior::Never => false,
            };
            if !pass {
                return Err(GatewayError::new(
                    ResponseType::UnsupportedMediaType,
                    "Unsupported Media Type",
                ));
            }
            outbound.body = request.body.clone();
        }
    }

    let scope = Scope {
        request: input,
        response: None,
        context: &exchange.context,
        stage_variables: &api.stage.variables,
    };
    let mut query: Vec<(String, String)> = Vec::new();
    let mut path: Vec<(String, String)> = Vec::new();
    for (target, source) in &integration.request_parameters {
        let Some(value) = source.resolve(&scope) else {
            continue;
        };
        match target {
            Target::Header(name) => outbound.set_header(name, value),
            Target::QueryString(name) => set_pair(&mut query, name, value),
            Target::Path(name) => set_pair(&mut path, name, value),
        }
    }
    // `$context.requestOverride.*` is final: it replaces what the mappings set.
    for (name, value) in overrides.request_header {
        outbound.set_header(&name, value);
    }
    for (name, value) in overrides.request_querystring {
        set_pair(&mut query, &name, value);
    }
    for (name, value) in overrides.request_path {
        set_pair(&mut path, &name, value);
    }
    if let Some(call) = integration.backend.call() {
        call.finish(&mut outbound, &path, &query).map_err(|e| {
            GatewayError::new(
                ResponseType::ApiConfigurationError,
                format!("Execution failed due to configuration error: {e}"),
            )
        })?;
    }
    if outbound.header("content-type").is_none() {
        // Without a mapping, the method request's type is sent on, as API
        // Gateway does; with neither, JSON.
        outbound.set_header(
            "Content-Type",
            request.header("content-type").unwrap_or("application/json"),
        );
    }
    if let Some(template) = rendered_by
        && guard_applies(integration, &outbound)
        && let Err(reason) = json_guard::check(&outbound.body)
    {
        return Err(GatewayError::new(
            ResponseType::BadRequestBody,
            format!(
                "The integration request rendered by template `{template}` was refused and not sent: it is not valid JSON ({reason})"
            ),
        ));
    }
    Ok(outbound)
}

fn set_pair(pairs: &mut Vec<(String, String)>, name: &str, value: String) {
    match pairs.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = value,
        None => pairs.push((name.to_string(), value)),
    }
}

/// `json_guard: auto` checks bodies for AWS JSON protocols, whose parsers take
/// the last of repeated keys.
fn guard_applies(integration: &Integration, outbound: &OutboundRequest) -> bool {
    match integration.json_guard {
        JsonGuard::On => true,
        JsonGuard::Off => false,
        JsonGuard::Auto => outbound
            .header("content-type")
            .is_some_and(|ct| media_type(ct).starts_with("application/x-amz-json-")),
    }
}

fn configuration_error(error: gateway_mapping::Error) -> GatewayError {
    GatewayError::new(
        ResponseType::ApiConfigurationError,
        format!("Execution failed due to configuration error: {error}"),
    )
}

/// Stages 2 to 5 for a routed request whose body has been read, sending with
/// `client`.
pub async fn execute(
    api: &Api,
    client: &Client,
    exchange: &Exchange,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    let mut outbound = prepare(api, exchange)?;
    let integration = &exchange.method().integration;
    let inbound = match &integration.backend {
        Backend::Aws { signer, .. } => {
            // Signing is the last change to the request: the signature covers it all.
            signer.sign(&mut outbound).await?;
            client.send(outbound, integration.timeout).await?
        }
        Backend::Http { .. } => client.send(outbound, integration.timeout).await?,
        Backend::Mock => mock_response(&outbound),
    };
    integration_response(api, exchange, inbound)
}

/// A mock integration's answer: the status is the `statusCode` the request
/// template rendered, 200 without one, as in API Gateway; the body is empty.
fn mock_response(outbound: &OutboundRequest) -> InboundResponse {
    let status = serde_json::from_slice::<serde_json::Value>(&outbound.body)
        .ok()
        .and_then(|body| body.get("statusCode").and_then(serde_json::Value::as_u64))
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    InboundResponse {
        status,
        headers: http::HeaderMap::new(),
        body: Bytes::new(),
    }
}

/// Stage 5: the integration response.
fn integration_response(
    api: &Api,
    exchange: &Exchange,
    inbound: InboundResponse,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    let integration = &exchange.method().integration;
    let request_id = &exchange.context.request_id;
    if integration.responses.is_empty() {
        return Ok(passthrough(inbound, request_id));
    }
    let code = inbound.status.as_str();
    let selected = integration
        .responses
        .iter()
        .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(code)))
        .or_else(|| integration.responses.iter().find(|r| r.pattern.is_none()))
        .ok_or_else(|| {
            GatewayError::new(
                ResponseType::ApiConfigurationError,
                format!("Execution failed due to configuration error: no integration response matches status {code}, and none is the default"),
            )
        })?;

    // Nothing on the response side reads the method request's body: in a
    // template `$input` is the backend's, and response parameters may not
    // map `method.request.body`.
    let backend_text = text(&inbound.body);
    let backend_body = Body::new(&backend_text);
    let no_request_body = Body::new("");
    let mut status = selected.status;
    let mut content_type = inbound.headers.get(header::CONTENT_TYPE).cloned();
    let mut overrides = Overrides::default();
    let body = match selected.templates.select(exchange.request.header("accept")) {
        Some((media_type, template)) => {
            // In a response template, `$input` is the backend's body; the
            // parameters are still the method request's.
            let input = exchange.input(&backend_body);
            let variables = Variables {
                input,
                context: &exchange.context,
                stage_variables: &api.stage.variables,
            };
            let rendered = template.render(&variables).map_err(configuration_error)?;
            content_type = HeaderValue::from_str(media_type).ok();
            overrides = rendered.overrides;
            Bytes::from(rendered.body)
        }
        None => inbound.body.clone(),
    };

    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
    );
    let backend_headers = if selected.parameters.is_empty() {
        Vec::new()
    } else {
        header_pairs(&inbound.headers)
    };
    let scope = Scope {
        request: exchange.input(&no_request_body),
        response: Some(ResponseView::new(&backend_headers, &backend_body)),
        context: &exchange.context,
        stage_variables: &api.stage.variables,
    };
    for (name, source) in &selected.parameters {
        if let Some(value) = source
            .resolve(&scope)
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(name.clone(), value);
        }
    }
    for (name, value) in &overrides.response_header {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    if let Some(code) = overrides
        .response_status
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        status = code;
    }
    insert_request_id(headers, request_id);
    *response.status_mut() = status;
    Ok(response)
}

/// Header values as text, in order, for response mappings.
fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// No integration responses: the backend's status, content type and body reach
/// the client. A backend error keeps its status, where API Gateway would turn
/// it into 200 with only a default response.
fn passthrough(inbound: InboundResponse, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(inbound.body));
    *response.status_mut() = inbound.status;
    let headers = response.headers_mut();
    let content_type = inbound
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_TYPE, content_type);
    insert_request_id(headers, request_id);
    response
}

pub(crate) fn insert_request_id(headers: &mut http::HeaderMap, request_id: &str) {
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
}

/// Any stage's error, as the API's gateway response.
pub fn error_response(
    api: &Api,
    error: GatewayError,
    exchange: &Exchange,
) -> Response<Full<Bytes>> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gateway_integration::Credentials;

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
        route(api, &mut exchange).unwrap();
        prepare(api, &exchange)
            .map(|r| String::from_utf8(r.body.to_vec()).unwrap())
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
        let method = |path: &str, service: &str, guard: &str, content_type: &str| {
            format!(
                "  {path}:\n    POST:\n      integration:\n        type: aws\n        service: {service}\n        action: Go\n        json_guard: {guard}\n        request_parameters:\n          integration.request.header.Content-Type: \"'{content_type}'\"\n        request_templates:\n          application/json: '{{\"a\": 1, \"a\": 2}}'\n"
            )
        };
        let yaml = format!(
            "aws:\n  region: us-east-1\nresources:\n{}{}{}{}",
            method("/auto-amz", "kinesis", "auto", "application/x-amz-json-1.1"),
            method("/auto-plain", "ssm", "auto", "application/json"),
            method("/on", "ssm", "on", "application/json"),
            method("/off", "kinesis", "off", "application/x-amz-json-1.1"),
        );
        let api = api_from(&yaml);
        assert_eq!(send(&api, "/auto-amz", None), Err("BAD_REQUEST_BODY"));
        assert_eq!(
            send(&api, "/auto-plain", None).unwrap(),
            r#"{"a": 1, "a": 2}"#
        );
        assert_eq!(send(&api, "/on", None), Err("BAD_REQUEST_BODY"));
        assert_eq!(send(&api, "/off", None).unwrap(), r#"{"a": 1, "a": 2}"#);
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
        route(&api, &mut exchange).unwrap();
        let outbound = prepare(&api, &exchange).unwrap();
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
        let request = MethodRequest {
            method: "GET".into(),
            path: "/r".into(),
            ..MethodRequest::default()
        };
        let mut exchange = Exchange::new(&api, request, "id".into());
        route(&api, &mut exchange).unwrap();
        let backend = |status: u16| InboundResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(br#"{"__type": "ResourceNotFoundException"}"#),
        };
        let response = integration_response(&api, &exchange, backend(400)).unwrap();
        assert_eq!(response.status(), 410);
        assert_eq!(response.headers()["x-gone"], "yes");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            integration_response(&api, &exchange, backend(503))
                .unwrap()
                .status(),
            503
        );
        // `40[04]` must match the whole code: 4004 does not exist, 401 does not match,
        // and there is no default response.
        let error = integration_response(&api, &exchange, backend(401)).unwrap_err();
        assert_eq!(error.kind, ResponseType::ApiConfigurationError);
        // The first Accept type picks the template.
        exchange
            .request
            .headers
            .push(("accept".into(), "text/plain".into()));
        let response = integration_response(&api, &exchange, backend(404)).unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["content-type"], "text/plain");
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
            route(&api, &mut exchange).unwrap();
            prepare(&api, &exchange)
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
            route(&api, &mut exchange).unwrap();
            validate(&exchange, &Body::new("")).map_err(|e| e.message)
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

    #[test]
    fn guard_refuses_only_rendered_bodies_for_aws_json() {
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
