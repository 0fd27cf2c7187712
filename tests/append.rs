//! Appends (new shards added atomically), their refusals, shards on other roots, and the
//! memory budget's refusal of a budget too small.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::Command;
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

fn docs(prefix: &str, n: usize, words: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let text: Vec<String> = (0..words)
                .map(|w| format!("{prefix}{}", (i * 31 + w * 7) % 997))
                .collect();
            (format!("{prefix}-{i}"), text.join(" "))
        })
        .collect()
}

fn opts(input: PathBuf, out: &Path, tokenizer: &str) -> BuildOptions {
    let mut o = BuildOptions::new(vec![input], out.to_path_buf(), tokenizer);
    o.threads = 2;
    o.max_document_bytes = 1 << 20;
    o
}

/// Options writing shards of at most 3,000 tokens spread over `roots` (`--shard-root`).
fn rooted(input: PathBuf, out: &Path, tokenizer: &str, roots: &[PathBuf]) -> BuildOptions {
    let mut o = opts(input, out, tokenizer);
    o.shard_roots = roots.to_vec();
    o.shard_max_tokens = 3000;
    o
}

fn append(input: PathBuf, out: &Path) -> verbatim_indexer::Result<verbatim_indexer::BuildSummary> {
    let mut o = opts(input, out, "");
    o.append = true;
    verbatim_indexer::build(&o)
}

#[test]
fn append_adds_shards_keeps_old_files_and_takedowns_work_across() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 20, 40));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 15, 40));
    verbatim_indexer::build(&opts(a, &out, "bytes")).unwrap();
    let shard0 = std::fs::read(out.join("shard-00000/sa.bin")).unwrap();
    let s = append(b, &out).unwrap();
    assert_eq!(s.manifest.generation, 1);
    assert_eq!(s.manifest.documents, 35);
    assert_eq!(
        std::fs::read(out.join("shard-00000/sa.bin")).unwrap(),
        shard0
    );
    // The previous generation's index-level files are gone; the new ones are named.
    assert!(!out.join("ids.fst").exists() && out.join("ids-g1.fst").exists());
    assert!(!out.join("fulltext").exists() && out.join("fulltext-g1").exists());
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    let loc = index.doc_by_id("beta-3").unwrap();
    assert_eq!(loc.doc_no, 23);
    assert!(!index
        .fulltext()
        .unwrap()
        .search("beta7", 0, 100)
        .unwrap()
        .hits
        .is_empty());
    // Take down one old and one new document with the CLI.
    let bin = support::verbatim_bin();
    let o = Command::new(&bin)
        .args(["takedown", "add", "--index"])
        .arg(&out)
        .args(["alpha-1", "beta-3"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = Index::open(&out).unwrap();
    assert!(index.doc_by_id("beta-3").is_none() && index.doc_by_id("alpha-1").is_none());
    assert!(index.is_taken_down(23) && index.is_taken_down(1));
}

/// infini-gram's metadata `path` of a document stays as the first build named it when an
/// append reads files from another folder (it is relative to each generation's inputs).
#[test]
fn an_append_from_another_folder_keeps_earlier_metadata_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let (old, new) = (dir.path().join("old/set"), dir.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    let a = support::write_jsonl(&old, "a.jsonl", &docs("alpha", 3, 10));
    let b = support::write_jsonl(&new, "b.jsonl", &docs("beta", 2, 10));
    verbatim_indexer::build(&opts(a, &out, "bytes")).unwrap();
    let before = Index::open(&out).unwrap().ig_metadata(0, 1);
    append(b, &out).unwrap();
    let index = Index::open(&out).unwrap();
    assert_eq!(index.ig_metadata(0, 1), before);
    assert!(
        before.starts_with(r#"{"path": "a.jsonl", "linenum": 1,"#),
        "{before}"
    );
    let appended = index.ig_metadata(1, 0);
    assert!(
        appended.starts_with(r#"{"path": "b.jsonl", "linenum": 0,"#),
        "{appended}"
    );
}

#[test]
fn append_refuses_known_ids_other_tokenizers_and_non_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 10, 20));
    verbatim_indexer::build(&opts(a.clone(), &out, "bytes")).unwrap();
    let before = std::fs::read(out.join("manifest.bin")).unwrap();

    let mut dup = docs("gamma", 3, 20);
    dup.push(("alpha-4".into(), "a new text under an old id".into()));
    let dup = support::write_jsonl(dir.path(), "dup.jsonl", &dup);
    let e = append(dup, &out).unwrap_err();
    assert!(
        matches!(e.root(), verbatim_indexer::Error::Refused(_)),
        "a typed refusal: {e:?}"
    );
    let err = format!("{e:#}");
    assert!(err.contains("\"alpha-4\" is already in the index"), "{err}");
    assert!(err.contains("dup.jsonl:4"), "{err}");

    let tok = support::word_tokenizer(dir.path(), 100);
    let mut o = opts(a.clone(), &out, tok.to_str().unwrap());
    o.append = true;
    let err = format!("{:#}", verbatim_indexer::build(&o).unwrap_err());
    assert!(err.contains("another tokenizer"), "{err}");

    let err = format!("{:#}", append(a, &dir.path().join("nothing")).unwrap_err());
    assert!(err.contains("not a verbatim index"), "{err}");

    // Nothing changed, and nothing was left behind.
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), before);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "fulltext",
            "ids.fst",
            "manifest.bin",
            "shard-00000",
            "sources.bin"
        ]
    );
    verbatim_core::verify::verify(&Index::open(&out).unwrap()).unwrap();
}

/// `kill -9` at several moments of an append: the index opens and verifies as before, and a
/// later append still works (the killed one's lock gone with its process, its leftovers
/// removed).
#[test]
fn a_killed_append_leaves_the_index_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 50, 50));
    let mut big = Vec::new();
    for i in 0..40 {
        big.extend(docs(&format!("k{i}x"), 200, 200));
    }
    let b = support::write_jsonl(dir.path(), "big.jsonl", &big);
    let mut o = opts(a, &out, "bytes");
    o.side_indexes = vec![verbatim_core::normalize::Normalization::Words];
    verbatim_indexer::build(&o).unwrap();
    let bin = support::verbatim_bin();
    let kills = support::kill_at_moments(
        &out,
        &[30, 150, 400, 900, 1600],
        || {
            let mut cmd = Command::new(&bin);
            cmd.args(["index", "--append", "--threads", "2", "--input"])
                .arg(&b)
                .arg("--out")
                .arg(&out);
            cmd
        },
        |index| assert_eq!(index.manifest().documents, 50),
    );
    let (killed_mid_way, completed) = (kills.killed_mid_way, kills.completed);
    assert!(
        killed_mid_way >= 2,
        "the append ended before it could be killed"
    );
    // A later append succeeds.
    let c = support::write_jsonl(dir.path(), "c.jsonl", &docs("gamma", 5, 30));
    let s = append(c, &out).unwrap();
    let before_c = if completed { 50 + big.len() as u64 } else { 50 };
    assert_eq!(s.manifest.documents, before_c + 5);
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(
        index
            .side(verbatim_core::normalize::Normalization::Words)
            .unwrap()
            .manifest()
            .documents,
        before_c + 5
    );
    assert!(!out.join(".verbatim-append.lock").exists());
    let shard_dirs = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("shard-")
        })
        .count();
    assert_eq!(
        shard_dirs,
        index.shards().len(),
        "leftover shard directories"
    );
}

#[test]
fn shards_can_live_under_other_roots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let roots = [dir.path().join("disk1"), dir.path().join("disk2")];
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 30, 40));
    let s = verbatim_indexer::build(&rooted(a, &out, "bytes", &roots)).unwrap();
    assert!(s.manifest.shards.len() >= 3);
    for (i, sh) in s.manifest.shards.iter().enumerate() {
        let p = Path::new(&sh.dir);
        assert!(p.is_absolute(), "{}", sh.dir);
        assert!(
            p.starts_with(roots[i % 2].canonicalize().unwrap()),
            "{}",
            sh.dir
        );
    }
    assert!(!out.join("shard-00000").exists());
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(
        index.count(&index.tokenizer().encode_ids("alpha").unwrap()),
        30 * 40
    );
    drop(index);
    // A root not mounted is said to be missing, not advised to be rebuilt.
    std::fs::rename(&roots[1], dir.path().join("unmounted")).unwrap();
    let e = Index::open(&out)
        .err()
        .expect("a shard is missing")
        .to_string();
    assert!(e.contains("is missing") && e.contains("mount"), "{e}");
    assert!(!e.contains("Rebuild"), "{e}");
}

/// Regression: with `--shard-root`, an append killed after it created its first shard
/// directory under a root left that directory behind, and the next append stopped on
/// "already exists". Appends now write into a folder of their own, and never delete under a
/// root: a copy of the index (same name, id and shard paths) appended to apart must not
/// remove or overwrite the original's new shards.
#[test]
fn appends_under_shard_roots_are_not_blocked_by_leftovers_nor_clash_with_copies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let roots = [dir.path().join("disk1"), dir.path().join("disk2")];
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 30, 40));
    let built = verbatim_indexer::build(&rooted(a, &out, "bytes", &roots)).unwrap();
    let next = built.manifest.shards.len();
    // What a killed append used to leave in the way: the next shards' directories, half
    // written, in the index's folder under each root.
    let mut leftovers = Vec::new();
    for (r, shard) in built.manifest.shards.iter().take(2).enumerate() {
        let folder = Path::new(&shard.dir).parent().unwrap().to_path_buf();
        for i in [next, next + 1] {
            if i % 2 == r {
                let d = folder.join(format!("shard-{i:05}"));
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join("tokens.bin"), b"half written").unwrap();
                leftovers.push(d);
            }
        }
    }
    let copy = dir.path().join("idx-copy");
    support::copy_dir(&out, &copy);

    let append_to = |index: &Path, prefix: &str| {
        let b = support::write_jsonl(
            dir.path(),
            &format!("{prefix}.jsonl"),
            &docs(prefix, 30, 40),
        );
        let mut o = rooted(b, index, "", &roots);
        o.append = true;
        verbatim_indexer::build(&o).expect("an append under shard roots succeeds")
    };
    let appended = append_to(&out, "beta");
    assert!(appended.manifest.shards.len() >= next + 2);
    let copied = append_to(&copy, "gamma");
    for (index, word) in [(&out, "beta"), (&copy, "gamma")] {
        let ix = Index::open(index).unwrap();
        verbatim_core::verify::verify(&ix).unwrap();
        let count = |w: &str| ix.count(&ix.tokenizer().encode_ids(w).unwrap());
        assert_eq!(count(word), 30 * 40, "{}", index.display());
        assert_eq!(count("alpha"), 30 * 40, "{}", index.display());
    }
    let original: Vec<&str> = appended.manifest.shards[next..]
        .iter()
        .map(|s| s.dir.as_str())
        .collect();
    assert!(copied.manifest.shards[next..]
        .iter()
        .all(|s| !original.contains(&s.dir.as_str())));
    for d in &leftovers {
        assert_eq!(
            std::fs::read(d.join("tokens.bin")).unwrap(),
            b"half written"
        );
    }
}

#[test]
fn a_budget_too_small_is_refused_naming_the_smallest_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 3, 10));
    let out = dir.path().join("idx");
    let bin = support::verbatim_bin();
    let o = Command::new(&bin)
        .args([
            "index",
            "--tokenizer",
            "bytes",
            "--max-memory",
            "64M",
            "--input",
        ])
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--max-memory 64.0M (67108864 bytes) is too small"),
        "{err}"
    );
    let smallest = err
        .split("pass --max-memory ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("names a size")
        .to_string();
    assert!(!out.exists());
    let o = Command::new(&bin)
        .args([
            "index",
            "--tokenizer",
            "bytes",
            "--max-memory",
            &smallest,
            "--input",
        ])
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The full-text directory holds only the segments its meta.json lists (merged-away segments
/// are removed), after a build and after an append.
#[test]
fn full_text_directories_hold_no_merged_away_segments() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 300, 60));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 300, 60));
    verbatim_indexer::build(&opts(a, &out, "bytes")).unwrap();
    let check = |ft: &Path| {
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(ft.join("meta.json")).unwrap()).unwrap();
        let listed: std::collections::BTreeSet<String> = meta["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
            .collect();
        for e in std::fs::read_dir(ft).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let stem = name.split('.').next().unwrap().to_string();
            if stem.len() == 32 {
                assert!(
                    listed.contains(&stem),
                    "{name} in {} is not a listed segment",
                    ft.display()
                );
            }
        }
    };
    check(&out.join("fulltext"));
    append(b, &out).unwrap();
    check(&out.join("fulltext-g1"));
}

/// An append runs only while no other holds the index's lock, whatever process id the lock
/// file names: a file naming a live process (here 1, always alive, as a reused id would be)
/// does not block, a lock held by a running process does, until it is released.
#[test]
fn the_append_lock_is_held_by_the_running_append_not_by_a_process_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 5, 30));
    verbatim_indexer::build(&opts(a, &out, "bytes")).unwrap();
    let lock_path = out.join(".verbatim-append.lock");
    std::fs::write(&lock_path, "1").unwrap();
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 5, 30));
    assert_eq!(append(b, &out).unwrap().manifest.documents, 10);
    // Held (as a running append holds it): refused, naming what to do.
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    held.lock().unwrap();
    let c = support::write_jsonl(dir.path(), "c.jsonl", &docs("gamma", 5, 30));
    let e = append(c.clone(), &out).expect_err("locked");
    assert!(e.to_string().contains("another append"), "{e}");
    assert_eq!(Index::open(&out).unwrap().manifest().documents, 10);
    drop(held);
    assert_eq!(append(c, &out).unwrap().manifest.documents, 15);
}

/// Options an append cannot honour (the index keeps its name, full-text setting and side
/// indexes; --force and --part are not appends) are refused at parsing, not silently
/// ignored; the library refuses those it can tell apart. Nothing is changed.
#[test]
fn append_refuses_the_options_it_would_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 5, 20));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 5, 20));
    verbatim_indexer::build(&opts(a, &out, "bytes")).unwrap();
    let before = std::fs::read(out.join("manifest.bin")).unwrap();
    for extra in [
        &["--side-indexes", "words,alnum"][..],
        &["--name", "renamed"],
        &["--no-fulltext"],
        &["--force"],
        &["--part", "0"],
    ] {
        let o = Command::new(support::verbatim_bin())
            .args(["index", "--append", "--input"])
            .arg(&b)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("cannot be used with"),
            "{extra:?}: {stderr}"
        );
        assert!(stderr.contains(extra[0]), "{extra:?}: {stderr}");
    }
    type Setter = (&'static str, fn(&mut BuildOptions));
    let setters: [Setter; 5] = [
        ("side indexes", |o| {
            o.side_indexes =
                vec![verbatim_core::normalize::Normalization::from_name("words").unwrap()]
        }),
        ("no full-text", |o| o.fulltext = false),
        ("force", |o| o.force = true),
        ("part", |o| o.part = Some(0)),
        ("--max-document-bytes", |o| o.max_document_bytes = 1000),
    ];
    for (what, set) in setters {
        let mut o = opts(b.clone(), &out, "");
        o.append = true;
        set(&mut o);
        let e = verbatim_indexer::build(&o).unwrap_err();
        assert!(
            matches!(e.root(), verbatim_indexer::Error::Refused(_)),
            "{what}: {e}"
        );
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), before);
}

/// Input without ids gets ids derived from its file path and line; an append of a file with
/// the same relative path repeats them, and is refused (an append renames no id) with a
/// message that says the ids were derived and what avoids it. A file at another path appends.
#[test]
fn an_append_of_id_less_input_says_the_repeated_id_was_derived() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("noid1"), dir.path().join("noid2"));
    std::fs::create_dir_all(two.join("more")).unwrap();
    std::fs::create_dir_all(&one).unwrap();
    std::fs::write(one.join("a.jsonl"), "{\"text\":\"first\"}\n").unwrap();
    std::fs::write(two.join("a.jsonl"), "{\"text\":\"second\"}\n").unwrap();
    let out = dir.path().join("idx");
    verbatim_indexer::build(&opts(one, &out, "bytes")).unwrap();
    let e = append(two.clone(), &out).unwrap_err();
    assert!(
        matches!(e.root(), verbatim_indexer::Error::Refused(_)),
        "{e:?}"
    );
    let msg = e.to_string();
    for part in [
        "\"a.jsonl:1\"",
        "no \"id\" field",
        "derived from the file's path and the line",
        "--id-field",
        "paths the index does not have",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    // Ids the input gave keep the short message.
    std::fs::write(
        two.join("a.jsonl"),
        "{\"id\":\"a.jsonl:1\",\"text\":\"x\"}\n",
    )
    .unwrap();
    let msg = append(two.clone(), &out).unwrap_err().to_string();
    assert!(
        msg.contains("already in the index") && !msg.contains("derived"),
        "{msg}"
    );
    // Another relative path: another id, appended.
    std::fs::remove_file(two.join("a.jsonl")).unwrap();
    std::fs::write(two.join("more/a.jsonl"), "{\"text\":\"second\"}\n").unwrap();
    assert_eq!(append(two, &out).unwrap().manifest.documents, 2);
    let index = Index::open(&out).unwrap();
    assert!(index.doc_by_id("more/a.jsonl:1").is_some());
}

/// Keyword search ranks hits of equal score by document number, so an index grown by appends
/// answers as the index built at once does whatever the limit and offset (tantivy's own order
/// among equal scores is its segments'; a review saw `tok*` with limit 1 give another hit
/// after an append).
#[test]
fn equal_scores_rank_in_document_order_after_appends() {
    let dir = tempfile::tempdir().unwrap();
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 20, 40));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 15, 40));
    let c = support::write_jsonl(dir.path(), "c.jsonl", &docs("gamma", 10, 30));
    let once = dir.path().join("once");
    let mut o = opts(a.clone(), &once, "bytes");
    o.inputs = vec![a.clone(), b.clone(), c.clone()];
    verbatim_indexer::build(&o).unwrap();
    let grown = dir.path().join("grown");
    verbatim_indexer::build(&opts(a, &grown, "bytes")).unwrap();
    append(b, &grown).unwrap();
    append(c, &grown).unwrap();
    let (once, grown) = (Index::open(&once).unwrap(), Index::open(&grown).unwrap());
    for q in [
        "alpha*",
        "gamma*",
        "*",
        "NOT beta7",
        "alpha1* OR gamma2*",
        "beta1* OR gamma*",
        // Scored by BM25: the top-k path with no tie at the cut.
        "alpha7 OR alpha38 OR alpha69 OR gamma7 OR gamma38 OR beta7 OR beta38 OR beta69",
    ] {
        let all = once.fulltext().unwrap().search(q, 0, 100).unwrap().hits;
        assert!(all.len() > 3, "{q}: {}", all.len());
        for w in all.windows(2) {
            assert!(
                w[0].score > w[1].score || (w[0].score == w[1].score && w[0].doc_no < w[1].doc_no),
                "{q}: {w:?}"
            );
        }
        for (offset, limit) in [(0, 1), (0, 3), (2, 5), (0, 100)] {
            let hits = |ix: &Index| -> Vec<u64> {
                let h = ix
                    .fulltext()
                    .unwrap()
                    .search(q, offset, limit)
                    .unwrap()
                    .hits;
                h.iter().map(|h| h.doc_no).collect()
            };
            assert_eq!(hits(&once), hits(&grown), "{q} at {offset}+{limit}");
        }
    }
}

/// An append reads its files with the fields the index was built with and keeps its document
/// size limit and shard size, unless told otherwise (a review saw an append of an index built
/// with `--id-field doc_id --text-field body --max-document-bytes 1000` read `id` and `text`,
/// keep documents over 1000 bytes and cut one large shard, all silently).
#[test]
fn an_append_keeps_the_options_the_index_was_built_with() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    let write = |name: &str, prefix: &str| {
        let mut text = String::new();
        for i in 0..4 {
            // Documents 0 and 1 are short, 2 and 3 over the 1000-byte limit.
            let body = format!("{prefix} body {i} ").repeat(if i < 2 { 3 } else { 100 });
            text.push_str(
                &serde_json::json!({"doc_id": format!("{prefix}{i}"), "id": format!("other{prefix}{i}"),
                    "body": body, "text": "plain text"})
                .to_string(),
            );
            text.push('\n');
        }
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (a, b) = (write("a.jsonl", "A"), write("b.jsonl", "B"));
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(support::verbatim_bin())
            .arg("index")
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--input".as_ref(),
        a.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--tokenizer".as_ref(),
        "bytes".as_ref(),
        "--id-field".as_ref(),
        "doc_id".as_ref(),
        "--text-field".as_ref(),
        "body".as_ref(),
        "--max-document-bytes".as_ref(),
        "1000".as_ref(),
        "--shard-max-tokens".as_ref(),
        "300".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let append = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "--append".as_ref(),
            "--input".as_ref(),
            b.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        args.extend(extra.iter().map(|e| std::ffi::OsStr::new(*e)));
        run(&args)
    };
    // Another document limit would hold documents one build of both files skips.
    let o = append(&["--max-document-bytes", "64M"]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--max-document-bytes") && e.contains("1000"),
        "{e}"
    );
    let o = append(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = Index::open(&out).unwrap();
    let m = index.manifest();
    // Two short documents of each file: the long ones are skipped, as by one build.
    assert_eq!(m.documents, 4, "{m:?}");
    assert!(m.shards.iter().all(|s| s.tokens <= 300), "{:?}", m.shards);
    for id in ["A0", "A1", "B0", "B1"] {
        let loc = index
            .doc_by_id(id)
            .unwrap_or_else(|| panic!("{id} is found by doc_id"));
        assert!(index.doc_text(loc).contains("body"), "{id} holds its body");
    }
    assert!(index.doc_by_id("otherB0").is_none());
}

/// An append reads the id map, the source sets and the full-text segments into the next
/// generation: a damaged one is refused, and the index is left as it was, still failing its
/// check. (The append wrote the damage into a new generation under fresh checksums, and the
/// index then passed `serve`'s check while its id map named the wrong documents.)
#[test]
fn an_append_refuses_damaged_files_it_would_carry_over() {
    let dir = tempfile::tempdir().unwrap();
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("alpha", 200, 40));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("beta", 5, 40));
    let built = dir.path().join("built");
    let mut o = opts(a, &built, "bytes");
    let sourced = dir.path().join("src.jsonl");
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"id": "g-{i}", "text": "gamma {i} text", "source": "s{}"}}"#,
                i % 7
            )
        })
        .collect();
    std::fs::write(&sourced, lines.join("\n")).unwrap();
    o.inputs.push(sourced);
    verbatim_indexer::build(&o).unwrap();
    let segment = std::fs::read_dir(built.join("fulltext"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a segment's .idx file");
    let segment = segment.file_name().unwrap().to_str().unwrap().to_string();
    for file in ["ids.fst", "sources.bin", &format!("fulltext/{segment}")] {
        let out = dir.path().join(format!("idx-{}", file.replace('/', "-")));
        support::copy_dir(&built, &out);
        let path = out.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2 + 8;
        bytes[at] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        let manifest = std::fs::read(out.join("manifest.bin")).unwrap();
        let err = append(b.clone(), &out).unwrap_err().to_string();
        assert!(err.contains("is damaged"), "{file}: {err}");
        assert!(
            err.contains(file.rsplit('/').next().unwrap()),
            "{file}: {err}"
        );
        assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), manifest);
        assert!(Index::open(&out).is_err(), "{file}: the damage went unseen");
    }
}
