//! The request flow, as named stages:
//!
//! 1. **route**: match the method and path (404, 405);
//! 2. **method request**: the body, within the size limit (413), and the
//!    request's parameters as templates see them;
//! 3. **integration request**: pick the template by media type or pass the body
//!    through (415), render it, apply parameter mappings, build the URL;
//! 4. **integration**: sign and send, with the integration's timeout (500 when
//!    credentials are missing, 502 when unreachable, 504 on timeout);
//! 5. **method response**: the backend's status, content type and body.
//!
//! Stages 1 and 3 are plain functions over a [`MethodRequest`], so that
//! `gateway render` runs exactly what the server runs, minus the call.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gateway_integration::{InboundResponse, OutboundRequest, encode_query_component};
use gateway_mapping::{Context, Identity, Input, Variables};
use gateway_router::RouteError;
use http::{HeaderValue, Response, header};
use http_body_util::Full;

use crate::api::{Api, Method};
use crate::config::PassthroughBehavior;
use crate::gateway_response::{GatewayError, ResponseType};
use crate::params::Target;

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
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A routed request: the method it matched and its path parameters.
#[derive(Debug)]
pub struct Routed {
    pub method: Arc<Method>,
    pub path_params: Vec<(String, String)>,
}

/// Stage 1: routing.
pub fn route(api: &Api, method: &str, path: &str) -> Result<Routed, GatewayError> {
    match api.router.at(method, path) {
        Ok(found) => Ok(Routed {
            method: found.value.clone(),
            path_params: found.params,
        }),
        Err(RouteError::MethodNotAllowed { allow }) => Err(GatewayError {
            kind: ResponseType::MethodNotAllowed,
            message: format!("Method {method} is not allowed on {path}; allowed: {allow}"),
            allow: Some(allow),
        }),
        Err(_) => Err(GatewayError::new(
            ResponseType::ResourceNotFound,
            format!("No resource matches {method} {path}"),
        )),
    }
}

/// Stage 3: the integration request, unsigned.
pub fn integration_request(
    api: &Api,
    routed: &Routed,
    request: &MethodRequest,
    request_id: &str,
) -> Result<OutboundRequest, GatewayError> {
    let integration = &routed.method.integration;
    let body_text = String::from_utf8_lossy(&request.body);
    let input = Input {
        body: &body_text,
        path: &routed.path_params,
        querystring: &request.query,
        header: &request.headers,
    };

    let request_content_type = request.header("content-type");
    let media_type = request_content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "application/json".to_string());

    let mut outbound =
        OutboundRequest::new(integration.http_method.clone(), integration.url.clone());
    let body = match integration.templates.get(&media_type) {
        Some(template) => {
            let context = context(routed, request, request_id);
            let variables = Variables {
                input,
                context: &context,
                stage_variables: &api.stage_variables,
            };
            let rendered = template.render(&variables).map_err(|e| {
                GatewayError::new(
                    ResponseType::ApiConfigurationError,
                    format!("Execution failed due to configuration error: {e}"),
                )
            })?;
            Bytes::from(rendered.body)
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
            request.body.clone()
        }
    };

    let mut query = String::new();
    for (target, source) in &integration.request_parameters {
        let Some(value) = source.resolve(&input) else {
            continue;
        };
        match target {
            Target::Header(name) => outbound.set_header(name, value),
            Target::QueryString(name) => {
                query.push(if outbound.url.contains('?') || !query.is_empty() {
                    '&'
                } else {
                    '?'
                });
                query.push_str(&encode_query_component(name));
                query.push('=');
                query.push_str(&encode_query_component(&value));
            }
        }
    }
    outbound.url.push_str(&query);
    if outbound.header("content-type").is_none() {
        // Without a mapping, the method request's type is sent on, as API
        // Gateway does; with neither, JSON.
        outbound.set_header(
            "Content-Type",
            request_content_type.unwrap_or("application/json"),
        );
    }
    outbound.body = body;
    Ok(outbound)
}

/// `$context` for one request.
fn context(routed: &Routed, request: &MethodRequest, request_id: &str) -> Context {
    let now = SystemTime::now();
    Context {
        request_id: request_id.to_string(),
        extended_request_id: request_id.to_string(),
        resource_path: routed.method.resource_path.clone(),
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
    }
}

/// Stages 3 to 5 for a routed request: what the server runs.
pub async fn execute(
    api: &Api,
    routed: &Routed,
    request: &MethodRequest,
    request_id: &str,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    let integration = &routed.method.integration;
    let mut outbound = integration_request(api, routed, request, request_id)?;
    // Signing is the last change to the request: the signature covers it all.
    integration.signer.sign(&mut outbound).await?;
    let inbound = api.client.send(outbound, integration.timeout).await?;
    Ok(method_response(inbound, request_id))
}

/// Stage 5: the backend's status, content type and body reach the client. A
/// backend error keeps its status (API Gateway would turn it into 200 unless
/// integration responses say otherwise).
fn method_response(inbound: InboundResponse, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(inbound.body));
    *response.status_mut() = inbound.status;
    let headers = response.headers_mut();
    let content_type = inbound
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}
