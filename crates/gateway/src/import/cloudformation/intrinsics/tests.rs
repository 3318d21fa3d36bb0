use std::collections::BTreeMap;

use serde_json::json;

use super::*;

const TEMPLATE: &str = r#"
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Shards:
    Type: Number
    Default: 2
  Zones:
    Type: CommaDelimitedList
    Default: "a, b,c"
  NoDefault:
    Type: String
Mappings:
  Sizes:
    dev: {Count: 1}
    prod: {Count: 4}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [1, "1"]]
  Either: !Or [!Condition IsProd, !Condition IsDev]
  Loop: !Not [!Condition Loop]
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: !Sub "${AWS::StackName}-${Env}-orders"
  Unnamed:
    Type: AWS::Kinesis::Stream
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: api-kinesis
      Path: /service/
  BareRole:
    Type: AWS::IAM::Role
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
  Fn:
    Type: AWS::Lambda::Function
  A:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !GetAtt B.TopicName
  B:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !GetAtt A.TopicName
Outputs:
  StreamName:
    Value: !Ref Stream
    Export:
      Name: shared-stream
"#;

fn resolve_with(options: &ImportOptions, expression: &str) -> std::result::Result<Json, Error> {
    let text = format!("{TEMPLATE}\nProbe:\n  Value: {expression}\n");
    let template = template::parse(&text, 0).unwrap();
    let env = |name: &str| (name == "AWS_REGION").then(|| "eu-west-1".to_string());
    let resolver = Resolver::new(Path::new("t.yaml"), &template, options, &env);
    let node = template.get("Probe").unwrap().get("Value").unwrap().clone();
    resolver
        .resolve(&node)
        .map(|v| v.unwrap_or(json!("<no value>")))
}

fn resolve(expression: &str) -> Json {
    resolve_with(&ImportOptions::default(), expression)
        .unwrap_or_else(|e| panic!("{expression}: {}", e.message))
}

fn error(expression: &str) -> Error {
    resolve_with(&ImportOptions::default(), expression).expect_err(expression)
}

fn options(parameters: &[(&str, &str)], resources: &[(&str, &str)]) -> ImportOptions {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    ImportOptions {
        parameters: map(parameters),
        resources: map(resources),
        ..ImportOptions::default()
    }
}

#[test]
fn pseudo_parameters_have_offline_defaults() {
    assert_eq!(resolve("!Ref AWS::Region"), "eu-west-1");
    assert_eq!(resolve("!Ref AWS::AccountId"), "123456789012");
    assert_eq!(resolve("!Ref AWS::Partition"), "aws");
    assert_eq!(resolve("!Ref AWS::URLSuffix"), "amazonaws.com");
    assert_eq!(resolve("!Ref AWS::StackName"), "local");
}

#[test]
fn pseudo_parameters_follow_parameter_overrides() {
    let o = options(
        &[
            ("AWS::Region", "cn-north-1"),
            ("AWS::AccountId", "111122223333"),
        ],
        &[],
    );
    assert_eq!(resolve_with(&o, "!Ref AWS::Partition").unwrap(), "aws-cn");
    assert_eq!(
        resolve_with(&o, "!Ref AWS::URLSuffix").unwrap(),
        "amazonaws.com.cn"
    );
    assert_eq!(
        resolve_with(&o, "!GetAtt Stream.Arn").unwrap(),
        "arn:aws-cn:kinesis:cn-north-1:111122223333:stream/local-dev-orders"
    );
}

#[test]
fn ref_gives_parameter_defaults_and_overrides() {
    assert_eq!(resolve("!Ref Env"), "dev");
    // A Number parameter's Default is text to Ref, as in CloudFormation.
    assert_eq!(resolve("!Ref Shards"), "2");
    assert_eq!(resolve("!Ref Zones"), json!(["a", "b", "c"]));
    let o = options(&[("Env", "prod"), ("Zones", "x,y")], &[]);
    assert_eq!(resolve_with(&o, "!Ref Env").unwrap(), "prod");
    assert_eq!(resolve_with(&o, "!Ref Zones").unwrap(), json!(["x", "y"]));
    // Everything that depends on a parameter follows its override.
    assert_eq!(
        resolve_with(&o, "!Ref Stream").unwrap(),
        "local-prod-orders"
    );
    assert_eq!(resolve_with(&o, "!If [IsProd, big, small]").unwrap(), "big");
}

#[test]
fn a_parameter_without_default_needs_an_override() {
    let e = error("!Ref NoDefault");
    assert!(
        e.message.contains("--parameter NoDefault=VALUE"),
        "{}",
        e.message
    );
    let o = options(&[("NoDefault", "given")], &[]);
    assert_eq!(resolve_with(&o, "!Ref NoDefault").unwrap(), "given");
}

#[test]
fn unneeded_overrides_are_accepted() {
    let o = options(&[("Nobody", "x")], &[("Nothing", "y")]);
    assert_eq!(resolve_with(&o, "!Ref Env").unwrap(), "dev");
}

#[test]
fn ref_and_getatt_to_resources_give_what_cloudformation_would() {
    assert_eq!(resolve("!Ref Stream"), "local-dev-orders");
    assert_eq!(
        resolve("!GetAtt Stream.Arn"),
        "arn:aws:kinesis:eu-west-1:123456789012:stream/local-dev-orders"
    );
    assert_eq!(resolve("!Ref Role"), "api-kinesis");
    assert_eq!(
        resolve("!GetAtt Role.Arn"),
        "arn:aws:iam::123456789012:role/service/api-kinesis"
    );
    // A role without RoleName is named after its logical id.
    assert_eq!(
        resolve("!GetAtt BareRole.Arn"),
        "arn:aws:iam::123456789012:role/BareRole"
    );
    assert_eq!(
        resolve("!Ref Queue"),
        "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    );
    assert_eq!(
        resolve("!GetAtt Queue.Arn"),
        "arn:aws:sqs:eu-west-1:123456789012:jobs"
    );
    assert_eq!(resolve("!GetAtt [Queue, QueueName]"), "jobs");
}

#[test]
fn a_given_resource_always_wins() {
    let o = options(
        &[],
        &[
            ("Stream", "given-stream"),
            ("Role.Arn", "arn:aws:iam::1:role/x"),
            ("Unnamed", "u"),
        ],
    );
    assert_eq!(resolve_with(&o, "!Ref Stream").unwrap(), "given-stream");
    assert_eq!(
        resolve_with(&o, "!GetAtt Role.Arn").unwrap(),
        "arn:aws:iam::1:role/x"
    );
    // A given name makes the attributes.
    assert_eq!(
        resolve_with(&o, "!GetAtt Unnamed.Arn").unwrap(),
        "arn:aws:kinesis:eu-west-1:123456789012:stream/u"
    );
    let o = options(&[], &[("BareRole", "arn:aws:iam::9:role/r")]);
    assert_eq!(
        resolve_with(&o, "!GetAtt BareRole.Arn").unwrap(),
        "arn:aws:iam::9:role/r"
    );
}

#[test]
fn unresolvable_references_are_errors_at_their_place() {
    // The line of `Value:` under `Probe:`, after the template.
    let probe_line = TEMPLATE.lines().count() + 3;
    for (expression, needle) in [
        ("!Ref Unnamed", "--resource Unnamed=NAME"),
        ("!GetAtt Fn.Arn", "--resource Fn=NAME"),
        (
            "!Ref Nowhere",
            "`Nowhere` is not a parameter, a resource or a pseudo parameter",
        ),
        ("!GetAtt Nowhere.Arn", "--resource Nowhere.Arn=VALUE"),
        ("!GetAtt Queue.Colour", "--resource Queue.Colour=VALUE"),
        ("!Sub 'x-${Nowhere}'", "`Nowhere` is not a parameter"),
        (
            "!Ref AWS::NotificationARNs",
            "--parameter AWS::NotificationARNs=VALUE",
        ),
    ] {
        let e = error(expression);
        assert!(e.message.contains(needle), "{expression}: {}", e.message);
        assert_eq!(e.pos.line, probe_line, "{expression}");
    }
}

#[test]
fn references_in_a_cycle_are_an_error() {
    let e = error("!Ref A");
    assert!(e.message.contains("refers to itself"), "{}", e.message);
    let e = error("!If [Loop, a, b]");
    assert!(e.message.contains("refers to itself"), "{}", e.message);
}

#[test]
fn sub_in_both_forms() {
    assert_eq!(
        resolve("!Sub 'arn:${AWS::Partition}:apigateway:${AWS::Region}:kinesis:action/PutRecord'"),
        "arn:aws:apigateway:eu-west-1:kinesis:action/PutRecord"
    );
    assert_eq!(
        resolve("!Sub '${Role.Arn}'"),
        "arn:aws:iam::123456789012:role/service/api-kinesis"
    );
    assert_eq!(
        resolve(
            "!Sub ['${Greeting}, ${Env}: ${Count}', {Greeting: hello, Count: !FindInMap [Sizes, prod, Count]}]"
        ),
        "hello, dev: 4"
    );
    // `${!x}` is the literal `${x}`: API Gateway's own stage variables.
    assert_eq!(
        resolve("!Sub 'http://${!stageVariables.host}/${Env}'"),
        "http://${stageVariables.host}/dev"
    );
    assert_eq!(resolve("{'Fn::Sub': 'no variables'}"), "no variables");
    let e = error("!Sub '${Zones}'");
    assert!(e.message.contains("a list, not a string"), "{}", e.message);
}

#[test]
fn join_select_split() {
    assert_eq!(
        resolve("!Join ['', ['arn:', !Ref AWS::Partition, ':x']]"),
        "arn:aws:x"
    );
    assert_eq!(resolve("!Join [',', !Ref Zones]"), "a,b,c");
    assert_eq!(resolve("!Select [1, !Ref Zones]"), "b");
    assert_eq!(resolve("!Select ['2', [x, y, z]]"), "z");
    assert_eq!(
        resolve("!Split ['/', 'a/b//c']"),
        json!(["a", "b", "", "c"])
    );
    assert_eq!(
        resolve("!Select [0, !Split [':', !GetAtt Queue.Arn]]"),
        "arn"
    );
    assert!(
        error("!Select [3, [a]]")
            .message
            .contains("index 3 of a list of 1")
    );
    assert!(
        error("!Join [',', notalist]")
            .message
            .contains("expected a list")
    );
}

#[test]
fn if_and_conditions() {
    assert_eq!(resolve("!If [IsProd, big, small]"), "small");
    assert_eq!(resolve("!If [IsDev, !Ref Env, other]"), "dev");
    assert_eq!(resolve("!If [Both, yes, no]"), "yes");
    assert_eq!(resolve("!If [Either, yes, no]"), "yes");
    // AWS::NoValue drops the key or item it is in.
    assert_eq!(
        resolve("{a: !If [IsProd, 1, !Ref AWS::NoValue], b: 2}"),
        json!({"b": 2})
    );
    assert_eq!(
        resolve("[x, !If [IsProd, y, !Ref AWS::NoValue]]"),
        json!(["x"])
    );
    assert!(
        error("!If [Missing, a, b]")
            .message
            .contains("`Missing` is not a condition")
    );
}

#[test]
fn find_in_map() {
    assert_eq!(resolve("!FindInMap [Sizes, !Ref Env, Count]"), 1);
    assert_eq!(
        resolve("!FindInMap [Sizes, test, Count, {DefaultValue: 9}]"),
        9
    );
    assert!(
        error("!FindInMap [Sizes, test, Count]")
            .message
            .contains("has no `test` → `Count`")
    );
}

#[test]
fn import_value() {
    // This template's own export, and a given one.
    assert_eq!(resolve("!ImportValue shared-stream"), "local-dev-orders");
    let o = options(&[], &[("other-stack-role", "arn:aws:iam::1:role/r")]);
    assert_eq!(
        resolve_with(&o, "!ImportValue other-stack-role").unwrap(),
        "arn:aws:iam::1:role/r"
    );
    assert!(
        error("!ImportValue other-stack-role")
            .message
            .contains("--resource other-stack-role=VALUE")
    );
}

#[test]
fn other_functions() {
    assert_eq!(resolve("!Base64 hi"), "aGk=");
    assert_eq!(resolve("{'Fn::Length': [a, b]}"), 2);
    assert_eq!(resolve("{'Fn::ToJsonString': {a: [1]}}"), r#"{"a":[1]}"#);
    assert!(error("!GetAZs ''").message.contains("not supported"));
    assert!(
        error("{'Fn::Frobnicate': x}")
            .message
            .contains("unknown intrinsic function")
    );
}

#[test]
fn nesting_is_bounded() {
    let mut expression = "x".to_string();
    for _ in 0..(MAX_NESTING + 5) {
        expression = format!("{{'Fn::Join': ['', [{expression}]]}}");
    }
    assert!(error(&expression).message.contains("nested more than"));
}

#[test]
fn strings_that_double_at_each_reference_are_bounded() {
    let mut text = String::from(
        "Resources:\n  S0:\n    Type: AWS::Kinesis::Stream\n    Properties: {Name: NAME}\n",
    )
    .replace("NAME", &"x".repeat(1024));
    // 1 KiB doubled eleven times is 2 MiB.
    for i in 1..12 {
        text.push_str(&format!(
            "  S{i}:\n    Type: AWS::Kinesis::Stream\n    Properties: {{Name: !Sub '${{S{p}}}${{S{p}}}'}}\n",
            p = i - 1
        ));
    }
    text.push_str("Probe: !Ref S11\n");
    let template = template::parse(&text, 0).unwrap();
    let options = ImportOptions::default();
    let resolver = Resolver::new(Path::new("t.yaml"), &template, &options, &|_| None);
    let e = resolver
        .resolve(template.get("Probe").unwrap())
        .unwrap_err();
    assert!(e.message.contains("longer than"), "{}", e.message);
}

#[test]
fn include_reads_a_local_file_and_resolves_it() {
    let dir = std::env::temp_dir().join(format!("cfn-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("part.yaml"), "a: !Ref Env\nb: [1, 2]\n").unwrap();
    let text = format!(
        "{TEMPLATE}\nProbe:\n  Fn::Transform:\n    Name: AWS::Include\n    Parameters:\n      Location: part.yaml\n"
    );
    let template = template::parse(&text, 0).unwrap();
    let options = ImportOptions::default();
    let resolver = Resolver::new(&dir.join("t.yaml"), &template, &options, &|_| None);
    let value = resolver.resolve(template.get("Probe").unwrap()).unwrap();
    assert_eq!(value, Some(json!({"a": "dev", "b": [1, 2]})));

    // An include of itself stops at the bound, with a message.
    std::fs::write(
        dir.join("self.yaml"),
        "Fn::Transform: {Name: AWS::Include, Parameters: {Location: self.yaml}}\n",
    )
    .unwrap();
    let node = template::parse(
        "Fn::Transform: {Name: AWS::Include, Parameters: {Location: self.yaml}}",
        0,
    )
    .unwrap();
    let e = resolver.resolve(&node).unwrap_err();
    assert!(
        e.message.contains("included files") || e.message.contains("nested"),
        "{}",
        e.message
    );
    let node = template::parse(
        "Fn::Transform: {Name: AWS::Include, Parameters: {Location: 's3://b/k.yaml'}}",
        0,
    )
    .unwrap();
    assert!(
        resolver
            .resolve(&node)
            .unwrap_err()
            .message
            .contains("not a local file")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
