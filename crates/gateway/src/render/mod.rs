//! `gateway render`: what a request would do, printed instead of sent. It
//! runs the server's flow ([`crate::pipeline::run`]) with a dispatch that
//! captures the integration request instead of signing and sending it
//! ([`simulate`]), so it needs no credentials and makes no network call.
//!
//! Given the backend's answer (`--response-status`, `--response-header`,
//! `--response-body`), it goes on to the method response the client would
//! get. A request the gateway would refuse prints the gateway response, and
//! its whole cause: this is the developer's tool. With `--request-id`,
//! `--request-time` and `--source-ip` fixed, two runs print the same bytes.

pub mod output;
pub mod simulate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use gateway_integration::Credentials;

use crate::api::Api;
use crate::compile::{self, Environment};
use crate::config::{ConfigError, Loaded};
use crate::pipeline::MethodRequest;
use simulate::{Outcome, Simulation};

/// The exit code of a render whose request the gateway would answer with a
/// gateway response (a 4xx or 5xx of its own, not the backend's).
pub const EXIT_GATEWAY_RESPONSE: u8 = 3;

/// The request id a render uses unless told otherwise.
pub const DEFAULT_REQUEST_ID: &str = "render-request-id";

/// The client address a render uses unless told otherwise.
pub const DEFAULT_SOURCE_IP: &str = "127.0.0.1";

/// Arguments of `gateway render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "gateway.yaml")]
    config: PathBuf,
    #[command(flatten)]
    import: crate::import::ImportArgs,
    /// The method request's HTTP method, e.g. PUT.
    method: String,
    /// The method request's path, with its query string, e.g. `/streams/s/record`.
    path: String,
    /// A request header, `Name: value`. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The request body.
    #[arg(short = 'd', long = "data", conflicts_with = "data_file")]
    data: Option<String>,
    /// Read the request body from a file.
    #[arg(long = "data-file", value_name = "FILE")]
    data_file: Option<PathBuf>,

    /// The backend's status. With it, the method response is rendered too.
    #[arg(long, value_name = "STATUS")]
    response_status: Option<u16>,
    /// A header of the backend's answer, `Name: value`. Repeatable.
    #[arg(long = "response-header", value_name = "HEADER", value_parser = parse_header,
          requires = "response_status")]
    response_headers: Vec<(String, String)>,
    /// The backend's body.
    #[arg(
        long,
        value_name = "BODY",
        requires = "response_status",
        conflicts_with = "response_body_file"
    )]
    response_body: Option<String>,
    /// Read the backend's body from a file.
    #[arg(long, value_name = "FILE", requires = "response_status")]
    response_body_file: Option<PathBuf>,

    /// `$context.requestId` (and `x-amzn-RequestId`).
    #[arg(long, value_name = "ID", default_value = DEFAULT_REQUEST_ID)]
    request_id: String,
    /// `$context.requestTime` and `requestTimeEpoch`: ISO 8601
    /// (`2026-01-02T03:04:05Z`) or milliseconds since the epoch. Default: now.
    #[arg(long, value_name = "TIME", value_parser = simulate::parse_time)]
    request_time: Option<SystemTime>,
    /// `$context.identity.sourceIp`.
    #[arg(long, value_name = "IP", default_value = DEFAULT_SOURCE_IP)]
    source_ip: std::net::IpAddr,
    /// A stage variable, `NAME=VALUE`, replacing the file's. Repeatable.
    #[arg(long = "stage-variable", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    stage_variables: Vec<(String, String)>,
    /// Where AWS integrations send, instead of the AWS endpoint (or the
    /// file's `aws.endpoint_url`). The `AWS_ENDPOINT_URL*` variables that
    /// `gateway run` reads are ignored, so that what is printed does not
    /// depend on the shell it runs in.
    #[arg(long, value_name = "URL", env = "GATEWAY_RENDER_ENDPOINT_URL")]
    endpoint_url: Option<String>,

    /// How to print: `text` for a person, `json` for one JSON object.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Runs `gateway render`; the exit code is 0 when the flow ran, or
/// [`EXIT_GATEWAY_RESPONSE`] when it ended in a gateway response.
pub fn main(args: &RenderArgs) -> anyhow::Result<u8> {
    let api = Arc::new(load(
        &args.config,
        &args.import.options(),
        &args.stage_variables,
        args.endpoint_url.as_deref(),
    )?);
    let backend = match args.response_status {
        Some(status) => {
            let body = read_body(
                args.response_body.as_deref(),
                args.response_body_file.as_deref(),
            )?;
            Some(
                simulate::backend_answer(status, &args.response_headers, body)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        None => None,
    };
    let simulation = Simulation {
        request: method_request(
            &args.method,
            &args.path,
            args.headers.clone(),
            read_body(args.data.as_deref(), args.data_file.as_deref())?,
            &args.source_ip.to_string(),
        )?,
        request_id: args.request_id.clone(),
        request_time: args.request_time,
        backend,
    };
    let outcome = run(&api, simulation)?;
    match args.format {
        Format::Text => print!("{}", output::text(&outcome)),
        Format::Json => println!("{}", output::json(&outcome)),
    }
    match &outcome.refusal {
        Some(refusal) => {
            let status = outcome.response.as_ref().map_or(0, |r| r.status);
            eprintln!(
                "render: the gateway would answer {status} {}: {}",
                refusal.response_type, refusal.cause
            );
            Ok(EXIT_GATEWAY_RESPONSE)
        }
        None => Ok(0),
    }
}

/// Loads and compiles the configuration as `gateway run` would, with the
/// stage variables replaced and the endpoint fixed: `endpoint_url`, the
/// file's, or AWS's, never the environment's.
pub fn load(
    config: &Path,
    import: &crate::import::ImportOptions,
    stage_variables: &[(String, String)],
    endpoint_url: Option<&str>,
) -> Result<Api, ConfigError> {
    let mut loaded = Loaded::from_file_with(config, import)?;
    for (name, value) in stage_variables {
        loaded
            .config
            .stage
            .variables
            .insert(name.clone(), value.clone());
    }
    if let Some(url) = endpoint_url {
        loaded.config.aws.endpoint_url = Some(url.to_string());
    }
    let environment = Environment {
        env: fixed_env,
        // Never used: nothing is signed.
        credentials: Credentials::fixed("render", "render", None),
    };
    let mut api = compile::compile(&loaded, &environment)?;
    // Keys are checked as the server checks them, but throttles and quotas
    // start afresh in memory: a render must not reach Redis, nor count
    // against a client's quota.
    api.usage.store = None;
    Ok(api)
}

/// The environment as a render reads it: the region, as `gateway run` reads
/// it, but no endpoint.
fn fixed_env(name: &str) -> Option<String> {
    if name.starts_with("AWS_ENDPOINT_URL") {
        return None;
    }
    crate::environment::read_env(name)
}

/// Runs one simulation on a runtime of its own.
pub fn run(api: &Arc<Api>, simulation: Simulation) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("starting the runtime")?;
    Ok(runtime.block_on(simulate::simulate(api, simulation)))
}

fn read_body(data: Option<&str>, file: Option<&Path>) -> anyhow::Result<Bytes> {
    Ok(match (data, file) {
        (Some(data), _) => Bytes::from(data.to_string()),
        (None, Some(file)) => Bytes::from(
            std::fs::read(file)
                .with_context(|| format!("reading the body from {}", file.display()))?,
        ),
        (None, None) => Bytes::new(),
    })
}

/// `Name: value`, as curl's `-H` takes it.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("a header is `Name: value`, got `{text}`"))?;
    let name = name.trim();
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not a header name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// `NAME=VALUE`.
fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

/// The method request `method` and `path` (with its query string) describe.
pub fn method_request(
    method: &str,
    path: &str,
    headers: Vec<(String, String)>,
    body: Bytes,
    source_ip: &str,
) -> anyhow::Result<MethodRequest> {
    let (only_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    if !only_path.starts_with('/') {
        bail!("the path must start with `/`: {path}");
    }
    Ok(MethodRequest {
        method: method.to_ascii_uppercase(),
        path: only_path.to_string(),
        query: form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query: raw_query.to_string(),
        headers,
        body,
        source_ip: source_ip.to_string(),
        protocol: "HTTP/1.1",
        trace_id: String::new(),
    })
}
