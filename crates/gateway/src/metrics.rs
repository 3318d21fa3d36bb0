//! The process's metrics, served in the Prometheus (OpenMetrics) text format
//! on the admin listener's `/metrics`.
//!
//! Labels are bounded: `resource` is the route's template
//! (`/streams/{stream-name}/record`), never the raw path; `method` is one of
//! the standard HTTP methods or `OTHER`; `type` is a gateway response type.
//! One [`Metrics`] lives for the whole process, so counters survive reloads.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `resource` label of requests that matched no route.
pub const UNMATCHED: &str = "(unmatched)";

/// Histogram buckets in seconds: 0.5 ms to 30 s, covering a local answer up
/// to API Gateway's 29 s integration timeout.
const BUCKETS: [f64; 15] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    resource: Arc<String>,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    resource: Arc<String>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: Arc<String>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    r#type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabels {
    policy: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkerLabels {
    worker: u32,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Every metric the gateway exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<RouteLabels>,
    integration_duration: HistogramFamily<ServiceLabels>,
    errors: Family<TypeLabels, Counter>,
    inflight: Gauge,
    connections: Gauge,
    reloads: Family<ResultLabels, Counter>,
    access_log_dropped: Counter,
    connections_refused: Family<ReasonLabels, Counter>,
    worker_requests: Family<WorkerLabels, Counter>,
    throttled: Family<ScopeLabels, Counter>,
    quota_exceeded: Counter,
    redis_errors: Family<PolicyLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "gateway_requests",
            "Requests answered, by method, resource template and status",
            requests.clone(),
        );
        let request_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(histogram);
        registry.register(
            "gateway_request_duration_seconds",
            "Time from the request head to the response, by method and resource template",
            request_duration.clone(),
        );
        let integration_duration: HistogramFamily<ServiceLabels> =
            Family::new_with_constructor(histogram);
        registry.register(
            "gateway_integration_duration_seconds",
            "Time spent in integration calls (signing, sending, reading the answer), by service",
            integration_duration.clone(),
        );
        let errors = Family::<TypeLabels, Counter>::default();
        registry.register(
            "gateway_errors",
            "Gateway responses sent, by gateway response type",
            errors.clone(),
        );
        let inflight = Gauge::default();
        registry.register(
            "gateway_inflight_requests",
            "Requests being served",
            inflight.clone(),
        );
        let connections = Gauge::default();
        registry.register(
            "gateway_open_connections",
            "Client connections open",
            connections.clone(),
        );
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "gateway_config_reloads",
            "Configuration reloads, by result (ok or error)",
            reloads.clone(),
        );
        let access_log_dropped = Counter::default();
        registry.register(
            "gateway_access_log_dropped",
            "Access-log lines dropped because the destination could not keep up",
            access_log_dropped.clone(),
        );
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "gateway_connections_refused",
            "Connections that could not be accepted, by reason",
            connections_refused.clone(),
        );
        let worker_requests = Family::<WorkerLabels, Counter>::default();
        registry.register(
            "gateway_worker_requests",
            "Requests received, by worker thread: how evenly connections are spread",
            worker_requests.clone(),
        );
        let throttled = Family::<ScopeLabels, Counter>::default();
        registry.register(
            "gateway_throttled_requests",
            "Requests refused with 429 THROTTLED, by the throttle that refused them (plan_method, plan or method)",
            throttled.clone(),
        );
        let quota_exceeded = Counter::default();
        registry.register(
            "gateway_quota_exceeded_requests",
            "Requests refused with 429 QUOTA_EXCEEDED",
            quota_exceeded.clone(),
        );
        let redis_errors = Family::<PolicyLabels, Counter>::default();
        registry.register(
            "gateway_redis_errors",
            "Requests whose throttles and quota Redis did not answer for, by the policy applied (allow or deny)",
            redis_errors.clone(),
        );
        Self {
            registry,
            throttled,
            quota_exceeded,
            redis_errors,
            requests,
            request_duration,
            integration_duration,
            errors,
            inflight,
            connections,
            reloads,
            access_log_dropped,
            connections_refused,
            worker_requests,
        }
    }

    /// The request counter of worker `index`, taken once per worker so that
    /// counting costs one atomic add per request.
    pub fn worker(&self, index: usize) -> Counter {
        let worker = u32::try_from(index).unwrap_or(u32::MAX);
        self.worker_requests
            .get_or_create_owned(&WorkerLabels { worker })
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// The handles of one route, looked up once when the route is compiled.
    pub fn route(&self, method: &str, resource: &str) -> RouteMetrics {
        let labels = RouteLabels {
            method: method_label(method),
            resource: Arc::new(resource.to_string()),
        };
        RouteMetrics {
            duration: self.request_duration.get_or_create_owned(&labels),
            labels,
        }
    }

    /// The integration-duration histogram of a service.
    pub fn integration(&self, service: &str) -> Histogram {
        self.integration_duration
            .get_or_create_owned(&ServiceLabels {
                service: Arc::new(service.to_string()),
            })
    }

    /// Counts one answered request. `route` is `None` for a request that
    /// matched no route.
    pub fn request(
        &self,
        route: Option<&RouteMetrics>,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let labels = match route {
            Some(route) => {
                route.duration.observe(elapsed.as_secs_f64());
                RequestLabels {
                    method: route.labels.method,
                    resource: route.labels.resource.clone(),
                    status,
                }
            }
            None => RequestLabels {
                method: method_label(method),
                resource: unmatched(),
                status,
            },
        };
        self.requests.get_or_create(&labels).inc();
    }

    /// Counts one gateway response of `kind` (`INTEGRATION_FAILURE`, ...).
    pub fn error(&self, kind: &'static str) {
        self.errors
            .get_or_create(&TypeLabels { r#type: kind })
            .inc();
    }

    /// Counts one reload attempt.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts access-log lines that were dropped.
    pub fn access_log_dropped(&self) {
        self.access_log_dropped.inc();
    }

    /// Counts a connection refused for `reason` (`accept_failed`, ...).
    pub fn connection_refused(&self, reason: &'static str) {
        self.connections_refused
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Counts a request a throttle or quota refused, or whose limits Redis
    /// did not answer for.
    pub fn limit(&self, event: crate::pipeline::LimitEvent) {
        use crate::pipeline::LimitEvent;
        match event {
            LimitEvent::Throttled(scope) => self
                .throttled
                .get_or_create(&ScopeLabels {
                    scope: scope.name(),
                })
                .inc(),
            LimitEvent::QuotaExceeded => self.quota_exceeded.inc(),
            LimitEvent::StoreFailed(policy) => self
                .redis_errors
                .get_or_create(&PolicyLabels {
                    policy: match policy {
                        crate::config::OnRedisError::Allow => "allow",
                        crate::config::OnRedisError::Deny => "deny",
                    },
                })
                .inc(),
        };
    }

    /// Marks one request in flight until the guard is dropped.
    pub fn inflight(&self) -> InflightGuard {
        self.inflight.inc();
        InflightGuard(self.inflight.clone())
    }

    /// Marks one client connection open until the guard is dropped.
    pub fn connection(&self) -> InflightGuard {
        self.connections.inc();
        InflightGuard(self.connections.clone())
    }
}

/// Decrements its gauge when dropped.
#[derive(Debug)]
pub struct InflightGuard(Gauge);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The per-route handles: compiled once, so a request does no label lookup
/// for its duration.
#[derive(Debug, Clone)]
pub struct RouteMetrics {
    labels: RouteLabels,
    duration: Histogram,
}

fn unmatched() -> Arc<String> {
    static UNMATCHED_LABEL: std::sync::OnceLock<Arc<String>> = std::sync::OnceLock::new();
    UNMATCHED_LABEL
        .get_or_init(|| Arc::new(UNMATCHED.to_string()))
        .clone()
}

/// The `method` label: a standard method, or `OTHER`, so that a client cannot
/// grow the label set with invented methods.
fn method_label(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    if method == "ANY" {
        return "ANY";
    }
    STANDARD
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[test]
    fn counts_by_route_template_and_bounds_labels() {
        let metrics = Metrics::new();
        let route = metrics.route("PUT", "/streams/{stream-name}/record");
        metrics.request(Some(&route), "PUT", 200, Duration::from_millis(3));
        metrics.request(Some(&route), "PUT", 200, Duration::from_millis(4));
        metrics.request(None, "BREW", 404, Duration::from_millis(1));
        metrics.error("RESOURCE_NOT_FOUND");
        let text = metrics.encode();
        assert_eq!(
            line(
                &text,
                r#"gateway_requests_total{method="PUT",resource="/streams/{stream-name}/record",status="200"}"#
            ),
            Some(
                r#"gateway_requests_total{method="PUT",resource="/streams/{stream-name}/record",status="200"} 2"#
            )
        );
        assert_eq!(
            line(&text, r#"gateway_requests_total{method="OTHER""#),
            Some(r#"gateway_requests_total{method="OTHER",resource="(unmatched)",status="404"} 1"#)
        );
        assert_eq!(
            line(
                &text,
                r#"gateway_request_duration_seconds_count{method="PUT",resource="/streams/{stream-name}/record"}"#
            ),
            Some(
                r#"gateway_request_duration_seconds_count{method="PUT",resource="/streams/{stream-name}/record"} 2"#
            )
        );
        assert_eq!(
            line(
                &text,
                r#"gateway_request_duration_seconds_bucket{le="0.005""#
            ),
            Some(
                r#"gateway_request_duration_seconds_bucket{le="0.005",method="PUT",resource="/streams/{stream-name}/record"} 2"#
            )
        );
        assert!(
            text.contains(r#"gateway_errors_total{type="RESOURCE_NOT_FOUND"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn inflight_gauge_follows_guards() {
        let metrics = Metrics::new();
        let a = metrics.inflight();
        let b = metrics.inflight();
        assert!(metrics.encode().contains("gateway_inflight_requests 2"));
        drop(a);
        drop(b);
        assert!(metrics.encode().contains("gateway_inflight_requests 0"));
    }
}
