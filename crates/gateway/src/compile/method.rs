//! Method requests: declared parameters, request validators and models.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::{Model, ParameterLocation, Validation};
use crate::config::{Loaded, MethodConfig};

use super::{Problems, Shared, child};

/// Compiles every model as a JSON Schema draft-04, as API Gateway's models are.
pub(super) fn models(loaded: &Loaded, problems: &mut Problems<'_>) -> BTreeMap<String, Arc<Model>> {
    let mut models = BTreeMap::new();
    for (name, schema) in &loaded.config.models {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            problems.push_key(
                &["models", name],
                "a model name is letters and digits, as in API Gateway".into(),
            );
            continue;
        }
        // No resolver for remote references: a model never makes the gateway
        // fetch anything.
        match jsonschema::draft4::new(schema) {
            Ok(validator) => {
                models.insert(
                    name.clone(),
                    Arc::new(Model {
                        name: name.clone(),
                        validator,
                    }),
                );
            }
            Err(e) => problems.push(
                &["models", name],
                format!("not a valid draft-04 JSON Schema: {e}"),
            ),
        }
    }
    models
}

/// Checks that the API's default validator exists.
pub(super) fn check_validators(loaded: &Loaded, problems: &mut Problems<'_>) {
    let config = &loaded.config;
    if let Some(name) = &config.request_validator
        && !config.request_validators.contains_key(name)
    {
        problems.push(&["request_validator"], unknown_validator(name, loaded));
    }
}

fn unknown_validator(name: &str, loaded: &Loaded) -> String {
    let known: Vec<&str> = loaded
        .config
        .request_validators
        .keys()
        .map(String::as_str)
        .collect();
    format!(
        "no request validator named `{name}` (defined: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    )
}

/// What a method's requests must satisfy: the declared parameters and models
/// that its request validator checks.
pub(super) fn validation(
    raw: &MethodConfig,
    at: &[&str],
    shared: &Shared<'_>,
    problems: &mut Problems<'_>,
) -> Option<Validation> {
    let before = problems.list.len();
    let loaded = problems.loaded;
    let config = &loaded.config;
    let key = |k: &'static str| -> Vec<&str> { child(at, k) };

    let validator_name = raw
        .request_validator
        .as_ref()
        .or(config.request_validator.as_ref());
    let validator = match validator_name {
        Some(name) => match config.request_validators.get(name) {
            Some(v) => Some(v),
            None => {
                if raw.request_validator.is_some() {
                    problems.push(&key("request_validator"), unknown_validator(name, loaded));
                }
                None
            }
        },
        None => None,
    };
    let check_parameters = validator.is_some_and(|v| v.validate_request_parameters);
    let check_body = validator.is_some_and(|v| v.validate_request_body);

    let mut validation = Validation::default();
    for (parameter, &required) in &raw.request_parameters {
        let mut path = key("request_parameters");
        path.push(parameter);
        match parse_declared(parameter) {
            Ok((location, name)) => {
                if required && check_parameters {
                    validation.required.push((location, name));
                }
            }
            Err(e) => problems.push_key(&path, e),
        }
    }
    for (media_type, model_name) in &raw.request_models {
        let mut path = key("request_models");
        path.push(media_type);
        match shared.models.get(model_name) {
            Some(model) if check_body => validation
                .models
                .push((media_type.to_ascii_lowercase(), model.clone())),
            Some(_) => {}
            None => problems.push(&path, format!("no model named `{model_name}` in `models`")),
        }
    }
    (problems.list.len() == before).then_some(validation)
}

/// `method.request.{path,querystring,header}.<name>`.
fn parse_declared(key: &str) -> Result<(ParameterLocation, String), String> {
    let expected =
        || format!("expected `method.request.{{path,querystring,header}}.<name>`, got `{key}`");
    let rest = key.strip_prefix("method.request.").ok_or_else(expected)?;
    let (location, name) = rest.split_once('.').ok_or_else(expected)?;
    if name.is_empty() {
        return Err(expected());
    }
    let location = match location {
        "path" => ParameterLocation::Path,
        "querystring" => ParameterLocation::QueryString,
        "header" => ParameterLocation::Header,
        _ => return Err(expected()),
    };
    Ok((location, name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_declared_parameters() {
        assert_eq!(
            parse_declared("method.request.querystring.shard-id").unwrap(),
            (ParameterLocation::QueryString, "shard-id".to_string())
        );
        assert_eq!(
            parse_declared("method.request.header.Shard-Iterator").unwrap(),
            (ParameterLocation::Header, "Shard-Iterator".to_string())
        );
        assert!(parse_declared("method.request.body.x").is_err());
        assert!(parse_declared("method.request.path.").is_err());
        assert!(parse_declared("integration.request.path.x").is_err());
    }
}
