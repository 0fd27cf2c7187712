//! Atomic builds: everything is written into a temporary directory beside the target, which
//! is renamed into place only when the build has fully succeeded.
//!
//! The temporary directory `.NAME.building-PID` has a lock file beside it,
//! `.NAME.building-PID.lock`, locked (see [`crate::lock`]) before the directory is made and for
//! the build's whole life, and removed only after the directory is renamed or removed. A build
//! killed with no chance to clean up (SIGKILL, a crash, a lost machine) leaves the directory
//! and an unlocked lock file: the next build into the same target (or append to it) takes
//! that lock and removes the leftover. The directory of a build still running is never touched
//! (its lock is held), whatever its process id, which a later process may reuse.
//!
//! A build with `--force` commits by two renames: the old index at the target (a symbolic link
//! is moved, never followed) to `.NAME.building-PID.old`, then its directory to the target;
//! then it removes the old index. It does so holding `.NAME.commit.lock` beside the target
//! (waiting for it if another build holds it), from reading the takedown list it carries over
//! to the removal of the old index; the file stays. Killed between the renames, a build leaves
//! no index at the target and the old one in `.old`; killed after them, a `.old` nobody needs
//! (as does one whose removal failed: its lock file is then kept). The next build into the
//! target (or append to it) deals with the `.old` of every build whose lock it can take (so
//! the build is not running), holding the same commit lock, so that no other build is between
//! its renames meanwhile: renames the old index back when the target is missing, or removes it
//! when the target is an index, in one line each. With more than one `.old` and the target
//! missing it cannot tell which was committed last: it puts none back, names them all, and a
//! build into the target is refused until one is renamed back by hand. `verbatim takedown`
//! holds the same commit lock while it changes an index's list in place, so a takedown is
//! never written into an index a forced build has just read the list of and is replacing.

use crate::error::{bail, refuse, Context, Result};
use crate::lock::{Attempt, LockFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use verbatim_core::infini_gram::attachment::ATTACHMENT_FILE;
use verbatim_core::manifest::MANIFEST_FILE;

/// A temporary index directory, removed on drop unless committed.
pub struct TempIndexDir {
    temp: PathBuf,
    target: PathBuf,
    force: bool,
    committed: bool,
    /// Held for the directory's whole life; dropped (and its file removed, unless this build
    /// left a `.old` behind) after it.
    lock: LockFile,
}

impl TempIndexDir {
    /// Creates `.NAME.building-PID` beside `target` (and locks its lock file), after dealing
    /// with the leftovers of interrupted builds into `target` (see [`remove_stale`]: an old
    /// index a killed `--force` build had moved aside is put back first). Fails if `target`
    /// exists and `force` is not set, if what `force` would replace is not an index (see
    /// [`replaceable`]), if `target` is missing and several old indexes were left beside it
    /// (none can be told to be the last committed), or if `.NAME.building-PID.old`, where this
    /// build would move the old index, is still taken.
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        let parent = parent_of(target);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let prefix = temp_prefix(target).context("--out must name a directory")?;
        let temp = parent.join(format!("{prefix}{}", std::process::id()));
        let lock_path = lock_path(&temp);
        let mut lock = match LockFile::try_acquire(&lock_path, true)? {
            Attempt::Acquired(lock) => lock,
            Attempt::Held | Attempt::Missing => refuse!(
                "another build is writing {} (its lock {} is held: this process, or one with \
                 the same process id in another container); wait for it to finish",
                temp.display(),
                lock_path.display()
            ),
        };
        let leftovers = remove_stale(parent, &prefix, Some(&temp), target, false)?;
        let own_old = old_path(&temp);
        if present(&own_old) {
            // Left by a killed build with this process id: its lock file stays, so that the
            // next build (another process id) knows it dead.
            lock.keep_file();
        }
        if !leftovers.ambiguous.is_empty() {
            refuse!(
                "{}; until then a build into {} is refused (the new index would make them look \
                 older than it, and the next build would remove them)",
                ambiguous(target, &leftovers.ambiguous),
                target.display()
            );
        }
        if present(&own_old) {
            refuse!(
                "{} is still there, left by a build with this process id killed while replacing \
                 {} (--force), and this build would move the index it replaces there: see the \
                 warning above; remove it yourself, or rename it to {} if it holds the index \
                 meant to be there",
                own_old.display(),
                target.display(),
                target.display()
            );
        }
        if present(target) && !force {
            bail!(
                "{} already exists; pass --force to replace it, or choose another --out",
                target.display()
            );
        }
        if present(target) {
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
            lock,
        })
    }

    /// The directory to write into.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Moves the finished index into place (replacing an old one when forced), after running
    /// `before` on the directory (a forced build carries the takedown list of the index it
    /// replaces over there: see [`crate::takedowns::carry_into`]), whose result it returns.
    /// A forced build holds the target's commit lock (`.NAME.commit.lock`, waited for) from
    /// before `before` to the removal of the old index, so no other build moves the index at
    /// the target, or puts one back, meanwhile; holding it, when the target is missing, it
    /// first puts back an index that a forced build killed since this one started had moved
    /// aside (see [`remove_stale`]), and refuses to commit when several such were left.
    pub fn commit<T>(mut self, before: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
        let _commit = if self.force {
            let lock = commit_lock(&self.target)?;
            if !present(&self.target) {
                // An index moved aside by a forced build killed since this one started is put
                // back first: its takedowns are carried over, and it is the one replaced.
                let prefix = temp_prefix(&self.target).context("--out must name a directory")?;
                let parent = parent_of(&self.target);
                let left = remove_stale(parent, &prefix, Some(&self.temp), &self.target, true)?;
                if !left.ambiguous.is_empty() {
                    refuse!(
                        "{}; this build's index was not put in place",
                        ambiguous(&self.target, &left.ambiguous)
                    );
                }
            }
            Some(lock)
        } else {
            None
        };
        let out = before(&self.temp)?;
        sync_dir(&self.temp);
        if present(&self.target) {
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
                if back.is_err() {
                    // Known as left by a build no longer running once this one ends.
                    self.lock.keep_file();
                }
                return Err(e).with_context(|| {
                    format!(
                        "cannot rename {} to {}{}",
                        self.temp.display(),
                        self.target.display(),
                        match back {
                            Ok(()) => " (the old index is back in place)".to_string(),
                            Err(_) => format!(
                                " (the old index is left in {}: the next build into {}, or \
                                 append to it, puts it back there while {} is missing)",
                                old.display(),
                                self.target.display(),
                                self.target.display()
                            ),
                        }
                    )
                });
            }
            sync_dir(parent_of(&self.target));
            if let Err(e) = remove_entry(&old) {
                // Its lock file stays: the next build into the target takes it and removes
                // the old index (with no lock file it could not tell this build had ended).
                self.lock.keep_file();
                tracing::warn!(
                    "cannot remove {}, the index {} held before this build ({e}): the next \
                     build into {} (or append to it) removes it, or remove it yourself",
                    old.display(),
                    self.target.display(),
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
        sync_dir(parent_of(&self.target));
        self.committed = true;
        Ok(out)
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

/// The commit lock of `target`: `.NAME.commit.lock` beside it.
fn commit_lock_path(target: &Path) -> PathBuf {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    parent_of(target).join(format!(".{name}.commit.lock"))
}

/// Takes the commit lock of `target` (see [`TempIndexDir::commit`]), waiting for the build
/// that holds it, with a line saying so. The file is never removed. Also held by a change of
/// the takedown list in place ([`crate::takedowns::lock_for_change`]).
pub(crate) fn commit_lock(target: &Path) -> Result<LockFile> {
    let path = commit_lock_path(target);
    LockFile::acquire(&path, || {
        tracing::warn!(
            "waiting for another process to finish changing {} (a build replacing it or \
             recovering it, or a takedown change; it holds {})",
            target.display(),
            path.display()
        )
    })
}

/// [`commit_lock`], unless this user cannot create the lock file beside `target` (no
/// permission, a read-only file system): then it cannot rename `target` either, as a forced
/// build into it would, and `None` is returned. Held by an append for its whole run and by a
/// change of the takedown list, which write inside `target`, not beside it.
pub(crate) fn commit_lock_if_writable(target: &Path) -> Result<Option<LockFile>> {
    let path = commit_lock_path(target);
    if let Err(e) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        if matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ) {
            tracing::debug!(
                "no commit lock for {} ({e}): nothing can replace it",
                target.display()
            );
            return Ok(None);
        }
    }
    commit_lock(target).map(Some)
}

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
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `path` is a directory itself, not a symbolic link to one (never followed to delete
/// or move).
fn real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `path` is a symbolic link.
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `old` (a `.NAME.building-PID.old`) is an old index a forced build moved aside: a
/// directory, or the symbolic link the target was.
fn is_moved_aside(old: &Path) -> bool {
    real_dir(old) || is_link(old)
}

/// Removes `path`: a symbolic link itself (never what it points to), or a directory with
/// everything in it.
fn remove_entry(path: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if tests::FAIL_REMOVAL.with(|f| f.get()) {
        return Err(std::io::Error::other("removal made to fail by the test"));
    }
    if is_link(path) {
        std::fs::remove_file(path)
    } else {
        std::fs::remove_dir_all(path)
    }
}

/// What [`remove_stale`] left for its caller to decide.
struct Leftovers {
    /// The old indexes moved aside by forced builds (and a `.NAME.old` of an older verbatim)
    /// when there are more than one and the target is missing: none was put back.
    ambiguous: Vec<PathBuf>,
}

/// The process ids `PID` of the leftovers `PREFIXPID`, `PREFIXPID.lock` and `PREFIXPID.old`
/// in `parent`.
fn leftover_pids(parent: &Path, prefix: &str) -> Result<BTreeSet<String>> {
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
fn moved_aside(parent: &Path, prefix: &str, pids: &BTreeSet<String>) -> Vec<PathBuf> {
    pids.iter()
        .map(|pid| old_path(&parent.join(format!("{prefix}{pid}"))))
        .filter(|old| is_moved_aside(old))
        .collect()
}

/// The message for old indexes `olds` beside a missing `target`, none put back.
fn ambiguous(target: &Path, olds: &[PathBuf]) -> String {
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
/// indexes are dealt with holding the target's commit lock (see [`TempIndexDir::commit`]), so
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
fn remove_stale(
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
fn recover_replaced(old: &Path, target: &Path, lock: Option<&mut LockFile>) -> Result<()> {
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
    /// it cannot be told from a running build's and is left (named in a warning).
    #[test]
    fn an_old_index_is_put_back_only_when_its_build_is_known_dead() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        let own_old = d.join(format!(".idx.building-{}.old", std::process::id()));
        index_at(&own_old, b"m");

        let temp = TempIndexDir::create(&target, true).unwrap();
        assert!(target.join(MANIFEST_FILE).is_file() && !own_old.exists());
        drop(temp);
        // A second build into the target (now an index): one with no lock file is left.
        let unlocked = d.join(".idx.building-4000000006.old");
        std::fs::create_dir(&unlocked).unwrap();
        drop(TempIndexDir::create(&target, true).unwrap());
        assert!(unlocked.is_dir() && target.is_dir());
    }

    thread_local! {
        /// Set by a test to make [`remove_entry`] fail on its thread.
        pub(super) static FAIL_REMOVAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// A directory at `path` that counts as an index: its manifest holds `manifest`.
    fn index_at(path: &Path, manifest: &[u8]) {
        std::fs::create_dir_all(path).unwrap();
        std::fs::write(path.join(MANIFEST_FILE), manifest).unwrap();
    }

    /// The manifest bytes of the index at `path`.
    fn manifest_of(path: &Path) -> Vec<u8> {
        std::fs::read(path.join(MANIFEST_FILE)).unwrap()
    }

    /// The leftover of a killed build with process id `pid` into `d/idx`: its unlocked lock
    /// file, and an old index it had moved aside (manifest `manifest`); the `.old`'s path.
    fn killed_with_old(d: &Path, pid: u64, manifest: &[u8]) -> PathBuf {
        let temp = d.join(format!(".idx.building-{pid}"));
        std::fs::write(lock_path(&temp), b"").unwrap();
        let old = old_path(&temp);
        index_at(&old, manifest);
        old
    }

    /// Takes the lock at `path` as another process would (this test's handle).
    fn hold(path: &Path) -> LockFile {
        match LockFile::try_acquire(path, true).unwrap() {
            Attempt::Acquired(lock) => lock,
            _ => panic!("{} not taken", path.display()),
        }
    }

    /// Review, data loss: build X committed (I0 moved to `.X.old`, I_X into the target) and
    /// was killed removing `.X.old`; build A, running, moved I_X to `.A.old` and is between
    /// its renames (the target missing), holding the commit lock. The next build's recovery
    /// waits for A's commit instead of taking X's free lock and putting I0 back (which made
    /// A's rename fail and the build after remove `.A.old`, the newest index); once A's
    /// index is in place, X's `.old` is removed.
    #[test]
    fn recovery_waits_for_a_forced_build_between_its_renames() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        let x_old = killed_with_old(d, 4_000_000_001, b"I0");
        let a = d.join(".idx.building-4000000002");
        let a_lock = hold(&lock_path(&a));
        index_at(&a, b"IA");
        index_at(&old_path(&a), b"IX");
        let commit = LockFile::acquire(&commit_lock_path(&target), || panic!("held")).unwrap();

        let b = {
            let target = target.clone();
            std::thread::spawn(move || TempIndexDir::create(&target, true).map(drop))
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(
            !present(&target),
            "the next build put an index back mid-commit"
        );
        assert_eq!(manifest_of(&x_old), b"I0");
        // A's second rename and its removal of the old index, then its lock released.
        std::fs::rename(&a, &target).unwrap();
        std::fs::remove_dir_all(old_path(&a)).unwrap();
        drop(commit);
        b.join().unwrap().unwrap();
        assert_eq!(manifest_of(&target), b"IA");
        assert!(!present(&x_old) && !present(&lock_path(&x_old.with_extension(""))));
        assert!(
            commit_lock_path(&target).is_file(),
            "the commit lock file stays"
        );
        drop(a_lock);
    }

    /// A forced commit holds the target's commit lock from `before` (the takedown carry-over,
    /// which reads the target) to the end: it waits while another build holds it.
    #[test]
    fn a_forced_commit_holds_the_commit_lock_from_the_takedown_carry_over_on() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("idx");
        index_at(&target, b"I0");
        let temp = TempIndexDir::create(&target, true).unwrap();
        std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
        let other = LockFile::acquire(&commit_lock_path(&target), || panic!("held")).unwrap();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let committing = {
            let ran = ran.clone();
            std::thread::spawn(move || {
                temp.commit(|dir| {
                    assert_eq!(manifest_of(dir), b"I1");
                    ran.store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok(7)
                })
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(manifest_of(&target), b"I0");
        drop(other);
        assert_eq!(committing.join().unwrap().unwrap(), 7);
        assert_eq!(manifest_of(&target), b"I1");
        assert_eq!(leftovers(dir.path()), [".idx.commit.lock"]);
    }

    /// A forced build killed between its renames after this one started (the target missing,
    /// the old index in its `.old`): this build's commit puts the old index back, holding the
    /// commit lock, before `before` (the takedown carry-over) reads the target, then replaces
    /// it as usual.
    #[test]
    fn a_forced_commit_puts_back_an_index_moved_aside_since_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        index_at(&target, b"I0");
        let temp = TempIndexDir::create(&target, true).unwrap();
        std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
        let x_old = d.join(".idx.building-4000000001.old");
        std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
        std::fs::rename(&target, &x_old).unwrap();
        temp.commit(|_| {
            assert_eq!(
                manifest_of(&target),
                b"I0",
                "the carry-over reads the old index"
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(manifest_of(&target), b"I1");
        assert_eq!(leftovers(d), [".idx.commit.lock"]);
    }

    /// The names in `d` starting with a dot, sorted.
    fn leftovers(d: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// With the target missing and two old indexes of killed builds beside it, which was
    /// committed last cannot be told: none is put back (before, the lower process id's won),
    /// a build into the target is refused naming both, an append's recovery only warns, and
    /// both stay, with their lock files.
    #[test]
    fn several_old_indexes_beside_a_missing_target_are_all_left() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        let one = killed_with_old(d, 4_000_000_001, b"I0");
        let two = killed_with_old(d, 4_000_000_002, b"I1");
        let err = TempIndexDir::create(&target, true)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("is missing, and 2 old indexes")
                && err.contains(".idx.building-4000000001.old")
                && err.contains(".idx.building-4000000002.old"),
            "{err}"
        );
        recover(&target, false);
        assert!(!present(&target));
        assert_eq!(manifest_of(&one), b"I0");
        assert_eq!(manifest_of(&two), b"I1");
        for pid in [4_000_000_001u64, 4_000_000_002] {
            assert!(d.join(format!(".idx.building-{pid}.lock")).is_file());
        }
        // One renamed back by hand: the other is then removed by the next build.
        std::fs::rename(&two, &target).unwrap();
        drop(TempIndexDir::create(&target, true).unwrap());
        assert_eq!(manifest_of(&target), b"I1");
        assert_eq!(leftovers(d), [".idx.commit.lock"]);
    }

    /// Review: a build whose removal of the old index failed after its commit dropped its lock
    /// file, and the `.old` was then taken for an older verbatim's forever. Its lock file now
    /// stays (unlocked), and the next build, or append, removes the `.old`.
    #[test]
    fn an_old_index_the_commit_could_not_remove_is_removed_by_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        index_at(&target, b"I0");
        let temp = TempIndexDir::create(&target, true).unwrap();
        let own = temp.path().to_path_buf();
        std::fs::write(own.join(MANIFEST_FILE), b"I1").unwrap();
        FAIL_REMOVAL.with(|f| f.set(true));
        let committed = temp.commit(|_| Ok(()));
        FAIL_REMOVAL.with(|f| f.set(false));
        committed.unwrap();
        assert_eq!(manifest_of(&target), b"I1");
        assert_eq!(manifest_of(&old_path(&own)), b"I0");
        assert!(lock_path(&own).is_file(), "the lock file stays");
        // An append's recovery (another build's too) takes that lock and removes the `.old`.
        recover(&target, false);
        assert_eq!(leftovers(d), [".idx.commit.lock"]);
        assert_eq!(manifest_of(&target), b"I1");
    }

    /// A `.old` with no lock file is named as what the target was, not as a temporary
    /// directory of an older verbatim's build: left alone, and a later build still works.
    #[test]
    fn an_old_index_with_no_lock_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        index_at(&target, b"I1");
        let old = d.join(".idx.building-4000000007.old");
        index_at(&old, b"I0");
        drop(TempIndexDir::create(&target, true).unwrap());
        recover(&target, false);
        assert_eq!(manifest_of(&old), b"I0");
    }

    /// Review: `--force` into a symbolic link (`current -> idx-v1`) moves the link itself
    /// aside; recovery treats a link `.old` as it does a directory, never following it: put
    /// back when the target is missing, removed (the link, not what it points to) when the
    /// target is an index. The commit removes the link it moved aside, never `idx-v1`.
    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_moved_aside_is_put_back_or_removed_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let v1 = d.join("idx-v1");
        index_at(&v1, b"V1");
        let target = d.join("idx");
        std::os::unix::fs::symlink("idx-v1", &target).unwrap();

        // Killed between its renames: the link is put back.
        let old = d.join(".idx.building-4000000001.old");
        std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
        std::fs::rename(&target, &old).unwrap();
        recover(&target, false);
        assert_eq!(std::fs::read_link(&target).unwrap(), Path::new("idx-v1"));
        assert!(!present(&old));

        // A commit replaces the link, and removes it, not idx-v1.
        let temp = TempIndexDir::create(&target, true).unwrap();
        std::fs::write(temp.path().join(MANIFEST_FILE), b"I1").unwrap();
        temp.commit(|_| Ok(())).unwrap();
        assert!(real_dir(&target) && manifest_of(&target) == b"I1");
        assert_eq!(manifest_of(&v1), b"V1");
        assert_eq!(leftovers(d), [".idx.commit.lock"]);

        // Killed after its renames: the link is removed, idx-v1 untouched.
        std::os::unix::fs::symlink("idx-v1", &old).unwrap();
        std::fs::write(d.join(".idx.building-4000000001.lock"), b"").unwrap();
        drop(TempIndexDir::create(&target, true).unwrap());
        assert!(!present(&old));
        assert_eq!(manifest_of(&v1), b"V1");
        assert_eq!(manifest_of(&target), b"I1");
        assert_eq!(leftovers(d), [".idx.commit.lock"]);
    }

    /// Review: `.NAME.building-PID.old` of this build's process id still there once the
    /// leftovers are dealt with (here: the target is an empty directory, not an index, so it
    /// is left) is refused when the build starts, naming it, not at the commit (a rename onto
    /// a non-empty directory, after all the work); its lock file stays for the next build.
    #[test]
    fn a_build_whose_old_index_name_is_taken_is_refused_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = d.join("idx");
        std::fs::create_dir(&target).unwrap();
        let own = d.join(format!(".idx.building-{}", std::process::id()));
        index_at(&old_path(&own), b"I0");
        let err = TempIndexDir::create(&target, true)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains(&old_path(&own).display().to_string()) && err.contains("still there"),
            "{err}"
        );
        assert_eq!(manifest_of(&old_path(&own)), b"I0");
        assert!(lock_path(&own).is_file() && !present(&own));
    }

    /// Review: an append into a directory whose parent cannot be listed (mode 711 and not
    /// its owner) went on as before the recovery existed; recovery failing is a warning. (Run
    /// as root, the parent can always be listed: only the signature shows it then.)
    #[cfg(unix)]
    #[test]
    fn recovery_in_a_parent_that_cannot_be_listed_is_only_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("p");
        index_at(&parent.join("idx"), b"I0");
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o311)).unwrap();
        let listable = std::fs::read_dir(&parent).is_ok();
        let () = recover(&parent.join("idx"), false);
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o755)).unwrap();
        if listable {
            eprintln!("privileged: {} can be listed anyway", parent.display());
        }
        assert_eq!(manifest_of(&parent.join("idx")), b"I0");
    }
}
