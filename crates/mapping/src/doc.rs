//! The request body as a borrowed JSON tree.
//!
//! A render parses the body at most once, and only if the template reads it
//! through `$input.path` / `$input.json`. Strings without escapes borrow from
//! the body and objects are plain vectors in document order, which makes the
//! parse several times cheaper than building a `serde_json::Value` (the
//! PutRecords hot path parses up to 500 records per request).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

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
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Doc<'a> {
    /// Parses a body: empty is `{}` (API Gateway), not-JSON is one string.
    pub fn parse_body(text: &'a str) -> Doc<'a> {
        if text.trim().is_empty() {
            return Doc::Object(Vec::new());
        }
        serde_json::from_str(text).unwrap_or(Doc::Str(Cow::Borrowed(text)))
    }

    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            Doc::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Doc<'de>, E> {
        Ok(i64::try_from(v).map_or(Doc::Float(v as f64), Doc::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Doc<'de>, E> {
        Ok(Doc::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(Key(k)) = map.next_key()? {
            members.push((k, map.next_value()?));
        }
        Ok(Doc::Object(members))
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc<'de>, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
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
        assert_eq!(Doc::parse_body(""), Doc::Object(Vec::new()));
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
