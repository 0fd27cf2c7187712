//! Items read from files that share their benchmark and id with an earlier item.
//!
//! A report names each item by its benchmark and id. Two items with the same pair (HellaSwag's
//! validation set reuses ids across its two sources; an item without an id is named by its
//! record number, which another item may have as its id) get rows a reader cannot tell apart
//! but by their order, so reading counts them and the CLI and Python warn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where an item was read: its file and its 1-based record number there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAt {
    /// The input file.
    pub path: PathBuf,
    /// The record's 1-based number in that file.
    pub record: usize,
}

/// The first pair of items found sharing a benchmark and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedId {
    /// The benchmark both items belong to.
    pub bench: String,
    /// The id both items have.
    pub id: String,
    /// The earlier item's record.
    pub earlier: RecordAt,
    /// The later item's record.
    pub later: RecordAt,
}

/// Items that share their benchmark and id with an earlier item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateIds {
    /// How many items have a benchmark and id an earlier item already has.
    pub count: usize,
    /// The first such item and the earlier one it repeats.
    pub first: Option<SharedId>,
}

impl DuplicateIds {
    /// The warning to print, or `None` when every item's benchmark and id are its own.
    pub fn warning(&self) -> Option<String> {
        let f = self.first.as_ref()?;
        let at = |r: &RecordAt| format!("record {} of {}", r.record, r.path.display());
        Some(format!(
            "{} item(s) share their benchmark and id with an earlier item (first: benchmark {:?}, \
             id {:?}, at {} and {}); the report lists every item in input order, but rows with \
             the same benchmark and id can only be told apart by that order: give each item a \
             unique id",
            self.count,
            f.bench,
            f.id,
            at(&f.earlier),
            at(&f.later),
        ))
    }
}

/// Remembers where each (benchmark, id) pair was first read.
#[derive(Debug, Default)]
pub struct IdTracker {
    paths: Vec<PathBuf>,
    first_seen: HashMap<(String, String), (usize, usize)>,
    found: DuplicateIds,
}

impl IdTracker {
    /// Notes the item `bench`/`id` read as record `record` of `path`.
    pub fn note(&mut self, bench: &str, id: &str, path: &Path, record: usize) {
        if self.paths.last().is_none_or(|p| p != path) {
            self.paths.push(path.to_path_buf());
        }
        let here = (self.paths.len() - 1, record);
        let key = (bench.to_string(), id.to_string());
        let Some(&(p, r)) = self.first_seen.get(&key) else {
            self.first_seen.insert(key, here);
            return;
        };
        self.found.count += 1;
        if self.found.first.is_none() {
            self.found.first = Some(SharedId {
                bench: key.0,
                id: key.1,
                earlier: RecordAt {
                    path: self.paths[p].clone(),
                    record: r,
                },
                later: RecordAt {
                    path: path.to_path_buf(),
                    record,
                },
            });
        }
    }

    /// What was found.
    pub fn finish(self) -> DuplicateIds {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_repeat_is_named_and_every_repeat_counted() {
        let (a, b) = (Path::new("a.jsonl"), Path::new("b.jsonl"));
        let mut t = IdTracker::default();
        t.note("x", "1", a, 1);
        t.note("y", "1", a, 2); // another benchmark: its own id
        t.note("x", "2", a, 3);
        t.note("x", "1", b, 1);
        t.note("x", "1", b, 2);
        t.note("x", "2", b, 3);
        let d = t.finish();
        assert_eq!(d.count, 3);
        let f = d.first.clone().unwrap();
        assert_eq!((f.bench.as_str(), f.id.as_str()), ("x", "1"));
        assert_eq!(
            f.earlier,
            RecordAt {
                path: a.into(),
                record: 1
            }
        );
        assert_eq!(
            f.later,
            RecordAt {
                path: b.into(),
                record: 1
            }
        );
        let w = d.warning().unwrap();
        assert!(w.starts_with("3 item(s) share"), "{w}");
        assert!(
            w.contains("record 1 of a.jsonl and record 1 of b.jsonl"),
            "{w}"
        );
        assert_eq!(DuplicateIds::default().warning(), None);
    }
}
