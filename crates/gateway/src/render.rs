//! `gateway render`: the integration request a request would send, printed as
//! JSON instead of sent. It runs the same stages as the server, needs no
//! credentials and makes no network call.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use gateway_integration::{Credentials, OutboundRequest};

use crate::compile::{self, Environment};
use crate::config::Loaded;
use crate::pipeline::{self, Exchange, MethodRequest};

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
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
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
        env: crate::cli::read_env,
        // Never used: nothing is signed.
        credentials: Credentials::fixed("render", "render", None),
    };
    let api = compile::compile(&loaded, &environment)?;
    let request = method_request(args)?;
    let mut exchange = Exchange::new(&api, request, "render-request-id".to_string());
    pipeline::route(&api, &mut exchange)
        .and_then(|()| pipeline::prepare(&api, &exchange))
        .map(|outbound| println!("{}", to_json(&outbound)))
        .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.kind.name()))
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
    let mut headers = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            bail!("a header is `Name: value`, got `{header}`");
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
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
        headers,
        body,
        source_ip: "127.0.0.1".to_string(),
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
