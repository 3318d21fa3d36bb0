//! Credentials for signing: the standard AWS provider chain behind a cache.
//!
//! The chain (environment, shared config and credentials files, SSO, web
//! identity, ECS, IMDS) is aws-config's. It may do network calls, so its result
//! is cached here and refreshed shortly before it expires; the request path
//! normally takes a read lock and clones an `Arc`.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use crate::Error;

/// Refresh credentials this long before they expire, so that a request never
/// signs with credentials that expire in flight.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// A cached source of AWS credentials. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    provider: SharedCredentialsProvider,
    cached: RwLock<Option<Arc<aws_credential_types::Credentials>>>,
    /// Serialises refreshes so that a burst of requests makes one provider call.
    refresh: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Credentials {
    // Never prints the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", &self.inner.provider)
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

    /// Any credentials provider.
    pub fn from_provider(provider: SharedCredentialsProvider) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider,
                cached: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Current credentials, from the cache when they are still fresh.
    pub async fn get(&self) -> Result<Arc<aws_credential_types::Credentials>, Error> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let _guard = self.inner.refresh.lock().await;
        // Another task may have refreshed while this one waited.
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let loaded = self
            .inner
            .provider
            .provide_credentials()
            .await
            .map_err(|e| Error::CredentialsUnavailable(describe(&e)))?;
        let loaded = Arc::new(loaded);
        *self.inner.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }

    fn fresh(&self) -> Option<Arc<aws_credential_types::Credentials>> {
        let cached = self.inner.cached.read().unwrap_or_else(|e| e.into_inner());
        let creds = cached.as_ref()?;
        match creds.expiry() {
            Some(expiry) if expiry <= SystemTime::now() + REFRESH_BEFORE_EXPIRY => None,
            _ => Some(creds.clone()),
        }
    }
}

/// The provider error with its causes, which name what was tried (never a key).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_credentials_are_cached_and_not_printed() {
        let c = Credentials::fixed("AKIDEXAMPLE", "very-secret", None);
        let a = c.get().await.unwrap();
        let b = c.get().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.access_key_id(), "AKIDEXAMPLE");
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
