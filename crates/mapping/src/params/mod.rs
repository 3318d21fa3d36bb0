//! Request parameters and parameter mappings.
//!
//! - [`Params`]: a request's path, query string and header values, with the
//!   one lookup rule that templates (`$input.params`), mappings and the
//!   gateway's required-parameter check all use (`lookup.rs`).
//! - The grammar of parameter mappings, `request_parameters` and
//!   `response_parameters` entries such as
//!   `integration.request.header.Content-Type: "'application/x-amz-json-1.1'"`
//!   or `method.response.header.X-Error: integration.response.body.__type`,
//!   and of declared method request parameters: parsed once at load into
//!   [`Target`] and [`Source`] (`grammar.rs`).
//! - Resolution: the request path only looks values up, in a [`Scope`]
//!   (`resolve.rs`).
//!
//! ```
//! use std::collections::BTreeMap;
//! use gateway_mapping::params::{Params, Scope, Side, parse_source};
//! use gateway_mapping::{Body, Context, Input};
//!
//! let team = parse_source("method.request.header.x-team", Side::IntegrationRequest).unwrap();
//! let key = parse_source("method.request.body.key", Side::IntegrationRequest).unwrap();
//! let header = [("X-Team".to_string(), "data".to_string())];
//! let params = Params { header: &header, ..Params::default() };
//! let body = Body::new(r#"{"key": "k1"}"#);
//! let context = Context::default();
//! let stage_variables = BTreeMap::new();
//! let scope = Scope {
//!     request: Input::new(&body, params),
//!     response: None,
//!     context: &context,
//!     stage_variables: &stage_variables,
//! };
//! assert_eq!(team.resolve(&scope).as_deref(), Some("data"));
//! assert_eq!(key.resolve(&scope).as_deref(), Some("k1"));
//! ```

mod grammar;
mod lookup;
mod resolve;

pub use grammar::{Side, Source, Target, parse_declared, parse_source, parse_target};
pub use lookup::{Location, Params};
pub use resolve::{ResponseView, Scope};
