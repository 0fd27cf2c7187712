//! `--skip-log FILE`: every skipped document written to a file, one JSON object a line.
//!
//! The log is written to a temporary file beside FILE and renamed over it once every input
//! has been read, so FILE is either the previous log or this build's whole list, never a
//! part: a build stopped while reading (`--strict`, an unreadable input, a kill) leaves the
//! previous log as it was. A device or FIFO (`/dev/stderr`, a pipe) is written in place, and
//! appended to.

use crate::error::{Error, Result};
use crate::input::discover::file_id;
use crate::input::InputFile;
use std::io::Write;
use std::path::{Path, PathBuf};
use verbatim_core::atomic::{is_special, resolve_target, AtomicFile};

/// The open log.
#[derive(Debug)]
pub(crate) struct SkipLog {
    /// The file named (its links followed).
    target: PathBuf,
    /// The temporary file renamed over `target` at the end (`None`: written in place).
    temp: Option<AtomicFile>,
    out: std::io::BufWriter<std::fs::File>,
    /// The first write that failed; [`SkipLog::finish`] returns it.
    error: Option<std::io::Error>,
}

impl SkipLog {
    /// Starts a log that will replace `path` (created where it does not exist).
    pub(crate) fn create(path: &Path) -> Result<SkipLog> {
        let target = resolve_target(path)?;
        let (temp, file) = if in_place(path, &target) {
            let file = std::fs::File::options()
                .append(true)
                .open(path)
                .map_err(|e| verbatim_core::Error::io(path, e))?;
            (None, file)
        } else {
            let temp = AtomicFile::new(&target);
            let file = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(temp.temp_path())
                .map_err(|e| verbatim_core::Error::io(temp.temp_path(), e))?;
            (Some(temp), file)
        };
        Ok(SkipLog {
            target,
            temp,
            out: std::io::BufWriter::new(file),
            error: None,
        })
    }

    /// Writes one skip: its reason's key, the documents it stands for and its message.
    pub(crate) fn write(&mut self, reason: &str, documents: u64, message: &str) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::json!({
            "reason": reason,
            "documents": documents,
            "message": message,
        });
        if let Err(e) = writeln!(self.out, "{line}") {
            self.error = Some(e);
        }
    }

    /// Flushes the log and puts it in place of the file named.
    pub(crate) fn finish(mut self) -> Result<()> {
        let written = match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        };
        written.map_err(|error| Error::Io {
            path: Some(self.target.clone()),
            error,
        })?;
        if let Some(temp) = self.temp.take() {
            temp.commit()?;
        }
        Ok(())
    }
}

/// Whether the log is written in place rather than replaced: a device, FIFO or socket, or a
/// name of an open file descriptor (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
/// `/proc/PID/fd/N`: `/dev/stderr` redirected to a file names that file, which holds the
/// build's messages too; they are appended to, not replaced). A regular file elsewhere under
/// `/dev` (`/dev/shm/x`) is replaced like any other.
fn in_place(path: &Path, target: &Path) -> bool {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let descriptor = matches!(
        parts.as_slice(),
        ["/", "dev", "stdout" | "stderr"] | ["/", "dev", "fd", _] | ["/", "proc", _, "fd", _]
    );
    is_special(target) || descriptor
}

/// Refuses a `--skip-log` that would overwrite one of the input `files` (by any name: a hard
/// link too), that lies inside an input directory (the next build would read it as corpus) or
/// inside `out` (which a build replaces as a whole and an append fills with its own files), or
/// that cannot be written (a folder that does not exist): before anything is read.
pub(crate) fn check(log: &Path, out: &Path, inputs: &[PathBuf], files: &[InputFile]) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::Options(format!(
            "--skip-log {}: {why}",
            log.display()
        )))
    };
    let target = resolve_target(log)?;
    if crate::atomic::check_outside(out, std::slice::from_ref(&target), &[]).is_err() {
        return refuse(format!(
            "inside --out {}, which the build writes: write it elsewhere",
            out.display()
        ));
    }
    for dir in inputs.iter().filter(|p| p.is_dir()) {
        if crate::atomic::check_outside(dir, std::slice::from_ref(&target), &[]).is_err() {
            return refuse(format!(
                "inside the input directory {}, where the next build would read it as corpus: \
                 write it elsewhere",
                dir.display()
            ));
        }
    }
    if let Ok(meta) = std::fs::metadata(&target) {
        let log_id = file_id(&target, &meta);
        if let Some(f) = files
            .iter()
            .find(|f| std::fs::metadata(&f.path).is_ok_and(|m| file_id(&f.path, &m) == log_id))
        {
            return refuse(format!(
                "the input file {} (by another name, or a link to it): writing the log would \
                 overwrite it; name another file",
                f.path.display()
            ));
        }
    }
    let writable = if in_place(log, &target) {
        // Opening a FIFO here would wait for its reader: it is opened when the log starts.
        Ok(())
    } else {
        verbatim_core::atomic::check_writable(&target).map_err(|e| e.to_string())
    };
    writable.map_err(|e| {
        Error::Options(format!(
            "--skip-log {} cannot be written: {e}",
            log.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names of open descriptors are written in place; a regular file under `/dev` (a
    /// `/dev/shm` file was appended to across builds) or anywhere else is replaced.
    #[test]
    fn only_descriptor_names_and_devices_are_written_in_place() {
        let regular = Path::new("/tmp/no-such-dir/skips.jsonl");
        for name in ["/dev/stderr", "/dev/stdout", "/dev/fd/2", "/proc/self/fd/2"] {
            assert!(in_place(Path::new(name), regular), "{name}");
        }
        for name in [
            "/dev/shm/skips.jsonl",
            "/dev/../tmp/x",
            "/procfs/x",
            "skips.jsonl",
        ] {
            assert!(!in_place(Path::new(name), regular), "{name}");
        }
    }
}
