//! The account that the gateway's credentials belong to: STS
//! GetCallerIdentity, sent like any integration request (the same endpoint
//! rules, signer and client), so that an endpoint override and a CA bundle
//! apply to it too.

use std::time::Duration;

use crate::{
    AwsError, Client, Credentials, Endpoint, Error, OutboundRequest, Service, Signer, xml,
};

/// How long STS may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of STS's answer is searched for the account.
const MAX_SCANNED_BYTES: usize = 64 * 1024;

/// The 12-digit id of the account that `credentials` belong to, as STS
/// GetCallerIdentity in `region` says (`Action=GetCallerIdentity&Version=2011-06-15`,
/// signed for `sts`). STS's endpoint is resolved as any service's (see
/// [`Endpoint::resolve`]): `endpoint_url` (the configuration),
/// `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, then
/// `https://sts.<region>.amazonaws.com`. `env` reads an environment variable.
/// STS gets 10 seconds to answer.
///
/// An error answer is [`Error::Service`], whose [`AwsError`] tells a
/// credential failure (`InvalidClientTokenId`, `SignatureDoesNotMatch`,
/// `ExpiredToken`) from others.
pub async fn caller_account(
    client: &Client,
    credentials: &Credentials,
    region: &str,
    endpoint_url: Option<&str>,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, Error> {
    let service = Service::lookup("sts");
    let endpoint = Endpoint::resolve(&service, region, endpoint_url, env)?;
    // As the AWS SDKs call it: the action and version in a form body (not
    // an API Gateway action call, which names the action in the URL).
    let mut request = OutboundRequest::new(http::Method::POST, format!("{}/", endpoint.base()));
    request.body = "Action=GetCallerIdentity&Version=2011-06-15".into();
    request.set_header(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    Signer::new(&service, region, credentials.clone())
        .sign(&mut request)
        .await?;
    let url = request.url.clone();
    let response = client.send(request, TIMEOUT).await?;
    if response.status.as_u16() >= 400 {
        return Err(Error::Service {
            service: service.name,
            status: response.status,
            error: AwsError::from_response(&response),
        });
    }
    let account = response
        .status
        .is_success()
        .then(|| account(&response.body))
        .flatten();
    account.ok_or_else(|| Error::BadResponse {
        url,
        reason: format!(
            "STS GetCallerIdentity answered {} without a 12-digit <Account>",
            response.status
        ),
        source: None,
    })
}

/// The `<Account>` of a GetCallerIdentity answer, if it is 12 digits.
fn account(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_SCANNED_BYTES)]);
    let result = xml::after_start_tag(&text, "GetCallerIdentityResult").unwrap_or(&text);
    let account = xml::element_text(result, "Account")?;
    let account = account.trim();
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::ClientOptions;

    /// AWS's documented answer.
    const AWS_ANSWER: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"#;

    #[test]
    fn reads_the_account_of_the_answer() {
        assert_eq!(
            account(AWS_ANSWER.as_bytes()).as_deref(),
            Some("123456789012")
        );
        // An account id keeps its leading zeros.
        let moto = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::000000000042:user/moto</Arn><UserId>AKIAIOSFODNN7EXAMPLE</UserId><Account>000000000042</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
        assert_eq!(account(moto.as_bytes()).as_deref(), Some("000000000042"));
    }

    #[test]
    fn refuses_an_answer_without_a_12_digit_account() {
        for body in [
            "<GetCallerIdentityResult><Account>12345678901</Account></GetCallerIdentityResult>",
            "<GetCallerIdentityResult><Account>12345678901a</Account></GetCallerIdentityResult>",
            "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn></GetCallerIdentityResult>",
            "<GetCallerIdentityResult><Account>1234567",
            "{\"Account\": \"123456789012\"}",
            "",
        ] {
            assert_eq!(account(body.as_bytes()), None, "{body}");
        }
    }

    /// A one-request STS on loopback: answers `status` and `body` and hands
    /// back the request it got.
    async fn fake_sts(
        status: &'static str,
        body: &'static str,
    ) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Headers, then the body by its Content-Length.
            loop {
                let n = socket.read(&mut buffer).await.unwrap();
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                assert!(n > 0, "the request ended early");
            }
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8(request).unwrap()
        });
        (url, served)
    }

    #[tokio::test]
    async fn asks_sts_at_its_endpoint_variable_with_a_signed_query_call() {
        let (url, served) = fake_sts("200 OK", AWS_ANSWER).await;
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_STS" => Some(url.clone()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1".to_string()),
            _ => None,
        };
        let client = Client::new(&ClientOptions::default()).unwrap();
        let credentials = Credentials::fixed("AKIDEXAMPLE", "secret", None);
        let account = caller_account(&client, &credentials, "eu-west-1", None, &env)
            .await
            .unwrap();
        assert_eq!(account, "123456789012");

        let request = served.await.unwrap();
        let (head, body) = request.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("POST / HTTP/1.1\r\n"), "{head}");
        assert_eq!(body, "Action=GetCallerIdentity&Version=2011-06-15");
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            header("content-type"),
            "application/x-www-form-urlencoded; charset=utf-8"
        );
        let authorization = header("authorization");
        let date = &header("x-amz-date")[..8];
        assert!(
            authorization.starts_with(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{date}/eu-west-1/sts/aws4_request, "
            )),
            "{authorization}"
        );
    }

    #[tokio::test]
    async fn an_error_answer_is_a_service_error_with_the_aws_code() {
        let (url, _served) = fake_sts(
            "403 Forbidden",
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4e6f0a6c-1b8d-4b5e-9a1e-0a8c4e0f3b2d</RequestId></ErrorResponse>",
        )
        .await;
        let client = Client::new(&ClientOptions::default()).unwrap();
        let credentials = Credentials::fixed("AKIDEXAMPLE", "secret", None);
        let error = caller_account(&client, &credentials, "us-east-1", Some(&url), &|_| None)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "sts answered 403 Forbidden: InvalidClientTokenId: The security token included in the request is invalid."
        );
        assert_eq!(error.origin(), crate::Origin::Configuration);
    }

    #[tokio::test]
    async fn a_success_without_an_account_is_a_bad_response() {
        let (url, _served) = fake_sts("200 OK", "<GetCallerIdentityResponse/>").await;
        let client = Client::new(&ClientOptions::default()).unwrap();
        let credentials = Credentials::fixed("AKIDEXAMPLE", "secret", None);
        let error = caller_account(&client, &credentials, "us-east-1", Some(&url), &|_| None)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "bad response from the integration endpoint {url}/: STS GetCallerIdentity answered 200 OK without a 12-digit <Account>"
            )
        );
    }
}
