//! Resolving a parsed [`Source`] for one request: the values a mapping reads.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::body::{Body, BodyView};
use crate::doc::Doc;
use crate::jsonpath::{JsonPath, Matches};
use crate::render;
use crate::vars::{Context, Input};

use super::{Location, Params, Source};

/// The integration response that method-response mappings read.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// The response's headers in order, looked up as request headers are
    /// (see [`Params`]).
    pub headers: &'a [(String, String)],
    body: &'a dyn BodyView,
}

impl<'a> ResponseView<'a> {
    pub fn new(headers: &'a [(String, String)], body: &'a Body<'_>) -> ResponseView<'a> {
        ResponseView { headers, body }
    }
}

/// Everything a mapping may read for one request.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The method request. Only integration-request mappings read its body
    /// ([`parse_source`](super::parse_source) refuses `method.request.body`
    /// elsewhere), so other scopes may give an empty one.
    pub request: Input<'a>,
    /// The integration response, for method-response mappings.
    pub response: Option<ResponseView<'a>>,
    pub context: &'a Context,
    pub stage_variables: &'a BTreeMap<String, String>,
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
            Source::Body => Some(input.body.text().to_string()),
            Source::BodyPath(path) => body_path(input.body, path),
            Source::ResponseHeader(name) => response_headers(scope.response?)
                .get(Location::Header, name)
                .map(str::to_string),
            Source::ResponseMultiValueHeader(name) => {
                joined(response_headers(scope.response?).get_all(Location::Header, name))
            }
            Source::ResponseBody => scope.response.map(|r| r.body.text().to_string()),
            Source::ResponseBodyPath(path) => body_path(scope.response?.body, path),
            Source::Context(name) => scope.context.text(name).map(Cow::into_owned),
            Source::StageVariable(name) => scope.stage_variables.get(name).cloned(),
        }
    }
}

fn response_headers(response: ResponseView<'_>) -> Params<'_> {
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

/// A JSONPath over a body's document, as a parameter value: a string as
/// itself, anything else as the compact JSON `$input.json` prints; nothing
/// for a missing path, null, or a body that is not JSON.
fn body_path(body: &dyn BodyView, path: &JsonPath) -> Option<String> {
    if !body.is_json() {
        return None;
    }
    let mut text = String::new();
    match path.query_node(body.doc()).ok()? {
        Matches::Missing | Matches::One(Doc::Null) => return None,
        Matches::One(doc @ (Doc::Str(_) | Doc::Text(_))) => {
            return doc.as_str().map(str::to_string);
        }
        Matches::One(value) => render::write_json(value, &mut text, 0).ok()?,
        Matches::Many(values) => {
            text.push('[');
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                render::write_json(value, &mut text, 0).ok()?;
            }
            text.push(']');
        }
        Matches::Computed(c) => c.write_json(&mut text),
    }
    Some(text)
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
        let text =
            r#"{"PartitionKey": "pk", "n": 3.5, "nested": {"a-b": [1, 2e7]}, "nothing": null}"#;
        let body = Body::new(text);
        let input = Input::new(
            &body,
            Params {
                path: &path,
                querystring: &query,
                header: &header,
            },
        );
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
        let scope = Scope {
            request: input,
            response: None,
            context: &context,
            stage_variables: &vars,
        };
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
        assert_eq!(resolve("method.request.body").as_deref(), Some(text));
        assert_eq!(
            resolve("method.request.body.PartitionKey").as_deref(),
            Some("pk")
        );
        // Numbers and structures print as `$input.json` prints them.
        assert_eq!(resolve("method.request.body.n").as_deref(), Some("3.5"));
        assert_eq!(
            resolve("method.request.body.nested['a-b']").as_deref(),
            Some("[1,2.0E7]")
        );
        assert_eq!(
            resolve("method.request.body.nested..*").as_deref(),
            Some("[[1,2.0E7],1,2.0E7]")
        );
        // A JSONPath function's result, as `$input.json` prints it.
        assert_eq!(
            resolve("method.request.body.nested['a-b'].length()").as_deref(),
            Some("2")
        );
        assert_eq!(
            resolve("method.request.body.nested['a-b'].sum()").as_deref(),
            Some("2.0000001E7")
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
        let text = r#"{"__type": "ResourceNotFoundException", "message": "gone"}"#;
        let body = Body::new(text);
        let no_body = Body::new("");
        let context = Context::default();
        let vars = BTreeMap::new();
        let scope = Scope {
            request: Input::new(&no_body, Params::default()),
            response: Some(ResponseView::new(&headers, &body)),
            context: &context,
            stage_variables: &vars,
        };
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
        assert_eq!(resolve("integration.response.body").as_deref(), Some(text));
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

    #[test]
    fn body_paths_read_only_json_bodies() {
        let context = Context::default();
        let vars = BTreeMap::new();
        for text in ["", "a=b", "not json"] {
            let body = Body::new(text);
            let scope = Scope {
                request: Input::new(&body, Params::default()),
                response: None,
                context: &context,
                stage_variables: &vars,
            };
            for path in ["$", "a"] {
                let source = parse_source(
                    &format!("method.request.body.{path}"),
                    Side::IntegrationRequest,
                )
                .unwrap();
                assert_eq!(source.resolve(&scope), None, "{text:?} {path}");
            }
        }
    }
}
