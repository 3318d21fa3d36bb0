//! Bounds on what a template may make the importer do. Templates are
//! untrusted input: each bound is far above what a real template needs and
//! well below what would exhaust the stack or memory.

/// Mappings and lists nested in one another, in a template or an included
/// file. CloudFormation documents no such limit; 256 levels is far deeper
/// than any template or OpenAPI document is written, and the parser's stack
/// stays small.
pub const MAX_DEPTH: usize = 256;

/// Values in one file, counting each alias as a copy of its anchor, so that
/// nested aliases cannot expand into billions of values. CloudFormation's
/// own templates are at most 1 MB (from S3); a megabyte of YAML holds a few
/// hundred thousand values at most.
pub const MAX_NODES: usize = 1_000_000;

/// Intrinsic functions nested in one another, references followed through
/// resources' properties included (a stream's `Name` that is a `!Sub` of a
/// parameter...).
pub const MAX_NESTING: usize = 64;

/// The longest string an intrinsic function may produce. References to
/// references can double a string at each step; this stops them long before
/// memory runs out.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;

/// `AWS::Include` files read for one template, and the size of each.
pub const MAX_INCLUDES: usize = 64;
pub const MAX_INCLUDE_BYTES: u64 = 8 * 1024 * 1024;
