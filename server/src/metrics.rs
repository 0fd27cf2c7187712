//! Prometheus metrics (`prometheus-client`, OpenMetrics text): requests by route and status,
//! latency histograms by route, requests in flight, requests refused because the server was
//! busy, and each served index's generation and reloads.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

/// Labels of a finished request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: String,
}

/// The route label of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

/// The labels of a served index's reloads.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    index: String,
    /// `ok` or `failed`.
    outcome: String,
}

/// The label of a served index.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IndexLabel {
    index: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Counters kept by the server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    rejected: Counter,
    reloads: Family<ReloadLabels, Counter>,
    generation: Family<IndexLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let in_flight = Gauge::default();
        let rejected = Counter::default();
        let mut registry = Registry::with_prefix("verbatim");
        registry.register(
            "requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Request latency by route",
            latency.clone(),
        );
        registry.register(
            "in_flight",
            "Requests computing or waiting for a worker",
            in_flight.clone(),
        );
        registry.register(
            "rejected",
            "Requests refused because the server was busy",
            rejected.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "index_reloads",
            "Served indexes opened again after they changed on disk, by outcome",
            reloads.clone(),
        );
        let generation = Family::<IndexLabel, Gauge>::default();
        registry.register(
            "index_generation",
            "Generation (appends and compactions since the first build) of each served index",
            generation.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            rejected,
            reloads,
            generation,
        }
    }
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabel {
                route: route.to_string(),
            })
            .observe(seconds);
        if status == 503 || status == 429 {
            self.rejected.inc();
        }
    }

    /// Records a reload of `index` that served its new generation (`ok`) or failed.
    pub fn reloaded(&self, index: &str, ok: bool) {
        self.reloads
            .get_or_create(&ReloadLabels {
                index: index.to_string(),
                outcome: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }

    /// Records the generation of `index` being served.
    pub fn serving_generation(&self, index: &str, generation: u64) {
        self.generation
            .get_or_create(&IndexLabel {
                index: index.to_string(),
            })
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
    }

    /// Renders the OpenMetrics text exposition format, with `in_flight` requests now.
    pub fn render(&self, in_flight: usize) -> String {
        self.in_flight
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!("cannot render the metrics: {e}");
        }
        out
    }
}
