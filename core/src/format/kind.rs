//! The kinds of file an index holds.

/// What an index file holds; stored as a `u32` in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum FileKind {
    /// `manifest.bin`: JSON description of the whole index.
    Manifest = 1,
    /// `tokens.bin`: the token stream of one shard.
    Tokens = 2,
    /// `sa.bin`: the suffix array of one shard (u32 token positions).
    SuffixArray = 3,
    /// `docs.bin`: per-document token offsets of one shard.
    DocOffsets = 4,
    /// `meta.bin`: per-document external id, source and metadata of one shard.
    DocMeta = 5,
    /// `unigrams.bin`: occurrence count of every token id in one shard.
    Unigrams = 6,
    /// `ids.fst`: map from external document id to global document number.
    IdMap = 7,
    /// `tokenizer.bin`: the HuggingFace `tokenizer.json` the index was built with.
    Tokenizer = 8,
    /// `takedown.bin`: roaring bitmap of removed global document numbers.
    Takedown = 9,
    /// `sources.bin`: roaring bitmap of documents per source.
    Sources = 10,
    /// `infini-gram.bin`: JSON naming the infini-gram index a side directory is attached to,
    /// with a fingerprint of its files (`verbatim attach`).
    Attachment = 11,
    /// `samples.bin`: the first tokens of every 256th suffix of one shard.
    SuffixSamples = 12,
}

impl FileKind {
    /// Every kind, for lookups from the raw value.
    pub const ALL: [FileKind; 12] = [
        FileKind::Manifest,
        FileKind::Tokens,
        FileKind::SuffixArray,
        FileKind::DocOffsets,
        FileKind::DocMeta,
        FileKind::Unigrams,
        FileKind::IdMap,
        FileKind::Tokenizer,
        FileKind::Takedown,
        FileKind::Sources,
        FileKind::Attachment,
        FileKind::SuffixSamples,
    ];

    /// The kind with raw value `raw`, if any.
    pub fn from_u32(raw: u32) -> Option<FileKind> {
        Self::ALL.into_iter().find(|k| *k as u32 == raw)
    }

    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Manifest => "manifest",
            FileKind::Tokens => "token stream",
            FileKind::SuffixArray => "suffix array",
            FileKind::DocOffsets => "document offsets",
            FileKind::DocMeta => "document metadata",
            FileKind::Unigrams => "unigram counts",
            FileKind::IdMap => "external id map",
            FileKind::Tokenizer => "tokenizer",
            FileKind::Takedown => "takedown list",
            FileKind::Sources => "source subsets",
            FileKind::Attachment => "infini-gram attachment",
            FileKind::SuffixSamples => "suffix samples",
        }
    }
}
