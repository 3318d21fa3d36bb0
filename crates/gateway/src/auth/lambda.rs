//! Lambda authorizers, `token` and `request`, as API Gateway defines them.
//!
//! The identity sources are read first: one that is missing or empty, or a
//! token the validation expression refuses, is a 401 without a call. Then
//! the result cached for the same identity sources is reused, or the
//! function is invoked (SigV4-signed, 10 s at most) with API Gateway's
//! authorizer event. The returned policy is evaluated against the method's
//! ARN on every request, cached or not, since one cached result serves
//! every method of the API.
//!
//! A function that fails with `Unauthorized` is a 401; any other failure, a
//! refused call or a malformed result is a 500
//! `AUTHORIZER_CONFIGURATION_ERROR`, the reason in the operator's log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use gateway_integration::{AwsError, Call, Client, OutboundRequest, Signer};
use gateway_mapping::Body;
use gateway_mapping::params::{Scope, Source};
use serde_json::{Value, json};

use super::policy::{Decision, Policy};
use super::{EXPLICIT_DENY, IMPLICIT_DENY, MAX_TOKEN_BYTES, Outcome, denied, unauthorized};
use crate::api::Api;
use crate::error::GatewayError;
use crate::pipeline::Routed;

/// API Gateway's limit on an authorizer's answer time.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most results cached per authorizer. Identity sources are chosen by
/// clients, so without a bound a stream of new tokens would grow the cache
/// without end.
pub const MAX_CACHED: usize = 10_000;

/// `token` or `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaKind {
    /// One identity source, the token, given as `authorizationToken`.
    Token,
    /// Any identity sources; the function sees the whole request.
    Request,
}

/// A compiled Lambda authorizer.
#[derive(Debug)]
pub struct LambdaAuthorizer {
    pub name: String,
    pub kind: LambdaKind,
    /// Each with its expression as written, for the operator's log.
    pub identity_sources: Vec<(String, Source)>,
    /// Anchored: the whole token must match.
    pub validation: Option<regex::Regex>,
    /// Zero: nothing is cached.
    pub ttl: Duration,
    pub call: Call,
    pub signer: Signer,
    /// For the method ARN.
    pub region: String,
    cache: Mutex<HashMap<String, (Instant, Arc<Granted>)>>,
}

/// What a function returned, kept for the identity sources it was given.
#[derive(Debug)]
struct Granted {
    principal_id: String,
    policy: Policy,
    context: Vec<(String, String)>,
    usage_identifier_key: Option<String>,
}

impl LambdaAuthorizer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        kind: LambdaKind,
        identity_sources: Vec<(String, Source)>,
        validation: Option<regex::Regex>,
        ttl: Duration,
        call: Call,
        signer: Signer,
        region: String,
    ) -> Self {
        Self {
            name,
            kind,
            identity_sources,
            validation,
            ttl,
            call,
            signer,
            region,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authorizes the routed request.
    pub async fn authorize(
        &self,
        api: &Api,
        routed: &Routed<'_>,
        client: &Client,
    ) -> Result<Outcome, GatewayError> {
        let name = &self.name;
        let identities = self.identities(api, routed)?;
        if let (LambdaKind::Token, Some(pattern), Some(token)) =
            (self.kind, &self.validation, identities.first())
            && !pattern.is_match(token)
        {
            return Err(unauthorized(format!(
                "authorizer `{name}`: the token does not match identity_validation_expression"
            )));
        }
        let key = identities.join("\u{0}");
        let granted = match self.cached(&key) {
            Some(granted) => granted,
            None => {
                let granted = Arc::new(self.invoke(api, routed, &identities, client).await?);
                self.keep(key, granted.clone());
                granted
            }
        };
        let arn = method_arn(api, &self.region, routed);
        match granted.policy.decide(&arn) {
            Decision::Allow => Ok(Outcome {
                authorizer: gateway_mapping::Authorizer {
                    principal_id: granted.principal_id.clone(),
                    claims: Vec::new(),
                    values: granted.context.clone(),
                },
                caller: None,
                usage_identifier_key: granted.usage_identifier_key.clone(),
            }),
            Decision::ExplicitDeny => Err(denied(
                EXPLICIT_DENY,
                format!(
                    "authorizer `{name}`: the policy for principal `{}` denies {arn}",
                    granted.principal_id
                ),
            )),
            Decision::ImplicitDeny => Err(denied(
                IMPLICIT_DENY,
                format!(
                    "authorizer `{name}`: the policy for principal `{}` allows nothing that matches {arn}",
                    granted.principal_id
                ),
            )),
        }
    }

    /// The identity sources' values, in order; 401 when one is missing or
    /// empty.
    fn identities(&self, api: &Api, routed: &Routed<'_>) -> Result<Vec<String>, GatewayError> {
        let empty = Body::new("");
        let scope = Scope {
            request: routed.input(&empty),
            response: None,
            context: routed.context(),
            stage_variables: &api.stage.variables,
        };
        self.identity_sources
            .iter()
            .map(|(expression, source)| {
                match source.resolve(&scope).filter(|v| !v.trim().is_empty()) {
                    Some(value) if value.len() <= MAX_TOKEN_BYTES => Ok(value),
                    Some(_) => Err(unauthorized(format!(
                        "authorizer `{}`: {expression} is longer than {MAX_TOKEN_BYTES} bytes",
                        self.name
                    ))),
                    None => Err(unauthorized(format!(
                        "authorizer `{}`: the identity source {expression} is missing",
                        self.name
                    ))),
                }
            })
            .collect()
    }

    fn cached(&self, key: &str) -> Option<Arc<Granted>> {
        if self.ttl.is_zero() {
            return None;
        }
        let cache = self.cache.lock().ok()?;
        let (expires, granted) = cache.get(key)?;
        (Instant::now() < *expires).then(|| granted.clone())
    }

    fn keep(&self, key: String, granted: Arc<Granted>) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        let now = Instant::now();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, (expires, _)| *expires > now);
        }
        // Still full of live entries: start over rather than grow.
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, (now + self.ttl, granted));
    }

    /// Invokes the function and reads its result.
    async fn invoke(
        &self,
        api: &Api,
        routed: &Routed<'_>,
        identities: &[String],
        client: &Client,
    ) -> Result<Granted, GatewayError> {
        let name = &self.name;
        let fail = |reason: String| {
            GatewayError::authorizer_configuration(format!("authorizer `{name}`: {reason}"))
        };
        let arn = method_arn(api, &self.region, routed);
        let event = match self.kind {
            LambdaKind::Token => json!({
                "type": "TOKEN",
                "authorizationToken": identities.first().cloned().unwrap_or_default(),
                "methodArn": arn,
            }),
            LambdaKind::Request => {
                let mut event = crate::pipeline::proxy_event(api, routed);
                if let Some(fields) = event.as_object_mut() {
                    // A request authorizer is not given the body.
                    fields.remove("body");
                    fields.remove("isBase64Encoded");
                    fields.insert("type".into(), Value::String("REQUEST".into()));
                    fields.insert("methodArn".into(), Value::String(arn.clone()));
                }
                event
            }
        };
        let mut outbound = OutboundRequest::new(http::Method::POST, String::new());
        outbound.body = Bytes::from(event.to_string());
        outbound.set_header("Content-Type", "application/json");
        self.call
            .finish(&mut outbound, &[], &[])
            .map_err(|e| fail(format!("the Invoke call cannot be built: {e}")))?;
        self.signer
            .sign(&mut outbound)
            .await
            .map_err(|e| fail(format!("the Invoke call cannot be signed: {e}")))?;
        let inbound = client
            .send(outbound, INVOKE_TIMEOUT)
            .await
            .map_err(|e| fail(format!("the function could not be invoked: {e}")))?;
        if !inbound.status.is_success() {
            let error = AwsError::from_response(&inbound).map_or_else(
                || "no AWS error in the answer".to_string(),
                |e| e.to_string(),
            );
            return Err(fail(format!("Lambda answered {}: {error}", inbound.status)));
        }
        let result: Value = serde_json::from_slice(&inbound.body)
            .map_err(|e| fail(format!("the function's result is not JSON: {e}")))?;
        if inbound.headers.contains_key("x-amz-function-error") {
            let message = result["errorMessage"].as_str().unwrap_or("");
            // API Gateway's contract: a function that fails with exactly
            // this message refuses the caller.
            if message == "Unauthorized" {
                return Err(unauthorized(format!(
                    "authorizer `{name}`: the function answered Unauthorized"
                )));
            }
            return Err(fail(format!("the function failed: {message}")));
        }
        read_result(&result).map_err(fail)
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}`,
/// the path as requested, under the stage's base path, without its first
/// `/`.
pub fn method_arn(api: &Api, region: &str, routed: &Routed<'_>) -> String {
    let context = routed.context();
    let request = routed.request();
    let path = api.stage.route_path(&request.path).unwrap_or(&request.path);
    format!(
        "arn:aws:execute-api:{region}:{}:{}/{}/{}/{}",
        context.account_id,
        context.api_id,
        context.stage,
        request.method,
        path.trim_start_matches('/')
    )
}

/// The function's result: `principalId`, `policyDocument`, the `context`
/// map (strings, numbers and booleans, each as text) and
/// `usageIdentifierKey`.
fn read_result(result: &Value) -> Result<Granted, String> {
    let principal_id = match result.get("principalId") {
        Some(Value::String(id)) => id.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("the result has no `principalId`".into()),
    };
    let document = result
        .get("policyDocument")
        .ok_or("the result has no `policyDocument`")?;
    let policy = Policy::parse(document)?;
    let context = match result.get("context") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                _ => Err(format!(
                    "the result's context value `{k}` is not a string, number or boolean"
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("the result's `context` is not an object".into()),
    };
    let usage_identifier_key = result
        .get("usageIdentifierKey")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Granted {
        principal_id,
        policy,
        context,
        usage_identifier_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_read_as_api_gateway_reads_them() {
        let granted = read_result(&json!({
            "principalId": "user-1",
            "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
            "context": {"tenant": "acme", "tier": 2, "admin": false},
            "usageIdentifierKey": "key-1",
        }))
        .unwrap();
        assert_eq!(granted.principal_id, "user-1");
        assert_eq!(
            granted.context,
            [
                ("tenant".to_string(), "acme".to_string()),
                ("tier".to_string(), "2".to_string()),
                ("admin".to_string(), "false".to_string()),
            ]
        );
        assert_eq!(granted.usage_identifier_key.as_deref(), Some("key-1"));

        for bad in [
            json!({"policyDocument": {"Statement": []}}),
            json!({"principalId": "u"}),
            json!({"principalId": "u", "policyDocument": {"Statement": []}, "context": {"nested": {"a": 1}}}),
        ] {
            assert!(read_result(&bad).is_err(), "{bad}");
        }
    }
}
