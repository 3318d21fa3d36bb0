use std::collections::BTreeMap;

use super::*;

fn load_text(text: &str, options: &ImportOptions) -> Result<Loaded, ConfigError> {
    load_with(Path::new("t.yaml"), text, options, &|_| None)
}

fn loaded(text: &str) -> Loaded {
    load_text(text, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> String {
    load_text(text, &ImportOptions::default())
        .expect_err("a problem")
        .to_string()
}

const REST_API: &str = "\
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: Things
      BinaryMediaTypes: [image/png]
  Things:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: things}
  Thing:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Things, PathPart: '{id}'}
  GetThing:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Thing
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters: {method.request.querystring.full: false}
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub 'arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/GetItem'
        Credentials: !GetAtt Role.Arn
        PassthroughBehavior: NEVER
        TimeoutInMillis: 5000
        RequestTemplates: {application/json: '{}'}
        IntegrationResponses:
          - {StatusCode: '404', SelectionPattern: '4\\d{2}'}
          - StatusCode: '200'
            ResponseTemplates: {application/json: '$input.body'}
  ProdOnly:
    Type: AWS::ApiGateway::Method
    Condition: IsProd
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: ANY
      Integration: {Type: MOCK}
  Role:
    Type: AWS::IAM::Role
    Properties: {RoleName: reader}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: !Ref Env
      Variables: {table: !Sub '${Env}-things', shards: 2}
      TracingEnabled: true
      MethodSettings:
        - {ResourcePath: /*, HttpMethod: '*', ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000}
        - {ResourcePath: '/~1things~1{id}', HttpMethod: GET, ThrottlingRateLimit: '50', ThrottlingBurstLimit: '10'}
  Key:
    Type: AWS::ApiGateway::ApiKey
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      UsagePlanName: gold
      ApiStages:
        - ApiId: !Ref Api
          Stage: !Ref Env
          Throttle:
            /things/{id}/GET: {RateLimit: 5, BurstLimit: 2}
      Throttle: {RateLimit: 100, BurstLimit: 200}
      Quota: {Limit: 1000, Period: WEEK, Offset: 1}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  OtherPlan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: some-other-api, Stage: prod}]
";

#[test]
fn method_resources_become_the_api() {
    let l = loaded(REST_API);
    let c = &l.config;
    assert_eq!(c.resources.keys().collect::<Vec<_>>(), ["/things/{id}"]);
    let method = &c.resources["/things/{id}"]["GET"];
    assert_eq!(
        method
            .request_parameters
            .get("method.request.querystring.full"),
        Some(&false)
    );
    let i = &method.integration;
    assert_eq!(
        i.uri.as_deref(),
        Some("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem")
    );
    assert_eq!(
        i.credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/reader")
    );
    assert_eq!(
        i.passthrough_behavior,
        crate::config::PassthroughBehavior::Never
    );
    assert_eq!(i.timeout_ms, 5000);
    let patterns: Vec<(Option<&str>, u16)> = i
        .responses
        .iter()
        .map(|r| (r.selection_pattern.as_deref(), r.status))
        .collect();
    assert_eq!(patterns, [(Some("4\\d{2}"), 404), (None, 200)]);
    assert_eq!(c.binary_media_types, ["image/png"]);
    // The stage: its name and variables, numbers written as text.
    assert_eq!(c.stage.name, "dev");
    assert_eq!(
        c.stage.variables,
        BTreeMap::from([
            ("shards".to_string(), "2".to_string()),
            ("table".to_string(), "dev-things".to_string())
        ])
    );
    assert_eq!(c.api.account_id.as_deref(), Some("123456789012"));
}

#[test]
fn keys_usage_plans_and_throttles_are_imported() {
    let l = loaded(REST_API);
    let c = &l.config;
    let key = &c.api_keys["Key"];
    assert_eq!(key.value_env.as_deref(), Some("API_KEY_KEY"));
    assert!(key.enabled && key.value.is_none());
    // Only the plan of this API, under its name, with the key.
    assert_eq!(c.usage_plans.keys().collect::<Vec<_>>(), ["gold"]);
    let plan = &c.usage_plans["gold"];
    assert_eq!(plan.api_keys, ["Key"]);
    assert_eq!(plan.throttle.map(|t| (t.rate, t.burst)), Some((100.0, 200)));
    let quota = plan.quota.unwrap();
    assert_eq!(
        (quota.limit, quota.period, quota.offset),
        (1000, crate::config::QuotaPeriod::Week, 1)
    );
    let method = plan.method_throttles["GET /things/{id}"];
    assert_eq!((method.rate, method.burst), (5.0, 2));
    // The stage's method settings: its default throttle, and one method's.
    assert_eq!(
        c.stage.throttle.map(|t| (t.rate, t.burst)),
        Some((1000.0, 2000))
    );
    assert_eq!(
        c.resources["/things/{id}"]["GET"]
            .throttle
            .map(|t| (t.rate, t.burst)),
        Some((50.0, 10))
    );
}

#[test]
fn a_resource_whose_condition_is_false_is_not_made() {
    let options = ImportOptions {
        parameters: BTreeMap::from([("Env".to_string(), "prod".to_string())]),
        ..ImportOptions::default()
    };
    let l = load_text(REST_API, &options).unwrap();
    assert!(
        l.config.resources.contains_key("/"),
        "{:?}",
        l.config.resources.keys()
    );
    assert_eq!(l.config.stage.name, "prod");
    assert_eq!(l.config.stage.variables["table"], "prod-things");
}

#[test]
fn unsupported_features_are_one_warning_each_with_their_place() {
    let l = loaded(REST_API);
    let expected = [
        "t.yaml:54:7: /Resources/Stage/Properties/TracingEnabled: the stage's `TracingEnabled`",
        "t.yaml:58:3: /Resources/Key: `Key` has no `Value` (CloudFormation would make one up): its value is read from the environment variable API_KEY_KEY",
    ];
    assert_eq!(l.warnings.len(), expected.len(), "{:#?}", l.warnings);
    for expected in expected {
        assert!(
            l.warnings.iter().any(|w| w.starts_with(expected)),
            "{expected}\n{:#?}",
            l.warnings
        );
    }
}

#[test]
fn no_execution_roles_drops_credentials() {
    let options = ImportOptions {
        no_execution_roles: true,
        ..ImportOptions::default()
    };
    let l = load_text(REST_API, &options).unwrap();
    assert_eq!(
        l.config.resources["/things/{id}"]["GET"]
            .integration
            .credentials,
        None
    );
}

#[test]
fn a_given_resource_replaces_the_role_and_parameters_the_defaults() {
    let options = ImportOptions {
        parameters: BTreeMap::from([("AWS::Region".to_string(), "eu-central-1".to_string())]),
        resources: BTreeMap::from([(
            "Role".to_string(),
            "arn:aws:iam::210987654321:role/given".to_string(),
        )]),
        ..ImportOptions::default()
    };
    let l = load_text(REST_API, &options).unwrap();
    let i = &l.config.resources["/things/{id}"]["GET"].integration;
    assert_eq!(
        i.credentials.as_deref(),
        Some("arn:aws:iam::210987654321:role/given")
    );
    assert_eq!(
        i.uri.as_deref(),
        Some("arn:aws:apigateway:eu-central-1:dynamodb:action/GetItem")
    );
    assert_eq!(l.config.aws.region.as_deref(), Some("eu-central-1"));
}

#[test]
fn problems_name_the_place_in_the_template() {
    let text = REST_API.replace("!GetAtt Role.Arn", "!GetAtt Nobody.Arn");
    let e = errors(&text);
    assert!(
        e.contains(
            "t.yaml:29:30: /Resources/GetThing/Properties: Fn::GetAtt: `Nobody` is not a resource"
        ),
        "{e}"
    );
    let text = REST_API.replace("ParentId: !Ref Things", "ParentId: !Ref Thing");
    assert!(
        errors(&text).contains("the resource `Thing` is its own parent"),
        "{}",
        errors(&text)
    );
    let text = REST_API.replace("Type: AWS\n", "Type: VPC_MAGIC\n");
    let e = errors(&text);
    assert!(
        e.contains("t.yaml:26:15: /Resources/GetThing/Properties/Integration/Type:"),
        "{e}"
    );
}

#[test]
fn an_api_must_be_chosen_among_several() {
    let text = format!(
        "{REST_API}  Other:\n    Type: AWS::Serverless::Api\n    Properties: {{StageName: x, DefinitionBody: {{openapi: 3.0.1, paths: {{}}}}}}\n"
    );
    let e = errors(&text);
    assert!(e.contains("the template defines 2 APIs: choose one with --api LOGICAL_ID: Api (AWS::ApiGateway::RestApi, line 6), Other (AWS::Serverless::Api, line 78)"), "{e}");
    assert!(
        errors("Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
            .contains("the template defines no API")
    );
}

#[test]
fn sam_definition_uri_and_include_read_local_files() {
    let dir = std::env::temp_dir().join(format!("cfn-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // DefinitionUri files are taken as written, as SAM does.
    std::fs::write(
        dir.join("api.yaml"),
        "openapi: 3.0.1\npaths:\n  /u:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n",
    )
    .unwrap();
    // An included body's functions are resolved.
    std::fs::write(
        dir.join("included.yaml"),
        "openapi: 3.0.1\npaths:\n  /i:\n    get:\n      x-amazon-apigateway-integration:\n        type: http\n        uri: !Sub 'https://${Host}/i'\n",
    )
    .unwrap();
    let template = "Parameters:\n  Host: {Type: String, Default: example.com}\nResources:\n  ByUri:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: a, DefinitionUri: api.yaml}\n  ByInclude:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: b\n      DefinitionBody:\n        Fn::Transform: {Name: AWS::Include, Parameters: {Location: included.yaml}}\n  InS3:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: c, DefinitionUri: {Bucket: b, Key: k}}\n";
    let path = dir.join("template.yaml");
    let with_api = |api: &str| ImportOptions {
        api: Some(api.to_string()),
        ..ImportOptions::default()
    };
    let l = load_with(&path, template, &with_api("ByUri"), &|_| None).unwrap();
    assert!(l.config.resources.contains_key("/u"));
    assert_eq!(l.config.stage.name, "a");
    let l = load_with(&path, template, &with_api("ByInclude"), &|_| None).unwrap();
    assert_eq!(
        l.config.resources["/i"]["GET"].integration.uri.as_deref(),
        Some("https://example.com/i")
    );
    let e = load_with(&path, template, &with_api("InS3"), &|_| None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("DefinitionUri in S3 is not read"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_region_comes_from_the_environment_then_the_default() {
    let env = |name: &str| (name == "AWS_DEFAULT_REGION").then(|| "ap-south-1".to_string());
    let l = load_with(
        Path::new("t.yaml"),
        REST_API,
        &ImportOptions::default(),
        &env,
    )
    .unwrap();
    assert_eq!(
        l.config.resources["/things/{id}"]["GET"]
            .integration
            .uri
            .as_deref(),
        Some("arn:aws:apigateway:ap-south-1:dynamodb:action/GetItem")
    );
}

#[test]
fn bad_input_is_a_problem_not_a_panic() {
    for text in [
        "",
        "[1, 2]",
        "Resources: 3",
        "Resources:\n  A: {Type: AWS::ApiGateway::RestApi, Properties: 3}\n",
        "Resources:\n  A:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Body: [1]}\n",
        "a: !Unknown x\nResources: {}\n",
    ] {
        assert!(
            load_text(text, &ImportOptions::default()).is_err(),
            "{text}"
        );
    }
}
