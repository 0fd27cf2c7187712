//! The one place verbatim maps files into memory.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::residency::Residency;
use memmap2::Mmap;
use std::fs::File;
use std::path::Path;

/// Maps a whole file read-only, asking for 2 MiB pages where the kernel has them.
///
/// Index files are written once by the indexer into a temporary directory and renamed into
/// place; nothing modifies them afterwards. The server never writes an index.
///
/// On Linux the mapping is advised `MADV_HUGEPAGE`: a page fault on a part of the file that
/// is not cached then reads a 2 MiB block into the page cache and maps it with one TLB entry
/// (on file systems whose page cache holds large folios: ext4 on Linux 6.18 here), where
/// 4 KiB pages would give every random suffix-array or token access of a multi-GiB index its
/// own TLB miss. Parts cached in small pages beforehand (a file just written or copied) stay
/// small until evicted (see `warm.rs`). The advice is a hint: a kernel without it maps as
/// before. An index opened for [`Residency::Disk`] is advised again afterwards ([`advise`]).
pub fn map_file(path: &Path) -> Result<Mmap> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // A directory or a device where a file belongs maps as "No such device" (ENODEV).
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            detail: "not a regular file (a directory or a device is in its place)".into(),
        });
    }
    // SAFETY: `Mmap::map` is unsafe because another process could truncate or modify the file
    // while it is mapped, which would make the mapped bytes change under us (or fault).
    // Index files are immutable once the atomic build rename has happened, and the index
    // directory is documented as read-only while served (FORMAT.md, "Immutability").
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, out_of_maps(e)))?;
    #[cfg(target_os = "linux")]
    if !map.is_empty() {
        // A refused hint (a kernel without transparent huge pages) changes nothing.
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    Ok(map)
}

/// A failed map's error, with what to do when it is the limit of maps a process may hold
/// (`ENOMEM`: an index of very many shards reaches it before memory runs out).
fn out_of_maps(e: std::io::Error) -> std::io::Error {
    // ENOMEM (the same number on every Linux architecture).
    const ENOMEM: i32 = 12;
    if e.raw_os_error() != Some(ENOMEM) {
        return e;
    }
    let limit = crate::sysmem::max_map_count().map_or("its limit".into(), |m| m.to_string());
    std::io::Error::new(
        e.kind(),
        format!(
            "{e}: the process may hold no more memory maps (vm.max_map_count is {limit}, and \
             each shard of an index holds {}); raise it (`sysctl vm.max_map_count=N`) or build \
             the index with fewer, larger shards (a larger --max-memory)",
            crate::sysmem::MAPS_PER_SHARD
        ),
    )
}

/// Advises `map` for `residency` (see [`crate::residency`]): `Memory` (and `Auto`) asks for
/// 2 MiB pages, as [`map_file`] does; `Disk` for 4 KiB pages read one at a time (no
/// read-around). Advice is a hint: a kernel that refuses it reads as before.
pub fn advise(map: &Mmap, residency: Residency) {
    #[cfg(target_os = "linux")]
    if !map.is_empty() {
        use memmap2::Advice;
        let advice: &[Advice] = match residency {
            Residency::Disk => &[Advice::NoHugePage, Advice::Random],
            Residency::Memory | Residency::Auto => &[Advice::Normal, Advice::HugePage],
        };
        for &a in advice {
            let _ = map.advise(a);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (map, residency);
}

/// Bytes asked for by one `MADV_WILLNEED`: the kernel reads at most its readahead window
/// (`read_ahead_kb`, 128 KiB by default, or the device's largest request when larger) of
/// each call and drops the rest, so a longer range is asked for in pieces this size.
const READ_AHEAD_PIECE: usize = 128 << 10;

/// Asks the kernel to start reading `len` bytes of `map` from `offset` into the page cache
/// (`MADV_WILLNEED`, in [`READ_AHEAD_PIECE`]s), without waiting: a mapping advised for
/// [`Residency::Disk`] would otherwise read a sequential pass (a checksum) one 4 KiB fault
/// at a time.
pub fn read_ahead(map: &Mmap, offset: usize, len: usize) {
    #[cfg(target_os = "linux")]
    {
        let end = (offset + len).min(map.len());
        let mut at = offset;
        while at < end {
            let piece = READ_AHEAD_PIECE.min(end - at);
            let _ = map.advise_range(memmap2::Advice::WillNeed, at, piece);
            at += piece;
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (map, offset, len);
}

/// Asks the kernel to start reading the page that holds `item` into the page cache
/// (`MADV_WILLNEED` on that one page) and returns at once. A search of an index read from
/// disk ([`Residency::Disk`]) asks for the pages of all its lockstep searches' next step
/// before loading any of them, so that their disk reads are in flight together instead of one
/// page fault after another. On a page already cached it only costs the system call; outside
/// a file mapping it does nothing.
#[inline]
pub fn will_need<T>(item: &T) {
    will_need_slice(std::slice::from_ref(item));
}

/// Asks the kernel to start reading every page that holds part of `items` into the page
/// cache, with one system call, and returns at once (see [`will_need`]). The trace asks so
/// for all its documents' windows and records before reading any of them. Nothing for an
/// empty slice.
#[inline]
pub fn will_need_slice<T>(items: &[T]) {
    #[cfg(target_os = "linux")]
    {
        let bytes = std::mem::size_of_val(items);
        if bytes == 0 {
            return;
        }
        let size = rustix::param::page_size();
        let start = items.as_ptr() as usize;
        let page = start & !(size - 1);
        let len = (start + bytes - page).div_ceil(size) * size;
        // SAFETY: `MADV_WILLNEED` only schedules reads into the page cache: it changes no
        // mapping, no protection and no byte of memory, so no reference anywhere can observe
        // it. `page..page + len` are the pages holding `items`, which the live reference
        // keeps mapped for the duration of the call.
        let _ = unsafe {
            rustix::mm::madvise(
                page as *mut std::ffi::c_void,
                len,
                rustix::mm::Advice::WillNeed,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = items;
}

/// Re-reads the file `map` maps (at `path`) into the page cache in 2 MiB pages: drops its
/// cached pages that no process has mapped (`POSIX_FADV_DONTNEED`; pages another process
/// maps stay as they are), then reads the whole file through `map` (`MADV_POPULATE_READ`),
/// whose `MADV_HUGEPAGE` advice makes every read a 2 MiB block. Pages written by the indexer
/// or by a copy are cached in smaller pages, which this replaces. Elsewhere than on Linux it
/// does nothing.
pub fn recache(path: &Path, map: &Mmap) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)
            .map_err(|e| Error::io(path, e.into()))?;
        // Kernels before 5.14 lack MADV_POPULATE_READ: then each page is read by touching it.
        if !map.is_empty() && map.advise(memmap2::Advice::PopulateRead).is_err() {
            let touched = map.iter().step_by(4096).fold(0u8, |a, &b| a ^ b);
            std::hint::black_box(touched);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (path, map);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asking for pages of a file mapping (evicted first, so the reads really go to the
    /// file) and of heap memory changes nothing anyone reads.
    #[test]
    fn asking_for_pages_changes_no_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..5 * 4096 + 17).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let map = map_file(&path).unwrap();
        advise(&map, Residency::Disk);
        #[cfg(target_os = "linux")]
        {
            let file = File::open(&path).unwrap();
            rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        }
        for at in [0, 1, 4095, 4096, 3 * 4096 + 5, bytes.len() - 1] {
            will_need(&map[at]);
        }
        will_need(&bytes[100]);
        for range in [
            0..0,
            0..1,
            4090..4100,
            2 * 4096..5 * 4096 + 17,
            17..bytes.len(),
        ] {
            will_need_slice(&map[range.clone()]);
            will_need_slice(&bytes[range]);
        }
        let words: Vec<u32> = (0..3000).collect();
        will_need_slice(&words[1..2999]);
        assert_eq!(&map[..], &bytes[..]);
        assert_eq!(words, (0..3000).collect::<Vec<u32>>());
    }
}
