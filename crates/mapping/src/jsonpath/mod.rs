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
//!   parser in `parse.rs`; and RFC 9535 refuses comparisons with indefinite
//!   operands (`[?(@[*].price > 9)]`) that Jayway parses.
//!
//! Supported: `$`, `.name`, `['name']`, `["name"]`, `['a','b']`, `[0]`, `[-1]`,
//! `[0,2]`, `[1:3]`, `[:2]`, `[-2:]`, `[::2]`, `.*`, `[*]`, `..name`, `..*`,
//! `..[0]`, and filters `[?(...)]` with `@`/`$` paths, literals (numbers,
//! quoted strings, `true`, `false`, `null`), `== != < <= > >=`, `=~ /re/i`,
//! `&&`, `||`, `!` and parentheses; and Jayway's functions without
//! arguments at the end of a path: `length()` (and its alias `size()`),
//! `min()`, `max()`, `avg()`, `stddev()`, `sum()` and `keys()`. A function
//! takes the value of the path before it, or for an indefinite path the list
//! of its matches, as Jayway's do. Jayway's functions that take arguments
//! (`concat(X)`, `append(X)`, `index(X)`), its newer `first()`, `last()` and
//! `distinct()`, functions inside filters, and script expressions
//! (`[(@.length-1)]`) are refused at load: nothing recorded shows API Gateway
//! running them.
//!
//! The module is in two halves: `parse.rs` turns the text into steps and
//! filters, `query.rs` runs them on any document that implements [`Node`].

mod parse;
mod query;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Failure, Fallible, Span};
use crate::limits::MAX_QUERY_NODES;

pub(crate) use query::{Node, Scalar};

/// A compiled JSONPath.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    steps: Vec<Step>,
    definite: bool,
    function: Option<Function>,
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
    /// What the function ending the path computed.
    Computed(Computed),
}

/// A function that ends a path, Jayway's `$.items.length()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    /// The number of items of an array, or of members of an object.
    Length,
    Min,
    Max,
    Avg,
    /// The population standard deviation, as Jayway computes it.
    StdDev,
    Sum,
    /// An object's member names.
    Keys,
}

impl Function {
    /// Jayway's names for the functions supported here; `size` is Jayway's
    /// alias of `length`.
    fn named(name: &str) -> Option<Function> {
        Some(match name {
            "length" | "size" => Function::Length,
            "min" => Function::Min,
            "max" => Function::Max,
            "avg" => Function::Avg,
            "stddev" => Function::StdDev,
            "sum" => Function::Sum,
            "keys" => Function::Keys,
            _ => return None,
        })
    }

    /// Jayway's other functions: they take arguments, or appeared in
    /// versions nothing shows API Gateway running.
    const JAYWAY_ONLY: &[&str] = &["concat", "append", "first", "last", "index", "distinct"];
}

/// A function's result. Jayway's `length()` is an `Integer`, the numeric
/// functions a `Double`, `keys()` a set of names.
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    Int(i64),
    Double(f64),
    Keys(Vec<String>),
}

impl Computed {
    /// The result as JSON text, as `$input.json` prints it: Java's
    /// `Double.toString` for a double (`6.0`), a JSON array of names.
    pub(crate) fn write_json(&self, out: &mut String) {
        match self {
            Computed::Int(i) => out.push_str(&i.to_string()),
            Computed::Double(d) => crate::render::java_double(*d, out),
            Computed::Keys(keys) => {
                out.push('[');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    crate::render::json_string(key, out);
                }
                out.push(']');
            }
        }
    }

    /// As a `serde_json::Value` (a non-finite double becomes null).
    pub fn to_value(&self) -> Value {
        match self {
            Computed::Int(i) => Value::from(*i),
            Computed::Double(d) => {
                serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
            }
            Computed::Keys(keys) => keys.iter().map(|k| Value::from(k.as_str())).collect(),
        }
    }
}

impl Matches<'_> {
    /// The value as Jayway returns it: the single value, a JSON array of the
    /// matches, or `None` when a definite path is missing.
    pub fn to_value(&self) -> Option<Value> {
        match self {
            Matches::Missing => None,
            Matches::One(v) => Some((*v).clone()),
            Matches::Many(vs) => Some(Value::Array(vs.iter().map(|v| (*v).clone()).collect())),
            Matches::Computed(c) => Some(c.to_value()),
        }
    }
}

/// One step of a compiled path.
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
    /// `a || b || ...`: a list, not a chain of pairs, so that a long
    /// condition nests no deeper than a short one.
    Or(Vec<Filter>),
    /// `a && b && ...`, likewise.
    And(Vec<Filter>),
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
        let mut p = parse::PathParser {
            s: &text,
            pos: 1,
            function: None,
            depth: 0,
        };
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
                    function: p.function,
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

    /// Whether the path can match at most one value (Jayway's "definite"):
    /// a path ending with a function gives one value or none.
    pub fn is_definite(&self) -> bool {
        self.definite || self.function.is_some()
    }

    /// Evaluates the path against a document. Fails, with
    /// [`ErrorKind::Limit`], when an indefinite path would visit or match
    /// more than [`MAX_QUERY_NODES`](crate::limits::MAX_QUERY_NODES) nodes.
    pub fn query<'v>(&self, root: &'v Value) -> Result<Matches<'v>, Error> {
        let start = Span {
            offset: 0,
            line: 1,
            column: 1,
        };
        self.query_node(root)
            .map_err(|f| f.at(start).into_error(&self.source, &self.source))
    }

    pub(crate) fn query_node<'v, N: Node>(&self, root: &'v N) -> Fallible<Matches<'v, N>> {
        let matches = self.query_steps(root)?;
        let Some(function) = self.function else {
            return Ok(matches);
        };
        let input = match matches {
            Matches::One(v) => query::Input::One(v),
            Matches::Many(vs) => query::Input::Many(vs),
            Matches::Missing | Matches::Computed(_) => return Ok(Matches::Missing),
        };
        Ok(query::call(function, input).map_or(Matches::Missing, Matches::Computed))
    }

    fn query_steps<'v, N: Node>(&self, root: &'v N) -> Fallible<Matches<'v, N>> {
        if self.definite {
            let mut cur = root;
            for step in &self.steps {
                match query::step_one(step, cur) {
                    Some(next) => cur = next,
                    None => return Ok(Matches::Missing),
                }
            }
            return Ok(Matches::One(cur));
        }
        let mut budget = query::Budget(MAX_QUERY_NODES);
        query::run(&self.steps, root, root, &mut budget)
            .map(Matches::Many)
            .map_err(|query::Exhausted| {
                Failure::limit(format!(
                    "JSONPath {:?} visits more than {MAX_QUERY_NODES} nodes",
                    self.source
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(path: &str, doc: &Value) -> Option<Value> {
        JsonPath::compile(path)
            .unwrap()
            .query(doc)
            .unwrap()
            .to_value()
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

    /// The filter parser recursed once per `!`, `(` or filter inside a
    /// filter, without a bound: a long enough path overflowed the stack
    /// (the `jsonpath` fuzz target's process died on SIGSEGV).
    #[test]
    fn deeply_nested_filters_are_an_error_not_a_stack_overflow() {
        let nots = format!("$[?({}@.a)]", "!".repeat(100_000));
        let parens = format!("$[?({}@.a{})]", "(".repeat(50_000), ")".repeat(50_000));
        let filters = format!("${}", "[?(@".repeat(50_000));
        for path in [nots, parens, filters] {
            let e = JsonPath::compile(&path).unwrap_err();
            assert_eq!(e.message(), "nesting deeper than 64 levels");
        }
        // 64 levels are fine.
        let doc = json!([{"a": 1}]);
        let deepest = format!("$[?({}@.a)]", "!".repeat(63));
        assert_eq!(q(&deepest, &doc), Some(json!([])));
        let deepest = format!("$[?({}@.a{})]", "(".repeat(63), ")".repeat(63));
        assert_eq!(q(&deepest, &doc), Some(json!([{"a": 1}])));
    }

    /// `a && b && ...` was parsed into a chain of pairs as deep as the
    /// condition is long, which the query and the drop then walked
    /// recursively: 10,000 conditions overflowed a 2 MB thread stack.
    #[test]
    fn long_and_or_chains_do_not_overflow_the_stack() {
        let doc = json!([{"a": 1}, {"b": 2}]);
        let and = format!("$[?(@.a{})].a", " && @.a".repeat(100_000));
        assert_eq!(q(&and, &doc), Some(json!([1])));
        let or = format!("$[?(@.x{} || @.b)].b", " || @.x".repeat(100_000));
        assert_eq!(q(&or, &doc), Some(json!([2])));
        // Precedence is unchanged: && binds tighter than ||.
        assert_eq!(
            q("$[?(@.b || @.a && @.x || @.a == 1 && !@.b)]", &doc),
            Some(doc.clone())
        );
        assert_eq!(q("$[?(@.b && @.a || @.x)]", &doc), Some(json!([])));
    }

    /// Found by fuzzing (`jsonpath`, timeout): descendants and unions
    /// multiply, so `.[0,1][0,1]..[0,10,1]...` matched a number of nodes
    /// exponential in the path's length and the query never ended.
    #[test]
    fn a_query_that_matches_without_bound_is_a_limit_error() {
        let doc: Value =
            serde_json::from_str(&format!("{}1, 2{}", "[".repeat(20), "]".repeat(20))).unwrap();
        let path = JsonPath::compile(&format!("${}", "..[0,0,0,0]".repeat(16))).unwrap();
        let e = path.query(&doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
        assert!(
            e.message().contains("visits more than 20000000 nodes"),
            "{e}"
        );
        let found = "$..[0,1]..[0,10,1]";
        assert!(JsonPath::compile(found).unwrap().query(&doc).is_ok());
        // A filter's own paths count too.
        let filter = format!("$..[?(@{})]", "..[0,0,0,0]".repeat(16));
        let e = JsonPath::compile(&filter).unwrap().query(&doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
    }

    #[test]
    fn errors_carry_a_column() {
        let e = JsonPath::compile("$.a[").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::JsonPath);
        assert_eq!(e.column(), 5);
        let e = JsonPath::compile("$.a.first()").unwrap_err();
        assert_eq!(
            e.message(),
            "the JSONPath function `first()` is not supported"
        );
        assert_eq!(e.column(), 5);
        let e = JsonPath::compile("$.a.count()").unwrap_err();
        assert!(
            e.message()
                .starts_with("unknown JSONPath function `count()`")
        );
        let e = JsonPath::compile("$.a.length(1)").unwrap_err();
        assert_eq!(e.message(), "`length()` takes no arguments");
        let e = JsonPath::compile("$.a.length().b").unwrap_err();
        assert_eq!(e.message(), "a JSONPath function ends the path");
        assert!(JsonPath::compile("$.a[?(@.b.length() > 1)]").is_err());
    }

    #[test]
    fn functions_end_a_path() {
        let doc = json!({
            "items": [3, 1.5, "x", 4, null],
            "o": {"a": 1, "b": [1, 2]},
            "r": [{"n": 2}, {"n": 6}, {"m": 1}],
            "s": "text",
            "none": []
        });
        assert_eq!(q("$.items.length()", &doc), Some(json!(5)));
        assert_eq!(q("$.items.size()", &doc), Some(json!(5)));
        assert_eq!(q("$.o.length()", &doc), Some(json!(2)));
        assert_eq!(q("$.length()", &doc), Some(json!(5)));
        assert_eq!(q("$.items.sum()", &doc), Some(json!(8.5)));
        assert_eq!(q("$.items.min()", &doc), Some(json!(1.5)));
        assert_eq!(q("$.items.max()", &doc), Some(json!(4.0)));
        assert_eq!(q("$.o.b.avg()", &doc), Some(json!(1.5)));
        assert_eq!(q("$.o.b.stddev()", &doc), Some(json!(0.5)));
        assert_eq!(q("$.o.keys()", &doc), Some(json!(["a", "b"])));
        // An indefinite path hands the function the list of its matches.
        assert_eq!(q("$.r[*].n.sum()", &doc), Some(json!(8.0)));
        assert_eq!(q("$.r[*].n.length()", &doc), Some(json!(2)));
        assert_eq!(q("$..n.max()", &doc), Some(json!(6.0)));
        // Where Jayway answers null.
        assert_eq!(q("$.s.length()", &doc), None);
        assert_eq!(q("$.missing.length()", &doc), None);
        assert_eq!(q("$.none.sum()", &doc), None);
        assert_eq!(q("$.o.sum()", &doc), None);
        assert_eq!(q("$.items.keys()", &doc), None);
        assert!(JsonPath::compile("$.items.length()").unwrap().is_definite());
    }
}
