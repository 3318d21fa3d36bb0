//! The integration request as it will go on the wire.

use bytes::Bytes;
use http::Method;

/// An integration request: the result of mapping, before or after signing.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: Method,
    /// The absolute URL, query string included, already percent-encoded.
    pub url: String,
    /// Headers in the order they will be sent. Signing appends `Authorization`,
    /// `X-Amz-Date` and, with temporary credentials, `X-Amz-Security-Token`.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl OutboundRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: String) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// The value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, replacing any value it had (case-insensitive name).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_string(), value)),
        }
    }
}

/// Percent-encodes a query-string name or value the way SigV4 canonicalises it
/// (RFC 3986: everything but `A-Z a-z 0-9 - _ . ~`), so that the string on the
/// wire and the string that is signed are the same.
pub fn encode_query_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(encode_query_component("PutRecord"), "PutRecord");
        assert_eq!(
            encode_query_component("a b/c=d&é~"),
            "a%20b%2Fc%3Dd%26%C3%A9~"
        );
    }

    #[test]
    fn set_header_replaces_case_insensitively() {
        let mut r = OutboundRequest::new(Method::POST, "http://x/".into());
        r.set_header("Content-Type", "a");
        r.set_header("content-type", "b");
        assert_eq!(
            r.headers,
            vec![("Content-Type".to_string(), "b".to_string())]
        );
        assert_eq!(r.header("CONTENT-TYPE"), Some("b"));
    }
}
