//! `verbatim assemble` takes parts in part order, each once: the assembled index then numbers
//! its documents as a one-shot build of the same files does, and anything else is refused
//! with the part numbers given and the one missing.

use crate::support;
use std::path::Path;
use std::process::{Command, Output};

fn verbatim(args: &[&str]) -> Output {
    Command::new(support::verbatim_bin())
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn refused(o: Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted; wanted {needle:?}");
    assert!(stderr.contains(needle), "wanted {needle:?} in: {stderr}");
}

fn ids_in_order(dir: &Path) -> Vec<String> {
    let index = verbatim_core::Index::open(dir).unwrap();
    (0..index.manifest().documents)
        .map(|no| index.doc_record(index.locate(no).unwrap()).unwrap().id)
        .collect()
}

#[test]
fn parts_out_of_order_missing_or_repeated_are_refused_and_in_order_equal_one_build() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let mut files = Vec::new();
    for k in 0..3 {
        let docs: Vec<(String, String)> = (0..2)
            .map(|d| (format!("p{k}d{d}"), format!("text {k} {d} of part {k}")))
            .collect();
        let f = support::write_jsonl(dir.path(), &format!("c{k}.jsonl"), &docs);
        ok(verbatim(&[
            "index",
            "-i",
            f.to_str().unwrap(),
            "-o",
            &p(&format!("p{k}")),
            "-t",
            "bytes",
            "--part",
            &k.to_string(),
        ]));
        files.push(f);
    }
    ok(verbatim(&[
        "index",
        "-i",
        files[0].to_str().unwrap(),
        "-o",
        &p("whole"),
        "-t",
        "bytes",
    ]));
    let assemble = |parts: &[&str]| {
        let mut args = vec!["assemble".to_string(), "--out".into(), p("ix")];
        args.extend(parts.iter().map(|s| p(s)));
        verbatim(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    refused(assemble(&["p0", "p2"]), "part 1 is missing");
    refused(assemble(&["p1", "p2"]), "part 0 is missing");
    refused(assemble(&["p0", "p0"]), "part 0 is given twice");
    // A repeat is named as one, not as a part nobody gave missing ("part 2 is missing").
    refused(assemble(&["p0", "p0", "p1"]), "part 0 is given twice");
    refused(assemble(&["p0", "p1", "p1"]), "part 1 is given twice");
    refused(assemble(&["p1", "p0", "p0"]), "part 0 is given twice");
    refused(assemble(&["p1", "p1"]), "part 1 is given twice");
    refused(
        assemble(&["p1", "p0", "p2"]),
        "numbered 1, 0, 2 in this order",
    );
    refused(
        assemble(&["p0", "whole"]),
        "was not built as a part (--part K)",
    );
    // A part damaged on its way (a byte of its token stream flipped, its checksum stale) is
    // refused before anything is linked: it was assembled into an index that failed `verify`.
    let tokens = dir.path().join("p1/shard-00000/tokens.bin");
    let good = std::fs::read(&tokens).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    std::fs::write(&tokens, &bad).unwrap();
    refused(assemble(&["p0", "p1", "p2"]), "tokens.bin");
    std::fs::write(&tokens, &good).unwrap();
    assert!(
        !dir.path().join("ix").exists(),
        "a refused assemble wrote an index"
    );

    // Parts built without --parts: assembled, with a warning that a missing last part (here
    // none) could not be seen.
    let o = ok(assemble(&["p0", "p1", "p2"]));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("a missing last part cannot be seen: this index holds parts 0 to 2 only"),
        "{stderr}"
    );
    let joined = dir.path().join("joined");
    std::fs::create_dir(&joined).unwrap();
    for f in &files {
        std::fs::copy(f, joined.join(f.file_name().unwrap())).unwrap();
    }
    ok(verbatim(&[
        "index",
        "-i",
        joined.to_str().unwrap(),
        "-o",
        &p("one"),
        "-t",
        "bytes",
    ]));
    assert_eq!(
        ids_in_order(&dir.path().join("ix")),
        ids_in_order(&dir.path().join("one"))
    );
    let m = verbatim_core::Index::open(&dir.path().join("ix")).unwrap();
    assert_eq!(
        m.manifest().options.part,
        None,
        "the assembled index is not a part"
    );
}

/// Parts built with `--parts N` record how many there are, so a missing last part, which
/// parts without it cannot show, is refused too; the count is checked when the parts are built.
#[test]
fn parts_that_record_their_count_refuse_an_assembly_without_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let part = |k: u32, n: u32, name: &str| {
        let docs = vec![(format!("{name}d"), format!("text of part {k} of {n}"))];
        let f = support::write_jsonl(dir.path(), &format!("{name}.jsonl"), &docs);
        verbatim(&[
            "index",
            "-i",
            f.to_str().unwrap(),
            "-o",
            &p(name),
            "-t",
            "bytes",
            "--part",
            &k.to_string(),
            "--parts",
            &n.to_string(),
        ])
    };
    for k in 0..3 {
        ok(part(k, 3, &format!("p{k}")));
    }
    ok(part(2, 4, "other2"));
    refused(part(3, 3, "p3"), "--part 3 is not among the 3 parts");
    refused(part(0, 0, "none"), "at least 1");
    let assemble = |parts: &[&str]| {
        let mut args = vec!["assemble".to_string(), "--out".into(), p("ix")];
        args.extend(parts.iter().map(|s| p(s)));
        verbatim(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    refused(
        assemble(&["p0", "p1"]),
        "but 2 are given: part 2 is missing",
    );
    refused(assemble(&["p0", "p2"]), "part 1 is missing");
    refused(
        assemble(&["p0", "p1", "other2"]),
        "they belong to different builds",
    );
    ok(assemble(&["p0", "p1", "p2"]));
    let m = verbatim_core::Index::open(&dir.path().join("ix")).unwrap();
    assert_eq!(
        m.manifest().options.parts,
        None,
        "the assembled index is not a part"
    );
    assert_eq!(m.manifest().documents, 3);
}
