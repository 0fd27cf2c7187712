//! What every request handler shares.

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::response_cache::ResponseCache;
use std::sync::{Arc, OnceLock, RwLock};
use verbatim_core::sources::SourceStats;
use verbatim_core::Index;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Two indexes carry the same name.
    #[error("two indexes are named {0:?}; rebuild one with another --name")]
    DuplicateName(String),
    /// No index was given.
    #[error("no index to serve")]
    NoIndex,
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Shared server state.
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// Served indexes by name, in the order given.
    pub indexes: Vec<(String, Arc<Index>)>,
    /// Example outputs shown on the page (`{"examples": [...]}`).
    pub examples: serde_json::Value,
    pub(crate) gate: Gate,
    pub(crate) metrics: Metrics,
    pub(crate) cache: ResponseCache,
    /// Documents and tokens per source of each index, computed on first use.
    source_stats: Vec<OnceLock<Vec<SourceStats>>>,
    /// The integrity check of each index.
    verification: Vec<RwLock<Verification>>,
}

/// Where the integrity check (every checksum) of a served index stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verification {
    /// Checked when the index was opened, before serving.
    AtStart,
    /// Not checked (`--verify off`).
    Skipped,
    /// Being checked in the background; answers are served meanwhile.
    Running,
    /// Checked in the background and found intact.
    Passed {
        /// How long the check took.
        seconds: f64,
    },
    /// Checked in the background and found damaged: the index answers 503 from then on.
    Failed {
        /// What is wrong.
        error: String,
    },
}

impl AppState {
    /// State serving `indexes` (names must be unique).
    pub fn new(
        config: ServerConfig,
        indexes: Vec<Arc<Index>>,
        examples: Option<serde_json::Value>,
    ) -> Result<AppState, StartError> {
        let mut named: Vec<(String, Arc<Index>)> = Vec::new();
        for ix in indexes {
            let name = ix.manifest().name.clone();
            if named.iter().any(|(n, _)| *n == name) {
                return Err(StartError::DuplicateName(name));
            }
            named.push((name, ix));
        }
        if named.is_empty() {
            return Err(StartError::NoIndex);
        }
        let examples = match examples {
            Some(serde_json::Value::Array(a)) => serde_json::json!({ "examples": a }),
            Some(v @ serde_json::Value::Object(_)) => v,
            _ => serde_json::json!({ "examples": [] }),
        };
        Ok(AppState {
            gate: Gate::new(config.workers, config.queue, config.deadline),
            metrics: Metrics::default(),
            cache: ResponseCache::new(config.cache_entries),
            source_stats: named.iter().map(|_| OnceLock::new()).collect(),
            verification: named
                .iter()
                .map(|_| RwLock::new(Verification::AtStart))
                .collect(),
            config,
            indexes: named,
            examples,
        })
    }

    /// The index named `name`, or the first one.
    pub fn index(&self, name: Option<&str>) -> Result<Arc<Index>, ApiError> {
        let k = match name {
            None | Some("") => 0,
            Some(n) => self
                .indexes
                .iter()
                .position(|(k, _)| k == n)
                .ok_or_else(|| ApiError::NotFound(format!("no index named {n:?}")))?,
        };
        if let Verification::Failed { error } = self.verification(k) {
            return Err(ApiError::IndexUnavailable(format!(
                "index {:?} failed its integrity check while serving and answers nothing: {error}. Restore it from a copy or rebuild it, then restart the server",
                self.indexes[k].0
            )));
        }
        Ok(self.indexes[k].1.clone())
    }

    /// The integrity check of the `k`-th index.
    pub fn verification(&self, k: usize) -> Verification {
        self.verification[k]
            .read()
            .map(|v| v.clone())
            .unwrap_or(Verification::Running)
    }

    /// Records that the indexes were opened without their checksums checked.
    pub fn mark_unverified(&self) {
        for v in &self.verification {
            if let Ok(mut v) = v.write() {
                *v = Verification::Skipped;
            }
        }
    }

    /// Checks every index's checksums on one background thread while serving;
    /// an index found damaged answers 503 from then on, and `/health` says so.
    pub fn verify_in_background(self: &Arc<Self>) {
        for v in &self.verification {
            if let Ok(mut v) = v.write() {
                *v = Verification::Running;
            }
        }
        let state = self.clone();
        let spawned = std::thread::Builder::new()
            .name("verbatim-verify".into())
            .spawn(move || {
                for (k, (name, index)) in state.indexes.iter().enumerate() {
                    let t = std::time::Instant::now();
                    let outcome = match index.verify_checksums() {
                        Ok(()) => {
                            tracing::info!(index = %name, seconds = t.elapsed().as_secs_f64(), "background check passed");
                            Verification::Passed {
                                seconds: t.elapsed().as_secs_f64(),
                            }
                        }
                        Err(e) => {
                            tracing::error!(index = %name, "background check failed: {e}");
                            Verification::Failed {
                                error: e.to_string(),
                            }
                        }
                    };
                    if let Ok(mut v) = state.verification[k].write() {
                        *v = outcome;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the background check: {e}");
        }
    }

    /// Documents and tokens per source of the `i`-th index (read once; an unreadable table
    /// is logged and shown as no rows).
    pub fn source_stats(&self, i: usize) -> Vec<SourceStats> {
        self.source_stats[i]
            .get_or_init(|| {
                let ix = &self.indexes[i].1;
                verbatim_core::sources::source_stats(ix).unwrap_or_else(|e| {
                    tracing::error!("cannot read the sources of {}: {e}", ix.dir().display());
                    Vec::new()
                })
            })
            .clone()
    }

    /// Checks a text against the size limit and emptiness. Only the empty string is empty: a
    /// text of whitespace is a valid n-gram (`"\n\n"` occurs in most corpora).
    pub fn check_text(&self, field: &str, text: &str) -> Result<(), ApiError> {
        if text.len() > self.config.max_text_bytes {
            return Err(ApiError::TooLarge(format!(
                "{field} is {} bytes; the limit is {}",
                text.len(),
                self.config.max_text_bytes
            )));
        }
        if text.is_empty() {
            return Err(ApiError::Unprocessable(format!("{field} is empty")));
        }
        Ok(())
    }

    /// Re-reads takedown lists that changed on disk. Cached answers that show documents are
    /// keyed by [`Index::takedown_generation`], so a reload makes them unreachable.
    pub fn refresh_takedowns(&self) {
        for (_, ix) in &self.indexes {
            if let Err(e) = ix.refresh_takedown() {
                tracing::error!(
                    "cannot reload the takedown list of {}: {e}",
                    ix.dir().display()
                );
            }
        }
    }
}
