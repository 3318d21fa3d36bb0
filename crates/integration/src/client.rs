//! The pooled HTTP client that sends integration requests.
//!
//! It is hyper's own pooled client with a rustls connector. A higher-level
//! client (URL parsing, redirect and retry layers) cost about a sixth of the
//! gateway's CPU per request in profiles; none of it is needed here, because
//! the URL is built and signed by the gateway and a redirect would need a new
//! signature anyway.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::{Error, OutboundRequest};

/// Settings of the outbound client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The largest response body accepted from a backend.
    pub max_response_bytes: usize,
    /// Idle pooled connections are closed after this long.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per backend host.
    pub pool_max_idle_per_host: usize,
    /// How long to wait for a TCP connection.
    pub connect_timeout: Duration,
    /// A PEM file of CA certificates trusted for HTTPS in addition to the
    /// system's roots: a private CA, a TLS-inspecting proxy, LocalStack's
    /// certificate. The AWS SDKs and CLI read it from `AWS_CA_BUNDLE` (see
    /// [`ClientOptions::from_env`]). Default: none. A file that cannot be read
    /// or holds no certificate makes [`Client::new`] fail.
    pub ca_bundle: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            // API Gateway's payload limit.
            max_response_bytes: 10 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 256,
            connect_timeout: Duration::from_secs(10),
            ca_bundle: None,
        }
    }
}

impl ClientOptions {
    /// The defaults, with [`ca_bundle`](Self::ca_bundle) taken from
    /// `AWS_CA_BUNDLE` as the AWS SDKs and CLI take it (unset or empty: none;
    /// the shared config file's `ca_bundle` setting is not read). `env` reads
    /// an environment variable; it is a parameter so that tests need not touch
    /// the process environment.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            ca_bundle: env("AWS_CA_BUNDLE")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            ..Self::default()
        }
    }
}

/// A backend's answer.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// The outbound HTTP client: keep-alive pooled, HTTP and HTTPS. Cheap to clone;
/// clones share the pool.
#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `options`. Fails if the CA bundle is unusable.
    pub fn new(options: &ClientOptions) -> Result<Self, Error> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(options.connect_timeout));
        connector.enforce_http(false);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(options.ca_bundle.as_deref())?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .build(https);
        Ok(Self {
            http,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// Sends `request` and reads the whole response, within `timeout`.
    pub async fn send(
        &self,
        request: OutboundRequest,
        timeout: Duration,
    ) -> Result<InboundResponse, Error> {
        let url = request.url;
        let built = build(request.method, &url, &request.headers, request.body)?;
        let exchange = async {
            let response = self.http.request(built).await.map_err(|e| {
                if e.is_connect() {
                    Error::Unreachable {
                        url: url.clone(),
                        reason: connect_failure(&e),
                        source: Box::new(e),
                    }
                } else {
                    Error::BadResponse {
                        url: url.clone(),
                        reason: root_cause(&e),
                        source: Some(Box::new(e)),
                    }
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, self.max_response_bytes)
                .collect()
                .await
                .map_err(|e| Error::BadResponse {
                    url: url.clone(),
                    reason: if e.is::<LengthLimitError>() {
                        format!(
                            "the response body is larger than {} bytes",
                            self.max_response_bytes
                        )
                    } else {
                        root_cause(&*e)
                    },
                    source: Some(e),
                })?
                .to_bytes();
            Ok(InboundResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout { url, timeout }),
        }
    }
}

/// The hyper request. A header that is not valid HTTP is named, never its
/// value, which may be a session token.
fn build(
    method: http::Method,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, Error> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| Error::InvalidRequest(format!("`{url}` is not a valid URL: {e}")))?;
    let mut request = http::Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let map = request.headers_mut();
    map.reserve(headers.len());
    for (name, value) in headers {
        let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("`{name}` is not a valid HTTP header name"))
        })?;
        let value = http::HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidRequest(format!(
                "the value of header `{name}` is not valid HTTP (only visible ASCII, spaces and tabs are allowed)"
            ))
        })?;
        map.append(header, value);
    }
    Ok(request)
}

/// TLS trusting the system's root certificates and those of `ca_bundle`.
fn tls_config(ca_bundle: Option<&Path>) -> Result<rustls::ClientConfig, Error> {
    let mut roots = native_roots().clone();
    if let Some(path) = ca_bundle {
        let added = add_ca_bundle(&mut roots, path)?;
        tracing::debug!(path = %path.display(), certificates = added, "CA bundle loaded");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Client(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The system's root certificates, read once per process: every worker's
/// client starts from them. A system without any still gets a client: plain
/// HTTP works, and HTTPS only to servers whose CA is in a CA bundle.
fn native_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in rustls_native_certs::load_native_certs().certs {
            // One unreadable certificate in the store should not stop the rest.
            let _ = roots.add(certificate);
        }
        if roots.is_empty() {
            tracing::warn!(
                "no system root certificates found: HTTPS integrations need a CA bundle (AWS_CA_BUNDLE)"
            );
        }
        roots
    })
}

/// Adds every certificate of the PEM file at `path` to `roots`, and says how
/// many. Unlike the system store, a bundle is named on purpose, so any
/// certificate in it that cannot be used is an error, and so is none at all.
fn add_ca_bundle(roots: &mut rustls::RootCertStore, path: &Path) -> Result<usize, Error> {
    let unusable = |reason: String, source: Option<crate::error::Cause>| Error::CaBundle {
        path: path.to_path_buf(),
        reason,
        source,
    };
    let pem = std::fs::read(path).map_err(|e| unusable(e.to_string(), Some(Box::new(e))))?;
    let mut added = 0;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate
            .map_err(|e| unusable(format!("it is not valid PEM: {e}"), Some(Box::new(e))))?;
        roots.add(certificate).map_err(|e| {
            unusable(
                format!("certificate {} in it is not usable: {e}", added + 1),
                Some(Box::new(e)),
            )
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(unusable(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            None,
        ));
    }
    Ok(added)
}

/// Why a connection failed. A certificate the client does not trust is said
/// in so many words, since the fix (a CA bundle) is the operator's.
fn connect_failure(error: &(dyn std::error::Error + 'static)) -> String {
    match certificate_error(error) {
        Some(rustls::CertificateError::UnknownIssuer) => {
            "the server's TLS certificate is not trusted: its issuer is neither a system root \
             nor in the CA bundle"
                .to_string()
        }
        Some(other) => format!("the server's TLS certificate is not trusted: {other}"),
        None => root_cause(error),
    }
}

/// The certificate error among `error`'s causes. rustls's error travels
/// inside (nested) `io::Error`s, whose `source()` skips the error they wrap,
/// so each `io::Error` is opened instead.
fn certificate_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    let mut level = Some(error);
    while let Some(cause) = level {
        if let Some(rustls::Error::InvalidCertificate(certificate)) =
            cause.downcast_ref::<rustls::Error>()
        {
            return Some(certificate);
        }
        level = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    None
}

/// The innermost cause, which is the readable part (`Connection refused`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A backend on loopback that answers one request with `body`, sent in
    /// chunks of `chunk` bytes (chunked transfer encoding).
    async fn backend(body: Vec<u8>, chunk: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await.unwrap();
            let mut answer = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            for piece in body.chunks(chunk) {
                answer.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                answer.extend_from_slice(piece);
                answer.extend_from_slice(b"\r\n");
            }
            answer.extend_from_slice(b"0\r\n\r\n");
            socket.write_all(&answer).await.unwrap();
        });
        url
    }

    async fn fetch(limit: usize, body: Vec<u8>, chunk: usize) -> Result<Bytes, Error> {
        let client = Client::new(&ClientOptions {
            max_response_bytes: limit,
            ..ClientOptions::default()
        })
        .unwrap();
        let url = backend(body, chunk).await;
        let request = OutboundRequest::new(http::Method::GET, url);
        client
            .send(request, Duration::from_secs(10))
            .await
            .map(|response| response.body)
    }

    #[tokio::test]
    async fn reads_bodies_up_to_the_limit_in_one_frame_or_many() {
        let body: Vec<u8> = (0..100u8).collect();
        assert_eq!(fetch(100, body.clone(), 100).await.unwrap(), body);
        assert_eq!(fetch(100, body.clone(), 7).await.unwrap(), body);
    }

    #[test]
    fn a_bad_header_is_named_without_its_value() {
        let headers = [
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "X-Amz-Security-Token".to_string(),
                "secret-token\r\nX-Injected: 1".to_string(),
            ),
        ];
        let error = build(
            http::Method::POST,
            "http://127.0.0.1:1/",
            &headers,
            Bytes::new(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid integration request: the value of header `X-Amz-Security-Token` is not valid HTTP (only visible ASCII, spaces and tabs are allowed)"
        );
        let headers = [("Bad Name".to_string(), "v".to_string())];
        let error = build(
            http::Method::GET,
            "http://127.0.0.1:1/",
            &headers,
            Bytes::new(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid integration request: `Bad Name` is not a valid HTTP header name"
        );
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_limit() {
        let error = fetch(100, vec![b'x'; 101], 30).await.unwrap_err();
        assert!(
            matches!(&error, Error::BadResponse { reason, .. } if reason == "the response body is larger than 100 bytes"),
            "{error:?}"
        );
    }

    /// A CA and an HTTPS server on loopback whose certificate it signed.
    mod tls {
        use std::path::PathBuf;
        use std::sync::Arc;

        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        pub struct Server {
            pub url: String,
            /// The CA's certificate, PEM.
            pub ca_pem: String,
            /// The server's private key, PEM: a file that holds no certificate.
            pub key_pem: String,
        }

        /// Starts a server that answers every request with `200 ok`.
        pub async fn server() -> Server {
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca_params
                .distinguished_name
                .push(DnType::CommonName, "gateway test CA");
            ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
            let key = KeyPair::generate().unwrap();
            let certificate = CertificateParams::new(vec!["127.0.0.1".to_string()])
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();

            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![certificate.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
                )
                .unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("https://{}/", listener.local_addr().unwrap());
            tokio::spawn(async move {
                loop {
                    let (socket, _) = listener.accept().await.unwrap();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        // A client that does not trust the certificate
                        // aborts the handshake; that is not the server's error.
                        let Ok(mut stream) = acceptor.accept(socket).await else {
                            return;
                        };
                        let mut request = [0u8; 4096];
                        let _ = stream.read(&mut request).await;
                        let answer =
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                        let _ = stream.write_all(answer).await;
                        let _ = stream.shutdown().await;
                    });
                }
            });
            Server {
                url,
                ca_pem: ca.pem(),
                key_pem: key.serialize_pem(),
            }
        }

        /// A file in the temporary directory, unique to this process and `name`.
        pub fn file(name: &str, contents: Option<&str>) -> PathBuf {
            let path = std::env::temp_dir()
                .join(format!("gateway-integration-{}-{name}", std::process::id()));
            match contents {
                Some(text) => std::fs::write(&path, text).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
            path
        }
    }

    async fn get(client: &Client, url: &str) -> Result<InboundResponse, Error> {
        let request = OutboundRequest::new(http::Method::GET, url.to_string());
        client.send(request, Duration::from_secs(10)).await
    }

    #[tokio::test]
    async fn a_ca_bundle_makes_a_private_ca_trusted() {
        let server = tls::server().await;

        let without = Client::new(&ClientOptions::default()).unwrap();
        let error = get(&without, &server.url).await.unwrap_err();
        match &error {
            Error::Unreachable { url, reason, .. } => {
                assert_eq!(url, &server.url);
                assert_eq!(
                    reason,
                    "the server's TLS certificate is not trusted: its issuer is neither a system \
                     root nor in the CA bundle"
                );
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
        // The verifier's verdict stays reachable as a typed cause.
        assert_eq!(
            certificate_error(&error),
            Some(&rustls::CertificateError::UnknownIssuer)
        );

        let bundle = tls::file("ca.pem", Some(&server.ca_pem));
        let options = ClientOptions::from_env(&|name| {
            (name == "AWS_CA_BUNDLE").then(|| bundle.display().to_string())
        });
        assert_eq!(options.ca_bundle.as_deref(), Some(bundle.as_path()));
        let with = Client::new(&options).unwrap();
        let response = get(&with, &server.url).await.unwrap();
        assert_eq!(response.status, http::StatusCode::OK);
        assert_eq!(&response.body[..], b"ok");
        let _ = std::fs::remove_file(&bundle);
    }

    #[tokio::test]
    async fn an_unusable_ca_bundle_fails_client_construction_naming_the_file() {
        let missing = tls::file("missing.pem", None);
        let error = Client::new(&ClientOptions {
            ca_bundle: Some(missing.clone()),
            ..ClientOptions::default()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the CA bundle {} is unusable: No such file or directory (os error 2)",
                missing.display()
            )
        );
        let kind = std::error::Error::source(&error)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind);
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound));

        let server = tls::server().await;
        let key_only = tls::file("key-only.pem", Some(&server.key_pem));
        let error = Client::new(&ClientOptions {
            ca_bundle: Some(key_only.clone()),
            ..ClientOptions::default()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the CA bundle {} is unusable: it holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                key_only.display()
            )
        );
        let _ = std::fs::remove_file(&key_only);
    }

    #[test]
    fn an_empty_aws_ca_bundle_is_no_bundle() {
        let options = ClientOptions::from_env(&|_| Some(String::new()));
        assert_eq!(options.ca_bundle, None);
        assert_eq!(ClientOptions::from_env(&|_| None).ca_bundle, None);
    }
}
