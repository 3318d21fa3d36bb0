//! JSONPath in the Jayway dialect that API Gateway documents for
//! `$input.path`, `$input.json` and the `*.body.<path>` mapping expressions.
//!
//! Written here rather than taken from an RFC 9535 crate because the two
//! dialects differ where templates notice: Jayway accepts hyphens in dot
//! names (`$.partition-key`), prepends `$.` to a path without a root, and
//! distinguishes *definite* paths (only names and single indexes: the result
//! is one value or nothing) from *indefinite* ones (wildcards, `..`, slices,
//! unions, filters: the result is always a list). Definite paths are the
//! common case and are evaluated without allocating.
//!
//! RFC 9535 crates were tried behind this API (`serde_json_path` 0.7,
//! `jsonpath-rust` 1.0) and not taken, for these reasons:
//! - Queries run on the borrowed body tree (`doc::Doc`). `serde_json_path`
//!   queries only `serde_json::Value`, so each render with an indefinite path
//!   would first copy the body into one, which costs more than the parse.
//!   `jsonpath-rust` can query the tree, but formats a normalized-path string
//!   for every node it visits: about ten times slower on `$.records[*].data`.
//! - Both compile a filter's regex again for every node tested, under
//!   `regex`'s default limits; here it is compiled once, at load, within
//!   [`crate::limits::MAX_REGEX_SIZE`]. A regex filter over 100 records took
//!   45 to 160 times longer, and the number of nodes is the request's to
//!   choose.
//! - The Jayway syntax (hyphens in names inside filters too, `=~ /re/i`,
//!   quoted names with Jayway's escapes) and this module's error messages
//!   would need an adapter that scans the whole grammar, as large as the
//!   parser below; and RFC 9535 refuses comparisons with indefinite operands
//!   (`[?(@[*].price > 9)]`) that Jayway parses.
//!
//! Supported: `$`, `.name`, `['name']`, `["name"]`, `['a','b']`, `[0]`, `[-1]`,
//! `[0,2]`, `[1:3]`, `[:2]`, `[-2:]`, `[::2]`, `.*`, `[*]`, `..name`, `..*`,
//! `..[0]`, and filters `[?(...)]` with `@`/`$` paths, literals (numbers,
//! quoted strings, `true`, `false`, `null`), `== != < <= > >=`, `=~ /re/i`,
//! `&&`, `||`, `!` and parentheses. Jayway's functions (`.length()`) and
//! script expressions (`[(@.length-1)]`) are not.

use serde_json::Value;

use crate::error::{Error, ErrorKind, Failure, Fallible, Span};

/// A compiled JSONPath.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    steps: Vec<Step>,
    definite: bool,
}

/// The result of a query, with Jayway's semantics.
#[derive(Debug, Clone, PartialEq)]
pub enum Matches<'v, N = Value> {
    /// A definite path that matched nothing.
    Missing,
    /// A definite path's value.
    One(&'v N),
    /// An indefinite path's values, in document order (possibly none).
    Many(Vec<&'v N>),
}

impl Matches<'_> {
    /// The value as Jayway returns it: the single value, a JSON array of the
    /// matches, or `None` when a definite path is missing.
    pub fn to_value(&self) -> Option<Value> {
        match self {
            Matches::Missing => None,
            Matches::One(v) => Some((*v).clone()),
            Matches::Many(vs) => Some(Value::Array(vs.iter().map(|v| (*v).clone()).collect())),
        }
    }
}

/// A scalar as filters compare it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'s> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'s str),
    /// An array or object.
    Composite,
}

/// What a query needs of a JSON document: `serde_json::Value` for callers,
/// the borrowed body tree for templates.
pub(crate) trait Node: Sized {
    fn member(&self, key: &str) -> Option<&Self>;
    fn items(&self) -> Option<&[Self]>;
    /// Array items or object values, in order.
    fn for_each_child<'s>(&'s self, f: &mut dyn FnMut(&'s Self));
    fn scalar(&self) -> Scalar<'_>;
}

impl Node for Value {
    fn member(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    fn items(&self) -> Option<&[Value]> {
        self.as_array().map(Vec::as_slice)
    }

    fn for_each_child<'s>(&'s self, f: &mut dyn FnMut(&'s Value)) {
        match self {
            Value::Array(a) => a.iter().for_each(f),
            Value::Object(o) => o.values().for_each(f),
            _ => {}
        }
    }

    fn scalar(&self) -> Scalar<'_> {
        match self {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Scalar::Str(s),
            _ => Scalar::Composite,
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Name(String),
    Names(Vec<String>),
    Index(i64),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>, i64),
    Wildcard,
    /// `..` followed by the step applied to every descendant (and self).
    Descend(Box<Step>),
    Filter(Filter),
}

#[derive(Debug, Clone)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Compare(Operand, Cmp, Operand),
    Matches(Operand, Box<regex::Regex>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Operand {
    Current(Vec<Step>),
    Root(Vec<Step>),
    Literal(Value),
}

impl JsonPath {
    /// Compiles a path. A path not starting with `$` or `@` gets `$.` in front,
    /// as Jayway does, so `a.b` means `$.a.b`.
    pub fn compile(path: &str) -> Result<JsonPath, Error> {
        let trimmed = path.trim();
        let (text, shift) = if trimmed.starts_with('$') || trimmed.starts_with('@') {
            (trimmed.to_owned(), 0)
        } else {
            (format!("$.{trimmed}"), 2)
        };
        let lead = path.len() - path.trim_start().len();
        let mut p = PathParser { s: &text, pos: 1 };
        let result = p.steps(false);
        match result {
            Ok(steps) => {
                let definite = steps
                    .iter()
                    .all(|s| matches!(s, Step::Name(_) | Step::Index(_)));
                Ok(JsonPath {
                    source: path.to_owned(),
                    steps,
                    definite,
                })
            }
            Err((at, msg)) => {
                let column = path[..(at + lead).saturating_sub(shift).min(path.len())]
                    .chars()
                    .count() as u32
                    + 1;
                Err(Error::new(
                    ErrorKind::JsonPath,
                    path,
                    Span {
                        offset: 0,
                        line: 1,
                        column,
                    },
                    msg,
                ))
            }
        }
    }

    /// [`JsonPath::compile`] for the path argument of `$input.path` or
    /// `$input.json`: the failure names the path.
    pub(crate) fn compile_arg(path: &str) -> Fallible<JsonPath> {
        JsonPath::compile(path).map_err(|e| {
            Failure::new(
                ErrorKind::JsonPath,
                format!("invalid JSONPath {path:?}: {}", e.message()),
            )
        })
    }

    /// The text this path was compiled from.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the path can match at most one value (Jayway's "definite").
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Evaluates the path against a document.
    pub fn query<'v>(&self, root: &'v Value) -> Matches<'v> {
        self.query_node(root)
    }

    pub(crate) fn query_node<'v, N: Node>(&self, root: &'v N) -> Matches<'v, N> {
        if self.definite {
            let mut cur = root;
            for step in &self.steps {
                match step_one(step, cur) {
                    Some(next) => cur = next,
                    None => return Matches::Missing,
                }
            }
            return Matches::One(cur);
        }
        Matches::Many(run(&self.steps, root, root))
    }
}

/// One definite step.
fn step_one<'v, N: Node>(step: &Step, v: &'v N) -> Option<&'v N> {
    match step {
        Step::Name(n) => v.member(n),
        Step::Index(i) => {
            let a = v.items()?;
            let idx = if *i < 0 { a.len() as i64 + i } else { *i };
            usize::try_from(idx).ok().and_then(|i| a.get(i))
        }
        _ => None,
    }
}

fn run<'v, N: Node>(steps: &[Step], start: &'v N, root: &'v N) -> Vec<&'v N> {
    let mut cur = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            apply(step, v, root, &mut next);
        }
        cur = next;
    }
    cur
}

fn apply<'v, N: Node>(step: &Step, v: &'v N, root: &'v N, out: &mut Vec<&'v N>) {
    match step {
        Step::Name(_) | Step::Index(_) => out.extend(step_one(step, v)),
        Step::Names(names) => out.extend(names.iter().filter_map(|n| v.member(n))),
        Step::Indexes(idx) => {
            for i in idx {
                out.extend(step_one(&Step::Index(*i), v));
            }
        }
        Step::Slice(from, to, by) => {
            if let Some(a) = v.items() {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let by = *by;
                if by > 0 {
                    let (mut i, end) = (norm(from.unwrap_or(0)), norm(to.unwrap_or(len)));
                    while i < end {
                        out.push(&a[i as usize]);
                        i += by;
                    }
                } else if by < 0 {
                    let mut i = from.map_or(len - 1, |f| norm(f).min(len - 1));
                    let end = to.map_or(-1, norm);
                    while i > end && i >= 0 {
                        out.push(&a[i as usize]);
                        i += by;
                    }
                }
            }
        }
        Step::Wildcard => v.for_each_child(&mut |c| out.push(c)),
        Step::Descend(inner) => descend(inner, v, root, out, 0),
        Step::Filter(f) => v.for_each_child(&mut |c| {
            if test(f, c, root) {
                out.push(c);
            }
        }),
    }
}

fn descend<'v, N: Node>(step: &Step, v: &'v N, root: &'v N, out: &mut Vec<&'v N>, depth: usize) {
    // A parsed body nests at most 127 levels (`serde_json`'s limit); this
    // guards other documents.
    if depth > 512 {
        return;
    }
    apply(step, v, root, out);
    v.for_each_child(&mut |c| descend(step, c, root, out, depth + 1));
}

/// An operand's value: present or not, and its scalar form.
fn operand<'s, N: Node>(op: &'s Operand, cur: &'s N, root: &'s N) -> Option<Scalar<'s>> {
    match op {
        Operand::Current(steps) => run(steps, cur, root).into_iter().next().map(Node::scalar),
        Operand::Root(steps) => run(steps, root, root).into_iter().next().map(Node::scalar),
        Operand::Literal(v) => Some(v.scalar()),
    }
}

fn test<N: Node>(f: &Filter, cur: &N, root: &N) -> bool {
    match f {
        Filter::Or(a, b) => test(a, cur, root) || test(b, cur, root),
        Filter::And(a, b) => test(a, cur, root) && test(b, cur, root),
        Filter::Not(a) => !test(a, cur, root),
        Filter::Exists(op) => operand(op, cur, root).is_some(),
        Filter::Matches(op, re) => {
            matches!(operand(op, cur, root), Some(Scalar::Str(s)) if re.is_match(s))
        }
        Filter::Compare(l, cmp, r) => {
            let (Some(l), Some(r)) = (operand(l, cur, root), operand(r, cur, root)) else {
                return false;
            };
            let ord = match (l, r) {
                (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(&b),
                (Scalar::Str(a), Scalar::Str(b)) => Some(a.cmp(b)),
                (Scalar::Composite, _) | (_, Scalar::Composite) => return false,
                _ => {
                    return match cmp {
                        Cmp::Eq => l == r,
                        Cmp::Ne => l != r,
                        _ => false,
                    };
                }
            };
            let Some(ord) = ord else { return false };
            match cmp {
                Cmp::Eq => ord.is_eq(),
                Cmp::Ne => !ord.is_eq(),
                Cmp::Lt => ord.is_lt(),
                Cmp::Le => ord.is_le(),
                Cmp::Gt => ord.is_gt(),
                Cmp::Ge => ord.is_ge(),
            }
        }
    }
}

type PResult<T> = Result<T, (usize, String)>;

struct PathParser<'s> {
    s: &'s str,
    pos: usize,
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
    fn steps(&mut self, in_filter: bool) -> PResult<Vec<Step>> {
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
                return self.fail("JSONPath functions are not supported");
            }
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail("expected a property name");
        }
        Ok(Step::Name(self.s[start..self.pos].to_owned()))
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
        let mut left = self.filter_and()?;
        loop {
            self.ws();
            if self.s[self.pos..].starts_with("||") {
                self.pos += 2;
                let right = self.filter_and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_and(&mut self) -> PResult<Filter> {
        let mut left = self.filter_atom()?;
        loop {
            self.ws();
            if self.s[self.pos..].starts_with("&&") {
                self.pos += 2;
                let right = self.filter_atom()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_atom(&mut self) -> PResult<Filter> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(path: &str, doc: &Value) -> Option<Value> {
        JsonPath::compile(path).unwrap().query(doc).to_value()
    }

    #[test]
    fn definite_paths() {
        let doc = json!({"a": {"b-c": [1, 2, {"d": "x"}]}, "partition-key": "k"});
        assert_eq!(q("$", &doc), Some(doc.clone()));
        assert_eq!(q("$.partition-key", &doc), Some(json!("k")));
        assert_eq!(q("$['a']['b-c'][2].d", &doc), Some(json!("x")));
        assert_eq!(q("$.a.b-c[-1].d", &doc), Some(json!("x")));
        assert_eq!(q("a.b-c[0]", &doc), Some(json!(1)));
        assert_eq!(q("$.missing", &doc), None);
        assert_eq!(q("$.a.b-c[9]", &doc), None);
        assert!(JsonPath::compile("$.a[0]").unwrap().is_definite());
    }

    #[test]
    fn indefinite_paths() {
        let doc = json!({"r": [{"n": 1, "t": "a"}, {"n": 5, "t": "b"}, {"n": 3}]});
        assert_eq!(q("$.r[*].n", &doc), Some(json!([1, 5, 3])));
        assert_eq!(q("$..t", &doc), Some(json!(["a", "b"])));
        assert_eq!(q("$.r[0:2].n", &doc), Some(json!([1, 5])));
        assert_eq!(q("$.r[-1:].n", &doc), Some(json!([3])));
        assert_eq!(q("$.r[0,2].n", &doc), Some(json!([1, 3])));
        assert_eq!(q("$.r[?(@.n > 2)].n", &doc), Some(json!([5, 3])));
        assert_eq!(
            q("$.r[?(@.t == 'b' || @.n == 1)].n", &doc),
            Some(json!([1, 5]))
        );
        assert_eq!(q("$.r[?(@.t)].n", &doc), Some(json!([1, 5])));
        assert_eq!(q("$.r[?(!@.t)].n", &doc), Some(json!([3])));
        assert_eq!(q("$.r[?(@.t =~ /B/i)].n", &doc), Some(json!([5])));
        assert_eq!(q("$.nothing[*]", &doc), Some(json!([])));
    }

    #[test]
    fn errors_carry_a_column() {
        let e = JsonPath::compile("$.a[").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::JsonPath);
        assert_eq!(e.column(), 5);
        assert!(JsonPath::compile("$.a.length()").is_err());
    }
}
