//! `aws_iam`: the caller signed the request with SigV4 for `execute-api`,
//! with an access key from a local file of callers.
//!
//! The signature is computed again with the gateway's own signer over the
//! request as it arrived (method, path and query as sent, the headers the
//! caller says it signed, the body, the time and region of its credential
//! scope) and compared in constant time. API Gateway checks real AWS
//! identities with IAM, which holds their secrets; a self-hosted gateway
//! does not have them, so it knows only the callers its file names.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gateway_integration::{Credentials, OutboundRequest, Service, Signer};

use super::{Outcome, constant_time_eq};
use crate::error::{GatewayError, ResponseType};
use crate::pipeline::MethodRequest;

/// How far a signature's time may be from the gateway's clock, as AWS
/// allows.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// One caller of the credentials file.
pub struct Caller {
    pub access_key: String,
    secret: String,
    pub user_arn: String,
    /// `$context.identity.caller` and `user`: the user's id, or the last
    /// part of its ARN.
    pub user_id: String,
    /// From the ARN.
    pub account_id: String,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Caller")
            .field("access_key", &self.access_key)
            .field("user_arn", &self.user_arn)
            .finish_non_exhaustive()
    }
}

impl Caller {
    pub fn new(
        access_key: String,
        secret: String,
        user_arn: String,
        user_id: Option<String>,
    ) -> Self {
        let account_id = user_arn.split(':').nth(4).unwrap_or_default().to_string();
        let user_id = user_id.unwrap_or_else(|| {
            user_arn
                .rsplit(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_string()
        });
        Self {
            access_key,
            secret,
            user_arn,
            user_id,
            account_id,
        }
    }
}

/// A compiled `aws_iam` authorizer.
#[derive(Debug)]
pub struct IamAuthorizer {
    pub name: String,
    /// The region signatures must be scoped to.
    pub region: String,
    pub callers: HashMap<String, Arc<Caller>>,
}

/// API Gateway's words for a signature that does not match.
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn invalid(message: &'static str, reason: String) -> GatewayError {
    GatewayError::client_with_cause(ResponseType::InvalidSignature, message, reason)
}

impl IamAuthorizer {
    /// Checks the request's signature; the caller becomes
    /// `$context.identity.*`.
    pub fn verify(&self, request: &MethodRequest) -> Result<Outcome, GatewayError> {
        let name = &self.name;
        let Some(authorization) = request.header("authorization") else {
            return Err(GatewayError::client_with_cause(
                ResponseType::MissingAuthenticationToken,
                "Missing Authentication Token",
                format!("authorizer `{name}`: no Authorization header"),
            ));
        };
        let malformed = |what: &str| {
            invalid(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of a SigV4 signature.",
                format!("authorizer `{name}`: the Authorization header {what}"),
            )
        };
        let fields = authorization
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or_else(|| malformed("is not AWS4-HMAC-SHA256"))?;
        let field = |key: &str| {
            fields
                .split(',')
                .map(str::trim)
                .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
        };
        let (Some(credential), Some(signed_headers), Some(signature)) = (
            field("Credential"),
            field("SignedHeaders"),
            field("Signature"),
        ) else {
            return Err(malformed("lacks Credential, SignedHeaders or Signature"));
        };
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key, date, region, service, "aws4_request"] = scope[..] else {
            return Err(malformed("has a malformed credential scope"));
        };
        if service != "execute-api" {
            return Err(invalid(
                MISMATCH,
                format!("authorizer `{name}`: signed for service `{service}`, not execute-api"),
            ));
        }
        if !self.region.is_empty() && region != self.region {
            return Err(invalid(
                "Credential should be scoped to a valid region.",
                format!(
                    "authorizer `{name}`: signed for region `{region}`, not {}",
                    self.region
                ),
            ));
        }
        let Some(caller) = self.callers.get(access_key) else {
            return Err(invalid(
                "The security token included in the request is invalid.",
                format!(
                    "authorizer `{name}`: access key {access_key} is not in the credentials file"
                ),
            ));
        };
        let amz_date = request
            .header("x-amz-date")
            .ok_or_else(|| malformed("comes without an X-Amz-Date header"))?;
        let time =
            amz_time(amz_date).ok_or_else(|| malformed("comes with a malformed X-Amz-Date"))?;
        if !amz_date.starts_with(date) {
            return Err(malformed("has a scope date other than X-Amz-Date's"));
        }
        let skew = SystemTime::now()
            .duration_since(time)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .unwrap_or_default();
        if skew > MAX_SKEW {
            return Err(invalid(
                "Signature expired.",
                format!(
                    "authorizer `{name}`: the signature's time {amz_date} is more than 5 minutes away"
                ),
            ));
        }
        let signed: Vec<&str> = signed_headers.split(';').collect();
        if !signed.contains(&"host") {
            return Err(malformed("does not sign the Host header"));
        }

        // The request as it arrived, with the headers it says it signed.
        let host = request.header("host").unwrap_or_default();
        let mut url = format!("http://{host}{}", request.path);
        if !request.raw_query.is_empty() {
            url.push('?');
            url.push_str(&request.raw_query);
        }
        let mut rebuilt = OutboundRequest::new(
            http::Method::from_bytes(request.method.as_bytes())
                .map_err(|_| malformed("comes with a request of an unknown method"))?,
            url,
        );
        for header in signed.iter().filter(|h| **h != "host") {
            for (n, v) in &request.headers {
                if n.eq_ignore_ascii_case(header) {
                    rebuilt.headers.push((header.to_string(), v.clone()));
                }
            }
        }
        rebuilt.body = request.body.clone();
        let credentials = aws_credential_types::Credentials::new(
            &caller.access_key,
            &caller.secret,
            None,
            None,
            "gateway-callers-file",
        );
        let signer = Signer::new(
            &Service::lookup("execute-api"),
            region,
            Credentials::fixed(&caller.access_key, &caller.secret, None),
        );
        signer
            .sign_with(&mut rebuilt, &credentials, time)
            .map_err(|e| malformed(&format!("cannot be checked: {e}")))?;
        let expected = rebuilt
            .header("authorization")
            .and_then(|a| a.rsplit("Signature=").next())
            .unwrap_or_default();
        if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return Err(invalid(
                MISMATCH,
                format!("authorizer `{name}`: the signature of {access_key} does not match"),
            ));
        }
        Ok(Outcome {
            caller: Some(caller.clone()),
            authorizer: gateway_mapping::Authorizer {
                principal_id: caller.user_id.clone(),
                ..Default::default()
            },
            usage_identifier_key: None,
        })
    }
}

/// `20240101T000000Z` as a time.
fn amz_time(text: &str) -> Option<SystemTime> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if text.len() != 16 || text.as_bytes()[8] != b'T' || !text.ends_with('Z') {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let at = date
        .with_hms(
            u8::try_from(digits(9..11)?).ok()?,
            u8::try_from(digits(11..13)?).ok()?,
            u8::try_from(digits(13..15)?).ok()?,
        )
        .ok()?
        .assume_utc();
    Some(SystemTime::from(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorizer() -> IamAuthorizer {
        let caller = Caller::new(
            "AKIDCALLER".into(),
            "caller/secret".into(),
            "arn:aws:iam::123456789012:user/alice".into(),
            None,
        );
        IamAuthorizer {
            name: "signed".into(),
            region: "us-east-1".into(),
            callers: HashMap::from([("AKIDCALLER".to_string(), Arc::new(caller))]),
        }
    }

    /// A request signed as an SDK signs it, with `secret`.
    fn signed(secret: &str, body: &'static str) -> MethodRequest {
        let mut outbound = OutboundRequest::new(
            http::Method::POST,
            "http://127.0.0.1:8080/items/a%20b?z=1&a=2".into(),
        );
        outbound.set_header("Content-Type", "application/json");
        outbound.body = bytes::Bytes::from_static(body.as_bytes());
        let signer = Signer::new(
            &Service::lookup("execute-api"),
            "us-east-1",
            Credentials::fixed("AKIDCALLER", secret, None),
        );
        let credentials =
            aws_credential_types::Credentials::new("AKIDCALLER", secret, None, None, "test");
        signer
            .sign_with(&mut outbound, &credentials, SystemTime::now())
            .unwrap();
        let mut headers = vec![("Host".to_string(), "127.0.0.1:8080".to_string())];
        headers.extend(outbound.headers.clone());
        MethodRequest {
            method: "POST".into(),
            path: "/items/a%20b".into(),
            raw_query: "z=1&a=2".into(),
            headers,
            body: outbound.body,
            ..MethodRequest::default()
        }
    }

    #[test]
    fn a_known_caller_passes_and_fills_the_identity() {
        let outcome = authorizer().verify(&signed("caller/secret", "{}")).unwrap();
        let caller = outcome.caller.unwrap();
        assert_eq!(caller.user_arn, "arn:aws:iam::123456789012:user/alice");
        assert_eq!(caller.user_id, "alice");
        assert_eq!(caller.account_id, "123456789012");
    }

    #[test]
    fn a_wrong_secret_or_a_changed_body_fails() {
        let error = authorizer().verify(&signed("other", "{}")).unwrap_err();
        assert_eq!(error.kind, ResponseType::InvalidSignature);
        assert_eq!(error.message, MISMATCH);
        let mut changed = signed("caller/secret", "{}");
        changed.body = bytes::Bytes::from_static(b"{\"more\": 1}");
        assert!(authorizer().verify(&changed).is_err());
        assert!(!format!("{:?}", authorizer()).contains("caller/secret"));
    }
}
