//! Ids spilled to disk: sorted runs of `(id, value)` that an [`crate::id_map::IdMap`] writes
//! when the ids in memory outgrow their share of the budget, so that a build of any number
//! of documents keeps its memory bounded.
//!
//! A run is a file of records `u32 LE id length, id bytes, u64 LE value`, sorted by id,
//! written in blocks of about [`BLOCK_BYTES`]. What stays in memory is a Bloom filter of its
//! ids (about 10 bits an id: a lookup of an id the run does not hold reads nothing 99 times
//! in 100) and each block's first id and offset (about a fifth of a byte an id). A lookup the
//! filter lets through reads one block with `pread`: run files are never memory-mapped, so
//! their pages count in the page cache, not in the build's resident memory.

use crate::error::{Context, Result};
use fastbloom::BloomFilter;
use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes of a run's block: one lookup reads one block.
const BLOCK_BYTES: u64 = 16 << 10;

/// A Bloom filter's false-positive rate.
const FALSE_POSITIVES: f64 = 0.01;

/// Buffer of each run read in a merge, and of a run written.
pub(crate) const READ_BUFFER: usize = 64 << 10;

/// One sorted run on disk, with what finds an id in it.
pub(crate) struct IdRun {
    path: PathBuf,
    file: File,
    /// Ids in the run.
    len: u64,
    filter: BloomFilter,
    /// Each block's first id.
    first_ids: Vec<Box<[u8]>>,
    /// Each block's offset, and the file's length after the last.
    block_starts: Vec<u64>,
    /// Bytes of the longest id.
    longest: usize,
    /// How many runs of the lowest size were merged into this one (1, 4, 16, ...).
    pub(crate) weight: u64,
}

impl IdRun {
    /// Writes `ids` (sorted by id, unique, exactly `len` of them) to a new run at `path`;
    /// `seed` keys the filter, the same for every run of one map so that an id is hashed
    /// once for all of them.
    pub(crate) fn write(
        path: &Path,
        len: u64,
        seed: u128,
        weight: u64,
        ids: impl Iterator<Item = Result<(Vec<u8>, u64)>>,
    ) -> Result<IdRun> {
        let mut filter = BloomFilter::with_false_pos(FALSE_POSITIVES)
            .seed(&seed)
            .expected_items(len.max(1) as usize);
        let file = File::create_new(path)
            .with_context(|| format!("cannot create the id run {}", path.display()))?;
        let mut out = BufWriter::with_capacity(READ_BUFFER, &file);
        let mut first_ids = Vec::new();
        let mut block_starts = Vec::new();
        let mut at = 0u64;
        let mut block_end = 0u64;
        let mut written = 0u64;
        let mut longest = 0;
        let mut last: Vec<u8> = Vec::new();
        for item in ids {
            let (id, value) = item?;
            // Lookups scan a block in order, so a run out of order would answer wrongly.
            if written > 0 && last >= id {
                return Err(crate::error::Error::Failed(format!(
                    "the ids written to {} are not in order or repeat ({:?} after {:?})",
                    path.display(),
                    String::from_utf8_lossy(&id),
                    String::from_utf8_lossy(&last)
                )));
            }
            if at >= block_end {
                first_ids.push(id.clone().into_boxed_slice());
                block_starts.push(at);
                block_end = at + BLOCK_BYTES;
            }
            filter.insert(id.as_slice());
            let len = u32::try_from(id.len()).context("an id longer than 4 GiB")?;
            out.write_all(&len.to_le_bytes())
                .and_then(|()| out.write_all(&id))
                .and_then(|()| out.write_all(&value.to_le_bytes()))
                .with_context(|| format!("cannot write the id run {}", path.display()))?;
            at += 4 + id.len() as u64 + 8;
            written += 1;
            longest = longest.max(id.len());
            last = id;
        }
        out.flush()
            .with_context(|| format!("cannot write the id run {}", path.display()))?;
        drop(out);
        if written != len {
            return Err(crate::error::Error::Failed(format!(
                "the id run {} holds {written} ids, {len} expected",
                path.display()
            )));
        }
        block_starts.push(at);
        first_ids.shrink_to_fit();
        block_starts.shrink_to_fit();
        Ok(IdRun {
            path: path.to_path_buf(),
            file,
            len,
            filter,
            first_ids,
            block_starts,
            longest,
            weight,
        })
    }

    /// Ids in the run.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The hash [`IdRun::get`] takes for `id` (the same for every run of one seed).
    pub(crate) fn hash(&self, id: &str) -> u64 {
        self.filter.source_hash(id.as_bytes())
    }

    /// The value of `id`, whose [`IdRun::hash`] is `hash`.
    pub(crate) fn get(&self, id: &str, hash: u64) -> Result<Option<u64>> {
        if !self.filter.contains_hash(hash) {
            return Ok(None);
        }
        let id = id.as_bytes();
        let block = self.first_ids.partition_point(|first| &**first <= id);
        if block == 0 {
            return Ok(None);
        }
        let (start, end) = (self.block_starts[block - 1], self.block_starts[block]);
        let mut buf = vec![0u8; (end - start) as usize];
        self.file
            .read_exact_at(&mut buf, start)
            .with_context(|| format!("cannot read the id run {}", self.path.display()))?;
        let mut rest = buf.as_slice();
        while !rest.is_empty() {
            let (key, value, next) = split_record(rest)
                .with_context(|| format!("the id run {} is damaged", self.path.display()))?;
            match key.cmp(id) {
                Ordering::Less => rest = next,
                Ordering::Equal => return Ok(Some(value)),
                Ordering::Greater => break,
            }
        }
        Ok(None)
    }

    /// Memory the run holds: its filter and block index.
    pub(crate) fn held_bytes(&self) -> u64 {
        let keys: usize = self.first_ids.iter().map(|k| k.len().max(8)).sum();
        (self.filter.num_bits() / 8
            + keys
            + self.first_ids.capacity() * std::mem::size_of::<Box<[u8]>>()
            + self.block_starts.capacity() * 8
            + std::mem::size_of::<Self>()) as u64
    }

    /// The buffer a lookup reads into: a block, which may end with a record past its size.
    pub(crate) fn lookup_bytes(&self) -> u64 {
        BLOCK_BYTES + 12 + self.longest as u64
    }

    /// Reads the run in order; the file is removed when the reader is dropped.
    pub(crate) fn into_reader(self) -> Result<RunReader> {
        let file = File::open(&self.path)
            .with_context(|| format!("cannot read the id run {}", self.path.display()))?;
        Ok(RunReader {
            input: BufReader::with_capacity(READ_BUFFER, file),
            left: self.len,
            longest: self.longest,
            path: self.path.clone(),
        })
    }
}

/// `(id, value, rest)` of the record at the start of `bytes`.
fn split_record(bytes: &[u8]) -> Option<(&[u8], u64, &[u8])> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let key = bytes.get(4..4 + len)?;
    let value = u64::from_le_bytes(bytes.get(4 + len..12 + len)?.try_into().ok()?);
    Some((key, value, &bytes[12 + len..]))
}

/// A run read from its start, in id order.
pub(crate) struct RunReader {
    input: BufReader<File>,
    left: u64,
    longest: usize,
    path: PathBuf,
}

impl Iterator for RunReader {
    type Item = Result<(Vec<u8>, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut read = || -> std::io::Result<(Vec<u8>, u64)> {
            let mut word = [0u8; 8];
            self.input.read_exact(&mut word[..4])?;
            let len = u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize;
            if len > self.longest {
                return Err(std::io::Error::other(format!(
                    "damaged: an id of {len} bytes, the longest written was {}",
                    self.longest
                )));
            }
            let mut key = vec![0u8; len];
            self.input.read_exact(&mut key)?;
            self.input.read_exact(&mut word)?;
            Ok((key, u64::from_le_bytes(word)))
        };
        Some(read().with_context(|| format!("cannot read the id run {}", self.path.display())))
    }
}

impl Drop for RunReader {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
