//! The compiled API: what the request path reads. Built once from the
//! configuration by [`crate::compile`]; immutable afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gateway_integration::{Call, Signer};
use gateway_mapping::Template;
use gateway_mapping::params::{Location, Source, Target};
use gateway_router::Router;
use http::{HeaderName, StatusCode};

use crate::binary::BinaryMediaTypes;
use crate::config::{ContentHandling, JsonGuard, PassthroughBehavior};
use crate::error::ResponseType;
use crate::settings::Settings;

/// The whole API, shared by every connection.
#[derive(Debug)]
pub struct Api {
    /// `$context.apiId`: `api.id`, or one derived from the file's path.
    pub id: String,
    pub router: Router<Arc<Method>>,
    pub limits: Limits,
    pub stage: Stage,
    pub gateway_responses: GatewayResponses,
    /// `binary_media_types`: which payloads are binary.
    pub binary_media_types: BinaryMediaTypes,
    /// Listeners, shutdown, trusted proxies, access log, API identity.
    pub settings: Settings,
    /// The access-log format (reloadable; where lines go is not).
    pub access_log: crate::access_log::Format,
    /// API keys, usage plans, throttles and their state.
    pub usage: crate::usage::Usage,
    /// What loaded but deserves a look, each `file:line:column: key: message`:
    /// logged by `run` at start and reload, printed by `validate`.
    pub warnings: Vec<String>,
    /// CORS settings, for the API and by resource.
    pub cors: crate::cors::CorsRules,
}

/// Limits on what clients may send.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub max_url_bytes: usize,
    /// The whole body must arrive within this.
    pub body_timeout: Duration,
}

/// The stage being served.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    pub name: String,
    /// `/<name>` when the API is served under the stage's base path.
    pub base_path: Option<String>,
    pub variables: BTreeMap<String, String>,
}

impl Stage {
    /// The path to route: the request path without the stage's base path, or
    /// `None` when a base path is set and the request is outside it.
    pub fn route_path<'p>(&self, path: &'p str) -> Option<&'p str> {
        let Some(base) = &self.base_path else {
            return Some(path);
        };
        match path.strip_prefix(base.as_str()) {
            Some("") => Some("/"),
            Some(rest) if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }
}

/// One method of one resource.
#[derive(Debug)]
pub struct Method {
    /// `$context.resourceId`: derived from the resource path, the same on
    /// every start and every replica.
    pub resource_id: String,
    pub validation: Validation,
    pub integration: Integration,
    /// Who may call the method.
    pub authorization: crate::auth::Authorization,
    /// The API key and throttles its requests meet.
    pub access: crate::usage::Access,
    /// The route's metric handles, looked up on its first request.
    pub metrics: std::sync::OnceLock<crate::metrics::RouteMetrics>,
}

/// What the method request must satisfy before anything is sent.
#[derive(Debug, Default)]
pub struct Validation {
    /// Required parameters, checked when the validator checks parameters.
    pub required: Vec<(Location, String)>,
    /// Body models by media type, checked when the validator checks bodies.
    pub models: Vec<(String, Arc<Model>)>,
}

/// A compiled request model.
#[derive(Debug)]
pub struct Model {
    pub name: String,
    pub validator: jsonschema::Validator,
}

/// A compiled integration request and its responses.
#[derive(Debug)]
pub struct Integration {
    /// The verb of the call; `None` for the method request's own.
    pub http_method: Option<http::Method>,
    pub backend: Backend,
    pub timeout: Duration,
    pub request_parameters: Vec<(Target, Source)>,
    pub templates: Templates,
    pub passthrough: PassthroughBehavior,
    pub json_guard: JsonGuard,
    /// `content_handling` of the integration request.
    pub content_handling: Option<ContentHandling>,
    /// Tried in order; empty means the backend's answer passes through.
    pub responses: Vec<IntegrationResponse>,
}

/// Where an integration sends its request.
#[derive(Debug)]
pub enum Backend {
    /// An AWS service: the call is signed.
    Aws { call: Call, signer: Signer },
    /// Any HTTP backend, unsigned.
    Http { call: Call },
    /// No backend.
    Mock,
    /// Any HTTP backend, unsigned, given the method request as it came
    /// (`http_proxy`).
    HttpProxy { call: Call },
    /// A Lambda function's Invoke call, signed, given API Gateway's proxy
    /// event (`aws_proxy`).
    AwsProxy { call: Call, signer: Signer },
}

impl Backend {
    /// The call, for the types that make one.
    pub fn call(&self) -> Option<&Call> {
        match self {
            Backend::Aws { call, .. }
            | Backend::Http { call }
            | Backend::HttpProxy { call }
            | Backend::AwsProxy { call, .. } => Some(call),
            Backend::Mock => None,
        }
    }
}

/// One integration response.
#[derive(Debug)]
pub struct IntegrationResponse {
    /// Anchored: matches the whole status code. `None` for the default response.
    pub pattern: Option<regex::Regex>,
    pub status: StatusCode,
    pub parameters: Vec<(HeaderName, Source)>,
    pub templates: Templates,
    /// `content_handling` of the answer.
    pub content_handling: Option<ContentHandling>,
}

/// Templates by media type (lower-cased), in declaration order.
#[derive(Debug, Default)]
pub struct Templates {
    pub by_media_type: Vec<(String, Template)>,
}

impl Templates {
    /// The template for a media type, compared case-insensitively.
    pub fn get(&self, media_type: &str) -> Option<&Template> {
        self.by_media_type
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(media_type))
            .map(|(_, t)| t)
    }

    pub fn is_empty(&self) -> bool {
        self.by_media_type.is_empty()
    }

    /// A response template for an `Accept` header, as API Gateway picks one:
    /// the first media type of `Accept`, else `application/json`, else the
    /// first template. Returns the media type with it.
    pub fn select(&self, accept: Option<&str>) -> Option<(&str, &Template)> {
        let first = accept.and_then(|a| a.split(',').next()).map(media_type);
        first
            .as_deref()
            .and_then(|m| self.by_media_type.iter().find(|(t, _)| t == m))
            .or_else(|| {
                self.by_media_type
                    .iter()
                    .find(|(t, _)| t == "application/json")
            })
            .or_else(|| self.by_media_type.first())
            .map(|(m, t)| (m.as_str(), t))
    }
}

/// The media type of a `Content-Type` or `Accept` item: without parameters,
/// trimmed and lower-cased.
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// One customised gateway response, compiled.
#[derive(Debug, Default)]
pub struct Custom {
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, Source)>,
    pub templates: Templates,
}

/// The API's gateway responses: the customised ones by type.
#[derive(Debug, Default)]
pub struct GatewayResponses {
    pub custom: BTreeMap<ResponseType, Custom>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(types: &[&str]) -> Templates {
        Templates {
            by_media_type: types
                .iter()
                .map(|t| (t.to_string(), Template::compile(*t, t).unwrap()))
                .collect(),
        }
    }

    #[test]
    fn response_template_selection_follows_accept_then_json_then_first() {
        let t = templates(&["application/xml", "application/json", "text/plain"]);
        assert_eq!(
            t.select(Some("text/plain, application/xml")).unwrap().0,
            "text/plain"
        );
        assert_eq!(
            t.select(Some("application/XML; q=0.9")).unwrap().0,
            "application/xml"
        );
        // Only the first Accept type counts.
        assert_eq!(
            t.select(Some("image/png, text/plain")).unwrap().0,
            "application/json"
        );
        assert_eq!(t.select(None).unwrap().0, "application/json");
        let t = templates(&["application/xml", "text/plain"]);
        assert_eq!(t.select(Some("image/png")).unwrap().0, "application/xml");
        assert!(templates(&[]).select(None).is_none());
    }

    #[test]
    fn stage_base_path() {
        let stage = Stage {
            name: "prod".into(),
            base_path: Some("/prod".into()),
            ..Default::default()
        };
        assert_eq!(stage.route_path("/prod/streams"), Some("/streams"));
        assert_eq!(stage.route_path("/prod"), Some("/"));
        assert_eq!(stage.route_path("/production/streams"), None);
        assert_eq!(stage.route_path("/streams"), None);
        assert_eq!(Stage::default().route_path("/streams"), Some("/streams"));
    }
}
