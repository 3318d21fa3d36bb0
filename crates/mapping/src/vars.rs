//! What a template can see: the request (or integration response) view that the
//! caller hands to [`Template::render`](crate::Template::render), and what a
//! render hands back besides the body.
//!
//! These types borrow from the caller so that building them on the request path
//! costs no copies of the body or the parameters.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::body::{Body, BodyView};
use crate::params::Params;

/// Everything a template may reference during one render.
#[derive(Debug, Clone, Copy)]
pub struct Variables<'a> {
    /// `$input`: the method request (request templates) or the integration
    /// response (response templates).
    pub input: Input<'a>,
    /// `$context`.
    pub context: &'a Context,
    /// `$stageVariables`, by name.
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// The payload and parameters behind `$input`.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The body: its text for `$input.body`, its document for `$input.path`
    /// and `$input.json`. An empty body is rendered by `$input.body` as `{}`,
    /// as API Gateway does.
    pub(crate) body: &'a dyn BodyView,
    /// The method request's path, query string and header values. In a
    /// response template they are still the method request's.
    pub params: Params<'a>,
}

impl<'a> Input<'a> {
    /// `$input` over a body and the method request's parameters.
    pub fn new(body: &'a Body<'_>, params: Params<'a>) -> Input<'a> {
        Input { body, params }
    }
}

/// `$context`: the request's context variables. Fields that do not apply are
/// empty strings, which render as nothing.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub request_id: String,
    pub extended_request_id: String,
    pub api_id: String,
    pub account_id: String,
    pub stage: String,
    pub deployment_id: String,
    pub resource_id: String,
    /// The matched resource template, e.g. `/streams/{stream-name}`.
    pub resource_path: String,
    /// The request path as the client sent it (with the stage prefix, if any).
    pub path: String,
    pub http_method: String,
    /// Always `HTTP/1.1`, as in API Gateway.
    pub protocol: String,
    /// CLF time, `dd/MMM/yyyy:HH:mm:ss +0000`.
    pub request_time: String,
    /// Milliseconds since the epoch.
    pub request_time_epoch: i64,
    pub domain_name: String,
    pub domain_prefix: String,
    /// The `X-Amzn-Trace-Id` passed on to the integration.
    pub xray_trace_id: String,
    pub identity: Identity,
    /// `$context.error.*`, set only when rendering a gateway response.
    pub error: Option<ErrorContext>,
    /// `$context.authorizer.*`: what the method's authorizer said of the
    /// caller. Empty for a method without one.
    pub authorizer: Authorizer,
}

impl Context {
    /// `$context.<name>` as text, for the names that hold one value:
    /// `requestId`, `identity.sourceIp`, `error.messageString` and the rest.
    /// `None` for other names, and for `error.*` outside a gateway response.
    /// Templates and parameter mappings both read the context through this.
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(field) = name.strip_prefix("identity.") {
            return self.identity.field(field).map(Cow::Borrowed);
        }
        if let Some(field) = name.strip_prefix("error.") {
            return self.error.as_ref()?.field(field);
        }
        if let Some(field) = name.strip_prefix("authorizer.") {
            return self.authorizer.field(field).map(Cow::Borrowed);
        }
        if name == "requestTimeEpoch" {
            return Some(Cow::Owned(self.request_time_epoch.to_string()));
        }
        self.field(name).map(Cow::Borrowed)
    }

    /// A top-level string field by its `$context` name.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "requestId" => &self.request_id,
            "extendedRequestId" => &self.extended_request_id,
            "apiId" => &self.api_id,
            "accountId" => &self.account_id,
            "stage" => &self.stage,
            "deploymentId" => &self.deployment_id,
            "resourceId" => &self.resource_id,
            "resourcePath" => &self.resource_path,
            "path" => &self.path,
            "httpMethod" => &self.http_method,
            "protocol" => &self.protocol,
            "requestTime" => &self.request_time,
            "domainName" => &self.domain_name,
            "domainPrefix" => &self.domain_prefix,
            "xrayTraceId" => &self.xray_trace_id,
            _ => return None,
        })
    }
}

/// `$context.identity`.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: String,
    /// The access key id of a caller that signed with SigV4 (`AWS_IAM`).
    pub access_key: String,
    /// The signing caller's principal id.
    pub caller: String,
    /// The signing caller's user id.
    pub user: String,
    /// The signing caller's ARN.
    pub user_arn: String,
    /// The signing caller's account id.
    pub account_id: String,
    /// `apiKey`: the API key of a method that requires one; empty otherwise,
    /// as API Gateway leaves it null.
    pub api_key: String,
    /// `apiKeyId`: the name the key is declared under.
    pub api_key_id: String,
}

/// `$context.authorizer`: the principal and what the authorizer returned.
#[derive(Debug, Clone, Default)]
pub struct Authorizer {
    /// `$context.authorizer.principalId`: a Lambda authorizer's
    /// `principalId`, or a token's `sub`.
    pub principal_id: String,
    /// `$context.authorizer.claims.<name>`: a JWT's claims, each as text
    /// (strings as they are, anything else as compact JSON).
    pub claims: Vec<(String, String)>,
    /// `$context.authorizer.<key>`: a Lambda authorizer's `context` map,
    /// each value as text.
    pub values: Vec<(String, String)>,
}

impl Authorizer {
    /// `$context.authorizer.<name>`: `principalId`, `claims.<claim>`, or a
    /// key of the authorizer's context.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        if name == "principalId" {
            return Some(&self.principal_id)
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str());
        }
        if let Some(claim) = name.strip_prefix("claims.") {
            return self.claim(claim);
        }
        self.value(name)
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// One context value by key.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `$context.error`.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    pub message: String,
    pub response_type: String,
    pub validation_error_string: String,
}

impl Identity {
    /// `$context.identity.<name>`.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        match name {
            "sourceIp" => Some(&self.source_ip),
            "userAgent" => Some(&self.user_agent),
            "accessKey" => Some(&self.access_key),
            "caller" => Some(&self.caller),
            "user" => Some(&self.user),
            "userArn" => Some(&self.user_arn),
            "accountId" => Some(&self.account_id),
            "apiKey" => Some(&self.api_key),
            "apiKeyId" => Some(&self.api_key_id),
            _ => None,
        }
    }
}

impl ErrorContext {
    /// `$context.error.<name>`. `messageString` is the message as a quoted
    /// JSON string.
    pub(crate) fn field(&self, name: &str) -> Option<Cow<'_, str>> {
        match name {
            "message" => Some(Cow::Borrowed(&self.message)),
            "messageString" => {
                let mut quoted = String::new();
                crate::render::json_string(&self.message, &mut quoted);
                Some(Cow::Owned(quoted))
            }
            "responseType" => Some(Cow::Borrowed(&self.response_type)),
            "validationErrorString" => Some(Cow::Borrowed(&self.validation_error_string)),
            _ => None,
        }
    }
}

/// The result of a render: the body and whatever the template wrote into
/// `$context.requestOverride` / `$context.responseOverride`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub body: String,
    pub overrides: Overrides,
}

/// Values a template set with `#set($context.requestOverride.header.X = ...)`
/// and friends. Empty unless a template wrote to them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub request_header: Vec<(String, String)>,
    pub request_querystring: Vec<(String, String)>,
    pub request_path: Vec<(String, String)>,
    pub response_header: Vec<(String, String)>,
    /// `$context.responseOverride.status`, when set to an integer in 100..=599.
    pub response_status: Option<u16>,
}

#[cfg(test)]
mod context_tests {
    use super::*;

    #[test]
    fn text_reads_every_kind_of_context_name() {
        let mut context = Context {
            request_id: "rid".into(),
            request_time_epoch: 1_700_000_000_000,
            identity: Identity {
                source_ip: "10.0.0.1".into(),
                user_agent: "curl".into(),
                user_arn: "arn:aws:iam::123456789012:user/alice".into(),
                api_key_id: "partner-a".into(),
                ..Identity::default()
            },
            authorizer: Authorizer {
                principal_id: "user-1".into(),
                claims: vec![("cognito:username".into(), "alice".into())],
                values: vec![("tier".into(), "2".into())],
            },
            ..Context::default()
        };
        assert_eq!(
            context.text("identity.userArn").as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        assert_eq!(
            context.text("authorizer.principalId").as_deref(),
            Some("user-1")
        );
        assert_eq!(
            context
                .text("authorizer.claims.cognito:username")
                .as_deref(),
            Some("alice")
        );
        assert_eq!(context.text("authorizer.tier").as_deref(), Some("2"));
        assert_eq!(context.text("authorizer.claims.tier"), None);
        assert_eq!(context.text("requestId").as_deref(), Some("rid"));
        assert_eq!(
            context.text("requestTimeEpoch").as_deref(),
            Some("1700000000000")
        );
        assert_eq!(
            context.text("identity.sourceIp").as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            context.text("identity.apiKeyId").as_deref(),
            Some("partner-a")
        );
        assert_eq!(context.text("identity.apiKey").as_deref(), Some(""));
        assert_eq!(context.text("identity.nothing"), None);
        assert_eq!(
            context.text("error.message"),
            None,
            "outside a gateway response"
        );
        assert_eq!(context.text("nothing"), None);

        context.error = Some(ErrorContext {
            message: "say \"no\"".into(),
            response_type: "BAD_REQUEST_BODY".into(),
            validation_error_string: String::new(),
        });
        assert_eq!(context.text("error.message").as_deref(), Some("say \"no\""));
        assert_eq!(
            context.text("error.messageString").as_deref(),
            Some(r#""say \"no\"""#)
        );
        assert_eq!(
            context.text("error.responseType").as_deref(),
            Some("BAD_REQUEST_BODY")
        );
    }
}
