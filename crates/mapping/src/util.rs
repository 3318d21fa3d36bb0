//! `$util`: the string helpers API Gateway gives templates.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use crate::error::{Failure, Fallible};

/// `$util.escapeJavaScript`: Apache Commons Lang's `escapeJavaScript`, which
/// API Gateway is understood to use: `'` → `\'` (not valid JSON, a known AWS
/// quirk), `"` → `\"`, `\` → `\\`, `/` → `\/`, the usual control escapes,
/// other control characters and every non-ASCII UTF-16 unit as `\uXXXX`.
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
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
    out
}

/// `$util.urlEncode`: Java's `URLEncoder.encode(s, "UTF-8")`
/// (`application/x-www-form-urlencoded`: space → `+`).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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
    out
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

/// `$util.base64Encode`: standard alphabet, padded, of the UTF-8 bytes.
pub(crate) fn base64_encode(s: &str) -> String {
    STANDARD.encode(s.as_bytes())
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
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    LENIENT
        .decode(cleaned.as_bytes())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| Failure::runtime(format!("base64Decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn base64_round_trip() {
        assert_eq!(base64_encode("some data"), "c29tZSBkYXRh");
        assert_eq!(base64_decode("c29tZSBkYXRh").unwrap(), "some data");
        assert_eq!(base64_decode("c29tZSBkYXRh\n").unwrap(), "some data");
        assert_eq!(base64_decode("c29tZQ").unwrap(), "some");
        assert!(base64_decode("!!!").is_err());
    }
}
