//! The authorize stage: who the caller is, before anything of the request is
//! validated or sent. It runs after routing (a method names its
//! authorizer) and after the body is read (a SigV4 signature covers it), as
//! in API Gateway, where authorization comes before the request validator.
//!
//! Four kinds, as API Gateway's `authorizationType`:
//! - [`IamAuthorizer`]: a SigV4 signature for `execute-api`, checked against
//!   the secrets of a local file of callers;
//! - [`JwtAuthorizer`]: a JWT of a Cognito user pool or any OIDC issuer,
//!   checked against the issuer's JWKS;
//! - [`LambdaAuthorizer`]: a Lambda function (`token` or `request`) whose
//!   IAM policy is evaluated against the method's ARN ([`policy`]).
//!
//! What an authorizer establishes becomes `$context.authorizer.*` and
//! `$context.identity.*`. Its refusals are API Gateway's: 401
//! `UNAUTHORIZED`, 403 `ACCESS_DENIED`, 403 for a bad signature, 500
//! `AUTHORIZER_CONFIGURATION_ERROR` when the authorizer itself fails. A
//! token or a signature never reaches a log line or a response.

mod iam;
mod jwt;
mod lambda;
pub mod policy;

use std::sync::Arc;

use gateway_integration::Client;

pub use iam::{Caller, IamAuthorizer};
pub use jwt::JwtAuthorizer;
pub use lambda::{LambdaAuthorizer, LambdaKind};

use crate::api::Api;
use crate::error::{GatewayError, ResponseType};
use crate::pipeline::Exchange;

/// How one method authorizes its callers.
#[derive(Debug, Clone, Default)]
pub enum Authorization {
    /// Anyone may call.
    #[default]
    None,
    Iam(Arc<IamAuthorizer>),
    Jwt {
        authorizer: Arc<JwtAuthorizer>,
        /// At least one must be in the token's `scope`; none: not checked.
        scopes: Vec<String>,
    },
    Lambda(Arc<LambdaAuthorizer>),
}

/// What an authorizer established about the caller.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `$context.authorizer.*`.
    pub authorizer: gateway_mapping::Authorizer,
    /// `$context.identity.*` of a SigV4 caller.
    pub caller: Option<Arc<Caller>>,
    /// A Lambda authorizer's `usageIdentifierKey`: the API key of the
    /// caller, for API keys whose source is the authorizer.
    pub usage_identifier_key: Option<String>,
}

/// The authorize stage. `client` makes the calls authorizers need (JWKS,
/// Lambda); `None` skips the stage, as the console's test of a method
/// skips authorizers (`gateway render`).
pub async fn authorize(
    api: &Api,
    exchange: &mut Exchange,
    client: Option<&Client>,
) -> Result<(), GatewayError> {
    let Some(client) = client else {
        return Ok(());
    };
    let Some(method) = exchange.method().cloned() else {
        return Ok(());
    };
    let outcome = match &method.authorization {
        Authorization::None => return Ok(()),
        Authorization::Iam(iam) => iam.verify(&exchange.request)?,
        Authorization::Jwt { authorizer, scopes } => {
            authorizer.verify(&exchange.request, scopes, client).await?
        }
        Authorization::Lambda(lambda) => {
            let routed = exchange.routed().ok_or_else(|| {
                GatewayError::authorizer_configuration("the request was not routed".into())
            })?;
            lambda.authorize(api, &routed, client).await?
        }
    };
    let context = &mut exchange.context;
    if let Some(caller) = &outcome.caller {
        let identity = &mut context.identity;
        identity.access_key.clone_from(&caller.access_key);
        identity.caller.clone_from(&caller.user_id);
        identity.user.clone_from(&caller.user_id);
        identity.user_arn.clone_from(&caller.user_arn);
        identity.account_id.clone_from(&caller.account_id);
    }
    context.authorizer = outcome.authorizer;
    exchange.authorizer_api_key = outcome.usage_identifier_key;
    Ok(())
}

/// 401 `{"message": "Unauthorized"}`, with the reason for the operator.
fn unauthorized(reason: impl Into<String>) -> GatewayError {
    GatewayError::client_with_cause(ResponseType::Unauthorized, "Unauthorized", reason)
}

/// 403 `ACCESS_DENIED` with API Gateway's words.
fn denied(message: &'static str, reason: impl Into<String>) -> GatewayError {
    GatewayError::client_with_cause(ResponseType::AccessDenied, message, reason)
}

/// API Gateway's message for a policy that allows nothing for the method.
const IMPLICIT_DENY: &str = "User is not authorized to access this resource";
/// ... and for one that denies it.
const EXPLICIT_DENY: &str = "User is not authorized to access this resource with an explicit deny";

/// The most bytes of a token or identity source the gateway looks at. The
/// headers as a whole are bounded already; this keeps a cache key or a JWT
/// parse small as well.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Compares two byte strings in time that depends only on their lengths,
/// so that a signature check does not tell how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
