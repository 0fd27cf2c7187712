//! Advising an open index's mapped files for memory or disk (see [`crate::residency`]).

use super::Index;
use crate::residency::Residency;
use crate::sysmem::page_cache_limit;
use std::sync::atomic::Ordering;

/// Advises every index of `indexes` for `residency`, `Auto` judged on all of them together
/// (their [`Index::mapped_bytes`] summed) against `limit` bytes of page cache (see
/// [`Residency::resolve`]), as a server does with the indexes it serves. Returns the choice
/// and the bytes it was judged on.
pub fn set_residency_together<'a>(
    indexes: impl IntoIterator<Item = &'a Index>,
    residency: Residency,
    limit: Option<u64>,
) -> (Residency, u64) {
    let indexes: Vec<&Index> = indexes.into_iter().collect();
    let bytes = indexes.iter().map(|i| i.mapped_bytes()).sum();
    let chosen = residency.resolve(bytes, limit);
    for index in indexes {
        index.set_residency(chosen);
    }
    (chosen, bytes)
}

impl Index {
    /// Bytes of the files this index maps: every shard's (an infini-gram index's files
    /// included), the id map and sources, the full-text index's when it is open (as the
    /// manifest records them), and its side indexes'. A group counts its members.
    pub fn mapped_bytes(&self) -> u64 {
        if self.is_group() {
            return self.members.iter().map(|m| m.index().mapped_bytes()).sum();
        }
        let own: u64 = self.shards.iter().map(|s| s.mapped_bytes()).sum::<u64>()
            + self.fulltext_bytes()
            + self
                .index_files()
                .iter()
                .map(|f| f.payload().len() as u64)
                .sum::<u64>();
        own + self
            .sides
            .iter()
            .map(|(_, s)| s.mapped_bytes())
            .sum::<u64>()
    }

    /// Advises every file this index maps for `residency` and returns what was applied:
    /// `Auto` becomes `Memory` when [`Index::mapped_bytes`] is at most half of
    /// [`page_cache_limit`], `Disk` otherwise. Can be called at any time, queries running:
    /// it changes what later page faults read, never an answer.
    pub fn set_residency(&self, residency: Residency) -> Residency {
        let r = match residency {
            Residency::Auto => residency.resolve(self.mapped_bytes(), page_cache_limit()),
            r => r,
        };
        self.apply_residency(r);
        r
    }

    /// Advises the files for `r` (`Memory` or `Disk`) unless they already are (files are
    /// mapped for `Memory` by [`crate::mmap::map_file`], as an index's state starts), and
    /// its side indexes' and members' alike.
    fn apply_residency(&self, r: Residency) {
        for m in &self.members {
            m.index().apply_residency(r);
        }
        for (_, side) in &self.sides {
            side.apply_residency(r);
        }
        if self.is_group() || self.residency() == r {
            return;
        }
        for s in &self.shards {
            s.set_residency(r);
        }
        for f in self.index_files() {
            f.set_residency(r);
        }
        if let Some(ft) = &self.fulltext {
            if let Err(e) = ft.set_residency(r) {
                tracing::warn!(index = %self.dir.display(), "full-text index left mapped as it was: {e}");
            }
        }
        self.on_disk.store(r == Residency::Disk, Ordering::Relaxed);
    }

    /// Bytes of the open full-text index's files, as the manifest records them (0 when it is
    /// not open).
    fn fulltext_bytes(&self) -> u64 {
        match self.fulltext {
            Some(_) => self.manifest.fulltext_files.values().map(|f| f.bytes).sum(),
            None => 0,
        }
    }

    /// How this index's files are advised: `Memory` or `Disk` (see [`Index::set_residency`]).
    /// A group reports its first member's.
    pub fn residency(&self) -> Residency {
        if let Some(m) = self.members.first() {
            return m.index().residency();
        }
        if self.on_disk.load(Ordering::Relaxed) {
            Residency::Disk
        } else {
            Residency::Memory
        }
    }
}

impl Index {
    /// Whether some shard is read from disk ([`crate::shard::Shard::reads_ahead`]), so that
    /// queries may ask for their pages ahead.
    pub(crate) fn reads_ahead(&self) -> bool {
        self.shards().iter().any(|s| s.reads_ahead())
    }
}
