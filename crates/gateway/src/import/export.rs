//! `gateway export`: the loaded API written as gateway.yaml (to move a
//! definition to the native format) or as an OpenAPI 3.0 document with API
//! Gateway's extensions (to deploy with `aws apigateway import-rest-api`
//! what was built locally).
//!
//! What API Gateway has no word for (listen address, limits, the
//! template-injection guard, CORS, JWT and `aws_iam` authorizers) goes into
//! the `x-gateway` extension, which [`super::openapi`] reads back, so that
//! gateway.yaml → OpenAPI → gateway.yaml gives the same API.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::{Map, Value, json};

use crate::config::{
    AuthorizationType, AuthorizerConfig, AuthorizerType, Config, ContentHandling,
    IntegrationConfig, IntegrationType, JsonGuard, Loaded, MethodConfig, PassthroughBehavior,
};

use super::ImportArgs;
use super::openapi::GATEWAY_EXTENSION;

/// The security scheme of API Gateway's API keys, in the `x-api-key` header.
const API_KEY_SCHEME: &str = "api_key";

/// Arguments of `gateway export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The configuration file, in any format `run` reads.
    #[arg(long, short, default_value = "gateway.yaml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
}

/// The formats `gateway export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The gateway's own gateway.yaml.
    GatewayYaml,
    /// OpenAPI 3.0 (JSON) with API Gateway's extensions, as `aws apigateway
    /// import-rest-api` takes it.
    Openapi,
}

/// Runs `gateway export`, writing to standard output. The definition must
/// load and compile: an export of an API that does not run would hide its
/// problems.
pub fn main(args: &ExportArgs) -> anyhow::Result<()> {
    let loaded = Loaded::from_file_with(&args.config, &args.import.options())?;
    let environment = crate::compile::Environment {
        env: crate::environment::read_env,
        credentials: gateway_integration::Credentials::fixed("export", "export", None),
    };
    let api = crate::compile::compile(&loaded, &environment)?;
    for warning in &api.warnings {
        eprintln!("warning: {warning}");
    }
    let text = match args.format {
        ExportFormat::GatewayYaml => gateway_yaml(&loaded.config)?,
        ExportFormat::Openapi => {
            let region = crate::compile::region(&loaded, crate::environment::read_env);
            let title = loaded.config.api.id.as_deref().unwrap_or("gateway");
            let doc = openapi(&loaded.config, title, region.as_deref())?;
            let mut text = serde_json::to_string_pretty(&doc)?;
            text.push('\n');
            text
        }
    };
    print!("{text}");
    Ok(())
}

/// `config` as gateway.yaml, without the settings that are at their
/// defaults, as a person would write it.
pub fn gateway_yaml(config: &Config) -> anyhow::Result<String> {
    let mut value = serde_yaml::to_value(config).context("writing the configuration")?;
    prune_config(&mut value)?;
    let body = serde_yaml::to_string(&value).context("writing the configuration")?;
    Ok(format!(
        "# Exported by `gateway export --format gateway-yaml`; every key is documented in README.md.\n{body}"
    ))
}

/// Removes what equals its default, at every level gateway.yaml has.
fn prune_config(value: &mut serde_yaml::Value) -> anyhow::Result<()> {
    let empty = serde_yaml::to_value(empty_config())?;
    prune(value, &empty);
    let default_method = |kind: &serde_yaml::Value| -> anyhow::Result<serde_yaml::Value> {
        let method: MethodConfig = serde_yaml::from_value(serde_yaml::from_str(&format!(
            "integration: {{type: {}}}",
            serde_yaml::to_string(kind)?.trim()
        ))?)?;
        Ok(serde_yaml::to_value(method)?)
    };
    if let Some(resources) = value.get_mut("resources").and_then(|r| r.as_mapping_mut()) {
        for (_, resource) in resources.iter_mut() {
            let Some(methods) = resource.as_mapping_mut() else {
                continue;
            };
            for (verb, method) in methods.iter_mut() {
                if verb.as_str() == Some("cors") {
                    continue;
                }
                let kind = method["integration"]["type"].clone();
                let default = default_method(&kind)?;
                // Each integration response has no defaults but its own keys.
                if let Some(responses) = method
                    .get_mut("integration")
                    .and_then(|i| i.get_mut("responses"))
                    .and_then(|r| r.as_sequence_mut())
                {
                    for response in responses {
                        prune(response, &serde_yaml::Value::Mapping(Default::default()));
                    }
                }
                prune(method, &default);
            }
        }
    }
    if let Some(authorizers) = value
        .get_mut("authorizers")
        .and_then(|a| a.as_mapping_mut())
    {
        for (_, authorizer) in authorizers.iter_mut() {
            let kind = authorizer["type"].clone();
            let default: AuthorizerConfig = serde_yaml::from_value(serde_yaml::from_str(
                &format!("type: {}", serde_yaml::to_string(&kind)?.trim()),
            )?)?;
            prune(authorizer, &serde_yaml::to_value(default)?);
        }
    }
    for key in ["gateway_responses", "request_validators"] {
        if let Some(map) = value.get_mut(key).and_then(|a| a.as_mapping_mut()) {
            for (_, entry) in map.iter_mut() {
                prune(entry, &serde_yaml::Value::Mapping(Default::default()));
            }
        }
    }
    Ok(())
}

/// Removes from the mapping `value` every key whose value equals the one in
/// `default`, and every null, empty mapping, empty list and `false`, which
/// are each field's default when `default` does not say otherwise. Nested
/// mappings are pruned against their defaults first.
fn prune(value: &mut serde_yaml::Value, default: &serde_yaml::Value) {
    let Some(map) = value.as_mapping_mut() else {
        return;
    };
    // Fields without a default, kept whatever their value.
    const REQUIRED: &[&str] = &[
        "type",
        "status",
        "allow_origins",
        "integration",
        "resources",
    ];
    let keys: Vec<serde_yaml::Value> = map.keys().cloned().collect();
    for key in keys {
        let required = key.as_str().is_some_and(|k| REQUIRED.contains(&k));
        let default_child = default.get(&key);
        let child = map.get_mut(&key).expect("the key was just listed");
        let mut emptied = false;
        if let Some(default_child @ serde_yaml::Value::Mapping(_)) = default_child
            && child.is_mapping()
        {
            prune(child, default_child);
            emptied = is_empty(child);
        }
        let remove = !required
            && (emptied
                || match default_child {
                    Some(d) if d == child => true,
                    // A field whose default is not empty keeps an explicit empty value.
                    Some(d) if !is_empty(d) => false,
                    _ => is_empty(child),
                });
        if remove {
            // Shifting keeps the file's order of keys, the struct's.
            map.shift_remove(&key);
        }
    }
}

fn is_empty(value: &serde_yaml::Value) -> bool {
    match value {
        serde_yaml::Value::Null => true,
        serde_yaml::Value::Bool(b) => !b,
        serde_yaml::Value::Mapping(m) => m.is_empty(),
        serde_yaml::Value::Sequence(s) => s.is_empty(),
        _ => false,
    }
}

fn empty_config() -> Config {
    serde_json::from_value(json!({ "resources": {} })).expect("a config with no resources")
}

/// `config` as an OpenAPI 3.0 document with API Gateway's extensions.
/// `region` is needed when an `aws` integration names its service and
/// action instead of an integration URI.
pub fn openapi(config: &Config, title: &str, region: Option<&str>) -> anyhow::Result<Value> {
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.1"));
    doc.insert("info".into(), json!({"title": title, "version": "1"}));
    doc.insert(
        "servers".into(),
        json!([{
            "url": "/{basePath}",
            "variables": {"basePath": {"default": config.stage.name}}
        }]),
    );
    let mut paths = Map::new();
    for (path, resource) in &config.resources {
        let mut item = Map::new();
        for (verb, method) in &resource.methods {
            let key = if verb.eq_ignore_ascii_case("ANY") {
                "x-amazon-apigateway-any-method".to_string()
            } else {
                verb.to_ascii_lowercase()
            };
            let operation = operation(config, method, region)
                .with_context(|| format!("resources.{path}.{verb}"))?;
            item.insert(key, operation);
        }
        if let Some(cors) = &resource.cors {
            item.insert(GATEWAY_EXTENSION.into(), json!({ "cors": cors }));
        }
        paths.insert(path.clone(), Value::Object(item));
    }
    doc.insert("paths".into(), Value::Object(paths));

    let mut components = Map::new();
    if !config.models.is_empty() {
        components.insert("schemas".into(), json!(config.models));
    }
    let (mut schemes, own_authorizers) = security_schemes(config, region);
    if config
        .resources
        .values()
        .flat_map(|r| r.values())
        .any(|m| m.api_key_required)
    {
        schemes.insert(
            API_KEY_SCHEME.into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    if !components.is_empty() {
        doc.insert("components".into(), Value::Object(components));
    }
    if !config.request_validators.is_empty() {
        let validators: Map<String, Value> = config
            .request_validators
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    json!({
                        "validateRequestBody": v.validate_request_body,
                        "validateRequestParameters": v.validate_request_parameters,
                    }),
                )
            })
            .collect();
        doc.insert(
            "x-amazon-apigateway-request-validators".into(),
            Value::Object(validators),
        );
    }
    if let Some(name) = &config.request_validator {
        doc.insert("x-amazon-apigateway-request-validator".into(), json!(name));
    }
    if !config.gateway_responses.is_empty() {
        let responses: Map<String, Value> = config
            .gateway_responses
            .iter()
            .map(|(kind, r)| {
                let mut out = Map::new();
                if let Some(status) = r.status {
                    out.insert("statusCode".into(), json!(status.to_string()));
                }
                if !r.response_parameters.is_empty() {
                    out.insert("responseParameters".into(), json!(r.response_parameters));
                }
                if !r.response_templates.is_empty() {
                    out.insert("responseTemplates".into(), json!(r.response_templates));
                }
                (kind.clone(), Value::Object(out))
            })
            .collect();
        doc.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            Value::Object(responses),
        );
    }
    if !config.binary_media_types.is_empty() {
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(config.binary_media_types),
        );
    }
    let settings = gateway_settings(config, own_authorizers)?;
    if !settings.is_empty() {
        doc.insert(GATEWAY_EXTENSION.into(), Value::Object(settings));
    }
    Ok(Value::Object(doc))
}

/// The settings only this gateway has, as gateway.yaml writes them.
fn gateway_settings(
    config: &Config,
    authorizers: BTreeMap<String, AuthorizerConfig>,
) -> anyhow::Result<Map<String, Value>> {
    let mut only_settings = config.clone();
    only_settings.resources.clear();
    only_settings.models.clear();
    only_settings.request_validators.clear();
    only_settings.request_validator = None;
    only_settings.gateway_responses.clear();
    only_settings.binary_media_types.clear();
    only_settings.authorizers = authorizers;
    let mut value = serde_yaml::to_value(&only_settings)?;
    prune_config(&mut value)?;
    let value: Value = serde_json::to_value(&value)?;
    let mut map = match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.remove("resources");
    Ok(map)
}

/// An operation: its declared parameters, body models, validator, security,
/// the method responses its integration responses need, and the integration.
fn operation(
    config: &Config,
    method: &MethodConfig,
    region: Option<&str>,
) -> anyhow::Result<Value> {
    let mut op = Map::new();
    let parameters: Vec<Value> = method
        .request_parameters
        .iter()
        .filter_map(|(name, required)| {
            let rest = name.strip_prefix("method.request.")?;
            let (place, name) = rest.split_once('.')?;
            let place = match place {
                "path" => "path",
                "querystring" => "query",
                "header" => "header",
                _ => return None,
            };
            Some(json!({
                "name": name,
                "in": place,
                // OpenAPI requires path parameters to be required.
                "required": *required || place == "path",
                "schema": {"type": "string"},
            }))
        })
        .collect();
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if !method.request_models.is_empty() {
        let content: Map<String, Value> = method
            .request_models
            .iter()
            .map(|(media, model)| {
                (
                    media.clone(),
                    json!({"schema": {"$ref": format!("#/components/schemas/{model}")}}),
                )
            })
            .collect();
        op.insert("requestBody".into(), json!({ "content": content }));
    }
    // API Gateway refuses an integration response whose status has no
    // method response.
    let mut responses = Map::new();
    for response in &method.integration.responses {
        let entry = responses
            .entry(response.status.to_string())
            .or_insert_with(|| json!({"description": format!("{} response", response.status)}));
        for name in response.response_parameters.keys() {
            if let Some(header) = name.strip_prefix("method.response.header.") {
                entry["headers"][header] = json!({"schema": {"type": "string"}});
            }
        }
    }
    if responses.is_empty() {
        responses.insert("200".into(), json!({"description": "200 response"}));
    }
    op.insert("responses".into(), Value::Object(responses));
    if let Some(validator) = &method.request_validator {
        op.insert(
            "x-amazon-apigateway-request-validator".into(),
            json!(validator),
        );
    }
    let mut own = Map::new();
    // One security requirement: the authorizer and the API key together, as
    // API Gateway writes a method that needs both.
    let mut requirement = Map::new();
    if method.api_key_required {
        requirement.insert(API_KEY_SCHEME.into(), json!([]));
    }
    if let Some(throttle) = &method.throttle {
        own.insert("throttle".into(), json!(throttle));
    }
    match (method.authorization, &method.authorizer) {
        (AuthorizationType::None, _) => {}
        (_, Some(name)) if exported_as_scheme(config.authorizers.get(name)) => {
            requirement.insert(name.clone(), json!(method.authorization_scopes));
        }
        (authorization, authorizer) => {
            own.insert("authorization".into(), json!(authorization));
            if let Some(authorizer) = authorizer {
                own.insert("authorizer".into(), json!(authorizer));
            }
            if !method.authorization_scopes.is_empty() {
                own.insert(
                    "authorization_scopes".into(),
                    json!(method.authorization_scopes),
                );
            }
        }
    }
    if !requirement.is_empty() {
        op.insert("security".into(), json!([requirement]));
    }
    if method.integration.json_guard != JsonGuard::Auto {
        own.insert("json_guard".into(), json!(method.integration.json_guard));
    }
    if !own.is_empty() {
        op.insert(GATEWAY_EXTENSION.into(), Value::Object(own));
    }
    op.insert(
        "x-amazon-apigateway-integration".into(),
        integration(&method.integration, region)?,
    );
    Ok(Value::Object(op))
}

/// `x-amazon-apigateway-integration`.
fn integration(raw: &IntegrationConfig, region: Option<&str>) -> anyhow::Result<Value> {
    let mut out = Map::new();
    let kind = match raw.kind {
        IntegrationType::Aws => "aws",
        IntegrationType::Http => "http",
        IntegrationType::Mock => "mock",
        IntegrationType::HttpProxy => "http_proxy",
        IntegrationType::AwsProxy => "aws_proxy",
    };
    out.insert("type".into(), json!(kind));
    let uri = match (&raw.uri, raw.kind) {
        (Some(uri), _) => Some(uri.clone()),
        (None, IntegrationType::Aws) => {
            let service = raw
                .service
                .as_deref()
                .context("an `aws` integration without `uri` needs `service`")?;
            let region = region.context(
                "an `aws` integration with `service` is written as an ARN, which needs a region: set `aws.region` or AWS_REGION",
            )?;
            let target = match (&raw.action, &raw.path) {
                (Some(action), _) => format!("action/{action}"),
                (None, Some(path)) => format!("path/{}", path.trim_start_matches('/')),
                (None, None) => anyhow::bail!("an `aws` integration needs `action` or `path`"),
            };
            Some(format!("arn:aws:apigateway:{region}:{service}:{target}"))
        }
        (None, _) => None,
    };
    if let Some(uri) = uri {
        out.insert("uri".into(), json!(uri));
    }
    let http_method = raw.http_method.clone().or_else(|| {
        matches!(raw.kind, IntegrationType::Aws | IntegrationType::AwsProxy).then(|| "POST".into())
    });
    if let Some(verb) = http_method {
        out.insert("httpMethod".into(), json!(verb));
    }
    if let Some(role) = &raw.credentials {
        out.insert("credentials".into(), json!(role));
    }
    if !raw.request_parameters.is_empty() {
        out.insert("requestParameters".into(), json!(raw.request_parameters));
    }
    if !raw.request_templates.is_empty() {
        out.insert("requestTemplates".into(), json!(raw.request_templates));
    }
    // Always written: API Gateway's default differs from gateway.yaml's.
    let passthrough = match raw.passthrough_behavior {
        PassthroughBehavior::WhenNoMatch => "when_no_match",
        PassthroughBehavior::WhenNoTemplates => "when_no_templates",
        PassthroughBehavior::Never => "never",
    };
    out.insert("passthroughBehavior".into(), json!(passthrough));
    if let Some(handling) = raw.content_handling {
        out.insert("contentHandling".into(), json!(content_handling(handling)));
    }
    out.insert("timeoutInMillis".into(), json!(raw.timeout_ms));
    if !raw.responses.is_empty() {
        let mut responses = Map::new();
        for response in &raw.responses {
            let mut entry = Map::new();
            entry.insert("statusCode".into(), json!(response.status.to_string()));
            if !response.response_parameters.is_empty() {
                entry.insert(
                    "responseParameters".into(),
                    json!(response.response_parameters),
                );
            }
            if !response.response_templates.is_empty() {
                entry.insert(
                    "responseTemplates".into(),
                    json!(response.response_templates),
                );
            }
            if let Some(handling) = response.content_handling {
                entry.insert("contentHandling".into(), json!(content_handling(handling)));
            }
            let key = response.selection_pattern.as_deref().unwrap_or("default");
            if responses
                .insert(key.to_string(), Value::Object(entry))
                .is_some()
            {
                anyhow::bail!(
                    "two integration responses with the selection pattern `{key}`: OpenAPI keys them by pattern"
                );
            }
        }
        out.insert("responses".into(), Value::Object(responses));
    }
    Ok(Value::Object(out))
}

fn content_handling(handling: ContentHandling) -> &'static str {
    match handling {
        ContentHandling::ConvertToText => "CONVERT_TO_TEXT",
        ContentHandling::ConvertToBinary => "CONVERT_TO_BINARY",
    }
}

/// Whether an authorizer has an API Gateway form: a Lambda authorizer, or a
/// user pool whose issuer is Cognito's and that sets nothing API Gateway
/// lacks.
fn exported_as_scheme(authorizer: Option<&AuthorizerConfig>) -> bool {
    let Some(a) = authorizer else {
        return false;
    };
    match a.kind {
        AuthorizerType::Token | AuthorizerType::Request => a.function.is_some(),
        AuthorizerType::CognitoUserPools => {
            a.issuer.as_deref().and_then(user_pool_arn_parts).is_some()
                && a.audience.is_empty()
                && a.jwks_url.is_none()
                && a.ttl_seconds == 300
        }
        AuthorizerType::Jwt | AuthorizerType::AwsIam => false,
    }
}

/// The region and pool id of a Cognito issuer URL.
fn user_pool_arn_parts(issuer: &str) -> Option<(String, String)> {
    let rest = issuer.strip_prefix("https://cognito-idp.")?;
    let (region, pool) = rest.split_once(".amazonaws.com/")?;
    (!region.is_empty() && !pool.is_empty() && !pool.contains('/'))
        .then(|| (region.to_string(), pool.to_string()))
}

/// The security schemes of the authorizers API Gateway has, and the others,
/// which go into `x-gateway`.
fn security_schemes(
    config: &Config,
    region: Option<&str>,
) -> (Map<String, Value>, BTreeMap<String, AuthorizerConfig>) {
    let mut schemes = Map::new();
    let mut own = BTreeMap::new();
    for (name, a) in &config.authorizers {
        if !exported_as_scheme(Some(a)) {
            own.insert(name.clone(), a.clone());
            continue;
        }
        let header = a
            .identity_source
            .as_deref()
            .and_then(|s| s.strip_prefix("method.request.header."))
            .filter(|h| !h.contains(','))
            .unwrap_or("Authorization");
        let mut authorizer = Map::new();
        match a.kind {
            AuthorizerType::CognitoUserPools => {
                let (pool_region, pool) = a
                    .issuer
                    .as_deref()
                    .and_then(user_pool_arn_parts)
                    .expect("checked by exported_as_scheme");
                let account = config.api.account_id.as_deref().unwrap_or("123456789012");
                authorizer.insert("type".into(), json!("cognito_user_pools"));
                authorizer.insert(
                    "providerARNs".into(),
                    json!([format!(
                        "arn:aws:cognito-idp:{pool_region}:{account}:userpool/{pool}"
                    )]),
                );
            }
            kind => {
                let function = a.function.as_deref().unwrap_or_default();
                // API Gateway takes a function by its invocation URI; the
                // region is the function's own when its ARN says it.
                let function_region = function
                    .strip_prefix("arn:aws:lambda:")
                    .and_then(|r| r.split(':').next())
                    .or(region)
                    .unwrap_or("us-east-1");
                authorizer.insert(
                    "type".into(),
                    json!(if kind == AuthorizerType::Token {
                        "token"
                    } else {
                        "request"
                    }),
                );
                authorizer.insert(
                    "authorizerUri".into(),
                    json!(format!(
                        "arn:aws:apigateway:{function_region}:lambda:path/2015-03-31/functions/{function}/invocations"
                    )),
                );
                authorizer.insert("authorizerResultTtlInSeconds".into(), json!(a.ttl_seconds));
                if let Some(credentials) = &a.credentials {
                    authorizer.insert("authorizerCredentials".into(), json!(credentials));
                }
                if let Some(expression) = &a.identity_validation_expression {
                    authorizer.insert("identityValidationExpression".into(), json!(expression));
                }
            }
        }
        if let Some(source) = &a.identity_source {
            authorizer.insert("identitySource".into(), json!(source));
        }
        schemes.insert(
            name.clone(),
            json!({
                "type": "apiKey",
                "name": header,
                "in": "header",
                "x-amazon-apigateway-authtype": if a.kind == AuthorizerType::CognitoUserPools { "cognito_user_pools" } else { "custom" },
                "x-amazon-apigateway-authorizer": authorizer,
            }),
        );
    }
    (schemes, own)
}
