//! Authorizers end to end, with the real binary: JWTs checked against a
//! JWKS made and served by the test, Lambda authorizers invoked on the
//! Lambda stand-in (which checks every call's signature), and SigV4
//! signatures of callers from a local file. Each test checks the status and
//! body the client gets, what reached the backend, and what the log says.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::jwks::{Issuer, SigningKey};
use crate::support::lambda::LambdaStandIn;
use crate::support::{AccessKey, EchoServer, Gateway, GatewayOptions, client, write_config};

/// A response read whole.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn request_id(&self) -> &str {
        self.headers["x-amzn-requestid"].to_str().unwrap()
    }

    /// The echo server's view of the request it got.
    fn echoed(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        self.json()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request to the gateway");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn gateway(label: &str, yaml: &str, env: Vec<(&str, String)>) -> Gateway {
    let config = write_config(label, yaml);
    Gateway::start(GatewayOptions {
        config: &config,
        env,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_tokens_are_checked_against_the_issuers_keys() {
    let issuer = Issuer::start();
    let rsa = SigningKey::rsa("k1");
    let ec = SigningKey::ec("k2");
    issuer.publish(&[&rsa, &ec]);
    let backend = EchoServer::start();
    let yaml = format!(
        r#"
authorizers:
  users:
    type: cognito_user_pools
    issuer: {issuer}
    audience: [client-1]
resources:
  /me:
    POST:
      authorization: cognito_user_pools
      authorizer: users
      integration:
        type: http
        uri: {backend}/me
        request_parameters:
          integration.request.header.X-User: context.authorizer.claims.sub
          integration.request.header.X-Username: context.authorizer.claims.cognito:username
        request_templates:
          application/json: '{{"email": "$context.authorizer.claims.email", "sub": "$context.authorizer.claims.sub"}}'
  /streams:
    GET:
      authorization: cognito_user_pools
      authorizer: users
      authorization_scopes: [streams/read, streams/admin]
      integration:
        type: http
        uri: {backend}/streams
"#,
        issuer = issuer.url(),
        backend = backend.url,
    );
    let gateway = gateway("jwt", &yaml, vec![]);
    let http = client();
    let id_claims = |overrides: Value| {
        let mut claims = json!({
            "sub": "abc-123", "email": "alice@example.com", "cognito:username": "alice",
            "iss": issuer.url(), "aud": "client-1", "token_use": "id",
            "iat": now(), "exp": now() + 600,
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let access_claims = |scope: &str| {
        json!({"sub": "abc-123", "iss": issuer.url(), "client_id": "client-1", "token_use": "access",
               "scope": scope, "exp": now() + 600})
    };
    let me = |token: Option<String>| {
        let mut request = http.post(gateway.url("/me")).json(&json!({}));
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        send(request)
    };

    // No token: 401 before anything is fetched or sent.
    let answer = me(None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json(), json!({"message": "Unauthorized"}));
    assert_eq!(answer.headers["x-amzn-errortype"], "UNAUTHORIZED");
    assert_eq!(issuer.fetches(), 0);

    // An RS256 ID token: its claims reach the mappings and the template.
    let fetched = Instant::now();
    let answer = me(Some(rsa.sign(&id_claims(json!({}))))).await;
    let echoed = answer.echoed();
    assert_eq!(echoed["headers"]["x-user"], "abc-123");
    assert_eq!(echoed["headers"]["x-username"], "alice");
    assert_eq!(
        serde_json::from_str::<Value>(echoed["body"].as_str().unwrap()).unwrap(),
        json!({"email": "alice@example.com", "sub": "abc-123"})
    );
    assert_eq!(issuer.fetches(), 1);
    // `Bearer ` is accepted as well, and the keys are kept.
    let token = rsa.sign(&id_claims(json!({})));
    assert_eq!(me(Some(format!("Bearer {token}"))).await.status, 200);

    // An ES256 access token with one of the method's scopes.
    let answer = send(http.get(gateway.url("/streams")).header(
        "Authorization",
        ec.sign(&access_claims("openid streams/read")),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Without one: 403.
    let answer = send(
        http.get(gateway.url("/streams"))
            .header("Authorization", ec.sign(&access_claims("streams/write"))),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json(),
        json!({"message": "User is not authorized to access this resource"})
    );
    // An ID token has no scopes.
    let answer = send(
        http.get(gateway.url("/streams"))
            .header("Authorization", rsa.sign(&id_claims(json!({})))),
    )
    .await;
    assert_eq!(answer.status, 403);

    // Expired, another audience, another issuer, a forged signature.
    let expired = rsa.sign(&id_claims(json!({"exp": now() - 60})));
    let answer = me(Some(expired.clone())).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json(),
        json!({"message": "The incoming token has expired"})
    );
    let line = gateway.log_line(answer.request_id(), "request refused");
    assert!(line.contains("the token has expired"), "{line}");
    assert!(!line.contains(&expired), "the token was logged: {line}");
    for (claims, reason) in [
        (json!({"aud": "client-2"}), "is not an accepted audience"),
        (
            json!({"iss": "https://elsewhere.example.com/pool"}),
            "issuer is another",
        ),
        (json!({"token_use": "refresh"}), "neither `id` nor `access`"),
    ] {
        let answer = me(Some(rsa.sign(&id_claims(claims.clone())))).await;
        assert_eq!(answer.status, 401, "{claims}");
        assert_eq!(answer.json(), json!({"message": "Unauthorized"}));
        let line = gateway.log_line(answer.request_id(), "request refused");
        assert!(line.contains(reason), "{claims}: {line}");
    }
    let forger = SigningKey::rsa("k1");
    let answer = me(Some(forger.sign_as("k1", &id_claims(json!({}))))).await;
    assert_eq!(answer.status, 401);
    assert!(
        gateway
            .log_line(answer.request_id(), "request refused")
            .contains("signature does not match")
    );
    assert_eq!(issuer.fetches(), 1, "a known kid fetches nothing");

    // The issuer rotates to a new key: its kid is unknown, and the JWKS is
    // fetched again, though not more than once per interval.
    let rotated = SigningKey::rsa("k3");
    issuer.publish(&[&rotated, &ec]);
    let token = rotated.sign(&id_claims(json!({})));
    if fetched.elapsed() < Duration::from_secs(4) {
        assert_eq!(me(Some(token.clone())).await.status, 401);
        assert_eq!(issuer.fetches(), 1, "fetched again within the interval");
    }
    let wait = Duration::from_millis(5300).saturating_sub(fetched.elapsed());
    tokio::time::sleep(wait).await;
    assert_eq!(
        me(Some(token)).await.echoed()["headers"]["x-user"],
        "abc-123"
    );
    assert_eq!(issuer.fetches(), 2);
    // Unknown kids right after: no fetch.
    for kid in ["k8", "k9"] {
        let answer = me(Some(rotated.sign_as(kid, &id_claims(json!({}))))).await;
        assert_eq!(answer.status, 401);
    }
    assert_eq!(issuer.fetches(), 2);
    // The retired key is gone with the old set.
    assert_eq!(me(Some(rsa.sign(&id_claims(json!({}))))).await.status, 401);
}

fn lambda_key() -> AccessKey {
    AccessKey {
        id: "AKIDAUTHORIZER".into(),
        secret: "authorizer/secret".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_authorizers_decide_by_their_policies() {
    let lambda = LambdaStandIn::start(lambda_key(), "us-east-1");
    let backend = EchoServer::start();
    let echo = |path: &str| {
        format!(
            r#"      integration:
        type: http
        uri: {}{path}
        request_parameters:
          integration.request.header.X-Principal: context.authorizer.principalId
          integration.request.header.X-Tier: context.authorizer.tier
        request_templates:
          application/json: '{{"user": "$context.authorizer.user", "admin": $context.authorizer.admin}}'
"#,
            backend.url
        )
    };
    let yaml = format!(
        r#"
api:
  id: authapi
  account_id: '123456789012'
stage:
  name: prod
authorizers:
  tokens:
    type: token
    function: arn:aws:lambda:us-east-1:123456789012:function:authorizer
    identity_validation_expression: '^Bearer [-0-9a-zA-Z._]+$'
  fresh:
    type: token
    function: authorizer
    ttl_seconds: 0
  requests:
    type: request
    function: authorizer
    identity_source: method.request.header.X-Token, method.request.querystring.tenant
resources:
  /orders/{{id}}:
    GET:
      authorization: custom
      authorizer: tokens
{get}    POST:
      authorization: custom
      authorizer: tokens
{post}  /fresh:
    GET:
      authorization: custom
      authorizer: fresh
{fresh}  /by-request:
    GET:
      authorization: custom
      authorizer: requests
{request}"#,
        get = echo("/orders"),
        post = echo("/orders"),
        fresh = echo("/fresh"),
        request = echo("/by-request"),
    );
    let gateway = gateway(
        "lambda-authorizer",
        &yaml,
        vec![
            ("AWS_ACCESS_KEY_ID", lambda_key().id),
            ("AWS_SECRET_ACCESS_KEY", lambda_key().secret),
            ("AWS_ENDPOINT_URL_LAMBDA", lambda.url().to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
        ],
    );
    let http = client();
    let invocations = || lambda.invocations().len();
    let call = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let mut request = http
            .request(method, gateway.url(path))
            .header("Content-Type", "application/json")
            .body("{}");
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        send(request)
    };
    use reqwest::Method;

    // Allowed: the principal and the context reach the mappings and the
    // template; the function got API Gateway's TOKEN event, signed.
    let answer = call(Method::GET, "/orders/7", Some("Bearer allow-alice")).await;
    let echoed = answer.echoed();
    assert_eq!(echoed["headers"]["x-principal"], "alice");
    assert_eq!(echoed["headers"]["x-tier"], "2");
    assert_eq!(
        serde_json::from_str::<Value>(echoed["body"].as_str().unwrap()).unwrap(),
        json!({"user": "alice", "admin": true})
    );
    let invocation = lambda.last();
    assert_eq!(
        invocation.function,
        "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    );
    assert_eq!(
        invocation.event(),
        json!({"type": "TOKEN", "authorizationToken": "Bearer allow-alice",
               "methodArn": "arn:aws:execute-api:us-east-1:123456789012:authapi/prod/GET/orders/7"})
    );
    assert_eq!(invocations(), 1);

    // Cached for the same token: not invoked again. The cached policy is
    // evaluated for each method: it allows GET /orders/7 only.
    assert_eq!(
        call(Method::GET, "/orders/7", Some("Bearer allow-alice"))
            .await
            .status,
        200
    );
    let answer = call(Method::POST, "/orders/7", Some("Bearer allow-alice")).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json(),
        json!({"message": "User is not authorized to access this resource"})
    );
    assert_eq!(invocations(), 1, "the cached result serves every method");

    // An explicit deny.
    let answer = call(Method::GET, "/orders/7", Some("Bearer deny")).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.headers["x-amzn-errortype"], "ACCESS_DENIED");
    assert_eq!(
        answer.json(),
        json!({"message": "User is not authorized to access this resource with an explicit deny"})
    );
    // A wildcard policy: every GET of the stage, no POST.
    assert_eq!(
        call(Method::GET, "/orders/9", Some("Bearer wild"))
            .await
            .echoed()["headers"]["x-principal"],
        "wanda"
    );
    assert_eq!(
        call(Method::POST, "/orders/9", Some("Bearer wild"))
            .await
            .status,
        403
    );
    assert_eq!(invocations(), 3);

    // No token, or one the expression refuses: 401 without a call.
    for token in [None, Some("Bearer a b"), Some("Basic abc")] {
        let answer = call(Method::GET, "/orders/7", token).await;
        assert_eq!(answer.status, 401, "{token:?}");
        assert_eq!(answer.json(), json!({"message": "Unauthorized"}));
    }
    assert_eq!(invocations(), 3);

    // The function says Unauthorized: 401; it answers nonsense: 500.
    let answer = call(Method::GET, "/orders/7", Some("Bearer unauthorized")).await;
    assert_eq!(answer.status, 401);
    let answer = call(Method::GET, "/orders/7", Some("Bearer broken")).await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "AUTHORIZER_CONFIGURATION_ERROR"
    );
    assert_eq!(answer.json(), json!({"message": "Internal server error"}));
    let line = gateway.log_line(answer.request_id(), "request failed");
    assert!(line.contains("no `policyDocument`"), "{line}");

    // ttl_seconds 0: invoked every time.
    let before = invocations();
    for _ in 0..2 {
        assert_eq!(
            call(Method::GET, "/fresh", Some("Bearer allow-bob"))
                .await
                .status,
            200
        );
    }
    assert_eq!(invocations(), before + 2);

    // A request authorizer: keyed by both identity sources; one missing is
    // a 401 without a call.
    let request = |tenant: Option<&str>| {
        let path = match tenant {
            Some(tenant) => format!("/by-request?tenant={tenant}"),
            None => "/by-request".to_string(),
        };
        send(
            http.get(gateway.url(&path))
                .header("X-Token", "allow-carol"),
        )
    };
    let before = invocations();
    assert_eq!(request(None).await.status, 401);
    assert_eq!(invocations(), before);
    assert_eq!(
        request(Some("acme")).await.echoed()["headers"]["x-principal"],
        "carol"
    );
    let event = lambda.last().event();
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:authapi/prod/GET/by-request"
    );
    assert_eq!(event["queryStringParameters"], json!({"tenant": "acme"}));
    assert_eq!(request(Some("acme")).await.status, 200);
    assert_eq!(invocations(), before + 1, "cached by its identity sources");
    assert_eq!(request(Some("globex")).await.status, 200);
    assert_eq!(invocations(), before + 2, "another tenant is another key");
    for invocation in lambda.invocations() {
        assert!(invocation.signature.is_ok(), "{:?}", invocation.signature);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_signatures_of_known_callers_pass() {
    use gateway_integration::{Credentials, OutboundRequest, Service, Signer};
    let backend = EchoServer::start();
    let config = write_config(
        "iam",
        &format!(
            r#"
aws:
  region: us-east-1
authorizers:
  signed:
    type: aws_iam
    credentials_file: callers.yaml
resources:
  /items/{{id}}:
    PUT:
      authorization: aws_iam
      authorizer: signed
      integration:
        type: http
        uri: {}/items
        request_parameters:
          integration.request.header.X-Caller: context.identity.userArn
          integration.request.header.X-Key: context.identity.accessKey
          integration.request.header.X-Account: context.identity.accountId
"#,
            backend.url
        ),
    );
    std::fs::write(
        config.parent().unwrap().join("callers.yaml"),
        "AKIDALICE:\n  secret_access_key: alice/secret\n  user_arn: arn:aws:iam::123456789012:user/alice\n",
    )
    .unwrap();
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: vec![],
    });
    let http = client();
    let signed = |key: &str, secret: &str, body: &'static str| {
        let mut request = OutboundRequest::new(
            http::Method::PUT,
            gateway.url("/items/a%20b?z=1&a=two%20words"),
        );
        request.set_header("Content-Type", "application/json");
        request.body = bytes::Bytes::from_static(br#"{"name": "widget"}"#);
        let signer = Signer::new(
            &Service::lookup("execute-api"),
            "us-east-1",
            Credentials::fixed(key, secret, None),
        );
        let credentials = aws_credential_types::Credentials::new(key, secret, None, None, "test");
        signer
            .sign_with(&mut request, &credentials, SystemTime::now())
            .unwrap();
        let mut builder = http.put(&request.url).body(body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        send(builder)
    };
    let sent = r#"{"name": "widget"}"#;

    let echoed = signed("AKIDALICE", "alice/secret", sent).await.echoed();
    assert_eq!(
        echoed["headers"]["x-caller"],
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(echoed["headers"]["x-key"], "AKIDALICE");
    assert_eq!(echoed["headers"]["x-account"], "123456789012");
    assert_eq!(echoed["body"], sent);

    let mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    let answer = signed("AKIDALICE", "not/the/secret", sent).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.headers["x-amzn-errortype"], "INVALID_SIGNATURE");
    assert_eq!(answer.json(), json!({"message": mismatch}));
    let line = gateway.log_line(answer.request_id(), "request refused");
    assert!(line.contains("does not match"), "{line}");
    assert!(!line.contains("Signature="), "{line}");
    // A body other than the one signed.
    let answer = signed("AKIDALICE", "alice/secret", r#"{"name": "gadget"}"#).await;
    assert_eq!(answer.status, 403);
    let answer = signed("AKIDMALLORY", "mallory/secret", sent).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json(),
        json!({"message": "The security token included in the request is invalid."})
    );
    let answer = send(http.put(gateway.url("/items/1")).body(sent)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json(),
        json!({"message": "Missing Authentication Token"})
    );
}
