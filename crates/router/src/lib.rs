//! Routing for the gateway: API Gateway resources and methods compiled into a
//! matcher.
//!
//! Resources use API Gateway's path syntax: literal segments, `{name}` for one
//! segment, and a trailing greedy `{name+}` for one or more segments. Methods are
//! HTTP verbs or `ANY`. As in API Gateway, a literal segment wins over `{name}`,
//! which wins over `{name+}`, and an exact method wins over `ANY`.
//!
//! The main types are [`Router`], built once at load with [`RouterBuilder`], and
//! [`Match`], the result of a lookup. A path that matches no resource is
//! [`RouteError::NotFound`]; a resource without the method is
//! [`RouteError::MethodNotAllowed`], which carries the `Allow` header value.
//!
//! ```
//! use gateway_router::{Router, RouteError};
//!
//! let mut builder = Router::builder();
//! builder.add("/streams/{stream-name}", "GET", "describe").unwrap();
//! builder.add("/streams/{stream-name}", "DELETE", "delete").unwrap();
//! let router = builder.build();
//!
//! let found = router.at("GET", "/streams/orders").unwrap();
//! assert_eq!(*found.value, "describe");
//! assert_eq!(found.params, [("stream-name".to_string(), "orders".to_string())]);
//! assert!(matches!(router.at("PUT", "/streams/orders"), Err(RouteError::MethodNotAllowed { .. })));
//! ```

mod path;

use std::fmt;

/// The methods a resource may declare, besides `ANY`.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// Errors from building or querying a router.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The resource path is not valid API Gateway syntax, or conflicts with another.
    #[error("invalid resource path `{path}`: {reason}")]
    InvalidPath { path: String, reason: String },
    /// The method is not an HTTP verb this gateway serves, nor `ANY`.
    #[error("invalid method `{method}` on `{path}`: expected one of {}, or ANY", METHODS.join(", "))]
    InvalidMethod { path: String, method: String },
    /// The same method is declared twice on one resource.
    #[error("method `{method}` is declared twice on `{path}`")]
    DuplicateMethod { path: String, method: String },
    /// No resource matches the path.
    #[error("no resource matches the path")]
    NotFound,
    /// A resource matches, but it has no such method.
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed {
        /// The value for the `Allow` header, e.g. `DELETE, GET, POST`.
        allow: String,
    },
}

/// Checks that `path` is a valid API Gateway resource path, the check
/// [`RouterBuilder::add`] makes, for callers that want to report a bad path
/// once per resource rather than once per method.
pub fn check_path(path: &str) -> Result<(), RouteError> {
    pattern(path).map(drop)
}

/// `path` in the matcher's syntax.
fn pattern(path: &str) -> Result<String, RouteError> {
    path::to_matchit(path).map_err(|reason| RouteError::InvalidPath {
        path: path.to_string(),
        reason,
    })
}

/// One resource: its API Gateway path and its methods.
#[derive(Debug)]
struct Resource<T> {
    path: String,
    /// `path` in the matcher's syntax.
    pattern: String,
    methods: Vec<(String, T)>,
    allow: String,
}

/// A compiled set of routes. Cheap to query; built once at start.
pub struct Router<T> {
    matcher: matchit::Router<usize>,
    resources: Vec<Resource<T>>,
}

impl<T> fmt::Debug for Router<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field(
                "resources",
                &self.resources.iter().map(|r| &r.path).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A successful lookup.
#[derive(Debug)]
pub struct Match<'r, T> {
    /// The value registered for the resource and method.
    pub value: &'r T,
    /// The resource path as declared, e.g. `/streams/{stream-name}`.
    pub resource_path: &'r str,
    /// The method as declared: the request's method, or `ANY`.
    pub method: &'r str,
    /// Path parameters by name, percent-decoded. A greedy `{proxy+}` gives the
    /// rest of the path without its leading slash, as in API Gateway.
    pub params: Vec<(String, String)>,
}

impl<T> Router<T> {
    /// Starts a new set of routes.
    pub fn builder() -> RouterBuilder<T> {
        RouterBuilder {
            resources: Vec::new(),
        }
    }

    /// Finds the route for a method and a request path (without the query string).
    pub fn at<'r>(&'r self, method: &str, path: &str) -> Result<Match<'r, T>, RouteError> {
        let found = self.matcher.at(path).map_err(|_| RouteError::NotFound)?;
        let resource = &self.resources[*found.value];
        let (declared, value) = resource
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .or_else(|| resource.methods.iter().find(|(m, _)| m == "ANY"))
            .ok_or_else(|| RouteError::MethodNotAllowed {
                allow: resource.allow.clone(),
            })?;
        let params = found
            .params
            .iter()
            .map(|(name, value)| (name.to_string(), path::decode(value)))
            .collect();
        Ok(Match {
            value,
            resource_path: &resource.path,
            method: declared,
            params,
        })
    }

    /// The resource a request path belongs to, whatever the method: its
    /// declared path and its `Allow` value. For a CORS preflight, which asks
    /// about a resource before any of its methods is called.
    pub fn resource(&self, path: &str) -> Option<(&str, &str)> {
        let found = self.matcher.at(path).ok()?;
        let resource = &self.resources[*found.value];
        Some((&resource.path, &resource.allow))
    }

    /// Every (method, resource path) pair, in declaration order.
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources.iter().flat_map(|r| {
            r.methods
                .iter()
                .map(move |(method, _)| (method.as_str(), r.path.as_str()))
        })
    }

    /// The number of (resource, method) pairs.
    pub fn len(&self) -> usize {
        self.resources.iter().map(|r| r.methods.len()).sum()
    }

    /// True when no route is declared.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Collects resources and methods, then compiles them with [`RouterBuilder::build`].
#[derive(Debug)]
pub struct RouterBuilder<T> {
    resources: Vec<Resource<T>>,
}

impl<T> RouterBuilder<T> {
    /// Declares `method` (an HTTP verb or `ANY`) on the resource `path`.
    pub fn add(&mut self, path: &str, method: &str, value: T) -> Result<&mut Self, RouteError> {
        let method = method.to_ascii_uppercase();
        if method != "ANY" && !METHODS.contains(&method.as_str()) {
            return Err(RouteError::InvalidMethod {
                path: path.to_string(),
                method,
            });
        }
        let index = match self.resources.iter().position(|r| r.path == path) {
            Some(index) => index,
            None => {
                self.resources.push(Resource {
                    path: path.to_string(),
                    pattern: pattern(path)?,
                    methods: Vec::new(),
                    allow: String::new(),
                });
                self.resources.len() - 1
            }
        };
        let resource = &mut self.resources[index];
        if resource.methods.iter().any(|(m, _)| *m == method) {
            return Err(RouteError::DuplicateMethod {
                path: path.to_string(),
                method,
            });
        }
        resource.methods.push((method, value));
        Ok(self)
    }

    /// Compiles the routes. Fails when two resource paths overlap in a way the
    /// matcher cannot order, e.g. `/a/{x}` and `/a/{y}`.
    pub fn try_build(self) -> Result<Router<T>, RouteError> {
        let mut matcher = matchit::Router::new();
        let mut resources = self.resources;
        for (index, resource) in resources.iter_mut().enumerate() {
            matcher
                .insert(resource.pattern.as_str(), index)
                .map_err(|e| RouteError::InvalidPath {
                    path: resource.path.clone(),
                    reason: e.to_string(),
                })?;
            resource.allow = allow_header(&resource.methods);
        }
        Ok(Router { matcher, resources })
    }

    /// Like [`RouterBuilder::try_build`], for routes known to be valid.
    ///
    /// # Panics
    /// When two resource paths conflict.
    pub fn build(self) -> Router<T> {
        match self.try_build() {
            Ok(router) => router,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The `Allow` header for a resource: its methods, sorted. `ANY` never reaches
/// here in practice, because a resource with `ANY` accepts every method.
fn allow_header<T>(methods: &[(String, T)]) -> String {
    let mut names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
    names.sort_unstable();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> Router<&'static str> {
        let mut b = Router::builder();
        b.add("/streams", "GET", "ListStreams").unwrap();
        b.add("/streams/{stream-name}", "GET", "DescribeStream")
            .unwrap();
        b.add("/streams/{stream-name}", "POST", "CreateStream")
            .unwrap();
        b.add("/streams/{stream-name}", "DELETE", "DeleteStream")
            .unwrap();
        b.add("/streams/{stream-name}/record", "PUT", "PutRecord")
            .unwrap();
        b.add("/streams/{stream-name}/records", "PUT", "PutRecords")
            .unwrap();
        b.add("/streams/{stream-name}/records", "GET", "GetRecords")
            .unwrap();
        b.add(
            "/streams/{stream-name}/sharditerator",
            "GET",
            "GetShardIterator",
        )
        .unwrap();
        b.build()
    }

    #[test]
    fn routes_the_tutorial_and_extracts_parameters() {
        let r = tutorial();
        assert_eq!(r.len(), 8);
        let m = r.at("PUT", "/streams/orders/records").unwrap();
        assert_eq!(*m.value, "PutRecords");
        assert_eq!(m.resource_path, "/streams/{stream-name}/records");
        assert_eq!(
            m.params,
            vec![("stream-name".to_string(), "orders".to_string())]
        );
        assert_eq!(*r.at("GET", "/streams").unwrap().value, "ListStreams");
        assert_eq!(
            *r.at("GET", "/streams/orders/records").unwrap().value,
            "GetRecords"
        );
    }

    #[test]
    fn a_resource_is_found_whatever_the_method() {
        let r = tutorial();
        assert_eq!(
            r.resource("/streams/orders/records"),
            Some(("/streams/{stream-name}/records", "GET, PUT"))
        );
        assert!(r.at("OPTIONS", "/streams/orders/records").is_err());
        assert_eq!(r.resource("/nothing/here/at/all/x"), None);
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        let r = tutorial();
        let m = r.at("GET", "/streams/my%20stream").unwrap();
        assert_eq!(m.params[0].1, "my stream");
    }

    #[test]
    fn unknown_path_is_not_found() {
        let r = tutorial();
        assert_eq!(r.at("GET", "/nope").unwrap_err(), RouteError::NotFound);
        assert_eq!(
            r.at("GET", "/streams/a/b/c").unwrap_err(),
            RouteError::NotFound
        );
        assert_eq!(r.at("GET", "/").unwrap_err(), RouteError::NotFound);
    }

    #[test]
    fn wrong_method_is_405_with_sorted_allow() {
        let r = tutorial();
        assert_eq!(
            r.at("PUT", "/streams/orders").unwrap_err(),
            RouteError::MethodNotAllowed {
                allow: "DELETE, GET, POST".to_string()
            }
        );
        assert_eq!(
            r.at("POST", "/streams").unwrap_err(),
            RouteError::MethodNotAllowed {
                allow: "GET".to_string()
            }
        );
    }

    #[test]
    fn greedy_proxy_takes_the_rest_of_the_path() {
        let mut b = Router::builder();
        b.add("/files/{proxy+}", "GET", "greedy").unwrap();
        b.add("/files/special", "GET", "literal").unwrap();
        let r = b.build();
        let m = r.at("GET", "/files/a/b/c.txt").unwrap();
        assert_eq!(*m.value, "greedy");
        assert_eq!(
            m.params,
            vec![("proxy".to_string(), "a/b/c.txt".to_string())]
        );
        // A literal sibling wins over the greedy parameter.
        assert_eq!(*r.at("GET", "/files/special").unwrap().value, "literal");
        // The greedy parameter needs at least one segment.
        assert_eq!(r.at("GET", "/files").unwrap_err(), RouteError::NotFound);
    }

    #[test]
    fn literal_beats_parameter() {
        let mut b = Router::builder();
        b.add("/streams/{stream-name}", "GET", "param").unwrap();
        b.add("/streams/default", "GET", "literal").unwrap();
        let r = b.build();
        assert_eq!(*r.at("GET", "/streams/default").unwrap().value, "literal");
        assert_eq!(*r.at("GET", "/streams/other").unwrap().value, "param");
    }

    #[test]
    fn any_matches_every_method_but_an_exact_method_wins() {
        let mut b = Router::builder();
        b.add("/things", "ANY", "any").unwrap();
        b.add("/things", "GET", "get").unwrap();
        let r = b.build();
        assert_eq!(*r.at("GET", "/things").unwrap().value, "get");
        let m = r.at("PATCH", "/things").unwrap();
        assert_eq!(*m.value, "any");
        assert_eq!(m.method, "ANY");
    }

    #[test]
    fn root_resource() {
        let mut b = Router::builder();
        b.add("/", "GET", "root").unwrap();
        let r = b.build();
        assert_eq!(*r.at("GET", "/").unwrap().value, "root");
    }

    #[test]
    fn rejects_bad_declarations() {
        let mut b = Router::<()>::builder();
        assert!(matches!(
            b.add("/x", "FETCH", ()),
            Err(RouteError::InvalidMethod { .. })
        ));
        assert!(matches!(
            b.add("x", "GET", ()),
            Err(RouteError::InvalidPath { .. })
        ));
        assert!(matches!(
            b.add("/a/{p+}/b", "GET", ()),
            Err(RouteError::InvalidPath { .. })
        ));
        assert!(matches!(
            b.add("/a/{}", "GET", ()),
            Err(RouteError::InvalidPath { .. })
        ));
        b.add("/x", "get", ()).unwrap();
        assert!(matches!(
            b.add("/x", "GET", ()),
            Err(RouteError::DuplicateMethod { .. })
        ));
    }

    #[test]
    fn a_parameter_named_twice_is_an_invalid_path() {
        let mut b = Router::<()>::builder();
        let error = b.add("/a/{x}/{x}", "GET", ()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid resource path `/a/{x}/{x}`: parameter `x` is named twice; each parameter of a path needs its own name"
        );
        assert_eq!(
            check_path("/a/{x}/{x+}").unwrap_err().to_string(),
            "invalid resource path `/a/{x}/{x+}`: parameter `x` is named twice; each parameter of a path needs its own name"
        );
        assert_eq!(check_path("/a/{x}/{y+}"), Ok(()));
    }

    #[test]
    fn conflicting_parameters_fail_to_build() {
        let mut b = Router::builder();
        b.add("/a/{x}", "GET", ()).unwrap();
        b.add("/a/{y}", "GET", ()).unwrap();
        assert!(matches!(b.try_build(), Err(RouteError::InvalidPath { .. })));
    }
}
