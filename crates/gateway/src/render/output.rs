//! How an [`Outcome`] is printed: as text for a person, or as one JSON
//! object for a script. Neither shows the headers that carry secrets.

use std::fmt::Write as _;

use base64::Engine as _;
use gateway_integration::OutboundRequest;
use serde_json::{Map, Value, json};

use super::simulate::{ClientResponse, Outcome};

/// Headers that carry secrets and are never printed.
const SECRET_HEADERS: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

pub fn is_secret(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// `{"integration_request", "method_response", "gateway_response"}`, each
/// `null` when the flow did not produce it.
pub fn json(outcome: &Outcome) -> Value {
    let response = outcome.response.as_ref().map(response_json);
    let (method_response, gateway_response) = match (&outcome.refusal, response) {
        (Some(refusal), Some(Value::Object(mut fields))) => {
            let mut refused = Map::new();
            refused.insert("type".into(), refusal.response_type.into());
            refused.insert("message".into(), refusal.message.clone().into());
            refused.insert("cause".into(), refusal.cause.clone().into());
            refused.append(&mut fields);
            (Value::Null, Value::Object(refused))
        }
        (_, response) => (response.unwrap_or(Value::Null), Value::Null),
    };
    json!({
        "integration_request": outcome.integration_request.as_ref().map(request_json),
        "method_response": method_response,
        "gateway_response": gateway_response,
    })
}

/// `{"method", "url", "headers", "body"}`; the URL is `null` for a mock.
pub fn request_json(request: &OutboundRequest) -> Value {
    let mut fields = Map::new();
    fields.insert("method".into(), request.method.as_str().into());
    fields.insert(
        "url".into(),
        (!request.url.is_empty())
            .then(|| request.url.clone())
            .into(),
    );
    fields.insert("headers".into(), headers_json(&request.headers));
    insert_body(&mut fields, &request.body);
    Value::Object(fields)
}

/// `{"status", "headers", "body"}`.
pub fn response_json(response: &ClientResponse) -> Value {
    let mut fields = Map::new();
    fields.insert("status".into(), response.status.into());
    fields.insert("headers".into(), headers_json(&response.headers));
    insert_body(&mut fields, &response.body);
    Value::Object(fields)
}

fn headers_json(headers: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (name, value) in headers.iter().filter(|(name, _)| !is_secret(name)) {
        // A repeated header is printed once, its values joined as HTTP allows.
        match map.get_mut(name) {
            Some(Value::String(previous)) => {
                previous.push_str(", ");
                previous.push_str(value);
            }
            _ => {
                map.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    Value::Object(map)
}

/// `"body"` as text, or `"body_base64"` when the bytes are not UTF-8.
fn insert_body(fields: &mut Map<String, Value>, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(text) => fields.insert("body".into(), text.into()),
        Err(_) => fields.insert(
            "body_base64".into(),
            base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
        ),
    };
}

/// The outcome as a person reads it: each part under a `#` heading, as
/// HTTP messages.
pub fn text(outcome: &Outcome) -> String {
    let mut out = String::new();
    if let Some(request) = &outcome.integration_request {
        out.push_str("# integration request\n");
        let target = if request.url.is_empty() {
            "(mock)"
        } else {
            &request.url
        };
        let _ = writeln!(out, "{} {target}", request.method);
        message(&mut out, &request.headers, &request.body);
    }
    if let Some(response) = &outcome.response {
        if !out.is_empty() {
            out.push('\n');
        }
        match &outcome.refusal {
            Some(refusal) => {
                let _ = writeln!(out, "# gateway response {}", refusal.response_type);
                let _ = writeln!(out, "# cause: {}", refusal.cause);
            }
            None => out.push_str("# method response\n"),
        }
        let reason = http::StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let _ = writeln!(out, "{} {reason}", response.status);
        message(&mut out, &response.headers, &response.body);
    }
    out
}

fn message(out: &mut String, headers: &[(String, String)], body: &[u8]) {
    for (name, value) in headers.iter().filter(|(name, _)| !is_secret(name)) {
        let _ = writeln!(out, "{name}: {value}");
    }
    out.push('\n');
    match std::str::from_utf8(body) {
        Ok(text) => {
            out.push_str(text);
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
        }
        Err(_) => {
            let _ = writeln!(
                out,
                "({} bytes, not UTF-8; base64: {})",
                body.len(),
                base64::engine::general_purpose::STANDARD.encode(body)
            );
        }
    }
}
