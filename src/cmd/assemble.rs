//! `verbatim assemble`: one index from parts built apart (`verbatim index --part K`).

use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_indexer::AssembleOptions;

/// Arguments of `verbatim assemble`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The part indexes, in part order (part 0 first): each built with `verbatim index --part K`
    /// from its share of the corpus files, in corpus-file order.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// The index to create (written atomically).
    #[arg(long, short)]
    out: PathBuf,
    /// Its name (default: the first part's).
    #[arg(long)]
    name: Option<String>,
    /// Replace an existing index at --out (only an index, or an empty directory). Its
    /// takedowns are carried over to the new index by external id.
    #[arg(long)]
    force: bool,
    /// Remove the parts once the index is in place (their shards are hard-linked into it, so
    /// this frees no space on the same file system until both are gone).
    #[arg(long)]
    remove_parts: bool,
}

/// Runs `verbatim assemble`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let s = verbatim_indexer::assemble(
        &a.parts,
        &AssembleOptions {
            out: a.out.clone(),
            name: a.name,
            force: a.force,
            remove_parts: a.remove_parts,
        },
    )?;
    outln!(
        "index {} assembled at {} from {} part(s): {} documents, {} tokens in {} shard(s)",
        s.manifest.name,
        a.out.display(),
        a.parts.len(),
        s.manifest.documents,
        s.manifest.tokens,
        s.manifest.shards.len()
    );
    if let Some(t) = &s.takedowns {
        outln!("{}", crate::output::carried_takedowns(t));
    }
    Ok(ExitCode::SUCCESS)
}
