//! The integration stage: where an integration request goes. The server
//! signs and sends it ([`Sender`]); `gateway render` captures it instead.
//! A mock integration answers itself ([`mock_response`]).

use std::future::Future;

use bytes::Bytes;
use gateway_integration::{Client, InboundResponse};
use http::StatusCode;

use super::integration_request::Prepared;
use crate::api::{Backend, Integration};
use crate::error::{Cause, GatewayError};

/// Where the flow sends an integration request.
pub trait Dispatch {
    /// The backend's answer, or `None` to end the flow after the integration
    /// request (what `gateway render` does without a backend answer).
    fn call(
        &self,
        integration: &Integration,
        prepared: Prepared,
    ) -> impl Future<Output = Result<Option<InboundResponse>, GatewayError>>;

    /// The client for the calls the gateway makes on its own behalf
    /// (authorizers' JWKS and Lambda functions). `None` skips authorization,
    /// as the console's test of a method does: `gateway render` has none.
    fn client(&self) -> Option<&Client> {
        None
    }
}

/// The server's dispatch: signs and sends with the worker's pooled client.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'c> {
    pub client: &'c Client,
}

impl Dispatch for Sender<'_> {
    async fn call(
        &self,
        integration: &Integration,
        prepared: Prepared,
    ) -> Result<Option<InboundResponse>, GatewayError> {
        let inbound = match &integration.backend {
            Backend::Aws { signer, .. } | Backend::AwsProxy { signer, .. } => {
                let mut outbound = prepared.outbound;
                // Signing is the last change to the request: the signature covers it all.
                signer.sign(&mut outbound).await?;
                self.client.send(outbound, integration.timeout).await?
            }
            Backend::Http { .. } | Backend::HttpProxy { .. } => {
                self.client
                    .send(prepared.outbound, integration.timeout)
                    .await?
            }
            Backend::Mock => mock_response(&prepared)?,
        };
        Ok(Some(inbound))
    }

    fn client(&self) -> Option<&Client> {
        Some(self.client)
    }
}

/// A mock integration's answer, with an empty body. Its status is the
/// `statusCode` the request template rendered, as in API Gateway; a template
/// that renders none is a configuration error (500). Without a template, 200.
pub fn mock_response(prepared: &Prepared) -> Result<InboundResponse, GatewayError> {
    let status = match &prepared.template {
        None => StatusCode::OK,
        Some(template) => status_code(&prepared.outbound.body).ok_or_else(|| {
            GatewayError::configuration(Cause::Configuration(format!(
                "the mock integration's template `{template}` rendered no numeric `statusCode` (100 to 599): {}",
                preview(&prepared.outbound.body)
            )))
        })?,
    };
    Ok(InboundResponse {
        status,
        headers: http::HeaderMap::new(),
        body: Bytes::new(),
    })
}

/// `{"statusCode": 200}`; a string of digits is accepted too.
fn status_code(body: &[u8]) -> Option<StatusCode> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = match body.get("statusCode")? {
        serde_json::Value::Number(n) => n.as_u64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    u16::try_from(code)
        .ok()
        .filter(|c| (100..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
}

/// The start of a rendered body, for a log line.
fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let mut preview: String = text.chars().filter(|c| !c.is_control()).collect();
    if body.len() > MAX {
        preview.push('…');
    }
    if preview.is_empty() {
        "(empty body)".to_string()
    } else {
        format!("`{preview}`")
    }
}

#[cfg(test)]
mod tests {
    use gateway_integration::OutboundRequest;

    use super::*;

    fn prepared(body: &str, template: Option<&str>) -> Prepared {
        let mut outbound = OutboundRequest::new(http::Method::POST, String::new());
        outbound.body = Bytes::from(body.to_string());
        Prepared {
            outbound,
            template: template.map(str::to_string),
        }
    }

    #[test]
    fn mock_status_comes_from_the_template() {
        let t = Some("GET /cors application/json");
        assert_eq!(
            mock_response(&prepared(r#"{"statusCode": 204}"#, t))
                .unwrap()
                .status,
            204
        );
        assert_eq!(
            mock_response(&prepared(r#"{"statusCode": "404"}"#, t))
                .unwrap()
                .status,
            404
        );
        // No template: the body passed through, and the mock answers 200.
        assert_eq!(
            mock_response(&prepared("anything", None)).unwrap().status,
            200
        );
    }

    #[test]
    fn a_template_without_a_numeric_status_code_is_a_configuration_error() {
        let t = Some("GET /cors application/json");
        for body in [
            "{}",
            r#"{"statusCode": "ok"}"#,
            r#"{"statusCode": 99}"#,
            "not json",
            "",
        ] {
            let error = mock_response(&prepared(body, t)).unwrap_err();
            assert_eq!(error.kind.name(), "API_CONFIGURATION_ERROR", "{body}");
            assert_eq!(error.message, "Internal server error");
            assert!(
                error
                    .to_string()
                    .starts_with("the mock integration's template `GET /cors application/json` rendered no numeric `statusCode`"),
                "{error}"
            );
        }
    }
}
