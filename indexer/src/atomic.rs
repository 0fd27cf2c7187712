//! Atomic builds: everything is written into a temporary directory beside the target, which
//! is renamed into place only when the build has fully succeeded.
//!
//! The temporary directory `.NAME.building-PID` has a lock file beside it,
//! `.NAME.building-PID.lock`, locked (see [`crate::lock`]) before the directory is made and for
//! the build's whole life, and removed only after the directory is renamed or removed. A build
//! killed with no chance to clean up (SIGKILL, a crash, a lost machine) leaves the directory
//! and an unlocked lock file: the next build into the same target takes that lock and removes
//! the leftover. The directory of a build still running is never touched (its lock is held),
//! whatever its process id, which a later process may reuse.

use crate::error::{bail, refuse, Context, Result};
use crate::lock::{Attempt, LockFile};
use std::path::{Path, PathBuf};

/// A temporary index directory, removed on drop unless committed.
pub struct TempIndexDir {
    temp: PathBuf,
    target: PathBuf,
    force: bool,
    committed: bool,
    /// Held for the directory's whole life; dropped (and its file removed) after it.
    _lock: LockFile,
}

impl TempIndexDir {
    /// Creates `.NAME.building-PID` beside `target` (and locks its lock file), after removing
    /// the leftovers of interrupted builds into `target` (see [`remove_stale`]). Fails if
    /// `target` exists and `force` is not set, or if what `force` would replace is not an
    /// index (see [`replaceable`]).
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
        let prefix = format!(".{name}.building-");
        let temp = parent.join(format!("{prefix}{}", std::process::id()));
        let lock_path = lock_path(&temp);
        let lock = match LockFile::try_acquire(&lock_path, true)? {
            Attempt::Acquired(lock) => lock,
            Attempt::Held | Attempt::Missing => refuse!(
                "another build is writing {} (its lock {} is held: this process, or one with \
                 the same process id in another container); wait for it to finish",
                temp.display(),
                lock_path.display()
            ),
        };
        remove_stale(parent, &prefix, &temp)?;
        if temp.exists() {
            // Ours by name, and its lock is ours: left by a killed build whose process id
            // this process now has.
            std::fs::remove_dir_all(&temp)
                .with_context(|| format!("cannot remove {}", temp.display()))?;
        }
        std::fs::create_dir(&temp).with_context(|| format!("cannot create {}", temp.display()))?;
        Ok(TempIndexDir {
            temp,
            target: target.to_path_buf(),
            force,
            committed: false,
            _lock: lock,
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

/// The lock file of the temporary directory `temp`: `.NAME.building-PID.lock`.
fn lock_path(temp: &Path) -> PathBuf {
    let mut name = temp.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    temp.with_file_name(name)
}

/// Removes from `parent` the temporary directories `PREFIXN` (`N` a process id) of builds
/// that are no longer running, known by their lock file `PREFIXN.lock`, which can be taken,
/// and says so in one line; `own` (this build's, whose lock it holds) is left to the caller.
/// A directory whose lock is held belongs to a running build and is left alone. One with no
/// lock file (written by a verbatim from before the lock files, or the lock removed by hand)
/// cannot be told from a running build's: it is left, with a warning that names it. Lock
/// files of builds no longer running with no directory beside them are removed quietly.
fn remove_stale(parent: &Path, prefix: &str, own: &Path) -> Result<()> {
    let own_name = own.file_name().unwrap_or_default();
    let mut removed = Vec::new();
    let mut bytes = 0u64;
    let entries =
        std::fs::read_dir(parent).with_context(|| format!("cannot list {}", parent.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("cannot list {}", parent.display()))?;
        let name = e.file_name();
        if name == own_name {
            continue;
        }
        let name = name.to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let (pid, is_lock) = match rest.strip_suffix(".lock") {
            Some(pid) => (pid, true),
            None => (rest, false),
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let dir = parent.join(format!("{prefix}{pid}"));
        if dir == own {
            continue;
        }
        if is_lock {
            if !dir.exists() {
                // Left by a build killed before making its directory or after renaming it:
                // removed (on drop) if no build holds it.
                let _ = LockFile::try_acquire(&e.path(), false)?;
            }
            continue;
        }
        // A real directory, not a symbolic link to one (never followed to delete).
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match LockFile::try_acquire(&lock_path(&dir), false)? {
            Attempt::Held => {
                tracing::debug!("{} belongs to a running build; left alone", dir.display());
            }
            Attempt::Missing => tracing::warn!(
                "{} has no lock file: it was left by an interrupted build of an older verbatim, \
                 or one is still writing it; remove it yourself if no build is running",
                dir.display()
            ),
            Attempt::Acquired(lock) => {
                bytes += crate::sizes::dir_size(&dir).unwrap_or(0);
                std::fs::remove_dir_all(&dir).with_context(|| {
                    format!(
                        "cannot remove {}, left by an interrupted build",
                        dir.display()
                    )
                })?;
                drop(lock);
                removed.push(name);
            }
        }
    }
    if !removed.is_empty() {
        removed.sort();
        tracing::warn!(
            "removed {} ({}) in {}, left by {} interrupted build(s)",
            removed.join(", "),
            crate::memory::human(bytes),
            parent.display(),
            removed.len()
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A killed build's `.NAME.building-PID` (with its unlocked lock file) is removed by the
    /// next build into NAME; a running build's (lock held) and one with no lock file are not;
    /// nothing of another name is touched.
    #[test]
    fn leftovers_of_builds_no_longer_running_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let leftover = |pid: u64, lock: bool| {
            let p = d.join(format!(".idx.building-{pid}"));
            std::fs::create_dir_all(p.join("shard-00000")).unwrap();
            std::fs::write(p.join("shard-00000/tokens.bin"), vec![0u8; 4096]).unwrap();
            if lock {
                std::fs::write(lock_path(&p), b"").unwrap();
            }
            p
        };
        let killed = leftover(4_000_000_001, true);
        let running = leftover(4_000_000_002, true);
        let Attempt::Acquired(running_lock) =
            LockFile::try_acquire(&lock_path(&running), false).unwrap()
        else {
            panic!("lock not taken")
        };
        let unlocked = leftover(4_000_000_003, false);
        let lone_lock = d.join(".idx.building-4000000004.lock");
        std::fs::write(&lone_lock, b"").unwrap();
        let other = d.join(".idx2.building-4000000005");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(lock_path(&other), b"").unwrap();

        let temp = TempIndexDir::create(&d.join("idx"), false).unwrap();
        assert!(temp.path().is_dir() && lock_path(temp.path()).is_file());
        assert!(!killed.exists() && !lock_path(&killed).exists());
        assert!(running.is_dir() && lock_path(&running).is_file());
        assert!(unlocked.is_dir());
        assert!(!lone_lock.exists());
        assert!(other.is_dir() && lock_path(&other).is_file());

        // The build holds its own lock for its whole life; a failed build removes both.
        let own = temp.path().to_path_buf();
        let own_lock = lock_path(&own);
        assert!(matches!(
            LockFile::try_acquire(&own_lock, false).unwrap(),
            Attempt::Held
        ));
        drop(temp);
        assert!(!own.exists() && !own_lock.exists());
        drop(running_lock);
    }
}
