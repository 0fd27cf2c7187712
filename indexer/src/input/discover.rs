//! Finding the corpus files under the given paths.

use crate::options::InputFormat;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Compression of a JSONL file, from its name.
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

fn kind_for(path: &Path, format: InputFormat) -> InputKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    match format {
        InputFormat::Text => InputKind::Text,
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

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list directory {}", dir.display()))?;
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

/// Lists the files to read, in a deterministic order: each given path in order, directories
/// walked recursively in sorted order (hidden entries skipped).
pub fn discover(inputs: &[PathBuf], format: InputFormat) -> Result<Vec<InputFile>> {
    if inputs.is_empty() {
        bail!("no input given: pass --input FILE_OR_DIR");
    }
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| {
            format!("input {} does not exist or cannot be read", input.display())
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            for p in found {
                let bytes = std::fs::metadata(&p)?.len();
                files.push(InputFile {
                    kind: kind_for(&p, format),
                    path: p,
                    bytes,
                    root: Some(input.clone()),
                });
            }
        } else {
            files.push(InputFile {
                kind: kind_for(input, format),
                path: input.clone(),
                bytes: meta.len(),
                root: None,
            });
        }
    }
    if files.is_empty() {
        bail!("the inputs hold no files");
    }
    Ok(files)
}
