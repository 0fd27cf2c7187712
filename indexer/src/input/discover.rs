//! Finding the corpus files under the given paths.

use crate::error::{bail, Context, Result};
use crate::options::InputFormat;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How a corpus file is read, from its name (or `--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Uncompressed JSONL.
    Jsonl,
    /// gzip-compressed JSONL.
    JsonlGz,
    /// zstd-compressed JSONL.
    JsonlZst,
    /// One plain-text document.
    Text,
    /// Apache Parquet: one document per row.
    Parquet,
}

/// A corpus file to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Its path.
    pub path: PathBuf,
    /// How to read it.
    pub kind: InputKind,
    /// Size in bytes.
    pub bytes: u64,
    /// The directory it was found under (for text-file ids), if any.
    pub root: Option<PathBuf>,
}

fn jsonl_kind(name: &str) -> Option<InputKind> {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".jsonl") || n.ends_with(".json") || n.ends_with(".ndjson") {
        Some(InputKind::Jsonl)
    } else if n.ends_with(".jsonl.gz") || n.ends_with(".json.gz") || n.ends_with(".ndjson.gz") {
        Some(InputKind::JsonlGz)
    } else if n.ends_with(".jsonl.zst") || n.ends_with(".json.zst") || n.ends_with(".ndjson.zst") {
        Some(InputKind::JsonlZst)
    } else {
        None
    }
}

fn is_parquet_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".parquet") || n.ends_with(".parq")
}

/// Files that Spark, Hadoop and Hive writers leave beside the data: markers (`_SUCCESS`,
/// `_started_*`, `_committed_*`), summary footers (`_metadata`, `_common_metadata`, which
/// describe the data files but hold no rows) and checksums (`*.crc`). Never documents.
fn is_writer_side_file(name: &str) -> bool {
    name == "_SUCCESS"
        || name == "_metadata"
        || name == "_common_metadata"
        || name.starts_with("_started_")
        || name.starts_with("_committed_")
        || name.ends_with(".crc")
}

/// Whether a file named `name` is metadata HuggingFace `datasets` writes beside a dataset's
/// data, in a folder that holds data files (`beside_data`): `save_to_disk`'s
/// `dataset_dict.json` (beside the splits' folders) always, its `dataset_info.json` and
/// `state.json` beside data or Arrow files, and the Hub's older `dataset_infos.json` always.
/// JSON metadata, not rows: read as JSONL, every line of it was a skip.
fn is_dataset_metadata(name: &str, beside_data: bool) -> bool {
    match name {
        "dataset_dict.json" | "dataset_infos.json" => true,
        "dataset_info.json" | "state.json" => beside_data,
        _ => false,
    }
}

/// Whether the names `entries` hold a data file or an Arrow file that is not HuggingFace
/// metadata (which is named like JSON data).
fn holds_data(entries: &[PathBuf]) -> bool {
    entries.iter().any(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        !is_dataset_metadata(&name, true) && (is_data_name(&name) || is_arrow_name(p))
    })
}

/// Whether `path` is an Arrow file (`.arrow`: what HuggingFace `datasets`' `save_to_disk`
/// and its cache hold), which verbatim does not read.
fn is_arrow_name(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".arrow"))
}

/// Why Arrow files cannot be indexed, and how to index their rows.
fn arrow_advice(what: &str) -> String {
    format!(
        "{what}: Arrow (as HuggingFace datasets' save_to_disk writes), which verbatim does not \
         read: write the dataset as Parquet (`Dataset.to_parquet`, `pyarrow.parquet.write_table`) \
         or JSONL (`Dataset.to_json`) and index that"
    )
}

/// Why `path` cannot be read as `format`, when its name says it is compressed in a way verbatim
/// does not decompress (read as text, it was skipped as invalid UTF-8), or that it is an Arrow
/// file.
fn unsupported_compression(path: &Path, format: InputFormat) -> Option<String> {
    if format == InputFormat::Text {
        return None;
    }
    if is_arrow_name(path) {
        return Some(arrow_advice(&path.display().to_string()));
    }
    if format == InputFormat::Parquet {
        return None;
    }
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let kind = [".xz", ".bz2", ".lz4", ".lzma", ".br", ".zip", ".7z"]
        .into_iter()
        .find(|ext| name.ends_with(ext))?;
    Some(format!(
        "{}: compressed as {kind}, which verbatim does not read: decompress it, or recompress it with zstd (.zst) or gzip (.gz)",
        path.display()
    ))
}

fn kind_for(path: &Path, format: InputFormat) -> InputKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    match format {
        InputFormat::Text => InputKind::Text,
        InputFormat::Parquet => InputKind::Parquet,
        InputFormat::Auto if is_parquet_name(&name) => InputKind::Parquet,
        InputFormat::Jsonl => jsonl_kind(&name).unwrap_or_else(|| {
            if name.ends_with(".gz") {
                InputKind::JsonlGz
            } else if name.ends_with(".zst") {
                InputKind::JsonlZst
            } else {
                InputKind::Jsonl
            }
        }),
        InputFormat::Auto => jsonl_kind(&name).unwrap_or(InputKind::Text),
    }
}

/// A file's or directory's identity: device and inode, so that one reached again through a
/// symbolic link (`sub/up -> ..`, a loop), a hard link or by two paths is recognised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

pub(crate) fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        FileId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileId::Path(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// What a walk left out, for the one-line summary.
#[derive(Debug, Default)]
struct Walk {
    /// Directories visited (device and inode).
    visited: BTreeSet<FileId>,
    /// Files listed (device and inode), with the name each was first listed by.
    listed: BTreeMap<FileId, PathBuf>,
    /// Files not listed again (reached by a second name: given twice, given and inside an
    /// input directory, or through a link).
    repeated_files: usize,
    /// Directories not walked again (a symbolic-link loop, or reached by a second path).
    repeated_dirs: usize,
    /// Entries that could not be read (broken or looping links, no permission) or that are
    /// neither files nor directories (sockets, FIFOs, devices).
    unreadable: usize,
    /// Verbatim indexes and shards found inside an input directory (an index written into
    /// its own input folder), not read.
    indexes: usize,
    /// Hidden entries (names starting with `.`, such as `.git`) inside input directories,
    /// not read; the first one's path.
    hidden: usize,
    first_hidden: Option<PathBuf>,
    /// Why the first folder's Arrow files were left out, if any were.
    first_arrow: Option<String>,
    /// Folders whose Arrow files were left out.
    arrow_dirs: usize,
    /// HuggingFace `datasets` metadata files left out; the first one's path.
    metadata: usize,
    first_metadata: Option<PathBuf>,
    /// `--strict`: an entry that cannot be read is an error, not left out.
    strict: bool,
}

/// Whether `dir` is a verbatim index or shard directory: its `manifest.bin` or `tokens.bin`
/// begins with verbatim's magic. Read as input, its files would be skipped as bad text or
/// indexed as documents, and a rebuild into an input folder would read its own output.
fn is_verbatim_output(dir: &Path) -> bool {
    ["manifest.bin", "tokens.bin"].iter().any(|name| {
        let mut magic = [0u8; 8];
        std::fs::File::open(dir.join(name))
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok_and(|()| magic == verbatim_core::format::MAGIC)
    })
}

impl Walk {
    /// Leaves out an entry that cannot be read, with a warning saying `why`; with
    /// `--strict`, refuses the input instead.
    fn unreadable(&mut self, why: String) -> Result<()> {
        if self.strict {
            bail!("{why} (bad input is an error with --strict)");
        }
        tracing::warn!("{why}; left out of the index");
        self.unreadable += 1;
        Ok(())
    }

    /// Whether `path` is a file not listed yet. A file listed before, by this name or another
    /// (given twice, given and inside an input directory, or reached through a link), is left
    /// out with a warning naming both, so that its documents are not indexed twice.
    fn first_listing(&mut self, path: &Path, meta: &std::fs::Metadata) -> bool {
        match self.listed.entry(file_id(path, meta)) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(path.to_path_buf());
                true
            }
            std::collections::btree_map::Entry::Occupied(e) => {
                tracing::warn!(
                    "{}: the same file as {} (given twice, inside an input directory too, or \
                     through a link); read once",
                    path.display(),
                    e.get().display()
                );
                self.repeated_files += 1;
                false
            }
        }
    }
}

fn walk(dir: &Path, format: InputFormat, state: &mut Walk, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list directory {}", dir.display()))?;
    entries.sort();
    let mut arrow_files = Vec::new();
    // HuggingFace's metadata is left out unless every file is read as a text document.
    let metadata_rule = format != InputFormat::Text;
    let beside_data = metadata_rule && holds_data(&entries);
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            state.hidden += 1;
            state.first_hidden.get_or_insert_with(|| p.clone());
            continue;
        }
        if is_writer_side_file(&name) {
            continue;
        }
        if metadata_rule && is_dataset_metadata(&name, beside_data) {
            state.metadata += 1;
            state.first_metadata.get_or_insert_with(|| p.clone());
            continue;
        }
        // Symbolic links are followed: the metadata is the target's.
        let meta = match std::fs::metadata(&p) {
            Ok(m) => m,
            Err(e) => {
                state.unreadable(format!("{}: cannot be read ({e})", p.display()))?;
                continue;
            }
        };
        if meta.is_dir() {
            if is_verbatim_output(&p) {
                tracing::warn!(
                    "{}: a verbatim index or shard (its files start with verbatim's magic); \
                     left out of the input",
                    p.display()
                );
                state.indexes += 1;
            } else if state.visited.insert(file_id(&p, &meta)) {
                walk(&p, format, state, out)?;
            } else {
                tracing::warn!(
                    "{}: a directory already read (through a symbolic link or another path); \
                     not read again",
                    p.display()
                );
                state.repeated_dirs += 1;
            }
        } else if meta.is_file() && is_arrow_name(&p) && format != InputFormat::Text {
            // One warning for a folder's Arrow files (a saved dataset has many).
            arrow_files.push(p);
        } else if let Some(why) = unsupported_compression(&p, format).filter(|_| meta.is_file()) {
            state.unreadable(why)?;
        } else if meta.is_file() {
            out.push(p);
        } else {
            state.unreadable(format!(
                "{}: neither a file nor a directory (a socket, FIFO or device)",
                p.display()
            ))?;
        }
    }
    if let Some(first) = arrow_files.first() {
        let why = arrow_advice(&format!(
            "{}: {} file(s) such as {}",
            dir.display(),
            arrow_files.len(),
            first.file_name().unwrap_or_default().to_string_lossy()
        ));
        state.first_arrow.get_or_insert_with(|| why.clone());
        state.arrow_dirs += 1;
        state.unreadable(why)?;
    }
    Ok(())
}

/// Lists the files to read, in a deterministic order: each given path in order, directories
/// walked recursively in sorted order (hidden entries, the side files of Spark and Hadoop
/// writers and HuggingFace `datasets`' metadata files skipped; Arrow files left out with a
/// warning that says how to export them, an error when nothing else is left). Symbolic links are followed, but a directory or file is read once however
/// often it is reached (a link loop such as `sub/up -> ..` is not followed round; a file given
/// and also inside an input directory, or reached by a link, is read at its first name, with a
/// warning naming both); entries that
/// cannot be read (broken or looping links, no permission) and entries that are neither
/// files nor directories are left out, each with a warning, and counted in a last one. With
/// `--format auto`, a directory that holds Parquet or JSONL files (`.jsonl`, `.json`,
/// `.ndjson`, compressed or not) is read as a dataset: its files that are neither (a dataset
/// card `README.md`, a license, a loading script) are left out with a warning instead of being
/// indexed as text documents. A directory of plain-text files only is read as documents.
pub fn discover(inputs: &[PathBuf], format: InputFormat) -> Result<Vec<InputFile>> {
    discover_files(inputs, format, false)
}

/// [`discover`]; with `strict` (`--strict`), an entry of an input directory that cannot be
/// read (a broken link, a FIFO, a compression verbatim does not read) is an error rather
/// than left out with a warning.
pub fn discover_files(
    inputs: &[PathBuf],
    format: InputFormat,
    strict: bool,
) -> Result<Vec<InputFile>> {
    if inputs.is_empty() {
        bail!("no input given: pass --input FILE_OR_DIR");
    }
    let mut files = Vec::new();
    let mut state = Walk {
        strict,
        ..Walk::default()
    };
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| {
            format!("input {} does not exist or cannot be read", input.display())
        })?;
        if meta.is_dir() {
            if is_verbatim_output(input) {
                bail!(
                    "input {} is a verbatim index or shard, not a corpus: give the files it was built from",
                    input.display()
                );
            }
            if !state.visited.insert(file_id(input, &meta)) {
                tracing::warn!(
                    "input {}: a directory already read (given twice, or inside another \
                     input); not read again",
                    input.display()
                );
                state.repeated_dirs += 1;
                continue;
            }
            let mut found = Vec::new();
            let arrow_dirs = state.arrow_dirs;
            walk(input, format, &mut state, &mut found)?;
            if format == InputFormat::Auto {
                // A folder of Arrow files is a dataset too: its card is not its only document.
                drop_non_data_in_datasets(input, &mut found, state.arrow_dirs > arrow_dirs);
            }
            for p in found {
                let meta = std::fs::metadata(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                if state.first_listing(&p, &meta) {
                    files.push(InputFile {
                        kind: kind_for(&p, format),
                        path: p,
                        bytes: meta.len(),
                        root: Some(input.clone()),
                    });
                }
            }
        } else {
            if let Some(why) = unsupported_compression(input, format) {
                bail!("{why}");
            }
            if !state.first_listing(input, &meta) {
                continue;
            }
            files.push(InputFile {
                kind: kind_for(input, format),
                path: input.clone(),
                bytes: meta.len(),
                root: None,
            });
        }
    }
    if state.repeated_dirs + state.repeated_files + state.unreadable + state.indexes > 0 {
        tracing::warn!(
            "reading the inputs: {} directory(ies) and {} file(s) reached a second time not \
             read again, {} unreadable or special entry(ies) and {} verbatim index or shard \
             directory(ies) left out (see the warnings above)",
            state.repeated_dirs,
            state.repeated_files,
            state.unreadable,
            state.indexes
        );
    }
    let hidden = state.first_hidden.as_ref().map(|first| {
        format!(
            "{} hidden file(s) or folder(s) (names starting with `.`, such as {}) inside the input directories left out; give one as --input to index it",
            state.hidden,
            first.display()
        )
    });
    if let Some(first) = &state.first_metadata {
        tracing::warn!(
            "left out {} HuggingFace datasets metadata file(s), such as {} \
             (JSON that describes the dataset, not its rows); give one as --input to read it",
            state.metadata,
            first.display()
        );
    }
    if files.is_empty() {
        if let Some(why) = state.first_arrow {
            bail!("the inputs hold no files to read: {why}");
        }
        match hidden {
            Some(h) => bail!("the inputs hold no files to read: {h}"),
            None => bail!("the inputs hold no files"),
        }
    }
    if let Some(h) = hidden {
        tracing::warn!("{h}");
    }
    Ok(files)
}

/// Whether a file's name says it holds dataset rows: Parquet or JSONL (compressed or not).
fn is_data_name(name: &str) -> bool {
    is_parquet_name(name) || jsonl_kind(name).is_some()
}

/// Whether a file's name says it is plain text (`.txt`, compressed or not): a document
/// beside JSONL data too.
fn is_text_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".txt", ".txt.gz", ".txt.zst"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Reads an input directory that holds data files (Parquet or JSONL, compressed or not) as a
/// dataset: its other files (a dataset card `README.md`, a `LICENSE`, a loading script) are
/// not documents, and are left out with a warning naming the first; beside JSONL (not
/// Parquet), `.txt` files stay documents. So is one whose Arrow files were left out
/// (`arrow`: a saved dataset, whose card is not its only document). A directory with no data
/// file (plain-text files) is left as it is: its files are the documents.
fn drop_non_data_in_datasets(dir: &Path, found: &mut Vec<PathBuf>, arrow: bool) {
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if !arrow && !found.iter().any(|p| is_data_name(&name(p))) {
        return;
    }
    let parquet = found.iter().any(|p| is_parquet_name(&name(p)));
    let (data, other): (Vec<PathBuf>, Vec<PathBuf>) = std::mem::take(found)
        .into_iter()
        .partition(|p| is_data_name(&name(p)) || (!parquet && is_text_name(&name(p))));
    if let Some(first) = other.first() {
        tracing::warn!(
            "{}: a folder of JSONL or Parquet data: left out {} file(s) that are neither (e.g. \
             {}; a dataset card, license or script is not a document); give such a file as an \
             --input of its own to index it as a text document, or use --format text to read \
             every file as text",
            dir.display(),
            other.len(),
            first.display()
        );
    }
    *found = data;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes each of `files` (paths under `d`, folders made as needed) holding `x`.
    fn write_files(d: &Path, files: &[&str]) {
        for f in files {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
    }

    #[test]
    fn parquet_datasets_skip_side_files_and_cards() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_files(
            d,
            &[
                "README.md",
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet",
                "spark/_SUCCESS",
                "spark/_metadata",
                "spark/lang=en/part-00000-abc.snappy.parquet",
                "spark/lang=en/.part-00000-abc.snappy.parquet.crc",
                "extra.jsonl",
            ],
        );
        let files = discover(&[d.to_path_buf()], InputFormat::Auto).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet",
                "extra.jsonl",
                "spark/lang=en/part-00000-abc.snappy.parquet"
            ]
        );
        assert_eq!(files[0].kind, InputKind::Parquet);
        assert_eq!(files[2].kind, InputKind::Jsonl);
    }

    /// A folder of JSONL data is read as a dataset, as a Parquet one is: its card, license
    /// and loading script are left out (they were indexed as documents, with no warning),
    /// unless given on their own; a folder of plain-text files is read whole.
    #[test]
    fn jsonl_datasets_leave_out_cards_licenses_and_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_files(
            d,
            &[
                "ds/README.md",
                "ds/LICENSE",
                "ds/loader.py",
                "ds/data/train.jsonl.zst",
                "ds/data/valid.json.gz",
                "ds/test.ndjson",
                "ds/notes/extra.txt",
                "texts/one.txt",
                "texts/sub/two.md",
            ],
        );
        let inputs = [d.join("ds"), d.join("texts"), d.join("ds/LICENSE")];
        let files = discover(&inputs, InputFormat::Auto).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "ds/data/train.jsonl.zst",
                "ds/data/valid.json.gz",
                "ds/notes/extra.txt",
                "ds/test.ndjson",
                "texts/one.txt",
                "texts/sub/two.md",
                "ds/LICENSE"
            ]
        );
        assert_eq!(files[6].kind, InputKind::Text);
    }

    /// HuggingFace `datasets` metadata beside the data is not read as JSONL (every line of
    /// its pretty-printed JSON was a skip, and an error with --strict); a folder of Arrow
    /// files (`save_to_disk`) is left out with advice, refused when nothing else is left.
    #[test]
    fn huggingface_metadata_and_arrow_files_are_not_read_as_documents() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_files(
            d,
            &[
                "hub/dataset_infos.json",
                "hub/data/train.jsonl",
                "saved/train/data-00000-of-00002.arrow",
                "saved/train/data-00001-of-00002.arrow",
                "saved/train/dataset_info.json",
                "saved/train/state.json",
                "saved/dataset_dict.json",
            ],
        );
        let files = discover(&[d.to_path_buf()], InputFormat::Auto).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["hub/data/train.jsonl"]);
        let err = discover_files(&[d.to_path_buf()], InputFormat::Auto, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2 file(s) such as data-00000-of-00002.arrow")
                && err.contains("Dataset.to_parquet")
                && err.contains("--strict"),
            "{err}"
        );
        let err = discover(&[d.join("saved")], InputFormat::Auto)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("hold no files to read") && err.contains("Dataset.to_json"),
            "{err}"
        );
        let one = d.join("saved/train/data-00000-of-00002.arrow");
        let err = discover(&[one], InputFormat::Auto).unwrap_err().to_string();
        assert!(err.contains("which verbatim does not read"), "{err}");
        // Given on its own, a metadata file is read as asked.
        let info = d.join("hub/dataset_infos.json");
        assert_eq!(discover(&[info], InputFormat::Auto).unwrap().len(), 1);
        // Arrow files and a dataset card: the card is not indexed as the only document.
        write_files(d, &["arrow-hub/README.md", "arrow-hub/data/train-0.arrow"]);
        let err = discover(&[d.join("arrow-hub")], InputFormat::Auto).unwrap_err();
        assert!(err.to_string().contains("Dataset.to_parquet"), "{err}");
        // Named as JSONL or Parquet, Arrow files get the same advice.
        for format in [InputFormat::Jsonl, InputFormat::Parquet] {
            let err = discover(&[d.join("saved")], format)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("2 file(s) such as") && err.contains("Dataset.to_json"),
                "{err}"
            );
        }
        // A `state.json` beside no data is the user's own file, read as a document; with
        // --format text every file is a document.
        write_files(d, &["notes/state.json", "notes/a.txt"]);
        assert_eq!(
            discover(&[d.join("notes")], InputFormat::Auto)
                .unwrap()
                .len(),
            2
        );
        let files = discover(&[d.join("saved")], InputFormat::Text).unwrap();
        assert_eq!(files.len(), 5, "{files:?}");
    }

    /// An index written into its own input folder is not read back as input by the next
    /// build (its files were skipped as bad text, or indexed as documents); an index given
    /// as the input is refused.
    #[test]
    fn verbatim_indexes_inside_an_input_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (f, bytes) in [
            ("a.txt", &b"x"[..]),
            ("idx/manifest.bin", b"VERBATIM\x01rest"),
            ("idx/fulltext/meta.json", b"{}"),
            ("root/idx.0123/shard-00000/tokens.bin", b"VERBATIM\x02rest"),
            ("notes/manifest.bin", b"not ours"),
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let files = discover(&[d.to_path_buf()], InputFormat::Auto).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(d).unwrap().display().to_string())
            .collect();
        // A folder of text files (no JSONL or Parquet data), so every file is a document.
        assert_eq!(names, ["a.txt", "notes/manifest.bin"]);
        let err = discover(&[d.join("idx")], InputFormat::Auto).unwrap_err();
        assert!(err.to_string().contains("is a verbatim index"), "{err}");
    }

    /// A symbolic link back up the tree (`sub/up -> ..`) is not followed round: every file is
    /// listed once (it was listed 41 times, until the path was too long). Broken and looping
    /// links are left out (with a warning), not an error. A file reached by two names is
    /// listed once (it was indexed twice).
    #[cfg(unix)]
    #[test]
    fn link_loops_are_read_once_and_bad_links_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("loop");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.jsonl"), b"x").unwrap();
        std::fs::write(d.join("sub/b.jsonl"), b"x").unwrap();
        std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
        std::os::unix::fs::symlink("missing", d.join("sub/broken")).unwrap();
        std::os::unix::fs::symlink("self", d.join("sub/self")).unwrap();
        let files = discover(std::slice::from_ref(&d), InputFormat::Auto).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(&d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.jsonl", "sub/b.jsonl"]);
        // The same directory given twice, or inside another input, is read once.
        let twice = [d.clone(), d.join("sub"), d.clone()];
        assert_eq!(discover(&twice, InputFormat::Auto).unwrap().len(), 2);
        // A file given again, given and inside an input directory, or reached through a link
        // to it or to its directory is read once, by its first name.
        std::os::unix::fs::symlink(d.join("a.jsonl"), dir.path().join("alias.jsonl")).unwrap();
        std::os::unix::fs::symlink(&d, dir.path().join("dirlink")).unwrap();
        let inputs = [
            dir.path().join("alias.jsonl"),
            d.join("a.jsonl"),
            d.clone(),
            dir.path().join("dirlink/sub/b.jsonl"),
            dir.path().join("dirlink/./a.jsonl"),
        ];
        let files = discover(&inputs, InputFormat::Auto).unwrap();
        let names: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(
            names,
            [dir.path().join("alias.jsonl"), d.join("sub/b.jsonl")]
        );
        // With --strict a link that cannot be read is an error, named, not left out.
        let err = discover_files(std::slice::from_ref(&d), InputFormat::Auto, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sub/broken") && err.contains("--strict"),
            "{err}"
        );
    }
}
