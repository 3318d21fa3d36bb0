//! The request as the stages see it: a [`MethodRequest`] independent of the
//! HTTP server, the [`Exchange`] that carries it through the stages, and the
//! [`Routed`] view that only routing can produce.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gateway_mapping::params::Location;
use gateway_mapping::{Body, Context, Identity, Input, Params};

use crate::api::{Api, Method, media_type};

/// A method request, independent of the HTTP server that received it.
#[derive(Debug, Clone, Default)]
pub struct MethodRequest {
    pub method: String,
    /// The path as sent, percent-encoded, without the query string.
    pub path: String,
    /// Decoded query string pairs, in order.
    pub query: Vec<(String, String)>,
    /// The raw query string, as sent (without `?`).
    pub raw_query: String,
    /// Headers in order, names as the client spelled them (`Content-Type`),
    /// or lower-cased where the spelling is not known; looked up in any case.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub source_ip: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub protocol: &'static str,
    /// The `X-Amzn-Trace-Id` passed on to the integration.
    pub trace_id: String,
}

impl MethodRequest {
    /// The value of header `name`, by the rule of [`Params`]: the last of a
    /// repeated header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let params = Params {
            header: &self.headers,
            ..Params::default()
        };
        params.get(Location::Header, name)
    }

    /// The media type of `Content-Type`; `application/json` when absent, as in
    /// API Gateway.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .map(media_type)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/json".to_string())
    }
}

/// Bytes as text for templates: borrowed when they are UTF-8 (the common
/// case, checked with the fast validator), with replacement characters
/// otherwise.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One request on its way through the stages.
#[derive(Debug)]
pub struct Exchange {
    pub request: MethodRequest,
    pub context: Context,
    /// Set by routing; read through [`Exchange::routed`].
    pub(super) route: Option<Route>,
}

/// What routing found.
#[derive(Debug)]
pub struct Route {
    pub(super) method: Arc<Method>,
    pub(super) path_params: Vec<(String, String)>,
}

impl Exchange {
    /// Starts an exchange: `$context` gets what is known before routing.
    pub fn new(api: &Api, request: MethodRequest, request_id: String) -> Self {
        let now = SystemTime::now();
        let context = Context {
            extended_request_id: request_id.clone(),
            request_id,
            api_id: api.id.clone(),
            account_id: api.settings.account_id.clone().unwrap_or_default(),
            stage: api.stage.name.clone(),
            path: request.path.clone(),
            http_method: request.method.clone(),
            // API Gateway's `$context.protocol` is always HTTP/1.1.
            protocol: "HTTP/1.1".to_string(),
            request_time: crate::time::clf(now),
            request_time_epoch: now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            domain_name: request.header("host").unwrap_or_default().to_string(),
            xray_trace_id: request.trace_id.clone(),
            identity: Identity {
                source_ip: request.source_ip.clone(),
                user_agent: request.header("user-agent").unwrap_or_default().to_string(),
                ..Identity::default()
            },
            ..Context::default()
        };
        Self {
            request,
            context,
            route: None,
        }
    }

    /// The matched method, if routing succeeded.
    pub fn method(&self) -> Option<&Arc<Method>> {
        self.route.as_ref().map(|r| &r.method)
    }

    /// The method request's parameters, as far as they are known: before
    /// routing there are no path parameters.
    pub fn params(&self) -> Params<'_> {
        Params {
            path: self.route.as_ref().map_or(&[], |r| &r.path_params),
            querystring: &self.request.query,
            header: &self.request.headers,
        }
    }

    /// `$input` of the method request, with `body`.
    pub fn input<'a>(&'a self, body: &'a Body<'_>) -> Input<'a> {
        Input::new(body, self.params())
    }
}

/// A request that has been routed: the only way the stages after routing
/// see a request, and only routing makes one, so none of them can run
/// before it.
#[derive(Debug, Clone, Copy)]
pub struct Routed<'a> {
    pub(super) request: &'a MethodRequest,
    pub(super) context: &'a Context,
    pub(super) method: &'a Arc<Method>,
    pub(super) path_params: &'a [(String, String)],
}

impl<'a> Routed<'a> {
    pub fn request(&self) -> &'a MethodRequest {
        self.request
    }

    pub fn context(&self) -> &'a Context {
        self.context
    }

    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The method request's parameters: the route's path parameters, the
    /// query string and the headers.
    pub fn params(&self) -> Params<'a> {
        Params {
            path: self.path_params,
            querystring: &self.request.query,
            header: &self.request.headers,
        }
    }

    /// `$input`: `body` (the method request's, or in a response template the
    /// backend's) and the method request's parameters.
    pub fn input(&self, body: &'a Body<'_>) -> Input<'a> {
        Input::new(body, self.params())
    }
}

/// The request id, in the header API Gateway sends it in.
pub fn insert_request_id(headers: &mut http::HeaderMap, request_id: &str) {
    if let Ok(id) = http::HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
}
