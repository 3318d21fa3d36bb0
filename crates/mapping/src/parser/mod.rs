//! The parser: template structure (text, references and directives) with
//! Velocity 1.7's whitespace rules, and expressions inside directives.
//!
//! - `template.rs`: text, comments, escapes and the dispatch of directives,
//!   and where whitespace is swallowed;
//! - `directive.rs`: `#if`, `#foreach`, `#define` and `#set`;
//! - `reference.rs`: `$a.b[0].c(...)` references and argument lists;
//! - `expr.rs`: expressions inside directives and arguments, literals
//!   included.
//!
//! Whitespace, as Velocity 1.7's lexer does it (and so API Gateway):
//! - text runs up to the next `$`, `#` or `\` and is kept verbatim;
//! - the `)` that closes `#if`, `#elseif`, `#foreach`, `#set`, `#define`
//!   (and `#break`/`#stop` with arguments) also swallows spaces and tabs
//!   after it *if they end the line*, together with that newline;
//! - `#else` and `#end` swallow trailing spaces/tabs plus newline the same way;
//! - `#set` also swallows the spaces and tabs *before* it, but only where a
//!   token boundary falls at their start: at the start of the template or
//!   right after a reference, a directive or a comment. After ordinary text the
//!   indentation belongs to that text and is printed.
//! - `##` comments swallow their newline; `#* *#` comments swallow nothing else.
//!
//! So a directive alone on an indented line prints its indentation but not its
//! newline, which is the well-known Velocity 1.x output shape.

mod directive;
mod expr;
mod reference;
mod template;

use crate::ast::{Block, Expr};
use crate::error::{ErrorKind, Failure, Fallible, Span};
use crate::lexer::LineIndex;
use crate::limits::MAX_NESTING;

/// How a block ended.
enum Term {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    lines: LineIndex,
    depth: usize,
}

/// Parses a whole template.
pub(crate) fn parse_template(src: &str) -> Fallible<Block> {
    let mut p = Parser::new(
        src,
        Span {
            offset: 0,
            line: 1,
            column: 1,
        },
        0,
    );
    p.parse_root()
}

impl<'s> Parser<'s> {
    fn new(src: &'s str, base: Span, depth: usize) -> Parser<'s> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            lines: LineIndex::new(src, base),
            depth,
        }
    }

    fn span(&self, pos: usize) -> Span {
        self.lines.span(self.src, pos)
    }

    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> Fallible<T> {
        Err(Failure::new(ErrorKind::Syntax, msg).at(self.span(pos)))
    }

    fn enter(&mut self, pos: usize) -> Fallible<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(
                Failure::limit(format!("nesting deeper than {MAX_NESTING} levels"))
                    .at(self.span(pos)),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn peek_byte(&self, i: usize) -> u8 {
        self.b.get(self.pos + i).copied().unwrap_or(0)
    }
}
