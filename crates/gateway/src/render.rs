//! `gateway render`: the integration request a request would send, printed as
//! JSON instead of sent. It runs the server's flow ([`pipeline::run`]) with a
//! dispatch that captures the request instead of sending it, so it needs no
//! credentials and makes no network call. A failure prints its whole cause:
//! this is the developer's tool.

use std::cell::RefCell;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use gateway_integration::{Credentials, InboundResponse, OutboundRequest};

use crate::api::Integration;
use crate::compile::{self, Environment};
use crate::config::Loaded;
use crate::error::GatewayError;
use crate::pipeline::{self, Dispatch, Exchange, MethodRequest, Prepared, Record};

/// Arguments of `gateway render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "gateway.yaml")]
    config: PathBuf,
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
}

/// Headers that carry secrets and are never printed.
const SECRET_HEADERS: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

pub fn main(args: &RenderArgs) -> anyhow::Result<()> {
    let loaded = Loaded::from_file(&args.config)?;
    let environment = Environment {
        env: crate::environment::read_env,
        // Never used: nothing is signed.
        credentials: Credentials::fixed("render", "render", None),
    };
    let mut api = compile::compile(&loaded, &environment)?;
    // Keys are checked as the server checks them, but throttles and quotas
    // start afresh in memory: a render must not reach Redis, nor count
    // against a client's quota.
    api.usage.store = None;
    let api = std::sync::Arc::new(api);
    let request = method_request(args)?;
    let body = request.body.clone();
    let mut exchange = Exchange::new(&api, request, "render-request-id".to_string());
    let capture = Capture::default();
    let mut record = Record::default();
    let flow = pipeline::run(&api, &mut exchange, &mut record, body, &capture);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("starting the runtime")?;
    match runtime.block_on(flow) {
        Ok(_) => match capture.0.into_inner() {
            Some(outbound) => {
                println!("{}", to_json(&outbound));
                Ok(())
            }
            None => bail!("the flow ended before the integration request"),
        },
        Err(error) => Err(anyhow::anyhow!("{error} ({})", error.kind.name())),
    }
}

/// The render dispatch: keeps the integration request instead of sending it,
/// and ends the flow there.
#[derive(Debug, Default)]
struct Capture(RefCell<Option<OutboundRequest>>);

impl Dispatch for Capture {
    async fn call(
        &self,
        _integration: &Integration,
        prepared: Prepared,
    ) -> Result<Option<InboundResponse>, GatewayError> {
        *self.0.borrow_mut() = Some(prepared.outbound);
        Ok(None)
    }
}

/// `Name: value`, as curl's `-H` takes it.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("a header is `Name: value`, got `{text}`"))?;
    let name = name.trim();
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not a header name"));
    }
    Ok((name.to_ascii_lowercase(), value.trim().to_string()))
}

fn method_request(args: &RenderArgs) -> anyhow::Result<MethodRequest> {
    let (path, query) = match args.path.split_once('?') {
        Some((path, query)) => (
            path,
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ),
        None => (args.path.as_str(), Vec::new()),
    };
    if !path.starts_with('/') {
        bail!("the path must start with `/`: {}", args.path);
    }
    let headers = args.headers.clone();
    let body = match (&args.data, &args.data_file) {
        (Some(data), _) => Bytes::from(data.clone()),
        (None, Some(file)) => Bytes::from(
            std::fs::read(file)
                .with_context(|| format!("reading the body from {}", file.display()))?,
        ),
        (None, None) => Bytes::new(),
    };
    Ok(MethodRequest {
        method: args.method.to_ascii_uppercase(),
        path: path.to_string(),
        query,
        raw_query: args.path.split_once('?').map_or("", |(_, q)| q).to_string(),
        headers,
        body,
        source_ip: "127.0.0.1".to_string(),
        protocol: "HTTP/1.1",
        trace_id: String::new(),
    })
}

/// `{"method", "url", "headers", "body"}`, without secret headers.
fn to_json(request: &OutboundRequest) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .filter(|(name, _)| !SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s)))
        .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
        .collect();
    serde_json::json!({
        "method": request.method.as_str(),
        // A mock integration calls nothing.
        "url": (!request.url.is_empty()).then_some(&request.url),
        "headers": headers,
        "body": String::from_utf8_lossy(&request.body),
    })
    .to_string()
}
