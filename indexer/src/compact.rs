//! Compaction: runs of neighbouring shards rebuilt as one shard each, so that an index grown
//! by appends, or built in small shards under a tight `--max-memory`, searches fewer suffix
//! arrays.
//!
//! Every query searches each shard, so its cost grows with the number of shards (8 shards of
//! the 1.3B-token corpus trace about 1.5x slower than one; benches/RESULTS.md). Compaction
//! reads the documents of consecutive shards, in order, into a new shard (the same token ids,
//! records and global document numbers; a new suffix array, samples and unigram counts), as
//! many shards per group as fit one shard under the memory budget (tokens plus the 32-bit
//! suffix array, as in a build). Nothing else changes: the id map, sources, full-text index
//! and takedown list are keyed by document number, which compaction keeps, so every count,
//! span, trace, document lookup and contamination report answers as before. What names
//! shards or suffix-array ranks (infini-gram's `find` segments, documents addressed by rank)
//! and sampled approximations (CNF above its clause limit, approximate next-token
//! distributions) follow the new layout, as after an append. Side indexes are compacted the
//! same way, each on its own.
//!
//! What is copied is checked as it is read: each source shard's document tables, and its
//! token stream's payload checksum, computed while the stream is read (a damaged shard fails
//! the compaction before its commit, never copied under fresh checksums). The new shards are
//! written beside the old ones, under new names; the one commit point is the atomic rename of
//! a new `manifest.bin` over the old one, as for an append, so a killed compaction leaves the
//! index as it was. The replaced shards inside the index directory are removed after the
//! commit; those under a `--shard-root` are left and named, as a build or append never
//! deletes under a root (a copy of the index may use them). A server that has the index open
//! answers from the shards it opened (still mapped, even once deleted) until it has opened
//! the new generation (`verbatim-server`'s `reload.rs`).

use crate::build::{new_build_id, sanitize, threads_or_all};
use crate::error::{bail, refuse, Context, Result};
use crate::memory::{bytes_per_token, human, human_ceil};
use crate::options::DEFAULT_SHARD_MAX_TOKENS;
use crate::placement::{next_shard_number, ShardPlacement};
use crate::shard_builder::ShardBuilder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;
use verbatim_core::format::{Header, HEADER_LEN};
use verbatim_core::manifest::{Manifest, ShardInfo, MANIFEST_FILE};
use verbatim_core::shard::Shard;
use verbatim_core::{Index, OpenOptions, Token, TokenWidth};

/// What the memory budget leaves aside besides the open index and the shard being built: the
/// process itself and its buffers.
const BASE_BYTES: u64 = 192 << 20;

/// Bytes the new shard's tables hold per document (its start and its record's offset).
const NEW_SHARD_BYTES_PER_DOCUMENT: u64 = 16;

/// Bytes an open shard holds per vocabulary id (its first-token table) and per document (its
/// offsets and its record's, read at open).
const OPEN_SHARD_BYTES_PER_ID: u64 = 16;
const OPEN_SHARD_BYTES_PER_DOCUMENT: u64 = 16;

/// How to compact.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// The index directory.
    pub index: PathBuf,
    /// Peak memory budget, bytes (default: [`crate::memory::default_budget`]).
    pub max_memory: Option<u64>,
    /// Most tokens in one compacted shard (also capped by the budget).
    pub shard_max_tokens: u64,
    /// Directories for the new shards (`--shard-root`, round-robin); none: the index's own.
    pub shard_roots: Vec<PathBuf>,
    /// Worker threads for the suffix arrays; 0 = one per core.
    pub threads: usize,
    /// Show progress bars.
    pub progress: bool,
}

impl CompactOptions {
    /// Compacting `index` with the default budget, shard cap and threads.
    pub fn new(index: PathBuf) -> CompactOptions {
        CompactOptions {
            index,
            max_memory: None,
            shard_max_tokens: DEFAULT_SHARD_MAX_TOKENS,
            shard_roots: Vec::new(),
            threads: 0,
            progress: false,
        }
    }
}

/// What a compaction did to one index (the main one or a side index).
#[derive(Debug, Clone)]
pub struct CompactedIndex {
    /// Its name (`NAME` or `NAME/side`).
    pub name: String,
    /// Shards before.
    pub shards_before: usize,
    /// Shards after.
    pub shards_after: usize,
    /// The runs of old shards rebuilt, each as one new shard.
    pub groups: Vec<Range<usize>>,
}

/// The result of [`compact`].
#[derive(Debug, Clone)]
pub struct CompactSummary {
    /// The main index, then each side index.
    pub indexes: Vec<CompactedIndex>,
    /// Replaced shard directories left under `--shard-root`s (never deleted there: a copy of
    /// the index may use them); remove them if no copy does.
    pub left_under_roots: Vec<PathBuf>,
    /// The committed manifest (unchanged when nothing was compacted).
    pub manifest: Manifest,
    /// The budget the groups were sized by, bytes.
    pub max_memory: u64,
    /// The smallest budget that would merge some two neighbouring shards (within the
    /// `--shard-max-tokens` cap), when this one merged none.
    pub smallest_merging_budget: Option<u64>,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl CompactSummary {
    /// Whether any shard was rebuilt.
    pub fn changed(&self) -> bool {
        self.indexes.iter().any(|i| !i.groups.is_empty())
    }
}

/// Compacts the index at `opts.index` (see the module documentation).
pub fn compact(opts: &CompactOptions) -> Result<CompactSummary> {
    let started = Instant::now();
    let dir = opts.index.as_path();
    let budget = opts
        .max_memory
        .unwrap_or_else(crate::memory::default_budget);
    let threads = threads_or_all(opts.threads);
    if opts.shard_max_tokens < 2 || opts.shard_max_tokens > DEFAULT_SHARD_MAX_TOKENS {
        return Err(crate::Error::Options(format!(
            "--shard-max-tokens must be between 2 and {DEFAULT_SHARD_MAX_TOKENS}"
        )));
    }
    // The locks an append takes, for the same reasons.
    let _locks = crate::append::IndexChangeLocks::take(
        dir,
        "compaction rewrites the shards of a verbatim index",
    )?;
    // Opened without hashing every file: what compaction copies (document tables and token
    // streams) is checked as it is read, and what it rebuilds is not read at all.
    let index = Index::open_named(
        dir,
        MANIFEST_FILE,
        OpenOptions {
            verify_checksums: false,
            fulltext: false,
            // The indexer reads in passes, not searches: 2 MiB pages.
            residency: verbatim_core::Residency::Memory,
        },
    )
    .with_context(|| format!("cannot open the index to compact, {}", dir.display()))?;
    let old = index.manifest().clone();
    // What a killed append or compaction left (shard directories it had not committed) goes
    // first, so that the new shards' names are free.
    crate::append::remove_garbage_of(dir, &old)?;
    if index.shards().iter().any(|s| s.infini_gram().is_some()) {
        refuse!(
            "{} serves an infini-gram index in place; compaction rewrites verbatim shards only",
            dir.display()
        );
    }
    let plan = Plan {
        shard_max_tokens: opts.shard_max_tokens,
        threads,
        progress: opts.progress,
        build_id: new_build_id(),
        generation: old.generation + 1,
    };
    let sides = index_sides(&index, &old)?;
    let all: Vec<&Index> = std::iter::once(&index)
        .chain(sides.iter().copied())
        .collect();
    let held_anyway = BASE_BYTES + all.iter().map(|i| open_cost(i)).sum::<u64>();
    let room = budget.checked_sub(held_anyway).ok_or_else(|| {
        crate::Error::Refused(format!(
            "--max-memory {} is too small to compact: the open index alone holds {} (its shards' tables, besides {} for the process); pass --max-memory {} or more",
            human(budget),
            human(held_anyway - BASE_BYTES),
            human(BASE_BYTES),
            human_ceil(held_anyway + smallest_pair(&all, opts.shard_max_tokens).unwrap_or(0)),
        ))
    })?;
    let mut indexes = Vec::new();
    let mut rebuilt: Vec<PendingShards> = Vec::new();

    let main = plan.compact_one(&index, dir, &old.name, &opts.shard_roots, room)?;
    let mut manifest = old.clone();
    let main_changed = !main.report.groups.is_empty();
    indexes.push(main.report.clone());
    if main_changed {
        manifest.shards = main.shards.clone();
    }
    rebuilt.push(main);
    let mut side_manifests = old.files.side_manifests.clone();
    for (norm, side) in old.side_indexes.iter().zip(&sides) {
        let side_dir = dir.join("side").join(norm.name());
        let done = plan.compact_one(side, &side_dir, &side.manifest().name, &[], room)?;
        indexes.push(done.report.clone());
        if !done.report.groups.is_empty() {
            let mut m = side.manifest().clone();
            m.shards = done.shards.clone();
            m.generation = plan.generation;
            let name = crate::append::write_generation_manifest(&side_dir, &m, side.build_id())?;
            side_manifests.insert(norm.name().to_string(), name);
        }
        rebuilt.push(done);
    }
    if !indexes.iter().any(|i| !i.groups.is_empty()) {
        return Ok(CompactSummary {
            indexes,
            left_under_roots: Vec::new(),
            manifest: old,
            max_memory: budget,
            smallest_merging_budget: smallest_pair(&all, opts.shard_max_tokens)
                .map(|b| held_anyway + b),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    manifest.generation = plan.generation;
    manifest.files.side_manifests = side_manifests;
    manifest
        .timings
        .insert("compact".into(), started.elapsed().as_secs_f64());
    // The new shards' directory entries reach the disk before the manifest naming them.
    for r in &rebuilt {
        for info in &r.shards {
            let path = r.dir.join(&info.dir);
            crate::append::sync_dir(&path);
            if let Some(parent) = path.parent() {
                crate::append::sync_dir(parent);
            }
        }
    }
    let header_build_id = index.build_id();
    crate::append::commit_manifest(dir, &manifest, header_build_id)?;
    // Committed: the new shards stay; the replaced ones inside the index go. Those under a
    // `--shard-root` stay, as for a build or an append (a copy of the index may use them), and
    // are named for the caller to remove.
    for r in &rebuilt {
        r.placement.commit();
    }
    drop(index);
    // The index is compacted whatever happens now: a replaced shard that cannot be removed is
    // a warning (the next append or compaction removes it), not a failure.
    if let Err(e) = crate::append::remove_garbage_of(dir, &manifest) {
        tracing::warn!("{e:#}");
    }
    let left_under_roots: Vec<PathBuf> = rebuilt
        .iter()
        .flat_map(|r| r.replaced.iter())
        .filter(|d| d.exists())
        .cloned()
        .collect();
    Ok(CompactSummary {
        indexes,
        left_under_roots,
        manifest,
        max_memory: budget,
        smallest_merging_budget: None,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Bytes the open `index` holds on the heap or resident through its mappings for the whole
/// compaction: each shard's first-token table and document tables, and its records (read
/// through the mapping as groups are rebuilt, and left resident until the end).
fn open_cost(index: &Index) -> u64 {
    let vocab = u64::from(index.tokenizer().vocab_size());
    index
        .shards()
        .iter()
        .map(|s| {
            OPEN_SHARD_BYTES_PER_ID * vocab
                + OPEN_SHARD_BYTES_PER_DOCUMENT * s.documents() as u64
                + record_bytes(s)
        })
        .sum()
}

/// Bytes of a shard's stored records.
fn record_bytes(s: &Shard) -> u64 {
    std::fs::metadata(s.paths().records).map_or(0, |m| m.len())
}

/// What building one new shard from shard `s` holds: its tokens and suffix array, and its
/// records and tables.
fn new_shard_bytes(s: &Shard, per_token: u64) -> u64 {
    s.info().tokens * per_token
        + record_bytes(s)
        + NEW_SHARD_BYTES_PER_DOCUMENT * s.documents() as u64
}

/// What the one shard being built holds besides its shards' share ([`new_shard_bytes`]): its
/// document tables' chunks being filled and the next ones.
const NEW_SHARD_TABLE_CHUNKS: u64 = 2 * crate::shard_builder::OPENING_BYTES;

/// The bytes of the cheapest merge of two neighbouring shards within `max_tokens`, in any of
/// `indexes`.
fn smallest_pair(indexes: &[&Index], max_tokens: u64) -> Option<u64> {
    indexes
        .iter()
        .flat_map(|index| {
            let per_token = bytes_per_token(index.tokenizer().width());
            index
                .shards()
                .windows(2)
                .filter(move |w| w[0].info().tokens + w[1].info().tokens <= max_tokens)
                .map(move |w| {
                    new_shard_bytes(&w[0], per_token)
                        + new_shard_bytes(&w[1], per_token)
                        + NEW_SHARD_TABLE_CHUNKS
                })
        })
        .min()
}

/// The side indexes of `index`, in the manifest's order.
fn index_sides<'a>(index: &'a Index, m: &Manifest) -> Result<Vec<&'a Index>> {
    m.side_indexes
        .iter()
        .map(|n| {
            index.side(*n).ok_or_else(|| {
                crate::Error::Failed(format!("side index {} did not open", n.name()))
            })
        })
        .collect()
}

/// How one compaction sizes and writes its shards.
struct Plan {
    shard_max_tokens: u64,
    threads: usize,
    progress: bool,
    build_id: u64,
    generation: u64,
}

/// The new shard list of one index, and what to remove once it is committed.
struct PendingShards {
    /// The index's directory.
    dir: PathBuf,
    report: CompactedIndex,
    shards: Vec<ShardInfo>,
    placement: ShardPlacement,
    /// Directories of the replaced shards.
    replaced: Vec<PathBuf>,
}

impl Plan {
    /// Rebuilds the groups of `index` (in `dir`, named `name`), each new shard holding at most
    /// `room` bytes while it is built; the new shards are written but not committed.
    fn compact_one(
        &self,
        index: &Index,
        dir: &Path,
        name: &str,
        roots: &[PathBuf],
        room: u64,
    ) -> Result<PendingShards> {
        let width = index.tokenizer().width();
        let vocab = index.tokenizer().vocab_size();
        let shards = index.shards();
        let sizes: Vec<(u64, u64)> = shards
            .iter()
            .map(|s| (s.info().tokens, new_shard_bytes(s, bytes_per_token(width))))
            .collect();
        let groups = plan_groups(
            &sizes,
            self.shard_max_tokens,
            room.saturating_sub(NEW_SHARD_TABLE_CHUNKS),
        );
        let tag = format!("{}.{:016x}", sanitize(name), self.build_id);
        let placement = ShardPlacement::new(dir, roots, &tag)?;
        let named: std::collections::BTreeSet<&str> = index
            .manifest()
            .shards
            .iter()
            .map(|s| s.dir.as_str())
            .collect();
        for folder in placement.foreign_folders(&sanitize(name), &named) {
            tracing::warn!(
                "{} is not part of this index (left by an interrupted build, append or compaction, or used by a copy of the index): remove it if no copy uses it",
                folder.display()
            );
        }
        let old_infos: Vec<ShardInfo> = index.manifest().shards.clone();
        let mut out: Vec<ShardInfo> = Vec::new();
        let mut replaced = Vec::new();
        let mut at = 0;
        for (number, g) in (next_shard_number(&old_infos)..).zip(&groups) {
            while at < g.start {
                out.push(with_build_id(&old_infos[at], index.manifest()));
                at += 1;
            }
            let (abs, recorded) = placement.place(number)?;
            let info = match width {
                TokenWidth::U8 => {
                    self.rebuild::<u8>(&shards[g.clone()], vocab, &abs, &recorded, name)?
                }
                TokenWidth::U16 => {
                    self.rebuild::<u16>(&shards[g.clone()], vocab, &abs, &recorded, name)?
                }
                TokenWidth::U32 => {
                    self.rebuild::<u32>(&shards[g.clone()], vocab, &abs, &recorded, name)?
                }
            };
            out.push(info);
            replaced.extend(old_infos[g.clone()].iter().map(|s| dir.join(&s.dir)));
            at = g.end;
        }
        while at < old_infos.len() {
            out.push(with_build_id(&old_infos[at], index.manifest()));
            at += 1;
        }
        Ok(PendingShards {
            dir: dir.to_path_buf(),
            report: CompactedIndex {
                name: name.to_string(),
                shards_before: shards.len(),
                shards_after: out.len(),
                groups,
            },
            shards: out,
            placement,
            replaced,
        })
    }

    /// One new shard in `abs` from the documents of `group`, in order.
    fn rebuild<T: Token>(
        &self,
        group: &[Shard],
        vocab: u32,
        abs: &Path,
        recorded: &str,
        name: &str,
    ) -> Result<ShardInfo> {
        let first = group[0].info();
        let tokens: u64 = group.iter().map(|s| s.info().tokens).sum();
        let bar = progress_bar(self.progress, tokens, name, group);
        let mut b =
            ShardBuilder::<T>::create(abs, recorded, self.build_id, first.first_doc, vocab)?;
        let mut ids: Vec<u32> = Vec::new();
        for shard in group {
            // The document tables are checked first; the token stream is checked as it is
            // read (as a file, not through the index's mapping, so that the pages read do
            // not count against the budget). A damaged shard fails the compaction before
            // its commit, and is never copied under fresh checksums.
            let paths = shard.paths();
            check_payload(&paths.doc_offsets)?;
            check_payload(&paths.records)?;
            let mut stream = TokenStream::<T>::open(&paths.tokens)?;
            for d in 0..shard.documents() {
                let range = shard.doc_range(d);
                let doc = stream.read_to(range.end)?;
                ids.clear();
                ids.extend(doc[doc.len() - range.len()..].iter().map(|t| t.to_u32()));
                let record = shard.doc_record(d)?;
                if let Err(e) = b.push(&ids, &record) {
                    // An id past the vocabulary is a damaged token stream, not the
                    // tokenizer's fault: the rest of the stream's checksum names the file.
                    stream.finish(shard.info().tokens as usize)?;
                    return Err(e);
                }
                bar.inc(range.len() as u64 + 1);
            }
            stream.finish(shard.info().tokens as usize)?;
        }
        if b.tokens() != tokens {
            bail!(
                "compacting into {}: read {} tokens from shards holding {tokens}",
                abs.display(),
                b.tokens()
            );
        }
        bar.set_message(format!("{name}: suffix array of {} tokens", tokens));
        let (mut info, _) = b.finish(self.threads)?;
        bar.finish_and_clear();
        info.build_id = Some(format!("{:016x}", self.build_id));
        Ok(info)
    }
}

/// A verbatim file read front to back, its payload checksum computed on the way.
struct CheckedFile {
    path: PathBuf,
    reader: BufReader<std::fs::File>,
    header: Header,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl CheckedFile {
    fn open(path: &Path) -> Result<CheckedFile> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut head = [0u8; HEADER_LEN];
        reader
            .read_exact(&mut head)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(CheckedFile {
            path: path.to_path_buf(),
            reader,
            header: Header::decode(&head, path)?,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
        })
    }

    /// Fills `buf` from the payload.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.reader
            .read_exact(buf)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        self.hasher.update(buf);
        Ok(())
    }

    /// Reads the rest of the payload and checks its checksum.
    fn finish(mut self) -> Result<()> {
        let mut chunk = vec![0u8; 1 << 20];
        loop {
            let n = self
                .reader
                .read(&mut chunk)
                .with_context(|| format!("cannot read {}", self.path.display()))?;
            if n == 0 {
                break;
            }
            self.hasher.update(&chunk[..n]);
        }
        checksum_matches(&self.path, &self.header, self.hasher.digest())
    }
}

/// Checks the payload checksum of the file at `path`, read as a stream.
fn check_payload(path: &Path) -> Result<()> {
    CheckedFile::open(path)?.finish()
}

/// A shard's `tokens.bin` read front to back, its payload checksum checked at the end.
struct TokenStream<T> {
    file: CheckedFile,
    /// Tokens read so far.
    at: usize,
    buf: Vec<T>,
}

impl<T: Token> TokenStream<T> {
    fn open(path: &Path) -> Result<Self> {
        Ok(TokenStream {
            file: CheckedFile::open(path)?,
            at: 0,
            buf: Vec::new(),
        })
    }

    /// The tokens from where the last read ended up to position `end`.
    fn read_to(&mut self, end: usize) -> Result<&[T]> {
        let n = end.checked_sub(self.at).ok_or_else(|| {
            crate::Error::Failed(format!(
                "{}: document offsets go backwards at token {end}",
                self.file.path.display()
            ))
        })?;
        self.buf.clear();
        self.buf.resize(n, T::SEPARATOR);
        self.file
            .read_exact(bytemuck::cast_slice_mut(&mut self.buf))?;
        self.at = end;
        Ok(&self.buf)
    }

    /// Reads the rest of the stream's `len` tokens and checks its payload checksum.
    fn finish(mut self, len: usize) -> Result<()> {
        self.read_to(len)?;
        self.file.finish()
    }
}

fn checksum_matches(path: &Path, header: &Header, sum: u64) -> Result<()> {
    if sum != header.payload_checksum {
        bail!(
            "cannot compact: {} is damaged (payload checksum {sum:016x}, stored {:016x}); nothing was changed: run `verbatim verify` on the index, and rebuild it",
            path.display(),
            header.payload_checksum
        );
    }
    Ok(())
}

/// `info` with its build id written out (a compacted index's manifest may no longer share
/// the build id of every shard it keeps).
fn with_build_id(info: &ShardInfo, m: &Manifest) -> ShardInfo {
    let mut s = info.clone();
    s.build_id.get_or_insert_with(|| m.build_id.clone());
    s
}

/// Runs of neighbouring shards to rebuild as one, from each shard's `(tokens, bytes held
/// while its new shard is built)`: greedily, as many shards as fit both `max_tokens` and
/// `max_bytes`; only runs of two shards or more.
pub fn plan_groups(sizes: &[(u64, u64)], max_tokens: u64, max_bytes: u64) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let (mut tokens, mut bytes) = (0u64, 0u64);
    for (i, &(t, b)) in sizes.iter().enumerate() {
        if i > start && (tokens + t > max_tokens || bytes + b > max_bytes) {
            if i - start >= 2 {
                groups.push(start..i);
            }
            start = i;
            (tokens, bytes) = (0, 0);
        }
        tokens += t;
        bytes += b;
    }
    if sizes.len() - start >= 2 {
        groups.push(start..sizes.len());
    }
    groups
}

fn progress_bar(enabled: bool, tokens: u64, name: &str, group: &[Shard]) -> ProgressBar {
    let bar = if enabled {
        ProgressBar::with_draw_target(Some(tokens), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {percent}% ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!(
        "{name}: reading {} shards ({} tokens)",
        group.len(),
        tokens
    ));
    bar
}

#[cfg(test)]
mod tests {
    use super::plan_groups;

    /// Shards of `t` tokens, 6 bytes each.
    fn sized(tokens: &[u64]) -> Vec<(u64, u64)> {
        tokens.iter().map(|&t| (t, 6 * t)).collect()
    }

    #[test]
    fn groups_are_runs_of_two_or_more_that_fit() {
        let roomy = u64::MAX;
        assert_eq!(
            plan_groups(&sized(&[10, 10, 10, 10]), 40, roomy),
            vec![0..4]
        );
        assert_eq!(
            plan_groups(&sized(&[10, 10, 10, 10]), 25, roomy),
            vec![0..2, 2..4]
        );
        assert_eq!(plan_groups(&sized(&[10, 10, 10]), 25, roomy), vec![0..2]);
        assert_eq!(
            plan_groups(&sized(&[30, 10, 10, 30]), 25, roomy),
            vec![1..3]
        );
        assert!(plan_groups(&sized(&[30, 30]), 25, roomy).is_empty());
        assert!(plan_groups(&sized(&[10]), 25, roomy).is_empty());
        assert!(plan_groups(&[], 25, roomy).is_empty());
    }

    #[test]
    fn the_byte_budget_and_the_token_cap_each_split_groups() {
        // 150 bytes hold two shards of 10 tokens (60 bytes each), not three.
        assert_eq!(
            plan_groups(&sized(&[10, 10, 10, 10]), 100, 150),
            vec![0..2, 2..4]
        );
        assert_eq!(
            plan_groups(&sized(&[10, 10, 10, 10]), 20, 1000),
            vec![0..2, 2..4]
        );
        assert!(plan_groups(&sized(&[10, 10]), 100, 100).is_empty());
    }
}
