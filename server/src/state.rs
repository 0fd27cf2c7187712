//! What every request handler shares.

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::response_cache::ResponseCache;
use crate::select::{GroupSpec, IndexSelector};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
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
    /// Several indexes are served and one is named like the group of them all.
    #[error("an index is named \"all\", the name of the group of every served index; serve it alone, or rebuild it with another --name")]
    ReservedName,
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why (part of the message, not a separate `source`, so that error chains print it
        /// once; a field named `source` would be taken for one).
        error: std::io::Error,
    },
    /// A `--group` names an index that is not served, or its indexes cannot be grouped.
    #[error("--group {group}: {detail}")]
    Group {
        /// The group.
        group: String,
        /// What is wrong.
        detail: String,
    },
    /// The server stopped with an I/O error (part of the message, not a separate `source`:
    /// no `#[from]`, which would make it one, so that error chains print it once).
    #[error("the server failed: {0}")]
    Io(std::io::Error),
}

/// Shared server state.
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// Served indexes, in the order given; each is opened again when it changes on disk
    /// (see [`crate::reload`]).
    pub(crate) served: Vec<Served>,
    /// The groups given at start (`--group`), rebuilt from their members after a reload.
    group_specs: Vec<GroupSpec>,
    /// Groups named at start, then `all`, over the indexes being served.
    groups: RwLock<Groups>,
    /// Groups of listed indexes, built on first use (by served-index positions); emptied
    /// when a served index is replaced.
    pub(crate) listed: Mutex<HashMap<Vec<usize>, Arc<Index>>>,
    /// Example outputs shown on the page (`{"examples": [...]}`).
    pub examples: serde_json::Value,
    pub(crate) gate: Gate,
    pub(crate) metrics: Metrics,
    pub(crate) cache: ResponseCache,
    /// The integrity check of each index.
    pub(crate) verification: Vec<RwLock<Verification>>,
    /// Why each index's changed takedown list could not be read at the last reload (`None`:
    /// it reads). Such an index answers 503 until its list reads again.
    pub(crate) takedown_errors: Vec<RwLock<Option<String>>>,
    /// How a changed index is checked before it is served.
    pub(crate) reload: crate::reload::ReloadOptions,
    /// Held by a reload while it judges `auto` residency and swaps its new instance in.
    pub(crate) swapping: Mutex<()>,
}

/// One served index: its name, where it is, and the instance being served.
pub(crate) struct Served {
    /// The name queries give.
    pub(crate) name: String,
    /// The directory given at start, opened again when the index changes.
    pub(crate) dir: std::path::PathBuf,
    /// The manifest file whose replacement commits its next generation
    /// ([`Index::generation_file_for`], found once: a `stat` of it per request).
    pub(crate) generation_file: std::path::PathBuf,
    /// The instance being served, with what is computed from it.
    pub(crate) current: RwLock<Arc<Current>>,
    /// Whether and how its reloads went.
    pub(crate) watch: Mutex<crate::reload::Watch>,
}

/// An opened instance of a served index and what is computed from it once.
pub(crate) struct Current {
    pub(crate) index: Arc<Index>,
    /// Documents and tokens per source, computed on first use.
    source_stats: OnceLock<Vec<SourceStats>>,
}

impl Current {
    pub(crate) fn new(index: Arc<Index>) -> Arc<Current> {
        Arc::new(Current {
            index,
            source_stats: OnceLock::new(),
        })
    }
}

/// The groups being served.
#[derive(Default)]
pub(crate) struct Groups {
    /// `--group` groups, then `all` when every served index shares a tokenizer and there are
    /// several.
    list: Vec<(String, Arc<Index>)>,
    /// Why `all` cannot be queried, when the served indexes do not share a tokenizer.
    all_refused: Option<String>,
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
        let mut served: Vec<Served> = Vec::new();
        for ix in indexes {
            let name = ix.manifest().name.clone();
            if served.iter().any(|s| s.name == name) {
                return Err(StartError::DuplicateName(name));
            }
            served.push(Served {
                watch: Mutex::new(crate::reload::Watch::of(&ix)),
                dir: ix.dir().to_path_buf(),
                generation_file: Index::generation_file_for(ix.dir()),
                current: RwLock::new(Current::new(ix)),
                name,
            });
        }
        if served.is_empty() {
            return Err(StartError::NoIndex);
        }
        if served.len() > 1 && served.iter().any(|s| s.name == crate::select::ALL) {
            return Err(StartError::ReservedName);
        }
        let examples = match examples {
            Some(serde_json::Value::Array(a)) => serde_json::json!({ "examples": a }),
            Some(v @ serde_json::Value::Object(_)) => v,
            _ => serde_json::json!({ "examples": [] }),
        };
        let state = AppState {
            group_specs: Vec::new(),
            groups: RwLock::new(Groups::default()),
            listed: Mutex::new(HashMap::new()),
            gate: Gate::new(config.workers, config.queue, config.deadline),
            metrics: Metrics::default(),
            cache: ResponseCache::new(config.cache_entries),
            verification: served
                .iter()
                .map(|_| RwLock::new(Verification::AtStart))
                .collect(),
            takedown_errors: served.iter().map(|_| RwLock::new(None)).collect(),
            reload: crate::reload::ReloadOptions::default(),
            swapping: Mutex::new(()),
            config,
            served,
            examples,
        };
        state.build_groups()?;
        for (name, ix) in state.indexes() {
            state
                .metrics
                .serving_generation(&name, ix.manifest().generation);
        }
        Ok(state)
    }

    /// Adds the groups given at start (`--group`); each member must be a served index, and a
    /// group's indexes must share a tokenizer.
    pub fn with_groups(mut self, specs: &[GroupSpec]) -> Result<AppState, StartError> {
        for spec in specs {
            if self.served.iter().any(|s| s.name == spec.name)
                || self.group_specs.iter().any(|g| g.name == spec.name)
                || spec.name == crate::select::ALL
            {
                return Err(StartError::Group {
                    group: spec.name.clone(),
                    detail: format!(
                        "{:?} is already the name of a served index or group",
                        spec.name
                    ),
                });
            }
            self.group_specs.push(spec.clone());
        }
        self.build_groups()?;
        Ok(self)
    }

    /// How an index that changed on disk is checked before it is served (default: opened
    /// without hashing its files, not warmed).
    pub fn with_reload(mut self, options: crate::reload::ReloadOptions) -> AppState {
        self.reload = options;
        self
    }

    /// Builds the groups (`--group` ones, then `all`) over the indexes being served.
    pub(crate) fn build_groups(&self) -> Result<(), StartError> {
        self.set_groups(self.groups_over(&self.indexes())?);
        Ok(())
    }

    /// The groups (`--group` ones, then `all`) over `indexes` (served names and instances):
    /// an error when a `--group` cannot be made (a member missing, or its indexes no longer
    /// share a tokenizer); `all` that cannot be made is refused when queried instead.
    pub(crate) fn groups_over(
        &self,
        indexes: &[(String, Arc<Index>)],
    ) -> Result<Groups, StartError> {
        let mut groups = Groups::default();
        for spec in &self.group_specs {
            let err = |detail: String| StartError::Group {
                group: spec.name.clone(),
                detail,
            };
            let members = spec
                .members
                .iter()
                .map(|(name, label)| {
                    indexes
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, ix)| (ix.clone(), label.clone()))
                        .ok_or_else(|| err(format!("no served index is named {name:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let g = Index::group(&spec.name, members).map_err(|e| err(e.to_string()))?;
            groups.list.push((spec.name.clone(), Arc::new(g)));
        }
        if indexes.len() > 1 {
            let members = indexes
                .iter()
                .map(|(n, ix)| (ix.clone(), n.clone()))
                .collect();
            match Index::group(crate::select::ALL, members) {
                Ok(g) => groups
                    .list
                    .push((crate::select::ALL.to_string(), Arc::new(g))),
                Err(e) => groups.all_refused = Some(e.to_string()),
            }
        }
        Ok(groups)
    }

    /// Serves `groups` (made by [`AppState::groups_over`]) from now on.
    pub(crate) fn set_groups(&self, groups: Groups) {
        *self
            .groups
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = groups;
    }

    /// The served indexes by name, in the order given: the instances being served now.
    pub fn indexes(&self) -> Vec<(String, Arc<Index>)> {
        self.served
            .iter()
            .map(|s| (s.name.clone(), self.current(s).index.clone()))
            .collect()
    }

    /// The groups being served (`--group` ones, then `all`), over the instances being served.
    pub fn groups(&self) -> Vec<(String, Arc<Index>)> {
        self.groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .list
            .clone()
    }

    /// The instance of `served` being served.
    pub(crate) fn current(&self, served: &Served) -> Arc<Current> {
        served
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The index or group a query asks for (`None`: the first served index). A group
    /// answers 503 when one of its members failed its integrity check.
    pub fn target(&self, sel: Option<&IndexSelector>) -> Result<Arc<Index>, ApiError> {
        let name = match sel {
            None => return self.index(None),
            Some(IndexSelector::Name(n)) => n,
            Some(IndexSelector::List(list)) => return self.listed_group(list),
        };
        if self.served.iter().any(|s| s.name == *name) {
            return self.index(Some(name));
        }
        if let Some((_, g)) = self.groups().into_iter().find(|(n, _)| n == name) {
            self.check_members(&g)?;
            return Ok(g);
        }
        if name == crate::select::ALL {
            let refused = self
                .groups
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .all_refused
                .clone();
            if let Some(why) = refused {
                return Err(ApiError::Unprocessable(format!(
                    "\"all\" (every served index as one) cannot be used here: {why}"
                )));
            }
            return self.index(None);
        }
        Err(ApiError::NotFound(format!(
            "no index or group named {name:?}; served: {}",
            self.names().join(", ")
        )))
    }

    /// Every name a query may give: indexes, then groups.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.served.iter().map(|s| s.name.clone()).collect();
        v.extend(self.groups().into_iter().map(|(n, _)| n));
        v
    }

    /// A group answers only when every member does (integrity check, takedown list). The
    /// takedown list of each member instance the group holds is re-read too (the instance
    /// served under its name, but for the moment a reload swaps one in and the group over it
    /// is rebuilt).
    fn check_members(&self, g: &Index) -> Result<(), ApiError> {
        for m in g.members() {
            if self.served.iter().any(|s| s.name == m.name()) {
                // Re-reads the served instance's list; the group's own needs no second read
                // when it is that instance.
                let served = self.index(Some(m.name()))?;
                if served.instance() == m.index().instance() {
                    continue;
                }
            }
            m.index().refresh_takedown().map_err(|e| {
                ApiError::IndexUnavailable(format!(
                    "the takedown list of index {:?} changed and cannot be read, so the group answers nothing until it can: {e}",
                    m.name()
                ))
            })?;
        }
        Ok(())
    }

    /// A group of the listed served indexes, in the order listed (one name: that index).
    fn listed_group(&self, list: &[String]) -> Result<Arc<Index>, ApiError> {
        IndexSelector::List(list.to_vec()).check()?;
        let positions = list
            .iter()
            .map(|name| {
                self.served
                    .iter()
                    .position(|s| s.name == *name)
                    .ok_or_else(|| {
                        ApiError::NotFound(format!(
                            "no index named {name:?} (a list names served indexes: {})",
                            self.served
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })
            })
            .collect::<Result<Vec<usize>, _>>()?;
        if positions.len() == 1 {
            return self.index(Some(&list[0]));
        }
        let members = positions
            .iter()
            .map(|&k| {
                self.index(Some(&self.served[k].name))
                    .map(|ix| (ix, self.served[k].name.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut cache = self
            .listed
            .lock()
            .map_err(|_| ApiError::Internal("listed-group cache poisoned".into()))?;
        // A group built before one of its members was replaced is not reused.
        if let Some(g) = cache.get(&positions).filter(|g| {
            g.members()
                .iter()
                .zip(&members)
                .all(|(m, (ix, _))| m.index().instance() == ix.instance())
        }) {
            return Ok(g.clone());
        }
        let g = Index::group(&list.join("+"), members).map_err(|e| match e {
            verbatim_core::group::GroupError::Duplicate { .. } => {
                ApiError::BadRequest(format!("index: {e}"))
            }
            e => ApiError::Unprocessable(e.to_string()),
        })?;
        let g = Arc::new(g);
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.insert(positions, g.clone());
        Ok(g)
    }

    /// The cache-key parts of answers from `index`: its build id, the instance (see
    /// [`Index::instance`]) and the takedown generation of it or of each of its members.
    pub fn cache_identity(index: &Index) -> Vec<u8> {
        let mut v = index.manifest().build_id.as_bytes().to_vec();
        if index.members().is_empty() {
            v.extend_from_slice(&index.instance().to_le_bytes());
            v.extend_from_slice(&index.takedown_generation().to_le_bytes());
        }
        for m in index.members() {
            v.extend_from_slice(m.index().manifest().build_id.as_bytes());
            v.extend_from_slice(&m.index().instance().to_le_bytes());
            v.extend_from_slice(&m.index().takedown_generation().to_le_bytes());
        }
        v
    }

    /// The index named `name`, or the first one.
    pub fn index(&self, name: Option<&str>) -> Result<Arc<Index>, ApiError> {
        let k = match name {
            None => 0,
            Some(n) => self
                .served
                .iter()
                .position(|s| s.name == n)
                .ok_or_else(|| {
                    if self.groups().iter().any(|(g, _)| g == n) {
                        ApiError::NotFound(format!(
                            "{n:?} is a group: this endpoint answers for one index at a time (ask one of its members)"
                        ))
                    } else {
                        ApiError::NotFound(format!("no index named {n:?}"))
                    }
                })?,
        };
        if let Some(why) = self.broken(k) {
            return Err(ApiError::IndexUnavailable(why));
        }
        // The list is re-read here, as the instance is taken, not when the request came in:
        // a takedown that finished while the request's body arrived applies to its answer.
        let index = self.current(&self.served[k]).index.clone();
        self.refresh_takedown(k, &index);
        if let Some(why) = self.takedown_unreadable(k) {
            return Err(ApiError::IndexUnavailable(why));
        }
        Ok(index)
    }

    /// Why the `k`-th index answers nothing, if it does not: it was rebuilt on disk as an
    /// index this server cannot serve, failed its integrity check, or has a changed takedown
    /// list that cannot be read (each query on it is refused with the same reason).
    pub fn unavailable(&self, k: usize) -> Option<String> {
        self.broken(k).or_else(|| self.takedown_unreadable(k))
    }

    /// Why the `k`-th index answers nothing whatever its takedown list: replaced on disk by
    /// an index this server cannot serve, or failed its integrity check.
    fn broken(&self, k: usize) -> Option<String> {
        if let Some(error) = self.replaced_error(k) {
            return Some(error);
        }
        match self.verification(k) {
            Verification::Failed { error } => {
                Some(failed_check_message(&self.served[k].name, &error))
            }
            _ => None,
        }
    }

    /// Why the `k`-th index answers nothing while its changed takedown list cannot be read.
    fn takedown_unreadable(&self, k: usize) -> Option<String> {
        self.takedown_error(k).map(|error| {
            format!(
                "the takedown list of index {:?} changed and cannot be read, so the index answers nothing until it can: {error}",
                self.served[k].name
            )
        })
    }

    /// Why the `k`-th index's changed takedown list cannot be read, if it cannot.
    pub fn takedown_error(&self, k: usize) -> Option<String> {
        self.takedown_errors[k]
            .read()
            .map(|e| e.clone())
            .unwrap_or_else(|_| Some("the takedown state lock is poisoned".into()))
    }

    /// The integrity check of the `k`-th index.
    pub fn verification(&self, k: usize) -> Verification {
        self.verification[k]
            .read()
            .map(|v| v.clone())
            .unwrap_or(Verification::Running)
    }

    /// Records the integrity check of the `k`-th index.
    pub(crate) fn set_verification(&self, k: usize, v: Verification) {
        if let Ok(mut slot) = self.verification[k].write() {
            *slot = v;
        }
    }

    /// Records that the indexes were opened without their checksums checked.
    pub fn mark_unverified(&self) {
        for k in 0..self.served.len() {
            self.set_verification(k, Verification::Skipped);
        }
    }

    /// Checks every index's checksums on one background thread while serving (not on the
    /// query pool, whose threads queries would otherwise wait for); an index found damaged
    /// answers 503 from then on, and `/health` says so.
    pub fn verify_in_background(self: &Arc<Self>) {
        for k in 0..self.served.len() {
            self.set_verification(k, Verification::Running);
        }
        let state = self.clone();
        let spawned = std::thread::Builder::new()
            .name("verbatim-verify".into())
            .spawn(move || {
                for (k, (name, index)) in state.indexes().iter().enumerate() {
                    let t = std::time::Instant::now();
                    let checked =
                        crate::reload::off_the_query_pool(|| index.verify_checksums());
                    let outcome = match checked {
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
                    // A reload that replaced the index meanwhile checked (or skipped) the
                    // new one itself.
                    if state.current(&state.served[k]).index.instance() == index.instance() {
                        state.set_verification(k, outcome);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the background check: {e}");
        }
    }

    /// Each served index's instance being served, with its documents and tokens per source
    /// (read once per instance; an unreadable table is logged and shown as no rows): both
    /// from the same instance, whatever a reload swaps in meanwhile.
    pub fn indexes_with_sources(&self) -> Vec<(Arc<Index>, Vec<SourceStats>)> {
        self.served
            .iter()
            .map(|s| {
                let current = self.current(s);
                let stats = current
                    .source_stats
                    .get_or_init(|| {
                        let ix = &current.index;
                        verbatim_core::sources::source_stats(ix).unwrap_or_else(|e| {
                            tracing::error!(
                                "cannot read the sources of {}: {e}",
                                ix.dir().display()
                            );
                            Vec::new()
                        })
                    })
                    .clone();
                (current.index.clone(), stats)
            })
            .collect()
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
    ///
    /// A changed list that cannot be read fails closed for its index: it answers 503 saying
    /// what to do (through [`AppState::index`] and [`AppState::target`], groups with it
    /// included) and `/health` reports it, until the file reads again (every request
    /// retries), rather than showing documents by the list loaded before. Other indexes go on
    /// answering.
    pub fn refresh_takedowns(&self) {
        for (k, served) in self.served.iter().enumerate() {
            self.refresh_takedown(k, &self.current(served).index);
        }
    }

    /// Re-reads the takedown list of `index`, an instance of the `k`-th served index, if it
    /// changed on disk, and records whether it reads.
    fn refresh_takedown(&self, k: usize, index: &Index) {
        let outcome = index.refresh_takedown().err().map(|e| {
            tracing::error!(
                "cannot reload the takedown list of {}: {e}",
                index.takedown_dir().display()
            );
            e.to_string()
        });
        self.set_takedown_error(k, outcome);
    }

    /// Records whether the `k`-th index's takedown list reads.
    pub(crate) fn set_takedown_error(&self, k: usize, outcome: Option<String>) {
        // Written only when it changes: every API request passes here, and a write lock
        // per index per request would serialise them.
        if self.takedown_error(k) != outcome {
            if let Ok(mut slot) = self.takedown_errors[k].write() {
                *slot = outcome;
            }
        }
    }
}

/// What a request to an index that failed its background check is told; `error` is what the
/// check found, which may end a sentence of its own (`… with `verbatim index`.`).
fn failed_check_message(name: &str, error: &str) -> String {
    format!(
        "index {name:?} failed its integrity check while serving and answers nothing: {}. Rebuild it (the server opens and checks the new index without a restart), or restore it from a copy and restart the server",
        error.trim_end_matches('.')
    )
}

#[cfg(test)]
mod tests {
    use super::{failed_check_message, StartError};
    use std::error::Error as _;

    /// Each cause is printed once: the message holds it, so it is not a `source` too (which
    /// the CLI's `{e:#}` would print after the message again).
    #[test]
    fn start_errors_hold_their_cause_once() {
        let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
        let io = || std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let bind = StartError::Bind { addr, error: io() };
        assert!(bind.source().is_none());
        assert_eq!(
            bind.to_string(),
            format!("cannot listen on 127.0.0.1:9: {}", io())
        );
        let failed = StartError::Io(io());
        assert!(failed.source().is_none());
        assert_eq!(failed.to_string(), format!("the server failed: {}", io()));
    }

    #[test]
    fn failed_check_message_ends_the_checks_sentence_once() {
        let error = verbatim_core::Error::Corrupt {
            path: "idx/tokens.0".into(),
            detail: "checksum mismatch".into(),
        }
        .to_string();
        assert!(error.ends_with("`verbatim index`."), "{error}");
        let m = failed_check_message("m", &error);
        assert!(!m.contains(".."), "{m}");
        assert!(
            m.contains("`verbatim index`. Rebuild it (the server"),
            "{m}"
        );
        let m = failed_check_message("m", "checksum mismatch");
        assert!(m.contains("checksum mismatch. Rebuild it"), "{m}");
    }
}
