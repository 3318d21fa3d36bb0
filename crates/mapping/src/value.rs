//! Runtime values, with Java's semantics where templates can observe them.
//!
//! Values borrow what they can: strings from the template and the request,
//! objects and arrays from the body parsed once per render ([`Value::Json`]).
//! Lists and maps built by a template are shared and mutable, as Java
//! references are (`#set($b = $a)` then `$b.add(1)` changes `$a`).

use std::cell::RefCell;
use std::rc::Rc;

use crate::ast::Block;
use crate::doc::Doc;

pub(crate) type ListRef<'a> = Rc<RefCell<List<'a>>>;
pub(crate) type MapRef<'a> = Rc<RefCell<Map<'a>>>;

#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    /// Undefined, missing or JSON `null`. Renders as nothing on API Gateway.
    Null,
    Bool(bool),
    Int(i64),
    /// An integer from the body beyond 64 bits, as written there (a Java
    /// `BigInteger`): printed digit for digit; arithmetic and comparisons
    /// read it as a double.
    BigInt(&'a str),
    Float(f64),
    Str(&'a str),
    /// A string computed at render time (shared, so copies of the value are cheap).
    String(Rc<String>),
    /// An object or array inside the request body (never a scalar: those are
    /// turned into the variants above on access). Read-only.
    Json(&'a Doc<'a>),
    List(ListRef<'a>),
    Map(MapRef<'a>),
    /// `[a..b]`, inclusive, either direction; materialised only on demand.
    Range(i64, i64),
    /// `$input`, `$util`, `$context`, ... whose members are computed on access.
    Object(Builtin),
    /// A `#define` block: rendered each time it is referenced.
    Define(&'a Block),
}

/// The variables API Gateway provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Input,
    Util,
    Context,
    Identity,
    ContextError,
    /// `$context.authorizer`.
    Authorizer,
    /// `$context.authorizer.claims`.
    Claims,
    StageVariables,
    /// `$foreach` of the loop at this depth of the loop stack.
    Loop(usize),
}

#[derive(Debug, Default)]
pub(crate) struct List<'a> {
    pub items: Vec<Value<'a>>,
    /// Renders as compact JSON (lists from the body or `$util.parseJson`)
    /// rather than Java's `[a, b]` (lists built in the template).
    pub json: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Map<'a> {
    pub entries: Vec<(Rc<str>, Value<'a>)>,
    /// Header maps: a lookup falls back to a case-insensitive match.
    pub case_insensitive: bool,
    /// An element of `entrySet()`, holding `key` and `value`: prints as
    /// Java's `Map.Entry` does, `key=value`.
    pub entry: bool,
}

impl<'a> Map<'a> {
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        let exact = self
            .entries
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v);
        if exact.is_some() || !self.case_insensitive {
            return exact;
        }
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Java `put`: replaces in place or appends; returns the previous value.
    pub fn insert(&mut self, key: Rc<str>, value: Value<'a>) -> Value<'a> {
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            return std::mem::replace(&mut slot.1, value);
        }
        self.entries.push((key, value));
        Value::Null
    }

    pub fn remove(&mut self, key: &str) -> Value<'a> {
        match self.entries.iter().position(|(k, _)| &**k == key) {
            Some(i) => self.entries.remove(i).1,
            None => Value::Null,
        }
    }
}

/// A number as Java's math sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    I(i64),
    F(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

impl<'a> Value<'a> {
    pub fn from_json(v: &'a Doc<'a>) -> Value<'a> {
        match v {
            Doc::Null => Value::Null,
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Int(i) => Value::Int(*i),
            Doc::BigInt(text) => Value::BigInt(text),
            Doc::Float(f) => Value::Float(*f),
            Doc::Str(s) => Value::Str(s),
            Doc::Text(s) => Value::Str(s),
            Doc::Array(_) | Doc::Object(_) => Value::Json(v),
        }
    }

    pub fn string(s: String) -> Value<'a> {
        Value::String(Rc::new(s))
    }

    pub fn new_list(items: Vec<Value<'a>>, json: bool) -> Value<'a> {
        Value::List(Rc::new(RefCell::new(List { items, json })))
    }

    pub fn new_map(entries: Vec<(Rc<str>, Value<'a>)>) -> Value<'a> {
        Value::Map(Rc::new(RefCell::new(Map {
            entries,
            ..Map::default()
        })))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7 truth: null is false, a Boolean is itself, anything else
    /// (empty strings included) is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<Num> {
        match self {
            Value::Int(i) => Some(Num::I(*i)),
            Value::BigInt(text) => Some(Num::F(text.parse().unwrap_or(f64::NAN))),
            Value::Float(f) => Some(Num::F(*f)),
            _ => None,
        }
    }

    /// An integer argument (Java would unbox or coerce an Integer).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }

    pub fn is_stringish(&self) -> bool {
        matches!(self, Value::Str(_) | Value::String(_))
    }
}

pub(crate) fn number_value<'a>(n: &serde_json::Number) -> Value<'a> {
    if let Some(i) = n.as_i64() {
        Value::Int(i)
    } else {
        Value::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Numeric comparison across integers and floats.
pub(crate) fn compare_nums(a: Num, b: Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

/// Java arithmetic on two numbers: integer when both are integers (with
/// truncating division), double otherwise. Integer overflow widens to double
/// (Java would widen to `long`, then `BigInteger`). Division or remainder by
/// zero gives null, as Velocity logs and returns null.
pub(crate) fn arith(op: crate::ast::BinOp, a: Num, b: Num) -> Option<Num> {
    use crate::ast::BinOp::*;
    match (a, b) {
        (Num::I(x), Num::I(y)) => {
            let r = match op {
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                Mul => x.checked_mul(y),
                Div => {
                    if y == 0 {
                        return None;
                    }
                    x.checked_div(y)
                }
                Mod => {
                    if y == 0 {
                        return None;
                    }
                    x.checked_rem(y)
                }
                _ => return None,
            };
            match r {
                Some(r) => Some(Num::I(r)),
                None => arith(op, Num::F(x as f64), Num::F(y as f64)),
            }
        }
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            if matches!(op, Div | Mod) && y == 0.0 {
                return None;
            }
            Some(Num::F(match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div => x / y,
                Mod => x % y,
                _ => return None,
            }))
        }
    }
}
