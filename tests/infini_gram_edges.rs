//! Edge cases of infini-gram's queries answered exactly where infini-gram's engine does not,
//! infini-gram indexes verbatim cannot serve refused saying why, and the ids `verbatim attach`
//! shows documents under.

use crate::infini_gram::{attach, write_infini_gram};
use crate::support;
use verbatim_core::{Index, TokenWidth};

/// A next-token distribution marked exact counts every continuation: a run of occurrences
/// whose first ends with the stream and whose last ends before a separator holds other
/// continuations between them (infini-gram's engine counts the whole run as document ends).
/// On an infini-gram index and on a verbatim one.
#[test]
fn an_exact_next_token_distribution_counts_every_continuation() {
    let dir = tempfile::tempdir().unwrap();
    let ig = dir.path().join("ig");
    let docs: Vec<Vec<u32>> = vec![vec![5, 7], vec![5, 8], vec![5], vec![5]];
    let ids: Vec<String> = (0..docs.len()).map(|i| format!("d{i}")).collect();
    write_infini_gram(&ig, &docs, &ids, TokenWidth::U16);
    let texts: Vec<String> = ["ab", "ac", "a", "a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let input = support::write_jsonl(
        dir.path(),
        "c.jsonl",
        &ids.iter().cloned().zip(texts).collect::<Vec<_>>(),
    );
    let vb = dir.path().join("vb");
    verbatim_indexer::build(&verbatim_indexer::BuildOptions::new(
        vec![input],
        vb.clone(),
        "bytes",
    ))
    .unwrap();
    for (dir, prompt, others) in [(&ig, 5u32, [7u32, 8]), (&vb, 97, [98, 99])] {
        let ix = Index::open(dir).unwrap();
        for ntd in [
            ix.ig_ntd(&[prompt], 1000),
            ix.ig_infgram_ntd(&[prompt], 1000),
        ] {
            assert!(!ntd.approx);
            let got: Vec<(u32, u64)> = ntd
                .result_by_token_id
                .iter()
                .map(|(&t, &(c, _))| (t, c))
                .collect();
            let mut want = vec![(others[0], 1), (others[1], 1), (ix.eos_token_id(), 2)];
            want.sort_unstable();
            assert_eq!(got, want, "{}", dir.display());
        }
    }
}

/// An infini-gram index whose documents hold the separator id (its indexer cuts an id too
/// large for the token width to it) is refused saying so, not as damaged counts.
#[test]
fn documents_holding_the_separator_id_are_refused_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let ig = dir.path().join("ig");
    let docs: Vec<Vec<u32>> = vec![vec![1, 65535, 2], vec![3, 4]];
    write_infini_gram(&ig, &docs, &["a".into(), "b".into()], TokenWidth::U16);
    let e = Index::open(&ig).err().expect("refused").to_string();
    assert!(e.contains("some documents hold the separator id"), "{e}");
    assert!(e.contains("tokenized.0"), "{e}");
}

/// `verbatim attach` keeps the corpus's ids only when each is at most 4096 bytes long (the
/// id map's builder holds state per key byte): one longer id and every document is shown
/// under `FILE:LINE` instead; asked for the corpus's ids (`--id-rule metadata-id`), it refuses.
#[test]
fn an_id_longer_than_4096_bytes_makes_attach_use_file_line() {
    let t = tempfile::tempdir().unwrap();
    let docs = vec![vec![1u32, 2, 3], vec![2, 3, 4]];
    let shown_ids = |ids: &[String], sub: &str| {
        let ig = t.path().join(sub);
        write_infini_gram(&ig, &docs, ids, TokenWidth::U8);
        let index = attach(&ig, "bytes", &t.path().join(format!("{sub}.side")));
        (0..2)
            .map(|d| index.doc_record(index.locate(d).unwrap()).unwrap().id)
            .collect::<Vec<_>>()
    };
    let longest = "l".repeat(4096);
    let kept = shown_ids(&["a".to_string(), longest.clone()], "kept");
    assert_eq!(kept, ["a".to_string(), longest]);
    let replaced = shown_ids(&["a".to_string(), "l".repeat(4097)], "replaced");
    assert_eq!(replaced, ["c.jsonl:0", "c.jsonl:1"]);
    // Asked for the corpus's ids, attach refuses the long one and says what to do.
    let opts = verbatim_indexer::AttachOptions {
        index: t.path().join("replaced"),
        out: Some(t.path().join("forced.side")),
        tokenizer: "bytes".to_string(),
        name: None,
        token_width: None,
        version: None,
        eos_token_id: None,
        id_rule: Some(verbatim_core::infini_gram::IdRule::MetadataId),
        fulltext: false,
        force: false,
        threads: 1,
    };
    let e = verbatim_indexer::attach(&opts).unwrap_err().to_string();
    assert!(
        e.contains("document #1 has an id of 4097 bytes") && e.contains("--id-rule path-line"),
        "{e}"
    );
}
