//! The grammar of parameter mappings: a target such as
//! `integration.request.header.Content-Type` and a source such as
//! `method.request.querystring.shard-id`, `'static'`, `context.requestId` or
//! `integration.response.body.__type`; and of the method request's declared
//! parameters, which are sources of one kind.

use crate::jsonpath::JsonPath;

use super::Location;

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
    /// `method.request.{path,querystring,header}.<name>`: the value
    /// [`Params::get`](super::Params::get) gives.
    Param(Location, String),
    /// `method.request.{multivaluequerystring,multivalueheader}.<name>`: every
    /// value, comma-separated.
    MultiValue(Location, String),
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
    // A method response may echo what the request said of itself: CORS
    // answers name the caller's own `Origin` this way.
    if side == Side::MethodResponse
        && let Some(rest) = expression.strip_prefix("method.request.")
        && let Some(source) = request_parameter(rest, expression)?
    {
        return Ok(source);
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

/// Parses a method request's declared parameter,
/// `method.request.{path,querystring,header}.<name>`, with the grammar of the
/// mapping sources that read one.
pub fn parse_declared(key: &str) -> Result<(Location, String), String> {
    let expected =
        || format!("expected `method.request.{{path,querystring,header}}.<name>`, got `{key}`");
    let rest = key.strip_prefix("method.request.").ok_or_else(expected)?;
    match request_parameter(rest, key)? {
        Some(Source::Param(location, name)) => Ok((location, name)),
        _ => Err(expected()),
    }
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
    if let Some(source) = request_parameter(rest, whole)? {
        return Ok(source);
    }
    match rest.split_once('.') {
        None => Err(format!("`{whole}` names no parameter")),
        Some((other, _)) => Err(format!(
            "`{whole}`: unknown location `{other}`; expected path, querystring, multivaluequerystring, header, multivalueheader{}",
            if side == Side::IntegrationRequest {
                " or body"
            } else {
                ""
            }
        )),
    }
}

/// `<location>.<name>`, the part after `method.request.` that names a
/// request parameter: the one grammar of mapping sources and declared
/// parameters. `Ok(None)` when `rest` does not start with a parameter location.
fn request_parameter(rest: &str, whole: &str) -> Result<Option<Source>, String> {
    let Some((location, name)) = rest.split_once('.') else {
        return Ok(None);
    };
    let (location, every_value) = match location {
        "path" => (Location::Path, false),
        "querystring" => (Location::QueryString, false),
        "header" => (Location::Header, false),
        "multivaluequerystring" => (Location::QueryString, true),
        "multivalueheader" => (Location::Header, true),
        _ => return Ok(None),
    };
    check_name(name, whole)?;
    let name = name.to_string();
    Ok(Some(if every_value {
        Source::MultiValue(location, name)
    } else {
        Source::Param(location, name)
    }))
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
    // Claims and authorizer context keys are named by whoever issued them:
    // Cognito's `cognito:username`, `custom:team`, `x-tenant`.
    let extra = if name.starts_with("authorizer.") {
        ":-"
    } else {
        ""
    };
    if name.split('.').any(|part| {
        part.is_empty()
            || !part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
    }) {
        return Err(format!(
            "`{whole}`: expected context.<name>, e.g. context.requestId"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_response_may_read_the_request_headers() {
        let source = parse_source("method.request.header.Origin", Side::MethodResponse).unwrap();
        assert!(
            matches!(&source, Source::Param(Location::Header, name) if name == "Origin"),
            "{source:?}"
        );
        let claim = parse_source(
            "context.authorizer.claims.cognito:username",
            Side::IntegrationRequest,
        )
        .unwrap();
        assert!(
            matches!(&claim, Source::Context(name) if name == "authorizer.claims.cognito:username")
        );
        assert!(parse_source("context.stage:x", Side::IntegrationRequest).is_err());
    }

    #[test]
    fn parses_targets_per_side() {
        use Side::*;
        assert_eq!(
            parse_target(
                "integration.request.header.Content-Type",
                IntegrationRequest
            ),
            Ok(Target::Header("Content-Type".into()))
        );
        assert_eq!(
            parse_target(
                "integration.request.querystring.Version",
                IntegrationRequest
            ),
            Ok(Target::QueryString("Version".into()))
        );
        assert_eq!(
            parse_target("integration.request.path.bucket", IntegrationRequest),
            Ok(Target::Path("bucket".into()))
        );
        assert_eq!(
            parse_target("method.response.header.X-A", MethodResponse),
            Ok(Target::Header("X-A".into()))
        );
        assert_eq!(
            parse_target(
                "gatewayresponse.header.Access-Control-Allow-Origin",
                GatewayResponse
            ),
            Ok(Target::Header("Access-Control-Allow-Origin".into()))
        );
        let integration = "expected `integration.request.header.<name>` or `integration.request.querystring.<name>` or `integration.request.path.<name>`";
        for (bad, side, message) in [
            (
                "integration.request.body.x",
                IntegrationRequest,
                format!("{integration}, got `integration.request.body.x`"),
            ),
            (
                "method.request.header.x",
                IntegrationRequest,
                format!("{integration}, got `method.request.header.x`"),
            ),
            (
                "integration.request.header.",
                IntegrationRequest,
                "`integration.request.header.`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`".into(),
            ),
            (
                "method.response.querystring.x",
                MethodResponse,
                "expected `method.response.header.<name>`, got `method.response.querystring.x`"
                    .into(),
            ),
            (
                "integration.request.header.X",
                MethodResponse,
                "expected `method.response.header.<name>`, got `integration.request.header.X`"
                    .into(),
            ),
            (
                "gatewayresponse.header.a b",
                GatewayResponse,
                "`gatewayresponse.header.a b`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`".into(),
            ),
        ] {
            assert_eq!(parse_target(bad, side), Err(message), "{bad}");
        }
    }

    #[test]
    fn parses_request_parameters_with_one_grammar() {
        let param = |e: &str| match parse_source(e, Side::IntegrationRequest) {
            Ok(Source::Param(location, name)) => Some((location, name)),
            _ => None,
        };
        for (key, location, name) in [
            (
                "method.request.path.stream-name",
                Location::Path,
                "stream-name",
            ),
            (
                "method.request.querystring.shard-id",
                Location::QueryString,
                "shard-id",
            ),
            (
                "method.request.header.Shard-Iterator",
                Location::Header,
                "Shard-Iterator",
            ),
        ] {
            let expected = (location, name.to_string());
            assert_eq!(param(key).as_ref(), Some(&expected), "{key}");
            assert_eq!(parse_declared(key), Ok(expected), "{key}");
        }
        assert!(matches!(
            parse_source("method.request.multivalueheader.X-A", Side::IntegrationRequest),
            Ok(Source::MultiValue(Location::Header, name)) if name == "X-A"
        ));
        assert!(matches!(
            parse_source("method.request.multivaluequerystring.a", Side::GatewayResponse),
            Ok(Source::MultiValue(Location::QueryString, name)) if name == "a"
        ));

        let expected = |key: &str| {
            Err(format!(
                "expected `method.request.{{path,querystring,header}}.<name>`, got `{key}`"
            ))
        };
        for key in [
            "method.request.body.x",
            "method.request.multivalueheader.x",
            "method.request.cookie.x",
            "method.request.header",
            "integration.request.path.x",
        ] {
            assert_eq!(parse_declared(key), expected(key), "{key}");
        }
        assert_eq!(
            parse_declared("method.request.path."),
            Err("`method.request.path.`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`".into())
        );
    }

    #[test]
    fn rejects_sources_from_the_wrong_side_and_bad_forms() {
        use Side::*;
        for (bad, side, message) in [
            (
                "'unterminated",
                IntegrationRequest,
                "static value `'unterminated` has no closing `'`",
            ),
            (
                "application/json",
                IntegrationRequest,
                "unsupported mapping expression `application/json`; expected a 'quoted static value', method.request.*, context.* or stageVariables.*",
            ),
            (
                "method.request.cookie.x",
                IntegrationRequest,
                "`method.request.cookie.x`: unknown location `cookie`; expected path, querystring, multivaluequerystring, header, multivalueheader or body",
            ),
            (
                "method.request.header.a b",
                IntegrationRequest,
                "`method.request.header.a b`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`",
            ),
            (
                "integration.response.body",
                IntegrationRequest,
                "unsupported mapping expression `integration.response.body`; expected a 'quoted static value', method.request.*, context.* or stageVariables.*",
            ),
            (
                "method.request.body",
                MethodResponse,
                "unsupported mapping expression `method.request.body`; expected a 'quoted static value', integration.response.*, context.* or stageVariables.*",
            ),
            (
                "method.request.body",
                GatewayResponse,
                "`method.request.body` names no parameter",
            ),
            (
                "method.request.body.x",
                GatewayResponse,
                "`method.request.body.x`: unknown location `body`; expected path, querystring, multivaluequerystring, header, multivalueheader",
            ),
            (
                "context.",
                IntegrationRequest,
                "`context.`: expected context.<name>, e.g. context.requestId",
            ),
            (
                "context.a..b",
                IntegrationRequest,
                "`context.a..b`: expected context.<name>, e.g. context.requestId",
            ),
            (
                "integration.response.cookie.x",
                MethodResponse,
                "`integration.response.cookie.x`: unknown location `cookie`; expected header, multivalueheader or body",
            ),
        ] {
            assert_eq!(
                parse_source(bad, side).map(|_| ()),
                Err(message.to_string()),
                "{bad}"
            );
        }
        let Err(message) = parse_source("method.request.body.[", IntegrationRequest) else {
            panic!("a bad JSONPath is refused");
        };
        assert!(
            message.starts_with("`method.request.body.[`: [:1:"),
            "{message}"
        );
    }
}
