//! Takedowns across a rebuild: a build, assembly or attach with `--force` over an index (or
//! an infini-gram side directory, where an infini-gram index keeps its list) that has a
//! takedown list carries the list over to the new one by external id, so a document taken
//! down stays down.
//!
//! `takedown.bin` lists global document numbers, which mean other documents in a rebuilt
//! index; external ids are what stays. The old list is read (each number named by its
//! document's id) before the build starts, so a list that cannot be carried over refuses the
//! build before any work, and read again just before the commit, holding the target's commit
//! lock (a takedown added meanwhile is kept; no other forced build is moving the index at the
//! target meanwhile). The new list is written into the new index before it is renamed into place: the
//! new index is never visible without it. An id names a document's identity, but an id
//! verbatim made (`a#2` for a repeat of `a`, `FILE:LINE` for a record without an id) follows
//! the document's place in the input: so each taken-down document's text is fingerprinted too,
//! and where the document now holding its id has another text (or none does), every document
//! of the new index with the taken-down text is taken down as well (its tokens compared when
//! the new index has the same tokenizer, its decoded text when it has another; see
//! `carry_over`). Ids the new corpus does not hold, and whose text it does not hold
//! either, are dropped from the list (it can only name documents of the index) and reported,
//! so they can be taken down again if they come back.
//!
//! A change of the list in place (`verbatim takedown add` or `remove`) holds the same commit
//! lock from opening the index to writing the list ([`lock_for_change`]): otherwise a takedown
//! written after a forced build's last read of the list, before its renames, would be lost
//! with the old index, and one written after the renames, by a command that had opened the
//! old index, would put the old index's document numbers into the new one.

use crate::error::{refuse, Context, Result};
use std::path::Path;
use verbatim_core::index::files::TAKEDOWN;
use verbatim_core::infini_gram::{Attachment, IdRule};
use verbatim_core::manifest::Manifest;
use verbatim_core::takedown::Takedown;
use verbatim_core::{Index, OpenOptions};

/// The commit lock of an index directory, held while its takedown list is changed in place
/// (see the module documentation); released when dropped.
pub struct ListChangeLock {
    _lock: Option<crate::atomic::CommitLock>,
}

/// Takes the commit lock of the index (or infini-gram side) directory `dir`, the one a
/// forced build, assembly or attach into `dir` holds while it replaces it, waiting (with a
/// line saying so) while one holds it. Open the index only once it is held. Where this user
/// cannot create the lock file beside `dir`, it cannot rename `dir` either, and no lock is
/// taken; nor where `dir` does not exist (an infini-gram index with no side directory, whose
/// takedown is refused when it is opened), so that a refused change leaves no lock file.
pub fn lock_for_change(dir: &Path) -> Result<ListChangeLock> {
    if std::fs::symlink_metadata(dir).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(ListChangeLock { _lock: None });
    }
    Ok(ListChangeLock {
        _lock: crate::atomic::commit_lock_if_writable(dir)?,
    })
}

/// What a rebuild did with the takedown list of the index it replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarriedTakedowns {
    /// External ids of the old list found in the new index, and taken down there.
    pub carried: Vec<String>,
    /// External ids of the old list the new corpus does not hold (dropped from the list).
    pub not_in_new_corpus: Vec<String>,
    /// Taken-down documents whose text the new index holds under another id (an id verbatim
    /// made, `a#2` for a repeat of `a` or `FILE:LINE`, names another document once the input
    /// changes): `(old id, new id)`, the new one taken down too.
    pub found_by_text: Vec<(String, String)>,
}

/// A taken-down document of the index a rebuild replaces: its external id, and its text's
/// fingerprints.
struct Listed {
    id: String,
    /// Of its tokens: compared when the new index has the same tokenizer.
    tokens: Fingerprint,
    /// Of its decoded text: compared when the new index has another tokenizer.
    text: Fingerprint,
}

/// A document's tokens or decoded text bytes, counted and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fingerprint {
    len: u64,
    hash: u64,
}

/// What a rebuild compares to find a taken-down text in the new index: its tokens (the two
/// indexes share a tokenizer; a document's length is known without reading it), or its
/// decoded text (another tokenizer: every document is decoded to compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compared {
    Tokens,
    Text,
}

impl Compared {
    /// The fingerprint of document `no` of `index`.
    fn fingerprint(self, index: &Index, no: u64) -> Option<Fingerprint> {
        use std::hash::{Hash, Hasher};
        let loc = index.locate(no)?;
        // SipHash with fixed keys: the same in both indexes, which one process reads.
        let mut h = std::hash::DefaultHasher::new();
        let len = match self {
            Compared::Tokens => {
                let tokens = index.doc_tokens(loc);
                tokens.hash(&mut h);
                tokens.len()
            }
            Compared::Text => {
                let text = index.doc_text(loc);
                text.hash(&mut h);
                text.len()
            }
        };
        Some(Fingerprint {
            len: len as u64,
            hash: h.finish(),
        })
    }

    /// The fingerprint of `listed` this comparison uses.
    fn of(self, listed: &Listed) -> Fingerprint {
        match self {
            Compared::Tokens => listed.tokens,
            Compared::Text => listed.text,
        }
    }
}

/// The external ids of the documents taken down in the index at `target`, which a forced
/// build is about to replace (`None`: it has no takedown list). Refuses when the list cannot
/// be carried over by id: the index or its list cannot be read, or a listed document has no
/// readable id.
fn taken_down_ids(target: &Path) -> Result<Option<(Vec<Listed>, String)>> {
    let list = target.join(TAKEDOWN);
    if !Takedown::present(target) {
        return Ok(None);
    }
    let choice = format!(
        "a rebuild with --force carries the takedown list over by external id, and would \
         otherwise show those documents again. Build into another --out (and take the documents \
         down there with `verbatim takedown add`), or, if they may be shown again, remove {} \
         yourself and rebuild",
        list.display()
    );
    let index = match Index::open_with(
        target,
        OpenOptions {
            verify_checksums: false,
            fulltext: false,
            // The indexer reads in passes, not searches: 2 MiB pages.
            residency: verbatim_core::Residency::Memory,
        },
    ) {
        Ok(index) => index,
        Err(e) => refuse!(
            "{} has a takedown list, but the index there cannot be opened to name its \
             documents ({e}): {choice}",
            target.display()
        ),
    };
    let taken = match Takedown::load(index.dir(), index.index_id()) {
        Ok(t) => t,
        Err(e) => refuse!("{e}; {choice}"),
    };
    let mut ids = Vec::with_capacity(taken.len() as usize);
    let mut unnamed = Vec::new();
    for no in taken.iter() {
        match (
            index.locate(no).map(|loc| index.doc_record(loc)),
            Compared::Tokens.fingerprint(&index, no),
            Compared::Text.fingerprint(&index, no),
        ) {
            (Some(Ok(record)), Some(tokens), Some(text)) => ids.push(Listed {
                id: record.id,
                tokens,
                text,
            }),
            _ => unnamed.push(format!("#{no}")),
        }
    }
    if !unnamed.is_empty() {
        refuse!(
            "{} taken-down document(s) of {} have no readable external id ({}): {choice}",
            unnamed.len(),
            target.display(),
            unnamed.join(", ")
        );
    }
    Ok(Some((ids, index.tokenizer().identity())))
}

/// For a build into `target` (replacing it if `force`): refuses, before any work, a takedown
/// list there that could not be carried over.
pub(crate) fn check(target: &Path, force: bool) -> Result<()> {
    if force {
        taken_down_ids(target)?;
    }
    Ok(())
}

/// For an attach into `target` (replacing it if `force`) naming documents by `id_rule`:
/// refuses a takedown list there when the side directory named its documents by another rule,
/// since none of its ids would name a document of the new side directory (the documents would
/// be shown again, under their new ids).
pub(crate) fn check_id_rule(target: &Path, force: bool, id_rule: IdRule) -> Result<()> {
    if !force || !Takedown::present(target) {
        return Ok(());
    }
    let (_, build_id) = Manifest::read(target)?;
    let Some(old) = Attachment::read(target, build_id)? else {
        return Ok(());
    };
    if old.id_rule != id_rule {
        refuse!(
            "{} names its documents by --id-rule {} and has a takedown list, which a forced \
             attach carries over by external id: under --id-rule {} none of those ids names a \
             document, and the documents would be shown again. Attach with --id-rule {}, or \
             attach into another --out (and take the documents down there with `verbatim \
             takedown add`)",
            target.display(),
            rule_name(old.id_rule),
            rule_name(id_rule),
            rule_name(old.id_rule)
        );
    }
    Ok(())
}

/// The `--id-rule` value of `rule`.
fn rule_name(rule: IdRule) -> &'static str {
    match rule {
        IdRule::MetadataId => "metadata-id",
        IdRule::PathLine => "path-line",
        IdRule::DocNumber => "doc-number",
    }
}

/// For a build into `target` (replacing it if `force`) finished in `temp`, not yet committed:
/// takes down in `temp` the documents of the ids taken down in the index at `target` now.
/// Called from [`crate::atomic::TempIndexDir::commit`], which holds the target's commit lock
/// (and has put back an index a killed build had moved aside): no other forced build is
/// between its two renames, with the target missing, while the list is read.
pub(crate) fn carry_into(
    target: &Path,
    temp: &Path,
    force: bool,
) -> Result<Option<CarriedTakedowns>> {
    if !force {
        return Ok(None);
    }
    match taken_down_ids(target)? {
        Some((listed, tokenizer)) => Ok(Some(carry_over(temp, listed, &tokenizer)?)),
        None => Ok(None),
    }
}

/// Takes down, in the finished (not yet committed) index at `dir`, the documents of the
/// `listed` ones, writing its `takedown.bin`: the document with the same external id, and,
/// where that one's text is not the listed document's (or there is none), every document whose
/// text is: the same tokens when the two indexes share a tokenizer (`tokenizer` being the old
/// one's identity), the same decoded text otherwise.
/// An id verbatim made (`a#2` for a repeat of `a`, `FILE:LINE` without an id field) follows its
/// position in the input, so after the input changed it may name another document; the text
/// taken down is then found by its fingerprint and taken down too, and the document now holding
/// the id stays down as well (hiding one too many rather than showing a taken-down text).
fn carry_over(dir: &Path, listed: Vec<Listed>, tokenizer: &str) -> Result<CarriedTakedowns> {
    let index = Index::open_with(
        dir,
        OpenOptions {
            verify_checksums: false,
            fulltext: false,
            // The indexer reads in passes, not searches: 2 MiB pages.
            residency: verbatim_core::Residency::Memory,
        },
    )
    .with_context(|| format!("cannot open the new index {}", dir.display()))?;
    let mut list = Takedown::default();
    let mut out = CarriedTakedowns::default();
    // Listed documents to find by their text, and whether their id is in the new index.
    let mut search: Vec<(&Listed, bool)> = Vec::new();
    let compared = if index.tokenizer().identity() == tokenizer {
        Compared::Tokens
    } else {
        Compared::Text
    };
    for l in &listed {
        let by_id = index.doc_by_id_ignoring_takedowns(&l.id);
        if let Some(no) = by_id {
            list.insert(no);
            out.carried.push(l.id.clone());
        }
        let same_text =
            by_id.is_some_and(|no| compared.fingerprint(&index, no) == Some(compared.of(l)));
        if !same_text {
            search.push((l, by_id.is_some()));
        }
    }
    if !search.is_empty() {
        if compared == Compared::Text {
            tracing::info!(
                "{} taken-down text(s) are looked for in the new index, which has another tokenizer: each of its documents is decoded to compare",
                search.len()
            );
        }
        // One pass over the new index's documents; with the same tokenizer, hashing only
        // those of a wanted length.
        let wanted: std::collections::HashSet<u64> =
            search.iter().map(|(l, _)| compared.of(l).len).collect();
        let wanted_prints: std::collections::HashSet<Fingerprint> =
            search.iter().map(|(l, _)| compared.of(l)).collect();
        // Only the documents with a text looked for are kept (not every document's
        // fingerprint: the pass may read the whole corpus).
        let mut found: std::collections::HashMap<Fingerprint, Vec<u64>> = Default::default();
        for no in 0..index.manifest().documents {
            let Some(loc) = index.locate(no) else {
                continue;
            };
            let tokens = index.shards()[loc.shard].doc_range(loc.local).len() as u64;
            if compared == Compared::Text || wanted.contains(&tokens) {
                if let Some(f) = compared.fingerprint(&index, no) {
                    if wanted_prints.contains(&f) {
                        found.entry(f).or_default().push(no);
                    }
                }
            }
        }
        for (l, has_id) in search {
            let nos = found
                .get(&compared.of(l))
                .map(Vec::as_slice)
                .unwrap_or_default();
            for &no in nos {
                list.insert(no);
                let new_id = index
                    .locate(no)
                    .and_then(|loc| index.doc_record(loc).ok())
                    .map_or_else(|| format!("#{no}"), |r| r.id);
                out.found_by_text.push((l.id.clone(), new_id));
            }
            if nos.is_empty() && !has_id {
                out.not_in_new_corpus.push(l.id.clone());
            }
            if nos.is_empty() && compared == Compared::Text {
                // Another tokenizer may decode a text differently (a normalizer, unknown
                // pieces): not finding it is not proof that the new corpus lacks it.
                tracing::warn!(
                    "the text taken down as {:?} was not found by its decoded text in the new index, which has another tokenizer (it may decode it differently): check the new index and take it down again if it holds it",
                    l.id
                );
            }
        }
    }
    if !out.found_by_text.is_empty() {
        let shown: Vec<String> = out
            .found_by_text
            .iter()
            .take(20)
            .map(|(old, new)| format!("{old} -> {new}"))
            .collect();
        tracing::warn!(
            "{} taken-down document(s) are in the new corpus under another id and were taken down there too (the old id, where the new corpus has it, names another text and stays down as well): {}{}",
            out.found_by_text.len(),
            shown.join(", "),
            if shown.len() < out.found_by_text.len() { ", ..." } else { "" }
        );
    }
    if !list.is_empty() {
        list.save(dir, index.index_id())
            .with_context(|| format!("cannot carry the takedown list over to {}", dir.display()))?;
    }
    if !out.not_in_new_corpus.is_empty() {
        let shown = &out.not_in_new_corpus[..out.not_in_new_corpus.len().min(20)];
        tracing::warn!(
            "{} taken-down id(s) are not in the new corpus and were dropped from the takedown \
             list (take them down again if they are added back): {}{}",
            out.not_in_new_corpus.len(),
            shown.join(", "),
            if shown.len() < out.not_in_new_corpus.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    Ok(out)
}
