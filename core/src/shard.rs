//! One shard: token stream, suffix array, document offsets, document metadata, unigram counts.
//!
//! Token stream layout: for every document, one separator token followed by the document's
//! tokens. `docs.bin` holds the position of each document's separator plus one final entry
//! equal to the stream length, so document `d` covers tokens `starts[d] + 1 .. starts[d + 1]`.
//!
//! A shard is stored either in verbatim's files (`shard-NNNNN/`, headers and checksums) or in
//! an infini-gram index's files (`tokenized.N`, `table.N`, `offset.N`, ...), read in place
//! ([`crate::infini_gram`]). The token stream layout is the same; the suffix array differs
//! (infini-gram's holds byte pointers and orders suffixes by bytes), which the typed views of
//! [`Shard::arrays`] carry to the searches.

use crate::doc_starts::DocStartIndex;
use crate::error::{Error, Result};
use crate::format::{FileKind, MappedFile};
use crate::infini_gram::IgShard;
use crate::manifest::ShardInfo;
use crate::search::batch::ShardArrays;
use crate::search::samples::{sample_count, KEY_TOKENS, STRIDE_LOG2};
use crate::search::{BytePointers, FirstTokenTable, SuffixArrayRef, SuffixSamples};
use crate::token::{BytewiseU16, BytewiseU32, Token, TokenWidth};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

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
    /// Suffix samples (optional: shards built before they existed have none).
    pub const SAMPLES: &str = "samples.bin";
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

/// A borrowed token stream of any width and order.
#[derive(Debug, Clone, Copy)]
pub enum TokenSlice<'a> {
    /// Byte tokens (the same order in verbatim's and infini-gram's indexes).
    U8(&'a [u8]),
    /// 16-bit tokens.
    U16(&'a [u16]),
    /// 32-bit tokens.
    U32(&'a [u32]),
    /// 16-bit tokens of an infini-gram index (byte-ordered suffix array).
    BytewiseU16(&'a [BytewiseU16]),
    /// 32-bit tokens of an infini-gram index (byte-ordered suffix array).
    BytewiseU32(&'a [BytewiseU32]),
}

impl TokenSlice<'_> {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        crate::with_tokens!(*self, |t| t.len())
    }

    /// Whether the stream is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids in `range`, widened (clipped to the stream: a range from a damaged index
    /// never reads out of bounds).
    pub fn to_u32(&self, range: Range<usize>) -> Vec<u32> {
        let range = clip(range, self.len());
        match self {
            TokenSlice::U8(t) => t[range].iter().map(|&x| x as u32).collect(),
            TokenSlice::U16(t) => t[range].iter().map(|&x| x as u32).collect(),
            TokenSlice::U32(t) => t[range].to_vec(),
            TokenSlice::BytewiseU16(t) => t[range].iter().map(|x| x.0 as u32).collect(),
            TokenSlice::BytewiseU32(t) => t[range].iter().map(|x| x.0).collect(),
        }
    }

    /// The id at `pos`, if inside the stream.
    pub fn get(&self, pos: usize) -> Option<u32> {
        crate::with_tokens!(*self, |t| t
            .get(pos)
            .map(|x| crate::token::Token::to_u32(*x)))
    }
}

/// `range` clipped to a stream of `len` tokens, so that a range from a damaged index never
/// reads out of bounds.
pub fn clip(range: Range<usize>, len: usize) -> Range<usize> {
    let end = range.end.min(len);
    range.start.min(end)..end
}

/// Runs a generic expression over the concrete token slice of a [`TokenSlice`].
#[macro_export]
macro_rules! with_tokens {
    ($slice:expr, |$t:ident| $body:expr) => {
        match $slice {
            $crate::shard::TokenSlice::U8($t) => $body,
            $crate::shard::TokenSlice::U16($t) => $body,
            $crate::shard::TokenSlice::U32($t) => $body,
            $crate::shard::TokenSlice::BytewiseU16($t) => $body,
            $crate::shard::TokenSlice::BytewiseU32($t) => $body,
        }
    };
}

/// One shard's typed arrays, for the searches (see [`crate::search::Arrays`]).
pub enum TypedArrays<'a> {
    /// verbatim, byte tokens.
    U8(ShardArrays<'a, u8>),
    /// verbatim, 16-bit tokens.
    U16(ShardArrays<'a, u16>),
    /// verbatim, 32-bit tokens.
    U32(ShardArrays<'a, u32>),
    /// infini-gram, byte tokens.
    IgU8(ShardArrays<'a, u8, BytePointers<'a>>),
    /// infini-gram, 16-bit tokens.
    IgU16(ShardArrays<'a, BytewiseU16, BytePointers<'a>>),
    /// infini-gram, 32-bit tokens.
    IgU32(ShardArrays<'a, BytewiseU32, BytePointers<'a>>),
}

/// Runs a generic expression over the typed arrays of one shard (see [`Shard::arrays`]).
#[macro_export]
macro_rules! with_shard_arrays {
    ($typed:expr, |$a:ident| $body:expr) => {
        match $typed {
            $crate::shard::TypedArrays::U8($a) => $body,
            $crate::shard::TypedArrays::U16($a) => $body,
            $crate::shard::TypedArrays::U32($a) => $body,
            $crate::shard::TypedArrays::IgU8($a) => $body,
            $crate::shard::TypedArrays::IgU16($a) => $body,
            $crate::shard::TypedArrays::IgU32($a) => $body,
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

/// verbatim's files of one shard.
#[derive(Debug)]
struct VerbatimFiles {
    tokens: MappedFile,
    sa: MappedFile,
    docs: MappedFile,
    meta: MappedFile,
    unigrams: MappedFile,
    samples: Option<MappedFile>,
}

/// Where a shard's arrays live.
#[derive(Debug)]
// One value per shard, built once at open and never moved on a query path: its size does
// not matter.
#[allow(clippy::large_enum_variant)]
enum Storage {
    Verbatim(VerbatimFiles),
    InfiniGram(Box<IgShard>),
}

/// The files of a shard, by role, for error messages and verification.
#[derive(Debug, Clone)]
pub struct ShardPaths {
    /// The token stream.
    pub tokens: std::path::PathBuf,
    /// The suffix array.
    pub suffix_array: std::path::PathBuf,
    /// The document offsets.
    pub doc_offsets: std::path::PathBuf,
    /// The document records (infini-gram: `metadata.N`, or the offsets when absent).
    pub records: std::path::PathBuf,
    /// The unigram counts.
    pub unigrams: std::path::PathBuf,
    /// The suffix samples, when the shard has them.
    pub samples: Option<std::path::PathBuf>,
}

/// The build id a shard's `samples.bin` carries: xxh3-64 of the shard's build id and the
/// payload checksums of its `tokens.bin` and `sa.bin` (three little-endian u64s). It ties the
/// samples to the very token stream and suffix array they were taken from, so a file copied
/// from another shard, even of the same build, is refused at open without reading it.
pub fn samples_build_id(build_id: u64, tokens_checksum: u64, sa_checksum: u64) -> u64 {
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&build_id.to_le_bytes());
    bytes[8..16].copy_from_slice(&tokens_checksum.to_le_bytes());
    bytes[16..].copy_from_slice(&sa_checksum.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Opens the optional `samples.bin` at `path`: `None` when there is none; refused (with
/// [`Error::BadOptionalFile`], which says deleting it is enough) when it is not a readable
/// samples file of this very shard.
fn open_samples(
    path: &Path,
    tokens: &MappedFile,
    sa: &MappedFile,
    build_id: u64,
) -> Result<Option<MappedFile>> {
    let bad = |detail: String| Error::BadOptionalFile {
        path: path.to_path_buf(),
        detail,
    };
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
        Ok(m) if m.is_dir() => return Err(bad("a directory, not a samples file".into())),
        Ok(_) => {}
    }
    let file = MappedFile::open(path, FileKind::SuffixSamples).map_err(|e| match e {
        Error::Corrupt { detail, .. } => bad(detail),
        other => other,
    })?;
    let expected = samples_build_id(
        build_id,
        tokens.header().payload_checksum,
        sa.header().payload_checksum,
    );
    if file.header().build_id == build_id {
        return Err(bad(
            "it was written by a verbatim before 2026-12-03, whose samples files are not tied \
             to their shard, so it cannot be trusted; the samples.bin of every shard of this \
             index are the same age (`rm INDEX/shard-*/samples.bin`)"
                .into(),
        ));
    }
    if file.header().build_id != expected {
        return Err(bad(format!(
            "it does not match this shard's tokens.bin and sa.bin (its id {:016x}, theirs \
             {expected:016x}): it was taken from another shard or build, or they changed after \
             the build",
            file.header().build_id
        )));
    }
    Ok(Some(file))
}

/// An open shard. Cloning shares the mapped files (a group of indexes holds its members'
/// shards, renumbered with [`Shard::rebased`]).
#[derive(Debug, Clone)]
pub struct Shard {
    /// The suffix-array block of the suffixes starting with each token, so searches start
    /// inside that block instead of the whole array.
    first_token: Arc<FirstTokenTable>,
    /// Every few document starts, in memory, so finding a position's document reads only a
    /// few cache lines of `docs.bin` (empty for an infini-gram shard).
    doc_index: Arc<DocStartIndex>,
    info: ShardInfo,
    width: TokenWidth,
    storage: Arc<Storage>,
    /// Whether its files are advised for [`crate::Residency::Disk`] (its searches then read
    /// ahead: [`ShardArrays::read_ahead`]); shared with its copies in groups.
    on_disk: Arc<std::sync::atomic::AtomicBool>,
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
        // A whole shard folder gone is a disk not mounted or a folder moved (shards may live
        // under `--shard-root`s), not a damaged file: rebuilding is not the answer.
        if !dir.exists() {
            return Err(Error::NotAnIndex(format!(
                "{}: the shard folder the index's manifest names ({}) is missing: restore it \
                 there, or mount the disk that holds it at that path",
                dir.display(),
                info.dir
            )));
        }
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
        let samples = open_samples(&dir.join(files::SAMPLES), &tokens, &sa, build_id)?;
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
            first_token: Arc::default(),
            doc_index: Arc::default(),
            info: info.clone(),
            width,
            storage: Arc::new(Storage::Verbatim(VerbatimFiles {
                tokens,
                sa,
                docs,
                meta,
                unigrams,
                samples,
            })),
            on_disk: Arc::default(),
        };
        let Storage::Verbatim(f) = &*shard.storage else {
            unreachable!("just built")
        };
        // Cast once now so later accessors cannot fail.
        verbatim_tokens(f, width)?;
        f.sa.as_slice::<u32>()?;
        f.docs.as_slice::<u64>()?;
        f.unigrams.as_slice::<u64>()?;
        if let Some(samples) = &f.samples {
            let h = samples.header();
            let want = sample_count(info.tokens as usize, STRIDE_LOG2) as u64 * KEY_TOKENS as u64;
            if h.element_width != width.bytes() || h.element_count != want {
                return Err(Error::BadOptionalFile {
                    path: samples.path().to_path_buf(),
                    detail: format!(
                        "it holds {} tokens of {} bytes, where the shard's {} tokens need \
                         {want} of {}",
                        h.element_count,
                        h.element_width,
                        info.tokens,
                        width.bytes()
                    ),
                });
            }
        }
        let starts = f.docs.as_slice::<u64>()?;
        if starts.last().copied() != Some(info.tokens) {
            return Err(bad(
                f.docs.path(),
                "last document offset is not the stream length".into(),
            ));
        }
        // One pass, like the record offsets' below: every document lookup relies on it.
        if starts.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad(
                f.docs.path(),
                "document offsets are not strictly increasing".into(),
            ));
        }
        let meta_offsets = meta_offsets_checked(f, info.documents as usize)?;
        if meta_offsets.len() != info.documents as usize + 1 {
            return Err(bad(f.meta.path(), "offset table truncated".into()));
        }
        let (first_token, covered) = FirstTokenTable::from_counts(
            f.unigrams.as_slice::<u64>()?,
            |t| t,
            width.separator(),
            info.tokens,
        );
        if covered.and_then(|c| c.checked_add(info.documents)) != Some(info.tokens) {
            return Err(bad(
                f.unigrams.path(),
                "unigram counts plus separators do not add up to the token count".into(),
            ));
        }
        let doc_index = DocStartIndex::new(&doc_starts(f)[..info.documents as usize]);
        Ok(Shard {
            first_token: Arc::new(first_token),
            doc_index: Arc::new(doc_index),
            ..shard
        })
    }

    /// A shard stored in an infini-gram index (already validated by [`IgShard`]).
    pub(crate) fn from_infini_gram(ig: IgShard, info: ShardInfo) -> Result<Shard> {
        let width = ig.width();
        let first_token = ig.first_token_table()?;
        Ok(Shard {
            first_token: Arc::new(first_token),
            doc_index: Arc::default(),
            info,
            width,
            storage: Arc::new(Storage::InfiniGram(Box::new(ig))),
            on_disk: Arc::default(),
        })
    }

    /// The infini-gram files of this shard, if it is stored in an infini-gram index.
    pub fn infini_gram(&self) -> Option<&IgShard> {
        match &*self.storage {
            Storage::InfiniGram(ig) => Some(ig),
            Storage::Verbatim(_) => None,
        }
    }

    /// The shard's manifest entry.
    pub fn info(&self) -> &ShardInfo {
        &self.info
    }

    /// Bytes per token.
    pub fn width(&self) -> TokenWidth {
        self.width
    }

    /// The token stream.
    pub fn tokens(&self) -> TokenSlice<'_> {
        match &*self.storage {
            Storage::Verbatim(f) => verbatim_tokens(f, self.width).expect("checked at open"),
            Storage::InfiniGram(ig) => ig.tokens(),
        }
    }

    /// The suffix array: token positions in the order of their suffixes.
    pub fn suffix_array(&self) -> SuffixArrayRef<'_> {
        match &*self.storage {
            Storage::Verbatim(f) => {
                SuffixArrayRef::Positions(f.sa.as_slice::<u32>().expect("checked at open"))
            }
            Storage::InfiniGram(ig) => SuffixArrayRef::Pointers(ig.pointers()),
        }
    }

    /// The suffix samples of a verbatim shard of `suffixes` suffixes, when it has them.
    fn samples<T: Token>(&self, suffixes: usize) -> Option<SuffixSamples<'_, T>> {
        let Storage::Verbatim(f) = &*self.storage else {
            return None;
        };
        let keys = f.samples.as_ref()?.as_slice::<T>().ok()?;
        SuffixSamples::new(keys, suffixes, STRIDE_LOG2, KEY_TOKENS)
    }

    /// The shard's arrays, typed for the searches.
    pub fn arrays(&self) -> TypedArrays<'_> {
        let first = &self.first_token;
        let read_ahead = self.reads_ahead();
        match (self.tokens(), self.suffix_array()) {
            (TokenSlice::U8(tokens), SuffixArrayRef::Positions(sa)) => {
                let samples = self.samples(sa.len());
                TypedArrays::U8(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples,
                    read_ahead,
                })
            }
            (TokenSlice::U16(tokens), SuffixArrayRef::Positions(sa)) => {
                let samples = self.samples(sa.len());
                TypedArrays::U16(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples,
                    read_ahead,
                })
            }
            (TokenSlice::U32(tokens), SuffixArrayRef::Positions(sa)) => {
                let samples = self.samples(sa.len());
                TypedArrays::U32(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples,
                    read_ahead,
                })
            }
            (TokenSlice::U8(tokens), SuffixArrayRef::Pointers(sa)) => {
                TypedArrays::IgU8(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples: None,
                    read_ahead,
                })
            }
            (TokenSlice::BytewiseU16(tokens), SuffixArrayRef::Pointers(sa)) => {
                TypedArrays::IgU16(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples: None,
                    read_ahead,
                })
            }
            (TokenSlice::BytewiseU32(tokens), SuffixArrayRef::Pointers(sa)) => {
                TypedArrays::IgU32(ShardArrays {
                    tokens,
                    sa,
                    first,
                    samples: None,
                    read_ahead,
                })
            }
            _ => unreachable!("a shard's token type and suffix-array storage come together"),
        }
    }

    /// The document boundaries: separator position of document `d` for `d < documents()`,
    /// the stream length for `d == documents()`.
    pub fn doc_start(&self, d: usize) -> usize {
        match &*self.storage {
            Storage::Verbatim(f) => doc_starts(f)[d] as usize,
            Storage::InfiniGram(ig) => ig.doc_start(d),
        }
    }

    /// Unigram counts indexed by token id (separators excluded).
    pub fn unigram_counts(&self) -> &[u64] {
        match &*self.storage {
            Storage::Verbatim(f) => f.unigrams.as_slice::<u64>().expect("checked at open"),
            Storage::InfiniGram(ig) => ig.unigram_counts(),
        }
    }

    /// The suffix-array block of the suffixes starting with each token.
    pub fn first_token_table(&self) -> &FirstTokenTable {
        &self.first_token
    }

    /// Suffix-array range of the suffixes starting with token `t` (empty for ids outside the
    /// vocabulary).
    pub fn first_token_range(&self, t: u32) -> std::ops::Range<usize> {
        self.first_token.block(t)
    }

    /// Number of documents in the shard.
    pub fn documents(&self) -> usize {
        self.info.documents as usize
    }

    /// The local document holding token position `pos` (the last document for positions
    /// past the end).
    pub fn doc_at(&self, pos: usize) -> usize {
        let below = match &*self.storage {
            Storage::Verbatim(f) => {
                let starts = &doc_starts(f)[..self.documents()];
                self.doc_index.count_at_most(starts, pos as u64)
            }
            Storage::InfiniGram(_) => {
                // Documents whose start (separator) is at most `pos`.
                let (mut lo, mut hi) = (0usize, self.documents());
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.doc_start(mid) <= pos {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            }
        };
        below.saturating_sub(1)
    }

    /// Token range of local document `doc` (separator excluded).
    pub fn doc_range(&self, doc: usize) -> Range<usize> {
        let start = self.doc_start(doc) + 1;
        start.min(self.doc_start(doc + 1))..self.doc_start(doc + 1)
    }

    /// The stored record of local document `doc`, in O(1): the offset table was validated
    /// (increasing, ending at the blob's end) once, at open.
    pub fn doc_record(&self, doc: usize) -> Result<DocRecord> {
        match &*self.storage {
            Storage::Verbatim(f) => {
                let n = self.info.documents as usize + 1;
                let payload = f.meta.payload();
                let (table, blob) = payload.split_at(n * 8);
                let offsets: &[u64] = bytemuck::cast_slice(table);
                let bytes = &blob[offsets[doc] as usize..offsets[doc + 1] as usize];
                serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
                    path: f.meta.path().to_path_buf(),
                    detail: format!("record of document {doc} does not parse: {e}"),
                })
            }
            Storage::InfiniGram(ig) => ig.doc_record(doc, self.info.first_doc + doc as u64),
        }
    }

    /// Asks for the pages of tokens `range` (clipped to the stream) to be read from disk ahead
    /// of their use, without waiting (`MADV_WILLNEED` on their pages).
    pub fn will_need_tokens(&self, range: Range<usize>) {
        crate::with_tokens!(self.tokens(), |t| {
            crate::mmap::will_need_slice(&t[clip(range, t.len())])
        });
    }

    /// Asks for the pages of local document `doc`'s entries in the record table to be read
    /// ahead; an infini-gram shard's records are not asked for.
    pub fn will_need_record_offsets(&self, doc: usize) {
        if let Storage::Verbatim(f) = &*self.storage {
            let n = self.info.documents as usize + 1;
            let offsets: &[u64] = bytemuck::cast_slice(&f.meta.payload()[..n * 8]);
            crate::mmap::will_need_slice(&offsets[clip(doc..doc + 2, n)]);
        }
    }

    /// Asks for the pages of local document `doc`'s record to be read ahead. It reads the
    /// record's offsets, so ask for those first ([`Shard::will_need_record_offsets`]).
    pub fn will_need_record(&self, doc: usize) {
        if let Storage::Verbatim(f) = &*self.storage {
            let n = self.info.documents as usize + 1;
            let (table, blob) = f.meta.payload().split_at(n * 8);
            let offsets: &[u64] = bytemuck::cast_slice(table);
            if doc + 1 < n {
                let (a, b) = (offsets[doc] as usize, offsets[doc + 1] as usize);
                crate::mmap::will_need_slice(&blob[clip(a..b, blob.len())]);
            }
        }
    }

    /// verbatim's mapped files of this shard, for verification: for an infini-gram shard,
    /// whose own files carry no checksums, only the unigram file of the side directory it is
    /// attached to (if any).
    pub fn files(&self) -> Vec<&MappedFile> {
        match &*self.storage {
            Storage::Verbatim(f) => [&f.tokens, &f.sa, &f.docs, &f.meta, &f.unigrams]
                .into_iter()
                .chain(f.samples.as_ref())
                .collect(),
            Storage::InfiniGram(ig) => ig.attached_unigrams().into_iter().collect(),
        }
    }

    /// Whether its files are read from disk ([`crate::Residency::Disk`]), so that its
    /// searches ask for their pages ahead ([`ShardArrays::read_ahead`]).
    pub fn reads_ahead(&self) -> bool {
        self.on_disk.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Advises every mapped file of the shard for `residency` (see [`crate::residency`]).
    pub fn set_residency(&self, residency: crate::residency::Residency) {
        self.on_disk.store(
            residency == crate::residency::Residency::Disk,
            std::sync::atomic::Ordering::Relaxed,
        );
        match &*self.storage {
            Storage::Verbatim(_) => self.files().iter().for_each(|f| f.set_residency(residency)),
            Storage::InfiniGram(ig) => ig.set_residency(residency),
        }
    }

    /// Bytes of the shard's mapped files (payloads; an infini-gram shard's whole files).
    pub fn mapped_bytes(&self) -> u64 {
        match &*self.storage {
            Storage::Verbatim(_) => self.files().iter().map(|f| f.payload().len() as u64).sum(),
            Storage::InfiniGram(ig) => ig.mapped_bytes(),
        }
    }

    /// The files holding each part of the shard, for messages.
    pub fn paths(&self) -> ShardPaths {
        match &*self.storage {
            Storage::Verbatim(f) => ShardPaths {
                tokens: f.tokens.path().to_path_buf(),
                suffix_array: f.sa.path().to_path_buf(),
                doc_offsets: f.docs.path().to_path_buf(),
                records: f.meta.path().to_path_buf(),
                unigrams: f.unigrams.path().to_path_buf(),
                samples: f.samples.as_ref().map(|m| m.path().to_path_buf()),
            },
            Storage::InfiniGram(ig) => ig.paths(),
        }
    }
}

/// The document starts of `docs.bin` (cast once at open, so this cannot fail).
fn doc_starts(f: &VerbatimFiles) -> &[u64] {
    f.docs.as_slice::<u64>().expect("checked at open")
}

fn verbatim_tokens(f: &VerbatimFiles, width: TokenWidth) -> Result<TokenSlice<'_>> {
    Ok(match width {
        TokenWidth::U8 => TokenSlice::U8(f.tokens.payload()),
        TokenWidth::U16 => TokenSlice::U16(f.tokens.as_slice::<u16>()?),
        TokenWidth::U32 => TokenSlice::U32(f.tokens.as_slice::<u32>()?),
    })
}

fn meta_offsets_checked(f: &VerbatimFiles, documents: usize) -> Result<&[u64]> {
    RECORD_TABLE_VALIDATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let n = documents + 1;
    let payload = f.meta.payload();
    if payload.len() < n * 8 {
        return Err(Error::Corrupt {
            path: f.meta.path().to_path_buf(),
            detail: "offset table truncated".into(),
        });
    }
    let offsets: &[u64] =
        bytemuck::try_cast_slice(&payload[..n * 8]).map_err(|e| Error::Corrupt {
            path: f.meta.path().to_path_buf(),
            detail: e.to_string(),
        })?;
    let blob = (payload.len() - n * 8) as u64;
    if offsets.windows(2).any(|w| w[0] > w[1]) || offsets.last() != Some(&blob) {
        return Err(Error::Corrupt {
            path: f.meta.path().to_path_buf(),
            detail: "record offsets are not increasing or do not end at the blob's end".into(),
        });
    }
    Ok(offsets)
}
