//! The ids of a build held in memory, in many small hash maps rather than one: a map grows by
//! doubling, holding its old and new tables at once, and a single map of millions of ids
//! did so with hundreds of megabytes that the memory budget did not see. Split by hash into
//! [`PARTS`] maps, each doubling moves one part's table, and what the maps hold is counted
//! from their real capacities ([`IdMap::held_bytes`]).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// How many maps the ids are spread over.
const PARTS: usize = 64;

/// Bytes a map holds per bucket: its `(String, u64)` entry and one control byte.
const BUCKET_BYTES: u64 = std::mem::size_of::<(String, u64)>() as u64 + 1;

/// `id -> value` over [`PARTS`] hash maps.
pub(crate) struct IdMap {
    parts: Vec<HashMap<String, u64>>,
    hasher: RandomState,
    /// Heap bytes of the ids' text, as the allocator rounds it.
    text_bytes: u64,
    /// Bytes of every part's table at its capacity, kept up to date by [`IdMap::insert`]
    /// (the budget asks for it before every document).
    table_bytes: u64,
    /// The largest part's table bytes (tables never shrink, so it only grows).
    largest_table: u64,
}

impl IdMap {
    /// An empty map.
    pub(crate) fn new() -> Self {
        IdMap {
            parts: (0..PARTS).map(|_| HashMap::new()).collect(),
            hasher: RandomState::new(),
            text_bytes: 0,
            table_bytes: 0,
            largest_table: 0,
        }
    }

    fn part(&self, id: &str) -> usize {
        (self.hasher.hash_one(id) % PARTS as u64) as usize
    }

    /// The value of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<u64> {
        self.parts[self.part(id)].get(id).copied()
    }

    /// Whether `id` is in the map.
    pub(crate) fn contains_key(&self, id: &str) -> bool {
        self.parts[self.part(id)].contains_key(id)
    }

    /// Sets `id`'s value.
    pub(crate) fn insert(&mut self, id: String, value: u64) {
        let k = self.part(&id);
        let len = id.len() as u64;
        let before = table_bytes(self.parts[k].capacity());
        if self.parts[k].insert(id, value).is_none() {
            self.text_bytes += allocated(len);
        }
        let after = table_bytes(self.parts[k].capacity());
        self.table_bytes += after - before;
        self.largest_table = self.largest_table.max(after);
    }

    /// Ids in the map.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(HashMap::len).sum()
    }

    /// Memory the map holds, and may need for its next growth: every part's table at its
    /// capacity, the ids' text, and the largest part's table doubled (the old and the new
    /// table live together while it grows).
    pub(crate) fn held_bytes(&self) -> u64 {
        self.table_bytes + self.text_bytes + 2 * self.largest_table.max(table_bytes(3))
    }

    /// Every `(id, value)`, in no order, each part's table freed as soon as it is read.
    pub(crate) fn into_vec(self) -> Vec<(String, u64)> {
        let mut out = Vec::with_capacity(self.len());
        for part in self.parts {
            out.extend(part);
        }
        out
    }
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
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_in_their_parts_and_all_come_back() {
        let mut m = IdMap::new();
        for i in 0..10_000u64 {
            m.insert(format!("doc-{i}"), i);
        }
        m.insert("doc-7".into(), 70);
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get("doc-7"), Some(70));
        assert!(m.contains_key("doc-9999") && !m.contains_key("doc-10000"));
        let mut all = m.into_vec();
        all.sort();
        assert_eq!(all.len(), 10_000);
        assert_eq!(all[0], ("doc-0".to_string(), 0));
    }

    #[test]
    fn held_bytes_count_the_tables_as_they_are() {
        let mut m = IdMap::new();
        let empty = m.held_bytes();
        for i in 0..100_000u64 {
            m.insert(format!("{i:040}"), i);
        }
        let held = m.held_bytes();
        // The running count is a recount of the tables as they are.
        let tables: Vec<u64> = m.parts.iter().map(|p| table_bytes(p.capacity())).collect();
        assert_eq!(m.table_bytes, tables.iter().sum::<u64>());
        assert_eq!(m.largest_table, *tables.iter().max().unwrap());
        // 40 bytes of text and a 33-byte bucket at most 7/8 full: at least 77 bytes an id.
        assert!(held - empty >= 100_000 * 77, "{held}");
        // The parts' tables are not over twice the entries' size, plus one part's growth.
        assert!(
            held - empty <= 100_000 * (40 + 2 * 33) + 4 * table_bytes(4096),
            "{held}"
        );
    }
}
