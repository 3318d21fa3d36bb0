//! Binary payloads as templates see them: base64 text.
//!
//! API Gateway hands a template a payload of a binary media type as its
//! base64 encoding (`$input.body`, read with [`crate::Body::binary`]), and an
//! integration's `contentHandling` turns payloads from bytes into base64 text
//! and back. These are the two conversions, by the rules `$util.base64Encode`
//! and `$util.base64Decode` follow.
//!
//! ```
//! use gateway_mapping::binary::{base64_decode, base64_encode};
//!
//! let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
//! assert_eq!(base64_encode(&png), "iVBORw0KGgo=");
//! assert_eq!(base64_decode(b"iVBORw0KGgo=\n").unwrap(), png);
//! assert_eq!(
//!     base64_decode(br#"{"a": 1}"#).unwrap_err().to_string(),
//!     "not base64: Invalid symbol 123, offset 0."
//! );
//! ```

use std::fmt;

/// The padded standard base64 of `bytes`.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    crate::util::base64_encode_into(bytes, &mut out);
    out
}

/// The bytes `text` encodes in base64: the standard alphabet (the URL-safe
/// `-` and `_` are read as `+` and `/`), padding optional, ASCII whitespace
/// such as line breaks ignored; anything else is refused.
pub fn base64_decode(text: &[u8]) -> Result<Vec<u8>, NotBase64> {
    crate::util::base64_decode_bytes(text).map_err(|e| NotBase64(e.to_string()))
}

/// Why a text is not base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotBase64(String);

impl fmt::Display for NotBase64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not base64: {}", self.0)
    }
}

impl std::error::Error for NotBase64 {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for len in [0, 1, 2, 3, 4, 255, 256, 1000] {
            let text = base64_encode(&bytes[..len]);
            assert_eq!(base64_decode(text.as_bytes()).unwrap(), &bytes[..len]);
        }
    }

    #[test]
    fn decoding_is_lenient_on_layout_and_strict_on_symbols() {
        assert_eq!(base64_decode(b"aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode(b"aGk").unwrap(), b"hi", "padding optional");
        assert_eq!(base64_decode(b"aG\r\nk=\n").unwrap(), b"hi", "line breaks");
        assert_eq!(base64_decode(b"-_8=").unwrap(), [0xfb, 0xff], "URL-safe");
        assert_eq!(base64_decode(b"").unwrap(), b"");
        for bad in [&b"a"[..], b"aGk=!", b"\xff\xfe", b"aGk= aGk=x"] {
            assert!(base64_decode(bad).is_err(), "{bad:?}");
        }
    }
}
