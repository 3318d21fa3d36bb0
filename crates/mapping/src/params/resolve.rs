//! Resolving a parsed [`Source`] for one request: the values a mapping reads.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::jsonpath::Matches;
use crate::vars::{Context, Input};

use super::{Location, Params, Source};

/// The integration response that method-response mappings read.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// The response's headers in order, looked up as request headers are
    /// (see [`Params`]).
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

/// Everything a mapping may read for one request.
#[derive(Debug)]
pub struct Scope<'a> {
    /// The method request.
    pub request: Input<'a>,
    /// The integration response, for method-response mappings.
    pub response: Option<ResponseView<'a>>,
    pub context: &'a Context,
    pub stage_variables: &'a BTreeMap<String, String>,
    request_json: OnceCell<Option<serde_json::Value>>,
    response_json: OnceCell<Option<serde_json::Value>>,
}

impl<'a> Scope<'a> {
    pub fn new(
        request: Input<'a>,
        response: Option<ResponseView<'a>>,
        context: &'a Context,
        stage_variables: &'a BTreeMap<String, String>,
    ) -> Self {
        Self {
            request,
            response,
            context,
            stage_variables,
            request_json: OnceCell::new(),
            response_json: OnceCell::new(),
        }
    }
}

impl Source {
    /// The value for one request, or `None` when the request lacks it (the
    /// target is then left out, as API Gateway does).
    pub fn resolve(&self, scope: &Scope<'_>) -> Option<String> {
        let input = &scope.request;
        match self {
            Source::Static(value) => Some(value.clone()),
            Source::Param(location, name) => input.params.get(*location, name).map(str::to_string),
            Source::MultiValue(location, name) => joined(input.params.get_all(*location, name)),
            Source::Body => Some(input.body.to_string()),
            Source::BodyPath(path) => {
                let json = scope
                    .request_json
                    .get_or_init(|| serde_json::from_str(input.body).ok());
                json.as_ref().and_then(|json| text_of(path.query(json)))
            }
            Source::ResponseHeader(name) => response_headers(scope.response?)
                .get(Location::Header, name)
                .map(str::to_string),
            Source::ResponseMultiValueHeader(name) => {
                joined(response_headers(scope.response?).get_all(Location::Header, name))
            }
            Source::ResponseBody => scope.response.map(|r| r.body.to_string()),
            Source::ResponseBodyPath(path) => {
                let response = scope.response?;
                let json = scope
                    .response_json
                    .get_or_init(|| serde_json::from_str(response.body).ok());
                json.as_ref().and_then(|json| text_of(path.query(json)))
            }
            Source::Context(name) => scope.context.text(name).map(Cow::into_owned),
            Source::StageVariable(name) => scope.stage_variables.get(name).cloned(),
        }
    }
}

fn response_headers<'a>(response: ResponseView<'a>) -> Params<'a> {
    Params {
        header: response.headers,
        ..Params::default()
    }
}

/// Every value of a multi-value source, comma-joined, as API Gateway gives
/// them; nothing when there is none.
fn joined(values: Vec<&str>) -> Option<String> {
    (!values.is_empty()).then(|| values.join(","))
}

/// A JSONPath result as a parameter value: a string as itself, anything else
/// as compact JSON; nothing for a missing path or null.
fn text_of(matches: Matches<'_>) -> Option<String> {
    match matches {
        Matches::Missing | Matches::One(serde_json::Value::Null) => None,
        Matches::One(serde_json::Value::String(s)) => Some(s.clone()),
        Matches::One(value) => Some(value.to_string()),
        Matches::Many(values) => serde_json::to_string(&values).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Side, parse_source};
    use super::*;
    use crate::vars::Identity;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn resolves_every_request_source() {
        let path = pairs(&[("stream-name", "orders")]);
        let query = pairs(&[("a", "1"), ("a", "2")]);
        let header = pairs(&[("x-tag", "t1"), ("X-Tag", "t2")]);
        let body = r#"{"PartitionKey": "pk", "n": 3, "nested": {"a-b": [1, 2]}, "nothing": null}"#;
        let input = Input {
            body,
            params: Params {
                path: &path,
                querystring: &query,
                header: &header,
            },
        };
        let context = Context {
            request_id: "rid".into(),
            stage: "prod".into(),
            identity: Identity {
                source_ip: "10.0.0.1".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let vars = BTreeMap::from([("env".to_string(), "dev".to_string())]);
        let scope = Scope::new(input, None, &context, &vars);
        let resolve = |e: &str| {
            parse_source(e, Side::IntegrationRequest)
                .unwrap()
                .resolve(&scope)
        };
        assert_eq!(
            resolve("'application/x-amz-json-1.1'").as_deref(),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(resolve("''").as_deref(), Some(""));
        assert_eq!(
            resolve("method.request.path.stream-name").as_deref(),
            Some("orders")
        );
        assert_eq!(
            resolve("method.request.querystring.a").as_deref(),
            Some("2")
        );
        assert_eq!(
            resolve("method.request.multivaluequerystring.a").as_deref(),
            Some("1,2")
        );
        assert_eq!(
            resolve("method.request.header.X-TAG").as_deref(),
            Some("t2")
        );
        assert_eq!(
            resolve("method.request.multivalueheader.x-tag").as_deref(),
            Some("t1,t2")
        );
        assert_eq!(resolve("method.request.header.missing"), None);
        assert_eq!(resolve("method.request.multivalueheader.missing"), None);
        assert_eq!(resolve("method.request.body").as_deref(), Some(body));
        assert_eq!(
            resolve("method.request.body.PartitionKey").as_deref(),
            Some("pk")
        );
        assert_eq!(resolve("method.request.body.n").as_deref(), Some("3"));
        assert_eq!(
            resolve("method.request.body.nested['a-b']").as_deref(),
            Some("[1,2]")
        );
        assert_eq!(
            resolve("method.request.body.nested..*").as_deref(),
            Some("[[1,2],1,2]")
        );
        assert_eq!(resolve("method.request.body.nothing"), None);
        assert_eq!(resolve("method.request.body.absent"), None);
        assert_eq!(resolve("context.requestId").as_deref(), Some("rid"));
        assert_eq!(resolve("context.stage").as_deref(), Some("prod"));
        assert_eq!(
            resolve("context.identity.sourceIp").as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(resolve("context.unknownThing"), None);
        assert_eq!(resolve("stageVariables.env").as_deref(), Some("dev"));
        assert_eq!(resolve("stageVariables.absent"), None);
    }

    #[test]
    fn resolves_every_response_source() {
        let headers = pairs(&[
            ("x-amzn-requestid", "r1"),
            ("x-multi", "a"),
            ("X-Multi", "b"),
        ]);
        let body = r#"{"__type": "ResourceNotFoundException", "message": "gone"}"#;
        let context = Context::default();
        let vars = BTreeMap::new();
        let scope = Scope::new(
            Input {
                body: "",
                params: Params::default(),
            },
            Some(ResponseView {
                headers: &headers,
                body,
            }),
            &context,
            &vars,
        );
        let resolve = |e: &str| {
            parse_source(e, Side::MethodResponse)
                .unwrap()
                .resolve(&scope)
        };
        assert_eq!(
            resolve("integration.response.header.X-Amzn-RequestId").as_deref(),
            Some("r1")
        );
        assert_eq!(
            resolve("integration.response.header.x-multi").as_deref(),
            Some("b")
        );
        assert_eq!(
            resolve("integration.response.multivalueheader.x-multi").as_deref(),
            Some("a,b")
        );
        assert_eq!(resolve("integration.response.header.none"), None);
        assert_eq!(resolve("integration.response.body").as_deref(), Some(body));
        assert_eq!(
            resolve("integration.response.body.__type").as_deref(),
            Some("ResourceNotFoundException")
        );
        assert_eq!(
            resolve("integration.response.body.$.message").as_deref(),
            Some("gone")
        );
        assert_eq!(resolve("'static'").as_deref(), Some("static"));
    }
}
