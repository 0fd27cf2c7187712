//! Dolma-style JSONL: one JSON object per line with a text field, an id field and metadata.

use super::{Document, IdOrigin, InputFile, InputKind, SkipReason, Skips};
use crate::error::{bail, Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Hashes (sha256) and counts the raw bytes of a file as they are read.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    progress: Arc<AtomicU64>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads documents from one input file (JSONL or plain text), counting bad lines as skips.
pub struct JsonlReader<'a> {
    /// Field holding the text.
    pub text_field: &'a str,
    /// Field holding the external id.
    pub id_field: &'a str,
    /// Texts larger than this are skipped.
    pub max_document_bytes: u64,
    /// Bad input is an error instead of a skip.
    pub strict: bool,
    /// Raw bytes read so far, for the progress bar.
    pub progress: Arc<AtomicU64>,
}

/// What one input file yielded.
pub struct FileOutcome {
    /// sha256 of the raw file.
    pub sha256: String,
}

impl JsonlReader<'_> {
    fn skip(
        &self,
        skips: &mut Skips,
        reason: SkipReason,
        file_no: usize,
        file: &InputFile,
        line: u64,
        detail: &str,
    ) -> Result<()> {
        let msg = format!("{}:{line}: {reason}: {detail}", file.path.display());
        if self.strict {
            bail!("{msg} (bad input is an error with --strict; omit it to skip and count)");
        }
        skips.record(reason, file_no, msg);
        Ok(())
    }

    /// Reads `file`, handing every good document to `sink`.
    pub fn read_file(
        &self,
        file_no: usize,
        file: &InputFile,
        skips: &mut Skips,
        sink: &mut dyn FnMut(Document) -> Result<()>,
    ) -> Result<FileOutcome> {
        let raw = File::open(&file.path)
            .with_context(|| format!("cannot open input {}", file.path.display()))?;
        let mut hashing = HashingReader {
            inner: raw,
            hasher: Sha256::new(),
            progress: self.progress.clone(),
        };
        if file.kind == InputKind::Text {
            super::read_text_file(self, file_no, file, &mut hashing, skips, sink)?;
        } else {
            let decoded: Box<dyn Read + '_> = match file.kind {
                InputKind::JsonlGz => Box::new(flate2::read::MultiGzDecoder::new(&mut hashing)),
                InputKind::JsonlZst => Box::new(
                    zstd_decoder(&mut hashing)
                        .with_context(|| format!("{}: not a zstd file", file.path.display()))?,
                ),
                _ => Box::new(&mut hashing),
            };
            self.read_lines(
                file_no,
                file,
                BufReader::with_capacity(1 << 20, decoded),
                skips,
                sink,
            )?;
        }
        // Hash whatever the decoder did not consume (trailing bytes).
        std::io::copy(&mut hashing, &mut std::io::sink())
            .with_context(|| format!("cannot read {}", file.path.display()))?;
        Ok(FileOutcome {
            sha256: hex::encode(hashing.hasher.finalize()),
        })
    }

    fn read_lines(
        &self,
        file_no: usize,
        file: &InputFile,
        mut reader: impl BufRead,
        skips: &mut Skips,
        sink: &mut dyn FnMut(Document) -> Result<()>,
    ) -> Result<IdFieldSeen> {
        // A JSON line may escape its text, so allow lines a good deal longer than the text cap.
        let max_line = crate::memory::max_jsonl_line(self.max_document_bytes);
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        let mut ids = IdFieldSeen::default();
        let result = loop {
            buf.clear();
            line_no += 1;
            let (n, too_long) = match read_bounded_line(&mut reader, &mut buf, max_line) {
                Ok(x) => x,
                Err(e) => {
                    // A compressed stream that decodes wrongly (not one that ends early) may
                    // already have given documents decoded from damaged bytes, which a
                    // skip cannot take back: the build stops before it writes anything.
                    if line_no > 1 && decoded_wrongly(&e) {
                        bail!(
                            "{} is damaged: its decompression failed at line {line_no} ({e}), so \
                             the documents read from it before may be garbage. Repair or remove \
                             the file (`gzip -t` / `zstd -t` test it) and build again",
                            file.path.display()
                        );
                    }
                    let detail = format!("read or decompression failed: {e}");
                    self.skip(
                        skips,
                        SkipReason::UnreadableInput,
                        file_no,
                        file,
                        line_no,
                        &detail,
                    )?;
                    tracing::error!(
                        "{}: stopped reading at line {line_no}: {e}; the rest of the file is not indexed",
                        file.path.display()
                    );
                    break Ok(());
                }
            };
            if n == 0 {
                break Ok(());
            }
            if too_long {
                let detail = format!(
                    "line longer than {max_line} bytes (three times --max-document-bytes, for text JSON escapes, plus 1 MiB)"
                );
                self.skip(
                    skips,
                    SkipReason::DocumentTooLarge,
                    file_no,
                    file,
                    line_no,
                    &detail,
                )?;
                continue;
            }
            let mut line = trim_newline(&buf);
            if line_no == 1 {
                // A UTF-8 byte-order mark (as some editors save files) is not part of the record.
                line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
            }
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue; // blank lines are not documents
            }
            match self.parse_line(file_no, file, line_no, line, skips, &mut ids) {
                Ok(doc) => sink(doc)?,
                Err((reason, detail)) => {
                    self.skip(skips, reason, file_no, file, line_no, &detail)?
                }
            }
        };
        if let Some(w) = self.missing_id_field(file, &ids) {
            tracing::warn!("{w}");
        }
        result.map(|()| ids)
    }

    /// The warning for a file none of whose records holds the id field: a misspelt
    /// `--id-field` (the default `id` missing from a corpus without ids is not worth a
    /// warning per file).
    fn missing_id_field(&self, file: &InputFile, ids: &IdFieldSeen) -> Option<String> {
        (ids.records > 0 && !ids.with_field && self.id_field != DEFAULT_ID_FIELD).then(|| {
            format!(
                "{}: none of its {} record(s) has the id field {:?} (--id-field); their ids are \
                 FILE:LINE",
                file.path.display(),
                ids.records,
                self.id_field
            )
        })
    }

    fn parse_line(
        &self,
        file_no: usize,
        file: &InputFile,
        line_no: u64,
        line: &[u8],
        skips: &mut Skips,
        ids: &mut IdFieldSeen,
    ) -> std::result::Result<Document, (SkipReason, String)> {
        if let Err(e) = std::str::from_utf8(line) {
            return Err((SkipReason::InvalidUtf8, e.to_string()));
        }
        // The id field kept as written (unless it is the text field, read as the text).
        let id_field = (self.id_field != self.text_field).then_some(self.id_field);
        let record = super::record::parse(line, id_field)
            .map_err(|e| (SkipReason::MalformedJson, e.to_string()))?;
        let mut map = record.fields;
        ids.records += 1;
        ids.with_field |= record.id.is_some();
        let text = match map.remove(self.text_field) {
            None => {
                return Err((
                    SkipReason::MissingText,
                    format!("no {:?} field", self.text_field),
                ))
            }
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err((
                    SkipReason::NonStringText,
                    format!(
                        "{:?} is a {}, not a string",
                        self.text_field,
                        json_type(&other)
                    ),
                ))
            }
        };
        self.check_text(&text)?;
        let derived = || format!("{}:{line_no}", file_label(file));
        let (id, id_origin) = match record.id.map(super::record::id_text) {
            Some(Ok(id)) => (id, IdOrigin::Field),
            Some(Err(what)) => {
                skips.record_replaced_id(|| {
                    format!(
                        "{}:{line_no}: the id field {:?} is {what}, so the id is {}",
                        file.path.display(),
                        self.id_field,
                        derived()
                    )
                });
                (derived(), IdOrigin::FileLine)
            }
            None => (derived(), IdOrigin::FileLine),
        };
        let source = match map.remove("source") {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                map.insert("source".into(), other);
                None
            }
            None => None,
        };
        Ok(Document {
            id,
            source,
            metadata: map,
            text,
            file: file_no,
            line: line_no,
            id_origin,
        })
    }

    /// Checks the size rules shared by JSONL and text documents.
    pub(super) fn check_text(&self, text: &str) -> std::result::Result<(), (SkipReason, String)> {
        if text.is_empty() {
            return Err((SkipReason::EmptyDocument, "text is empty".into()));
        }
        if text.len() as u64 > self.max_document_bytes {
            return Err((
                SkipReason::DocumentTooLarge,
                format!(
                    "text of {} bytes exceeds --max-document-bytes {}",
                    text.len(),
                    self.max_document_bytes
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn skip_public(
        &self,
        skips: &mut Skips,
        reason: SkipReason,
        file_no: usize,
        file: &InputFile,
        detail: &str,
    ) -> Result<()> {
        self.skip(skips, reason, file_no, file, 1, detail)
    }
}

/// The largest zstd window (log2 of its bytes) a `.zst` input may use: zstd's own maximum,
/// as `zstd --long=31` writes. The library's default refuses frames with a window over
/// 2^27 bytes ("Frame requires too much memory for decoding"); the window is memory the
/// decoder holds while it reads the file (at most 2 GiB, and no more than the file's
/// decompressed size when its frame header records it, as the `zstd` tool's do).
const ZSTD_WINDOW_LOG_MAX: u32 = 31;

/// A zstd decoder of `reader` that accepts windows up to [`ZSTD_WINDOW_LOG_MAX`].
fn zstd_decoder<R: Read>(
    reader: R,
) -> std::io::Result<zstd::stream::read::Decoder<'static, BufReader<R>>> {
    let mut d = zstd::stream::read::Decoder::new(reader)?;
    d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
    Ok(d)
}

/// The id field read when none is chosen (`--id-field`).
const DEFAULT_ID_FIELD: &str = "id";

/// Whether the records of a file hold the id field.
#[derive(Debug, Default)]
struct IdFieldSeen {
    /// Records read as JSON objects.
    records: u64,
    /// Whether one of them has the id field.
    with_field: bool,
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The file name used in derived ids.
pub(super) fn file_label(file: &InputFile) -> String {
    match &file.root {
        Some(root) => file
            .path
            .strip_prefix(root)
            .unwrap_or(&file.path)
            .to_string_lossy()
            .into_owned(),
        None => file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn trim_newline(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && (buf[end - 1] == b'\n' || buf[end - 1] == b'\r') {
        end -= 1;
    }
    &buf[..end]
}

/// Reads one line into `buf`, keeping at most `max` bytes; returns the bytes consumed and
/// whether the line was longer than `max` (the excess is consumed and dropped).
fn read_bounded_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: u64,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0usize;
    let mut too_long = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((consumed, too_long));
        }
        let (chunk, done) = match memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        if !too_long {
            if (buf.len() + len) as u64 > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(len);
        consumed += len;
        if done {
            return Ok((consumed, too_long));
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Whether a read error is a compressed stream's data failing to decode or its checksum
/// failing (gzip's and zstd's messages say `corrupt` or `checksum`): the bytes decoded before
/// it may be wrong. A stream that ends early, or bytes after the last stream that are not
/// another, leave what was decoded intact.
fn decoded_wrongly(e: &std::io::Error) -> bool {
    let msg = e.to_string().to_ascii_lowercase();
    msg.contains("corrupt") || msg.contains("checksum")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `path` as `kind` with the default rules: the documents and the skips.
    pub(crate) fn read_path(
        path: &std::path::Path,
        kind: InputKind,
        id_field: &str,
    ) -> (Vec<Document>, Skips) {
        let rules = JsonlReader {
            text_field: "text",
            id_field,
            max_document_bytes: 1 << 20,
            strict: false,
            progress: Default::default(),
        };
        let file = InputFile {
            path: path.to_path_buf(),
            kind,
            bytes: std::fs::metadata(path).unwrap().len(),
            root: None,
        };
        let (mut docs, mut skips) = (Vec::new(), Skips::default());
        rules
            .read_file(0, &file, &mut skips, &mut |d| {
                docs.push(d);
                Ok(())
            })
            .unwrap();
        (docs, skips)
    }

    /// A file compressed with a long window (`zstd --long=31`, here 2^28 bytes: the zstd
    /// library's default decoder refuses windows over 2^27) is read whole; it was one skip
    /// ("Frame requires too much memory for decoding") and no documents.
    #[test]
    fn zstd_long_windows_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.jsonl.zst");
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        enc.long_distance_matching(true).unwrap();
        enc.window_log(28).unwrap();
        for i in 0..1000 {
            let line = serde_json::json!({"id": format!("d{i}"), "text": format!("document {i}")});
            std::io::Write::write_all(&mut enc, format!("{line}\n").as_bytes()).unwrap();
        }
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        let (docs, skips) = read_path(&path, InputKind::JsonlZst, "id");
        assert_eq!(skips.total(), 0, "{:?}", skips.examples());
        assert_eq!(docs.len(), 1000);
        assert_eq!(docs[999].id, "d999");
    }

    /// A number id keeps the text it was written with (parsed as a float, the two 30-digit
    /// ids were both `1.2345678901234568e+29`, and `1e2` was `100.0`); an id that is not a
    /// string or number, or is longer than `MAX_ID_BYTES`, is replaced by `FILE:LINE` and
    /// counted (it was replaced silently; ids of 16 MiB broke `--max-memory`).
    #[test]
    fn ids_keep_their_text_and_unusable_ids_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.jsonl");
        let lines = [
            r#"{"id": 123456789012345678901234567890, "text": "a"}"#,
            r#"{"id": 123456789012345678901234567891, "text": "b"}"#,
            r#"{"id": 1e2, "text": "c"}"#,
            r#"{"id": -0.50, "text": "d"}"#,
            r#"{"id": true, "text": "e"}"#,
            r#"{"id": {"k": 1}, "text": "f"}"#,
            r#"{"id": [], "text": "g"}"#,
            r#"{"id": "", "text": "h"}"#,
            r#"{"text": "i", "n": 1.0}"#,
        ];
        let longest = "l".repeat(super::super::document::MAX_ID_BYTES);
        let lines: Vec<String> = lines
            .iter()
            .map(|l| l.to_string())
            .chain([
                format!(r#"{{"id": "{longest}", "text": "j"}}"#),
                format!(r#"{{"id": "{longest}+", "text": "k"}}"#),
            ])
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (docs, skips) = read_path(&path, InputKind::Jsonl, "id");
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                "1e2",
                "-0.50",
                "ids.jsonl:5",
                "ids.jsonl:6",
                "ids.jsonl:7",
                "ids.jsonl:8",
                "ids.jsonl:9",
                longest.as_str(),
                "ids.jsonl:11"
            ]
        );
        assert_eq!(docs[8].metadata["n"], serde_json::json!(1.0));
        assert_eq!(skips.total(), 0);
        assert_eq!(skips.replaced_ids(), 5);
        let w = skips.replaced_ids_warning().unwrap();
        assert!(w.starts_with("5 document(s)"), "{w}");
        assert!(
            w.contains("ids.jsonl:5: the id field \"id\" is a boolean"),
            "{w}"
        );
    }

    /// An --id-field no record of a file holds (misspelt) is named in a warning for the file.
    #[test]
    fn a_misspelt_id_field_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "{\"doc_id\": \"x\", \"text\": \"a\"}\n").unwrap();
        let file = InputFile {
            path: path.clone(),
            kind: InputKind::Jsonl,
            bytes: 0,
            root: None,
        };
        for (field, warns) in [("docid", true), ("doc_id", false), ("id", false)] {
            let rules = JsonlReader {
                text_field: "text",
                id_field: field,
                max_document_bytes: 1 << 20,
                strict: false,
                progress: Default::default(),
            };
            let reader = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            let ids = rules
                .read_lines(0, &file, reader, &mut Skips::default(), &mut |_| Ok(()))
                .unwrap();
            let w = rules.missing_id_field(&file, &ids);
            assert_eq!(w.is_some(), warns, "{field}: {w:?}");
            if let Some(w) = w {
                assert!(w.contains("has the id field \"docid\""), "{w}");
            }
        }
    }

    #[test]
    fn bounded_lines() {
        let data = b"short\nthis line is long\nok\n";
        let mut r = std::io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_bounded_line(&mut r, &mut buf, 10).unwrap(), (6, false));
        assert_eq!(buf, b"short\n");
        buf.clear();
        assert!(read_bounded_line(&mut r, &mut buf, 10).unwrap().1);
        buf.clear();
        assert_eq!(read_bounded_line(&mut r, &mut buf, 10).unwrap(), (3, false));
        assert_eq!(buf, b"ok\n");
    }
}
