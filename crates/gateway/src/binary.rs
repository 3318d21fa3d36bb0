//! Binary payloads: which media types are binary (`binary_media_types`),
//! and what `content_handling` does to a payload on its way to the
//! integration and back to the client.
//!
//! The rules are API Gateway's two conversion tables (developer guide,
//! "Content type conversions in API Gateway",
//! `api-gateway-payload-encodings-workflow`), reduced to what decides a row:
//!
//! - a request's payload is binary when its `Content-Type` is one of the
//!   API's binary media types, text otherwise; an answer's payload is binary
//!   when the integration's `Content-Type` is one, text otherwise;
//! - `convert_to_text` turns a binary payload into its base64 text and
//!   leaves text alone; `convert_to_binary` reads a text payload as base64
//!   and leaves binary alone;
//! - unset, a request's payload passes as it is, and an answer's payload is
//!   converted to what the client asked for: binary when the first media
//!   type of its `Accept` is a binary media type, text otherwise.
//!
//! With no binary media types nothing is binary, which is the first three
//! rows of each table. The row-by-row tests below follow the tables.

use bytes::Bytes;
use gateway_mapping::binary::{NotBase64, base64_decode, base64_encode};

use crate::api::media_type;
use crate::config::ContentHandling;

/// `binary_media_types`, compiled: exact types, whole top-level types
/// (`image/*`) and everything (`*/*`), lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryMediaTypes {
    exact: Vec<String>,
    /// The `image` of `image/*`.
    families: Vec<String>,
    any: bool,
}

impl BinaryMediaTypes {
    /// Compiles the list, or says which entry is not a media type (by its
    /// index) and why.
    pub fn compile(list: &[String]) -> Result<Self, Vec<(usize, String)>> {
        let mut compiled = Self::default();
        let mut problems = Vec::new();
        for (index, entry) in list.iter().enumerate() {
            let text = entry.trim().to_ascii_lowercase();
            let Some((family, subtype)) = text.split_once('/') else {
                problems.push((
                    index,
                    format!(
                        "`{entry}` is not a media type: expected `type/subtype`, `type/*` or `*/*`"
                    ),
                ));
                continue;
            };
            let token = |part: &str| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
            };
            match (family, subtype) {
                ("*", "*") => compiled.any = true,
                (family, "*") if token(family) => compiled.families.push(family.to_string()),
                (family, subtype) if token(family) && token(subtype) => compiled.exact.push(text),
                _ => problems.push((
                    index,
                    format!("`{entry}` is not a media type: expected `type/subtype`, `type/*` or `*/*` (a wildcard only as a whole subtype, or as both parts)"),
                )),
            }
        }
        if problems.is_empty() {
            Ok(compiled)
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.any && self.exact.is_empty() && self.families.is_empty()
    }

    /// Whether the media type of a `Content-Type` value is binary.
    /// Parameters (`; charset=...`) and case do not count. The value's own
    /// wildcards are not patterns: `image/*` sent by a client matches only
    /// `image/*` or `*/*` in the list.
    pub fn matches(&self, content_type: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        let media_type = media_type(content_type);
        let Some((family, _)) = media_type.split_once('/') else {
            return false;
        };
        self.any || self.exact.contains(&media_type) || self.families.iter().any(|f| f == family)
    }

    /// Whether a request asks for a binary answer: the first media type of
    /// its `Accept` matches, as API Gateway considers only the first.
    pub fn accepts(&self, accept: Option<&str>) -> bool {
        accept
            .and_then(|a| a.split(',').next())
            .is_some_and(|first| self.matches(first))
    }
}

/// What a conversion does to a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// The payload passes as it is.
    Keep,
    /// Binary becomes its base64 text.
    Encode,
    /// Base64 text becomes the bytes it encodes.
    Decode,
}

impl Conversion {
    /// The request table: from the method request's payload to the
    /// integration request's.
    pub fn request(binary: bool, handling: Option<ContentHandling>) -> Self {
        match (handling, binary) {
            (Some(ContentHandling::ConvertToText), true) => Conversion::Encode,
            (Some(ContentHandling::ConvertToBinary), false) => Conversion::Decode,
            _ => Conversion::Keep,
        }
    }

    /// The response table: from the integration's answer to the method
    /// response. Unset, the payload becomes what the client accepts.
    pub fn response(binary: bool, accepts_binary: bool, handling: Option<ContentHandling>) -> Self {
        let to_binary = match handling {
            Some(ContentHandling::ConvertToText) => false,
            Some(ContentHandling::ConvertToBinary) => true,
            None => accepts_binary,
        };
        match (binary, to_binary) {
            (true, false) => Conversion::Encode,
            (false, true) => Conversion::Decode,
            _ => Conversion::Keep,
        }
    }

    /// Converts `payload`. Only decoding can fail: text that is not base64.
    pub fn apply(self, payload: Bytes) -> Result<Bytes, NotBase64> {
        match self {
            Conversion::Keep => Ok(payload),
            Conversion::Encode => Ok(Bytes::from(base64_encode(&payload))),
            Conversion::Decode => base64_decode(&payload).map(Bytes::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: Option<ContentHandling> = Some(ContentHandling::ConvertToText);
    const BINARY: Option<ContentHandling> = Some(ContentHandling::ConvertToBinary);

    fn types(list: &[&str]) -> BinaryMediaTypes {
        BinaryMediaTypes::compile(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    /// A payload of bytes ≥ 0x80 and a NUL, and the same as base64.
    const BYTES: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff];
    const BASE64: &[u8] = b"iVBORwD/";

    fn convert(conversion: Conversion, payload: &[u8]) -> Vec<u8> {
        conversion
            .apply(Bytes::copy_from_slice(payload))
            .unwrap()
            .to_vec()
    }

    #[test]
    fn media_types_match_exactly_by_family_or_all() {
        let t = types(&["image/png", "application/*", "Audio/MPEG"]);
        assert!(t.matches("image/png"));
        assert!(t.matches("IMAGE/PNG; q=1"));
        assert!(t.matches("application/octet-stream"));
        assert!(t.matches("application/json"));
        assert!(t.matches("audio/mpeg"));
        assert!(!t.matches("image/jpeg"));
        assert!(!t.matches("text/plain"));
        assert!(!t.matches("image"));
        assert!(!t.matches(""));
        // A client's wildcard is not a pattern.
        assert!(!t.matches("image/*"));
        assert!(types(&["image/*"]).matches("image/*"));
        let all = types(&["*/*"]);
        assert!(all.matches("text/plain"));
        assert!(!all.matches("not a type"));
        assert!(!BinaryMediaTypes::default().matches("image/png"));
    }

    #[test]
    fn only_the_first_accept_type_counts() {
        let t = types(&["image/png"]);
        assert!(t.accepts(Some("image/png, text/html")));
        assert!(t.accepts(Some("image/png;q=0.9")));
        assert!(!t.accepts(Some("text/html, image/png")));
        assert!(!t.accepts(Some("image/webp,image/*,*/*;q=0.8")));
        assert!(!t.accepts(None));
        assert!(types(&["image/webp"]).accepts(Some("image/webp,image/*,*/*;q=0.8")));
    }

    #[test]
    fn entries_that_are_not_media_types_are_named() {
        let list: Vec<String> = ["image/png", "png", "*/png", "image/p*", "", "a b/c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let problems = BinaryMediaTypes::compile(&list).unwrap_err();
        let indexes: Vec<usize> = problems.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [1, 2, 3, 4, 5]);
        assert_eq!(
            problems[0].1,
            "`png` is not a media type: expected `type/subtype`, `type/*` or `*/*`"
        );
    }

    /// The request table, row by row: (payload, binary media types set and
    /// matching, contentHandling) → the integration request's payload.
    #[test]
    fn request_table() {
        let none = BinaryMediaTypes::default();
        let set = types(&["image/png"]);
        type Row<'a> = (
            &'a [u8],
            &'a BinaryMediaTypes,
            &'a str,
            Option<ContentHandling>,
            &'a [u8],
        );
        let rows: [Row<'_>; 9] = [
            // Text data, any type, no binary media types.
            (BASE64, &none, "image/png", None, BASE64),
            (BASE64, &none, "image/png", BINARY, BYTES),
            (BASE64, &none, "image/png", TEXT, BASE64),
            // Text data of a text type, binary media types set.
            (BASE64, &set, "text/plain", None, BASE64),
            (BASE64, &set, "text/plain", BINARY, BYTES),
            (BASE64, &set, "text/plain", TEXT, BASE64),
            // Binary data of a binary type.
            (BYTES, &set, "image/png", None, BYTES),
            (BYTES, &set, "image/png", BINARY, BYTES),
            (BYTES, &set, "image/png", TEXT, BASE64),
        ];
        for (row, (payload, types, content_type, handling, expected)) in rows.iter().enumerate() {
            let conversion = Conversion::request(types.matches(content_type), *handling);
            assert_eq!(convert(conversion, payload), *expected, "row {}", row + 1);
        }
    }

    /// The response table, row by row: (integration payload, binary media
    /// types, the first `Accept` type, contentHandling) → the method
    /// response's payload. The payload's kind is its `Content-Type`'s.
    #[test]
    fn response_table() {
        let none = BinaryMediaTypes::default();
        let set = types(&["image/png"]);
        let text = ("text/plain", BASE64);
        let binary = ("image/png", BYTES);
        type Row<'a> = (
            (&'a str, &'a [u8]),
            &'a BinaryMediaTypes,
            &'a str,
            Option<ContentHandling>,
            &'a [u8],
        );
        let rows: [Row<'_>; 15] = [
            // Text or binary data, no binary media types: all of it is text.
            (binary, &none, "text/plain", None, BYTES),
            (text, &none, "text/plain", BINARY, BYTES),
            (text, &none, "text/plain", TEXT, BASE64),
            // Text data, a text Accept.
            (text, &set, "text/plain", None, BASE64),
            (text, &set, "text/plain", BINARY, BYTES),
            (text, &set, "text/plain", TEXT, BASE64),
            // Text data, a binary Accept.
            (text, &set, "image/png", None, BYTES),
            (text, &set, "image/png", BINARY, BYTES),
            (text, &set, "image/png", TEXT, BASE64),
            // Binary data, a text Accept.
            (binary, &set, "text/plain", None, BASE64),
            (binary, &set, "text/plain", BINARY, BYTES),
            (binary, &set, "text/plain", TEXT, BASE64),
            // Binary data, a binary Accept.
            (binary, &set, "image/png", None, BYTES),
            (binary, &set, "image/png", BINARY, BYTES),
            (binary, &set, "image/png", TEXT, BASE64),
        ];
        for (row, ((content_type, payload), types, accept, handling, expected)) in
            rows.iter().enumerate()
        {
            let conversion = Conversion::response(
                types.matches(content_type),
                types.accepts(Some(accept)),
                *handling,
            );
            assert_eq!(convert(conversion, payload), *expected, "row {}", row + 1);
        }
    }

    #[test]
    fn decoding_text_that_is_not_base64_fails_with_the_reason() {
        let error = Conversion::Decode
            .apply(Bytes::from_static(b"{\"a\": 1}"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "not base64: Invalid symbol 123, offset 0."
        );
    }
}
