//! Replacing a file atomically: the one helper every writer of verbatim uses (takedown lists,
//! contamination reports).
//!
//! The new content goes into a temporary file beside the target (same directory, so the
//! rename cannot cross file systems), which is synced, renamed over the target, and then the
//! directory is synced so the rename itself survives a crash. A reader sees the old file or
//! the new one, never a partial one; an interrupted writer leaves at most a hidden
//! `.NAME.PID-N.partial` file beside the target (removed when the writer unwinds normally,
//! and, once killed, by the next commit to the same target, where `/proc` shows the process
//! gone).
//!
//! A target that is a symbolic link is written where the link points (the link stays); one
//! that is a device, FIFO or socket (`--out /dev/null`, `--csv >(gzip > r.csv.gz)`) is
//! written in place, as any writer would, since it cannot be replaced.
//!
//! ```no_run
//! use std::path::Path;
//! let path = Path::new("report.json");
//! verbatim_core::atomic::write_atomic(path, |w| {
//!     w.write_all(b"{}").map_err(|e| verbatim_core::Error::io(path, e))
//! })?;
//! # Ok::<(), verbatim_core::Error>(())
//! ```

use crate::error::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary file that replaces `target` on [`AtomicFile::commit`], and is removed if
/// dropped uncommitted.
#[derive(Debug)]
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// Distinguishes the temporary files of concurrent writers in one process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// `path` with its symbolic links followed to the file they name (which need not exist), so
/// that a link is written through rather than replaced; `None` for a loop (more than 40
/// links).
fn follow_links(path: &Path) -> Option<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..=40 {
        let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Some(p);
        }
        let next = std::fs::read_link(&p).ok()?;
        p = if next.is_absolute() {
            next
        } else {
            parent_dir(&p).join(next)
        };
    }
    None
}

/// The file a write to `path` replaces: its symbolic links followed, its folder's path made
/// canonical where that folder exists (so two spellings of one file, or a link and its
/// target, resolve alike). Refuses a loop of links.
pub fn resolve_target(path: &Path) -> Result<PathBuf> {
    let p = follow_links(path).ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::other("too many levels of symbolic links (a loop)"),
        )
    })?;
    let dir = parent_dir(&p);
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    Ok(match p.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    })
}

/// Whether `path` is something other than a regular file that exists (a device, FIFO or
/// socket), which cannot be replaced by a rename and is written in place.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl AtomicFile {
    /// Chooses a fresh temporary path beside `target` (not created yet: the caller creates and
    /// writes it, e.g. with [`crate::format::FileWriter`]); a symbolic link is followed, so
    /// the file it names is replaced and the link kept.
    pub fn new(target: &Path) -> AtomicFile {
        // A loop is left as it is here: the temporary file's rename then replaces the link;
        // `write_atomic` and `check_writable` refuse loops first.
        AtomicFile::beside(follow_links(target).unwrap_or_else(|| target.to_path_buf()))
    }

    /// As [`AtomicFile::new`] for a target whose links are already followed.
    fn beside(target: PathBuf) -> AtomicFile {
        let target = &target;
        let name = target
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = parent_dir(target).join(format!(".{name}.{}-{n}.partial", std::process::id()));
        AtomicFile {
            temp,
            target: target.to_path_buf(),
            committed: false,
        }
    }

    /// Where to write the new content.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the temporary file, renames it over the target and syncs the directory.
    pub fn commit(mut self) -> Result<()> {
        std::fs::File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&self.temp, e))?;
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.committed = true;
        remove_partials_of_dead_writers(&self.target);
        // The rename is durable only once the directory entry is.
        let dir = parent_dir(&self.target);
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Removes the `.NAME.PID-N.partial` files that writers of `target` killed before their
/// commit left beside it. Only where `/proc` lists processes, and only files whose process
/// is gone (a live one, or a new process with a reused id, keeps its file).
fn remove_partials_of_dead_writers(target: &Path) {
    let proc_fs = Path::new("/proc");
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    if !proc_fs.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent_dir(target)) else {
        return;
    };
    let prefix = format!(".{name}.");
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".partial"))
            .and_then(|rest| rest.split_once('-'))
            .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !proc_fs.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Checks, before long work whose result goes to `target`, that [`write_atomic`] will be able
/// to write it: `target` is not a directory, and a temporary file can be created beside it
/// (and is removed at once). An error names the path and the reason.
pub fn check_writable(target: &Path) -> Result<()> {
    let target = &resolve_target(target)?;
    if target.is_dir() {
        return Err(Error::Invalid("it is a directory".into()));
    }
    if is_special(target) {
        // Written in place; opening a FIFO here would wait for its reader.
        return Ok(());
    }
    let probe = AtomicFile::beside(target.clone());
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(probe.temp_path())
        .map_err(|e| Error::io(parent_dir(target), e))?;
    drop(probe);
    Ok(())
}

/// Writes `target` atomically with `fill`, which writes the whole content to a buffered writer.
pub fn write_atomic<E>(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::result::Result<(), E>,
) -> std::result::Result<(), E>
where
    E: From<Error>,
{
    let target = &resolve_target(target)?;
    if is_special(target) {
        let f = std::fs::File::options()
            .write(true)
            .open(target)
            .map_err(|e| Error::io(target, e))?;
        let mut w = BufWriter::new(f);
        fill(&mut w)?;
        return Ok(w.flush().map_err(|e| Error::io(target, e))?);
    }
    let file = AtomicFile::beside(target.clone());
    let f = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(file.temp_path())
        .map_err(|e| Error::io(file.temp_path(), e))?;
    let mut w = BufWriter::new(f);
    fill(&mut w)?;
    w.flush().map_err(|e| Error::io(file.temp_path(), e))?;
    drop(w);
    Ok(file.commit()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_that_cannot_be_written_is_found_before_the_work() {
        let dir = tempfile::tempdir().unwrap();
        check_writable(&dir.path().join("report.json")).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the probe is removed"
        );
        let missing = check_writable(&dir.path().join("nope/report.json")).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
        let is_dir = check_writable(dir.path()).unwrap_err();
        assert!(is_dir.to_string().contains("is a directory"), "{is_dir}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_written_through_and_a_fifo_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        let write = |p: &Path, text: &'static str| -> Result<()> {
            check_writable(p)?;
            write_atomic(p, |w| {
                w.write_all(text.as_bytes())
                    .map_err(|e| Error::io(Path::new("x"), e))
            })
        };
        write(&link, "new").unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(
            resolve_target(&link).unwrap(),
            resolve_target(&real).unwrap()
        );
        // A loop of links is refused, and left as it was.
        let (a, b) = (dir.path().join("la"), dir.path().join("lb"));
        std::os::unix::fs::symlink("lb", &a).unwrap();
        std::os::unix::fs::symlink("la", &b).unwrap();
        let e = write(&a, "x").unwrap_err().to_string();
        assert!(e.contains("too many levels"), "{e}");
        assert!(a.symlink_metadata().unwrap().file_type().is_symlink());
        // A FIFO: read on another thread, never replaced by a regular file.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
            };
            write(&fifo, "through the pipe").unwrap();
            assert_eq!(reader.join().unwrap(), "through the pipe");
            assert!(!std::fs::metadata(&fifo).unwrap().is_file());
        }
    }

    #[test]
    fn replaces_the_target_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        write_atomic(&target, |w| {
            w.write_all(b"new")
                .map_err(|e| Error::io(Path::new("x"), e))
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A failing writer leaves the old file and no temporary file.
        let r: Result<()> = write_atomic(&target, |w| {
            w.write_all(b"partial").unwrap();
            Err(Error::Invalid("stop".into()))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    /// A writer killed before its commit (`kill -9`) leaves its temporary file; the next
    /// commit to the same target removes it, but not a live writer's nor another target's.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_commit_removes_what_killed_writers_of_its_target_left() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        // No process has an id above the kernel's limit (at most 2^22).
        let dead = dir.path().join(".out.txt.999999999-3.partial");
        let live = dir
            .path()
            .join(format!(".out.txt.{}-777.partial", std::process::id()));
        let other = dir.path().join(".other.txt.999999999-0.partial");
        for p in [&dead, &live, &other] {
            std::fs::write(p, "partial").unwrap();
        }
        write_atomic(&target, |w| {
            w.write_all(b"new")
                .map_err(|e| Error::io(Path::new("x"), e))
        })
        .unwrap();
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }
}
