//! The words read from ids against `split_whitespace` of the decoded text.

use super::*;
use proptest::prelude::*;

fn decode(table: &[Box<[u8]>], ids: &[u32]) -> String {
    let bytes: Vec<u8> = ids
        .iter()
        .filter_map(|&i| table.get(i as usize))
        .flat_map(|b| b.iter().copied())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Pieces of a vocabulary: ASCII words, spaces, Unicode spaces, and multi-byte characters
/// whole and split into their bytes.
const PIECES: &[&[u8]] = &[
    b"the",
    b" the",
    b"th",
    b"e",
    b" ",
    b"  ",
    b"\n",
    b"\n\n",
    b"a b",
    b" x ",
    b".",
    b"(",
    "\u{3000}".as_bytes(),
    "\u{a0}x".as_bytes(),
    b"\xc2",
    b"\xa0",
    "é".as_bytes(),
    b"\xc3",
    b"\xa9",
    "日本".as_bytes(),
    b"\xe6\x97",
    b"\xa5",
    b"\xff",
    b"",
    b"the.",
    b"e.",
];

fn vocabulary() -> Vec<Box<[u8]>> {
    PIECES
        .iter()
        .map(|p| p.to_vec().into_boxed_slice())
        .collect()
}

/// Ids of the vocabulary and two beyond it.
fn pieces() -> impl Strategy<Value = Vec<Vec<u32>>> {
    proptest::collection::vec(
        proptest::collection::vec(0u32..(PIECES.len() as u32 + 2), 0..12),
        0..6,
    )
}

/// Reads `pieces` as one text, a newline after every third; returns the words and the text.
fn read(table: &WordTable, vocab: &[Box<[u8]>], pieces: &[Vec<u32>]) -> (DocWords, String) {
    let mut reader = WordReader::new(table);
    let mut text = String::new();
    for (i, ids) in pieces.iter().enumerate() {
        reader.push_tokens(ids, |ids| decode(vocab, ids));
        text.push_str(&decode(vocab, ids));
        if i % 3 == 2 {
            reader.push_text("\n");
            text.push('\n');
        }
    }
    (reader.finish(), text)
}

proptest! {
    #[test]
    fn words_equal_those_of_the_decoded_text(pieces in pieces()) {
        let vocab = vocabulary();
        let table = WordTable::from_token_bytes(&vocab);
        let (doc, text) = read(&table, &vocab, &pieces);
        let want: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        prop_assert_eq!(doc.to_strings(&table), want);
    }

    #[test]
    fn one_number_per_distinct_word_across_texts(
        docs in proptest::collection::vec(pieces(), 0..5),
        collide in any::<bool>(),
    ) {
        let vocab = vocabulary();
        let table = WordTable::from_token_bytes(&vocab);
        let read: Vec<(DocWords, String)> = docs.iter().map(|p| read(&table, &vocab, p)).collect();
        let mut words: Vec<DocWords> = read.iter().map(|(w, _)| w.clone()).collect();
        if collide {
            // Distinct words counted with every long word's hash the same: only the
            // comparisons decide. (The hashes are then put back: numbering finds a word
            // spelt like a fragment by its text's real hash.)
            for w in &mut words {
                let hashes: Vec<u64> = w.long.iter().map(|l| l.hash).collect();
                w.long.iter_mut().for_each(|l| l.hash = 0);
                w.distinct = w.count_distinct(&table);
                w.long.iter_mut().zip(hashes).for_each(|(l, h)| l.hash = h);
            }
        }
        let mut numbering = WordNumbering::new(&table);
        let refs: Vec<&DocWords> = words.iter().collect();
        let numbers = numbering.number(&refs);
        let mut text_of = std::collections::HashMap::new();
        let mut number_of = std::collections::HashMap::new();
        for ((_, text), nums) in read.iter().zip(&numbers) {
            let ws: Vec<&str> = text.split_whitespace().collect();
            prop_assert_eq!(ws.len(), nums.len());
            for (w, n) in ws.iter().zip(nums) {
                prop_assert_eq!(*text_of.entry(*n).or_insert(*w), *w);
                prop_assert_eq!(*number_of.entry(*w).or_insert(*n), *n);
                prop_assert_eq!(numbering.lookup(&refs, w), Some(*n));
            }
        }
        prop_assert_eq!(numbering.lookup(&refs, "absent-word"), None);
        // Counted from the distinct words: the same number of occurrences of each number.
        let counted = WordNumbering::new(&table).number_counted(&refs);
        let mut renumber = WordNumbering::new(&table);
        let again = renumber.number(&refs);
        for (nums, pairs) in again.iter().zip(&counted) {
            let mut want = std::collections::BTreeMap::new();
            for n in nums {
                *want.entry(*n).or_insert(0u32) += 1;
            }
            let mut got = std::collections::BTreeMap::new();
            for (n, c) in pairs {
                *got.entry(*n).or_insert(0u32) += c;
            }
            prop_assert_eq!(got, want);
        }
        // Dense: every number below the count is used.
        let used: std::collections::HashSet<u32> = numbers.iter().flatten().copied().collect();
        prop_assert_eq!(used.len(), numbering.len());
        prop_assert!(used.iter().all(|&n| (n as usize) < numbering.len()));
    }
}

#[test]
fn a_word_spelt_by_two_tokens_has_the_number_of_the_one_token_spelling() {
    let vocab = vocabulary();
    let table = WordTable::from_token_bytes(&vocab);
    let mut r = WordReader::new(&table);
    // " the" then "th" "e": the same word, once whole, once in two tokens; then "the."
    // whole and as "th" "e.".
    r.push_tokens(&[1u32, 4, 2, 3, 4, 24, 4, 2, 25], |_| {
        unreachable!("no split character")
    });
    let doc = r.finish();
    let numbers = WordNumbering::new(&table).number(&[&doc]);
    assert_eq!(numbers[0].len(), 4);
    assert_eq!(numbers[0][0], numbers[0][1]);
    assert_eq!(numbers[0][2], numbers[0][3]);
    assert_ne!(numbers[0][0], numbers[0][2]);
}

#[test]
fn words_with_one_hash_and_different_texts_get_different_numbers() {
    let vocab = vocabulary();
    let table = WordTable::from_token_bytes(&vocab);
    let mut r = WordReader::new(&table);
    r.push_tokens(&[0u32, 10, 4, 0, 11], |_| {
        unreachable!("no split character")
    });
    let mut doc = r.finish();
    // Force a collision: give the second long word the first one's hash.
    doc.long[1].hash = doc.long[0].hash;
    let mut numbering = WordNumbering::new(&table);
    let numbers = numbering.number(&[&doc]);
    assert_ne!(numbers[0][0], numbers[0][1]);
}
