//! The build's memory budget (`--max-memory`): how many tokens a shard may hold so that the
//! whole process stays under the budget, whatever the corpus size.
//!
//! The build's resident memory is, at its peak (while a shard's suffix array is built):
//!
//! ```text
//! fixed                      process, tokenizer, reader/tokenizer pipeline, full-text writer
//! + per-document state       ids of the documents so far (for the id map): in memory up to
//!                            an eighth of the room left after `fixed`, then written to disk
//!                            as sorted runs (about 1.4 bytes an id stay in memory)
//! + shard records            the open shard's document records and offsets
//! + tokens × bytes_per_token token stream (1, 2 or 4 bytes) + suffix array (4 bytes)
//! ```
//!
//! A shard is closed before a document would push that sum past the budget, so the corpus is
//! cut into as many shards as the budget needs. Answers do not depend on the cut: queries
//! merge every shard and sample documents independently of the layout.

use verbatim_core::TokenWidth;

/// Memory the build needs besides the shards' token streams and suffix arrays: the process
/// and its libraries, the loaded tokenizer, two 8 MiB text batches in flight with their
/// token ids, allocator slack. Measured: a build of a 3 KiB corpus peaks at 60–70 MiB.
const BASE_BYTES: u64 = 192 << 20;

/// tantivy's indexing arena per writer thread (see `fulltext_writer.rs`), plus what its
/// segment flushes and merges hold.
pub const FULLTEXT_ARENA_PER_THREAD: u64 = 48 << 20;

/// Peak bytes per token of a shard while its suffix array is built: the token stream (1, 2
/// or 4 bytes per token) plus the 32-bit suffix array. (For 32-bit tokens the stream is
/// written out and dropped before the suffix array is built from a 32-bit copy.)
pub fn bytes_per_token(width: TokenWidth) -> u64 {
    match width {
        TokenWidth::U8 => 1 + 4,
        TokenWidth::U16 => 2 + 4,
        TokenWidth::U32 => 4 + 4,
    }
}

/// Room the smallest budget keeps for an open shard's first record and offset chunks and a
/// small id table.
const OPENING_ROOM: u64 = crate::shard_builder::OPENING_BYTES + (16 << 20);

/// The budget of one build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The whole budget, bytes.
    pub total: u64,
    /// What the build holds besides shards and per-document state.
    pub fixed: u64,
    /// Peak bytes per shard token.
    pub per_token: u64,
}

/// Why a budget cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--max-memory {given} is too small: {reason}. The smallest budget that works here is {smallest} ({smallest_bytes} bytes); pass --max-memory {smallest} or more{hint}")]
pub struct BudgetTooSmall {
    /// The budget given, human-readable.
    pub given: String,
    /// What does not fit.
    pub reason: String,
    /// The smallest workable budget, human-readable.
    pub smallest: String,
    /// The smallest workable budget, bytes.
    pub smallest_bytes: u64,
    /// Another way out, if any.
    pub hint: String,
}

/// The longest JSONL line read for documents of at most `max_document_bytes` bytes of text:
/// JSON may escape text to three times its bytes (`\ud83d\ude00`, 12 bytes, for a 4-byte emoji;
/// `\u00e9` for `é`, as Python's `json.dumps` writes any non-ASCII character), and the id and
/// metadata get 1 MiB more. A longer line is skipped as too large.
pub fn max_jsonl_line(max_document_bytes: u64) -> u64 {
    max_document_bytes.saturating_mul(3).saturating_add(1 << 20)
}

impl MemoryBudget {
    /// The budget for a build of `width` tokens with `threads` threads, whose documents have
    /// at most `max_document_bytes` bytes of text (a document's tokens never outnumber its
    /// bytes). Refused when not even the largest possible document fits in one shard.
    pub fn new(
        total: u64,
        width: TokenWidth,
        threads: usize,
        fulltext: bool,
        max_document_bytes: u64,
    ) -> Result<MemoryBudget, BudgetTooSmall> {
        let ft = if fulltext {
            threads.clamp(1, 8) as u64 * FULLTEXT_ARENA_PER_THREAD * 2
        } else {
            0
        };
        let per_token = bytes_per_token(width);
        // A document in flight is held as its JSON line, as text, as token ids (4 bytes each)
        // and in its shard.
        let in_flight = max_document_bytes * 5 + max_jsonl_line(max_document_bytes);
        let fixed = BASE_BYTES + ft + in_flight;
        let budget = MemoryBudget {
            total,
            fixed,
            per_token,
        };
        let smallest = budget.smallest_workable(max_document_bytes);
        if total < smallest {
            return Err(BudgetTooSmall {
                given: format!("{} ({total} bytes)", human(total)),
                reason: format!(
                    "a build whose documents may hold up to {} of text (--max-document-bytes) needs {} for the process and its pipeline{}, {} to read and tokenize one such document (its JSON line, text and token ids), {} for a shard holding it ({} tokens, at most one per byte, at {per_token} bytes each for the tokens and suffix array), and {} for the shard's first record chunks and the id table",
                    human(max_document_bytes),
                    human(BASE_BYTES),
                    if ft > 0 {
                        format!(", {} for the full-text index's writers", human(ft))
                    } else {
                        String::new()
                    },
                    human(in_flight),
                    human((max_document_bytes + 1) * per_token),
                    max_document_bytes + 1,
                    human(OPENING_ROOM),
                ),
                smallest: human_ceil(smallest),
                smallest_bytes: smallest,
                hint: " (or lower --max-document-bytes)".into(),
            });
        }
        Ok(budget)
    }

    /// The smallest total that fits one document of `max_document_bytes` in a shard, with
    /// its document tables' first chunks and room for a small id table.
    pub fn smallest_workable(&self, max_document_bytes: u64) -> u64 {
        self.fixed + (max_document_bytes + 1) * self.per_token + OPENING_ROOM
    }

    /// Bytes of full-text segments one final merge may read (a merge maps its inputs): a
    /// quarter of the budget, at least 64 MiB.
    pub fn fulltext_merge_cap(&self) -> u64 {
        (self.total / 4).max(64 << 20)
    }

    /// Memory the ids read may hold before they are written out to disk as a sorted run (see
    /// `id_map.rs`): an eighth of what the shards and ids share, from 8 MiB to 1 GiB.
    pub fn id_spill_bytes(&self) -> u64 {
        (self.total.saturating_sub(self.fixed) / 8).clamp(8 << 20, 1 << 30)
    }

    /// Tokens a shard may hold when `held` bytes are taken by per-document state and the
    /// open shard's records.
    pub fn shard_tokens(&self, held: u64) -> u64 {
        self.total.saturating_sub(self.fixed + held) / self.per_token
    }
}

/// The default budget: 60% of the memory available now
/// ([`verbatim_core::sysmem::available`]: the machine's, or what a container's memory cgroup
/// leaves), so that the page cache and other processes keep the rest; 4 GiB where that
/// cannot be read.
pub fn default_budget() -> u64 {
    verbatim_core::sysmem::available().map_or(4 << 30, |a| a / 10 * 6)
}

/// Parses a size such as `4G`, `2GiB`, `2Gi`, `512M`, `1.5G` or `1073741824` (binary units;
/// the unit's case does not matter).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (examples: 4G, 512M, 1.5GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "ki" | "kib" => 1 << 10,
        "m" | "mb" | "mi" | "mib" => 1 << 20,
        "g" | "gb" | "gi" | "gib" => 1 << 30,
        "t" | "tb" | "ti" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "{s:?}: unknown unit {other:?} (use K, M, G or T, or none for bytes)"
            ))
        }
    };
    let bytes = value * mult as f64;
    // `u64::MAX as f64` is 2^64, itself too large.
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(format!("{s:?} is not a usable size"));
    }
    if mult == 1 && bytes.fract() != 0.0 {
        return Err(format!("{s:?}: a number of bytes is a whole number"));
    }
    Ok(bytes as u64)
}

/// A size in binary units with one decimal (e.g. `3.8G`).
pub fn human(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ];
    for (u, m) in UNITS {
        if bytes >= m {
            return format!("{:.1}{u}", bytes as f64 / m as f64);
        }
    }
    format!("{bytes}B")
}

/// A size in binary units rounded up to the next tenth, so it is never below `bytes` (for
/// advice: `--max-memory` of the value printed is enough).
pub fn human_ceil(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
    for (u, m) in UNITS {
        if bytes >= m {
            let tenths = (bytes * 10).div_ceil(m);
            return format!("{}.{}{u}", tenths / 10, tenths % 10);
        }
    }
    format!("{bytes}B")
}

/// How to hand memory the allocator keeps but no longer uses back to the operating system
/// (registered by the program, which chose the allocator).
static RELEASE_HOOK: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Registers `hook`, called before each memory peak of a build (a shard's suffix array) to
/// return freed memory to the operating system, so that what the reading stage freed does not
/// count toward the peak. The `verbatim` binary registers mimalloc's collection. Only the
/// first registration counts.
pub fn set_release_hook(hook: fn()) {
    let _ = RELEASE_HOOK.set(hook);
}

/// Returns freed memory to the operating system, if the program registered how.
pub(crate) fn release_unused_memory() {
    if let Some(hook) = RELEASE_HOOK.get() {
        hook();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4G").unwrap(), 4 << 30);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("1Gi").unwrap(), 1 << 30);
        assert_eq!(parse_size("64 KiB").unwrap(), 64 << 10);
        assert_eq!(parse_size("512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("4X").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.9").is_err());
        assert!(parse_size("18446744073709551616").is_err());
        assert_eq!(parse_size("0.5K").unwrap(), 512);
    }

    #[test]
    fn too_small_budget_names_the_smallest_workable_one() {
        let e = MemoryBudget::new(100 << 20, TokenWidth::U16, 2, true, 64 << 20).unwrap_err();
        let smallest = parse_size(&e.smallest).unwrap();
        assert!(smallest >= e.smallest_bytes);
        assert!(MemoryBudget::new(smallest, TokenWidth::U16, 2, true, 64 << 20).is_ok());
        assert!(e.to_string().contains("--max-memory"), "{e}");
    }

    /// The refusal itemises what the smallest budget is made of, and the items add up to it
    /// (it named 897M of a 1.2G total, leaving the shard's tokens out).
    #[test]
    fn too_small_budget_itemises_the_smallest_workable_one() {
        for fulltext in [true, false] {
            let e =
                MemoryBudget::new(100 << 20, TokenWidth::U16, 2, fulltext, 1 << 20).unwrap_err();
            // Each item is a size in units followed by what it is for.
            let words: Vec<&str> = e.reason.split(' ').collect();
            let items: u64 = words
                .windows(2)
                .filter(|w| (w[1] == "for" || w[1] == "to") && w[0].ends_with('M'))
                .map(|w| parse_size(w[0]).unwrap())
                .sum();
            let tolerance = 5 * (1 << 20) / 10; // each item rounded to 0.1 MiB
            assert!(
                items.abs_diff(e.smallest_bytes) <= tolerance,
                "{items} != {}: {e}",
                e.smallest_bytes
            );
            assert!(e.reason.contains("1048577 tokens"), "{e}");
        }
    }

    #[test]
    fn shard_tokens_shrink_as_documents_accumulate() {
        let b = MemoryBudget::new(4 << 30, TokenWidth::U16, 2, true, 64 << 20).unwrap();
        assert!(b.shard_tokens(0) > b.shard_tokens(1 << 30));
        assert_eq!(b.shard_tokens(u64::MAX / 2), 0);
    }
}
