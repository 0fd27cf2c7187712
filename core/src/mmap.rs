//! The one place verbatim maps files into memory.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use memmap2::Mmap;
use std::fs::File;
use std::path::Path;

/// Maps a whole file read-only.
///
/// Index files are written once by the indexer into a temporary directory and renamed into
/// place; nothing modifies them afterwards. The server never writes an index.
pub fn map_file(path: &Path) -> Result<Mmap> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: `Mmap::map` is unsafe because another process could truncate or modify the file
    // while it is mapped, which would make the mapped bytes change under us (or fault).
    // Index files are immutable once the atomic build rename has happened, and the index
    // directory is documented as read-only while served (FORMAT.md, "Immutability").
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    Ok(map)
}
