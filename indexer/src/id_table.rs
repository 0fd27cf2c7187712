//! The external ids of a build or append, kept unique as documents stream in.
//!
//! A repeat of an id of this build is renamed with a `#2`, `#3`... suffix. The document that
//! keeps the plain id is always the first, and a rename never takes an id the index already
//! has. A rename could still take an id that a later input document really has (`a`, `a`,
//! `a#2`): the build cannot rename the earlier document, whose record is already written, and
//! renaming the later one would make a takedown or lookup of `a#2` hit a document the input
//! never called so. Such a build is refused, naming both documents. So is an id the input gives
//! that verbatim already derived for an earlier document without one (`x.jsonl:1`, then a
//! record whose id is `x.jsonl:1`): renaming the given id would let a lookup of it find the
//! other document.

use crate::error::{refuse, Result};
use crate::id_map::{IdMap, SortedIds};
use crate::input::IdOrigin;
use std::collections::HashMap;
use verbatim_core::format::MappedSlice;

/// Memory an entry of the repeats' cache holds besides its id's text, with its map's
/// overhead.
const REPEAT_OVERHEAD: u64 = 64;

/// Repeated ids whose last suffix is cached: a cache, not a record (the next suffix is found
/// by trying `#2`, `#3`... without it, with the same answer), so that input whose ids all
/// repeat cannot grow the table's memory with the number of documents.
const REPEATS_CACHED: usize = 1 << 16;

/// How many renames the summary lists.
const RENAME_EXAMPLES: usize = 5;

/// The bit of an [`IdTable`] entry's value that marks an id verbatim derived (document numbers
/// stay far below it).
const DERIVED: u64 = 1 << 63;

/// The bit of an [`IdTable`] entry's value that marks a rename (`a#2`).
const RENAMED: u64 = 1 << 62;

/// The ids seen so far, for uniqueness.
pub(crate) struct IdTable<'a> {
    /// Each id's document number, with [`DERIVED`] set for an id verbatim derived and
    /// [`RENAMED`] for a rename.
    ids: IdMap,
    /// The highest suffix given to repeated ids, for at most [`REPEATS_CACHED`] of them.
    repeats: HashMap<String, u32>,
    /// Memory `repeats` holds (estimated).
    repeats_bytes: u64,
    /// Ids renamed so far.
    renamed: u64,
    existing: Option<&'a fst::Map<MappedSlice>>,
    examples: Vec<String>,
}

impl<'a> IdTable<'a> {
    /// An empty table; `existing` is the id map of the index being appended to; `ids` holds
    /// the ids read (an [`IdMap::spilling`] one keeps the table's memory bounded).
    pub(crate) fn new(existing: Option<&'a fst::Map<MappedSlice>>, ids: IdMap) -> Self {
        IdTable {
            ids,
            repeats: HashMap::new(),
            repeats_bytes: 0,
            renamed: 0,
            existing,
            examples: Vec::new(),
        }
    }

    /// Bytes of memory the table holds, and may need for its next growth, for the memory
    /// budget.
    pub(crate) fn held_bytes(&self) -> u64 {
        self.ids.held_bytes() + self.repeats_bytes
    }

    /// Ids renamed so far.
    pub(crate) fn renamed(&self) -> u64 {
        self.renamed
    }

    /// The first renames, as `FILE:LINE: id "a" repeats document #N's; indexed as "a#2"`.
    pub(crate) fn rename_examples(&self) -> &[String] {
        &self.examples
    }

    /// Runs of ids written to disk so far.
    pub(crate) fn spilled_runs(&self) -> usize {
        self.ids.runs()
    }

    /// Every `(id, document number)`, in id order.
    pub(crate) fn into_ids(self) -> Result<SortedIds> {
        Ok(self.ids.into_sorted()?.masked(!(DERIVED | RENAMED)))
    }

    fn taken(&self, id: &str) -> Result<bool> {
        Ok(self.ids.contains_key(id)? || self.existing.is_some_and(|m| m.contains_key(id)))
    }

    /// Makes `id` of document `doc_no` (read at `at`) unique and records it: a repeat of an id
    /// of this build gets `#2`, `#3`...; an id already in the index being appended to is
    /// refused (FORMAT.md: an append never renames, the index's ids stay what they were),
    /// whether the input gave it or verbatim derived it (`origin`, `id_field` for the message,
    /// which then says how to avoid it); so is an id an earlier rename took.
    pub(crate) fn insert(
        &mut self,
        id: String,
        doc_no: u64,
        at: &str,
        origin: IdOrigin,
        id_field: &str,
    ) -> Result<String> {
        let Some(entry) = self.ids.get(&id)? else {
            self.refuse_existing(&id, at, origin, id_field)?;
            let derived = if origin.derived_from().is_some() {
                DERIVED
            } else {
                0
            };
            self.ids.insert(id.clone(), doc_no | derived)?;
            return Ok(id);
        };
        let holder = entry & !(DERIVED | RENAMED);
        if entry & DERIVED != 0 && origin.derived_from().is_none() {
            refuse!(
                "{at}: document id {id:?} is the id verbatim derived for document #{holder}, read earlier from an input without {id_field:?} fields; a document keeps the id its input gives, and the earlier one's is already written, so the build cannot rename either: give the documents without ids ids of their own (a field named by --id-field), or give this document another id"
            );
        }
        if entry & RENAMED != 0 {
            refuse!(
                "{at}: document id {id:?} was already given to document #{holder}, a repeat of an earlier id renamed with a `#` suffix before this document came; a document keeps the id its input gives, so the build cannot rename either: give the repeated documents ids of their own, or remove the repeats from the input"
            );
        }
        let mut k = self.repeats.get(&id).copied().unwrap_or(1);
        loop {
            k += 1;
            let candidate = format!("{id}#{k}");
            if self.taken(&candidate)? {
                continue;
            }
            if self.examples.len() < RENAME_EXAMPLES {
                self.examples.push(format!(
                    "{at}: id {id:?} repeats document #{holder}'s; indexed as {candidate:?}"
                ));
            }
            self.renamed += 1;
            self.ids.insert(candidate.clone(), doc_no | RENAMED)?;
            if self.repeats.len() >= REPEATS_CACHED {
                self.repeats = HashMap::new();
                self.repeats_bytes = 0;
            }
            let bytes = id.len() as u64 + REPEAT_OVERHEAD;
            if self.repeats.insert(id, k).is_none() {
                self.repeats_bytes += bytes;
            }
            return Ok(candidate);
        }
    }

    /// Refuses `id` if the index being appended to has it.
    fn refuse_existing(&self, id: &str, at: &str, origin: IdOrigin, id_field: &str) -> Result<()> {
        let Some(no) = self.existing.and_then(|m| m.get(id)) else {
            return Ok(());
        };
        match origin.derived_from() {
            None => refuse!(
                "{at}: document id {id:?} is already in the index (document #{no}); an append adds new documents only: remove the document from the input, or rebuild the index"
            ),
            Some(how) => refuse!(
                "{at}: the document has no {id_field:?} field, so its id {id:?} was derived from {how}, and the index already has that id (document #{no}: a file of the same path, relative to its input directory, was indexed before); an append adds new documents only and renames no id (a `#2` suffix is for repeats within one build or append): give the documents ids of their own (a field named by --id-field), or give the new files paths the index does not have (another file name, or a subdirectory of the input directory), or rebuild the index with all the files"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert_all(ids: &[&str]) -> Result<Vec<String>> {
        let mut table = IdTable::new(None, IdMap::new());
        ids.iter()
            .enumerate()
            .map(|(no, id)| {
                table.insert(
                    id.to_string(),
                    no as u64,
                    &format!("in.jsonl:{}", no + 1),
                    IdOrigin::Field,
                    "id",
                )
            })
            .collect()
    }

    #[test]
    fn repeats_get_the_next_free_suffix() {
        let got = insert_all(&["a", "a#2", "a", "a", "b"]).unwrap();
        assert_eq!(got, ["a", "a#2", "a#3", "a#4", "b"]);
    }

    #[test]
    fn an_id_a_rename_took_is_refused_naming_both_documents() {
        let err = insert_all(&["a", "a", "a#2"]).unwrap_err().to_string();
        assert!(err.contains("in.jsonl:3"), "{err}");
        assert!(err.contains("document #1"), "{err}");
        assert!(err.contains("\"a#2\""), "{err}");
    }

    #[test]
    fn a_repeat_of_a_plain_id_is_still_renamed_after_a_rename() {
        // "a#2" here repeats a plain id (document 1), not a rename.
        let got = insert_all(&["a#2", "a", "a", "a#2"]).unwrap();
        assert_eq!(got, ["a#2", "a", "a#3", "a#2#2"]);
    }

    #[test]
    fn an_id_given_that_an_earlier_document_was_derived_is_refused() {
        let mut table = IdTable::new(None, IdMap::new());
        let derived = table.insert("x.jsonl:1".into(), 0, "x.jsonl:1", IdOrigin::FileLine, "id");
        assert_eq!(derived.unwrap(), "x.jsonl:1");
        let err = table
            .insert("x.jsonl:1".into(), 1, "y.jsonl:1", IdOrigin::Field, "id")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("y.jsonl:1") && err.contains("document #0"),
            "{err}"
        );
        // The other way round a derived id is renamed, as a repeat is.
        let mut table = IdTable::new(None, IdMap::new());
        table
            .insert("x.jsonl:1".into(), 0, "y.jsonl:1", IdOrigin::Field, "id")
            .unwrap();
        let renamed = table.insert("x.jsonl:1".into(), 1, "x.jsonl:1", IdOrigin::FileLine, "id");
        assert_eq!(renamed.unwrap(), "x.jsonl:1#2");
        let numbers: Vec<u64> = table.into_ids().unwrap().map(|r| r.unwrap().1).collect();
        assert_eq!(numbers.iter().max(), Some(&1));
    }

    #[test]
    fn renames_do_not_depend_on_the_repeats_cache() {
        // More repeated ids than the cache keeps, each repeated twice, and one id repeated
        // throughout: every rename is the lowest free suffix, cleared cache or not.
        let n = REPEATS_CACHED + 100;
        let mut ids: Vec<String> = Vec::new();
        for i in 0..n {
            ids.push(format!("r{i}"));
            ids.push("same".into());
        }
        ids.extend((0..n).map(|i| format!("r{i}")));
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let got = insert_all(&refs).unwrap();
        for (k, id) in got[..2 * n].iter().skip(1).step_by(2).enumerate() {
            let want = if k == 0 {
                "same".to_string()
            } else {
                format!("same#{}", k + 1)
            };
            assert_eq!(*id, want);
        }
        for (i, id) in got[2 * n..].iter().enumerate() {
            assert_eq!(*id, format!("r{i}#2"));
        }
    }

    #[test]
    fn renames_are_listed_with_where_they_were_read() {
        let mut table = IdTable::new(None, IdMap::new());
        for (no, id) in ["x", "x", "x"].iter().enumerate() {
            table
                .insert(id.to_string(), no as u64, "f:1", IdOrigin::Field, "id")
                .unwrap();
        }
        assert_eq!(table.renamed(), 2);
        assert_eq!(
            table.rename_examples(),
            [
                "f:1: id \"x\" repeats document #0's; indexed as \"x#2\"",
                "f:1: id \"x\" repeats document #0's; indexed as \"x#3\""
            ]
        );
    }
}
