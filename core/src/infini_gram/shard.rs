//! One shard of an infini-gram index, mapped in place and checked at open.
//!
//! infini-gram's files carry no header and no checksum, so opening checks what can be checked
//! cheaply: sizes (a whole number of tokens, a table that is a whole number of pointers per
//! token, wide enough to address the stream, offsets and metadata offsets of 8 bytes), and the
//! offset tables themselves (starting at 0, strictly increasing, token-aligned, inside the
//! stream, at a separator). Everything read later is bounds-checked or clamped: a flipped byte
//! in `tokenized.N` or `table.N` changes answers, never memory safety or the process.

use super::layout::ShardFiles;
use super::records::{self, IdRule};
use crate::error::{Error, Result};
use crate::format::MappedFile;
use crate::search::{BytePointers, FirstTokenTable};
use crate::shard::{DocRecord, ShardPaths, TokenSlice};
use crate::token::{BytewiseU16, BytewiseU32, Token, TokenWidth};
use memmap2::Mmap;
use rayon::prelude::*;
use std::path::Path;

/// An open infini-gram shard: `tokenized.N`, `table.N`, `offset.N`, and optionally
/// `metadata.N` + `metaoff.N`, memory-mapped read-only.
#[derive(Debug)]
pub struct IgShard {
    files: ShardFiles,
    width: TokenWidth,
    ptr_size: usize,
    tok_cnt: usize,
    doc_cnt: usize,
    tokenized: Mmap,
    table: Mmap,
    offset: Mmap,
    meta: Option<(Mmap, Mmap)>,
    unigrams: Vec<u64>,
    /// The side directory's unigram file the counts came from (`Unigrams::Given`), kept so
    /// that full verification hashes it too.
    attached_unigrams: Option<MappedFile>,
    id_rule: IdRule,
}

fn refuse(path: &Path, detail: impl Into<String>) -> Error {
    Error::InfiniGram {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Where a shard's unigram counts come from.
pub enum Unigrams {
    /// Counts computed elsewhere, indexed by token id, separators excluded: a side
    /// directory's `unigrams-N.bin`, its header already checked.
    Given(MappedFile),
    /// Read `unigram.N` if the index has it, otherwise count the token stream; ids up to
    /// `vocab_size` (exclusive) are kept.
    Derive {
        /// Number of token ids.
        vocab_size: u32,
    },
}

impl IgShard {
    /// Maps and checks the files of one shard with tokens of `width`.
    pub fn open(
        files: &ShardFiles,
        width: TokenWidth,
        unigrams: Unigrams,
        id_rule: IdRule,
    ) -> Result<IgShard> {
        let tokenized = map(&files.tokenized)?;
        let table = map(&files.table)?;
        let offset = map(&files.offset)?;
        let w = width.bytes() as usize;
        let ds_size = tokenized.len();
        if ds_size == 0 {
            return Err(refuse(&files.tokenized, "the token stream is empty"));
        }
        if ds_size % w != 0 {
            return Err(refuse(
                &files.tokenized,
                format!("truncated: {ds_size} bytes is not a whole number of {w}-byte tokens"),
            ));
        }
        let tok_cnt = ds_size / w;
        if table.len() % tok_cnt != 0 {
            return Err(refuse(
                &files.table,
                format!(
                    "truncated or mismatched: its size {} is not a multiple of the token count {tok_cnt} of {}",
                    table.len(),
                    files.tokenized.display()
                ),
            ));
        }
        let ptr_size = table.len() / tok_cnt;
        if !(1..=8).contains(&ptr_size)
            || (ptr_size < 8 && (ds_size as u64) > 1u64 << (8 * ptr_size))
        {
            return Err(refuse(
                &files.table,
                format!("{ptr_size}-byte pointers cannot address the {ds_size}-byte token stream"),
            ));
        }
        if offset.len() % 8 != 0 || offset.is_empty() {
            return Err(refuse(
                &files.offset,
                format!(
                    "truncated: {} bytes is not a whole, non-zero number of 8-byte offsets",
                    offset.len()
                ),
            ));
        }
        let doc_cnt = offset.len() / 8;
        let meta = match &files.metadata {
            None => None,
            Some((mt, om)) => Some((map(mt)?, map(om)?)),
        };
        let mut shard = IgShard {
            files: files.clone(),
            width,
            ptr_size,
            tok_cnt,
            doc_cnt,
            tokenized,
            table,
            offset,
            meta,
            unigrams: Vec::new(),
            attached_unigrams: None,
            id_rule,
        };
        shard.check_offsets()?;
        shard.check_metadata()?;
        match unigrams {
            Unigrams::Given(file) => {
                shard.unigrams = file.as_slice::<u64>()?.to_vec();
                shard.attached_unigrams = Some(file);
            }
            Unigrams::Derive { vocab_size } => {
                shard.unigrams = match &files.unigram {
                    Some(p) => read_unigram_file(p, vocab_size, width, tok_cnt, doc_cnt)?,
                    None => shard.count_unigrams(vocab_size),
                };
            }
        }
        Ok(shard)
    }

    /// Advises every mapped file of the shard for `residency` (see [`crate::residency`]).
    pub fn set_residency(&self, residency: crate::residency::Residency) {
        let maps = [&self.tokenized, &self.table, &self.offset]
            .into_iter()
            .chain(self.meta.iter().flat_map(|(a, b)| [a, b]));
        for m in maps {
            crate::mmap::advise(m, residency);
        }
        if let Some(f) = &self.attached_unigrams {
            f.set_residency(residency);
        }
    }

    /// Bytes of the shard's mapped files.
    pub fn mapped_bytes(&self) -> u64 {
        let meta = self.meta.as_ref().map_or(0, |(a, b)| a.len() + b.len());
        (self.tokenized.len() + self.table.len() + self.offset.len() + meta) as u64
    }

    /// The side directory's unigram file the counts were read from, if they were given.
    pub fn attached_unigrams(&self) -> Option<&MappedFile> {
        self.attached_unigrams.as_ref()
    }

    /// The file the unigram counts came from: the side directory's, `unigram.N`, or (counted)
    /// the token stream.
    fn unigram_path(&self) -> &Path {
        match (&self.attached_unigrams, &self.files.unigram) {
            (Some(f), _) => f.path(),
            (None, Some(p)) => p,
            (None, None) => &self.files.tokenized,
        }
    }

    /// Offsets: 8-byte little-endian byte offsets, the first 0, strictly increasing,
    /// token-aligned, inside the stream, each at a separator.
    fn check_offsets(&self) -> Result<()> {
        let path = &self.files.offset;
        let offs = self.offsets();
        let w = self.width.bytes() as u64;
        if offs[0] != 0 {
            return Err(refuse(path, "the first document does not start at byte 0"));
        }
        let ds = self.tokenized.len() as u64;
        let bad = (0..offs.len())
            .into_par_iter()
            .with_min_len(1 << 16)
            .find_any(|&i| {
                let o = offs[i];
                !o.is_multiple_of(w) || o >= ds || (i > 0 && offs[i - 1] >= o)
            });
        if let Some(i) = bad {
            return Err(refuse(
                path,
                format!(
                    "offset {i} ({}) is not a token-aligned byte offset inside the stream, above the one before it",
                    offs[i]
                ),
            ));
        }
        // Every document starts at a separator: checked for all documents of small shards and
        // for a spread of 100,000 of them in large ones (each check is a random read).
        let step = (offs.len() / 100_000).max(1);
        let bad = (0..offs.len())
            .into_par_iter()
            .step_by(step)
            .find_any(|&i| !self.is_separator(offs[i] as usize / w as usize));
        if let Some(i) = bad {
            return Err(refuse(
                &self.files.tokenized,
                format!(
                    "document {i} does not start with a separator (byte {} of the stream): the token width is wrong or the file is damaged",
                    offs[i]
                ),
            ));
        }
        Ok(())
    }

    /// `metaoff.N`: one 8-byte offset per document into `metadata.N`, from 0, not decreasing.
    fn check_metadata(&self) -> Result<()> {
        let Some((mt, om)) = &self.meta else {
            return Ok(());
        };
        let (_, om_path) = self.files.metadata.as_ref().expect("paths with the maps");
        if om.len() != self.doc_cnt * 8 {
            return Err(refuse(
                om_path,
                format!(
                    "{} bytes for {} documents (8 bytes each): truncated or from another index",
                    om.len(),
                    self.doc_cnt
                ),
            ));
        }
        let offs: &[u64] =
            bytemuck::try_cast_slice(om).map_err(|e| refuse(om_path, e.to_string()))?;
        let mt_len = mt.len() as u64;
        if offs.first() != Some(&0)
            || offs.windows(2).any(|p| p[0] > p[1])
            || offs.last().is_some_and(|&o| o > mt_len)
        {
            return Err(refuse(
                om_path,
                format!(
                    "metadata offsets do not start at 0, decrease, or point past the end of the {mt_len}-byte metadata file"
                ),
            ));
        }
        Ok(())
    }

    fn offsets(&self) -> &[u64] {
        bytemuck::cast_slice(&self.offset)
    }

    fn is_separator(&self, pos: usize) -> bool {
        let w = self.width.bytes() as usize;
        self.tokenized
            .get(pos * w..pos * w + w)
            .is_some_and(|b| b.iter().all(|&x| x == 0xff))
    }

    /// Counts every token id below `vocab_size` (separators excluded), in parallel.
    fn count_unigrams(&self, vocab_size: u32) -> Vec<u64> {
        let vocab = vocab_size as usize;
        crate::with_tokens!(self.tokens(), |t| count_ids(t, vocab))
    }

    /// The token width.
    pub fn width(&self) -> TokenWidth {
        self.width
    }

    /// Bytes per suffix-array pointer.
    pub fn ptr_size(&self) -> usize {
        self.ptr_size
    }

    /// Tokens in the shard, separators included.
    pub fn tokens_count(&self) -> usize {
        self.tok_cnt
    }

    /// Documents in the shard.
    pub fn documents(&self) -> usize {
        self.doc_cnt
    }

    /// The shard's files.
    pub fn files(&self) -> &ShardFiles {
        &self.files
    }

    /// The token stream, typed in infini-gram's order.
    pub fn tokens(&self) -> TokenSlice<'_> {
        match self.width {
            TokenWidth::U8 => TokenSlice::U8(&self.tokenized),
            TokenWidth::U16 => {
                TokenSlice::BytewiseU16(bytemuck::cast_slice::<u8, BytewiseU16>(&self.tokenized))
            }
            TokenWidth::U32 => {
                TokenSlice::BytewiseU32(bytemuck::cast_slice::<u8, BytewiseU32>(&self.tokenized))
            }
        }
    }

    /// The suffix array (`table.N`).
    pub fn pointers(&self) -> BytePointers<'_> {
        BytePointers::new(
            &self.table,
            self.ptr_size,
            self.width.bytes() as usize,
            self.tok_cnt,
        )
    }

    /// Separator position of document `d`, or the stream length for `d == documents()`.
    pub fn doc_start(&self, d: usize) -> usize {
        match self.offsets().get(d) {
            Some(&o) => o as usize / self.width.bytes() as usize,
            None => self.tok_cnt,
        }
    }

    /// Unigram counts by token id, separators excluded.
    pub fn unigram_counts(&self) -> &[u64] {
        &self.unigrams
    }

    /// The first-token table in infini-gram's (byte) order, from the unigram counts. Fails
    /// when the counts do not add up to the token stream.
    pub fn first_token_table(&self) -> Result<FirstTokenTable> {
        let key = match self.width {
            TokenWidth::U8 => u8::key_of,
            TokenWidth::U16 => BytewiseU16::key_of,
            TokenWidth::U32 => BytewiseU32::key_of,
        };
        let (table, covered) = FirstTokenTable::from_counts(
            &self.unigrams,
            key,
            self.width.separator(),
            self.tok_cnt as u64,
        );
        let counted = self.unigram_path() == self.files.tokenized;
        let expected = covered.and_then(|c| c.checked_add(self.doc_cnt as u64));
        if let (true, Some(e)) = (counted, expected) {
            if e < self.tok_cnt as u64 {
                // Counted from the stream itself: the rest are separators inside documents,
                // or ids the vocabulary does not hold.
                return Err(refuse(
                    &self.files.tokenized,
                    format!(
                        "{} tokens are neither ids below the vocabulary size ({}) nor the one \
                         separator ({}) that opens each of the {} documents: some documents \
                         hold the separator id (infini-gram's indexer writes an id too large for \
                         the token width cut to it, so 65535 can come from 131071) or ids \
                         outside the vocabulary. verbatim finds documents by their separators \
                         and cannot serve this index; index the corpus again with a tokenizer \
                         whose ids fit the token width (or a wider one)",
                        self.tok_cnt as u64 - e,
                        self.unigrams.len(),
                        self.width.separator(),
                        self.doc_cnt,
                    ),
                ));
            }
        }
        if expected != Some(self.tok_cnt as u64) {
            return Err(refuse(
                self.unigram_path(),
                format!(
                    "unigram counts ({}) plus separators ({}) do not add up to the {} tokens of {}",
                    covered.map_or("overflowing".to_string(), |c| c.to_string()),
                    self.doc_cnt,
                    self.tok_cnt,
                    self.files.tokenized.display()
                ),
            ));
        }
        Ok(table)
    }

    /// The raw metadata line of local document `doc` (infini-gram's `metadata` string,
    /// newline included), empty without metadata files.
    pub fn raw_metadata(&self, doc: usize) -> &[u8] {
        let Some((mt, om)) = &self.meta else {
            return &[];
        };
        let offs: &[u64] = bytemuck::cast_slice(om);
        let start = offs.get(doc).copied().unwrap_or(mt.len() as u64) as usize;
        let end = offs.get(doc + 1).copied().unwrap_or(mt.len() as u64) as usize;
        mt.get(start..end.max(start)).unwrap_or_default()
    }

    /// The record of local document `doc`, global number `doc_no`.
    pub fn doc_record(&self, doc: usize, doc_no: u64) -> Result<DocRecord> {
        let path = self
            .files
            .metadata
            .as_ref()
            .map_or(&self.files.offset, |(m, _)| m);
        records::record(self.raw_metadata(doc), self.id_rule, doc_no, path)
    }

    /// The files of each part, for messages.
    pub fn paths(&self) -> ShardPaths {
        ShardPaths {
            tokens: self.files.tokenized.clone(),
            suffix_array: self.files.table.clone(),
            doc_offsets: self.files.offset.clone(),
            records: self
                .files
                .metadata
                .as_ref()
                .map_or(self.files.offset.clone(), |(m, _)| m.clone()),
            unigrams: self.unigram_path().to_path_buf(),
            samples: None,
        }
    }
}

/// Counts the ids below `vocab` of a token stream, in parallel chunks.
pub fn count_ids<T: Token>(t: &[T], vocab: usize) -> Vec<u64> {
    t.par_chunks(1 << 20)
        .map(|c| {
            let mut counts = vec![0u64; vocab];
            for x in c {
                if let Some(n) = counts.get_mut(x.to_u32() as usize) {
                    *n += 1;
                }
            }
            counts
        })
        .reduce(
            || vec![0u64; vocab],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// Reads `unigram.N` (infini-gram's text format: `id count` per line, or one count per line
/// in id order), keeping ids below `vocab_size`; the counts, separators included, must add
/// up to the shard's tokens.
fn read_unigram_file(
    path: &Path,
    vocab_size: u32,
    width: TokenWidth,
    tok_cnt: usize,
    doc_cnt: usize,
) -> Result<Vec<u64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut counts = vec![0u64; vocab_size as usize];
    let mut total = 0u64;
    for (i, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let (id, count) = match (parts.next(), parts.next()) {
            (Some(a), Some(b)) => (a.parse::<u64>().ok(), b.parse::<u64>().ok()),
            (Some(b), None) => (Some(i as u64), b.parse::<u64>().ok()),
            _ => continue,
        };
        let (Some(id), Some(count)) = (id, count) else {
            return Err(refuse(path, format!("line {} is not `id count`", i + 1)));
        };
        total += count;
        if id == width.separator() as u64 {
            if count != doc_cnt as u64 {
                return Err(refuse(
                    path,
                    format!("{count} separators counted for {doc_cnt} documents"),
                ));
            }
        } else if let Some(c) = counts.get_mut(id as usize) {
            *c = count;
        }
    }
    if total != tok_cnt as u64 {
        return Err(refuse(
            path,
            format!("counts add up to {total} tokens, the stream holds {tok_cnt}"),
        ));
    }
    Ok(counts)
}

/// Maps a file read-only (the one mapping helper of the crate).
fn map(path: &Path) -> Result<Mmap> {
    crate::mmap::map_file(path)
}
