//! Contamination checks from Python: items from Python objects or files, the report as the
//! CLI writes it, and the two halves a distributed check needs (check a batch on a worker;
//! assemble the report on the driver).

use crate::convert;
use crate::errors;
use crate::index::PyIndex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::PathBuf;
use verbatim_contamination::input::{Format, InputOptions};
use verbatim_contamination::{html, BatchTiming, CheckOptions, Item, ItemResult, Method};
use verbatim_core::atomic::write_atomic;

/// How records become items (the CLI's `--field`, `--template`, `--id-field`,
/// `--group-field`, `--format`).
pub struct InputSpec {
    pub field: String,
    pub template: Option<String>,
    pub id_field: String,
    pub group_field: String,
    pub format: Option<String>,
}

impl InputSpec {
    fn options(&self) -> PyResult<InputOptions> {
        let format = match &self.format {
            None => None,
            Some(f) => match Format::from_name(f) {
                Some(x) => Some(x),
                None => {
                    return Err(errors::invalid(format!(
                        "unknown format {f:?}; use jsonl, csv or parquet"
                    )))
                }
            },
        };
        Ok(InputOptions {
            format,
            field: self.field.clone(),
            template: self.template.clone(),
            id_field: self.id_field.clone(),
            group_field: self.group_field.clone(),
        })
    }
}

fn is_path(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let os = obj.py().import("os")?;
    Ok(obj.is_instance(&os.getattr("PathLike")?)? || obj.cast::<PyString>().is_ok())
}

/// The items of `obj` and the names of the inputs they came from: a path or a list of paths
/// (read like the CLI reads files), or a list of dicts / strings (record number as id where
/// a dict has no id, `group_field` or "items" as benchmark).
pub fn items_of(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    spec: &InputSpec,
) -> PyResult<(Vec<Item>, Vec<String>)> {
    let opts = spec.options()?;
    // Paths: one, or a list of them.
    let paths: Option<Vec<PathBuf>> = if is_path(obj)? {
        Some(vec![obj.extract()?])
    } else if let Ok(list) = obj.extract::<Vec<Bound<'_, PyAny>>>() {
        // A list of paths, not of texts: every entry path-like, and one an existing file or
        // all named like item files (so a typo in one name is an error, not an item).
        if !list.is_empty()
            && list.iter().all(|x| is_path(x).unwrap_or(false))
            && (list.iter().any(looks_like_file) || list.iter().all(named_like_items))
        {
            Some(list.iter().map(|x| x.extract()).collect::<PyResult<_>>()?)
        } else {
            None
        }
    } else {
        None
    };
    if let Some(paths) = paths {
        let (items, stats) = py
            .detach(|| opts.read(&paths))
            .map_err(errors::contamination)?;
        for msg in stats.warnings(&opts) {
            let warnings = py.import("warnings")?;
            warnings.call_method1("warn", (msg,))?;
        }
        let names = paths.iter().map(|p| p.display().to_string()).collect();
        return Ok((items, names));
    }
    // Python records.
    let mut items = Vec::new();
    let mut ids = verbatim_contamination::item_ids::IdTracker::default();
    let records = std::path::Path::new("the items given");
    for (no, rec) in obj.try_iter()?.enumerate() {
        let rec = rec?;
        if let Ok(s) = rec.cast::<PyString>() {
            let text = convert::text_of(s)?;
            if text.is_empty() {
                return Err(errors::invalid(format!(
                    "item {} has no text (an empty string)",
                    no + 1
                )));
            }
            items.push(Item::new((no + 1).to_string(), text, "items"));
            ids.note("items", &(no + 1).to_string(), records, no + 1);
            continue;
        }
        let Ok(d) = rec.cast::<PyDict>() else {
            return Err(errors::invalid(format!(
                "item {} must be a dict (with {:?}) or a str, not {}",
                no + 1,
                spec.field,
                rec.get_type().name()?
            )));
        };
        let serde_json::Value::Object(map) = convert::py_to_json(d.as_any())? else {
            unreachable!("a dict converts to a JSON object")
        };
        let item = opts
            .item_as_given(&map, std::path::Path::new("items"), no + 1)
            .map_err(errors::contamination)?;
        match item {
            Some(it) => {
                ids.note(&it.bench, &it.id, records, no + 1);
                items.push(it);
            }
            None => {
                return Err(errors::invalid(format!(
                    "item {} has no text (no {}, or an empty one; whitespace is text)",
                    no + 1,
                    spec.template.as_ref().map_or_else(
                        || format!("{:?}", spec.field),
                        |t| format!("field of the template {t:?}")
                    )
                )))
            }
        }
    }
    if let Some(msg) = ids.finish().warning() {
        py.import("warnings")?.call_method1("warn", (msg,))?;
    }
    Ok((items, vec!["<python>".to_string()]))
}

/// A path that names an existing file.
fn looks_like_file(x: &Bound<'_, PyAny>) -> bool {
    x.extract::<PathBuf>().is_ok_and(|p| p.is_file())
}

/// A path-like object, or a string without whitespace whose extension is an items format
/// (`q.jsonl`, `test.csv.gz`): a file name rather than an item's text.
fn named_like_items(x: &Bound<'_, PyAny>) -> bool {
    let Ok(p) = x.extract::<PathBuf>() else {
        return false;
    };
    if x.cast::<PyString>().is_err() {
        return true;
    }
    let s = p.to_string_lossy();
    !s.chars().any(char::is_whitespace)
        && verbatim_contamination::input::Format::from_path(&p).is_some()
}

/// Check options from keyword arguments (the CLI's defaults and messages).
pub fn options(
    methods: Option<Vec<String>>,
    llama2_skip: usize,
    examples: usize,
    max_spans: usize,
) -> PyResult<CheckOptions> {
    let methods = match methods {
        None => Method::ALL.to_vec(),
        Some(m) => Method::parse_list(&m).map_err(errors::contamination)?,
    };
    Ok(CheckOptions {
        methods,
        llama2_skip,
        examples,
        max_spans,
        ..CheckOptions::default()
    })
}

/// Writes the report files that were asked for, atomically.
pub fn write_files(
    py: Python<'_>,
    report: &verbatim_contamination::Report,
    out: Option<PathBuf>,
    csv: Option<PathBuf>,
    html_out: Option<PathBuf>,
) -> PyResult<()> {
    py.detach(|| -> verbatim_contamination::Result<()> {
        if let Some(p) = &out {
            write_atomic(p, |w| report.write_json(w))?;
        }
        if let Some(p) = &csv {
            write_atomic(p, |w| report.write_csv(w))?;
        }
        if let Some(p) = &html_out {
            let page = html::render(report);
            write_atomic(p, |w| {
                w.write_all(page.as_bytes())
                    .map_err(verbatim_contamination::Error::from)
            })?;
        }
        Ok(())
    })
    .map_err(errors::contamination)
}

/// Reads benchmark items as `Index.contamination` does and returns them as dicts `{"id",
/// "text", "bench"}` (what a distributed check splits into batches).
#[pyfunction]
#[pyo3(signature = (items, *, field = "text".to_string(), template = None, id_field = "id".to_string(), group_field = "bench".to_string(), format = None))]
pub fn read_items<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    field: String,
    template: Option<String>,
    id_field: String,
    group_field: String,
    format: Option<String>,
) -> PyResult<(Bound<'py, PyAny>, Vec<String>)> {
    let spec = InputSpec {
        field,
        template,
        id_field,
        group_field,
        format,
    };
    let (items, inputs) = items_of(py, items, &spec)?;
    Ok((convert::to_py(py, &items)?, inputs))
}

/// Checks a batch of items (dicts `{"id", "text", "bench"}`) and returns each result as a
/// JSON string (exact, and cheap to send between processes), with the seconds spent per
/// method summed over the batch. `pii`: the privacy filter on example snippets (`"mask"`,
/// `"drop"` or `"off"`).
#[pyfunction]
#[pyo3(signature = (index, items, *, methods = None, llama2_skip = 0, examples = 3, max_spans = 10, threads = 0, pii = "mask"))]
#[allow(clippy::too_many_arguments)]
pub fn check_batch(
    py: Python<'_>,
    index: &PyIndex,
    items: &Bound<'_, PyAny>,
    methods: Option<Vec<String>>,
    llama2_skip: usize,
    examples: usize,
    max_spans: usize,
    threads: usize,
    pii: &str,
) -> PyResult<(Vec<String>, std::collections::BTreeMap<String, f64>)> {
    let pii = crate::index::pii_mode(pii)?;
    let items: Vec<Item> = serde_json::from_value(convert::py_to_json(items)?).map_err(|e| {
        errors::invalid(format!("items must be dicts with id, text and bench: {e}"))
    })?;
    let opts = options(methods, llama2_skip, examples, max_spans)?;
    let ix = index.current()?;
    py.detach(|| -> verbatim_contamination::Result<_> {
        let checker = verbatim_contamination::Checker::new(&ix, opts)?;
        let (results, timing) = crate::pool::run(None, || {
            verbatim_contamination::check_all(&checker, &items, threads, pii, &|| {})
        })?;
        let json = results
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((json, timing.method_cpu_seconds))
    })
    .map_err(errors::contamination)
}

/// Assembles the report of results checked elsewhere (JSON strings from `check_batch`, in
/// input order), exactly as `verbatim contamination` would have written it, and writes the
/// files asked for.
#[pyfunction]
#[pyo3(signature = (index, results, *, inputs, methods = None, llama2_skip = 0, examples = 3, max_spans = 10, wall_seconds = 0.0, threads = 0, method_cpu_seconds = None, out = None, csv = None, html = None))]
#[allow(clippy::too_many_arguments)]
pub fn assemble_report<'py>(
    py: Python<'py>,
    index: &PyIndex,
    results: Vec<String>,
    inputs: Vec<String>,
    methods: Option<Vec<String>>,
    llama2_skip: usize,
    examples: usize,
    max_spans: usize,
    wall_seconds: f64,
    threads: usize,
    method_cpu_seconds: Option<std::collections::BTreeMap<String, f64>>,
    out: Option<PathBuf>,
    csv: Option<PathBuf>,
    html: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = options(methods, llama2_skip, examples, max_spans)?;
    let ix = index.current()?;
    let report = py
        .detach(|| -> verbatim_contamination::Result<_> {
            let checker = verbatim_contamination::Checker::new(&ix, opts)?;
            let results = results
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    serde_json::from_str::<ItemResult>(s).map_err(|e| {
                        verbatim_contamination::Error::Input {
                            path: format!("results[{i}]"),
                            detail: format!("not an item result of check_items: {e}"),
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let n = results.len();
            let timing = BatchTiming {
                wall_seconds,
                items_per_second: if wall_seconds > 0.0 {
                    n as f64 / wall_seconds
                } else {
                    0.0
                },
                threads,
                method_cpu_seconds: method_cpu_seconds.unwrap_or_default(),
            };
            Ok(verbatim_contamination::Report::new(
                &checker, inputs, results, timing,
            ))
        })
        .map_err(errors::contamination)?;
    write_files(py, &report, out, csv, html)?;
    convert::to_py(py, &report)
}
