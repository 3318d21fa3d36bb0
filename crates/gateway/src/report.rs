//! The operator's view of failed requests: one log line each, with the
//! request id, the route and the cause. Clients never see these lines'
//! contents; [`crate::gateway_response`] decides what they see.

use crate::error::{GatewayError, Origin};
use crate::pipeline::{Exchange, IntegrationCall};

/// One line for a request the gateway refused or failed: the request id,
/// the route, the status, the response type, the origin and the cause.
pub fn failure(exchange: &Exchange, error: &GatewayError, status: u16) {
    // As `&str` fields: quoted and escaped in text logs, plain strings in JSON.
    let request_id = exchange.context.request_id.as_str();
    let route = route_name(exchange);
    let route = route.as_str();
    let reason = error.to_string();
    let reason = reason.as_str();
    let (response_type, origin) = (error.kind.name(), error.origin.name());
    // A client's mistake is information; anything else needs the operator.
    if error.origin == Origin::Client && status < 500 {
        tracing::info!(
            target: "gateway::request",
            request_id, route, status, response_type, origin, reason,
            "request refused"
        );
    } else {
        tracing::warn!(
            target: "gateway::request",
            request_id, route, status, response_type, origin, reason,
            "request failed"
        );
    }
}

/// `PUT /streams/{stream-name}/record`, or the raw path for a request that
/// matched no route.
pub fn route_name(exchange: &Exchange) -> String {
    let context = &exchange.context;
    if exchange.method().is_some() {
        format!("{} {}", context.http_method, context.resource_path)
    } else {
        format!("{} {} (no route)", context.http_method, context.path)
    }
}

/// One line for an integration that answered with an error the client gets
/// as it is (a Kinesis `ResourceNotFoundException`, a 5xx): the AWS error
/// code and message, or the status alone.
pub fn integration_error(exchange: &Exchange, call: &IntegrationCall, status: u16) {
    let request_id = exchange.context.request_id.as_str();
    let route = route_name(exchange);
    let route = route.as_str();
    let service = call.service.as_str();
    let reason = call
        .error
        .as_deref()
        .unwrap_or("(no AWS error code in the answer)");
    if status >= 500 {
        tracing::warn!(
            target: "gateway::request",
            request_id, route, status, service, reason,
            "the integration answered with an error"
        );
    } else {
        tracing::info!(
            target: "gateway::request",
            request_id, route, status, service, reason,
            "the integration answered with an error"
        );
    }
}

/// One line for a request that passed without its throttles and quota
/// because Redis did not answer and `state.on_redis_error` is allow.
pub fn limits_skipped(exchange: &Exchange, error: &str) {
    let request_id = exchange.context.request_id.as_str();
    let route = route_name(exchange);
    let route = route.as_str();
    tracing::warn!(
        target: "gateway::request",
        request_id, route, reason = error, policy = "allow",
        "throttles and quotas not checked: Redis did not answer"
    );
}
