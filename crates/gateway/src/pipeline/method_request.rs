//! The method request stage: the request validator's checks of required
//! parameters and of the body against its model (400).

use gateway_mapping::Body;

use super::request::Routed;
use crate::error::{GatewayError, ResponseType};

/// The request validator: required parameters present and not blank (read
/// by the one lookup rule templates and mappings use), then the body against
/// the model for its media type.
pub fn validate(routed: &Routed<'_>, body: &Body<'_>) -> Result<(), GatewayError> {
    let validation = &routed.method.validation;
    let request = routed.request;
    let params = routed.params();
    let missing: Vec<&str> = validation
        .required
        .iter()
        .filter(|(location, name)| {
            params
                .get(*location, name)
                .is_none_or(|v| v.trim().is_empty())
        })
        .map(|(_, name)| name.as_str())
        .collect();
    if !missing.is_empty() {
        let detail = format!(
            "Missing required request parameters: [{}]",
            missing.join(", ")
        );
        return Err(GatewayError {
            validation_error: detail.clone(),
            ..GatewayError::client(ResponseType::BadRequestParameters, detail)
        });
    }

    let media_type = request.media_type();
    let Some((_, model)) = validation.models.iter().find(|(m, _)| *m == media_type) else {
        return Ok(());
    };
    let invalid = |detail: String| GatewayError {
        validation_error: detail.clone(),
        ..GatewayError::client(
            ResponseType::BadRequestBody,
            format!("Invalid request body: {detail}"),
        )
    };
    let body = body
        .to_json()
        .map_err(|e| invalid(format!("[the body is not JSON: {e}]")))?;
    let errors: Vec<String> = model
        .validator
        .iter_errors(&body)
        .take(10)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "[{}] (model {})",
            errors.join("; "),
            model.name
        )))
    }
}
