//! The case file format of `gateway test`: YAML, one file holding a list of
//! cases, each a request, optionally the backend's answer, and what is
//! expected. Documented with an example in the README ("Testing your
//! templates").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One case file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The fixed context of every case in the file, unless a case sets its own.
    #[serde(default, skip_serializing_if = "FixedContext::is_empty")]
    pub context: FixedContext,
    pub cases: Vec<Case>,
}

/// `$context` values that otherwise change from run to run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixedContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// ISO 8601 or milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
}

impl FixedContext {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `self`, with what it leaves unset taken from `file`.
    pub fn over(&self, file: &FixedContext) -> FixedContext {
        FixedContext {
            request_id: self.request_id.clone().or_else(|| file.request_id.clone()),
            request_time: self
                .request_time
                .clone()
                .or_else(|| file.request_time.clone()),
            source_ip: self.source_ip.clone().or_else(|| file.source_ip.clone()),
        }
    }
}

/// One case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub request: CaseRequest,
    #[serde(default, skip_serializing_if = "FixedContext::is_empty")]
    pub context: FixedContext,
    /// Replace the configuration's stage variables of the same names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_variables: BTreeMap<String, String>,
    /// The backend's answer; without it, only the integration request is
    /// made (a mock integration answers itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
    /// What the case checks. Missing, `--update` fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// The method request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    pub method: String,
    /// The path, with its query string.
    pub path: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body as text; or `json`, a JSON value written as YAML and sent as
    /// compact JSON; or `body_base64`, for bytes that are not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

/// The backend's answer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body as text; or `json`, a JSON value written as YAML and sent as
    /// compact JSON; or `body_base64`, for bytes that are not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

/// What a case expects: the integration request, the client's response, or
/// both. Parts left out are not checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_request: Option<ExpectedRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ExpectedResponse>,
}

/// The expected integration request. Headers not listed are not checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    pub method: String,
    /// `null` for a mock integration.
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body as text, or as base64 for bytes that are not text; compared
    /// as JSON when both sides are JSON, unless `compare: bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Compare::is_json")]
    pub compare: Compare,
}

/// The expected client response. Headers not listed are not checked;
/// `gateway_response` is the type of a gateway response, and its absence
/// says the response is the method response.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedResponse {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_response: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body as text, or as base64 for bytes that are not text; compared
    /// as JSON when both sides are JSON, unless `compare: bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Compare::is_json")]
    pub compare: Compare,
}

/// How bodies are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compare {
    /// As JSON values when both parse as JSON, else as text.
    #[default]
    Json,
    /// Byte for byte.
    Bytes,
}

impl Compare {
    fn is_json(&self) -> bool {
        *self == Compare::Json
    }
}
