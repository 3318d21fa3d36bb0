//! A JSON parser that builds the borrowed [`Doc`] tree directly.
//!
//! The PutRecords hot path parses every request body (up to 500 records), so
//! this is written for that shape: strings are found eight bytes at a time
//! and borrowed from the body unless they contain escapes, and nothing goes
//! through serde's visitor machinery. It accepts exactly what `serde_json`
//! accepts (RFC 8259, no trailing characters, at most 127 levels of nesting,
//! no lone surrogates, no numbers out of `f64` range), which the differential
//! tests below check, so a body that is not JSON for one is not JSON for the
//! other. Floats are correctly rounded.

use std::borrow::Cow;
use std::rc::Rc;

use super::{Doc, Member, Members};

/// `serde_json`'s recursion limit: the 128th nested array or object fails.
const MAX_DEPTH: usize = 127;

/// Why a body is not JSON. The reason is not reported anywhere: a body that
/// does not parse is used as a string.
#[derive(Debug)]
pub(crate) struct NotJson;

type Parsed<T> = Result<T, NotJson>;

/// Parses a whole JSON text.
pub(crate) fn parse(text: &str) -> Parsed<Doc<'_>> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        // Sized for a typical body so the stacks rarely grow.
        items: Vec::with_capacity(32),
        members: Vec::with_capacity(32),
        pending: Vec::with_capacity(32),
    };
    let value = p.value()?;
    p.skip_ws();
    if p.pos == p.bytes.len() {
        Ok(value)
    } else {
        Err(NotJson)
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Elements of the arrays being parsed, innermost last. Each array is
    /// moved out into a vector of exactly its size when it closes.
    items: Vec<Doc<'a>>,
    /// Members of the objects being parsed, innermost last. The objects
    /// that are elements of one array stay here until the array closes, and
    /// then share one slab (see [`Members`]).
    members: Vec<Member<'a>>,
    /// Object elements of the arrays being parsed, waiting for their slab:
    /// the element's index in `items` and its range in `members`.
    pending: Vec<(usize, usize, usize)>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Parsed<Doc<'a>> {
        self.skip_ws();
        match self.peek().ok_or(NotJson)? {
            b'{' => {
                let (start, end) = self.object()?;
                let members = self.members.drain(start..end).collect::<Vec<_>>();
                Ok(Doc::Object(Members::new(members)))
            }
            b'[' => self.array(),
            b'"' => {
                self.pos += 1;
                self.string().map(Doc::Str)
            }
            b't' => self.literal(b"true", Doc::Bool(true)),
            b'f' => self.literal(b"false", Doc::Bool(false)),
            b'n' => self.literal(b"null", Doc::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn literal(&mut self, word: &[u8], value: Doc<'a>) -> Parsed<Doc<'a>> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(NotJson)
        }
    }

    fn enter(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(NotJson);
        }
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self) -> Parsed<Doc<'a>> {
        self.enter()?;
        let items_mark = self.items.len();
        let members_mark = self.members.len();
        let pending_mark = self.pending.len();
        self.skip_ws();
        if !self.eat(b']') {
            loop {
                self.skip_ws();
                if self.peek() == Some(b'{') {
                    // An object element: its members stay on the stack.
                    let (start, end) = self.object()?;
                    self.pending.push((self.items.len(), start, end));
                    self.items.push(Doc::Null);
                } else {
                    let item = self.value()?;
                    self.items.push(item);
                }
                self.skip_ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b']') {
                    break;
                }
                return Err(NotJson);
            }
        }
        self.depth -= 1;
        if self.pending.len() > pending_mark {
            let slab: Rc<[Member<'a>]> = self.members.drain(members_mark..).collect();
            for (index, start, end) in self.pending.drain(pending_mark..) {
                let range = |i: usize| u32::try_from(i - members_mark).map_err(|_| NotJson);
                let members = Members {
                    slab: slab.clone(),
                    start: range(start)?,
                    end: range(end)?,
                };
                if let Some(slot) = self.items.get_mut(index) {
                    *slot = Doc::Object(members);
                }
            }
        }
        Ok(Doc::Array(self.items.drain(items_mark..).collect()))
    }

    /// Parses an object's members onto the `members` stack and returns
    /// their range there; the caller decides where they are stored.
    fn object(&mut self) -> Parsed<(usize, usize)> {
        self.enter()?;
        let start = self.members.len();
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                if !self.eat(b'"') {
                    return Err(NotJson);
                }
                let key = self.string()?;
                self.skip_ws();
                if !self.eat(b':') {
                    return Err(NotJson);
                }
                self.skip_ws();
                let value = if self.eat(b'"') {
                    // String values are the common case; skip the dispatch.
                    Doc::Str(self.string()?)
                } else {
                    self.value()?
                };
                self.members.push((key, value));
                self.skip_ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return Err(NotJson);
            }
        }
        self.depth -= 1;
        Ok((start, self.members.len()))
    }

    /// A string's contents, after its opening quote. Borrowed when it has no
    /// escapes. Inlined: it is most of the parse, and called from three places.
    #[inline(always)]
    fn string(&mut self) -> Parsed<Cow<'a, str>> {
        let start = self.pos;
        self.pos = scan_plain(self.bytes, self.pos);
        match self.peek() {
            Some(b'"') => {
                let s = &self.text[start..self.pos];
                self.pos += 1;
                Ok(Cow::Borrowed(s))
            }
            Some(b'\\') => self.escaped(start).map(Cow::Owned),
            // A control character or the end of the text.
            _ => Err(NotJson),
        }
    }

    /// A string with escapes, from its start to the first backslash at `pos`.
    #[cold]
    fn escaped(&mut self, start: usize) -> Parsed<String> {
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(&self.text[start..self.pos]);
        self.escaped_rest(&mut owned)?;
        Ok(owned)
    }

    /// Continues a string at a backslash, appending to `out`, through the
    /// closing quote.
    fn escaped_rest(&mut self, out: &mut String) -> Parsed<()> {
        loop {
            match self.peek().ok_or(NotJson)? {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    let letter = *self.bytes.get(self.pos + 1).ok_or(NotJson)?;
                    self.pos += 2;
                    let c = match letter {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(NotJson),
                    };
                    out.push(c);
                }
                _ => {
                    let start = self.pos;
                    self.pos = scan_plain(self.bytes, self.pos);
                    if self.pos == start {
                        // A control character.
                        return Err(NotJson);
                    }
                    out.push_str(&self.text[start..self.pos]);
                }
            }
        }
    }

    /// `XXXX` after `\u`, and the low half of a surrogate pair if needed.
    /// Leaves `pos` after the last hex digit consumed.
    fn unicode_escape(&mut self) -> Parsed<char> {
        let hi = self.hex4()?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if !(self.eat(b'\\') && self.eat(b'u')) {
                    return Err(NotJson);
                }
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(NotJson);
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(NotJson),
            _ => hi,
        };
        char::from_u32(code).ok_or(NotJson)
    }

    fn hex4(&mut self) -> Parsed<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or(NotJson)?;
        let mut v = 0;
        for &d in digits {
            let n = (d as char).to_digit(16).ok_or(NotJson)?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer when it
    /// has neither fraction nor exponent and fits an `i64`, else a double.
    fn number(&mut self) -> Parsed<Doc<'a>> {
        let start = self.pos;
        let negative = self.eat(b'-');
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotJson),
        }
        let int_end = self.pos;
        let mut integral = true;
        if self.eat(b'.') {
            integral = false;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotJson);
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotJson);
            }
            self.digits();
        }
        if integral {
            if let Some(i) = integer(&self.bytes[int_start..int_end], negative) {
                return Ok(i);
            }
        }
        let f: f64 = self.text[start..self.pos].parse().map_err(|_| NotJson)?;
        if f.is_infinite() {
            // serde_json refuses numbers beyond `f64`.
            return Err(NotJson);
        }
        Ok(Doc::Float(f))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

/// An integer that fits, as `serde_json` reads it: `-0` is the double `-0.0`.
fn integer<'a>(digits: &[u8], negative: bool) -> Option<Doc<'a>> {
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if !negative {
        return i64::try_from(v).ok().map(Doc::Int);
    }
    match v {
        0 => Some(Doc::Float(-0.0)),
        v if v <= i64::MAX as u64 + 1 => Some(Doc::Int((v as i64).wrapping_neg())),
        _ => None,
    }
}

/// The end of the run of plain string bytes (not `"`, `\` or a control
/// character) starting at `pos`, checked eight bytes at a time.
fn scan_plain(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Sets the high bit of each byte of `w` that is zero.
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = zero_bytes(w ^ (ONES * u64::from(b'"')));
        let backslash = zero_bytes(w ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20: high bit set after subtracting 0x20, and clear
        // before (so bytes >= 0x80 do not count).
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let hits = quote | backslash | control;
        if hits != 0 {
            // The lowest flagged byte is exact; borrows only propagate upwards.
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The tree `serde_json` builds, in `Doc` form, or `None` if it refuses
    /// the text. Duplicate keys are avoided by the inputs (serde's map keeps
    /// one of them).
    fn reference(text: &str) -> Option<Doc<'static>> {
        fn conv(v: &Value) -> Doc<'static> {
            match v {
                Value::Null => Doc::Null,
                Value::Bool(b) => Doc::Bool(*b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Doc::Int(i),
                    None => Doc::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(s) => Doc::Str(Cow::Owned(s.clone())),
                Value::Array(a) => Doc::Array(a.iter().map(conv).collect()),
                Value::Object(o) => Doc::Object(Members::new(
                    o.iter()
                        .map(|(k, v)| (Cow::Owned(k.clone()), conv(v)))
                        .collect(),
                )),
            }
        }
        serde_json::from_str::<Value>(text).ok().map(|v| conv(&v))
    }

    /// Equal, with floats compared to within one unit in the last place:
    /// this parser rounds correctly, `serde_json`'s default path may not.
    fn same(a: &Doc<'_>, b: &Doc<'_>) -> bool {
        match (a, b) {
            (Doc::Float(x), Doc::Float(y)) => {
                x.to_bits() == y.to_bits() || (x.to_bits() as i64 - y.to_bits() as i64).abs() <= 1
            }
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

    fn check(text: &str) {
        let ours = parse(text).ok().map(dedup);
        let theirs = reference(text);
        match (&ours, &theirs) {
            (Some(a), Some(b)) => assert!(same(a, b), "{text:?}: {a:?} != {b:?}"),
            (None, None) => {}
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

    #[test]
    fn scan_finds_the_first_special_byte() {
        let text = "abcdefgh\"ij";
        assert_eq!(scan_plain(text.as_bytes(), 0), 8);
        assert_eq!(scan_plain(b"abcdefghijklmnop\\", 0), 16);
        assert_eq!(scan_plain(b"a\x1fb", 0), 1);
        assert_eq!(scan_plain("ééééé\"".as_bytes(), 0), 10);
        assert_eq!(scan_plain(b"abc", 0), 3);
    }
}
