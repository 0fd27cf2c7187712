//! Side indexes, the CLI (inputs, reports, interruption) and the HTTP route.

use super::*;

/// Documents whose text has no tokens (`blank`: whitespace only, skipped by the main index)
/// or whose normalisation is empty (`punct`: no ASCII letter or digit, empty in `alnum`).
fn awkward_docs(tag: &str, body: &str) -> Vec<(String, String)> {
    vec![
        (format!("{tag}-a"), join(&seq(0, 20))),
        (format!("{tag}-blank"), "   \n  \t ".to_string()),
        (
            format!("{tag}-punct"),
            "!!! ??? \u{4e2d}\u{6587} ...".to_string(),
        ),
        (format!("{tag}-fox"), body.to_string()),
        (format!("{tag}-b"), join(&seq(20, 40))),
    ]
}

/// Every side index numbers its documents as the main index does (a document the main index
/// skips is skipped, one whose normalisation is empty is kept, empty), also after an append,
/// so a side-index match names the right document.
#[test]
fn side_indexes_number_documents_as_the_main_index_does() {
    let dir = tempfile::tempdir().unwrap();
    let body = "Seven violet penguins recite the Gettysburg Address backwards to forty-two \
                astonished zebras under a quiet Antarctic moon.";
    let idx = build(dir.path(), &awkward_docs("x", body));
    let check = |expect_docs: u64, tag: &str| {
        let ix = Index::open(&idx).unwrap();
        assert_eq!(ix.manifest().documents, expect_docs);
        for n in [Normalization::Words, Normalization::Alnum] {
            let side = ix.side(n).unwrap();
            assert_eq!(side.manifest().documents, expect_docs, "{n:?}");
            for d in 0..expect_docs {
                let (main_loc, side_loc) = (ix.locate(d).unwrap(), side.locate(d).unwrap());
                assert_eq!(
                    ix.doc_record(main_loc).unwrap().id,
                    side.doc_record(side_loc).unwrap().id,
                    "{n:?} document {d}"
                );
            }
        }
        let copy = body.to_uppercase().replace(' ', "  ;");
        for m in [Method::Gpt4, Method::Substr50] {
            let r = run(&ix, m, 0, "g", &copy);
            assert_eq!(r.label, Label::Dirty, "{m:?}: {r:?}");
            let ids: Vec<&str> = r.examples.iter().map(|e| e.id.as_str()).collect();
            assert!(
                ids.contains(&format!("{tag}-fox").as_str()),
                "{m:?}: {ids:?}"
            );
            assert!(ids.iter().all(|i| i.ends_with("-fox")), "{m:?}: {ids:?}");
        }
        let r = run(&ix, Method::Gpt3, 0, "w", &join(&seq(20, 40)));
        assert_eq!(r.examples[0].id, "x-b", "{r:?}");
    };
    check(4, "x");
    // An append with the same kinds of documents.
    let more = support::write_jsonl(dir.path(), "more.jsonl", &awkward_docs("y", body));
    let mut o = BuildOptions::new(vec![more], idx.clone(), "");
    o.threads = 2;
    o.fulltext = false;
    o.append = true;
    verbatim_indexer::build(&o).expect("append succeeds");
    check(8, "x");
}

#[test]
fn missing_side_index_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_with(
        dir.path(),
        &docs(&[("a", "some text here".to_string())]),
        "bytes",
        false,
    );
    let ix = Index::open(&idx).unwrap();
    let err = Checker::new(&ix, CheckOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("--side-indexes words,alnum"), "{err}");
    // llama2 needs none.
    let opts = CheckOptions {
        methods: vec![Method::Llama2],
        ..CheckOptions::default()
    };
    assert!(Checker::new(&ix, opts).is_ok());
}

fn cli_index(dir: &Path) -> PathBuf {
    build(
        dir,
        &docs(&[
            ("book/a", join(&seq(0, 200))),
            ("book/b", join(&seq(1000, 1200))),
        ]),
    )
}

#[test]
fn cli_reads_jsonl_zst_and_csv_and_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    // JSONL.zst with a template over two fields; items grouped by `bench`.
    let mut jsonl = String::new();
    for i in 0..20 {
        let (q, bench) = if i % 2 == 0 {
            (join(&seq(10 * i, 10 * i + 20)), "alpha")
        } else {
            (join(&seq(5000 + 30 * i, 5000 + 30 * i + 20)), "beta")
        };
        jsonl.push_str(
            &serde_json::json!({"bench": bench, "id": format!("q{i}"), "question": q, "choices": ["w1", "w2"]})
                .to_string(),
        );
        jsonl.push('\n');
    }
    let zst = dir.path().join("items.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(jsonl.as_bytes(), 3).unwrap()).unwrap();
    let csv = dir.path().join("More.csv");
    std::fs::write(
        &csv,
        format!(
            "Question,Answer\n\"{}\",yes\n\"{}\",no\n",
            join(&seq(1000, 1030)),
            join(&seq(7000, 7030))
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let csv_out = dir.path().join("r.csv");
    let html = dir.path().join("r.html");
    let o = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&zst)
        .args(["--template", "{question} {choices}", "--out"])
        .arg(&out)
        .arg("--csv")
        .arg(&csv_out)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("gpt3") && stdout.contains("cpu s"),
        "{stdout}"
    );
    let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(rep["summary"]["items"], 20);
    assert_eq!(rep["summary"]["benchmarks"]["alpha"]["gpt3"]["dirty"], 10);
    assert_eq!(rep["summary"]["benchmarks"]["beta"]["gpt3"]["clean"], 10);
    assert_eq!(rep["summary"]["overall"]["palm"]["dirty"], 10);
    let item0 = &rep["items"][0];
    assert_eq!(item0["id"], "q0");
    assert_eq!(item0["methods"][0]["examples"][0]["id"], "book/a");
    let rows = std::fs::read_to_string(&csv_out).unwrap();
    assert_eq!(rows.lines().count(), 21);
    assert!(rows.starts_with("bench,id,words,worst,gpt3_score"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<table id=\"items\">") && page.contains("class=\"bar\""));
    assert!(
        !page.contains("src=\"http")
            && !page.contains("href=\"http")
            && !page.contains("src='http")
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());

    // CSV input with --field; the file name is the group.
    let o = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&csv)
        .args(["--field", "Question", "--method", "gpt3,llama2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(rep["methods"], serde_json::json!(["gpt3", "llama2"]));
    assert_eq!(rep["summary"]["benchmarks"]["More"]["gpt3"]["dirty"], 1);
    assert_eq!(rep["summary"]["benchmarks"]["More"]["llama2"]["dirty"], 1);
    assert_eq!(rep["items"][0]["id"], "1");
}

/// A CSV input with an unmatched quote is refused, naming the file and the line where the
/// quoted field starts (it took every following row into one item: "1 items checked").
#[test]
fn cli_refuses_a_csv_input_with_an_unclosed_quote() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let csv = dir.path().join("Bad.csv");
    std::fs::write(
        &csv,
        format!(
            "Question,Answer\n\"{},yes\n{},no\n",
            join(&seq(1000, 1030)),
            join(&seq(7000, 7030))
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let o = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&csv)
        .args(["--field", "Question", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "{}:2: a quoted field starts here and is never closed",
            csv.display()
        )),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn interrupted_run_leaves_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let mut jsonl = String::new();
    for i in 0..150_000usize {
        jsonl.push_str(&format!(
            "{{\"bench\":\"b\",\"id\":\"{i}\",\"text\":\"{}\"}}\n",
            join(&seq(i % 900, i % 900 + 40))
        ));
    }
    let input = dir.path().join("many.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    let out = dir.path().join("report.json");
    let mut child = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    if status.success() {
        // The run beat the signal: then the report is complete.
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(v["summary"]["items"], 150_000);
    } else {
        assert!(!out.exists(), "an interrupted run left {}", out.display());
    }
}

#[test]
fn http_route_checks_items_and_limits_their_number() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let srv = crate::server_api::Server::start(&idx, &[]);
    let items = serde_json::json!([
        {"id": "a", "text": join(&seq(10, 40)), "bench": "x"},
        {"id": "b", "text": join(&seq(7000, 7030))},
    ]);
    let (c, v) = srv.post(
        "/api/v1/contamination",
        serde_json::json!({"items": items, "methods": ["gpt3", "llama2", "substr50"]}),
    );
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["items"][0]["methods"][0]["label"], "dirty");
    assert_eq!(v["items"][1]["methods"][0]["label"], "clean");
    assert_eq!(v["summary"]["overall"]["llama2"]["dirty"], 1);
    // The library gives the same answer.
    let ix = Index::open(&idx).unwrap();
    let opts = CheckOptions {
        methods: vec![Method::Gpt3, Method::Llama2, Method::Substr50],
        ..CheckOptions::default()
    };
    let lib = Checker::new(&ix, opts)
        .unwrap()
        .check(&Item::new("a", join(&seq(10, 40)), "x"));
    assert_eq!(v["items"][0], serde_json::to_value(&lib).unwrap());
    // Over the item limit (1000 by default): 413 with the JSON error shape.
    let many: Vec<_> = (0..1001)
        .map(|i| serde_json::json!({"id": i.to_string(), "text": "w1 w2"}))
        .collect();
    let (c, v) = srv.post("/api/v1/contamination", serde_json::json!({"items": many}));
    assert_eq!(c, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_large");
    // Unknown method: 400.
    let (c, v) = srv.post(
        "/api/v1/contamination",
        serde_json::json!({"items": [{"id": "a", "text": "w1"}], "methods": ["bogus"]}),
    );
    assert_eq!(c, 400, "{v}");
}

/// `verbatim contamination --method gpt3` of one item (tokens 110 to 129, written in `dir`)
/// against `main` with the side index `side`, its report written to `out`.
fn gpt3_with_side_index(dir: &Path, main: &Path, side: &Path, out: &Path) -> std::process::Output {
    let items = support::write_jsonl(dir, "items.jsonl", &docs(&[("q", join(&seq(110, 130)))]));
    std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index"])
        .arg(main)
        .arg("--input")
        .arg(&items)
        .args(["--method", "gpt3", "--side-index"])
        .arg(side)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A side index given alone (`--side-index OTHER/side/words`) opens after its index grew by
/// an append or shrank to one shard by a compaction, which name its current manifest
/// `manifest-gN.bin` (it was refused: "not a verbatim index (no manifest.bin)").
#[test]
fn a_side_index_given_alone_opens_after_an_append_and_a_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let first = docs(&[("a", join(&seq(0, 40)))]);
    let second = docs(&[("b", join(&seq(100, 140)))]);
    let all: Vec<(String, String)> = first.iter().chain(&second).cloned().collect();
    let (main_dir, other_dir) = (dir.path().join("main"), dir.path().join("other"));
    std::fs::create_dir_all(&main_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let main = build(&main_dir, &all);
    let other = build_with(&other_dir, &first, "bytes", true);
    let more = support::write_jsonl(dir.path(), "more.jsonl", &second);
    let first_generation = std::fs::read(other.join("side/words/manifest.bin")).unwrap();
    let mut o = BuildOptions::new(vec![more], other.clone(), "");
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).unwrap();
    let words = other.join("side").join("words");
    assert!(
        !words.join("manifest.bin").exists(),
        "the append renames it"
    );
    let check = |stage: &str| {
        let alone = Index::open(&words).unwrap_or_else(|e| panic!("{stage}: {e}"));
        let whole = Index::open(&other).unwrap();
        let through_parent = whole.side(Normalization::Words).unwrap();
        assert_eq!(alone.build_id(), through_parent.build_id(), "{stage}");
        assert_eq!(alone.manifest().documents, 2, "{stage}");
        let out = dir.path().join(format!("{stage}.json"));
        let o = gpt3_with_side_index(dir.path(), &main, &words, &out);
        assert!(
            o.status.success(),
            "{stage}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(
            rep["items"][0]["methods"][0]["label"], "dirty",
            "{stage}: {rep}"
        );
    };
    check("appended");
    // A commit killed before it removed the old manifest: the parent's generation is read.
    std::fs::write(words.join("manifest.bin"), &first_generation).unwrap();
    check("appended, old manifest left");
    std::fs::remove_file(words.join("manifest.bin")).unwrap();
    verbatim_indexer::compact(&verbatim_indexer::CompactOptions::new(other.clone())).unwrap();
    check("compacted");
}

/// A side index of another corpus that happens to hold as many documents is refused, naming
/// a document whose id differs: its matches would have been reported against documents of
/// this index that do not hold them (`dirty`, with no example to show).
#[test]
fn a_side_index_of_another_corpus_with_as_many_documents_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (main_dir, other_dir) = (dir.path().join("main"), dir.path().join("other"));
    std::fs::create_dir_all(&main_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let main = build(
        &main_dir,
        &docs(&[("a", join(&seq(0, 40))), ("b", join(&seq(50, 90)))]),
    );
    // Built in two files (an append), so its input files do not pair up with the index's
    // one and the ids decide.
    let other = build_with(
        &other_dir,
        &docs(&[("a", join(&seq(0, 40)))]),
        "bytes",
        true,
    );
    let more = support::write_jsonl(
        dir.path(),
        "more.jsonl",
        &docs(&[("z", join(&seq(100, 140)))]),
    );
    let mut o = BuildOptions::new(vec![more], other.clone(), "");
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).unwrap();
    let words = other.join("side").join("words");
    let o = gpt3_with_side_index(dir.path(), &main, &words, &dir.path().join("r.json"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("document #1 `z`") && err.contains("names it `b`"),
        "{err}"
    );
    assert!(!dir.path().join("r.json").exists());
}

/// A side index built from the same file with its lines in another order has the same ids
/// (`FILE:LINE`) at the same numbers but other documents behind them: refused by the files'
/// sha256, where a taken-down document's text was shown under another document's id.
#[test]
fn a_side_index_of_the_same_file_reordered_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (main_dir, other_dir) = (dir.path().join("main"), dir.path().join("other"));
    std::fs::create_dir_all(&main_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let (x, y) = (join(&seq(0, 40)), join(&seq(50, 90)));
    let line = |t: &str| serde_json::json!({ "text": t }).to_string();
    std::fs::write(
        main_dir.join("t.jsonl"),
        format!("{}\n{}\n", line(&x), line(&y)),
    )
    .unwrap();
    std::fs::write(
        other_dir.join("t.jsonl"),
        format!("{}\n{}\n", line(&y), line(&x)),
    )
    .unwrap();
    let index = |d: &Path, tok: &str, side: bool| {
        let mut o = BuildOptions::new(vec![d.join("t.jsonl")], d.join("idx"), tok);
        o.threads = 2;
        if side {
            o.side_indexes = vec![Normalization::Words];
        }
        verbatim_indexer::build(&o).unwrap();
        d.join("idx")
    };
    let main = index(&main_dir, "bytes", false);
    let other = index(&other_dir, "bytes", true);
    let words = other.join("side").join("words");
    let o = gpt3_with_side_index(dir.path(), &main, &words, &dir.path().join("r.json"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("was not built from the input files of the index") && err.contains("sha256"),
        "{err}"
    );
}

/// Reports that cannot be written are refused before any item is checked (a typo in the
/// output folder cost a whole run, and `--out ok.json --html missing/r.html` wrote one
/// report and failed), and an unreadable input's reason is printed once.
#[test]
fn cli_refuses_unwritable_reports_first_and_names_each_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let items = support::write_jsonl(
        dir.path(),
        "items.jsonl",
        &docs(&[("q", join(&seq(0, 30)))]),
    );
    let ok = dir.path().join("ok.json");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(support::verbatim_bin())
            .args(["contamination", "--index"])
            .arg(&idx)
            .args(args)
            .output()
            .unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let missing = dir.path().join("missing").join("r.html");
    let err = run(&[
        "--input".as_ref(),
        items.as_os_str(),
        "--out".as_ref(),
        ok.as_os_str(),
        "--html".as_ref(),
        missing.as_os_str(),
    ]);
    assert!(
        err.contains("cannot write") && err.contains("missing"),
        "{err}"
    );
    assert!(!ok.exists(), "no report is written when another cannot be");
    let err = run(&[
        "--input".as_ref(),
        dir.path().join("absent.jsonl").as_os_str(),
        "--method".as_ref(),
        "llama2".as_ref(),
    ]);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    // Two reports, or a report and an input, named alike (the CSV overwrote the JSON).
    let twice = dir.path().join(".").join("ok.json");
    let err = run(&[
        "--input".as_ref(),
        items.as_os_str(),
        "--out".as_ref(),
        ok.as_os_str(),
        "--csv".as_ref(),
        twice.as_os_str(),
    ]);
    assert!(err.contains("named for two reports"), "{err}");
    let input_again = dir.path().join("missing").join("..").join("items.jsonl");
    std::fs::create_dir_all(dir.path().join("missing")).unwrap();
    let err = run(&[
        "--input".as_ref(),
        items.as_os_str(),
        "--html".as_ref(),
        input_again.as_os_str(),
    ]);
    assert!(err.contains("is an input"), "{err}");
    // A link and the file it names are one report's path too (a write follows the link).
    #[cfg(unix)]
    {
        let link = dir.path().join("link.json");
        std::fs::write(&ok, "keep").unwrap();
        std::os::unix::fs::symlink("ok.json", &link).unwrap();
        let err = run(&[
            "--input".as_ref(),
            items.as_os_str(),
            "--out".as_ref(),
            link.as_os_str(),
            "--csv".as_ref(),
            ok.as_os_str(),
        ]);
        assert!(err.contains("named for two reports"), "{err}");
        assert_eq!(std::fs::read_to_string(&ok).unwrap(), "keep");
        std::fs::remove_file(&ok).unwrap();
        // A FIFO (or a device such as /dev/null) takes two reports one after the other.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opened for reading and writing before the command runs (which does not wait
            // on Linux), so a reader is there for both of its opens and no read sees the
            // end of the pipe between them; a line written after the command exits ends it.
            const END: &str = "\nend of the test's read\n";
            let mut pipe = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&fifo)
                .unwrap();
            let reader = std::thread::spawn(move || {
                use std::io::Read;
                let (mut all, mut buf) = (Vec::new(), [0u8; 4096]);
                while !all.ends_with(END.as_bytes()) {
                    let n = pipe.read(&mut buf).unwrap();
                    all.extend_from_slice(&buf[..n]);
                }
                String::from_utf8(all).unwrap()
            });
            let o = std::process::Command::new(support::verbatim_bin())
                .args(["contamination", "--index"])
                .arg(&idx)
                .arg("--input")
                .arg(&items)
                .arg("--out")
                .arg(&fifo)
                .arg("--csv")
                .arg(&fifo)
                .args(["--method", "llama2"])
                .output()
                .unwrap();
            std::fs::write(&fifo, END).unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let both = reader.join().unwrap();
            assert!(both.contains('{') && both.contains("bench,id,"), "{both}");
            assert!(!std::fs::metadata(&fifo).unwrap().is_file());
        }
    }
    assert!(!ok.exists());
}
