//! Signing keys made in the test, and an issuer's JWKS served on loopback:
//! what a Cognito user pool or an OIDC provider publishes at
//! `<issuer>/.well-known/jwks.json`. The key set can be changed while the
//! gateway runs (a rotation), and the server counts how often it is asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::local_server::{LocalServer, response};

/// A key pair and its public JWK.
pub struct SigningKey {
    pub kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One DER item: its tag, its content and what follows it.
fn der(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let (length, header) = match input[1] {
        short if short < 0x80 => (usize::from(short), 2),
        long => {
            let n = usize::from(long & 0x7f);
            let length = input[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, 2 + n)
        }
    };
    (
        tag,
        &input[header..header + length],
        &input[header + length..],
    )
}

/// An unsigned big-endian integer without DER's sign byte.
fn unsigned(integer: &[u8]) -> &[u8] {
    match integer {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    }
}

impl SigningKey {
    /// A fresh RSA 2048 key for RS256.
    pub fn rsa(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        // PKCS#8's PrivateKeyInfo wraps the PKCS#1 key the signer takes.
        let pkcs8 = pair.serialize_der();
        let (_, info, _) = der(&pkcs8);
        let (_, _version, rest) = der(info);
        let (_, _algorithm, rest) = der(rest);
        let (_, pkcs1, _) = der(rest);
        // The public key is PKCS#1's RSAPublicKey: the modulus, the exponent.
        let (_, public, _) = der(pair.public_key_raw());
        let (_, n, rest) = der(public);
        let (_, e, _) = der(rest);
        Self {
            kid: kid.to_string(),
            algorithm: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(pkcs1),
            jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                        "n": b64url(unsigned(n)), "e": b64url(unsigned(e))}),
        }
    }

    /// A fresh P-256 key for ES256.
    pub fn ec(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        // The uncompressed point: 0x04, x, y.
        let point = pair.public_key_raw();
        Self {
            kid: kid.to_string(),
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&pair.serialize_der()),
            jwk: json!({"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
                        "x": b64url(&point[1..33]), "y": b64url(&point[33..65])}),
        }
    }

    /// A token with `claims`, signed with this key and naming its `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// The same, with another key's `kid`: a forgery.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// An issuer on loopback: `<url>/.well-known/jwks.json`.
pub struct Issuer {
    server: LocalServer,
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
}

impl Issuer {
    pub fn start() -> Self {
        let keys: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (keys.clone(), hits.clone());
        let server = LocalServer::start(Arc::new(move |parts: http::request::Parts, _| {
            if parts.uri.path() != "/pool/.well-known/jwks.json" {
                return response(404, &[], "not found");
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let body = json!({"keys": *served.lock().unwrap()}).to_string();
            response(
                200,
                &[("Content-Type".into(), "application/json".into())],
                body,
            )
        }));
        Self { server, keys, hits }
    }

    /// The issuer, `http://127.0.0.1:<port>/pool`.
    pub fn url(&self) -> String {
        format!("{}/pool", self.server.url)
    }

    /// Publishes exactly `keys`.
    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.keys.lock().unwrap() = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
