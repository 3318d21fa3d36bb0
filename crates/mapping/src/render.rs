//! How values print, as API Gateway prints them.
//!
//! AWS-recorded rules (LocalStack `test_input_path_template_formatting`
//! snapshot, recorded against AWS): a map prints as Java's `Map.toString`,
//! `{foo=bar, n=1}`, with no quotes; a list from the body prints as compact
//! JSON, `[{"foo":"bar"}]`, even inside a map (`{foo=[{"nested":"bar"}]}`);
//! a null or missing value prints as nothing. Lists built in a template are
//! Java `ArrayList`s and print as `[a, b]`. Numbers print as Java prints
//! `Integer`/`Long`/`Double` (`1.0`, `1.5E10`).

use std::fmt::Write as _;

use crate::doc::Doc;

use crate::error::{Failure, Fallible};
use crate::limits::MAX_VALUE_DEPTH;
use crate::value::Value;

fn too_deep() -> Failure {
    Failure::limit(format!("value nested deeper than {MAX_VALUE_DEPTH} levels"))
}

/// Appends Java's `Double.toString(d)`.
pub(crate) fn java_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        let start = out.len();
        let _ = write!(out, "{d}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    } else {
        // Shortest round-trip digits, in Java's computerized scientific form.
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        out.push('E');
        out.push_str(exp);
    }
}

/// Appends a value as a template prints it (`$x`). `Define` blocks and
/// builtins print as nothing here. The evaluator prints them itself where
/// they are the value printed (`Eval::emit`, `Eval::display_into`); inside a
/// list or map, or as a map key or `$v[k]` index, they stay empty.
pub(crate) fn display(v: &Value<'_>, out: &mut String) -> Fallible<()> {
    display_at(v, out, true, 0)
}

/// [`display`] into a new string.
pub(crate) fn to_string(v: &Value<'_>) -> Fallible<String> {
    let mut s = String::new();
    display(v, &mut s)?;
    Ok(s)
}

/// `top`: a null at the top prints as nothing; inside a collection Java prints `null`.
fn display_at(v: &Value<'_>, out: &mut String, top: bool, depth: usize) -> Fallible<()> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match v {
        Value::Null => {
            if !top {
                out.push_str("null");
            }
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(text) => out.push_str(text),
        Value::Float(f) => java_double(*f, out),
        Value::Str(s) => out.push_str(s),
        Value::String(s) => out.push_str(s),
        Value::Json(j) => display_json(j, out, depth)?,
        Value::List(l) => {
            let l = l.borrow();
            if l.json {
                json_values(&l.items, out, depth)?;
            } else {
                out.push('[');
                for (i, item) in l.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    display_at(item, out, false, depth + 1)?;
                }
                out.push(']');
            }
        }
        Value::Map(m) if m.borrow().entry => {
            let m = m.borrow();
            for (i, (_, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push('=');
                }
                display_at(item, out, false, depth + 1)?;
            }
        }
        Value::Map(m) => {
            let m = m.borrow();
            out.push('{');
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                display_at(item, out, false, depth + 1)?;
            }
            out.push('}');
        }
        Value::Range(a, b) => {
            out.push('[');
            let mut first = true;
            for i in range_iter(*a, *b) {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                let _ = write!(out, "{i}");
            }
            out.push(']');
        }
        Value::Object(_) | Value::Define(_) => {}
    }
    Ok(())
}

/// A body value as Java prints the parsed object: strings raw, objects
/// Java-style, arrays as compact JSON.
pub(crate) fn display_json(j: &Doc<'_>, out: &mut String, depth: usize) -> Fallible<()> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match j {
        Doc::Str(s) => out.push_str(s),
        Doc::Text(s) => out.push_str(s),
        Doc::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                display_json(item, out, depth + 1)?;
            }
            out.push('}');
        }
        _ => write_json(j, out, depth)?,
    }
    Ok(())
}

pub(crate) fn range_iter(a: i64, b: i64) -> Box<dyn Iterator<Item = i64>> {
    if a <= b {
        Box::new(a..=b)
    } else {
        Box::new((b..=a).rev())
    }
}

/// Appends a JSON string literal, escaped as json-smart does.
pub(crate) fn json_string(s: &str, out: &mut String) {
    // Runs of bytes that print as they are are copied whole: a 1 MB string
    // went through `$input.json` char by char at a few hundred MB/s, most of
    // a large PutRecord's CPU time. Every byte that starts an escaped
    // character is ASCII or the lead byte of one of the two escaped ranges,
    // so a run always ends on a character boundary.
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let width = match b {
            b'"' | b'\\' | 0x7f => 1,
            _ if b < 0x20 => 1,
            // U+0080..U+009F: C2 80..C2 9F.
            0xC2 if matches!(bytes.get(i + 1), Some(0x80..=0x9F)) => 2,
            // U+2000..U+20FF: E2 80 80..E2 83 BF.
            0xE2 if matches!(bytes.get(i + 1), Some(0x80..=0x83)) => 3,
            _ => 0,
        };
        if width == 0 {
            i += 1;
            continue;
        }
        out.push_str(&s[run..i]);
        let c = s[i..].chars().next().unwrap_or_default();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Appends compact JSON for a body value.
pub(crate) fn write_json(j: &Doc<'_>, out: &mut String, depth: usize) -> Fallible<()> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match j {
        Doc::Null => out.push_str("null"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Doc::BigInt(text) => out.push_str(text),
        Doc::Float(f) => java_double(*f, out),
        Doc::Str(s) => json_string(s, out),
        Doc::Text(s) => json_string(s, out),
        Doc::Array(a) => {
            // Room for the shortest elements (`0,`) at once, so a large
            // array's text does not grow by doubling from a few bytes.
            out.reserve(a.len().saturating_mul(2).saturating_add(2));
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Doc::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(item, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn json_values(items: &[Value<'_>], out: &mut String, depth: usize) -> Fallible<()> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        value_json(item, out, depth + 1)?;
    }
    out.push(']');
    Ok(())
}

/// Appends compact JSON for any value (used for JSON-style lists and
/// `$input.json`).
pub(crate) fn value_json(v: &Value<'_>, out: &mut String, depth: usize) -> Fallible<()> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    match v {
        Value::Null | Value::Object(_) | Value::Define(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(text) => out.push_str(text),
        Value::Float(f) => java_double(*f, out),
        Value::Str(s) => json_string(s, out),
        Value::String(s) => json_string(s, out),
        Value::Json(j) => write_json(j, out, depth)?,
        Value::List(l) => json_values(&l.borrow().items, out, depth)?,
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.borrow().entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                value_json(item, out, depth + 1)?;
            }
            out.push('}');
        }
        Value::Range(a, b) => {
            out.push('[');
            for (i, n) in range_iter(*a, *b).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{n}");
            }
            out.push(']');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> String {
        let mut s = String::new();
        java_double(x, &mut s);
        s
    }

    /// The escaping rules one character at a time, as `json_string` applied
    /// them before it copied runs.
    fn escaped_by_chars(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20
                    || ('\u{7f}'..='\u{9f}').contains(&c)
                    || ('\u{2000}'..='\u{20ff}').contains(&c) =>
                {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn json_strings_escape_as_char_by_char() {
        let mut samples: Vec<String> = [
            "",
            "plain ascii",
            "quote \" backslash \\ end",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "é ü ß 日本 😀",
            "\u{80}\u{9f}\u{a0}\u{1fff}\u{2000}\u{2028}\u{20ff}\u{2100}\u{ff}",
            "x\u{85}y\u{2029}z",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every character around the escaped ranges, alone and in text.
        for c in (0u32..0x300)
            .chain(0x1f00..0x2200)
            .filter_map(char::from_u32)
        {
            samples.push(format!("{c}"));
            samples.push(format!("a{c}b{c}"));
        }
        for sample in samples {
            let mut out = String::new();
            json_string(&sample, &mut out);
            assert_eq!(out, escaped_by_chars(&sample), "{sample:?}");
        }
    }

    #[test]
    fn doubles_print_as_java() {
        assert_eq!(d(1.0), "1.0");
        assert_eq!(d(1.5), "1.5");
        assert_eq!(d(-2.25), "-2.25");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.0001), "1.0E-4");
        assert_eq!(d(1.5e10), "1.5E10");
        assert_eq!(d(1e7), "1.0E7");
        assert_eq!(d(9_999_999.0), "9999999.0");
        assert_eq!(d(123_456_789.0), "1.23456789E8");
        assert_eq!(d(0.0), "0.0");
        assert_eq!(d(f64::NAN), "NaN");
    }
}
