//! Bad input: the reasons a document is skipped, counted per reason.

use super::skip_log::SkipLog;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Why a document (or line) was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// The line is not valid JSON (or not a JSON object).
    MalformedJson,
    /// The line or file is not valid UTF-8.
    InvalidUtf8,
    /// The text field is missing.
    MissingText,
    /// The text field is not a string.
    NonStringText,
    /// The text is empty.
    EmptyDocument,
    /// The text is larger than `--max-document-bytes`.
    DocumentTooLarge,
    /// The document has more tokens than a shard may hold.
    DocumentTooManyTokens,
    /// The file could not be read or decompressed to its end.
    UnreadableInput,
    /// A Parquet row group whose pages need more memory at once than a row group may use.
    RowGroupTooLarge,
}

impl SkipReason {
    /// Stable snake-case key used in the manifest.
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::MalformedJson => "malformed_json",
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::MissingText => "missing_text",
            SkipReason::NonStringText => "non_string_text",
            SkipReason::EmptyDocument => "empty_document",
            SkipReason::DocumentTooLarge => "document_too_large",
            SkipReason::DocumentTooManyTokens => "document_too_many_tokens",
            SkipReason::UnreadableInput => "unreadable_input",
            SkipReason::RowGroupTooLarge => "row_group_too_large",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key().replace('_', " "))
    }
}

/// Skip counts, plus the first few messages for the summary and, with a log, every message.
#[derive(Debug, Default)]
pub struct Skips {
    counts: BTreeMap<SkipReason, u64>,
    per_file: BTreeMap<usize, u64>,
    examples: Vec<String>,
    /// Skipped documents (rows, lines, files) whose message is not among `examples`.
    unlisted: u64,
    /// Where every skip is written (`--skip-log`), if anywhere.
    log: Option<SkipLog>,
    /// Documents indexed under a derived id because their id field held no usable id.
    replaced_ids: u64,
    /// The first of them, described.
    first_replaced_id: Option<String>,
}

/// How many skip messages are printed before the rest are only counted.
const MAX_EXAMPLES: usize = 20;

impl Skips {
    /// Counts that also write every skip to `path` (replaced once every input has been read,
    /// see [`Skips::finish_log`]), one JSON object a line:
    /// `{"documents": 1, "message": "FILE:LINE: ...", "reason": "malformed_json"}`.
    pub fn logging_to(path: &Path) -> crate::error::Result<Skips> {
        Ok(Skips {
            log: Some(SkipLog::create(path)?),
            ..Skips::default()
        })
    }

    /// Records a skip in file `file` with a message naming the file and line.
    pub fn record(&mut self, reason: SkipReason, file: usize, message: String) {
        self.record_rows(reason, file, 1, message);
    }

    /// Records `rows` skipped rows of one reason in file `file` with one message (a Parquet
    /// row group or file that could not be read as documents).
    pub fn record_rows(&mut self, reason: SkipReason, file: usize, rows: u64, message: String) {
        *self.counts.entry(reason).or_default() += rows;
        *self.per_file.entry(file).or_default() += rows;
        if let Some(log) = self.log.as_mut() {
            log.write(reason.key(), rows, &message);
        }
        if self.examples.len() < MAX_EXAMPLES {
            tracing::warn!("skipped: {message}");
            self.examples.push(message);
        } else {
            self.unlisted += rows;
        }
    }

    /// Puts the skip log, if there is one, in place of the file it names: an error if any of
    /// it could not be written. Called once every input has been read.
    pub fn finish_log(&mut self) -> crate::error::Result<()> {
        match self.log.take() {
            Some(log) => log.finish(),
            None => Ok(()),
        }
    }

    /// Skipped documents whose message is not among [`Skips::examples`].
    pub fn unlisted(&self) -> u64 {
        self.unlisted
    }

    /// Records a document indexed under a derived id (`FILE:LINE`, `FILE:ROW`) because its id
    /// field held no usable id (not a string or number, an empty string, or too long);
    /// `message` names the record and what its id was.
    pub fn record_replaced_id(&mut self, message: impl FnOnce() -> String) {
        self.record_replaced_ids(1, message);
    }

    /// Records `n` documents indexed under a derived id, as [`Skips::record_replaced_id`];
    /// `first` describes the first of them.
    pub fn record_replaced_ids(&mut self, n: u64, first: impl FnOnce() -> String) {
        self.replaced_ids += n;
        if self.first_replaced_id.is_none() {
            self.first_replaced_id = Some(first());
        }
    }

    /// The warning about the ids replaced (`None`: none was), with their count and the first.
    pub fn replaced_ids_warning(&self) -> Option<String> {
        let first = self.first_replaced_id.as_ref()?;
        Some(format!(
            "{} document(s) indexed under an id derived from their file and line or row, since \
             their id field held no id (not a string or number, an empty string, or longer than {} \
             bytes); the first: {first}",
            self.replaced_ids,
            super::document::MAX_ID_BYTES
        ))
    }

    /// Documents indexed under a derived id because their id field held no usable id.
    pub fn replaced_ids(&self) -> u64 {
        self.replaced_ids
    }

    /// Total skipped.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Skips in file `file`.
    pub fn in_file(&self, file: usize) -> u64 {
        self.per_file.get(&file).copied().unwrap_or(0)
    }

    /// Counts by reason key.
    pub fn by_reason(&self) -> BTreeMap<String, u64> {
        self.counts
            .iter()
            .map(|(r, c)| (r.key().to_string(), *c))
            .collect()
    }

    /// The first messages.
    pub fn examples(&self) -> &[String] {
        &self.examples
    }
}
