//! One request through the server's flow ([`pipeline::run`]) without the
//! network: the integration request is captured instead of signed and sent,
//! and the backend's answer, when there is one, is the one given. What the
//! client would get comes back as an [`Outcome`], for `gateway render` and
//! `gateway test` alike.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gateway_integration::{InboundResponse, OutboundRequest};
use http::Response;
use http_body_util::{BodyExt as _, Full};

use crate::api::{Api, Backend, Integration};
use crate::error::GatewayError;
use crate::gateway_response;
use crate::pipeline::{self, Dispatch, Exchange, MethodRequest, Prepared, Record, mock_response};

/// A request to run, with everything that would otherwise change from run
/// to run fixed.
#[derive(Debug)]
pub struct Simulation {
    pub request: MethodRequest,
    /// `$context.requestId`, and the `x-amzn-RequestId` of the answer.
    pub request_id: String,
    /// `$context.requestTime` and `requestTimeEpoch`; now when `None`.
    pub request_time: Option<SystemTime>,
    /// The backend's answer. Without one the flow stops after the
    /// integration request, except for a mock integration, which answers
    /// itself.
    pub backend: Option<InboundResponse>,
}

/// What the flow produced.
#[derive(Debug)]
pub struct Outcome {
    /// The integration request, when the flow got that far. A mock
    /// integration's has no URL; its body is what the template rendered.
    pub integration_request: Option<OutboundRequest>,
    /// What the client gets: the method response, or the gateway response
    /// when [`Outcome::refusal`] is set. `None` when the flow stopped after
    /// the integration request.
    pub response: Option<ClientResponse>,
    /// Why the gateway answered with a gateway response.
    pub refusal: Option<Refusal>,
}

/// An HTTP answer as the client would read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientResponse {
    pub status: u16,
    /// In the order they are sent.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// A gateway response's type and the cause behind it, which the client
/// never sees but the developer running the flow does.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// `BAD_REQUEST_BODY`.
    pub response_type: &'static str,
    /// What the client reads in `$context.error.message`.
    pub message: String,
    /// The whole cause.
    pub cause: String,
}

/// Runs `simulation` through `api`'s flow.
pub async fn simulate(api: &Arc<Api>, simulation: Simulation) -> Outcome {
    let body = simulation.request.body.clone();
    let mut exchange = Exchange::new(api, simulation.request, simulation.request_id);
    if let Some(at) = simulation.request_time {
        exchange.context.request_time = crate::time::clf(at);
        exchange.context.request_time_epoch = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
    }
    let capture = Capture {
        outbound: RefCell::new(None),
        answer: RefCell::new(simulation.backend),
    };
    let mut record = Record::default();
    let result = pipeline::run(api, &mut exchange, &mut record, body, &capture).await;
    let integration_request = capture.outbound.into_inner();
    match result {
        Ok(response) => Outcome {
            integration_request,
            response: match response {
                Some(response) => Some(collect(response).await),
                None => None,
            },
            refusal: None,
        },
        Err(error) => {
            let response = gateway_response::respond(api, &exchange, &error);
            Outcome {
                integration_request,
                response: Some(collect(response).await),
                refusal: Some(refusal(&error)),
            }
        }
    }
}

fn refusal(error: &GatewayError) -> Refusal {
    Refusal {
        response_type: error.kind.name(),
        message: error.message.to_string(),
        cause: error.to_string(),
    }
}

async fn collect(response: Response<Full<Bytes>>) -> ClientResponse {
    let (parts, body) = response.into_parts();
    // A `Full` body has one frame and cannot fail.
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    ClientResponse {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

/// The dispatch of a simulation: keeps the integration request, and answers
/// with the given backend answer (or a mock's own), or ends the flow.
#[derive(Debug)]
struct Capture {
    outbound: RefCell<Option<OutboundRequest>>,
    answer: RefCell<Option<InboundResponse>>,
}

impl Dispatch for Capture {
    async fn call(
        &self,
        integration: &Integration,
        prepared: Prepared,
    ) -> Result<Option<InboundResponse>, GatewayError> {
        let mock = match integration.backend {
            Backend::Mock => Some(mock_response(&prepared)),
            _ => None,
        };
        *self.outbound.borrow_mut() = Some(prepared.outbound);
        match mock {
            Some(answer) => answer.map(Some),
            None => Ok(self.answer.borrow_mut().take()),
        }
    }
}

/// The backend answer `status`, `headers` and `body` describe; `None` for a
/// status that is not one.
pub fn backend_answer(
    status: u16,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<InboundResponse, String> {
    let status = http::StatusCode::from_u16(status)
        .map_err(|_| format!("{status} is not an HTTP status (100 to 999)"))?;
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a header name"))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| format!("the value of `{name}` is not a header value"))?;
        map.append(name, value);
    }
    Ok(InboundResponse {
        status,
        headers: map,
        body,
    })
}

/// `2026-01-02T03:04:05Z` (RFC 3339, any offset) or milliseconds since the
/// epoch.
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    if let Ok(millis) = text.parse::<u64>() {
        return Ok(UNIX_EPOCH + std::time::Duration::from_millis(millis));
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|_| {
            format!(
                "`{text}` is not a time: use ISO 8601 (2026-01-02T03:04:05Z) or milliseconds since the epoch"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_forms() {
        let at = parse_time("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(
            at.duration_since(UNIX_EPOCH).unwrap().as_millis(),
            1_767_323_045_000
        );
        assert_eq!(parse_time("1767323045000").unwrap(), at);
        assert_eq!(parse_time("2026-01-02T04:04:05+01:00").unwrap(), at);
        let error = parse_time("yesterday").unwrap_err();
        assert!(error.contains("`yesterday` is not a time"), "{error}");
    }

    #[test]
    fn backend_answers_are_checked() {
        let answer = backend_answer(
            404,
            &[("Content-Type".into(), "application/json".into())],
            Bytes::from_static(b"{}"),
        )
        .unwrap();
        assert_eq!(answer.status, 404);
        assert_eq!(answer.headers["content-type"], "application/json");
        assert!(
            backend_answer(42, &[], Bytes::new())
                .unwrap_err()
                .contains("42 is not")
        );
        assert!(
            backend_answer(200, &[("bad name".into(), "x".into())], Bytes::new())
                .unwrap_err()
                .contains("`bad name` is not a header name")
        );
    }
}
