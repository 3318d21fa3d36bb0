//! The first stages: the request's size limits, then routing under the
//! stage's base path.

use gateway_router::RouteError;

use super::ReadBody;
#[cfg(test)]
use super::request::Routed;
use super::request::{Exchange, MethodRequest, Route};
use crate::api::Api;
use crate::error::{GatewayError, ResponseType};

/// The URL and header limits (414, 431), checked before anything else.
pub fn check_limits(api: &Api, request: &MethodRequest) -> Result<(), GatewayError> {
    let url = request.path.len()
        + if request.raw_query.is_empty() {
            0
        } else {
            request.raw_query.len() + 1
        };
    if url > api.limits.max_url_bytes {
        return Err(GatewayError::client(
            ResponseType::UriTooLong,
            format!(
                "The request URL is longer than {} bytes",
                api.limits.max_url_bytes
            ),
        ));
    }
    let headers: usize = request.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    if headers > api.limits.max_header_bytes {
        return Err(GatewayError::client(
            ResponseType::RequestHeaderTooLarge,
            format!(
                "The request headers are larger than {} bytes",
                api.limits.max_header_bytes
            ),
        ));
    }
    Ok(())
}

/// Routing, then the body within its limit (413), as one stage: what
/// callers without authorizers, API keys or throttles need.
#[cfg(test)]
pub async fn route<'e>(
    api: &Api,
    exchange: &'e mut Exchange,
    body: impl ReadBody,
) -> Result<Routed<'e>, GatewayError> {
    locate(api, exchange)?;
    receive(api, exchange, body).await?;
    exchange.routed().ok_or_else(not_routed)
}

/// Routing: the method is kept on the exchange, so that any later failure
/// (a 413 among them) is counted and logged under its route.
pub fn locate(api: &Api, exchange: &mut Exchange) -> Result<(), GatewayError> {
    let found = find(api, exchange)?;
    exchange.route = Some(found);
    Ok(())
}

/// The body within its limit (413), read once the request is routed and,
/// where its authorizer does not need the body, authorized and admitted: an
/// unknown path or a refused client costs no body read. Afterwards
/// [`Exchange::routed`] gives the routed request.
pub async fn receive(
    api: &Api,
    exchange: &mut Exchange,
    body: impl ReadBody,
) -> Result<(), GatewayError> {
    if exchange.route.is_none() {
        return Err(not_routed());
    }
    exchange.request.body = body.read(api.limits.max_body_bytes).await?;
    Ok(())
}

/// A stage that needs a routed request found none: a flaw in the flow, not
/// in the request.
pub fn not_routed() -> GatewayError {
    GatewayError::configuration(crate::error::Cause::Configuration(
        "the request reached a stage after routing without a route".into(),
    ))
}

/// The route for the method and path, under the stage's base path (404,
/// 405). Fills `$context.resourcePath` and `$context.resourceId`.
pub fn find(api: &Api, exchange: &mut Exchange) -> Result<Route, GatewayError> {
    let method = exchange.request.method.as_str();
    let full_path = exchange.request.path.as_str();
    let not_found = || {
        GatewayError::client(
            ResponseType::ResourceNotFound,
            format!("No resource matches {method} {full_path}"),
        )
    };
    let path = api.stage.route_path(full_path).ok_or_else(not_found)?;
    match api.router.at(method, path) {
        Ok(found) => {
            exchange.context.resource_path = found.resource_path.to_string();
            exchange
                .context
                .resource_id
                .clone_from(&found.value.resource_id);
            Ok(Route {
                method: found.value.clone(),
                path_params: found.params,
            })
        }
        Err(RouteError::MethodNotAllowed { allow }) => Err(GatewayError {
            allow: Some(allow.clone()),
            ..GatewayError::client(
                ResponseType::MethodNotAllowed,
                format!("Method {method} is not allowed on {full_path}; allowed: {allow}"),
            )
        }),
        Err(_) => Err(not_found()),
    }
}
