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
