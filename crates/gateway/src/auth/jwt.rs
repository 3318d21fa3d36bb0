//! JWT authorizers: `cognito_user_pools` and `jwt`. The token's signature is
//! checked by the `jsonwebtoken` crate (RS256, ES256) with a key from the
//! issuer's JWKS; then `exp`, `nbf`, `iss`, the audience and the method's
//! scopes.
//!
//! The JWKS is fetched on the first token and kept. A token whose `kid` the
//! kept set lacks (the issuer rotated its keys) fetches it again, at most
//! once per [`REFETCH_INTERVAL`]: a stream of made-up `kid`s costs the
//! issuer one request per interval, not one per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gateway_integration::{Client, OutboundRequest};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

use super::{MAX_TOKEN_BYTES, Outcome, denied, unauthorized};
use crate::error::GatewayError;
use crate::pipeline::MethodRequest;

/// How long the issuer has to answer for its JWKS: API Gateway's 1,500 ms.
pub const JWKS_TIMEOUT: Duration = Duration::from_millis(1500);
/// The least time between two fetches of the JWKS.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// The most keys kept from one JWKS, and its largest size.
const MAX_KEYS: usize = 100;
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A compiled JWT authorizer.
#[derive(Debug)]
pub struct JwtAuthorizer {
    pub name: String,
    /// Cognito's tokens: `token_use` says an ID token (`aud`) from an access
    /// token (`client_id`).
    pub cognito: bool,
    pub issuer: String,
    pub audience: Vec<String>,
    pub jwks_url: String,
    /// The header that carries the token.
    pub header: String,
    keys: Mutex<Keys>,
    /// One fetch at a time; the others wait for its keys.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (Algorithm, Arc<DecodingKey>)>,
    fetched: Option<Instant>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .field("fetched", &self.fetched)
            .finish()
    }
}

/// Why a key could not be had.
enum KeyError {
    /// The kept set and a fresh one lack it, or a fresh one may not be
    /// fetched yet.
    Unknown,
    /// The JWKS could not be fetched or read.
    Jwks(String),
}

impl JwtAuthorizer {
    pub fn new(
        name: String,
        cognito: bool,
        issuer: String,
        audience: Vec<String>,
        jwks_url: String,
        header: String,
    ) -> Self {
        Self {
            name,
            cognito,
            issuer,
            audience,
            jwks_url,
            header,
            keys: Mutex::new(Keys::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// Checks the request's token; its claims become
    /// `$context.authorizer.claims`.
    pub async fn verify(
        &self,
        request: &MethodRequest,
        scopes: &[String],
        client: &Client,
    ) -> Result<Outcome, GatewayError> {
        let name = &self.name;
        let token = request
            .header(&self.header)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                unauthorized(format!("authorizer `{name}`: no token in {}", self.header))
            })?;
        // Cognito takes the bare token; OIDC clients send `Bearer <token>`.
        let token = token
            .strip_prefix("Bearer ")
            .or_else(|| token.strip_prefix("bearer "))
            .unwrap_or(token)
            .trim();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(unauthorized(format!(
                "authorizer `{name}`: the token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| unauthorized(format!("authorizer `{name}`: not a JWT ({e})")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(unauthorized(format!(
                "authorizer `{name}`: the token is signed with {:?}; RS256 and ES256 are accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| unauthorized(format!("authorizer `{name}`: the token has no `kid`")))?;
        let (algorithm, key) = match self.key(&kid, client).await {
            Ok(found) => found,
            Err(KeyError::Unknown) => {
                return Err(unauthorized(format!(
                    "authorizer `{name}`: no key `{kid}` in the JWKS at {}",
                    self.jwks_url
                )));
            }
            Err(KeyError::Jwks(reason)) => {
                return Err(GatewayError::authorizer_configuration(format!(
                    "authorizer `{name}`: {reason}"
                )));
            }
        };
        if algorithm != header.alg {
            return Err(unauthorized(format!(
                "authorizer `{name}`: the token says {:?}, its key `{kid}` is for {algorithm:?}",
                header.alg
            )));
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        // Checked below: Cognito's access tokens carry `client_id`, not `aud`.
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| {
                let reason = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired".to_string(),
                    ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".into(),
                    ErrorKind::InvalidIssuer => "the token's issuer is another".into(),
                    ErrorKind::InvalidSignature => "the token's signature does not match".into(),
                    other => format!("the token is refused: {other:?}"),
                };
                let error = unauthorized(format!("authorizer `{name}`: {reason}"));
                if matches!(e.kind(), ErrorKind::ExpiredSignature) {
                    // API Gateway's words for an expired user-pool token.
                    GatewayError {
                        message: "The incoming token has expired".into(),
                        ..error
                    }
                } else {
                    error
                }
            })?
            .claims;
        self.check_audience(&claims)?;
        check_scopes(name, &claims, scopes)?;
        let claims = claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect();
        Ok(Outcome {
            authorizer: gateway_mapping::Authorizer {
                claims,
                ..Default::default()
            },
            ..Outcome::default()
        })
    }

    /// The audience check: an ID token's `aud`, a Cognito access token's
    /// `client_id`.
    fn check_audience(&self, claims: &Map<String, Value>) -> Result<(), GatewayError> {
        let name = &self.name;
        let audience_claim = if self.cognito {
            match claims.get("token_use").and_then(Value::as_str) {
                Some("id") => "aud",
                Some("access") => "client_id",
                _ => {
                    return Err(unauthorized(format!(
                        "authorizer `{name}`: `token_use` is neither `id` nor `access`"
                    )));
                }
            }
        } else {
            "aud"
        };
        if self.audience.is_empty() {
            return Ok(());
        }
        let given: Vec<&str> = match claims.get(audience_claim) {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if given.iter().any(|a| self.audience.iter().any(|b| b == a)) {
            Ok(())
        } else {
            Err(unauthorized(format!(
                "authorizer `{name}`: the token's `{audience_claim}` is not an accepted audience"
            )))
        }
    }

    /// The key `kid`, from the kept set or a fresh fetch.
    async fn key(
        &self,
        kid: &str,
        client: &Client,
    ) -> Result<(Algorithm, Arc<DecodingKey>), KeyError> {
        if let Some(found) = self.kept(kid) {
            return Ok(found);
        }
        let _turn = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(found) = self.kept(kid) {
            return Ok(found);
        }
        let fetched = self.keys.lock().map(|k| k.fetched).unwrap_or_default();
        if fetched.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return Err(KeyError::Unknown);
        }
        let result = self.fetch(client).await;
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| KeyError::Jwks("the key set's lock is poisoned".into()))?;
        keys.fetched = Some(Instant::now());
        match result {
            Ok(by_kid) => keys.by_kid = by_kid,
            // Keys already kept stay usable while the issuer is down.
            Err(reason) if keys.by_kid.is_empty() => return Err(KeyError::Jwks(reason)),
            Err(reason) => {
                tracing::warn!(authorizer = %self.name, reason, "the JWKS could not be fetched again");
            }
        }
        keys.by_kid
            .get(kid)
            .map(|(a, k)| (*a, k.clone()))
            .ok_or(KeyError::Unknown)
    }

    fn kept(&self, kid: &str) -> Option<(Algorithm, Arc<DecodingKey>)> {
        let keys = self.keys.lock().ok()?;
        keys.by_kid.get(kid).map(|(a, k)| (*a, k.clone()))
    }

    /// Fetches and reads the JWKS: every RS256 and ES256 signing key with a
    /// `kid`.
    async fn fetch(
        &self,
        client: &Client,
    ) -> Result<HashMap<String, (Algorithm, Arc<DecodingKey>)>, String> {
        let url = &self.jwks_url;
        let mut request = OutboundRequest::new(http::Method::GET, url.clone());
        request.set_header("Accept", "application/json");
        let response = client
            .send(request, JWKS_TIMEOUT)
            .await
            .map_err(|e| format!("the JWKS at {url} could not be fetched: {e}"))?;
        if !response.status.is_success() {
            return Err(format!("the JWKS at {url} answered {}", response.status));
        }
        if response.body.len() > MAX_JWKS_BYTES {
            return Err(format!(
                "the JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes"
            ));
        }
        let set: JwkSet = serde_json::from_slice(&response.body)
            .map_err(|e| format!("the JWKS at {url} is not a JWK set: {e}"))?;
        Ok(read_keys(&set))
    }
}

/// The usable keys of a JWK set, by `kid`.
fn read_keys(set: &JwkSet) -> HashMap<String, (Algorithm, Arc<DecodingKey>)> {
    let mut keys = HashMap::new();
    for jwk in set.keys.iter().take(MAX_KEYS) {
        let Some(kid) = &jwk.common.key_id else {
            continue;
        };
        let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
            (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_))
            | (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
            (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(ec))
            | (None, AlgorithmParameters::EllipticCurve(ec))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => continue,
        };
        if let Ok(key) = DecodingKey::from_jwk(jwk) {
            keys.insert(kid.clone(), (algorithm, Arc::new(key)));
        }
    }
    keys
}

/// The method's scopes: at least one in the token's space-separated `scope`.
fn check_scopes(
    name: &str,
    claims: &Map<String, Value>,
    scopes: &[String],
) -> Result<(), GatewayError> {
    if scopes.is_empty() {
        return Ok(());
    }
    let held = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if held
        .split_whitespace()
        .any(|s| scopes.iter().any(|w| w == s))
    {
        Ok(())
    } else {
        Err(denied(
            super::IMPLICIT_DENY,
            format!(
                "authorizer `{name}`: the token's scopes hold none of {}",
                scopes.join(", ")
            ),
        ))
    }
}
