//! The integration call: everything between a rendered integration request and
//! the backend's response.
//!
//! The gateway renders an [`OutboundRequest`] (method, URL, headers, body) from
//! its templates; this crate resolves where it goes ([`Endpoint`]), signs it
//! with SigV4 using credentials from the standard AWS chain ([`Credentials`],
//! [`Signer`]), sends it over a pooled client with a timeout ([`Client`]) and
//! hands back an [`InboundResponse`]; when the service answered with an error,
//! [`AwsError`] reads its code and message for the log, and
//! [`AwsError::is_auth_failure`] tells the gateway's own credential and
//! permission failures apart. Nothing here is specific to Kinesis: a
//! [`Service`] is an endpoint prefix, a signing name and a wire protocol, and a
//! [`Call`] names an operation by action or by path. [`caller_account`] asks
//! STS which account the credentials belong to. Every failure is an [`Error`]
//! whose text is the operator's explanation and whose [`Error::origin`] says
//! whether the integration or the configuration is at fault.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gateway_integration::Error> {
//! use gateway_integration::{Call, Client, ClientOptions, Credentials, Endpoint, Operation, OutboundRequest, Service, Signer};
//! use std::time::Duration;
//!
//! let service = Service::lookup("kinesis");
//! let endpoint = Endpoint::resolve(&service, "us-east-1", None, &|name| std::env::var(name).ok())?;
//! let signer = Signer::new(&service, "us-east-1", Credentials::default_chain("us-east-1").await);
//! let call = Call { base: endpoint.base().to_string(), service: Some(service), operation: Operation::action("ListStreams") };
//! let client = Client::new(&ClientOptions::default())?;
//! let mut request = OutboundRequest::new(http::Method::POST, String::new());
//! request.body = "{}".into();
//! call.finish(&mut request, &[], &[])?; // URL, X-Amz-Target, Content-Type as the service needs
//! signer.sign(&mut request).await?;
//! let response = client.send(request, Duration::from_secs(29)).await?;
//! println!("{}", response.status);
//! # Ok(()) }
//! ```

mod aws_error;
mod call;
mod client;
mod credentials;
mod endpoint;
mod error;
mod request;
mod service;
mod signer;
mod sts;
mod uri;
mod xml;

pub use aws_error::{AwsError, is_auth_failure};
pub use call::{Call, Operation, UriTemplate};
pub use client::{Client, ClientOptions, InboundResponse};
pub use credentials::Credentials;
pub use endpoint::{Endpoint, EndpointSource};
pub use error::{Error, Origin};
pub use request::OutboundRequest;
pub use service::{Protocol, Service};
pub use signer::Signer;
pub use sts::caller_account;
pub use uri::{AwsUri, parse_http_uri};
