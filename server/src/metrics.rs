//! Prometheus metrics: requests by route and status, latency histograms, in-flight, rejected.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Latency bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters kept by the server.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// Renders the Prometheus text exposition format.
    pub fn render(&self, in_flight: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP verbatim_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE verbatim_requests_total counter");
        let mut rejected = 0;
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                if *status == 503 || *status == 429 {
                    rejected += n;
                }
                let _ = writeln!(
                    out,
                    "verbatim_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP verbatim_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(out, "# TYPE verbatim_request_duration_seconds histogram");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "verbatim_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                        h.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "verbatim_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "verbatim_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "verbatim_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP verbatim_in_flight Requests computing or waiting for a worker."
        );
        let _ = writeln!(out, "# TYPE verbatim_in_flight gauge");
        let _ = writeln!(out, "verbatim_in_flight {in_flight}");
        let _ = writeln!(
            out,
            "# HELP verbatim_rejected_total Requests refused because the server was busy."
        );
        let _ = writeln!(out, "# TYPE verbatim_rejected_total counter");
        let _ = writeln!(out, "verbatim_rejected_total {rejected}");
        out
    }
}
