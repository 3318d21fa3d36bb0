//! SigV4 signing of an [`OutboundRequest`], exactly as it will be sent.
//!
//! The canonical request is built here, straight from the request the gateway
//! assembled, so that the signing key can be cached: it depends only on the
//! secret, the day, the region and the service, and deriving it costs four
//! HMACs per request otherwise. The key derivation and the final HMAC are
//! aws-sigv4's; the tests check every signature against aws-sigv4's own
//! signer.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::request::encode_query_component;
use crate::{Credentials, Error, OutboundRequest, Service};

/// Headers that are never signed: computed by signing, or rewritten on the way
/// (the same set as the AWS SDKs').
const UNSIGNED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// Signs requests for one service in one region.
#[derive(Debug, Clone)]
pub struct Signer {
    service: String,
    region: String,
    credentials: Credentials,
    /// S3 signs the path exactly as sent (no normalisation, no second
    /// encoding) and wants the body hash as the `x-amz-content-sha256` header.
    s3: bool,
    key: Arc<Mutex<Option<CachedKey>>>,
}

/// A derived signing key and what it was derived from.
struct CachedKey {
    date: String,
    access_key_id: String,
    secret: String,
    key: [u8; 32],
}

impl std::fmt::Debug for CachedKey {
    // Never prints the secret or the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedKey")
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(service: &Service, region: &str, credentials: Credentials) -> Self {
        Self {
            service: service.signing_name.clone(),
            region: region.to_string(),
            credentials,
            s3: service.s3_signing,
            key: Arc::new(Mutex::new(None)),
        }
    }

    /// Signs `request` in place: adds `X-Amz-Date`, `Authorization` and, for
    /// temporary credentials, `X-Amz-Security-Token`.
    ///
    /// Call it last, after every mapping: the signature covers the method, the
    /// path and query, every header present, and the body bytes. The client adds
    /// `Host` and `Content-Length` after this; `Host` is signed from the URL's
    /// authority (with its port unless it is the scheme's default), which is what
    /// the client sends.
    pub async fn sign(&self, request: &mut OutboundRequest) -> Result<(), Error> {
        let credentials = self.credentials.get().await?;
        self.sign_with(request, &credentials, SystemTime::now())
    }

    /// Signs with given credentials and time; deterministic, for tests.
    pub fn sign_with(
        &self,
        request: &mut OutboundRequest,
        credentials: &aws_credential_types::Credentials,
        time: SystemTime,
    ) -> Result<(), Error> {
        let amz_date = amz_date(time);
        // The URL is only read; taking it lets the headers change meanwhile.
        let url = std::mem::take(&mut request.url);
        let signed = self.sign_parts(request, &url, credentials, time, &amz_date);
        request.url = url;
        signed
    }

    fn sign_parts(
        &self,
        request: &mut OutboundRequest,
        url: &str,
        credentials: &aws_credential_types::Credentials,
        time: SystemTime,
        amz_date: &str,
    ) -> Result<(), Error> {
        let date = &amz_date[..8];
        let (scheme_authority, path_and_query) = split_url(url)?;
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));

        let payload_hash = hex(&Sha256::digest(&request.body));
        if self.s3 {
            request.set_header("x-amz-content-sha256", payload_hash.clone());
        }
        request.set_header("X-Amz-Date", amz_date);
        if let Some(token) = credentials.session_token() {
            request.set_header("X-Amz-Security-Token", token);
        }

        // Canonical headers: lower-case names, sorted, values trimmed and
        // repeated values joined, plus `host`.
        let mut headers: Vec<(String, String)> = Vec::with_capacity(request.headers.len() + 1);
        headers.push(("host".to_string(), host(scheme_authority)?.to_string()));
        for (name, value) in &request.headers {
            let name = name.to_ascii_lowercase();
            if UNSIGNED.contains(&name.as_str()) {
                continue;
            }
            let value = trim_all(value);
            match headers.iter_mut().find(|(n, _)| *n == name) {
                Some((_, existing)) => {
                    existing.push(',');
                    existing.push_str(&value);
                }
                None => headers.push((name, value)),
            }
        }
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        let signed_headers = headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";");

        let mut canonical = String::with_capacity(256 + url.len());
        canonical.push_str(request.method.as_str());
        canonical.push('\n');
        if self.s3 {
            canonical.push_str(if path.is_empty() { "/" } else { path });
        } else {
            canonical_path(&normalize_path(path), &mut canonical);
        }
        canonical.push('\n');
        canonical_query(query, &mut canonical);
        canonical.push('\n');
        for (name, value) in &headers {
            canonical.push_str(name);
            canonical.push(':');
            canonical.push_str(value);
            canonical.push('\n');
        }
        canonical.push('\n');
        canonical.push_str(&signed_headers);
        canonical.push('\n');
        canonical.push_str(&payload_hash);

        let mut scope =
            String::with_capacity(date.len() + self.region.len() + self.service.len() + 16);
        for part in [date, "/", &self.region, "/", &self.service, "/aws4_request"] {
            scope.push_str(part);
        }
        let mut string_to_sign = String::with_capacity(128 + scope.len());
        for part in [
            "AWS4-HMAC-SHA256\n",
            amz_date,
            "\n",
            &scope,
            "\n",
            &hex(&Sha256::digest(canonical.as_bytes())),
        ] {
            string_to_sign.push_str(part);
        }
        let key = self.key(credentials, date, time);
        let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
        let mut authorization = String::with_capacity(160 + signed_headers.len());
        for part in [
            "AWS4-HMAC-SHA256 Credential=",
            credentials.access_key_id(),
            "/",
            &scope,
            ", SignedHeaders=",
            &signed_headers,
            ", Signature=",
            &signature,
        ] {
            authorization.push_str(part);
        }
        request.set_header("Authorization", authorization);
        Ok(())
    }

    /// The signing key for `date`, derived only when the day or the
    /// credentials changed. Every worker signs with the same `Signer`, so the
    /// lock is held only to compare and copy the 32-byte key.
    fn key(
        &self,
        credentials: &aws_credential_types::Credentials,
        date: &str,
        time: SystemTime,
    ) -> [u8; 32] {
        let mut cached = self.key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cached.as_ref()
            && c.date == date
            && c.access_key_id == credentials.access_key_id()
            && c.secret == credentials.secret_access_key()
        {
            return c.key;
        }
        let derived = aws_sigv4::sign::v4::generate_signing_key(
            credentials.secret_access_key(),
            time,
            &self.region,
            &self.service,
        );
        let mut key = [0u8; 32];
        key.copy_from_slice(derived.as_ref());
        *cached = Some(CachedKey {
            date: date.to_string(),
            access_key_id: credentials.access_key_id().to_string(),
            secret: credentials.secret_access_key().to_string(),
            key,
        });
        key
    }
}

/// `20231114T221320Z`. It changes once a second, so each thread keeps the
/// last one.
fn amz_date(time: SystemTime) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let second = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != second {
            let t = time::OffsetDateTime::from(time);
            let text = format!(
                "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            *last = (second, text);
        }
        last.1.clone()
    })
}

/// `http://host:port/path?query` → (`http://host:port`, `/path?query`).
fn split_url(url: &str) -> Result<(&str, &str), Error> {
    let after_scheme = url
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| Error::Signing(format!("`{url}` has no scheme")))?;
    let end = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    Ok((&url[..end], &url[end..]))
}

/// The `Host` the client sends: the authority, without the scheme's default port.
fn host(scheme_authority: &str) -> Result<&str, Error> {
    let (scheme, authority) = scheme_authority
        .split_once("://")
        .ok_or_else(|| Error::Signing(format!("`{scheme_authority}` has no scheme")))?;
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    Ok(match authority.strip_suffix(default_port) {
        Some(host) if !default_port.is_empty() => host,
        _ => authority,
    })
}

/// Trims spaces and folds runs of spaces into one, as SigV4 canonicalises
/// header values.
fn trim_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut previous_space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' {
            if !previous_space {
                out.push(c);
            }
            previous_space = true;
        } else {
            out.push(c);
            previous_space = false;
        }
    }
    out
}

/// Removes `.` and `..` segments and empty segments, as services do before
/// checking a signature (all but S3).
fn normalize_path(path: &str) -> std::borrow::Cow<'_, str> {
    if path.is_empty() {
        return "/".into();
    }
    if !path.contains('.') && !path.contains("//") && path.starts_with('/') {
        return path.into();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    let trailing = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|s| path.ends_with(s));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out.into()
}

/// The path encoded once more, keeping `/`: services other than S3 decode the
/// path once before canonicalising it.
fn canonical_path(path: &str, out: &mut String) {
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&encode_query_component(segment));
    }
}

/// Query pairs decoded, re-encoded (RFC 3986) and sorted.
fn canonical_query(query: &str, out: &mut String) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (encode_query_component(&k), encode_query_component(&v)))
        .collect();
    pairs.sort();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    use std::time::Duration;

    const TIME: Duration = Duration::from_secs(1_700_000_000);

    fn creds(token: Option<&str>) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(String::from),
            None,
            "t",
        )
    }

    /// What aws-sigv4 puts in `Authorization` for the same request.
    fn reference(
        request: &OutboundRequest,
        service: &str,
        s3: bool,
        token: Option<&str>,
    ) -> String {
        let identity = aws_smithy_runtime_api::client::identity::Identity::from(creds(token));
        let mut settings = SigningSettings::default();
        if s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(SystemTime::UNIX_EPOCH + TIME)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            request.method.as_str(),
            request.url.as_str(),
            request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&request.body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (headers, _) = instructions.into_parts();
        headers
            .into_iter()
            .find(|h| h.name() == "authorization")
            .unwrap()
            .value()
            .to_string()
    }

    fn check(
        service: &str,
        method: http::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
        token: Option<&str>,
    ) {
        let service = Service::lookup(service);
        let signer = Signer::new(&service, "us-east-1", Credentials::fixed("a", "b", None));
        let mut request = OutboundRequest::new(method, url.to_string());
        for (name, value) in headers {
            request.headers.push((name.to_string(), value.to_string()));
        }
        request.body = body.to_string().into();
        let expected = reference(&request, &service.signing_name, service.s3_signing, token);
        signer
            .sign_with(&mut request, &creds(token), SystemTime::UNIX_EPOCH + TIME)
            .unwrap();
        assert_eq!(
            request.header("authorization"),
            Some(expected.as_str()),
            "{url} {headers:?}"
        );
        assert_eq!(request.header("x-amz-date"), Some("20231114T221320Z"));
        assert_eq!(request.header("x-amz-security-token"), token);
        assert_eq!(
            request.header("x-amz-content-sha256").is_some(),
            service.s3_signing
        );
    }

    #[test]
    fn signatures_match_aws_sigv4() {
        use http::Method;
        let json = [("Content-Type", "application/x-amz-json-1.1")];
        check(
            "kinesis",
            Method::POST,
            "http://127.0.0.1:5000/?Action=PutRecord",
            &json,
            r#"{"a": 1}"#,
            None,
        );
        check(
            "kinesis",
            Method::POST,
            "https://kinesis.us-east-1.amazonaws.com/?Action=ListStreams",
            &json,
            "{}",
            Some("tok"),
        );
        check(
            "kinesis",
            Method::POST,
            "http://localhost:80/?Action=ListStreams",
            &json,
            "{}",
            None,
        );
        check(
            "kinesis",
            Method::POST,
            "https://localhost:443/?Action=ListStreams",
            &json,
            "",
            None,
        );
        check(
            "dynamodb",
            Method::POST,
            "http://127.0.0.1:5000/?Action=PutItem&z=1&a=b%20c&a=a&q=x%2By",
            &[
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", "DynamoDB_20120810.PutItem"),
                ("X-Custom", "  a   b  "),
            ],
            "{}",
            None,
        );
        check(
            "sns",
            Method::POST,
            "http://127.0.0.1:5000/",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            "Action=Publish&Version=2010-03-31",
            None,
        );
        check(
            "lambda",
            Method::POST,
            "http://127.0.0.1:5000/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
            &[],
            "{}",
            None,
        );
        check(
            "lambda",
            Method::GET,
            "http://127.0.0.1:5000/a/./b/../c//d%20e/",
            &[("User-Agent", "x"), ("X-A", "1"), ("x-a", "2")],
            "",
            None,
        );
        check(
            "s3",
            Method::PUT,
            "http://127.0.0.1:5000/bucket/a%2Fb%20c.txt",
            &[("x-amz-meta-owner", "me"), ("Content-Type", "text/plain")],
            "hello",
            None,
        );
        check(
            "s3",
            Method::GET,
            "http://127.0.0.1:5000/bucket?list-type=2&prefix=a%2F",
            &[],
            "",
            Some("tok"),
        );
        check(
            "states",
            Method::POST,
            "http://[::1]:5000/?Action=StartExecution",
            &json,
            "{}",
            None,
        );
    }

    #[test]
    fn the_signing_key_is_derived_once_per_day() {
        let signer = Signer::new(
            &Service::lookup("kinesis"),
            "us-east-1",
            Credentials::fixed("a", "b", None),
        );
        let mut request = OutboundRequest::new(
            http::Method::POST,
            "http://127.0.0.1:5000/?Action=ListStreams".into(),
        );
        signer
            .sign_with(&mut request, &creds(None), SystemTime::UNIX_EPOCH + TIME)
            .unwrap();
        let first = signer.key.lock().unwrap().as_ref().map(|c| c.key);
        signer
            .sign_with(
                &mut request,
                &creds(None),
                SystemTime::UNIX_EPOCH + TIME + Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(signer.key.lock().unwrap().as_ref().map(|c| c.key), first);
        // The next day, a new key.
        signer
            .sign_with(
                &mut request,
                &creds(None),
                SystemTime::UNIX_EPOCH + TIME + Duration::from_secs(86_400),
            )
            .unwrap();
        assert_ne!(signer.key.lock().unwrap().as_ref().map(|c| c.key), first);
        assert!(!format!("{:?}", signer.key).contains("wJalr"));
    }

    #[test]
    fn host_drops_only_default_ports() {
        assert_eq!(host("http://a:80").unwrap(), "a");
        assert_eq!(host("https://a:443").unwrap(), "a");
        assert_eq!(host("http://a:443").unwrap(), "a:443");
        assert_eq!(host("http://127.0.0.1:5000").unwrap(), "127.0.0.1:5000");
    }
}
