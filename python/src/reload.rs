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
use std::path::{Path, PathBuf};
use verbatim_core::file_stamp::FileStamp;
use verbatim_core::{Index, OpenOptions};

/// The manifest file [`Index::open_with`] reads for the index in `dir` (for an infini-gram
/// index directory, its side directory's; a bare one has none).
pub(crate) fn manifest_path(dir: &Path) -> PathBuf {
    Index::dir_opened_for(dir).join(verbatim_core::manifest::MANIFEST_FILE)
}

/// The stamp of the manifest file of the index in `dir` (`None`: there is none, or it
/// cannot be read).
pub(crate) fn manifest_stamp(dir: &Path) -> Option<FileStamp> {
    FileStamp::of(&manifest_path(dir))
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
