//! The evaluator: walks the AST with one request's variables and writes the
//! output.
//!
//! Semantics follow Velocity 1.7 as API Gateway runs it: undefined
//! references render as nothing; `#set` with a null right-hand side leaves
//! the target unchanged; `#foreach` restores its variable afterwards; `==`
//! compares numbers numerically, treats null as equal to null and to `''`
//! (AWS-recorded), and otherwise compares the printed forms when the types
//! differ.
//!
//! - `node.rs`: text, references printed, `#set`, `#if`, `#foreach`, `#define`;
//! - `reference.rs`: a reference's root, properties, indexes and calls, and
//!   `#set` targets;
//! - `expr.rs`: operators, literals, and comparing and printing values;
//! - `builtins.rs`: `$input`, `$util`, `$context`, `$stageVariables`, `$foreach`;
//! - `methods/`: Java `String`, `List` and `Map` methods;
//! - `overrides.rs`: `$context.requestOverride` and `responseOverride`;
//! - `scope.rs`: variables and loop counters during a render.

mod builtins;
mod expr;
mod methods;
mod node;
mod overrides;
mod reference;
mod scope;

use crate::ast::Block;
use crate::doc::Doc;
use crate::error::{ErrorKind, Failure, Fallible, Span};
use crate::guard::{Interpolation, Interpolations};
use crate::limits::*;
use crate::vars::{Rendered, Variables};
use overrides::OverrideMaps;
use scope::{Locals, LoopFrame};

/// Why rendering of a block stopped early.
pub(crate) enum Flow {
    Break,
    Stop,
    Fail(Failure),
}

impl From<Failure> for Flow {
    fn from(f: Failure) -> Flow {
        Flow::Fail(f)
    }
}

type Flowing<T> = Result<T, Flow>;

pub(crate) struct Eval<'a> {
    vars: &'a Variables<'a>,
    locals: Locals<'a>,
    loops: Vec<LoopFrame>,
    overrides: Option<OverrideMaps<'a>>,
    out: String,
    work: u64,
    define_depth: usize,
    /// Whether to note each printed reference's range of `out` in
    /// `interpolations`: asked for by the caller, and off while a string is
    /// captured (its ranges would be of another buffer).
    recording: bool,
    interpolations: Vec<Interpolation>,
}

/// Renders a compiled template. With `record`, notes the output range of
/// every printed reference in it (see [`Interpolations`]); without, the
/// render does no more than test one flag per reference.
pub(crate) fn render<'a>(
    root: &'a Block,
    slots: usize,
    vars: &'a Variables<'a>,
    size_hint: usize,
    mut record: Option<&mut Interpolations>,
) -> Fallible<Rendered> {
    let recording = record.is_some();
    // The caller's buffer, moved in and back so that its capacity is reused
    // from one render to the next.
    let mut interpolations = record
        .as_deref_mut()
        .map(|r| std::mem::take(&mut r.items))
        .unwrap_or_default();
    interpolations.clear();
    let mut ev = Eval {
        vars,
        locals: Locals::new(slots),
        loops: Vec::new(),
        overrides: None,
        out: String::with_capacity(size_hint),
        work: 0,
        define_depth: 0,
        recording,
        interpolations,
    };
    let result = ev.block(root);
    if let Some(r) = record {
        r.items = std::mem::take(&mut ev.interpolations);
    }
    match result {
        Ok(()) | Err(Flow::Break) | Err(Flow::Stop) => {}
        Err(Flow::Fail(f)) => return Err(f),
    }
    let overrides = ev.collect_overrides()?;
    Ok(Rendered {
        body: ev.out,
        overrides,
    })
}

impl<'a> Eval<'a> {
    fn tick(&mut self, units: u64) -> Fallible<()> {
        self.work += units;
        if self.work > MAX_WORK {
            return Err(Failure::limit(format!(
                "template did more than {MAX_WORK} units of work"
            )));
        }
        Ok(())
    }

    /// Notes that the reference at `span` printed `out[start..]`.
    fn note(&mut self, start: usize, span: Span) {
        let end = self.out.len();
        if end > start {
            // The output is bounded far below 4 GiB (MAX_OUTPUT_BYTES).
            let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            self.interpolations.push(Interpolation {
                start: at(start),
                end: at(end),
                span,
            });
        }
    }

    fn check_output(&self) -> Fallible<()> {
        self.check_room(0)
    }

    /// Fails when `more` bytes would take the output past its limit, before
    /// they are written.
    fn check_room(&self, more: usize) -> Fallible<()> {
        if self.out.len().saturating_add(more) > MAX_OUTPUT_BYTES {
            return Err(Failure::new(
                ErrorKind::TooLarge,
                format!("output larger than {MAX_OUTPUT_BYTES} bytes"),
            ));
        }
        Ok(())
    }

    /// `$input`'s document, parsed on first use (see [`crate::Body`]). A body
    /// that looks like JSON and is not is an error, as in API Gateway, rather
    /// than a string that renders into the request.
    pub(crate) fn body_json(&self) -> Fallible<&'a Doc<'a>> {
        let body = self.vars.input.body;
        if let Some(error) = body.malformed() {
            return Err(Failure::new(
                ErrorKind::Body,
                format!("the body is not valid JSON: {error}"),
            ));
        }
        Ok(body.doc())
    }
}

/// Strings built at render time are bounded like the output.
pub(crate) fn check_len(s: &str) -> Fallible<()> {
    if s.len() > MAX_OUTPUT_BYTES {
        return Err(Failure::new(
            ErrorKind::TooLarge,
            format!("string longer than {MAX_OUTPUT_BYTES} bytes"),
        ));
    }
    Ok(())
}
