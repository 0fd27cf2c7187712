use super::*;
use crate::id_table::IdTable;
use crate::input::IdOrigin;
use proptest::prelude::*;

fn sorted(ids: SortedIds) -> Vec<(String, u64)> {
    ids.map(|r| {
        let (id, v) = r.unwrap();
        (String::from_utf8(id).unwrap(), v)
    })
    .collect()
}

#[test]
fn ids_are_found_in_their_parts_and_all_come_back() {
    let mut m = IdMap::new();
    for i in 0..10_000u64 {
        m.insert(format!("doc-{i}"), i).unwrap();
    }
    assert_eq!(m.len(), 10_000);
    assert_eq!(m.get("doc-7").unwrap(), Some(7));
    assert!(m.contains_key("doc-9999").unwrap() && !m.contains_key("doc-10000").unwrap());
    let all = sorted(m.into_sorted().unwrap());
    assert_eq!(all.len(), 10_000);
    assert_eq!(all[0], ("doc-0".to_string(), 0));
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn held_bytes_count_the_tables_as_they_are() {
    let mut m = IdMap::new();
    let empty = m.held_bytes();
    for i in 0..100_000u64 {
        m.insert(format!("{i:040}"), i).unwrap();
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

#[test]
fn a_spilling_map_answers_as_one_in_memory_and_removes_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    let mut memory = IdMap::new();
    // 64 KiB: a run about every 600 ids, so 20,000 ids make 33 runs, merged four at a time.
    let mut disk = IdMap::spilling(spill.clone(), 64 << 10);
    for i in 0..20_000u64 {
        // Ids in no order, of many lengths.
        let id = format!(
            "{:x}-{}",
            (i * 7919) % 20_011,
            "x".repeat((i % 37) as usize)
        );
        memory.insert(id.clone(), i).unwrap();
        disk.insert(id, i).unwrap();
    }
    assert!(disk.runs() >= 2 && disk.runs() <= 9, "{} runs", disk.runs());
    assert_eq!(disk.len(), 20_000);
    for i in (0..20_000u64).step_by(7) {
        let id = format!(
            "{:x}-{}",
            (i * 7919) % 20_011,
            "x".repeat((i % 37) as usize)
        );
        assert_eq!(disk.get(&id).unwrap(), Some(i), "{id}");
        let absent = format!("{id}-");
        assert_eq!(disk.get(&absent).unwrap(), None);
    }
    assert_eq!(disk.get("").unwrap(), None);
    assert_eq!(disk.get("\u{10ffff}").unwrap(), None);
    // Memory held stays near the limit: the maps below it, the runs' filters and indexes
    // about 1.5 bytes an id, and per run a read buffer and a block.
    let buffers = (disk.runs() as u64 + 2) * (80 << 10);
    assert!(
        disk.held_bytes() < (64 << 10) + buffers + 20_000 * 2,
        "{}",
        disk.held_bytes()
    );
    let from_disk = disk.into_sorted().unwrap();
    assert!(
        spill.exists(),
        "removed only when the sorted ids are dropped"
    );
    let from_disk = sorted(from_disk);
    assert_eq!(from_disk, sorted(memory.into_sorted().unwrap()));
    assert!(!spill.exists(), "the runs' directory is removed");
}

#[test]
fn runs_keep_about_a_byte_and_a_half_an_id_in_memory() {
    // 40-character ids, as the many-short-documents corpora of RESULTS.md have.
    let dir = tempfile::tempdir().unwrap();
    let mut m = IdMap::spilling(dir.path().join("s"), 1 << 20);
    for i in 0..300_000u64 {
        let id = format!(
            "{:040x}",
            (i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
        );
        m.insert(id, i).unwrap();
    }
    let on_disk = m.len() - m.in_memory;
    let per_id = m.runs_bytes as f64 / on_disk as f64;
    eprintln!(
        "{} runs, {on_disk} ids on disk, {per_id:.3} bytes an id in memory",
        m.runs()
    );
    assert!(
        on_disk > 250_000 && (1.0..1.6).contains(&per_id),
        "{per_id}"
    );
}

#[test]
fn a_dropped_map_removes_its_runs_and_a_new_one_clears_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    std::fs::write(spill.join("run-0"), b"left by a killed build").unwrap();
    let mut m = IdMap::spilling(spill.clone(), 0);
    m.insert("a".into(), 1).unwrap();
    m.insert("b".into(), 2).unwrap();
    assert_eq!(m.runs(), 2);
    assert_eq!(m.get("a").unwrap(), Some(1));
    drop(m);
    assert!(!spill.exists());
}

#[derive(Debug, Clone)]
enum Given {
    Field(String),
    Derived(String),
}

fn given() -> impl Strategy<Value = Given> {
    // Few distinct ids, so that repeats, renames (`a#2`) and refusals all come up.
    let id = prop_oneof![
        "[ab]{1,2}",
        "[ab]#[2-4]",
        Just("x.jsonl:1".to_string()),
        "[a-z0-9]{8}"
    ];
    prop_oneof![
        4 => id.clone().prop_map(Given::Field),
        1 => id.prop_map(Given::Derived),
    ]
}

/// An id map of an index being appended to, holding `ids`.
fn existing(ids: &[String]) -> fst::Map<verbatim_core::format::MappedSlice> {
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut b = fst::MapBuilder::memory();
    for (no, id) in sorted.into_iter().enumerate() {
        b.insert(id, no as u64).unwrap();
    }
    let bytes = b.into_inner().unwrap();
    fst::Map::new(verbatim_core::format::MappedSlice::from_bytes(&bytes).unwrap()).unwrap()
}

/// Inserts `ids` into a table over `map` (appending to an index of `old` ids), up to the
/// first refusal: the answers, and the sorted ids if none was refused.
fn run_table(
    map: IdMap,
    old: &fst::Map<verbatim_core::format::MappedSlice>,
    ids: &[Given],
) -> (Vec<String>, Option<Vec<(String, u64)>>) {
    let mut table = IdTable::new(Some(old), map);
    let mut answers = Vec::new();
    for (no, g) in ids.iter().enumerate() {
        let (id, origin) = match g {
            Given::Field(id) => (id.clone(), IdOrigin::Field),
            Given::Derived(id) => (id.clone(), IdOrigin::FileLine),
        };
        match table.insert(id, no as u64, &format!("in.jsonl:{}", no + 1), origin, "id") {
            Ok(id) => answers.push(id),
            Err(e) => {
                answers.push(format!("refused: {e}"));
                return (answers, None);
            }
        }
    }
    (answers, Some(sorted(table.into_ids().unwrap())))
}

proptest! {
    /// The id table's answers (renames, refusals, the id map written) do not depend on
    /// whether its ids spilled to disk: a map that writes a run after every id against one
    /// that keeps them all in memory.
    #[test]
    fn spilling_changes_no_answer(
        ids in prop::collection::vec(given(), 1..120),
        old in prop::collection::vec("[ab]#[2-5]|[c-z]{1,2}", 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let old = existing(&old);
        let memory = run_table(IdMap::new(), &old, &ids);
        let disk = run_table(IdMap::spilling(dir.path().join("s"), 0), &old, &ids);
        prop_assert_eq!(memory, disk);
    }
}
