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
//! - [`Variables`]: what one render can see.
//! - [`Rendered`]: the output body and any `$context.*Override` values.

mod vars;

pub use vars::{Context, ErrorContext, Identity, Input, Overrides, Rendered, Variables};
