//! Integration URIs as API Gateway writes them:
//! `arn:aws:apigateway:<region>:<service>:action/<Action>[&Name=value...]` and
//! `arn:aws:apigateway:<region>:<service>:path/<path>[?query]`, where the
//! service may be `subdomain.service`; and plain `http(s)://` URLs.

use crate::Error;
use crate::call::{Operation, UriTemplate};

/// A parsed `arn:aws:apigateway:...` integration URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsUri {
    pub region: String,
    /// `kinesis`, or `subdomain.service`.
    pub service: String,
    pub operation: Operation,
}

impl AwsUri {
    pub fn parse(uri: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| {
            Error::InvalidRequest(format!("invalid integration URI `{uri}`: {reason}"))
        };
        // The path itself may hold colons (a Lambda function ARN), so split
        // off only the first five fields.
        let fields: Vec<&str> = uri.splitn(6, ':').collect();
        let [arn, partition, apigateway, region, service, api] = fields[..] else {
            return Err(invalid(
                "expected arn:<partition>:apigateway:<region>:<service>:action/... or :path/...",
            ));
        };
        if arn != "arn" || !partition.starts_with("aws") || apigateway != "apigateway" {
            return Err(invalid("expected it to start with arn:aws:apigateway:"));
        }
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid("no region"));
        }
        if service.is_empty()
            || !service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(invalid("no service"));
        }
        let operation = if let Some(action) = api.strip_prefix("action/") {
            let mut parts = action.split('&');
            let name = parts.next().unwrap_or_default();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid("no action name after `action/`"));
            }
            let params = parts
                .map(|pair| query_pair(pair, uri))
                .collect::<Result<_, _>>()?;
            Operation::Action {
                name: name.to_string(),
                params,
            }
        } else if let Some(path) = api.strip_prefix("path/") {
            path_operation(path, uri)?
        } else {
            return Err(invalid("the last field starts with `action/` or `path/`"));
        };
        Ok(Self {
            region: region.to_string(),
            service: service.to_string(),
            operation,
        })
    }
}

/// An `http(s)://` integration URI: its base and operation.
pub fn parse_http_uri(uri: &str) -> Result<(String, Operation), Error> {
    let invalid = |reason: &str| {
        Error::InvalidRequest(format!("invalid HTTP integration URI `{uri}`: {reason}"))
    };
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .ok_or_else(|| invalid("it starts with http:// or https://"))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || authority.contains(['{', '}', '@']) {
        return Err(invalid(
            "no host, or a host with a placeholder or credentials",
        ));
    }
    let scheme_len = uri.len() - rest.len();
    let base = uri[..scheme_len + authority_end].to_string();
    let operation = path_operation(rest[authority_end..].trim_start_matches('/'), uri)?;
    Ok((base, operation))
}

impl Operation {
    /// A path-style operation from `path[?query]`, e.g. `{bucket}/{key}` or
    /// `{bucket}?list-type=2`, as in API Gateway's `path/...` URIs.
    pub fn path(path_and_query: &str) -> Result<Operation, Error> {
        path_operation(path_and_query, path_and_query)
    }
}

fn path_operation(path_and_query: &str, uri: &str) -> Result<Operation, Error> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, query),
        None => (path_and_query, ""),
    };
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| query_pair(pair, uri))
        .collect::<Result<_, _>>()?;
    Ok(Operation::Path {
        path: UriTemplate::parse(path)?,
        query,
    })
}

fn query_pair(pair: &str, uri: &str) -> Result<(String, UriTemplate), Error> {
    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
    if name.is_empty() {
        return Err(Error::InvalidRequest(format!(
            "invalid integration URI `{uri}`: a parameter without a name"
        )));
    }
    Ok((name.to_string(), UriTemplate::parse(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_action_arns() {
        let uri = AwsUri::parse("arn:aws:apigateway:us-east-1:kinesis:action/PutRecord").unwrap();
        assert_eq!(uri.region, "us-east-1");
        assert_eq!(uri.service, "kinesis");
        assert_eq!(uri.operation, Operation::action("PutRecord"));

        let uri = AwsUri::parse(
            "arn:aws:apigateway:eu-west-1:s3:action/GetObject&Bucket={bucket}&Key={key}",
        )
        .unwrap();
        assert_eq!(uri.operation.placeholders(), ["bucket", "key"]);
    }

    #[test]
    fn parses_path_arns_with_colons_and_subdomains() {
        let uri = AwsUri::parse(
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:echo/invocations",
        )
        .unwrap();
        assert_eq!(uri.service, "lambda");
        let Operation::Path { path, .. } = &uri.operation else {
            panic!()
        };
        assert_eq!(
            path.render(|_| None).unwrap(),
            "2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:echo/invocations"
        );
        let uri = AwsUri::parse("arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}").unwrap();
        assert_eq!(uri.operation.placeholders(), ["bucket", "key"]);
        let uri = AwsUri::parse("arn:aws-cn:apigateway:cn-north-1:a1b2c3.iot:path/things").unwrap();
        assert_eq!(uri.service, "a1b2c3.iot");
    }

    #[test]
    fn rejects_bad_arns() {
        for bad in [
            "arn:aws:apigateway:us-east-1:kinesis",
            "arn:aws:lambda:us-east-1:kinesis:action/PutRecord",
            "arn:aws:apigateway::kinesis:action/PutRecord",
            "arn:aws:apigateway:us-east-1:kinesis:function/x",
            "arn:aws:apigateway:us-east-1:kinesis:action/",
            "arn:aws:apigateway:us-east-1:s3:path/{unclosed",
        ] {
            assert!(AwsUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_http_uris() {
        let (base, operation) =
            parse_http_uri("https://api.example.com:8443/pets/{id}?format=json").unwrap();
        assert_eq!(base, "https://api.example.com:8443");
        assert_eq!(operation.placeholders(), ["id"]);
        let (base, _) = parse_http_uri("http://127.0.0.1:9000").unwrap();
        assert_eq!(base, "http://127.0.0.1:9000");
        assert!(parse_http_uri("ftp://x").is_err());
        assert!(parse_http_uri("http://{host}/x").is_err());
    }
}
