//! Template structure: text, references and directives, with Velocity 1.7's
//! whitespace rules, and expressions inside directives.
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

use crate::ast::*;
use crate::error::{ErrorKind, Failure, Fallible, Span};
use crate::lexer::{self, LineIndex, Tok};
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

    fn parse_root(&mut self) -> Fallible<Block> {
        let (block, term, at) = self.parse_block()?;
        match term {
            Term::Eof => Ok(block),
            Term::End => self.err(at, "#end without a matching #if, #foreach or #define"),
            Term::Else => self.err(at, "#else without a matching #if"),
            Term::ElseIf(_) => self.err(at, "#elseif without a matching #if"),
        }
    }

    /// Parses nodes until end of input or a block terminator. Returns the
    /// terminator and where it started.
    fn parse_block(&mut self) -> Fallible<(Block, Term, usize)> {
        let mut nodes: Vec<Node> = Vec::new();
        loop {
            let start = self.pos;
            if start >= self.b.len() {
                return Ok((Block { nodes }, Term::Eof, start));
            }
            // A token boundary: `[ \t]*#set(` here eats its indentation.
            if let Some(len) = self.match_set_directive() {
                let hash = start + self.b[start..].iter().position(|&c| c == b'#').unwrap_or(0);
                self.pos = start + len;
                let node = self.parse_set(hash)?;
                nodes.push(node);
                continue;
            }
            match self.b[start] {
                b'$' => match self.try_reference()? {
                    Some(r) => nodes.push(Node::Ref(Box::new(r))),
                    None => {
                        self.pos += 1;
                        push_text(&mut nodes, "$");
                    }
                },
                b'#' => {
                    if let Some(term) = self.parse_hash(&mut nodes)? {
                        return Ok((Block { nodes }, term, start));
                    }
                }
                b'\\' => self.parse_backslashes(&mut nodes)?,
                _ => {
                    let end = self.b[start..]
                        .iter()
                        .position(|&c| matches!(c, b'$' | b'#' | b'\\'))
                        .map_or(self.b.len(), |i| start + i);
                    push_text(&mut nodes, &self.src[start..end]);
                    self.pos = end;
                }
            }
        }
    }

    /// `[ \t]*(#set|#{set})[ ]*(` at the current position: its length.
    fn match_set_directive(&self) -> Option<usize> {
        let rest = &self.b[self.pos..];
        let mut i = 0;
        while i < rest.len() && (rest[i] == b' ' || rest[i] == b'\t') {
            i += 1;
        }
        let after = &rest[i..];
        let n = if after.starts_with(b"#set") {
            4
        } else if after.starts_with(b"#{set}") {
            6
        } else {
            return None;
        };
        let mut j = i + n;
        while j < rest.len() && rest[j] == b' ' {
            j += 1;
        }
        (rest.get(j) == Some(&b'(')).then_some(j + 1)
    }

    /// After a directive's `)`, `#else` or `#end`: swallows `[ \t]*` plus a
    /// newline if the line ends there.
    fn gobble_line_end(&mut self) {
        let mut i = self.pos;
        while i < self.b.len() && (self.b[i] == b' ' || self.b[i] == b'\t') {
            i += 1;
        }
        match self.b.get(i) {
            Some(b'\n') => self.pos = i + 1,
            Some(b'\r') => {
                self.pos = if self.b.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                }
            }
            _ => {}
        }
    }

    /// Backslashes: escapes of `$ref` and of directives; otherwise literal.
    fn parse_backslashes(&mut self, nodes: &mut Vec<Node>) -> Fallible<()> {
        let start = self.pos;
        let mut n = 0;
        while self.peek_byte(n) == b'\\' {
            n += 1;
        }
        let after = start + n;
        match self.b.get(after) {
            Some(b'$') => {
                self.pos = after;
                match self.try_reference()? {
                    Some(r) => {
                        let prefix: Box<str> = "\\".repeat(n / 2).into();
                        if n % 2 == 1 {
                            nodes.push(Node::EscapedRef {
                                prefix,
                                reference: Box::new(r),
                            });
                        } else {
                            push_text(nodes, &prefix);
                            nodes.push(Node::Ref(Box::new(r)));
                        }
                    }
                    None => {
                        push_text(nodes, &self.src[start..after + 1]);
                        self.pos = after + 1;
                    }
                }
            }
            Some(b'#') => {
                let word = directive_word(&self.b[after + 1..]);
                match word {
                    Some((name, len)) if is_known_directive(name) => {
                        push_text(nodes, &"\\".repeat(n / 2));
                        if n % 2 == 1 {
                            // The escaped directive prints as text; what follows it
                            // (its arguments, say) is parsed as usual.
                            push_text(nodes, &self.src[after..after + 1 + len]);
                            self.pos = after + 1 + len;
                        } else {
                            self.pos = after;
                        }
                    }
                    _ => {
                        push_text(nodes, &self.src[start..after]);
                        self.pos = after;
                    }
                }
            }
            _ => {
                push_text(nodes, &self.src[start..after]);
                self.pos = after;
            }
        }
        Ok(())
    }

    /// At `#`: comments, text blocks, directives. Returns a terminator for
    /// `#end`, `#else`, `#elseif`.
    fn parse_hash(&mut self, nodes: &mut Vec<Node>) -> Fallible<Option<Term>> {
        let start = self.pos;
        match self.peek_byte(1) {
            b'#' => {
                // `##` to the end of the line, newline included.
                let rest = &self.b[start..];
                self.pos = match rest.iter().position(|&c| c == b'\n' || c == b'\r') {
                    Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => start + i + 2,
                    Some(i) => start + i + 1,
                    None => self.b.len(),
                };
                return Ok(None);
            }
            b'*' => {
                match self.src[start + 2..].find("*#") {
                    Some(i) => self.pos = start + 2 + i + 2,
                    None => return self.err(start, "unterminated #* comment"),
                }
                return Ok(None);
            }
            b'[' if self.peek_byte(2) == b'[' => {
                match self.src[start + 3..].find("]]#") {
                    Some(i) => {
                        push_text(nodes, &self.src[start + 3..start + 3 + i]);
                        self.pos = start + 3 + i + 3;
                    }
                    None => return self.err(start, "unterminated #[[ block"),
                }
                return Ok(None);
            }
            _ => {}
        }
        let Some((name, len)) = directive_word(&self.b[start + 1..]) else {
            push_text(nodes, "#");
            self.pos = start + 1;
            return Ok(None);
        };
        self.pos = start + 1 + len;
        match name {
            "end" => {
                self.gobble_line_end();
                Ok(Some(Term::End))
            }
            "else" => {
                self.gobble_line_end();
                Ok(Some(Term::Else))
            }
            "elseif" => {
                let cond = self.parse_paren_expr(start, "#elseif")?;
                Ok(Some(Term::ElseIf(cond)))
            }
            "if" => {
                let node = self.parse_if(start)?;
                nodes.push(node);
                Ok(None)
            }
            "foreach" => {
                let node = self.parse_foreach(start)?;
                nodes.push(node);
                Ok(None)
            }
            "set" => {
                // `#set` not caught by the boundary rule, e.g. `#set\t(`.
                let open = lexer::skip_ws(self.b, self.pos);
                if self.b.get(open) != Some(&b'(') {
                    return self.err(start, "expected '(' after #set");
                }
                self.pos = open + 1;
                let node = self.parse_set(start)?;
                nodes.push(node);
                Ok(None)
            }
            "define" => {
                let node = self.parse_define(start)?;
                nodes.push(node);
                Ok(None)
            }
            "break" | "stop" => {
                // Optional arguments (a scope), ignored.
                let open = lexer::skip_ws(self.b, self.pos);
                if self.b.get(open) == Some(&b'(') {
                    self.pos = open + 1;
                    self.enter(start)?;
                    let _ = self.parse_args(start)?;
                    self.leave();
                    self.gobble_line_end();
                }
                nodes.push(if name == "break" {
                    Node::Break
                } else {
                    Node::Stop
                });
                Ok(None)
            }
            "macro" => {
                // AWS-recorded (airspeed snapshots): a #macro definition prints
                // nothing and calls to it print as text, so macros are parsed
                // and dropped.
                let open = lexer::skip_ws(self.b, self.pos);
                let close = match self.b.get(open) {
                    Some(b'(') => self.b[open..]
                        .iter()
                        .position(|&c| c == b')')
                        .map(|i| open + i),
                    _ => None,
                };
                let Some(close) = close else {
                    return self.err(start, "expected '(name ...)' after #macro");
                };
                self.pos = close + 1;
                self.gobble_line_end();
                self.enter(start)?;
                let (_, term, at) = self.parse_block()?;
                self.leave();
                match term {
                    Term::End => Ok(None),
                    Term::Eof => self.err(start, "#macro without #end"),
                    _ => self.err(at, "#else or #elseif inside #macro"),
                }
            }
            _ => {
                // Not a directive API Gateway runs (`#evaluate`, `#parse`, a macro
                // call, `#fff` in CSS...): printed as written, arguments included
                // and unevaluated (AWS-recorded: `#evaluate($x)` prints itself).
                let word_end = self.pos;
                let open = lexer::skip_ws(self.b, self.pos);
                if self.b.get(open) == Some(&b'(') {
                    self.pos = open + 1;
                    let depth = self.depth;
                    if self.parse_args(start).is_ok() {
                        self.gobble_line_end();
                        push_text(nodes, &self.src[start..self.pos]);
                        return Ok(None);
                    }
                    self.depth = depth;
                    self.pos = word_end;
                }
                push_text(nodes, &self.src[start..word_end]);
                Ok(None)
            }
        }
    }

    /// `[ws] ( expr )` and the line-end gobble after `)`.
    fn parse_paren_expr(&mut self, start: usize, what: &str) -> Fallible<Expr> {
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

    fn parse_if(&mut self, start: usize) -> Fallible<Node> {
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

    fn parse_foreach(&mut self, start: usize) -> Fallible<Node> {
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

    fn parse_define(&mut self, start: usize) -> Fallible<Node> {
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
    fn parse_set(&mut self, start: usize) -> Fallible<Node> {
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

    // ----- references -------------------------------------------------

    /// At `$`: reads `$name`, `$!name`, `${name}`, `$!{name}` and its chain of
    /// `.prop`, `.method(...)` and `[index]`. `None` (and nothing consumed)
    /// when what follows the `$` is not a reference.
    fn try_reference(&mut self) -> Fallible<Option<Reference>> {
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
    fn parse_args(&mut self, start: usize) -> Fallible<Vec<Expr>> {
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

    // ----- expressions -------------------------------------------------

    fn tok(&self, operand_before: bool) -> Fallible<(Tok<'s>, usize, usize)> {
        lexer::next(self.src, self.pos, operand_before).map_err(|e| {
            let at = lexer::skip_ws(self.b, self.pos);
            e.at(self.span(at))
        })
    }

    fn expect(&mut self, want: Tok<'_>, what: &str) -> Fallible<()> {
        let (tok, at, end) = self.tok(true)?;
        if tok != want {
            return self.err(
                at,
                format!(
                    "expected {} to close {what}, found {}",
                    want.describe(),
                    tok.describe()
                ),
            );
        }
        self.pos = end;
        Ok(())
    }

    pub fn parse_expr(&mut self) -> Fallible<Expr> {
        let at = self.pos;
        self.enter(at)?;
        let e = self.parse_binary(0);
        self.leave();
        e
    }

    /// Precedence climbing over Velocity's levels: or, and, equality,
    /// relational, additive, multiplicative.
    fn parse_binary(&mut self, level: u8) -> Fallible<Expr> {
        if level == 6 {
            return self.parse_unary();
        }
        let mut left = self.parse_binary(level + 1)?;
        loop {
            let (tok, at, end) = self.tok(true)?;
            let op = match tok {
                Tok::Op(op) if op_level(op) == level => op,
                _ => return Ok(left),
            };
            self.pos = end;
            self.enter(at)?;
            let right = self.parse_binary(level + 1)?;
            self.leave();
            left = Expr {
                span: self.span(at),
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
    }

    fn parse_unary(&mut self) -> Fallible<Expr> {
        let (tok, at, end) = self.tok(false)?;
        if tok == Tok::Not {
            self.pos = end;
            self.enter(at)?;
            let inner = self.parse_unary()?;
            self.leave();
            return Ok(Expr {
                span: self.span(at),
                kind: ExprKind::Not(Box::new(inner)),
            });
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Fallible<Expr> {
        let (tok, at, end) = self.tok(false)?;
        let span = self.span(at);
        let kind = match tok {
            Tok::Int(i) => {
                self.pos = end;
                ExprKind::Int(i)
            }
            Tok::Float(f) => {
                self.pos = end;
                ExprKind::Float(f)
            }
            Tok::True => {
                self.pos = end;
                ExprKind::Bool(true)
            }
            Tok::False => {
                self.pos = end;
                ExprKind::Bool(false)
            }
            Tok::Str { raw, double } => {
                self.pos = end;
                self.string_literal(raw, double, at)?
            }
            Tok::Dollar => {
                self.pos = at;
                match self.try_reference()? {
                    Some(r) => ExprKind::Ref(Box::new(r)),
                    None => return self.err(at, "expected a reference after '$'"),
                }
            }
            Tok::LParen => {
                self.pos = end;
                let e = self.parse_expr()?;
                self.expect(Tok::RParen, "parenthesis")?;
                return Ok(e);
            }
            Tok::LBracket => {
                self.pos = end;
                let (next, _, nend) = self.tok(false)?;
                if next == Tok::RBracket {
                    self.pos = nend;
                    ExprKind::List(Vec::new())
                } else {
                    let first = self.parse_expr()?;
                    let (sep, _, send) = self.tok(true)?;
                    if sep == Tok::DotDot {
                        self.pos = send;
                        let last = self.parse_expr()?;
                        self.expect(Tok::RBracket, "range")?;
                        ExprKind::Range(Box::new(first), Box::new(last))
                    } else {
                        let mut items = vec![first];
                        loop {
                            let (t, tat, tend) = self.tok(true)?;
                            self.pos = tend;
                            match t {
                                Tok::RBracket => break,
                                Tok::Comma => items.push(self.parse_expr()?),
                                other => {
                                    return self.err(
                                        tat,
                                        format!(
                                            "expected ',' or ']' in list, found {}",
                                            other.describe()
                                        ),
                                    );
                                }
                            }
                        }
                        ExprKind::List(items)
                    }
                }
            }
            Tok::LBrace => {
                self.pos = end;
                let mut entries = Vec::new();
                let (next, _, nend) = self.tok(false)?;
                if next == Tok::RBrace {
                    self.pos = nend;
                } else {
                    loop {
                        let key = self.parse_expr()?;
                        let (t, tat, tend) = self.tok(true)?;
                        if t != Tok::Colon {
                            return self
                                .err(tat, format!("expected ':' in map, found {}", t.describe()));
                        }
                        self.pos = tend;
                        let value = self.parse_expr()?;
                        entries.push((key, value));
                        let (t, tat, tend) = self.tok(true)?;
                        self.pos = tend;
                        match t {
                            Tok::RBrace => break,
                            Tok::Comma => {}
                            other => {
                                return self.err(
                                    tat,
                                    format!(
                                        "expected ',' or '}}' in map, found {}",
                                        other.describe()
                                    ),
                                );
                            }
                        }
                    }
                }
                ExprKind::Map(entries)
            }
            other => return self.err(at, format!("expected a value, found {}", other.describe())),
        };
        Ok(Expr { span, kind })
    }

    /// A string literal: single quotes are literal; double quotes interpolate
    /// references and directives, parsed here once.
    fn string_literal(&mut self, raw: &str, double: bool, at: usize) -> Fallible<ExprKind> {
        let text = lexer::unquote(raw, double);
        if !double || !(text.contains('$') || text.contains('#')) {
            return Ok(ExprKind::Str(text.into()));
        }
        let base = self.span(at + 1);
        let mut sub = Parser::new(&text, base, self.depth + 1);
        if sub.depth > MAX_NESTING {
            return self.err(at, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        let block = sub.parse_root()?;
        Ok(ExprKind::Interpolated(block))
    }
}

fn op_level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 0,
        BinOp::And => 1,
        BinOp::Eq | BinOp::Ne => 2,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
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

/// After `#`: a directive word `name` or `{name}`; returns the name and the
/// length consumed.
fn directive_word(b: &[u8]) -> Option<(&str, usize)> {
    if b.first() == Some(&b'{') {
        let n = lexer::word_len(&b[1..]);
        if n > 0 && b.get(1 + n) == Some(&b'}') {
            return std::str::from_utf8(&b[1..1 + n]).ok().map(|s| (s, n + 2));
        }
        return None;
    }
    let n = lexer::word_len(b);
    (n > 0)
        .then(|| std::str::from_utf8(&b[..n]).ok().map(|s| (s, n)))
        .flatten()
}

fn is_known_directive(name: &str) -> bool {
    matches!(
        name,
        "if" | "elseif"
            | "else"
            | "end"
            | "set"
            | "foreach"
            | "define"
            | "break"
            | "stop"
            | "macro"
            | "evaluate"
            | "parse"
            | "include"
    )
}

fn push_text(nodes: &mut Vec<Node>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Node::Text(prev)) = nodes.last_mut() {
        prev.push_str(text);
    } else {
        nodes.push(Node::Text(text.to_owned()));
    }
}
