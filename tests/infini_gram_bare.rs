//! A bare infini-gram index (no side directory, so no tokenizer): it does not know its
//! vocabulary or its end-of-text token, and must not guess them from the data. An id the
//! corpus lacks counts 0, as infini-gram's engine counts it, and a document's end is reported
//! as the separator, never as an id that may be a real token.

use crate::infini_gram::write_infini_gram;
use verbatim_core::{Index, TokenWidth};

#[test]
fn a_bare_u16_index_counts_absent_ids_and_reports_document_ends_as_the_separator() {
    let dir = tempfile::tempdir().unwrap();
    let ig = dir.path().join("ig");
    // The largest id in the corpus is 645: a guessed vocabulary would end there, and a
    // guessed end-of-text id would be 644, a token of the corpus.
    let docs = vec![vec![644, 13, 198, 645], vec![13, 198, 7], vec![13, 198]];
    let ids: Vec<String> = (0..docs.len()).map(|i| format!("d{i}")).collect();
    write_infini_gram(&ig, &docs, &ids, TokenWidth::U16);
    let index = Index::open(&ig).unwrap();
    assert_eq!(index.manifest().tokenizer.vocab_size, 65_535);

    assert_eq!(index.ig_find(&[13, 198]).cnt, 3);
    for absent in [646, 50_256, 65_534] {
        assert_eq!(index.ig_find(&[absent]).cnt, 0, "{absent}");
        assert_eq!(index.ig_find(&[13, absent]).cnt, 0, "{absent}");
    }
    // After `13 198`: 645 once, 7 once, and the end of the last document once.
    let ntd = index.ig_ntd(&[13, 198], 1000);
    let next: Vec<(u32, u64)> = ntd
        .result_by_token_id
        .iter()
        .map(|(&t, &(c, _))| (t, c))
        .collect();
    assert_eq!(next, [(7, 1), (645, 1), (65_535, 1)]);
    assert_eq!(index.eos_token_id(), 65_535);
}
