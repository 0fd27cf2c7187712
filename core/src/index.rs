//! An open index: manifest, tokenizer, shards, id map, source subsets, takedowns and the
//! full-text side index, with queries that span every shard.

use crate::error::{Error, Result};
use crate::format::{FileKind, MappedFile, MappedSlice};
use crate::fulltext::FullText;
use crate::manifest::Manifest;
use crate::shard::{DocRecord, Shard};
use crate::takedown::Takedown;
use crate::tokenizer::TextTokenizer;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

/// Index-level file names.
pub mod files {
    /// The HuggingFace tokenizer the index was built with.
    pub const TOKENIZER: &str = "tokenizer.bin";
    /// External id → global document number.
    pub const ID_MAP: &str = "ids.fst";
    /// Roaring bitmaps of documents per source.
    pub const SOURCES: &str = "sources.bin";
    /// Roaring bitmap of taken-down documents (written by `verbatim takedown`).
    pub const TAKEDOWN: &str = "takedown.bin";
}

/// Checks every tantivy file against the size and checksum the manifest recorded.
pub(crate) fn verify_fulltext_files(ft_dir: &Path, manifest: &Manifest) -> Result<()> {
    manifest.fulltext_files.par_iter().try_for_each(|(name, want)| {
        let path = ft_dir.join(name);
        let got = crate::manifest::FileSum::of(&path)?;
        if &got != want {
            return Err(Error::Corrupt {
                path,
                detail: format!(
                    "full-text index file changed since the build (size {} / checksum {}, expected {} / {})",
                    got.bytes, got.xxh3, want.bytes, want.xxh3
                ),
            });
        }
        Ok(())
    })
}

/// Hashes every payload of the index-level files and the shards.
fn verify_payloads(ids: &MappedFile, sources: &MappedFile, shards: &[Shard]) -> Result<()> {
    let mut all: Vec<&MappedFile> = vec![ids, sources];
    for s in shards {
        all.extend(s.files());
    }
    all.par_iter().try_for_each(|f| f.verify_payload())
}

/// Checks that the shards number documents consecutively from 0 and that the totals agree.
fn check_shard_numbering(dir: &Path, m: &Manifest) -> Result<()> {
    let mut next = 0u64;
    let mut tokens = 0u64;
    for s in &m.shards {
        if s.first_doc != next {
            return Err(Error::Corrupt {
                path: dir.join(crate::manifest::MANIFEST_FILE),
                detail: format!(
                    "shard {} starts at document {} but {} documents precede it",
                    s.dir, s.first_doc, next
                ),
            });
        }
        next += s.documents;
        tokens += s.tokens;
    }
    if next != m.documents || tokens != m.tokens {
        return Err(Error::Corrupt {
            path: dir.join(crate::manifest::MANIFEST_FILE),
            detail: format!(
                "the shards hold {next} documents and {tokens} tokens, the manifest says {} and {}",
                m.documents, m.tokens
            ),
        });
    }
    Ok(())
}

/// Directory name of shard `i`.
pub fn shard_dir_name(i: usize) -> String {
    format!("shard-{i:05}")
}

/// How much to check when opening.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Hash every payload (all files) and fail on any mismatch. On by default: it costs a
    /// sequential read of the index (about 0.1 s per GB from page cache).
    pub verify_checksums: bool,
    /// Open the full-text (BM25) side index if the index has one.
    pub fulltext: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            verify_checksums: true,
            fulltext: true,
        }
    }
}

/// A document located in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocLocation {
    /// Global document number.
    pub doc_no: u64,
    /// Shard holding it.
    pub shard: usize,
    /// Document number within the shard.
    pub local: usize,
}

/// An open, read-only index.
pub struct Index {
    dir: PathBuf,
    manifest: Manifest,
    build_id: u64,
    index_id: u64,
    tokenizer: TextTokenizer,
    shards: Vec<Shard>,
    /// Global token position of each shard's first token (shards concatenate in order).
    shard_token_base: Vec<u64>,
    id_file: MappedFile,
    ids: fst::Map<MappedSlice>,
    sources_file: MappedFile,
    unigrams: Vec<u64>,
    unigram_total: u64,
    fulltext: Option<FullText>,
    takedown: RwLock<Takedown>,
    /// Bumped on every reload of the takedown list (see [`Index::takedown_generation`]).
    takedown_generation: AtomicU64,
    sides: Vec<(crate::normalize::Normalization, Index)>,
}

impl Index {
    /// Opens the index in `dir` with default options (checksums verified).
    pub fn open(dir: &Path) -> Result<Index> {
        Self::open_with(dir, OpenOptions::default())
    }

    /// Opens the index in `dir`.
    pub fn open_with(dir: &Path, opts: OpenOptions) -> Result<Index> {
        Self::open_manifest(dir, crate::manifest::MANIFEST_FILE, opts)
    }

    /// Opens the index in `dir` described by the manifest file `manifest_name` instead of
    /// `manifest.bin` (side indexes are opened through the manifest their parent names).
    pub fn open_named(dir: &Path, manifest_name: &str, opts: OpenOptions) -> Result<Index> {
        Self::open_manifest(dir, manifest_name, opts)
    }

    fn open_manifest(dir: &Path, manifest_name: &str, opts: OpenOptions) -> Result<Index> {
        let (manifest, build_id) = Manifest::read_named(dir, manifest_name)?;
        let index_id = manifest.index_id(dir)?;
        let width = manifest.tokenizer.width;
        let tokenizer = if manifest.tokenizer.kind == "bytes" {
            TextTokenizer::Bytes
        } else {
            let f = MappedFile::open(&dir.join(files::TOKENIZER), FileKind::Tokenizer)?;
            f.expect_build(index_id)?;
            f.verify_payload()?;
            let tok = TextTokenizer::from_json_bytes(f.payload())?;
            if tok.identity() != manifest.tokenizer.sha256 {
                return Err(Error::TokenizerMismatch {
                    index: manifest.tokenizer.sha256.clone(),
                    given: tok.identity(),
                });
            }
            tok
        };
        if tokenizer.width() != width {
            return Err(Error::Invalid(format!(
                "{}: tokenizer needs {:?} tokens but the index stores {:?}",
                dir.display(),
                tokenizer.width(),
                width
            )));
        }
        let shards = manifest
            .shards
            .iter()
            .map(|info| {
                let id = manifest.shard_build_id(info, dir)?;
                Shard::open(&dir.join(&info.dir), info, width, id)
            })
            .collect::<Result<Vec<_>>>()?;
        check_shard_numbering(dir, &manifest)?;
        let mut shard_token_base = Vec::with_capacity(shards.len());
        let mut acc = 0u64;
        for s in &shards {
            shard_token_base.push(acc);
            acc += s.info().tokens;
        }
        let id_file = MappedFile::open(&dir.join(&manifest.files.ids), FileKind::IdMap)?;
        id_file.expect_build(build_id)?;
        let sources_file = MappedFile::open(&dir.join(&manifest.files.sources), FileKind::Sources)?;
        sources_file.expect_build(build_id)?;
        if opts.verify_checksums {
            verify_payloads(&id_file, &sources_file, &shards)?;
        }
        let ids =
            fst::Map::new(id_file.payload_slice(0..id_file.payload().len())).map_err(|e| {
                Error::Corrupt {
                    path: id_file.path().to_path_buf(),
                    detail: format!("not a valid fst map: {e}"),
                }
            })?;
        let vocab = manifest.tokenizer.vocab_size as usize;
        let mut unigrams = vec![0u64; vocab];
        for s in &shards {
            for (acc, c) in unigrams.iter_mut().zip(s.unigram_counts()) {
                *acc += c;
            }
        }
        let unigram_total = unigrams.iter().sum();
        let ft_dir = dir.join(&manifest.files.fulltext);
        let fulltext = if opts.fulltext && manifest.options.fulltext {
            if opts.verify_checksums {
                verify_fulltext_files(&ft_dir, &manifest)?;
            }
            let ft = FullText::open(&ft_dir, manifest.documents, &manifest.fulltext_parts)?;
            if opts.verify_checksums {
                ft.verify(&ft_dir)?;
            }
            Some(ft)
        } else {
            None
        };
        let takedown = Takedown::load(dir, index_id)?;
        let sides = manifest
            .side_indexes
            .iter()
            .map(|n| {
                let name = manifest
                    .files
                    .side_manifests
                    .get(n.name())
                    .map_or(crate::manifest::MANIFEST_FILE, String::as_str);
                Ok((
                    *n,
                    Index::open_manifest(&dir.join("side").join(n.name()), name, opts)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Index {
            sides,
            dir: dir.to_path_buf(),
            manifest,
            build_id,
            index_id,
            tokenizer,
            shards,
            shard_token_base,
            id_file,
            ids,
            sources_file,
            unigrams,
            unigram_total,
            fulltext,
            takedown: RwLock::new(takedown),
            takedown_generation: AtomicU64::new(0),
        })
    }

    /// What opening with checksums verifies, for an index opened without: every payload
    /// checksum of this index and its side indexes, and the full-text files' sizes and
    /// checksums. Reads the whole index once (sequentially, through the page cache); holds no
    /// memory of its own, so it can run beside queries (`verbatim serve --verify background`).
    pub fn verify_checksums(&self) -> Result<()> {
        verify_payloads(&self.id_file, &self.sources_file, &self.shards)?;
        if let Some(ft) = &self.fulltext {
            let ft_dir = self.dir.join(&self.manifest.files.fulltext);
            verify_fulltext_files(&ft_dir, &self.manifest)?;
            ft.verify(&ft_dir)?;
        }
        for (_, side) in &self.sides {
            side.verify_checksums()?;
        }
        Ok(())
    }

    /// The normalised side index `n`, if the index was built with it.
    pub fn side(&self, n: crate::normalize::Normalization) -> Option<&Index> {
        self.sides.iter().find(|(k, _)| *k == n).map(|(_, i)| i)
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The build id of this generation of the index (the manifest's; appends change it).
    pub fn build_id(&self) -> u64 {
        self.build_id
    }

    /// The id of the index's first build, constant across appends: `tokenizer.bin` and
    /// `takedown.bin` carry it.
    pub fn index_id(&self) -> u64 {
        self.index_id
    }

    /// Global token position of shard `shard`'s first token: the shards' streams concatenate
    /// into the stream a one-shard build of the same corpus would hold.
    pub fn shard_token_base(&self, shard: usize) -> u64 {
        self.shard_token_base[shard]
    }

    /// The tokenizer queries must use.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The shards in document order.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// The full-text index, if built.
    pub fn fulltext(&self) -> Option<&FullText> {
        self.fulltext.as_ref()
    }

    /// Occurrences of every token id over the whole corpus.
    pub fn unigram_counts(&self) -> &[u64] {
        &self.unigrams
    }

    /// Total tokens counted in the unigram table (separators excluded).
    pub fn unigram_total(&self) -> u64 {
        self.unigram_total
    }

    /// The documents of each source (parsed from `sources.bin` on each call).
    pub fn source_documents(&self) -> Result<crate::sources::SourceSets> {
        crate::sources::decode(self.sources_file.payload(), self.sources_file.path())
    }

    /// Index-level mapped files (id map, sources), for verification.
    pub(crate) fn index_files(&self) -> [&MappedFile; 2] {
        [&self.id_file, &self.sources_file]
    }

    /// The external-id map.
    pub fn id_map(&self) -> &fst::Map<MappedSlice> {
        &self.ids
    }

    /// Locates global document `doc_no`.
    pub fn locate(&self, doc_no: u64) -> Option<DocLocation> {
        let i = self
            .shards
            .partition_point(|s| s.info().first_doc <= doc_no)
            .checked_sub(1)?;
        let shard = &self.shards[i];
        let local = (doc_no - shard.info().first_doc) as usize;
        (local < shard.documents()).then_some(DocLocation {
            doc_no,
            shard: i,
            local,
        })
    }

    /// Locates the document holding token `pos` of shard `shard`.
    pub fn locate_position(&self, shard: usize, pos: usize) -> DocLocation {
        let s = &self.shards[shard];
        let local = s.doc_at(pos);
        DocLocation {
            doc_no: s.info().first_doc + local as u64,
            shard,
            local,
        }
    }

    /// The global document number of an external id, unless unknown or taken down.
    pub fn doc_by_id(&self, id: &str) -> Option<DocLocation> {
        let no = self.ids.get(id)?;
        if self.is_taken_down(no) {
            return None;
        }
        self.locate(no)
    }

    /// The stored record (id, source, metadata) of a document.
    pub fn doc_record(&self, loc: DocLocation) -> Result<DocRecord> {
        self.shards[loc.shard].doc_record(loc.local)
    }

    /// The token ids of a document.
    pub fn doc_tokens(&self, loc: DocLocation) -> Vec<u32> {
        let s = &self.shards[loc.shard];
        s.tokens().to_u32(s.doc_range(loc.local))
    }

    /// The text of a document, decoded from its tokens.
    pub fn doc_text(&self, loc: DocLocation) -> String {
        self.tokenizer.decode(&self.doc_tokens(loc))
    }

    /// Whether document `doc_no` was taken down.
    pub fn is_taken_down(&self, doc_no: u64) -> bool {
        self.takedown
            .read()
            .map(|t| t.contains(doc_no))
            .unwrap_or(true)
    }

    /// Re-reads the takedown list if it changed on disk (cheap when it did not).
    pub fn refresh_takedown(&self) -> Result<()> {
        let changed = self
            .takedown
            .read()
            .map(|t| t.changed_on_disk(&self.dir))
            .unwrap_or(true);
        if changed {
            let fresh = Takedown::load(&self.dir, self.index_id)?;
            if let Ok(mut t) = self.takedown.write() {
                *t = fresh;
                self.takedown_generation.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// A number that changes every time the takedown list is reloaded, whatever changed in it
    /// (even when as many documents are restored as taken down). Anything that caches an answer
    /// showing documents must key it by this.
    pub fn takedown_generation(&self) -> u64 {
        self.takedown_generation.load(Ordering::SeqCst)
    }

    /// Number of taken-down documents.
    pub fn taken_down_count(&self) -> u64 {
        self.takedown.read().map(|t| t.len()).unwrap_or(0)
    }
}
