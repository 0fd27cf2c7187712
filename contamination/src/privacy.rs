//! The privacy filter on the example snippets of contamination results: masked in place, or
//! the example left out (`drop`). Scores and labels are unaffected. [`crate::check_all`]
//! applies it before it returns, so every caller (CLI, server, Python) shows filtered
//! examples.
//!
//! A main-index snippet (`llama2`) is filtered like a trace's, with its document's text
//! around it ([`verbatim_core::pii::mask_parts_within`]). A side-index snippet is normalised
//! text in which no pattern can find an item (`admin2 example org`), so the items of its
//! document's original text are normalised the same way and masked where they occur in it.

use crate::check::{Checker, ItemResult};
use std::collections::HashMap;
use verbatim_core::normalize::Normalization;
use verbatim_core::pii::{PiiKind, PiiMode, SNIPPET_MATCH};
use verbatim_core::Index;

impl Checker<'_> {
    /// Applies the privacy filter `mode` to the examples of `items` (checked by this
    /// checker: side-index examples are read from the side indexes it used).
    pub fn filter_examples(&self, items: &mut [ItemResult], mode: PiiMode) {
        if mode == PiiMode::Off {
            return;
        }
        // The items of each document's original text, read once per call, and normalised
        // once per side index.
        let mut originals: HashMap<u64, Vec<(PiiKind, String)>> = HashMap::new();
        let mut normalised: HashMap<(u64, Normalization), Vec<(PiiKind, String)>> = HashMap::new();
        for m in items.iter_mut().flat_map(|i| i.methods.iter_mut()) {
            let side = m
                .method
                .side_index()
                .and_then(|n| self.side(n).map(|ix| (n, ix)));
            m.examples.retain_mut(|e| {
                let margins = match side {
                    None => self.index().snippet_margins(&e.snippet),
                    Some((_, side_ix)) => side_ix.snippet_margins(&e.snippet),
                };
                let s = &mut e.snippet;
                let parts = &mut [&mut s.before, &mut s.matched, &mut s.after];
                let found = match side {
                    None => verbatim_core::pii::mask_parts_within(&margins, parts, SNIPPET_MATCH),
                    Some((n, _)) => {
                        let items = normalised.entry((e.doc_no, n)).or_insert_with(|| {
                            originals
                                .entry(e.doc_no)
                                .or_insert_with(|| original_items(self.index(), e.doc_no))
                                .iter()
                                .map(|(kind, text)| {
                                    (*kind, n.apply_under(text, self.rules(n)).trim().to_string())
                                })
                                .collect()
                        });
                        verbatim_core::pii::mask_normalized_within(
                            &margins,
                            parts,
                            SNIPPET_MATCH,
                            items,
                        )
                    }
                };
                found.is_empty() || mode == PiiMode::Mask
            });
        }
    }
}

/// The personal-data items of main-index document `doc_no`'s text, with their text (none
/// when the document cannot be read: then nothing is masked, and the example shows only
/// normalised text the check itself matched around).
fn original_items(index: &Index, doc_no: u64) -> Vec<(PiiKind, String)> {
    let Some(text) = index
        .locate(doc_no)
        .and_then(|loc| index.document(loc, None).ok())
        .map(|d| d.text)
    else {
        return Vec::new();
    };
    verbatim_core::pii::find(&text)
        .into_iter()
        .map(|m| (m.kind, text[m.start..m.end].to_string()))
        .collect()
}
