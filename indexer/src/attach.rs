//! `verbatim attach`: a side directory that lets verbatim serve an existing infini-gram index
//! in place.
//!
//! infini-gram's files are never written, copied or converted. The side directory holds only
//! what verbatim needs beyond them, in verbatim's own format (headers, checksums): the manifest
//! (documents and tokens per shard), the tokenizer copy, the per-shard unigram counts (read
//! from `unigram.N`, or counted when the index has none), the external-id map and source sets
//! (from `metadata.N`), the BM25 full-text index (from the decoded documents), and
//! `infini-gram.bin`, which names the infini-gram directory and fingerprints its files. It is
//! written into a temporary directory and renamed into place when complete. The side directory
//! is also where the index's takedown list lives: one replaced with `--force` has its list
//! carried over to the new one by external id (see [`crate::takedowns`]).

use crate::atomic::TempIndexDir;
use crate::error::{refuse, Context, Result};
use crate::fulltext_writer::FullTextWriter;
use crate::side_files;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use verbatim_core::format::{FileKind, FileWriter};
use verbatim_core::infini_gram::{self as ig, Attachment, IdRule, IgShard, Unigrams};
use verbatim_core::manifest::{
    BuildOptionsRecord, IndexFiles, Manifest, SourceStats, TokenizerInfo,
};
use verbatim_core::sources::SourceSets;
use verbatim_core::{TextTokenizer, TokenWidth};

/// How to attach.
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// The infini-gram index directory.
    pub index: PathBuf,
    /// The side directory to write (default: `INDEX.verbatim` beside it).
    pub out: Option<PathBuf>,
    /// `tokenizer.json` the index was built with, or `bytes` for a byte-level index.
    pub tokenizer: String,
    /// Name of the index in the API (default: the directory name).
    pub name: Option<String>,
    /// Token width, when the file sizes do not tell it.
    pub token_width: Option<TokenWidth>,
    /// infini-gram index version, when the directory name does not tell it (`v5_...`).
    pub version: Option<u32>,
    /// The id infini-gram reports for a document end (default: the tokenizer's).
    pub eos_token_id: Option<u32>,
    /// How documents get external ids (default: chosen from the metadata).
    pub id_rule: Option<IdRule>,
    /// Build the BM25 full-text index (decodes every document).
    pub fulltext: bool,
    /// Replace an existing side directory (its takedowns carried over by external id).
    pub force: bool,
    /// Worker threads.
    pub threads: usize,
}

/// What `attach` did.
#[derive(Debug, Clone)]
pub struct AttachSummary {
    /// The side directory written.
    pub out: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The rule that named the documents.
    pub id_rule: IdRule,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
    /// What became of the takedown list of the side directory replaced (`--force`; `None`:
    /// there was none).
    pub takedowns: Option<crate::takedowns::CarriedTakedowns>,
}

/// Attaches a side directory to the infini-gram index `opts.index`.
pub fn attach(opts: &AttachOptions) -> Result<AttachSummary> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let dir = opts
        .index
        .canonicalize()
        .with_context(|| format!("cannot open {}", opts.index.display()))?;
    match opts.version {
        None => ig::refuse_v5_name(&dir)?,
        Some(4) => {}
        Some(v) => refuse!(
            "{}: infini-gram index version {v} is not supported: verbatim reads version 4 \
             (version 5 stores every document reversed)",
            dir.display()
        ),
    }
    let layout = ig::scan(&dir)?;
    let width = match opts.token_width {
        Some(w) => w,
        None => ig::infer_layout_width(&layout)?,
    };
    let (tokenizer, tokenizer_json) = TextTokenizer::from_spec(&opts.tokenizer)?;
    if width == TokenWidth::U8 && tokenizer_json.is_some() {
        refuse!(
            "{} is a byte-level (u8) index: attach it with --tokenizer bytes",
            dir.display()
        );
    }
    if tokenizer.width().bytes() > width.bytes() {
        refuse!(
            "the tokenizer has {} ids, more than {:?} tokens hold",
            tokenizer.vocab_size(),
            width
        );
    }
    let vocab_size = tokenizer.vocab_size();
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| ig::default_side_dir(&dir));
    if out.starts_with(&dir) {
        refuse!(
            "{} is inside the infini-gram index {}: the side directory must be elsewhere",
            out.display(),
            dir.display()
        );
    }
    let temp = TempIndexDir::create(&out, opts.force)?;
    // The side directory replaced holds the index's takedown list: carried over by id.
    crate::takedowns::check(&out, opts.force)?;
    let build_id = crate::build::new_build_id();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .context("cannot start worker threads")?;

    // Shards: opened as the server will open them; unigram counts into the side directory.
    let t = Instant::now();
    let shards: Vec<IgShard> = pool.install(|| {
        layout
            .shards
            .par_iter()
            .map(|files| {
                let s = IgShard::open(
                    files,
                    width,
                    Unigrams::Derive { vocab_size },
                    IdRule::DocNumber,
                )?;
                let counts = s.unigram_counts();
                FileWriter::write_file(
                    &temp
                        .path()
                        .join(ig::attachment::unigram_file(&files.suffix)),
                    FileKind::Unigrams,
                    8,
                    build_id,
                    bytemuck::cast_slice(counts),
                    counts.len() as u64,
                )?;
                s.first_token_table()?;
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    timings.insert("unigrams".into(), t.elapsed().as_secs_f64());
    check_reversal(&shards, &tokenizer, &dir)?;

    // Ids and sources from the metadata.
    let t = Instant::now();
    let id_rule = match opts.id_rule {
        Some(r) => r,
        None => choose_id_rule(&shards),
    };
    crate::takedowns::check_id_rule(&out, opts.force, id_rule)?;
    let infos = ig::shard_infos(&shards);
    // Takedown lists and source sets number documents in 32 bits, as verbatim's own builds
    // do (which refuse more documents).
    let documents: u64 = infos.iter().map(|s| s.documents).sum();
    if documents > u64::from(u32::MAX) + 1 {
        refuse!(
            "the index holds {documents} documents; verbatim numbers at most 2^32 (4,294,967,296) in one index (its takedown lists and source sets are 32-bit): put its shards in several directories and attach and serve each"
        );
    }
    let mut ids: Vec<(String, u64)> = Vec::new();
    let mut sources = SourceSets::new();
    let mut source_stats: BTreeMap<String, SourceStats> = BTreeMap::new();
    for (s, info) in shards.iter().zip(&infos) {
        for d in 0..s.documents() {
            let no = info.first_doc + d as u64;
            let rec = verbatim_core::infini_gram::records::record(
                s.raw_metadata(d),
                id_rule,
                no,
                &s.files().tokenized,
            )?;
            if id_rule == IdRule::MetadataId && rec.id.len() > crate::input::MAX_ID_BYTES {
                refuse!(
                    "document #{no} has an id of {} bytes, and verbatim keeps ids of at most {} (the id map holds state for every byte of an id): attach with `--id-rule path-line`",
                    rec.id.len(),
                    crate::input::MAX_ID_BYTES
                );
            }
            if id_rule != IdRule::DocNumber {
                ids.push((rec.id, no));
            }
            if let Some(src) = rec.source {
                sources.entry(src.clone()).or_default().insert(no as u32);
                let st = source_stats.entry(src).or_default();
                st.documents += 1;
                st.tokens += (s.doc_start(d + 1) - s.doc_start(d) - 1) as u64;
            }
        }
    }
    if id_rule != IdRule::DocNumber {
        let mut sorted: Vec<&str> = ids.iter().map(|(i, _)| i.as_str()).collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            refuse!(
                "two documents have the id {:?}: choose another --id-rule (path-line or doc-number)",
                w[0]
            );
        }
    }
    side_files::write_id_map::<Vec<u8>>(
        &temp.path().join(verbatim_core::index::files::ID_MAP),
        build_id,
        crate::id_map::SortedIds::from_vec(ids),
        None,
    )?;
    side_files::write_sources(
        &temp.path().join(verbatim_core::index::files::SOURCES),
        build_id,
        &sources,
    )?;
    if let Some(json) = &tokenizer_json {
        side_files::write_tokenizer(temp.path(), build_id, json)?;
    }
    timings.insert("ids".into(), t.elapsed().as_secs_f64());

    // The BM25 index of the decoded documents.
    let t = Instant::now();
    let files = IndexFiles::default();
    let mut text_bytes = 0u64;
    if opts.fulltext {
        let ft_dir = temp.path().join(&files.fulltext);
        let ft = FullTextWriter::create(&ft_dir, opts.threads, 1 << 30)?;
        let bytes = std::sync::atomic::AtomicU64::new(0);
        let source_bytes = std::sync::Mutex::new(BTreeMap::<String, u64>::new());
        pool.install(|| {
            shards.iter().zip(&infos).try_for_each(|(s, info)| {
                (0..s.documents()).into_par_iter().try_for_each(|d| {
                    let no = info.first_doc + d as u64;
                    let rec = verbatim_core::infini_gram::records::record(
                        s.raw_metadata(d),
                        id_rule,
                        no,
                        &s.files().tokenized,
                    )?;
                    let range = s.doc_start(d) + 1..s.doc_start(d + 1);
                    let text = tokenizer.decode(&s.tokens().to_u32(range));
                    bytes.fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    if let Some(src) = &rec.source {
                        let mut by_source = source_bytes.lock().unwrap_or_else(|e| e.into_inner());
                        *by_source.entry(src.clone()).or_default() += text.len() as u64;
                    }
                    let meta = serde_json::to_string(&rec.metadata)?;
                    ft.add(no, 0, &rec.id, rec.source.as_deref(), &meta, &text)
                })
            })
        })?;
        ft.finish()?;
        text_bytes = bytes.into_inner();
        let by_source = source_bytes.into_inner().unwrap_or_else(|e| e.into_inner());
        for (src, n) in by_source {
            source_stats.entry(src).or_default().text_bytes = n;
        }
    }
    timings.insert("fulltext".into(), t.elapsed().as_secs_f64());
    let fulltext_files =
        crate::build::fulltext_sums(&temp.path().join(&files.fulltext), opts.fulltext)?;

    let attachment = Attachment {
        dir: dir.clone(),
        version: 4,
        token_width: width,
        eos_token_id: opts
            .eos_token_id
            .unwrap_or_else(|| ig::engine::default_eos(&tokenizer, vocab_size)),
        id_rule,
        shards: Attachment::fingerprint(&layout)?,
    };
    attachment.write(temp.path(), build_id)?;
    timings.insert("total".into(), started.elapsed().as_secs_f64());
    let manifest = Manifest {
        name: opts.name.clone().unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "infini-gram".into())
        }),
        build_id: format!("{build_id:016x}"),
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
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
            vocab_size,
            width,
            source_path: tokenizer_json.as_ref().map(|_| opts.tokenizer.clone()),
        },
        documents: infos.iter().map(|s| s.documents).sum(),
        tokens: infos.iter().map(|s| s.tokens).sum(),
        text_bytes,
        shards: infos,
        inputs: Vec::new(),
        skipped: BTreeMap::new(),
        sources: sources.keys().cloned().collect(),
        renamed_duplicate_ids: 0,
        options: BuildOptionsRecord {
            fulltext: opts.fulltext,
            threads: opts.threads,
            ..Default::default()
        },
        timings: timings.clone(),
        peak_rss_bytes: crate::rss::peak_rss_bytes(),
        normalization: None,
        normalization_rules: verbatim_core::normalize::NormalizationRules::CURRENT.version(),
        side_indexes: Vec::new(),
        fulltext_files,
        index_id: None,
        generation: 0,
        files,
        source_stats,
        fulltext_parts: BTreeMap::new(),
        side_build_ids: BTreeMap::new(),
    };
    manifest.write(temp.path(), build_id)?;
    let takedowns = temp.commit(|dir| crate::takedowns::carry_into(&out, dir, opts.force))?;
    Ok(AttachSummary {
        out,
        manifest,
        id_rule,
        timings,
        takedowns,
    })
}

/// The corpus's own ids when every document has one, none longer than
/// [`crate::input::MAX_ID_BYTES`], and none repeats, else `FILE:LINE`, else (no metadata)
/// document numbers.
fn choose_id_rule(shards: &[IgShard]) -> IdRule {
    if shards.iter().any(|s| s.raw_metadata(0).is_empty()) {
        return IdRule::DocNumber;
    }
    let mut ids = Vec::new();
    for s in shards {
        for d in 0..s.documents() {
            match ig::records::id_of(s.raw_metadata(d), IdRule::MetadataId, 0) {
                Some(id) if id.len() <= crate::input::MAX_ID_BYTES => ids.push(id),
                _ => return IdRule::PathLine,
            }
        }
    }
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        IdRule::PathLine
    } else {
        IdRule::MetadataId
    }
}

/// Refuses an index whose documents look stored backwards (infini-gram's version 5): with a
/// BPE tokenizer, the first tokens of a forward document re-encode to themselves once decoded;
/// reversed ones mostly do not.
fn check_reversal(shards: &[IgShard], tok: &TextTokenizer, dir: &Path) -> Result<()> {
    if !matches!(tok, TextTokenizer::Hf(_)) {
        return Ok(());
    }
    let (mut same, mut total) = (0usize, 0usize);
    for s in shards.iter().take(4) {
        for d in 0..s.documents().min(8) {
            let end = s.doc_start(d + 1).min(s.doc_start(d) + 1 + 64);
            let ids = s.tokens().to_u32(s.doc_start(d) + 1..end);
            if ids.len() < 8 {
                continue;
            }
            // Drop the last piece (it may be cut mid-word) and compare.
            let head = &ids[..ids.len() - 1];
            let again = tok.encode_ids(&tok.decode(head)).unwrap_or_default();
            total += head.len();
            same += head.iter().zip(&again).take_while(|(a, b)| a == b).count();
        }
    }
    if total > 0 && same * 2 < total {
        refuse!(
            "{}: its documents do not re-tokenize as written ({same} of {total} leading tokens \
             do): either it was built with another tokenizer, or it is an infini-gram version 5 \
             index (documents reversed), which verbatim does not read",
            dir.display()
        );
    }
    Ok(())
}
