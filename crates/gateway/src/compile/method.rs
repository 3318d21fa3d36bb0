//! Method requests: declared parameters, request validators and models.

use std::collections::BTreeMap;
use std::sync::Arc;

use gateway_mapping::params;

use crate::api::{Model, Validation};
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
        // The grammar of the mapping sources that read the same parameter.
        match params::parse_declared(parameter) {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use gateway_integration::Credentials;
    use gateway_mapping::params::Location;

    use crate::compile::{Environment, compile};
    use crate::config::Loaded;

    fn compile_yaml(declared: &str) -> Result<crate::api::Api, String> {
        let yaml = format!(
            "aws:\n  region: us-east-1\nrequest_validators:\n  params:\n    validate_request_parameters: true\nresources:\n  /s/{{name}}:\n    GET:\n      request_validator: params\n      request_parameters:\n{declared}      integration:\n        type: mock\n"
        );
        let loaded = Loaded::from_str(Path::new("t.yaml"), &yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        compile(&loaded, &environment).map_err(|e| e.to_string())
    }

    #[test]
    fn declared_parameters_are_parsed_as_mapping_sources() {
        let api = compile_yaml(
            "        method.request.path.name: true\n        method.request.querystring.shard-id: true\n        method.request.header.Shard-Iterator: false\n",
        )
        .unwrap();
        let method = api.router.at("GET", "/s/x").unwrap().value.clone();
        assert_eq!(
            method.validation.required,
            [
                (Location::Path, "name".to_string()),
                (Location::QueryString, "shard-id".to_string()),
            ]
        );

        let error = compile_yaml(
            "        method.request.body.x: true\n        method.request.header.a b: true\n",
        )
        .unwrap_err();
        assert!(
            error.contains("expected `method.request.{path,querystring,header}.<name>`, got `method.request.body.x`"),
            "{error}"
        );
        assert!(
            error.contains("`method.request.header.a b`: a parameter name is made of letters, digits, `.`, `_`, `$` and `-`"),
            "{error}"
        );
    }
}
