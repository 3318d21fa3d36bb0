//! A stand-in for AWS Lambda's Invoke API, for the tests of Lambda
//! integrations. moto runs function code only in Docker, which the test
//! machines do not have; this server answers
//! `POST /2015-03-31/functions/{name}/invocations` itself, with a handful of
//! functions written in Rust, after checking the call's SigV4 signature
//! for service `lambda`, as Lambda would.
//!
//! The expected signature is computed with the gateway's own signer from the
//! request as it arrived: the method, the path and query, the headers the
//! call says it signed, the body, and the access key, date and region of its
//! credential scope. A call changed after signing, signed for another service
//! or region, or signed with another secret does not match. (The signer
//! itself is checked against aws-sigv4's in the integration crate's tests,
//! and against moto in the other end-to-end tests.)
//!
//! The functions, by name (a function ARN or a name with a qualifier counts
//! by its name):
//! - `echo`: a proxy result whose body is the event it was given, as JSON,
//!   with headers that API Gateway remaps (`Server`, `Date`) and a repeated
//!   `Set-Cookie`;
//! - `mirror`: a proxy result (201) whose body is the event's body, with the
//!   event's `isBase64Encoded` and `Content-Type`;
//! - `fails`: an unhandled function error;
//! - `malformed`: a result whose `body` is an object, not a string;
//! - `orders`: a non-proxy function: `{"order": "missing"}` fails with
//!   `Not found: order missing`, `{"order": "bad"}` with `Invalid order: bad`,
//!   `{"order": "slow"}` with a timeout, any other order is accepted;
//! - `authorizer`: a Lambda authorizer, `token` or `request` (its token is
//!   then the `X-Token` header): `Bearer allow-<user>` allows the method
//!   ARN it was given, with principal `<user>`, a context and a
//!   `usageIdentifierKey`; `Bearer deny` denies it explicitly; `Bearer wild`
//!   allows every `GET` of the stage with wildcards; `Bearer unauthorized`
//!   fails with `Unauthorized`; `Bearer broken` answers without a policy;
//! - anything else: Lambda's 404 `ResourceNotFoundException`, whose message
//!   names the function's ARN.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine as _;
use bytes::Bytes;
use gateway_integration::{Credentials, OutboundRequest, Service, Signer};
use serde_json::{Value, json};

use super::AccessKey;
use super::local_server::{LocalServer, response};

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function's name as the path gave it (a name or an ARN).
    pub function: String,
    pub payload: Vec<u8>,
    /// Whether the signature matched, or why not.
    pub signature: Result<(), String>,
}

impl Invocation {
    /// The payload as JSON (the proxy event, for a proxy integration).
    pub fn event(&self) -> Value {
        serde_json::from_slice(&self.payload).unwrap_or_else(|e| {
            panic!(
                "the payload is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.payload)
            )
        })
    }
}

pub struct LambdaStandIn {
    server: LocalServer,
    invocations: Arc<Mutex<Vec<Invocation>>>,
}

impl LambdaStandIn {
    /// A stand-in that accepts calls signed with `key` for `region`.
    pub fn start(key: AccessKey, region: &str) -> Self {
        let invocations = Arc::new(Mutex::new(Vec::new()));
        let log = invocations.clone();
        let region = region.to_string();
        let server = LocalServer::start(Arc::new(
            move |parts: http::request::Parts, body: Bytes| {
                let path = parts.uri.path();
                let Some(function) = path
                    .strip_prefix("/2015-03-31/functions/")
                    .and_then(|rest| rest.strip_suffix("/invocations"))
                    .filter(|_| parts.method == http::Method::POST)
                else {
                    return error(404, "UnknownOperationException", "unknown operation");
                };
                let function = function.replace("%3A", ":").replace("%3a", ":");
                let signature = verify(&parts, &body, &key, &region);
                log.lock().unwrap().push(Invocation {
                    function: function.clone(),
                    payload: body.to_vec(),
                    signature: signature.clone(),
                });
                if signature.is_err() {
                    return error(
                        403,
                        "InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided.",
                    );
                }
                invoke(&function, &region, &body)
            },
        ));
        Self {
            server,
            invocations,
        }
    }

    /// `http://127.0.0.1:<port>`: the Lambda endpoint to give the gateway.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Every call received so far, in order.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.invocations.lock().unwrap().clone()
    }

    /// The last call received; its signature must have matched.
    pub fn last(&self) -> Invocation {
        let last = self
            .invocations()
            .pop()
            .expect("the stand-in received no call");
        if let Err(reason) = &last.signature {
            panic!("the call to {} was badly signed: {reason}", last.function);
        }
        last
    }
}

/// Runs function `function` on `payload`.
fn invoke(
    function: &str,
    region: &str,
    payload: &[u8],
) -> http::Response<http_body_util::Full<Bytes>> {
    // `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or
    // `<name>[:<qualifier>]`.
    let name = match function.split_once(":function:") {
        Some((_, rest)) => rest,
        None => function,
    };
    let name = name.split(':').next().unwrap_or(name);
    let event: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let result = match name {
        "echo" => json!({
            "statusCode": 200,
            "headers": {
                "Content-Type": "application/json",
                "X-Function": "echo",
                "Server": "lambda-stand-in",
                "Date": "Mon, 01 Jan 2024 00:00:00 GMT"
            },
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": event.to_string(),
        }),
        "mirror" => json!({
            "statusCode": 201,
            "headers": {
                "Content-Type": event["headers"]["content-type"].as_str().unwrap_or("application/octet-stream")
            },
            "body": event["body"],
            "isBase64Encoded": event["isBase64Encoded"],
        }),
        "fails" => {
            return function_error(
                "Error",
                "Cannot read properties of undefined (reading 'id') at arn:aws:lambda:us-east-1:123456789012:function:fails",
            );
        }
        "malformed" => json!({"statusCode": 200, "body": {"not": "a string"}}),
        "authorizer" => match authorizer(&event) {
            Ok(result) => result,
            Err(message) => return function_error("Error", message),
        },
        "orders" => match event["order"].as_str() {
            Some("missing") => return function_error("NotFound", "Not found: order missing"),
            Some("bad") => return function_error("Invalid", "Invalid order: bad"),
            Some("slow") => {
                return function_error(
                    "Sandbox.Timedout",
                    "2024-01-01T00:00:00.000Z 7c1e Task timed out after 3.00 seconds",
                );
            }
            order => json!({"order": order, "status": "accepted"}),
        },
        _ => {
            return error(
                404,
                "ResourceNotFoundException",
                &format!(
                    "Function not found: arn:aws:lambda:{region}:123456789012:function:{name}"
                ),
            );
        }
    };
    response(
        200,
        &[("Content-Type".into(), "application/json".into())],
        result.to_string(),
    )
}

/// The `authorizer` function: a policy for the token it was given.
fn authorizer(event: &Value) -> Result<Value, &'static str> {
    let token = match event["type"].as_str() {
        Some("REQUEST") => event["headers"]
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-token")))
            .and_then(|(_, v)| v.as_str()),
        _ => event["authorizationToken"].as_str(),
    }
    .unwrap_or("");
    let arn = event["methodArn"].as_str().unwrap_or("");
    let statement = |effect: &str, resource: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
        ]})
    };
    match token.strip_prefix("Bearer ").unwrap_or(token) {
        "deny" => Ok(json!({"principalId": "mallory", "policyDocument": statement("Deny", arn)})),
        "wild" => {
            // Every GET of the method's API and stage, whatever the path.
            let stage = arn.splitn(3, '/').take(2).collect::<Vec<_>>().join("/");
            let resource = format!("{}/G?T/*", stage.replacen(":123456789012:", ":*:", 1));
            Ok(json!({"principalId": "wanda", "policyDocument": statement("Allow", &resource)}))
        }
        "unauthorized" => Err("Unauthorized"),
        "broken" => Ok(json!({"principalId": "bob"})),
        other => match other.strip_prefix("allow-") {
            Some(user) => Ok(json!({
                "principalId": user,
                "policyDocument": statement("Allow", arn),
                "context": {"user": user, "tier": 2, "admin": true},
                "usageIdentifierKey": format!("key-{user}"),
            })),
            None => Err("Unauthorized"),
        },
    }
}

/// Lambda's answer for a function that threw: 200, `X-Amz-Function-Error`,
/// the error as the payload.
fn function_error(error_type: &str, message: &str) -> http::Response<http_body_util::Full<Bytes>> {
    let payload = json!({
        "errorType": error_type,
        "errorMessage": message,
        "stackTrace": ["at handler (/var/task/index.js:3:9)"],
    });
    response(
        200,
        &[
            ("Content-Type".into(), "application/json".into()),
            ("X-Amz-Function-Error".into(), "Unhandled".into()),
        ],
        payload.to_string(),
    )
}

/// Lambda's answer for a refused call: a REST-JSON error.
fn error(status: u16, code: &str, message: &str) -> http::Response<http_body_util::Full<Bytes>> {
    response(
        status,
        &[
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), format!("{code}:")),
        ],
        json!({"Type": "User", "message": message}).to_string(),
    )
}

/// Whether the call is signed, for `lambda` in `region`, with `key`, over
/// what arrived.
fn verify(
    parts: &http::request::Parts,
    body: &[u8],
    key: &AccessKey,
    region: &str,
) -> Result<(), String> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("no {name} header"))
    };
    let authorization = header("authorization")?;
    let fields = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not a SigV4 Authorization header")?;
    let field = |name: &str| {
        fields
            .split(", ")
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| format!("no {name} in the Authorization header"))
    };
    let scope: Vec<&str> = field("Credential")?.split('/').collect();
    let [access_key, _date, scope_region, service, "aws4_request"] = scope[..] else {
        return Err(format!("a malformed credential scope: {scope:?}"));
    };
    if access_key != key.id {
        return Err(format!("signed with access key {access_key}"));
    }
    if scope_region != region || service != "lambda" {
        return Err(format!("signed for {service} in {scope_region}"));
    }
    let time = amz_time(header("x-amz-date")?)?;

    // The request as it arrived, with the headers it says it signed.
    let url = format!(
        "http://{}{}",
        header("host")?,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut request = OutboundRequest::new(parts.method.clone(), url);
    for name in field("SignedHeaders")?.split(';').filter(|n| *n != "host") {
        for value in parts.headers.get_all(name) {
            let value = value
                .to_str()
                .map_err(|_| format!("header {name} is not text"))?;
            request.headers.push((name.to_string(), value.to_string()));
        }
    }
    request.body = Bytes::copy_from_slice(body);
    let signer = Signer::new(
        &Service::lookup("lambda"),
        region,
        Credentials::fixed(&key.id, &key.secret, None),
    );
    let credentials =
        aws_credential_types::Credentials::new(&key.id, &key.secret, None, None, "stand-in");
    signer
        .sign_with(&mut request, &credentials, time)
        .map_err(|e| e.to_string())?;
    match request.header("authorization") {
        Some(expected) if expected == authorization => Ok(()),
        Some(expected) => Err(format!(
            "the signature does not match: expected `{expected}`"
        )),
        None => Err("the signer made no Authorization header".into()),
    }
}

/// `20240101T000000Z` as a time.
fn amz_time(text: &str) -> Result<SystemTime, String> {
    let bad = || format!("`{text}` is not an X-Amz-Date");
    let digits = |range: std::ops::Range<usize>| -> Result<u32, String> {
        text.get(range).and_then(|d| d.parse().ok()).ok_or_else(bad)
    };
    if text.len() != 16 || &text[8..9] != "T" || !text.ends_with('Z') {
        return Err(bad());
    }
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).map_err(|_| bad())?,
        month,
        u8::try_from(digits(6..8)?).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let at = date
        .with_hms(
            u8::try_from(digits(9..11)?).map_err(|_| bad())?,
            u8::try_from(digits(11..13)?).map_err(|_| bad())?,
            u8::try_from(digits(13..15)?).map_err(|_| bad())?,
        )
        .map_err(|_| bad())?
        .assume_utc();
    Ok(SystemTime::from(at))
}

/// The standard base64 of `bytes`, as a proxy event carries a binary body.
pub fn base64_of(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
