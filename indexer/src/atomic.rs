//! Atomic builds: everything is written into a temporary directory beside the target, which
//! is renamed into place only when the build has fully succeeded.
//!
//! The temporary directory `.NAME.building-PID` has a lock file beside it,
//! `.NAME.building-PID.lock`, locked (see [`crate::lock`]) before the directory is made and for
//! the build's whole life, and removed only after the directory is renamed or removed. A build
//! killed with no chance to clean up (SIGKILL, a crash, a lost machine) leaves the directory
//! and an unlocked lock file: the next build into the same target (or append to it) takes
//! that lock and removes the leftover. The directory of a build still running is never touched (its lock is held),
//! whatever its process id, which a later process may reuse.
//!
//! A build with `--force` commits by two renames: the old index at the target to
//! `.NAME.building-PID.old`, then its directory to the target; then it removes the old index.
//! Killed between the renames, it leaves no index at the target and the old one in `.old`;
//! killed after them, a `.old` nobody needs. The next build into the target (or append to it)
//! that can take the lock of that `PID` (so the build is not running) renames the old index
//! back when the target is missing, or removes it when the target is an index, in one line
//! each.

use crate::error::{bail, refuse, Context, Result};
use crate::lock::{Attempt, LockFile};
use std::path::{Path, PathBuf};
use verbatim_core::infini_gram::attachment::ATTACHMENT_FILE;
use verbatim_core::manifest::MANIFEST_FILE;

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
    /// Creates `.NAME.building-PID` beside `target` (and locks its lock file), after dealing
    /// with the leftovers of interrupted builds into `target` (see [`remove_stale`]: an old
    /// index a killed `--force` build had moved aside is put back first). Fails if `target`
    /// exists and `force` is not set, or if what `force` would replace is not an index (see
    /// [`replaceable`]).
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        let parent = parent_of(target);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let prefix = temp_prefix(target).context("--out must name a directory")?;
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
        remove_stale(parent, &prefix, Some(&temp), target)?;
        if target.exists() && !force {
            bail!(
                "{} already exists; pass --force to replace it, or choose another --out",
                target.display()
            );
        }
        if target.exists() {
            replaceable(target)?;
        }
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
            // Named after this build, whose lock (held until the end) tells the next build
            // whether this one still runs (see [`remove_stale`]).
            let old = old_path(&self.temp);
            std::fs::rename(&self.target, &old).with_context(|| {
                format!(
                    "cannot move the old {} aside to {}",
                    self.target.display(),
                    old.display()
                )
            })?;
            if let Err(e) = std::fs::rename(&self.temp, &self.target) {
                // Not killed, only failed: the old index goes back where it was.
                let back = std::fs::rename(&old, &self.target);
                return Err(e).with_context(|| {
                    format!(
                        "cannot rename {} to {}{}",
                        self.temp.display(),
                        self.target.display(),
                        match back {
                            Ok(()) => " (the old index is back in place)".to_string(),
                            Err(_) => format!(" (the old index is in {})", old.display()),
                        }
                    )
                });
            }
            sync_dir(parent_of(&self.target));
            if let Err(e) = std::fs::remove_dir_all(&old) {
                tracing::warn!(
                    "cannot remove {}, the index {} held before this build ({e}): remove it \
                     yourself",
                    old.display(),
                    self.target.display()
                );
            }
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

/// The directory `target` is in (`.` for a bare name).
fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `.NAME.building-`, the start of the names of the temporary directories of builds into
/// `target` (`None`: `target` names no directory, e.g. `..`).
fn temp_prefix(target: &Path) -> Option<String> {
    let name = target.file_name()?.to_string_lossy();
    Some(format!(".{name}.building-"))
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The lock file of the temporary directory `temp`: `.NAME.building-PID.lock`.
fn lock_path(temp: &Path) -> PathBuf {
    with_suffix(temp, ".lock")
}

/// Where the build of the temporary directory `temp` moves the index it replaces during its
/// commit: `.NAME.building-PID.old`.
fn old_path(temp: &Path) -> PathBuf {
    with_suffix(temp, ".old")
}

/// Deals with the leftovers of interrupted builds into `target` (see [`remove_stale`]) for an
/// append to it, which takes no build lock of its own: an index a killed `--force` build had
/// moved aside is put back before the append looks for the index.
pub(crate) fn recover(target: &Path) -> Result<()> {
    let parent = parent_of(target);
    match temp_prefix(target) {
        Some(prefix) if parent.is_dir() => remove_stale(parent, &prefix, None, target),
        _ => Ok(()),
    }
}

/// Whether a directory entry (not followed if a symbolic link) is at `path`.
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `path` is a directory itself, not a symbolic link to one (never followed to delete
/// or move).
fn real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Deals with the leftovers in `parent` of builds into `target` that are no longer running,
/// known by the lock file `PREFIXN.lock` (`N` a process id) beside them, which can be taken:
/// their temporary directories `PREFIXN` are removed (one line names them), and an old index
/// `PREFIXN.old` that a killed `--force` build had moved aside is put back at `target` when
/// `target` is missing, or removed when `target` is an index (see [`recover_replaced`]).
/// `own` (this build's temporary directory, whose lock it holds) is left to the caller; an old
/// index beside it was left by a killed build with this process's id, and is dealt with.
/// Leftovers whose lock is held belong to a running build and are left alone. Ones with no
/// lock file (written by a verbatim from before the lock files, or the lock removed by hand)
/// cannot be told from a running build's: they are left, with a warning that names them, as is
/// `.NAME.old`, where a verbatim before `.NAME.building-PID.old` moved the replaced index.
/// Lock files of builds no longer running with nothing beside them are removed quietly.
fn remove_stale(parent: &Path, prefix: &str, own: Option<&Path>, target: &Path) -> Result<()> {
    let mut pids = std::collections::BTreeSet::new();
    let entries =
        std::fs::read_dir(parent).with_context(|| format!("cannot list {}", parent.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("cannot list {}", parent.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let pid = [".lock", ".old"]
            .iter()
            .find_map(|s| rest.strip_suffix(s))
            .unwrap_or(rest);
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
            pids.insert(pid.to_string());
        }
    }
    let mut removed = Vec::new();
    let mut bytes = 0u64;
    for pid in pids {
        let dir = parent.join(format!("{prefix}{pid}"));
        let old = old_path(&dir);
        let is_own = own == Some(dir.as_path());
        if !present(&old) && (is_own || !present(&dir)) {
            if !is_own {
                // A lock file alone, left by a build killed before making its directory or
                // after renaming it: removed (on drop) if no build holds it.
                let _ = LockFile::try_acquire(&lock_path(&dir), false)?;
            }
            continue;
        }
        let stale_dir = !is_own && real_dir(&dir);
        let stale_old = real_dir(&old);
        if !stale_dir && !stale_old {
            continue; // not directories: not ours to touch
        }
        let lock = if is_own {
            None // held by this build, for the directory it is about to make
        } else {
            match LockFile::try_acquire(&lock_path(&dir), false)? {
                Attempt::Acquired(lock) => Some(lock),
                Attempt::Held => {
                    tracing::debug!("{} belongs to a running build; left alone", dir.display());
                    continue;
                }
                Attempt::Missing => {
                    for p in [&dir, &old].into_iter().filter(|p| real_dir(p)) {
                        tracing::warn!(
                            "{} has no lock file {}: it was left by an interrupted build of an \
                             older verbatim, or one is still writing it; remove it yourself if no \
                             build is running",
                            p.display(),
                            lock_path(&dir).display()
                        );
                    }
                    continue;
                }
            }
        };
        if stale_old {
            recover_replaced(&old, target)?;
        }
        if stale_dir {
            bytes += crate::sizes::dir_size(&dir).unwrap_or(0);
            std::fs::remove_dir_all(&dir).with_context(|| {
                format!(
                    "cannot remove {}, left by an interrupted build",
                    dir.display()
                )
            })?;
            removed.push(format!("{prefix}{pid}"));
        }
        drop(lock);
    }
    if !removed.is_empty() {
        tracing::warn!(
            "removed {} ({}) in {}, left by {} interrupted build(s)",
            removed.join(", "),
            crate::memory::human(bytes),
            parent.display(),
            removed.len()
        );
    }
    if let Some(legacy) = temp_prefix(target)
        .and_then(|p| {
            p.strip_suffix(".building-")
                .map(|n| parent.join(format!("{n}.old")))
        })
        .filter(|p| real_dir(p))
    {
        tracing::warn!(
            "{} was left by a build of an older verbatim killed while replacing {} (--force): \
             it holds the index that build replaced; once no build into {} is running, remove \
             it yourself, or rename it to {} if that is missing",
            legacy.display(),
            target.display(),
            target.display(),
            target.display()
        );
    }
    Ok(())
}

/// `old`, the index a build with `--force` into `target` had moved aside when it was killed
/// (known dead: the caller holds its lock): renamed back to `target` when `target` is missing
/// (killed between its two renames: the old index is the last one committed), removed when
/// `target` is an index (killed after them: `target` is the new one), in one line each.
/// Anything else at `target` (put there by hand since) leaves `old` where it is, with a
/// warning naming both.
fn recover_replaced(old: &Path, target: &Path) -> Result<()> {
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::rename(old, target).with_context(|| {
                format!(
                    "cannot restore {} from {}, where a build killed while replacing it had \
                     moved it",
                    target.display(),
                    old.display()
                )
            })?;
            sync_dir(parent_of(target));
            tracing::warn!(
                "{} was missing: a build replacing it (--force) was killed between moving the \
                 old index aside and the new one into place; restored the old index from {}",
                target.display(),
                old.display()
            );
        }
        Ok(_) if is_index(target) => {
            let bytes = crate::sizes::dir_size(old).unwrap_or(0);
            std::fs::remove_dir_all(old).with_context(|| {
                format!(
                    "cannot remove {}, the index {} held before a build replaced it",
                    old.display(),
                    target.display()
                )
            })?;
            tracing::warn!(
                "removed {} ({}), the index {} held before a build (--force) that replaced it \
                 and was killed before removing it",
                old.display(),
                crate::memory::human(bytes),
                target.display()
            );
        }
        _ => tracing::warn!(
            "{} holds the index {} held before a build (--force) that was killed while \
             replacing it, but {} is now not an index: left alone; remove it, or put it back, \
             yourself",
            old.display(),
            target.display(),
            target.display()
        ),
    }
    Ok(())
}

/// Whether `dir` holds an index: a verbatim index (its `manifest.bin`) or an infini-gram side
/// directory (its `infini-gram.bin`).
fn is_index(dir: &Path) -> bool {
    [MANIFEST_FILE, ATTACHMENT_FILE]
        .iter()
        .any(|f| dir.join(f).is_file())
}

/// Whether `--force` may replace `target`: an index (its `manifest.bin`), an infini-gram
/// side directory (its `infini-gram.bin`) or an empty directory. Anything else (a corpus
/// directory, a file, a mistyped path) is refused rather than deleted.
pub fn replaceable(target: &Path) -> Result<()> {
    let is_index = is_index(target);
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

    /// An old index moved aside by a killed forced build with this process's id (whose lock
    /// this build now holds) is put back at the missing target; one with no lock file beside
    /// it cannot be told from a running build's and is left.
    #[test]
    fn an_old_index_is_put_back_only_when_its_build_is_known_dead() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        let own_old = d.join(format!(".idx.building-{}.old", std::process::id()));
        std::fs::create_dir(&own_old).unwrap();
        std::fs::write(own_old.join(MANIFEST_FILE), b"m").unwrap();
        let unlocked = d.join(".idx.building-4000000006.old");
        std::fs::create_dir(&unlocked).unwrap();

        let temp = TempIndexDir::create(&target, true).unwrap();
        assert!(target.join(MANIFEST_FILE).is_file() && !own_old.exists());
        assert!(unlocked.is_dir());
        drop(temp);
        // A second build into the target (now an index): the unlocked one is still left.
        drop(TempIndexDir::create(&target, true).unwrap());
        assert!(unlocked.is_dir() && target.is_dir());
    }
}
