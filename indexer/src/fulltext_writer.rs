//! Feeds documents to the tantivy full-text index.

use anyhow::{Context, Result};
use std::path::Path;
use tantivy::{doc, Index, IndexWriter};
use verbatim_core::fulltext::{schema, Fields};

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
            .writer_with_num_threads(threads, threads * (48 << 20))
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
