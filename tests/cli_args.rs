//! The command line takes what a user types: sizes in any binary unit spelling, the index as
//! an argument or as `--index` on the commands that take one index, any one-token text as a
//! delimiter (a comma too), no delimiters at all, and it refuses an empty text to trace.

use crate::bad_input::index_bytes;
use crate::support;
use std::path::Path;
use std::process::{Command, Output};

fn verbatim(args: &[&str]) -> Output {
    Command::new(support::verbatim_bin())
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn refused(o: Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted; wanted {needle:?}");
    assert!(stderr.contains(needle), "wanted {needle:?} in: {stderr}");
}

/// A small index of the demo tokenizer, built through the command line.
fn small_index(dir: &Path) -> String {
    let docs = vec![
        (
            "a".to_string(),
            "It was the best of times, it was the worst of times.".to_string(),
        ),
        (
            "b".to_string(),
            "It was the age of wisdom, it was".to_string(),
        ),
        ("c".to_string(), "so the worst of times. It was".to_string()),
    ];
    let input = support::write_jsonl(dir, "c.jsonl", &docs);
    let out = dir.join("idx");
    let tok = support::demo_tokenizer();
    stdout_of(verbatim(&[
        "index",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--tokenizer",
        tok.to_str().unwrap(),
        "--max-memory",
        "1Gi",
        "--max-document-bytes",
        "1M",
    ]));
    out.display().to_string()
}

#[test]
fn sizes_take_every_binary_unit_spelling_and_bad_ones_name_the_units() {
    let dir = tempfile::tempdir().unwrap();
    // `1Gi` and `1M` above: the build succeeds.
    let index = small_index(dir.path());
    refused(
        verbatim(&["index", "--input", "x", "--out", "y", "--max-memory", "4Gx"]),
        "use K, M, G or T",
    );
    // The server's byte limits take units too (and are checked before anything is opened).
    refused(
        verbatim(&["serve", "--index", &index, "--max-text-bytes", "64Q"]),
        "use K, M, G or T",
    );
}

#[test]
fn commands_of_one_index_take_it_as_an_argument_or_as_index() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    for cmd in ["stats", "verify"] {
        let positional = stdout_of(verbatim(&[cmd, &index]));
        let flagged = stdout_of(verbatim(&[cmd, "--index", &index]));
        if cmd == "stats" {
            assert_eq!(positional, flagged);
        }
        refused(
            verbatim(&[cmd, &index, "--index", &index]),
            "cannot be used",
        );
        refused(verbatim(&[cmd]), "INDEX");
    }
}

#[test]
fn a_comma_can_be_a_delimiter_and_the_list_can_be_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    let spans_of = |text: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["spans", "--index", &index, "--text", text, "--json"];
        args.extend_from_slice(extra);
        let json: serde_json::Value = serde_json::from_str(&stdout_of(verbatim(&args))).unwrap();
        json["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap().to_string())
            .collect()
    };
    let spans =
        |extra: &[&str]| spans_of("it was the worst of times, it was the age of wisdom", extra);
    // By default (`.` and newline) a span runs across the comma.
    assert!(
        spans(&[]).iter().any(|s| s.contains(", it was")),
        "{:?}",
        spans(&[])
    );
    // With the comma a delimiter, a span may end with it but not hold it inside.
    let comma = spans(&["--delimiter", ","]);
    assert!(
        comma.iter().all(|s| !s.trim_end_matches(',').contains(',')),
        "{comma:?}"
    );
    assert!(comma.iter().any(|s| s.ends_with(',')), "{comma:?}");
    // Several delimiters, as repeated flags or as the older comma-separated list.
    assert_eq!(
        spans(&["--delimiters", ".,\\n"]),
        spans(&["--delimiter", ".", "--delimiter", "\\n"])
    );
    assert_ne!(
        spans(&["--delimiter", ",", "--delimiter", "."]),
        spans(&["--delimiter", "."])
    );
    // No delimiters at all: a span may hold a full stop.
    let text = "the worst of times. It was";
    assert!(spans_of(text, &[])
        .iter()
        .all(|s| !s.trim_end_matches('.').contains('.')));
    let undelimited = spans_of(text, &["--no-delimiters"]);
    assert!(
        undelimited.contains(&" worst of times. It was".to_string()),
        "{undelimited:?}"
    );
    refused(
        verbatim(&[
            "spans",
            "--index",
            &index,
            "--text",
            "x",
            "--no-delimiters",
            "--delimiter",
            ",",
        ]),
        "cannot be used",
    );
}

#[test]
fn an_empty_text_to_trace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    for cmd in ["spans", "trace"] {
        refused(
            verbatim(&[cmd, "--index", &index, "--text", ""]),
            "the text is empty",
        );
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "").unwrap();
        refused(
            verbatim(&[cmd, "--index", &index, "--file", empty.to_str().unwrap()]),
            "holds nothing",
        );
    }
}

#[test]
fn takedown_ids_come_from_a_file_or_standard_input_and_list_feeds_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let index = small_index(dir.path());
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "a\r\n\nb\n").unwrap();
    stdout_of(verbatim(&[
        "takedown",
        "add",
        "--index",
        &index,
        "--from-file",
        ids.to_str().unwrap(),
    ]));
    let listed = stdout_of(verbatim(&["takedown", "list", "--index", &index]));
    assert_eq!(listed, "a\nb\n");
    // One unknown id refuses the whole list: nothing more is taken down.
    let mut child = Command::new(support::verbatim_bin())
        .args([
            "takedown",
            "add",
            "--index",
            &index,
            "c",
            "--from-file",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"nonesuch\n")
        .unwrap();
    refused(
        child.wait_with_output().unwrap(),
        "no document with id \"nonesuch\"",
    );
    // The list, fed back through standard input, restores them all.
    let mut child = Command::new(support::verbatim_bin())
        .args(["takedown", "remove", "--index", &index, "--from-file", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(listed.as_bytes())
        .unwrap();
    let out = stdout_of(child.wait_with_output().unwrap());
    assert!(
        out.starts_with("2 document(s) restored; 0 taken down"),
        "{out}"
    );
    refused(
        verbatim(&["takedown", "add", "--index", &index]),
        "--from-file",
    );
}

/// An id holding a line break is listed as a JSON string, so that the list read back by
/// `--from-file` takes down that document, not the documents named by its pieces (it took
/// down `x` and `y` for `x\ny`, and left `x\ny` shown).
#[test]
fn a_listed_id_with_a_line_break_is_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let docs = [
        ("x", "first"),
        ("y", "second"),
        ("x\ny", "SECRET text"),
        ("\"q\"", "quoted"),
    ]
    .map(|(id, t)| (id.to_string(), t.to_string()));
    let input = support::write_jsonl(dir.path(), "d.jsonl", &docs);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        assert!(index_bytes(&input, out, &[]).status.success());
    }
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    stdout_of(verbatim(&[
        "takedown", "add", "--index", a, "x\ny", "\"q\"",
    ]));
    let listed = stdout_of(verbatim(&["takedown", "list", "--index", a]));
    assert_eq!(listed, "\"x\\ny\"\n\"\\\"q\\\"\"\n");
    let file = dir.path().join("list.txt");
    std::fs::write(&file, &listed).unwrap();
    let file = file.to_str().unwrap();
    stdout_of(verbatim(&[
        "takedown",
        "add",
        "--index",
        b,
        "--from-file",
        file,
    ]));
    assert_eq!(
        stdout_of(verbatim(&["takedown", "list", "--index", b])),
        listed
    );
}

/// A trace or spans option out of range is refused naming the flag given (`--density`), not
/// the API field it sets (`maximum_span_density`).
#[test]
fn out_of_range_trace_options_name_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "d.jsonl", &[("a".into(), "some text".into())]);
    let out = dir.path().join("idx");
    assert!(index_bytes(&input, &out, &[]).status.success());
    for (cmd, flag, value) in [
        ("trace", "--density", "0"),
        ("trace", "--docs-per-span", "0"),
        ("trace", "--long-context", "100000000"),
        ("trace", "--max-count", "0"),
        ("spans", "--min-len", "0"),
        ("spans", "--max-count", "0"),
    ] {
        let o = Command::new(support::verbatim_bin())
            .args([
                cmd,
                "--index",
                out.to_str().unwrap(),
                "--text",
                "some",
                flag,
                value,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{cmd} {flag} {value}");
        assert!(err.contains(flag), "{cmd} {flag} {value}: {err}");
    }
}
