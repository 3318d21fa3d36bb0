//! The template-injection guard: refuse to send a rendered body that is not
//! one valid JSON document, or that repeats a key in an object.
//!
//! A template such as `"PartitionKey": "$input.path('$.PartitionKey')"` pastes
//! client text between quotes. A PartitionKey of `x", "StreamName": "other` then
//! renders `..., "PartitionKey": "x", "StreamName": "other"}`: a second
//! `StreamName`, which most JSON parsers (AWS's among them) resolve to the last
//! one, retargeting the call. Checking the output, not the input, catches every
//! such template without knowing how it was written.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Checks `body`. Returns why it is refused.
pub fn check(body: &[u8]) -> Result<(), String> {
    // A rendered body is UTF-8 text. Validating it once up front lets
    // serde_json skip validating every string on its own, which costs more.
    match std::str::from_utf8(body) {
        Ok(text) => check_with(serde_json::Deserializer::from_str(text)),
        Err(_) => check_with(serde_json::Deserializer::from_slice(body)),
    }
}

fn check_with<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<(), String> {
    let mut keys = Vec::with_capacity(32);
    Strict { keys: &mut keys }
        .deserialize(&mut deserializer)
        .map_err(|e| e.to_string())?;
    deserializer
        .end()
        .map_err(|e| format!("trailing characters after the JSON document: {e}"))
}

/// A value that accepts any JSON, but no object with a repeated key.
///
/// `keys` is one stack shared by the whole document: an object's keys sit
/// on top of its enclosing objects' keys while it is parsed and are popped
/// when it closes, so checking a body allocates once, not once per object.
struct Strict<'k, 'de> {
    keys: &'k mut Vec<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Strict {
                keys: &mut *self.keys,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Objects in request bodies are small: a linear scan beats hashing
        // until they are not.
        const LINEAR: usize = 16;
        let start = self.keys.len();
        let mut many: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let repeated = if many.is_empty() && self.keys.len() - start < LINEAR {
                let repeated = self.keys[start..].contains(&key);
                self.keys.push(key.clone());
                repeated
            } else {
                many.extend(self.keys.drain(start..));
                !many.insert(key.clone())
            };
            if repeated {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            map.next_value_seed(Strict {
                keys: &mut *self.keys,
            })?;
        }
        self.keys.truncate(start);
        Ok(())
    }
}

/// An object key, borrowed from the body unless it holds escapes.
/// (`Cow<str>`'s own `Deserialize` always copies.)
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_json() {
        for ok in [
            r#"{"a": 1, "b": [1, {"a": 2}], "c": {"a": null}}"#,
            "[]",
            "\"s\"",
            " {} \n",
            r#"{"e\u0301": 1}"#,
        ] {
            assert_eq!(check(ok.as_bytes()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_the_partition_key_injection() {
        let rendered = r#"{"StreamName": "s", "Data": "eA==", "PartitionKey": "x", "StreamName": "other-stream"}"#;
        let reason = check(rendered.as_bytes()).unwrap_err();
        assert!(reason.contains("duplicate key `StreamName`"), "{reason}");
    }

    #[test]
    fn refuses_nested_duplicates_invalid_json_and_trailing_text() {
        assert!(
            check(br#"{"a": {"b": 1, "b": 2}}"#)
                .unwrap_err()
                .contains("duplicate key `b`")
        );
        // Escapes are compared decoded: "\u0061" is "a".
        assert!(
            check(br#"{"a": 1, "\u0061": 2}"#)
                .unwrap_err()
                .contains("duplicate")
        );
        assert!(check(br#"{"a": "x"y"}"#).is_err());
        assert!(
            check(br#"{"a": 1} {"b": 2}"#)
                .unwrap_err()
                .contains("trailing")
        );
        assert!(check(b"").is_err());
        assert!(check(b"{\"a\": \"\xff\"}").is_err(), "invalid UTF-8");
    }

    #[test]
    fn finds_duplicates_in_large_objects() {
        let mut body = String::from("{");
        for i in 0..40 {
            body.push_str(&format!("\"k{i}\": {i}, "));
        }
        body.push_str("\"k3\": 0}");
        assert!(
            check(body.as_bytes())
                .unwrap_err()
                .contains("duplicate key `k3`")
        );
        assert_eq!(
            check(body.replace("\"k3\": 0", "\"k99\": 0").as_bytes()),
            Ok(())
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(check(deep.as_bytes()).is_err());
    }
}
