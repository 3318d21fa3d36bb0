//! The proxy integrations: `http_proxy` (an HTTP backend given the method
//! request as it came) and `aws_proxy` (a Lambda function given API Gateway's
//! proxy event). Neither has templates or integration responses; an
//! `aws_proxy` has no parameter mappings either, as in API Gateway.

use gateway_integration::{AwsUri, Call, Operation, Service};

use crate::api::Backend;
use crate::config::IntegrationConfig;

use super::super::{Problems, Shared, child, substitute_stage_variables};
use super::{Signers, http_backend, reject, signed_endpoint};

/// `http_proxy`: an `http` backend whose request and answer pass through.
pub(super) fn http_proxy_backend(
    raw: &IntegrationConfig,
    at: &[&str],
    shared: &Shared<'_>,
    problems: &mut Problems<'_>,
) -> Option<Backend> {
    reject(
        raw,
        at,
        &["request_templates", "responses", "content_handling"],
        problems,
    );
    // A placeholder named after a greedy path parameter (`{proxy}` for a
    // `{proxy+}` route, as API Gateway's console writes proxy resources)
    // keeps the slashes of its value.
    let greedy = greedy_params(at[1]);
    let mut raw = raw.clone();
    if let Some(uri) = &mut raw.uri {
        for name in greedy {
            *uri = uri.replace(&format!("{{{name}}}"), &format!("{{{name}+}}"));
        }
    }
    match http_backend(&raw, at, shared, problems)? {
        Backend::Http { call } => Some(Backend::HttpProxy { call }),
        _ => None,
    }
}

/// `aws_proxy`: Lambda's Invoke call for the function `uri` names, signed
/// for `lambda` in the function's region.
pub(in crate::compile) fn lambda_backend(
    raw: &IntegrationConfig,
    at: &[&str],
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
) -> Option<Backend> {
    reject(
        raw,
        at,
        &[
            "service",
            "action",
            "path",
            "request_parameters",
            "request_templates",
            "responses",
            "content_handling",
        ],
        problems,
    );
    if let Some(verb) = &raw.http_method
        && !verb.eq_ignore_ascii_case("POST")
    {
        problems.push(
            &child(at, "http_method"),
            format!("a Lambda function is invoked with POST, not `{verb}`"),
        );
        return None;
    }
    let Some(uri) = &raw.uri else {
        problems.push_key(
            at,
            "an aws_proxy integration needs a `uri`: the function's name or ARN, or API Gateway's Lambda URI".into(),
        );
        return None;
    };
    let key = child(at, "uri");
    let uri = substitute_stage_variables(uri, &shared.stage.variables)
        .map_err(|e| problems.push(&key, e))
        .ok()?;
    let function = Function::parse(&uri)
        .map_err(|e| problems.push(&key, e))
        .ok()?;
    let region = match function.region {
        Some(region) => region,
        // A plain name is in the gateway's region, which the file or the
        // environment must give (checked once for the whole file).
        None if shared.region.is_empty() => return None,
        None => shared.region.clone(),
    };
    let service = Service::lookup("lambda");
    let (base, signer) = signed_endpoint(raw, at, shared, signers, problems, &service, &region)?;
    // Lambda's Invoke API; a function ARN goes in the path as it is, colons
    // included, as API Gateway's own URI writes it.
    let operation = Operation::path(&format!(
        "2015-03-31/functions/{}/invocations",
        function.name
    ))
    .map_err(|e| problems.push(&key, e.to_string()))
    .ok()?;
    let call = Call {
        base,
        service: Some(service),
        operation,
    };
    Some(Backend::AwsProxy { call, signer })
}

/// Whether an `aws_proxy` integration's `uri` leaves the region to the
/// gateway's (a plain function name does).
pub(in crate::compile) fn needs_region(uri: Option<&str>) -> bool {
    uri.is_some_and(|uri| !uri.starts_with("arn:"))
}

/// The names of the path parameters of a resource path (`{name}`, `{name+}`).
pub(super) fn route_params(resource: &str) -> Vec<String> {
    resource
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_end_matches('+').to_string())
        .collect()
}

/// The names of the greedy path parameters (`{name+}`) of a resource path.
fn greedy_params(resource: &str) -> Vec<&str> {
    resource
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix("+}"))
        .collect()
}

/// The function an `aws_proxy` integration invokes.
#[derive(Debug, PartialEq, Eq)]
struct Function {
    /// The name or ARN, with a qualifier if one was given.
    name: String,
    /// The function ARN's region, else the API Gateway URI's; `None` for a
    /// plain name.
    region: Option<String>,
}

impl Function {
    /// API Gateway's Lambda URI, a function ARN
    /// (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`) or
    /// a name (`<name>[:<qualifier>]`).
    fn parse(uri: &str) -> Result<Self, String> {
        let fields: Vec<&str> = uri.splitn(6, ':').collect();
        match fields[..] {
            ["arn", _, "apigateway", ..] => {
                let parsed = AwsUri::parse(uri).map_err(|e| e.to_string())?;
                let function = uri
                    .split_once(":lambda:path/2015-03-31/functions/")
                    .and_then(|(_, rest)| rest.strip_suffix("/invocations"))
                    .filter(|_| parsed.service == "lambda")
                    .ok_or_else(|| {
                        format!(
                            "`{uri}` is not a Lambda function's URI: arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations"
                        )
                    })?;
                let inner = Self::parse(function)?;
                Ok(Self {
                    region: inner.region.or(Some(parsed.region)),
                    ..inner
                })
            }
            ["arn", partition, "lambda", region, account, resource] => {
                let valid = partition.starts_with("aws")
                    && !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit())
                    && resource
                        .strip_prefix("function:")
                        .is_some_and(Self::is_name);
                if !valid {
                    return Err(format!(
                        "`{uri}` is not a function ARN: arn:aws:lambda:<region>:<account>:function:<name>"
                    ));
                }
                Ok(Self {
                    name: uri.to_string(),
                    region: Some(region.to_string()),
                })
            }
            _ if Self::is_name(uri) => Ok(Self {
                name: uri.to_string(),
                region: None,
            }),
            _ => Err(format!(
                "`{uri}` is neither a function name (letters, digits, `-`, `_`, and `:` before a version or alias), a function ARN, nor API Gateway's Lambda URI"
            )),
        }
    }

    /// `name` or `name:qualifier`, as Lambda allows them.
    fn is_name(text: &str) -> bool {
        let (name, qualifier) = match text.split_once(':') {
            Some((name, qualifier)) => (name, Some(qualifier)),
            None => (text, None),
        };
        let word = |s: &str, extra: &[char]| {
            !s.is_empty()
                && s.len() <= 128
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c)
                })
        };
        word(name, &[]) && qualifier.is_none_or(|q| word(q, &['$']))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str, region: Option<&str>) -> Result<Function, String> {
        Ok(Function {
            name: name.to_string(),
            region: region.map(str::to_string),
        })
    }

    #[test]
    fn reads_api_gateway_uris_function_arns_and_names() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:echo";
        assert_eq!(
            Function::parse(&format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
            )),
            function(arn, Some("eu-west-1")),
            "the function's region, not API Gateway's"
        );
        assert_eq!(
            Function::parse(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/echo:live/invocations"
            ),
            function("echo:live", Some("us-east-1"))
        );
        assert_eq!(
            Function::parse(&format!("{arn}:$LATEST")),
            function(&format!("{arn}:$LATEST"), Some("eu-west-1"))
        );
        assert_eq!(Function::parse("echo"), function("echo", None));
        assert_eq!(Function::parse("echo:7"), function("echo:7", None));
        for bad in [
            "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/echo",
            "arn:aws:lambda:us-east-1:1234:function:echo",
            "arn:aws:lambda:us-east-1:123456789012:layer:echo",
            "arn:aws:iam::123456789012:role/r",
            "two words",
            "a/b",
            "",
        ] {
            assert!(Function::parse(bad).is_err(), "{bad}");
        }
    }

    /// What a proxy cannot have is refused at load, each at its key.
    #[test]
    fn proxies_refuse_templates_responses_and_other_verbs() {
        let yaml = concat!(
            "aws:\n  region: us-east-1\nresources:\n",
            "  /h/{proxy+}:\n    ANY:\n      integration:\n        type: http_proxy\n",
            "        uri: 'http://127.0.0.1:9/{proxy}/{other}'\n",
            "        request_templates:\n          application/json: '{}'\n",
            "        responses:\n          - status: 200\n",
            "  /l:\n    GET:\n      integration:\n        type: aws_proxy\n        uri: echo\n",
            "        http_method: GET\n",
            "        request_parameters:\n          integration.request.header.X: \"'y'\"\n",
            "  /n:\n    GET:\n      integration:\n        type: aws_proxy\n",
            "  /k:\n    GET:\n      integration:\n        type: aws_proxy\n",
            "        uri: arn:aws:apigateway:us-east-1:kinesis:action/PutRecord\n",
        );
        let loaded = crate::config::Loaded::from_str(std::path::Path::new("t.yaml"), yaml).unwrap();
        let environment = crate::compile::Environment {
            env: |_| None,
            credentials: gateway_integration::Credentials::fixed("a", "b", None),
        };
        let error = crate::compile::compile(&loaded, &environment)
            .unwrap_err()
            .to_string();
        for expected in [
            "resources./h/{proxy+}.ANY.integration.request_templates: `request_templates` does not apply to a `http_proxy` integration",
            "resources./h/{proxy+}.ANY.integration.responses: `responses` does not apply to a `http_proxy` integration",
            // `{proxy}` is the route's; `{other}` has no value.
            "resources./h/{proxy+}.ANY.integration: `{other}` in the integration URI has no value",
            "resources./l.GET.integration.request_parameters: `request_parameters` does not apply to a `aws_proxy` integration",
            "resources./l.GET.integration.http_method: a Lambda function is invoked with POST, not `GET`",
            "resources./n.GET.integration: an aws_proxy integration needs a `uri`",
            "resources./k.GET.integration.uri: `arn:aws:apigateway:us-east-1:kinesis:action/PutRecord` is not a Lambda function's URI",
        ] {
            assert!(error.contains(expected), "{expected}\nin:\n{error}");
        }
        assert!(!error.contains("`{proxy}`"), "{error}");
    }

    #[test]
    fn route_params_are_named_without_their_plus() {
        assert_eq!(
            route_params("/topics/{topic}/{proxy+}"),
            ["topic".to_string(), "proxy".to_string()]
        );
        assert!(route_params("/").is_empty());
        assert_eq!(greedy_params("/topics/{topic}/{proxy+}"), ["proxy"]);
    }
}
