//! Bad input gets a clear message naming the file and line, and a counted skip (default) or a
//! hard error (`--strict`); never a panic.

use crate::support;
use std::io::Write;
use std::process::Command;

fn index_cmd(args: &[&str]) -> std::process::Output {
    Command::new(support::verbatim_bin())
        .arg("index")
        .args(args)
        .output()
        .unwrap()
}

/// `verbatim index` of `path` as bytes into `out`, with `extra` flags.
pub(crate) fn index_bytes(
    path: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "--input",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--tokenizer",
        "bytes",
    ];
    args.extend_from_slice(extra);
    index_cmd(&args)
}

/// [`index_bytes`] with `--json`, which must succeed: the JSON summary, and the process
/// output (for its stderr).
pub(crate) fn index_bytes_json(
    path: &std::path::Path,
    out: &std::path::Path,
) -> (serde_json::Value, std::process::Output) {
    let o = index_bytes_ok(path, out, &["--json"]);
    (serde_json::from_slice(&o.stdout).unwrap(), o)
}

/// Builds `path` into `out` as [`index_bytes`] does; the build must succeed.
pub(crate) fn index_bytes_ok(
    path: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let o = index_bytes(path, out, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Writes a JSONL corpus of one document, `id` with `text`, to `path`.
fn write_one_doc(path: &std::path::Path, id: &str, text: &str) {
    let line = serde_json::json!({"id": id, "text": text});
    std::fs::write(path, format!("{line}\n")).unwrap();
}

#[test]
fn every_kind_of_bad_line_is_skipped_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, r#"{{"id": "good1", "text": "a good document"}}"#).unwrap(); // line 1
    writeln!(f, r#"{{"id": "broken", "text": "unterminated"#).unwrap(); // 2 malformed
    writeln!(f, r#"{{"id": "notext"}}"#).unwrap(); // 3 missing text
    writeln!(f, r#"{{"id": "num", "text": 42}}"#).unwrap(); // 4 non-string
    f.write_all(b"{\"id\": \"utf\", \"text\": \"bad \xff\xfe bytes\"}\n")
        .unwrap(); // 5 invalid utf-8
    writeln!(f, r#"{{"id": "empty", "text": ""}}"#).unwrap(); // 6 empty
    writeln!(f, r#"[1, 2, 3]"#).unwrap(); // 7 not an object
    writeln!(f).unwrap(); // 8 blank: ignored
    writeln!(f, r#"{{"id": "good2", "text": "another good document"}}"#).unwrap(); // 9
    drop(f);
    let (v, o) = index_bytes_json(&path, &dir.path().join("idx"));
    let m = &v["manifest"];
    assert_eq!(m["documents"], 2);
    let skipped = &m["skipped"];
    for (k, n) in [
        ("malformed_json", 2),
        ("missing_text", 1),
        ("non_string_text", 1),
        ("invalid_utf8", 1),
        ("empty_document", 1),
    ] {
        assert_eq!(skipped[k], n, "{k} in {skipped}");
    }
    assert_eq!(m["inputs"][0]["skipped"], 6);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("bad.jsonl:2"), "{stderr}");
    assert!(stderr.contains("bad.jsonl:5"), "{stderr}");

    // --strict: the first bad line is a hard error naming file and line; no index is left.
    let out2 = dir.path().join("idx2");
    let o = index_bytes(&path, &out2, &["--strict"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("malformed json"),
        "{err}"
    );
    assert!(!out2.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("building")));
}

#[test]
fn empty_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.jsonl");
    std::fs::write(&path, "").unwrap();
    let out = dir.path().join("idx");
    let o = index_bytes(&path, &out, &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no documents to index"));
    assert!(!out.exists());
    let empty_dir = dir.path().join("nothing");
    std::fs::create_dir(&empty_dir).unwrap();
    let o = index_cmd(&[
        "--input",
        empty_dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--tokenizer",
        "bytes",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no files"));
    // Hidden files are left out, and said to be: a folder of them was "no files" alone, and
    // beside other files they went unmentioned.
    std::fs::write(empty_dir.join(".x.jsonl"), "{\"text\": \"hidden\"}\n").unwrap();
    let run = || index_bytes(&empty_dir, &out, &[]);
    let o = run();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("1 hidden") && err.contains(".x.jsonl"),
        "{err}"
    );
    std::fs::write(empty_dir.join("a.jsonl"), "{\"text\": \"shown\"}\n").unwrap();
    let o = run();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("1 hidden"), "{err}");
}

/// `--force` replaces an index, nothing else: a directory that is not one is refused and left
/// as it was; inputs and shard roots inside `--out` are refused before anything is written.
#[test]
fn force_replaces_only_an_index_and_nothing_the_build_reads_or_writes_lies_inside_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("corpus.jsonl"),
        "{\"id\":\"x\",\"text\":\"precious\"}\n",
    )
    .unwrap();
    std::fs::write(data.join("notes.txt"), "notes\n").unwrap();
    std::fs::copy(data.join("corpus.jsonl"), p("c.jsonl")).unwrap();
    let listing = |d: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let refused = |args: &[&str], says: &str| {
        let o = index_cmd(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    // A corpus directory as --out.
    refused(
        &[
            "-i",
            &p("c.jsonl"),
            "-o",
            &p("data"),
            "-t",
            "bytes",
            "--force",
        ],
        "is not an index",
    );
    // An input inside --out.
    refused(
        &[
            "-i",
            &p("data/corpus.jsonl"),
            "-o",
            &p("data"),
            "-t",
            "bytes",
            "--force",
        ],
        "is inside --out",
    );
    assert_eq!(listing(&data), ["corpus.jsonl", "notes.txt"]);
    // A shard root inside --out, with and without --force: nothing is left behind.
    for force in [false, true] {
        let mut args = vec!["-i", &p("c.jsonl")[..], "-o", &p("rin")[..], "-t", "bytes"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.extend(["--shard-root".into(), p("rin/shards")]);
        if force {
            args.push("--force".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, "is inside --out");
        assert!(!dir.path().join("rin").exists());
    }
    // An index is replaced.
    let idx = ["-i", &p("c.jsonl")[..], "-o", &p("idx")[..], "-t", "bytes"];
    assert!(index_cmd(&idx).status.success());
    let mut forced = idx.to_vec();
    forced.push("--force");
    let o = index_cmd(&forced);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A UTF-8 byte-order mark at the start of a JSONL file is not part of its first record (the
/// record was skipped as malformed JSON).
#[test]
fn a_byte_order_mark_does_not_cost_the_first_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.jsonl");
    std::fs::write(
        &path,
        b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"hello world\"}\n{\"id\":\"b\",\"text\":\"again\"}\n",
    )
    .unwrap();
    let (v, _) = index_bytes_json(&path, &dir.path().join("idx"));
    assert_eq!(v["manifest"]["documents"], 2, "{v}");
}

/// An error's cause is printed once, not once per level of the error chain (the indexer's
/// errors named their cause `source`, which both the message and the chain printed).
#[test]
fn error_messages_print_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    std::fs::write(&input, "{\"text\":\"a\"}\n").unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let missing = p("nonexistent");
    let input = input.to_str().unwrap();
    let (x1, x2) = (p("x1"), p("x2"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-i", &missing, "-o", &x1, "-t", "bytes"], "os error 2"),
        (
            vec!["-i", input, "-o", &x2, "-t", "/nonexistent-tokenizer.json"],
            "os error 2",
        ),
        (
            vec!["-i", input, "-o", "/proc/nonexistent/idx", "-t", "bytes"],
            "os error 2",
        ),
    ];
    for (args, cause) in cases {
        let o = index_cmd(&args);
        assert!(!o.status.success());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(stderr.matches(cause).count(), 1, "{args:?}: {stderr}");
    }
    // A core error inside an indexer context (a part that is not an index).
    let part = p("p0");
    let o = index_cmd(&["-i", input, "-o", &part, "-t", "bytes", "--part", "0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(support::verbatim_bin())
        .args(["assemble", "--out", &p("a"), &part, &missing])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stderr.matches("is not a verbatim index").count(),
        1,
        "{stderr}"
    );
}

/// A symbolic link back up the input tree (`sub/up -> ..`) does not index the same file
/// again and again (it indexed it 41 times, until the path was too long): the directory is
/// read once, and the loop is reported.
#[cfg(unix)]
#[test]
fn a_symlink_loop_in_the_input_indexes_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("loop");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::write(
        input.join("a.jsonl"),
        "{\"id\":\"x\",\"text\":\"hello world\"}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", input.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("nowhere", input.join("sub/broken")).unwrap();
    let (v, o) = index_bytes_json(&input, &dir.path().join("idx"));
    assert_eq!(v["manifest"]["documents"], 1, "{v}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("already read"), "{stderr}");
    assert!(stderr.contains("broken: cannot be read"), "{stderr}");
}

/// A build killed with no chance to clean up (SIGKILL) leaves `.NAME.building-PID` beside
/// --out; the next build into the same --out removes it and says so, while the directory of a
/// build still running is never touched. (The killed build is held up reading a FIFO, after
/// making its directory.)
#[cfg(unix)]
#[test]
fn a_killed_builds_temporary_directory_is_removed_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.jsonl");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = dir.path().join("idx");
    let mut stuck = Command::new(support::verbatim_bin())
        .args(["index", "--threads", "1", "-t", "bytes", "-i"])
        .arg(&fifo)
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temp = dir.path().join(format!(".idx.building-{}", stuck.id()));
    let started = std::time::Instant::now();
    while !temp.is_dir() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no {}",
            temp.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let good = dir.path().join("c.jsonl");
    write_one_doc(&good, "a", "hello world");
    // A build running: its directory is left alone.
    index_bytes_ok(&good, &out, &[]);
    assert!(temp.is_dir());
    stuck.kill().unwrap();
    stuck.wait().unwrap();
    assert!(temp.is_dir(), "SIGKILL leaves the directory");
    // Killed: the next build into the same --out removes it, in one line.
    let o = index_bytes(&good, &out, &["--force"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!temp.exists(), "{stderr}");
    assert_eq!(stderr.matches("interrupted build").count(), 1, "{stderr}");
    // Only the commit lock of the forced build stays (never removed: see atomic.rs).
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
}

/// A build with `--force` killed between its two renames (the old index moved to
/// `.NAME.building-PID.old`, the new one not yet at NAME) leaves no index at NAME: the next
/// build into NAME, or append to it, whose owner's lock it can take, puts the old index back
/// (with a warning) before anything else, and removes the killed build's directory.
#[test]
fn an_index_moved_aside_by_a_killed_forced_build_is_put_back_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_one_doc(&corpus, "a", "hello world");
    let corpus2 = dir.path().join("c2.jsonl");
    write_one_doc(&corpus2, "b", "other text");
    let out = dir.path().join("idx");
    index_bytes_ok(&corpus, &out, &[]);
    let manifest = std::fs::read(out.join("manifest.bin")).unwrap();
    // What the killed build (process 4000000001) left: its unlocked lock file, its finished
    // directory, and the old index moved aside.
    let kill_between_renames = || {
        let temp = dir.path().join(".idx.building-4000000001");
        support::copy_dir(&out, &temp);
        std::fs::write(dir.path().join(".idx.building-4000000001.lock"), b"").unwrap();
        std::fs::rename(&out, dir.path().join(".idx.building-4000000001.old")).unwrap();
        assert!(!out.exists());
    };

    kill_between_renames();
    // Reading says where the old index is and how to put it back (it said "not a verbatim
    // index; build one", and a build without --force is refused once it has put it back).
    let o = Command::new(support::verbatim_bin())
        .args(["count", "--index", out.to_str().unwrap(), "--text", "hello"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("was killed while replacing it")
            && stderr.contains(".idx.building-4000000001.old")
            && stderr.contains("Put it back with `mv"),
        "{stderr}"
    );
    // A build without --force: the old index is back, so it is refused for existing.
    let o = index_bytes(&corpus2, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("idx was missing") && stderr.contains("restored the old index from"),
        "{stderr}"
    );
    assert!(stderr.contains("already exists; pass --force"), "{stderr}");
    assert_eq!(stderr.matches("interrupted build").count(), 1, "{stderr}");
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), manifest);
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
    assert!(verbatim_core::Index::open(&out)
        .unwrap()
        .doc_by_id("a")
        .is_some());

    // An append puts it back too, then appends to it.
    kill_between_renames();
    let o = index_bytes(&corpus2, &out, &["--append"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("restored the old index from"), "{stderr}");
    let index = verbatim_core::Index::open(&out).unwrap();
    assert!(index.doc_by_id("a").is_some() && index.doc_by_id("b").is_some());
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
}

/// A build with `--force` killed after its two renames leaves the old index in
/// `.NAME.building-PID.old`: the next build into NAME removes it in one line once it can take
/// that build's lock, and leaves it alone while the lock is held (a build still running). A
/// `.NAME.old` of an older verbatim (which named it so) is only named in a warning, and no
/// longer keeps a forced build from moving the old index aside.
#[cfg(unix)]
#[test]
fn an_old_index_left_by_a_killed_forced_build_is_removed_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_one_doc(&corpus, "a", "hello world");
    let out = dir.path().join("idx");
    index_bytes_ok(&corpus, &out, &[]);
    let old = dir.path().join(".idx.building-4000000002.old");
    let lock = dir.path().join(".idx.building-4000000002.lock");
    support::copy_dir(&out, &old);
    std::fs::write(&lock, b"").unwrap();
    let legacy = dir.path().join(".idx.old");
    support::copy_dir(&out, &legacy);

    // Its lock held (by this process, as by a build still running): left alone.
    let held = std::fs::File::open(&lock).unwrap();
    held.try_lock().unwrap();
    let o = index_bytes(&corpus, &out, &["--force"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(old.is_dir() && lock.is_file(), "{stderr}");
    assert!(!stderr.contains(".idx.building-4000000002"), "{stderr}");
    drop(held);

    // Its lock free: removed, in one line.
    let o = index_bytes(&corpus, &out, &["--force"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(stderr.matches("removed ").count(), 1, "{stderr}");
    assert!(
        stderr.contains(".idx.building-4000000002.old")
            && stderr.contains("killed before removing it"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".idx.old was left by a build of an older verbatim"),
        "{stderr}"
    );
    assert_eq!(
        support::dot_entries(dir.path()),
        [".idx.commit.lock", ".idx.old"]
    );
    assert!(verbatim_core::Index::open(&out)
        .unwrap()
        .doc_by_id("a")
        .is_some());
}

/// Several old indexes left beside a missing --out by forced builds (each killed, their locks
/// free): which was committed last cannot be told, so none is put back. A build into --out is
/// refused naming them all, an append warns naming them and then finds no index, and they stay
/// until one is renamed back by hand.
#[test]
fn several_old_indexes_beside_a_missing_out_are_named_and_left() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_one_doc(&corpus, "a", "hello world");
    let out = dir.path().join("idx");
    index_bytes_ok(&corpus, &out, &[]);
    for pid in ["4000000001", "4000000002"] {
        support::copy_dir(&out, &dir.path().join(format!(".idx.building-{pid}.old")));
        std::fs::write(dir.path().join(format!(".idx.building-{pid}.lock")), b"").unwrap();
    }
    std::fs::remove_dir_all(&out).unwrap();
    let names_both = |stderr: &str| {
        stderr.contains("idx is missing, and 2 old indexes")
            && stderr.contains(".idx.building-4000000001.old")
            && stderr.contains(".idx.building-4000000002.old")
    };
    let o = index_bytes(&corpus, &out, &["--force"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && names_both(&stderr), "{stderr}");
    let o = index_bytes(&corpus, &out, &["--append"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && names_both(&stderr), "{stderr}");
    assert!(stderr.contains("is not a verbatim index"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        support::dot_entries(dir.path()),
        [
            ".idx.building-4000000001.lock",
            ".idx.building-4000000001.old",
            ".idx.building-4000000002.lock",
            ".idx.building-4000000002.old",
            ".idx.commit.lock"
        ]
    );
    // One put back by hand: the next build removes the other.
    std::fs::rename(dir.path().join(".idx.building-4000000002.old"), &out).unwrap();
    index_bytes_ok(&corpus, &out, &["--force"]);
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
}

/// `--force` into a symbolic link to an index (`current -> idx-v1`) replaces the link with
/// the new index and never touches what it pointed to; nothing is left beside it but the
/// commit locks of the link and of the directory it named (both held by the commit).
#[cfg(unix)]
#[test]
fn a_forced_build_into_a_symbolic_link_replaces_the_link_only() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_one_doc(&corpus, "a", "hello world");
    let corpus2 = dir.path().join("c2.jsonl");
    write_one_doc(&corpus2, "b", "other text");
    let v1 = dir.path().join("idx-v1");
    index_bytes_ok(&corpus, &v1, &[]);
    let current = dir.path().join("current");
    std::os::unix::fs::symlink("idx-v1", &current).unwrap();
    index_bytes_ok(&corpus2, &current, &["--force"]);
    assert!(!std::fs::symlink_metadata(&current).unwrap().is_symlink());
    assert!(verbatim_core::Index::open(&current)
        .unwrap()
        .doc_by_id("b")
        .is_some());
    assert!(verbatim_core::Index::open(&v1)
        .unwrap()
        .doc_by_id("a")
        .is_some());
    assert_eq!(
        support::dot_entries(dir.path()),
        [".current.commit.lock", ".idx-v1.commit.lock"]
    );
}

/// `index --force` over an index with takedowns carries them over by external id (a taken-down
/// document stays down in the rebuilt index; an id the new corpus lacks is dropped from the
/// list and reported); a list that cannot be carried over refuses the rebuild before any work.
#[test]
fn a_forced_rebuild_keeps_the_takedowns_by_external_id() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("f.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\":\"keep\",\"text\":\"hello there\"}\n{\"id\":\"gone\",\"text\":\"secret text\"}\n\
         {\"id\":\"old\",\"text\":\"old text\"}\n",
    )
    .unwrap();
    let out = dir.path().join("ixF");
    let run = |args: &[&str]| {
        Command::new(support::verbatim_bin())
            .args(args)
            .output()
            .unwrap()
    };
    index_bytes_ok(&corpus, &out, &[]);
    let ix = out.to_str().unwrap();
    assert!(run(&["takedown", "add", "--index", ix, "gone", "old"])
        .status
        .success());
    // The new corpus: "gone" moved to another document number, "old" no longer there.
    let corpus2 = dir.path().join("f2.jsonl");
    std::fs::write(
        &corpus2,
        "{\"id\":\"new\",\"text\":\"a new one\"}\n{\"id\":\"gone\",\"text\":\"secret text\"}\n\
         {\"id\":\"keep\",\"text\":\"hello there\"}\n",
    )
    .unwrap();
    let o = index_bytes(&corpus2, &out, &["--force"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("takedowns  1 carried over") && stdout.contains("1 id(s) not in"),
        "{stdout}"
    );
    assert!(
        stderr.contains("not in the new corpus") && stderr.contains("old"),
        "{stderr}"
    );
    let index = verbatim_core::Index::open(&out).unwrap();
    assert!(index.doc_by_id("gone").is_none(), "still taken down");
    assert!(index.doc_by_id("keep").is_some() && index.doc_by_id("new").is_some());
    assert_eq!(index.doc_by_id_ignoring_takedowns("gone"), Some(1));
    let o = run(&["doc", "--index", ix, "gone"]);
    assert!(!o.status.success());
    drop(index);

    // A list that cannot be read cannot be carried over: refused, the index left as it was.
    std::fs::write(out.join("takedown.bin"), b"damaged").unwrap();
    let before = std::fs::read(out.join("manifest.bin")).unwrap();
    let o = index_bytes(&corpus2, &out, &["--force"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("carries the takedown list over by external id")
            && stderr.contains("another --out"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), before);
}

/// `assemble --force` over an index with takedowns carries them over by external id, as
/// `index --force` does, and prints how many with the same line: a document taken down in the
/// replaced index stays down although its number changed.
#[test]
fn a_forced_assemble_keeps_the_takedowns_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let write = |name: &str, lines: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, lines).unwrap();
        path.display().to_string()
    };
    let c0 = write("c0.jsonl", "{\"id\":\"new\",\"text\":\"a new one\"}\n");
    let c1 = write(
        "c1.jsonl",
        "{\"id\":\"keep\",\"text\":\"hello there\"}\n{\"id\":\"gone\",\"text\":\"secret text\"}\n",
    );
    for (k, c) in [("0", &c0), ("1", &c1)] {
        let o = index_cmd(&[
            "-i",
            c,
            "-o",
            &p(&format!("p{k}")),
            "-t",
            "bytes",
            "--part",
            k,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let assemble = |parts: &[&str], extra: &[&str]| {
        Command::new(support::verbatim_bin())
            .args(["assemble", "--out", &p("ix")])
            .args(extra)
            .args(parts)
            .output()
            .unwrap()
    };
    // First an index of the second file alone: "gone" is document 1.
    let o = index_cmd(&["-i", &c1, "-o", &p("ix"), "-t", "bytes"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(support::verbatim_bin())
        .args(["takedown", "add", "--index", &p("ix"), "gone"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Then both parts: "gone" is document 2.
    let o = assemble(&[&p("p0"), &p("p1")], &["--force"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("\n  takedowns  1 carried over from the replaced index by external id\n"),
        "{stdout}"
    );
    let index = verbatim_core::Index::open(&dir.path().join("ix")).unwrap();
    assert_eq!(index.manifest().documents, 3);
    assert!(index.doc_by_id("gone").is_none(), "shown again");
    assert_eq!(index.doc_by_id_ignoring_takedowns("gone"), Some(2));
    assert!(index.doc_by_id("keep").is_some() && index.doc_by_id("new").is_some());
    let o = Command::new(support::verbatim_bin())
        .args(["doc", "--index", &p("ix"), "gone"])
        .output()
        .unwrap();
    assert!(!o.status.success());
}

/// `verbatim prob --next` refuses an id outside the vocabulary (the separator included), as
/// `count --ids` does, instead of answering a probability of a token no text holds.
#[test]
fn prob_refuses_a_next_token_outside_the_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    write_one_doc(&input, "a", "ab. ab.");
    let out = dir.path().join("idx");
    index_bytes_ok(&input, &out, &[]);
    let prob = |next: &str| {
        Command::new(support::verbatim_bin())
            .args(["prob", "--index", out.to_str().unwrap(), "--text", "a"])
            .args(["--next", next])
            .output()
            .unwrap()
    };
    let ok = prob(&(b'b' as u32).to_string());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("P = 2 / 2"));
    for bad in ["256", "255000"] {
        let o = prob(bad);
        assert!(!o.status.success(), "--next {bad} was answered");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("outside the vocabulary"), "{err}");
    }
}

/// An `--out` that exists and is not an index (a folder of other files, a plain file) is
/// refused with or without `--force`, and without `--force` the message does not offer it
/// (it said "pass --force to replace it", which then refused too).
#[test]
fn an_out_that_is_not_an_index_is_refused_without_offering_force() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    write_one_doc(&corpus, "a", "hello world");
    let folder = dir.path().join("notes");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("keep.txt"), b"keep").unwrap();
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, b"keep").unwrap();
    for out in [&folder, &file] {
        for extra in [&[][..], &["--force"][..]] {
            let o = index_bytes(&corpus, out, extra);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success());
            assert!(
                stderr.contains("is not an index") && !stderr.contains("pass --force"),
                "{} {extra:?}: {stderr}",
                out.display()
            );
        }
    }
    assert_eq!(std::fs::read(folder.join("keep.txt")).unwrap(), b"keep");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
}

/// `verbatim doc --max-tokens 0` is refused, naming the flag (the API refuses 0 too).
#[test]
fn doc_with_zero_max_tokens_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "d.jsonl", &[("a".into(), "some text".into())]);
    let out = dir.path().join("idx");
    assert!(index_bytes(&input, &out, &[]).status.success());
    let run = |max: &str| {
        Command::new(support::verbatim_bin())
            .args([
                "doc",
                "--index",
                out.to_str().unwrap(),
                "--max-tokens",
                max,
                "a",
            ])
            .output()
            .unwrap()
    };
    let o = run("0");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--max-tokens"), "{err}");
    let o = run("4");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("some"));
}
