//! `verbatim compact`: rebuild runs of neighbouring shards as one shard each.

use crate::output::human_bytes;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_indexer::CompactOptions;

/// Arguments of `verbatim compact`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::IndexDir,
    /// Keep the compaction's memory under this size, e.g. 4G: neighbouring shards are merged
    /// only as far as one shard's suffix array fits (as in `verbatim index`). Default: 60% of
    /// the memory available at start (printed; in a container, within its memory cgroup's
    /// limit).
    #[arg(long, value_parser = verbatim_indexer::memory::parse_size)]
    max_memory: Option<u64>,
    /// Maximum tokens per compacted shard.
    #[arg(long, default_value_t = verbatim_indexer::options::DEFAULT_SHARD_MAX_TOKENS)]
    shard_max_tokens: u64,
    /// Write the new shards under these directories (e.g. other disks), round-robin, instead
    /// of inside the index directory (side indexes' new shards stay inside it, as an
    /// append's do). Repeatable.
    #[arg(long = "shard-root")]
    shard_roots: Vec<PathBuf>,
    /// Worker threads for the suffix arrays (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Runs `verbatim compact`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let budget = a
        .max_memory
        .unwrap_or_else(verbatim_indexer::memory::default_budget);
    if a.max_memory.is_none() {
        eprintln!(
            "memory budget: {} (60% of the memory available; set --max-memory to change it)",
            human_bytes(budget)
        );
    }
    let s = verbatim_indexer::compact(&CompactOptions {
        index: a.index.path().to_path_buf(),
        max_memory: Some(budget),
        shard_max_tokens: a.shard_max_tokens,
        shard_roots: a.shard_roots,
        threads: a.threads,
        progress: std::io::stderr().is_terminal(),
    })?;
    for i in &s.indexes {
        if i.groups.is_empty() {
            outln!(
                "{}: {} shard(s), nothing to compact",
                i.name,
                i.shards_before
            );
        } else {
            let runs: Vec<String> = i
                .groups
                .iter()
                .map(|g| format!("{}-{}", g.start, g.end - 1))
                .collect();
            outln!(
                "{}: {} shard(s) -> {} (rebuilt shards {})",
                i.name,
                i.shards_before,
                i.shards_after,
                runs.join(", ")
            );
        }
    }
    for d in &s.left_under_roots {
        eprintln!(
            "left {} (a replaced shard under a shard root, which verbatim never deletes: a copy of the index may use it); remove it if none does",
            d.display()
        );
    }
    if s.changed() {
        outln!(
            "compacted {} in {:.1}s under --max-memory {}; a server serving it moves to the compacted shards once it has opened and checked them",
            a.index.path().display(),
            s.seconds,
            human_bytes(s.max_memory)
        );
    } else if s.indexes.iter().all(|i| i.shards_before <= 1) {
        outln!("nothing to compact: one shard already");
    } else {
        let hint = match s.smallest_merging_budget {
            Some(b) => format!(
                "; merging the two smallest neighbouring shards needs --max-memory {}",
                verbatim_indexer::memory::human_ceil(b)
            ),
            None => String::new(),
        };
        outln!(
            "nothing to compact: no two neighbouring shards fit one shard under --max-memory {} and --shard-max-tokens {}{hint}",
            human_bytes(s.max_memory),
            a.shard_max_tokens
        );
    }
    Ok(ExitCode::SUCCESS)
}
