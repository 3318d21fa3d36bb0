//! API Gateway mapping templates.
//!
//! This crate is the template engine of the gateway: a lexer, parser and
//! evaluator for the Velocity Template Language with Velocity 1.7 rules, as
//! Amazon API Gateway runs it, plus the variables API Gateway gives templates
//! (`$input`, `$util`, `$context`, `$stageVariables`) and JSONPath.
//!
//! It does no I/O and knows nothing of HTTP: a caller compiles a [`Template`]
//! once, then renders it with a borrowed [`Variables`] view per request.
//!
//! The main types:
//! - [`Template`]: a compiled template; [`Template::compile`] reports syntax
//!   errors with line and column.
//! - [`Variables`]: what one render can see; its [`Input`] borrows a
//!   [`Body`], which parses a body at most once for every template, mapping
//!   and validator that reads it.
//! - [`Rendered`]: the output body and any `$context.*Override` values.
//! - [`Interpolations`]: which bytes of a body each reference printed, noted
//!   by [`Template::render_recording`] for the structural injection guard,
//!   [`Template::check_json`] (see [`guard`]).
//! - [`JsonPath`]: Jayway-dialect JSONPath, also for parameter mappings.
//! - [`Params`]: a request's path, query string and header values, with the
//!   one lookup rule; [`params`] also holds the parameter-mapping grammar
//!   (`integration.request.header.X: method.request.querystring.y`).
//! - [`Error`]: the one error type, `name:line:column: message`.
//! - [`binary`]: base64 both ways, for payloads of binary media types.
//!
//! # Semantics worth knowing
//! Where AWS behaviour was recorded (airspeed and LocalStack snapshot suites,
//! see `tests/fixtures/*.case`), the engine follows the recording:
//! - Whitespace is Velocity 1.7's: a directive's `)`, `#else` and `#end`
//!   swallow the rest of their line only if it is blank, newline included;
//!   indentation before a directive is printed (before `#set` only when the
//!   line starts at a token boundary). See `parser/mod.rs`.
//! - A reference that is undefined, missing or JSON `null` is the empty
//!   string: it prints nothing, equals `''` and `$null`, and is *true* in
//!   `#if` (AWS-recorded). `#if($input.path('$.x') == '')` is the way to test
//!   for absence.
//! - `$input.path` gives native values: maps print Java-style `{k=v}`, lists
//!   from the body as compact JSON. `$input.json` gives JSON text; for a
//!   missing path it gives `""` (LocalStack's behaviour; not recorded on AWS).
//! - A list's `count()` is its `size()`: the AWS mapping-template reference
//!   documents `$input.path('$.pets').count()`, though `java.util.List` has
//!   no such method.
//! - `$input.params('x')` searches path, then query string, then headers
//!   (header names case-insensitive); repeated names give the last value
//!   (see [`Params`]).
//! - An empty body is `{}`; a body that is not JSON is one JSON string; a
//!   payload of a binary media type is its base64 text ([`Body::binary`]).
//! - An integer beyond 64 bits keeps every digit through `$input.json` and
//!   `$input.path`, as the `BigInteger` API Gateway's JSON reader makes of
//!   it; arithmetic and comparisons read it as a double.
//! - Unlike API Gateway, a member `$util`, `$input` or `$context` does not
//!   have (`$util.escapeJavascript(...)`, `$input.pathh(...)`) is refused by
//!   [`Template::compile`], with the closest known name, rather than
//!   rendered as nothing.
//! - `#macro` definitions print nothing and unknown directives
//!   (`#evaluate(...)`, macro calls, `#fff`) print as written (AWS-recorded).
//! - Limits ([`limits`]): 1,000 `#foreach` iterations, 300 KB templates,
//!   nesting 64, bounded work, output and collection sizes.
//!
//! ```
//! use std::collections::BTreeMap;
//! use gateway_mapping::{Body, Context, Input, Params, Template, Variables};
//!
//! let t = Template::compile(
//!     "PutRecord",
//!     r#"{"StreamName": "$input.params('stream-name')", "PartitionKey": "$input.path('$.PartitionKey')"}"#,
//! )
//! .unwrap();
//! let path = [("stream-name".to_string(), "s1".to_string())];
//! let body = Body::new(r#"{"PartitionKey": "k"}"#);
//! let context = Context::default();
//! let stage_variables = BTreeMap::new();
//! let vars = Variables {
//!     input: Input::new(&body, Params { path: &path, ..Params::default() }),
//!     context: &context,
//!     stage_variables: &stage_variables,
//! };
//! assert_eq!(t.render(&vars).unwrap().body, r#"{"StreamName": "s1", "PartitionKey": "k"}"#);
//! ```

mod ast;
pub mod binary;
mod body;
mod doc;
mod error;
mod eval;
pub mod guard;
mod javaregex;
mod jsonpath;
mod lexer;
pub mod limits;
mod members;
pub mod params;
mod parser;
mod render;
mod template;
mod util;
mod value;
mod vars;

pub use body::Body;
pub use error::{Error, ErrorKind, Span};
pub use guard::{Interpolation, Interpolations};
pub use jsonpath::{Computed, JsonPath, Matches};
pub use params::Params;
pub use template::Template;
pub use vars::{
    Authorizer, Context, ErrorContext, Identity, Input, Overrides, Rendered, Variables,
};
