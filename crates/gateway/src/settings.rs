//! The gateway's own settings, beside the API it serves: listeners, shutdown,
//! trusted proxies, the access log and the API's identity. Compiled from the
//! file by `compile`, which checks each one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;

/// The address served when neither the file nor `--listen` names one.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The compiled settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `listen`. `--listen` overrides it.
    pub listen: SocketAddr,
    /// `admin.listen`: the health, readiness and metrics listener, if any.
    pub admin_listen: Option<SocketAddr>,
    /// `shutdown_timeout_ms`: how long requests in flight may take to finish
    /// after SIGTERM or SIGINT.
    pub shutdown_timeout: Duration,
    /// `trusted_proxies`: a single address is a /32 or /128 network.
    pub trusted_proxies: Vec<IpNet>,
    pub access_log: AccessLog,
    /// What one process holds for its clients at most.
    pub server: ServerLimits,
    /// `api.id`: `$context.apiId`.
    pub api_id: Option<String>,
    /// `api.account_id`: `$context.accountId`.
    pub account_id: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            admin_listen: None,
            shutdown_timeout: Duration::from_millis(30_000),
            trusted_proxies: Vec::new(),
            access_log: AccessLog {
                enabled: true,
                format: "clf".to_string(),
                destination: "stdout".to_string(),
            },
            api_id: None,
            account_id: None,
            server: ServerLimits::default(),
        }
    }
}

/// The limits that belong to the process rather than to the API: they are
/// set when the listeners start, so changing them needs a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// `limits.header_timeout_ms`.
    pub header_timeout: Duration,
    /// `limits.max_connections`.
    pub max_connections: usize,
    /// `limits.max_inflight_body_bytes`.
    pub max_inflight_body_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_millis(70_000),
            max_connections: 10_000,
            max_inflight_body_bytes: 256 * 1024 * 1024,
        }
    }
}

/// `access_log`, as written: the format is compiled where lines are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    pub enabled: bool,
    /// `clf`, `json`, or a format string with `$context` variables.
    pub format: String,
    /// `stdout`, `stderr` or a file path.
    pub destination: String,
}
