//! Authorizers, methods' authorization and CORS settings, compiled: keys
//! fetched later, but every name, regex, identity source, function and
//! callers file checked now.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use gateway_mapping::params::{self, Location, Side, Source};
use http::HeaderValue;
use serde::Deserialize;

use crate::api::Backend;
use crate::auth::{
    Authorization, Caller, IamAuthorizer, JwtAuthorizer, LambdaAuthorizer, LambdaKind,
};
use crate::config::{
    AuthorizationType, AuthorizerConfig, AuthorizerType, CorsConfig, IntegrationConfig,
    IntegrationType, MethodConfig, Origins,
};
use crate::cors::{AllowOrigins, Cors, CorsRules, DEFAULT_ALLOW_HEADERS};

use super::integration::{Signers, proxy};
use super::{Problems, Shared, child};

/// A compiled authorizer, by kind.
#[derive(Debug, Clone)]
pub(super) enum Compiled {
    Iam(Arc<IamAuthorizer>),
    Jwt(Arc<JwtAuthorizer>),
    Lambda(Arc<LambdaAuthorizer>),
}

/// The longest a Lambda authorizer's result may be cached, as in API Gateway.
const MAX_TTL_SECONDS: u64 = 3600;

/// Every authorizer of `authorizers:`.
pub(super) fn authorizers(
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
) -> BTreeMap<String, Compiled> {
    let mut compiled = BTreeMap::new();
    for (name, raw) in &problems.loaded.config.authorizers {
        let at = ["authorizers", name.as_str()];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push_key(
                &at,
                "an authorizer name is letters, digits, `-` and `_`".into(),
            );
            continue;
        }
        let authorizer = match raw.kind {
            AuthorizerType::CognitoUserPools | AuthorizerType::Jwt => {
                jwt(name, raw, &at, problems).map(Compiled::Jwt)
            }
            AuthorizerType::Token | AuthorizerType::Request => {
                lambda(name, raw, &at, shared, signers, problems).map(Compiled::Lambda)
            }
            AuthorizerType::AwsIam => iam(name, raw, &at, shared, problems).map(Compiled::Iam),
        };
        if let Some(authorizer) = authorizer {
            compiled.insert(name.clone(), authorizer);
        }
    }
    compiled
}

/// Complains about keys that do not belong to the authorizer's type.
fn reject(raw: &AuthorizerConfig, at: &[&str], keys: &[&str], problems: &mut Problems<'_>) {
    for &key in keys {
        let set = match key {
            "issuer" => raw.issuer.is_some(),
            "audience" => !raw.audience.is_empty(),
            "jwks_url" => raw.jwks_url.is_some(),
            "function" => raw.function.is_some(),
            "identity_validation_expression" => raw.identity_validation_expression.is_some(),
            "credentials" => raw.credentials.is_some(),
            "credentials_file" => raw.credentials_file.is_some(),
            "identity_source" => raw.identity_source.is_some(),
            _ => false,
        };
        if set {
            problems.push_key(
                &child(at, key),
                format!("`{key}` does not apply to this type of authorizer"),
            );
        }
    }
}

fn jwt(
    name: &str,
    raw: &AuthorizerConfig,
    at: &[&str],
    problems: &mut Problems<'_>,
) -> Option<Arc<JwtAuthorizer>> {
    reject(
        raw,
        at,
        &[
            "function",
            "identity_validation_expression",
            "credentials",
            "credentials_file",
        ],
        problems,
    );
    let Some(issuer) = &raw.issuer else {
        problems.push_key(at, "a JWT authorizer needs an `issuer`".into());
        return None;
    };
    let is_url = |u: &str| u.starts_with("https://") || u.starts_with("http://");
    if !is_url(issuer) {
        problems.push(
            &child(at, "issuer"),
            format!("`{issuer}` is not an http(s) URL"),
        );
        return None;
    }
    let jwks_url = raw
        .jwks_url
        .clone()
        .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
    if !is_url(&jwks_url) {
        problems.push(
            &child(at, "jwks_url"),
            format!("`{jwks_url}` is not an http(s) URL"),
        );
        return None;
    }
    let header = match raw.identity_source.as_deref() {
        None => "Authorization".to_string(),
        Some(source) => {
            match params::parse_source(source, Side::IntegrationRequest) {
                Ok(Source::Param(Location::Header, header)) => header,
                _ => {
                    problems.push(
                    &child(at, "identity_source"),
                    format!("a JWT comes in a header: `method.request.header.<name>`, not `{source}`"),
                );
                    return None;
                }
            }
        }
    };
    Some(Arc::new(JwtAuthorizer::new(
        name.to_string(),
        raw.kind == AuthorizerType::CognitoUserPools,
        issuer.clone(),
        raw.audience.clone(),
        jwks_url,
        header,
    )))
}

fn lambda(
    name: &str,
    raw: &AuthorizerConfig,
    at: &[&str],
    shared: &Shared<'_>,
    signers: &mut Signers,
    problems: &mut Problems<'_>,
) -> Option<Arc<LambdaAuthorizer>> {
    reject(
        raw,
        at,
        &["issuer", "audience", "jwks_url", "credentials_file"],
        problems,
    );
    let kind = if raw.kind == AuthorizerType::Token {
        LambdaKind::Token
    } else {
        LambdaKind::Request
    };
    let before = problems.list.len();
    let Some(function) = &raw.function else {
        problems.push_key(at, "a Lambda authorizer needs a `function`".into());
        return None;
    };
    if raw.ttl_seconds > MAX_TTL_SECONDS {
        problems.push(
            &child(at, "ttl_seconds"),
            format!("at most {MAX_TTL_SECONDS} seconds, as in API Gateway"),
        );
    }
    let default_source =
        (kind == LambdaKind::Token).then_some("method.request.header.Authorization");
    let written = raw
        .identity_source
        .as_deref()
        .or(default_source)
        .unwrap_or("");
    let mut identity_sources = Vec::new();
    for expression in written.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match params::parse_source(expression, Side::IntegrationRequest) {
            Ok(source @ (Source::Param(..) | Source::StageVariable(_) | Source::Context(_))) => {
                identity_sources.push((expression.to_string(), source));
            }
            Ok(_) => problems.push(
                &child(at, "identity_source"),
                format!("`{expression}`: an identity source is a method.request header, query string or path parameter, a stageVariables.* or a context.* value"),
            ),
            Err(e) => problems.push(&child(at, "identity_source"), e),
        }
    }
    if kind == LambdaKind::Token && identity_sources.len() != 1 {
        problems.push(
            &child(at, "identity_source"),
            "a token authorizer has one identity source".into(),
        );
    }
    if kind == LambdaKind::Request && identity_sources.is_empty() && raw.ttl_seconds > 0 {
        problems.push_key(
            at,
            "a request authorizer that caches (ttl_seconds above 0) needs an `identity_source`, which keys its cache".into(),
        );
    }
    let validation = match (&raw.identity_validation_expression, kind) {
        (None, _) => None,
        (Some(_), LambdaKind::Request) => {
            reject(raw, at, &["identity_validation_expression"], problems);
            None
        }
        // Whole-token matches, as Java's `matches` takes the expression.
        (Some(expression), LambdaKind::Token) => {
            regex::RegexBuilder::new(&format!("^(?:{expression})$"))
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    problems.push(
                        &child(at, "identity_validation_expression"),
                        format!("not a regular expression: {e}"),
                    )
                })
                .ok()
        }
    };
    if function.starts_with("arn:") || !shared.region.is_empty() {
        // Lambda's Invoke call, built and signed as an `aws_proxy`
        // integration's, with the authorizer's role.
        let integration = IntegrationConfig {
            kind: IntegrationType::AwsProxy,
            service: None,
            action: None,
            path: None,
            uri: Some(function.clone()),
            credentials: raw.credentials.clone(),
            http_method: None,
            request_parameters: BTreeMap::new(),
            request_templates: BTreeMap::new(),
            passthrough_behavior: Default::default(),
            timeout_ms: 10_000,
            json_guard: Default::default(),
            content_handling: None,
            responses: Vec::new(),
        };
        let backend = proxy::lambda_backend(&integration, at, shared, signers, problems);
        if problems.list.len() != before {
            return None;
        }
        let Some(Backend::AwsProxy { call, signer }) = backend else {
            return None;
        };
        return Some(Arc::new(LambdaAuthorizer::new(
            name.to_string(),
            kind,
            identity_sources,
            validation,
            Duration::from_secs(raw.ttl_seconds),
            call,
            signer,
            shared.region.clone(),
        )));
    }
    problems.push(
        &child(at, "function"),
        "a function named without its ARN is in the gateway's region: set `aws.region`, or AWS_REGION".into(),
    );
    None
}

/// One caller of an `aws_iam` authorizer's credentials file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallerEntry {
    secret_access_key: String,
    user_arn: String,
    #[serde(default)]
    user_id: Option<String>,
}

fn iam(
    name: &str,
    raw: &AuthorizerConfig,
    at: &[&str],
    shared: &Shared<'_>,
    problems: &mut Problems<'_>,
) -> Option<Arc<IamAuthorizer>> {
    reject(
        raw,
        at,
        &[
            "issuer",
            "audience",
            "jwks_url",
            "function",
            "identity_source",
            "identity_validation_expression",
            "credentials",
        ],
        problems,
    );
    let Some(file) = &raw.credentials_file else {
        problems.push_key(
            at,
            "an aws_iam authorizer needs a `credentials_file` of its callers".into(),
        );
        return None;
    };
    let key = child(at, "credentials_file");
    let path = problems
        .loaded
        .path
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| problems.push(&key, format!("cannot read {}: {e}", path.display())))
        .ok()?;
    let entries: BTreeMap<String, CallerEntry> = serde_yaml::from_str(&text)
        .map_err(|e| {
            problems.push(
                &key,
                format!(
                    "{}: expected access key id → secret_access_key, user_arn: {e}",
                    path.display()
                ),
            )
        })
        .ok()?;
    let callers: HashMap<String, Arc<Caller>> = entries
        .into_iter()
        .map(|(access_key, entry)| {
            let caller = Caller::new(
                access_key.clone(),
                entry.secret_access_key,
                entry.user_arn,
                entry.user_id,
            );
            (access_key, Arc::new(caller))
        })
        .collect();
    Some(Arc::new(IamAuthorizer {
        name: name.to_string(),
        region: shared.region.clone(),
        callers,
    }))
}

/// A method's authorization, with the authorizer its kind needs.
pub(super) fn method_authorization(
    raw: &MethodConfig,
    at: &[&str],
    authorizers: &BTreeMap<String, Compiled>,
    problems: &mut Problems<'_>,
) -> Option<Authorization> {
    let config = &problems.loaded.config;
    if !raw.authorization_scopes.is_empty()
        && raw.authorization != AuthorizationType::CognitoUserPools
    {
        problems.push_key(
            &child(at, "authorization_scopes"),
            "scopes are for `authorization: cognito_user_pools`".into(),
        );
        return None;
    }
    let Some(name) = &raw.authorizer else {
        if raw.authorization == AuthorizationType::None {
            return Some(Authorization::None);
        }
        problems.push_key(
            &child(at, "authorization"),
            "this authorization needs an `authorizer`: a name from `authorizers`".into(),
        );
        return None;
    };
    let key = child(at, "authorizer");
    if !config.authorizers.contains_key(name) {
        let known: Vec<&str> = config.authorizers.keys().map(String::as_str).collect();
        problems.push(
            &key,
            format!(
                "no authorizer named `{name}` (defined: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        );
        return None;
    }
    // Its own problems are reported where it is declared.
    let compiled = authorizers.get(name)?;
    let authorization = match (raw.authorization, compiled) {
        (AuthorizationType::AwsIam, Compiled::Iam(iam)) => Authorization::Iam(iam.clone()),
        (AuthorizationType::Custom, Compiled::Lambda(lambda)) => {
            Authorization::Lambda(lambda.clone())
        }
        (AuthorizationType::CognitoUserPools, Compiled::Jwt(jwt)) => Authorization::Jwt {
            authorizer: jwt.clone(),
            scopes: raw.authorization_scopes.clone(),
        },
        (AuthorizationType::None, _) => {
            problems.push_key(
                &key,
                "an authorizer needs `authorization`: aws_iam, custom or cognito_user_pools".into(),
            );
            return None;
        }
        _ => {
            let needs = match raw.authorization {
                AuthorizationType::AwsIam => "an `aws_iam` authorizer",
                AuthorizationType::Custom => "a `token` or `request` authorizer",
                _ => "a `cognito_user_pools` or `jwt` authorizer",
            };
            problems.push(&key, format!("this authorization needs {needs}"));
            return None;
        }
    };
    Some(authorization)
}

/// The API's and the resources' CORS settings.
pub(super) fn cors(problems: &mut Problems<'_>) -> CorsRules {
    let config = &problems.loaded.config;
    let mut rules = CorsRules::default();
    if let Some(raw) = &config.cors {
        rules.api = one_cors(raw, &["cors"], problems).map(Arc::new);
    }
    for (path, resource) in &config.resources {
        if let Some(raw) = &resource.cors {
            let at = ["resources", path.as_str(), "cors"];
            if let Some(cors) = one_cors(raw, &at, problems) {
                rules.resources.insert(path.clone(), Arc::new(cors));
            }
        }
    }
    rules
}

fn one_cors(raw: &CorsConfig, at: &[&str], problems: &mut Problems<'_>) -> Option<Cors> {
    let before = problems.list.len();
    let listed = match &raw.allow_origins {
        Origins::One(one) => vec![one.clone()],
        Origins::List(list) => list.clone(),
    };
    let origins = if listed.iter().any(|o| o == "*") {
        if listed.len() > 1 {
            problems.push(
                &child(at, "allow_origins"),
                "`*` allows every origin: list no others with it".into(),
            );
        }
        AllowOrigins::Any
    } else {
        for origin in &listed {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                problems.push(
                    &child(at, "allow_origins"),
                    format!("`{origin}` is not an origin: scheme://host[:port], no path"),
                );
            }
        }
        AllowOrigins::List(listed)
    };
    let value = |items: &[String], key: &'static str, problems: &mut Problems<'_>| {
        HeaderValue::from_str(&items.join(","))
            .map_err(|_| problems.push(&child(at, key), "not a header value".into()))
            .ok()
    };
    for method in &raw.allow_methods {
        let upper = method.to_ascii_uppercase();
        if !gateway_router::METHODS.contains(&upper.as_str()) {
            problems.push(
                &child(at, "allow_methods"),
                format!("`{method}` is not an HTTP method"),
            );
        }
    }
    let methods = (!raw.allow_methods.is_empty())
        .then(|| {
            let upper: Vec<String> = raw
                .allow_methods
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect();
            value(&upper, "allow_methods", problems)
        })
        .flatten();
    let headers = match &raw.allow_headers {
        Some(list) => value(list, "allow_headers", problems),
        None => Some(HeaderValue::from_static(DEFAULT_ALLOW_HEADERS)),
    };
    let expose = (!raw.expose_headers.is_empty())
        .then(|| value(&raw.expose_headers, "expose_headers", problems))
        .flatten();
    if problems.list.len() != before {
        return None;
    }
    Some(Cors {
        origins,
        methods,
        headers: headers?,
        expose,
        max_age: raw.max_age,
        credentials: raw.allow_credentials,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gateway_integration::Credentials;

    use crate::compile::{Environment, compile};
    use crate::config::Loaded;

    fn problems(yaml: &str) -> String {
        let loaded = Loaded::from_str(Path::new("t.yaml"), yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        match compile(&loaded, &environment) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    fn method(settings: &str) -> String {
        format!(
            "aws:\n  region: us-east-1\nauthorizers:\n  users:\n    type: jwt\n    issuer: https://issuer.example.com\n  tokens:\n    type: token\n    function: auth\nresources:\n  /r:\n    GET:\n{settings}      integration:\n        type: mock\n"
        )
    }

    #[test]
    fn methods_name_authorizers_of_the_kind_their_authorization_needs() {
        assert_eq!(
            problems(&method(
                "      authorization: cognito_user_pools\n      authorizer: users\n      authorization_scopes: [a/b]\n"
            )),
            ""
        );
        for (settings, expected) in [
            (
                "      authorization: custom\n      authorizer: users\n",
                "this authorization needs a `token` or `request` authorizer",
            ),
            (
                "      authorization: custom\n      authorizer: nobody\n",
                "no authorizer named `nobody` (defined: tokens, users)",
            ),
            (
                "      authorization: aws_iam\n",
                "this authorization needs an `authorizer`",
            ),
            (
                "      authorizer: tokens\n",
                "an authorizer needs `authorization`",
            ),
            (
                "      authorization: custom\n      authorizer: tokens\n      authorization_scopes: [a]\n",
                "scopes are for `authorization: cognito_user_pools`",
            ),
        ] {
            let text = problems(&method(settings));
            assert!(text.contains(expected), "{settings}: {text}");
        }
    }

    #[test]
    fn authorizer_and_cors_settings_are_checked_at_load() {
        let text = problems(concat!(
            "aws:\n  region: us-east-1\n",
            "authorizers:\n",
            "  a:\n    type: token\n    function: auth\n    identity_validation_expression: '(('\n",
            "  b:\n    type: request\n    function: auth\n",
            "  c:\n    type: jwt\n    issuer: not-a-url\n",
            "  d:\n    type: aws_iam\n    credentials_file: no-such-file.yaml\n",
            "  e:\n    type: token\n    function: auth\n    identity_source: method.request.body\n    ttl_seconds: 7200\n",
            "cors:\n  allow_origins: ['https://app.example.com/path', '*']\n  allow_methods: [FETCH]\n",
            "resources:\n  /r:\n    cors:\n      allow_origins: 'http://'\n    GET:\n      integration:\n        type: mock\n",
        ));
        for expected in [
            "authorizers.a.identity_validation_expression: not a regular expression",
            "authorizers.b: a request authorizer that caches",
            "authorizers.c.issuer: `not-a-url` is not an http(s) URL",
            "authorizers.d.credentials_file: cannot read",
            "authorizers.e.identity_source: `method.request.body`",
            "authorizers.e.ttl_seconds: at most 3600 seconds",
            "cors.allow_origins: `*` allows every origin",
            "cors.allow_methods: `FETCH` is not an HTTP method",
            "resources./r.cors.allow_origins: `http://` is not an origin",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
    }

    #[test]
    fn an_unknown_key_under_cors_or_an_authorizer_is_named() {
        let text = problems(concat!(
            "authorizers:\n  a:\n    type: jwt\n    issuer: https://i.example.com\n    audiences: [x]\n",
            "resources:\n  /r:\n    cors:\n      allow_origin: '*'\n      allow_origins: '*'\n",
            "    GET:\n      integration:\n        type: mock\n",
        ));
        assert!(
            text.contains("authorizers.a: unknown field `audiences`"),
            "{text}"
        );
        assert!(
            text.contains("resources./r.cors: unknown field `allow_origin`"),
            "{text}"
        );
    }
}
