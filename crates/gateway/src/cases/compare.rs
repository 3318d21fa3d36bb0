//! A case's expectation against what the flow did: both are brought to the
//! same shape (only the headers the expectation lists, bodies that are JSON
//! printed canonically) and compared; a mismatch is shown as a unified diff
//! of the two, as YAML.

use std::collections::BTreeMap;

use base64::Engine as _;
use gateway_integration::OutboundRequest;

use super::file::{Compare, Expect, ExpectedRequest, ExpectedResponse};
use crate::render::output::is_secret;
use crate::render::simulate::Outcome;

/// What the flow did, in the shape of an expectation: every part it
/// produced, every header but those that carry secrets. This is what
/// `--update` writes.
pub fn observed(outcome: &Outcome) -> Expect {
    Expect {
        integration_request: outcome.integration_request.as_ref().map(request),
        response: outcome.response.as_ref().map(|response| {
            let (body, body_base64) = body_fields(&response.body);
            ExpectedResponse {
                status: response.status,
                gateway_response: outcome
                    .refusal
                    .as_ref()
                    .map(|r| r.response_type.to_string()),
                headers: headers(&response.headers),
                body,
                body_base64,
                compare: Compare::Json,
            }
        }),
    }
}

fn request(request: &OutboundRequest) -> ExpectedRequest {
    let (body, body_base64) = body_fields(&request.body);
    ExpectedRequest {
        method: request.method.to_string(),
        url: (!request.url.is_empty()).then(|| request.url.clone()),
        headers: headers(&request.headers),
        body,
        body_base64,
        compare: Compare::Json,
    }
}

fn headers(headers: &[(String, String)]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers.iter().filter(|(name, _)| !is_secret(name)) {
        map.entry(name.clone())
            .and_modify(|previous| {
                previous.push_str(", ");
                previous.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    map
}

fn body_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(body) {
        Ok(text) => (Some(text.to_string()), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(body)),
        ),
    }
}

/// `None` when `outcome` meets `expect`; otherwise the unified diff from
/// the expected to the actual.
pub fn check(expect: &Expect, outcome: &Outcome) -> Option<String> {
    let actual = observed(outcome);
    let mut want = Expect::default();
    let mut got = Expect::default();
    if let Some(expected) = &expect.integration_request {
        let mut expected = expected.clone();
        let mut actual = actual.integration_request.clone();
        if let Some(actual) = &mut actual {
            actual.compare = expected.compare;
            align_headers(&expected.headers, &mut actual.headers);
            if expected.body.is_none() && expected.body_base64.is_none() {
                // A part that gives no body does not check it.
                (actual.body, actual.body_base64) = (None, None);
            }
            align_bodies(expected.compare, &mut expected.body, &mut actual.body);
        }
        want.integration_request = Some(expected);
        got.integration_request = actual;
    }
    if let Some(expected) = &expect.response {
        let mut expected = expected.clone();
        let mut actual = actual.response.clone();
        if let Some(actual) = &mut actual {
            actual.compare = expected.compare;
            align_headers(&expected.headers, &mut actual.headers);
            if expected.body.is_none() && expected.body_base64.is_none() {
                // A part that gives no body does not check it.
                (actual.body, actual.body_base64) = (None, None);
            }
            align_bodies(expected.compare, &mut expected.body, &mut actual.body);
        }
        want.response = Some(expected);
        got.response = actual;
    }
    (want != got).then(|| diff(&yaml(&want), &yaml(&got), "expected", "actual"))
}

/// Keeps of `actual`'s headers those `expected` names, in any case, under
/// the expected spelling.
fn align_headers(expected: &BTreeMap<String, String>, actual: &mut BTreeMap<String, String>) {
    *actual = expected
        .keys()
        .filter_map(|name| {
            actual
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, value)| (name.clone(), value.clone()))
        })
        .collect();
}

/// Prints both bodies canonically when both are JSON and JSON comparison
/// applies, so that layout and key order do not count.
fn align_bodies(compare: Compare, expected: &mut Option<String>, actual: &mut Option<String>) {
    if compare != Compare::Json {
        return;
    }
    if let (Some(want), Some(got)) = (expected.as_mut(), actual.as_mut())
        && let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(want),
            serde_json::from_str::<serde_json::Value>(got),
        )
    {
        *want = canonical(&a);
        *got = canonical(&b);
    }
}

/// Pretty JSON with sorted keys, so that equal values print alike.
fn canonical(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(&sorted(value)).unwrap_or_default()
}

/// `value` with every object's keys in order. serde_json keeps the order
/// they were read in when a dependency asks it to (`preserve_order`).
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

pub fn yaml<T: serde::Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

/// A unified diff of `old` and `new`, three lines of context.
pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::simulate::{ClientResponse, Refusal};
    use bytes::Bytes;

    fn outcome() -> Outcome {
        let mut request = OutboundRequest::new(
            http::Method::POST,
            "https://kinesis.us-east-1.amazonaws.com/?Action=PutRecord".into(),
        );
        request.headers = vec![
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("Authorization".into(), "AWS4-HMAC-SHA256 secret".into()),
        ];
        request.body = Bytes::from_static(br#"{"b": 2, "a": [1]}"#);
        Outcome {
            integration_request: Some(request),
            response: Some(ClientResponse {
                status: 400,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-amzn-RequestId".into(), "id-1".into()),
                ],
                body: Bytes::from_static(br#"{"message": "Invalid request body"}"#),
            }),
            refusal: Some(Refusal {
                response_type: "BAD_REQUEST_BODY",
                message: "Invalid request body".into(),
                cause: "why".into(),
            }),
        }
    }

    #[test]
    fn what_is_observed_has_no_secrets() {
        let observed = observed(&outcome());
        let request = observed.integration_request.unwrap();
        assert_eq!(request.headers.keys().collect::<Vec<_>>(), ["Content-Type"]);
        assert_eq!(
            observed.response.unwrap().gateway_response.as_deref(),
            Some("BAD_REQUEST_BODY")
        );
    }

    #[test]
    fn json_bodies_compare_as_json_and_unlisted_headers_are_ignored() {
        let mut expect = observed(&outcome());
        let request = expect.integration_request.as_mut().unwrap();
        request.body = Some("{\"a\": [1],\n \"b\": 2}".into());
        request.headers.clear();
        let response = expect.response.as_mut().unwrap();
        response.headers = BTreeMap::from([("Content-Type".into(), "application/json".into())]);
        assert_eq!(check(&expect, &outcome()), None);
    }

    #[test]
    fn bytes_comparison_and_a_changed_value_show_a_diff() {
        let mut expect = observed(&outcome());
        let request = expect.integration_request.as_mut().unwrap();
        request.body = Some(r#"{"a": [1], "b": 2}"#.into());
        request.compare = Compare::Bytes;
        let diff = check(&expect, &outcome()).expect("bytes differ");
        assert!(diff.contains("--- expected\n+++ actual\n"), "{diff}");
        assert!(diff.contains("-  body: '{\"a\": [1], \"b\": 2}'"), "{diff}");
        assert!(diff.contains("+  body: '{\"b\": 2, \"a\": [1]}'"), "{diff}");

        let mut expect = observed(&outcome());
        expect.response.as_mut().unwrap().gateway_response = None;
        let diff = check(&expect, &outcome()).expect("a gateway response was not expected");
        assert!(
            diff.contains("+  gateway_response: BAD_REQUEST_BODY"),
            "{diff}"
        );
    }

    #[test]
    fn a_body_left_out_is_not_checked() {
        let mut expect = observed(&outcome());
        expect.integration_request.as_mut().unwrap().body = None;
        expect.response.as_mut().unwrap().body = None;
        assert_eq!(check(&expect, &outcome()), None);
    }

    #[test]
    fn a_missing_part_is_a_mismatch() {
        let mut outcome = outcome();
        let expect = observed(&outcome);
        outcome.integration_request = None;
        let diff = check(&expect, &outcome).expect("no integration request");
        assert!(diff.contains("-integration_request:\n"), "{diff}");
    }
}
