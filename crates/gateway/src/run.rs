//! `gateway run`: the process around the server. It loads and compiles the
//! configuration, binds the API's port (refusing one another process
//! holds) and the admin port, starts one worker per core, and then waits for
//! signals: SIGHUP reloads the configuration, SIGTERM and SIGINT drain and
//! stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use gateway_integration::{Client, ClientOptions, Credentials};

use crate::access_log::{AccessLog, Destination};
use crate::admin::{self, Readiness};
use crate::api::Api;
use crate::compile::{self, Environment};
use crate::config::Loaded;
use crate::environment::read_env;
use crate::metrics::Metrics;
use crate::server::{self, Shared};

/// What `gateway run` was asked on the command line.
#[derive(Debug)]
pub struct Options {
    pub config: PathBuf,
    /// Overrides `listen` in the file.
    pub listen: Option<SocketAddr>,
    /// Overrides `admin.listen` in the file.
    pub admin_listen: Option<SocketAddr>,
    pub workers: Option<usize>,
    /// The import flags, for a definition that is not gateway.yaml.
    pub import: crate::import::ImportOptions,
}

/// Runs the gateway until SIGTERM or SIGINT, then drains in-flight requests.
pub async fn run(options: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    // Installed first: a SIGHUP or SIGTERM during start-up is handled, not fatal.
    let mut signals = Signals::install()?;

    let loaded = Loaded::from_file_with(&options.config, &options.import)?;
    let region = compile::region(&loaded, read_env).unwrap_or_default();
    let credentials = Credentials::default_chain(&region).await;
    let environment = Environment {
        env: read_env,
        credentials: credentials.clone(),
    };
    let api = compile::compile(&loaded, &environment)?;
    for warning in &api.warnings {
        tracing::warn!("{warning}");
    }
    if let Some(store) = &api.usage.store {
        tracing::info!(
            "throttles and quotas in Redis at {} (on_redis_error: {:?}, timeout {} ms)",
            store.url_shown,
            store.policy,
            store.timeout.as_millis()
        );
    }
    let settings = api.settings.clone();
    let listen = options.listen.unwrap_or(settings.listen);
    let admin_listen = options.admin_listen.or(settings.admin_listen);

    let workers = options
        .workers
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
        .max(1);
    let listeners = bind_exclusive(listen, workers)?;
    let bound = listeners[0]
        .local_addr()
        .context("reading the listen address")?;
    let admin_listener = match admin_listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address} (admin.listen)"))?,
        ),
        None => None,
    };

    let metrics = Arc::new(Metrics::new());
    let (access_log, access_writer) = if settings.access_log.enabled {
        let destination = Destination::parse(&settings.access_log.destination);
        let (log, writer) = AccessLog::open(&destination, metrics.clone())
            .with_context(|| format!("cannot open the access log {destination:?}"))?;
        (Some(log), Some(writer))
    } else {
        (None, None)
    };
    let readiness = Arc::new(Readiness::default());
    let limits = &settings.server;
    let max_connections = connection_limit(limits.max_connections);
    let shared = Arc::new(Shared {
        api: ArcSwap::from_pointee(api),
        metrics: metrics.clone(),
        access_log,
        connections: Arc::new(tokio::sync::Semaphore::new(max_connections)),
        body_budget: Arc::new(tokio::sync::Semaphore::new(
            limits.max_inflight_body_bytes.div_ceil(1024),
        )),
        header_timeout: limits.header_timeout,
        account_id: Arc::new(std::sync::OnceLock::new()),
    });
    if let Some(account) = &settings.account_id {
        let _ = shared.account_id.set(account.clone());
    }

    // One single-threaded runtime per worker, each with its own listening
    // socket (SO_REUSEPORT: the kernel spreads connections) and its own pool
    // of backend connections. A request never changes thread, so there are no
    // cross-thread wake-ups on the hot path.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let client_options = ClientOptions::from_env(&read_env);
    let mut threads = Vec::with_capacity(workers);
    for (index, listener) in listeners.into_iter().enumerate() {
        let shared = shared.clone();
        let mut stopped = stopped.clone();
        let client = Client::new(&client_options)?;
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
                    server::serve(shared, client, listener, index, shutdown).await;
                    Ok(())
                })
            })
            .context("starting a worker thread")?;
        threads.push(thread);
    }

    let (admin_stop, _) = tokio::sync::watch::channel(false);
    let admin_task = admin_listener.map(|listener| {
        let address = listener.local_addr().ok();
        if let Some(address) = address {
            tracing::info!(
                "admin endpoints on http://{address} (/health, /ready, /metrics, /usage)"
            );
        }
        // The admin listener outlives the workers, so that `/ready` answers
        // 503 while they drain.
        let stopped = admin_stop.subscribe();
        tokio::spawn(admin::serve(
            listener,
            readiness.clone(),
            shared.clone(),
            async move {
                let mut stopped = stopped;
                let _ = stopped.wait_for(|stop| *stop).await;
            },
        ))
    });
    readiness.set(true);
    tracing::info!(
        "listening on {bound} with {} routes from {} ({workers} workers, ready in {} ms)",
        shared.api.load().router.len(),
        options.config.display(),
        started.elapsed().as_millis()
    );

    background_checks(
        credentials.clone(),
        &region,
        loaded.config.aws.endpoint_url.clone(),
        Client::new(&client_options)?,
        &shared,
    );

    let mut running = Running {
        config: options.config.clone(),
        import: options.import.clone(),
        environment,
        started_with: settings.clone(),
    };
    loop {
        match signals.next().await {
            Signal::Reload => running.reload(&shared),
            Signal::Stop(name) => {
                tracing::info!("{name} received: draining in-flight requests");
                break;
            }
        }
    }

    // Drain: not ready first, so load balancers stop sending; then the
    // listeners close and in-flight requests finish, within the timeout.
    readiness.set(false);
    let timeout = shared.api.load().settings.shutdown_timeout;
    let _ = stop.send(true);
    let deadline = Instant::now() + timeout;
    for thread in threads {
        let left = deadline.saturating_duration_since(Instant::now());
        let joined =
            tokio::time::timeout(left, tokio::task::spawn_blocking(move || thread.join())).await;
        match joined {
            Ok(Ok(Ok(Err(e)))) => tracing::warn!("a worker stopped with an error: {e:#}"),
            Err(_) => {
                tracing::warn!(
                    "shutdown_timeout_ms ({} ms) passed with requests still in flight; exiting",
                    timeout.as_millis()
                );
                break;
            }
            _ => {}
        }
    }
    let _ = admin_stop.send(true);
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    // The access-log writer finishes once the last sender, in `shared`, is gone.
    drop(shared);
    if let Some(writer) = access_writer {
        writer.finish(Duration::from_secs(5));
    }
    tracing::info!("stopped");
    Ok(())
}

/// What a reload needs, and the file's settings at start, to tell which
/// changes need a restart.
struct Running {
    config: PathBuf,
    import: crate::import::ImportOptions,
    environment: Environment,
    started_with: crate::settings::Settings,
}

impl Running {
    /// Re-reads and compiles the configuration. On success new requests use
    /// the new API at once, while in-flight ones finish on the old one; on
    /// failure the old API keeps serving.
    fn reload(&mut self, shared: &Shared) {
        let started = Instant::now();
        let compiled = Loaded::from_file_with(&self.config, &self.import)
            .and_then(|loaded| compile::compile(&loaded, &self.environment));
        let mut api = match compiled {
            Ok(api) => api,
            Err(error) => {
                shared.metrics.reload(false);
                tracing::error!("reload failed; still serving the previous configuration. {error}");
                return;
            }
        };
        for warning in &api.warnings {
            tracing::warn!("{warning}");
        }
        self.warn_about_restart_only_changes(&api);
        let old = shared.api.load();
        let (added, removed) = route_changes(&old, &api);
        // Buckets and quota counters whose limits did not change carry on:
        // a reload neither refills a throttled client's bucket nor hands out
        // a fresh quota. Changed limits start afresh.
        let (buckets, counters) = api.usage.adopt(&old.usage);
        if !api.usage.buckets.is_empty() || !api.usage.quotas.is_empty() {
            tracing::info!(
                "throttle state kept across the reload: {buckets} of {} buckets, {counters} of {} quota counters (the others are new or changed their limits)",
                api.usage.buckets.len(),
                api.usage.quotas.len()
            );
        }
        let routes = api.router.len();
        shared.api.store(Arc::new(api));
        shared.metrics.reload(true);
        tracing::info!(
            "configuration reloaded from {} in {} ms: {routes} routes; added: [{}]; removed: [{}]",
            self.config.display(),
            started.elapsed().as_millis(),
            added.join(", "),
            removed.join(", ")
        );
    }

    fn warn_about_restart_only_changes(&self, api: &Api) {
        let (now, then) = (&api.settings, &self.started_with);
        if now.listen != then.listen {
            tracing::warn!(
                "`listen` changed from {} to {} in the file; the listener stays as it is: restart the gateway to apply it",
                then.listen,
                now.listen
            );
        }
        if now.admin_listen != then.admin_listen {
            tracing::warn!(
                "`admin.listen` changed in the file; the admin listener stays as it is: restart the gateway to apply it"
            );
        }
        if now.server != then.server {
            tracing::warn!(
                "`limits.header_timeout_ms`, `limits.max_connections` or `limits.max_inflight_body_bytes` changed in the file; restart the gateway to apply them"
            );
        }
        if now.access_log.enabled != then.access_log.enabled
            || now.access_log.destination != then.access_log.destination
        {
            tracing::warn!(
                "`access_log.enabled` or `access_log.destination` changed in the file; restart the gateway to apply it (the format is reloaded)"
            );
        }
    }
}

/// Routes (`METHOD /path`) in `new` and not in `old`, and the reverse.
fn route_changes(old: &Api, new: &Api) -> (Vec<String>, Vec<String>) {
    let list = |api: &Api| -> Vec<String> {
        api.router
            .routes()
            .map(|(method, path)| format!("{method} {path}"))
            .collect()
    };
    let (old, new) = (list(old), list(new));
    let added = new.iter().filter(|r| !old.contains(r)).cloned().collect();
    let removed = old.iter().filter(|r| !new.contains(r)).cloned().collect();
    (added, removed)
}

/// Loads credentials now, in the background, so that the first request does
/// not wait for them and a missing source shows in the log at once; then
/// asks STS for the account id, for `$context.accountId`, unless the file
/// sets it.
fn background_checks(
    credentials: Credentials,
    region: &str,
    endpoint_url: Option<String>,
    client: Client,
    shared: &Arc<Shared>,
) {
    let region = region.to_string();
    let account = shared.account_id.clone();
    tokio::spawn(async move {
        if let Err(e) = credentials.get().await {
            tracing::warn!("{e}; requests to AWS services will fail with 500 until this is fixed");
            return;
        }
        tracing::info!("AWS credentials loaded");
        if account.get().is_some() || region.is_empty() {
            return;
        }
        let asked = gateway_integration::caller_account(
            &client,
            &credentials,
            &region,
            endpoint_url.as_deref(),
            &read_env,
        )
        .await;
        match asked {
            Ok(id) => {
                tracing::info!("AWS account {id} (STS GetCallerIdentity)");
                let _ = account.set(id);
            }
            Err(e) => tracing::info!(
                "the AWS account is unknown ({e}); $context.accountId stays empty: set api.account_id to fill it"
            ),
        }
    });
}

/// `limits.max_connections`, lowered to what the open-files limit allows:
/// past it, `accept` fails and nobody is served. 64 descriptors stay for the
/// gateway's own files and its connections to the services.
fn connection_limit(configured: usize) -> usize {
    let Some(open_files) = open_files_limit() else {
        return configured;
    };
    let allowed = open_files.saturating_sub(64).max(1);
    if configured > allowed {
        tracing::warn!(
            "limits.max_connections is {configured}, but the open-files limit ({open_files}) allows {allowed}: serving at most {allowed} connections (raise it with `ulimit -n` or LimitNOFILE)"
        );
        return allowed;
    }
    configured
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `count` listening sockets on `address`, all with SO_REUSEPORT so that the
/// kernel spreads connections among the workers, after checking that no
/// other process listens there: SO_REUSEPORT would otherwise let a second
/// gateway share the port silently, and part of the traffic would reach
/// whichever API it serves.
fn bind_exclusive(address: SocketAddr, count: usize) -> anyhow::Result<Vec<std::net::TcpListener>> {
    let address = probe(address)?;
    bind(address, count).with_context(|| format!("cannot listen on {address}"))
}

/// Binds `address` without SO_REUSEPORT, which fails when any other socket
/// listens there, and returns the address with its port (for port 0).
fn probe(address: SocketAddr) -> anyhow::Result<SocketAddr> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // SO_REUSEADDR only lets a restart reuse a port whose old connections
    // linger in TIME_WAIT; it never allows two listeners.
    socket.set_reuseaddr(true)?;
    match socket.bind(address) {
        Ok(()) => Ok(socket.local_addr()?),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(anyhow::anyhow!(
            "cannot listen on {address}: another process is already listening there"
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot listen on {address}"))),
    }
}

fn bind(address: SocketAddr, count: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let mut listeners = Vec::with_capacity(count);
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
        listeners.push(listener.into_std()?);
    }
    Ok(listeners)
}

/// What the process was told to do.
enum Signal {
    Reload,
    Stop(&'static str),
}

/// SIGHUP, SIGTERM and SIGINT, installed once.
struct Signals {
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            hangup: signal(SignalKind::hangup()).context("installing the SIGHUP handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> anyhow::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.hangup.recv() => Signal::Reload,
            _ = self.terminate.recv() => Signal::Stop("SIGTERM"),
            _ = self.interrupt.recv() => Signal::Stop("SIGINT"),
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Stop("Ctrl-C")
    }
}
