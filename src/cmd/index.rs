//! `verbatim index`: build an index.

use crate::output::human_bytes;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_indexer::{BuildOptions, InputFormat};

/// Arguments of `verbatim index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Corpus files or directories (walked recursively, in sorted order): JSONL (.jsonl,
    /// .jsonl.gz, .jsonl.zst), Parquet (.parquet: HuggingFace, pyarrow, polars and Spark
    /// layouts; writer side files such as _SUCCESS, and HuggingFace's dataset_info.json and
    /// state.json, are skipped), or plain-text files. A directory holding JSONL or Parquet
    /// files is a dataset: its other files (README.md, LICENSE, scripts) are left out with a
    /// warning unless given on their own. Arrow files (.arrow, as HuggingFace's
    /// save_to_disk writes) are not read: export the dataset to Parquet or JSONL.
    #[arg(long, short, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Directory to create (written atomically).
    #[arg(long, short)]
    out: PathBuf,
    /// A HuggingFace tokenizer.json, or `bytes` for raw UTF-8 bytes. Use the tokenizer of the
    /// model whose output you will trace. With --append it may be omitted (the index's own
    /// copy is used); if given it must be the index's.
    #[arg(long, short, required_unless_present = "append")]
    tokenizer: Option<String>,
    /// Add the inputs to the existing index at --out as new shards, without rewriting its
    /// shards. Atomic: an interrupted append leaves the index as it was. Ids already in the
    /// index are refused. The index keeps its name, full-text setting and side indexes, so
    /// --name, --no-fulltext, --side-indexes, --force and --part are refused with --append.
    #[arg(long)]
    append: bool,
    /// Keep the build's memory (peak resident set of the whole process) under this size, e.g.
    /// 4G or 512M: the corpus is split into as many shards as needed. Default: 60% of the
    /// memory available at start (printed; in a container, within its memory cgroup's limit).
    #[arg(long, value_parser = verbatim_indexer::memory::parse_size)]
    max_memory: Option<u64>,
    /// Memory the documents' ids may hold before they are written to disk as a sorted run
    /// (default: an eighth of what --max-memory leaves for shards and ids). For tests and
    /// benchmarks.
    #[arg(long, hide = true, value_parser = verbatim_indexer::memory::parse_size)]
    id_memory: Option<u64>,
    /// Write new shards under these directories (e.g. other disks), round-robin, instead of
    /// inside the index directory; the manifest names them by absolute path. Repeatable.
    #[arg(long = "shard-root")]
    shard_roots: Vec<PathBuf>,
    /// Build part K (0-based, in corpus-file order) of a distributed build, to be joined with
    /// the other parts by `verbatim assemble`. Give --parts too: without it a missing last
    /// part cannot be seen (assemble warns).
    #[arg(long, conflicts_with = "append")]
    part: Option<u32>,
    /// How many parts the distributed build has (with --part): recorded, so that `verbatim
    /// assemble` refuses to join the parts without every one, the last included.
    #[arg(long, requires = "part")]
    parts: Option<u32>,
    /// Name shown by the server (default: the output directory's name). Not with --append (an
    /// append keeps the index's name).
    #[arg(long, conflicts_with = "append")]
    name: Option<String>,
    /// How to read inputs: auto (by file name), jsonl, parquet, or text (one document per
    /// file).
    #[arg(long, default_value = "auto", value_parser = ["auto", "jsonl", "parquet", "text"])]
    format: String,
    /// JSON field or Parquet column holding the document text (default `text`; Parquet files
    /// with no `text` column but a `content` column use `content`). With --append: the
    /// index's, unless given.
    #[arg(long)]
    text_field: Option<String>,
    /// JSON field or Parquet column holding the document's external id (default `id`; absent:
    /// FILE:LINE for JSONL, FILE:ROW for Parquet, rows counted from 0; so is an id that is not
    /// a string or number, or longer than 4096 bytes, counted in a warning; a number keeps its
    /// written text). With --append: the index's, unless given.
    #[arg(long)]
    id_field: Option<String>,
    /// Maximum tokens per shard; larger corpora are split into several shards (default: the
    /// suffix-array library's limit, 2^31 - 1). A document is never split: one longer than a
    /// shard is skipped and counted. With --append: the index's, unless given.
    #[arg(long)]
    shard_max_tokens: Option<u64>,
    /// Skip documents with more text than this many bytes (and JSONL lines longer than three
    /// times this plus 1 MiB, room for escaped text, the id and metadata). Units as for
    /// --max-memory (`64M`; default 64M). With --append: the index's (another value is
    /// refused).
    #[arg(long, value_parser = verbatim_indexer::memory::parse_size)]
    max_document_bytes: Option<u64>,
    /// Fail on the first bad input instead of skipping and counting it.
    #[arg(long)]
    strict: bool,
    /// Write every skipped document to this file, one JSON object a line (`reason`,
    /// `documents`, and `message` naming the file and line or row); the summary shows only
    /// the first 20. Replaced once every input is read (a build stopped before then keeps
    /// the previous log); a device such as /dev/stderr is written as it goes. Not inside
    /// --out or an input directory, never an input file.
    #[arg(long)]
    skip_log: Option<PathBuf>,
    /// Do not build the full-text (BM25 keyword search) index. Not with --append (an append
    /// adds to the full-text index if the index has one).
    #[arg(long, conflicts_with = "append")]
    no_fulltext: bool,
    /// Replace an existing index at --out (only an index, or an empty directory: anything
    /// else there is refused, not deleted). Its takedowns are carried over to the new index by
    /// external id. Not with --append, which adds to that index.
    #[arg(long, conflicts_with = "append")]
    force: bool,
    /// Also build normalised byte-level side indexes for exact word-level contamination
    /// checks: `words` (GPT-3 / PaLM n-grams, 50-char substrings) and `alnum` (GPT-4). Not
    /// with --append (an append adds to the side indexes the index already has).
    #[arg(long, value_delimiter = ',', value_parser = ["words", "alnum"], conflicts_with = "append")]
    side_indexes: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim index`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut opts = BuildOptions::new(a.input, a.out, a.tokenizer.unwrap_or_default());
    opts.append = a.append;
    opts.shard_roots = a.shard_roots;
    opts.part = a.part;
    opts.parts = a.parts;
    opts.max_memory = a.max_memory;
    opts.id_memory = a.id_memory;
    match a.max_memory {
        Some(m) => eprintln!(
            "memory budget {} (--max-memory)",
            verbatim_indexer::memory::human(m)
        ),
        None => {
            let budget = verbatim_indexer::memory::default_budget();
            let available = verbatim_core::sysmem::available()
                .map_or("unknown".to_string(), verbatim_indexer::memory::human);
            eprintln!(
                "memory budget {} (default: 60% of the {available} available; set it with --max-memory)",
                verbatim_indexer::memory::human(budget)
            );
            opts.max_memory = Some(budget);
        }
    }
    if let Some(n) = a.name {
        opts.name = n;
    }
    opts.format = match a.format.as_str() {
        "jsonl" => InputFormat::Jsonl,
        "text" => InputFormat::Text,
        "parquet" => InputFormat::Parquet,
        _ => InputFormat::Auto,
    };
    // An append reads its new files as the index was built (the fields it was told), cuts
    // shards as it did and keeps its document limit: what is left out comes from the index's
    // manifest.
    let built = a
        .append
        .then(|| verbatim_core::manifest::Manifest::read(&opts.out).ok())
        .flatten()
        .map(|(m, _)| m.options);
    opts.text_field = a
        .text_field
        .or_else(|| built.as_ref().map(|b| b.text_field.clone()))
        .unwrap_or(opts.text_field);
    opts.id_field = a
        .id_field
        .or_else(|| built.as_ref().map(|b| b.id_field.clone()))
        .unwrap_or(opts.id_field);
    opts.shard_max_tokens = a
        .shard_max_tokens
        .or_else(|| built.as_ref().map(|b| b.shard_max_tokens))
        .unwrap_or(opts.shard_max_tokens);
    opts.max_document_bytes = a
        .max_document_bytes
        .or_else(|| built.as_ref().map(|b| b.max_document_bytes))
        .unwrap_or(opts.max_document_bytes);
    opts.strict = a.strict;
    opts.skip_log = a.skip_log;
    opts.fulltext = !a.no_fulltext;
    opts.force = a.force;
    opts.threads = a.threads;
    opts.side_indexes = a
        .side_indexes
        .iter()
        .filter_map(|n| verbatim_core::normalize::Normalization::from_name(n))
        .collect();
    opts.progress = std::io::stderr().is_terminal();
    let summary = verbatim_indexer::build(&opts)?;
    let m = &summary.manifest;
    if a.json {
        crate::output::print_json(&serde_json::json!({
            "manifest": m,
            "exact_match_bytes": summary.exact_match_bytes,
            "total_bytes": summary.total_bytes,
            "takedowns": summary.takedowns.as_ref().map(|t| serde_json::json!({
                "carried": t.carried,
                "not_in_new_corpus": t.not_in_new_corpus,
            })),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let skipped: u64 = m.skipped.values().sum();
    if opts.append {
        outln!(
            "appended to index {} at {} (generation {})",
            m.name,
            opts.out.display(),
            m.generation
        );
    } else {
        outln!("index {} written to {}", m.name, opts.out.display());
    }
    if let Some(t) = &summary.takedowns {
        outln!("{}", crate::output::carried_takedowns(t));
    }
    // The manifest's counts are the whole index's: after an append, say so.
    let (indexed, skipped_word) = if opts.append {
        ("in the index now", "skipped by all its builds")
    } else {
        ("indexed", "skipped")
    };
    outln!(
        "  documents  {} {indexed}, {} {skipped_word}{}",
        m.documents,
        skipped,
        if skipped > 0 {
            format!(
                " ({})",
                m.skipped
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        }
    );
    for e in &summary.skip_examples {
        outln!("    {e}");
    }
    if summary.skips_unlisted > 0 {
        outln!(
            "    ... and {} more skipped document(s) not listed here; {}",
            summary.skips_unlisted,
            match &opts.skip_log {
                Some(log) => format!("every skip is in {}", log.display()),
                None => "--skip-log FILE writes every one to FILE".to_string(),
            }
        );
    } else if let Some(log) = opts
        .skip_log
        .as_ref()
        .filter(|_| summary.skipped_this_run > 0)
    {
        outln!("    (every skip is in {})", log.display());
    }
    if m.renamed_duplicate_ids > 0 {
        outln!(
            "  ids        {} repeated id(s) renamed with a `#N` suffix{}{}",
            m.renamed_duplicate_ids,
            if opts.append { " in the index" } else { "" },
            if summary.rename_examples.is_empty() {
                ""
            } else {
                ", the first of this run:"
            }
        );
        for e in &summary.rename_examples {
            outln!("    {e}");
        }
    }
    outln!(
        "  tokens     {} in {} shard(s), {:?} tokens ({} tokenizer {})",
        m.tokens,
        m.shards.len(),
        m.tokenizer.width,
        m.tokenizer.kind,
        &m.tokenizer.sha256[..m.tokenizer.sha256.len().min(12)]
    );
    outln!(
        "  text       {} ({:.2} bytes of text per token)",
        human_bytes(m.text_bytes),
        m.text_bytes as f64 / m.tokens.max(1) as f64
    );
    outln!(
        "  size       {} exact-match structures ({:.3} bytes/token), {} in all ({:.3} bytes/token)",
        human_bytes(summary.exact_match_bytes),
        summary.exact_match_bytes as f64 / m.tokens.max(1) as f64,
        human_bytes(summary.total_bytes),
        summary.total_bytes as f64 / m.tokens.max(1) as f64
    );
    let stages: Vec<String> = m
        .timings
        .iter()
        .map(|(k, v)| format!("{k} {v:.1}s"))
        .collect();
    outln!("  time       {}", stages.join(", "));
    outln!(
        "  peak RSS   {} (budget {})",
        human_bytes(m.peak_rss_bytes),
        human_bytes(summary.max_memory)
    );
    Ok(ExitCode::SUCCESS)
}
