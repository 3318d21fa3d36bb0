//! References: `$name`, `$!name`, `${name}` and their chains of
//! properties, method calls and indexes, with argument lists.

use crate::ast::*;
use crate::error::Fallible;
use crate::lexer::Tok;

use super::Parser;

impl<'s> Parser<'s> {
    /// At `$`: reads `$name`, `$!name`, `${name}`, `$!{name}` and its chain of
    /// `.prop`, `.method(...)` and `[index]`. `None` (and nothing consumed)
    /// when what follows the `$` is not a reference.
    pub(super) fn try_reference(&mut self) -> Fallible<Option<Reference>> {
        let start = self.pos;
        if self.b.get(start) != Some(&b'$') {
            return Ok(None);
        }
        let mut i = start + 1;
        // `$!name` (quiet) prints the same as `$name` on API Gateway, where
        // nulls print as nothing anyway.
        if self.b.get(i) == Some(&b'!') {
            i += 1;
        }
        let formal = self.b.get(i) == Some(&b'{');
        if formal {
            i += 1;
        }
        let Some(root_len) = self.b.get(i..).and_then(identifier) else {
            return Ok(None);
        };
        let root: Box<str> = self.src[i..i + root_len].into();
        self.pos = i + root_len;
        self.enter(start)?;
        let mut parts = Vec::new();
        loop {
            match self.peek_byte(0) {
                b'[' => {
                    let at = self.pos;
                    self.pos += 1;
                    let index = self.parse_expr()?;
                    self.expect(Tok::RBracket, "index")?;
                    parts.push(Part::Index {
                        index,
                        span: self.span(at),
                    });
                }
                b'.' if self.peek_byte(1).is_ascii_alphabetic() => {
                    let at = self.pos + 1;
                    let len = identifier(&self.b[at..]).unwrap_or(1);
                    let name: Box<str> = self.src[at..at + len].into();
                    self.pos = at + len;
                    if self.peek_byte(0) == b'(' {
                        self.pos += 1;
                        let args = self.parse_args(at)?;
                        parts.push(Part::Method {
                            name,
                            args,
                            span: self.span(at),
                            pre: Precompiled::None,
                        });
                    } else {
                        parts.push(Part::Property {
                            name,
                            span: self.span(at),
                        });
                    }
                }
                _ => break,
            }
        }
        if formal {
            if self.peek_byte(0) != b'}' {
                return self.err(self.pos, "expected '}' to close ${...}");
            }
            self.pos += 1;
        }
        self.leave();
        let builtin = Root::of(&root);
        let loop_field = match parts.as_slice() {
            [Part::Property { name, .. }] if builtin == Root::Foreach => LoopField::of(name),
            _ => None,
        };
        Ok(Some(Reference {
            span: self.span(start),
            builtin,
            loop_field,
            root,
            slot: Slot::default(),
            parts,
            literal: self.src[start..self.pos].into(),
        }))
    }

    /// Comma-separated expressions up to `)` (consumed).
    pub(super) fn parse_args(&mut self, start: usize) -> Fallible<Vec<Expr>> {
        let mut args = Vec::new();
        let (tok, _, end) = self.tok(false)?;
        if tok == Tok::RParen {
            self.pos = end;
            return Ok(args);
        }
        loop {
            args.push(self.parse_expr()?);
            let (tok, at, end) = self.tok(true)?;
            self.pos = end;
            if tok == Tok::RParen {
                return Ok(args);
            }
            if tok != Tok::Comma {
                if tok == Tok::Eof {
                    return self.err(start, "unclosed argument list");
                }
                return self.err(at, format!("expected ',' or ')', found {}", tok.describe()));
            }
        }
    }
}

/// A VTL identifier: a letter or `_`, then letters, digits, `_` and `-`.
/// The hyphen is Velocity 1.x behaviour that `$elem.partition-key` relies on.
fn identifier(b: &[u8]) -> Option<usize> {
    let first = *b.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    Some(
        1 + b[1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
            .count(),
    )
}
