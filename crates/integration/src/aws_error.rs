//! The AWS error in a service's answer, read for the operator's log.
//!
//! AWS services name an error in one of three places: a JSON body's `__type`
//! (`code` or `Code` in some services) with `message` or `Message`; the
//! `x-amzn-ErrorType` header (REST-JSON services); or an XML body's `<Code>`
//! and `<Message>` (S3, the Query-protocol services, and moto's
//! authentication errors even for JSON services such as Kinesis).

use crate::{InboundResponse, xml};

/// How much of a body is looked at. AWS error bodies are a few hundred
/// bytes; the bound keeps a large or hostile body from costing more.
const MAX_SCANNED_BYTES: usize = 64 * 1024;

/// The longest message kept, in bytes.
const MAX_MESSAGE_BYTES: usize = 1024;

/// The longest error code accepted, in bytes.
const MAX_CODE_BYTES: usize = 128;

/// Codes that mean the gateway's own credentials or permissions failed: a bad
/// or expired key or token, a wrong signature or clock, a missing IAM
/// permission. Their messages can name accounts, users and role ARNs.
const AUTH_FAILURES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AuthFailure",
    "AuthorizationError",
    "AuthorizationErrorException",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "InvalidToken",
    "KMSAccessDeniedException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "RequestExpired",
    "RequestTimeTooSkewed",
    "SignatureDoesNotMatch",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
];

/// An AWS error code and message, as a service's answer gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The error code without namespace or suffix: `ResourceNotFoundException`,
    /// `SignatureDoesNotMatch`, `AWS.SimpleQueueService.NonExistentQueue`.
    pub code: String,
    /// The service's message: its first paragraph, at most 1 KiB. AWS appends
    /// the canonical request to some signature errors, and that can hold the
    /// session token; it is cut off.
    pub message: Option<String>,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(message) => write!(f, "{}: {message}", self.code),
            None => f.write_str(&self.code),
        }
    }
}

impl AwsError {
    /// The error in `response`, if its status is 400 or more and it names a
    /// code: the body's (a JSON object's `__type`, else `code` or `Code`; an
    /// XML body's `<Code>`, inside `<Error>` when there is one), else the
    /// `x-amzn-ErrorType` header's. Only the first 64 KiB of the body are
    /// read.
    pub fn from_response(response: &InboundResponse) -> Option<Self> {
        if response.status.as_u16() < 400 {
            return None;
        }
        let body = &response.body[..response.body.len().min(MAX_SCANNED_BYTES)];
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        let (code, message) = match start.map(|i| body[i]) {
            Some(b'{') => json_error(body),
            Some(b'<') => xml_error(&String::from_utf8_lossy(body)),
            _ => (None, None),
        };
        let header = || {
            response
                .headers
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .and_then(clean_code)
        };
        let code = code.and_then(|c| clean_code(&c)).or_else(header)?;
        Some(Self {
            code,
            message: message.and_then(|m| clean_message(&m)),
        })
    }

    /// Whether the code says the gateway's own credentials or permissions
    /// failed (see [`is_auth_failure`]).
    pub fn is_auth_failure(&self) -> bool {
        is_auth_failure(&self.code)
    }
}

/// Whether an AWS error code means that the gateway's own credentials or
/// permissions failed: `SignatureDoesNotMatch`, `InvalidClientTokenId`,
/// `UnrecognizedClientException`, `ExpiredToken`, `AccessDenied`,
/// `AccessDeniedException` and the like. The text of such an error is for the
/// operator, not for the gateway's client.
pub fn is_auth_failure(code: &str) -> bool {
    AUTH_FAILURES.contains(&code)
}

/// `com.amazonaws.kinesis#ResourceNotFoundException` and
/// `ValidationException:http://internal.amazon.com/...` both name the code
/// between the `#` and the `:`.
fn clean_code(raw: &str) -> Option<String> {
    let code = raw.split(':').next().unwrap_or(raw);
    let code = code.rsplit('#').next().unwrap_or(code).trim();
    let plausible = !code.is_empty()
        && code.len() <= MAX_CODE_BYTES
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    plausible.then(|| code.to_string())
}

/// The message's first paragraph, without what AWS appends to signature
/// errors (see [`without_signing_details`]), at most 1 KiB.
fn clean_message(raw: &str) -> Option<String> {
    let paragraph = raw.split("\n\n").next().unwrap_or(raw);
    let paragraph = paragraph.split("\r\n\r\n").next().unwrap_or(paragraph);
    let mut message = without_signing_details(paragraph).trim();
    if message.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message = &message[..cut];
    }
    (!message.is_empty()).then(|| message.to_string())
}

/// `text` up to what AWS appends to some signature errors: `The Canonical
/// String for this request should have been ...` and `The String-to-Sign
/// should have been ...`. The canonical request lists the signed headers with
/// their values, `x-amz-security-token` among them, so it must not reach a log.
pub(crate) fn without_signing_details(text: &str) -> &str {
    // ASCII lower-casing keeps every byte offset.
    let lower = text.to_ascii_lowercase();
    let end = [
        "the canonical string",
        "the string-to-sign",
        "x-amz-security-token",
    ]
    .iter()
    .filter_map(|marker| lower.find(marker))
    .min()
    .unwrap_or(text.len());
    &text[..end]
}

/// `<Code>` and `<Message>` of the `<Error>` element, or of the whole body
/// when there is none.
fn xml_error(body: &str) -> (Option<String>, Option<String>) {
    let error = xml::after_start_tag(body, "Error").unwrap_or(body);
    (
        xml::element_text(error, "Code"),
        xml::element_text(error, "Message"),
    )
}

/// The code and message of a JSON error body: the string members `__type`,
/// `code` or `Code`, and `message` or `Message` of the top-level object.
/// Members read before the body ends or turns malformed are kept, so a
/// truncated body still gives what it holds.
fn json_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let mut scanner = Scanner { bytes: body, at: 0 };
    let mut type_ = None;
    let mut code = None;
    let mut message = None;
    scanner.members(|key, value| match key.as_str() {
        "__type" => type_ = Some(value),
        "code" | "Code" => {
            code.get_or_insert(value);
        }
        "message" | "Message" => {
            message.get_or_insert(value);
        }
        _ => {}
    });
    (type_.or(code), message)
}

/// A forward-only reader of one JSON object's members. It never recurses:
/// nested values are skipped by counting brackets.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    /// Calls `found` with each member of the top-level object whose value is
    /// a string, until the object ends or the input does.
    fn members(&mut self, mut found: impl FnMut(String, String)) {
        self.skip_space();
        if !self.eat(b'{') {
            return;
        }
        loop {
            self.skip_space();
            let Some(key) = self.string() else { return };
            self.skip_space();
            if !self.eat(b':') {
                return;
            }
            self.skip_space();
            if self.peek() == Some(b'"') {
                let Some(value) = self.string() else { return };
                found(key, value);
            } else if !self.skip_value() {
                return;
            }
            self.skip_space();
            if !self.eat(b',') {
                return;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let matched = self.peek() == Some(byte);
        if matched {
            self.at += 1;
        }
        matched
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// A string at the cursor, decoded; `None` if it is not one or does not
    /// end.
    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = self.peek()?;
            self.at += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let escape = self.peek()?;
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(b),
            }
        }
    }

    /// The character of a `\uXXXX` escape (the `\u` already read), joining a
    /// surrogate pair; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Some(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
            return Some(char::REPLACEMENT_CHARACTER);
        }
        self.at += 2;
        let low = self.hex4()?;
        let joined = 0x10000 + ((high - 0xD800) << 10) + low.wrapping_sub(0xDC00);
        Some(
            (0xDC00..0xE000)
                .contains(&low)
                .then(|| char::from_u32(joined))
                .flatten()
                .unwrap_or(char::REPLACEMENT_CHARACTER),
        )
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let value = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.at += 4;
        Some(value)
    }

    /// Skips a non-string value: an object or array (brackets counted,
    /// strings inside skipped), a number, `true`, `false` or `null`. `false`
    /// if the input ends first.
    fn skip_value(&mut self) -> bool {
        match self.peek() {
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(b) = self.peek() {
                    match b {
                        b'"' => {
                            if self.string().is_none() {
                                return false;
                            }
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return true;
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
                false
            }
            Some(_) => {
                while let Some(b) = self.peek() {
                    if b == b',' || b == b'}' || b.is_ascii_whitespace() {
                        return true;
                    }
                    self.at += 1;
                }
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> InboundResponse {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        InboundResponse {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::from(body.to_string()),
        }
    }

    fn read(status: u16, headers: &[(&str, &str)], body: &str) -> Option<(String, Option<String>)> {
        AwsError::from_response(&response(status, headers, body)).map(|e| (e.code, e.message))
    }

    fn found(code: &str, message: Option<&str>) -> Option<(String, Option<String>)> {
        Some((code.to_string(), message.map(str::to_string)))
    }

    #[test]
    fn moto_json_error() {
        assert_eq!(
            read(
                400,
                &[("content-type", "application/json")],
                r#"{"__type": "ResourceNotFoundException", "message": "Stream x under account 123456789012 not found."}"#
            ),
            found(
                "ResourceNotFoundException",
                Some("Stream x under account 123456789012 not found.")
            )
        );
    }

    #[test]
    fn namespaced_json_type_loses_its_namespace() {
        assert_eq!(
            read(
                400,
                &[],
                r#"{"__type":"com.amazonaws.kinesis#ResourceNotFoundException","message":"Stream arn arn:aws:kinesis:us-east-1:000000000000:stream/does-not-exist not found"}"#
            ),
            found(
                "ResourceNotFoundException",
                Some(
                    "Stream arn arn:aws:kinesis:us-east-1:000000000000:stream/does-not-exist not found"
                )
            )
        );
    }

    #[test]
    fn json_code_and_capitalised_members() {
        assert_eq!(
            read(
                400,
                &[],
                r#"{"Code": "InvalidParameterValue", "Message": "bad \"value\" \u00e9\ud83d\ude00"}"#
            ),
            found("InvalidParameterValue", Some("bad \"value\" é😀"))
        );
        // `__type` wins over `code`, wherever each is.
        assert_eq!(
            read(
                400,
                &[],
                r#"{"code": "Other", "nested": {"__type": "No", "a": [1, "]}"]}, "n": -1.5e3, "ok": true, "__type": "ValidationException"}"#
            ),
            found("ValidationException", None)
        );
        assert_eq!(read(400, &[], r#"{"serializationError": null}"#), None);
    }

    #[test]
    fn moto_xml_auth_error() {
        let body = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>";
        let error = AwsError::from_response(&response(
            403,
            &[("content-type", "text/html; charset=utf-8")],
            body,
        ))
        .unwrap();
        assert_eq!(error.code, "SignatureDoesNotMatch");
        assert_eq!(
            error.message.as_deref(),
            Some(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        );
        assert!(error.is_auth_failure());
    }

    #[test]
    fn s3_xml_error() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>my-bucket</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>";
        assert_eq!(
            read(404, &[("content-type", "application/xml")], body),
            found("NoSuchBucket", Some("The specified bucket does not exist"))
        );
    }

    #[test]
    fn sqs_query_error_keeps_its_dotted_code() {
        let body = r#"<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>42d59b56-7407-4c4a-be0f-4c88daeea257</RequestId></ErrorResponse>"#;
        assert_eq!(
            read(400, &[], body),
            found(
                "AWS.SimpleQueueService.NonExistentQueue",
                Some("The specified queue does not exist for this wsdl version.")
            )
        );
    }

    #[test]
    fn header_form() {
        assert_eq!(
            read(
                400,
                &[(
                    "x-amzn-ErrorType",
                    "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"
                )],
                r#"{"message":"1 validation error detected"}"#
            ),
            found("ValidationException", Some("1 validation error detected"))
        );
        assert_eq!(
            read(403, &[("x-amzn-ErrorType", "AccessDeniedException")], ""),
            found("AccessDeniedException", None)
        );
    }

    #[test]
    fn non_error_answers_give_nothing() {
        let body = r#"{"__type": "ResourceNotFoundException", "message": "x"}"#;
        assert_eq!(read(200, &[], body), None);
        assert_eq!(read(302, &[("x-amzn-ErrorType", "X")], body), None);
        assert_eq!(read(400, &[], r#"{"StreamNames": []}"#), None);
        assert_eq!(
            read(
                500,
                &[],
                "<!doctype html><title>500 Internal Server Error</title>"
            ),
            None
        );
        assert_eq!(read(404, &[], ""), None);
        assert_eq!(read(400, &[], "Not found"), None);
    }

    #[test]
    fn truncated_bodies_give_what_they_hold() {
        assert_eq!(
            read(
                400,
                &[],
                r#"{"__type": "ResourceNotFoundException", "message": "Stream x under acc"#
            ),
            found("ResourceNotFoundException", None)
        );
        assert_eq!(read(400, &[], r#"{"message": "Stream x", "__ty"#), None);
        assert_eq!(
            read(
                403,
                &[],
                "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security"
            ),
            found("InvalidClientTokenId", None)
        );
    }

    #[test]
    fn only_the_first_64_kib_are_read() {
        let padding = "x".repeat(MAX_SCANNED_BYTES);
        let late = format!(r#"{{"pad": "{padding}", "__type": "Late"}}"#);
        assert_eq!(read(400, &[], &late), None);
        let early = format!(r#"{{"__type": "Early", "pad": "{padding}"}}"#);
        assert_eq!(read(400, &[], &early), found("Early", None));
    }

    #[test]
    fn signature_errors_lose_the_canonical_request() {
        let body = "{\"__type\": \"InvalidSignatureException\", \"message\": \"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\\n\\nThe Canonical String for this request should have been\\n'POST\\n/\\nAction=PutRecord\\nhost:kinesis.us-east-1.amazonaws.com\\nx-amz-date:20231114T221320Z\\nx-amz-security-token:FwoGZXIvYXdzSECRET\\n'\"}";
        let error = AwsError::from_response(&response(400, &[], body)).unwrap();
        assert_eq!(error.code, "InvalidSignatureException");
        assert_eq!(
            error.message.as_deref(),
            Some(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            )
        );
        // The same text run together on one line.
        let body = r#"{"__type": "InvalidSignatureException", "message": "Check your key. The Canonical String for this request should have been 'POST / x-amz-security-token:FwoGZXIvYXdzSECRET'"}"#;
        let error = AwsError::from_response(&response(400, &[], body)).unwrap();
        assert_eq!(error.message.as_deref(), Some("Check your key."));
    }

    #[test]
    fn signing_details_are_cut_whatever_their_case() {
        assert_eq!(
            without_signing_details("bad: X-AMZ-SECURITY-TOKEN:abc"),
            "bad: "
        );
        assert_eq!(
            without_signing_details("a. the string-to-sign should have been 'x'"),
            "a. "
        );
        assert_eq!(without_signing_details("Rate exceeded"), "Rate exceeded");
    }

    #[test]
    fn implausible_codes_are_ignored() {
        assert_eq!(read(400, &[], r#"{"__type": "two words"}"#), None);
        assert_eq!(read(400, &[], r#"{"__type": ""}"#), None);
        assert_eq!(
            read(
                400,
                &[("x-amzn-ErrorType", "Throttling")],
                r#"{"__type": "<script>"}"#
            ),
            found("Throttling", None)
        );
    }

    #[test]
    fn auth_failures_are_the_gateways_own() {
        for code in [
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "IncompleteSignature",
            "IncompleteSignatureException",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "MissingAuthenticationToken",
            "MissingAuthenticationTokenException",
            "ExpiredToken",
            "ExpiredTokenException",
            "AccessDenied",
            "AccessDeniedException",
            "AuthFailure",
            "AuthorizationError",
        ] {
            assert!(is_auth_failure(code), "{code}");
        }
        for code in [
            "ResourceNotFoundException",
            "ProvisionedThroughputExceededException",
            "ValidationException",
            "NoSuchBucket",
            "accessdenied",
            "",
        ] {
            assert!(!is_auth_failure(code), "{code}");
        }
    }

    #[test]
    fn display_is_code_then_message() {
        let error = AwsError {
            code: "AccessDenied".into(),
            message: Some("User: arn:aws:iam::123456789012:user/gw-reader is not authorized to perform: kinesis:PutRecord".into()),
        };
        assert_eq!(
            error.to_string(),
            "AccessDenied: User: arn:aws:iam::123456789012:user/gw-reader is not authorized to perform: kinesis:PutRecord"
        );
        let error = AwsError {
            code: "Throttling".into(),
            message: None,
        };
        assert_eq!(error.to_string(), "Throttling");
    }
}
