//! What identifies one version of a file on disk, to notice that it was replaced.
//!
//! verbatim replaces its small control files (`manifest.bin`, `takedown.bin`) by renaming a
//! new file into place, so the inode changes even when the size and the modification time
//! (whose granularity may be coarse) do not. Comparing a stamp costs one `stat`.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Device, inode, size and modification time of one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileStamp {
    /// The stamp of `path` as it is now (`None` when it does not exist or cannot be read).
    pub fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_renamed_into_place_has_another_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        assert_eq!(FileStamp::of(&path), None);
        std::fs::write(&path, b"one").unwrap();
        let first = FileStamp::of(&path).unwrap();
        assert_eq!(FileStamp::of(&path), Some(first));
        // Same size, written and renamed at once: only the inode may tell them apart.
        let new = dir.path().join("f.new");
        std::fs::write(&new, b"two").unwrap();
        std::fs::rename(&new, &path).unwrap();
        assert_ne!(FileStamp::of(&path), Some(first));
    }
}
