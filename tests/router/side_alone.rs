//! A side index (`INDEX/side/words`) served on its own: it numbers documents as its parent
//! does, so the parent's takedown list is its list (a document taken down from the index is
//! never shown from its side index), and the parent's manifest is what commits its next
//! generation (an append to the parent is served without a restart).

use super::reloads::{append_new_document, shown, until_generation, NEW_ID, NEW_TEXT};
use super::*;
use verbatim_core::normalize::Normalization;
use verbatim_core::takedown::Takedown;

/// Builds an index of [`documents`] with a `words` side index into `dir/name`; returns the
/// index directory and its side index's.
fn build_with_words(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let input = support::write_jsonl(dir, &format!("{name}.jsonl"), &documents());
    let out = dir.join(name);
    let tok = support::demo_tokenizer();
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tok.to_str().unwrap());
    o.threads = 2;
    o.name = name.into();
    o.side_indexes = vec![Normalization::Words];
    verbatim_indexer::build(&o).expect("build succeeds");
    let side = out.join("side").join("words");
    (out, side)
}

/// Takes the document `id` of the index in `dir` down, as `verbatim takedown add` does.
fn take_down(dir: &Path, id: &str) {
    let index = Index::open(dir).unwrap();
    let no = index.doc_by_id(id).unwrap();
    let mut list = Takedown::load(index.takedown_dir(), index.takedown_id()).unwrap();
    list.insert(no.doc_no);
    list.save(index.takedown_dir(), index.takedown_id())
        .unwrap();
}

/// The parent's takedown list hides documents from its side index served alone: those taken
/// down before it was opened, and one taken down while it is served (from a cached trace
/// too). Taking a document down through the side index's path writes the parent's list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_index_served_alone_hides_what_its_parent_took_down() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, side) = build_with_words(dir.path(), "parent");
    assert_eq!(Index::takedown_dir_for(&side), idx);
    take_down(&idx, "books/pride/2");

    let opened = Index::open(&side).unwrap();
    assert_eq!(opened.takedown_dir(), idx.as_path());
    let name = opened.manifest().name.clone();
    let (app, _) = router(&[side.as_path()], 256);
    let hidden =
        json!({"response": "however little known the feelings or views of such a man may be"});
    let (c, t) = post(&app, "/api/v1/trace", hidden).await;
    assert_eq!(c, 200, "{t}");
    assert_eq!(t["spans"][0]["count"], 1, "{t}");
    assert!(shown(&t).is_empty(), "{t}");
    assert_eq!(
        get(&app, "/api/v1/documents/books%2Fpride%2F2").await.0,
        404
    );
    let trace = json!({"response": "it is a truth universally acknowledged that a single man in possession"});
    let (c, t) = post(&app, "/api/v1/trace", trace.clone()).await;
    assert_eq!(c, 200, "{t}");
    assert_eq!(shown(&t), ["books/pride/1"], "{t}");

    // Taken down through the side index's own path: the parent's list changes, and both the
    // parent and the side index served alone hide the document at once.
    take_down(&side, "books/pride/1");
    assert!(!side.join("takedown.bin").exists());
    let parent = Index::open(&idx).unwrap();
    assert!(parent.doc_by_id("books/pride/1").is_none());
    let (c, t) = post(&app, "/api/v1/trace", trace).await;
    assert_eq!(c, 200, "{t}");
    assert!(
        !shown(&t).contains(&"books/pride/1".to_string()),
        "{name} showed a document its parent took down: {t}"
    );
    assert_eq!(
        get(&app, "/api/v1/documents/books%2Fpride%2F1").await.0,
        404
    );
}

/// An append to the parent commits the side index's next generation: the side index served
/// alone is served in it without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_index_served_alone_follows_an_append_to_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, side) = build_with_words(dir.path(), "grow");
    let name = Index::open(&side).unwrap().manifest().name.clone();
    let (app, _) = router(&[side.as_path()], 256);
    let count = json!({"text": " seventeen gulls above the harbour "});
    assert_eq!(
        post(&app, "/api/v1/count", count.clone()).await.1["count"],
        0
    );

    append_new_document(dir.path(), &idx);
    until_generation(&app, &name, 1).await;
    assert_eq!(post(&app, "/api/v1/count", count).await.1["count"], 1);
    let (c, t) = post(&app, "/api/v1/trace", json!({"response": NEW_TEXT})).await;
    assert_eq!(c, 200, "{t}");
    assert!(shown(&t).contains(&NEW_ID.to_string()), "{t}");
}

/// However the side index's path is spelled (a symbolic link, `..`, relative), it reads its
/// index's takedown list; a side index copied out of its index, or holding a takedown list of
/// its own (written through its path by an older verbatim), is refused rather than show what
/// its index took down.
#[test]
fn a_side_index_reached_by_any_path_reads_its_index_list_or_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, side) = build_with_words(dir.path(), "paths");
    take_down(&idx, "books/pride/2");
    let no = Index::open(&idx)
        .unwrap()
        .id_map()
        .unwrap()
        .get("books/pride/2")
        .unwrap();
    let link = dir.path().join("link-to-words");
    std::os::unix::fs::symlink(&side, &link).unwrap();
    let dotted = side.join("..").join("words");
    for path in [&link, &dotted] {
        let opened = Index::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(opened.is_taken_down(no), "{}", path.display());
        assert_eq!(
            opened.takedown_dir().canonicalize().unwrap(),
            idx.canonicalize().unwrap()
        );
        assert_eq!(
            Index::takedown_dir_for(path).canonicalize().unwrap(),
            idx.canonicalize().unwrap()
        );
    }

    // Copied out of its index: no list to read.
    let copy = dir.path().join("copy");
    let status = std::process::Command::new("cp")
        .args(["-r", side.to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let err = Index::open(&copy).err().expect("refused").to_string();
    assert!(err.contains("no index names"), "{err}");

    // A list of its own, as an older `verbatim takedown --index INDEX/side/words` wrote it.
    let opened = Index::open(&side).unwrap();
    let mut own = Takedown::default();
    own.insert(opened.doc_by_id_ignoring_takedowns("books/tale/1").unwrap());
    own.save(&side, opened.index_id()).unwrap();
    let err = Index::open(&side).err().expect("refused").to_string();
    assert!(
        err.contains("books/tale/1") && err.contains("takedown add --index"),
        "{err}"
    );
}
