//! The JSONPath grammar: a hand-written recursive-descent parser over the
//! path text, reporting the byte offset of what it could not read.

use serde_json::Value;

use super::{Cmp, Filter, Function, Operand, Step};
use crate::limits::MAX_NESTING;

/// A parse failure: the byte offset in the path text, and the message.
type PResult<T> = Result<T, (usize, String)>;

pub(super) struct PathParser<'s> {
    /// The path, with a root (`$.` is prepended to a path without one).
    pub(super) s: &'s str,
    /// Where parsing is: just after the root to begin with.
    pub(super) pos: usize,
    /// The function that ends the path (`$.items.length()`), once read.
    pub(super) function: Option<Function>,
    /// How many filter atoms (`!`, parentheses, filters inside filters)
    /// enclose the one being parsed: bounded by [`MAX_NESTING`], as the
    /// parser recurses once per level and the query once per level again.
    pub(super) depth: usize,
}

impl PathParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn fail<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err((self.pos, msg.into()))
    }

    /// Steps up to the end (or, inside a filter, up to a character that ends
    /// an operand).
    pub(super) fn steps(&mut self, in_filter: bool) -> PResult<Vec<Step>> {
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                None => return Ok(steps),
                Some(b'.') => {
                    if self.s.as_bytes().get(self.pos + 1) == Some(&b'.') {
                        self.pos += 2;
                        let inner = if self.peek() == Some(b'[') {
                            self.bracket()?
                        } else {
                            self.dot_name(in_filter)?
                        };
                        steps.push(Step::Descend(Box::new(inner)));
                    } else {
                        self.pos += 1;
                        if !in_filter && let Some(function) = self.function()? {
                            self.function = Some(function);
                            self.ws();
                            if self.peek().is_some() {
                                return self.fail("a JSONPath function ends the path");
                            }
                            return Ok(steps);
                        }
                        steps.push(self.dot_name(in_filter)?);
                    }
                }
                Some(b'[') => steps.push(self.bracket()?),
                Some(c) if in_filter || c.is_ascii_whitespace() => {
                    if !in_filter {
                        self.ws();
                        if self.peek().is_none() {
                            return Ok(steps);
                        }
                        return self.fail("unexpected text after path");
                    }
                    return Ok(steps);
                }
                Some(_) => return self.fail("expected '.' or '['"),
            }
        }
    }

    fn dot_name(&mut self, in_filter: bool) -> PResult<Step> {
        if self.peek() == Some(b'*') {
            self.pos += 1;
            return Ok(Step::Wildcard);
        }
        let start = self.pos;
        let stop: &[u8] = if in_filter {
            b".[ \t\n\r)=!<>&|"
        } else {
            b".[ \t\n\r"
        };
        while let Some(c) = self.peek() {
            if stop.contains(&c) {
                break;
            }
            if c == b'(' {
                return self
                    .fail("JSONPath functions are supported at the end of a path, not in filters");
            }
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail("expected a property name");
        }
        Ok(Step::Name(self.s[start..self.pos].to_owned()))
    }

    /// A function call after a `.`: `name()`. Nothing is consumed when the
    /// name is not followed by `(`.
    fn function(&mut self) -> PResult<Option<Function>> {
        let b = self.s.as_bytes();
        let start = self.pos;
        let mut end = start;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
            end += 1;
        }
        if end == start || b.get(end) != Some(&b'(') {
            return Ok(None);
        }
        let name = &self.s[start..end];
        let Some(function) = Function::named(name) else {
            return self.fail(if Function::JAYWAY_ONLY.contains(&name) {
                format!("the JSONPath function `{name}()` is not supported")
            } else {
                format!(
                    "unknown JSONPath function `{name}()`; known: length, size, min, max, avg, stddev, sum, keys"
                )
            });
        };
        self.pos = end + 1;
        self.ws();
        if self.peek() != Some(b')') {
            return self.fail(format!("`{name}()` takes no arguments"));
        }
        self.pos += 1;
        Ok(Some(function))
    }

    fn quoted(&mut self) -> PResult<String> {
        let q = self.peek().unwrap_or(b'\'');
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.s[self.pos..].chars().next() else {
                return self.fail("unterminated quoted name");
            };
            self.pos += c.len_utf8();
            if c as u32 == q as u32 {
                return Ok(out);
            }
            if c == '\\' {
                if let Some(n) = self.s[self.pos..].chars().next() {
                    self.pos += n.len_utf8();
                    out.push(n);
                    continue;
                }
            }
            out.push(c);
        }
    }

    fn int(&mut self) -> PResult<i64> {
        self.ws();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.s[start..self.pos]
            .parse()
            .map_err(|_| (start, "expected an integer".to_owned()))
    }

    fn bracket(&mut self) -> PResult<Step> {
        self.pos += 1;
        self.ws();
        let step = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Step::Wildcard
            }
            Some(b'\'' | b'"') => {
                let mut names = vec![self.quoted()?];
                self.ws();
                while self.peek() == Some(b',') {
                    self.pos += 1;
                    self.ws();
                    if !matches!(self.peek(), Some(b'\'' | b'"')) {
                        return self.fail("expected a quoted name");
                    }
                    names.push(self.quoted()?);
                    self.ws();
                }
                if names.len() == 1 {
                    Step::Name(names.remove(0))
                } else {
                    Step::Names(names)
                }
            }
            Some(b'?') => {
                self.pos += 1;
                self.ws();
                if self.peek() != Some(b'(') {
                    return self.fail("expected '(' after '?'");
                }
                self.pos += 1;
                let f = self.filter_or()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return self.fail("expected ')' to close the filter");
                }
                self.pos += 1;
                Step::Filter(f)
            }
            Some(b'(') => return self.fail("script expressions are not supported"),
            Some(b':') => self.slice(None)?,
            Some(b'-' | b'0'..=b'9') => {
                let first = self.int()?;
                self.ws();
                match self.peek() {
                    Some(b':') => self.slice(Some(first))?,
                    Some(b',') => {
                        let mut idx = vec![first];
                        while self.peek() == Some(b',') {
                            self.pos += 1;
                            idx.push(self.int()?);
                            self.ws();
                        }
                        Step::Indexes(idx)
                    }
                    _ => Step::Index(first),
                }
            }
            _ => return self.fail("expected an index, a quoted name, '*' or a filter"),
        };
        self.ws();
        if self.peek() != Some(b']') {
            return self.fail("expected ']'");
        }
        self.pos += 1;
        Ok(step)
    }

    /// After the start of a slice (at the first ':').
    fn slice(&mut self, from: Option<i64>) -> PResult<Step> {
        self.pos += 1;
        self.ws();
        let to = if matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            Some(self.int()?)
        } else {
            None
        };
        self.ws();
        let mut by = 1;
        if self.peek() == Some(b':') {
            self.pos += 1;
            self.ws();
            if matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
                by = self.int()?;
            }
        }
        if by == 0 {
            return self.fail("slice step cannot be zero");
        }
        Ok(Step::Slice(from, to, by))
    }

    fn filter_or(&mut self) -> PResult<Filter> {
        let mut any = vec![self.filter_and()?];
        loop {
            self.ws();
            if self.s[self.pos..].starts_with("||") {
                self.pos += 2;
                any.push(self.filter_and()?);
            } else if any.len() == 1 {
                return Ok(any.remove(0));
            } else {
                return Ok(Filter::Or(any));
            }
        }
    }

    fn filter_and(&mut self) -> PResult<Filter> {
        let mut all = vec![self.filter_atom()?];
        loop {
            self.ws();
            if self.s[self.pos..].starts_with("&&") {
                self.pos += 2;
                all.push(self.filter_atom()?);
            } else if all.len() == 1 {
                return Ok(all.remove(0));
            } else {
                return Ok(Filter::And(all));
            }
        }
    }

    fn filter_atom(&mut self) -> PResult<Filter> {
        if self.depth >= MAX_NESTING {
            return self.fail(format!("nesting deeper than {MAX_NESTING} levels"));
        }
        self.depth += 1;
        let atom = self.filter_atom_unbounded();
        self.depth -= 1;
        atom
    }

    fn filter_atom_unbounded(&mut self) -> PResult<Filter> {
        self.ws();
        if self.peek() == Some(b'!') && self.s.as_bytes().get(self.pos + 1) != Some(&b'=') {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.filter_atom()?)));
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let f = self.filter_or()?;
            self.ws();
            if self.peek() != Some(b')') {
                return self.fail("expected ')'");
            }
            self.pos += 1;
            return Ok(f);
        }
        let left = self.operand()?;
        self.ws();
        let rest = &self.s[self.pos..];
        let (cmp, len) = if rest.starts_with("==") {
            (Cmp::Eq, 2)
        } else if rest.starts_with("!=") {
            (Cmp::Ne, 2)
        } else if rest.starts_with("<=") {
            (Cmp::Le, 2)
        } else if rest.starts_with(">=") {
            (Cmp::Ge, 2)
        } else if rest.starts_with('<') {
            (Cmp::Lt, 1)
        } else if rest.starts_with('>') {
            (Cmp::Gt, 1)
        } else if rest.starts_with("=~") {
            self.pos += 2;
            self.ws();
            return Ok(Filter::Matches(left, Box::new(self.regex_literal()?)));
        } else {
            return Ok(Filter::Exists(left));
        };
        self.pos += len;
        let right = self.operand()?;
        Ok(Filter::Compare(left, cmp, right))
    }

    fn regex_literal(&mut self) -> PResult<regex::Regex> {
        if self.peek() != Some(b'/') {
            return self.fail("expected /regex/ after =~");
        }
        let start = self.pos + 1;
        let mut i = start;
        let b = self.s.as_bytes();
        while i < b.len() && b[i] != b'/' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        if i >= b.len() {
            return self.fail("unterminated /regex/");
        }
        let pattern = &self.s[start..i];
        self.pos = i + 1;
        let mut insensitive = false;
        while let Some(c) = self.peek().filter(u8::is_ascii_alphabetic) {
            insensitive |= c == b'i';
            self.pos += 1;
        }
        regex::RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .size_limit(crate::limits::MAX_REGEX_SIZE)
            .build()
            .map_err(|e| (start, format!("invalid regex: {e}")))
    }

    fn operand(&mut self) -> PResult<Operand> {
        self.ws();
        match self.peek() {
            Some(b'@') => {
                self.pos += 1;
                Ok(Operand::Current(self.steps(true)?))
            }
            Some(b'$') => {
                self.pos += 1;
                Ok(Operand::Root(self.steps(true)?))
            }
            Some(b'\'' | b'"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                self.pos += 1;
                while matches!(
                    self.peek(),
                    Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                ) {
                    self.pos += 1;
                }
                serde_json::from_str::<Value>(&self.s[start..self.pos])
                    .map(Operand::Literal)
                    .map_err(|_| (start, "invalid number".to_owned()))
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.s[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(Operand::Literal(v));
                    }
                }
                self.fail("expected @, $ or a literal in filter")
            }
        }
    }
}
