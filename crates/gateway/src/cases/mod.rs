//! `gateway test`: template test cases kept beside the API, run through the
//! same flow as `gateway render` ([`crate::render::simulate`]) and checked
//! against what they expect. `--update` writes what the flow did into the
//! files instead, snapshot style, and shows the change.
//!
//! Each case runs with a fixed context (request id, time, client address),
//! so that what is pinned does not change from run to run.

pub mod compare;
pub mod file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use bytes::Bytes;

use crate::api::Api;
use crate::render::{self, simulate};
use file::{Case, CaseFile, FixedContext};

/// The request id of a case that sets none.
pub const DEFAULT_REQUEST_ID: &str = "test-request-id";

/// The request time of a case that sets none: a fixed instant, so that
/// `$context.requestTime` renders the same in every run.
pub const DEFAULT_REQUEST_TIME: &str = "2026-01-01T00:00:00Z";

/// Where case files are found when no path is given, beside the config.
pub const DEFAULT_DIR: &str = "tests/templates";

/// Arguments of `gateway test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "gateway.yaml")]
    config: PathBuf,
    #[command(flatten)]
    import: crate::import::ImportArgs,
    /// Case files, or folders searched for `*.yaml` and `*.yml`. Default:
    /// `tests/templates/` beside the configuration file.
    paths: Vec<PathBuf>,
    /// Write what each case does into its file as what it expects.
    #[arg(long)]
    update: bool,
    /// Where AWS integrations send, as for `gateway render`.
    #[arg(long, value_name = "URL", env = "GATEWAY_RENDER_ENDPOINT_URL")]
    endpoint_url: Option<String>,
}

/// Runs `gateway test`: 0 when every case passes (or was updated), 1 when
/// one fails or a case file cannot be read.
pub fn main(args: &TestArgs) -> anyhow::Result<u8> {
    let files = case_files(&args.config, &args.paths)?;
    let mut apis = Apis {
        config: &args.config,
        import: args.import.options(),
        endpoint_url: args.endpoint_url.as_deref(),
        compiled: BTreeMap::new(),
    };
    let mut tally = Tally::default();
    for path in &files {
        run_file(path, &mut apis, args.update, &mut tally)?;
    }
    println!(
        "{} cases: {} passed, {} failed{}",
        tally.passed + tally.failed + tally.updated,
        tally.passed,
        tally.failed,
        if args.update {
            format!(", {} updated", tally.updated)
        } else {
            String::new()
        }
    );
    Ok(if tally.failed > 0 { 1 } else { 0 })
}

#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    updated: usize,
}

/// The API compiled once per set of stage variables the cases replace.
struct Apis<'a> {
    config: &'a Path,
    import: crate::import::ImportOptions,
    endpoint_url: Option<&'a str>,
    compiled: BTreeMap<BTreeMap<String, String>, Arc<Api>>,
}

impl Apis<'_> {
    fn get(&mut self, stage_variables: &BTreeMap<String, String>) -> anyhow::Result<Arc<Api>> {
        if let Some(api) = self.compiled.get(stage_variables) {
            return Ok(api.clone());
        }
        let pairs: Vec<(String, String)> = stage_variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let api = Arc::new(render::load(
            self.config,
            &self.import,
            &pairs,
            self.endpoint_url,
        )?);
        self.compiled.insert(stage_variables.clone(), api.clone());
        Ok(api)
    }
}

/// The case files `paths` name, or those under `tests/templates/` beside
/// `config`, in a stable order.
fn case_files(config: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let default;
    let paths = if paths.is_empty() {
        default = [config
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(DEFAULT_DIR)];
        if !default[0].is_dir() {
            bail!(
                "no case files: {} does not exist (give case files or folders as arguments)",
                default[0].display()
            );
        }
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{}: no such case file or folder", path.display());
        }
    }
    if files.is_empty() {
        bail!("no case files (*.yaml, *.yml) found");
    }
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

/// Runs the cases of one file, printing a line per case and the diff of
/// each failure; with `update`, rewrites the file where cases differ.
fn run_file(
    path: &Path,
    apis: &mut Apis<'_>,
    update: bool,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            println!("FAIL  {shown}: cannot be read: {e}");
            tally.failed += 1;
            return Ok(());
        }
    };
    let mut cases: CaseFile = match serde_yaml::from_str(&text) {
        Ok(cases) => cases,
        Err(e) => {
            println!("FAIL  {shown}: not a case file: {e}");
            tally.failed += 1;
            return Ok(());
        }
    };
    let mut changed = false;
    let file_context = cases.context.clone();
    for case in &mut cases.cases {
        let outcome = match run_case(case, &file_context, apis) {
            Ok(outcome) => outcome,
            Err(e) if e.downcast_ref::<crate::config::ConfigError>().is_some() => return Err(e),
            Err(e) => {
                println!("FAIL  {shown}: {}: {e:#}", case.name);
                tally.failed += 1;
                continue;
            }
        };
        let mismatch = match &case.expect {
            Some(expect) => compare::check(expect, &outcome),
            None => Some(
                "the case expects nothing yet: run with --update to record what it does\n"
                    .to_string(),
            ),
        };
        match mismatch {
            None => {
                println!("ok    {shown}: {}", case.name);
                tally.passed += 1;
            }
            Some(_) if update => {
                case.expect = Some(updated(case.expect.as_ref(), &outcome));
                changed = true;
                println!("upd   {shown}: {}", case.name);
                tally.updated += 1;
            }
            Some(diff) => {
                println!("FAIL  {shown}: {}", case.name);
                for line in diff.lines() {
                    println!("      {line}");
                }
                tally.failed += 1;
            }
        }
    }
    if changed {
        // The comment that opens the file says what the cases are for; it is
        // kept. Comments elsewhere are not: the file is written anew.
        let heading: String = text
            .split_inclusive('\n')
            .take_while(|line| line.starts_with('#') || line.trim().is_empty())
            .collect();
        let new_text = heading + &compare::yaml(&cases);
        std::fs::write(path, &new_text).with_context(|| format!("writing {shown}"))?;
        print!(
            "{}",
            compare::diff(&text, &new_text, &shown.to_string(), &shown.to_string())
        );
    }
    Ok(())
}

/// The expectation `--update` writes: what the flow did, for the parts the
/// case expected (all of them when it expected none), each keeping how it
/// compares bodies.
fn updated(previous: Option<&file::Expect>, outcome: &simulate::Outcome) -> file::Expect {
    let mut observed = compare::observed(outcome);
    if let Some(previous) = previous {
        if previous.integration_request.is_none() && previous.response.is_some() {
            observed.integration_request = None;
        }
        if previous.response.is_none() && previous.integration_request.is_some() {
            observed.response = None;
        }
        if let (Some(was), Some(now)) = (
            &previous.integration_request,
            &mut observed.integration_request,
        ) {
            now.compare = was.compare;
        }
        if let (Some(was), Some(now)) = (&previous.response, &mut observed.response) {
            now.compare = was.compare;
        }
    }
    observed
}

fn run_case(
    case: &Case,
    file_context: &FixedContext,
    apis: &mut Apis<'_>,
) -> anyhow::Result<simulate::Outcome> {
    let api = apis.get(&case.stage_variables)?;
    let context = case.context.over(file_context);
    let request_time = simulate::parse_time(
        context
            .request_time
            .as_deref()
            .unwrap_or(DEFAULT_REQUEST_TIME),
    )
    .map_err(anyhow::Error::msg)?;
    let source_ip = context
        .source_ip
        .as_deref()
        .unwrap_or(render::DEFAULT_SOURCE_IP);
    let request = &case.request;
    let headers = request
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let body = payload(
        request.body.as_deref(),
        request.json.as_ref(),
        request.body_base64.as_deref(),
    )
    .context("the request's body")?;
    let backend = match &case.backend {
        Some(backend) => {
            let headers: Vec<(String, String)> = backend
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let body = payload(
                backend.body.as_deref(),
                backend.json.as_ref(),
                backend.body_base64.as_deref(),
            )
            .context("the backend's body")?;
            Some(
                simulate::backend_answer(backend.status, &headers, body)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        None => None,
    };
    let simulation = simulate::Simulation {
        request: render::method_request(&request.method, &request.path, headers, body, source_ip)?,
        request_id: context
            .request_id
            .unwrap_or_else(|| DEFAULT_REQUEST_ID.to_string()),
        request_time: Some(request_time),
        backend,
    };
    render::run(&api, simulation)
}

/// The body of `body`, `json` or `body_base64`, at most one of which is set.
fn payload(
    body: Option<&str>,
    json: Option<&serde_json::Value>,
    body_base64: Option<&str>,
) -> anyhow::Result<Bytes> {
    match (body, json, body_base64) {
        (None, None, None) => Ok(Bytes::new()),
        (Some(text), None, None) => Ok(Bytes::from(text.to_string())),
        (None, Some(value), None) => Ok(Bytes::from(value.to_string())),
        (None, None, Some(encoded)) => base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map(Bytes::from)
            .map_err(|e| anyhow::anyhow!("`body_base64` is not base64: {e}")),
        _ => bail!("give one of `body`, `json` and `body_base64`"),
    }
}
