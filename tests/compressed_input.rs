//! Compressed inputs (gzip, zstd) and folders of text files are read; a compressed file cut
//! short keeps what came before the cut, and one whose data fails to decode stops the build.

use crate::bad_input::{index_bytes, index_bytes_json};
use crate::support;
use std::io::Write;
use std::process::Command;

#[test]
fn compressed_inputs_and_text_folders_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let line = "{\"id\": \"z1\", \"text\": \"zstd compressed text\"}\n";
    std::fs::write(
        dir.path().join("a.jsonl.zst"),
        zstd_compress(line.as_bytes()),
    )
    .unwrap();
    let mut gz = flate2_compress(b"{\"id\": \"g1\", \"text\": \"gzip compressed text\"}\n");
    std::fs::write(dir.path().join("b.jsonl.gz"), std::mem::take(&mut gz)).unwrap();
    let texts = dir.path().join("texts");
    std::fs::create_dir_all(texts.join("sub")).unwrap();
    std::fs::write(texts.join("one.txt"), "plain text file one").unwrap();
    std::fs::write(texts.join("sub/two.md"), "plain text file two").unwrap();
    std::fs::write(texts.join("bin.dat"), b"\xff\xfe\x00binary").unwrap();
    let out = dir.path().join("idx");
    let o = Command::new(support::verbatim_bin())
        .args(["index", "--input"])
        .arg(dir.path().join("a.jsonl.zst"))
        .arg(dir.path().join("b.jsonl.gz"))
        .arg(&texts)
        .args([
            "--out",
            out.to_str().unwrap(),
            "--tokenizer",
            "bytes",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = verbatim_core::Index::open(&out).unwrap();
    assert_eq!(index.manifest().documents, 4);
    assert_eq!(index.manifest().skipped["invalid_utf8"], 1);
    assert!(index.doc_by_id("sub/two.md").is_some());
    assert!(index.doc_by_id("z1").is_some() && index.doc_by_id("g1").is_some());
    for i in &index.manifest().inputs {
        assert_eq!(i.sha256.len(), 64);
    }
}

/// A gzip file damaged in its middle fails the build before it writes anything (the
/// documents decoded before its checksum failed may be garbage: they were indexed, with exit
/// 0); one cut short keeps the documents before the cut, with a counted skip.
#[test]
fn a_damaged_compressed_file_fails_the_build_and_a_truncated_one_is_a_counted_skip() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..5000)
        .map(|i| format!("{}\n", serde_json::json!({"id": format!("g{i}"), "text": format!("compressed document number {i} with some words")})))
        .collect();
    let gz = flate2_compress(lines.as_bytes());
    let mut damaged = gz.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x55;
    let path = dir.path().join("damaged.jsonl.gz");
    std::fs::write(&path, &damaged).unwrap();
    let out = dir.path().join("idx");
    let o = index_bytes(&path, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("damaged.jsonl.gz is damaged"), "{err}");
    assert!(!out.exists(), "nothing written");
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let (summary, _) = index_bytes_json(&cut, &dir.path().join("cut"));
    let indexed = summary["manifest"]["documents"].as_u64().unwrap();
    assert!(indexed > 0 && indexed < 5000, "{summary}");
}

fn zstd_compress(b: &[u8]) -> Vec<u8> {
    let o = Command::new("zstd")
        .args(["-q", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    match o {
        Ok(mut child) => {
            child.stdin.take().unwrap().write_all(b).unwrap();
            child.wait_with_output().unwrap().stdout
        }
        Err(_) => panic!("the zstd command is needed for this test (apt-get install zstd)"),
    }
}

fn flate2_compress(b: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b).unwrap();
    child.wait_with_output().unwrap().stdout
}

/// A file compressed in a way verbatim does not read (`.xz`, `.bz2`...) was read as one text
/// document and skipped as invalid UTF-8: given alone it is refused, in a folder left out,
/// each time saying to decompress it or use zstd or gzip.
#[test]
fn an_unsupported_compression_is_named_not_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let xz = folder.join("a.jsonl.xz");
    std::fs::write(&xz, b"\xfd7zXZ\x00 not really xz").unwrap();
    std::fs::write(folder.join("b.jsonl"), "{\"text\": \"kept\"}\n").unwrap();
    let o = crate::bad_input::index_bytes(&xz, &dir.path().join("one"), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("compressed as .xz"),
        "{err}"
    );
    let (v, o) = crate::bad_input::index_bytes_json(&folder, &dir.path().join("two"));
    assert_eq!(v["manifest"]["documents"], 1, "{v}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("a.jsonl.xz: compressed as .xz"));
}
