//! Finding the files of an infini-gram index and checking that they fit together.
//!
//! infini-gram's engine (`cpp_engine.h`) classifies every file of the directory by a
//! substring of its path (`tokenized`, `table`, `offset`, `metadata`, `metaoff`, `unigram`),
//! sorts each kind's paths as strings and pairs them up by position: shard `s` is the `s`-th
//! `tokenized.*` in string order (`tokenized.10` before `tokenized.2`). verbatim reads the same
//! shards in the same order, so shard numbers (`s`) and document numbers (`doc_ix`) are the
//! engine's, but it is stricter about names: only `KIND.N` with a decimal `N` count, and the
//! kinds must come in the same set of shard numbers.

use crate::error::{Error, Result};
use crate::token::TokenWidth;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The kinds of file of one infini-gram shard.
const KINDS: [&str; 6] = [
    "tokenized",
    "table",
    "offset",
    "metadata",
    "metaoff",
    "unigram",
];

/// The files of one shard of an infini-gram index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardFiles {
    /// The shard number as written in the file names (`0` of `tokenized.0`).
    pub suffix: String,
    /// `tokenized.N`: the token stream.
    pub tokenized: PathBuf,
    /// `table.N`: the suffix array of byte pointers.
    pub table: PathBuf,
    /// `offset.N`: the byte offset of each document's separator.
    pub offset: PathBuf,
    /// `metadata.N` and `metaoff.N`, when the index was built with `--add_metadata`.
    pub metadata: Option<(PathBuf, PathBuf)>,
    /// `unigram.N`, when built with `--add_unigram`.
    pub unigram: Option<PathBuf>,
}

impl ShardFiles {
    /// Every file of the shard, in a fixed order.
    pub fn all(&self) -> Vec<&Path> {
        let mut v = vec![
            self.tokenized.as_path(),
            self.table.as_path(),
            self.offset.as_path(),
        ];
        if let Some((m, o)) = &self.metadata {
            v.push(m);
            v.push(o);
        }
        if let Some(u) = &self.unigram {
            v.push(u);
        }
        v
    }
}

/// The shards of an infini-gram index directory, in the engine's order.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The index directory.
    pub dir: PathBuf,
    /// The shards, in the order infini-gram numbers them.
    pub shards: Vec<ShardFiles>,
}

fn refuse(path: &Path, detail: impl Into<String>) -> Error {
    Error::InfiniGram {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Whether `dir` looks like an infini-gram index (a `tokenized.*` or `tokenized` file and no
/// verbatim manifest), without checking it.
pub fn looks_like(dir: &Path) -> bool {
    if dir.join(crate::manifest::MANIFEST_FILE).exists() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name == "tokenized" || name.starts_with("tokenized.")
    })
}

/// Lists and pairs the files of the infini-gram index in `dir`. Refuses layouts verbatim
/// cannot read as they are, naming the file and the reason.
pub fn scan(dir: &Path) -> Result<Layout> {
    let mut by_kind: BTreeMap<&str, BTreeMap<String, PathBuf>> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if KINDS.contains(&name.as_str()) {
            return Err(Error::InfiniGramVariant {
                path: e.path(),
                detail: "an un-numbered file: this is infini-gram's v6 single-file layout, \
                         which verbatim does not read (it reads the v4 layout: tokenized.N, \
                         table.N, offset.N)"
                    .into(),
            });
        }
        let Some((kind, n)) = name.split_once('.') else {
            continue;
        };
        let Some(kind) = KINDS.iter().find(|k| **k == kind) else {
            continue;
        };
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        by_kind
            .entry(kind)
            .or_default()
            .insert(n.to_string(), e.path());
    }
    let numbers = |kind: &str| -> Vec<String> {
        by_kind
            .get(kind)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let tokenized = numbers("tokenized");
    if tokenized.is_empty() {
        return Err(refuse(
            dir,
            "no tokenized.N files: not an infini-gram index",
        ));
    }
    for kind in ["table", "offset"] {
        let got = numbers(kind);
        if got != tokenized {
            return Err(refuse(
                dir,
                format!(
                    "mismatched shard files: {} tokenized.N but {} {kind}.N files (tokenized: {}; {kind}: {})",
                    tokenized.len(),
                    got.len(),
                    tokenized.join(","),
                    got.join(",")
                ),
            ));
        }
    }
    for kind in ["metadata", "metaoff", "unigram"] {
        let got = numbers(kind);
        if !got.is_empty() && got != tokenized {
            return Err(refuse(
                dir,
                format!(
                    "mismatched shard files: {} tokenized.N but {} {kind}.N files (an index has \
                     one {kind}.N per shard or none)",
                    tokenized.len(),
                    got.len()
                ),
            ));
        }
    }
    if numbers("metadata").is_empty() != numbers("metaoff").is_empty() {
        return Err(refuse(
            dir,
            "metadata.N files without metaoff.N files (or the reverse): both or neither",
        ));
    }
    let path = |kind: &str, n: &str| by_kind.get(kind).and_then(|m| m.get(n)).cloned();
    // The engine sorts paths as strings, so shards come in the string order of their numbers.
    let mut order = tokenized.clone();
    order.sort();
    let shards = order
        .iter()
        .map(|n| ShardFiles {
            suffix: n.clone(),
            tokenized: path("tokenized", n).expect("listed"),
            table: path("table", n).expect("listed"),
            offset: path("offset", n).expect("listed"),
            metadata: path("metadata", n).zip(path("metaoff", n)),
            unigram: path("unigram", n),
        })
        .collect();
    Ok(Layout {
        dir: dir.to_path_buf(),
        shards,
    })
}

/// infini-gram's pointer width for a token stream of `ds_size` bytes:
/// `ceil(log2(ds_size) / 8)` (`indexing.py`), the fewest bytes that address it.
pub fn standard_ptr_size(ds_size: u64) -> usize {
    let mut k = 1usize;
    while k < 8 && ds_size > 1u64 << (8 * k) {
        k += 1;
    }
    k
}

/// The token width of an index whose shards have these (token stream, table) sizes in
/// bytes: the width for which every table holds `ceil(log2(stream bytes) / 8)`-byte pointers,
/// as infini-gram's indexer writes them. `None` when no width, or more than one, fits.
pub fn infer_width(sizes: &[(u64, u64)]) -> Option<TokenWidth> {
    let fits = |w: u64| {
        sizes.iter().all(|&(ds, sa)| {
            ds > 0
                && ds % w == 0
                && sa % (ds / w) == 0
                && sa / (ds / w) == standard_ptr_size(ds) as u64
        })
    };
    let mut found = [1u64, 2, 4].into_iter().filter(|&w| fits(w));
    let w = found.next()?;
    if found.next().is_some() {
        return None;
    }
    TokenWidth::from_bytes(w as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_widths_follow_indexing_py() {
        assert_eq!(standard_ptr_size(2), 1);
        assert_eq!(standard_ptr_size(256), 1);
        assert_eq!(standard_ptr_size(257), 2);
        assert_eq!(standard_ptr_size(242_204_708), 4);
        assert_eq!(standard_ptr_size(1 << 32), 4);
        assert_eq!(standard_ptr_size((1 << 32) + 1), 5);
    }

    #[test]
    fn width_is_inferred_from_the_sizes() {
        // medium, u16: 121,102,354 tokens, 4-byte pointers.
        assert_eq!(
            infer_width(&[(242_204_708, 484_409_416)]),
            Some(TokenWidth::U16)
        );
        assert_eq!(infer_width(&[(1000, 2000)]), Some(TokenWidth::U8));
        assert_eq!(infer_width(&[(1000, 3000)]), None);
    }
}
