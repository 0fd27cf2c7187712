//! An open index: manifest, tokenizer, shards, id map, source subsets, takedowns and the
//! full-text side index, with queries that span every shard.

use crate::error::{Error, Result};
use crate::format::{MappedFile, MappedSlice};
use crate::fulltext::FullText;
use crate::manifest::Manifest;
use crate::shard::{DocRecord, Shard};
use crate::takedown::Takedown;
use crate::tokenizer::TextTokenizer;
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

mod open;
mod residency;
pub(crate) use open::verify_fulltext_files;
use open::verify_payloads;
pub use residency::set_residency_together;

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
    /// How its mapped files are advised (see [`crate::residency`]); `Auto` by default.
    pub residency: crate::Residency,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            verify_checksums: true,
            fulltext: true,
            residency: crate::Residency::Auto,
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

/// An open, read-only index: one built index, or a group of indexes served as one (see
/// [`crate::group`]).
pub struct Index {
    dir: PathBuf,
    manifest: Manifest,
    build_id: u64,
    index_id: u64,
    tokenizer: std::sync::Arc<TextTokenizer>,
    shards: Vec<Shard>,
    /// Global token position of each shard's first token (shards concatenate in order).
    shard_token_base: Vec<u64>,
    id_file: Option<MappedFile>,
    /// External id to global document number (`None` for a group, whose ids stay with its
    /// members, and for a bare infini-gram index, whose documents are `#N`).
    ids: Option<fst::Map<MappedSlice>>,
    /// Documents are named `#N` (global number) instead of by an id map.
    numbered_ids: bool,
    sources_file: Option<MappedFile>,
    /// Where the shards' files are, when they are an infini-gram index's.
    infini_gram: Option<crate::infini_gram::InfiniGramSource>,
    unigrams: Vec<u64>,
    unigram_total: u64,
    fulltext: Option<FullText>,
    takedown: RwLock<Takedown>,
    /// Bumped on every reload of the takedown list (see [`Index::takedown_generation`]).
    takedown_generation: AtomicU64,
    /// The input files by document number, made at the first infini-gram metadata line
    /// ([`Index::ig_origin`]).
    pub(crate) origins: std::sync::OnceLock<crate::infini_gram::origin::Origins>,
    /// The manifest file this index was opened from, in `dir` (`None`: none, as for an
    /// infini-gram index opened bare or a group).
    manifest_name: Option<String>,
    sides: Vec<(crate::normalize::Normalization, Index)>,
    /// The indexes of a group, in order (empty for a built index). A group has no index-level
    /// files of its own: ids, sources, takedowns, full-text and side indexes stay with its
    /// members.
    members: Vec<crate::group::Member>,
    /// This opened instance's number (see [`Index::instance`]).
    instance: u64,
    /// Its files are advised for [`crate::Residency::Disk`], not `Memory` (see
    /// [`Index::set_residency`]; a group's members keep their own).
    on_disk: std::sync::atomic::AtomicBool,
    /// The manifest file whose replacement commits its next generation
    /// ([`Index::generation_file_for`]: its own, or a side index's parent's), as it was just
    /// before it was read (`None` for a group and a bare infini-gram index, which have none).
    manifest_stamp: Option<crate::file_stamp::FileStamp>,
    /// The index this side index belongs to (`INDEX` of `INDEX/side/NAME`), whose takedown
    /// list it reads; `None` for any other index.
    parent: Option<open::Parent>,
}

/// The next [`Index::instance`] number.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// A number no other index opened (or group made) by this process has.
pub(crate) fn next_instance() -> u64 {
    NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
}

impl Index {
    /// Whether this is a group of indexes.
    fn is_group(&self) -> bool {
        !self.members.is_empty()
    }

    /// The member indexes of a group, in order (empty for a built index).
    pub fn members(&self) -> &[crate::group::Member] {
        &self.members
    }

    /// The group member holding global document `doc_no` (`None` for a built index).
    pub fn member_of(&self, doc_no: u64) -> Option<&crate::group::Member> {
        let i = self
            .members
            .partition_point(|m| m.first_doc() <= doc_no)
            .checked_sub(1)?;
        self.members.get(i)
    }

    /// Hashes the files an append carries into its next generation: the id map, the source
    /// sets and the full-text files (not the shards, which it leaves as they are), so that a
    /// damaged one is refused rather than rewritten under fresh checksums.
    pub fn verify_carried_files(&self) -> Result<()> {
        verify_payloads(self.id_file.as_ref(), self.sources_file.as_ref(), &[])?;
        if self.manifest.options.fulltext {
            verify_fulltext_files(
                &self.dir.join(&self.manifest.files.fulltext),
                &self.manifest,
            )?;
        }
        Ok(())
    }

    /// What opening with checksums verifies, for an index opened without: every payload
    /// checksum of this index and its side indexes, and the full-text files' sizes and
    /// checksums. Reads the whole index once (sequentially, through the page cache); holds no
    /// memory of its own, so it can run beside queries (`verbatim serve --verify background`).
    /// A group checks each of its members.
    pub fn verify_checksums(&self) -> Result<()> {
        if self.is_group() {
            return self
                .members
                .iter()
                .try_for_each(|m| m.index().verify_checksums());
        }
        verify_payloads(
            self.id_file.as_ref(),
            self.sources_file.as_ref(),
            &self.shards,
        )?;
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

    /// The normalised side index `n`, if the index was built with it (never for a group).
    pub fn side(&self, n: crate::normalize::Normalization) -> Option<&Index> {
        self.sides.iter().find(|(k, _)| *k == n).map(|(_, i)| i)
    }

    /// Every normalised side index the index was built with.
    pub(crate) fn side_indexes(&self) -> impl Iterator<Item = &Index> {
        self.sides.iter().map(|(_, i)| i)
    }

    /// The index directory (a group's is its first member's).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory whose `takedown.bin` lists this index's taken-down documents: its own
    /// directory, or, for a side index (`INDEX/side/NAME`, which numbers documents as its
    /// parent does), its parent's, so that a document taken down from an index is down in
    /// its side indexes too, served alone included.
    pub fn takedown_dir(&self) -> &Path {
        self.parent.as_ref().map_or(&self.dir, |p| &p.dir)
    }

    /// The id the takedown list in [`Index::takedown_dir`] carries: the [`Index::index_id`]
    /// of the index it belongs to.
    pub fn takedown_id(&self) -> u64 {
        self.parent.as_ref().map_or(self.index_id, |p| p.index_id)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// A number unique to this opened index (or group) within the process: a server that
    /// opens an index again after it changed on disk keys cached answers by it, so that no
    /// answer of the instance it replaced is served, whatever the two have in common (a
    /// compaction keeps the build id; takedown generations restart at 0).
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// The manifest file whose replacement commits this index's next generation
    /// ([`Index::generation_file_for`]: the one it was opened from, or a side index's
    /// parent's), stamped just before it was read (`None` for a group or a bare infini-gram
    /// index, which have none, or when it could not be read). A watcher that compares the file
    /// on disk with it sees any generation committed since, even one committed while the index
    /// was opening or being checked.
    pub fn manifest_stamp(&self) -> Option<crate::file_stamp::FileStamp> {
        self.manifest_stamp
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

    /// The tokenizer, shared (a group uses its first member's).
    pub(crate) fn shared_tokenizer(&self) -> std::sync::Arc<TextTokenizer> {
        self.tokenizer.clone()
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

    /// The documents of each source (parsed from `sources.bin` on each call; none for a bare
    /// infini-gram index; a group merges its members', renumbered).
    pub fn source_documents(&self) -> Result<crate::sources::SourceSets> {
        if self.is_group() {
            let mut out = crate::sources::SourceSets::new();
            for m in &self.members {
                for (name, docs) in m.index().source_documents()? {
                    let shifted: roaring::RoaringBitmap = docs
                        .iter()
                        .map(|d| (u64::from(d) + m.first_doc()) as u32)
                        .collect();
                    *out.entry(name).or_default() |= shifted;
                }
            }
            return Ok(out);
        }
        match &self.sources_file {
            Some(f) => crate::sources::decode(f.payload(), f.path()),
            None => Ok(Default::default()),
        }
    }

    /// Hashes the id map's payload (of every member, for a group): what a command that
    /// writes by id (`verbatim takedown`) checks first, since an index opened without
    /// hashing could map an id to another document.
    pub fn verify_id_map(&self) -> Result<()> {
        for m in &self.members {
            m.index().verify_id_map()?;
        }
        match &self.id_file {
            Some(f) => f.verify_payload(),
            None => Ok(()),
        }
    }

    /// Index-level mapped files (id map, sources), for verification.
    pub(crate) fn index_files(&self) -> Vec<&MappedFile> {
        self.id_file.iter().chain(&self.sources_file).collect()
    }

    /// Whether documents are named `#N` by their global number (an infini-gram index without
    /// metadata, or served without a side directory) instead of through the id map.
    pub fn numbered_ids(&self) -> bool {
        self.numbered_ids
    }

    /// Where the shards' files are when they are an infini-gram index's (`None` for a
    /// verbatim index).
    pub fn infini_gram(&self) -> Option<&crate::infini_gram::InfiniGramSource> {
        self.infini_gram.as_ref()
    }

    /// The token id infini-gram reports for a document end: the attached index's, else the
    /// tokenizer's end-of-text token (`<|endoftext|>`, `</s>`, ...), else 0 for bytes, else
    /// the last id of the vocabulary.
    pub fn eos_token_id(&self) -> u32 {
        if let Some(g) = &self.infini_gram {
            return g.eos_token_id;
        }
        crate::infini_gram::engine::default_eos(&self.tokenizer, self.manifest.tokenizer.vocab_size)
    }

    /// The external-id map (`None` for a group, whose ids are unique only within a member,
    /// and for a bare infini-gram index, whose documents are `#N`).
    pub fn id_map(&self) -> Option<&fst::Map<MappedSlice>> {
        self.ids.as_ref()
    }

    /// The external-id map of an index opened from a directory (an error for a group, whose
    /// ids live in its members, and for a bare infini-gram index, which has none).
    pub fn own_id_map(&self) -> Result<&fst::Map<MappedSlice>> {
        self.id_map().ok_or_else(|| {
            Error::Invalid(if self.is_group() {
                format!(
                    "{:?} is a group of indexes: its ids are in its members",
                    self.manifest.name
                )
            } else {
                format!(
                    "{:?} is an infini-gram index without a side directory: its documents are \
                     numbered, not named (run `verbatim attach` to give it an id map)",
                    self.manifest.name
                )
            })
        })
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

    /// The global document number of an external id, unless unknown or taken down. Ids are
    /// unique within a built index; in a group the first member holding the id answers.
    pub fn doc_by_id(&self, id: &str) -> Option<DocLocation> {
        if self.is_group() {
            return self.members.iter().find_map(|m| {
                let loc = m.index().doc_by_id(id)?;
                self.locate(loc.doc_no + m.first_doc())
            });
        }
        let no = self.doc_by_id_ignoring_takedowns(id)?;
        if self.is_taken_down(no) {
            return None;
        }
        self.locate(no)
    }

    /// The global document number of an external id, taken down or not (in a group: of the
    /// first member holding the id).
    pub fn doc_by_id_ignoring_takedowns(&self, id: &str) -> Option<u64> {
        if self.is_group() {
            return self.members.iter().find_map(|m| {
                m.index()
                    .doc_by_id_ignoring_takedowns(id)
                    .map(|no| no + m.first_doc())
            });
        }
        if self.numbered_ids {
            return crate::infini_gram::records::parse_number_id(id)
                .filter(|&n| n < self.manifest.documents);
        }
        let ids = self.ids.as_ref()?;
        // The fst crate indexes out of bounds (panics) on some damaged maps; an index opened
        // without hashing must not take the process down over one: logged, and not found.
        let no = crate::quiet_panic::catch_quietly(|| ids.get(id)).unwrap_or_else(|p| {
            tracing::error!(
                "the id map of {} is damaged (run `verbatim verify`): {} at {}",
                self.dir.display(),
                p.message,
                p.location.as_deref().unwrap_or("an unknown place")
            );
            None
        })?;
        // A damaged map whose checksum was not hashed (one-shot commands check headers only)
        // can name another document, and so can records swapped between shards: the record
        // says which id it holds, and a document is never shown for an id it does not hold.
        let held = self
            .locate(no)
            .map(|loc| self.doc_record(loc).map(|r| r.id));
        match held {
            Some(Ok(held)) if held == id => Some(no),
            other => {
                let found = match other {
                    Some(Ok(held)) => format!("whose record holds the id {held:?}"),
                    Some(Err(e)) => format!("whose record cannot be read ({e})"),
                    None => "past the last document".to_string(),
                };
                tracing::error!(
                    "the id map or the records of {} are damaged (run `verbatim verify`): the id {id:?} maps to document {no}, {found}",
                    self.dir.display()
                );
                None
            }
        }
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

    /// Whether document `doc_no` was taken down (in a group: by its member's list).
    pub fn is_taken_down(&self, doc_no: u64) -> bool {
        if self.is_group() {
            return self
                .member_of(doc_no)
                .is_none_or(|m| m.index().is_taken_down(doc_no - m.first_doc()));
        }
        self.takedown
            .read()
            .map(|t| t.contains(doc_no))
            .unwrap_or(true)
    }

    /// Re-reads the takedown list if it changed on disk (cheap when it did not); a group
    /// re-reads each member's.
    pub fn refresh_takedown(&self) -> Result<()> {
        if self.is_group() {
            return self
                .members
                .iter()
                .try_for_each(|m| m.index().refresh_takedown());
        }
        let changed = self
            .takedown
            .read()
            .map(|t| t.changed_on_disk(self.takedown_dir()))
            .unwrap_or(true);
        if changed {
            self.check_still_in_place()?;
            // Not checked against this instance's documents, as at open: after an append the
            // list may already name documents of the generation that will replace this one.
            let fresh = Takedown::load(self.takedown_dir(), self.takedown_id())?;
            if let Ok(mut t) = self.takedown.write() {
                *t = fresh;
                self.takedown_generation.fetch_add(1, Ordering::SeqCst);
            }
        }
        // Side indexes read the same list.
        self.side_indexes().try_for_each(Index::refresh_takedown)
    }

    /// Fails with [`Error::IndexReplaced`] when the directory no longer holds this index: a
    /// takedown list read there (or its absence) would be another index's.
    fn check_still_in_place(&self) -> Result<()> {
        let Some(name) = &self.manifest_name else {
            return Ok(());
        };
        // A side index reads its parent's list: the parent must be in place too.
        let (dir, name, open) = match &self.parent {
            Some(p) => (&p.dir, crate::manifest::MANIFEST_FILE, p.index_id),
            None => (&self.dir, name.as_str(), self.index_id),
        };
        let now = match Manifest::read_named(dir, name).and_then(|(m, _)| m.index_id(dir)) {
            Ok(id) if id == open => return Ok(()),
            Ok(id) => format!("index {id:016x} is there now"),
            Err(e) => format!("no index reads there now: {e}"),
        };
        Err(Error::IndexReplaced {
            dir: dir.clone(),
            open,
            now,
        })
    }

    /// A number that changes every time the takedown list is reloaded, whatever changed in it
    /// (even when as many documents are restored as taken down). Anything that caches an answer
    /// showing documents must key it by this. A group's is the sum of its members' (each
    /// only grows, so the sum changes whenever one does).
    pub fn takedown_generation(&self) -> u64 {
        if self.is_group() {
            return self
                .members
                .iter()
                .map(|m| m.index().takedown_generation())
                .sum();
        }
        self.takedown_generation.load(Ordering::SeqCst)
    }

    /// The taken-down documents, as of now (a group: its members', renumbered); `None` when a
    /// list cannot be read (a writer panicked holding it), which callers must treat as
    /// everything taken down.
    pub fn taken_down_docs(&self) -> Option<roaring::RoaringBitmap> {
        if self.is_group() {
            let mut out = roaring::RoaringBitmap::new();
            for m in &self.members {
                for d in m.index().taken_down_docs()? {
                    out.insert(u32::try_from(u64::from(d) + m.first_doc()).ok()?);
                }
            }
            return Some(out);
        }
        self.takedown.read().ok().map(|t| t.docs().clone())
    }

    /// Number of taken-down documents.
    pub fn taken_down_count(&self) -> u64 {
        if self.is_group() {
            return self
                .members
                .iter()
                .map(|m| m.index().taken_down_count())
                .sum();
        }
        self.takedown.read().map(|t| t.len()).unwrap_or(0)
    }
}
