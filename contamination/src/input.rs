//! Reading benchmark items: JSONL (plain, `.gz`, `.zst`), JSON arrays, CSV / TSV and Parquet
//! (as the HuggingFace hub ships test sets: each row an object of its columns, lists as JSON
//! arrays, nulls left out, so `{"question", "choices", "answer"}` reads the same from either).

use crate::error::{Error, Result};
use crate::Item;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// How an input file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (or one JSON array of objects).
    Jsonl,
    /// Comma-separated values with a header row (tab-separated for `.tsv`).
    Csv,
    /// Apache Parquet, read row group by row group.
    Parquet,
}

impl Format {
    /// Parses `jsonl`, `json`, `csv`, `tsv` or `parquet`.
    pub fn from_name(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            "csv" | "tsv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format a file name implies (compression suffixes ignored).
    pub fn from_path(p: &Path) -> Option<Format> {
        let name = p.file_name()?.to_string_lossy().to_ascii_lowercase();
        let base = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".zst"))
            .or_else(|| name.strip_suffix(".zstd"))
            .unwrap_or(&name);
        let ext = base.rsplit_once('.')?.1;
        Format::from_name(ext)
    }
}

/// Which fields make an item.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// Force a format instead of guessing it from each file name.
    pub format: Option<Format>,
    /// The field holding the text (ignored with a template).
    pub field: String,
    /// A template such as `"{question} {choices}"`: each `{name}` is replaced by that field
    /// (lists are joined with newlines); `{{` and `}}` are literal braces.
    pub template: Option<String>,
    /// The field holding the item id (default `id`; the record number when absent).
    pub id_field: String,
    /// The field naming the benchmark (default `bench`; the file name when absent).
    pub group_field: String,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: None,
            field: "text".into(),
            template: None,
            id_field: "id".into(),
            group_field: "bench".into(),
        }
    }
}

/// What reading found besides the items.
#[derive(Debug, Clone, Default)]
pub struct ReadStats {
    /// Records read.
    pub records: usize,
    /// Records skipped because they have no text (no text field, or an empty one), per file.
    pub skipped: Vec<(PathBuf, usize)>,
}

/// Receives each record and its 1-based number.
type Sink<'a> = &'a mut dyn FnMut(&Map<String, Value>, usize) -> Result<()>;

fn open_reader(path: &Path) -> Result<Box<dyn BufRead>> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else if name.ends_with(".zst") || name.ends_with(".zstd") {
        Box::new(zstd::Decoder::new(f).map_err(read_err)?)
    } else {
        Box::new(f)
    };
    let mut r = BufReader::with_capacity(1 << 20, r);
    // A UTF-8 byte-order mark (as some editors save files) is not part of the first record.
    if r.fill_buf().map_err(read_err)?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(Box::new(r))
}

/// A field value as text: strings as they are, lists joined with newlines, null as empty,
/// anything else as JSON.
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(render).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// Fills a template from a record; `None` when a named field is absent.
pub fn fill_template(template: &str, rec: &Map<String, Value>) -> Result<Option<String>> {
    let mut out = String::with_capacity(template.len() * 4);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
        } else if tail.starts_with('{') {
            let Some(j) = tail.find('}') else {
                return Err(Error::Template {
                    template: template.to_string(),
                    detail: "unclosed `{`".into(),
                });
            };
            let name = &tail[1..j];
            match rec.get(name) {
                Some(v) => out.push_str(&render(v)),
                None => return Ok(None),
            }
            rest = &tail[j + 1..];
        } else {
            return Err(Error::Template {
                template: template.to_string(),
                detail: "a lone `}` (write `}}` for a literal brace)".into(),
            });
        }
    }
    out.push_str(rest);
    Ok(Some(out))
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or(&name).to_string()
}

impl InputOptions {
    /// Makes an item of record number `no` (1-based) of `path`; `None` without text (no such
    /// field, null, or whitespace only: nothing to check, so not counted as a clean item).
    pub fn item(&self, rec: &Map<String, Value>, path: &Path, no: usize) -> Result<Option<Item>> {
        let text = match &self.template {
            Some(t) => fill_template(t, rec)?,
            None => rec.get(&self.field).map(render),
        };
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        let id = match rec.get(&self.id_field) {
            Some(v) if !v.is_null() => render(v),
            _ => no.to_string(),
        };
        let bench = match rec.get(&self.group_field) {
            Some(v) if !v.is_null() => render(v),
            _ => file_stem(path),
        };
        Ok(Some(Item { id, text, bench }))
    }

    /// Reads every item of `paths`.
    pub fn read(&self, paths: &[PathBuf]) -> Result<(Vec<Item>, ReadStats)> {
        let mut items = Vec::new();
        let mut stats = ReadStats::default();
        for p in paths {
            let format = match self.format.or_else(|| Format::from_path(p)) {
                Some(f) => f,
                None => {
                    return Err(input_error(
                        p,
                        "cannot tell the format from the name; pass --format jsonl|csv|parquet",
                    ))
                }
            };
            let before = items.len();
            let mut skipped = 0usize;
            let mut push = |rec: &Map<String, Value>, no: usize| -> Result<()> {
                stats.records += 1;
                match self.item(rec, p, no)? {
                    Some(it) => items.push(it),
                    None => skipped += 1,
                }
                Ok(())
            };
            match format {
                Format::Parquet => read_parquet(p, &mut push)?,
                Format::Jsonl => read_jsonl(p, &mut push)?,
                Format::Csv => read_csv(p, &mut push)?,
            }
            if skipped > 0 {
                stats.skipped.push((p.clone(), skipped));
            }
            if items.len() == before && skipped > 0 {
                let what = match &self.template {
                    Some(t) => format!("the fields of the template {t:?}"),
                    None => format!("the field {:?}", self.field),
                };
                return Err(input_error(
                    p,
                    format!("no record has {what}; choose the text with --field NAME or --template \"{{a}} {{b}}\""),
                ));
            }
        }
        Ok((items, stats))
    }
}

/// An [`Error::Input`] about file `p`.
fn input_error(p: &Path, detail: impl Into<String>) -> Error {
    Error::Input {
        path: p.display().to_string(),
        detail: detail.into(),
    }
}

fn read_jsonl(p: &Path, push: Sink<'_>) -> Result<()> {
    let mut r = open_reader(p)?;
    // A JSON array file: `[ {...}, {...} ]`.
    let starts_array = {
        let buf = r
            .fill_buf()
            .map_err(|e| input_error(p, format!("cannot read: {e}")))?;
        buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
    };
    if starts_array {
        let v: Value = serde_json::from_reader(r)
            .map_err(|e| input_error(p, format!("not valid JSON: {e}")))?;
        for (i, rec) in v.as_array().into_iter().flatten().enumerate() {
            match rec {
                Value::Object(m) => push(m, i + 1)?,
                _ => {
                    return Err(input_error(
                        p,
                        format!("element {} is not an object", i + 1),
                    ))
                }
            }
        }
        return Ok(());
    }
    let mut no = 0usize;
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| input_error(p, format!("cannot read line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        no += 1;
        let not_object = |detail: String| Error::Input {
            path: format!("{}:{}", p.display(), i + 1),
            detail,
        };
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| not_object(format!("not a JSON object: {e}")))?;
        match v {
            Value::Object(m) => push(&m, no)?,
            _ => return Err(not_object("not a JSON object".into())),
        }
    }
    Ok(())
}

/// Decoded bytes a batch of Parquet rows aims at.
const PARQUET_BATCH_BYTES: u64 = 8 << 20;

fn read_parquet(p: &Path, push: Sink<'_>) -> Result<()> {
    // The Parquet reader's errors name the file (and row group or row) already.
    let file = verbatim_parquet::ParquetFile::open(p).map_err(|e| input_error(p, e.to_string()))?;
    verbatim_parquet::read_records(&file, PARQUET_BATCH_BYTES, &mut |rec, row| {
        push(rec, row as usize + 1).map_err(|e| format!("{e:#}"))
    })
    .map_err(|e| input_error(p, e.to_string()))?;
    Ok(())
}

fn read_csv(p: &Path, push: Sink<'_>) -> Result<()> {
    let tsv = p.to_string_lossy().to_ascii_lowercase().contains(".tsv");
    let mut r = csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .flexible(true)
        .from_reader(open_reader(p)?);
    let headers = r
        .headers()
        .map_err(|e| input_error(p, format!("cannot read the header row: {e}")))?
        .clone();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| input_error(p, format!("bad CSV record {}: {e}", i + 1)))?;
        let m: Map<String, Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
            .collect();
        push(&m, i + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_formats() {
        let rec: Map<String, Value> =
            serde_json::from_str(r#"{"question": "Q?", "choices": ["a", "b"], "n": 3}"#).unwrap();
        assert_eq!(
            fill_template("{question} {choices} {n} {{x}}", &rec).unwrap(),
            Some("Q? a\nb 3 {x}".into())
        );
        assert_eq!(fill_template("{missing}", &rec).unwrap(), None);
        assert!(fill_template("{oops", &rec).is_err());
        assert_eq!(
            Format::from_path(Path::new("a/items.jsonl.zst")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("T.csv")), Some(Format::Csv));
        assert_eq!(
            Format::from_path(Path::new("x.parquet")),
            Some(Format::Parquet)
        );
    }

    /// A UTF-8 byte-order mark at the start of a JSONL or CSV file is not part of its first
    /// record.
    #[test]
    fn a_byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("bom.jsonl");
        std::fs::write(&jsonl, b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"hello\"}\n").unwrap();
        let csv = dir.path().join("bom.csv");
        std::fs::write(&csv, b"\xEF\xBB\xBFid,text\nb,world\n").unwrap();
        let (items, _) = InputOptions::default().read(&[jsonl, csv]).unwrap();
        let got: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.id.as_str(), i.text.as_str()))
            .collect();
        assert_eq!(got, [("a", "hello"), ("b", "world")]);
    }

    /// Records with no text to check (empty, whitespace only, null) are skipped and counted,
    /// not checked as clean items.
    #[test]
    fn records_without_text_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("items.jsonl");
        let lines = [
            r#"{"id": "a", "text": "a real question"}"#,
            r#"{"id": "b", "text": ""}"#,
            r#"{"id": "c", "text": "   "}"#,
            r#"{"id": "d", "text": null}"#,
            r#"{"id": "e"}"#,
        ];
        std::fs::write(&p, lines.join("\n")).unwrap();
        let (items, stats) = InputOptions::default()
            .read(std::slice::from_ref(&p))
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(stats.skipped, [(p, 4)]);
    }
}
