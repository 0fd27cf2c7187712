//! A document as read from the corpus, before tokenization.

/// One corpus document.
#[derive(Debug, Clone)]
pub struct Document {
    /// External id (from the id field, or derived from the file and line or row).
    pub id: String,
    /// The `source` field, if any.
    pub source: Option<String>,
    /// Remaining fields of the record.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The text to index.
    pub text: String,
    /// Index of the input file it came from.
    pub file: usize,
    /// 1-based line in that file (1 for text files; for Parquet, the 0-based row in the file).
    pub line: u64,
    /// Where `id` came from.
    pub id_origin: IdOrigin,
}

impl Document {
    /// Memory the document holds, estimated (its text, id, source and metadata, and the
    /// struct itself with what the tokenizer stage adds per document), for cutting the stream
    /// into batches: a batch of many short documents weighs more than its text.
    pub fn held_bytes(&self) -> usize {
        DOCUMENT_OVERHEAD
            + self.text.len()
            + self.id.len()
            + self.source.as_ref().map_or(0, String::len)
            + self
                .metadata
                .iter()
                .map(|(k, v)| VALUE_OVERHEAD + k.len() + value_bytes(v))
                .sum::<usize>()
    }
}

/// Bytes a [`Document`] holds besides its strings' text: the struct, one allocation per
/// string, the metadata map's header, and the token-id vector the tokenizer stage makes for it.
const DOCUMENT_OVERHEAD: usize = std::mem::size_of::<Document>() + 3 * 16 + 64;

/// Bytes a JSON value or map entry holds besides its strings' text.
const VALUE_OVERHEAD: usize = 48;

/// Memory a metadata value holds, estimated.
fn value_bytes(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(|x| VALUE_OVERHEAD + value_bytes(x)).sum(),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| VALUE_OVERHEAD + k.len() + value_bytes(x))
            .sum(),
        _ => 0,
    }
}

/// The longest id a document may have, in bytes. A longer id is replaced by the document's
/// place (`FILE:LINE`, `FILE:ROW`) and counted with the other replaced ids: ids are the keys
/// of the id map, whose builder holds state for every byte of a key (six ids of 16 MiB took
/// a build with `--max-memory 1.2G` to 2.6 GiB), and an id is a name, not a document.
pub const MAX_ID_BYTES: usize = 4096;

/// Why `id` cannot be a document's id because of its length (`None`: it can).
pub(super) fn id_too_long(id: &str) -> Option<String> {
    (id.len() > MAX_ID_BYTES).then(|| {
        format!(
            "{} bytes long (an id may have at most {MAX_ID_BYTES})",
            id.len()
        )
    })
}

/// Where a document's external id came from: the input, or verbatim (the record has no id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdOrigin {
    /// The id field (`--id-field`) of the record.
    Field,
    /// Derived: `FILE:LINE` of a JSONL record without an id.
    FileLine,
    /// Derived: `FILE:ROW` of a Parquet row without an id.
    FileRow,
    /// Derived: the path of a plain-text file.
    FilePath,
}

impl IdOrigin {
    /// How the id was derived, for messages (`None`: it was the input's own).
    pub fn derived_from(self) -> Option<&'static str> {
        match self {
            IdOrigin::Field => None,
            IdOrigin::FileLine => Some("the file's path and the line (FILE:LINE)"),
            IdOrigin::FileRow => Some("the file's path and the row (FILE:ROW)"),
            IdOrigin::FilePath => Some("the text file's path"),
        }
    }
}
