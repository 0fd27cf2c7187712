//! Benchmark items from JSON: one object per line (JSONL), one array of objects, or
//! pretty-printed objects one after another; numbers keep the text they were written with.

use crate::error::{Error, Result};
use crate::input::{input_error, open_reader, Sink};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::io::{BufRead, Read};
use std::path::Path;

/// A JSON object whose top-level numbers keep the text they were written with, as strings:
/// a number is checked as its JSON text, and parsing it first would turn
/// `12345678901234567890123` into `1.2345678901234568e+22` and `0.1e1` into `1.0`.
fn parse_record(json: &str) -> serde_json::Result<Map<String, Value>> {
    let raw: std::collections::BTreeMap<String, Box<RawValue>> = serde_json::from_str(json)?;
    raw.into_iter()
        .map(|(k, v)| {
            let text = v.get();
            let value = if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                Value::String(text.to_string())
            } else {
                serde_json::from_str(text)?
            };
            Ok((k, value))
        })
        .collect()
}

pub(crate) fn read_jsonl(p: &Path, push: Sink<'_>) -> Result<()> {
    let mut r = open_reader(p)?;
    // A JSON array file: `[ {...}, {...} ]`.
    let starts_array = {
        let buf = r
            .fill_buf()
            .map_err(|e| input_error(p, format!("cannot read: {e}")))?;
        buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
    };
    if starts_array {
        let v: Vec<Box<RawValue>> = serde_json::from_reader(r)
            .map_err(|e| input_error(p, format!("not valid JSON: {e}")))?;
        for (i, rec) in v.iter().enumerate() {
            match parse_record(rec.get()) {
                Ok(m) => push(&m, i + 1)?,
                Err(_) => {
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
    let mut line = String::new();
    for i in 0.. {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(input_error(p, format!("cannot read line {}: {e}", i + 1))),
        }
        if line.trim().is_empty() {
            continue;
        }
        no += 1;
        let m = match parse_record(&line) {
            Ok(m) => m,
            // A first record that goes on past its line: pretty-printed JSON objects, one
            // after another (a `.json` file of one item, as editors write it).
            Err(e) if e.is_eof() && no == 1 => {
                let rest = std::io::Cursor::new(std::mem::take(&mut line)).chain(r);
                return read_json_objects(p, i, rest, push);
            }
            Err(e) => {
                return Err(Error::Input {
                    path: format!("{}:{}", p.display(), i + 1),
                    detail: not_json_object(&e),
                })
            }
        };
        push(&m, no)?;
    }
    Ok(())
}

/// Why a record is not a JSON object, in words: serde_json's own, but for an escaped surrogate
/// without its pair, which it calls a "lone leading surrogate" or an "unexpected end of hex
/// escape".
fn not_json_object(e: &serde_json::Error) -> String {
    if verbatim_core::json_error::is_unpaired_surrogate(e) {
        format!(
            "not a JSON object: a \\u escape at column {} {}",
            e.column(),
            verbatim_core::json_error::UNPAIRED_SURROGATE
        )
    } else {
        format!("not a JSON object: {e}")
    }
}

/// Reads JSON objects written one after another, over any number of lines each, from `r`,
/// which starts at line `first_line` (0-based) of `p`; records are numbered from 1.
fn read_json_objects(p: &Path, first_line: usize, r: impl Read, push: Sink<'_>) -> Result<()> {
    let values = serde_json::Deserializer::from_reader(r).into_iter::<Box<RawValue>>();
    for (i, value) in values.enumerate() {
        let at = |e: &serde_json::Error| format!("{}:{}", p.display(), first_line + e.line());
        let value = value.map_err(|e| Error::Input {
            path: at(&e),
            detail: not_json_object(&e),
        })?;
        let m = parse_record(value.get())
            .map_err(|_| input_error(p, format!("record {} is not a JSON object", i + 1)))?;
        push(&m, i + 1)?;
    }
    Ok(())
}
