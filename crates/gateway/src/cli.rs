//! The command line: `gateway run`, `render`, `test`, `validate` and `export`,
//! and what each exit code means.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use gateway_integration::Credentials;

use crate::compile::{self, Environment};
use crate::config::{ConfigError, Loaded};
use crate::environment::read_env;
use crate::import::{ImportArgs, ImportOptions, export};
use crate::{cases, render, run};

/// Exit code for a configuration that does not load (EX_CONFIG).
const EXIT_CONFIG: u8 = 78;

#[derive(Debug, Parser)]
#[command(
    name = "gateway",
    version,
    about = "A configuration-driven API gateway for AWS service integrations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API described by the configuration file.
    Run {
        /// The configuration file.
        #[arg(long, short, default_value = "gateway.yaml")]
        config: PathBuf,
        /// The address to listen on, IP:PORT; overrides `listen` in the file.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// The admin listener (/health, /ready, /metrics), IP:PORT; overrides
        /// `admin.listen` in the file.
        #[arg(long)]
        admin_listen: Option<SocketAddr>,
        /// The log format.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Worker threads, each serving connections on its own. Default: one per core.
        #[arg(long)]
        workers: Option<usize>,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Print the integration request a request would send, without sending
    /// it, and, given the backend's answer, the response the client would get.
    Render(Box<render::RenderArgs>),
    /// Run the template test cases kept beside the API.
    Test(Box<cases::TestArgs>),
    /// Load and compile the configuration, report every problem, and exit.
    Validate {
        /// The configuration file.
        #[arg(long, short, default_value = "gateway.yaml")]
        config: PathBuf,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Write the loaded API as gateway.yaml or as an OpenAPI 3.0 document
    /// with API Gateway's extensions.
    Export(Box<export::ExportArgs>),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Parses the command line and runs the command. Exit codes: 0 success, 1
/// failure (for `gateway test`, a failing case), 2 bad usage (clap's), 3 a
/// render that ends in a gateway response, 78 a configuration that does not
/// load.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            listen,
            admin_listen,
            log_format,
            workers,
            import,
        } => {
            init_logging(log_format);
            let options = run::Options {
                config,
                listen,
                admin_listen,
                workers,
                import: import.options(),
            };
            runtime()
                .and_then(|rt| rt.block_on(run::run(&options)))
                .map(|()| 0)
        }
        Command::Render(args) => render::main(&args),
        Command::Test(args) => cases::main(&args),
        Command::Validate { config, import } => validate(&config, &import.options()).map(|()| 0),
        Command::Export(args) => export::main(&args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if let Some(config_error) = error.downcast_ref::<ConfigError>() {
                eprintln!("error: {config_error}");
                ExitCode::from(EXIT_CONFIG)
            } else {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// The control runtime: loading, signals, reloads, the admin listener and
/// background credential refresh. The requests are served by the workers'
/// own runtimes.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = tracing_subscriber::EnvFilter::try_from_env("GATEWAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in files or collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(
            fmt.with_filter(filter)
                .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                    !reveals_credentials(meta)
                })),
        )
        .init();
}

/// The AWS config crate logs the credentials it loads from a profile at
/// INFO, access key id included. Those events are dropped whatever
/// `GATEWAY_LOG` says: no key id belongs in the gateway's log.
fn reveals_credentials(meta: &tracing::Metadata<'_>) -> bool {
    meta.target().starts_with("aws_config::profile") && *meta.level() > tracing::Level::WARN
}

fn validate(config_path: &Path, options: &ImportOptions) -> anyhow::Result<()> {
    let loaded = Loaded::from_file_with(config_path, options)?;
    let environment = Environment {
        env: read_env,
        credentials: Credentials::fixed("validate", "validate", None),
    };
    let api = compile::compile(&loaded, &environment)?;
    for warning in &api.warnings {
        eprintln!("warning: {warning}");
    }
    println!("{}: ok, {} routes", config_path.display(), api.router.len());
    Ok(())
}
