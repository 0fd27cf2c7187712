//! The k-way merge of sorted id sources: runs read from disk and the ids left in memory, for
//! a merge of runs and for the id map written at the end of a build.

use crate::error::Result;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A source of `(id bytes, value)` in id order.
pub(crate) type IdSource = Box<dyn Iterator<Item = Result<(Vec<u8>, u64)>> + Send>;

/// The ids of several sorted sources (runs read from disk, ids in memory), merged in id
/// order. The sources hold no id twice between them.
pub(crate) struct MergedIds {
    sources: Vec<IdSource>,
    /// The next id of each source that has one, smallest on top.
    heads: BinaryHeap<Head>,
    started: bool,
}

struct Head {
    id: Vec<u8>,
    value: u64,
    source: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` pops its largest.
        other.id.cmp(&self.id)
    }
}

impl MergedIds {
    /// Merges `sources`, each sorted by id.
    pub(crate) fn new(sources: Vec<IdSource>) -> MergedIds {
        MergedIds {
            heads: BinaryHeap::with_capacity(sources.len()),
            sources,
            started: false,
        }
    }

    fn pull(&mut self, source: usize) -> Result<()> {
        if let Some(item) = self.sources[source].next() {
            let (id, value) = item?;
            self.heads.push(Head { id, value, source });
        }
        Ok(())
    }
}

impl Iterator for MergedIds {
    type Item = Result<(Vec<u8>, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            self.started = true;
            for s in 0..self.sources.len() {
                if let Err(e) = self.pull(s) {
                    return Some(Err(e));
                }
            }
        }
        let head = self.heads.pop()?;
        if let Err(e) = self.pull(head.source) {
            return Some(Err(e));
        }
        Some(Ok((head.id, head.value)))
    }
}
