//! The raw shape of `gateway.yaml`, as people write it. Every field's doc
//! states its meaning and default; README.md documents the same keys.
//!
//! The structs do not use `deny_unknown_fields`: it stops at the first
//! unknown key. [`super::Loaded`] collects every unknown key instead, with
//! serde_ignored, and reports them all at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// The address to listen on: an IP address and a port (`0.0.0.0:8080`,
    /// `[::]:8080`); host names are not resolved. Default `127.0.0.1:8080`;
    /// `--listen` overrides it.
    #[serde(default)]
    pub listen: Option<String>,
    /// The admin listener, for health, readiness and metrics. Default: none.
    #[serde(default)]
    pub admin: AdminConfig,
    /// How long requests in flight may take to finish after SIGTERM or
    /// SIGINT, in milliseconds: 0 to 3,600,000 (one hour). Default 30,000.
    /// Requests still running then are cut off.
    #[serde(default = "default_shutdown_timeout_ms")]
    pub shutdown_timeout_ms: u64,
    /// The proxies allowed to set the client address with `X-Forwarded-For`:
    /// CIDR blocks (`10.0.0.0/8`, `fd00::/8`) or single addresses (`127.0.0.1`,
    /// `::1`). Default: none, and the client address is always the address
    /// the connection comes from.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The access log: one line per request.
    #[serde(default)]
    pub access_log: AccessLogConfig,
    /// The API's identity, as API Gateway would give it.
    #[serde(default)]
    pub api: ApiConfig,
    /// AWS settings shared by all `type: aws` integrations.
    #[serde(default)]
    pub aws: AwsConfig,
    /// Limits on what clients may send.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The stage this gateway serves: its name and variables.
    #[serde(default)]
    pub stage: StageConfig,
    /// Named JSON Schemas (draft-04) that methods validate request bodies against.
    #[serde(default)]
    pub models: BTreeMap<String, serde_json::Value>,
    /// Named request validators.
    #[serde(default)]
    pub request_validators: BTreeMap<String, RequestValidatorConfig>,
    /// The validator of methods that do not name one. Default: none.
    #[serde(default)]
    pub request_validator: Option<String>,
    /// Customised gateway responses, by API Gateway response type
    /// (`DEFAULT_4XX`, `BAD_REQUEST_BODY`, ...).
    #[serde(default)]
    pub gateway_responses: BTreeMap<String, GatewayResponseConfig>,
    /// API keys, by name (the name is `$context.identity.apiKeyId`). Methods
    /// with `api_key_required: true` take only these, sent in `x-api-key`.
    #[serde(default)]
    pub api_keys: BTreeMap<String, ApiKeyConfig>,
    /// Usage plans, by name: the keys each one holds, their throttle and quota.
    #[serde(default)]
    pub usage_plans: BTreeMap<String, UsagePlanConfig>,
    /// Where throttle and quota state lives. Default: in the gateway's memory.
    #[serde(default)]
    pub state: StateConfig,
    /// The media types whose payloads are binary, API Gateway's
    /// `binaryMediaTypes`: `type/subtype`, `type/*` or `*/*`, compared without
    /// case. A request is binary when its `Content-Type` matches; an answer
    /// is wanted binary when the first media type of the request's `Accept`
    /// matches. Default: none, and every payload is text. See
    /// `content_handling` for what converts between the two.
    #[serde(default)]
    pub binary_media_types: Vec<String>,
    /// The API: resource path → HTTP method (or `ANY`) → method, and the
    /// resource's own `cors`.
    pub resources: BTreeMap<String, ResourceConfig>,
    /// Authorizers by name, for methods' `authorizer:`.
    #[serde(default)]
    pub authorizers: BTreeMap<String, AuthorizerConfig>,
    /// CORS for the whole API; a resource's own `cors` replaces it there.
    /// Default: none, and the gateway adds no CORS headers of its own.
    #[serde(default)]
    pub cors: Option<CorsConfig>,
}

fn default_shutdown_timeout_ms() -> u64 {
    30_000
}

/// `admin:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminConfig {
    /// The address of the admin listener (health, readiness and metrics): an
    /// IP address and a port, different from `listen`. Default: none, and
    /// there is no admin listener.
    #[serde(default)]
    pub listen: Option<String>,
}

/// `access_log:`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessLogConfig {
    /// Write one line per request. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The line's format: `clf` (Common Log Format, the default), `json`, or a
    /// format string with `$context` variables, as in API Gateway's stage
    /// access-log settings.
    #[serde(default = "default_access_log_format")]
    pub format: String,
    /// Where lines go: `stdout` (the default), `stderr`, or a file path.
    #[serde(default = "default_access_log_destination")]
    pub destination: String,
}

impl Default for AccessLogConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            format: default_access_log_format(),
            destination: default_access_log_destination(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_access_log_format() -> String {
    "clf".to_string()
}

fn default_access_log_destination() -> String {
    "stdout".to_string()
}

/// `api:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApiConfig {
    /// `$context.apiId`: 1 to 64 letters, digits, `-` or `_`. Default: none.
    #[serde(default)]
    pub id: Option<String>,
    /// `$context.accountId`: the AWS account ID, 12 digits. Default: none.
    #[serde(default)]
    pub account_id: Option<String>,
}

/// `aws:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AwsConfig {
    /// The region of the AWS services. Default: `AWS_REGION`, then
    /// `AWS_DEFAULT_REGION`.
    #[serde(default)]
    pub region: Option<String>,
    /// Send every AWS call to this URL instead of the service's AWS endpoint
    /// (LocalStack, moto). Default: `AWS_ENDPOINT_URL_<SERVICE>`, then
    /// `AWS_ENDPOINT_URL`, then the AWS endpoint.
    #[serde(default)]
    pub endpoint_url: Option<String>,
}

/// `limits:`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LimitsConfig {
    /// The largest request body accepted, in bytes. Default 10 MB (10,485,760),
    /// API Gateway's payload limit. A larger body gets 413 without being read.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// The largest total size of the request headers (names and values), in
    /// bytes. Default 10,240, as API Gateway. More gets 431.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// The longest request URL (path and query), in bytes. Default 10,240, as a
    /// regional API Gateway. Longer gets 414.
    #[serde(default = "default_max_url_bytes")]
    pub max_url_bytes: usize,
    /// How long a client may take to send a whole request body, in
    /// milliseconds, counted from the end of the headers. Default 60,000.
    /// Later gets 408 and a closed connection, however steadily the bytes
    /// trickle in.
    #[serde(default = "default_body_timeout_ms")]
    pub body_timeout_ms: u64,
    /// How long a connection may go without a complete request head, in
    /// milliseconds: a new connection that sends nothing, one that stops in
    /// its headers, and an idle keep-alive connection are closed after it.
    /// Default 70,000: above the 60 s idle timeout of AWS load balancers, so
    /// that they never send on a connection the gateway is closing. Needs a
    /// restart to change.
    #[serde(default = "default_header_timeout_ms")]
    pub header_timeout_ms: u64,
    /// The most client connections served at once, for the whole process.
    /// Default 10,000, and never more than the open-files limit allows (less
    /// 64 for the gateway's own files and backend connections). At the limit
    /// each worker holds one more, accepted, until a slot frees; the rest
    /// wait in the kernel's queue. Needs a restart to change.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The most request-body bytes held in memory at once, for the whole
    /// process. Default 256 MiB (268,435,456). A body that would pass it waits
    /// up to a second for others to finish, then gets 503 with `Retry-After`.
    /// Needs a restart to change.
    #[serde(default = "default_max_inflight_body_bytes")]
    pub max_inflight_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body_bytes(),
            max_header_bytes: default_max_header_bytes(),
            max_url_bytes: default_max_url_bytes(),
            body_timeout_ms: default_body_timeout_ms(),
            header_timeout_ms: default_header_timeout_ms(),
            max_connections: default_max_connections(),
            max_inflight_body_bytes: default_max_inflight_body_bytes(),
        }
    }
}

fn default_body_timeout_ms() -> u64 {
    60_000
}

fn default_header_timeout_ms() -> u64 {
    70_000
}

fn default_max_connections() -> usize {
    10_000
}

fn default_max_inflight_body_bytes() -> usize {
    256 * 1024 * 1024
}

fn default_max_body_bytes() -> usize {
    10 * 1024 * 1024
}

fn default_max_header_bytes() -> usize {
    10 * 1024
}

fn default_max_url_bytes() -> usize {
    10 * 1024
}

/// `stage:`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageConfig {
    /// The stage name, `$context.stage`. Letters, digits, `-` and `_`, at most
    /// 128 characters. Default `local`.
    #[serde(default = "default_stage_name")]
    pub name: String,
    /// Serve the API under `/<name>/...`, as API Gateway's default endpoint
    /// does. Default false: the API is served at the root.
    #[serde(default)]
    pub base_path: bool,
    /// Stage variables: `$stageVariables.<name>` in templates,
    /// `stageVariables.<name>` in mappings, `${stageVariables.<name>}` in
    /// integration settings.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The default throttle of every method: each method has a bucket of its
    /// own with these limits, shared by all its clients, unless it sets its
    /// own `throttle`. Default: none.
    #[serde(default)]
    pub throttle: Option<ThrottleConfig>,
}

impl Default for StageConfig {
    fn default() -> Self {
        Self {
            name: default_stage_name(),
            base_path: false,
            variables: BTreeMap::new(),
            throttle: None,
        }
    }
}

fn default_stage_name() -> String {
    "local".to_string()
}

/// One entry of `request_validators:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestValidatorConfig {
    /// Check the body against the method's model for its content type. Default false.
    #[serde(default)]
    pub validate_request_body: bool,
    /// Check that required parameters are present and not blank. Default false.
    #[serde(default)]
    pub validate_request_parameters: bool,
}

/// One entry of `gateway_responses:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GatewayResponseConfig {
    /// The status. Default: the response type's (or DEFAULT_4XX/5XX's).
    #[serde(default)]
    pub status: Option<u16>,
    /// `gatewayresponse.header.<name>` → `'static'`, `method.request.*`,
    /// `context.*` or `stageVariables.*`.
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    /// Media type → template. The template may use `$context.error.message`,
    /// `$context.error.messageString` and any `$context.*` variable.
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
}

/// One method of a resource, e.g. `GET` on `/streams`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodConfig {
    /// Refuse requests without a valid, enabled API key in `x-api-key` (403
    /// `INVALID_API_KEY`), and apply the key's usage plan. Default false.
    #[serde(default)]
    pub api_key_required: bool,
    /// This method's throttle, for all its clients together, instead of
    /// `stage.throttle`. Default: `stage.throttle`.
    #[serde(default)]
    pub throttle: Option<ThrottleConfig>,
    /// Declared method request parameters:
    /// `method.request.{path,querystring,header}.<name>` → required (true/false).
    #[serde(default)]
    pub request_parameters: BTreeMap<String, bool>,
    /// The request validator (a name from `request_validators`). Default: the
    /// API's `request_validator`, if any.
    #[serde(default)]
    pub request_validator: Option<String>,
    /// Media type → model name (from `models`) that the body must satisfy.
    #[serde(default)]
    pub request_models: BTreeMap<String, String>,
    /// What the method calls.
    pub integration: IntegrationConfig,
    /// Who may call the method: `none` (the default), `aws_iam`, `custom` (a
    /// Lambda authorizer) or `cognito_user_pools` (a JWT authorizer).
    #[serde(default)]
    pub authorization: AuthorizationType,
    /// The authorizer (a name from `authorizers`), for every authorization
    /// but `none`.
    #[serde(default)]
    pub authorizer: Option<String>,
    /// For `cognito_user_pools`: the token's `scope` claim must hold at least
    /// one of these. Default: none, and no scope is checked.
    #[serde(default)]
    pub authorization_scopes: Vec<String>,
}

/// The integration request and responses of a method.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntegrationConfig {
    /// `aws` (an AWS service, SigV4-signed), `http` (any HTTP backend),
    /// `mock` (no backend), `http_proxy` (any HTTP backend, the request and
    /// the answer passed through) or `aws_proxy` (a Lambda function, given
    /// API Gateway's proxy event and answering with a proxy result).
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    /// `aws`: the service's endpoint prefix and signing name, e.g. `kinesis`.
    #[serde(default)]
    pub service: Option<String>,
    /// `aws`: the service action, `?Action=<action>` plus what the service's
    /// protocol needs. One of `action`, `path` and `uri`.
    #[serde(default)]
    pub action: Option<String>,
    /// `aws`: the path of a REST-style call, e.g. `{bucket}/{key}`; each `{name}`
    /// is filled from `integration.request.path.<name>`.
    #[serde(default)]
    pub path: Option<String>,
    /// `aws`: API Gateway's integration URI, `arn:aws:apigateway:<region>:<service>:action/<Action>`
    /// or `...:path/<path>`, instead of `service` with `action` or `path`.
    /// `http`, `http_proxy`: the backend URL, with `{name}` placeholders
    /// (`http_proxy` fills them from the route's path parameters of the same
    /// name too). `aws_proxy`: the function: API Gateway's Lambda URI
    /// (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations`),
    /// a function ARN, or a function name.
    #[serde(default)]
    pub uri: Option<String>,
    /// `aws`, `aws_proxy`: the IAM role to assume for the call (API Gateway's
    /// execution role). Default: the gateway's own credentials.
    #[serde(default)]
    pub credentials: Option<String>,
    /// The HTTP method of the call. Default `POST` for `aws` and `aws_proxy`
    /// (which takes no other); the method request's own for `http` and
    /// `http_proxy` (`ANY` says so too).
    #[serde(default)]
    pub http_method: Option<String>,
    /// `integration.request.{header,querystring,path}.<name>` → a mapping expression.
    /// For `http_proxy`, applied on top of what the client sent. Not for
    /// `aws_proxy`.
    #[serde(default)]
    pub request_parameters: BTreeMap<String, String>,
    /// Media type → mapping template. The request's `Content-Type` media type
    /// picks one; a request without `Content-Type` counts as `application/json`.
    /// Not for proxies.
    #[serde(default)]
    pub request_templates: BTreeMap<String, String>,
    /// What to do with a body whose media type has no template:
    /// `when_no_templates` (default), `when_no_match` or `never`.
    #[serde(default)]
    pub passthrough_behavior: PassthroughBehavior,
    /// How long to wait for the service, in milliseconds: 50 to 29,000 as in API
    /// Gateway, or more. Default 29,000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The template-injection guard: refuse (400 `BAD_REQUEST_BODY`, nothing
    /// sent) a rendered body in which a value the template printed changed
    /// the JSON structure its text lays out. A value printed inside a JSON
    /// string must end inside that string (no unescaped `"`, no trailing
    /// unpaired backslash); one printed outside strings must be empty or
    /// exactly one JSON value; a key a value printed may not repeat another
    /// key of its object. Escaped characters, `\'` included, pass. The
    /// template's own text is not judged, a `#set` value is judged by where
    /// it lands rather than by how it was built, and bodies the guard does
    /// not apply to are not checked at all.
    ///
    /// `auto` (default): on when the integration request's `Content-Type`,
    /// after the mappings, is `application/json`, `application/x-amz-json-*`
    /// or `application/*+json`, for `aws`, `http` and `mock` integrations
    /// alike. `on`: every body a template rendered, whatever its type. `off`:
    /// never, and renders note nothing.
    #[serde(default)]
    pub json_guard: JsonGuard,
    /// API Gateway's `contentHandling` of the integration request:
    /// `convert_to_text` (a binary payload is sent as its base64 text),
    /// `convert_to_binary` (a text payload, or what the template rendered, is
    /// base64 and is sent decoded; text that is not base64 is a 500) or
    /// unset (the payload passes as it is). A template always reads a binary
    /// payload as its base64 text. Not for proxies.
    #[serde(default)]
    pub content_handling: Option<ContentHandling>,
    /// Integration responses, tried in order. Default: none, and the backend's
    /// status, content type and body pass through. Not for proxies.
    #[serde(default)]
    pub responses: Vec<IntegrationResponseConfig>,
}

fn default_timeout_ms() -> u64 {
    29_000
}

/// `type:` of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationType {
    /// An AWS service, called with a SigV4-signed request.
    Aws,
    /// Any HTTP backend, called unsigned.
    Http,
    /// No backend: the integration response is chosen by the `statusCode` the
    /// request template renders (200 without one).
    Mock,
    /// Any HTTP backend, called unsigned with the method request as it came
    /// (method, path, query string, headers, body), and answered with the
    /// backend's status, headers and body. No templates, no integration
    /// responses.
    HttpProxy,
    /// A Lambda function, invoked (SigV4-signed) with API Gateway's REST proxy
    /// event (payload format 1.0); its proxy result is the response. No
    /// templates, mappings or integration responses.
    AwsProxy,
}

/// API Gateway's passthroughBehavior.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassthroughBehavior {
    /// Pass the body through when the API has no template for its media type.
    WhenNoMatch,
    /// Pass the body through only when the method has no templates at all;
    /// otherwise 415. API Gateway's recommended setting, and ours by default
    /// because a body nobody wrote a template for never reaches the service.
    #[default]
    WhenNoTemplates,
    /// Never pass a body through untransformed: 415 when no template matches.
    Never,
}

/// `content_handling:` of an integration or an integration response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentHandling {
    /// A binary payload becomes its base64 text; text stays as it is.
    ConvertToText,
    /// A text payload is read as base64 and becomes the bytes it encodes;
    /// binary stays as it is.
    ConvertToBinary,
}

/// `json_guard:` of an integration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonGuard {
    /// On for JSON bodies: when the integration request's Content-Type is
    /// `application/json`, `application/x-amz-json-*` or `application/*+json`.
    #[default]
    Auto,
    /// On for every body a template rendered.
    On,
    /// Off.
    Off,
}

/// One integration response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntegrationResponseConfig {
    /// A regular expression that must match the whole backend status code, e.g.
    /// `4\d{2}`; for a Lambda function error (an Invoke answer with
    /// `X-Amz-Function-Error`), its whole `errorMessage` instead. Absent: this
    /// is the default response.
    #[serde(default)]
    pub selection_pattern: Option<String>,
    /// The status sent to the client.
    pub status: u16,
    /// `method.response.header.<name>` → `integration.response.header.<name>`,
    /// `integration.response.multivalueheader.<name>`, `integration.response.body`,
    /// `integration.response.body.<JSONPath>`, `'static'`, `context.*` or
    /// `stageVariables.*`.
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    /// Media type → template. The first media type of the request's `Accept`
    /// picks one, then `application/json`, then the first. None: the backend
    /// body passes through.
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
    /// API Gateway's `contentHandling` of the answer: `convert_to_text` (a
    /// binary payload is answered as its base64 text), `convert_to_binary` (a
    /// text payload is read as base64 and answered decoded; text that is not
    /// base64 is a 500) or unset (converted to what the request's `Accept`
    /// asks for: binary when its first media type is in
    /// `binary_media_types`, text otherwise).
    #[serde(default)]
    pub content_handling: Option<ContentHandling>,
}

/// One resource: its methods by HTTP verb (or `ANY`), and optionally `cors`.
///
/// Written as one mapping in the file, as API Gateway's resources read: the
/// key `cors` is the resource's CORS setting, every other key a method.
#[derive(Debug, Clone, Default)]
pub struct ResourceConfig {
    pub methods: BTreeMap<String, MethodConfig>,
    /// CORS for this resource, instead of the API's.
    pub cors: Option<CorsConfig>,
}

impl std::ops::Deref for ResourceConfig {
    type Target = BTreeMap<String, MethodConfig>;

    fn deref(&self) -> &Self::Target {
        &self.methods
    }
}

impl<'a> IntoIterator for &'a ResourceConfig {
    type Item = (&'a String, &'a MethodConfig);
    type IntoIter = std::collections::btree_map::Iter<'a, String, MethodConfig>;

    fn into_iter(self) -> Self::IntoIter {
        self.methods.iter()
    }
}

/// Written back as read: the methods by verb, and `cors` beside them.
impl Serialize for ResourceConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        if let Some(cors) = &self.cors {
            map.serialize_entry("cors", cors)?;
        }
        for (verb, method) in &self.methods {
            map.serialize_entry(verb, method)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ResourceConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ResourceConfig;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of HTTP methods (and `cors`)")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ResourceConfig, A::Error> {
                let mut resource = ResourceConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "cors" {
                        resource.cors = Some(map.next_value()?);
                    } else {
                        let method = map.next_value()?;
                        resource.methods.insert(key, method);
                    }
                }
                Ok(resource)
            }
        }

        deserializer.deserialize_map(Visitor)
    }
}

/// `authorization:` of a method, API Gateway's `authorizationType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationType {
    /// Anyone may call.
    #[default]
    None,
    /// A SigV4 signature by a caller of an `aws_iam` authorizer's file.
    AwsIam,
    /// A Lambda authorizer (`token` or `request`).
    Custom,
    /// A JWT authorizer (`cognito_user_pools` or `jwt`).
    CognitoUserPools,
}

/// One entry of `authorizers:`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizerConfig {
    /// `cognito_user_pools` or `jwt` (JWTs of a user pool or of any OIDC
    /// issuer), `token` or `request` (a Lambda authorizer), or `aws_iam`
    /// (SigV4 signatures of known callers).
    #[serde(rename = "type")]
    pub kind: AuthorizerType,
    /// JWT: the issuer, the `iss` every token must carry, e.g.
    /// `https://cognito-idp.<region>.amazonaws.com/<user pool id>`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// JWT: the accepted audiences: an ID token's `aud`, or for
    /// `cognito_user_pools` an access token's `client_id`. Default: none,
    /// and the audience is not checked.
    #[serde(default)]
    pub audience: Vec<String>,
    /// JWT: where the issuer's signing keys are. Default
    /// `<issuer>/.well-known/jwks.json`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// `token`, `request`: the Lambda function, by ARN or name.
    #[serde(default)]
    pub function: Option<String>,
    /// Where the caller's identity is: mapping expressions
    /// (`method.request.header.<name>`, `method.request.querystring.<name>`,
    /// `stageVariables.<name>`, `context.<name>`), comma-separated for
    /// `request`. Default `method.request.header.Authorization` for `token`
    /// and JWT authorizers; `request` authorizers need one when they cache.
    #[serde(default)]
    pub identity_source: Option<String>,
    /// `token`: a regular expression the whole token must match, or the
    /// request gets 401 without the function being called. Default: none.
    #[serde(default)]
    pub identity_validation_expression: Option<String>,
    /// `token`, `request`: how long a result is reused for the same identity
    /// sources, in seconds: 0 (no caching) to 3,600. Default 300.
    #[serde(default = "default_authorizer_ttl")]
    pub ttl_seconds: u64,
    /// `token`, `request`: the IAM role to assume to invoke the function.
    /// Default: the gateway's own credentials.
    #[serde(default)]
    pub credentials: Option<String>,
    /// `aws_iam`: a YAML file (relative to this one) of the callers allowed
    /// to sign: access key id → `secret_access_key`, `user_arn`.
    #[serde(default)]
    pub credentials_file: Option<String>,
}

fn default_authorizer_ttl() -> u64 {
    300
}

/// `type:` of an authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizerType {
    CognitoUserPools,
    Jwt,
    Token,
    Request,
    AwsIam,
}

/// `cors:` of the API or of a resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorsConfig {
    /// The origins allowed to read responses: a list of
    /// `scheme://host[:port]`, or `*` for any.
    pub allow_origins: Origins,
    /// The methods a preflight allows. Default: the resource's methods.
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// The request headers a preflight allows. Default: API Gateway's
    /// console default, `Content-Type`, `X-Amz-Date`, `Authorization`,
    /// `X-Api-Key`, `X-Amz-Security-Token`.
    #[serde(default)]
    pub allow_headers: Option<Vec<String>>,
    /// Response headers a page may read besides the safelisted ones.
    /// Default: none.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// How long a browser may reuse a preflight answer, in seconds.
    /// Default: not sent (the browser's own default, 5 s in Chromium).
    #[serde(default)]
    pub max_age: Option<u64>,
    /// Allow requests with cookies or HTTP authentication. Default false.
    /// With `*`, the request's own origin is echoed, as browsers require.
    #[serde(default)]
    pub allow_credentials: bool,
}

/// `allow_origins`: `*` or a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Origins {
    One(String),
    List(Vec<String>),
}

/// A token bucket: `rate` requests per second on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThrottleConfig {
    /// Requests per second the bucket refills with: 0 or more, fractions
    /// allowed (`0.5` is one request every two seconds). 0 refuses every
    /// request, as in API Gateway.
    pub rate: f64,
    /// The bucket's size: how many requests may pass at once after a quiet
    /// spell. At least 1 unless `rate` is 0.
    pub burst: u64,
}

/// One entry of `api_keys:`. Exactly one of `value_env`, `value_file` and
/// `value` gives the key's value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKeyConfig {
    /// The environment variable holding the key.
    #[serde(default)]
    pub value_env: Option<String>,
    /// A file holding the key (a trailing line break is ignored); read at
    /// start and on every reload.
    #[serde(default)]
    pub value_file: Option<String>,
    /// The key itself, inline: for tests and examples, not for secrets.
    #[serde(default)]
    pub value: Option<String>,
    /// A disabled key is refused like an unknown one. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// One entry of `usage_plans:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UsagePlanConfig {
    /// The keys (names from `api_keys`) the plan applies to. A key belongs
    /// to at most one plan; a key in no plan is refused, as in API Gateway.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// Each key's throttle: a bucket per key. Default: none.
    #[serde(default)]
    pub throttle: Option<ThrottleConfig>,
    /// Each key's quota. Default: none.
    #[serde(default)]
    pub quota: Option<QuotaConfig>,
    /// Per-method throttles for each key, by `"METHOD /resource/path"` as
    /// in `resources`, applied before the plan's `throttle`.
    #[serde(default)]
    pub method_throttles: BTreeMap<String, ThrottleConfig>,
}

/// `quota:` of a usage plan: at most `limit` requests per key per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaConfig {
    /// Requests per period, 1 or more.
    pub limit: u64,
    /// `day`, `week` or `month`, in UTC.
    pub period: QuotaPeriod,
    /// Where each period starts, from its natural start: hours after
    /// midnight for `day` (0-23), days after Sunday for `week` (0-6, so 1
    /// starts weeks on Monday), days after the 1st for `month` (0-27).
    /// Default 0.
    #[serde(default)]
    pub offset: u32,
}

/// A quota's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

/// `state:`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateConfig {
    /// `redis://host:port[/db]` or `rediss://` (TLS): keep throttles and
    /// quotas in this Redis, shared by every replica that uses it, quotas
    /// kept across restarts. Default: none, and state is in memory, for this
    /// process only.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// What happens to a request when Redis cannot answer in time: `allow`
    /// (the default: it passes unthrottled) or `deny` (503). Each such
    /// request is logged and counted.
    #[serde(default)]
    pub on_redis_error: OnRedisError,
    /// How long a request waits for Redis, in milliseconds: 1 to 10,000.
    /// Default 100.
    #[serde(default = "default_redis_timeout_ms")]
    pub redis_timeout_ms: u64,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            redis_url: None,
            on_redis_error: OnRedisError::default(),
            redis_timeout_ms: default_redis_timeout_ms(),
        }
    }
}

fn default_redis_timeout_ms() -> u64 {
    100
}

/// `on_redis_error:`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnRedisError {
    /// Fail open: the request passes without throttle or quota.
    #[default]
    Allow,
    /// Fail closed: 503.
    Deny,
}
