//! The structural injection guard: which bytes of a rendered body each
//! interpolation printed, and whether any of them changed the JSON structure
//! the template's own text lays out.
//!
//! A template such as `"PartitionKey": "$input.path('$.PartitionKey')"`
//! pastes client text between quotes. A PartitionKey of
//! `k", "ExplicitHashKey": "0` renders valid JSON with one more key, and the
//! record lands on the shard the client picked. Checking the rendered text
//! alone cannot tell that body from a template that wrote the same key
//! itself, nor an apostrophe escaped by `$util.escapeJavaScript` (`\'`, not
//! valid JSON, harmless) from a quote that closes the string. So a render can
//! note where each interpolation's output went ([`Interpolations`], filled by
//! [`Template::render_recording`](crate::Template::render_recording)), and
//! [`Template::check_json`](crate::Template::check_json) reads the body with
//! a lenient JSON tokenizer (any `\x` is an escape) and holds every
//! interpolation to these rules:
//!
//! - one that starts inside a JSON string ends inside the same string: no
//!   unescaped `"` in it, and it does not end in an unpaired backslash that
//!   would escape the template's closing quote;
//! - one that starts outside strings is empty or exactly one JSON value (a
//!   number, `true`, `false`, `null`, a string, or an object or array, with
//!   any escapes in its strings) between whitespace: it cannot add a member
//!   or an element, nor close what the template opened;
//! - no object key that an interpolation printed, or printed part of, equals
//!   another key of the same object: a key the client chooses cannot
//!   override one the template wrote (JSON parsers take the last of repeated
//!   names, some the first).
//!
//! What is not checked: the template's own text (a template that writes
//! invalid JSON, or repeats a key itself, is the template's affair), how an
//! interpolated value was built (a `#set` that concatenates JSON is judged
//! by where its output lands), and what a value means inside its string.
//! Whether to check a body at all (its media type) is the caller's choice.

mod scan;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::error::Span;

/// One interpolation's output: the bytes `start..end` of the rendered body
/// were printed by the reference at `span` in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interpolation {
    pub start: u32,
    pub end: u32,
    pub span: Span,
}

/// The interpolations of one render, in output order, none overlapping.
///
/// Only references that print into the body are noted, not the template's
/// literal text: `$input.path(...)`, `$input.json(...)`, `$util.*(...)`,
/// `$context.*`, a `#set` variable. A `#define` block printed through its
/// reference is template text; the references inside it are noted one by
/// one. What references print inside a string literal (`"a $b"`) or an
/// argument is part of the value that uses it, not noted on its own.
///
/// Keep one and pass it to every render and check: a render clears it, and
/// its buffers, with those of the check, are reused.
#[derive(Debug, Clone, Default)]
pub struct Interpolations {
    pub(crate) items: Vec<Interpolation>,
    pub(crate) scratch: scan::Scratch,
}

impl Interpolations {
    /// The interpolations of the last render, in output order.
    pub fn as_slice(&self) -> &[Interpolation] {
        &self.items
    }
}

/// What an interpolation did to the body's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Breach {
    /// Inside a string, it wrote an unescaped `"`.
    ClosedString,
    /// Inside a string, it ended in an unpaired backslash.
    DanglingEscape,
    /// Outside strings, it printed a value and then more (`,`, `:`, another
    /// value).
    AddedValue,
    /// Outside strings, it closed an object or array it did not open.
    ClosedContainer,
    /// Outside strings, it opened a string, object or array it did not close.
    Unclosed,
    /// Outside strings, it printed something that is not a JSON value.
    NotAValue,
    /// It printed (part of) an object key equal to another key of the same
    /// object.
    RepeatedKey(String),
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::ClosedString => {
                f.write_str("closed the JSON string it is in (an unescaped `\"`)")
            }
            Breach::DanglingEscape => f.write_str(
                "ended in an unpaired backslash, which escapes the template's closing quote",
            ),
            Breach::AddedValue => f.write_str(
                "printed more than one JSON value: it adds a member or an element to the template's",
            ),
            Breach::ClosedContainer => {
                f.write_str("closed an object or array of the template's (`}` or `]`)")
            }
            Breach::Unclosed => f.write_str(
                "opened a string, object or array that it does not close: the template's text would continue it",
            ),
            Breach::NotAValue => f.write_str("printed text outside strings that is not a JSON value"),
            Breach::RepeatedKey(key) => write!(
                f,
                "made the key `{key}` repeat another key of the same object"
            ),
        }
    }
}

/// The first interpolation that broke the body's structure: its index in
/// the list, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub index: usize,
    pub breach: Breach,
}

/// Checks `body` against the rules of the module doc. `interpolations` must
/// be the ones the render of `body` noted.
pub(crate) fn check(body: &[u8], interpolations: &mut Interpolations) -> Result<(), Found> {
    scan::Scan::new(body, &mut interpolations.scratch).run(&interpolations.items)
}
