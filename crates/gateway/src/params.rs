//! Parameter mappings: `request_parameters` and `response_parameters` entries
//! such as `integration.request.header.Content-Type: "'application/x-amz-json-1.1'"`
//! or `method.response.header.X-Error: integration.response.body.__type`.
//!
//! Both sides are parsed once at load into [`Target`] and [`Source`]; the
//! request path only looks values up, in a [`Scope`].

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;

use gateway_mapping::{Context, Input, JsonPath, Matches};

/// Where a mapped value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `integration.request.header.<name>`, `method.response.header.<name>` or
    /// `gatewayresponse.header.<name>`.
    Header(String),
    /// `integration.request.querystring.<name>`.
    QueryString(String),
    /// `integration.request.path.<name>`.
    Path(String),
}

/// Which mapping a target or source belongs to: each allows different names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `integration.request.*` ← `method.request.*`.
    IntegrationRequest,
    /// `method.response.header.*` ← `integration.response.*`.
    MethodResponse,
    /// `gatewayresponse.header.*` ← `method.request.*`.
    GatewayResponse,
}

/// Where a mapped value comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `'static value'`.
    Static(String),
    /// `method.request.path.<name>`.
    Path(String),
    /// `method.request.querystring.<name>`: the last value of a repeated name.
    QueryString(String),
    /// `method.request.multivaluequerystring.<name>`: all values, comma-separated.
    MultiValueQueryString(String),
    /// `method.request.header.<name>`.
    Header(String),
    /// `method.request.multivalueheader.<name>`: all values, comma-separated.
    MultiValueHeader(String),
    /// `method.request.body`: the whole body.
    Body,
    /// `method.request.body.<JSONPath>`.
    BodyPath(JsonPath),
    /// `integration.response.header.<name>`.
    ResponseHeader(String),
    /// `integration.response.multivalueheader.<name>`.
    ResponseMultiValueHeader(String),
    /// `integration.response.body`.
    ResponseBody,
    /// `integration.response.body.<JSONPath>`.
    ResponseBodyPath(JsonPath),
    /// `context.<name>`, e.g. `context.requestId`, `context.identity.sourceIp`.
    Context(String),
    /// `stageVariables.<name>`.
    StageVariable(String),
}

/// Parses the key of a mapping entry.
pub fn parse_target(key: &str, side: Side) -> Result<Target, String> {
    let (prefix, locations): (&str, &[&str]) = match side {
        Side::IntegrationRequest => ("integration.request.", &["header", "querystring", "path"]),
        Side::MethodResponse => ("method.response.", &["header"]),
        Side::GatewayResponse => ("gatewayresponse.", &["header"]),
    };
    let expected = || {
        let forms: Vec<String> = locations
            .iter()
            .map(|l| format!("`{prefix}{l}.<name>`"))
            .collect();
        format!("expected {}, got `{key}`", forms.join(" or "))
    };
    let rest = key.strip_prefix(prefix).ok_or_else(expected)?;
    let (location, name) = rest.split_once('.').ok_or_else(expected)?;
    if !locations.contains(&location) {
        return Err(expected());
    }
    check_name(name, key)?;
    Ok(match location {
        "header" => Target::Header(name.to_string()),
        "querystring" => Target::QueryString(name.to_string()),
        _ => Target::Path(name.to_string()),
    })
}

/// Parses the value of a mapping entry.
pub fn parse_source(expression: &str, side: Side) -> Result<Source, String> {
    if let Some(inner) = expression.strip_prefix('\'') {
        return inner
            .strip_suffix('\'')
            .map(|s| Source::Static(s.to_string()))
            .ok_or_else(|| format!("static value `{expression}` has no closing `'`"));
    }
    if let Some(name) = expression.strip_prefix("context.") {
        check_dotted(name, expression)?;
        return Ok(Source::Context(name.to_string()));
    }
    if let Some(name) = expression.strip_prefix("stageVariables.") {
        check_name(name, expression)?;
        return Ok(Source::StageVariable(name.to_string()));
    }
    let from_request = matches!(side, Side::IntegrationRequest | Side::GatewayResponse);
    if from_request && let Some(rest) = expression.strip_prefix("method.request.") {
        return parse_request_source(rest, expression, side);
    }
    if side == Side::MethodResponse
        && let Some(rest) = expression.strip_prefix("integration.response.")
    {
        return parse_response_source(rest, expression);
    }
    let roots = if from_request {
        "method.request.*"
    } else {
        "integration.response.*"
    };
    Err(format!(
        "unsupported mapping expression `{expression}`; expected a 'quoted static value', {roots}, context.* or stageVariables.*"
    ))
}

fn parse_request_source(rest: &str, whole: &str, side: Side) -> Result<Source, String> {
    if rest == "body" && side == Side::IntegrationRequest {
        return Ok(Source::Body);
    }
    if let Some(path) = rest
        .strip_prefix("body.")
        .filter(|_| side == Side::IntegrationRequest)
    {
        return JsonPath::compile(path)
            .map(Source::BodyPath)
            .map_err(|e| format!("`{whole}`: {e}"));
    }
    let (location, name) = rest
        .split_once('.')
        .ok_or_else(|| format!("`{whole}` names no parameter"))?;
    check_name(name, whole)?;
    let name = name.to_string();
    match location {
        "path" => Ok(Source::Path(name)),
        "querystring" => Ok(Source::QueryString(name)),
        "multivaluequerystring" => Ok(Source::MultiValueQueryString(name)),
        "header" => Ok(Source::Header(name)),
        "multivalueheader" => Ok(Source::MultiValueHeader(name)),
        other => Err(format!(
            "`{whole}`: unknown location `{other}`; expected path, querystring, multivaluequerystring, header, multivalueheader{}",
            if side == Side::IntegrationRequest {
                " or body"
            } else {
                ""
            }
        )),
    }
}

fn parse_response_source(rest: &str, whole: &str) -> Result<Source, String> {
    if rest == "body" {
        return Ok(Source::ResponseBody);
    }
    if let Some(path) = rest.strip_prefix("body.") {
        return JsonPath::compile(path)
            .map(Source::ResponseBodyPath)
            .map_err(|e| format!("`{whole}`: {e}"));
    }
    let (location, name) = rest
        .split_once('.')
        .ok_or_else(|| format!("`{whole}` names no parameter"))?;
    check_name(name, whole)?;
    match location {
        "header" => Ok(Source::ResponseHeader(name.to_string())),
        "multivalueheader" => Ok(Source::ResponseMultiValueHeader(name.to_string())),
        other => Err(format!(
            "`{whole}`: unknown location `{other}`; expected header, multivalueheader or body"
        )),
    }
}

/// API Gateway's rule for parameter names in mapping expressions.
fn check_name(name: &str, whole: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._$-".contains(c))
    {
        return Err(format!(
            "`{whole}`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`"
        ));
    }
    Ok(())
}

fn check_dotted(name: &str, whole: &str) -> Result<(), String> {
    if name
        .split('.')
        .any(|part| part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(format!(
            "`{whole}`: expected context.<name>, e.g. context.requestId"
        ));
    }
    Ok(())
}

/// The integration response that response mappings read.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    pub headers: &'a http::HeaderMap,
    pub body: &'a str,
}

/// Everything a mapping may read for one request.
#[derive(Debug)]
pub struct Scope<'a> {
    pub request: Input<'a>,
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
            Source::Path(name) => last(input.path, name, false).map(str::to_string),
            Source::QueryString(name) => last(input.querystring, name, false).map(str::to_string),
            Source::MultiValueQueryString(name) => all(input.querystring, name, false),
            Source::Header(name) => last(input.header, name, true).map(str::to_string),
            Source::MultiValueHeader(name) => all(input.header, name, true),
            Source::Body => Some(input.body.to_string()),
            Source::BodyPath(path) => {
                let json = scope
                    .request_json
                    .get_or_init(|| serde_json::from_str(input.body).ok());
                json.as_ref().and_then(|json| text_of(path.query(json)))
            }
            Source::ResponseHeader(name) => {
                let response = scope.response?;
                response
                    .headers
                    .get_all(name.as_str())
                    .iter()
                    .next_back()
                    .map(header_text)
            }
            Source::ResponseMultiValueHeader(name) => {
                let response = scope.response?;
                let values: Vec<String> = response
                    .headers
                    .get_all(name.as_str())
                    .iter()
                    .map(header_text)
                    .collect();
                (!values.is_empty()).then(|| values.join(","))
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

pub(crate) fn last<'a>(
    pairs: &'a [(String, String)],
    name: &str,
    fold_case: bool,
) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| {
            if fold_case {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            }
        })
        .map(|(_, v)| v.as_str())
}

/// Every value of `name`, comma-joined, as API Gateway's multi-value
/// sources give them.
fn all(pairs: &[(String, String)], name: &str, fold_case: bool) -> Option<String> {
    let values: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| {
            if fold_case {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            }
        })
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn header_text(value: &http::HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
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
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn parses_targets_per_side() {
        use Side::*;
        assert_eq!(
            parse_target(
                "integration.request.header.Content-Type",
                IntegrationRequest
            )
            .unwrap(),
            Target::Header("Content-Type".into())
        );
        assert_eq!(
            parse_target(
                "integration.request.querystring.Version",
                IntegrationRequest
            )
            .unwrap(),
            Target::QueryString("Version".into())
        );
        assert_eq!(
            parse_target("integration.request.path.bucket", IntegrationRequest).unwrap(),
            Target::Path("bucket".into())
        );
        assert_eq!(
            parse_target("method.response.header.X-A", MethodResponse).unwrap(),
            Target::Header("X-A".into())
        );
        assert_eq!(
            parse_target(
                "gatewayresponse.header.Access-Control-Allow-Origin",
                GatewayResponse
            )
            .unwrap(),
            Target::Header("Access-Control-Allow-Origin".into())
        );
        for (bad, side) in [
            ("integration.request.body.x", IntegrationRequest),
            ("method.request.header.x", IntegrationRequest),
            ("integration.request.header.", IntegrationRequest),
            ("method.response.querystring.x", MethodResponse),
            ("integration.request.header.X", MethodResponse),
            ("gatewayresponse.header.a b", GatewayResponse),
        ] {
            assert!(parse_target(bad, side).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolves_every_request_source() {
        let path = pairs(&[("stream-name", "orders")]);
        let query = pairs(&[("a", "1"), ("a", "2")]);
        let header = pairs(&[("x-tag", "t1"), ("X-Tag", "t2")]);
        let body = r#"{"PartitionKey": "pk", "n": 3, "nested": {"a-b": [1, 2]}, "nothing": null}"#;
        let input = Input {
            body,
            path: &path,
            querystring: &query,
            header: &header,
        };
        let context = Context {
            request_id: "rid".into(),
            stage: "prod".into(),
            identity: gateway_mapping::Identity {
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
        let mut headers = http::HeaderMap::new();
        headers.append("x-amzn-requestid", "r1".parse().unwrap());
        headers.append("x-multi", "a".parse().unwrap());
        headers.append("x-multi", "b".parse().unwrap());
        let body = r#"{"__type": "ResourceNotFoundException", "message": "gone"}"#;
        let context = Context::default();
        let vars = BTreeMap::new();
        let scope = Scope::new(
            Input {
                body: "",
                path: &[],
                querystring: &[],
                header: &[],
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

    #[test]
    fn rejects_sources_from_the_wrong_side_and_bad_forms() {
        use Side::*;
        for (bad, side) in [
            ("'unterminated", IntegrationRequest),
            ("application/json", IntegrationRequest),
            ("method.request.cookie.x", IntegrationRequest),
            ("method.request.header.a b", IntegrationRequest),
            ("integration.response.body", IntegrationRequest),
            ("method.request.header.x", MethodResponse),
            ("method.request.body", GatewayResponse),
            ("context.", IntegrationRequest),
            ("context.a..b", IntegrationRequest),
            ("method.request.body.[", IntegrationRequest),
        ] {
            assert!(parse_source(bad, side).is_err(), "{bad}");
        }
    }
}
