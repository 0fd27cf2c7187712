//! `verbatim index --skip-log FILE`: every skipped document written to FILE, while the summary
//! lists the first 20 and says how many more there are.

use crate::bad_input::{index_bytes, index_bytes_ok};
use std::path::Path;

/// A corpus of 30 good documents, 15 lines that are not JSON and 10 empty texts, with the
/// line number of each bad line and its reason.
fn write_mixed_corpus(path: &Path) -> Vec<(usize, &'static str)> {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for i in 0..30 {
        lines.push(
            serde_json::json!({"id": format!("d{i}"), "text": format!("good text {i}")})
                .to_string(),
        );
        if i % 2 == 0 {
            lines.push("not json {".to_string());
            bad.push((lines.len(), "malformed_json"));
        }
        if i % 3 == 0 {
            lines.push(serde_json::json!({"id": format!("e{i}"), "text": ""}).to_string());
            bad.push((lines.len(), "empty_document"));
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    bad
}

/// The log's entries as (line, reason), each checked to count one document and to name its
/// file and line.
fn read_log(log: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["documents"], 1, "{l}");
            let message = v["message"].as_str().unwrap();
            let line = message
                .split_once("c.jsonl:")
                .and_then(|(_, m)| m.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no c.jsonl:LINE in {message}"));
            (line, v["reason"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn every_skip_is_in_the_log_and_the_summary_says_how_many_it_does_not_list() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    let bad = write_mixed_corpus(&corpus);
    assert_eq!(bad.len(), 25);

    // Without a log: 20 listed, the other 5 counted, and the flag named.
    let o = index_bytes_ok(&corpus, &dir.path().join("a"), &["--no-fulltext"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("30 indexed, 25 skipped"), "{out}");
    assert!(
        out.contains("... and 5 more skipped document(s) not listed here; --skip-log FILE"),
        "{out}"
    );

    // With one: every bad line, in input order, with its reason; the summary points at it.
    let log = dir.path().join("skips.jsonl");
    std::fs::write(&log, "left from an earlier run\n").unwrap();
    let o = index_bytes_ok(
        &corpus,
        &dir.path().join("b"),
        &["--no-fulltext", "--skip-log", log.to_str().unwrap()],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "and 5 more skipped document(s) not listed here; every skip is in {}",
            log.display()
        )),
        "{out}"
    );
    let expected: Vec<(usize, String)> = bad.iter().map(|&(l, r)| (l, r.to_string())).collect();
    assert_eq!(read_log(&log), expected);
}

#[test]
fn an_append_logs_its_own_skips() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    std::fs::write(&first, "{\"id\": \"a\", \"text\": \"alpha\"}\nnot json\n").unwrap();
    let index = dir.path().join("idx");
    index_bytes_ok(&first, &index, &["--no-fulltext"]);
    let more = dir.path().join("c.jsonl");
    std::fs::write(
        &more,
        "{\"id\": \"b\", \"text\": \"\"}\n{\"id\": \"c\", \"text\": \"gamma\"}\n",
    )
    .unwrap();
    let log = dir.path().join("append-skips.jsonl");
    let o = std::process::Command::new(crate::support::verbatim_bin())
        .args([
            "index",
            "--append",
            "--input",
            more.to_str().unwrap(),
            "--out",
            index.to_str().unwrap(),
            "--skip-log",
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read_log(&log), vec![(1, "empty_document".to_string())]);
    // An append that skips nothing does not point at its (empty) log, though the index's
    // earlier build skipped a line.
    let clean = dir.path().join("clean.jsonl");
    std::fs::write(&clean, "{\"id\": \"d\", \"text\": \"delta\"}\n").unwrap();
    let o = std::process::Command::new(crate::support::verbatim_bin())
        .args(["index", "--append", "--input"])
        .arg(&clean)
        .arg("--out")
        .arg(&index)
        .arg("--skip-log")
        .arg(&log)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && !out.contains("every skip is in"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "");
}

#[test]
fn a_skip_log_that_would_overwrite_an_input_or_sit_inside_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_mixed_corpus(&corpus);
    let before = std::fs::read(&corpus).unwrap();
    let out = dir.path().join("idx");
    let o = index_bytes(&corpus, &out, &["--skip-log", corpus.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("would overwrite it"), "{err}");
    assert_eq!(
        std::fs::read(&corpus).unwrap(),
        before,
        "the input is untouched"
    );
    assert!(!out.exists());

    let inside = out.join("skips.jsonl");
    let o = index_bytes(&corpus, &out, &["--skip-log", inside.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("inside --out"), "{err}");

    let missing = dir.path().join("no-such-dir").join("skips.jsonl");
    let o = index_bytes(&corpus, &out, &["--skip-log", missing.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("cannot be written"), "{err}");
    assert!(!out.exists(), "no half-written index");

    // A hard link to an input is the input: refused (it was emptied before being read).
    #[cfg(unix)]
    {
        let link = dir.path().join("link.jsonl");
        std::fs::hard_link(&corpus, &link).unwrap();
        let o = index_bytes(&corpus, &out, &["--skip-log", link.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("would overwrite it"), "{err}");
        assert_eq!(
            std::fs::read(&corpus).unwrap(),
            before,
            "the input is untouched"
        );
    }

    // Inside an input directory, the next build would read it as a document.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(&corpus, folder.join("c.jsonl")).unwrap();
    let o = index_bytes(
        &folder,
        &out,
        &["--skip-log", folder.join("skips.jsonl").to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("inside the input directory"), "{err}");
    assert!(!folder.join("skips.jsonl").exists() && !out.exists());
}

/// The log replaces the previous one only once every input has been read: a build stopped
/// by `--strict` keeps it (it was emptied), and no temporary file is left.
#[test]
fn a_build_stopped_while_reading_keeps_the_previous_log() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_mixed_corpus(&corpus);
    let log = dir.path().join("skips.jsonl");
    std::fs::write(&log, "the previous log\n").unwrap();
    let o = index_bytes(
        &corpus,
        &dir.path().join("idx"),
        &["--strict", "--skip-log", log.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "the previous log\n");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!left.iter().any(|n| n.ends_with(".partial")), "{left:?}");
}
