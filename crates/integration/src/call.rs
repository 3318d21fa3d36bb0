//! A configured call: where it goes and how the operation is named (an AWS
//! action, or a path and query). [`Call::finish`] turns a mapped request into
//! what goes on the wire, adding what an AWS service's protocol needs.

use crate::request::encode_query_component;
use crate::service::Protocol;
use crate::{Error, OutboundRequest, Service};

/// How a call names its operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// API Gateway's `action/<Action>[&Name=value...]`: `?Action=<Action>` and
    /// the extra parameters in the query string, whatever the protocol, with
    /// the rendered body as it is; plus the headers the protocol needs.
    Action {
        name: String,
        params: Vec<(String, UriTemplate)>,
    },
    /// API Gateway's `path/<path>`, or an HTTP URL's path: the path and its
    /// fixed query parameters, with `{name}` placeholders filled from
    /// `integration.request.path.<name>`.
    Path {
        path: UriTemplate,
        query: Vec<(String, UriTemplate)>,
    },
}

impl Operation {
    /// A plain action, without extra parameters.
    pub fn action(name: impl Into<String>) -> Self {
        Operation::Action {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Every placeholder name, in order.
    pub fn placeholders(&self) -> Vec<&str> {
        let templates: Vec<&UriTemplate> = match self {
            Operation::Action { params, .. } => params.iter().map(|(_, t)| t).collect(),
            Operation::Path { path, query } => std::iter::once(path)
                .chain(query.iter().map(|(_, t)| t))
                .collect(),
        };
        templates
            .into_iter()
            .flat_map(UriTemplate::params)
            .collect()
    }
}

/// Text with `{name}` placeholders, and `{name+}` for a greedy path value whose
/// `/` are kept. Literal text is taken as already encoded; placeholder values
/// are percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param { name: String, greedy: bool },
}

impl UriTemplate {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| {
            Error::InvalidRequest(format!("invalid integration URI part `{text}`: {reason}"))
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| invalid("a `{` is not closed"))?;
                    let inner = &rest[1..end];
                    let (name, greedy) = match inner.strip_suffix('+') {
                        Some(name) => (name, true),
                        None => (inner, false),
                    };
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    {
                        return Err(invalid(
                            "a placeholder is `{name}`, with letters, digits, `-`, `_` or `.`",
                        ));
                    }
                    parts.push(Part::Param {
                        name: name.to_string(),
                        greedy,
                    });
                    rest = &rest[end + 1..];
                }
                Some(start) => {
                    parts.push(Part::Literal(rest[..start].to_string()));
                    rest = &rest[start..];
                }
                None => {
                    parts.push(Part::Literal(rest.to_string()));
                    rest = "";
                }
            }
        }
        if parts
            .iter()
            .any(|p| matches!(p, Part::Literal(l) if l.contains(['}', '#', ' '])))
        {
            return Err(invalid(
                "`}`, `#` and spaces are not allowed outside placeholders",
            ));
        }
        Ok(Self { parts })
    }

    /// The placeholder names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Param { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The text with each placeholder replaced by its encoded value.
    pub fn render<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, Error> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Param { name, greedy } => {
                    let v = value(name).ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "no value for `{{{name}}}`: map `integration.request.path.{name}`"
                        ))
                    })?;
                    if *greedy {
                        let segments: Vec<String> =
                            v.split('/').map(encode_query_component).collect();
                        out.push_str(&segments.join("/"));
                    } else {
                        out.push_str(&encode_query_component(v));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A configured call: built once at load.
#[derive(Debug, Clone)]
pub struct Call {
    /// The AWS service, whose protocol the call follows; `None` for plain HTTP.
    pub service: Option<Service>,
    /// `scheme://authority[/prefix]`, without a trailing slash.
    pub base: String,
    pub operation: Operation,
}

impl Call {
    /// Completes a mapped request: the URL (base, path, `Action` and fixed
    /// parameters, then the mapped query parameters) and the headers the AWS
    /// service's protocol needs (`X-Amz-Target`, a default Content-Type).
    /// Headers already set by mappings or overrides are kept; the body is
    /// never changed.
    pub fn finish(
        &self,
        request: &mut OutboundRequest,
        path_values: &[(String, String)],
        query: &[(String, String)],
    ) -> Result<(), Error> {
        let value = |name: &str| {
            path_values
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let protocol = match &self.service {
            Some(service) => service.protocol_for(request.header("content-type")),
            None => Protocol::Rest,
        };
        let mut url = self.base.clone();
        let mut pairs: Vec<(String, String)> = Vec::new();
        match &self.operation {
            Operation::Path { path, query } => {
                url.push('/');
                url.push_str(path.render(value)?.trim_start_matches('/'));
                for (name, template) in query {
                    pairs.push((name.clone(), template.render(value)?));
                }
            }
            Operation::Action { name, params } => {
                url.push('/');
                // API Gateway names the action in the query string for every
                // service, Query-protocol ones included: a form template that
                // writes `Action=Publish&...` itself (as published ones do) is
                // sent as it is, and the service reads the same action twice.
                pairs.push(("Action".to_string(), encode_query_component(name)));
                for (param, template) in params {
                    pairs.push((param.clone(), template.render(value)?));
                }
            }
        }
        for (name, value) in query {
            pairs.push((encode_query_component(name), encode_query_component(value)));
        }
        for (i, (name, value)) in pairs.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(value);
        }
        request.url = url;

        let Operation::Action { name: action, .. } = &self.operation else {
            return Ok(());
        };
        match protocol {
            Protocol::Json {
                target_prefix,
                content_type,
            } => {
                if let Some(prefix) = target_prefix
                    && request.header("x-amz-target").is_none()
                {
                    request.set_header("X-Amz-Target", format!("{prefix}.{action}"));
                }
                if request.header("content-type").is_none() {
                    request.set_header("Content-Type", content_type);
                }
            }
            Protocol::Query => {
                if request.header("content-type").is_none() {
                    request.set_header(
                        "Content-Type",
                        "application/x-www-form-urlencoded; charset=utf-8",
                    );
                }
            }
            Protocol::Rest | Protocol::Generic => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, operation: Operation) -> Call {
        Call {
            service: Some(Service::lookup(service)),
            base: "http://127.0.0.1:5000".into(),
            operation,
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn path(text: &str) -> Operation {
        Operation::Path {
            path: UriTemplate::parse(text).unwrap(),
            query: Vec::new(),
        }
    }

    #[test]
    fn kinesis_action_call_is_the_tutorials() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.set_header("Content-Type", "application/x-amz-json-1.1");
        call("kinesis", Operation::action("PutRecord"))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=PutRecord");
        assert!(r.header("x-amz-target").is_none());
    }

    #[test]
    fn json_services_get_their_target_and_content_type() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        call("dynamodb", Operation::action("PutItem"))
            .finish(&mut r, &[], &pairs(&[("a", "b c")]))
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=PutItem&a=b%20c");
        assert_eq!(r.header("x-amz-target"), Some("DynamoDB_20120810.PutItem"));
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    }

    #[test]
    fn action_parameters_take_placeholders() {
        let operation = Operation::Action {
            name: "GetObject".into(),
            params: vec![
                ("Bucket".into(), UriTemplate::parse("{bucket}").unwrap()),
                ("Key".into(), UriTemplate::parse("{key}").unwrap()),
            ],
        };
        assert_eq!(operation.placeholders(), ["bucket", "key"]);
        let mut r = OutboundRequest::new(http::Method::GET, String::new());
        call("s3", operation)
            .finish(&mut r, &pairs(&[("bucket", "b"), ("key", "a b")]), &[])
            .unwrap();
        assert_eq!(
            r.url,
            "http://127.0.0.1:5000/?Action=GetObject&Bucket=b&Key=a%20b"
        );
    }

    /// As API Gateway: the action in the query string, the template's form
    /// body sent unchanged, so a template that writes `Action=` itself does
    /// not get a second one in the body.
    #[test]
    fn query_services_get_the_action_in_the_query_string_and_the_body_as_rendered() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.body = "TopicArn=arn%3Ax&Message=hi".into();
        call("sns", Operation::action("Publish"))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=Publish");
        assert_eq!(&r.body[..], b"TopicArn=arn%3Ax&Message=hi");
        assert_eq!(
            r.header("content-type"),
            Some("application/x-www-form-urlencoded; charset=utf-8")
        );

        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.body = "Action=Publish&TopicArn=arn%3Ax&Message=hi".into();
        call("sns", Operation::action("Publish"))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=Publish");
        assert_eq!(&r.body[..], b"Action=Publish&TopicArn=arn%3Ax&Message=hi");

        // SQS with a form body speaks Query: no target header.
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.set_header("Content-Type", "application/x-www-form-urlencoded");
        call("sqs", Operation::action("SendMessage"))
            .finish(&mut r, &[], &pairs(&[("QueueUrl", "http://q/1/a")]))
            .unwrap();
        assert_eq!(
            r.url,
            "http://127.0.0.1:5000/?Action=SendMessage&QueueUrl=http%3A%2F%2Fq%2F1%2Fa"
        );
        assert!(r.body.is_empty());
        assert!(r.header("x-amz-target").is_none());
    }

    #[test]
    fn path_calls_fill_placeholders() {
        let mut r = OutboundRequest::new(http::Method::PUT, String::new());
        call("s3", path("{bucket}/objects/{key}"))
            .finish(
                &mut r,
                &pairs(&[("bucket", "b"), ("key", "a/b c.txt")]),
                &[],
            )
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/b/objects/a%2Fb%20c.txt");
        // A greedy placeholder keeps its slashes.
        call("s3", path("/{bucket}/{key+}"))
            .finish(
                &mut r,
                &pairs(&[("bucket", "b"), ("key", "a/b c.txt")]),
                &[],
            )
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/b/a/b%20c.txt");
        assert!(
            call("s3", path("{bucket}"))
                .finish(&mut r, &[], &[])
                .is_err()
        );
        assert!(UriTemplate::parse("{open").is_err());
        assert!(UriTemplate::parse("a}b").is_err());
        assert!(UriTemplate::parse("{a b}").is_err());
    }

    #[test]
    fn plain_http_calls_keep_fixed_query_and_add_nothing() {
        let operation = Operation::Path {
            path: UriTemplate::parse("pets/{id}").unwrap(),
            query: vec![("format".into(), UriTemplate::parse("json").unwrap())],
        };
        let http_call = Call {
            service: None,
            base: "https://example.com".into(),
            operation,
        };
        let mut r = OutboundRequest::new(http::Method::GET, String::new());
        http_call
            .finish(&mut r, &pairs(&[("id", "7")]), &pairs(&[("q", "x")]))
            .unwrap();
        assert_eq!(r.url, "https://example.com/pets/7?format=json&q=x");
        assert!(r.header("content-type").is_none());
    }
}
