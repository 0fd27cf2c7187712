//! How a shard's suffix array is stored: verbatim's `u32` token positions, or infini-gram's
//! byte pointers of `ptr_size` bytes (`table.N`).
//!
//! Every search is generic over [`SuffixArray`], so verbatim's `&[u32]` path compiles to the
//! plain slice index it always was, and an infini-gram table is read in place. A pointer read
//! from an infini-gram table is never trusted: it is clamped to the token stream, so a damaged
//! table gives wrong answers, never an out-of-bounds access.

/// A suffix array: `at(rank)` is the token position of the suffix of that rank.
pub trait SuffixArray: Copy + Send + Sync {
    /// Number of entries (= tokens in the shard).
    fn len(&self) -> usize;
    /// Whether it has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Token position of the suffix at `rank` (`rank < len()`), at most the token count.
    fn at(&self, rank: usize) -> usize;
    /// Asks for the page holding the entry at `rank` to be read from disk, without waiting
    /// (`MADV_WILLNEED`).
    fn will_need(&self, rank: usize);
    /// The stored entry at `rank`, when [`SuffixArray::at`] reads it as some other position:
    /// an infini-gram byte pointer inside a token or past the stream (`None`: read as stored).
    /// Only checks ask.
    fn inexact(&self, _rank: usize) -> Option<u64> {
        None
    }
}

impl SuffixArray for &[u32] {
    #[inline]
    fn len(&self) -> usize {
        <[u32]>::len(self)
    }
    #[inline]
    fn at(&self, rank: usize) -> usize {
        self[rank] as usize
    }
    #[inline]
    fn will_need(&self, rank: usize) {
        if let Some(e) = self.get(rank) {
            crate::mmap::will_need(e);
        }
    }
}

/// infini-gram's suffix array (`table.N`): one little-endian **byte** offset into the token
/// stream per entry, `ptr_size` bytes each (1 to 8: infini-gram derives it from the file
/// sizes, `ceil(log2(stream bytes) / 8)`).
#[derive(Debug, Clone, Copy)]
pub struct BytePointers<'a> {
    bytes: &'a [u8],
    ptr_size: usize,
    mask: u64,
    /// log2 of the token width: byte offset >> shift = token position.
    shift: u32,
    tokens: usize,
}

impl<'a> BytePointers<'a> {
    /// The table `bytes` of `ptr_size`-byte pointers into a stream of `tokens` tokens of
    /// `token_bytes` bytes each. `bytes.len()` must be `tokens * ptr_size` (checked at open).
    pub fn new(bytes: &'a [u8], ptr_size: usize, token_bytes: usize, tokens: usize) -> Self {
        debug_assert!((1..=8).contains(&ptr_size));
        debug_assert_eq!(bytes.len(), tokens * ptr_size);
        BytePointers {
            bytes,
            ptr_size,
            mask: if ptr_size >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * ptr_size)) - 1
            },
            shift: token_bytes.trailing_zeros(),
            tokens,
        }
    }

    /// Bytes per entry.
    pub fn ptr_size(&self) -> usize {
        self.ptr_size
    }

    /// The raw byte pointer at `rank` (infini-gram's `ptr`), unchecked against the stream.
    #[inline]
    pub fn raw(&self, rank: usize) -> u64 {
        let off = rank * self.ptr_size;
        match self.bytes.get(off..off + 8) {
            Some(b) => u64::from_le_bytes(b.try_into().expect("8 bytes")) & self.mask,
            None => {
                let mut buf = [0u8; 8];
                let end = (off + self.ptr_size).min(self.bytes.len());
                let part = self.bytes.get(off..end).unwrap_or_default();
                buf[..part.len()].copy_from_slice(part);
                u64::from_le_bytes(buf)
            }
        }
    }
}

impl SuffixArray for BytePointers<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.tokens
    }
    #[inline]
    fn at(&self, rank: usize) -> usize {
        ((self.raw(rank) >> self.shift) as usize).min(self.tokens)
    }
    #[inline]
    fn will_need(&self, rank: usize) {
        if let Some(b) = self.bytes.get(rank * self.ptr_size) {
            crate::mmap::will_need(b);
        }
    }
    fn inexact(&self, rank: usize) -> Option<u64> {
        let raw = self.raw(rank);
        let inside_token = raw & ((1u64 << self.shift) - 1) != 0;
        (inside_token || raw >> self.shift >= self.tokens as u64).then_some(raw)
    }
}

/// A shard's suffix array of either kind, for code that is not hot enough to monomorphise.
#[derive(Debug, Clone, Copy)]
pub enum SuffixArrayRef<'a> {
    /// verbatim's `sa.bin`: `u32` token positions.
    Positions(&'a [u32]),
    /// infini-gram's `table.N`: byte pointers.
    Pointers(BytePointers<'a>),
}

impl SuffixArray for SuffixArrayRef<'_> {
    #[inline]
    fn len(&self) -> usize {
        match self {
            SuffixArrayRef::Positions(p) => p.len(),
            SuffixArrayRef::Pointers(p) => SuffixArray::len(p),
        }
    }
    #[inline]
    fn at(&self, rank: usize) -> usize {
        match self {
            SuffixArrayRef::Positions(p) => p[rank] as usize,
            SuffixArrayRef::Pointers(p) => p.at(rank),
        }
    }
    #[inline]
    fn will_need(&self, rank: usize) {
        match self {
            SuffixArrayRef::Positions(p) => p.will_need(rank),
            SuffixArrayRef::Pointers(p) => p.will_need(rank),
        }
    }
    fn inexact(&self, rank: usize) -> Option<u64> {
        match self {
            SuffixArrayRef::Positions(p) => p.inexact(rank),
            SuffixArrayRef::Pointers(p) => p.inexact(rank),
        }
    }
}

/// The suffix-array block of every first token: `block(t)` is the range of ranks whose
/// suffixes start with token `t`. Blocks come in the order of the shard's token type (id
/// order for verbatim, byte order for infini-gram), so each is stored as its own range. The
/// separator's block (suffixes starting with a document separator) comes after every id's
/// in both orders; an id with no block (outside the vocabulary) gets an empty range at the
/// rank where it would sort, as infini-gram's `find` answers it.
#[derive(Debug, Clone)]
pub struct FirstTokenTable {
    blocks: Vec<[u64; 2]>,
    /// The separator's id.
    separator: u32,
    /// Its block: the ranks after every id's, to the end of the suffix array.
    separator_block: [u64; 2],
    /// The order key of a token id.
    key: fn(u32) -> u32,
}

impl Default for FirstTokenTable {
    fn default() -> FirstTokenTable {
        FirstTokenTable {
            blocks: Vec::new(),
            separator: u32::MAX,
            separator_block: [0, 0],
            key: |t| t,
        }
    }
}

impl FirstTokenTable {
    /// The table of a shard of `suffixes` suffixes whose suffix array is ordered by `key` (a
    /// token id's order key), holding `counts[t]` suffixes starting with token `t`
    /// (separators, id `separator`, excluded: they sort after every vocabulary id in both
    /// orders, and the ranks after the counted ones are theirs). Returns the table and the
    /// ranks the counts cover, `None` when they overflow a `u64` (a damaged count table: the
    /// caller refuses it, since only a total equal to the shard's suffixes less its
    /// separators keeps every block inside the array).
    pub fn from_counts(
        counts: &[u64],
        key: fn(u32) -> u32,
        separator: u32,
        suffixes: u64,
    ) -> (FirstTokenTable, Option<u64>) {
        let mut order: Vec<u32> = (0..counts.len() as u32).collect();
        order.sort_unstable_by_key(|&t| key(t));
        let mut blocks = vec![[0u64; 2]; counts.len()];
        let mut acc = Some(0u64);
        for t in order {
            let start = acc.unwrap_or(u64::MAX);
            acc = acc.and_then(|a| a.checked_add(counts[t as usize]));
            blocks[t as usize] = [start, acc.unwrap_or(u64::MAX)];
        }
        let separator_block = match acc {
            Some(c) if c <= suffixes => [c, suffixes],
            _ => [suffixes, suffixes],
        };
        let table = FirstTokenTable {
            blocks,
            separator,
            separator_block,
            key,
        };
        (table, acc)
    }

    /// The ranks of the suffixes starting with token `t`: its block, the separator's, or for
    /// an id outside the vocabulary the empty range where it would sort.
    #[inline]
    pub fn block(&self, t: u32) -> std::ops::Range<usize> {
        match self.blocks.get(t as usize) {
            Some(&[a, b]) => a as usize..b as usize,
            None if t == self.separator => {
                self.separator_block[0] as usize..self.separator_block[1] as usize
            }
            None => {
                // Rare (token ids sent to the API): the first block of an id sorting after
                // it, found by one pass rather than kept as a table in every shard.
                let k = (self.key)(t);
                let at = if k > (self.key)(self.separator) {
                    self.separator_block[1]
                } else {
                    (0u32..)
                        .zip(&self.blocks)
                        .filter(|&(id, _)| (self.key)(id) > k)
                        .map(|(_, b)| b[0])
                        .min()
                        .unwrap_or(self.separator_block[0])
                };
                at as usize..at as usize
            }
        }
    }

    /// Number of token ids covered.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the table covers no ids.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_ids_outside_the_vocabulary_get_their_ranks() {
        // Ids 0..3 counted 2, 0 and 3 times; two separators (255) after them, 7 suffixes.
        let (t, covered) = FirstTokenTable::from_counts(&[2, 0, 3], |t| t, 255, 7);
        assert_eq!(covered, Some(5));
        assert_eq!(t.block(0), 0..2);
        assert_eq!(t.block(1), 2..2);
        assert_eq!(t.block(2), 2..5);
        assert_eq!(
            t.block(255),
            5..7,
            "the separator's block is the last ranks"
        );
        assert_eq!(
            t.block(7),
            5..5,
            "an id past the vocabulary sorts before separators"
        );
        assert_eq!(
            t.block(300),
            7..7,
            "an id no token can hold sorts after everything"
        );
        // In infini-gram's byte order (u16 little-endian bytes compared), id 0x0100 sorts
        // before 0x0001: an unknown id lands between the blocks around its key.
        let key = <crate::token::BytewiseU16 as crate::token::Token>::key_of;
        let (t, _) = FirstTokenTable::from_counts(&[1, 4], key, 0xffff, 6);
        assert_eq!(t.block(0), 0..1);
        assert_eq!(t.block(1), 1..5);
        assert_eq!(t.block(0x0100), 1..1);
        assert_eq!(t.block(0xffff), 5..6);
    }

    #[test]
    fn byte_pointers_decode_every_width_and_clamp() {
        for ptr_size in 1..=8usize {
            let tokens = 40usize;
            let mut bytes = Vec::new();
            for p in 0..tokens as u64 {
                bytes.extend_from_slice(&(p * 2).to_le_bytes()[..ptr_size]);
            }
            let bp = BytePointers::new(&bytes, ptr_size, 2, tokens);
            for r in 0..tokens {
                assert_eq!(bp.at(r), r, "ptr_size {ptr_size}");
                assert_eq!(bp.raw(r), 2 * r as u64);
            }
        }
        // A pointer past the stream (a damaged table) is clamped to the stream's end.
        let bytes = [0xffu8; 12];
        let bp = BytePointers::new(&bytes, 4, 2, 3);
        assert_eq!(bp.at(2), 3);
    }
}
