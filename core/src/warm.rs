//! Reading an index into the page cache in 2 MiB pages before serving it.
//!
//! Every index file is mapped with `MADV_HUGEPAGE` (see `mmap.rs`), so the parts a query
//! reads from disk arrive in 2 MiB pages, each mapped by one TLB entry. Parts cached before
//! the server mapped them (the indexer's own writes, a copy, a `cat`) may sit in 4 KiB pages,
//! and on a multi-GiB index every random suffix-array or token access then costs a TLB miss
//! as well as a cache miss: the 1.3B-token trace took about twice as long that way
//! (benches/RESULTS.md, "Scale"). [`warm`] re-reads every file through its mapping, so the
//! whole index ends up cached, in 2 MiB pages where the kernel has them.

use crate::error::Result;
use crate::format::MappedFile;
use crate::index::Index;
use rayon::prelude::*;

/// What [`warm`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarmReport {
    /// Files re-read.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Re-reads every verbatim file of `index` (every shard's, and the id map's and others the
/// index maps) into the page cache in 2 MiB pages: pages of those files that no process maps
/// are dropped first, then the file is read back through the index's own mapping. Files of an
/// infini-gram index are left as they are. Linux only; elsewhere it reads nothing.
pub fn warm(index: &Index) -> Result<WarmReport> {
    let mut files: Vec<&MappedFile> = index.index_files();
    for s in index.shards() {
        files.extend(s.files());
    }
    files.par_iter().try_for_each(|f| f.recache())?;
    Ok(WarmReport {
        files: files.len(),
        bytes: files.iter().map(|f| f.header().payload_len).sum(),
    })
}
