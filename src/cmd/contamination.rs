//! `verbatim contamination`: which benchmark items does the corpus already contain, under
//! every standard definition (GPT-3, PaLM, Llama 2, GPT-4, infini-gram mini).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use verbatim_contamination::input::{Format, InputOptions};
use verbatim_contamination::{html, CheckOptions, Checker, Method, Report};
use verbatim_core::atomic::write_atomic;
use verbatim_core::normalize::Normalization;

/// Arguments of `verbatim contamination`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index directory (word-level methods need its `words` / `alnum` side indexes:
    /// build with `verbatim index ... --side-indexes words,alnum`).
    #[arg(long)]
    index: PathBuf,
    /// Benchmark files: JSONL (.jsonl, .jsonl.gz, .jsonl.zst, JSON arrays), CSV / TSV, or
    /// Parquet (.parquet, as the HuggingFace hub ships test sets).
    #[arg(long, short = 'i', num_args = 1.., required = true)]
    input: Vec<PathBuf>,
    /// Input format: jsonl, csv or parquet (default: from each file name).
    #[arg(long)]
    format: Option<String>,
    /// Field holding the item text.
    #[arg(long, default_value = "text", conflicts_with = "template")]
    field: String,
    /// Build the text from several fields, e.g. "{question} {choices}" (lists are joined
    /// with newlines; `{{` / `}}` are literal braces).
    #[arg(long)]
    template: Option<String>,
    /// Field holding the item id (the record number when absent).
    #[arg(long, default_value = "id")]
    id_field: String,
    /// Field naming the benchmark, for the per-benchmark summary (the file name when absent).
    #[arg(long, default_value = "bench")]
    group_field: String,
    /// Methods: gpt3, palm, llama2, gpt4, substr50 or all (repeatable, comma-separated).
    #[arg(long = "method", value_name = "METHODS", default_value = "all")]
    methods: Vec<String>,
    /// Llama 2 skip-gram budget: mismatching tokens allowed inside one match (the paper's
    /// variant uses 4; 0 = exact matches).
    #[arg(long, default_value_t = 0)]
    llama2_skip: usize,
    /// Example documents kept per method for contaminated items.
    #[arg(long, default_value_t = 3)]
    examples: usize,
    /// The privacy filter on example snippets: mask (default), drop the example, or off.
    /// Scores and labels are unaffected.
    #[arg(long, default_value = "mask")]
    pii: verbatim_core::pii::PiiMode,
    /// Matched spans kept per method and item.
    #[arg(long, default_value_t = 10)]
    max_spans: usize,
    /// Check only the first N items.
    #[arg(long)]
    limit: Option<usize>,
    /// Write the full JSON report here (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write one CSV row per item here (atomically).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write a self-contained HTML report here (atomically).
    #[arg(long)]
    html: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// A normalised side index to use instead of the index's own (repeatable): e.g.
    /// `OTHER/side/words` and `OTHER/side/alnum` of a `--tokenizer bytes --side-indexes
    /// words,alnum` build of the same corpus.
    #[arg(long = "side-index", value_name = "DIR")]
    side_indexes: Vec<PathBuf>,
    /// Hash every index file before checking (slow on large indexes).
    #[arg(long)]
    verify: bool,
    /// Print the per-benchmark table too.
    #[arg(long)]
    per_benchmark: bool,
}

/// Runs `verbatim contamination`.
pub fn run(a: Args) -> Result<ExitCode> {
    let methods = Method::parse_list(&a.methods)?;
    let format = match &a.format {
        None => None,
        Some(f) => match Format::from_name(f) {
            Some(x) => Some(x),
            None => bail!("unknown --format {f:?}; use jsonl, csv or parquet"),
        },
    };
    // Refuse to overwrite an input with a report, or one report with another.
    let outputs: Vec<&PathBuf> = [&a.out, &a.csv, &a.html].into_iter().flatten().collect();
    // Links followed: a report written through a link replaces the file it names.
    let resolved = |p: &Path| verbatim_core::atomic::resolve_target(p);
    for (k, out) in outputs.iter().enumerate() {
        let out_file = resolved(out)?;
        if a.input
            .iter()
            .any(|i| resolved(i).ok().as_ref() == Some(&out_file))
        {
            bail!("{} is an input; choose another output path", out.display());
        }
        // A device or FIFO takes the reports one after the other (`--out /dev/null --csv
        // /dev/null`); only a file would be replaced by the second.
        if !verbatim_core::atomic::is_special(&out_file)
            && outputs[..k]
                .iter()
                .any(|o| resolved(o).ok().as_ref() == Some(&out_file))
        {
            bail!(
                "{} is named for two reports (--out, --csv, --html); give each its own path",
                out.display()
            );
        }
    }
    // A report that cannot be written is found now, not after every item was checked.
    for out in [&a.out, &a.csv, &a.html].into_iter().flatten() {
        verbatim_core::atomic::check_writable(out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let index = super::open_index(&a.index, a.verify)?;
    let opts = CheckOptions {
        methods,
        llama2_skip: a.llama2_skip,
        examples: a.examples,
        max_spans: a.max_spans,
        ..CheckOptions::default()
    };
    let mut extra = Vec::new();
    for d in &a.side_indexes {
        extra.push(super::open_index(d, a.verify)?);
    }
    let side = |n: Normalization| {
        extra
            .iter()
            .find(|i| i.manifest().normalization == Some(n))
            .or_else(|| index.side(n))
    };
    if let Some(bad) = extra.iter().find(|i| i.manifest().normalization.is_none()) {
        bail!(
            "{} is not a normalised side index (use INDEX/side/words or INDEX/side/alnum)",
            bad.dir().display()
        );
    }
    let checker = Checker::with_side_indexes(
        &index,
        side(Normalization::Words),
        side(Normalization::Alnum),
        opts,
    )?;
    let input_opts = InputOptions {
        format,
        field: a.field.clone(),
        template: a.template.clone(),
        id_field: a.id_field.clone(),
        group_field: a.group_field.clone(),
    };
    let (items, stats) = input_opts.read_at_most(&a.input, a.limit.unwrap_or(usize::MAX))?;
    for w in stats.warnings(&input_opts) {
        eprintln!("warning: {w}");
    }
    if items.is_empty() {
        bail!("no items to check");
    }
    let pb = verbatim_contamination::progress_bar(items.len() as u64, "checking");
    let (results, timing) =
        verbatim_contamination::check_all(&checker, &items, a.threads, a.pii, &|| pb.inc(1))?;
    pb.finish_and_clear();
    let inputs = a.input.iter().map(|p| p.display().to_string()).collect();
    let report = Report::new(&checker, inputs, results, timing);

    if let Some(p) = &a.out {
        write_atomic(p, |w| report.write_json(w))
            .with_context(|| format!("cannot write the report {}", p.display()))?;
    }
    if let Some(p) = &a.csv {
        write_atomic(p, |w| report.write_csv(w))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = &a.html {
        let page = html::render(&report);
        write_atomic(p, |w| {
            w.write_all(page.as_bytes())
                .map_err(verbatim_contamination::Error::from)
        })
        .with_context(|| format!("cannot write {}", p.display()))?;
    }
    outln!("{}", report.text_summary().trim_end());
    if a.per_benchmark {
        outln!("{}", report.text_benchmarks().trim_end());
    }
    for (what, p) in [
        ("report", &a.out),
        ("items CSV", &a.csv),
        ("HTML report", &a.html),
    ] {
        if let Some(p) = p {
            outln!("{what}: {}", p.display());
        }
    }
    if a.out.is_none() && a.csv.is_none() && a.html.is_none() {
        outln!("(write the per-item results with --out report.json, --csv items.csv or --html report.html)");
    }
    Ok(ExitCode::SUCCESS)
}
