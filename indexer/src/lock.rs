//! Lock files: an exclusive lock (`flock` on Unix) held by the operating system for as long as
//! the locking process has the file open, so a killed process leaves no lock held. A process
//! id, which a later process may reuse, decides nothing.
//!
//! The holder removes the file while still holding the lock (on drop), unless told to keep it
//! ([`LockFile::keep_file`]: a lock file that is never removed, or one that must outlive its
//! holder to mark what it left); a lock taken on a file removed meanwhile is taken again on the
//! file now at the path, so two processes never both believe they hold the lock of one path.
//! Used by appends (one append at a time on an index), by fresh builds (a leftover
//! `.NAME.building-PID` directory, or the old index `.NAME.building-PID.old` a forced build
//! moved aside, is stale when the lock file `.NAME.building-PID.lock` beside it can be taken),
//! and by forced builds' commits and the recovery of their leftovers (`.NAME.commit.lock`,
//! waited for with [`LockFile::acquire`], never removed).

use crate::error::{bail, Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A held lock on a file, which is removed when the lock is dropped (unless
/// [`LockFile::keep_file`]).
pub(crate) struct LockFile {
    path: PathBuf,
    file: File,
    /// Whether the file is removed when the lock is dropped.
    remove: bool,
}

/// What [`LockFile::try_acquire`] found.
pub(crate) enum Attempt {
    /// The lock is ours.
    Acquired(LockFile),
    /// Another open file (another process, or another handle of this one) holds it.
    Held,
    /// There is no file at the path (only when not asked to create it).
    Missing,
}

impl LockFile {
    /// Tries to lock `path` without waiting, creating the file if `create`.
    pub(crate) fn try_acquire(path: &Path, create: bool) -> Result<Attempt> {
        for _ in 0..8 {
            let file = match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(create)
                .truncate(false)
                .open(path)
            {
                Ok(f) => f,
                Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Attempt::Missing)
                }
                Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(Attempt::Held),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
            if !is_file_at(&file, path) {
                if !create && !path.exists() {
                    return Ok(Attempt::Missing);
                }
                continue; // removed by the process that held it: lock the file now there
            }
            return Ok(Attempt::Acquired(LockFile {
                path: path.to_path_buf(),
                file,
                remove: true,
            }));
        }
        bail!("cannot lock {}", path.display())
    }

    /// Locks `path` (creating the file if missing), waiting as long as another open file holds
    /// the lock; `waiting` is called once, before the wait, when it is held. The file is kept
    /// when the lock is dropped (a lock file shared by processes that come and go, so none of
    /// them removes it under another that has just opened it).
    pub(crate) fn acquire(path: &Path, waiting: impl FnOnce()) -> Result<LockFile> {
        let mut waiting = Some(waiting);
        for _ in 0..8 {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    if let Some(waiting) = waiting.take() {
                        waiting();
                    }
                    file.lock()
                        .with_context(|| format!("cannot lock {}", path.display()))?;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
            if !is_file_at(&file, path) {
                continue; // removed (by hand) meanwhile: lock the file now there
            }
            return Ok(LockFile {
                path: path.to_path_buf(),
                file,
                remove: false,
            });
        }
        bail!("cannot lock {}", path.display())
    }

    /// Keeps the file on disk when the lock is dropped (released, not removed): what the
    /// holder leaves beside it stays known as left by a process no longer running, whose
    /// lock the next one can take.
    pub(crate) fn keep_file(&mut self) {
        self.remove = false;
    }

    /// The locked file (e.g. to write the holder's process id into, for messages).
    pub(crate) fn file(&mut self) -> &mut File {
        &mut self.file
    }
}

/// Whether `file` is the file now at `path` (not one removed since it was opened).
fn is_file_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Removed before the lock is released (when the file closes), so no other process can
        // hold a lock on a file that is about to disappear.
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_and_a_released_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        assert!(matches!(
            LockFile::try_acquire(&path, false).unwrap(),
            Attempt::Missing
        ));
        let Attempt::Acquired(held) = LockFile::try_acquire(&path, true).unwrap() else {
            panic!("not acquired")
        };
        // Another open file of the same path (as another process would have) cannot take it.
        assert!(matches!(
            LockFile::try_acquire(&path, false).unwrap(),
            Attempt::Held
        ));
        drop(held);
        assert!(!path.exists());
        // A lock file left by a killed process (present, not locked) can be taken.
        std::fs::write(&path, b"123").unwrap();
        assert!(matches!(
            LockFile::try_acquire(&path, false).unwrap(),
            Attempt::Acquired(_)
        ));
        assert!(!path.exists());
    }

    /// A kept lock file stays on disk, unlocked, after its lock is dropped.
    #[test]
    fn a_kept_lock_file_outlives_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let Attempt::Acquired(mut held) = LockFile::try_acquire(&path, true).unwrap() else {
            panic!("not acquired")
        };
        held.keep_file();
        drop(held);
        assert!(path.is_file());
        assert!(matches!(
            LockFile::try_acquire(&path, false).unwrap(),
            Attempt::Acquired(_)
        ));
    }

    /// [`LockFile::acquire`] waits for the holder (saying so once), takes the lock when it is
    /// released, and keeps the file.
    #[test]
    fn a_waited_for_lock_is_taken_when_released_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = LockFile::acquire(&path, || panic!("free: no wait")).unwrap();
        let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (said_tx, said_rx) = std::sync::mpsc::channel();
        let waiter = {
            let (path, taken) = (path.clone(), taken.clone());
            std::thread::spawn(move || {
                let lock = LockFile::acquire(&path, || said_tx.send(()).unwrap()).unwrap();
                taken.store(true, std::sync::atomic::Ordering::SeqCst);
                drop(lock);
            })
        };
        said_rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!taken.load(std::sync::atomic::Ordering::SeqCst));
        drop(held);
        waiter.join().unwrap();
        assert!(taken.load(std::sync::atomic::Ordering::SeqCst));
        assert!(path.is_file());
    }
}
