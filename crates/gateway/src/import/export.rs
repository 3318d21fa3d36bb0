//! `gateway export`: the loaded API written as gateway.yaml or as an OpenAPI
//! 3.0 document with API Gateway's extensions.

use std::path::PathBuf;

use super::ImportArgs;

/// Arguments of `gateway export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The configuration file, in any format `run` reads.
    #[arg(long, short, default_value = "gateway.yaml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
}

/// The formats `gateway export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The gateway's own gateway.yaml.
    GatewayYaml,
    /// OpenAPI 3.0 with API Gateway's extensions, as `aws apigateway
    /// import-rest-api` takes it.
    Openapi,
}

/// Runs `gateway export`, writing to standard output.
pub fn main(args: &ExportArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("export is not implemented yet")
}
