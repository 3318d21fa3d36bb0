//! A body as a borrowed JSON tree.
//!
//! A request parses its body at most once (see [`crate::Body`]), and only if
//! something reads the document. Strings without escapes borrow from
//! the body and objects are plain slices in document order, which makes the
//! parse several times cheaper than building a `serde_json::Value` (the
//! PutRecords hot path parses up to 500 records per request). `serde_json`
//! parses; [`parser`] builds the tree from its visitor callbacks.

mod parser;

use std::borrow::Cow;
use std::ops::Deref;
use std::rc::Rc;

/// Every variant holds at most two words, so a value is three: a body of
/// small values (`[0,0,...]`) costs 24 bytes a value.
#[derive(Debug, Clone)]
pub(crate) enum Doc<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer literal beyond 64 bits, as written in the body (digits
    /// and a leading `-`): API Gateway's JSON reader parses it into a
    /// `BigInteger`, which prints every digit.
    BigInt(&'a str),
    Float(f64),
    /// A string without escapes, borrowed from the body.
    Str(&'a str),
    /// A string whose escapes were decoded.
    Text(Box<str>),
    Array(Box<[Doc<'a>]>),
    /// Members in document order. A repeated name keeps every member; lookups
    /// take the last, as Java JSON parsers keep the last value.
    Object(Members<'a>),
}

/// One member of an object.
pub(crate) type Member<'a> = (Cow<'a, str>, Doc<'a>);

/// An object's members: a range of a slab shared by the objects of one
/// array. The records of a PutRecords body then cost one allocation for all
/// of them instead of one each, which is most of what parsing them costs.
/// The slab is the `Vec` the parser filled, shared as it is: a large object
/// is never copied into a second allocation.
#[derive(Debug, Clone)]
pub(crate) struct Members<'a> {
    slab: Rc<Vec<Member<'a>>>,
    start: u32,
    end: u32,
}

impl<'a> Members<'a> {
    /// Members that own their slab.
    pub fn new(members: Vec<Member<'a>>) -> Members<'a> {
        let end = u32::try_from(members.len()).unwrap_or(u32::MAX);
        Members {
            slab: Rc::new(members),
            start: 0,
            end,
        }
    }
}

impl<'a> Deref for Members<'a> {
    type Target = [Member<'a>];

    fn deref(&self) -> &[Member<'a>] {
        self.slab
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// Equal values are equal however their strings are held.
impl PartialEq for Doc<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Doc::Null, Doc::Null) => true,
            (Doc::Bool(a), Doc::Bool(b)) => a == b,
            (Doc::Int(a), Doc::Int(b)) => a == b,
            (Doc::BigInt(a), Doc::BigInt(b)) => a == b,
            (Doc::Float(a), Doc::Float(b)) => a == b,
            (Doc::Array(a), Doc::Array(b)) => a == b,
            (Doc::Object(a), Doc::Object(b)) => a == b,
            (a, b) => a.as_str().is_some() && a.as_str() == b.as_str(),
        }
    }
}

impl PartialEq for Members<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a> Doc<'a> {
    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            Doc::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Parses a JSON text, or says why it is not JSON.
    pub fn parse(text: &'a str) -> Result<Doc<'a>, serde_json::Error> {
        parser::parse(text)
    }

    /// The same document as a `serde_json::Value`, built from the tree
    /// without parsing again. A repeated name keeps its first position and
    /// its last value, and an integer beyond 64 bits is a double, as
    /// `serde_json` parses them.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Doc::Null => Value::Null,
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Int(i) => Value::from(*i),
            Doc::BigInt(text) => match text.parse::<u64>() {
                Ok(u) => Value::from(u),
                Err(_) => text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
            },
            // A parsed float is finite: `serde_json` refuses the others.
            Doc::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Doc::Str(s) => Value::String((*s).to_string()),
            Doc::Text(s) => Value::String(s.to_string()),
            Doc::Array(items) => Value::Array(items.iter().map(Doc::to_value).collect()),
            Doc::Object(members) => {
                let mut map = serde_json::Map::with_capacity(members.len());
                for (name, value) in members.iter() {
                    map.insert(name.to_string(), value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            Doc::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl<'a> crate::jsonpath::Node for Doc<'a> {
    fn member(&self, key: &str) -> Option<&Doc<'a>> {
        self.get(key)
    }

    fn items(&self) -> Option<&[Doc<'a>]> {
        match self {
            Doc::Array(a) => Some(a),
            _ => None,
        }
    }

    fn for_each_child<'s>(&'s self, f: &mut dyn FnMut(&'s Doc<'a>)) {
        match self {
            Doc::Array(a) => a.iter().for_each(f),
            Doc::Object(o) => o.iter().for_each(|(_, v)| f(v)),
            _ => {}
        }
    }

    fn scalar(&self) -> crate::jsonpath::Scalar<'_> {
        use crate::jsonpath::Scalar;
        match self {
            Doc::Null => Scalar::Null,
            Doc::Bool(b) => Scalar::Bool(*b),
            Doc::Int(i) => Scalar::Num(*i as f64),
            Doc::BigInt(text) => Scalar::Num(text.parse().unwrap_or(f64::NAN)),
            Doc::Float(f) => Scalar::Num(*f),
            Doc::Str(s) => Scalar::Str(s),
            Doc::Text(s) => Scalar::Str(s),
            Doc::Array(_) | Doc::Object(_) => Scalar::Composite,
        }
    }

    fn keys(&self) -> Option<Vec<&str>> {
        let Doc::Object(members) = self else {
            return None;
        };
        // A repeated name is one key, as in the Java map it would parse into.
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        Some(
            members
                .iter()
                .map(|(name, _)| &**name)
                .filter(|name| seen.insert(*name))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowing_where_it_can() {
        let text = r#"{"a": "plain", "b": "esc\"aped", "n": [1, -2, 1.5, 18446744073709551615, null, true]}"#;
        let doc = Doc::parse(text).unwrap();
        assert!(matches!(doc.get("a"), Some(&Doc::Str("plain"))));
        assert!(matches!(doc.get("b"), Some(Doc::Text(s)) if &**s == "esc\"aped"));
        let Some(Doc::Array(n)) = doc.get("n") else {
            panic!()
        };
        assert_eq!(n[0], Doc::Int(1));
        assert_eq!(n[1], Doc::Int(-2));
        assert_eq!(n[2], Doc::Float(1.5));
        assert_eq!(n[3], Doc::BigInt("18446744073709551615"));
        assert_eq!(n[4], Doc::Null);
        assert_eq!(
            Doc::parse(r#"{"k":1,"k":2}"#).unwrap().get("k"),
            Some(&Doc::Int(2))
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(
            Doc::parse(&deep).map_err(|e| e.to_string()),
            Err("recursion limit exceeded at line 1 column 128".to_string())
        );
    }

    #[test]
    fn converts_to_the_value_serde_json_parses() {
        for text in [
            r#"{"a": [1, -2, 1.5, 1e300, null, true, "s", "esc\"aped"], "b": {"c": {}}, "d": []}"#,
            r#"{"k": 1, "j": 0, "k": 2}"#,
            r#""top""#,
            "-0.0",
            "9223372036854775807",
            "[9223372036854775808, 18446744073709551615, 18446744073709551616, -9223372036854775809]",
        ] {
            let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(Doc::parse(text).unwrap().to_value(), parsed, "{text}");
        }
    }

    /// A value is three words: a large body of small values costs 24 bytes
    /// a value (see `doc/parser.rs`).
    #[test]
    fn a_value_is_three_words() {
        assert_eq!(std::mem::size_of::<Doc<'_>>(), 24);
    }
}
