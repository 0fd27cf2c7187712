//! The build pipeline: read → tokenize (parallel) → shards (suffix arrays) → side indexes →
//! manifest, all inside a temporary directory renamed into place at the end.

use crate::atomic::TempIndexDir;
use crate::fulltext_writer::FullTextWriter;
use crate::input::{discover, read_inputs, Document, InputFile, JsonlReader, SkipReason, Skips};
use crate::options::BuildOptions;
use crate::progress::Progress;
use crate::shard_builder::ShardBuilder;
use crate::side_files;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use verbatim_core::index::shard_dir_name;
use verbatim_core::manifest::{BuildOptionsRecord, InputInfo, Manifest, ShardInfo, TokenizerInfo};
use verbatim_core::shard::DocRecord;
use verbatim_core::{TextTokenizer, Token, TokenWidth};

/// What a finished build reports.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    /// The manifest written.
    pub manifest: Manifest,
    /// First skip messages, for the console summary.
    pub skip_examples: Vec<String>,
    /// Bytes of the exact-match structures (tokens + suffix array + document offsets).
    pub exact_match_bytes: u64,
    /// Bytes of the whole index directory.
    pub total_bytes: u64,
}

/// Text per batch handed from the reader thread to the tokenizers.
const BATCH_BYTES: usize = 8 << 20;

/// Builds an index as `opts` says.
pub fn build(opts: &BuildOptions) -> Result<BuildSummary> {
    let started = Instant::now();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    if opts.shard_max_tokens < 2 || opts.shard_max_tokens > crate::options::DEFAULT_SHARD_MAX_TOKENS
    {
        bail!(
            "--shard-max-tokens must be between 2 and {}",
            crate::options::DEFAULT_SHARD_MAX_TOKENS
        );
    }
    let (tokenizer, tokenizer_json) = TextTokenizer::from_spec(&opts.tokenizer)
        .with_context(|| format!("cannot load tokenizer {}", opts.tokenizer))?;
    let files = discover(&opts.inputs, opts.format)?;
    let temp = TempIndexDir::create(&opts.out, opts.force)?;
    let build_id = new_build_id();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    let ctx = Ctx {
        opts,
        tokenizer: &tokenizer,
        files: &files,
        dir: temp.path(),
        build_id,
        threads,
    };
    let mut out = pool.install(|| match tokenizer.width() {
        TokenWidth::U8 => run::<u8>(&ctx),
        TokenWidth::U16 => run::<u16>(&ctx),
        TokenWidth::U32 => run::<u32>(&ctx),
    })?;
    if let Some(json) = &tokenizer_json {
        side_files::write_tokenizer(temp.path(), build_id, json)?;
    }
    out.timings
        .insert("total".into(), started.elapsed().as_secs_f64());
    let mut manifest = Manifest {
        name: opts.name.clone(),
        build_id: format!("{build_id:016x}"),
        created_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
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
        sources: out.sources,
        renamed_duplicate_ids: out.renamed,
        options: BuildOptionsRecord {
            text_field: opts.text_field.clone(),
            id_field: opts.id_field.clone(),
            shard_max_tokens: opts.shard_max_tokens,
            max_document_bytes: opts.max_document_bytes,
            strict: opts.strict,
            fulltext: opts.fulltext,
            threads,
        },
        timings: out.timings,
        peak_rss_bytes: crate::rss::peak_rss_bytes(),
        fulltext_files: fulltext_sums(temp.path(), opts.fulltext)?,
        normalization: opts.normalize,
        side_indexes: opts.side_indexes.clone(),
    };
    for side in &opts.side_indexes {
        let t = Instant::now();
        let mut o = opts.clone();
        o.out = temp.path().join("side").join(side.name());
        o.name = format!("{}/{}", opts.name, side.name());
        o.tokenizer = "bytes".into();
        o.normalize = Some(*side);
        o.side_indexes = Vec::new();
        o.fulltext = false;
        o.force = false;
        build(&o).with_context(|| format!("building the {} side index", side.name()))?;
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
    temp.commit()?;
    let total_bytes = crate::sizes::dir_size(&opts.out)?;
    Ok(BuildSummary {
        manifest,
        skip_examples: out.skips.examples().to_vec(),
        exact_match_bytes,
        total_bytes,
    })
}

/// Sizes and checksums of the tantivy files, recorded so opening can detect any change.
fn fulltext_sums(
    dir: &std::path::Path,
    built: bool,
) -> Result<BTreeMap<String, verbatim_core::manifest::FileSum>> {
    let mut sums = BTreeMap::new();
    if built {
        let ft = dir.join(verbatim_core::fulltext::FULLTEXT_DIR);
        for name in verbatim_core::manifest::fulltext_file_names(&ft)? {
            sums.insert(
                name.clone(),
                verbatim_core::manifest::FileSum::of(&ft.join(&name))?,
            );
        }
    }
    Ok(sums)
}

struct Ctx<'a> {
    opts: &'a BuildOptions,
    tokenizer: &'a TextTokenizer,
    files: &'a [InputFile],
    dir: &'a std::path::Path,
    build_id: u64,
    threads: usize,
}

struct RunOutput {
    shards: Vec<ShardInfo>,
    inputs: Vec<InputInfo>,
    skips: Skips,
    sources: Vec<String>,
    renamed: u64,
    text_bytes: u64,
    timings: BTreeMap<String, f64>,
}

/// What the reader thread hands back when it is done.
struct ReadResult {
    skips: Skips,
    sha256: Vec<String>,
}

fn new_build_id() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}-{}", std::process::id());
    xxhash_rust::xxh3::xxh3_64(seed.as_bytes()) | 1
}

fn run<T: Token>(ctx: &Ctx<'_>) -> Result<RunOutput> {
    let opts = ctx.opts;
    let total_input: u64 = ctx.files.iter().map(|f| f.bytes).sum();
    let read_bytes = Arc::new(AtomicU64::new(0));
    let progress = Progress::new(opts.progress, total_input, read_bytes.clone());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Document>>(2);

    // Reader thread: decompress and parse, in file order.
    let reader_files = ctx.files.to_vec();
    let reader_opts = opts.clone();
    let reader_progress = read_bytes.clone();
    let decode_threads = ctx.threads;
    let reader = std::thread::Builder::new()
        .name("verbatim-reader".into())
        .spawn(move || -> Result<ReadResult> {
            let r = JsonlReader {
                text_field: &reader_opts.text_field,
                id_field: &reader_opts.id_field,
                max_document_bytes: reader_opts.max_document_bytes,
                strict: reader_opts.strict,
                progress: reader_progress,
            };
            let mut skips = Skips::default();
            let mut batch = Vec::new();
            let mut batch_bytes = 0usize;
            let sha = read_inputs(&r, &reader_files, decode_threads, &mut skips, &mut |doc| {
                batch_bytes += doc.text.len();
                batch.push(doc);
                if batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    tx.send(std::mem::take(&mut batch))
                        .context("tokenizer stage stopped")?;
                }
                Ok(())
            })?;
            if !batch.is_empty() {
                tx.send(batch).context("tokenizer stage stopped")?;
            }
            Ok(ReadResult { skips, sha256: sha })
        })
        .context("cannot start reader thread")?;

    let mut timings = BTreeMap::new();
    let t_read = Instant::now();
    let mut shards = Vec::new();
    let mut sa_secs = 0.0;
    let mut write_secs = 0.0;
    let vocab = ctx.tokenizer.vocab_size();
    let mut builder = ShardBuilder::<T>::new(0, vocab, opts.shard_max_tokens);
    let fulltext = if opts.fulltext {
        Some(FullTextWriter::create(
            &ctx.dir.join(verbatim_core::fulltext::FULLTEXT_DIR),
            ctx.threads,
        )?)
    } else {
        None
    };
    let mut ids: Vec<(String, u64)> = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut renamed = 0u64;
    let mut sources: BTreeMap<String, roaring::RoaringBitmap> = BTreeMap::new();
    let mut per_file_docs = vec![0u64; ctx.files.len()];
    let mut late_skips: Vec<(SkipReason, usize, String)> = Vec::new();
    let mut next_doc = 0u64;
    let mut text_bytes = 0u64;

    let mut finish_shard = |builder: ShardBuilder<T>, shards: &mut Vec<ShardInfo>| -> Result<()> {
        let name = shard_dir_name(shards.len());
        progress.stage(&format!("suffix array of {name}"));
        let (info, t) = builder.finish(&ctx.dir.join(&name), &name, ctx.build_id, ctx.threads)?;
        sa_secs += t.suffix_array;
        write_secs += t.write;
        shards.push(info);
        Ok(())
    };

    for batch in rx {
        let mut batch = batch;
        if let Some(n) = opts.normalize {
            batch.par_iter_mut().for_each(|d| d.text = n.apply(&d.text));
        }
        let encoded: Vec<_> = batch
            .par_iter()
            .map(|d| ctx.tokenizer.encode_ids(&d.text))
            .collect();
        for (doc, ids_res) in batch.into_iter().zip(encoded) {
            let where_ = format!("{}:{}", ctx.files[doc.file].path.display(), doc.line);
            let tokens = ids_res.with_context(|| format!("{where_}: tokenizer failed"))?;
            if tokens.is_empty() {
                late_skips.push((
                    SkipReason::EmptyDocument,
                    doc.file,
                    format!("{where_}: text has no tokens"),
                ));
                continue;
            }
            if tokens.len() as u64 + 1 > opts.shard_max_tokens {
                late_skips.push((
                    SkipReason::DocumentTooManyTokens,
                    doc.file,
                    format!(
                        "{where_}: {} tokens exceed --shard-max-tokens {}",
                        tokens.len(),
                        opts.shard_max_tokens
                    ),
                ));
                continue;
            }
            if !builder.fits(tokens.len()) {
                let full = std::mem::replace(
                    &mut builder,
                    ShardBuilder::new(next_doc, vocab, opts.shard_max_tokens),
                );
                finish_shard(full, &mut shards)?;
                progress.stage("reading and tokenizing");
            }
            let doc_no = next_doc;
            next_doc += 1;
            per_file_docs[doc.file] += 1;
            text_bytes += doc.text.len() as u64;
            let id = unique_id(doc.id, &mut seen, &mut renamed);
            if let Some(src) = &doc.source {
                sources
                    .entry(src.clone())
                    .or_default()
                    .insert(doc_no as u32);
            }
            let record = DocRecord {
                id: id.clone(),
                source: doc.source,
                metadata: doc.metadata,
                text_bytes: doc.text.len() as u64,
            };
            builder.push(&tokens, &record);
            progress.add_tokens(tokens.len() as u64 + 1);
            if let Some(ft) = &fulltext {
                let meta = serde_json::to_string(&record.metadata)?;
                ft.add(doc_no, &id, record.source.as_deref(), &meta, &doc.text)?;
            }
            ids.push((id, doc_no));
        }
    }
    let read = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader thread panicked"))??;
    let mut skips = read.skips;
    for (reason, file, msg) in late_skips {
        if opts.strict {
            bail!("{msg} (bad input is an error with --strict)");
        }
        skips.record(reason, file, msg);
    }
    timings.insert("read_tokenize".into(), t_read.elapsed().as_secs_f64());
    if next_doc == 0 {
        bail!(
            "no documents to index: {} input file(s) held no usable document ({} skipped)",
            ctx.files.len(),
            skips.total()
        );
    }
    // Commit the full-text index first, so its memory is free before the last (usually the
    // largest) suffix array is built: this bounds the build's peak memory.
    if let Some(ft) = fulltext {
        let t = Instant::now();
        progress.stage("full-text index commit");
        ft.finish()?;
        timings.insert("fulltext_commit".into(), t.elapsed().as_secs_f64());
    }
    if !builder.is_empty() {
        finish_shard(builder, &mut shards)?;
    }
    timings.insert("suffix_array".into(), sa_secs);
    timings.insert("write_shards".into(), write_secs);

    let t = Instant::now();
    progress.stage("id map and source sets");
    side_files::write_id_map(ctx.dir, ctx.build_id, ids)?;
    let source_names: Vec<String> = sources.keys().cloned().collect();
    side_files::write_sources(ctx.dir, ctx.build_id, &sources)?;
    timings.insert("id_map".into(), t.elapsed().as_secs_f64());
    progress.finish();
    let inputs = ctx
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| InputInfo {
            path: f.path.display().to_string(),
            bytes: f.bytes,
            sha256: read.sha256.get(i).cloned().unwrap_or_default(),
            documents: per_file_docs[i],
            skipped: skips.in_file(i),
        })
        .collect();
    Ok(RunOutput {
        shards,
        inputs,
        skips,
        sources: source_names,
        renamed,
        text_bytes,
        timings,
    })
}

/// Makes an external id unique: a repeat of an earlier id gets `#2`, `#3`, ...
fn unique_id(id: String, seen: &mut HashMap<String, u32>, renamed: &mut u64) -> String {
    match seen.get_mut(&id) {
        None => {
            seen.insert(id.clone(), 1);
            id
        }
        Some(n) => {
            *n += 1;
            *renamed += 1;
            let mut k = *n;
            loop {
                let candidate = format!("{id}#{k}");
                if !seen.contains_key(&candidate) {
                    seen.insert(candidate.clone(), 1);
                    return candidate;
                }
                k += 1;
            }
        }
    }
}
