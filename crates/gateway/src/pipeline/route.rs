//! The first stages: the request's size limits, then routing under the
//! stage's base path.

use gateway_router::RouteError;

use super::ReadBody;
use super::request::{Exchange, MethodRequest, Route, Routed};
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
/// callers without API keys or throttles need.
#[cfg(test)]
pub async fn route<'e>(
    api: &Api,
    exchange: &'e mut Exchange,
    body: impl ReadBody,
) -> Result<Routed<'e>, GatewayError> {
    locate(api, exchange)?;
    read_body(api, exchange, body).await
}

/// Routing: the method is kept on the exchange, so that any later failure
/// (a 413 among them) is counted and logged under its route.
pub fn locate(api: &Api, exchange: &mut Exchange) -> Result<(), GatewayError> {
    let found = find(api, exchange)?;
    exchange.route = Some(found);
    Ok(())
}

/// The body within its limit (413), read only once the request is routed,
/// authorized and admitted: an unknown path or a throttled client costs no
/// body read. The routed request is the only way later stages see it.
pub async fn read_body<'e>(
    api: &Api,
    exchange: &'e mut Exchange,
    body: impl ReadBody,
) -> Result<Routed<'e>, GatewayError> {
    exchange.request.body = body.read(api.limits.max_body_bytes).await?;
    let route = exchange.route.as_ref().ok_or_else(|| {
        GatewayError::configuration(crate::error::Cause::Configuration(
            "the body was read before routing".into(),
        ))
    })?;
    Ok(Routed {
        request: &exchange.request,
        context: &exchange.context,
        method: &route.method,
        path_params: &route.path_params,
    })
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
