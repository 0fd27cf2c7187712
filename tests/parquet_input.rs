//! Parquet input (issue 15): files written here with the Rust Arrow writer in every common
//! compression, with dictionary, large-string and view columns, nulls and non-string values,
//! in HuggingFace, Spark and Hive layouts, index to the same documents as the same rows in
//! JSONL; bad files are counted and named, or fatal with `--strict`; benchmark files in
//! Parquet give the same contamination report as in JSONL.

use crate::support;
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, DictionaryArray, Float64Array, Int32Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, StringViewArray,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use verbatim_core::Index;

/// Writes `columns` as one Parquet file (creating its folder), `rows_per_group` rows a row
/// group.
fn write_parquet(
    path: &Path,
    columns: Vec<(&str, ArrayRef)>,
    compression: Compression,
    dictionary: bool,
    rows_per_group: usize,
) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(dictionary)
        .set_max_row_group_row_count(Some(rows_per_group))
        .set_data_page_row_count_limit(3)
        .build();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// One test document: id, source, text, optional title, year, score.
struct Doc {
    id: String,
    source: String,
    text: String,
    title: Option<String>,
    year: i64,
    score: f64,
}

fn corpus(n: usize) -> Vec<Doc> {
    (0..n)
        .map(|i| Doc {
            id: format!("doc-{i:03}"),
            source: format!("src{}", i % 3),
            text: format!(
                "Document {i} says: the quick brown fox {} jumps over {} lazy dogs. Ünïcödé {}",
                "very ".repeat(i % 5),
                i * 7,
                "ok ".repeat(i % 11)
            ),
            title: (i % 4 == 0).then(|| format!("Title {i}")),
            year: 1900 + i as i64,
            score: i as f64 * 0.5,
        })
        .collect()
}

fn write_jsonl(path: &Path, docs: &[Doc]) {
    let mut out = String::new();
    for d in docs {
        let mut v = serde_json::json!({"id": d.id, "source": d.source, "text": d.text,
            "year": d.year, "score": d.score});
        if let Some(t) = &d.title {
            v["title"] = t.clone().into();
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

/// Every document of an index in order: its record (as JSON) and its tokens.
fn documents(dir: &Path) -> Vec<(serde_json::Value, Vec<u32>)> {
    let index = Index::open(dir).unwrap();
    (0..index.manifest().documents)
        .map(|n| {
            let loc = index.locate(n).unwrap();
            let rec = serde_json::to_value(index.doc_record(loc).unwrap()).unwrap();
            (rec, index.doc_tokens(loc))
        })
        .collect()
}

fn index_cmd(args: &[&str]) -> std::process::Output {
    Command::new(support::verbatim_bin())
        .arg("index")
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn parquet_in_every_compression_and_layout_indexes_like_the_same_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let docs = corpus(75);
    let parts: Vec<&[Doc]> = docs.chunks(15).collect();
    let variants = [
        (Compression::SNAPPY, true, 4),
        (Compression::ZSTD(ZstdLevel::try_new(3).unwrap()), false, 6),
        (Compression::GZIP(GzipLevel::default()), true, 100),
        (Compression::LZ4_RAW, true, 5),
        (Compression::UNCOMPRESSED, false, 2),
    ];
    for (k, (part, (codec, dict, rows))) in parts.iter().zip(variants).enumerate() {
        write_jsonl(&dir.path().join(format!("jsonl/part-{k}.jsonl")), part);
        let texts = part.iter().map(|d| d.text.as_str());
        // Every layout a text column comes in: string, large string, string view; the source
        // as an Arrow dictionary column in some files.
        let text: ArrayRef = match k % 3 {
            0 => Arc::new(StringArray::from_iter_values(texts)),
            1 => Arc::new(LargeStringArray::from_iter_values(texts)),
            _ => Arc::new(StringViewArray::from_iter_values(texts)),
        };
        let source: ArrayRef = if k % 2 == 0 {
            let d: DictionaryArray<Int32Type> = part.iter().map(|d| d.source.as_str()).collect();
            Arc::new(d)
        } else {
            Arc::new(StringArray::from_iter_values(
                part.iter().map(|d| d.source.as_str()),
            ))
        };
        let mut choices = ListBuilder::new(StringBuilder::new());
        for d in part.iter() {
            choices.append_value([Some(d.id.clone()), None]);
        }
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "id",
                Arc::new(StringArray::from_iter_values(part.iter().map(|d| &d.id))),
            ),
            ("source", source),
            ("text", text),
            (
                "title",
                Arc::new(StringArray::from_iter(part.iter().map(|d| d.title.clone()))),
            ),
            (
                "year",
                Arc::new(Int64Array::from_iter_values(part.iter().map(|d| d.year))),
            ),
            (
                "score",
                Arc::new(Float64Array::from_iter_values(part.iter().map(|d| d.score))),
            ),
            // Not a scalar: left out of the metadata.
            ("tags", Arc::new(choices.finish())),
        ];
        let name = format!("pq/data/nested/train-{k:05}-of-00005.parquet");
        write_parquet(&dir.path().join(name), columns, codec, dict, rows);
    }
    let jsonl_idx = dir.path().join("from-jsonl");
    let pq_idx = dir.path().join("from-parquet");
    for (input, out) in [("jsonl", &jsonl_idx), ("pq", &pq_idx)] {
        let o = index_cmd(&[
            "--input",
            s(&dir.path().join(input)),
            "--out",
            s(out),
            "--tokenizer",
            "bytes",
            "--threads",
            "2",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let from_jsonl = documents(&jsonl_idx);
    let from_parquet = documents(&pq_idx);
    assert_eq!(from_jsonl.len(), 75);
    assert_eq!(from_parquet, from_jsonl);
    assert_eq!(from_parquet[4].0["metadata"]["title"], "Title 4");
    assert_eq!(from_parquet[4].0["metadata"]["score"], 2.0);
    let index = Index::open(&pq_idx).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    let m = index.manifest();
    assert_eq!(m.inputs.len(), 5);
    assert!(m
        .inputs
        .iter()
        .all(|i| i.sha256.len() == 64 && i.documents == 15));
}

#[test]
fn spark_and_hive_layouts_with_content_column_and_derived_ids() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spark");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("_SUCCESS"), b"").unwrap();
    std::fs::write(root.join("_metadata"), b"PAR1 not rows PAR1").unwrap();
    std::fs::write(root.join("README.md"), b"# A dataset card, not a document").unwrap();
    // pyarrow writes `lang=fr%2Fbe` for the value `fr/be`.
    for (lang, words) in [("en", ["one", "two"]), ("fr%2Fbe", ["un", "deux"])] {
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "content",
                Arc::new(StringArray::from_iter_values(
                    words.iter().map(|w| format!("fn {w}() {{}}")),
                )),
            ),
            ("stars", Arc::new(Int32Array::from(vec![Some(5), None]))),
        ];
        let part = root.join(format!(
            "lang={lang}/part-00000-5d2c6a1e-0000-4000-8000-000000000000.c000.snappy.parquet"
        ));
        write_parquet(&part, columns, Compression::SNAPPY, true, 1000);
        std::fs::write(part.with_file_name(".part-00000.crc"), b"crc").unwrap();
    }
    let out = dir.path().join("idx");
    let o = index_cmd(&[
        "--input",
        s(&root),
        "--out",
        s(&out),
        "--tokenizer",
        "bytes",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("README.md"));
    let docs = documents(&out);
    assert_eq!(docs.len(), 4, "{docs:?}");
    let en = "lang=en/part-00000-5d2c6a1e-0000-4000-8000-000000000000.c000.snappy.parquet";
    assert_eq!(docs[0].0["id"], format!("{en}:0"));
    assert_eq!(docs[1].0["id"], format!("{en}:1"));
    assert_eq!(
        docs[0].0["metadata"],
        serde_json::json!({"lang": "en", "stars": 5})
    );
    assert_eq!(docs[1].0["metadata"], serde_json::json!({"lang": "en"}));
    assert_eq!(docs[3].0["metadata"]["lang"], "fr/be");
    let index = Index::open(&out).unwrap();
    assert_eq!(index.doc_text(index.locate(2).unwrap()), "fn un() {}");
}

/// A valid file of `n` rows of `text` (and ids), for cutting short.
fn texts_file(path: &Path, texts: Vec<Option<&str>>, rows_per_group: usize) {
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("r{i}")).collect();
    write_parquet(
        path,
        vec![
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("text", Arc::new(StringArray::from(texts))),
        ],
        Compression::ZSTD(ZstdLevel::default()),
        true,
        rows_per_group,
    );
}

#[test]
fn bad_parquet_is_skipped_counted_and_named_and_fatal_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    texts_file(
        &d.join("a-good.parquet"),
        vec![Some("good one"), Some("good two")],
        10,
    );
    std::fs::write(
        d.join("b-not-parquet.parquet"),
        b"{\"text\": \"json, not parquet\"}\n",
    )
    .unwrap();
    texts_file(
        &d.join("c-full.parquet"),
        vec![Some("will be cut short"); 50],
        10,
    );
    let full = std::fs::read(d.join("c-full.parquet")).unwrap();
    std::fs::write(d.join("c-truncated.parquet"), &full[..full.len() / 2]).unwrap();
    std::fs::remove_file(d.join("c-full.parquet")).unwrap();
    write_parquet(
        &d.join("d-missing-text.parquet"),
        vec![(
            "body",
            Arc::new(StringArray::from(vec!["x", "y", "z"])) as ArrayRef,
        )],
        Compression::SNAPPY,
        true,
        10,
    );
    write_parquet(
        &d.join("e-int-text.parquet"),
        vec![("text", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)],
        Compression::SNAPPY,
        true,
        10,
    );
    // Row 1 null, row 2 empty, row 3 too large (above 200 bytes, in a row group whose rows
    // average less).
    let big = "x".repeat(300);
    texts_file(
        &d.join("f-rows.parquet"),
        vec![
            Some("fine"),
            None,
            Some(""),
            Some(&big),
            Some("fine too"),
            Some("and this"),
        ],
        100,
    );
    write_parquet(
        &d.join("g-binary.parquet"),
        vec![(
            "text",
            Arc::new(BinaryArray::from(vec![
                &b"utf-8 bytes"[..],
                &b"bad \xff\xfe"[..],
            ])) as ArrayRef,
        )],
        Compression::GZIP(GzipLevel::default()),
        false,
        10,
    );
    // A row group whose rows average more than --max-document-bytes: not decoded at all.
    let huge = "y".repeat(1000);
    texts_file(
        &d.join("h-huge-group.parquet"),
        vec![
            Some("small"),
            Some(&huge),
            Some(&huge),
            Some("tail in group 2"),
        ],
        3,
    );
    let out = dir.path().join("idx");
    let o = index_cmd(&[
        "--input",
        s(&d),
        "--out",
        s(&out),
        "--tokenizer",
        "bytes",
        "--max-document-bytes",
        "200",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &v["manifest"];
    // good one, good two, fine, fine too, and this, utf-8 bytes, tail in group 2.
    assert_eq!(m["documents"], 7, "{m}");
    let skipped = &m["skipped"];
    for (k, n) in [
        ("unreadable_input", 2),    // not Parquet, truncated
        ("missing_text", 3),        // every row of d
        ("non_string_text", 2 + 1), // every row of e, and the null of f
        ("empty_document", 1),
        ("document_too_large", 1 + 3), // f's row 3, h's first row group
        ("invalid_utf8", 1),
    ] {
        assert_eq!(skipped[k], n, "{k} in {skipped}");
    }
    for needle in [
        "b-not-parquet.parquet: not a Parquet file",
        "c-truncated.parquet: truncated or damaged Parquet file",
        "d-missing-text.parquet: missing text: no column \"text\" (its columns: body)",
        "e-int-text.parquet: non string text: column \"text\" holds Int64",
        "f-rows.parquet: row group 0, row 1: non string text: \"text\" is null",
        "f-rows.parquet: row group 0, row 3: document too large",
        "g-binary.parquet: row group 0, row 1: invalid utf8",
        "h-huge-group.parquet: row group 0 (rows 0..3): document too large",
    ] {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    let docs = documents(&out);
    assert_eq!(docs[6].0["id"], "r3");

    // --strict: the first bad file (in sorted order) is a hard error naming it; no index.
    let out2 = dir.path().join("idx2");
    let o = index_cmd(&[
        "--input",
        s(&d),
        "--out",
        s(&out2),
        "--tokenizer",
        "bytes",
        "--strict",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("b-not-parquet.parquet: not a Parquet file") && err.contains("--strict"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out2.exists());
}

#[test]
fn a_damaged_page_is_an_unreadable_row_group_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.parquet");
    let texts: Vec<String> = (0..400)
        .map(|i| format!("row {i} {}", "lorem ipsum dolor ".repeat(i % 13 + 1)))
        .collect();
    texts_file(&path, texts.iter().map(|t| Some(t.as_str())).collect(), 100);
    // Overwrite the middle of the file (inside the pages, before the footer) with junk.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 3;
    for b in &mut bytes[mid..mid + 64] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let out = dir.path().join("idx");
    let o = index_cmd(&[
        "--input",
        s(&path),
        "--out",
        s(&out),
        "--tokenizer",
        "bytes",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &v["manifest"];
    let unreadable = m["skipped"]["unreadable_input"].as_u64().unwrap_or(0);
    assert!(unreadable > 0, "{m}");
    assert_eq!(m["documents"].as_u64().unwrap() + unreadable, 400, "{m}");
    assert!(stderr.contains("damaged.parquet: row group "), "{stderr}");
}

/// MMLU's layout on the hub: question, subject, choices (list of strings), answer (int64).
#[test]
fn contamination_report_of_a_parquet_benchmark_equals_the_jsonl_one() {
    let dir = tempfile::tempdir().unwrap();
    let book: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
    let corpus = support::write_jsonl(
        dir.path(),
        "corpus.jsonl",
        &[("book".to_string(), book.join(" "))],
    );
    let idx = dir.path().join("idx");
    let mut o = verbatim_indexer::BuildOptions::new(vec![corpus], idx.clone(), "bytes");
    o.side_indexes = vec![
        verbatim_core::normalize::Normalization::Words,
        verbatim_core::normalize::Normalization::Alnum,
    ];
    verbatim_indexer::build(&o).unwrap();

    let questions: Vec<String> = (0..12)
        .map(|i| {
            if i % 2 == 0 {
                book[i * 20..i * 20 + 16].join(" ")
            } else {
                format!("an unrelated question number {i} about nothing in the book at all")
            }
        })
        .collect();
    let mut jsonl = String::new();
    let mut choices = ListBuilder::new(StringBuilder::new());
    for (i, q) in questions.iter().enumerate() {
        let c = [
            format!("w{}", i + 1),
            format!("w{}", i + 2),
            "none".to_string(),
        ];
        jsonl.push_str(
            &serde_json::json!({"question": q, "subject": "toy", "choices": c, "answer": i % 3})
                .to_string(),
        );
        jsonl.push('\n');
        choices.append_value(c.iter().map(|x| Some(x.as_str())));
    }
    let jsonl_path = dir.path().join("test.jsonl");
    std::fs::write(&jsonl_path, jsonl).unwrap();
    let pq_path = dir.path().join("test-00000-of-00001.parquet");
    write_parquet(
        &pq_path,
        vec![
            (
                "question",
                Arc::new(StringArray::from(questions.clone())) as ArrayRef,
            ),
            ("subject", Arc::new(StringArray::from(vec!["toy"; 12]))),
            ("choices", Arc::new(choices.finish())),
            (
                "answer",
                Arc::new(Int64Array::from_iter_values((0..12).map(|i| i % 3))),
            ),
        ],
        Compression::SNAPPY,
        true,
        5,
    );
    let report = |input: &PathBuf, name: &str| -> serde_json::Value {
        let out = dir.path().join(name);
        let o = Command::new(support::verbatim_bin())
            .args(["contamination", "--index", s(&idx), "--input", s(input)])
            .args([
                "--template",
                "{question}\n{choices}",
                "--group-field",
                "subject",
            ])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        serde_json::json!({"summary": v["summary"], "items": v["items"]})
    };
    let from_jsonl = report(&jsonl_path, "jsonl.json");
    let from_parquet = report(&pq_path, "parquet.json");
    assert_eq!(from_parquet, from_jsonl);
    assert_eq!(from_jsonl["summary"]["items"], 12);
    assert_eq!(from_jsonl["summary"]["overall"]["gpt3"]["dirty"], 6);

    // A file named .parquet that is not one: a clear error naming it.
    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, b"question,answer\n").unwrap();
    let o = Command::new(support::verbatim_bin())
        .args(["contamination", "--index", s(&idx), "--input", s(&fake)])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fake.parquet: not a Parquet file"), "{err}");
}

/// Files written by the real writers: pyarrow (a hive-partitioned dataset with a `_SUCCESS`
/// marker, large strings, a dictionary column) and polars (four compressions, categoricals),
/// generated at test time by `tests/scripts/write_parquet_fixtures.py`. Skipped with a reason
/// when pyarrow or polars is missing, failing when `CI` is set (`.ci/run` installs both).
#[test]
fn parquet_written_by_pyarrow_and_polars_indexes_like_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/write_parquet_fixtures.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    if o.status.code() == Some(3) && std::env::var_os("CI").is_none() {
        eprintln!(
            "skipped: {} (pip install pyarrow polars to run it)",
            String::from_utf8_lossy(&o.stderr).trim()
        );
        return;
    }
    assert!(
        o.status.success(),
        "fixture writer failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut indexes = Vec::new();
    for input in ["jsonl", "pyarrow", "polars"] {
        let out = dir.path().join(format!("idx-{input}"));
        let o = index_cmd(&[
            "--input",
            s(&dir.path().join(input)),
            "--out",
            s(&out),
            "--tokenizer",
            "bytes",
            "--strict",
        ]);
        assert!(
            o.status.success(),
            "{input}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        indexes.push(documents(&out));
    }
    assert_eq!(indexes[0].len(), 48);
    assert_eq!(
        indexes[1], indexes[0],
        "pyarrow dataset differs from the JSONL"
    );
    assert_eq!(indexes[2], indexes[0], "polars files differ from the JSONL");
    assert_eq!(indexes[1][30].0["metadata"]["lang"], "fr");
}
