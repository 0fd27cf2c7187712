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
//! new index is never visible without it. Ids the new corpus does not hold are dropped from
//! the list (it can only name documents of the index) and reported, so they can be taken down
//! again if they come back.
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
}

/// The external ids of the documents taken down in the index at `target`, which a forced
/// build is about to replace (`None`: it has no takedown list). Refuses when the list cannot
/// be carried over by id: the index or its list cannot be read, or a listed document has no
/// readable id.
fn taken_down_ids(target: &Path) -> Result<Option<Vec<String>>> {
    let list = target.join(TAKEDOWN);
    if !list.exists() {
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
        match index.locate(no).map(|loc| index.doc_record(loc)) {
            Some(Ok(record)) => ids.push(record.id),
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
    Ok(Some(ids))
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
    if !force || !target.join(TAKEDOWN).exists() {
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
        Some(ids) => Ok(Some(carry_over(temp, ids)?)),
        None => Ok(None),
    }
}

/// Takes down, in the finished (not yet committed) index at `dir`, the documents with the
/// external `ids`, writing its `takedown.bin`.
fn carry_over(dir: &Path, ids: Vec<String>) -> Result<CarriedTakedowns> {
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
    for id in ids {
        match index.doc_by_id_ignoring_takedowns(&id) {
            Some(no) => {
                list.insert(no);
                out.carried.push(id);
            }
            None => out.not_in_new_corpus.push(id),
        }
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
