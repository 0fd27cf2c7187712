//! `verbatim attach`: serve an existing infini-gram index in place, with a side directory of
//! what verbatim needs beyond its files (tokenizer, id map, unigram counts, BM25 index).

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_core::infini_gram::IdRule;
use verbatim_core::TokenWidth;

/// Arguments of `verbatim attach`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The infini-gram index directory (v4: tokenized.N, table.N, offset.N, ...). Nothing is
    /// written into it.
    #[arg(long = "infini-gram", value_name = "DIR")]
    index: PathBuf,
    /// The tokenizer.json the index was built with, or `bytes` for a byte-level (u8) index.
    #[arg(long)]
    tokenizer: String,
    /// The side directory to write (default: DIR.verbatim beside DIR, which
    /// `verbatim serve --index DIR` finds by itself).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Name of the index in the API and on the page (default: the directory name).
    #[arg(long)]
    name: Option<String>,
    /// Token width, when the file sizes do not tell it.
    #[arg(long, value_parser = parse_width)]
    token_width: Option<TokenWidth>,
    /// infini-gram index version (only 4 is read; use it for a v4 index named v5_...).
    #[arg(long)]
    version: Option<u32>,
    /// The token id of a document end in next-token distributions (default: the tokenizer's
    /// end-of-text token).
    #[arg(long)]
    eos_token_id: Option<u32>,
    /// External ids: the corpus's `id` field, `FILE:LINE`, or `#N` (default: the corpus's
    /// ids when all are present, unique and at most 4096 bytes long, else FILE:LINE, else #N;
    /// metadata-id refuses a longer id).
    #[arg(long, value_parser = parse_rule)]
    id_rule: Option<IdRule>,
    /// Skip the BM25 full-text index (keyword search), which decodes every document.
    #[arg(long)]
    no_fulltext: bool,
    /// Replace an existing side directory. Its takedowns are carried over to the new one by
    /// external id.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

fn parse_width(s: &str) -> Result<TokenWidth, String> {
    match s {
        "u8" => Ok(TokenWidth::U8),
        "u16" => Ok(TokenWidth::U16),
        "u32" => Ok(TokenWidth::U32),
        _ => Err("expected u8, u16 or u32".into()),
    }
}

fn parse_rule(s: &str) -> Result<IdRule, String> {
    match s {
        "metadata-id" => Ok(IdRule::MetadataId),
        "path-line" => Ok(IdRule::PathLine),
        "doc-number" => Ok(IdRule::DocNumber),
        _ => Err("expected metadata-id, path-line or doc-number".into()),
    }
}

/// Runs `verbatim attach`.
pub fn run(a: Args) -> Result<ExitCode> {
    let opts = verbatim_indexer::AttachOptions {
        index: a.index.clone(),
        out: a.out,
        tokenizer: a.tokenizer,
        name: a.name,
        token_width: a.token_width,
        version: a.version,
        eos_token_id: a.eos_token_id,
        id_rule: a.id_rule,
        fulltext: !a.no_fulltext,
        force: a.force,
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
    };
    let s = verbatim_indexer::attach(&opts)
        .with_context(|| format!("cannot attach {}", a.index.display()))?;
    let m = &s.manifest;
    outln!(
        "attached {} ({} shards, {} documents, {} tokens, {:?}) as {}",
        a.index.display(),
        m.shards.len(),
        m.documents,
        m.tokens,
        m.tokenizer.width,
        s.out.display()
    );
    outln!(
        "ids: {:?}; {:.1}s (unigrams {:.1}s, ids {:.1}s, full text {:.1}s)",
        s.id_rule,
        s.timings.get("total").copied().unwrap_or(0.0),
        s.timings.get("unigrams").copied().unwrap_or(0.0),
        s.timings.get("ids").copied().unwrap_or(0.0),
        s.timings.get("fulltext").copied().unwrap_or(0.0)
    );
    if let Some(t) = &s.takedowns {
        outln!("{}", crate::output::carried_takedowns(t));
    }
    Ok(ExitCode::SUCCESS)
}
