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
use crate::id_map::IdMap;
use crate::input::IdOrigin;
use std::collections::HashMap;
use verbatim_core::format::MappedSlice;

/// Memory a rename's bookkeeping holds besides its texts: the renamed document's entry, the
/// repeated id's counter, with their maps' overhead.
const RENAME_OVERHEAD: u64 = 112;

/// How many renames the summary lists.
const RENAME_EXAMPLES: usize = 5;

/// The bit of an [`IdTable`] entry's value that marks an id verbatim derived (document numbers
/// stay far below it).
const DERIVED: u64 = 1 << 63;

/// The ids seen so far, for uniqueness.
pub(crate) struct IdTable<'a> {
    /// Each id's document number, with [`DERIVED`] set for an id verbatim derived.
    ids: IdMap,
    /// The highest suffix given to each repeated id.
    repeats: HashMap<String, u32>,
    /// Documents whose id is a rename, with where they were read.
    renamed_docs: HashMap<u64, String>,
    existing: Option<&'a fst::Map<MappedSlice>>,
    examples: Vec<String>,
    /// Memory held by the renames' bookkeeping (estimated).
    rename_bytes: u64,
}

impl<'a> IdTable<'a> {
    /// An empty table; `existing` is the id map of the index being appended to.
    pub(crate) fn new(existing: Option<&'a fst::Map<MappedSlice>>) -> Self {
        IdTable {
            ids: IdMap::new(),
            repeats: HashMap::new(),
            renamed_docs: HashMap::new(),
            existing,
            examples: Vec::new(),
            rename_bytes: 0,
        }
    }

    /// Bytes of memory the table holds, and may need for its next growth, for the memory
    /// budget.
    pub(crate) fn held_bytes(&self) -> u64 {
        self.ids.held_bytes() + self.rename_bytes
    }

    /// Ids renamed so far.
    pub(crate) fn renamed(&self) -> u64 {
        self.renamed_docs.len() as u64
    }

    /// The first renames, as `FILE:LINE: id "a" repeats document #N's; indexed as "a#2"`.
    pub(crate) fn rename_examples(&self) -> &[String] {
        &self.examples
    }

    /// Every `(id, document number)`, in no order.
    pub(crate) fn into_ids(self) -> Vec<(String, u64)> {
        let mut ids = self.ids.into_vec();
        for (_, no) in &mut ids {
            *no &= !DERIVED;
        }
        ids
    }

    fn taken(&self, id: &str) -> bool {
        self.ids.contains_key(id) || self.existing.is_some_and(|m| m.contains_key(id))
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
        let Some(entry) = self.ids.get(&id) else {
            self.refuse_existing(&id, at, origin, id_field)?;
            let derived = if origin.derived_from().is_some() {
                DERIVED
            } else {
                0
            };
            self.ids.insert(id.clone(), doc_no | derived);
            return Ok(id);
        };
        let holder = entry & !DERIVED;
        if entry & DERIVED != 0 && origin.derived_from().is_none() {
            refuse!(
                "{at}: document id {id:?} is the id verbatim derived for document #{holder}, read earlier from an input without {id_field:?} fields; a document keeps the id its input gives, and the earlier one's is already written, so the build cannot rename either: give the documents without ids ids of their own (a field named by --id-field), or give this document another id"
            );
        }
        if let Some(renamed_at) = self.renamed_docs.get(&holder) {
            refuse!(
                "{at}: document id {id:?} was already given to the document at {renamed_at} (document #{holder}), a repeat of an earlier id renamed with a `#` suffix before this document came; a document keeps the id its input gives, so the build cannot rename either: give the repeated documents ids of their own, or remove the repeats from the input"
            );
        }
        let mut k = self.repeats.get(&id).copied().unwrap_or(1);
        loop {
            k += 1;
            let candidate = format!("{id}#{k}");
            if self.taken(&candidate) {
                continue;
            }
            if self.examples.len() < RENAME_EXAMPLES {
                self.examples.push(format!(
                    "{at}: id {id:?} repeats document #{holder}'s; indexed as {candidate:?}"
                ));
            }
            self.rename_bytes += candidate.len() as u64 + RENAME_OVERHEAD + at.len() as u64 + 8;
            self.renamed_docs.insert(doc_no, at.to_string());
            self.ids.insert(candidate.clone(), doc_no);
            self.repeats.insert(id, k);
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
        let mut table = IdTable::new(None);
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
        assert!(err.contains("in.jsonl:2"), "{err}");
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
        let mut table = IdTable::new(None);
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
        let mut table = IdTable::new(None);
        table
            .insert("x.jsonl:1".into(), 0, "y.jsonl:1", IdOrigin::Field, "id")
            .unwrap();
        let renamed = table.insert("x.jsonl:1".into(), 1, "x.jsonl:1", IdOrigin::FileLine, "id");
        assert_eq!(renamed.unwrap(), "x.jsonl:1#2");
        assert_eq!(table.into_ids().iter().map(|(_, no)| no).max(), Some(&1));
    }

    #[test]
    fn renames_are_listed_with_where_they_were_read() {
        let mut table = IdTable::new(None);
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
