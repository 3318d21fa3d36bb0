//! Lambda function errors. Lambda's Invoke API answers 200 even when the
//! function failed; the `X-Amz-Function-Error` header (`Unhandled`, or
//! `Handled` on older runtimes) says it did, and the payload is the error:
//! `{"errorMessage": ..., "errorType": ..., "stackTrace": [...]}`.
//!
//! API Gateway matches a Lambda integration's `selectionPattern` against
//! that `errorMessage`, not against the status code (developer guide,
//! "Handle Lambda errors in API Gateway"); a proxy integration answers 502.

use std::fmt;

use gateway_integration::InboundResponse;

use crate::api::{Backend, Integration};

/// How much of a message a log line keeps, in bytes.
const MAX_LOGGED_BYTES: usize = 1024;

/// A function error, read from an Invoke answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `X-Amz-Function-Error`'s value: `Unhandled` or `Handled`.
    pub kind: String,
    /// `errorType`, when the payload has one.
    pub error_type: Option<String>,
    /// `errorMessage`, whole, when the payload has one: what selection
    /// patterns match. A message that is not a string is its JSON text.
    pub message: Option<String>,
}

impl FunctionError {
    /// The function error in `inbound`, if it reports one.
    pub fn from_response(inbound: &InboundResponse) -> Option<Self> {
        let kind = inbound.headers.get("x-amz-function-error")?;
        let kind = String::from_utf8_lossy(kind.as_bytes()).into_owned();
        let payload: Option<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&inbound.body).ok();
        let text = |key: &str| {
            payload.as_ref()?.get(key).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        Some(Self {
            kind,
            error_type: text("errorType"),
            message: text("errorMessage"),
        })
    }

    /// The function error of a non-proxy Lambda integration's answer: what
    /// its integration responses are selected by.
    pub fn of_lambda_call(integration: &Integration, inbound: &InboundResponse) -> Option<Self> {
        let Backend::Aws { call, .. } = &integration.backend else {
            return None;
        };
        if call.service.as_ref().is_none_or(|s| s.name != "lambda") {
            return None;
        }
        Self::from_response(inbound)
    }
}

impl fmt::Display for FunctionError {
    /// The operator's line: `the function failed (Unhandled): Error: message`,
    /// the message cut at 1 KiB.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the function failed ({})", self.kind)?;
        if let Some(error_type) = &self.error_type {
            write!(f, ": {}", cut(error_type))?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {}", cut(message))?;
        }
        Ok(())
    }
}

fn cut(text: &str) -> &str {
    let mut end = text.len().min(MAX_LOGGED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, StatusCode};

    use super::*;

    fn answer(header: Option<&'static str>, body: &'static str) -> InboundResponse {
        let mut headers = HeaderMap::new();
        if let Some(kind) = header {
            headers.insert("x-amz-function-error", HeaderValue::from_static(kind));
        }
        InboundResponse {
            status: StatusCode::OK,
            headers,
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn reads_the_standard_error_shape() {
        let error = FunctionError::from_response(&answer(
            Some("Unhandled"),
            r#"{"errorMessage": "Malformed input ...", "errorType": "Error", "stackTrace": ["index.js:3"]}"#,
        ))
        .unwrap();
        assert_eq!(error.message.as_deref(), Some("Malformed input ..."));
        assert_eq!(
            error.to_string(),
            "the function failed (Unhandled): Error: Malformed input ..."
        );
        // A success has no function error, whatever its payload says.
        assert_eq!(
            FunctionError::from_response(&answer(None, r#"{"errorMessage": "x"}"#)),
            None
        );
    }

    /// A Lambda integration's responses are selected by the function
    /// error's `errorMessage`, whole; a success by its status.
    #[test]
    fn lambda_integration_responses_are_selected_by_error_message() {
        use super::super::integration_response::respond;
        use super::super::proxy::tests::{api_from, with_routed};
        use super::super::request::MethodRequest;

        let api = api_from(concat!(
            "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\nresources:\n",
            "  /orders:\n    POST:\n      integration:\n        type: aws\n        service: lambda\n",
            "        path: 2015-03-31/functions/orders/invocations\n        responses:\n",
            "          - selection_pattern: 'Not found: .*'\n            status: 404\n",
            "          - selection_pattern: '2\\d{2}'\n            status: 201\n",
            "          - status: 200\n",
            "  /bare:\n    POST:\n      integration:\n        type: aws\n        service: lambda\n",
            "        path: 2015-03-31/functions/orders/invocations\n",
        ));
        let status = |path: &str, inbound: InboundResponse| {
            let request = MethodRequest {
                method: "POST".into(),
                path: path.into(),
                ..MethodRequest::default()
            };
            with_routed(&api, request, |routed| {
                respond(&api, routed, inbound).map(|r| r.status().as_u16())
            })
        };
        let not_found = || {
            answer(
                Some("Unhandled"),
                r#"{"errorMessage": "Not found: order 7", "errorType": "Error"}"#,
            )
        };
        assert_eq!(status("/orders", not_found()).unwrap(), 404);
        // The message must match whole, and `2\d{2}` is not matched against the
        // invocation's 200: the default response takes the error.
        assert_eq!(
            status(
                "/orders",
                answer(
                    Some("Unhandled"),
                    r#"{"errorMessage": "Oops: Not found: order 7"}"#
                )
            )
            .unwrap(),
            200
        );
        assert_eq!(
            status("/orders", answer(None, r#"{"id": 7}"#)).unwrap(),
            201
        );
        // Without integration responses, a function error does not reach the client.
        let error = status("/bare", not_found()).unwrap_err();
        assert_eq!(error.kind.name(), "INTEGRATION_FAILURE");
        assert_eq!(error.message, "Internal server error");
        assert_eq!(
            error.to_string(),
            "the function failed (Unhandled): Error: Not found: order 7"
        );
        assert_eq!(status("/bare", answer(None, r#"{"id": 7}"#)).unwrap(), 200);
    }

    #[test]
    fn a_payload_without_a_message_is_still_an_error() {
        let error = FunctionError::from_response(&answer(Some("Unhandled"), "not json")).unwrap();
        assert_eq!(error.message, None);
        assert_eq!(error.to_string(), "the function failed (Unhandled)");
        let error = FunctionError::from_response(&answer(
            Some("Handled"),
            r#"{"errorMessage": {"code": 7}}"#,
        ))
        .unwrap();
        assert_eq!(error.message.as_deref(), Some(r#"{"code":7}"#));
    }
}
