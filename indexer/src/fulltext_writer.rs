//! Feeds documents to the tantivy full-text index.
//!
//! Segments are not merged while the corpus streams in (a merge maps its input segments, so
//! its memory would grow with the corpus); at the end, segments are merged in groups of at
//! most `merge_cap` bytes, which bounds the merge's memory whatever the corpus size.

use crate::error::{bail, Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tantivy::indexer::NoMergePolicy;
use tantivy::schema::{Field, Schema};
use tantivy::{Index, IndexWriter, TantivyDocument};
use verbatim_core::fulltext::schema;

/// tantivy's indexing arena per thread (counted in the memory budget).
const ARENA_PER_THREAD: usize = crate::memory::FULLTEXT_ARENA_PER_THREAD as usize;

/// The fields a document is written with, found by name in the schema of the index written
/// to (which an append takes from the index it grows, maybe built by an earlier verbatim).
struct WrittenFields {
    doc_no: Field,
    /// Absent in indexes built before distributed-build parts (every document is part 0).
    part: Option<Field>,
    id: Field,
    source: Field,
    meta: Field,
    text: Field,
}

impl WrittenFields {
    fn of(schema: &Schema) -> Result<WrittenFields> {
        let field = |name: &str| {
            schema.get_field(name).ok().with_context(|| {
                format!("the full-text index has no `{name}` field: rebuild the index")
            })
        };
        Ok(WrittenFields {
            doc_no: field("doc_no")?,
            part: schema.get_field("part").ok(),
            id: field("id")?,
            source: field("source")?,
            meta: field("meta")?,
            text: field("text")?,
        })
    }
}

/// A tantivy writer for the full-text side index.
pub struct FullTextWriter {
    writer: IndexWriter,
    fields: WrittenFields,
    index: Index,
    dir: PathBuf,
    merge_cap: u64,
}

impl FullTextWriter {
    /// Creates the full-text index in `dir` with `threads` indexing threads; the final merges
    /// read at most `merge_cap` bytes of segments each.
    pub fn create(dir: &Path, threads: usize, merge_cap: u64) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, _) = schema();
        let index = Index::create_in_dir(dir, schema).context("cannot create full-text index")?;
        Self::start(index, dir, threads, merge_cap)
    }

    fn start(index: Index, dir: &Path, threads: usize, merge_cap: u64) -> Result<Self> {
        // Documents are indexed with the analyzer the index's schema names: an append to an
        // index built before normalized words keeps its analyzer, so its terms still match.
        verbatim_core::fulltext_words::register(&index);
        let fields = WrittenFields::of(&index.schema())?;
        let threads = threads.clamp(1, 8);
        let writer: IndexWriter = index
            .writer_with_num_threads(threads, threads * ARENA_PER_THREAD)
            .context("cannot start full-text writer")?;
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(FullTextWriter {
            writer,
            fields,
            index,
            dir: dir.to_path_buf(),
            merge_cap,
        })
    }

    /// Opens a copy of the full-text index in `old` at `new` for an append: every tantivy file
    /// of `old` is hard-linked (copied where links are not possible) into the new directory,
    /// so `old` is never modified (tantivy's segment files are immutable; its metadata is
    /// replaced by rename, which replaces only the new directory's link).
    pub fn open_linked(old: &Path, new: &Path, threads: usize, merge_cap: u64) -> Result<Self> {
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
        Self::start(index, new, threads, merge_cap)
    }

    /// Adds one document.
    pub fn add(
        &self,
        doc_no: u64,
        part: u64,
        id: &str,
        source: Option<&str>,
        meta: &str,
        text: &str,
    ) -> Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.doc_no, doc_no);
        match f.part {
            Some(field) => doc.add_u64(field, part),
            None if part == 0 => {}
            None => bail!(
                "the full-text index in {} was built before distributed-build parts: rebuild it to add parts",
                self.dir.display()
            ),
        }
        doc.add_text(f.id, id);
        doc.add_text(f.source, source.unwrap_or(""));
        doc.add_text(f.meta, meta);
        doc.add_text(f.text, text);
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Commits, merges small segments in groups of at most the merge cap, and waits for the
    /// merges to end.
    pub fn finish(mut self) -> Result<()> {
        self.writer.commit().context("full-text commit failed")?;
        let metas = self
            .index
            .searchable_segment_metas()
            .context("cannot list full-text segments")?;
        let mut sizes: HashMap<String, u64> = HashMap::new();
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.split('.').next() {
                *sizes.entry(stem.to_string()).or_default() += e.metadata()?.len();
            }
        }
        let mut segs: Vec<(u64, tantivy::index::SegmentId)> = metas
            .iter()
            .map(|m| {
                let id = m.id();
                (sizes.get(&id.uuid_string()).copied().unwrap_or(0), id)
            })
            .collect();
        segs.sort_by_key(|(size, _)| *size);
        // Live segment metas keep their files from being collected.
        drop(metas);
        for group in merge_groups(&segs, self.merge_cap) {
            self.writer
                .merge(&group)
                .wait()
                .context("full-text merge failed")?;
        }
        // Merged-away segments stay on disk until collected (the segment metas listed above
        // were dropped before the merges, or they would keep their files alive).
        self.writer
            .garbage_collect_files()
            .wait()
            .context("full-text clean-up failed")?;
        self.writer
            .wait_merging_threads()
            .context("full-text merge failed")?;
        Ok(())
    }
}

/// Groups of segments (sorted by size) to merge: consecutive segments whose sizes add up to at
/// most `cap` bytes; groups of one are left alone.
fn merge_groups<T: Clone>(segs: &[(u64, T)], cap: u64) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = Vec::new();
    let mut cur: Vec<T> = Vec::new();
    let mut cur_bytes = 0u64;
    for (size, id) in segs {
        if !cur.is_empty() && cur_bytes + size > cap {
            groups.push(std::mem::take(&mut cur));
            cur_bytes = 0;
        }
        cur.push(id.clone());
        cur_bytes += size;
    }
    groups.push(cur);
    groups.retain(|g| g.len() > 1);
    groups
}

#[cfg(test)]
mod tests {
    #[test]
    fn merge_groups_respect_the_cap() {
        let segs: Vec<(u64, u32)> = vec![(10, 1), (10, 2), (30, 3), (50, 4), (200, 5)];
        assert_eq!(super::merge_groups(&segs, 50), vec![vec![1, 2, 3]]);
        assert_eq!(super::merge_groups(&segs, 1000), vec![vec![1, 2, 3, 4, 5]]);
        assert!(super::merge_groups(&segs, 5).is_empty());
    }
}
