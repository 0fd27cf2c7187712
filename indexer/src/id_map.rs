//! The ids of a build, in many small hash maps rather than one, spilled to disk as sorted runs
//! when they outgrow their share of the memory budget.
//!
//! A map grows by doubling, holding its old and new tables at once, and a single map of
//! millions of ids did so with hundreds of megabytes that the memory budget did not see.
//! Split by hash into [`PARTS`] maps, each doubling moves one part's table, and what the maps
//! hold is counted from their real capacities ([`IdMap::held_bytes`]). Past
//! [`IdMap::spilling`]'s limit the ids in memory are sorted and written out as a run
//! ([`crate::id_runs`]), of which memory keeps about 1.4 bytes an id; runs are merged four at
//! a time, so a lookup asks a few runs however many documents the build reads.

use crate::error::{Context, Result};
use crate::id_merge::{IdSource, MergedIds};
use crate::id_runs::{IdRun, READ_BUFFER};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::PathBuf;

/// How many maps the ids are spread over.
const PARTS: usize = 64;

/// Bytes a map holds per bucket: its `(String, u64)` entry and one control byte.
const BUCKET_BYTES: u64 = std::mem::size_of::<(String, u64)>() as u64 + 1;

/// Runs of one size merged into one.
const MERGE_FANOUT: usize = 4;

/// `id -> value` over [`PARTS`] hash maps and, past a limit, sorted runs on disk. An id is
/// inserted once: the caller asks first ([`IdMap::get`]).
pub(crate) struct IdMap {
    parts: Vec<HashMap<String, u64>>,
    hasher: RandomState,
    /// Ids in the maps.
    in_memory: u64,
    /// Heap bytes of the ids' text, as the allocator rounds it.
    text_bytes: u64,
    /// Bytes of every part's table at its capacity, kept up to date by [`IdMap::insert`]
    /// (the budget asks for it before every document).
    table_bytes: u64,
    /// The largest part's table bytes (tables never shrink, so it only grows).
    largest_table: u64,
    /// Where runs go, and when; `None`: the ids stay in memory.
    spill: Option<Spill>,
    /// Runs on disk, oldest first.
    runs: Vec<IdRun>,
    /// Memory the runs hold, kept up to date.
    runs_bytes: u64,
}

/// Where and when an [`IdMap`] spills.
struct Spill {
    /// The directory of the runs, made at the first spill and removed with the map.
    dir: SpillDir,
    /// Memory the ids in the maps may hold, with the room to sort them, before they are
    /// written out.
    at_bytes: u64,
    /// The filters' seed, one for every run so that an id is hashed once for all.
    seed: u128,
    /// Runs written so far (names the next).
    written: u64,
}

/// A directory of runs, removed when dropped.
struct SpillDir {
    path: PathBuf,
    made: bool,
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if self.made {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl IdMap {
    /// An empty map that keeps every id in memory.
    pub(crate) fn new() -> Self {
        IdMap {
            parts: fresh_parts(),
            hasher: RandomState::new(),
            in_memory: 0,
            text_bytes: 0,
            table_bytes: 0,
            largest_table: 0,
            spill: None,
            runs: Vec::new(),
            runs_bytes: 0,
        }
    }

    /// An empty map that writes its ids to sorted runs in `dir` (made when first needed,
    /// removed with the map; what is there before is removed first) whenever those in memory
    /// would hold more than `at_bytes`.
    pub(crate) fn spilling(dir: PathBuf, at_bytes: u64) -> Self {
        let hasher = RandomState::new();
        let seed = (hasher.hash_one(1u8) as u128) << 64 | hasher.hash_one(2u8) as u128;
        IdMap {
            spill: Some(Spill {
                dir: SpillDir {
                    path: dir,
                    made: false,
                },
                at_bytes,
                seed,
                written: 0,
            }),
            hasher,
            ..IdMap::new()
        }
    }

    fn part(&self, id: &str) -> usize {
        (self.hasher.hash_one(id) % PARTS as u64) as usize
    }

    /// The value of `id`.
    pub(crate) fn get(&self, id: &str) -> Result<Option<u64>> {
        if let Some(v) = self.parts[self.part(id)].get(id) {
            return Ok(Some(*v));
        }
        let Some(first) = self.runs.first() else {
            return Ok(None);
        };
        let hash = first.hash(id);
        for run in &self.runs {
            if let Some(v) = run.get(id, hash)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Whether `id` is in the map.
    pub(crate) fn contains_key(&self, id: &str) -> Result<bool> {
        Ok(self.get(id)?.is_some())
    }

    /// Sets the value of `id`, which the map does not hold.
    pub(crate) fn insert(&mut self, id: String, value: u64) -> Result<()> {
        let k = self.part(&id);
        let len = id.len() as u64;
        let before = table_bytes(self.parts[k].capacity());
        if let Some(old) = self.parts[k].insert(id, value) {
            return Err(crate::error::Error::Failed(format!(
                "an id was recorded twice (documents #{old} and #{value})"
            )));
        }
        self.in_memory += 1;
        self.text_bytes += allocated(len);
        let after = table_bytes(self.parts[k].capacity());
        self.table_bytes += after - before;
        self.largest_table = self.largest_table.max(after);
        if self
            .spill
            .as_ref()
            .is_some_and(|s| self.memory_bytes() > s.at_bytes)
        {
            self.spill_to_disk()?;
        }
        Ok(())
    }

    /// Ids in the map.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.in_memory + self.runs.iter().map(IdRun::len).sum::<u64>()
    }

    /// Runs on disk now (for tests and the summary).
    pub(crate) fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Memory the maps hold, and may need for their next growth (every part's table at its
    /// capacity, the ids' text, the largest part's table doubled: the old and the new table
    /// live together while it grows), and, if they may be spilled, the room to sort them.
    fn memory_bytes(&self) -> u64 {
        let sort_room = if self.spill.is_some() {
            self.in_memory * std::mem::size_of::<(String, u64)>() as u64
        } else {
            0
        };
        self.table_bytes + self.text_bytes + 2 * self.largest_table.max(table_bytes(3)) + sort_room
    }

    /// Memory the map holds, and may need next: [`IdMap::memory_bytes`], the runs' filters
    /// and block indexes (a merge frees its runs' before it makes the merged run's, so it
    /// needs no more), the buffers of a merge of every run and of the run it writes, and the
    /// block a lookup reads.
    pub(crate) fn held_bytes(&self) -> u64 {
        let lookup = self.runs.iter().map(IdRun::lookup_bytes).max().unwrap_or(0);
        self.memory_bytes()
            + self.runs_bytes
            + (self.runs.len() as u64 + 2) * READ_BUFFER as u64
            + lookup
    }

    /// Writes the ids in memory to a new run and frees their maps; merges the last runs while
    /// [`MERGE_FANOUT`] of them have the same size.
    fn spill_to_disk(&mut self) -> Result<()> {
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        if !spill.dir.made {
            let path = &spill.dir.path;
            if path.exists() {
                std::fs::remove_dir_all(path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
            std::fs::create_dir_all(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            spill.dir.made = true;
        }
        let path = spill.next_run_path();
        let seed = spill.seed;
        let ids = self.take_sorted();
        let run = IdRun::write(&path, ids.len() as u64, seed, 1, vec_source(ids))?;
        self.runs_bytes += run.held_bytes();
        self.runs.push(run);
        while self.runs.len() >= MERGE_FANOUT {
            let tail = &self.runs[self.runs.len() - MERGE_FANOUT..];
            if tail.iter().any(|r| r.weight != tail[0].weight) {
                break;
            }
            let tail = self.runs.split_off(self.runs.len() - MERGE_FANOUT);
            self.runs_bytes -= tail.iter().map(IdRun::held_bytes).sum::<u64>();
            let Some(spill) = self.spill.as_mut() else {
                break;
            };
            let run = merge_runs(spill, tail)?;
            self.runs_bytes += run.held_bytes();
            self.runs.push(run);
        }
        Ok(())
    }

    /// The ids in the maps, sorted by id; the maps are left empty, their tables freed as
    /// they are read.
    fn take_sorted(&mut self) -> Vec<(String, u64)> {
        let mut ids: Vec<(String, u64)> = Vec::with_capacity(self.in_memory as usize);
        for part in std::mem::replace(&mut self.parts, fresh_parts()) {
            ids.extend(part);
        }
        ids.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.in_memory = 0;
        self.text_bytes = 0;
        self.table_bytes = 0;
        self.largest_table = 0;
        ids
    }

    /// Every `(id, value)` in id order, read from the runs and the maps; the runs' files and
    /// directory are removed as the result is dropped.
    pub(crate) fn into_sorted(mut self) -> Result<SortedIds> {
        let memory = self.take_sorted();
        let mut sources: Vec<IdSource> = Vec::new();
        for run in std::mem::take(&mut self.runs) {
            sources.push(Box::new(run.into_reader()?));
        }
        sources.push(vec_source(memory));
        Ok(SortedIds {
            merged: MergedIds::new(sources),
            mask: u64::MAX,
            dir: self.spill.take().map(|s| s.dir),
        })
    }
}

/// Merges `runs` into one new run of `spill`'s directory, removing their files.
fn merge_runs(spill: &mut Spill, runs: Vec<IdRun>) -> Result<IdRun> {
    let len: u64 = runs.iter().map(IdRun::len).sum();
    let weight: u64 = runs.iter().map(|r| r.weight).sum();
    let mut sources: Vec<IdSource> = Vec::new();
    for run in runs {
        sources.push(Box::new(run.into_reader()?));
    }
    let path = spill.next_run_path();
    IdRun::write(&path, len, spill.seed, weight, MergedIds::new(sources))
}

impl Spill {
    /// The path of the next run written.
    fn next_run_path(&mut self) -> PathBuf {
        self.written += 1;
        self.dir.path.join(format!("run-{}", self.written - 1))
    }
}

/// Sorted `(id, value)` pairs as a merge's source.
fn vec_source(ids: Vec<(String, u64)>) -> IdSource {
    Box::new(ids.into_iter().map(|(id, v)| Ok((id.into_bytes(), v))))
}

/// The ids of a build, `(id bytes, document number)` in id order, as the id map is written
/// from them; what they were spilled to on disk is removed by [`SortedIds::finish`], or
/// when this is dropped.
pub struct SortedIds {
    merged: MergedIds,
    mask: u64,
    dir: Option<SpillDir>,
}

impl SortedIds {
    /// `ids` (unique, in any order) sorted by id.
    pub(crate) fn from_vec(mut ids: Vec<(String, u64)>) -> SortedIds {
        ids.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        SortedIds {
            merged: MergedIds::new(vec![vec_source(ids)]),
            mask: u64::MAX,
            dir: None,
        }
    }

    /// Removes what the ids were spilled to, reporting an error (a drop ignores it).
    pub(crate) fn finish(mut self) -> Result<()> {
        self.merged = MergedIds::new(Vec::new());
        if let Some(mut dir) = self.dir.take().filter(|d| d.made) {
            dir.made = false;
            std::fs::remove_dir_all(&dir.path)
                .with_context(|| format!("cannot remove {}", dir.path.display()))?;
        }
        Ok(())
    }

    /// The same ids with each value `& mask`.
    pub(crate) fn masked(mut self, mask: u64) -> SortedIds {
        self.mask &= mask;
        self
    }
}

impl Iterator for SortedIds {
    type Item = Result<(Vec<u8>, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mask = self.mask;
        self.merged.next().map(|r| r.map(|(id, v)| (id, v & mask)))
    }
}

fn fresh_parts() -> Vec<HashMap<String, u64>> {
    (0..PARTS).map(|_| HashMap::new()).collect()
}

/// Bytes of a table that holds `capacity` entries without growing: the standard map keeps
/// at least an eighth of its buckets free, with a power-of-two bucket count.
fn table_bytes(capacity: usize) -> u64 {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity as u64 * 8 / 7).next_power_of_two();
    buckets * BUCKET_BYTES
}

/// Bytes the allocator gives a string of `len` bytes: rounded up to its size class (classes
/// are 8 bytes apart for small sizes, an eighth apart above).
fn allocated(len: u64) -> u64 {
    if len == 0 {
        0
    } else if len <= 64 {
        len.next_multiple_of(8)
    } else {
        len + len / 8
    }
}

#[cfg(test)]
#[path = "id_map_tests.rs"]
mod tests;
