//! Appends: new documents become new shards of an existing index, without rewriting its
//! shards.
//!
//! Everything an append writes is new files beside the old ones: shard directories with
//! new numbers, and generation-named index-level files (`ids-gN.fst`, `sources-gN.bin`,
//! `fulltext-gN/` whose unchanged tantivy segments are hard links of the old ones, side-index
//! manifests `side/NAME/manifest-gN.bin`). The one commit point is the atomic rename of a new
//! `manifest.bin` over the old one: a killed append leaves the old manifest, which names only
//! old files, so the index opens and verifies as before. Files of an interrupted append are
//! removed by the next one; files of the previous generation are removed after the commit.

use crate::build::{
    check_options, fulltext_sums, new_build_id, now_unix, options_record, run_width, sanitize,
    side_options, thread_count, BuildSummary,
};
use crate::error::{bail, refuse, Context, Result};
use crate::fulltext_writer::FullTextWriter;
use crate::input::discover_files;
use crate::lock::{Attempt, LockFile};
use crate::options::BuildOptions;
use crate::pipeline::{Ctx, LateSkips};
use crate::placement::ShardPlacement;
use crate::side_files;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;
use verbatim_core::manifest::{IndexFiles, InputInfo, Manifest, MANIFEST_FILE};
use verbatim_core::{Index, OpenOptions, TextTokenizer};

/// Name of the lock file that keeps two appends from running at once.
const LOCK_FILE: &str = ".verbatim-append.lock";

/// The directory an append's ids spill to, followed by its generation (removed when its id
/// map is written; one a killed append left is removed by the next).
const ID_SPILL_PREFIX: &str = "ids-spill-g";

/// Appends `opts.inputs` to the index at `opts.out`.
pub fn append(opts: &BuildOptions) -> Result<BuildSummary> {
    let started = Instant::now();
    let dir = opts.out.as_path();
    let _locks = IndexChangeLocks::take(
        dir,
        "--append adds to an existing index: build one first without --append",
    )?;
    let (old, _) = Manifest::read(dir)?;
    refuse_ignored_options(opts, &old)?;
    let generation = old.generation + 1;
    let result = append_at(opts, dir, MANIFEST_FILE, generation, Commit::Rename, None)?;
    let mut summary = result.summary;
    summary
        .manifest
        .timings
        .insert("total".into(), started.elapsed().as_secs_f64());
    Ok(summary)
}

/// Refuses the options an append cannot honour: the index keeps its side indexes and its
/// full-text setting (options that ask for what the index has are accepted, so a caller may
/// pass its build's options again), a forced replacement is not an append, and a part of a
/// distributed build is built fresh. (The command line refuses them all, and `--name`, at
/// parsing.)
fn refuse_ignored_options(opts: &BuildOptions, old: &Manifest) -> Result<()> {
    let mut ignored = Vec::new();
    let asked: BTreeSet<&str> = opts.side_indexes.iter().map(|s| s.name()).collect();
    let has: BTreeSet<&str> = old.side_indexes.iter().map(|s| s.name()).collect();
    if !asked.is_empty() && asked != has {
        ignored.push("side indexes other than the index's (an append adds to those it has)");
    }
    if !opts.fulltext && old.options.fulltext {
        ignored.push("no full-text index (the index has one, which an append adds to)");
    }
    if opts.force {
        ignored.push("force (an append adds to the index; rebuild without append to replace it)");
    }
    if opts.part.is_some() || opts.parts.is_some() {
        ignored.push("part (a part of a distributed build is built fresh)");
    }
    // The index's document size limit decides which documents it holds: an append keeps it,
    // so that appends hold what one build of every file would. (An attached infini-gram
    // directory records none, and refuses appends.)
    let limit = format!(
        "--max-document-bytes {} other than the index's {} (an append keeps it)",
        opts.max_document_bytes, old.options.max_document_bytes
    );
    if old.options.max_document_bytes != 0
        && opts.max_document_bytes != old.options.max_document_bytes
    {
        ignored.push(limit.as_str());
    }
    if !ignored.is_empty() {
        refuse!(
            "an append cannot take these options: {}; leave them out",
            ignored.join(", ")
        );
    }
    Ok(())
}

/// How an append publishes its new manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Commit {
    /// Rename it over `manifest.bin` (the index's own commit point).
    Rename,
    /// Write it as a new generation-named file, which the parent's manifest will name (side
    /// indexes).
    Named,
}

struct AppendResult {
    summary: BuildSummary,
    manifest_name: String,
}

/// Generation-named index-level file names.
fn generation_files(generation: u64, sides: &[String]) -> IndexFiles {
    IndexFiles {
        ids: format!("ids-g{generation}.fst"),
        sources: format!("sources-g{generation}.bin"),
        fulltext: format!("fulltext-g{generation}"),
        side_manifests: sides
            .iter()
            .map(|s| (s.clone(), format!("manifest-g{generation}.bin")))
            .collect(),
    }
}

fn append_at(
    opts: &BuildOptions,
    dir: &Path,
    manifest_name: &str,
    generation: u64,
    commit: Commit,
    follow: Option<&LateSkips>,
) -> Result<AppendResult> {
    let t0 = Instant::now();
    let index = Index::open_named(
        dir,
        manifest_name,
        OpenOptions {
            verify_checksums: false,
            fulltext: false,
            // The indexer reads in passes, not searches: 2 MiB pages.
            residency: verbatim_core::Residency::Memory,
        },
    )
    .with_context(|| format!("cannot open the index to append to, {}", dir.display()))?;
    if index.shards().iter().any(|s| s.infini_gram().is_some()) {
        crate::error::refuse!(
            "{} serves an infini-gram index in place (a `verbatim attach` side directory); an append adds verbatim shards to a verbatim index only: build the new documents into an index of their own and serve both (as a group), or build one verbatim index of the whole corpus",
            dir.display()
        );
    }
    let old = index.manifest().clone();
    remove_garbage(dir, &old, commit)?;
    let given;
    let tokenizer: &TextTokenizer = if opts.tokenizer.is_empty() {
        index.tokenizer()
    } else {
        let (t, _) = TextTokenizer::from_spec(&opts.tokenizer)
            .with_context(|| format!("cannot load tokenizer {}", opts.tokenizer))?;
        if t.identity() != old.tokenizer.sha256 {
            refuse!(
                "{} was built with another tokenizer (sha256 {}, from {}) than --tokenizer {} (sha256 {}): an append must use the index's tokenizer; omit --tokenizer to use the copy stored in the index",
                dir.display(),
                old.tokenizer.sha256,
                old.tokenizer.source_path.as_deref().unwrap_or("raw bytes"),
                opts.tokenizer,
                t.identity()
            );
        }
        given = t;
        &given
    };
    if opts.normalize != old.normalization {
        bail!("{}: the side index's normalisation differs", dir.display());
    }
    // A side index keeps the rules it was built with: its new documents are normalised as
    // its old ones were, and its queries by those rules.
    let with_old_rules;
    let opts = if opts.normalize.is_some() {
        with_old_rules = BuildOptions {
            normalization_rules: old.rules()?,
            ..opts.clone()
        };
        &with_old_rules
    } else {
        opts
    };
    let threads = thread_count(opts);
    let budget = check_options(opts, tokenizer.width(), threads)?;
    let files = discover_files(&opts.inputs, opts.format, opts.strict)?;
    crate::build::check_skip_log(opts, &files)?;
    // The id map, source sets and full-text segments are read into the next generation:
    // damage in them is refused here, not carried over under new checksums (after the
    // cheaper checks of the inputs and options, since this reads them whole).
    index
        .verify_carried_files()
        .with_context(|| format!("the index to append to, {}, is damaged (run `verbatim verify {}` for a full check; restore the index from a backup or rebuild it)", dir.display(), dir.display()))?;
    let build_id = new_build_id();
    let index_id = index.index_id();
    let sides: Vec<String> = old
        .side_indexes
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    let new_files = generation_files(generation, &sides);
    // Each append's shards get their own folder under a root, named by its build id: a
    // killed append's leftovers, or the shards of a copy of this index appended to, can
    // never be in the way, and nothing under a root is ever deleted.
    let tag = format!("{}.{build_id:016x}", sanitize(&old.name));
    let placement = ShardPlacement::new(dir, &opts.shard_roots, &tag)?;
    let named: BTreeSet<&str> = old.shards.iter().map(|s| s.dir.as_str()).collect();
    for folder in placement.foreign_folders(&sanitize(&old.name), &named) {
        tracing::warn!(
            "{} is not part of this index (left by an interrupted build or append, or used by a copy of the index): remove it if no copy uses it",
            folder.display()
        );
    }
    let fulltext = if old.options.fulltext && commit == Commit::Rename {
        Some(FullTextWriter::open_linked(
            &dir.join(&old.files.fulltext),
            &dir.join(&new_files.fulltext),
            threads,
            budget.fulltext_merge_cap(),
        )?)
    } else {
        None
    };
    let cleanup = NewFiles {
        paths: vec![
            dir.join(&new_files.ids),
            dir.join(&new_files.sources),
            dir.join(&new_files.fulltext),
        ],
        keep: false,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    let ctx = Ctx {
        opts,
        tokenizer,
        files: &files,
        build_id,
        threads,
        budget,
        first_doc: old.documents,
        placement: &placement,
        first_shard: crate::placement::next_shard_number(&old.shards),
        existing_ids: Some(index.own_id_map()?),
        id_spill: dir.join(format!("{ID_SPILL_PREFIX}{generation}")),
        fulltext,
        follow,
    };
    let out = pool.install(|| run_width(ctx, tokenizer.width()))?;
    let t = Instant::now();
    side_files::write_id_map(
        &dir.join(&new_files.ids),
        build_id,
        out.ids,
        Some(index.own_id_map()?),
    )?;
    let mut sources = index.source_documents()?;
    for (name, docs) in out.sources {
        *sources.entry(name).or_default() |= docs;
    }
    side_files::write_sources(&dir.join(&new_files.sources), build_id, &sources)?;
    let mut timings = out.timings;
    timings.insert("id_map".into(), t.elapsed().as_secs_f64());

    // Side indexes get the same documents, as new generation-named manifests.
    let mut side_manifests = std::collections::BTreeMap::new();
    let mut side_build_ids = std::collections::BTreeMap::new();
    for side in &old.side_indexes {
        let t = Instant::now();
        let side_dir = dir.join("side").join(side.name());
        let current = old
            .files
            .side_manifests
            .get(side.name())
            .cloned()
            .unwrap_or_else(|| MANIFEST_FILE.to_string());
        let mut so = side_options(opts, side, &side_dir);
        so.tokenizer = String::new();
        so.shard_roots = Vec::new();
        let r = append_at(
            &so,
            &side_dir,
            &current,
            generation,
            Commit::Named,
            Some(&out.late_skipped),
        )
        .with_context(|| format!("appending to the {} side index", side.name()))?;
        side_manifests.insert(side.name().to_string(), r.manifest_name);
        side_build_ids.insert(side.name().to_string(), r.summary.manifest.build_id);
        timings.insert(format!("side_{}", side.name()), t.elapsed().as_secs_f64());
    }

    let mut shards = old.shards.clone();
    for s in &mut shards {
        s.build_id.get_or_insert_with(|| old.build_id.clone());
    }
    for mut s in out.shards {
        s.build_id = Some(format!("{build_id:016x}"));
        shards.push(s);
    }
    let mut inputs = old.inputs.clone();
    inputs.extend(
        out.inputs
            .into_iter()
            .map(|i| InputInfo { generation, ..i }),
    );
    let mut skipped = old.skipped.clone();
    for (k, v) in out.skips.by_reason() {
        *skipped.entry(k).or_default() += v;
    }
    let mut source_stats = old.source_stats.clone();
    for (k, v) in out.source_stats {
        let e = source_stats.entry(k).or_default();
        e.documents += v.documents;
        e.tokens += v.tokens;
        e.text_bytes += v.text_bytes;
    }
    let ft_dir = dir.join(&new_files.fulltext);
    let has_ft = old.options.fulltext && commit == Commit::Rename;
    let mut files_record = new_files.clone();
    files_record.side_manifests = side_manifests;
    if !has_ft {
        files_record.fulltext = old.files.fulltext.clone();
    }
    let mut options = old.options.clone();
    options.max_memory = options_record(opts, threads).max_memory;
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    let manifest = Manifest {
        name: old.name.clone(),
        build_id: format!("{build_id:016x}"),
        created_unix: now_unix(),
        verbatim_version: env!("CARGO_PKG_VERSION").to_string(),
        tokenizer: old.tokenizer.clone(),
        documents: shards.iter().map(|s| s.documents).sum(),
        tokens: shards.iter().map(|s| s.tokens).sum(),
        text_bytes: old.text_bytes + out.text_bytes,
        shards,
        inputs,
        skipped,
        sources: sources.keys().cloned().collect(),
        renamed_duplicate_ids: old.renamed_duplicate_ids + out.renamed,
        options,
        timings,
        peak_rss_bytes: crate::rss::peak_rss_bytes(),
        normalization: old.normalization,
        normalization_rules: old.normalization_rules,
        side_indexes: old.side_indexes.clone(),
        fulltext_files: if has_ft {
            fulltext_sums(&ft_dir, true)?
        } else {
            old.fulltext_files.clone()
        },
        index_id: Some(format!("{index_id:016x}")),
        generation,
        files: files_record,
        source_stats,
        fulltext_parts: old.fulltext_parts.clone(),
        side_build_ids,
    };
    let manifest_name = match commit {
        Commit::Rename => {
            commit_manifest(dir, &manifest, build_id)?;
            MANIFEST_FILE.to_string()
        }
        Commit::Named => write_generation_manifest(dir, &manifest, build_id)?,
    };
    placement.commit();
    let mut cleanup = cleanup;
    cleanup.keep = true;
    drop(index);
    // The new generation is committed whatever happens now: what follows only tidies and
    // measures, and a failure there is a warning, not a failed append.
    if commit == Commit::Rename {
        // The previous generation's files are garbage now (the next append or compaction
        // removes what is left).
        if let Err(e) = remove_garbage(dir, &manifest, commit) {
            tracing::warn!("{e:#}");
        }
    }
    let (exact_match_bytes, _) = crate::sizes::measure(dir, &manifest).unwrap_or_else(|e| {
        tracing::warn!("cannot measure the index's files: {e:#}");
        (0, 0)
    });
    let total_bytes = crate::sizes::dir_size(dir).unwrap_or_else(|e| {
        tracing::warn!("cannot measure the index's size: {e:#}");
        0
    });
    Ok(AppendResult {
        summary: BuildSummary {
            manifest,
            skip_examples: out.skips.examples().to_vec(),
            skips_unlisted: out.skips.unlisted(),
            skipped_this_run: out.skips.total(),
            rename_examples: out.rename_examples,
            exact_match_bytes,
            total_bytes,
            max_memory: budget.total,
            takedowns: None,
        },
        manifest_name,
    })
}

/// New index-level files of an append, removed if it fails before committing.
struct NewFiles {
    paths: Vec<PathBuf>,
    keep: bool,
}

impl Drop for NewFiles {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for p in &self.paths {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Writes `manifest` (headed by `build_id`) beside `dir/manifest.bin` and renames it over it:
/// the commit point of an append or a compaction.
pub(crate) fn commit_manifest(dir: &Path, manifest: &Manifest, build_id: u64) -> Result<()> {
    let tmp = format!("{MANIFEST_FILE}.tmp-{}", std::process::id());
    let _ = std::fs::remove_file(dir.join(&tmp));
    manifest.write_named(dir, &tmp, build_id)?;
    std::fs::rename(dir.join(&tmp), dir.join(MANIFEST_FILE))
        .with_context(|| format!("cannot commit {}", dir.join(MANIFEST_FILE).display()))?;
    sync_dir(dir);
    Ok(())
}

/// Writes a side index's `manifest` as `manifest-gN.bin` (N its generation), which its
/// parent's manifest will name; returns that name.
pub(crate) fn write_generation_manifest(
    dir: &Path,
    manifest: &Manifest,
    build_id: u64,
) -> Result<String> {
    let name = format!("manifest-g{}.bin", manifest.generation);
    let _ = std::fs::remove_file(dir.join(&name));
    manifest.write_named(dir, &name, build_id)?;
    sync_dir(dir);
    Ok(name)
}

/// Syncs a directory, so that the entries just created in it reach the disk.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Removes what `current` (the committed manifest of `dir`) does not name among the files an
/// index or an append writes: shard directories, generation-named id maps, source sets,
/// full-text directories, temporary manifests, the `ids-spill-gN` directories of appends killed
/// before they wrote their id map, and (in the index directory itself, after a commit)
/// side-index manifests of other generations. Files of other names are never touched.
fn remove_garbage(dir: &Path, current: &Manifest, commit: Commit) -> Result<()> {
    let shards: BTreeSet<&str> = current.shards.iter().map(|s| s.dir.as_str()).collect();
    let keep_files = [current.files.ids.as_str(), current.files.sources.as_str()];
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let garbage = if name.starts_with("shard-") && path.is_dir() {
            !shards.contains(name.as_str())
        } else if is_generation_file(&name, "ids", ".fst")
            || is_generation_file(&name, "sources", ".bin")
        {
            !keep_files.contains(&name.as_str())
        } else if (name == "fulltext" || name.starts_with("fulltext-g")) && path.is_dir() {
            name != current.files.fulltext
        } else if name.starts_with(ID_SPILL_PREFIX) && path.is_dir() {
            // Ids an append killed before it wrote its id map spilled to disk.
            true
        } else {
            name.starts_with(&format!("{MANIFEST_FILE}.tmp-"))
        };
        if garbage {
            tracing::info!("removing {} (not part of the index)", path.display());
            if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            }
            .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    if commit == Commit::Rename {
        for side in &current.side_indexes {
            let side_dir = dir.join("side").join(side.name());
            let keep = current
                .files
                .side_manifests
                .get(side.name())
                .map_or(MANIFEST_FILE, String::as_str);
            let Ok((side_manifest, _)) = Manifest::read_named(&side_dir, keep) else {
                continue;
            };
            remove_garbage(&side_dir, &side_manifest, Commit::Named)?;
            for e in std::fs::read_dir(&side_dir)? {
                let name = e?.file_name().to_string_lossy().into_owned();
                let is_manifest = name == MANIFEST_FILE
                    || (name.starts_with("manifest-g") && name.ends_with(".bin"));
                if is_manifest && name != keep {
                    std::fs::remove_file(side_dir.join(&name)).ok();
                }
            }
        }
    }
    Ok(())
}

/// Removes what the committed manifest `current` of `dir` (and of its side indexes) does not
/// name (see `remove_garbage`): used by compaction before it starts and after its commit.
pub(crate) fn remove_garbage_of(dir: &Path, current: &Manifest) -> Result<()> {
    remove_garbage(dir, current, Commit::Rename)
}

/// `STEM.EXT` or `STEM-gN.EXT`.
fn is_generation_file(name: &str, stem: &str, ext: &str) -> bool {
    name == format!("{stem}{ext}")
        || name
            .strip_prefix(&format!("{stem}-g"))
            .and_then(|r| r.strip_suffix(ext))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What an append or a compaction holds while it changes an index in place.
pub(crate) struct IndexChangeLocks {
    _commit: Option<crate::atomic::CommitLock>,
    _append: AppendLock,
}

impl IndexChangeLocks {
    /// Takes, in order: the index's commit lock, held throughout (waiting for a forced build
    /// that is replacing the index), so that no forced build renames the index away while it
    /// is changed and no takedown change is lost meanwhile; then, an index a killed `--force`
    /// build had moved aside put back, and `dir` checked to be an index (`hint` says what to
    /// do otherwise), the append lock, which keeps appends and compactions apart.
    pub(crate) fn take(dir: &Path, hint: &str) -> Result<IndexChangeLocks> {
        let commit = crate::atomic::commit_lock_if_writable(dir)?;
        crate::atomic::recover(dir, commit.is_some());
        if !dir.join(MANIFEST_FILE).exists() {
            return Err(verbatim_core::Error::NotAnIndex(format!(
                "{} is not a verbatim index (no {MANIFEST_FILE}); {hint}",
                dir.display()
            ))
            .into());
        }
        Ok(IndexChangeLocks {
            _commit: commit,
            _append: AppendLock::acquire(dir)?,
        })
    }
}

/// Keeps two appends off one index: an exclusive lock on `.verbatim-append.lock`, held by
/// the operating system for as long as the append's process has the file open, so a killed
/// append leaves no lock held (see [`crate::lock`]). The file holds the locking process's id,
/// for the message; a finished append removes it while still holding the lock.
struct AppendLock {
    _lock: LockFile,
}

impl AppendLock {
    /// Takes the lock of the index in `dir`, or refuses naming the process that holds it.
    fn acquire(dir: &Path) -> Result<AppendLock> {
        let path = dir.join(LOCK_FILE);
        match LockFile::try_acquire(&path, true)
            .with_context(|| format!("cannot lock {} for the append", dir.display()))?
        {
            Attempt::Acquired(mut lock) => {
                use std::io::{Seek, Write};
                let file = lock.file();
                file.set_len(0)?;
                file.seek(std::io::SeekFrom::Start(0))?;
                write!(file, "{}", std::process::id())?;
                Ok(AppendLock { _lock: lock })
            }
            Attempt::Held | Attempt::Missing => {
                let pid = std::fs::read_to_string(&path).unwrap_or_default();
                refuse!(
                    "another append or compaction (process {}) is running on {}; wait for it to finish",
                    pid.trim(),
                    dir.display()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_file_names() {
        assert!(is_generation_file("ids.fst", "ids", ".fst"));
        assert!(is_generation_file("ids-g12.fst", "ids", ".fst"));
        assert!(!is_generation_file("ids-g.fst", "ids", ".fst"));
        assert!(!is_generation_file("ids-gx.fst", "ids", ".fst"));
        assert!(!is_generation_file("myids.fst", "ids", ".fst"));
    }
}
