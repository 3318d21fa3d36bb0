//! Parameter mappings: `request_parameters` entries such as
//! `integration.request.header.Content-Type: "'application/x-amz-json-1.1'"`.
//!
//! Both sides are parsed once at load into [`Target`] and [`Source`]; the
//! request path only looks values up.

use gateway_mapping::Input;

/// Where a mapped value goes in the integration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Header(String),
    QueryString(String),
}

/// Where a mapped value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// Parses the key of a `request_parameters` entry.
pub fn parse_target(key: &str) -> Result<Target, String> {
    let rest = key.strip_prefix("integration.request.").ok_or_else(|| {
        format!("expected `integration.request.header.<name>` or `integration.request.querystring.<name>`, got `{key}`")
    })?;
    let (location, name) = rest
        .split_once('.')
        .ok_or_else(|| format!("`{key}` names no parameter after the location"))?;
    check_name(name, key)?;
    match location {
        "header" => Ok(Target::Header(name.to_string())),
        "querystring" => Ok(Target::QueryString(name.to_string())),
        "path" => Err(format!(
            "`{key}`: path parameters apply to path-style integrations, and this integration calls an action"
        )),
        other => Err(format!(
            "`{key}`: unknown location `{other}`; expected `header` or `querystring`"
        )),
    }
}

/// Parses the value of a `request_parameters` entry.
pub fn parse_source(expression: &str) -> Result<Source, String> {
    if let Some(inner) = expression.strip_prefix('\'') {
        return inner
            .strip_suffix('\'')
            .map(|s| Source::Static(s.to_string()))
            .ok_or_else(|| format!("static value `{expression}` has no closing `'`"));
    }
    let rest = expression.strip_prefix("method.request.").ok_or_else(|| {
        format!(
            "unsupported mapping expression `{expression}`; expected a 'quoted static value' or method.request.{{path,querystring,multivaluequerystring,header,multivalueheader}}.<name>"
        )
    })?;
    let (location, name) = rest
        .split_once('.')
        .ok_or_else(|| format!("`{expression}` names no parameter after the location"))?;
    check_name(name, expression)?;
    let name = name.to_string();
    match location {
        "path" => Ok(Source::Path(name)),
        "querystring" => Ok(Source::QueryString(name)),
        "multivaluequerystring" => Ok(Source::MultiValueQueryString(name)),
        "header" => Ok(Source::Header(name)),
        "multivalueheader" => Ok(Source::MultiValueHeader(name)),
        other => Err(format!("`{expression}`: unknown location `{other}`")),
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

impl Source {
    /// The value for one request, or `None` when the request lacks it (the
    /// target is then left out, as API Gateway does).
    pub fn resolve(&self, input: &Input<'_>) -> Option<String> {
        fn last<'a>(pairs: &'a [(String, String)], name: &str, fold_case: bool) -> Option<&'a str> {
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
        match self {
            Source::Static(value) => Some(value.clone()),
            Source::Path(name) => last(input.path, name, false).map(str::to_string),
            Source::QueryString(name) => last(input.querystring, name, false).map(str::to_string),
            Source::MultiValueQueryString(name) => all(input.querystring, name, false),
            Source::Header(name) => last(input.header, name, true).map(str::to_string),
            Source::MultiValueHeader(name) => all(input.header, name, true),
        }
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
    fn parses_targets() {
        assert_eq!(
            parse_target("integration.request.header.Content-Type").unwrap(),
            Target::Header("Content-Type".into())
        );
        assert_eq!(
            parse_target("integration.request.querystring.Version").unwrap(),
            Target::QueryString("Version".into())
        );
        assert!(parse_target("integration.request.body.x").is_err());
        assert!(parse_target("method.request.header.x").is_err());
        assert!(parse_target("integration.request.header.").is_err());
    }

    #[test]
    fn parses_and_resolves_sources() {
        let path = pairs(&[("stream-name", "orders")]);
        let query = pairs(&[("a", "1"), ("a", "2")]);
        let header = pairs(&[("x-tag", "t1"), ("X-Tag", "t2")]);
        let input = Input {
            body: "",
            path: &path,
            querystring: &query,
            header: &header,
        };
        let resolve = |e: &str| parse_source(e).unwrap().resolve(&input);
        assert_eq!(
            resolve("'application/x-amz-json-1.1'").as_deref(),
            Some("application/x-amz-json-1.1")
        );
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
    }

    #[test]
    fn rejects_bad_sources() {
        assert!(parse_source("'unterminated").is_err());
        assert!(parse_source("application/json").is_err());
        assert!(parse_source("method.request.cookie.x").is_err());
        assert!(parse_source("method.request.header.a b").is_err());
    }
}
