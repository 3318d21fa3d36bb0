//! `aws_proxy`: a Lambda function invoked with API Gateway's REST proxy
//! event (payload format 1.0), and its proxy result turned into the
//! response.
//!
//! The event and the result are the developer guide's "Input format of a
//! Lambda function for proxy integration" and "Output format ...". A
//! function error (`X-Amz-Function-Error`) or a result of another shape is a
//! 502 `{"message": "Internal server error"}` for the client, with the reason
//! in the operator's log line.
//!
//! The event's headers are those the method request came with, less what
//! API Gateway does not pass to a Lambda function (the known-issues table's
//! `lambda` column, see [`super::proxy`]); names are as the client spelled
//! them (HTTP/2 clients send them lower-case). A body of one of the
//! API's binary media types goes as base64 with `isBase64Encoded` true, as
//! API Gateway sends it; so does a body of another type that is not UTF-8
//! text (which API Gateway would mangle into replacement characters). Any
//! other body goes as the text it is. A result's body with
//! `isBase64Encoded` true is decoded to its bytes.

use bytes::Bytes;
use gateway_integration::{AwsError, InboundResponse, OutboundRequest};
use gateway_mapping::binary::{base64_decode, base64_encode};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::{Map, Value, json};

use super::function_error::FunctionError;
use super::integration_request::Prepared;
use super::proxy::{connection_names, forwards_request_header, response_headers};
use super::request::{Routed, insert_request_id};
use crate::api::Api;
use crate::error::{Cause, GatewayError};

/// The Invoke call with the proxy event as its payload.
pub fn build(api: &Api, routed: &Routed<'_>) -> Result<Prepared, GatewayError> {
    let mut outbound = OutboundRequest::new(http::Method::POST, String::new());
    outbound.body = Bytes::from(event(api, routed).to_string());
    outbound.set_header("Content-Type", "application/json");
    let Some(call) = routed.method.integration.backend.call() else {
        return Err(GatewayError::configuration(Cause::Configuration(
            "an aws_proxy integration without a function".into(),
        )));
    };
    call.finish(&mut outbound, &[], &[]).map_err(|e| {
        GatewayError::configuration(Cause::Configuration(format!(
            "the integration request cannot be built: {e}"
        )))
    })?;
    let trace_id = &routed.request.trace_id;
    if !trace_id.is_empty() {
        outbound.set_header("X-Amzn-Trace-Id", trace_id.clone());
    }
    Ok(Prepared {
        outbound,
        template: None,
    })
}

/// API Gateway's proxy event for the method request. Absent maps (no query
/// string, no path parameters, no stage variables) are `null`, as there.
pub fn event(api: &Api, routed: &Routed<'_>) -> Value {
    let request = routed.request;
    let context = routed.context;
    let connection = connection_names(
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .map(|(_, v)| v.as_str()),
    );
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, value)| forwards_request_header(name, value, &connection, false))
        .cloned()
        .collect();
    let (body, is_base64) = match std::str::from_utf8(&request.body) {
        _ if request.body.is_empty() => (Value::Null, false),
        Ok(text) if !request.is_binary(&api.binary_media_types) => {
            (Value::String(text.to_string()), false)
        }
        _ => (Value::String(base64_encode(&request.body)), true),
    };
    let stage_variables: Map<String, Value> = api
        .stage
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "resource": context.resource_path,
        // The path under the stage's base path, as API Gateway's default
        // endpoint gives it; `requestContext.path` is the whole path.
        "path": api.stage.route_path(&request.path).unwrap_or(&request.path),
        "httpMethod": request.method,
        "headers": single_values(&headers),
        "multiValueHeaders": multi_values(&headers),
        "queryStringParameters": single_values(&request.query),
        "multiValueQueryStringParameters": multi_values(&request.query),
        "pathParameters": single_values(routed.path_params),
        "stageVariables": if stage_variables.is_empty() { Value::Null } else { Value::Object(stage_variables) },
        "requestContext": {
            "resourceId": context.resource_id,
            "resourcePath": context.resource_path,
            "httpMethod": context.http_method,
            "extendedRequestId": context.extended_request_id,
            "requestTime": context.request_time,
            "path": context.path,
            "accountId": context.account_id,
            "protocol": context.protocol,
            "stage": context.stage,
            "domainPrefix": context.domain_prefix,
            "requestTimeEpoch": context.request_time_epoch,
            "requestId": context.request_id,
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "sourceIp": context.identity.source_ip,
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": context.identity.user_agent,
                "user": null
            },
            "domainName": context.domain_name,
            "deploymentId": context.deployment_id,
            "apiId": context.api_id
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// Name → last value (API Gateway's single-value view), or `null` when
/// there are none.
fn single_values(pairs: &[(String, String)]) -> Value {
    if pairs.is_empty() {
        return Value::Null;
    }
    let mut map = Map::new();
    for (name, value) in pairs {
        map.insert(name.clone(), Value::String(value.clone()));
    }
    Value::Object(map)
}

/// Name → every value in order, or `null` when there are none.
fn multi_values(pairs: &[(String, String)]) -> Value {
    if pairs.is_empty() {
        return Value::Null;
    }
    let mut map = Map::new();
    for (name, value) in pairs {
        let values = map
            .entry(name.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = values {
            values.push(Value::String(value.clone()));
        }
    }
    Value::Object(map)
}

/// The method response for the Invoke answer.
///
/// Lambda's own refusals are not the function's answer: one of the
/// gateway's credentials or permissions, or another 4xx (no such function,
/// a payload too large) is a configuration error (500); a throttle or a
/// Lambda 5xx is the integration's (502).
pub fn respond(
    routed: &Routed<'_>,
    inbound: InboundResponse,
) -> Result<Response<Full<Bytes>>, GatewayError> {
    let status = inbound.status;
    if !status.is_success() {
        let error = AwsError::from_response(&inbound);
        if let Some(error) = error.as_ref().filter(|e| e.is_auth_failure()) {
            return Err(GatewayError::service_refused_credentials(
                status.as_u16(),
                error.clone(),
            ));
        }
        let reason = match error {
            Some(error) => format!("Lambda answered {} {error}", status.as_u16()),
            None => format!("Lambda answered {}", status.as_u16()),
        };
        return Err(
            if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
                GatewayError::configuration(Cause::Configuration(reason))
            } else {
                GatewayError::bad_answer(reason)
            },
        );
    }
    if let Some(error) = FunctionError::from_response(&inbound) {
        return Err(GatewayError::bad_answer(error.to_string()));
    }
    let result = ProxyResult::parse(&inbound.body).map_err(|reason| {
        GatewayError::bad_answer(format!("malformed Lambda proxy response: {reason}"))
    })?;
    let mut response = Response::new(Full::new(result.body));
    *response.status_mut() = result.status;
    let headers = response.headers_mut();
    *headers = response_headers(&result.headers);
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    insert_request_id(headers, &routed.context.request_id);
    Ok(response)
}

/// A function's proxy result, checked.
#[derive(Debug)]
struct ProxyResult {
    status: StatusCode,
    /// `headers`, then `multiValueHeaders`, whose values replace those of a
    /// name both give (compared without case).
    headers: HeaderMap,
    body: Bytes,
}

impl ProxyResult {
    /// The result in `payload`, or why it is not one. Every field may be
    /// absent or `null` (`statusCode` then is 200); no other field may be
    /// present, as API Gateway checks.
    fn parse(payload: &[u8]) -> Result<Self, String> {
        let value: Value =
            serde_json::from_slice(payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
        let Value::Object(fields) = value else {
            return Err("the payload is not a JSON object".into());
        };
        if let Some(unknown) = fields.keys().find(|k| {
            !matches!(
                k.as_str(),
                "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
            )
        }) {
            return Err(format!("unknown field `{unknown}`"));
        }
        let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

        let status = match field("statusCode") {
            None => Some(200),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        }
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or("`statusCode` is not an HTTP status (100 to 599)")?;

        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match field("headers") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    let (name, value) = result_header(name, value)?;
                    headers.insert(name, value);
                }
            }
            Some(_) => return Err("`headers` is not an object".into()),
        }
        match field("multiValueHeaders") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, values) in map {
                    let Value::Array(values) = values else {
                        return Err(format!("`multiValueHeaders.{name}` is not a list"));
                    };
                    let mut parsed = Vec::with_capacity(values.len());
                    for value in values {
                        parsed.push(result_header(name, value)?);
                    }
                    if let Some((name, _)) = parsed.first() {
                        headers.remove(name);
                    }
                    for (name, value) in parsed {
                        headers.append(name, value);
                    }
                }
            }
            Some(_) => return Err("`multiValueHeaders` is not an object".into()),
        }

        let encoded = match field("isBase64Encoded") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(_) => return Err("`isBase64Encoded` is not a boolean".into()),
        };
        let body = match field("body") {
            None => Bytes::new(),
            Some(Value::String(text)) if encoded => Bytes::from(
                base64_decode(text.as_bytes())
                    .map_err(|_| "`body` is not base64, and `isBase64Encoded` is true")?,
            ),
            Some(Value::String(text)) => Bytes::from(text.clone()),
            Some(_) => return Err("`body` is not a string".into()),
        };
        Ok(Self {
            status,
            headers,
            body,
        })
    }
}

/// One header of a result: a string or a boolean value, as API Gateway
/// takes them. An invalid one is named, without its value.
fn result_header(name: &str, value: &Value) -> Result<(HeaderName, HeaderValue), String> {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Bool(true) => "true",
        Value::Bool(false) => "false",
        _ => return Err(format!("header `{name}` is not a string")),
    };
    let name_ok = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a header name"))?;
    let value_ok = HeaderValue::from_str(text)
        .map_err(|_| format!("the value of header `{name}` is not valid HTTP"))?;
    Ok((name_ok, value_ok))
}

#[cfg(test)]
mod tests {
    use super::super::proxy::tests::{api_from, with_routed};
    use super::super::request::MethodRequest;
    use super::*;

    const API: &str = concat!(
        "api:\n  id: a1b2c3d4e5\n  account_id: '123456789012'\n",
        "aws:\n  region: us-east-1\n  endpoint_url: http://127.0.0.1:9\n",
        "stage:\n  name: prod\n  variables:\n    flavour: vanilla\n",
        "resources:\n  /shop/{proxy+}:\n    ANY:\n      integration:\n",
        "        type: aws_proxy\n        uri: arn:aws:lambda:eu-west-1:123456789012:function:echo\n",
    );

    fn request(body: &'static [u8]) -> MethodRequest {
        let raw_query = "color=red&color=blue&size=M";
        MethodRequest {
            method: "POST".into(),
            path: "/shop/items/42".into(),
            query: form_urlencoded::parse(raw_query.as_bytes())
                .into_owned()
                .collect(),
            raw_query: raw_query.into(),
            headers: [
                ("host", "shop.example.com"),
                ("connection", "close"),
                ("content-length", "9"),
                ("x-tag", "one"),
                ("x-tag", "two"),
                ("user-agent", "curl/8"),
            ]
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
            body: Bytes::from_static(body),
            source_ip: "203.0.113.9".into(),
            ..MethodRequest::default()
        }
    }

    #[test]
    fn the_event_is_api_gateways_proxy_event() {
        let api = api_from(API);
        let (event, outbound) = with_routed(&api, request(b"{\"a\": 1}"), |routed| {
            (event(&api, routed), build(&api, routed).unwrap().outbound)
        });
        assert_eq!(
            outbound.url,
            "http://127.0.0.1:9/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:echo/invocations"
        );
        assert_eq!(outbound.method, http::Method::POST);
        assert_eq!(
            serde_json::from_slice::<Value>(&outbound.body).unwrap(),
            event
        );
        let context = &event["requestContext"];
        let fixed = json!({
            "resource": "/shop/{proxy+}",
            "path": "/shop/items/42",
            "httpMethod": "POST",
            "headers": {"host": "shop.example.com", "x-tag": "two", "user-agent": "curl/8"},
            "multiValueHeaders": {"host": ["shop.example.com"], "x-tag": ["one", "two"], "user-agent": ["curl/8"]},
            "queryStringParameters": {"color": "blue", "size": "M"},
            "multiValueQueryStringParameters": {"color": ["red", "blue"], "size": ["M"]},
            "pathParameters": {"proxy": "items/42"},
            "stageVariables": {"flavour": "vanilla"},
            "body": "{\"a\": 1}",
            "isBase64Encoded": false,
        });
        for (key, expected) in fixed.as_object().unwrap() {
            assert_eq!(&event[key], expected, "{key}");
        }
        assert_eq!(context["requestId"], "rid-1");
        assert_eq!(context["stage"], "prod");
        assert_eq!(context["resourcePath"], "/shop/{proxy+}");
        assert_eq!(context["httpMethod"], "POST");
        assert_eq!(context["accountId"], "123456789012");
        assert_eq!(context["apiId"], "a1b2c3d4e5");
        assert_eq!(context["identity"]["sourceIp"], "203.0.113.9");
        assert_eq!(context["identity"]["userAgent"], "curl/8");
        assert!(context["requestTimeEpoch"].as_i64().unwrap() > 1_600_000_000_000);
    }

    #[test]
    fn a_body_that_is_not_text_goes_as_base64_and_none_as_null() {
        let api = api_from(API);
        let binary = with_routed(&api, request(&[0xff, 0xfe, 0]), |routed| {
            event(&api, routed)
        });
        assert_eq!(binary["body"], "//4A");
        assert_eq!(binary["isBase64Encoded"], true);
        let empty = with_routed(&api, request(b""), |routed| event(&api, routed));
        assert_eq!(empty["body"], Value::Null);
        assert_eq!(empty["isBase64Encoded"], false);
    }

    /// A text body of a binary media type goes as base64, as API Gateway
    /// sends it; of another type, as the text it is.
    #[test]
    fn a_body_of_a_binary_media_type_goes_as_base64() {
        let api = api_from(&format!("binary_media_types: ['image/*']\n{API}"));
        let with_type = |content_type: &str| {
            let mut request = request(b"GIF89a");
            request
                .headers
                .push(("Content-Type".into(), content_type.into()));
            with_routed(&api, request, |routed| event(&api, routed))
        };
        let binary = with_type("image/gif");
        assert_eq!(binary["body"], "R0lGODlh");
        assert_eq!(binary["isBase64Encoded"], true);
        let text = with_type("text/plain");
        assert_eq!(text["body"], "GIF89a");
        assert_eq!(text["isBase64Encoded"], false);
    }

    fn parse(payload: &str) -> Result<ProxyResult, String> {
        ProxyResult::parse(payload.as_bytes())
    }

    /// The cases API Gateway was recorded answering (LocalStack's
    /// `test_aws_proxy_response_payload_format_validation`, validated
    /// against AWS).
    #[test]
    fn results_are_checked_as_api_gateway_checks_them() {
        let ok = parse(r#"{"statusCode": 200}"#).unwrap();
        assert_eq!(ok.status, 200);
        assert!(ok.body.is_empty());
        assert_eq!(ok.headers["content-type"], "application/json");

        let ok = parse(
            r#"{"statusCode": 200, "headers": {"test-header": "value", "header-bool": true}}"#,
        )
        .unwrap();
        assert_eq!(ok.headers["header-bool"], "true");
        assert!(parse(r#"{"statusCode": 200, "headers": null}"#).is_ok());
        assert_eq!(parse(r#"{"statusCode": "201"}"#).unwrap().status, 201);
        assert_eq!(
            parse(r#"{"headers": {"test-header": "value"}}"#)
                .unwrap()
                .status,
            200
        );

        let multi = parse(
            r#"{"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}}"#,
        )
        .unwrap();
        let values: Vec<_> = multi.headers.get_all("test-multi").iter().collect();
        assert_eq!(values, ["value-multi"]);

        for (bad, reason) in [
            (
                r#"{"statusCode": 200, "wrongValue": "value"}"#,
                "unknown field `wrongValue`",
            ),
            (
                r#"{"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}}"#,
                "`multiValueHeaders.test-multi-invalid` is not a list",
            ),
            (
                r#"{"statusCode": "test"}"#,
                "`statusCode` is not an HTTP status (100 to 599)",
            ),
            (r#""justAString""#, "the payload is not a JSON object"),
            (
                r#"{"statusCode": 200, "body": {"a": 1}}"#,
                "`body` is not a string",
            ),
            (
                r#"{"statusCode": 200, "headers": {"x": 1}}"#,
                "header `x` is not a string",
            ),
            (
                r#"{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}"#,
                "`body` is not base64, and `isBase64Encoded` is true",
            ),
            (
                r#"{"statusCode": 99}"#,
                "`statusCode` is not an HTTP status (100 to 599)",
            ),
        ] {
            assert_eq!(parse(bad).unwrap_err(), reason, "{bad}");
        }
        assert!(
            parse("not json")
                .unwrap_err()
                .starts_with("the payload is not JSON")
        );
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let result =
            parse(r#"{"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": true}"#)
                .unwrap();
        assert_eq!(&result.body[..], b"test-data");
        // Without the flag, the text is the body.
        let result = parse(r#"{"statusCode": 200, "body": "dGVzdC1kYXRh"}"#).unwrap();
        assert_eq!(&result.body[..], b"dGVzdC1kYXRh");
    }

    #[test]
    fn the_events_maps_are_null_when_empty_and_keep_every_value() {
        assert_eq!(single_values(&[]), Value::Null);
        let pairs = [
            ("color".to_string(), "red".to_string()),
            ("color".to_string(), "blue".to_string()),
        ];
        assert_eq!(single_values(&pairs), json!({"color": "blue"}));
        assert_eq!(multi_values(&pairs), json!({"color": ["red", "blue"]}));
    }
}
