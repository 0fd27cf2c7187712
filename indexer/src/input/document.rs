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
}
