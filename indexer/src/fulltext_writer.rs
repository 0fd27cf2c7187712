//! Feeds documents to the tantivy full-text index.

use anyhow::{Context, Result};
use std::path::Path;
use tantivy::{doc, Index, IndexWriter};
use verbatim_core::fulltext::{schema, Fields};

/// tantivy's indexing arena per thread (counted in the memory budget).
const ARENA_PER_THREAD: usize = crate::memory::FULLTEXT_ARENA_PER_THREAD as usize;

/// A tantivy writer for the full-text side index.
pub struct FullTextWriter {
    writer: IndexWriter,
    fields: Fields,
}

impl FullTextWriter {
    /// Creates the full-text index in `dir` with `threads` indexing threads.
    pub fn create(dir: &Path, threads: usize) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(dir, schema).context("cannot create full-text index")?;
        let threads = threads.clamp(1, 8);
        let writer = index
            .writer_with_num_threads(threads, threads * ARENA_PER_THREAD)
            .context("cannot start full-text writer")?;
        Ok(FullTextWriter { writer, fields })
    }

    /// Opens a copy of the full-text index in `old` at `new` for an append: every tantivy file
    /// of `old` is hard-linked (copied where links are not possible) into the new directory,
    /// so `old` is never modified (tantivy's segment files are immutable; its metadata is
    /// replaced by rename, which replaces only the new directory's link).
    pub fn open_linked(old: &Path, new: &Path, threads: usize) -> Result<Self> {
        if new.exists() {
            std::fs::remove_dir_all(new)
                .with_context(|| format!("cannot remove {}", new.display()))?;
        }
        std::fs::create_dir_all(new).with_context(|| format!("cannot create {}", new.display()))?;
        for e in std::fs::read_dir(old).with_context(|| format!("cannot list {}", old.display()))? {
            let e = e?;
            let name = e.file_name();
            if name.to_string_lossy().ends_with(".lock") || !e.path().is_file() {
                continue;
            }
            let to = new.join(&name);
            if std::fs::hard_link(e.path(), &to).is_err() {
                std::fs::copy(e.path(), &to).with_context(|| {
                    format!("cannot copy {} to {}", e.path().display(), to.display())
                })?;
            }
        }
        let index = Index::open_in_dir(new).context("cannot open the full-text index")?;
        let (_, fields) = schema();
        let threads = threads.clamp(1, 8);
        let writer = index
            .writer_with_num_threads(threads, threads * ARENA_PER_THREAD)
            .context("cannot start full-text writer")?;
        Ok(FullTextWriter { writer, fields })
    }

    /// Adds one document.
    pub fn add(
        &self,
        doc_no: u64,
        id: &str,
        source: Option<&str>,
        meta: &str,
        text: &str,
    ) -> Result<()> {
        let f = &self.fields;
        self.writer.add_document(doc!(
            f.doc_no => doc_no,
            f.id => id,
            f.source => source.unwrap_or(""),
            f.meta => meta,
            f.text => text,
        ))?;
        Ok(())
    }

    /// Commits and waits for merges to end.
    pub fn finish(mut self) -> Result<()> {
        self.writer.commit().context("full-text commit failed")?;
        self.writer
            .wait_merging_threads()
            .context("full-text merge failed")?;
        Ok(())
    }
}
