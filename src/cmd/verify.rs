//! `verbatim verify`: check an index completely.

use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `verbatim verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::IndexDir,
}

/// Runs `verbatim verify`; exits 1 with a message naming the damaged file on any problem.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    // Opened without hashing: `verify` hashes every payload itself (the side indexes' and an
    // attached infini-gram directory's unigram files included), so each file is read once.
    // It reads every file in order: 2 MiB pages, whatever the index's size.
    let index = super::open_index_as(a.index.path(), false, verbatim_core::Residency::Memory)?;
    let report = verbatim_core::verify::verify(&index)?;
    let scope = match report.side_indexes {
        0 => String::new(),
        n => format!(", counting the {n} side index(es)"),
    };
    outln!(
        "ok: {} files checksummed, {} suffixes in order, {} documents consistent{scope} ({:.1}s)",
        report.files_checked + 2,
        report.suffixes_checked,
        report.documents_checked,
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
