//! A fresh build: the pipeline into a temporary directory, then the id map, source sets,
//! side indexes and manifest, renamed into place at the end.

use crate::atomic::TempIndexDir;
use crate::error::{Context, Error, Result};
use crate::fulltext_writer::FullTextWriter;
use crate::input::discover_files;
use crate::memory::MemoryBudget;
use crate::options::BuildOptions;
use crate::pipeline::{self, Ctx, LateSkips, RunOutput};
use crate::placement::ShardPlacement;
use crate::side_files;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use verbatim_core::manifest::{BuildOptionsRecord, FileSum, IndexFiles, Manifest, TokenizerInfo};
use verbatim_core::{TextTokenizer, TokenWidth};

/// What a finished build reports.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    /// The manifest written.
    pub manifest: Manifest,
    /// First skip messages, for the console summary.
    pub skip_examples: Vec<String>,
    /// Documents this run skipped whose message is not among `skip_examples`.
    pub skips_unlisted: u64,
    /// Documents this run skipped (the manifest counts every build's, after an append).
    pub skipped_this_run: u64,
    /// First renamed repeated ids, for the console summary.
    pub rename_examples: Vec<String>,
    /// Bytes of the exact-match structures (tokens + suffix array + document offsets).
    pub exact_match_bytes: u64,
    /// Bytes of the whole index directory.
    pub total_bytes: u64,
    /// The memory budget the build kept to, bytes.
    pub max_memory: u64,
    /// What a forced rebuild did with the takedown list of the index it replaced (`None`: it
    /// replaced none with a takedown list).
    pub takedowns: Option<crate::takedowns::CarriedTakedowns>,
}

/// Resolves the worker thread count (0 = all cores).
pub(crate) fn thread_count(opts: &BuildOptions) -> usize {
    threads_or_all(opts.threads)
}

/// `threads`, or one per core for 0.
pub(crate) fn threads_or_all(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// The largest `--max-document-bytes` accepted: far above any document a shard can hold,
/// and small enough that the sizes computed from it cannot overflow.
pub const MAX_DOCUMENT_BYTES_LIMIT: u64 = 1 << 40;

/// The most worker threads a build starts (shared with every verbatim job).
pub use verbatim_core::MAX_THREADS;

/// Checks the options that do not depend on the corpus, and sizes the memory budget.
pub(crate) fn check_options(
    opts: &BuildOptions,
    width: TokenWidth,
    threads: usize,
) -> Result<MemoryBudget> {
    if opts.shard_max_tokens < 2 || opts.shard_max_tokens > crate::options::DEFAULT_SHARD_MAX_TOKENS
    {
        return Err(Error::Options(format!(
            "--shard-max-tokens must be between 2 and {}",
            crate::options::DEFAULT_SHARD_MAX_TOKENS
        )));
    }
    if opts.max_document_bytes == 0 || opts.max_document_bytes > MAX_DOCUMENT_BYTES_LIMIT {
        return Err(Error::Options(format!(
            "--max-document-bytes must be between 1 and {MAX_DOCUMENT_BYTES_LIMIT} (1 TiB)"
        )));
    }
    if threads > MAX_THREADS {
        return Err(Error::Options(format!(
            "--threads {threads} is more than {MAX_THREADS}; give at most one per core"
        )));
    }
    match (opts.part, opts.parts) {
        (None, Some(_)) => {
            return Err(Error::Options(
                "--parts N is the number of parts of a distributed build: give it with --part K"
                    .into(),
            ))
        }
        (Some(_), Some(0)) => {
            return Err(Error::Options(
                "--parts N counts the parts of a distributed build: at least 1".into(),
            ))
        }
        (Some(k), Some(n)) if k >= n => {
            return Err(Error::Options(format!(
                "--part {k} is not among the {n} parts of --parts {n} (parts are numbered 0 to {})",
                n.saturating_sub(1)
            )))
        }
        _ => {}
    }
    let total = opts
        .max_memory
        .unwrap_or_else(crate::memory::default_budget);
    Ok(MemoryBudget::new(
        total,
        width,
        threads,
        opts.fulltext,
        opts.max_document_bytes,
    )?)
}

/// Refuses a `--skip-log` the build must not write (see [`crate::input::check_skip_log`]).
pub(crate) fn check_skip_log(opts: &BuildOptions, files: &[crate::input::InputFile]) -> Result<()> {
    match &opts.skip_log {
        Some(log) => crate::input::check_skip_log(log, &opts.out, &opts.inputs, files),
        None => Ok(()),
    }
}

/// A new random build id (never 0).
pub(crate) fn new_build_id() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}-{}", std::process::id());
    xxhash_rust::xxh3::xxh3_64(seed.as_bytes()) | 1
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Builds an index as `opts` says (or appends to one, with `opts.append`).
pub fn build(opts: &BuildOptions) -> Result<BuildSummary> {
    if opts.append {
        return crate::append::append(opts);
    }
    build_following(opts, None)
}

/// Builds an index; a side index `follow`s its main index's skips (see [`Ctx::follow`]).
fn build_following(opts: &BuildOptions, follow: Option<&LateSkips>) -> Result<BuildSummary> {
    let started = Instant::now();
    let threads = thread_count(opts);
    let (tokenizer, tokenizer_json) = TextTokenizer::from_spec(&opts.tokenizer)
        .with_context(|| format!("cannot load tokenizer {}", opts.tokenizer))?;
    let budget = check_options(opts, tokenizer.width(), threads)?;
    let files = discover_files(&opts.inputs, opts.format, opts.strict)?;
    crate::atomic::check_outside(&opts.out, &opts.inputs, &opts.shard_roots)?;
    check_skip_log(opts, &files)?;
    let temp = TempIndexDir::create(&opts.out, opts.force)?;
    let carry_takedowns = opts.force && follow.is_none();
    crate::takedowns::check(&opts.out, carry_takedowns)?;
    let build_id = new_build_id();
    let tag = format!("{}.{build_id:016x}", sanitize(&opts.name));
    let placement = ShardPlacement::new(temp.path(), &opts.shard_roots, &tag)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    let index_files = IndexFiles::default();
    let fulltext = if opts.fulltext {
        Some(FullTextWriter::create(
            &temp.path().join(&index_files.fulltext),
            threads,
            budget.fulltext_merge_cap(),
        )?)
    } else {
        None
    };
    let ctx = Ctx {
        opts,
        tokenizer: &tokenizer,
        files: &files,
        build_id,
        threads,
        budget,
        first_doc: 0,
        placement: &placement,
        first_shard: 0,
        existing_ids: None,
        id_spill: temp.path().join("ids-spill"),
        fulltext,
        follow,
    };
    let out = pool.install(|| run_width(ctx, tokenizer.width()))?;
    if let Some(json) = &tokenizer_json {
        side_files::write_tokenizer(temp.path(), build_id, json)?;
    }
    let t = Instant::now();
    side_files::write_id_map::<Vec<u8>>(
        &temp.path().join(&index_files.ids),
        build_id,
        out.ids,
        None,
    )?;
    side_files::write_sources(
        &temp.path().join(&index_files.sources),
        build_id,
        &out.sources,
    )?;
    let mut timings = out.timings;
    timings.insert("id_map".into(), t.elapsed().as_secs_f64());
    let mut manifest = Manifest {
        name: opts.name.clone(),
        build_id: format!("{build_id:016x}"),
        created_unix: now_unix(),
        verbatim_version: env!("CARGO_PKG_VERSION").to_string(),
        tokenizer: TokenizerInfo {
            kind: if tokenizer_json.is_some() {
                "huggingface"
            } else {
                "bytes"
            }
            .into(),
            sha256: tokenizer.identity(),
            vocab_size: tokenizer.vocab_size(),
            width: tokenizer.width(),
            source_path: tokenizer_json.as_ref().map(|_| opts.tokenizer.clone()),
        },
        documents: out.shards.iter().map(|s| s.documents).sum(),
        tokens: out.shards.iter().map(|s| s.tokens).sum(),
        text_bytes: out.text_bytes,
        shards: out.shards,
        inputs: out.inputs,
        skipped: out.skips.by_reason(),
        sources: out.sources.keys().cloned().collect(),
        renamed_duplicate_ids: out.renamed,
        options: options_record(opts, threads),
        timings,
        peak_rss_bytes: crate::rss::peak_rss_bytes(),
        fulltext_files: fulltext_sums(&temp.path().join(&index_files.fulltext), opts.fulltext)?,
        normalization: opts.normalize,
        normalization_rules: opts.normalization_rules.version(),
        side_indexes: opts.side_indexes.clone(),
        index_id: None,
        generation: 0,
        files: index_files,
        source_stats: out.source_stats,
        fulltext_parts: match opts.part {
            Some(k) if opts.fulltext => [(k as u64 + 1, 0)].into_iter().collect(),
            _ => BTreeMap::new(),
        },
        side_build_ids: BTreeMap::new(),
    };
    for side in &opts.side_indexes {
        let t = Instant::now();
        let side_summary = build_following(
            &side_options(opts, side, &temp.path().join("side").join(side.name())),
            Some(&out.late_skipped),
        )
        .with_context(|| format!("building the {} side index", side.name()))?;
        manifest
            .side_build_ids
            .insert(side.name().to_string(), side_summary.manifest.build_id);
        manifest
            .timings
            .insert(format!("side_{}", side.name()), t.elapsed().as_secs_f64());
    }
    manifest
        .timings
        .insert("total".into(), started.elapsed().as_secs_f64());
    manifest.peak_rss_bytes = crate::rss::peak_rss_bytes();
    manifest.write(temp.path(), build_id)?;
    let (exact_match_bytes, _) = crate::sizes::measure(temp.path(), &manifest)?;
    // Under the target's commit lock: no other build moves the index there meanwhile.
    let takedowns =
        temp.commit(|dir| crate::takedowns::carry_into(&opts.out, dir, carry_takedowns))?;
    placement.commit();
    let total_bytes = crate::sizes::dir_size(&opts.out)?;
    Ok(BuildSummary {
        manifest,
        skip_examples: out.skips.examples().to_vec(),
        skips_unlisted: out.skips.unlisted(),
        skipped_this_run: out.skips.total(),
        rename_examples: out.rename_examples,
        exact_match_bytes,
        total_bytes,
        max_memory: budget.total,
        takedowns,
    })
}

/// Runs the pipeline with the tokenizer's token width.
pub(crate) fn run_width(ctx: Ctx<'_>, width: TokenWidth) -> Result<RunOutput> {
    match width {
        TokenWidth::U8 => pipeline::run::<u8>(ctx),
        TokenWidth::U16 => pipeline::run::<u16>(ctx),
        TokenWidth::U32 => pipeline::run::<u32>(ctx),
    }
}

/// The options of the side index `side` of a build (or append) with `opts`, written to `out`.
pub(crate) fn side_options(
    opts: &BuildOptions,
    side: &verbatim_core::normalize::Normalization,
    out: &Path,
) -> BuildOptions {
    let mut o = opts.clone();
    o.out = out.to_path_buf();
    o.name = format!("{}/{}", opts.name, side.name());
    o.tokenizer = "bytes".into();
    o.normalize = Some(*side);
    o.side_indexes = Vec::new();
    o.fulltext = false;
    o.force = false;
    o.progress = opts.progress;
    // The main index's skips are the ones logged; a side index skips the same documents.
    o.skip_log = None;
    o
}

/// What the manifest records of the options.
pub(crate) fn options_record(opts: &BuildOptions, threads: usize) -> BuildOptionsRecord {
    BuildOptionsRecord {
        text_field: opts.text_field.clone(),
        id_field: opts.id_field.clone(),
        shard_max_tokens: opts.shard_max_tokens,
        max_document_bytes: opts.max_document_bytes,
        strict: opts.strict,
        fulltext: opts.fulltext,
        threads,
        max_memory: opts.max_memory,
        part: opts.part,
        parts: opts.parts,
    }
}

/// Sizes and checksums of the tantivy files, recorded so opening can detect any change.
pub(crate) fn fulltext_sums(dir: &Path, built: bool) -> Result<BTreeMap<String, FileSum>> {
    let mut sums = BTreeMap::new();
    if built {
        for name in verbatim_core::manifest::fulltext_file_names(dir)? {
            sums.insert(name.clone(), FileSum::of(&dir.join(&name))?);
        }
    }
    Ok(sums)
}

/// A file-name-safe form of an index name.
pub(crate) fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "index".into()
    } else {
        s
    }
}
