//! Running many items, summarising them per benchmark and overall, and the report files.

use crate::check::{Checker, ItemResult};
use crate::error::{Error, Result};
use crate::method::{Label, Method};
use crate::Item;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};
use verbatim_core::pii::PiiMode;

/// Label counts of one method over a set of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Items.
    pub items: usize,
    /// Clean items.
    pub clean: usize,
    /// Suspicious items.
    pub suspicious: usize,
    /// Dirty items.
    pub dirty: usize,
    /// `clean / items`.
    pub clean_share: f64,
    /// `suspicious / items`.
    pub suspicious_share: f64,
    /// `dirty / items`.
    pub dirty_share: f64,
    /// Mean score.
    pub mean_score: f64,
}

impl Counts {
    fn add(&mut self, label: Label, score: f64) {
        self.items += 1;
        match label {
            Label::Clean => self.clean += 1,
            Label::Suspicious => self.suspicious += 1,
            Label::Dirty => self.dirty += 1,
        }
        self.mean_score += score;
    }

    fn finish(&mut self) {
        let n = self.items.max(1) as f64;
        self.clean_share = self.clean as f64 / n;
        self.suspicious_share = self.suspicious as f64 / n;
        self.dirty_share = self.dirty as f64 / n;
        self.mean_score /= n;
    }
}

/// Per-method counts overall and per benchmark.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Items checked.
    pub items: usize,
    /// Method name → counts over every item.
    pub overall: BTreeMap<String, Counts>,
    /// Benchmark → method name → counts.
    pub benchmarks: BTreeMap<String, BTreeMap<String, Counts>>,
}

impl Summary {
    /// Summarises `results`.
    pub fn of(results: &[ItemResult]) -> Summary {
        let mut s = Summary {
            items: results.len(),
            ..Summary::default()
        };
        for r in results {
            for m in &r.methods {
                let name = m.method.name().to_string();
                s.overall
                    .entry(name.clone())
                    .or_default()
                    .add(m.label, m.score);
                s.benchmarks
                    .entry(r.bench.clone())
                    .or_default()
                    .entry(name)
                    .or_default()
                    .add(m.label, m.score);
            }
        }
        s.overall.values_mut().for_each(Counts::finish);
        s.benchmarks
            .values_mut()
            .flat_map(|b| b.values_mut())
            .for_each(Counts::finish);
        s
    }
}

/// Where the time went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchTiming {
    /// Wall-clock seconds of the whole check.
    pub wall_seconds: f64,
    /// Items per second.
    pub items_per_second: f64,
    /// Threads used.
    pub threads: usize,
    /// Method name → seconds spent in it, summed over threads.
    pub method_cpu_seconds: BTreeMap<String, f64>,
}

/// Name, in [`BatchTiming::method_cpu_seconds`], of the words-side-index searches shared by
/// gpt3, palm and substr50 (one pass per item answers all three).
pub const SHARED: &str = "words-search";

/// The most threads [`check_all`] starts (shared with every verbatim job).
pub use verbatim_core::MAX_THREADS;

/// Checks `items` in parallel on `threads` threads (0: rayon's global pool, one per core),
/// calling `tick` after each item, then passes the example snippets through the privacy
/// filter `pii` ([`Checker::filter_examples`]), so that no caller can show them unfiltered.
/// Results keep the input order.
pub fn check_all(
    checker: &Checker<'_>,
    items: &[Item],
    threads: usize,
    pii: PiiMode,
    tick: &(dyn Fn() + Sync),
) -> Result<(Vec<ItemResult>, BatchTiming)> {
    let t = Instant::now();
    let run = || -> (Vec<ItemResult>, usize) {
        let r = items
            .par_iter()
            .map(|it| {
                let r = checker.check(it);
                tick();
                r
            })
            .collect();
        (r, rayon::current_num_threads())
    };
    if threads > MAX_THREADS {
        return Err(Error::TooManyThreads(threads));
    }
    let (mut results, threads) = if threads == 0 {
        run()
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::Threads(e.to_string()))?
            .install(run)
    };
    checker.filter_examples(&mut results, pii);
    let wall = t.elapsed().as_secs_f64();
    let mut per: BTreeMap<String, Duration> = BTreeMap::new();
    for r in &results {
        if r.shared_elapsed > Duration::ZERO {
            *per.entry(SHARED.to_string()).or_default() += r.shared_elapsed;
        }
        for m in &r.methods {
            *per.entry(m.method.name().to_string()).or_default() += m.elapsed;
        }
    }
    let timing = BatchTiming {
        wall_seconds: wall,
        items_per_second: if wall > 0.0 {
            items.len() as f64 / wall
        } else {
            0.0
        },
        threads,
        method_cpu_seconds: per.into_iter().map(|(k, v)| (k, v.as_secs_f64())).collect(),
    };
    Ok((results, timing))
}

/// What was checked against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexInfo {
    /// Index name.
    pub name: String,
    /// Directory.
    pub dir: String,
    /// Documents.
    pub documents: u64,
    /// Tokens (separators included).
    pub tokens: u64,
    /// Tokenizer of the main index (`llama2` counts its tokens).
    pub tokenizer: String,
}

/// The whole report (`--out report.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// verbatim version.
    pub verbatim_version: String,
    /// The index.
    pub index: IndexInfo,
    /// Input files.
    pub inputs: Vec<String>,
    /// Methods, in order.
    pub methods: Vec<Method>,
    /// Options of the check.
    pub options: crate::CheckOptions,
    /// Timing.
    pub timing: BatchTiming,
    /// Counts per method, overall and per benchmark.
    pub summary: Summary,
    /// Every item's result, in input order.
    pub items: Vec<ItemResult>,
}

impl Report {
    /// Assembles a report.
    pub fn new(
        checker: &Checker<'_>,
        inputs: Vec<String>,
        results: Vec<ItemResult>,
        timing: BatchTiming,
    ) -> Report {
        let ix = checker.index();
        let m = ix.manifest();
        Report {
            verbatim_version: env!("CARGO_PKG_VERSION").to_string(),
            index: IndexInfo {
                name: m.name.clone(),
                dir: ix.dir().display().to_string(),
                documents: m.documents,
                tokens: m.tokens,
                tokenizer: m
                    .tokenizer
                    .source_path
                    .clone()
                    .unwrap_or_else(|| m.tokenizer.kind.clone()),
            },
            inputs,
            methods: checker.options().methods.clone(),
            options: checker.options().clone(),
            timing,
            summary: Summary::of(&results),
            items: results,
        }
    }

    /// Writes the JSON report.
    pub fn write_json(&self, w: &mut dyn Write) -> Result<()> {
        serde_json::to_writer(&mut *w, self)?;
        writeln!(w)?;
        Ok(())
    }

    /// Writes one CSV row per item: bench, id, words, then per method score, label, matched
    /// and units, and the first example document. Text cells a spreadsheet would run as a
    /// formula start with `'` ([`spreadsheet_safe`]).
    pub fn write_csv(&self, w: &mut dyn Write) -> Result<()> {
        let mut c = csv::Writer::from_writer(w);
        let mut head = vec![
            "bench".to_string(),
            "id".to_string(),
            "words".to_string(),
            "worst".to_string(),
        ];
        for m in &self.methods {
            for col in ["score", "label", "matched", "units", "example"] {
                head.push(format!("{m}_{col}"));
            }
        }
        c.write_record(&head)?;
        for r in &self.items {
            let mut row = vec![
                spreadsheet_safe(&r.bench),
                spreadsheet_safe(&r.id),
                r.words.to_string(),
                r.worst().name().to_string(),
            ];
            for m in &self.methods {
                match r.get(*m) {
                    Some(x) => {
                        row.push(format!("{:.4}", x.score));
                        row.push(x.label.name().to_string());
                        row.push(x.matched.to_string());
                        row.push(x.units.to_string());
                        row.push(
                            x.examples
                                .first()
                                .map(|e| spreadsheet_safe(&e.id))
                                .unwrap_or_default(),
                        );
                    }
                    None => row.extend(std::iter::repeat_n(String::new(), 5)),
                }
            }
            c.write_record(&row)?;
        }
        c.flush()?;
        Ok(())
    }

    /// The plain-text summary printed at the end of a run.
    pub fn text_summary(&self) -> String {
        let mut s = String::new();
        use std::fmt::Write as _;
        let _ = writeln!(
            s,
            "{} items checked against {} ({} documents) in {:.1} s ({:.0} items/s, {} threads)",
            self.summary.items,
            self.index.name,
            self.index.documents,
            self.timing.wall_seconds,
            self.timing.items_per_second,
            self.timing.threads
        );
        let _ = writeln!(
            s,
            "{:<10} {:>8} {:>8} {:>11} {:>8} {:>8} {:>10} {:>9}",
            "method", "items", "clean", "suspicious", "dirty", "dirty%", "cpu s", "share"
        );
        let cpu_total: f64 = self.timing.method_cpu_seconds.values().sum();
        for m in &self.methods {
            let c = self
                .summary
                .overall
                .get(m.name())
                .cloned()
                .unwrap_or_default();
            let cpu = self
                .timing
                .method_cpu_seconds
                .get(m.name())
                .copied()
                .unwrap_or(0.0);
            let _ = writeln!(
                s,
                "{:<10} {:>8} {:>8} {:>11} {:>8} {:>7.2}% {:>10.2} {:>8.1}%",
                m.name(),
                c.items,
                c.clean,
                c.suspicious,
                c.dirty,
                100.0 * c.dirty_share,
                cpu,
                100.0 * cpu / cpu_total.max(1e-9)
            );
        }
        if let Some(cpu) = self.timing.method_cpu_seconds.get(SHARED) {
            let _ = writeln!(
                s,
                "{:<10} {:>8} {:>8} {:>11} {:>8} {:>8} {:>10.2} {:>8.1}%",
                SHARED,
                self.summary.items,
                "",
                "",
                "",
                "",
                cpu,
                100.0 * cpu / cpu_total.max(1e-9)
            );
        }
        let _ = writeln!(
            s,
            "(cpu s: time inside each method summed over threads; wall time of a method alone \
             is about cpu s / threads. words-search: the one pass of searches over the words \
             side index that gpt3, palm and substr50 share, counted once)"
        );
        s
    }

    /// A per-benchmark table of dirty shares, one column per method.
    pub fn text_benchmarks(&self) -> String {
        let mut s = String::new();
        use std::fmt::Write as _;
        let _ = write!(s, "{:<22} {:>7}", "benchmark", "items");
        for m in &self.methods {
            let _ = write!(s, " {:>10}", format!("{m} d/s"));
        }
        let _ = writeln!(s);
        for (b, per) in &self.summary.benchmarks {
            let n = per.values().next().map_or(0, |c| c.items);
            let _ = write!(s, "{:<22} {:>7}", b, n);
            for m in &self.methods {
                let c = per.get(m.name()).cloned().unwrap_or_default();
                let _ = write!(s, " {:>10}", format!("{}/{}", c.dirty, c.suspicious));
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "(d/s: dirty / suspicious items)");
        s
    }
}

/// `cell` as a spreadsheet shows it rather than runs it: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (a formula to Excel, LibreOffice and Google Sheets; an item
/// or document id from the input or the corpus could be one) gets a leading `'`, OWASP's
/// advice for CSV files. A plain number (`-1`, `+44`) is left as it is.
pub fn spreadsheet_safe(cell: &str) -> String {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.len() > 1
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b".+-eE".contains(&b))
        && cell.parse::<f64>().is_ok();
    if formula && !number {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_shown_as_text_and_numbers_stay_numbers() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://evil.example/\",\"x\")",
                "'=HYPERLINK(\"http://evil.example/\",\"x\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-1", "-1"),
            ("-2.5e3", "-2.5e3"),
            ("-inf", "'-inf"),
            ("+nan", "'+nan"),
            ("-", "'-"),
            ("+44", "+44"),
            ("gsm8k/12", "gsm8k/12"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), shown, "{cell:?}");
        }
    }
}
