//! Accumulates documents into one shard and writes its files.

use crate::suffix_array;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;
use verbatim_core::format::{FileKind, FileWriter};
use verbatim_core::manifest::ShardInfo;
use verbatim_core::shard::{files, DocRecord};
use verbatim_core::Token;

/// The in-memory state of the shard being built.
pub struct ShardBuilder<T: Token> {
    tokens: Vec<T>,
    doc_starts: Vec<u64>,
    meta_offsets: Vec<u64>,
    meta_blob: Vec<u8>,
    unigrams: Vec<u64>,
    first_doc: u64,
    max_tokens: u64,
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
    /// An empty shard whose first document has global number `first_doc`.
    pub fn new(first_doc: u64, vocab_size: u32, max_tokens: u64) -> Self {
        ShardBuilder {
            tokens: Vec::new(),
            doc_starts: Vec::new(),
            meta_offsets: vec![0],
            meta_blob: Vec::new(),
            unigrams: vec![0; vocab_size as usize],
            first_doc,
            max_tokens,
        }
    }

    /// Whether a document of `n` tokens still fits (one separator is added before it).
    pub fn fits(&self, n: usize) -> bool {
        (self.tokens.len() + 1 + n) as u64 <= self.max_tokens
    }

    /// Whether the shard holds no document.
    pub fn is_empty(&self) -> bool {
        self.doc_starts.is_empty()
    }

    /// Appends a document's tokens and record.
    pub fn push(&mut self, ids: &[u32], record: &DocRecord) {
        self.doc_starts.push(self.tokens.len() as u64);
        self.tokens.push(T::SEPARATOR);
        self.tokens.extend(ids.iter().map(|&i| T::from_u32(i)));
        for &i in ids {
            self.unigrams[i as usize] += 1;
        }
        serde_json::to_writer(&mut self.meta_blob, record).expect("record serializes");
        self.meta_offsets.push(self.meta_blob.len() as u64);
    }

    /// Builds the suffix array and writes the shard's five files into `dir`.
    pub fn finish(
        self,
        dir: &Path,
        dir_name: &str,
        build_id: u64,
        threads: usize,
    ) -> Result<(ShardInfo, ShardTimings)> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut timings = ShardTimings::default();
        let t = Instant::now();
        let alphabet = self.unigrams.len() as u32 + 1;
        let sa = suffix_array::build(&self.tokens, alphabet, threads)?;
        timings.suffix_array = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let n = self.tokens.len() as u64;
        let width = T::WIDTH.bytes();
        let write = |name: &str, kind, w: u32, bytes: &[u8], count: u64| {
            FileWriter::write_file(&dir.join(name), kind, w, build_id, bytes, count)
        };
        write(
            files::TOKENS,
            FileKind::Tokens,
            width,
            bytemuck::cast_slice(&self.tokens),
            n,
        )?;
        write(
            files::SUFFIX_ARRAY,
            FileKind::SuffixArray,
            4,
            bytemuck::cast_slice(&sa),
            n,
        )?;
        let mut starts = self.doc_starts;
        let docs = starts.len() as u64;
        starts.push(n);
        write(
            files::DOC_OFFSETS,
            FileKind::DocOffsets,
            8,
            bytemuck::cast_slice(&starts),
            docs + 1,
        )?;
        let mut meta =
            FileWriter::create(&dir.join(files::DOC_META), FileKind::DocMeta, 0, build_id)?;
        meta.write_slice(&self.meta_offsets)?;
        meta.write(&self.meta_blob)?;
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
                dir: dir_name.to_string(),
                first_doc: self.first_doc,
                documents: docs,
                tokens: n,
            },
            timings,
        ))
    }
}
