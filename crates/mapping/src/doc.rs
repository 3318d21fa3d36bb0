//! The request body as a borrowed JSON tree.
//!
//! A render parses the body at most once, and only if the template reads it
//! through `$input.path` / `$input.json`. Strings without escapes borrow from
//! the body and objects are plain slices in document order, which makes the
//! parse several times cheaper than building a `serde_json::Value` (the
//! PutRecords hot path parses up to 500 records per request). `serde_json`
//! parses; [`parser`] builds the tree from its visitor callbacks.

mod parser;

use std::borrow::Cow;
use std::ops::Deref;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Doc<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Doc<'a>>),
    /// Members in document order. A repeated name keeps every member; lookups
    /// take the last, as Java JSON parsers keep the last value.
    Object(Members<'a>),
}

/// One member of an object.
pub(crate) type Member<'a> = (Cow<'a, str>, Doc<'a>);

/// An object's members: a range of a slab shared by the objects of one
/// array. The records of a PutRecords body then cost one allocation for all
/// of them instead of one each, which is most of what parsing them costs.
#[derive(Debug, Clone)]
pub(crate) struct Members<'a> {
    slab: Rc<[Member<'a>]>,
    start: u32,
    end: u32,
}

impl<'a> Members<'a> {
    /// Members that own their slab.
    pub fn new(members: Vec<Member<'a>>) -> Members<'a> {
        let end = u32::try_from(members.len()).unwrap_or(u32::MAX);
        Members {
            slab: members.into(),
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

impl PartialEq for Members<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a> Doc<'a> {
    /// Parses a body: empty is `{}` (API Gateway), not-JSON is one string.
    pub fn parse_body(text: &'a str) -> Doc<'a> {
        if text.trim().is_empty() {
            return Doc::Object(Members::new(Vec::new()));
        }
        parser::parse(text).unwrap_or(Doc::Str(Cow::Borrowed(text)))
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
            Doc::Float(f) => Scalar::Num(*f),
            Doc::Str(s) => Scalar::Str(s),
            Doc::Array(_) | Doc::Object(_) => Scalar::Composite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowing_where_it_can() {
        let text = r#"{"a": "plain", "b": "esc\"aped", "n": [1, -2, 1.5, 18446744073709551615, null, true]}"#;
        let doc = Doc::parse_body(text);
        assert!(matches!(
            doc.get("a"),
            Some(Doc::Str(Cow::Borrowed("plain")))
        ));
        assert!(matches!(doc.get("b"), Some(Doc::Str(Cow::Owned(s))) if s == "esc\"aped"));
        let Some(Doc::Array(n)) = doc.get("n") else {
            panic!()
        };
        assert_eq!(n[0], Doc::Int(1));
        assert_eq!(n[1], Doc::Int(-2));
        assert_eq!(n[2], Doc::Float(1.5));
        assert_eq!(n[3], Doc::Float(18446744073709551615.0));
        assert_eq!(n[4], Doc::Null);
        assert_eq!(Doc::parse_body(""), Doc::Object(Members::new(Vec::new())));
        assert_eq!(Doc::parse_body("a=b"), Doc::Str(Cow::Borrowed("a=b")));
        assert_eq!(
            Doc::parse_body(r#"{"k":1,"k":2}"#).get("k"),
            Some(&Doc::Int(2))
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(matches!(Doc::parse_body(&deep), Doc::Str(_)));
    }
}
