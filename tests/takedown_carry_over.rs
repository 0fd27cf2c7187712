//! Takedowns across a forced rebuild whose ids moved, and an append into an attached
//! infini-gram side directory (each once gave a wrong result: a taken-down text shown again,
//! or a side directory left unable to open).

use crate::support;
use std::path::Path;
use verbatim_core::takedown::Takedown;
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// Writes a byte-level (u8) infini-gram v4 index of `texts` (ids `d0`, `d1`, ...) into `dir`.
fn write_byte_infini_gram(dir: &Path, texts: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let (mut ds, mut od, mut mt, mut om) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, t) in texts.iter().enumerate() {
        od.extend_from_slice(&(ds.len() as u64).to_le_bytes());
        ds.push(0xffu8);
        ds.extend_from_slice(t.as_bytes());
        om.extend_from_slice(&(mt.len() as u64).to_le_bytes());
        let line = serde_json::json!({"path": "c.jsonl", "linenum": i, "metadata": {"id": format!("d{i}"), "source": "test"}});
        mt.extend_from_slice(format!("{line}\n").as_bytes());
    }
    let mut sa: Vec<usize> = (0..ds.len()).collect();
    sa.sort_by(|&a, &b| ds[a..].cmp(&ds[b..]));
    let ptr = verbatim_core::infini_gram::layout::standard_ptr_size(ds.len() as u64);
    let table: Vec<u8> = sa
        .iter()
        .flat_map(|&p| (p as u64).to_le_bytes()[..ptr].to_vec())
        .collect();
    for (name, bytes) in [
        ("tokenized.0", &ds),
        ("table.0", &table),
        ("offset.0", &od),
        ("metadata.0", &mt),
        ("metaoff.0", &om),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// `verbatim index --append --out SIDE` over the side directory of an attached infini-gram
/// index must either be refused (leaving it as it was) or give an index that opens with the
/// new documents. It is accepted, commits a manifest naming verbatim shards beside the
/// infini-gram ones, and the side directory no longer opens: the index is broken.
#[test]
fn an_append_into_an_attached_infini_gram_side_directory_is_refused_and_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let ig = t.path().join("ig");
    write_byte_infini_gram(&ig, &["hello world", "another text", "third one"]);
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

/// Takes the document `id` of the index in `dir` down (as `verbatim takedown add` does).
fn take_down(dir: &Path, id: &str) {
    let opened = Index::open(dir).unwrap();
    let no = opened.id_map().unwrap().get(id).unwrap();
    let mut list = Takedown::load(dir, opened.index_id()).unwrap();
    list.insert(no);
    list.save(dir, opened.index_id()).unwrap();
}

fn build_bytes(input: &Path, out: &Path, force: bool) -> verbatim_indexer::BuildSummary {
    let mut o = BuildOptions::new(vec![input.to_path_buf()], out.to_path_buf(), "bytes");
    o.threads = 1;
    o.fulltext = false;
    o.force = force;
    verbatim_indexer::build(&o).expect("build")
}

/// The texts of the documents of `index` that are not taken down.
fn shown_texts(index: &Index) -> Vec<String> {
    (0..index.manifest().documents)
        .filter(|&d| !index.is_taken_down(d))
        .map(|d| index.doc_text(index.locate(d).unwrap()))
        .collect()
}

/// Two input documents share the id "a": the second is indexed as "a#2" (a name verbatim
/// made up, which depends on the order of the input). Taking "a#2" down and rebuilding with
/// `--force` carries the takedown over by that made-up id: in the rebuilt corpus "a#2" is
/// another document (or none), so the taken-down text is shown again.
#[test]
fn a_forced_rebuild_keeps_down_a_text_whose_made_up_id_moved_to_another_document() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("idx");
    let v1 = t.path().join("v1.jsonl");
    std::fs::write(
        &v1,
        "{\"id\":\"a\",\"text\":\"public text\"}\n{\"id\":\"a\",\"text\":\"SECRET text\"}\n",
    )
    .unwrap();
    build_bytes(&v1, &out, false);
    let ix = Index::open(&out).unwrap();
    let secret = ix.doc_by_id("a#2").unwrap();
    assert_eq!(ix.doc_text(secret), "SECRET text");
    drop(ix);
    take_down(&out, "a#2");
    let ix = Index::open(&out).unwrap();
    assert!(!shown_texts(&ix).iter().any(|t| t.contains("SECRET")));
    drop(ix);

    // Case 1: the same two documents, the other way round (e.g. files given in another order).
    let v2 = t.path().join("v2.jsonl");
    std::fs::write(
        &v2,
        "{\"id\":\"a\",\"text\":\"SECRET text\"}\n{\"id\":\"a\",\"text\":\"public text\"}\n",
    )
    .unwrap();
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

/// Same as above, the public duplicate dropped from the new corpus: "a#2" is not in the new
/// corpus, so the takedown is dropped ("not in the new corpus") although the very document
/// taken down is there, now as "a", and is shown.
#[test]
fn a_forced_rebuild_keeps_down_a_text_whose_made_up_id_is_gone() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("idx");
    let v1 = t.path().join("v1.jsonl");
    std::fs::write(
        &v1,
        "{\"id\":\"a\",\"text\":\"public text\"}\n{\"id\":\"a\",\"text\":\"SECRET text\"}\n",
    )
    .unwrap();
    build_bytes(&v1, &out, false);
    take_down(&out, "a#2");
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
