//! The integration response stage: the response selected by status code, its
//! header mappings and template, `$context.responseOverride`, and the
//! payload converted between text and binary (`content_handling`, the
//! request's `Accept`); with no integration responses, the backend's status,
//! content type and body, converted as an unset `content_handling` does.

use bytes::Bytes;
use gateway_integration::{AwsError, InboundResponse};
use gateway_mapping::binary::base64_encode;
use gateway_mapping::params::{ResponseView, Scope};
use gateway_mapping::{Body, Overrides, Variables};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::function_error::FunctionError;
use super::request::{Routed, insert_request_id, text};
use crate::api::Api;
use crate::binary::Conversion;
use crate::error::{Cause, GatewayError};

/// The method response for the backend's answer.
///
/// An answer that refuses the gateway's own credentials or permissions
/// (`SignatureDoesNotMatch`, `AccessDenied`, ...) is a configuration error:
/// the client gets a 500, and the service's text, which can name role ARNs,
/// goes to the log only.
pub fn respond(
    api: &Api,
    routed: &Routed<'_>,
    inbound: InboundResponse,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    if let Some(error) = AwsError::from_response(&inbound)
        && error.is_auth_failure()
    {
        return Err(GatewayError::service_refused_credentials(
            inbound.status.as_u16(),
            error,
        ));
    }
    let integration = &routed.method.integration;
    let request_id = &routed.context.request_id;
    // A Lambda function error is selected by its `errorMessage`, as API
    // Gateway selects it (an absent message is empty); with no integration
    // responses it is a 502, since a function's message and stack trace are
    // not the client's to read.
    let function_error = FunctionError::of_lambda_call(integration, &inbound);
    if integration.responses.is_empty() {
        if let Some(error) = function_error {
            return Err(GatewayError::bad_answer(error.to_string()));
        }
        return Ok(passthrough(inbound, request_id));
    }
    // The answer is binary when its type is one of the binary media types;
    // the client wants binary when the first type of its `Accept` is.
    let binary = inbound
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| api.binary_media_types.matches(ct));
    let accepts_binary = api
        .binary_media_types
        .accepts(routed.request.header("accept"));
    let code = inbound.status.as_str();
    let selected_by = match &function_error {
        Some(error) => error.message.as_deref().unwrap_or(""),
        None => code,
    };
    let selected = integration
        .responses
        .iter()
        .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(selected_by)))
        .or_else(|| integration.responses.iter().find(|r| r.pattern.is_none()))
        .ok_or_else(|| {
            GatewayError::configuration(Cause::Configuration(match &function_error {
                Some(error) => format!(
                    "no integration response matches the function error's message, and none is the default: {error}"
                ),
                None => format!(
                    "no integration response matches status {code}, and none is the default"
                ),
            }))
        })?;

    // Nothing on the response side reads the method request's body: in a
    // template `$input` is the backend's, and response parameters may not
    // map `method.request.body`.
    // A binary answer is read as its base64 text, as a request's is.
    let backend_text = if binary {
        std::borrow::Cow::Owned(base64_encode(&inbound.body))
    } else {
        text(&inbound.body)
    };
    let backend_body = if binary {
        Body::binary(&backend_text)
    } else {
        Body::new(&backend_text)
    };
    let no_request_body = Body::new("");
    let mut status = selected.status;
    let mut content_type = inbound.headers.get(header::CONTENT_TYPE).cloned();
    let mut overrides = Overrides::default();
    let mut conversion = Conversion::response(binary, accepts_binary, selected.content_handling);
    let body = match selected.templates.select(routed.request.header("accept")) {
        Some((media_type, template)) => {
            // In a response template, `$input` is the backend's body; the
            // parameters are still the method request's.
            let input = routed.input(&backend_body);
            let variables = Variables {
                input,
                context: routed.context,
                stage_variables: &api.stage.variables,
            };
            let rendered = template
                .render(&variables)
                .map_err(|e| GatewayError::configuration(Cause::Template(e)))?;
            content_type = HeaderValue::from_str(media_type).ok();
            overrides = rendered.overrides;
            // What a template renders is text.
            conversion = Conversion::response(false, accepts_binary, selected.content_handling);
            Bytes::from(rendered.body)
        }
        None => inbound.body.clone(),
    };

    let body = conversion.apply(body).map_err(not_base64)?;
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
    );
    // Only response mappings read the backend's headers as text.
    let backend_headers = if selected.parameters.is_empty() {
        Vec::new()
    } else {
        header_pairs(&inbound.headers)
    };
    let scope = Scope {
        request: routed.input(&no_request_body),
        response: Some(ResponseView::new(&backend_headers, &backend_body)),
        context: routed.context,
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

/// A text answer that had to become binary and is not base64: the API's
/// definition asked for what the backend does not give (500).
fn not_base64(error: gateway_mapping::binary::NotBase64) -> GatewayError {
    GatewayError::configuration(Cause::Configuration(format!(
        "the answer cannot be converted to binary (content_handling, or a binary Accept): it is {error}"
    )))
}

/// No integration responses: the backend's status, content type and body reach
/// the client as they are, text or binary, whatever the client's `Accept`
/// (converting needs an integration response to say how). A backend error
/// keeps its status, where API Gateway would turn it into 200 with only a
/// default response.
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
