//! What `Ref` and `Fn::GetAtt` give for a resource of the same template,
//! where the template says it: CloudFormation names a stream after its
//! `Name` property, a role's ARN is built from its `RoleName` and `Path`.
//!
//! A resource whose physical name CloudFormation would make up (no name
//! property) cannot be known offline, with one exception: a role is named
//! after its logical id, so that an execution role resolves to an ARN to
//! assume or to replace with `--resource`. Everything else needs
//! `--resource LOGICAL_ID=VALUE`, and the error says so.

use serde_json::Value as Json;

use super::intrinsics::{Error, Resolver};
use super::template::{Node, Pos};

/// How a resource type names itself and what its `Ref` gives.
struct Kind {
    /// The property that holds the physical name.
    name: &'static str,
    /// Whether the logical id stands in for a missing name.
    logical_id_names_it: bool,
    /// What `Ref` gives, from the names in [`Names`].
    reference: fn(&Names) -> String,
}

/// The values attributes are built from.
struct Names<'a> {
    name: &'a str,
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    suffix: &'a str,
    /// A role's path, `/` by default.
    path: &'a str,
}

fn kind(resource_type: &str) -> Option<Kind> {
    let by_name = |n: &Names| n.name.to_string();
    Some(match resource_type {
        "AWS::Kinesis::Stream" => Kind {
            name: "Name",
            logical_id_names_it: false,
            reference: by_name,
        },
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => Kind {
            name: "TableName",
            logical_id_names_it: false,
            reference: by_name,
        },
        "AWS::SQS::Queue" => Kind {
            name: "QueueName",
            logical_id_names_it: false,
            reference: queue_url,
        },
        "AWS::SNS::Topic" => Kind {
            name: "TopicName",
            logical_id_names_it: false,
            reference: topic_arn,
        },
        "AWS::S3::Bucket" => Kind {
            name: "BucketName",
            logical_id_names_it: false,
            reference: by_name,
        },
        "AWS::IAM::Role" => Kind {
            name: "RoleName",
            logical_id_names_it: true,
            reference: by_name,
        },
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => Kind {
            name: "FunctionName",
            logical_id_names_it: false,
            reference: by_name,
        },
        "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => Kind {
            name: "StateMachineName",
            logical_id_names_it: false,
            reference: state_machine_arn,
        },
        "AWS::Events::EventBus" => Kind {
            name: "Name",
            logical_id_names_it: false,
            reference: by_name,
        },
        "AWS::Logs::LogGroup" => Kind {
            name: "LogGroupName",
            logical_id_names_it: false,
            reference: by_name,
        },
        _ => return None,
    })
}

fn queue_url(n: &Names) -> String {
    format!(
        "https://sqs.{}.{}/{}/{}",
        n.region, n.suffix, n.account, n.name
    )
}

fn topic_arn(n: &Names) -> String {
    format!(
        "arn:{}:sns:{}:{}:{}",
        n.partition, n.region, n.account, n.name
    )
}

fn state_machine_arn(n: &Names) -> String {
    format!(
        "arn:{}:states:{}:{}:stateMachine:{}",
        n.partition, n.region, n.account, n.name
    )
}

/// An attribute of a resource type, from its names; `None` when the type
/// has no such attribute that can be known offline.
fn attribute_of(resource_type: &str, attribute: &str, n: &Names) -> Option<String> {
    let (p, r, a, name) = (n.partition, n.region, n.account, n.name);
    Some(match (resource_type, attribute) {
        ("AWS::Kinesis::Stream", "Arn") => format!("arn:{p}:kinesis:{r}:{a}:stream/{name}"),
        ("AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn") => {
            format!("arn:{p}:dynamodb:{r}:{a}:table/{name}")
        }
        ("AWS::SQS::Queue", "Arn") => format!("arn:{p}:sqs:{r}:{a}:{name}"),
        ("AWS::SQS::Queue", "QueueName") => name.to_string(),
        ("AWS::SQS::Queue", "QueueUrl") => queue_url(n),
        ("AWS::SNS::Topic", "TopicArn") => topic_arn(n),
        ("AWS::SNS::Topic", "TopicName") => name.to_string(),
        ("AWS::S3::Bucket", "Arn") => format!("arn:{p}:s3:::{name}"),
        ("AWS::S3::Bucket", "DomainName") => format!("{name}.s3.{}", n.suffix),
        ("AWS::S3::Bucket", "RegionalDomainName") => format!("{name}.s3.{r}.{}", n.suffix),
        ("AWS::IAM::Role", "Arn") => format!("arn:{p}:iam::{a}:role{}{name}", n.path),
        ("AWS::Lambda::Function" | "AWS::Serverless::Function", "Arn") => {
            format!("arn:{p}:lambda:{r}:{a}:function:{name}")
        }
        ("AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine", "Arn") => {
            state_machine_arn(n)
        }
        ("AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine", "Name") => {
            name.to_string()
        }
        ("AWS::Events::EventBus", "Arn") => format!("arn:{p}:events:{r}:{a}:event-bus/{name}"),
        ("AWS::Events::EventBus", "Name") => name.to_string(),
        ("AWS::Logs::LogGroup", "Arn") => format!("arn:{p}:logs:{r}:{a}:log-group:{name}:*"),
        _ => return None,
    })
}

/// Ids API Gateway makes up. The gateway has none of its own, so within the
/// API the logical id stands for them (a method's `RequestValidatorId:
/// !Ref Validator` names the validator `Validator`).
fn is_api_gateway(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::ApiGateway::") || resource_type == "AWS::Serverless::Api"
}

fn resource_type(resource: &Node) -> &str {
    resource.get("Type").and_then(Node::as_str).unwrap_or("")
}

/// What `Ref id` gives. `--resource id=VALUE` has been tried already.
pub fn reference(
    r: &Resolver<'_>,
    pos: Pos,
    id: &str,
    resource: &Node,
    depth: usize,
) -> Result<Json, Error> {
    let ty = resource_type(resource);
    if is_api_gateway(ty) {
        // A stage's Ref is its name.
        if ty == "AWS::ApiGateway::Stage"
            && let Some(name) = r.property(resource, "StageName", depth)?
        {
            return Ok(Json::String(name));
        }
        if ty == "AWS::ApiGateway::Model"
            && let Some(name) = r.property(resource, "Name", depth)?
        {
            return Ok(Json::String(name));
        }
        return Ok(Json::String(id.to_string()));
    }
    let Some(kind) = kind(ty) else {
        return Err(unknown(pos, id, ty, None));
    };
    let name = physical_name(r, pos, id, resource, &kind, depth)?;
    with_names(r, resource, &name, depth, |names| (kind.reference)(names)).map(Json::String)
}

/// What `Fn::GetAtt [id, attribute]` gives. `--resource id.attribute=VALUE`
/// has been tried already; `--resource id=VALUE` gives the name the
/// attribute is built from (or, for `Arn`, the ARN itself).
pub fn attribute(
    r: &Resolver<'_>,
    pos: Pos,
    id: &str,
    resource: &Node,
    attribute: &str,
    depth: usize,
) -> Result<Json, Error> {
    let ty = resource_type(resource);
    if is_api_gateway(ty) && attribute == "RootResourceId" {
        return Ok(Json::String(format!("{id}.RootResourceId")));
    }
    let given = r.options.resources.get(id);
    if attribute == "Arn"
        && let Some(value) = given.filter(|v| v.starts_with("arn:"))
    {
        return Ok(Json::String(value.clone()));
    }
    let Some(kind) = kind(ty) else {
        return Err(unknown(pos, id, ty, Some(attribute)));
    };
    let name = match given {
        // A queue's Ref is its URL; its name is the URL's last segment.
        Some(value) => value.rsplit('/').next().unwrap_or(value).to_string(),
        None => physical_name(r, pos, id, resource, &kind, depth)?,
    };
    with_names(r, resource, &name, depth, |names| attribute_of(ty, attribute, names))?
        .map(Json::String)
        .ok_or_else(|| {
            Error::new(
                pos,
                format!("Fn::GetAtt: the `{attribute}` of `{id}` ({ty}) cannot be known offline: give --resource {id}.{attribute}=VALUE"),
            )
        })
}

fn physical_name(
    r: &Resolver<'_>,
    pos: Pos,
    id: &str,
    resource: &Node,
    kind: &Kind,
    depth: usize,
) -> Result<String, Error> {
    if let Some(name) = r.property(resource, kind.name, depth)? {
        return Ok(name);
    }
    if kind.logical_id_names_it {
        return Ok(id.to_string());
    }
    Err(Error::new(
        pos,
        format!(
            "`{id}` ({}) has no `{}`, so CloudFormation would make its name up: give --resource {id}=NAME",
            resource_type(resource),
            kind.name
        ),
    ))
}

fn with_names<T>(
    r: &Resolver<'_>,
    resource: &Node,
    name: &str,
    depth: usize,
    f: impl FnOnce(&Names) -> T,
) -> Result<T, Error> {
    let path = if resource_type(resource) == "AWS::IAM::Role" {
        r.property(resource, "Path", depth)?
            .unwrap_or_else(|| "/".to_string())
    } else {
        String::new()
    };
    Ok(f(&Names {
        name,
        partition: r.pseudo("AWS::Partition"),
        region: r.pseudo("AWS::Region"),
        account: r.pseudo("AWS::AccountId"),
        suffix: r.pseudo("AWS::URLSuffix"),
        path: &path,
    }))
}

fn unknown(pos: Pos, id: &str, ty: &str, attribute: Option<&str>) -> Error {
    let (what, flag) = match attribute {
        Some(a) => (format!("the `{a}` of `{id}`"), format!("{id}.{a}")),
        None => (format!("`{id}`"), id.to_string()),
    };
    Error::new(
        pos,
        format!("{what} ({ty}) cannot be known offline: give --resource {flag}=VALUE"),
    )
}
