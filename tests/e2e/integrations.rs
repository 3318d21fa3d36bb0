//! Integration forms beyond `service` + `action`: API Gateway ARN URIs,
//! execution roles assumed with STS, `type: http` and `type: mock`.

use serde_json::json;

use crate::support::{EchoServer, Gateway, GatewayOptions, Moto, client, json_body, write_config};

const ROLES_CONFIG: &str = r#"
aws:
  region: us-east-1
stage:
  name: test
  variables:
    reader: gateway-reader
resources:
  /streams/{stream-name}:
    POST:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/CreateStream
        credentials: arn:aws:iam::123456789012:role/gateway-writer
        request_templates:
          application/json: '{"ShardCount": 1, "StreamName": "$input.params(''stream-name'')"}'
    GET:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/DescribeStream
        credentials: arn:aws:iam::123456789012:role/${stageVariables.reader}
        request_templates:
          application/json: '{"StreamName": "$input.params(''stream-name'')"}'
  /streams/{stream-name}/record:
    PUT:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/PutRecord
        credentials: arn:aws:iam::123456789012:role/${stageVariables.reader}
        request_templates:
          application/json: '{"StreamName": "$input.params(''stream-name'')", "Data": "eA==", "PartitionKey": "k"}'
  /own/streams:
    GET:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/ListStreams
        request_templates:
          application/json: '{}'
"#;

#[tokio::test(flavor = "multi_thread")]
async fn arn_uris_and_assumed_execution_roles() {
    let moto = Moto::start();
    assert!(
        moto.roles.contains_key("gateway-reader"),
        "{:?}",
        moto.roles
    );
    let config = write_config("roles", ROLES_CONFIG);
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();

    // The writer role may create; the reader role may describe.
    let response = http
        .post(gateway.url("/streams/orders"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let response = http
        .get(gateway.url("/streams/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        json_body(response).await["StreamDescription"]["StreamName"],
        "orders"
    );

    // The reader role may not write: moto checks the assumed role's policy.
    let response = http
        .put(gateway.url("/streams/orders/record"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.text().await.unwrap();
    // The role's permissions are the operator's business: the client gets a
    // 500 without the role's ARN, the log gets the service's refusal.
    assert_eq!(status, 500, "{body}");
    assert_eq!(body, r#"{"message":"Internal server error"}"#);
    let line = gateway.log_line(&id, "request failed");
    assert!(
        line.contains("gateway-reader") && line.contains("kinesis:PutRecord"),
        "{line}"
    );

    // Without `credentials`, the gateway's own key signs.
    let response = http.get(gateway.url("/own/streams")).send().await.unwrap();
    assert_eq!(json_body(response).await["StreamNames"], json!(["orders"]));

    // Each role was assumed once, and its credentials reused for later requests.
    assert_eq!(
        assume_role_calls(&moto, &gateway),
        2,
        "expected one AssumeRole per role:\n{}",
        moto.process.log_text()
    );
}

/// How many AssumeRole calls moto logged after the test's setup (STS calls
/// are `POST /`, Kinesis calls `POST /?Action=`). The gateway also asks STS
/// for its account once at start (GetCallerIdentity): that call is waited
/// for and not counted.
fn assume_role_calls(moto: &Moto, gateway: &Gateway) -> usize {
    wait_for_account(gateway);
    let log = moto.process.log_text();
    let after_setup = log.split("reset-auth").nth(1).unwrap_or_default();
    let sts_calls = after_setup
        .lines()
        .filter(|l| l.contains("POST / HTTP"))
        .count();
    sts_calls - 1
}

/// Waits until the gateway has learnt its AWS account from STS.
fn wait_for_account(gateway: &Gateway) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !gateway
        .process
        .log_text()
        .contains("AWS account 123456789012 (STS GetCallerIdentity)")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway never learnt its account:\n{}",
            gateway.process.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

const ROLE_IN_TWO_REGIONS: &str = r#"
aws:
  region: us-east-1
resources:
  /east:
    GET:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:kinesis:action/ListStreams
        credentials: arn:aws:iam::123456789012:role/gateway-writer
        request_templates:
          application/json: '{}'
  /west:
    GET:
      integration:
        type: aws
        uri: arn:aws:apigateway:eu-west-1:kinesis:action/ListStreams
        credentials: arn:aws:iam::123456789012:role/gateway-writer
        request_templates:
          application/json: '{}'
"#;

#[tokio::test(flavor = "multi_thread")]
async fn one_role_in_two_regions_is_assumed_in_each() {
    let moto = Moto::start();
    let config = write_config("role-two-regions", ROLE_IN_TWO_REGIONS);
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();
    for path in ["/east", "/west", "/east", "/west"] {
        let response = http.get(gateway.url(path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            200,
            "{path}: {}",
            response.text().await.unwrap()
        );
    }
    assert_eq!(
        assume_role_calls(&moto, &gateway),
        2,
        "one AssumeRole per region"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_integrations_map_requests_and_responses() {
    let echo = EchoServer::start();
    let config = write_config(
        "http",
        &format!(
            r#"
stage:
  name: test
  variables:
    backend: {backend}
resources:
  /things/{{id}}:
    POST:
      integration:
        type: http
        uri: ${{stageVariables.backend}}/v1/things/{{id}}?source=gateway
        request_parameters:
          integration.request.path.id: method.request.path.id
          integration.request.header.X-Trace: method.request.header.X-Trace
          integration.request.header.X-Echo-Status: method.request.header.X-Echo-Status
          integration.request.querystring.verbose: "'true'"
        request_templates:
          application/json: '{{"name": "$input.path(''$.name'')", "stage": "$context.stage"}}'
        responses:
          - selection_pattern: '5\d{{2}}'
            status: 502
            response_templates:
              application/json: '{{"error": "backend failed"}}'
          - status: 201
            response_parameters:
              method.response.header.X-Echo: integration.response.header.x-echo
            response_templates:
              application/json: '{{"seen": $input.json(''$.body''), "path": "$input.path(''$.path'')", "query": "$input.path(''$.query'')", "trace": "$input.path(''$.headers.x-trace'')"}}'
  /files/{{proxy+}}:
    GET:
      integration:
        type: http
        uri: ${{stageVariables.backend}}/store/{{proxy+}}
        request_parameters:
          integration.request.path.proxy: method.request.path.proxy
"#,
            backend = echo.url
        ),
    );
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: vec![],
    });
    let http = client();

    let response = http
        .post(gateway.url("/things/a%20b"))
        .header("X-Trace", "t-9")
        .json(&json!({"name": "lamp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-echo"], "yes");
    let body = json_body(response).await;
    assert_eq!(body["path"], "/v1/things/a%20b");
    assert_eq!(body["query"], "source=gateway&verbose=true");
    assert_eq!(body["trace"], "t-9");
    assert_eq!(body["seen"], r#"{"name": "lamp", "stage": "test"}"#);

    // A 5xx from the backend is selected by its pattern.
    let response = http
        .post(gateway.url("/things/1"))
        .header("X-Echo-Status", "503")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        json_body(response).await,
        json!({"error": "backend failed"})
    );

    // A greedy path keeps its slashes; with no responses the backend's answer passes through.
    let response = http
        .get(gateway.url("/files/a/b/c.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["path"], "/store/a/b/c.txt");
    assert_eq!(body["method"], "GET");
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_integrations_answer_without_a_backend() {
    let config = write_config(
        "mock",
        r#"
resources:
  /items:
    OPTIONS:
      integration:
        type: mock
        request_templates:
          application/json: '{"statusCode": 200}'
        responses:
          - status: 200
            response_parameters:
              method.response.header.Access-Control-Allow-Origin: "'*'"
              method.response.header.Access-Control-Allow-Methods: "'GET,OPTIONS,POST'"
              method.response.header.Access-Control-Allow-Headers: "'Content-Type,Authorization'"
  /teapot/{kind}:
    GET:
      integration:
        type: mock
        request_templates:
          application/json: |
            #if($input.params('kind') == 'tea')
            {"statusCode": 418}
            #else
            {"statusCode": 200}
            #end
        responses:
          - selection_pattern: '418'
            status: 418
            response_templates:
              application/json: '{"message": "I am a teapot", "id": "$context.requestId"}'
          - status: 200
            response_templates:
              application/json: '{"kind": "$input.params(''kind'')"}'
"#,
    );
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: vec![],
    });
    let http = client();

    let response = http
        .request(reqwest::Method::OPTIONS, gateway.url("/items"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        response.headers()["access-control-allow-methods"],
        "GET,OPTIONS,POST"
    );
    assert_eq!(
        response.headers()["access-control-allow-headers"],
        "Content-Type,Authorization"
    );

    let response = http.get(gateway.url("/teapot/tea")).send().await.unwrap();
    assert_eq!(response.status(), 418);
    let id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json_body(response).await,
        json!({"message": "I am a teapot", "id": id})
    );
    let response = http
        .get(gateway.url("/teapot/coffee"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(response).await, json!({"kind": "coffee"}));
}

/// Published SNS and SQS templates for action calls write `Action=...`
/// themselves. API Gateway names the action in the query string of every
/// action call (`POST /?Action=<Action>`, as the Kinesis tutorial shows) and
/// sends the rendered body as it is; so does the gateway.
const PUBLISHED_FORM_CONFIG: &str = r#"
aws:
  region: us-east-1
resources:
  /topic:
    POST:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:sns:action/CreateTopic
        request_parameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        request_templates:
          application/json: Action=CreateTopic&Name=published
  /publish:
    POST:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:sns:action/Publish
        request_parameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        request_templates:
          application/json: |-
            Action=Publish&TopicArn=$util.urlEncode('arn:aws:sns:us-east-1:123456789012:published')&Message=$util.urlEncode($input.body)
  /queue:
    POST:
      integration:
        type: aws
        service: sqs
        action: CreateQueue
        request_templates:
          application/json: '{"QueueName": "published"}'
  /send:
    POST:
      integration:
        type: aws
        uri: arn:aws:apigateway:us-east-1:sqs:action/SendMessage
        request_parameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        request_templates:
          application/json: |-
            Action=SendMessage&QueueUrl=$util.urlEncode('https://sqs.us-east-1.amazonaws.com/123456789012/published')&MessageBody=$util.urlEncode($input.body)
  /receive:
    GET:
      integration:
        type: aws
        service: sqs
        action: ReceiveMessage
        request_templates:
          application/json: '{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/published", "MaxNumberOfMessages": 10}'
"#;

#[tokio::test(flavor = "multi_thread")]
async fn published_form_templates_that_name_their_action_are_sent_as_rendered() {
    let config = write_config("published-form", PUBLISHED_FORM_CONFIG);

    // What goes on the wire: the action in the query string, the body as the
    // template rendered it, with its one `Action=`.
    let output = std::process::Command::new(Gateway::binary())
        .args(["render", "--config"])
        .arg(&config)
        .args(["--format", "json", "--endpoint-url", "http://127.0.0.1:9"])
        .args(["POST", "/publish", "-d", r#"{"order": "o-1"}"#])
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let printed = &printed["integration_request"];
    assert_eq!(printed["url"], "http://127.0.0.1:9/?Action=Publish");
    assert_eq!(
        printed["body"],
        "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Apublished&Message=%7B%22order%22%3A+%22o-1%22%7D"
    );

    // And the services accept it (moto, signature checking on).
    let moto = Moto::start();
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();
    let post = |path: &str, body: &str| {
        http.post(gateway.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
    };
    let created = post("/topic", "{}").await.unwrap();
    assert_eq!(created.status(), 200);
    let published = post("/publish", r#"{"order": "o-1"}"#).await.unwrap();
    assert_eq!(published.status(), 200);
    let text = published.text().await.unwrap();
    assert!(text.contains("<MessageId>"), "{text}");
    assert_eq!(moto.calls("POST /?Action=Publish "), 1);

    assert_eq!(post("/queue", "{}").await.unwrap().status(), 200);
    let sent = post("/send", r#"{"order": "o-2"}"#).await.unwrap();
    assert_eq!(sent.status(), 200);
    let text = sent.text().await.unwrap();
    assert!(text.contains("<MessageId>"), "{text}");
    let received = json_body(http.get(gateway.url("/receive")).send().await.unwrap()).await;
    assert_eq!(received["Messages"][0]["Body"], r#"{"order": "o-2"}"#);
}
