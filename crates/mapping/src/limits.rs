//! The bounds that keep a render finite whatever the template and the request.
//!
//! Templates come from configuration but their input comes from clients, so
//! every loop, recursion and allocation that input can drive has a ceiling.
//! Exceeding one is an [`ErrorKind::Limit`](crate::ErrorKind::Limit) error that
//! names the template and the line, never a hang or a crash.

/// API Gateway's mapping-template size quota (300 KB).
pub const MAX_TEMPLATE_BYTES: usize = 300 * 1024;

/// API Gateway's documented cap on `#foreach` iterations (per loop).
pub const MAX_FOREACH_ITERATIONS: usize = 1_000;

/// Nesting of blocks and expressions the parser accepts, and of JSONPath
/// filters (`!`, parentheses, a filter inside a filter). It bounds the
/// parsers' recursion and so the evaluator's and the query's.
pub const MAX_NESTING: usize = 64;

/// Nested renders of `#define` blocks (a block that renders itself recurses).
pub const MAX_DEFINE_DEPTH: usize = 32;

/// Units of work (nodes, expressions, loop turns, bytes processed / 256) per render.
pub const MAX_WORK: u64 = 20_000_000;

/// Nodes one JSONPath query may visit or match. `$..[0,1]..[0,1]` matches
/// a number of nodes exponential in the path's length, and `..` twice a
/// number quadratic in the body's size; `$..name` over the largest body
/// visits fewer.
pub const MAX_QUERY_NODES: u64 = 20_000_000;

/// Rendered output, and any single string value, at most this many bytes.
/// API Gateway's payload limit is 10 MB.
pub const MAX_OUTPUT_BYTES: usize = 10 * 1024 * 1024;

/// Elements in one list or map built by a template (ranges included).
pub const MAX_COLLECTION_LEN: usize = 100_000;

/// Depth to which nested values are rendered or converted (VTL maps can
/// contain themselves).
pub const MAX_VALUE_DEPTH: usize = 128;

/// Compiled size of one regular expression.
pub const MAX_REGEX_SIZE: usize = 1 << 20;
