//! Benchmark items from CSV and TSV files: records by the `csv` crate, with the quoting
//! checked as it is read ([`QuoteScan`]), since the reader takes a misquoted file without a
//! word.

use crate::error::{Error, Result};
use crate::input::{input_error, open_reader, Sink};
use serde_json::{Map, Value};
use std::io::{BufRead, Read};
use std::path::Path;

pub(crate) fn read_csv(p: &Path, push: Sink<'_>) -> Result<()> {
    let tsv = p.to_string_lossy().to_ascii_lowercase().contains(".tsv");
    let delimiter = if tsv { b'\t' } else { b',' };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(QuoteScan::new(open_reader(p)?, delimiter));
    // The `csv` reader takes a misquoted file without a word (a quoted field never closed
    // holds the rest of the file): the quoting it read is checked before each record is used.
    // Only a problem starting by `line` is the record's own: the scan reads ahead, and a
    // problem further on waits for its record (which `--limit` may never read).
    let misquoted =
        |r: &csv::Reader<QuoteScan<Box<dyn BufRead>>>, line: usize| match r.get_ref().problem {
            Some(q) if q.line() <= line => Err(q.error(p)),
            _ => Ok(()),
        };
    let headers = r.headers().cloned();
    misquoted(&r, 1)?;
    let headers =
        headers.map_err(|e| input_error(p, format!("cannot read the header row: {e}")))?;
    let mut rec = csv::StringRecord::new();
    let mut no = 0usize;
    loop {
        let more = r.read_record(&mut rec);
        let line = match &more {
            Ok(true) => rec.position().map_or(usize::MAX, |at| at.line() as usize),
            _ => usize::MAX,
        };
        misquoted(&r, line)?;
        if !more.map_err(|e| input_error(p, format!("bad CSV record {}: {e}", no + 1)))? {
            break;
        }
        no += 1;
        // A row longer than the header row most often holds an unquoted delimiter, which cut
        // a field in two: read as it is, the item's text would lose its end. Empty fields
        // past the header's (a spreadsheet's trailing delimiters) are harmless.
        if rec
            .iter()
            .skip(headers.len())
            .any(|field| !field.is_empty())
        {
            return Err(Error::Input {
                path: format!("{}:{line}", p.display()),
                detail: format!(
                    "record {no} has {} fields and the header row {}: a field holding the \
                     delimiter must be quoted (`\"a, b\"`)",
                    rec.len(),
                    headers.len()
                ),
            });
        }
        let m: Map<String, Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
            .collect();
        push(&m, no)?;
    }
    Ok(())
}

/// What [`QuoteScan`] found wrong with a CSV file's quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteProblem {
    /// A quoted field starting on this line is never closed.
    Unclosed { line: usize },
    /// A quoted field starting on line `line` runs over several lines to a quote on line
    /// `end` that more text follows: a closing quote where none was meant.
    TextAfterClose { line: usize, end: usize },
}

impl QuoteProblem {
    /// The line where the quoted field starts.
    fn line(self) -> usize {
        match self {
            QuoteProblem::Unclosed { line } | QuoteProblem::TextAfterClose { line, .. } => line,
        }
    }

    /// The error naming file `p` and the line where the quoted field starts.
    fn error(self, p: &Path) -> Error {
        let (line, detail) = match self {
            QuoteProblem::Unclosed { line } => (
                line,
                "a quoted field starts here and is never closed, so the rest of the file \
                 would be read as one field (an unmatched `\"`? a `\"` inside a quoted field \
                 is written `\"\"`)"
                    .to_string(),
            ),
            QuoteProblem::TextAfterClose { line, end } => (
                line,
                format!(
                    "a quoted field starts here and runs to a `\"` on line {end} that text \
                     follows, so the rows between would be read as one field (an unmatched \
                     `\"`? a `\"` inside a quoted field is written `\"\"`)"
                ),
            ),
        };
        Error::Input {
            path: format!("{}:{line}", p.display()),
            detail,
        }
    }
}

/// Where [`QuoteScan`] is in a CSV record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    /// At the start of a field.
    FieldStart,
    /// In a field that does not start with a quote (where `"` is plain text).
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a `"` in a quoted field: the field's end, or the first of a doubled `"`.
    QuoteInQuoted,
}

/// A reader that follows the quoting of the CSV text read through it as the `csv` crate
/// parses it (a field starting with `"` is quoted up to a `"` that is not doubled; `"`
/// elsewhere is plain text; `\r` and `\n` end records) and notes the first
/// [`QuoteProblem`].
struct QuoteScan<R> {
    inner: R,
    delimiter: u8,
    state: QuoteState,
    /// The line being read (1-based).
    line: usize,
    /// The line where the current quoted field started.
    quote_line: usize,
    problem: Option<QuoteProblem>,
}

impl<R> QuoteScan<R> {
    fn new(inner: R, delimiter: u8) -> QuoteScan<R> {
        QuoteScan {
            inner,
            delimiter,
            state: QuoteState::FieldStart,
            line: 1,
            quote_line: 1,
            problem: None,
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        use QuoteState::*;
        for &b in bytes {
            let ends_field = b == self.delimiter || b == b'\n' || b == b'\r';
            self.state = match (self.state, b) {
                (FieldStart, b'"') => {
                    self.quote_line = self.line;
                    Quoted
                }
                (FieldStart | Unquoted, _) if ends_field => FieldStart,
                (FieldStart | Unquoted, _) => Unquoted,
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (QuoteInQuoted, _) if ends_field => FieldStart,
                (QuoteInQuoted, _) => {
                    if self.line > self.quote_line && self.problem.is_none() {
                        self.problem = Some(QuoteProblem::TextAfterClose {
                            line: self.quote_line,
                            end: self.line,
                        });
                    }
                    Unquoted
                }
            };
            if b == b'\n' {
                self.line += 1;
            }
        }
    }
}

impl<R: Read> Read for QuoteScan<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        if n == 0 && !buf.is_empty() && self.state == QuoteState::Quoted && self.problem.is_none() {
            self.problem = Some(QuoteProblem::Unclosed {
                line: self.quote_line,
            });
        }
        Ok(n)
    }
}
