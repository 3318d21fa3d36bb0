//! The tokenizer behind [`super::check`]: one pass over the body that
//! follows strings, escapes, objects, arrays and keys, stopping at each
//! interpolation to hold it to its rule.
//!
//! It is lenient about everything the rules do not need: any `\x` is an
//! escape (so `\'` is fine), and the template's own text is not validated.
//! It runs on every guarded request: its stacks are the caller's, reused
//! ([`Scratch`]), and it allocates only to hash the keys of objects that
//! have many. On the tutorial's PutRecords body (100 records, 14 KB) it takes
//! about as long as `serde_json` takes to skim the same text, and less than
//! the duplicate-key parse that was the guard before it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::{Breach, Found, Interpolation};

/// Keys of an object are compared one by one up to this many, then hashed:
/// request bodies have few keys per object, a hostile `$input.json('$')` can
/// have a million.
const LINEAR: usize = 16;

/// The bytes outside strings that the scan acts on: a string's quote, and
/// the brackets, and the comma that tells a key from a value.
static SIGNIFICANT: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 6 {
        table[b"\"{}[],"[i] as usize] = true;
        i += 1;
    }
    table
};

/// A repeated key is quoted in the message up to this many characters.
const KEY_IN_MESSAGE: usize = 100;

/// The stacks a scan fills, kept by [`super::Interpolations`] so that a
/// check allocates nothing once they have grown to the bodies it sees.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// The open objects and arrays.
    frames: Vec<Frame>,
    /// The keys of the open objects that are still compared one by one,
    /// each object's after those of the objects around it.
    keys: Vec<Key>,
    /// [`one_value`]'s open objects (`true`) and arrays.
    nesting: Vec<bool>,
}

pub(super) struct Scan<'b, 's> {
    body: &'b [u8],
    pos: usize,
    /// The string the scan is in.
    string: Option<Str>,
    /// The last byte of [`SIGNIFICANT`] outside strings, or the `"` that
    /// closed the last string: what tells a key from a value.
    last: u8,
    frames: &'s mut Vec<Frame>,
    keys: &'s mut Vec<Key>,
    nesting: &'s mut Vec<bool>,
    /// The keys of the open objects past [`LINEAR`] keys, innermost last.
    hashed: Vec<Hashed<'b>>,
    /// The interpolation whose bytes, outside strings, are being scanned.
    inside: Option<usize>,
}

/// An open string.
struct Str {
    /// Where its text starts, after the quote.
    start: usize,
    key: bool,
    escaped: bool,
    /// The first interpolation that printed into it.
    by: Option<usize>,
}

/// An object key: its text (between the quotes) and who printed it.
#[derive(Debug, Clone, Copy)]
struct Key {
    start: usize,
    end: usize,
    escaped: bool,
    by: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    /// This object's keys in `keys` start here.
    keys_from: usize,
    /// Past [`LINEAR`] keys: its keys are hashed, on top of `hashed`.
    hashed: bool,
}

/// Decoded keys, each with the first interpolation that printed one of that
/// name.
type Hashed<'b> = HashMap<Cow<'b, [u8]>, Option<usize>>;

impl<'b, 's> Scan<'b, 's> {
    pub fn new(body: &'b [u8], scratch: &'s mut Scratch) -> Scan<'b, 's> {
        scratch.frames.clear();
        scratch.keys.clear();
        Scan {
            body,
            pos: 0,
            string: None,
            last: 0,
            frames: &mut scratch.frames,
            keys: &mut scratch.keys,
            nesting: &mut scratch.nesting,
            hashed: Vec::new(),
            inside: None,
        }
    }

    pub fn run(mut self, interpolations: &[Interpolation]) -> Result<(), Found> {
        let len = self.body.len();
        for (index, i) in interpolations.iter().enumerate() {
            // Ranges come from the render of this body; clamped all the same,
            // so that a mismatched list cannot make the scan panic.
            let start = (i.start as usize).min(len);
            let end = (i.end as usize).clamp(start, len);
            self.scan_to(start)?;
            let refused = |breach| Found { index, breach };
            match &mut self.string {
                Some(s) => {
                    s.by.get_or_insert(index);
                    self.in_string(start, end).map_err(refused)?;
                }
                None => {
                    one_value(&self.body[start..end], self.nesting).map_err(refused)?;
                    // A value that is a key, or holds objects, has keys to
                    // compare: scan it as the body.
                    self.inside = Some(index);
                    self.scan_to(end)?;
                    self.inside = None;
                }
            }
        }
        self.scan_to(len)
    }

    /// Holds the bytes `start..end`, printed inside a string, to staying in it.
    fn in_string(&mut self, start: usize, end: usize) -> Result<(), Breach> {
        // The template's own backslash may have escaped the first byte.
        let mut pos = self.pos.max(start);
        while let Some(offset) =
            find_quote_or_backslash(self.body.get(pos..end).unwrap_or_default())
        {
            let at = pos + offset;
            if self.body[at] == b'"' {
                return Err(Breach::ClosedString);
            }
            if at + 1 >= end {
                return Err(Breach::DanglingEscape);
            }
            if let Some(s) = &mut self.string {
                s.escaped = true;
            }
            pos = at + 2;
        }
        self.pos = end.max(self.pos);
        Ok(())
    }

    /// Tokenizes up to `limit` (or one byte past it, when an escape ends there).
    fn scan_to(&mut self, limit: usize) -> Result<(), Found> {
        let body = self.body;
        // In a local, not `self.pos`, so that it stays in a register; and one
        // loop for string text, one for the rest, so that neither tests which
        // it is in at every byte.
        let mut pos = self.pos;
        loop {
            if let Some(s) = &mut self.string {
                loop {
                    let Some(offset) =
                        find_quote_or_backslash(body.get(pos..limit).unwrap_or_default())
                    else {
                        self.pos = pos.max(limit);
                        return Ok(());
                    };
                    let at = pos + offset;
                    pos = at + 1;
                    if body[at] == b'"' {
                        break;
                    }
                    s.escaped = true;
                    pos += 1;
                }
                self.last = b'"';
                if let Some(s) = self.string.take().filter(|s| s.key) {
                    self.key(Key {
                        start: s.start,
                        end: pos - 1,
                        escaped: s.escaped,
                        by: s.by,
                    })?;
                }
            }
            loop {
                // Whitespace and scalars change nothing here: only the bytes
                // of [`SIGNIFICANT`] stop the scan.
                pos += skip_insignificant(body.get(pos..limit).unwrap_or_default());
                while pos < limit && !SIGNIFICANT[usize::from(body[pos])] {
                    pos += 1;
                }
                if pos >= limit {
                    self.pos = pos;
                    return Ok(());
                }
                let b = body[pos];
                pos += 1;
                let before = std::mem::replace(&mut self.last, b);
                match b {
                    b'"' => {
                        self.string = Some(Str {
                            start: pos,
                            // After `{`, or a `,` in an object.
                            key: matches!(before, b'{' | b',')
                                && self.frames.last().is_some_and(|f| f.object),
                            escaped: false,
                            by: self.inside,
                        });
                        break;
                    }
                    b'{' | b'[' => self.frames.push(Frame {
                        object: b == b'{',
                        keys_from: self.keys.len(),
                        hashed: false,
                    }),
                    b'}' | b']' => {
                        // The template's own text may not balance: not our affair.
                        if let Some(frame) = self.frames.pop() {
                            self.keys.truncate(frame.keys_from);
                            if frame.hashed {
                                self.hashed.pop();
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Notes a key of the innermost object; refuses it if an interpolation
    /// printed it or the key it repeats.
    fn key(&mut self, key: Key) -> Result<(), Found> {
        let body = self.body;
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        let repeated = |by: Option<usize>, text: &[u8]| match by {
            Some(index) => Err(Found {
                index,
                breach: Breach::RepeatedKey(quote(text)),
            }),
            // The template wrote both: its own affair.
            None => Ok(()),
        };
        if frame.hashed {
            let Some(many) = self.hashed.last_mut() else {
                return Ok(());
            };
            let text = decode(&body[key.start..key.end], key.escaped);
            return match many.entry(text) {
                Entry::Occupied(mut seen) => {
                    let by = key.by.or(*seen.get());
                    *seen.get_mut() = by;
                    repeated(by, seen.key())
                }
                Entry::Vacant(slot) => {
                    slot.insert(key.by);
                    Ok(())
                }
            };
        }
        let own = &self.keys[frame.keys_from..];
        if let Some(earlier) = own.iter().find(|k| same(body, k, &key)) {
            repeated(
                key.by.or(earlier.by),
                &decode(&body[key.start..key.end], key.escaped),
            )?;
        }
        self.keys.push(key);
        if self.keys.len() - frame.keys_from > LINEAR {
            let mut many = HashMap::with_capacity(2 * LINEAR);
            for k in self.keys.drain(frame.keys_from..) {
                let by: &mut Option<usize> = many
                    .entry(decode(&body[k.start..k.end], k.escaped))
                    .or_default();
                *by = by.or(k.by);
            }
            frame.hashed = true;
            self.hashed.push(many);
        }
        Ok(())
    }
}

/// Whether two keys name the same member once their escapes are decoded.
fn same(body: &[u8], a: &Key, b: &Key) -> bool {
    let (x, y) = (&body[a.start..a.end], &body[b.start..b.end]);
    if !a.escaped && !b.escaped {
        return x == y;
    }
    decode(x, a.escaped) == decode(y, b.escaped)
}

/// A key for a message: its decoded text, cut short.
fn quote(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    match text.char_indices().nth(KEY_IN_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// The text of a string with its escapes decoded, leniently: `\'` is `'`,
/// any `\x` is `x`, a `\u` escape that is not four hex digits stays as it is,
/// and a lone surrogate becomes U+FFFD.
fn decode(text: &[u8], escaped: bool) -> Cow<'_, [u8]> {
    if !escaped {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b != b'\\' || i + 1 == text.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let e = text[i + 1];
        i += 2;
        let simple = match e {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let Some(unit) = hex4(&text[i..]) else {
                    out.extend_from_slice(b"\\u");
                    continue;
                };
                i += 4;
                let c = if (0xd800..0xdc00).contains(&unit)
                    && text.get(i..i + 2) == Some(b"\\u")
                    && let Some(low @ 0xdc00..0xe000) = hex4(&text[i + 2..])
                {
                    i += 6;
                    char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                } else {
                    char::from_u32(unit)
                };
                let mut buf = [0; 4];
                out.extend_from_slice(
                    c.unwrap_or(char::REPLACEMENT_CHARACTER)
                        .encode_utf8(&mut buf)
                        .as_bytes(),
                );
                continue;
            }
            other => other,
        };
        out.push(simple);
    }
    Cow::Owned(out)
}

fn hex4(text: &[u8]) -> Option<u32> {
    let digits = text.get(..4)?;
    digits.iter().try_fold(0, |n, &d| {
        let v = (d as char).to_digit(16)?;
        Some(n * 16 + v)
    })
}

/// Eight bytes with `b` in each.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// Non-zero if a byte of `w` is zero: the classic test, exact in saying
/// whether there is one (which byte is not needed here).
fn has_zero(w: u64) -> u64 {
    w.wrapping_sub(splat(0x01)) & !w & splat(0x80)
}

/// Calls `hit` on each eight bytes of `bytes` until it says one may be
/// wanted; returns how many bytes were passed.
fn skip_words(bytes: &[u8], hit: impl Fn(u64) -> bool) -> usize {
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
        if hit(word) {
            break;
        }
        offset += 8;
    }
    offset
}

/// Where the next `"` or `\` is.
///
/// Most of a body is string text, so this is the scan's inner loop: eight
/// bytes at a time, with the "has a zero byte" test on the bytes XORed with
/// each character.
fn find_quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    let offset = skip_words(bytes, |w| {
        has_zero(w ^ splat(b'"')) | has_zero(w ^ splat(b'\\')) != 0
    });
    bytes[offset..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| offset + p)
}

/// How many leading bytes outside strings can be passed eight at a time,
/// none of them [`SIGNIFICANT`]. Templates indent, so this is most of what
/// lies between strings. With bit 5 set, `[` and `]` become `{` and `}`:
/// four tests instead of six (and control bytes 0x02 and 0x0C stop it
/// needlessly, which costs only speed).
pub(super) fn skip_insignificant(bytes: &[u8]) -> usize {
    skip_words(bytes, |w| {
        let w = w | splat(0x20);
        has_zero(w ^ splat(b'"'))
            | has_zero(w ^ splat(b','))
            | has_zero(w ^ splat(b'{'))
            | has_zero(w ^ splat(b'}'))
            != 0
    })
}

/// What [`one_value`] expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A value; in an array just opened, or `]`.
    Value {
        or_close: bool,
    },
    /// A key; in an object just opened, or `}`.
    Key {
        or_close: bool,
    },
    Colon,
    /// In an object or array after a member: `,` or its closing bracket.
    Next,
    /// After the whole value: only whitespace.
    End,
}

/// Checks that `v`, printed outside strings, is empty or exactly one JSON
/// value surrounded by whitespace. Strings inside it are read with the same
/// lenient escapes as the body's.
pub(super) fn one_value(v: &[u8], nesting: &mut Vec<bool>) -> Result<(), Breach> {
    nesting.clear();
    let mut i = skip_whitespace(v, 0);
    if i == v.len() {
        return Ok(());
    }
    let mut want = Want::Value { or_close: false };
    loop {
        i = skip_whitespace(v, i);
        let Some(&b) = v.get(i) else {
            return if want == Want::End {
                Ok(())
            } else {
                Err(Breach::Unclosed)
            };
        };
        want = match (want, b) {
            (Want::End, b'}' | b']') => return Err(Breach::ClosedContainer),
            (Want::End, _) => return Err(Breach::AddedValue),
            (Want::Value { .. }, b'{') => {
                nesting.push(true);
                i += 1;
                Want::Key { or_close: true }
            }
            (Want::Value { .. }, b'[') => {
                nesting.push(false);
                i += 1;
                Want::Value { or_close: true }
            }
            (Want::Value { or_close: true }, b']') | (Want::Key { or_close: true }, b'}') => {
                nesting.pop();
                i += 1;
                after_value(nesting)
            }
            (Want::Value { .. } | Want::Key { .. }, b'"') => {
                i = string_end(v, i + 1)?;
                if let Want::Key { .. } = want {
                    Want::Colon
                } else {
                    after_value(nesting)
                }
            }
            // What a top-level value may not start with.
            (Want::Value { .. }, b'}' | b']') if nesting.is_empty() => {
                return Err(Breach::ClosedContainer);
            }
            (Want::Value { .. }, b',') if nesting.is_empty() => return Err(Breach::AddedValue),
            (Want::Value { .. }, b'}' | b']' | b',' | b':') => return Err(Breach::NotAValue),
            (Want::Value { .. }, _) => {
                i = scalar_end(v, i)?;
                after_value(nesting)
            }
            (Want::Colon, b':') => {
                i += 1;
                Want::Value { or_close: false }
            }
            (Want::Next, b',') => {
                i += 1;
                if nesting.last() == Some(&true) {
                    Want::Key { or_close: false }
                } else {
                    Want::Value { or_close: false }
                }
            }
            (Want::Next, b'}' | b']') if nesting.last() == Some(&(b == b'}')) => {
                nesting.pop();
                i += 1;
                after_value(nesting)
            }
            (Want::Key { .. } | Want::Colon | Want::Next, _) => return Err(Breach::NotAValue),
        };
    }
}

fn after_value(nesting: &[bool]) -> Want {
    if nesting.is_empty() {
        Want::End
    } else {
        Want::Next
    }
}

fn skip_whitespace(v: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = v.get(i) {
        i += 1;
    }
    i
}

/// The index after the closing quote of a string whose text starts at `i`.
fn string_end(v: &[u8], mut i: usize) -> Result<usize, Breach> {
    loop {
        let offset = find_quote_or_backslash(&v[i..]).ok_or(Breach::Unclosed)?;
        let at = i + offset;
        if v[at] == b'"' {
            return Ok(at + 1);
        }
        // An escape of the byte after the value: the string goes on in the
        // template's text.
        if at + 1 >= v.len() {
            return Err(Breach::Unclosed);
        }
        i = at + 2;
    }
}

/// The index after a number, `true`, `false` or `null` starting at `i`.
fn scalar_end(v: &[u8], i: usize) -> Result<usize, Breach> {
    let len = v[i..]
        .iter()
        .position(|b| b" \n\r\t{}[],:\"".contains(b))
        .unwrap_or(v.len() - i);
    let word = &v[i..i + len];
    if matches!(word, b"true" | b"false" | b"null") || is_number(word) {
        Ok(i + len)
    } else {
        Err(Breach::NotAValue)
    }
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_number(word: &[u8]) -> bool {
    let digits = |w: &[u8], from: usize| {
        w[from..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(w.len() - from)
    };
    let mut i = usize::from(word.first() == Some(&b'-'));
    match word.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(word, i),
        _ => return false,
    }
    if word.get(i) == Some(&b'.') {
        let n = digits(word, i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if let Some(b'e' | b'E') = word.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = word.get(i) {
            i += 1;
        }
        let n = digits(word, i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == word.len()
}
