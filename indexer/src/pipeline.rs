//! The streaming part of a build: read → tokenize (parallel) → shards sized to the memory
//! budget → full-text documents; shared by fresh builds and appends.

use crate::error::{bail, Context, Result};
use crate::fulltext_writer::FullTextWriter;
use crate::id_map::{IdMap, SortedIds};
use crate::id_table::IdTable;
use crate::input::{read_inputs, Document, InputFile, JsonlReader, SkipReason, Skips};
use crate::memory::MemoryBudget;
use crate::options::BuildOptions;
use crate::placement::ShardPlacement;
use crate::progress::Progress;
use crate::shard_builder::ShardBuilder;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;
use verbatim_core::format::MappedSlice;
use verbatim_core::manifest::{InputInfo, ShardInfo, SourceStats};
use verbatim_core::shard::DocRecord;
use verbatim_core::sources::SourceSets;
use verbatim_core::{TextTokenizer, Token};

/// Memory per batch handed from the reader thread to the tokenizers (documents weighed by
/// [`Document::held_bytes`]).
pub const BATCH_BYTES: usize = 8 << 20;

/// What the pipeline needs to know.
pub struct Ctx<'a> {
    /// The build's options.
    pub opts: &'a BuildOptions,
    /// The tokenizer.
    pub tokenizer: &'a TextTokenizer,
    /// The input files, in order.
    pub files: &'a [InputFile],
    /// Build id stamped in every file written.
    pub build_id: u64,
    /// Worker threads.
    pub threads: usize,
    /// The memory budget.
    pub budget: MemoryBudget,
    /// Global number of the first new document (the index's document count for an append).
    pub first_doc: u64,
    /// Where new shards go.
    pub placement: &'a ShardPlacement,
    /// Number of the first new shard.
    pub first_shard: usize,
    /// The index's id map, for an append (new ids must not repeat its ids).
    pub existing_ids: Option<&'a fst::Map<MappedSlice>>,
    /// Where the ids read go when they outgrow their share of the budget (a directory made
    /// when first needed and removed when the id map is written; one left there is removed
    /// first).
    pub id_spill: PathBuf,
    /// The full-text writer, if the index has a full-text index.
    pub fulltext: Option<FullTextWriter>,
    /// For a side index: the documents its main index skipped after reading them. A side
    /// index must number its documents as its main index does, so it skips exactly these and
    /// keeps every other document, even one its normalisation left empty (`None`: decide
    /// alone, as a main index does).
    pub follow: Option<&'a LateSkips>,
}

/// The documents a build skipped after reading them (no tokens, or more tokens than a shard
/// holds), by input file and line, with the reason.
pub type LateSkips = HashMap<(usize, u64), SkipReason>;

/// What the pipeline produced.
pub struct RunOutput {
    /// The new shards.
    pub shards: Vec<ShardInfo>,
    /// The files read.
    pub inputs: Vec<InputInfo>,
    /// Skipped input.
    pub skips: Skips,
    /// Documents of each source (new documents only).
    pub sources: SourceSets,
    /// Documents, tokens and text per source (new documents only).
    pub source_stats: BTreeMap<String, SourceStats>,
    /// Ids renamed because they repeated an earlier id of this build.
    pub renamed: u64,
    /// The first renames, for the console summary.
    pub rename_examples: Vec<String>,
    /// Text bytes indexed.
    pub text_bytes: u64,
    /// `(external id, global document number)` of every new document, in id order.
    pub ids: SortedIds,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
    /// The documents skipped after reading (for the side indexes to skip the same ones).
    pub late_skipped: LateSkips,
}

/// What the reader thread hands back when it is done.
struct ReadResult {
    skips: Skips,
    sha256: Vec<String>,
}

/// Runs the pipeline over `ctx.files`, writing new shards.
pub fn run<T: Token>(mut ctx: Ctx<'_>) -> Result<RunOutput> {
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
            let mut skips = match &reader_opts.skip_log {
                Some(path) => Skips::logging_to(path)
                    .with_context(|| format!("cannot start the skip log {}", path.display()))?,
                None => Skips::default(),
            };
            let mut batch = Vec::new();
            let mut batch_bytes = 0usize;
            let sha = read_inputs(&r, &reader_files, decode_threads, &mut skips, &mut |doc| {
                // Weighed by all a document holds, not by its text alone, which made a batch
                // of 8 MiB of 17-byte documents hold 490,000 of them.
                batch_bytes += doc.held_bytes();
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
    let mut shards: Vec<ShardInfo> = Vec::new();
    // The most shards a process on this machine can map (read once, not per shard).
    let map_limit = verbatim_core::sysmem::max_map_count();
    let openable = verbatim_core::sysmem::openable_shards_of(map_limit);
    let mut sa_secs = 0.0;
    let mut write_secs = 0.0;
    let vocab = ctx.tokenizer.vocab_size();
    let mut builder: Option<ShardBuilder<T>> = None;
    let mut table = IdTable::new(
        ctx.existing_ids,
        IdMap::spilling(
            ctx.id_spill.clone(),
            opts.id_memory
                .unwrap_or_else(|| ctx.budget.id_spill_bytes()),
        ),
    );
    let mut sources = SourceSets::new();
    let mut source_stats: BTreeMap<String, SourceStats> = BTreeMap::new();
    let mut per_file_docs = vec![0u64; ctx.files.len()];
    let mut late_skips: Vec<(SkipReason, usize, String)> = Vec::new();
    let mut late_skipped = LateSkips::new();
    let mut next_doc = ctx.first_doc;
    let mut text_bytes = 0u64;
    let fulltext_part = opts.part.map_or(0, |k| k as u64 + 1);

    let mut finish_shard = |b: ShardBuilder<T>, shards: &mut Vec<ShardInfo>| -> Result<()> {
        progress.stage(&format!(
            "suffix array of shard {}",
            ctx.first_shard + shards.len()
        ));
        let (info, t) = b.finish(ctx.threads)?;
        sa_secs += t.suffix_array;
        write_secs += t.write;
        shards.push(info);
        progress.stage("reading and tokenizing");
        Ok(())
    };

    for batch in rx {
        let mut batch = batch;
        if let Some(n) = opts.normalize {
            let rules = opts.normalization_rules;
            batch
                .par_iter_mut()
                .for_each(|d| d.text = n.apply_under(&d.text, rules));
        }
        let encoded: Vec<_> = batch
            .par_iter()
            .map(|d| ctx.tokenizer.encode_ids(&d.text))
            .collect();
        for (doc, ids_res) in batch.into_iter().zip(encoded) {
            let where_ = format!("{}:{}", ctx.files[doc.file].path.display(), doc.line);
            let tokens = ids_res.with_context(|| format!("{where_}: tokenizer failed"))?;
            let need = tokens.len() as u64 + 1;
            let skip = match ctx.follow {
                Some(main) => main
                    .get(&(doc.file, doc.line))
                    .map(|&reason| (reason, format!("{where_}: skipped in the main index"))),
                None if tokens.is_empty() => Some((
                    SkipReason::EmptyDocument,
                    format!("{where_}: text has no tokens"),
                )),
                None => None,
            };
            if let Some((reason, msg)) = skip {
                late_skipped.insert((doc.file, doc.line), reason);
                late_skips.push((reason, doc.file, msg));
                continue;
            }
            if need > opts.shard_max_tokens {
                if ctx.follow.is_some() {
                    bail!(
                        "{where_}: the normalised text of this document is {} bytes, more than --shard-max-tokens {} lets the side index hold; raise --shard-max-tokens",
                        tokens.len(),
                        opts.shard_max_tokens
                    );
                }
                late_skipped.insert((doc.file, doc.line), SkipReason::DocumentTooManyTokens);
                late_skips.push((
                    SkipReason::DocumentTooManyTokens,
                    doc.file,
                    format!(
                        "{where_}: {} tokens and the separator before them exceed --shard-max-tokens {}",
                        tokens.len(),
                        opts.shard_max_tokens
                    ),
                ));
                continue;
            }
            let limit = |b: Option<&ShardBuilder<T>>| {
                opts.shard_max_tokens.min(ctx.budget.shard_tokens(
                    table.held_bytes()
                        + b.map_or(crate::shard_builder::OPENING_BYTES, |b| b.held_bytes()),
                ))
            };
            if let Some(b) = builder.as_ref() {
                if b.tokens() + need > limit(Some(b)) {
                    let full = builder.take().expect("checked");
                    finish_shard(full, &mut shards)?;
                }
            }
            if builder.is_none() {
                if need > limit(None) {
                    // What this document needs now; the ids of the documents after it need
                    // more, so the value named is a floor.
                    let now = ctx.budget.fixed
                        + table.held_bytes()
                        + crate::shard_builder::OPENING_BYTES
                        + (need + 1) * ctx.budget.per_token;
                    bail!(
                        "{where_}: a document of {} tokens does not fit in a shard under --max-memory {} once the ids of {} documents are held (in memory up to an eighth of the budget, then on disk with about 1.4 bytes an id kept in memory; the budget named at start leaves room for a small id table); raise --max-memory above {}, with room for the ids of the documents still to come",
                        tokens.len(),
                        crate::memory::human(ctx.budget.total),
                        next_doc - ctx.first_doc,
                        crate::memory::human_ceil(now)
                    );
                }
                let i = ctx.first_shard + shards.len();
                if let Some(most) = openable {
                    if i as u64 >= most {
                        let last = shards.last().map_or(0, |s| s.tokens);
                        bail!(
                            "{where_}: this index would need more than {most} shards, more than a process on this machine can map (vm.max_map_count {}, {} maps a shard); under --max-memory {} the ids and records held leave room for shards of {} tokens (the last one made); raise --max-memory, or --shard-max-tokens if it is set low",
                            map_limit.unwrap_or(0),
                            verbatim_core::sysmem::MAPS_PER_SHARD,
                            crate::memory::human(ctx.budget.total),
                            last
                        );
                    }
                }
                let (abs, name) = ctx.placement.place(i)?;
                builder = Some(ShardBuilder::create(
                    &abs,
                    &name,
                    ctx.build_id,
                    next_doc,
                    vocab,
                )?);
            }
            let doc_no = next_doc;
            next_doc += 1;
            per_file_docs[doc.file] += 1;
            text_bytes += doc.text.len() as u64;
            let id = table.insert(doc.id, doc_no, &where_, doc.id_origin, &opts.id_field)?;
            if let Some(src) = &doc.source {
                sources.entry(src.clone()).or_default().insert(
                    u32::try_from(doc_no).context("more than 2^32 documents in one index")?,
                );
                let st = source_stats.entry(src.clone()).or_default();
                st.documents += 1;
                st.tokens += tokens.len() as u64;
                st.text_bytes += doc.text.len() as u64;
            }
            let record = DocRecord {
                id: id.clone(),
                source: doc.source,
                metadata: doc.metadata,
                text_bytes: doc.text.len() as u64,
            };
            builder
                .as_mut()
                .expect("created above")
                .push(&tokens, &record)?;
            progress.add_tokens(need);
            if let Some(ft) = &ctx.fulltext {
                let meta = serde_json::to_string(&record.metadata)?;
                ft.add(
                    doc_no,
                    fulltext_part,
                    &id,
                    record.source.as_deref(),
                    &meta,
                    &doc.text,
                )?;
            }
        }
    }
    let read = reader
        .join()
        .map_err(|_| crate::error::Error::Failed("reader thread panicked".into()))??;
    let mut skips = read.skips;
    for (reason, file, msg) in late_skips {
        if opts.strict {
            return Err(crate::error::Error::Input(format!(
                "{msg} (bad input is an error with --strict)"
            )));
        }
        skips.record(reason, file, msg);
    }
    skips.finish_log().context("cannot write the skip log")?;
    timings.insert("read_tokenize".into(), t_read.elapsed().as_secs_f64());
    if next_doc == ctx.first_doc {
        return Err(crate::error::Error::Input(format!(
            "no documents to index: {} input file(s) held no usable document ({} skipped)",
            ctx.files.len(),
            skips.total()
        )));
    }
    // Commit the full-text index first, so its memory is free before the last suffix array
    // is built.
    if let Some(ft) = ctx.fulltext.take() {
        let t = Instant::now();
        progress.stage("full-text index commit");
        ft.finish()?;
        timings.insert("fulltext_commit".into(), t.elapsed().as_secs_f64());
    }
    if let Some(b) = builder.take() {
        finish_shard(b, &mut shards)?;
    }
    timings.insert("suffix_array".into(), sa_secs);
    timings.insert("write_shards".into(), write_secs);
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
            generation: 0,
        })
        .collect();
    let renamed = table.renamed();
    let rename_examples = table.rename_examples().to_vec();
    let spilled = table.spilled_runs();
    if spilled > 0 {
        tracing::debug!("ids spilled to disk: {spilled} runs");
    }
    let ids = table.into_ids()?;
    Ok(RunOutput {
        late_skipped,
        shards,
        inputs,
        skips,
        sources,
        source_stats,
        renamed,
        rename_examples,
        text_bytes,
        ids,
        timings,
    })
}
