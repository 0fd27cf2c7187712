//! Accumulates documents into one shard and writes its files.
//!
//! Tokens are streamed to `tokens.bin` as documents arrive, so an open shard holds only its
//! document tables in memory. When the shard closes, the token stream is read back once into
//! memory for libsais, which is the shard's memory peak: the tokens plus the 32-bit suffix
//! array (see [`crate::memory`]).

use crate::chunked::Chunked;
use crate::error::{Context, Result};
use crate::suffix_array;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;
use verbatim_core::format::{FileKind, FileWriter, HEADER_LEN};
use verbatim_core::manifest::ShardInfo;
use verbatim_core::search::samples::{keys_at, sampled_positions, KEY_TOKENS, STRIDE_LOG2};
use verbatim_core::shard::{files, samples_build_id, DocRecord};
use verbatim_core::Token;

/// What a shard's document tables take with its first document: a chunk each (and the room
/// [`ShardBuilder::held_bytes`] keeps for each table's next chunk).
pub const OPENING_BYTES: u64 = 3 * crate::chunked::CHUNK_BYTES as u64;

/// The state of the shard being built.
pub struct ShardBuilder<T: Token> {
    dir: PathBuf,
    dir_name: String,
    build_id: u64,
    tokens_out: FileWriter,
    token_count: u64,
    doc_starts: Chunked<u64>,
    meta_offsets: Chunked<u64>,
    meta_blob: Chunked<u8>,
    unigrams: Vec<u64>,
    first_doc: u64,
    scratch: Vec<T>,
}

/// Seconds spent in each part of finishing a shard.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShardTimings {
    /// Suffix-array construction.
    pub suffix_array: f64,
    /// Writing files.
    pub write: f64,
}

impl<T: Token> ShardBuilder<T> {
    /// Starts a shard in `dir` (created; recorded in the manifest as `dir_name`) whose first
    /// document has global number `first_doc`.
    pub fn create(
        dir: &Path,
        dir_name: &str,
        build_id: u64,
        first_doc: u64,
        vocab_size: u32,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tokens_out = FileWriter::create(
            &dir.join(files::TOKENS),
            FileKind::Tokens,
            T::WIDTH.bytes(),
            build_id,
        )?;
        Ok(ShardBuilder {
            dir: dir.to_path_buf(),
            dir_name: dir_name.to_string(),
            build_id,
            tokens_out,
            token_count: 0,
            doc_starts: Chunked::new(),
            meta_offsets: {
                let mut offsets = Chunked::new();
                offsets.push(0);
                offsets
            },
            meta_blob: Chunked::new(),
            unigrams: vec![0; vocab_size as usize],
            first_doc,
            scratch: Vec::new(),
        })
    }

    /// Tokens in the shard so far, separators included.
    pub fn tokens(&self) -> u64 {
        self.token_count
    }

    /// Bytes of memory held by the shard's document tables (in chunks, so they never hold
    /// a copy of themselves while growing), with room for the next chunk of each.
    pub fn held_bytes(&self) -> u64 {
        self.meta_blob.held_bytes()
            + self.doc_starts.held_bytes()
            + self.meta_offsets.held_bytes()
            + OPENING_BYTES
    }

    /// Appends a document's tokens (after one separator) and its record.
    pub fn push(&mut self, ids: &[u32], record: &DocRecord) -> Result<()> {
        let vocab = self.unigrams.len();
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= vocab) {
            return Err(crate::error::Error::Failed(format!(
                "the tokenizer produced id {bad} for document {:?}, past its vocabulary of \
                 {vocab} ids: the tokenizer.json is inconsistent (an added token numbered past \
                 the vocabulary?)",
                record.id
            )));
        }
        self.doc_starts.push(self.token_count);
        self.scratch.clear();
        self.scratch.reserve(ids.len() + 1);
        self.scratch.push(T::SEPARATOR);
        self.scratch.extend(ids.iter().map(|&i| T::from_u32(i)));
        self.tokens_out.write_slice(&self.scratch)?;
        self.token_count += ids.len() as u64 + 1;
        for &i in ids {
            self.unigrams[i as usize] += 1;
        }
        serde_json::to_writer(&mut self.meta_blob, record).expect("record serializes");
        self.meta_offsets.push(self.meta_blob.len() as u64);
        Ok(())
    }

    /// Finishes `tokens.bin`, reads it back, builds the suffix array and writes the other
    /// five files.
    pub fn finish(self, threads: usize) -> Result<(ShardInfo, ShardTimings)> {
        let n = self.token_count;
        let dir = self.dir;
        let tokens_checksum = self.tokens_out.finish(n)?;
        let mut timings = ShardTimings::default();
        let t = Instant::now();
        let alphabet = self.unigrams.len() as u32 + 1;
        // The suffix array is the peak: hand back what reading freed first.
        crate::memory::release_unused_memory();
        let mut tokens: Vec<T> = read_tokens(&dir.join(files::TOKENS), n)?;
        let sa = suffix_array::build(&mut tokens, alphabet, threads)?;
        timings.suffix_array = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let build_id = self.build_id;
        let write = |name: &str, kind, w: u32, bytes: &[u8], count: u64| {
            FileWriter::write_file(&dir.join(name), kind, w, build_id, bytes, count)
        };
        let sa_checksum = write(
            files::SUFFIX_ARRAY,
            FileKind::SuffixArray,
            4,
            bytemuck::cast_slice(&sa),
            n,
        )?;
        // The suffix samples, from the tokens still in memory: their positions taken, the
        // suffix array is freed before the keys are gathered.
        let positions = sampled_positions(sa.as_slice(), STRIDE_LOG2);
        drop(sa);
        let keys = keys_at(&tokens, &positions, KEY_TOKENS);
        drop((tokens, positions));
        // Tied to this shard's token stream and suffix array (`samples_build_id`).
        FileWriter::write_file(
            &dir.join(files::SAMPLES),
            FileKind::SuffixSamples,
            T::WIDTH.bytes(),
            samples_build_id(build_id, tokens_checksum, sa_checksum),
            bytemuck::cast_slice(&keys),
            keys.len() as u64,
        )?;
        drop(keys);
        let mut starts = self.doc_starts;
        let docs = starts.len() as u64;
        starts.push(n);
        let mut offsets = FileWriter::create(
            &dir.join(files::DOC_OFFSETS),
            FileKind::DocOffsets,
            8,
            build_id,
        )?;
        for chunk in starts.chunks() {
            offsets.write_slice(chunk)?;
        }
        offsets.finish(docs + 1)?;
        let mut meta =
            FileWriter::create(&dir.join(files::DOC_META), FileKind::DocMeta, 0, build_id)?;
        for chunk in self.meta_offsets.chunks() {
            meta.write_slice(chunk)?;
        }
        for chunk in self.meta_blob.chunks() {
            meta.write(chunk)?;
        }
        meta.finish(docs)?;
        let vocab = self.unigrams.len() as u64;
        write(
            files::UNIGRAMS,
            FileKind::Unigrams,
            8,
            bytemuck::cast_slice(&self.unigrams),
            vocab,
        )?;
        timings.write = t.elapsed().as_secs_f64();
        Ok((
            ShardInfo {
                dir: self.dir_name,
                first_doc: self.first_doc,
                documents: docs,
                tokens: n,
                build_id: None,
            },
            timings,
        ))
    }
}

/// Reads the `n` tokens of a finished `tokens.bin` into memory (exactly `n` elements, no
/// spare capacity: this is the shard's memory peak).
fn read_tokens<T: Token>(path: &Path, n: u64) -> Result<Vec<T>> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut tokens: Vec<T> = vec![T::SEPARATOR; n as usize];
    file.read_exact(bytemuck::cast_slice_mut(&mut tokens))
        .with_context(|| format!("cannot read the token stream back from {}", path.display()))?;
    Ok(tokens)
}
