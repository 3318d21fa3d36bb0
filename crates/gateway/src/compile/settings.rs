//! The gateway's own settings, beside the API it serves: listeners, shutdown,
//! trusted proxies, the access log and the API's identity. Each is checked
//! here, at load, so that a mistake is a configuration problem with its place
//! in the file, not a failure at bind time or on the first request.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;

use crate::config::Loaded;
use crate::settings::{AccessLog, ServerLimits, Settings};

use super::Problems;

/// The longest `shutdown_timeout_ms`: an hour. A drain that takes longer is
/// a stuck client, and orchestrators give up long before.
const MAX_SHUTDOWN_TIMEOUT_MS: u64 = 3_600_000;

/// API Gateway's API IDs are 10 characters; 64 leaves room for the names
/// people give their own.
const MAX_API_ID: usize = 64;

/// Checks and compiles the settings. A setting with a problem keeps its
/// default, so that compiling goes on and finds the other problems.
pub(super) fn settings(loaded: &Loaded, problems: &mut Problems<'_>) -> Settings {
    let config = &loaded.config;
    let defaults = Settings::default();
    let listen = match config.listen.as_deref().map(socket_address) {
        None => Some(defaults.listen),
        Some(Ok(listen)) => Some(listen),
        Some(Err(e)) => {
            problems.push(&["listen"], e);
            None
        }
    };
    let admin_listen = config.admin.listen.as_deref().and_then(|text| {
        let at = ["admin", "listen"];
        let admin = socket_address(text)
            .map_err(|e| problems.push(&at, e))
            .ok()?;
        if let Some(listen) = listen
            && overlaps(admin, listen)
        {
            problems.push(
                &at,
                format!("`{admin}` is also the API's address (`listen`: {listen}); the admin listener needs its own"),
            );
            return None;
        }
        Some(admin)
    });
    let shutdown_timeout = if config.shutdown_timeout_ms > MAX_SHUTDOWN_TIMEOUT_MS {
        problems.push(
            &["shutdown_timeout_ms"],
            format!("must be between 0 and {MAX_SHUTDOWN_TIMEOUT_MS} milliseconds (one hour)"),
        );
        defaults.shutdown_timeout
    } else {
        Duration::from_millis(config.shutdown_timeout_ms)
    };
    let trusted_proxies = config
        .trusted_proxies
        .iter()
        .enumerate()
        .filter_map(|(index, text)| {
            network(text)
                .map_err(|e| problems.push(&["trusted_proxies", &index.to_string()], e))
                .ok()
        })
        .collect();
    let raw = &config.access_log;
    for (name, value) in [("format", &raw.format), ("destination", &raw.destination)] {
        if value.trim().is_empty() {
            problems.push(&["access_log", name], "must not be empty".to_string());
        }
    }
    let api_id = config.api.id.clone().filter(|id| {
        let ok = (1..=MAX_API_ID).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            problems.push(
                &["api", "id"],
                format!("an API ID is 1 to {MAX_API_ID} letters, digits, `-` or `_`"),
            );
        }
        ok
    });
    let account_id = config.api.account_id.clone().filter(|id| {
        let ok = id.len() == 12 && id.chars().all(|c| c.is_ascii_digit());
        if !ok {
            problems.push(
                &["api", "account_id"],
                format!("`{id}` is not an AWS account ID: 12 digits"),
            );
        }
        ok
    });
    Settings {
        listen: listen.unwrap_or(defaults.listen),
        admin_listen,
        shutdown_timeout,
        trusted_proxies,
        access_log: AccessLog {
            enabled: raw.enabled,
            format: raw.format.clone(),
            destination: raw.destination.clone(),
        },
        api_id,
        account_id,
        server: server_limits(loaded, problems),
    }
}

/// Bounds on the process-wide limits: below them the gateway cannot serve,
/// above them a mistake (an extra zero) goes unnoticed.
const HEADER_TIMEOUT_MS: std::ops::RangeInclusive<u64> = 1_000..=600_000;
const MAX_CONNECTIONS: std::ops::RangeInclusive<usize> = 1..=1_000_000;
const MIN_INFLIGHT_BODY_BYTES: usize = 1024 * 1024;

fn server_limits(loaded: &Loaded, problems: &mut Problems<'_>) -> ServerLimits {
    let limits = &loaded.config.limits;
    let defaults = ServerLimits::default();
    let header_timeout = if HEADER_TIMEOUT_MS.contains(&limits.header_timeout_ms) {
        Duration::from_millis(limits.header_timeout_ms)
    } else {
        problems.push(
            &["limits", "header_timeout_ms"],
            "must be between 1,000 and 600,000 milliseconds".to_string(),
        );
        defaults.header_timeout
    };
    if !(100..=3_600_000).contains(&limits.body_timeout_ms) {
        problems.push(
            &["limits", "body_timeout_ms"],
            "must be between 100 and 3,600,000 milliseconds".to_string(),
        );
    }
    if !MAX_CONNECTIONS.contains(&limits.max_connections) {
        problems.push(
            &["limits", "max_connections"],
            "must be between 1 and 1,000,000".to_string(),
        );
    }
    if limits.max_inflight_body_bytes < MIN_INFLIGHT_BODY_BYTES
        || limits.max_inflight_body_bytes < limits.max_body_bytes
    {
        problems.push(
            &["limits", "max_inflight_body_bytes"],
            "must be at least 1 MiB and at least `limits.max_body_bytes`, or no body of the largest size could ever be read".to_string(),
        );
    }
    ServerLimits {
        header_timeout,
        max_connections: limits.max_connections.clamp(1, *MAX_CONNECTIONS.end()),
        max_inflight_body_bytes: limits.max_inflight_body_bytes.max(limits.max_body_bytes),
    }
}

/// An `IP:PORT` listen address.
fn socket_address(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!(
            "`{text}` is not a listen address: expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8080 (host names are not resolved)"
        )
    })
}

/// Whether two listeners would claim the same port: the same address, or a
/// wildcard that covers the other. Port 0 is a fresh port each time.
fn overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    if a.port() != b.port() || a.port() == 0 {
        return false;
    }
    let covers = |wildcard: IpAddr, other: IpAddr| {
        // `[::]` also takes IPv4 on a dual-stack host; `0.0.0.0` only IPv4.
        wildcard.is_unspecified() && (wildcard.is_ipv6() || other.is_ipv4())
    };
    a.ip() == b.ip() || covers(a.ip(), b.ip()) || covers(b.ip(), a.ip())
}

/// A CIDR block or a single address (a /32 or /128 block).
fn network(text: &str) -> Result<IpNet, String> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(address));
    }
    let network: IpNet = text.parse().map_err(|_| {
        format!(
            "`{text}` is not a CIDR block or an IP address, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8"
        )
    })?;
    // `10.0.0.1/8` is most likely a slip for `10.0.0.1/32`: trusting a whole
    // /8 by mistake lets any host in it pick its own client address.
    if network != network.trunc() {
        return Err(format!(
            "`{text}` has address bits set past its /{} prefix: write `{}` for the block, or the address alone",
            network.prefix_len(),
            network.trunc()
        ));
    }
    Ok(network)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Problem;

    const ROUTES: &str = "resources:\n  /s:\n    GET:\n      integration: {type: mock}\n";

    /// The settings of `yaml` (before the routes), or its problems as
    /// `line:column: key: message`.
    fn compile(yaml: &str) -> Result<Settings, Vec<String>> {
        let text = format!("{yaml}{ROUTES}");
        let loaded = Loaded::from_str(Path::new("test.yaml"), &text).unwrap();
        let mut problems = Problems {
            loaded: &loaded,
            list: Vec::new(),
            warnings: Vec::new(),
        };
        let settings = settings(&loaded, &mut problems);
        if problems.list.is_empty() {
            Ok(settings)
        } else {
            Err(problems.list.iter().map(line).collect())
        }
    }

    fn line(p: &Problem) -> String {
        let l = p.location.unwrap();
        format!("{}:{}: {}: {}", l.line, l.column, p.key, p.message)
    }

    #[test]
    fn defaults() {
        let settings = compile("").unwrap();
        assert_eq!(settings, Settings::default());
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(30));
        assert!(settings.access_log.enabled);
        assert_eq!(settings.access_log.format, "clf");
        assert_eq!(settings.access_log.destination, "stdout");
    }

    #[test]
    fn every_setting() {
        let settings = compile(
            "listen: '[::]:80'\nadmin:\n  listen: 127.0.0.1:9090\nshutdown_timeout_ms: 0\ntrusted_proxies: [10.0.0.0/8, 127.0.0.1, '::1', 'fd00::/8']\naccess_log:\n  enabled: false\n  format: '$context.requestId $context.status'\n  destination: /var/log/gateway.log\napi:\n  id: a1b2c3d4e5\n  account_id: '012345678901'\n",
        )
        .unwrap();
        assert_eq!(settings.listen.to_string(), "[::]:80");
        assert_eq!(settings.admin_listen.unwrap().to_string(), "127.0.0.1:9090");
        assert_eq!(settings.shutdown_timeout, Duration::ZERO);
        let proxies: Vec<String> = settings
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            proxies,
            ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "fd00::/8"]
        );
        assert_eq!(
            settings.access_log,
            AccessLog {
                enabled: false,
                format: "$context.requestId $context.status".to_string(),
                destination: "/var/log/gateway.log".to_string(),
            }
        );
        assert_eq!(settings.api_id.as_deref(), Some("a1b2c3d4e5"));
        assert_eq!(settings.account_id.as_deref(), Some("012345678901"));
    }

    #[test]
    fn listen_addresses_are_ip_and_port() {
        assert_eq!(
            compile("listen: localhost:8080\n").unwrap_err(),
            [
                "1:9: listen: `localhost:8080` is not a listen address: expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8080 (host names are not resolved)"
            ]
        );
        assert_eq!(
            compile("admin: {listen: '9090'}\n").unwrap_err(),
            [
                "1:17: admin.listen: `9090` is not a listen address: expected IP:PORT, e.g. 127.0.0.1:8080 or [::]:8080 (host names are not resolved)"
            ]
        );
    }

    #[test]
    fn the_admin_listener_needs_its_own_address() {
        for (listen, admin) in [
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("127.0.0.1:8080", "'[::]:8080'"),
        ] {
            let errors =
                compile(&format!("listen: {listen}\nadmin:\n  listen: {admin}\n")).unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].starts_with("3:11: admin.listen: `")
                    && errors[0].contains(&format!(
                        "is also the API's address (`listen`: {listen}); the admin listener needs its own"
                    )),
                "{errors:?}"
            );
        }
        // The default `listen` counts too.
        assert_eq!(
            compile("admin: {listen: 127.0.0.1:8080}\n").unwrap_err(),
            [
                "1:17: admin.listen: `127.0.0.1:8080` is also the API's address (`listen`: 127.0.0.1:8080); the admin listener needs its own"
            ]
        );
        for (listen, admin) in [
            ("127.0.0.1:8080", "127.0.0.1:9090"),
            ("127.0.0.1:8080", "127.0.0.2:8080"),
            ("0.0.0.0:8080", "'[::1]:8080'"),
            ("127.0.0.1:0", "127.0.0.1:0"),
        ] {
            let settings = compile(&format!("listen: {listen}\nadmin:\n  listen: {admin}\n"));
            assert!(settings.is_ok(), "{listen} {admin}: {settings:?}");
        }
    }

    #[test]
    fn shutdown_timeout_is_bounded() {
        assert_eq!(
            compile("shutdown_timeout_ms: 3600000\n")
                .unwrap()
                .shutdown_timeout,
            Duration::from_secs(3600)
        );
        assert_eq!(
            compile("shutdown_timeout_ms: 3600001\n").unwrap_err(),
            ["1:22: shutdown_timeout_ms: must be between 0 and 3600000 milliseconds (one hour)"]
        );
    }

    #[test]
    fn trusted_proxies_are_blocks_or_addresses() {
        assert_eq!(
            compile("trusted_proxies:\n  - 10.0.0.0/8\n  - 10.0.0.0/33\n  - proxy.internal\n  - 10.1.2.3/8\n")
                .unwrap_err(),
            [
                "3:5: trusted_proxies.1: `10.0.0.0/33` is not a CIDR block or an IP address, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8",
                "4:5: trusted_proxies.2: `proxy.internal` is not a CIDR block or an IP address, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8",
                "5:5: trusted_proxies.3: `10.1.2.3/8` has address bits set past its /8 prefix: write `10.0.0.0/8` for the block, or the address alone",
            ]
        );
    }

    #[test]
    fn access_log_strings_are_not_empty() {
        assert_eq!(
            compile("access_log:\n  format: ''\n  destination: ' '\n").unwrap_err(),
            [
                "2:11: access_log.format: must not be empty",
                "3:16: access_log.destination: must not be empty",
            ]
        );
    }

    #[test]
    fn api_identity() {
        assert_eq!(
            compile("api:\n  id: 'no spaces'\n  account_id: '12345'\n").unwrap_err(),
            [
                "2:7: api.id: an API ID is 1 to 64 letters, digits, `-` or `_`",
                "3:15: api.account_id: `12345` is not an AWS account ID: 12 digits",
            ]
        );
        assert!(compile(&format!("api: {{id: {}}}\n", "a".repeat(65))).is_err());
        assert!(compile(&format!("api: {{id: {}}}\n", "a".repeat(64))).is_ok());
        // An unquoted account ID is read as the digits written, leading
        // zeros included.
        assert_eq!(
            compile("api: {account_id: 012345678901}\n")
                .unwrap()
                .account_id
                .as_deref(),
            Some("012345678901")
        );
    }
}
