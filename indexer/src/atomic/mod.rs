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
use std::path::{Path, PathBuf};
use verbatim_core::infini_gram::attachment::ATTACHMENT_FILE;
use verbatim_core::manifest::MANIFEST_FILE;

mod leftovers;

pub(crate) use leftovers::recover;
use leftovers::{ambiguous, present, remove_entry, remove_stale};

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
        if present(target) {
            // Not an index: --force would not replace it either, so it is not offered.
            replaceable(target)?;
            if !force {
                bail!(
                    "{} already exists; pass --force to replace it, or choose another --out",
                    target.display()
                );
            }
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

/// The directory `target` names when it is a symbolic link (resolved all the way), whose
/// own path another process may be given instead.
fn linked_dir(target: &Path) -> Option<PathBuf> {
    let link = std::fs::symlink_metadata(target)
        .ok()?
        .file_type()
        .is_symlink();
    link.then(|| std::fs::canonicalize(target).ok()).flatten()
}

/// The commit locks a change of `target` holds (see [`commit_lock`]): its own, then that of
/// the directory it names when it is a symbolic link; released when dropped.
pub(crate) struct CommitLock {
    _held: Vec<LockFile>,
}

/// Takes the commit lock of `target` (see [`TempIndexDir::commit`]), waiting for the build
/// that holds it, with a line saying so. The file is never removed. Also held by a change of
/// the takedown list in place ([`crate::takedowns::lock_for_change`]). When `target` is a
/// symbolic link, the commit lock of the directory it names is taken too, after its own
/// (always in that order, so two processes never wait for each other): a process given that
/// directory's own path changes the same takedown list. Where that lock file cannot be
/// created (no permission, a read-only file system), nothing can replace the directory
/// there, and only the link's own lock is taken.
pub(crate) fn commit_lock(target: &Path) -> Result<CommitLock> {
    let own = wait_for(target, &commit_lock_path(target))?;
    let held = std::iter::once(own).chain(linked_lock(target)?).collect();
    Ok(CommitLock { _held: held })
}

/// The commit lock of the directory `target` names when it is a symbolic link, unless its
/// lock file cannot be created.
fn linked_lock(target: &Path) -> Result<Option<LockFile>> {
    match linked_dir(target) {
        Some(dir) if dir != target => lock_if_writable(&dir),
        _ => Ok(None),
    }
}

/// Takes the lock file `path` of `target`, waiting with a line saying so.
fn wait_for(target: &Path, path: &Path) -> Result<LockFile> {
    LockFile::acquire(path, || {
        tracing::warn!(
            "waiting for another process to finish changing {} (a build replacing it or \
             recovering it, or a takedown change; it holds {})",
            target.display(),
            path.display()
        )
    })
}

/// Whether this user can create `target`'s commit lock file (`false`: no permission, a
/// read-only file system; then it cannot rename `target` either).
fn lock_writable(target: &Path) -> bool {
    let path = commit_lock_path(target);
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            tracing::debug!(
                "no commit lock for {} ({e}): nothing can replace it",
                target.display()
            );
            false
        }
        _ => true,
    }
}

/// The commit lock of the directory `dir` alone, unless its lock file cannot be created.
fn lock_if_writable(dir: &Path) -> Result<Option<LockFile>> {
    if !lock_writable(dir) {
        return Ok(None);
    }
    wait_for(dir, &commit_lock_path(dir)).map(Some)
}

/// [`commit_lock`], without each lock whose file this user cannot create (no permission, a
/// read-only file system: then it cannot rename that directory either, as a forced build
/// would); `None` when neither is taken. Held by an append for its whole run and by a change
/// of the takedown list, which write inside `target`, not beside it.
pub(crate) fn commit_lock_if_writable(target: &Path) -> Result<Option<CommitLock>> {
    let held: Vec<LockFile> = lock_if_writable(target)?
        .into_iter()
        .chain(linked_lock(target)?)
        .collect();
    Ok((!held.is_empty()).then_some(CommitLock { _held: held }))
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
mod tests;
