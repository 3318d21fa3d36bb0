//! The template-injection guard, as the gateway applies it: which integration
//! requests it checks, and the 400 a refused one becomes. The rules live with
//! the template engine ([`gateway_mapping::guard`]), which knows which bytes
//! of a body each interpolation printed.
//!
//! A template such as `"PartitionKey": "$input.path('$.PartitionKey')"`
//! pastes client text between quotes. A PartitionKey of
//! `k", "ExplicitHashKey": "0` renders valid JSON with one key more, and the
//! record lands on the shard the client picked; a PutRecords `partition-key`
//! of `k"}, {"Data": "...", "PartitionKey": "z` turns one record into two.
//! Neither repeats a key nor breaks the JSON, so no check of the rendered
//! text alone can refuse them and still let `$util.escapeJavaScript`'s `\'`
//! through: the guard holds every interpolation to staying inside the string
//! it started in, or to being one JSON value.

use gateway_mapping::{Interpolations, Template};

use crate::api::media_type;
use crate::config::JsonGuard;
use crate::error::{GatewayError, ResponseType};

/// What the client hears: that its request is at fault, not how the
/// template is written.
pub const CLIENT_MESSAGE: &str =
    "Invalid request body: a value in it breaks the structure of the integration request";

/// Whether renders must note their interpolations: unless the guard is off,
/// the integration request's media type is known only after the render.
pub fn records(setting: JsonGuard) -> bool {
    setting != JsonGuard::Off
}

/// Whether the guard checks an integration request whose `Content-Type` is
/// `content_type`: `auto` checks JSON bodies, `on` every rendered body.
pub fn applies(setting: JsonGuard, content_type: Option<&str>) -> bool {
    match setting {
        JsonGuard::On => true,
        JsonGuard::Off => false,
        JsonGuard::Auto => content_type.is_some_and(|ct| is_json(&media_type(ct))),
    }
}

/// `application/json`, the AWS JSON protocols' `application/x-amz-json-1.0`
/// and `-1.1`, and the structured-syntax suffix `application/*+json`.
pub fn is_json(media_type: &str) -> bool {
    let Some(subtype) = media_type.strip_prefix("application/") else {
        return false;
    };
    subtype == "json" || subtype.starts_with("x-amz-json-") || subtype.ends_with("+json")
}

/// Checks a body `template` rendered, noting `interpolations`; a breach is
/// 400 `BAD_REQUEST_BODY`, with the template, the reference's line and
/// column and what its value did for the operator.
pub fn check(
    template: &Template,
    body: &[u8],
    interpolations: &mut Interpolations,
) -> Result<(), GatewayError> {
    template.check_json(body, interpolations).map_err(|e| {
        GatewayError::client_with_cause(
            ResponseType::BadRequestBody,
            CLIENT_MESSAGE,
            format!(
                "the integration request rendered by template `{}` was refused and not sent: at line {}, column {}, {}",
                e.name(),
                e.line(),
                e.column(),
                e.message()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        for json in [
            "application/json",
            "application/x-amz-json-1.0",
            "application/x-amz-json-1.1",
            "application/vnd.api+json",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "application/xml",
            "application/x-www-form-urlencoded",
            "text/json",
            "text/plain",
            "application/jsonx",
            "",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }

    #[test]
    fn auto_checks_json_bodies_on_all_and_off_none() {
        let ct = Some("application/json; charset=utf-8");
        assert!(applies(JsonGuard::Auto, ct));
        assert!(applies(JsonGuard::Auto, Some("Application/X-Amz-Json-1.1")));
        assert!(!applies(JsonGuard::Auto, Some("application/xml")));
        assert!(!applies(JsonGuard::Auto, None));
        assert!(applies(JsonGuard::On, Some("application/xml")));
        assert!(!applies(JsonGuard::Off, ct));
        assert!(records(JsonGuard::Auto) && records(JsonGuard::On) && !records(JsonGuard::Off));
    }
}
