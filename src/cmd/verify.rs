//! `verbatim verify`: check an index completely.

use std::io::IsTerminal;
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
    // A large index takes minutes: on a terminal, a spinner names the step running.
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .expect("valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let step = |what: &str| {
        if let Some(bar) = &spinner {
            bar.set_message(what.to_string());
        }
    };
    let report = verbatim_core::verify::verify_reporting(&index, &step);
    if let Some(bar) = &spinner {
        bar.finish_and_clear();
    }
    let report = report?;
    let scope = match report.side_indexes {
        0 => String::new(),
        n => format!(", counting the {n} side index(es)"),
    };
    outln!(
        "ok: {} files checksummed, {} suffixes in order, {} documents consistent{scope} ({:.1}s: {})",
        report.files_checked + 2,
        report.suffixes_checked,
        report.documents_checked,
        t.elapsed().as_secs_f64(),
        seconds_by_step(&report.seconds)
    );
    Ok(ExitCode::SUCCESS)
}

/// The seconds of each kind of check, longest first (`suffix order 50.2s, checksums 8.1s`).
fn seconds_by_step(seconds: &std::collections::BTreeMap<&'static str, f64>) -> String {
    let mut steps: Vec<(&str, f64)> = seconds.iter().map(|(k, v)| (*k, *v)).collect();
    steps.sort_by(|a, b| b.1.total_cmp(&a.1));
    steps
        .iter()
        .map(|(k, v)| format!("{k} {v:.1}s"))
        .collect::<Vec<_>>()
        .join(", ")
}
