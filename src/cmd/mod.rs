//! The subcommands.

mod assemble;
mod attach;
mod compact;
mod contamination;
mod count;
mod doc;
mod index;
mod input_text;
mod ngram;
mod serve;
mod spans;
mod stats;
mod takedown;
mod target;
mod trace;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Trace language-model output back to the training documents it copies, verbatim.
#[derive(Debug, Parser)]
#[command(name = "verbatim", version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v info, -vv debug). `VERBATIM_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Logs as JSON lines.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an index of a corpus (JSONL / .gz / .zst, or folders of text files), or append to one.
    Index(index::Args),
    /// Assemble one index from parts built apart (`verbatim index --part K`).
    Assemble(assemble::Args),
    /// Attach a side directory to an infini-gram index so verbatim serves it in place.
    Attach(attach::Args),
    /// Rebuild runs of neighbouring shards (left by appends or a small --max-memory) as one
    /// shard each, so that queries search fewer suffix arrays; answers do not change.
    Compact(compact::Args),
    /// Check every file of an index: checksums, suffix-array order, offsets, counts.
    Verify(verify::Args),
    /// Print what an index holds.
    Stats(stats::Args),
    /// Count the occurrences of a text (or token ids) in the corpus.
    Count(count::Args),
    /// Next-token distribution after a text (like infini-gram's `ntd`).
    Ntd(ngram::NtdArgs),
    /// Infini-gram probability of a continuation token after a text.
    Prob(ngram::ProbArgs),
    /// All maximal spans of a text that occur verbatim in the corpus.
    Spans(spans::Args),
    /// OLMoTrace-style trace: rare spans, their documents, ranked by relevance.
    Trace(trace::Args),
    /// Show a document by external id.
    Doc(doc::Args),
    /// Check benchmark items for contamination (GPT-3, PaLM, Llama 2, GPT-4, 50-char substrings).
    Contamination(contamination::Args),
    /// Manage documents taken down from results (no rebuild needed).
    Takedown(takedown::Args),
    /// Serve the web page and the HTTP API. An index that changes on disk while served (an
    /// append, a compaction, a forced rebuild) is served in its new generation without a
    /// restart.
    Serve(serve::Args),
    /// Build the bundled demo index (first run only) and serve it.
    Demo(serve::DemoArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Index(a) => index::run(a),
        Command::Assemble(a) => assemble::run(a),
        Command::Attach(a) => attach::run(a),
        Command::Compact(a) => compact::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Stats(a) => stats::run(a),
        Command::Count(a) => count::run(a),
        Command::Ntd(a) => ngram::run_ntd(a),
        Command::Prob(a) => ngram::run_prob(a),
        Command::Spans(a) => spans::run(a),
        Command::Trace(a) => trace::run(a),
        Command::Doc(a) => doc::run(a),
        Command::Contamination(a) => contamination::run(a),
        Command::Takedown(a) => takedown::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => serve::run_demo(a),
    }
}

/// Opens an index for a query command (its residency chosen by its size, see
/// [`verbatim_core::residency`]).
pub fn open_index(dir: &std::path::Path, verify: bool) -> anyhow::Result<verbatim_core::Index> {
    open_index_as(dir, verify, verbatim_core::Residency::Auto)
}

/// Opens an index for a command, its files advised for `residency`.
pub fn open_index_as(
    dir: &std::path::Path,
    verify: bool,
    residency: verbatim_core::Residency,
) -> anyhow::Result<verbatim_core::Index> {
    use anyhow::Context;
    let opts = verbatim_core::OpenOptions {
        verify_checksums: verify,
        fulltext: true,
        residency,
    };
    verbatim_core::Index::open_with(dir, opts)
        .with_context(|| format!("cannot open index {}", dir.display()))
}

/// The index directory of a command that takes only one: given as the argument
/// (`verbatim verify DIR`) or, as every query command takes it, as `--index DIR`.
#[derive(Debug, clap::Args)]
pub struct IndexDir {
    /// The index directory (or give it as --index DIR).
    #[arg(
        value_name = "INDEX",
        required_unless_present = "index_flag",
        conflicts_with = "index_flag"
    )]
    index: Option<std::path::PathBuf>,
    /// The index directory, as the argument.
    #[arg(long = "index", id = "index_flag", value_name = "INDEX")]
    index_flag: Option<std::path::PathBuf>,
}

impl IndexDir {
    /// The directory given, whichever way.
    pub fn path(&self) -> &std::path::Path {
        self.index
            .as_deref()
            .or(self.index_flag.as_deref())
            .expect("clap requires the index one way or the other")
    }
}
