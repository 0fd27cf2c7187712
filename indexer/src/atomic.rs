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
    /// not set.
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        if target.exists() && !force {
            bail!(
                "{} already exists; pass --force to replace it, or choose another --out",
                target.display()
            );
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
