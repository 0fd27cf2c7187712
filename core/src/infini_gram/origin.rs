//! Where a document of a verbatim index came from, in the form of infini-gram's metadata lines
//! (`{"path", "linenum", "metadata"}`): its input file, relative to the common folder of the
//! inputs read with it (by the first build, or by the same append), and its 0-based line (for
//! Parquet, row) in that file when the index records it.

use crate::manifest::InputInfo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The input files of an index, in document order, ready to name any document's file in
/// O(log files).
#[derive(Debug, Clone)]
pub struct Origins {
    /// Each file: as the manifest records it, relative to its generation's common folder,
    /// and whether the indexer skipped any of its records.
    files: Vec<(PathBuf, String, bool)>,
    /// The global number one past each file's last document (ascending).
    ends: Vec<u64>,
}

impl Origins {
    /// The files of `inputs` (a manifest's, in build order: documents are numbered file by
    /// file).
    pub fn new(inputs: &[InputInfo]) -> Origins {
        let paths: Vec<&Path> = inputs.iter().map(|i| Path::new(&i.path)).collect();
        // The common folder of each generation's inputs (the first build's, then each
        // append's), so that an append from elsewhere leaves earlier paths as they were.
        let mut by_generation: BTreeMap<u64, Vec<&Path>> = BTreeMap::new();
        for (info, path) in inputs.iter().zip(&paths) {
            by_generation.entry(info.generation).or_default().push(path);
        }
        let commons: BTreeMap<u64, Option<PathBuf>> = by_generation
            .into_iter()
            .map(|(generation, same)| (generation, common_folder(&same)))
            .collect();
        let mut end = 0u64;
        let mut ends = Vec::with_capacity(inputs.len());
        let mut files = Vec::with_capacity(inputs.len());
        for (info, path) in inputs.iter().zip(&paths) {
            end += info.documents;
            ends.push(end);
            let rel = commons[&info.generation]
                .as_deref()
                .and_then(|c| path.strip_prefix(c).ok())
                .unwrap_or(path);
            files.push((
                path.to_path_buf(),
                rel.display().to_string(),
                info.skipped > 0,
            ));
        }
        Origins { files, ends }
    }

    /// Document `doc_no`'s file and 0-based line (external id `id`):
    ///
    /// - the line from its id, when the indexer gave it `FILE:LINE` (`FILE:ROW` for Parquet)
    ///   because the record had none, and `FILE` is that input file;
    /// - otherwise from its place among the file's documents, when the indexer skipped no
    ///   record of the file (blank lines are passed over without a count, so they would
    ///   shift it; infini-gram's indexer cannot read such a file);
    /// - otherwise unknown (`None`): the records do not store their line.
    ///
    /// `None` altogether when no input file holds it (an infini-gram index lists none).
    pub fn of(&self, doc_no: u64, id: &str) -> Option<(String, Option<u64>)> {
        let i = self.ends.partition_point(|&end| end <= doc_no);
        let (path, rel, skipped) = self.files.get(i)?;
        let first = if i == 0 { 0 } else { self.ends[i - 1] };
        let local = doc_no - first;
        let line = line_of_id(path, id, local).or((!skipped).then_some(local));
        Some((rel.clone(), line))
    }
}

/// The deepest folder holding every path.
fn common_folder(paths: &[&Path]) -> Option<PathBuf> {
    let mut c = paths.first()?.parent()?.to_path_buf();
    while !paths.iter().all(|p| p.starts_with(&c)) {
        if !c.pop() {
            break;
        }
    }
    Some(c)
}

/// The 0-based line (Parquet: row) an id of the indexer's `FILE:LINE` form names, when
/// `FILE` is the end of `path` and the line can hold the file's document `local` (a
/// document takes at least one line, so an id such as `a.jsonl:2` given to the fifth
/// document of `a.jsonl` is the record's own id, not a place).
fn line_of_id(path: &Path, id: &str, local: u64) -> Option<u64> {
    let (label, n) = id.rsplit_once(':')?;
    if label.is_empty() || !path.ends_with(label) {
        return None;
    }
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = n.parse().ok()?;
    let parquet = path.extension().is_some_and(|e| e == "parquet");
    let line = if parquet { n } else { n.checked_sub(1)? };
    (line >= local).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, documents: u64, skipped: u64) -> InputInfo {
        InputInfo {
            path: path.into(),
            bytes: 0,
            sha256: String::new(),
            documents,
            skipped,
            generation: 0,
        }
    }

    #[test]
    fn names_the_file_and_line_of_every_document() {
        let o = Origins::new(&[
            input("/c/a.jsonl", 2, 0),
            input("/c/sub/b.jsonl", 0, 0),
            input("/c/sub/c.jsonl", 3, 1),
        ]);
        assert_eq!(o.of(0, "x"), Some(("a.jsonl".into(), Some(0))));
        assert_eq!(o.of(1, "y"), Some(("a.jsonl".into(), Some(1))));
        // c.jsonl had a skipped record: lines are known only from derived ids.
        assert_eq!(o.of(2, "z"), Some(("sub/c.jsonl".into(), None)));
        assert_eq!(o.of(3, "c.jsonl:5"), Some(("sub/c.jsonl".into(), Some(4))));
        assert_eq!(o.of(5, "z"), None);
        assert_eq!(Origins::new(&[]).of(0, "x"), None);
    }

    /// An append from another folder names its files relative to its own inputs' common
    /// folder and leaves the earlier documents' paths as the first build named them.
    #[test]
    fn an_append_from_elsewhere_keeps_earlier_paths() {
        let built = [input("/c/a/x.jsonl", 2, 0), input("/c/a/y.jsonl", 1, 0)];
        let before = Origins::new(&built);
        let mut appended = built.to_vec();
        appended.push(InputInfo {
            generation: 1,
            ..input("/d/new/z.jsonl", 2, 0)
        });
        appended.push(InputInfo {
            generation: 2,
            ..input("/c/a/w.jsonl", 1, 0)
        });
        let after = Origins::new(&appended);
        for doc in 0..3 {
            assert_eq!(after.of(doc, "i"), before.of(doc, "i"), "document {doc}");
        }
        assert_eq!(after.of(0, "i"), Some(("x.jsonl".into(), Some(0))));
        assert_eq!(after.of(3, "i"), Some(("z.jsonl".into(), Some(0))));
        assert_eq!(after.of(5, "i"), Some(("w.jsonl".into(), Some(0))));
        // Without generations (an index appended to before they were recorded), one folder.
        let old: Vec<InputInfo> = appended
            .iter()
            .map(|i| InputInfo {
                generation: 0,
                ..i.clone()
            })
            .collect();
        assert_eq!(
            Origins::new(&old).of(0, "i"),
            Some(("c/a/x.jsonl".into(), Some(0)))
        );
    }
}
