//! Reading benchmark items: JSONL (plain, `.gz`, `.zst`), JSON arrays, CSV / TSV and Parquet
//! (as the HuggingFace hub ships test sets: each row an object of its columns, lists as JSON
//! arrays, nulls left out, so `{"question", "choices", "answer"}` reads the same from either).

use crate::error::{Error, Result};
use crate::item_ids::{DuplicateIds, IdTracker};
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
        let name = p.file_name()?.to_string_lossy();
        format_extension(without_compression(&name)).map(|(_, f)| f)
    }
}

/// `name` without a compression extension (`.gz`, `.zst`, `.zstd`, in any case).
fn without_compression(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && ["gz", "zst", "zstd"]
                    .iter()
                    .any(|c| ext.eq_ignore_ascii_case(c)) =>
        {
            stem
        }
        _ => name,
    }
}

/// The part of `name` before its format extension, and the format that extension names.
fn format_extension(name: &str) -> Option<(&str, Format)> {
    let (stem, ext) = name.rsplit_once('.')?;
    Some((stem, Format::from_name(ext)?))
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
    /// Items that share their benchmark and id with an earlier item.
    pub duplicate_ids: DuplicateIds,
    /// Files given again (the same file under the same or another name), read once: each
    /// with the name it was read under.
    pub repeated_files: Vec<(PathBuf, PathBuf)>,
}

impl ReadStats {
    /// The warnings a reader of the report needs, one line each: the records skipped in each
    /// file (`opts` says why), and items whose benchmark and id repeat an earlier item's.
    pub fn warnings(&self, opts: &InputOptions) -> Vec<String> {
        let mut out: Vec<String> = self
            .skipped
            .iter()
            .map(|(p, n)| {
                format!(
                    "{}: {n} records {} and were skipped",
                    p.display(),
                    opts.skip_reason()
                )
            })
            .collect();
        out.extend(self.repeated_files.iter().map(|(again, first)| {
            format!(
                "{}: the same file as {}, given again; read once",
                again.display(),
                first.display()
            )
        }));
        out.extend(self.duplicate_ids.warning());
        out
    }
}

/// Receives each record and its 1-based number.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&Map<String, Value>, usize) -> Result<()>;

pub(crate) fn open_reader(path: &Path) -> Result<Box<dyn BufRead>> {
    let read_err = |error| Error::Read {
        path: path.to_path_buf(),
        error,
    };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else if name.ends_with(".zst") || name.ends_with(".zstd") {
        let mut d = zstd::Decoder::new(f).map_err(read_err)?;
        // Files written by `zstd --long=31` use windows over the default limit (2^27).
        d.window_log_max(31).map_err(read_err)?;
        Box::new(d)
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

/// An id or benchmark name: a string as it is, any other value as its JSON text (a list
/// `["a", "b"]` stays apart from the string `"a\nb"`).
fn render_name(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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

/// Fills a template from a record; `None` when a named field is absent or null (a Parquet
/// file's null is an absent field, so a JSONL null reads the same).
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
                Some(v) if !v.is_null() => out.push_str(&render(v)),
                _ => return Ok(None),
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

/// The benchmark name a file gives: its name without a compression extension and then a
/// format one (`mmlu.jsonl.zst` is `mmlu`; `my.bench.v2.jsonl` is `my.bench.v2`).
fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Extensions in any case (`ITEMS.JSONL`), as formats are told from them.
    let base = without_compression(&name);
    match format_extension(base) {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => base.to_string(),
    }
}

impl InputOptions {
    /// Makes an item of record number `no` (1-based) of `path`; `None` without text (no such
    /// field, null, or whitespace only: nothing to check, so not counted as a clean item).
    pub fn item(&self, rec: &Map<String, Value>, path: &Path, no: usize) -> Result<Option<Item>> {
        Ok(self
            .item_as_given(rec, path, no)?
            .filter(|it| !it.text.trim().is_empty()))
    }

    /// [`InputOptions::item`] keeping a text of whitespace only (`None` only when the text is
    /// absent, null or empty), as the routes that take items from a caller do: whitespace is
    /// text there, and only the file readers skip a blank record.
    pub fn item_as_given(
        &self,
        rec: &Map<String, Value>,
        path: &Path,
        no: usize,
    ) -> Result<Option<Item>> {
        let text = match &self.template {
            Some(t) => fill_template(t, rec)?,
            None => rec.get(&self.field).map(render),
        };
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let id = match rec.get(&self.id_field) {
            Some(v) if !v.is_null() => render_name(v),
            _ => no.to_string(),
        };
        let bench = match rec.get(&self.group_field) {
            Some(v) if !v.is_null() => render_name(v),
            _ => file_stem(path),
        };
        Ok(Some(Item { id, text, bench }))
    }

    /// Why a skipped record of [`ReadStats::skipped`] was skipped, for a warning: "`n` records
    /// {this} and were skipped".
    pub fn skip_reason(&self) -> String {
        match &self.template {
            Some(t) => format!(
                "lack a field of the template {t:?} (absent or null), or fill it with blank text"
            ),
            None => format!(
                "have no text in the field {:?} (absent, null or blank)",
                self.field
            ),
        }
    }

    /// Reads every item of `paths`.
    pub fn read(&self, paths: &[PathBuf]) -> Result<(Vec<Item>, ReadStats)> {
        self.read_at_most(paths, usize::MAX)
    }

    /// Reads the first `limit` items of `paths` (`--limit`); the records after them are not
    /// made items, so the warnings are about the items kept.
    pub fn read_at_most(&self, paths: &[PathBuf], limit: usize) -> Result<(Vec<Item>, ReadStats)> {
        let mut items = Vec::new();
        let mut stats = ReadStats::default();
        let mut ids = IdTracker::default();
        let mut read_files: Vec<(PathBuf, &PathBuf)> = Vec::new();
        for p in paths {
            if items.len() >= limit {
                break;
            }
            // A file that cannot be resolved is read (and refused) as it is.
            if let Ok(real) = std::fs::canonicalize(p) {
                if let Some((_, first)) = read_files.iter().find(|(r, _)| *r == real) {
                    stats.repeated_files.push((p.clone(), (*first).clone()));
                    continue;
                }
                read_files.push((real, p));
            }
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
            // Set when the `limit`-th item is taken: the sink then stops the reader with an
            // error that is dropped, so no record after it is read (or refused).
            let full = std::cell::Cell::new(false);
            let mut push = |rec: &Map<String, Value>, no: usize| -> Result<()> {
                stats.records += 1;
                match self.item(rec, p, no)? {
                    Some(it) => {
                        ids.note(&it.bench, &it.id, p, no);
                        items.push(it);
                    }
                    None => skipped += 1,
                }
                if items.len() >= limit {
                    full.set(true);
                    return Err(input_error(p, "the --limit was reached"));
                }
                Ok(())
            };
            let read = match format {
                Format::Parquet => read_parquet(p, &mut push),
                Format::Jsonl => crate::json_items::read_jsonl(p, &mut push),
                Format::Csv => crate::csv_items::read_csv(p, &mut push),
            };
            match read {
                Err(_) if full.get() => {}
                other => other?,
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
        stats.duplicate_ids = ids.finish();
        Ok((items, stats))
    }
}

/// An [`Error::Input`] about file `p`.
pub(crate) fn input_error(p: &Path, detail: impl Into<String>) -> Error {
    Error::Input {
        path: p.display().to_string(),
        detail: detail.into(),
    }
}

/// Decoded bytes a batch of Parquet rows aims at.
const PARQUET_BATCH_BYTES: u64 = 8 << 20;

fn read_parquet(p: &Path, push: Sink<'_>) -> Result<()> {
    // The Parquet reader's errors name the file (and row group or row) already: the input
    // error names it once.
    let error = |e: verbatim_parquet::Error| {
        let message = e.to_string();
        let named = format!("{}: ", p.display());
        input_error(p, message.strip_prefix(&named).unwrap_or(&message))
    };
    let file = verbatim_parquet::ParquetFile::open(p).map_err(error)?;
    verbatim_parquet::read_records(&file, PARQUET_BATCH_BYTES, &mut |rec, row| {
        push(rec, row as usize + 1).map_err(|e| format!("{e:#}"))
    })
    .map_err(error)?;
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
        let null: Map<String, Value> =
            serde_json::from_str(r#"{"question": null, "choices": ["a"]}"#).unwrap();
        assert_eq!(fill_template("{question} {choices}", &null).unwrap(), None);
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

    /// A `.zst` file with a window over 2^27 bytes (`zstd --long=31`) is read; it was refused
    /// ("Frame requires too much memory for decoding").
    #[test]
    fn zstd_long_windows_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("long.jsonl.zst");
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        enc.long_distance_matching(true).unwrap();
        enc.window_log(28).unwrap();
        std::io::Write::write_all(&mut enc, b"{\"id\":\"a\",\"text\":\"hello\"}\n").unwrap();
        std::fs::write(&p, enc.finish().unwrap()).unwrap();
        let (items, _) = InputOptions::default().read(&[p]).unwrap();
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn a_benchmark_is_named_by_its_file_without_its_extensions() {
        for (file, bench) in [
            ("mmlu.jsonl.zst", "mmlu"),
            ("dir/my.bench.v2.jsonl", "my.bench.v2"),
            ("test-00000-of-00001.parquet", "test-00000-of-00001"),
            ("truthfulqa.csv.gz", "truthfulqa"),
            ("UP.v1.JSONL.ZST", "UP.v1"),
            ("notes", "notes"),
            (".jsonl", ".jsonl"),
        ] {
            assert_eq!(file_stem(Path::new(file)), bench, "{file}");
        }
    }

    /// A number is checked as the text it was written with, however large: parsed as a float
    /// first, `12345678901234567890123` became `1.2345678901234568e+22` (ids ending 123 and
    /// 124 the same), and `0.1e1` became `1.0`. In a JSON array file too.
    #[test]
    fn numbers_keep_their_written_text() {
        let dir = tempfile::tempdir().unwrap();
        let lines = dir.path().join("n.jsonl");
        std::fs::write(
            &lines,
            "{\"id\": 12345678901234567890123, \"text\": 12345678901234567890124}\n\
             {\"id\": 0.1e1, \"text\": -7}\n",
        )
        .unwrap();
        let array = dir.path().join("n.json");
        std::fs::write(&array, "[{\"id\": 18446744073709551616, \"text\": \"x\"}]").unwrap();
        let (items, _) = InputOptions::default().read(&[lines, array]).unwrap();
        let got: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.id.as_str(), i.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("12345678901234567890123", "12345678901234567890124"),
                ("0.1e1", "-7"),
                ("18446744073709551616", "x")
            ]
        );
    }

    /// An id or benchmark that is a list is its JSON text, as any value that is not a string:
    /// it was its items joined by newlines, the same as the string "a\nb".
    #[test]
    fn list_ids_and_benchmarks_are_their_json() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.jsonl");
        std::fs::write(
            &p,
            "{\"id\": [\"a\", \"b\"], \"bench\": [\"x\", \"y\"], \"text\": \"hello\"}\n\
             {\"id\": \"a\\nb\", \"bench\": {\"k\": 1}, \"text\": \"hello\"}\n",
        )
        .unwrap();
        let (items, _) = InputOptions::default().read(&[p]).unwrap();
        let got: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.id.as_str(), i.bench.as_str()))
            .collect();
        assert_eq!(
            got,
            [(r#"["a","b"]"#, r#"["x","y"]"#), ("a\nb", r#"{"k":1}"#)]
        );
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

    /// A file given twice (by the same name, or another that names the same file) is read
    /// once, with a warning naming both names, not read again as items that all repeat.
    #[test]
    fn a_file_given_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("items.jsonl");
        std::fs::write(&p, "{\"id\": \"1\", \"text\": \"one two\"}\n").unwrap();
        let again = dir.path().join(".").join("items.jsonl");
        let opts = InputOptions::default();
        let (items, stats) = opts.read(&[p.clone(), p.clone(), again.clone()]).unwrap();
        assert_eq!((items.len(), stats.duplicate_ids.count), (1, 0));
        let w = stats.warnings(&opts);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[1].starts_with(&format!(
                "{}: the same file as {}",
                again.display(),
                p.display()
            )),
            "{w:?}"
        );
        assert!(w[0].ends_with("given again; read once"), "{w:?}");
    }

    /// Items with the benchmark and id of an earlier item are counted, the first named with
    /// both records; an item without an id is named by its record number, so it can repeat
    /// another item's id.
    #[test]
    fn repeated_benchmark_and_id_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("items.jsonl");
        let lines = [
            r#"{"id": "2", "text": "first"}"#,
            r#"{"text": "named 2 by its record number"}"#,
            r#"{"id": "2", "bench": "other", "text": "another benchmark"}"#,
            r#"{"id": "2", "text": "a third one"}"#,
        ];
        std::fs::write(&p, lines.join("\n")).unwrap();
        let opts = InputOptions::default();
        let (items, stats) = opts.read(std::slice::from_ref(&p)).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(stats.duplicate_ids.count, 2);
        let f = stats.duplicate_ids.first.clone().unwrap();
        assert_eq!((f.earlier.record, f.later.record), (1, 2));
        let w = stats.warnings(&opts);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("2 item(s) share their benchmark and id"),
            "{w:?}"
        );
        // With `--limit 1` the repeats are not read, and not warned about.
        let (items, stats) = opts.read_at_most(std::slice::from_ref(&p), 1).unwrap();
        assert_eq!((items.len(), stats.records), (1, 1));
        assert!(stats.warnings(&opts).is_empty());
        // Nor is a bad record after the limit, in any format, nor a file after it: the
        // reading stops at the limit (it failed on a bad line further on).
        let jsonl = dir.path().join("bad-after.jsonl");
        std::fs::write(&jsonl, "{\"id\": \"a\", \"text\": \"x y\"}\nnot json\n").unwrap();
        let csv = dir.path().join("bad-after.csv");
        std::fs::write(&csv, "id,text\na,x y\nb,\"never closed\n").unwrap();
        let csv_ahead = dir.path().join("bad-ahead.csv");
        std::fs::write(&csv_ahead, "id,text\na,hello world\nb,\"multi\nline\"zz\n").unwrap();
        let missing = dir.path().join("missing.jsonl");
        for bad in [&jsonl, &csv, &csv_ahead] {
            let (items, _) = opts
                .read_at_most(&[bad.clone(), missing.clone()], 1)
                .unwrap();
            assert_eq!(items.len(), 1, "{}", bad.display());
            assert!(opts.read(std::slice::from_ref(bad)).is_err());
        }
    }

    fn read_csv_text(name: &str, text: &str) -> Result<Vec<(String, String)>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let opts = InputOptions {
            field: "q".into(),
            ..InputOptions::default()
        };
        opts.read(&[p])
            .map(|(items, _)| items.into_iter().map(|i| (i.id, i.text)).collect())
    }

    /// A quoted field that is never closed (it took the rest of the file in, silently: two
    /// rows read as one item) is an error naming the file and the line the field starts on.
    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let e = read_csv_text("u.csv", "id,q\na,\"first question\nb,second question\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("u.csv:2: a quoted field starts here and is never closed"),
            "{e}"
        );
        // In the header row, in a TSV file, or at the very end.
        let e = read_csv_text("h.tsv", "id\t\"q\na\tb\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("h.tsv:1: a quoted field starts here and is never closed"),
            "{e}"
        );
        let e = read_csv_text("e.csv", "id,q\na,b\nc,\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("e.csv:3: "), "{e}");
        // A stray quote closed by a later field's opening quote merges the rows between too.
        let e = read_csv_text(
            "s.csv",
            "id,q\na,\"stray\nb,plain\nc,\"quoted, with a comma\",x\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("s.csv:2: a quoted field starts here and runs to a `\"` on line 4"),
            "{e}"
        );
    }

    /// Well-quoted fields still read as before: doubled quotes, quoted newlines and
    /// delimiters, quotes inside unquoted fields, CRLF line ends, no final newline.
    #[test]
    fn well_quoted_csv_reads_as_before() {
        let got = read_csv_text(
            "ok.csv",
            "id,q\r\na,\"two\r\nlines, \"\"quoted\"\"\"\r\nb,5\" tall\r\nc,\"x\"y\r\nd,\"last\"",
        )
        .unwrap();
        let want = [
            ("a", "two\r\nlines, \"quoted\""),
            ("b", "5\" tall"),
            ("c", "xy"),
            ("d", "last"),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(i, t)| (i.as_str(), t.as_str())).collect();
        assert_eq!(got, want);
    }

    /// A row with more fields than the header row (an unquoted comma cut the text in two)
    /// is an error naming its line, not an item missing the end of its text; empty fields
    /// past the header's are not.
    #[test]
    fn a_row_longer_than_the_header_is_an_error() {
        let e = read_csv_text("x.csv", "id,q\na,fine\nb,Hello, world\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.csv:3: record 2 has 3 fields and the header row 2"),
            "{e}"
        );
        let got = read_csv_text("t.csv", "id,q\na,fine,,\nb\n").unwrap();
        assert_eq!(got, [("a".to_string(), "fine".to_string())]);
    }

    /// A `.json` file of pretty-printed objects (one item as an editor saves it, or several
    /// one after another) is read as its objects; a broken one is named by its line, and an
    /// unpaired surrogate escape is called that.
    #[test]
    fn pretty_printed_objects_are_items() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.json");
        std::fs::write(&one, "{\n  \"id\": \"q1\",\n  \"text\": \"one two\"\n}\n").unwrap();
        let two = dir.path().join("two.json");
        std::fs::write(
            &two,
            "\n{\n  \"id\": \"a\",\n  \"text\": \"x\"\n}\n{\"id\": \"b\",\n \"text\": \"y\"}\n",
        )
        .unwrap();
        let opts = InputOptions::default();
        let (items, stats) = opts.read(&[one, two.clone()]).unwrap();
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.id.as_str(), i.text.as_str()))
            .collect();
        assert_eq!(got, [("q1", "one two"), ("a", "x"), ("b", "y")]);
        assert_eq!(stats.records, 3);
        // `--limit` stops in the middle of them too.
        let (items, _) = opts.read_at_most(std::slice::from_ref(&two), 1).unwrap();
        assert_eq!(items.len(), 1);

        let broken = dir.path().join("broken.json");
        std::fs::write(
            &broken,
            "{\n \"id\": \"a\",\n \"text\": \"x\"\n}\n{\n \"id\": 1,,\n}\n",
        )
        .unwrap();
        let e = format!(
            "{:#}",
            opts.read(std::slice::from_ref(&broken)).unwrap_err()
        );
        assert!(e.contains("broken.json:6"), "{e}");
        let not_object = dir.path().join("not-object.json");
        std::fs::write(&not_object, "{\n \"id\": \"a\", \"text\": \"x\"\n}\n[1]\n").unwrap();
        let e = format!(
            "{:#}",
            opts.read(std::slice::from_ref(&not_object)).unwrap_err()
        );
        assert!(e.contains("record 2 is not a JSON object"), "{e}");

        let lone = dir.path().join("lone.jsonl");
        std::fs::write(
            &lone,
            "{\"id\": \"a\", \"text\": \"x\"}\n{\"text\": \"\\ud800\"}\n",
        )
        .unwrap();
        let e = format!("{:#}", opts.read(std::slice::from_ref(&lone)).unwrap_err());
        assert!(e.contains("lone.jsonl:2"), "{e}");
        assert!(e.contains("unpaired UTF-16 surrogate"), "{e}");
    }
}
