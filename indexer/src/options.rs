//! What a build is asked to do.

use std::path::PathBuf;
use verbatim_core::normalize::{Normalization, NormalizationRules};

/// How input files are interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// `.jsonl`, `.jsonl.gz`, `.jsonl.zst` (and `.json*` variants) are JSONL, `.parquet` files
    /// are Parquet; every other file is one plain-text document.
    #[default]
    Auto,
    /// Every file is JSONL (optionally compressed).
    Jsonl,
    /// Every file is one plain-text document.
    Text,
    /// Every file is Parquet.
    Parquet,
}

/// Options of one `verbatim index` run.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Files or directories to read.
    pub inputs: Vec<PathBuf>,
    /// Final index directory (written atomically).
    pub out: PathBuf,
    /// `bytes` or a path to a HuggingFace `tokenizer.json`.
    pub tokenizer: String,
    /// Name recorded in the manifest.
    pub name: String,
    /// How to read the inputs.
    pub format: InputFormat,
    /// JSON field holding the document text.
    pub text_field: String,
    /// JSON field holding the external id.
    pub id_field: String,
    /// Maximum tokens per shard (separators included); at most `u32::MAX` and the suffix-array
    /// library's limit of `i32::MAX`.
    pub shard_max_tokens: u64,
    /// Documents with more text than this are skipped (or fail with `strict`).
    pub max_document_bytes: u64,
    /// Make every bad input a hard error instead of a counted skip.
    pub strict: bool,
    /// Build the tantivy full-text index (BM25).
    pub fulltext: bool,
    /// Replace an existing index at `out`.
    pub force: bool,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Show progress bars.
    pub progress: bool,
    /// Normalise every document before indexing (side indexes for contamination checks).
    pub normalize: Option<Normalization>,
    /// The rules `normalize` follows: the current ones for a new side index, the side
    /// index's own for an append (set by the append from its manifest).
    pub normalization_rules: NormalizationRules,
    /// Also build these normalised byte-level side indexes under `INDEX/side/NAME`.
    pub side_indexes: Vec<Normalization>,
    /// Keep the build's resident memory under this many bytes (`None`: 60% of the memory
    /// available at start, see [`crate::memory::default_budget`]).
    pub max_memory: Option<u64>,
    /// Memory the ids read may hold before they are written to disk as a sorted run (`None`:
    /// an eighth of the budget's room, see [`crate::memory::MemoryBudget::id_spill_bytes`]).
    pub id_memory: Option<u64>,
    /// Add the inputs to the existing index at `out` as new shards instead of building one.
    /// An empty `tokenizer` then means the index's own.
    pub append: bool,
    /// Directories (e.g. on other disks) to spread new shards over, round-robin; empty: inside
    /// the index directory.
    pub shard_roots: Vec<PathBuf>,
    /// This build is part `K` of a distributed build, to be assembled with the others
    /// ([`crate::assemble()`]): its full-text documents are marked with the part.
    pub part: Option<u32>,
    /// How many parts the distributed build has (with `part`), recorded so that
    /// [`crate::assemble()`] refuses an assembly without every part.
    pub parts: Option<u32>,
    /// Write every skipped document's reason and message to this file, one JSON object a
    /// line (`None`: only the first few are shown).
    pub skip_log: Option<PathBuf>,
}

impl BuildOptions {
    /// Options with defaults for everything but the inputs, output and tokenizer.
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf, tokenizer: impl Into<String>) -> Self {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "index".into());
        BuildOptions {
            inputs,
            out,
            tokenizer: tokenizer.into(),
            name,
            format: InputFormat::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            shard_max_tokens: DEFAULT_SHARD_MAX_TOKENS,
            max_document_bytes: 64 << 20,
            strict: false,
            fulltext: true,
            force: false,
            threads: 0,
            progress: false,
            normalize: None,
            normalization_rules: NormalizationRules::CURRENT,
            side_indexes: Vec::new(),
            max_memory: None,
            id_memory: None,
            append: false,
            shard_roots: Vec::new(),
            part: None,
            parts: None,
            skip_log: None,
        }
    }
}

/// Default shard limit: the largest text libsais sorts with 32-bit suffix-array entries.
pub const DEFAULT_SHARD_MAX_TOKENS: u64 = i32::MAX as u64;
