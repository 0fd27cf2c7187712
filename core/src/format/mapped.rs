//! Read-only, memory-mapped index files with their header checked.

use super::{FileKind, Header, HEADER_LEN};
use crate::error::{Error, Result};
use crate::mmap::map_file;
use crate::residency::Residency;
use memmap2::Mmap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Bytes hashed at a time by [`MappedFile::verify_payload`] on a file advised for
/// [`Residency::Disk`], the next block read ahead meanwhile.
const VERIFY_BLOCK: usize = 32 << 20;

/// A memory-mapped index file whose header has been checked.
///
/// Opening is cheap: it reads the header and compares lengths. [`MappedFile::verify_payload`]
/// hashes the payload to detect corruption anywhere in the file.
#[derive(Debug, Clone)]
pub struct MappedFile {
    path: PathBuf,
    header: Header,
    map: Arc<Mmap>,
    /// The mapping is advised for [`Residency::Disk`] (shared by clones, as the mapping is).
    on_disk: Arc<AtomicBool>,
}

impl MappedFile {
    /// Maps `path`, checks magic, version, header checksum, `kind`, and that the payload length
    /// agrees with the file size and element count.
    pub fn open(path: &Path, kind: FileKind) -> Result<MappedFile> {
        let map = map_file(path).map_err(|e| match e {
            // A file of the index that is not there: the index is incomplete, not unreadable.
            Error::Io { path, error } if error.kind() == std::io::ErrorKind::NotFound => {
                Error::Corrupt {
                    path,
                    detail: "the file is missing".into(),
                }
            }
            e => e,
        })?;
        let header = Header::decode(&map, path)?;
        let corrupt = |detail: String| Error::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        if header.kind != kind as u32 {
            let found = FileKind::from_u32(header.kind).map_or("unknown", |k| k.name());
            return Err(corrupt(format!(
                "expected a {} file, found a {found} file",
                kind.name()
            )));
        }
        let payload_len = (map.len() - HEADER_LEN) as u64;
        if header.payload_len != payload_len {
            return Err(corrupt(format!(
                "header says {} payload bytes but the file holds {payload_len} (truncated or extended)",
                header.payload_len
            )));
        }
        if header.element_width > 0
            && header
                .element_count
                .checked_mul(header.element_width as u64)
                != Some(header.payload_len)
        {
            return Err(corrupt(format!(
                "{} elements of {} bytes do not fill {} payload bytes",
                header.element_count, header.element_width, header.payload_len
            )));
        }
        Ok(MappedFile {
            path: path.to_path_buf(),
            header,
            map: Arc::new(map),
            on_disk: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Re-reads the file into the page cache in 2 MiB pages: drops its cached pages that no
    /// process maps, then reads it back through this mapping, advised `MADV_HUGEPAGE` (Linux;
    /// elsewhere nothing happens).
    pub fn recache(&self) -> Result<()> {
        crate::mmap::recache(&self.path, &self.map)
    }

    /// The file's checked header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The payload bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.map[HEADER_LEN..]
    }

    /// The payload as a slice of `T` (little-endian hosts only; alignment is guaranteed by the
    /// page-aligned map and the 64-byte header).
    pub fn as_slice<T: bytemuck::Pod>(&self) -> Result<&[T]> {
        bytemuck::try_cast_slice(self.payload()).map_err(|e| Error::Corrupt {
            path: self.path.clone(),
            detail: format!(
                "payload is not an array of {}-byte values: {e}",
                size_of::<T>()
            ),
        })
    }

    /// A cheaply clonable handle on a byte range of the payload (for `fst`).
    pub fn payload_slice(&self, range: Range<usize>) -> MappedSlice {
        MappedSlice {
            map: self.map.clone(),
            range: HEADER_LEN + range.start..HEADER_LEN + range.end,
        }
    }

    /// Advises the mapping for `residency` (see [`crate::residency`]); `Auto` counts as
    /// `Memory`.
    pub fn set_residency(&self, residency: Residency) {
        crate::mmap::advise(&self.map, residency);
        self.on_disk
            .store(residency == Residency::Disk, Ordering::Relaxed);
    }

    /// Hashes the whole payload and compares it with the header's checksum. On a file
    /// advised for [`Residency::Disk`] the payload is read ahead a block at a time, so the
    /// pass is not one 4 KiB fault after another.
    pub fn verify_payload(&self) -> Result<()> {
        let sum = if self.on_disk.load(Ordering::Relaxed) {
            hash_reading_ahead(&self.map, HEADER_LEN, VERIFY_BLOCK)
        } else {
            xxhash_rust::xxh3::xxh3_64(self.payload())
        };
        if sum != self.header.payload_checksum {
            let (path, detail) = (
                self.path.clone(),
                format!(
                    "payload checksum mismatch (stored {:016x}, computed {sum:016x}): the file is damaged",
                    self.header.payload_checksum
                ),
            );
            return Err(if self.header.kind == FileKind::SuffixSamples as u32 {
                Error::BadOptionalFile { path, detail }
            } else {
                Error::Corrupt { path, detail }
            });
        }
        Ok(())
    }

    /// Fails unless the file belongs to the build `build_id`.
    pub fn expect_build(&self, build_id: u64) -> Result<()> {
        if self.header.build_id != build_id {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                detail: format!(
                    "file belongs to build {:016x}, where the index's manifest expects build {build_id:016x}: files of two different builds (or shards) are mixed (this file or the manifest came from another build)",
                    self.header.build_id
                ),
            });
        }
        Ok(())
    }
}

/// The xxh3 of `map[start..]`, hashed `block` bytes at a time, each next block read ahead
/// while the current one is hashed: equal to `xxh3_64(&map[start..])`.
fn hash_reading_ahead(map: &Mmap, start: usize, block: usize) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut at = start;
    crate::mmap::read_ahead(map, at, block.min(map.len().saturating_sub(at)));
    while at < map.len() {
        let end = (at + block).min(map.len());
        crate::mmap::read_ahead(map, end, block.min(map.len() - end));
        h.update(&map[at..end]);
        at = end;
    }
    h.digest()
}

/// A byte range of a mapped file, usable wherever `AsRef<[u8]>` is wanted.
#[derive(Debug, Clone)]
pub struct MappedSlice {
    map: Arc<Mmap>,
    range: Range<usize>,
}

impl MappedSlice {
    /// A copy of `bytes` in anonymous memory (for small in-memory maps, such as an empty id
    /// map).
    pub fn from_bytes(bytes: &[u8]) -> std::io::Result<MappedSlice> {
        let mut map = memmap2::MmapMut::map_anon(bytes.len().max(1))?;
        map[..bytes.len()].copy_from_slice(bytes);
        Ok(MappedSlice {
            map: Arc::new(map.make_read_only()?),
            range: 0..bytes.len(),
        })
    }
}

impl AsRef<[u8]> for MappedSlice {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over a file of several read-ahead pieces ([`crate::mmap::read_ahead`] asks for 128
    /// KiB at a time), at offsets and block sizes that do not divide it.
    #[test]
    fn hashing_block_by_block_equals_hashing_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..300_007u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        let map = map_file(&path).unwrap();
        crate::mmap::advise(&map, Residency::Disk);
        for start in [0, 64, 4095] {
            let want = xxhash_rust::xxh3::xxh3_64(&bytes[start..]);
            for block in [1, 4096, 5000, 65_536, 1 << 20] {
                assert_eq!(
                    hash_reading_ahead(&map, start, block),
                    want,
                    "start {start} block {block}"
                );
            }
        }
    }
}
