//! `$util`: the string helpers API Gateway gives templates.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Failure, Fallible};

/// `$util.escapeJavaScript`: Apache Commons Lang's `escapeJavaScript`, which
/// API Gateway is understood to use: `'` → `\'` (not valid JSON, a known AWS
/// quirk), `"` → `\"`, `\` → `\\`, `/` → `\/`, the usual control escapes,
/// other control characters and every non-ASCII UTF-16 unit as `\uXXXX`.
/// Appends to `out`.
pub(crate) fn escape_javascript_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04X}", unit);
                }
            }
            c => out.push(c),
        }
    }
}

/// `$util.urlEncode`: Java's `URLEncoder.encode(s, "UTF-8")`
/// (`application/x-www-form-urlencoded`: space → `+`). Appends to `out`.
pub(crate) fn url_encode_into(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// `$util.urlDecode`: Java's `URLDecoder.decode(s, "UTF-8")`. A malformed
/// escape is an error, as Java throws.
pub(crate) fn url_decode(s: &str) -> Fallible<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                match byte {
                    Some(v) => out.push(v),
                    None => return Err(Failure::runtime("urlDecode: malformed %-escape")),
                }
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The two base64 characters of every 12-bit value, so a 3-byte group
/// takes two lookups instead of four.
static BASE64_PAIRS: [[u8; 2]; 4096] = {
    let mut table = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        table[i] = [BASE64_ALPHABET[i >> 6], BASE64_ALPHABET[i & 63]];
        i += 1;
    }
    table
};

/// `$util.base64Encode`: appends the padded standard base64 of `bytes` (a
/// string's UTF-8 bytes) to `out`.
///
/// Hand-written rather than the `base64` crate's engine because templates
/// encode many short strings (one per Kinesis record), where the engine's
/// per-call setup costs more than the encoding. Output is staged in a stack
/// buffer so the string is extended a block at a time.
pub(crate) fn base64_encode_into(bytes: &[u8], out: &mut String) {
    // 48 input bytes make 64 characters: one push per 64 characters, and a
    // small buffer to clear per call.
    const IN_BLOCK: usize = 48;
    let sextet = |n: u32, shift: u32| BASE64_ALPHABET[((n >> shift) & 63) as usize];
    out.reserve(bytes.len().div_ceil(3) * 4);
    let mut buf = [0u8; IN_BLOCK / 3 * 4];
    for block in bytes.chunks(IN_BLOCK) {
        let triples = block.chunks_exact(3);
        let rest = triples.remainder();
        let mut len = 0;
        for (t, quad) in triples.zip(buf.chunks_exact_mut(4)) {
            if let ([a, b, c], [w, x, y, z]) = (t, quad) {
                let n = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
                [*w, *x] = BASE64_PAIRS[n >> 12];
                [*y, *z] = BASE64_PAIRS[n & 0xfff];
            }
            len += 4;
        }
        let tail = match *rest {
            [a] => {
                let n = u32::from(a) << 16;
                Some([sextet(n, 18), sextet(n, 12), b'=', b'='])
            }
            [a, b] => {
                let n = u32::from(a) << 16 | u32::from(b) << 8;
                Some([sextet(n, 18), sextet(n, 12), sextet(n, 6), b'='])
            }
            _ => None,
        };
        if let (Some(tail), Some(slot)) = (tail, buf.get_mut(len..len + 4)) {
            slot.copy_from_slice(&tail);
            len += 4;
        }
        // Always ASCII, so this never fails.
        if let Ok(text) = std::str::from_utf8(&buf[..len]) {
            out.push_str(text);
        }
    }
}

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// `$util.base64Decode`: standard alphabet (URL-safe characters accepted),
/// padding optional, whitespace ignored; the bytes are read as UTF-8.
pub(crate) fn base64_decode(s: &str) -> Fallible<String> {
    base64_decode_bytes(s.as_bytes())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| Failure::runtime(format!("base64Decode: {e}")))
}

/// The bytes of base64 `text`, by [`base64_decode`]'s rules.
pub(crate) fn base64_decode_bytes(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    let cleaned: Vec<u8> = text
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|&b| match b {
            b'-' => b'+',
            b'_' => b'/',
            b => b,
        })
        .collect();
    LENIENT.decode(&cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape_javascript(s: &str) -> String {
        let mut out = String::new();
        escape_javascript_into(s, &mut out);
        out
    }

    fn url_encode(s: &str) -> String {
        let mut out = String::new();
        url_encode_into(s, &mut out);
        out
    }

    fn base64_encode(s: &str) -> String {
        let mut out = String::new();
        base64_encode_into(s.as_bytes(), &mut out);
        out
    }

    #[test]
    fn url_encode_matches_aws_recording() {
        // AWS-recorded (LocalStack test_input_body_formatting snapshot).
        assert_eq!(
            url_encode(r#"{"some": "value"}"#),
            "%7B%22some%22%3A+%22value%22%7D"
        );
        assert_eq!(
            url_decode("%7B%22some%22%3A+%22value%22%7D").unwrap(),
            r#"{"some": "value"}"#
        );
        assert!(url_decode("%zz").is_err());
    }

    #[test]
    fn escape_javascript_rules() {
        assert_eq!(escape_javascript(r#"it's "a"\b/c"#), r#"it\'s \"a\"\\b\/c"#);
        assert_eq!(
            escape_javascript("\n\u{1}é😀"),
            "\\n\\u0001\\u00E9\\uD83D\\uDE00"
        );
    }

    #[test]
    fn base64_encode_matches_the_base64_crate() {
        use base64::engine::general_purpose::STANDARD;
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for len in (0..=20).chain([47, 48, 49, 50, 95, 96, 97, 191, 192, 193, 1000]) {
            let mut ours = String::new();
            base64_encode_into(&data[..len], &mut ours);
            assert_eq!(ours, STANDARD.encode(&data[..len]), "length {len}");
        }
        let mut appended = String::from("x");
        base64_encode_into(b"ab", &mut appended);
        assert_eq!(appended, "xYWI=");
    }

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_encode("some data"), "c29tZSBkYXRh");
        assert_eq!(base64_decode("c29tZSBkYXRh").unwrap(), "some data");
        assert_eq!(base64_decode("c29tZSBkYXRh\n").unwrap(), "some data");
        assert_eq!(base64_decode("c29tZQ").unwrap(), "some");
        assert!(base64_decode("!!!").is_err());
    }
}
