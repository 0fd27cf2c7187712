//! Atomic builds: everything is written into a temporary directory beside the target, which
//! is renamed into place only when the build has fully succeeded.

use crate::error::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// A temporary index directory, removed on drop unless committed.
pub struct TempIndexDir {
    temp: PathBuf,
    target: PathBuf,
    force: bool,
    committed: bool,
}

impl TempIndexDir {
    /// Creates `.NAME.building-PID` beside `target`. Fails if `target` exists and `force` is
    /// not set, or if what `force` would replace is not an index (see [`replaceable`]).
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        if target.exists() && !force {
            bail!(
                "{} already exists; pass --force to replace it, or choose another --out",
                target.display()
            );
        }
        if target.exists() {
            replaceable(target)?;
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = target
            .file_name()
            .context("--out must name a directory")?
            .to_string_lossy();
        let temp = parent.join(format!(".{name}.building-{}", std::process::id()));
        if temp.exists() {
            std::fs::remove_dir_all(&temp)?;
        }
        std::fs::create_dir(&temp).with_context(|| format!("cannot create {}", temp.display()))?;
        Ok(TempIndexDir {
            temp,
            target: target.to_path_buf(),
            force,
            committed: false,
        })
    }

    /// The directory to write into.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Moves the finished index into place (replacing an old one when forced).
    pub fn commit(mut self) -> Result<()> {
        sync_dir(&self.temp);
        if self.target.exists() {
            if !self.force {
                bail!(
                    "{} appeared during the build; not replacing it",
                    self.target.display()
                );
            }
            let old = self.temp.with_extension("old");
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move the old {} aside", self.target.display()))?;
            std::fs::rename(&self.temp, &self.target)?;
            std::fs::remove_dir_all(&old).ok();
        } else {
            std::fs::rename(&self.temp, &self.target).with_context(|| {
                format!(
                    "cannot rename {} to {}",
                    self.temp.display(),
                    self.target.display()
                )
            })?;
        }
        if let Some(parent) = self.target.parent() {
            sync_dir(parent);
        }
        self.committed = true;
        Ok(())
    }
}

/// Whether `--force` may replace `target`: an index (its `manifest.bin`), an infini-gram
/// side directory (its `infini-gram.bin`) or an empty directory. Anything else (a corpus
/// directory, a file, a mistyped path) is refused rather than deleted.
pub fn replaceable(target: &Path) -> Result<()> {
    use verbatim_core::infini_gram::attachment::ATTACHMENT_FILE;
    use verbatim_core::manifest::MANIFEST_FILE;
    let is_index = [MANIFEST_FILE, ATTACHMENT_FILE]
        .iter()
        .any(|f| target.join(f).is_file());
    let is_empty_dir = target.is_dir()
        && std::fs::read_dir(target)
            .with_context(|| format!("cannot read {}", target.display()))?
            .next()
            .is_none();
    if !(is_index || is_empty_dir) {
        bail!(
            "{} exists and is not an index (no {MANIFEST_FILE}); --force replaces only an index: \
             choose another --out, or remove it yourself if it is meant to go",
            target.display()
        );
    }
    Ok(())
}

/// Refuses paths the build must not put inside its output directory, which a forced build
/// replaces as a whole: its inputs (they would be deleted) and its shard roots (the shards
/// would be deleted with the old directory, or left behind on a failed build).
pub fn check_outside(target: &Path, inputs: &[PathBuf], shard_roots: &[PathBuf]) -> Result<()> {
    let Some(out) = absolute(target) else {
        return Ok(());
    };
    for (what, paths) in [("input", inputs), ("--shard-root", shard_roots)] {
        for p in paths {
            if absolute(p).is_some_and(|a| a.starts_with(&out)) {
                bail!(
                    "{what} {} is inside --out {}, which the build replaces as a whole: \
                     put it elsewhere",
                    p.display(),
                    target.display()
                );
            }
        }
    }
    Ok(())
}

/// `path` made absolute with symbolic links resolved as far as it exists (the rest appended),
/// so that `a/../b` and a link to the output directory compare as the paths they name.
fn absolute(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            out.extend(rest.iter().rev());
            return Some(out);
        }
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

impl Drop for TempIndexDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}
