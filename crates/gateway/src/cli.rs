//! The command line: `gateway run` and `gateway render`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use gateway_integration::{Client, ClientOptions, Credentials};

use crate::compile::{self, Environment};
use crate::config::{ConfigError, Loaded};
use crate::{render, server};

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
        /// The address to listen on; overrides `listen` in the file.
        #[arg(long)]
        listen: Option<String>,
        /// The log format.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Worker threads, each serving connections on its own. Default: one per core.
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Print the integration request a request would send, without sending it.
    Render(render::RenderArgs),
    /// Load and compile the configuration, report every problem, and exit.
    Validate {
        /// The configuration file.
        #[arg(long, short, default_value = "gateway.yaml")]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            listen,
            log_format,
            workers,
        } => {
            init_logging(log_format);
            runtime().and_then(|rt| rt.block_on(run(&config, listen.as_deref(), workers)))
        }
        Command::Render(args) => render::main(&args),
        Command::Validate { config } => validate(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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

/// The control runtime: loading, signals, background credential refresh. The
/// requests are served by the workers' own runtimes.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GATEWAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in files or collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

pub(crate) fn read_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

async fn run(
    config_path: &Path,
    listen: Option<&str>,
    workers: Option<usize>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = Loaded::from_file(config_path)?;
    let region = compile::region(&loaded, read_env).unwrap_or_default();
    let credentials = Credentials::default_chain(&region).await;
    let environment = Environment {
        env: read_env,
        credentials: credentials.clone(),
    };
    let api = Arc::new(compile::compile(&loaded, &environment)?);

    let address = listen
        .map(str::to_string)
        .or_else(|| loaded.config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let address: SocketAddr = address
        .parse()
        .with_context(|| format!("`{address}` is not a listen address (expected IP:PORT)"))?;
    let workers = workers
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
        .max(1);
    let listeners =
        bind(address, workers).with_context(|| format!("cannot listen on {address}"))?;
    let bound = listeners[0]
        .local_addr()
        .context("reading the listen address")?;

    // One single-threaded runtime per worker, each with its own listening
    // socket (SO_REUSEPORT: the kernel spreads connections) and its own pool
    // of backend connections. A request never changes thread, so there are no
    // cross-thread wake-ups on the hot path.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut threads = Vec::with_capacity(workers);
    for (index, listener) in listeners.into_iter().enumerate() {
        let api = api.clone();
        let mut stopped = stopped.clone();
        let client = Client::new(&ClientOptions::default())?;
        let thread = std::thread::Builder::new()
            .name(format!("gateway-worker-{index}"))
            .spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let shutdown = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    };
                    server::serve(api, client, listener, shutdown).await;
                    Ok(())
                })
            })
            .context("starting a worker thread")?;
        threads.push(thread);
    }
    tracing::info!(
        "listening on {bound} with {} routes from {} ({workers} workers, ready in {} ms)",
        api.router.len(),
        config_path.display(),
        started.elapsed().as_millis()
    );

    // Load credentials now, in the background, so that the first request does
    // not wait for them and a missing source shows in the log at once.
    tokio::spawn(async move {
        match credentials.get().await {
            Ok(_) => tracing::info!("AWS credentials loaded"),
            Err(e) => tracing::warn!(
                "{e}; requests to AWS services will fail with 500 until this is fixed"
            ),
        }
    });

    shutdown_signal().await;
    let _ = stop.send(true);
    for thread in threads {
        let finished = tokio::task::spawn_blocking(move || thread.join()).await;
        if let Ok(Ok(Err(e))) = finished {
            tracing::warn!("a worker stopped with an error: {e:#}");
        }
    }
    Ok(())
}

/// `count` listening sockets on `address`, all with SO_REUSEPORT. With port 0,
/// the first picks the port and the others join it.
fn bind(address: SocketAddr, count: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let mut listeners = Vec::with_capacity(count);
    let mut address = address;
    for _ in 0..count {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        #[cfg(unix)]
        socket.set_reuseport(true)?;
        socket.set_nodelay(true)?;
        socket.bind(address)?;
        let listener = socket.listen(1024)?;
        address = listener.local_addr()?;
        listeners.push(listener.into_std()?);
    }
    Ok(listeners)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

fn validate(config_path: &Path) -> anyhow::Result<()> {
    let loaded = Loaded::from_file(config_path)?;
    let environment = Environment {
        env: read_env,
        credentials: Credentials::fixed("validate", "validate", None),
    };
    let api = compile::compile(&loaded, &environment)?;
    println!("{}: ok, {} routes", config_path.display(), api.router.len());
    Ok(())
}
