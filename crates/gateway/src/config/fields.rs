//! The keys each mapping of the file takes, to name them when a key is
//! unknown, as `deny_unknown_fields` would: ``unknown field `colour`, expected
//! one of `type`, `service`, ...``.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::schema::*;

/// The keys the mapping at the key path `parent` takes. `None` where the
/// file has no struct: free-form mappings (`models`, `stage.variables`) and
/// places no key can be unknown.
pub fn fields_at(parent: &[&str]) -> Option<&'static [&'static str]> {
    let fields = match parent {
        [] => fields::<Config>(),
        ["admin"] => fields::<AdminConfig>(),
        ["access_log"] => fields::<AccessLogConfig>(),
        ["api"] => fields::<ApiConfig>(),
        ["aws"] => fields::<AwsConfig>(),
        ["limits"] => fields::<LimitsConfig>(),
        ["stage"] => fields::<StageConfig>(),
        ["stage", "throttle"]
        | ["resources", _, _, "throttle"]
        | ["usage_plans", _, "throttle"]
        | ["usage_plans", _, "method_throttles", _] => fields::<ThrottleConfig>(),
        ["api_keys", _] => fields::<ApiKeyConfig>(),
        ["usage_plans", _] => fields::<UsagePlanConfig>(),
        ["usage_plans", _, "quota"] => fields::<QuotaConfig>(),
        ["state"] => fields::<StateConfig>(),
        ["request_validators", _] => fields::<RequestValidatorConfig>(),
        ["gateway_responses", _] => fields::<GatewayResponseConfig>(),
        ["resources", _, "cors"] | ["cors"] => fields::<CorsConfig>(),
        ["authorizers", _] => fields::<AuthorizerConfig>(),
        ["resources", _, _] => fields::<MethodConfig>(),
        ["resources", _, _, "integration"] => fields::<IntegrationConfig>(),
        ["resources", _, _, "integration", "responses", _] => fields::<IntegrationResponseConfig>(),
        _ => return None,
    };
    Some(fields)
}

/// The field names serde's derive gives `T`, as the file spells them. They
/// are read from `T`'s own `Deserialize`, which hands them to the
/// deserializer, so they cannot fall behind the struct as a written list
/// could.
fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(FieldNames) {
        Err(Found(fields)) => fields,
        Ok(_) => &[],
    }
}

/// A deserializer that only records the fields a struct asks for.
struct FieldNames;

#[derive(Debug)]
struct Found(&'static [&'static str]);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fields: {:?}", self.0)
    }
}

impl std::error::Error for Found {}

impl de::Error for Found {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Found(&[])
    }
}

impl<'de> Deserializer<'de> for FieldNames {
    type Error = Found;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
        Err(Found(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Found> {
        Err(Found(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_from_the_structs() {
        assert_eq!(fields_at(&["aws"]), Some(&["region", "endpoint_url"][..]));
        let integration = fields_at(&["resources", "/s", "GET", "integration"]).unwrap();
        // Renamed fields are named as written in the file.
        assert!(integration.contains(&"type"), "{integration:?}");
        assert!(!integration.contains(&"kind"), "{integration:?}");
        assert_eq!(fields_at(&["stage", "variables"]), None);
        assert_eq!(fields_at(&["models", "M"]), None);
    }
}
