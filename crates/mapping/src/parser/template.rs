//! Template structure: text runs, comments, escapes and directives, and
//! the whitespace Velocity 1.7 swallows around them (the rules are listed in
//! the parser's module documentation).

use crate::ast::*;
use crate::error::Fallible;
use crate::lexer;

use super::{Parser, Term};

impl<'s> Parser<'s> {
    pub(super) fn parse_root(&mut self) -> Fallible<Block> {
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
    pub(super) fn parse_block(&mut self) -> Fallible<(Block, Term, usize)> {
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
    pub(super) fn gobble_line_end(&mut self) {
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
