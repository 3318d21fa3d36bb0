//! SigV4 signing of an [`OutboundRequest`], exactly as it will be sent.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::{Credentials, Error, OutboundRequest, Service};

/// Signs requests for one service in one region.
#[derive(Debug, Clone)]
pub struct Signer {
    service: String,
    region: String,
    credentials: Credentials,
    settings: SigningSettings,
}

impl Signer {
    pub fn new(service: &Service, region: &str, credentials: Credentials) -> Self {
        let mut settings = SigningSettings::default();
        if service.s3_signing {
            // S3 signs the path exactly as sent and wants the body hash as a header.
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        Self {
            service: service.signing_name.clone(),
            region: region.to_string(),
            credentials,
            settings,
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Signs `request` in place: adds `X-Amz-Date`, `Authorization` and, for
    /// temporary credentials, `X-Amz-Security-Token`.
    ///
    /// Call it last, after every mapping: the signature covers the method, the
    /// path and query, every header present, and the body bytes. The client adds
    /// `Host` and `Content-Length` after this; `Host` is signed from the URL's
    /// authority (with its port), which is what the client sends.
    pub async fn sign(&self, request: &mut OutboundRequest) -> Result<(), Error> {
        let credentials = self.credentials.get().await?;
        self.sign_with(request, (*credentials).clone(), SystemTime::now())
    }

    /// Signs with given credentials and time; deterministic, for tests.
    pub fn sign_with(
        &self,
        request: &mut OutboundRequest,
        credentials: aws_credential_types::Credentials,
        time: SystemTime,
    ) -> Result<(), Error> {
        let identity = Identity::from(credentials);
        // Except for S3, no `x-amz-content-sha256` header is sent: the body hash
        // is computed and signed, so a tampered body fails verification.
        let settings = self.settings.clone();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| Error::Signing(e.to_string()))?
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
        .map_err(|e| Error::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| Error::Signing(e.to_string()))?
            .into_parts();
        let (headers, _query) = instructions.into_parts();
        for header in headers {
            request.set_header(header.name(), header.value());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request() -> OutboundRequest {
        let mut r = OutboundRequest::new(
            http::Method::POST,
            "http://127.0.0.1:5000/?Action=ListStreams".to_string(),
        );
        r.set_header("Content-Type", "application/x-amz-json-1.1");
        r.body = "{}".into();
        r
    }

    fn creds(token: Option<&str>) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            token.map(String::from),
            None,
            "t",
        )
    }

    const TIME: Duration = Duration::from_secs(1_700_000_000);

    #[test]
    fn signs_host_with_port_query_content_type_and_body() {
        let signer = Signer::new(
            &Service::lookup("kinesis"),
            "us-east-1",
            Credentials::fixed("a", "b", None),
        );
        let mut r = request();
        signer
            .sign_with(&mut r, creds(None), SystemTime::UNIX_EPOCH + TIME)
            .unwrap();
        let auth = r.header("authorization").unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/kinesis/aws4_request"
        ));
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{auth}"
        );
        assert_eq!(r.header("x-amz-date"), Some("20231114T221320Z"));
        assert!(r.header("x-amz-content-sha256").is_none());

        // A different body gives a different signature.
        let mut other = request();
        other.body = "{ }".into();
        signer
            .sign_with(&mut other, creds(None), SystemTime::UNIX_EPOCH + TIME)
            .unwrap();
        assert_ne!(other.header("authorization"), r.header("authorization"));
    }

    #[test]
    fn session_token_is_sent() {
        let signer = Signer::new(
            &Service::lookup("kinesis"),
            "us-east-1",
            Credentials::fixed("a", "b", None),
        );
        let mut r = request();
        signer
            .sign_with(&mut r, creds(Some("tok")), SystemTime::UNIX_EPOCH + TIME)
            .unwrap();
        assert_eq!(r.header("x-amz-security-token"), Some("tok"));
    }
}
