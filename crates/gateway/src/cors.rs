//! CORS, declared once for the API or a resource (`cors:`) instead of a
//! mock `OPTIONS` method and response mappings on every route, as REST APIs
//! in API Gateway need.
//!
//! The gateway answers a preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) itself, unless the resource declares an
//! `OPTIONS` method of its own: the API Gateway way keeps working. Every
//! other response from a route the setting covers, gateway responses
//! included, gets the CORS headers, so that a page can read a 401 or a 500
//! as well as a 200. An allowed `Origin` is echoed with `Vary: Origin`; a
//! response that already carries `Access-Control-Allow-Origin` (from the
//! API's own mappings) is left as it is.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::api::Api;
use crate::pipeline::{Exchange, insert_request_id};

/// The compiled settings: the API's, and resources' own by resource path.
#[derive(Debug, Default)]
pub struct CorsRules {
    pub api: Option<Arc<Cors>>,
    pub resources: BTreeMap<String, Arc<Cors>>,
}

impl CorsRules {
    /// The setting for a resource (its own, else the API's); for a request
    /// that matched no resource, the API's.
    pub fn for_resource(&self, resource_path: Option<&str>) -> Option<&Cors> {
        resource_path
            .and_then(|path| self.resources.get(path))
            .or(self.api.as_ref())
            .map(|c| &**c)
    }
}

/// Which origins may read responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigins {
    Any,
    /// `scheme://host[:port]`, compared exactly, as browsers send them.
    List(Vec<String>),
}

/// One compiled `cors:` setting.
#[derive(Debug)]
pub struct Cors {
    pub origins: AllowOrigins,
    /// `Access-Control-Allow-Methods`; `None`: the resource's methods.
    pub methods: Option<HeaderValue>,
    pub headers: HeaderValue,
    pub expose: Option<HeaderValue>,
    pub max_age: Option<u64>,
    pub credentials: bool,
}

/// API Gateway console's default `Access-Control-Allow-Headers`.
pub const DEFAULT_ALLOW_HEADERS: &str =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";

impl Cors {
    /// The `Access-Control-Allow-Origin` value for `origin`, or `None` when
    /// it may not read the response.
    fn allow_origin(&self, origin: Option<&str>) -> Option<HeaderValue> {
        match (&self.origins, origin) {
            // Browsers refuse `*` with credentials: the origin itself then.
            (AllowOrigins::Any, Some(origin)) if self.credentials => {
                HeaderValue::from_str(origin).ok()
            }
            (AllowOrigins::Any, _) => Some(HeaderValue::from_static("*")),
            (AllowOrigins::List(list), Some(origin)) if list.iter().any(|o| o == origin) => {
                HeaderValue::from_str(origin).ok()
            }
            _ => None,
        }
    }

    /// Whether the answer depends on the request's `Origin`.
    fn varies(&self) -> bool {
        self.credentials || matches!(self.origins, AllowOrigins::List(_))
    }

    /// Adds the CORS headers of a response to `headers`.
    fn decorate(&self, origin: Option<&str>, headers: &mut HeaderMap) {
        if headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            return;
        }
        if self.varies() {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        let Some(allowed) = self.allow_origin(origin) else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(expose) = &self.expose {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }

    /// The answer to a preflight for a resource whose methods are `allow`.
    fn preflight(&self, origin: Option<&str>, allow: &str) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        self.decorate(origin, headers);
        if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            // Not allowed: no grant, and the browser stops there.
            return response;
        }
        let methods = self.methods.clone().or_else(|| {
            let methods = if allow.split(", ").any(|m| m == "ANY") {
                "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT".to_string()
            } else {
                allow.to_string()
            };
            HeaderValue::from_str(&methods).ok()
        });
        if let Some(methods) = methods {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, self.headers.clone());
        if let Some(seconds) = self.max_age {
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(seconds));
        }
        response
    }
}

/// The gateway's answer to a CORS preflight, when the request is one, its
/// resource is covered by a setting, and the resource has no `OPTIONS`
/// method of its own (a method `ANY` does not count: it is for requests,
/// not for preflights).
pub fn preflight(api: &Api, exchange: &mut Exchange) -> Option<Response<Full<Bytes>>> {
    let request = &exchange.request;
    if request.method != "OPTIONS" || request.header("access-control-request-method").is_none() {
        return None;
    }
    let origin = request.header("origin")?;
    let path = api.stage.route_path(&request.path)?;
    if api
        .router
        .at("OPTIONS", path)
        .is_ok_and(|found| found.method == "OPTIONS")
    {
        return None;
    }
    let (resource_path, allow) = api.router.resource(path)?;
    let cors = api.cors.for_resource(Some(resource_path))?;
    let mut response = cors.preflight(Some(origin), allow);
    insert_request_id(response.headers_mut(), &exchange.context.request_id);
    exchange.context.resource_path = resource_path.to_string();
    Some(response)
}

/// Adds the CORS headers to any response of the API, the gateway's own
/// included, by the setting of the route the request took.
pub fn decorate(api: &Api, exchange: &Exchange, headers: &mut HeaderMap) {
    let resource = exchange
        .method()
        .map(|_| exchange.context.resource_path.as_str());
    if let Some(cors) = api.cors.for_resource(resource) {
        cors.decorate(exchange.request.header("origin"), headers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: AllowOrigins, credentials: bool) -> Cors {
        Cors {
            origins,
            methods: None,
            headers: HeaderValue::from_static(DEFAULT_ALLOW_HEADERS),
            expose: Some(HeaderValue::from_static("X-Request-Id")),
            max_age: Some(600),
            credentials,
        }
    }

    #[test]
    fn an_allowed_origin_is_echoed_with_vary() {
        let c = cors(
            AllowOrigins::List(vec!["https://app.example.com".into()]),
            false,
        );
        let mut headers = HeaderMap::new();
        c.decorate(Some("https://app.example.com"), &mut headers);
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers["vary"], "Origin");
        assert_eq!(headers["access-control-expose-headers"], "X-Request-Id");

        let mut headers = HeaderMap::new();
        c.decorate(Some("https://evil.example.com"), &mut headers);
        assert!(!headers.contains_key("access-control-allow-origin"));
        assert_eq!(headers["vary"], "Origin");
    }

    #[test]
    fn any_origin_is_a_star_unless_credentials_are_allowed() {
        let mut headers = HeaderMap::new();
        cors(AllowOrigins::Any, false).decorate(Some("http://a.test"), &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(!headers.contains_key("vary"));

        let mut headers = HeaderMap::new();
        cors(AllowOrigins::Any, true).decorate(Some("http://a.test"), &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "http://a.test");
        assert_eq!(headers["access-control-allow-credentials"], "true");
    }

    #[test]
    fn the_apis_own_mapping_wins() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://own"),
        );
        cors(AllowOrigins::Any, false).decorate(Some("http://a.test"), &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "https://own");
    }

    #[test]
    fn preflight_lists_the_resources_methods() {
        let c = cors(AllowOrigins::Any, false);
        let response = c.preflight(Some("http://a.test"), "GET, PUT");
        assert_eq!(response.status(), 204);
        let h = response.headers();
        assert_eq!(h["access-control-allow-methods"], "GET, PUT");
        assert_eq!(h["access-control-allow-headers"], DEFAULT_ALLOW_HEADERS);
        assert_eq!(h["access-control-max-age"], "600");
        let response = c.preflight(Some("http://a.test"), "ANY");
        assert_eq!(
            response.headers()["access-control-allow-methods"],
            "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
        );
    }
}
