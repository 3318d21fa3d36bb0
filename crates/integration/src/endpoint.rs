//! Where an integration request goes: the service's endpoint for a region, or
//! an override from the configuration or the SDK-standard environment variables.

use crate::{Error, Service};

/// A resolved service endpoint. Built once at load; an integration's
/// [`crate::Call`] keeps its base and builds each request's URL on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://authority[/prefix]`, without a trailing slash.
    base: String,
    /// Where the endpoint came from, for the startup log.
    source: EndpointSource,
}

/// Where an [`Endpoint`] was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointSource {
    /// `aws.endpoint_url` in the configuration.
    Config,
    /// An environment variable, by name.
    Env(String),
    /// The service's public AWS endpoint.
    Aws,
}

impl Endpoint {
    /// Resolves the endpoint of `service` in `region`.
    ///
    /// The order is: `explicit` (the configuration), `AWS_ENDPOINT_URL_<SERVICE>`,
    /// `AWS_ENDPOINT_URL`, then `https://<service>.<region>.amazonaws.com`
    /// (`.amazonaws.com.cn` in China regions). `env` reads an environment variable;
    /// it is a parameter so that tests need not touch the process environment.
    pub fn resolve(
        service: &Service,
        region: &str,
        explicit: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let service_var = format!("AWS_ENDPOINT_URL_{}", service.env_id);
        let (url, source) = if let Some(url) = explicit {
            (url.to_string(), EndpointSource::Config)
        } else if let Some(url) = env(&service_var).filter(|v| !v.is_empty()) {
            (url, EndpointSource::Env(service_var))
        } else if let Some(url) = env("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()) {
            (url, EndpointSource::Env("AWS_ENDPOINT_URL".to_string()))
        } else {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            (
                format!("https://{}.{region}.{suffix}", service.name),
                EndpointSource::Aws,
            )
        };
        Ok(Self {
            base: validate(&url)?,
            source,
        })
    }

    /// `scheme://authority[/prefix]`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn source(&self) -> &EndpointSource {
        &self.source
    }
}

/// Checks an endpoint URL and returns it without a trailing slash.
fn validate(url: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::InvalidEndpoint {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let uri: http::Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("the scheme must be http or https")),
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Err(invalid("no host"));
    }
    if uri.query().is_some() {
        return Err(invalid("an endpoint URL has no query string"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_to_the_aws_endpoint() {
        let e = Endpoint::resolve(&Service::lookup("kinesis"), "us-east-1", None, &no_env).unwrap();
        assert_eq!(e.base(), "https://kinesis.us-east-1.amazonaws.com");
        assert_eq!(e.source(), &EndpointSource::Aws);
        let cn =
            Endpoint::resolve(&Service::lookup("kinesis"), "cn-north-1", None, &no_env).unwrap();
        assert_eq!(cn.base(), "https://kinesis.cn-north-1.amazonaws.com.cn");
    }

    #[test]
    fn config_then_service_variable_then_global_variable() {
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_KINESIS" => Some("http://127.0.0.1:5000/".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:6000".to_string()),
            _ => None,
        };
        let e = Endpoint::resolve(&Service::lookup("kinesis"), "us-east-1", None, &env).unwrap();
        assert_eq!(e.base(), "http://127.0.0.1:5000");
        assert_eq!(
            e.source(),
            &EndpointSource::Env("AWS_ENDPOINT_URL_KINESIS".into())
        );
        let e = Endpoint::resolve(&Service::lookup("sqs"), "us-east-1", None, &env).unwrap();
        assert_eq!(e.base(), "http://127.0.0.1:6000");
        let e = Endpoint::resolve(
            &Service::lookup("kinesis"),
            "us-east-1",
            Some("http://localhost:4566"),
            &env,
        )
        .unwrap();
        assert_eq!(e.base(), "http://localhost:4566");
        assert_eq!(e.source(), &EndpointSource::Config);
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in ["localhost:4566", "ftp://x", "http://x/?a=b", "not a url"] {
            assert!(
                Endpoint::resolve(&Service::lookup("kinesis"), "us-east-1", Some(bad), &no_env)
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn service_variables_use_the_sdk_names() {
        let env = |name: &str| {
            (name == "AWS_ENDPOINT_URL_SFN").then(|| "http://127.0.0.1:7000".to_string())
        };
        let e = Endpoint::resolve(&Service::lookup("states"), "us-east-1", None, &env).unwrap();
        assert_eq!(e.base(), "http://127.0.0.1:7000");
    }
}
