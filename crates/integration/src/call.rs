//! A configured call to a service: which service, where, and how the operation
//! is named (an action or a path). [`Call::finish`] turns a mapped request into
//! what goes on the wire, adding what the service's protocol needs.

use crate::request::encode_query_component;
use crate::service::Protocol;
use crate::{Endpoint, Error, OutboundRequest, Service};

/// How a call names its operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `action/<Action>`: `?Action=<Action>` (plus what the protocol adds).
    Action(String),
    /// `path/<path>`: the path, with `{name}` placeholders filled from
    /// `integration.request.path.<name>`.
    Path(PathTemplate),
}

/// A path with `{name}` placeholders, e.g. `{bucket}/{key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
}

impl PathTemplate {
    /// Parses a path; a leading `/` is optional.
    pub fn parse(path: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| {
            Error::InvalidRequest(format!("invalid integration path `{path}`: {reason}"))
        };
        let mut parts = Vec::new();
        let mut rest = path.strip_prefix('/').unwrap_or(path);
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| invalid("a `{` is not closed"))?;
                    let name = &rest[1..end];
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    {
                        return Err(invalid(
                            "a placeholder is `{name}`, with letters, digits, `-`, `_` or `.`",
                        ));
                    }
                    parts.push(Part::Param(name.to_string()));
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
            .any(|p| matches!(p, Part::Literal(l) if l.contains(['}', '?', '#'])))
        {
            return Err(invalid(
                "`}`, `?` and `#` are not allowed outside placeholders",
            ));
        }
        Ok(Self { parts })
    }

    /// The placeholder names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Param(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The encoded path, starting with `/`. Each value is percent-encoded as
    /// one segment, so a `/` in a value stays inside it (`%2F`).
    pub fn render<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, Error> {
        let mut out = String::from("/");
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Param(name) => {
                    let v = value(name).ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "no value for `{{{name}}}` in the integration path"
                        ))
                    })?;
                    out.push_str(&encode_query_component(v));
                }
            }
        }
        Ok(out)
    }
}

/// A configured call: built once at load.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: Service,
    pub endpoint: Endpoint,
    pub operation: Operation,
}

impl Call {
    /// Completes a mapped request: the URL (endpoint, path, `Action`, then the
    /// mapped query parameters) and what the service's protocol needs
    /// (`X-Amz-Target`, a form `Action` and `Version`, a default Content-Type).
    /// Headers already set by mappings or overrides are kept.
    pub fn finish(
        &self,
        request: &mut OutboundRequest,
        path_values: &[(String, String)],
        query: &[(String, String)],
    ) -> Result<(), Error> {
        let protocol = self.service.protocol_for(request.header("content-type"));
        let mut url = match &self.operation {
            Operation::Path(template) => {
                let path = template.render(|name| {
                    path_values
                        .iter()
                        .rev()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.as_str())
                })?;
                self.endpoint.url(&path)
            }
            // Query-protocol services take the action in the form body.
            Operation::Action(_) if matches!(protocol, Protocol::Query { .. }) => {
                self.endpoint.url("/")
            }
            Operation::Action(action) => self.endpoint.action_url(action),
        };
        for (name, value) in query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encode_query_component(name));
            url.push('=');
            url.push_str(&encode_query_component(value));
        }
        request.url = url;

        let Operation::Action(action) = &self.operation else {
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
            Protocol::Query { version } => {
                let mut body = format!(
                    "Action={}&Version={}",
                    encode_query_component(action),
                    version
                );
                if !request.body.is_empty() {
                    body.push('&');
                    body.push_str(&String::from_utf8_lossy(&request.body));
                }
                request.body = body.into();
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
        let service = Service::lookup(service);
        let endpoint = Endpoint::resolve(
            &service,
            "us-east-1",
            Some("http://127.0.0.1:5000"),
            &|_| None,
        )
        .unwrap();
        Call {
            service,
            endpoint,
            operation,
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn kinesis_action_call_is_the_tutorials() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.set_header("Content-Type", "application/x-amz-json-1.1");
        call("kinesis", Operation::Action("PutRecord".into()))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=PutRecord");
        assert!(r.header("x-amz-target").is_none());
    }

    #[test]
    fn json_services_get_their_target_and_content_type() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        call("dynamodb", Operation::Action("PutItem".into()))
            .finish(&mut r, &[], &pairs(&[("a", "b c")]))
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/?Action=PutItem&a=b%20c");
        assert_eq!(r.header("x-amz-target"), Some("DynamoDB_20120810.PutItem"));
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    }

    #[test]
    fn query_services_get_a_form_body() {
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.body = "TopicArn=arn%3Ax&Message=hi".into();
        call("sns", Operation::Action("Publish".into()))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/");
        assert_eq!(
            &r.body[..],
            b"Action=Publish&Version=2010-03-31&TopicArn=arn%3Ax&Message=hi"
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/x-www-form-urlencoded; charset=utf-8")
        );

        // SQS with a form body speaks Query.
        let mut r = OutboundRequest::new(http::Method::POST, String::new());
        r.set_header("Content-Type", "application/x-www-form-urlencoded");
        call("sqs", Operation::Action("SendMessage".into()))
            .finish(&mut r, &[], &[])
            .unwrap();
        assert_eq!(&r.body[..], b"Action=SendMessage&Version=2012-11-05");
        assert!(r.header("x-amz-target").is_none());
    }

    #[test]
    fn path_calls_fill_placeholders() {
        let template = PathTemplate::parse("{bucket}/objects/{key}").unwrap();
        assert_eq!(template.params().collect::<Vec<_>>(), ["bucket", "key"]);
        let mut r = OutboundRequest::new(http::Method::PUT, String::new());
        call("s3", Operation::Path(template.clone()))
            .finish(
                &mut r,
                &pairs(&[("bucket", "b"), ("key", "a/b c.txt")]),
                &[],
            )
            .unwrap();
        assert_eq!(r.url, "http://127.0.0.1:5000/b/objects/a%2Fb%20c.txt");
        assert!(
            call("s3", Operation::Path(template))
                .finish(&mut r, &[], &[])
                .is_err()
        );
        assert!(PathTemplate::parse("{open").is_err());
        assert!(PathTemplate::parse("a}b").is_err());
        assert!(PathTemplate::parse("{a b}").is_err());
    }
}
