//! The service's metrics, kept by the maintained `prometheus-client` crate and scraped at
//! `GET /metrics` in the OpenMetrics text format (which Prometheus reads). The scrape is not
//! public: it needs the `--metrics-token` (without one configured the route answers 404).
//!
//! One process-wide set, like any metrics registry: the request middleware, the intake and
//! audit writers, the index reloads and supervision count into it; the levels (queues, pool,
//! subscribers, requests in flight) are read when scraped.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The media type of a scrape.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A request's labels: its method, route pattern (never the path's values) and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `GET`, `POST`, …
    pub method: String,
    /// The route pattern (`/api/v1/events/{id}`).
    pub route: String,
    /// The answer's status code.
    pub status: u16,
}

/// A route's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// `GET`, `POST`, …
    pub method: String,
    /// The route pattern.
    pub route: String,
}

/// Database connections by state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `idle` or `busy`.
    pub state: &'static str,
}

type HistogramMaker = fn() -> Histogram;

fn seconds() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn sizes() -> Histogram {
    // 1 to 2048 (the intake's largest batch).
    Histogram::new(exponential_buckets(1.0, 2.0, 12))
}

/// Every metric of the service.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// How long requests took, by route.
    pub request_seconds: Family<RouteLabels, Histogram, HistogramMaker>,
    /// Requests being served now.
    pub in_flight: Gauge,
    /// Heavy reads (figures, maps, assessment tables) being computed now.
    pub heavy_in_use: Gauge,
    /// Reports waiting for the intake writer.
    pub intake_queue: Gauge,
    /// Reports per group commit.
    pub intake_batch: Histogram,
    /// How long a group commit of reports took.
    pub intake_commit_seconds: Histogram,
    /// Audit rows waiting for the audit writer (its lag).
    pub audit_queue: Gauge,
    /// Audit rows sealed per transaction.
    pub audit_batch: Histogram,
    /// How long sealing a batch of audit rows took.
    pub audit_commit_seconds: Histogram,
    /// Points located (single and bulk lookups, and every report placed).
    pub index_lookups: Counter,
    /// Reloads of the grid index and catalog (publications, changes from the database).
    pub index_reloads: Counter,
    /// How long a reload took.
    pub index_reload_seconds: Histogram,
    /// Grids in the index.
    pub grids: Gauge,
    /// Database connections, idle and busy.
    pub pool: Family<PoolLabels, Gauge>,
    /// Live-queue subscribers.
    pub subscribers: Gauge,
    /// Supervision runs (督办), and those that failed.
    pub supervision_runs: Counter,
    /// Supervision runs that failed.
    pub supervision_failures: Counter,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("wangge");
        let m = Self {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(seconds),
            in_flight: Gauge::default(),
            heavy_in_use: Gauge::default(),
            intake_queue: Gauge::default(),
            intake_batch: sizes(),
            intake_commit_seconds: seconds(),
            audit_queue: Gauge::default(),
            audit_batch: sizes(),
            audit_commit_seconds: seconds(),
            index_lookups: Counter::default(),
            index_reloads: Counter::default(),
            index_reload_seconds: seconds(),
            grids: Gauge::default(),
            pool: Family::default(),
            subscribers: Gauge::default(),
            supervision_runs: Counter::default(),
            supervision_failures: Counter::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("http_requests", "HTTP requests answered, by method, route pattern and status", m.requests.clone());
        r.register("http_request_duration_seconds", "HTTP request latency by method and route pattern", m.request_seconds.clone());
        r.register("http_in_flight", "HTTP requests being served", m.in_flight.clone());
        r.register("heavy_reads_in_use", "heavy reads (figures, maps, assessment) being computed", m.heavy_in_use.clone());
        r.register("intake_queue_depth", "reports waiting for the intake writer", m.intake_queue.clone());
        r.register("intake_batch_size", "reports per group commit", m.intake_batch.clone());
        r.register("intake_commit_duration_seconds", "duration of a group commit of reports", m.intake_commit_seconds.clone());
        r.register("audit_queue_depth", "audit rows waiting for the audit writer (its lag)", m.audit_queue.clone());
        r.register("audit_batch_size", "audit rows sealed per transaction", m.audit_batch.clone());
        r.register("audit_commit_duration_seconds", "duration of sealing a batch of audit rows", m.audit_commit_seconds.clone());
        r.register("index_lookups", "points located in the grid index", m.index_lookups.clone());
        r.register("index_reloads", "reloads of the grid index and catalog", m.index_reloads.clone());
        r.register("index_reload_duration_seconds", "duration of a reload of the grid index", m.index_reload_seconds.clone());
        r.register("grids", "grids in the index", m.grids.clone());
        r.register("db_pool_connections", "database connections by state", m.pool.clone());
        r.register("live_queue_subscribers", "live-queue (server-sent events) subscribers", m.subscribers.clone());
        r.register("supervision_runs", "supervision (督办) runs", m.supervision_runs.clone());
        r.register("supervision_failures", "supervision runs that failed", m.supervision_failures.clone());
        Self { registry, ..m }
    }

    /// The scrape: every metric in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    /// Counts a request answered.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.request_seconds.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(took.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// Sets the database pool's connections.
    pub fn set_pool(&self, size: usize, idle: usize) {
        self.pool.get_or_create(&PoolLabels { state: "idle" }).set(to_i64(idle));
        self.pool.get_or_create(&PoolLabels { state: "busy" }).set(to_i64(size.saturating_sub(idle)));
    }
}

/// A count as a gauge's value.
pub fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_holds_every_family_with_its_help() {
        METRICS.request("GET", "/api/v1/events/{id}", 200, Duration::from_millis(3));
        METRICS.set_pool(4, 3);
        let text = METRICS.encode().unwrap();
        assert!(text.contains("# HELP wangge_http_requests HTTP requests answered"), "{text}");
        assert!(text.contains(r#"wangge_http_requests_total{method="GET",route="/api/v1/events/{id}",status="200"}"#), "{text}");
        assert!(text.contains(r#"wangge_db_pool_connections{state="busy"} 1"#), "{text}");
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
