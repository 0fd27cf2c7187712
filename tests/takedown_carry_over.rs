//! Takedowns across a forced rebuild whose ids moved, and an append into an attached
//! infini-gram side directory (each once gave a wrong result: a taken-down text shown again,
//! or a side directory left unable to open).

use crate::support;
use std::path::Path;
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// `verbatim index --append --out SIDE` over the side directory of an attached infini-gram
/// index is refused before it writes, and the side directory stays as it was and opens (it
/// once committed a manifest naming verbatim shards beside the infini-gram ones, which the
/// side directory could not open).
#[test]
fn an_append_into_an_attached_infini_gram_side_directory_is_refused_and_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let ig = t.path().join("ig");
    let texts = ["hello world", "another text", "third one"];
    let docs: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| t.bytes().map(u32::from).collect())
        .collect();
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("d{i}")).collect();
    crate::infini_gram::write_infini_gram(&ig, &docs, &ids, verbatim_core::TokenWidth::U8);
    let side = t.path().join("ig.verbatim");
    let opts = verbatim_indexer::AttachOptions {
        index: ig.clone(),
        out: Some(side.clone()),
        tokenizer: "bytes".into(),
        name: None,
        token_width: None,
        version: None,
        eos_token_id: None,
        id_rule: None,
        fulltext: false,
        force: false,
        threads: 1,
    };
    verbatim_indexer::attach(&opts).expect("attach");
    assert_eq!(Index::open(&side).unwrap().manifest().documents, 3);
    let before = std::fs::read(side.join("manifest.bin")).unwrap();

    let input = support::write_jsonl(
        t.path(),
        "new.jsonl",
        &[
            ("n0".into(), "appended text".into()),
            ("n1".into(), "more appended".into()),
        ],
    );
    let mut o = BuildOptions::new(vec![input], side.clone(), "");
    o.append = true;
    o.threads = 1;
    match verbatim_indexer::build(&o) {
        Err(e) => {
            assert!(
                format!("{e:#}").contains("serves an infini-gram index in place"),
                "{e:#}"
            );
            // Refused: the side directory must be as it was, and open.
            let unchanged = std::fs::read(side.join("manifest.bin")).unwrap() == before;
            let opens = Index::open(&side).map(|_| ()).map_err(|e| e.to_string());
            assert!(
                unchanged && opens.is_ok(),
                "the append failed ({e:#}), yet manifest.bin unchanged: {unchanged}; the side directory opens: {opens:?}"
            );
        }
        Ok(s) => panic!(
            "the append into a side directory was accepted (generation {})",
            s.manifest.generation
        ),
    }
}

fn build_bytes(input: &Path, out: &Path, force: bool) -> verbatim_indexer::BuildSummary {
    let mut o = BuildOptions::new(vec![input.to_path_buf()], out.to_path_buf(), "bytes");
    o.threads = 1;
    o.fulltext = false;
    o.force = force;
    verbatim_indexer::build(&o).expect("build")
}

/// Two input documents that share the id "a" ("public text", then "SECRET text", which is
/// indexed as "a#2") built as bytes into `DIR/idx`; returns that path.
fn secret_as_second_a(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("idx");
    let v1 = dir.join("v1.jsonl");
    std::fs::write(
        &v1,
        "{\"id\":\"a\",\"text\":\"public text\"}\n{\"id\":\"a\",\"text\":\"SECRET text\"}\n",
    )
    .unwrap();
    build_bytes(&v1, &out, false);
    out
}

/// The same two documents the other way round (e.g. files given in another order), written
/// to `DIR/v2.jsonl`.
fn reordered_input(dir: &Path) -> std::path::PathBuf {
    let v2 = dir.join("v2.jsonl");
    std::fs::write(
        &v2,
        "{\"id\":\"a\",\"text\":\"SECRET text\"}\n{\"id\":\"a\",\"text\":\"public text\"}\n",
    )
    .unwrap();
    v2
}

/// The texts of the documents of `index` that are not taken down.
fn shown_texts(index: &Index) -> Vec<String> {
    (0..index.manifest().documents)
        .filter(|&d| !index.is_taken_down(d))
        .map(|d| index.doc_text(index.locate(d).unwrap()))
        .collect()
}

/// Two input documents share the id "a": the second is indexed as "a#2" (a name verbatim
/// made up, which depends on the order of the input). After "a#2" is taken down and the
/// input reordered, `--force` finds the taken-down text under "a" and keeps it down (by id
/// alone, "a#2" now names the other document, and the text was shown again).
#[test]
fn a_forced_rebuild_keeps_down_a_text_whose_made_up_id_moved_to_another_document() {
    let t = tempfile::tempdir().unwrap();
    let out = secret_as_second_a(t.path());
    let ix = Index::open(&out).unwrap();
    let secret = ix.doc_by_id("a#2").unwrap();
    assert_eq!(ix.doc_text(secret), "SECRET text");
    drop(ix);
    support::take_down(&out, "a#2");
    let ix = Index::open(&out).unwrap();
    assert!(!shown_texts(&ix).iter().any(|t| t.contains("SECRET")));
    drop(ix);

    // Case 1: the same two documents, the other way round.
    let v2 = reordered_input(t.path());
    let s = build_bytes(&v2, &out, true);
    let carried = s.takedowns.expect("a list carried over");
    assert_eq!(
        carried.found_by_text,
        vec![("a#2".to_string(), "a".to_string())]
    );
    let ix = Index::open(&out).unwrap();
    let shown = shown_texts(&ix);
    assert!(
        !shown.iter().any(|t| t.contains("SECRET")),
        "taken-down document shown again after index --force (reordered input): shown {shown:?}"
    );
    // The same input again: the list now names the text by its id, and nothing more.
    let s = build_bytes(&v2, &out, true);
    let carried = s.takedowns.expect("a list carried over");
    assert!(carried.found_by_text.is_empty(), "{carried:?}");
    let ix = Index::open(&out).unwrap();
    assert!(!shown_texts(&ix).iter().any(|t| t.contains("SECRET")));
}

/// Same as above, rebuilt with another tokenizer: the taken-down text is recognised by its
/// decoded text, not its tokens (which another tokenizer makes differently), and stays down.
#[test]
fn a_forced_rebuild_with_another_tokenizer_keeps_down_a_text_whose_made_up_id_moved() {
    let t = tempfile::tempdir().unwrap();
    let out = secret_as_second_a(t.path());
    support::take_down(&out, "a#2");
    let v2 = reordered_input(t.path());
    let tokenizer = support::demo_tokenizer();
    let mut o = BuildOptions::new(vec![v2], out.clone(), tokenizer.to_str().unwrap());
    o.threads = 1;
    o.fulltext = false;
    o.force = true;
    let s = verbatim_indexer::build(&o).expect("build");
    let carried = s.takedowns.expect("a list carried over");
    assert_eq!(
        carried.found_by_text,
        vec![("a#2".to_string(), "a".to_string())]
    );
    let ix = Index::open(&out).unwrap();
    assert_ne!(ix.tokenizer().identity(), "bytes");
    let shown = shown_texts(&ix);
    assert!(
        !shown.iter().any(|t| t.contains("SECRET")),
        "taken-down document shown again after index --force with another tokenizer: shown {shown:?}"
    );
}

/// Same as above, the public duplicate dropped from the new corpus: "a#2" is not in it, but
/// the very text taken down is, now as "a", and stays down.
#[test]
fn a_forced_rebuild_keeps_down_a_text_whose_made_up_id_is_gone() {
    let t = tempfile::tempdir().unwrap();
    let out = secret_as_second_a(t.path());
    support::take_down(&out, "a#2");
    let v2 = t.path().join("v2.jsonl");
    std::fs::write(&v2, "{\"id\":\"a\",\"text\":\"SECRET text\"}\n").unwrap();
    let s = build_bytes(&v2, &out, true);
    let ix = Index::open(&out).unwrap();
    let shown = shown_texts(&ix);
    assert!(
        !shown.iter().any(|t| t.contains("SECRET")),
        "taken-down document shown again after index --force: shown {shown:?}, carry-over {:?}",
        s.takedowns
    );
}

/// An index open while its directory is rebuilt with `--force`, or deleted and built afresh,
/// refuses to read the takedown list found there (the new index's, or none) and answers
/// nothing: it said the list was damaged and to remove it, which then showed the taken-down
/// document from the old instance (a review's reproduction); and an index built afresh
/// without a list made the old instance show it at once.
#[test]
fn an_open_index_whose_directory_was_replaced_does_not_read_the_new_list() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("idx");
    let input = t.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"keep\",\"text\":\"kept text\"}\n{\"id\":\"gone\",\"text\":\"secret text\"}\n",
    )
    .unwrap();
    build_bytes(&input, &out, false);
    let open = Index::open(&out).unwrap();
    support::take_down(&out, "gone");
    open.refresh_takedown().unwrap();
    assert_eq!(shown_texts(&open), ["kept text"]);

    // Replaced by `--force` (the list carried over, under the new index's id).
    build_bytes(&input, &out, true);
    let err = open.refresh_takedown().unwrap_err();
    assert!(
        matches!(err, verbatim_core::Error::IndexReplaced { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("replaced while open") && !message.contains("remove it"),
        "{message}"
    );
    assert!(open.is_taken_down(open.doc_by_id_ignoring_takedowns("gone").unwrap()));

    // Deleted and built afresh: no list at all.
    let open = Index::open(&out).unwrap();
    open.refresh_takedown().unwrap();
    assert_eq!(shown_texts(&open), ["kept text"]);
    std::fs::remove_dir_all(&out).unwrap();
    build_bytes(&input, &out, false);
    assert!(matches!(
        open.refresh_takedown(),
        Err(verbatim_core::Error::IndexReplaced { .. })
    ));
}
