//! The compiled API: what the request path reads. Built once from the
//! configuration by [`crate::compile`]; immutable afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gateway_integration::{Client, Signer};
use gateway_mapping::Template;
use gateway_router::Router;

use crate::config::PassthroughBehavior;
use crate::params::{Source, Target};

/// The whole API, shared by every connection.
#[derive(Debug)]
pub struct Api {
    pub router: Router<Arc<Method>>,
    pub client: Client,
    pub limits: Limits,
    /// `$stageVariables`. Empty until stages are configured.
    pub stage_variables: BTreeMap<String, String>,
}

/// Limits on what clients may send.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
}

/// One method of one resource.
#[derive(Debug)]
pub struct Method {
    /// The resource path as declared, e.g. `/streams/{stream-name}`.
    pub resource_path: String,
    /// The method as declared (`GET`, ..., or `ANY`).
    pub http_method: String,
    pub integration: Integration,
}

/// A compiled integration request.
#[derive(Debug)]
pub struct Integration {
    /// The verb of the call to the service.
    pub http_method: http::Method,
    /// The integration URL without mapped query parameters, e.g.
    /// `https://kinesis.us-east-1.amazonaws.com/?Action=PutRecord`.
    pub url: String,
    pub signer: Signer,
    pub timeout: Duration,
    pub request_parameters: Vec<(Target, Source)>,
    pub templates: Templates,
    pub passthrough: PassthroughBehavior,
}

/// Request templates by media type (lower-cased), in declaration order.
#[derive(Debug, Default)]
pub struct Templates {
    pub by_media_type: Vec<(String, Template)>,
}

impl Templates {
    /// The template for a media type, compared case-insensitively.
    pub fn get(&self, media_type: &str) -> Option<&Template> {
        self.by_media_type
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(media_type))
            .map(|(_, t)| t)
    }

    pub fn is_empty(&self) -> bool {
        self.by_media_type.is_empty()
    }
}
