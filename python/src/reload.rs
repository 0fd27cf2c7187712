//! `verbatim.Index.reload()`: opening an index's new generation when the caller asks.
//!
//! An append, a compaction or a forced rebuild ends by renaming a new `manifest.bin` into the
//! index directory. As the server does before every request (`server/src/reload.rs`), a
//! reload compares that file's stamp (device, inode, size, modification time) with the one
//! the instance being queried was opened from, a `stat`; when it changed, it opens the index
//! again with the options it was first opened with, checks that it is still the same index
//! (same name, same tokenizer), and only then makes queries use it. Queries already running
//! hold their own reference to the instance they started with and finish on it (its mapped
//! files stay readable even once a compaction has deleted them).
//!
//! Unlike the server, nothing reloads by itself: a query always answers from the instance
//! the last successful `reload()` (or the constructor) opened, so that a research run stays
//! reproducible while the index changes on disk.

use crate::errors::{self, Kind};
use crate::index::PyIndex;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use verbatim_core::file_stamp::FileStamp;
use verbatim_core::{Index, OpenOptions};

impl PyIndex {
    /// Another `Index` that queries the instance this one queries now, for its whole life: its
    /// `reload()` raises. `None` when that instance is `previous`'s (so that a caller holding
    /// one pinned `Index` learns whether this one has moved on since).
    pub(crate) fn pinned(&self, previous: Option<&PyIndex>) -> Option<PyIndex> {
        let index = self.instance();
        if previous.is_some_and(|p| Arc::ptr_eq(&p.instance(), &index)) {
            return None;
        }
        Some(PyIndex {
            opened: RwLock::new(index),
            reloading: Mutex::new(()),
            path: self.path.clone(),
            absolute: self.absolute.clone(),
            opts: self.opts,
            threads: self.threads,
            pinned: true,
        })
    }

    /// `reload()` without the GIL: whether it replaced the instance, or why it could not.
    pub(crate) fn reload_now(&self) -> Result<bool, Failure> {
        if self.pinned {
            return Err((
                Kind::Generic,
                format!(
                    "this Index of {} is pinned to generation {} (verbatim.compat.\
                     InfiniGramEngine answers from it): reload the engine instead",
                    self.path.display(),
                    self.instance().manifest().generation
                ),
            ));
        }
        let _one = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dir = self.dir_to_reopen();
        // Only a reload replaces the instance, and this one holds `reloading`.
        let old = self.instance();
        let Some(stamp) = old.manifest_stamp() else {
            return Ok(false);
        };
        let seen = manifest_stamp(dir);
        if seen == Some(stamp) {
            return Ok(false);
        }
        if seen.is_none() {
            return Err((
                Kind::Io,
                format!(
                    "cannot reload index {} (still answering from the instance opened before, \
                     generation {}): {} is missing or unreadable (the index was moved, deleted \
                     or is being replaced)",
                    dir.display(),
                    old.manifest().generation,
                    Index::generation_file_for(dir).display(),
                ),
            ));
        }
        // The new instance stamps its manifest as it opens it: a manifest renamed in meanwhile
        // differs from that stamp, and is opened by the next reload.
        let index = open_again(dir, self.opts, &old)?;
        let replaced = std::mem::replace(
            &mut *self.opened.write().unwrap_or_else(PoisonError::into_inner),
            Arc::new(index),
        );
        // The old instance is unmapped here, outside the lock, once no query holds it.
        drop(replaced);
        Ok(true)
    }

    /// Where a reload opens the index: the path given to the constructor, as the instance
    /// it replaces was opened (so that `path` and `repr` show the same), unless it is relative
    /// and the working directory changed since.
    fn dir_to_reopen(&self) -> &Path {
        match std::path::absolute(&self.path) {
            Ok(now) if now == self.absolute => &self.path,
            _ => &self.absolute,
        }
    }
}

/// The stamp of the manifest file of the index in `dir` (`None`: there is none, or it
/// cannot be read).
pub(crate) fn manifest_stamp(dir: &Path) -> Option<FileStamp> {
    FileStamp::of(&Index::generation_file_for(dir))
}

/// A reload that failed: the exception kind and its message.
pub(crate) type Failure = (Kind, String);

/// Opens the index in `dir` again with `opts` and checks that it is still the index `old`
/// is an instance of: the same name (as the server requires) and the same tokenizer (token
/// ids mean the same text). A panic while opening (a damaged file a dependency does not
/// expect) is a failure, not a crash.
pub(crate) fn open_again(dir: &Path, opts: OpenOptions, old: &Index) -> Result<Index, Failure> {
    let generation = old.manifest().generation;
    let fail = |kind: Kind, why: String| {
        (
            kind,
            format!(
                "cannot reload index {} (still answering from the instance opened before, \
                 generation {generation}): {why}",
                dir.display()
            ),
        )
    };
    let opened =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Index::open_with(dir, opts)))
            .map_err(|_| fail(Kind::Generic, "opening it panicked".into()))?;
    let index = opened.map_err(|e| fail(errors::kind_of(&e), e.to_string()))?;
    let (was, now) = (old.manifest(), index.manifest());
    if now.name != was.name {
        return Err(fail(
            Kind::Generic,
            format!(
                "the index there is now named {:?}, not {:?}; open it as a new verbatim.Index",
                now.name, was.name
            ),
        ));
    }
    let (a, b) = (&was.tokenizer, &now.tokenizer);
    if a.kind != b.kind
        || a.sha256 != b.sha256
        || a.vocab_size != b.vocab_size
        || a.width != b.width
    {
        return Err(fail(
            Kind::Tokenizer,
            format!(
                "the index there now uses another tokenizer ({}, was {}); open it as a new \
                 verbatim.Index",
                describe(b),
                describe(a)
            ),
        ));
    }
    Ok(index)
}

/// A tokenizer as a message names it: `bytes`, or its kind and the start of its sha256.
fn describe(t: &verbatim_core::manifest::TokenizerInfo) -> String {
    if t.kind == "bytes" {
        return t.kind.clone();
    }
    let sha = t.sha256.get(..12).unwrap_or(&t.sha256);
    format!("{} tokenizer.json with sha256 {sha}...", t.kind)
}
