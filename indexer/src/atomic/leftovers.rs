//! The leftovers of interrupted builds into a target, dealt with by the next build into it
//! (or append to it): temporary directories of builds no longer running are removed, and an
//! old index a killed `--force` build had moved aside is put back or removed (see the parent
//! module's documentation).

use super::{commit_lock, is_index, lock_path, old_path, parent_of, sync_dir, temp_prefix};
use crate::error::{Context, Result};
use crate::lock::{Attempt, LockFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Deals with the leftovers of interrupted builds into `target` (see [`remove_stale`]) for an
/// append to it, which takes no build lock of its own: an index a killed `--force` build had
/// moved aside is put back before the append looks for the index. `committing`: the caller
/// holds the target's commit lock (an append holds it throughout). Never fails the append:
/// what it cannot do (list the directory, take a lock, restore) is a warning, and the append
/// goes on as it would without it.
pub(crate) fn recover(target: &Path, committing: bool) {
    let parent = parent_of(target);
    let Some(prefix) = temp_prefix(target) else {
        return;
    };
    if !parent.is_dir() {
        return;
    }
    match remove_stale(parent, &prefix, None, target, committing) {
        Ok(left) if !left.ambiguous.is_empty() => {
            tracing::warn!("{}", ambiguous(target, &left.ambiguous))
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(
            "cannot look for the leftovers of interrupted builds into {} ({e}); appending \
             without",
            target.display()
        ),
    }
}

/// Whether a directory entry (not followed if a symbolic link) is at `path`.
pub(super) fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `path` is a directory itself, not a symbolic link to one (never followed to delete
/// or move).
pub(super) fn real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `path` is a symbolic link.
pub(super) fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `old` (a `.NAME.building-PID.old`) is an old index a forced build moved aside: a
/// directory, or the symbolic link the target was.
pub(super) fn is_moved_aside(old: &Path) -> bool {
    real_dir(old) || is_link(old)
}

/// Removes `path`: a symbolic link itself (never what it points to), or a directory with
/// everything in it.
pub(super) fn remove_entry(path: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if super::tests::FAIL_REMOVAL.with(|f| f.get()) {
        return Err(std::io::Error::other("removal made to fail by the test"));
    }
    if is_link(path) {
        std::fs::remove_file(path)
    } else {
        std::fs::remove_dir_all(path)
    }
}

/// What [`remove_stale`] left for its caller to decide.
pub(super) struct Leftovers {
    /// The old indexes moved aside by forced builds (and a `.NAME.old` of an older verbatim)
    /// when there are more than one and the target is missing: none was put back.
    pub(super) ambiguous: Vec<PathBuf>,
}

/// The process ids `PID` of the leftovers `PREFIXPID`, `PREFIXPID.lock` and `PREFIXPID.old`
/// in `parent`.
pub(super) fn leftover_pids(parent: &Path, prefix: &str) -> Result<BTreeSet<String>> {
    let mut pids = BTreeSet::new();
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
    Ok(pids)
}

/// The old indexes `PREFIXPID.old` (of the `pids`) in `parent` moved aside by forced builds.
pub(super) fn moved_aside(parent: &Path, prefix: &str, pids: &BTreeSet<String>) -> Vec<PathBuf> {
    pids.iter()
        .map(|pid| old_path(&parent.join(format!("{prefix}{pid}"))))
        .filter(|old| is_moved_aside(old))
        .collect()
}

/// The message for old indexes `olds` beside a missing `target`, none put back.
pub(super) fn ambiguous(target: &Path, olds: &[PathBuf]) -> String {
    format!(
        "{} is missing, and {} old indexes that builds replacing it (--force) had moved aside \
         are beside it: {}. Which was committed last cannot be told, so none was put back: once \
         no build into {} is running, rename the one meant to be there to {}, and remove the \
         others, yourself",
        target.display(),
        olds.len(),
        olds.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        target.display(),
        target.display()
    )
}

/// Deals with the leftovers in `parent` of builds into `target` that are no longer running,
/// known by the lock file `PREFIXN.lock` (`N` a process id) beside them, which can be taken:
/// their temporary directories `PREFIXN` are removed (one line names them), and an old index
/// `PREFIXN.old` that a killed `--force` build had moved aside is put back at `target` when
/// `target` is missing, or removed when `target` is an index (see [`recover_replaced`]). Old
/// indexes are dealt with holding the target's commit lock (see [`super::TempIndexDir::commit`]), so
/// that no build is between its two renames meanwhile; when there are more than one (of any
/// build, running or not) and `target` is missing, none is put back or removed: they are
/// returned in [`Leftovers::ambiguous`] for the caller to name. `committing`: the caller
/// holds the commit lock already (a forced build about to commit).
/// `own` (this build's temporary directory, whose lock it holds) is left to the caller; an old
/// index beside it was left by a killed build with this process's id, and is dealt with.
/// Leftovers whose lock is held belong to a running build and are left alone. Ones with no
/// lock file (written by a verbatim from before the lock files, or the lock removed by hand)
/// cannot be told from a running build's: they are left, with a warning that names them, as is
/// `.NAME.old`, where a verbatim before `.NAME.building-PID.old` moved the replaced index.
/// Lock files of builds no longer running with nothing beside them are removed quietly.
pub(super) fn remove_stale(
    parent: &Path,
    prefix: &str,
    own: Option<&Path>,
    target: &Path,
    committing: bool,
) -> Result<Leftovers> {
    let mut pids = leftover_pids(parent, prefix)?;
    let _commit = if committing || moved_aside(parent, prefix, &pids).is_empty() {
        None
    } else {
        let lock = commit_lock(target)?;
        // Listed again under the lock: no forced build moves an index aside meanwhile.
        pids = leftover_pids(parent, prefix)?;
        Some(lock)
    };
    let legacy = prefix
        .strip_suffix(".building-")
        .map(|n| parent.join(format!("{n}.old")))
        .filter(|p| real_dir(p));
    let mut olds = moved_aside(parent, prefix, &pids);
    if !olds.is_empty() {
        olds.extend(legacy.clone());
    }
    let ambiguous = if olds.len() > 1 && !present(target) {
        olds
    } else {
        Vec::new()
    };
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
        let stale_old = is_moved_aside(&old);
        if !stale_dir && !stale_old {
            continue; // not directories: not ours to touch
        }
        let mut lock = if is_own {
            None // held by this build, for the directory it is about to make
        } else {
            match LockFile::try_acquire(&lock_path(&dir), false)? {
                Attempt::Acquired(lock) => Some(lock),
                Attempt::Held => {
                    tracing::debug!("{} belongs to a running build; left alone", dir.display());
                    continue;
                }
                Attempt::Missing => {
                    if stale_dir {
                        tracing::warn!(
                            "{} has no lock file {}: it was left by an interrupted build of an \
                             older verbatim, or one is still writing it; remove it yourself if \
                             no build is running",
                            dir.display(),
                            lock_path(&dir).display()
                        );
                    }
                    if stale_old {
                        tracing::warn!(
                            "{} holds what {} was before a build (--force) replaced it, but has \
                             no lock file {} to tell whether that build still runs: left alone; \
                             once no build into {} is running, remove it yourself, or rename it \
                             to {} if that is missing",
                            old.display(),
                            target.display(),
                            lock_path(&dir).display(),
                            target.display(),
                            target.display()
                        );
                    }
                    continue;
                }
            }
        };
        if stale_old {
            if ambiguous.is_empty() {
                recover_replaced(&old, target, lock.as_mut())?;
            } else if let Some(lock) = lock.as_mut() {
                lock.keep_file(); // left, still known dead
            }
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
    if let Some(legacy) = legacy.filter(|_| ambiguous.is_empty()) {
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
    Ok(Leftovers { ambiguous })
}

/// `old`, what a build with `--force` into `target` had moved aside when it was killed (an
/// index, or the symbolic link `target` was; known dead: the caller holds its lock `lock`, or
/// is the build of its process id, and the target's commit lock): renamed back to `target`
/// when `target` is missing (killed between its two renames: the old index is the last one
/// committed), removed when `target` is an index (killed after them: `target` is the new
/// one), in one line each. Anything else at `target` (put there by hand since) leaves `old`
/// where it is, with a warning naming both. Whatever is left keeps its lock file, so the next
/// build knows it dead too.
pub(super) fn recover_replaced(
    old: &Path,
    target: &Path,
    lock: Option<&mut LockFile>,
) -> Result<()> {
    let keep = move || {
        if let Some(lock) = lock {
            lock.keep_file();
        }
    };
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Err(e) = std::fs::rename(old, target) {
                keep();
                return Err(e).with_context(|| {
                    format!(
                        "cannot restore {} from {}, where a build killed while replacing it \
                         had moved it",
                        target.display(),
                        old.display()
                    )
                });
            }
            sync_dir(parent_of(target));
            tracing::warn!(
                "{} was missing: a build replacing it (--force) was killed between moving the \
                 old index aside and the new one into place; restored the old index from {}",
                target.display(),
                old.display()
            );
        }
        Ok(_) if is_index(target) => {
            let what = match std::fs::read_link(old) {
                Ok(to) => format!("a symbolic link to {}", to.display()),
                Err(_) => crate::memory::human(crate::sizes::dir_size(old).unwrap_or(0)),
            };
            match remove_entry(old) {
                Ok(()) => tracing::warn!(
                    "removed {} ({what}), what {} was before a build (--force) that replaced \
                     it and was killed before removing it",
                    old.display(),
                    target.display()
                ),
                Err(e) => {
                    keep();
                    tracing::warn!(
                        "cannot remove {} ({what}), what {} was before a build (--force) that \
                         replaced it ({e}): the next build into {} tries again; or remove it \
                         yourself",
                        old.display(),
                        target.display(),
                        target.display()
                    );
                }
            }
        }
        _ => {
            keep();
            tracing::warn!(
                "{} holds what {} was before a build (--force) that was killed while \
                 replacing it, but {} is now not an index: left alone; remove it, or put it \
                 back, yourself",
                old.display(),
                target.display(),
                target.display()
            );
        }
    }
    Ok(())
}
