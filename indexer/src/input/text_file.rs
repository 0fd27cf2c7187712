//! Plain-text files: one document per file, the path as its id.

use super::jsonl::file_label;
use super::{Document, IdOrigin, InputFile, JsonlReader, SkipReason, Skips};
use crate::error::{Context, Result};
use std::io::Read;

/// Reads one plain-text document from `reader`.
pub fn read_text_file(
    opts: &JsonlReader<'_>,
    file_no: usize,
    file: &InputFile,
    reader: &mut impl Read,
    skips: &mut Skips,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    let mut bytes = Vec::new();
    reader
        .take(opts.max_document_bytes + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", file.path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if (e.as_bytes().len() as u64) > opts.max_document_bytes => {
            let detail = format!(
                "file exceeds --max-document-bytes {}",
                opts.max_document_bytes
            );
            return opts.skip_public(skips, SkipReason::DocumentTooLarge, file_no, file, &detail);
        }
        Err(e) => {
            let detail = e.utf8_error().to_string();
            return opts.skip_public(skips, SkipReason::InvalidUtf8, file_no, file, &detail);
        }
    };
    if let Err((reason, detail)) = opts.check_text(&text) {
        return opts.skip_public(skips, reason, file_no, file, &detail);
    }
    sink(Document {
        id: file_label(file),
        source: None,
        metadata: serde_json::Map::new(),
        text,
        file: file_no,
        line: 1,
        id_origin: IdOrigin::FilePath,
    })
}
