//! Where new shards are written: inside the index directory, or spread over other
//! directories (`--shard-root`, e.g. other disks), named in the manifest by absolute path.

use crate::error::{bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use verbatim_core::index::shard_dir_name;

/// The number to give the next new shard of an index whose shards are `shards`: past the
/// shard count and past every `shard-N` name in use (a compaction names its shards after the
/// ones it replaces, so names and positions differ).
pub(crate) fn next_shard_number(shards: &[verbatim_core::manifest::ShardInfo]) -> usize {
    shards
        .iter()
        .filter_map(|s| {
            Path::new(&s.dir)
                .file_name()?
                .to_str()?
                .strip_prefix("shard-")?
                .parse::<usize>()
                .ok()
        })
        .map(|n| n + 1)
        .max()
        .unwrap_or(0)
        .max(shards.len())
}

/// Decides the directory of each new shard and remembers the ones it created, so that a
/// failed build or append removes them.
pub struct ShardPlacement {
    index_dir: PathBuf,
    roots: Vec<PathBuf>,
    tag: String,
    created: Mutex<Vec<PathBuf>>,
    keep: std::sync::atomic::AtomicBool,
}

impl ShardPlacement {
    /// Shards of the index being written in `index_dir` (its final or temporary directory),
    /// spread round-robin over `roots` when given; `tag` names the index's folder under each
    /// root (unique per index: its name and index id).
    pub fn new(index_dir: &Path, roots: &[PathBuf], tag: &str) -> Result<ShardPlacement> {
        let mut abs = Vec::with_capacity(roots.len());
        for r in roots {
            std::fs::create_dir_all(r)
                .with_context(|| format!("cannot create shard root {}", r.display()))?;
            let c = r
                .canonicalize()
                .with_context(|| format!("cannot resolve shard root {}", r.display()))?;
            abs.push(c);
        }
        Ok(ShardPlacement {
            index_dir: index_dir.to_path_buf(),
            roots: abs,
            tag: tag.to_string(),
            created: Mutex::new(Vec::new()),
            keep: false.into(),
        })
    }

    /// The directory of shard `i` and the name the manifest records for it (relative to the
    /// index directory, or absolute under a root).
    pub fn place(&self, i: usize) -> Result<(PathBuf, String)> {
        let name = shard_dir_name(i);
        let (abs, recorded) = if self.roots.is_empty() {
            (self.index_dir.join(&name), name)
        } else {
            let dir = self.roots[i % self.roots.len()].join(&self.tag).join(&name);
            let recorded = dir
                .to_str()
                .with_context(|| format!("shard root path {} is not UTF-8", dir.display()))?
                .to_string();
            (dir, recorded)
        };
        if abs.exists() {
            bail!(
                "{} already exists; it may be left from an interrupted build: remove it",
                abs.display()
            );
        }
        if let Ok(mut c) = self.created.lock() {
            c.push(abs.clone());
        }
        Ok((abs, recorded))
    }

    /// Folders under the roots that look like this index's (`NAME.` followed by 16 hex
    /// digits) but hold none of the shard directories `named` (the committed manifest's):
    /// left by a build or append killed before its commit, or used by a copy of the index.
    /// Never removed automatically, since a copy's shards cannot be told apart.
    pub fn foreign_folders(&self, name_prefix: &str, named: &BTreeSet<&str>) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for root in &self.roots {
            let Ok(entries) = std::fs::read_dir(root) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                let looks_like_ours = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(name_prefix))
                    .and_then(|n| n.strip_prefix('.'))
                    .is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
                let used = named.iter().any(|d| Path::new(d).starts_with(&path));
                if looks_like_ours && path.is_dir() && !used && path != root.join(&self.tag) {
                    out.push(path);
                }
            }
        }
        out
    }

    /// Keeps the created shard directories (the build committed).
    pub fn commit(&self) {
        self.keep.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for ShardPlacement {
    fn drop(&mut self) {
        if self.keep.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if let Ok(c) = self.created.lock() {
            for d in c.iter() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }
}
