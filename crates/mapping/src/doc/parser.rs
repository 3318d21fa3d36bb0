//! Builds the borrowed [`Doc`] tree with `serde_json`'s parser.
//!
//! `serde_json::Deserializer` does the parsing (RFC 8259, no trailing
//! characters, at most 127 levels of nesting, no lone surrogates, no numbers
//! out of `f64` range, floats correctly rounded with its `float_roundtrip`
//! feature); the visitors here only assemble the tree. Strings without
//! escapes arrive through `visit_borrowed_str` and are borrowed from the body.
//! Objects that are elements of one array share one slab of members (see
//! [`Members`]), which is most of what building a PutRecords body costs, so
//! the members of those objects stay on a stack until the array closes.
//!
//! Integers beyond 64 bits keep their text ([`Doc::BigInt`]), as API
//! Gateway's JSON reader keeps them as `BigInteger`s. `serde_json` hands
//! them over as a `u64` above `i64::MAX` or as an `f64`, without their text
//! (only its `arbitrary_precision` feature keeps it, and that feature would
//! change every `serde_json::Value` in the workspace). The numbers that
//! arrive that way are exactly the number tokens of the body that are not
//! an `i64` and not a double below 2^63 in magnitude, and they arrive in
//! document order; so when one arrives, the next such token after the last
//! one found is its text ([`NumberTokens`]). A body without such numbers
//! pays one comparison per double and nothing else.

use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Doc, Member, Members};

/// Texts from this size on get stacks reserved for the most values they can
/// hold (see [`parse`]).
const LARGE_TEXT: usize = 64 * 1024;

/// Parses a whole JSON text, or says why it is not JSON.
///
/// A large text's stacks are reserved up front for the most values it can
/// hold (a value and its separator take two bytes at least, a member four),
/// so they never grow by copying; reserved memory that no value fills is
/// never touched, so it costs address space, not resident memory. A large
/// outermost array or object then takes its stack as it is. A 10 MB body of
/// `[0,0,...]` costs one element per value and no copy of them.
pub(crate) fn parse(text: &str) -> Result<Doc<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (items, members) = if text.len() >= LARGE_TEXT {
        (text.len() / 2 + 1, text.len() / 4 + 1)
    } else {
        // Sized for a typical body so the stacks rarely grow.
        (32, 32)
    };
    let mut stacks = Stacks {
        items: Vec::with_capacity(items),
        members: Vec::with_capacity(members),
        pending: Vec::with_capacity(32),
        big: NumberTokens::new(text),
    };
    Seed {
        stacks: &mut stacks,
        to: To::Root,
    }
    .deserialize(&mut de)?;
    de.end()?;
    stacks
        .items
        .pop()
        .ok_or_else(|| de::Error::custom("no value"))
}

/// Work stacks shared by the whole parse. Values are pushed here as they
/// are parsed rather than returned through serde's layers, and each array
/// and object is moved out into an allocation of exactly its size when it
/// closes.
struct Stacks<'a> {
    /// Elements of the arrays being parsed, innermost last (and the
    /// top-level value, at the end).
    items: Vec<Doc<'a>>,
    /// Members of the objects being parsed, innermost last. The objects
    /// that are elements of one array stay here until the array closes, and
    /// then share one slab.
    members: Vec<Member<'a>>,
    /// Object elements of the arrays being parsed, waiting for their slab:
    /// the element's index in `items` and its range in `members`.
    pending: Vec<(usize, usize, usize)>,
    /// Where the numbers that may not fit in 64 bits are found.
    big: NumberTokens<'a>,
}

/// The number tokens of a JSON text that `serde_json` cannot give exactly:
/// integers beyond `i64` and doubles of 2^63 or more in magnitude. A number
/// token is what is not in a string and starts with `-` or a digit (`true`,
/// `false` and `null` have neither). Read forward only, on demand, so the
/// whole body is read once at most, and only when it holds such a number.
struct NumberTokens<'a> {
    text: &'a str,
    /// Where reading resumes.
    at: usize,
}

impl<'a> NumberTokens<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    /// The text of the number just parsed, which does not fit in 64 bits,
    /// when it is an integer literal; `None` for a double (an exponent or
    /// a fraction).
    #[cold]
    #[inline(never)]
    fn next_integer(&mut self) -> Option<&'a str> {
        let token = self.next_beyond_i64()?;
        token
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-')
            .then_some(token)
    }

    /// The next token that is not an `i64` and not a double below 2^63.
    fn next_beyond_i64(&mut self) -> Option<&'a str> {
        const BEYOND_I64: f64 = 9_223_372_036_854_775_808.0;
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.at) {
            match b {
                b'"' => {
                    // To the closing quote, over escaped characters.
                    self.at += 1;
                    while let Some(&b) = bytes.get(self.at) {
                        self.at += if b == b'\\' { 2 } else { 1 };
                        if b == b'"' {
                            break;
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let start = self.at;
                    while bytes.get(self.at).is_some_and(|b| {
                        matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                    }) {
                        self.at += 1;
                    }
                    let token = self.text.get(start..self.at)?;
                    let integer = token.bytes().all(|b| b.is_ascii_digit() || b == b'-');
                    let beyond = if integer {
                        token.parse::<i64>().is_err()
                    } else {
                        token.parse::<f64>().is_ok_and(|v| v.abs() >= BEYOND_I64)
                    };
                    if beyond {
                        return Some(token);
                    }
                }
                _ => self.at += 1,
            }
        }
        None
    }
}

/// Where a parsed value goes.
enum To<'a> {
    /// The `items` stack, as the top-level value.
    Root,
    /// The `items` stack, as an array element.
    Item,
    /// The `members` stack, under this name.
    Member(Cow<'a, str>),
}

/// One JSON value, parsed onto the stacks.
struct Seed<'s, 'a> {
    stacks: &'s mut Stacks<'a>,
    to: To<'a>,
}

impl<'a> Seed<'_, 'a> {
    fn put(self, doc: Doc<'a>) {
        match self.to {
            To::Root | To::Item => self.stacks.items.push(doc),
            To::Member(key) => self.stacks.members.push((key, doc)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.put(Doc::Null);
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.put(Doc::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.put(Doc::Int(v));
        Ok(())
    }

    /// Beyond `i64`, the integer's text.
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let doc = match i64::try_from(v) {
            Ok(i) => Doc::Int(i),
            Err(_) => match self.stacks.big.next_integer() {
                Some(text) => Doc::BigInt(text),
                None => Doc::Float(v as f64),
            },
        };
        self.put(doc);
        Ok(())
    }

    /// A double, unless it is an integer literal beyond `u64` (or below
    /// `i64::MIN`), which `serde_json` parses as a double: then the
    /// integer's text.
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // 2^63: an integer literal within 64 bits is visited as an integer,
        // so only a double from here on may be an integer that is not.
        const BEYOND_I64: f64 = 9_223_372_036_854_775_808.0;
        if v.abs() >= BEYOND_I64
            && let Some(text) = self.stacks.big.next_integer()
        {
            self.put(Doc::BigInt(text));
            return Ok(());
        }
        self.put(Doc::Float(v));
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.put(Doc::Str(v));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.put(Doc::Text(v.into()));
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.put(Doc::Text(v.into_boxed_str()));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let stacks = self.stacks;
        let items_mark = stacks.items.len();
        let members_mark = stacks.members.len();
        let pending_mark = stacks.pending.len();
        while seq
            .next_element_seed(Seed {
                stacks: &mut *stacks,
                to: To::Item,
            })?
            .is_some()
        {}
        if stacks.pending.len() > pending_mark {
            let slab = Rc::new(take_from(&mut stacks.members, members_mark));
            for (index, start, end) in stacks.pending.drain(pending_mark..) {
                let offset = |i: usize| {
                    u32::try_from(i - members_mark)
                        .map_err(|_| de::Error::custom("too many members"))
                };
                let members = Members {
                    slab: slab.clone(),
                    start: offset(start)?,
                    end: offset(end)?,
                };
                if let Some(slot) = stacks.items.get_mut(index) {
                    *slot = Doc::Object(members);
                }
            }
        }
        let items = take_from(&mut stacks.items, items_mark);
        Seed {
            stacks,
            to: self.to,
        }
        .put(Doc::Array(items.into_boxed_slice()));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let stacks = self.stacks;
        let start = stacks.members.len();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            map.next_value_seed(Seed {
                stacks: &mut *stacks,
                to: To::Member(key),
            })?;
        }
        match self.to {
            To::Item => {
                // An array element: its members stay on the stack until the
                // array closes and gives them a shared slab; `Null` holds
                // its place.
                let end = stacks.members.len();
                stacks.pending.push((stacks.items.len(), start, end));
                stacks.items.push(Doc::Null);
            }
            to => {
                let members = take_from(&mut stacks.members, start);
                Seed { stacks, to }.put(Doc::Object(Members::new(members)));
            }
        }
        Ok(())
    }
}

/// The entries of `stack` from `mark` on. When they are the whole stack and
/// many (a large outermost array or object), the stack is taken as it is
/// rather than copied, and starts again with the reservation left over;
/// small collections are copied out, which is cheaper than a new stack.
fn take_from<T>(stack: &mut Vec<T>, mark: usize) -> Vec<T> {
    const TAKE_WHOLE: usize = 4096;
    let taken = stack.len() - mark;
    if mark == 0 && taken >= TAKE_WHOLE {
        let rest = stack.capacity() - taken;
        std::mem::replace(stack, Vec::with_capacity(rest))
    } else {
        stack.drain(mark..).collect()
    }
}

/// An object member's name.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The tree `serde_json` builds, in `Doc` form, or its error message if
    /// it refuses the text. Duplicate keys are avoided by the inputs (serde's
    /// map keeps one of them).
    fn reference(text: &str) -> Result<Doc<'static>, String> {
        fn conv(v: &Value) -> Doc<'static> {
            match v {
                Value::Null => Doc::Null,
                Value::Bool(b) => Doc::Bool(*b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Doc::Int(i),
                    None => Doc::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(s) => Doc::Text(s.as_str().into()),
                Value::Array(a) => Doc::Array(a.iter().map(conv).collect()),
                Value::Object(o) => Doc::Object(Members::new(
                    o.iter()
                        .map(|(k, v)| (Cow::Owned(k.clone()), conv(v)))
                        .collect(),
                )),
            }
        }
        serde_json::from_str::<Value>(text)
            .map(|v| conv(&v))
            .map_err(|e| e.to_string())
    }

    /// Equal, with floats compared bit for bit (so `-0.0` is not `0.0`):
    /// both sides are `serde_json` with `float_roundtrip`. An integer we keep
    /// as text is the double `serde_json` parses it into.
    fn same(a: &Doc<'_>, b: &Doc<'_>) -> bool {
        match (a, b) {
            (Doc::Float(x), Doc::Float(y)) => x.to_bits() == y.to_bits(),
            (Doc::BigInt(text), Doc::Float(y)) => text
                .parse::<f64>()
                .is_ok_and(|x| x.to_bits() == y.to_bits()),
            (Doc::Array(x), Doc::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Doc::Object(x), Doc::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
            }
            _ => a == b,
        }
    }

    /// `ours` as an insertion-ordered map sees it: a repeated key keeps its
    /// first position and its last value.
    fn dedup(d: Doc<'_>) -> Doc<'_> {
        match d {
            Doc::Array(a) => Doc::Array(a.into_iter().map(dedup).collect()),
            Doc::Object(o) => {
                let mut out: Vec<(Cow<'_, str>, Doc<'_>)> = Vec::new();
                for (k, v) in o.iter().cloned() {
                    let v = dedup(v);
                    match out.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Doc::Object(Members::new(out))
            }
            other => other,
        }
    }

    /// The same tree as `serde_json`, or the same error: the validator
    /// reports it for a body that is not JSON.
    fn check(text: &str) {
        let ours = parse(text).map(dedup).map_err(|e| e.to_string());
        let theirs = reference(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert!(same(a, b), "{text:?}: {a:?} != {b:?}"),
            (Err(a), Err(b)) => assert_eq!(a, b, "{text:?}"),
            _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        let cases = [
            "0",
            "-0",
            "-0.0",
            "1",
            "-1",
            "01",
            "-01",
            "1.",
            ".5",
            "1.5",
            "1e5",
            "1E+5",
            "1e-5",
            "1e",
            "1e+",
            "-",
            "+1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890",
            "1e308",
            "1e309",
            "-1e309",
            "1e-400",
            "2.2250738585072014e-308",
            "0.1",
            "0.30000000000000004",
            "3.141592653589793238462643383279",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "truex",
            "\"\"",
            "\"a\"",
            "\"a",
            "\"\\\"\"",
            "\"\\/\"",
            "\"\\x\"",
            "\"\\u00e9\"",
            "\"\\u00E9x\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\ud83d\\u0041\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"tab\there\"",
            "\"nl\nhere\"",
            "\"\u{7f}\"",
            "\"é😀\"",
            "\"ab\\ncd\\tef\\\\gh\"",
            "[]",
            "[ ]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,2",
            "{}",
            "{ }",
            "{\"a\":1}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":}",
            "{\"a\":1 \"b\":2}",
            " \t\n\r{\"a\" : [ 1 , {\"b\" : null} ] } \n",
            "{} x",
            "[] []",
            "\u{feff}{}",
            "{\"k\\\"ey\":\"v\\\\al\"}",
            "[\"\\u0000\"]",
            "[1.5e3, -2E-2, 0e0, 0.0e+0]",
            "\"0123456789abcdef\\\"0123456789abcdef\"",
            "\"01234567\"",
            "\"0123456\"",
            "\"012345678\"",
        ];
        for c in cases {
            check(c);
        }
    }

    /// Large texts take the reserved-stack path: outermost collections that
    /// take their stack, small ones before and after them that are copied,
    /// and a large array of objects sharing one slab.
    #[test]
    fn large_texts_agree_with_serde_json() {
        let zeros = vec!["0"; 50_000].join(",");
        let records = (0..10_000)
            .map(|n| format!(r#"{{"data": "r{n}", "partition-key": "k{n}"}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let members = (0..10_000)
            .map(|n| format!(r#""m{n}": [{n}]"#))
            .collect::<Vec<_>>()
            .join(",");
        for text in [
            format!("[{zeros}]"),
            format!(r#"{{"small": [1, 2], "Data": [{zeros}], "after": [[3], {{"x": 4}}]}}"#),
            format!(r#"{{"records": [{records}]}}"#),
            format!("[[{zeros}], [{zeros}]]"),
            format!("{{{members}}}"),
        ] {
            assert!(text.len() >= LARGE_TEXT, "{}", text.len());
            check(&text);
        }
    }

    #[test]
    fn nesting_limit_matches_serde_json() {
        for depth in [1, 100, 126, 127, 128, 129, 200] {
            check(&("[".repeat(depth) + &"]".repeat(depth)));
            check(&("{\"a\":".repeat(depth) + "1" + &"}".repeat(depth)));
        }
    }

    /// Random JSON-like texts, valid and then mutated byte by byte.
    #[test]
    fn agrees_with_serde_json_on_random_texts() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const PIECES: &[&str] = &[
            "\"plain\"",
            "\"esc\\\"aped\\n\"",
            "\"\\u00e9\\ud83d\\ude00\"",
            "\"ünï\"",
            "0",
            "-12",
            "3.25",
            "1e3",
            "-0",
            "true",
            "false",
            "null",
            "9999999999999999999",
            "\"a longer string of plain text, past eight bytes\"",
        ];
        fn generate(depth: u32, next: &mut impl FnMut() -> u64, out: &mut String) {
            match next() % if depth > 4 { 1 } else { 3 } {
                0 => out.push_str(PIECES[(next() % PIECES.len() as u64) as usize]),
                1 => {
                    out.push('[');
                    for i in 0..next() % 4 {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        generate(depth + 1, next, out);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..next() % 4 {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&format!("\"k{i}\": "));
                        generate(depth + 1, next, out);
                    }
                    out.push('}');
                }
            }
        }
        const NOISE: &[u8] = b"\"\\{}[],: -+.eE0u\n\x01xa";
        for _ in 0..3000 {
            let mut text = String::new();
            generate(0, &mut next, &mut text);
            check(&text);
            // Mutations stay ASCII so the text stays a `str`.
            let mut bytes = text.into_bytes();
            for _ in 0..1 + next() % 3 {
                let at = (next() % (bytes.len() as u64 + 1)) as usize;
                let b = NOISE[(next() % NOISE.len() as u64) as usize];
                match next() % 3 {
                    0 => bytes.insert(at, b),
                    1 if at < bytes.len() && bytes[at].is_ascii() => bytes[at] = b,
                    _ if at < bytes.len() && bytes[at].is_ascii() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            if let Ok(mutated) = String::from_utf8(bytes) {
                check(&mutated);
            }
        }
    }

    /// Strings of several lengths, plain, with escapes, with a raw control
    /// character or multi-byte characters: plain ones are borrowed from the
    /// text, escaped ones owned, and a raw control character is refused.
    #[test]
    fn strings_end_at_the_first_special_byte() {
        for text in [
            "\"abcdefgh\"",
            "\"abcdefghijklmnop\\n\"",
            "\"a\u{1f}b\"",
            "\"ééééé\"",
            "\"abc\"",
            "\"abcdefg\"",
            "\"abcdefghi\"",
            "\"abcdefgh\\\"ij\"",
        ] {
            check(text);
        }
        assert!(matches!(parse("\"abcdefgh\""), Ok(Doc::Str("abcdefgh"))));
        assert!(matches!(
            parse("\"abcdefghijklmnop\\n\""),
            Ok(Doc::Text(s)) if &*s == "abcdefghijklmnop\n"
        ));
        assert_eq!(
            parse("\"a\u{1f}b\"").map_err(|e| e.to_string()),
            Err("control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3".to_string())
        );
    }

    /// Integer literals beyond 64 bits keep their text, wherever they are:
    /// among strings that hold digits and quotes, after escapes, in keys'
    /// values; a double as large (an exponent, a fraction) stays a double.
    #[test]
    fn integers_beyond_64_bits_keep_their_text() {
        let text = r#"{"s": "1 \" 2", "k-3": [9223372036854775807, 9223372036854775808],
            "neg": -9223372036854775809, "min": -9223372036854775808,
            "huge": 123456789012345678901234567890, "u": 18446744073709551615,
            "e": 1e30, "f": 9223372036854775808.0, "g": 1.5E19, "n": [0, -0, 1.5]}"#;
        let doc = parse(text).unwrap();
        let at = |k: &str| doc.get(k).cloned().unwrap();
        let Doc::Array(k3) = at("k-3") else { panic!() };
        assert_eq!(k3[0], Doc::Int(i64::MAX));
        assert_eq!(k3[1], Doc::BigInt("9223372036854775808"));
        assert_eq!(at("neg"), Doc::BigInt("-9223372036854775809"));
        assert_eq!(at("min"), Doc::Int(i64::MIN));
        assert_eq!(at("huge"), Doc::BigInt("123456789012345678901234567890"));
        assert_eq!(at("u"), Doc::BigInt("18446744073709551615"));
        assert_eq!(at("e"), Doc::Float(1e30));
        assert_eq!(at("f"), Doc::Float(9223372036854775808.0));
        assert_eq!(at("g"), Doc::Float(1.5e19));
        // A string ending in an escaped backslash, then a big integer.
        assert_eq!(
            parse(r#"[1,"\\",-99999999999999999999]"#).unwrap(),
            Doc::Array(
                vec![
                    Doc::Int(1),
                    Doc::Text("\\".into()),
                    Doc::BigInt("-99999999999999999999")
                ]
                .into()
            )
        );
        // Digits in strings are not numbers; doubles as large are skipped in turn.
        assert_eq!(
            parse(r#"{"s": "-77777777777777777777", "d": [1e30, -2E30, 5.0e18], "n": 88888888888888888888}"#)
                .unwrap()
                .get("n"),
            Some(&Doc::BigInt("88888888888888888888"))
        );
        assert_eq!(
            parse("[1e30, 2e30, 100000000000000000000000000000000]").unwrap(),
            Doc::Array(
                vec![
                    Doc::Float(1e30),
                    Doc::Float(2e30),
                    Doc::BigInt("100000000000000000000000000000000")
                ]
                .into()
            )
        );
        assert_eq!(
            parse("99999999999999999999").unwrap(),
            Doc::BigInt("99999999999999999999")
        );
    }

    /// Floats are correctly rounded (`serde_json`'s `float_roundtrip`), so
    /// they agree bit for bit with the standard library's parser.
    #[test]
    fn floats_are_correctly_rounded() {
        for text in [
            "0.1",
            "2.2250738585072014e-308",
            "2.2250738585072011e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "9007199254740993.0",
            "3.141592653589793238462643383279",
            "0.30000000000000004",
            "8.95",
            "1.00000000000000011102230246251565404236316680908203125",
            "7.038531e-26",
        ] {
            let Ok(Doc::Float(f)) = parse(text) else {
                panic!("{text}: not a float")
            };
            let expected: f64 = text.parse().unwrap();
            assert_eq!(f.to_bits(), expected.to_bits(), "{text}");
        }
    }
}
