//! The integration call: everything between a rendered integration request and
//! the backend's response.
//!
//! The gateway renders an [`OutboundRequest`] (method, URL, headers, body) from
//! its templates; this crate resolves where it goes ([`Endpoint`]), signs it
//! with SigV4 using credentials from the standard AWS chain ([`Credentials`],
//! [`Signer`]), sends it over a pooled client with a timeout ([`Client`]) and
//! hands back an [`InboundResponse`]. Nothing here is specific to Kinesis: a
//! service is a signing name plus an endpoint.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gateway_integration::Error> {
//! use gateway_integration::{Client, ClientOptions, Credentials, Endpoint, OutboundRequest, Signer};
//! use std::time::Duration;
//!
//! let endpoint = Endpoint::resolve("kinesis", "us-east-1", None, &|name| std::env::var(name).ok())?;
//! let signer = Signer::new(endpoint.signing_name(), endpoint.region(), Credentials::default_chain("us-east-1").await);
//! let client = Client::new(&ClientOptions::default())?;
//! let mut request = OutboundRequest::new(http::Method::POST, endpoint.action_url("ListStreams"));
//! request.headers.push(("Content-Type".into(), "application/x-amz-json-1.1".into()));
//! request.body = "{}".into();
//! signer.sign(&mut request).await?;
//! let response = client.send(request, Duration::from_secs(29)).await?;
//! println!("{}", response.status);
//! # Ok(()) }
//! ```

mod client;
mod credentials;
mod endpoint;
mod error;
mod request;
mod signer;

pub use client::{Client, ClientOptions, InboundResponse};
pub use credentials::Credentials;
pub use endpoint::Endpoint;
pub use error::Error;
pub use request::{OutboundRequest, encode_query_component};
pub use signer::Signer;
