//! Whether an index is read as if it stays in memory or as if it lives on disk.
//!
//! Every index file is memory-mapped, and what a page fault reads is decided by the advice
//! the mapping carries:
//!
//! - [`Residency::Memory`] (`MADV_HUGEPAGE`): a fault reads a 2 MiB block and maps it with one
//!   TLB entry. Best when the whole index stays in the page cache: once read, every random
//!   suffix-array or token access is a cache miss without a TLB miss.
//! - [`Residency::Disk`] (`MADV_RANDOM`, `MADV_NOHUGEPAGE`): a fault reads only the 4 KiB page
//!   it needs. Best when the index is larger than the memory left for the page cache: a
//!   binary search touches a handful of pages spread over gigabytes, and reading 2 MiB (or the
//!   kernel's read-around window) for each of them reads the disk hundreds of times over and
//!   evicts the pages the next query needs. Measured on the 1.3B-token index held to 2 GiB of
//!   memory: 20 traces read 27 GiB from disk with `Memory` and 142 MiB with `Disk`, and the
//!   trace p50 fell from 697 to 118 ms (benches/RESULTS.md, "Indexes larger than memory").
//! - [`Residency::Auto`] picks `Memory` when the index's files take at most half of the
//!   memory the process can use for the page cache ([`crate::sysmem::page_cache_limit`]),
//!   `Disk` otherwise.
//!
//! The full-text index's files, which tantivy maps, follow too: with `Disk` they are mapped
//! `MADV_RANDOM`, otherwise with the kernel's read-around. Its searches read postings lists
//! in runs, so read-around is quicker once they are cached, but it reads about twice the
//! pages; with too little memory it reads the disk over and over (benches/RESULTS.md,
//! "Full-text search read from disk").
//!
//! The advice changes what is read, never what a query answers.

use std::fmt;
use std::str::FromStr;

/// How an index's mapped files are advised (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Residency {
    /// `Memory` when the index takes at most half of [`crate::sysmem::page_cache_limit`],
    /// else `Disk`.
    #[default]
    Auto,
    /// The index stays in the page cache: 2 MiB pages.
    Memory,
    /// The index is read from disk as queries need it: 4 KiB pages, no read-around.
    Disk,
}

impl Residency {
    /// `Memory` or `Disk` for an index of `index_bytes` when the page cache can hold
    /// `limit` bytes (`None`: unknown, taken as room enough). `Memory` and `Disk` stay as
    /// they are.
    pub fn resolve(self, index_bytes: u64, limit: Option<u64>) -> Residency {
        match self {
            Residency::Auto => match limit {
                Some(l) if index_bytes > l / 2 => Residency::Disk,
                _ => Residency::Memory,
            },
            r => r,
        }
    }

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Residency::Auto => "auto",
            Residency::Memory => "memory",
            Residency::Disk => "disk",
        }
    }
}

impl fmt::Display for Residency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Residency {
    type Err = String;

    fn from_str(s: &str) -> Result<Residency, String> {
        match s {
            "auto" => Ok(Residency::Auto),
            "memory" => Ok(Residency::Memory),
            "disk" => Ok(Residency::Disk),
            _ => Err(format!(
                "unknown residency {s:?}: expected auto, memory or disk"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_disk_only_past_half_the_limit() {
        let g = 1u64 << 30;
        assert_eq!(
            Residency::Auto.resolve(8 * g, Some(24 * g)),
            Residency::Memory
        );
        assert_eq!(
            Residency::Auto.resolve(12 * g, Some(24 * g)),
            Residency::Memory
        );
        assert_eq!(
            Residency::Auto.resolve(12 * g + 1, Some(24 * g)),
            Residency::Disk
        );
        assert_eq!(Residency::Auto.resolve(u64::MAX, None), Residency::Memory);
        assert_eq!(Residency::Disk.resolve(1, Some(24 * g)), Residency::Disk);
        assert_eq!(
            Residency::Memory.resolve(100 * g, Some(g)),
            Residency::Memory
        );
    }

    #[test]
    fn names_round_trip() {
        for r in [Residency::Auto, Residency::Memory, Residency::Disk] {
            assert_eq!(r.name().parse::<Residency>(), Ok(r));
        }
        let e = "ram".parse::<Residency>().unwrap_err();
        assert!(e.contains("auto, memory or disk"), "{e}");
    }
}
