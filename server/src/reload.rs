//! Serving an index's new generation without a restart.
//!
//! An append, a compaction or a forced rebuild ends by renaming a new
//! `manifest.bin` into the index directory. Before every API request the server compares each
//! served index's manifest file (device, inode, size, modification time) with the one it
//! opened, a `stat` per index. When it changed, a background thread opens the index again
//! (and, as at start, hashes its files unless the server runs with `--verify off`, and warms
//! it with `--warm`), on a thread pool of its own so that queries never wait behind it; meanwhile and on failure the instance opened before goes on answering,
//! from its own mapped files, which stay readable even once a compaction has deleted them;
//! except when the directory now holds another build (a forced rebuild, which may have left
//! documents out) that cannot be served: the index then answers nothing (503) until a restart.
//! Once the new instance is ready it replaces the old one in one step, and the groups over
//! it are built again. Requests already running finish on the instance they started with.
//!
//! Cached answers are keyed by the instance ([`verbatim_core::Index::instance`]), so none
//! computed from the old one is served after the swap. A reload that fails (a damaged or
//! half-replaced directory, an index renamed, a `--group` that cannot be made over the new
//! generation) is logged and reported by `/health`; a request
//! retries it at once when the manifest file has changed since, else after a delay that
//! doubles from [`RETRY`] up to [`RETRY_MAX`] (a directory still being put in place).

use crate::state::{AppState, Current, Served, Verification};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verbatim_core::file_stamp::FileStamp;
use verbatim_core::{Index, OpenOptions, Residency};

/// Time between a failed reload and the next attempt of the same manifest file, after the
/// first failure; it doubles with each failure after that.
pub const RETRY: Duration = Duration::from_secs(2);

/// Longest time between two attempts of the same manifest file.
pub const RETRY_MAX: Duration = Duration::from_secs(120);

/// How an index that changed on disk is checked before it is served.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReloadOptions {
    /// Hash every file of the new instance before serving it (`serve --verify start` and
    /// `background`, as at start).
    pub verify: bool,
    /// Read the new instance into the page cache first (`serve --warm`).
    pub warm: bool,
    /// How the new instance's files are advised.
    pub residency: ReloadResidency,
}

/// How a new generation's files are advised (see [`verbatim_core::Residency`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReloadResidency {
    /// As the instance it replaces (`serve --residency memory` or `disk`, or `auto` with
    /// `--warm`).
    #[default]
    Keep,
    /// `serve --residency auto`, judged again: `memory` when every served index, the new
    /// generation in place of the one it replaces, takes at most half of `limit` bytes of
    /// page cache (`None`: unknown, taken as room enough), else `disk`; the other served
    /// indexes are advised alike, so that an index grown past the limit by appends is read
    /// from disk without a restart. Reloads judge one at a time, each as it swaps its new
    /// generation in, so the last judgment sees every reload that finished before it.
    Auto {
        /// The memory the page cache can use ([`verbatim_core::sysmem::page_cache_limit`]).
        limit: Option<u64>,
    },
}

/// Where a served index's reloads stand.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The manifest file the instance being served was opened from (`None`: an index
    /// without one, an infini-gram directory served bare, which is never reloaded; a reload
    /// only ever replaces it by another file's).
    stamp: Option<FileStamp>,
    /// A reload is running.
    running: bool,
    /// After failures: the manifest file that failed to open, when to try it again, and
    /// how many times in a row it failed.
    failed: Option<(Option<FileStamp>, Instant, u32)>,
    /// Why the last reload failed, until one succeeds.
    pub(crate) error: Option<String>,
    /// The last reload failed over another build of the index than the one served (a forced
    /// rebuild: another `index_id`), which may lack documents the served one shows: the
    /// index answers nothing until a reload succeeds or the server restarts.
    pub(crate) replaced: bool,
    /// Reloads that replaced the instance since start.
    pub(crate) reloads: u64,
}

impl Watch {
    /// The watch of an instance: its manifest file as it was when the instance was opened,
    /// so that a generation committed since (while `serve` opened, hashed and warmed it) is
    /// reloaded.
    pub(crate) fn of(index: &Index) -> Watch {
        Watch {
            stamp: index.manifest_stamp(),
            ..Watch::default()
        }
    }

    /// `"reloading"`, `"failed"` or `"current"`.
    pub(crate) fn state(&self) -> &'static str {
        if self.running {
            "reloading"
        } else if self.replaced {
            "replaced"
        } else if self.error.is_some() {
            "failed"
        } else {
            "current"
        }
    }
}

/// Runs `f` (opening, warming, hashing: file-sized parallel jobs) on a one-thread pool of its
/// own, so that its jobs never hold the query pool's threads while queries wait behind them
/// (hashing a 1.3B-token index on the query pool held a trace back 0.86 s).
pub(crate) fn off_the_query_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "verbatim-check".into())
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(e) => {
            tracing::warn!(
                "cannot start a thread for the check, running it on the query pool: {e}"
            );
            f()
        }
    }
}

impl AppState {
    /// Starts a reload of every served index whose manifest changed on disk since it was
    /// opened (one `stat` each; nothing when none changed or a reload is running).
    pub fn reload_changed(self: &Arc<Self>) {
        for k in 0..self.served.len() {
            let served = &self.served[k];
            // The `stat` runs outside the lock, which every request takes.
            let seen = FileStamp::of(&served.generation_file);
            let Ok(mut watch) = served.watch.lock() else {
                continue;
            };
            if watch.stamp.is_none() || watch.running || seen.is_none() || seen == watch.stamp {
                continue;
            }
            if watch
                .failed
                .is_some_and(|(stamp, at, _)| stamp == seen && Instant::now() < at)
            {
                continue;
            }
            watch.running = true;
            drop(watch);
            let state = self.clone();
            let spawned = std::thread::Builder::new()
                .name("verbatim-reload".into())
                .spawn(move || state.reload(k, seen));
            if let Err(e) = spawned {
                self.reload_failed(k, seen, format!("cannot start a reload thread: {e}"), false);
            }
        }
    }

    /// Opens the `k`-th index again and, when it opens and passes the checks, serves it.
    /// `seen` is its manifest file's stamp before opening: a manifest renamed in meanwhile
    /// differs from it, and is reloaded in turn.
    fn reload(&self, k: usize, seen: Option<FileStamp>) {
        let served = &self.served[k];
        let t = Instant::now();
        // A panic while opening (a damaged file a dependency does not expect) is a failed
        // reload, not a watch left "reloading" for good.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // A new generation is opened advised as the one it replaces (see `verbatim serve
            // --residency`); `auto` is then judged again (`ReloadResidency`).
            let residency = self.current(served).index.residency();
            off_the_query_pool(|| self.open_again(served, residency))
        }))
        .unwrap_or_else(|_| Err(("opening it panicked (see the log)".to_string(), false)));
        match opened {
            Ok(index) => {
                let index = Arc::new(index);
                // One reload at a time makes the groups, judges `auto` and swaps, so that of
                // two reloads finishing together the second works with the first's new
                // generation in place (each judging with the other's old one could keep
                // every index in memory past the limit; the groups built first would lack
                // the other's).
                let turn = self
                    .swapping
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut indexes = self.indexes();
                indexes[k].1 = index.clone();
                // A `--group` that cannot be made over the new generation (another tokenizer
                // than its other members') fails the reload: the group and the index go on
                // answering from the instance opened before, rather than the group from an
                // instance nothing refreshes any more.
                let groups = match self.groups_over(&indexes) {
                    Ok(groups) => groups,
                    Err(e) => {
                        drop(turn);
                        let replaced = self.other_build(served, &index);
                        return self.reload_failed(
                            k,
                            seen,
                            format!("{e}; restart the server with groups that fit the new index"),
                            replaced,
                        );
                    }
                };
                if let ReloadResidency::Auto { limit } = self.reload.residency {
                    self.judge_residency(&served.name, &index, limit);
                }
                let old = std::mem::replace(
                    &mut *served
                        .current
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    Current::new(index.clone()),
                );
                self.set_groups(groups);
                drop(turn);
                self.set_verification(
                    k,
                    if self.reload.verify {
                        Verification::Passed {
                            seconds: t.elapsed().as_secs_f64(),
                        }
                    } else {
                        Verification::Skipped
                    },
                );
                self.set_takedown_error(k, None);
                if let Ok(mut listed) = self.listed.lock() {
                    listed.clear();
                }
                let m = index.manifest();
                self.metrics.reloaded(&served.name, true);
                self.metrics.serving_generation(&served.name, m.generation);
                tracing::info!(
                    index = %served.name,
                    generation = m.generation,
                    documents = m.documents,
                    shards = index.shards().len(),
                    previous_generation = old.index.manifest().generation,
                    seconds = t.elapsed().as_secs_f64(),
                    "serving the index as it is now on disk"
                );
                if let Ok(mut watch) = served.watch.lock() {
                    watch.stamp = seen;
                    watch.running = false;
                    watch.failed = None;
                    watch.error = None;
                    watch.replaced = false;
                    watch.reloads += 1;
                }
            }
            Err((e, replaced)) => self.reload_failed(k, seen, e, replaced),
        }
    }

    /// Whether `index`, opened from the directory of `served`, is another build than the
    /// instance served (a forced rebuild; an append or a compaction keeps the `index_id`).
    fn other_build(&self, served: &Served, index: &Index) -> bool {
        self.current(served).index.index_id() != index.index_id()
    }

    /// Why the `k`-th index answers nothing, when a forced rebuild replaced it by an index
    /// this server cannot serve (see [`Watch::replaced`]).
    pub(crate) fn replaced_error(&self, k: usize) -> Option<String> {
        let served = &self.served[k];
        let watch = served.watch.lock().ok()?;
        let error = watch.error.as_deref().filter(|_| watch.replaced)?;
        Some(format!(
            "index {:?} was rebuilt on disk as an index this server cannot serve ({}), so it answers nothing rather than show the documents of the index it replaced: restart the server to serve the new index, or rebuild it as one this server can serve (it is opened without a restart)",
            served.name,
            error.trim_end_matches('.')
        ))
    }

    /// The index in `dir` opened again, its files advised for `residency`, checked as at
    /// start; it must keep its `name`. Fails with why, and whether the directory now holds
    /// another build than `served`'s (known once it opened).
    fn open_again(&self, served: &Served, residency: Residency) -> Result<Index, (String, bool)> {
        let (dir, name) = (&served.dir, &served.name);
        let opts = OpenOptions {
            verify_checksums: false,
            fulltext: true,
            residency,
        };
        let index = Index::open_with(dir, opts).map_err(|e| (e.to_string(), false))?;
        let replaced = self.other_build(served, &index);
        let now = &index.manifest().name;
        if *now != *name {
            return Err((
                format!(
                    "the index in {} is now named {now:?}; restart the server to serve it under that name",
                    dir.display()
                ),
                replaced,
            ));
        }
        // Warming drops only pages no process maps, so it comes before the hashing, which
        // maps every page (as at start).
        if self.reload.warm {
            verbatim_core::warm::warm(&index)
                .map_err(|e| (format!("cannot read it into the page cache: {e}"), replaced))?;
        }
        if self.reload.verify {
            index
                .verify_checksums()
                .map_err(|e| (e.to_string(), replaced))?;
        }
        // `auto` is judged by `reload` as the new generation is swapped in, so that a
        // failed one changes nothing.
        Ok(index)
    }

    /// `auto` residency judged again with `index` about to replace the served index `name`
    /// (see [`ReloadResidency::Auto`]): advises `index` and every other served index for
    /// the choice, and logs it when it differs from the replaced instance's.
    fn judge_residency(&self, name: &str, index: &Index, limit: Option<u64>) {
        let mut before = None;
        let mut others: Vec<Arc<Index>> = Vec::new();
        for s in &self.served {
            let current = self.current(s).index.clone();
            if s.name == name {
                before = Some(current.residency());
            } else {
                others.push(current);
            }
        }
        let (chosen, bytes) = verbatim_core::index::set_residency_together(
            std::iter::once(index).chain(others.iter().map(|i| i.as_ref())),
            Residency::Auto,
            limit,
        );
        if before == Some(chosen) {
            return;
        }
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        tracing::info!(
            index = %name,
            residency = %chosen,
            index_files_gib = gib(bytes),
            limit_gib = limit.map(gib),
            "residency judged again (auto) with the new generation: every served index is now read so"
        );
    }

    /// Records a failed reload of the `k`-th index from the manifest file `seen`; the
    /// instance served before stays.
    fn reload_failed(&self, k: usize, seen: Option<FileStamp>, error: String, replaced: bool) {
        let served = &self.served[k];
        if replaced {
            tracing::error!(
                index = %served.name,
                "the index was rebuilt on disk and cannot be served; it answers nothing until the server restarts or the directory holds an index it can serve: {error}"
            );
        } else {
            tracing::error!(
                index = %served.name,
                "the index changed on disk and cannot be opened again; still serving the instance opened before: {error}"
            );
        }
        self.metrics.reloaded(&served.name, false);
        if let Ok(mut watch) = served.watch.lock() {
            watch.running = false;
            let failures = match watch.failed {
                Some((stamp, _, n)) if stamp == seen => n + 1,
                _ => 1,
            };
            let delay = RETRY
                .saturating_mul(1 << (failures - 1).min(16))
                .min(RETRY_MAX);
            watch.failed = Some((seen, Instant::now() + delay, failures));
            watch.error = Some(error);
            watch.replaced = replaced;
        }
    }

    /// Each served index's generation, reloads since start, and reload state (with the
    /// error of the last failed one), for `/health`.
    pub(crate) fn reload_report(&self) -> serde_json::Map<String, serde_json::Value> {
        self.served
            .iter()
            .map(|s| {
                let current = self.current(s);
                let mut v = serde_json::json!({
                    "generation": current.index.manifest().generation,
                    "residency": current.index.residency().name(),
                });
                if let Ok(w) = s.watch.lock() {
                    v["reloads"] = w.reloads.into();
                    v["state"] = w.state().into();
                    if let Some(e) = &w.error {
                        v["error"] = e.clone().into();
                    }
                }
                (s.name.clone(), v)
            })
            .collect()
    }
}
