//! One shard: token stream, suffix array, document offsets, document metadata, unigram counts.
//!
//! Token stream layout: for every document, one separator token followed by the document's
//! tokens. `docs.bin` holds the position of each document's separator plus one final entry
//! equal to the stream length, so document `d` covers tokens `starts[d] + 1 .. starts[d + 1]`.

use crate::error::{Error, Result};
use crate::format::{FileKind, MappedFile};
use crate::manifest::ShardInfo;
use crate::token::TokenWidth;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// File names inside a shard directory.
pub mod files {
    /// Token stream.
    pub const TOKENS: &str = "tokens.bin";
    /// Suffix array.
    pub const SUFFIX_ARRAY: &str = "sa.bin";
    /// Document offsets.
    pub const DOC_OFFSETS: &str = "docs.bin";
    /// Document metadata.
    pub const DOC_META: &str = "meta.bin";
    /// Unigram counts.
    pub const UNIGRAMS: &str = "unigrams.bin";
}

/// The stored description of one document (JSON in `meta.bin`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocRecord {
    /// External id (unique in the index).
    pub id: String,
    /// The document's `source` field, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Other fields of the corpus record (title, url, license, ...).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Length of the document text in UTF-8 bytes.
    pub text_bytes: u64,
}

/// A borrowed token stream of any width.
#[derive(Debug, Clone, Copy)]
pub enum TokenSlice<'a> {
    /// Byte tokens.
    U8(&'a [u8]),
    /// 16-bit tokens.
    U16(&'a [u16]),
    /// 32-bit tokens.
    U32(&'a [u32]),
}

impl TokenSlice<'_> {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        match self {
            TokenSlice::U8(t) => t.len(),
            TokenSlice::U16(t) => t.len(),
            TokenSlice::U32(t) => t.len(),
        }
    }

    /// Whether the stream is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids in `range`, widened.
    pub fn to_u32(&self, range: Range<usize>) -> Vec<u32> {
        match self {
            TokenSlice::U8(t) => t[range].iter().map(|&x| x as u32).collect(),
            TokenSlice::U16(t) => t[range].iter().map(|&x| x as u32).collect(),
            TokenSlice::U32(t) => t[range].to_vec(),
        }
    }
}

/// Runs a generic expression over the concrete token slice of a [`TokenSlice`].
#[macro_export]
macro_rules! with_tokens {
    ($slice:expr, |$t:ident| $body:expr) => {
        match $slice {
            $crate::shard::TokenSlice::U8($t) => $body,
            $crate::shard::TokenSlice::U16($t) => $body,
            $crate::shard::TokenSlice::U32($t) => $body,
        }
    };
}

/// How many times a whole record-offset table was validated (once per shard opened). Fetching a
/// record must not add to it; a test pins that (issue 16: records in O(1)).
static RECORD_TABLE_VALIDATIONS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Number of full record-offset-table validations so far in this process (for tests).
#[doc(hidden)]
pub fn record_table_validations() -> u64 {
    RECORD_TABLE_VALIDATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// An open shard. Cloning shares the mapped files (a group of indexes holds its members'
/// shards, renumbered with [`Shard::rebased`]).
#[derive(Debug, Clone)]
pub struct Shard {
    /// `first_token[t]..first_token[t + 1]` is the suffix-array range of suffixes starting with
    /// token `t` (the suffix array is grouped by first token, in id order, separators last), so
    /// searches start inside that range instead of the whole array.
    first_token: Vec<u64>,
    info: ShardInfo,
    width: TokenWidth,
    tokens: MappedFile,
    sa: MappedFile,
    docs: MappedFile,
    meta: MappedFile,
    unigrams: MappedFile,
}

impl Shard {
    /// The same shard, its documents numbered from `first_doc` (its place in a group of
    /// indexes) and its directory named `dir`.
    pub fn rebased(&self, first_doc: u64, dir: String) -> Shard {
        let mut s = self.clone();
        s.info.first_doc = first_doc;
        s.info.dir = dir;
        s
    }

    /// Opens the shard in `dir`, checking every header against `info` and `build_id`.
    pub fn open(dir: &Path, info: &ShardInfo, width: TokenWidth, build_id: u64) -> Result<Shard> {
        let open = |name: &str, kind| -> Result<MappedFile> {
            let f = MappedFile::open(&dir.join(name), kind)?;
            f.expect_build(build_id)?;
            Ok(f)
        };
        let tokens = open(files::TOKENS, FileKind::Tokens)?;
        let sa = open(files::SUFFIX_ARRAY, FileKind::SuffixArray)?;
        let docs = open(files::DOC_OFFSETS, FileKind::DocOffsets)?;
        let meta = open(files::DOC_META, FileKind::DocMeta)?;
        let unigrams = open(files::UNIGRAMS, FileKind::Unigrams)?;
        let bad = |path: &Path, detail: String| Error::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        if tokens.header().element_width != width.bytes() {
            return Err(bad(
                tokens.path(),
                format!(
                    "token width {} differs from the manifest's {}",
                    tokens.header().element_width,
                    width.bytes()
                ),
            ));
        }
        if tokens.header().element_count != info.tokens
            || sa.header().element_count != info.tokens
            || sa.header().element_width != 4
        {
            return Err(bad(
                sa.path(),
                format!(
                    "token stream ({}) and suffix array ({}) lengths differ from the manifest's {}",
                    tokens.header().element_count,
                    sa.header().element_count,
                    info.tokens
                ),
            ));
        }
        if docs.header().element_count != info.documents + 1
            || meta.header().element_count != info.documents
        {
            return Err(bad(
                docs.path(),
                "document count differs from the manifest's".into(),
            ));
        }
        let shard = Shard {
            first_token: Vec::new(),
            info: info.clone(),
            width,
            tokens,
            sa,
            docs,
            meta,
            unigrams,
        };
        // Cast once now so later accessors cannot fail.
        shard.tokens_checked()?;
        shard.sa.as_slice::<u32>()?;
        shard.docs.as_slice::<u64>()?;
        shard.unigrams.as_slice::<u64>()?;
        let starts = shard.doc_starts();
        if starts.last().copied() != Some(info.tokens) {
            return Err(bad(
                shard.docs.path(),
                "last document offset is not the stream length".into(),
            ));
        }
        let meta_offsets = shard.meta_offsets_checked()?;
        if meta_offsets.len() != info.documents as usize + 1 {
            return Err(bad(shard.meta.path(), "offset table truncated".into()));
        }
        let mut shard = shard;
        let counts = shard.unigram_counts();
        let mut first_token = Vec::with_capacity(counts.len() + 1);
        let mut acc = 0u64;
        first_token.push(0);
        for &c in counts {
            acc += c;
            first_token.push(acc);
        }
        if acc + info.documents != info.tokens {
            return Err(bad(
                shard.unigrams.path(),
                "unigram counts plus separators do not add up to the token count".into(),
            ));
        }
        shard.first_token = first_token;
        Ok(shard)
    }

    fn tokens_checked(&self) -> Result<TokenSlice<'_>> {
        Ok(match self.width {
            TokenWidth::U8 => TokenSlice::U8(self.tokens.payload()),
            TokenWidth::U16 => TokenSlice::U16(self.tokens.as_slice::<u16>()?),
            TokenWidth::U32 => TokenSlice::U32(self.tokens.as_slice::<u32>()?),
        })
    }

    fn meta_offsets_checked(&self) -> Result<&[u64]> {
        RECORD_TABLE_VALIDATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let n = self.info.documents as usize + 1;
        let payload = self.meta.payload();
        if payload.len() < n * 8 {
            return Err(Error::Corrupt {
                path: self.meta.path().to_path_buf(),
                detail: "offset table truncated".into(),
            });
        }
        let offsets: &[u64] =
            bytemuck::try_cast_slice(&payload[..n * 8]).map_err(|e| Error::Corrupt {
                path: self.meta.path().to_path_buf(),
                detail: e.to_string(),
            })?;
        let blob = (payload.len() - n * 8) as u64;
        if offsets.windows(2).any(|w| w[0] > w[1]) || offsets.last() != Some(&blob) {
            return Err(Error::Corrupt {
                path: self.meta.path().to_path_buf(),
                detail: "record offsets are not increasing or do not end at the blob's end".into(),
            });
        }
        Ok(offsets)
    }

    /// The shard's manifest entry.
    pub fn info(&self) -> &ShardInfo {
        &self.info
    }

    /// The token stream.
    pub fn tokens(&self) -> TokenSlice<'_> {
        self.tokens_checked().expect("checked at open")
    }

    /// The suffix array: token positions in lexicographic order of their suffixes.
    pub fn suffix_array(&self) -> &[u32] {
        self.sa.as_slice::<u32>().expect("checked at open")
    }

    /// Separator position of every document, plus the stream length.
    pub fn doc_starts(&self) -> &[u64] {
        self.docs.as_slice::<u64>().expect("checked at open")
    }

    /// Unigram counts indexed by token id.
    pub fn unigram_counts(&self) -> &[u64] {
        self.unigrams.as_slice::<u64>().expect("checked at open")
    }

    /// The first-token table: `table[t]..table[t + 1]` is the suffix-array block of the
    /// suffixes starting with token `t` (vocabulary size + 1 entries).
    pub fn first_token_table(&self) -> &[u64] {
        &self.first_token
    }

    /// Suffix-array range of the suffixes starting with token `t` (empty for ids outside the
    /// vocabulary).
    pub fn first_token_range(&self, t: u32) -> std::ops::Range<usize> {
        match (
            self.first_token.get(t as usize),
            self.first_token.get(t as usize + 1),
        ) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// Number of documents in the shard.
    pub fn documents(&self) -> usize {
        self.info.documents as usize
    }

    /// The local document holding token position `pos`.
    pub fn doc_at(&self, pos: usize) -> usize {
        let starts = self.doc_starts();
        starts.partition_point(|&s| s <= pos as u64) - 1
    }

    /// Token range of local document `doc` (separator excluded).
    pub fn doc_range(&self, doc: usize) -> Range<usize> {
        let starts = self.doc_starts();
        starts[doc] as usize + 1..starts[doc + 1] as usize
    }

    /// The stored record of local document `doc`, in O(1): the offset table was validated
    /// (increasing, ending at the blob's end) once, at open.
    pub fn doc_record(&self, doc: usize) -> Result<DocRecord> {
        let n = self.info.documents as usize + 1;
        let payload = self.meta.payload();
        let (table, blob) = payload.split_at(n * 8);
        let offsets: &[u64] = bytemuck::cast_slice(table);
        let bytes = &blob[offsets[doc] as usize..offsets[doc + 1] as usize];
        serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
            path: self.meta.path().to_path_buf(),
            detail: format!("record of document {doc} does not parse: {e}"),
        })
    }

    /// Every mapped file, for verification.
    pub fn files(&self) -> [&MappedFile; 5] {
        [
            &self.tokens,
            &self.sa,
            &self.docs,
            &self.meta,
            &self.unigrams,
        ]
    }
}
