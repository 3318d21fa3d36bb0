//! The directives with a body or an assignment: `#if`/`#elseif`/`#else`,
//! `#foreach`, `#define` and `#set`.

use crate::ast::*;
use crate::error::Fallible;
use crate::lexer::{self, Tok};

use super::{Parser, Term};

impl<'s> Parser<'s> {
    /// `[ws] ( expr )` and the line-end gobble after `)`.
    pub(super) fn parse_paren_expr(&mut self, start: usize, what: &str) -> Fallible<Expr> {
        let open = lexer::skip_ws(self.b, self.pos);
        if self.b.get(open) != Some(&b'(') {
            return self.err(start, format!("expected '(' after {what}"));
        }
        self.pos = open + 1;
        self.enter(start)?;
        let e = self.parse_expr()?;
        self.expect(Tok::RParen, what)?;
        self.leave();
        self.gobble_line_end();
        Ok(e)
    }

    pub(super) fn parse_if(&mut self, start: usize) -> Fallible<Node> {
        let mut cond = self.parse_paren_expr(start, "#if")?;
        let mut branches = Vec::new();
        self.enter(start)?;
        let otherwise = loop {
            let (block, term, _) = self.parse_block()?;
            branches.push((cond, block));
            match term {
                Term::End => break None,
                Term::ElseIf(c) => cond = c,
                Term::Else => {
                    let (block, term, at) = self.parse_block()?;
                    match term {
                        Term::End => break Some(block),
                        Term::Eof => return self.err(start, "#if without #end"),
                        _ => return self.err(at, "#else or #elseif after #else"),
                    }
                }
                Term::Eof => return self.err(start, "#if without #end"),
            }
        };
        self.leave();
        Ok(Node::If(Box::new(IfNode {
            branches,
            otherwise,
        })))
    }

    pub(super) fn parse_foreach(&mut self, start: usize) -> Fallible<Node> {
        let open = lexer::skip_ws(self.b, self.pos);
        if self.b.get(open) != Some(&b'(') {
            return self.err(start, "expected '(' after #foreach");
        }
        self.pos = open + 1;
        self.enter(start)?;
        let var_at = lexer::skip_ws(self.b, self.pos);
        self.pos = var_at;
        let var = match self.try_reference()? {
            Some(r) if r.parts.is_empty() => r.root,
            _ => return self.err(var_at, "expected a variable like $item in #foreach"),
        };
        let (tok, at, end) = self.tok(false)?;
        if tok != Tok::Word("in") {
            return self.err(
                at,
                format!("expected 'in' in #foreach, found {}", tok.describe()),
            );
        }
        self.pos = end;
        let iterable = self.parse_expr()?;
        self.expect(Tok::RParen, "#foreach")?;
        self.gobble_line_end();
        let (body, term, at) = self.parse_block()?;
        match term {
            Term::End => {}
            Term::Eof => return self.err(start, "#foreach without #end"),
            _ => return self.err(at, "#else or #elseif inside #foreach"),
        }
        self.leave();
        Ok(Node::Foreach(Box::new(ForeachNode {
            span: self.span(start),
            var,
            slot: Slot::default(),
            iterable,
            body,
        })))
    }

    pub(super) fn parse_define(&mut self, start: usize) -> Fallible<Node> {
        let open = lexer::skip_ws(self.b, self.pos);
        if self.b.get(open) != Some(&b'(') {
            return self.err(start, "expected '(' after #define");
        }
        self.pos = lexer::skip_ws(self.b, open + 1);
        self.enter(start)?;
        let name = match self.try_reference()? {
            Some(r) if r.parts.is_empty() => r.root,
            _ => return self.err(self.pos, "expected a variable like $name in #define"),
        };
        self.expect(Tok::RParen, "#define")?;
        self.gobble_line_end();
        let (body, term, at) = self.parse_block()?;
        match term {
            Term::End => {}
            Term::Eof => return self.err(start, "#define without #end"),
            _ => return self.err(at, "#else or #elseif inside #define"),
        }
        self.leave();
        Ok(Node::Define(Box::new(DefineNode {
            name,
            slot: Slot::default(),
            body,
        })))
    }

    /// After `#set(`: `$ref = expr )` and the line-end gobble.
    pub(super) fn parse_set(&mut self, start: usize) -> Fallible<Node> {
        self.enter(start)?;
        let at = lexer::skip_ws(self.b, self.pos);
        self.pos = at;
        let target = match self.try_reference()? {
            Some(r) => r,
            None => return self.err(at, "expected a reference like $name on the left of #set"),
        };
        let (tok, tat, end) = self.tok(true)?;
        if tok != Tok::Assign {
            return self.err(
                tat,
                format!("expected '=' in #set, found {}", tok.describe()),
            );
        }
        self.pos = end;
        let value = self.parse_expr()?;
        self.expect(Tok::RParen, "#set")?;
        self.leave();
        self.gobble_line_end();
        Ok(Node::Set(Box::new(SetNode {
            span: self.span(start),
            target,
            value,
        })))
    }
}
