//! What a template can see: the request (or integration response) view that the
//! caller hands to [`Template::render`](crate::Template::render), and what a
//! render hands back besides the body.
//!
//! These types borrow from the caller so that building them on the request path
//! costs no copies of the body or the parameters.

use std::collections::BTreeMap;

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
    /// The raw body as text. An empty body is rendered by `$input.body` as `{}`,
    /// as API Gateway does.
    pub body: &'a str,
    /// Path parameters, by name (`{stream-name}` gives `stream-name`).
    pub path: &'a [(String, String)],
    /// Query string parameters in arrival order; a repeated name keeps every
    /// value here, and single-value lookups use the last one.
    pub querystring: &'a [(String, String)],
    /// Request headers in arrival order. Names are matched case-insensitively,
    /// because HTTP header names are case-insensitive and servers lower-case them.
    pub header: &'a [(String, String)],
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
    pub identity: Identity,
    /// `$context.error.*`, set only when rendering a gateway response.
    pub error: Option<ErrorContext>,
}

/// `$context.identity`.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: String,
}

/// `$context.error`.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    pub message: String,
    pub response_type: String,
    pub validation_error_string: String,
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
