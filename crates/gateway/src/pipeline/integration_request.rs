//! The integration request stage: parameter mappings, the template picked
//! by media type or the body passed through (415), `$context.requestOverride`,
//! the template-injection guard (400), and `content_handling`'s conversion
//! of the payload (500 when text to decode is not base64). Nothing is signed
//! yet.

use std::cell::RefCell;

use bytes::Bytes;
use gateway_integration::OutboundRequest;
use gateway_mapping::params::{Scope, Source, Target};
use gateway_mapping::{Body, Interpolations, Overrides, Template, Variables};

use super::request::Routed;
use crate::api::Api;
use crate::binary::Conversion;
use crate::config::PassthroughBehavior;
use crate::error::{Cause, GatewayError, ResponseType};
use crate::json_guard;

thread_local! {
    /// The guard's list of interpolations, reused by every request this
    /// thread renders: it is filled and read within one call of [`build`].
    static INTERPOLATIONS: RefCell<Interpolations> = RefCell::default();
}

/// An integration request ready to sign and send.
#[derive(Debug)]
pub struct Prepared {
    pub outbound: OutboundRequest,
    /// The template that rendered the body; `None` when it passed through.
    pub template: Option<String>,
}

/// Builds the integration request from the method request and its `body`,
/// parsed at most once for the mappings and the template.
pub fn build(api: &Api, routed: &Routed<'_>, body: &Body<'_>) -> Result<Prepared, GatewayError> {
    let integration = &routed.method.integration;
    let request = routed.request;
    let input = routed.input(body);
    let variables = Variables {
        input,
        context: routed.context,
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
    let mut rendered_by: Option<&Template> = None;
    // What `content_handling` does to the payload, once the guard has read
    // the rendered text: what a template renders is text, whatever it read.
    let conversion;
    // Taken for this request and given back once the body is checked (a
    // template that fails leaves a new one to the next).
    let mut interpolations = INTERPOLATIONS.take();
    match integration.templates.get(&request.media_type()) {
        Some(template) => {
            let rendered = if json_guard::records(integration.json_guard) {
                template.render_recording(&variables, &mut interpolations)
            } else {
                template.render(&variables)
            }
            .map_err(GatewayError::request_template)?;
            outbound.body = Bytes::from(rendered.body);
            overrides = rendered.overrides;
            rendered_by = Some(template);
            conversion = Conversion::request(false, integration.content_handling);
        }
        None => {
            let pass = match integration.passthrough {
                PassthroughBehavior::WhenNoMatch => true,
                PassthroughBehavior::WhenNoTemplates => integration.templates.is_empty(),
                PassthroughBehavior::Never => false,
            };
            if !pass {
                return Err(GatewayError::client(
                    ResponseType::UnsupportedMediaType,
                    "Unsupported Media Type",
                ));
            }
            outbound.body = request.body.clone();
            conversion = Conversion::request(
                request.is_binary(&api.binary_media_types),
                integration.content_handling,
            );
        }
    }

    // A body mapping reads the body as JSON, as a template does.
    if let Some(error) = body.malformed()
        && integration
            .request_parameters
            .iter()
            .any(|(_, source)| matches!(source, Source::BodyPath(_)))
    {
        return Err(GatewayError::client(
            ResponseType::BadRequestBody,
            format!("Invalid request body: the body is not valid JSON: {error}"),
        ));
    }
    let scope = Scope {
        request: input,
        response: None,
        context: routed.context,
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
            GatewayError::configuration(Cause::Configuration(format!(
                "the integration request cannot be built: {e}"
            )))
        })?;
        // The caller's trace goes on to the service, as API Gateway's does.
        if !request.trace_id.is_empty() && outbound.header("x-amzn-trace-id").is_none() {
            outbound.set_header("X-Amzn-Trace-Id", request.trace_id.clone());
        }
    }
    if outbound.header("content-type").is_none() {
        // Without a mapping, the method request's type is sent on, as API
        // Gateway does; with neither, JSON.
        outbound.set_header(
            "Content-Type",
            request.header("content-type").unwrap_or("application/json"),
        );
    }
    // After the mappings and overrides: the media type the service is told
    // is the one the body is checked as.
    let checked = match rendered_by {
        Some(template)
            if json_guard::applies(integration.json_guard, outbound.header("content-type")) =>
        {
            json_guard::check(template, &outbound.body, &mut interpolations)
        }
        _ => Ok(()),
    };
    INTERPOLATIONS.set(interpolations);
    checked?;
    outbound.body = conversion
        .apply(std::mem::take(&mut outbound.body))
        .map_err(|e| {
            let what = match rendered_by {
                Some(template) => format!("the body template `{}` rendered", template.name()),
                None => "the request body".to_string(),
            };
            GatewayError::configuration(Cause::Configuration(format!(
                "content_handling convert_to_binary: {what} is {e}"
            )))
        })?;
    Ok(Prepared {
        outbound,
        template: rendered_by.map(|t| t.name().to_string()),
    })
}

fn set_pair(pairs: &mut Vec<(String, String)>, name: &str, value: String) {
    match pairs.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = value,
        None => pairs.push((name.to_string(), value)),
    }
}
