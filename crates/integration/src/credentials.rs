//! Credentials for signing: the standard AWS provider chain behind a cache.
//!
//! The chain (environment, shared config and credentials files, SSO, web
//! identity, ECS, IMDS) is aws-config's. It may do network calls or run a
//! process, so its result is cached (module `cache`) and refreshed in the
//! background before it expires; the request path normally locks a mutex
//! briefly and clones an `Arc`.

mod cache;

use std::fmt;
use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};

use crate::Error;
use crate::aws_error::without_signing_details;
use cache::Cache;

/// A cached source of AWS credentials. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    cache: Arc<Cache>,
}

impl fmt::Debug for Credentials {
    // Never prints the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", self.cache.provider())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The standard AWS credential chain for `region`.
    pub async fn default_chain(region: &str) -> Self {
        let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .region(aws_config::Region::new(region.to_string()))
            .build()
            .await;
        Self::from_provider(SharedCredentialsProvider::new(chain))
    }

    /// Fixed credentials, e.g. for tests and benchmarks.
    pub fn fixed(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Self {
        let creds = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_string),
            None,
            "fixed",
        );
        Self::from_provider(SharedCredentialsProvider::new(creds))
    }

    /// Credentials of `role_arn`, assumed with STS AssumeRole using `base`, as
    /// API Gateway assumes an integration's execution role. Nothing is called
    /// until the first request needs them; they are cached and refreshed
    /// before they expire. `sts_endpoint` overrides STS's endpoint (moto,
    /// LocalStack).
    pub fn assume_role(
        role_arn: &str,
        region: &str,
        sts_endpoint: Option<String>,
        base: Credentials,
    ) -> Self {
        Self::from_provider(SharedCredentialsProvider::new(AssumeRole {
            role_arn: role_arn.to_string(),
            region: region.to_string(),
            sts_endpoint,
            base,
            provider: tokio::sync::OnceCell::new(),
        }))
    }

    /// Any credentials provider.
    pub fn from_provider(provider: SharedCredentialsProvider) -> Self {
        Self {
            cache: Arc::new(Cache::new(provider)),
        }
    }

    /// Usable credentials: the cached ones while they are not about to
    /// expire (a refresh that falls due starts in the background); otherwise
    /// the result of a provider call, shared by every request that waits for
    /// it. Runs within a Tokio runtime: a provider call is a task of its own.
    pub async fn get(&self) -> Result<Arc<aws_credential_types::Credentials>, Error> {
        self.cache.get().await
    }
}

/// Lets cached [`Credentials`] be the base of another provider.
impl ProvideCredentials for Credentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.get()
                .await
                .map(|c| (*c).clone())
                .map_err(CredentialsError::provider_error)
        })
    }
}

/// STS AssumeRole, with the STS client built on first use: building it is
/// async, and loading the configuration must not need the network.
struct AssumeRole {
    role_arn: String,
    region: String,
    sts_endpoint: Option<String>,
    base: Credentials,
    provider: tokio::sync::OnceCell<aws_config::sts::AssumeRoleProvider>,
}

impl fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl AssumeRole {
    async fn provider(&self) -> &aws_config::sts::AssumeRoleProvider {
        self.provider
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(aws_config::Region::new(self.region.clone()))
                    .credentials_provider(self.base.clone());
                if let Some(endpoint) = &self.sts_endpoint {
                    loader = loader.endpoint_url(endpoint);
                }
                let config = loader.load().await;
                aws_config::sts::AssumeRoleProvider::builder(self.role_arn.clone())
                    .session_name("gateway")
                    .configure(&config)
                    .build()
                    .await
            })
            .await
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let provider = self.provider().await;
            provider.provide_credentials().await.map_err(|e| {
                CredentialsError::provider_error(format!(
                    "assuming role {}: {}",
                    self.role_arn,
                    describe(&e)
                ))
            })
        })
    }
}

/// The provider error with its causes, which name what was tried (never a
/// key). A service's signature error can carry the canonical request, whose
/// headers include the session token: that part is cut off.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut level = Some(error);
    while let Some(cause) = level {
        let text = cause.to_string();
        let text = without_signing_details(&text).trim_end();
        if !text.is_empty() && !out.contains(text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(text);
        }
        level = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use aws_config::profile::ProfileFileCredentialsProvider;

    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
    const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

    /// The error of the profile `leaky` in a credentials file with `contents`.
    // aws-config names the profile files only through deprecated aliases of
    // aws-runtime types, and aws-runtime is not a dependency of this crate.
    #[allow(deprecated)]
    async fn profile_error(contents: &str) -> Error {
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let files = ProfileFiles::builder()
            .with_contents(ProfileFileKind::Credentials, contents)
            .build();
        let provider = ProfileFileCredentialsProvider::builder()
            .profile_files(files)
            .profile_name("leaky")
            .build();
        Credentials::from_provider(SharedCredentialsProvider::new(provider))
            .get()
            .await
            .unwrap_err()
    }

    /// The error's text, every cause's text and its debug form.
    fn every_text(error: &Error) -> String {
        let mut out = format!("{error}\n{error:?}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            out.push_str(&format!("\n{cause}"));
            source = cause.source();
        }
        out
    }

    #[tokio::test]
    async fn fixed_credentials_are_cached_and_not_printed() {
        let c = Credentials::fixed("AKIDEXAMPLE", "very-secret", None);
        let a = c.get().await.unwrap();
        let b = c.get().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.access_key_id(), "AKIDEXAMPLE");
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[tokio::test]
    async fn credentials_unavailable_never_shows_the_profiles_secret() {
        let missing_key_id = profile_error(&format!(
            "[leaky]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        ))
        .await;
        assert!(
            matches!(missing_key_id, Error::CredentialsUnavailable { .. }),
            "{missing_key_id:?}"
        );
        assert_eq!(
            missing_key_id.to_string(),
            "AWS credentials are unavailable: the credentials provider was not properly configured: \
             ProfileFile provider could not be built: invalid credential source in `leaky`: \
             profile missing aws_access_key_id"
        );
        let malformed = profile_error(&format!(
            "[leaky]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key {SECRET}\n"
        ))
        .await;
        assert_eq!(
            malformed.to_string(),
            "AWS credentials are unavailable: the credentials provider was not properly configured: \
             ProfileFile provider could not be built: invalid profile: could not parse profile file"
        );
        let bad_source = profile_error(&format!(
            "[leaky]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
             [base]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        ))
        .await;
        assert_eq!(
            bad_source.to_string(),
            "AWS credentials are unavailable: the credentials provider was not properly configured: \
             ProfileFile provider could not be built: invalid credential source in `base`: \
             could not load source profile: invalid credential source in `base`: \
             profile missing aws_access_key_id"
        );
        for error in [&missing_key_id, &malformed, &bad_source] {
            let text = every_text(error);
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains("SECRETKEY"), "{text}");
        }
    }

    #[test]
    fn describe_drops_the_canonical_request_of_a_signature_error() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("assuming role arn:aws:iam::123456789012:role/r")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = std::io::Error::other(format!(
            "SignatureDoesNotMatch: Check your key.\n\nThe Canonical String for this request \
             should have been\n'POST\n/\n\nx-amz-security-token:{TOKEN}\n'"
        ));
        assert_eq!(
            describe(&Outer(inner)),
            "assuming role arn:aws:iam::123456789012:role/r: SignatureDoesNotMatch: Check your key."
        );
    }
}
