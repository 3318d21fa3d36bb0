//! [`Body`]: a request or response body, parsed at most once whatever reads
//! it.

use std::cell::OnceCell;
use std::fmt;

use crate::doc::{Doc, Members};

/// A body as templates, parameter mappings and validators read it: its text,
/// and the JSON document parsed from the text the first time one of them
/// needs it. Create one per body and lend it to every reader, so the body is
/// parsed once, or not at all when nothing reads the document.
///
/// The document borrows its strings from the text and shares object members
/// through `Rc`, which makes it several times cheaper to build than a
/// `serde_json::Value`; so a `Body` is neither `Send` nor `Sync`. In an async
/// server, create it in a synchronous stage and drop it before any `.await`.
///
/// ```
/// use gateway_mapping::Body;
///
/// let body = Body::new(r#"{"n": 1}"#);
/// assert!(body.is_json());
/// assert_eq!(body.to_json().unwrap()["n"], 1);
///
/// let form = Body::new("a=b");
/// assert!(!form.is_json());
/// assert_eq!(form.to_json().unwrap_err().to_string(), "expected value at line 1 column 1");
/// ```
pub struct Body<'a> {
    text: &'a str,
    parsed: OnceCell<Parsed<'a>>,
}

struct Parsed<'a> {
    /// What templates see: the document, `{}` for an empty body (API
    /// Gateway), the whole text as one string for a body that is not JSON.
    doc: Doc<'a>,
    /// Why the text is not JSON, when it is not.
    error: Option<serde_json::Error>,
}

impl<'a> Body<'a> {
    /// A body over `text`; nothing is parsed yet.
    pub fn new(text: &'a str) -> Body<'a> {
        Body {
            text,
            parsed: OnceCell::new(),
        }
    }

    /// A binary payload, as API Gateway shows one to templates: `base64` is
    /// its base64 encoding ([`crate::binary::base64_encode`]). `$input.body`
    /// prints that text, and `$input.json` and `$input.path` read it as one
    /// string, never as JSON (base64 can be all digits); a validator finds
    /// it is not JSON. An empty payload is an empty body, `{}`.
    ///
    /// ```
    /// use gateway_mapping::Body;
    ///
    /// let body = Body::binary("1234");
    /// assert_eq!(body.text(), "1234");
    /// assert!(!body.is_json());
    /// assert!(body.malformed().is_none());
    /// ```
    pub fn binary(base64: &'a str) -> Body<'a> {
        if base64.is_empty() {
            return Body::new(base64);
        }
        let error = <serde_json::Error as serde::de::Error>::custom("a binary payload is not JSON");
        Body {
            text: base64,
            parsed: OnceCell::from(Parsed {
                doc: Doc::Str(base64),
                error: Some(error),
            }),
        }
    }

    /// The text, as received.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Whether the text is one JSON value (an empty body is not).
    pub fn is_json(&self) -> bool {
        self.parsed().error.is_none()
    }

    /// Why the text is not JSON, when it looks like JSON (its first
    /// non-blank character is `{` or `[`) and does not parse: truncated,
    /// trailing garbage, or nested deeper than the parser allows. API Gateway
    /// refuses such a body (400) when a template reads it as JSON; other text
    /// that is not JSON is read as one string.
    pub fn malformed(&self) -> Option<&serde_json::Error> {
        let looks_like_json =
            matches!(self.text.trim_start().as_bytes().first(), Some(b'{' | b'['));
        if !looks_like_json {
            return None;
        }
        self.parsed().error.as_ref()
    }

    /// The document as a `serde_json::Value`, converted from the parsed
    /// document rather than parsed again; or why the text is not JSON.
    pub fn to_json(&self) -> Result<serde_json::Value, &serde_json::Error> {
        let parsed = self.parsed();
        match &parsed.error {
            Some(error) => Err(error),
            None => Ok(parsed.doc.to_value()),
        }
    }

    /// The document as templates see it (see [`Parsed::doc`]).
    pub(crate) fn doc(&self) -> &Doc<'a> {
        &self.parsed().doc
    }

    fn parsed(&self) -> &Parsed<'a> {
        self.parsed.get_or_init(|| match Doc::parse(self.text) {
            Ok(doc) => Parsed { doc, error: None },
            Err(error) => {
                let doc = if self.text.trim().is_empty() {
                    Doc::Object(Members::new(Vec::new()))
                } else {
                    Doc::Str(self.text)
                };
                Parsed {
                    doc,
                    error: Some(error),
                }
            }
        })
    }
}

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("text", &self.text)
            .field("parsed", &self.parsed.get().is_some())
            .finish()
    }
}

/// A [`Body`] whatever the lifetime of its text, as [`Input`](crate::Input)
/// and [`ResponseView`](crate::params::ResponseView) hold it. A `Body` cannot
/// shorten the lifetime of its text (its parsed document is behind a cell),
/// so holding `&'a Body<'a>` would tie every lifetime of a `Variables` to the
/// body's; behind this trait, a view of a body is an ordinary borrow.
pub(crate) trait BodyView: fmt::Debug {
    fn text(&self) -> &str;
    fn doc(&self) -> &Doc<'_>;
    fn is_json(&self) -> bool;
    fn malformed(&self) -> Option<&serde_json::Error>;
}

impl BodyView for Body<'_> {
    fn text(&self) -> &str {
        Body::text(self)
    }

    fn doc(&self) -> &Doc<'_> {
        Body::doc(self)
    }

    fn is_json(&self) -> bool {
        Body::is_json(self)
    }

    fn malformed(&self) -> Option<&serde_json::Error> {
        Body::malformed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_non_json_bodies() {
        let empty = Body::new(" \n");
        assert_eq!(empty.doc(), &Doc::Object(Members::new(Vec::new())));
        assert!(!empty.is_json());
        assert_eq!(
            empty.to_json().unwrap_err().to_string(),
            "EOF while parsing a value at line 2 column 0"
        );

        let form = Body::new("a=b");
        assert_eq!(form.doc(), &Doc::Str("a=b"));
        assert!(!form.is_json());

        let string = Body::new(r#""a=b""#);
        assert_eq!(string.doc(), &Doc::Str("a=b"));
        assert!(string.is_json());
        assert_eq!(string.to_json().unwrap(), serde_json::json!("a=b"));
    }

    #[test]
    fn a_binary_payload_is_one_string() {
        let digits = Body::binary("1234");
        assert_eq!(digits.doc(), &Doc::Str("1234"));
        assert!(!digits.is_json());
        assert!(digits.malformed().is_none());
        assert_eq!(
            digits.to_json().unwrap_err().to_string(),
            "a binary payload is not JSON"
        );
        let empty = Body::binary("");
        assert_eq!(empty.doc(), &Doc::Object(Members::new(Vec::new())));
    }

    #[test]
    fn only_text_that_looks_like_json_can_be_malformed() {
        for (text, reason) in [
            (
                r#"{"Data": "#,
                "EOF while parsing a value at line 1 column 9",
            ),
            ("[1, 2", "EOF while parsing a list at line 1 column 5"),
            (
                r#"  {"a": 1} trailing"#,
                "trailing characters at line 1 column 12",
            ),
        ] {
            let body = Body::new(text);
            assert_eq!(
                body.malformed().map(ToString::to_string).as_deref(),
                Some(reason),
                "{text}"
            );
        }
        let deep = "[".repeat(100_000);
        assert_eq!(
            Body::new(&deep)
                .malformed()
                .map(ToString::to_string)
                .as_deref(),
            Some("recursion limit exceeded at line 1 column 128")
        );
        for fine in ["a=b", "", "just text {", r#"{"a": 1}"#, "7"] {
            assert!(Body::new(fine).malformed().is_none(), "{fine}");
        }
    }

    #[test]
    fn parses_once_and_only_when_read() {
        let body = Body::new(r#"{"a": [1, 2]}"#);
        assert!(body.parsed.get().is_none());
        assert_eq!(body.text(), r#"{"a": [1, 2]}"#);
        assert!(body.parsed.get().is_none(), "the text needs no parse");
        let first: *const Doc<'_> = body.doc();
        assert_eq!(body.to_json().unwrap(), serde_json::json!({"a": [1, 2]}));
        assert!(std::ptr::eq(first, body.doc()), "one document, kept");
    }

    /// A render reads the document of the body it is lent, and leaves it
    /// there for the next reader.
    #[test]
    fn renders_parse_into_the_body_they_read() {
        use crate::{Context, Input, Params, Template, Variables};
        let body = Body::new(r#"{"k": "v"}"#);
        let context = Context::default();
        let stage_variables = std::collections::BTreeMap::new();
        let vars = Variables {
            input: Input::new(&body, Params::default()),
            context: &context,
            stage_variables: &stage_variables,
        };
        let text_only = Template::compile("t", "$input.body").unwrap();
        assert_eq!(text_only.render(&vars).unwrap().body, r#"{"k": "v"}"#);
        assert!(body.parsed.get().is_none(), "$input.body needs no parse");
        let path = Template::compile("t", "$input.path('$.k')").unwrap();
        assert_eq!(path.render(&vars).unwrap().body, "v");
        let parsed: *const Parsed<'_> = body.parsed.get().unwrap();
        assert_eq!(path.render(&vars).unwrap().body, "v");
        assert!(std::ptr::eq(parsed, body.parsed()));
    }
}
