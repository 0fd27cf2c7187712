//! Printing results: JSON with `--json`, readable text otherwise.

use serde::Serialize;

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    use std::io::Write;
    writeln!(out)?;
    Ok(())
}

/// Formats a byte count as a human size.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The summary line of the takedowns a build with `--force` carried over from the index it
/// replaced (`verbatim index`, `assemble` and `attach` print it alike).
pub fn carried_takedowns(t: &verbatim_indexer::CarriedTakedowns) -> String {
    format!(
        "  takedowns  {} carried over from the replaced index by external id{}{}",
        t.carried.len(),
        if t.found_by_text.is_empty() {
            String::new()
        } else {
            format!(
                "; {} found by their text under another id and taken down there too (see the warning)",
                t.found_by_text.len()
            )
        },
        if t.not_in_new_corpus.is_empty() {
            String::new()
        } else {
            format!(
                "; {} id(s) not in the new corpus dropped from the list (see the warning)",
                t.not_in_new_corpus.len()
            )
        }
    )
}

/// Shortens `s` to at most `max` characters for display.
pub fn ellipsize(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c == '\n' { '⏎' } else { c }).collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut t: String = flat.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
