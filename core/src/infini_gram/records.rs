//! Document records of an infini-gram index: its `metadata.N` lines as verbatim's
//! [`DocRecord`], and the rule that gives each document its external id.
//!
//! infini-gram's indexer writes one JSON line per document,
//! `{"path": FILE, "linenum": LINE, "metadata": {every field but "text"}}`. The record keeps
//! `source` from the metadata, and every other metadata field plus `path` and `linenum` as
//! metadata. The id depends on the [`IdRule`] the index was attached with.

use crate::error::{Error, Result};
use crate::shard::DocRecord;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How the documents of an infini-gram index get their external ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdRule {
    /// The corpus's own `id` field (chosen by `verbatim attach` when every document has one
    /// and no two are equal).
    MetadataId,
    /// `FILE:LINE` from infini-gram's `path` and `linenum` (when ids are missing or repeat).
    PathLine,
    /// `#N`, the global document number (no metadata, or no side directory: an index served
    /// bare has no id map, and `#N` needs none).
    DocNumber,
}

/// The metadata line of a document as infini-gram writes it.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    linenum: Option<serde_json::Value>,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

/// The `#N` id of global document `doc_no`.
pub fn number_id(doc_no: u64) -> String {
    format!("#{doc_no}")
}

/// The global document number of a `#N` id.
pub fn parse_number_id(id: &str) -> Option<u64> {
    let n = id.strip_prefix('#')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return None;
    }
    n.parse().ok()
}

/// The id a metadata line gives under `rule` (`None` when the line lacks what the rule needs).
pub fn id_of(raw: &[u8], rule: IdRule, doc_no: u64) -> Option<String> {
    if rule == IdRule::DocNumber {
        return Some(number_id(doc_no));
    }
    let line: Line = serde_json::from_slice(raw).ok()?;
    match rule {
        IdRule::MetadataId => match line.metadata.get("id")? {
            serde_json::Value::String(s) => Some(s.clone()),
            v @ serde_json::Value::Number(_) => Some(v.to_string()),
            _ => None,
        },
        IdRule::PathLine => Some(format!(
            "{}:{}",
            line.path?,
            line.linenum.map(|v| v.to_string())?
        )),
        IdRule::DocNumber => unreachable!("handled above"),
    }
}

/// The record of document `doc_no` from its metadata line `raw` (empty without metadata).
pub fn record(raw: &[u8], rule: IdRule, doc_no: u64, path: &Path) -> Result<DocRecord> {
    if raw.is_empty() {
        return Ok(DocRecord {
            id: number_id(doc_no),
            source: None,
            metadata: serde_json::Map::new(),
            text_bytes: 0,
        });
    }
    let bad = |detail: String| Error::InfiniGram {
        path: path.to_path_buf(),
        detail,
    };
    let line: Line = serde_json::from_slice(raw)
        .map_err(|e| bad(format!("metadata of document {doc_no} does not parse: {e}")))?;
    let id = id_of(raw, rule, doc_no).ok_or_else(|| {
        bad(format!(
            "document {doc_no} has no id under the rule {rule:?}"
        ))
    })?;
    let mut metadata = line.metadata;
    let source = match metadata.remove("source") {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => {
            metadata.insert("source".into(), other);
            None
        }
        None => None,
    };
    if rule == IdRule::MetadataId {
        metadata.remove("id");
    }
    if let Some(p) = line.path {
        metadata.entry("path").or_insert(p.into());
    }
    if let Some(l) = line.linenum {
        metadata.entry("linenum").or_insert(l);
    }
    Ok(DocRecord {
        id,
        source,
        metadata,
        text_bytes: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_infini_gram_metadata_lines() {
        let raw = br#"{"path": "a.jsonl", "linenum": 3, "metadata": {"id": "d-3", "source": "web", "title": "T"}}
"#;
        let p = Path::new("metadata.0");
        let r = record(raw, IdRule::MetadataId, 7, p).unwrap();
        assert_eq!(r.id, "d-3");
        assert_eq!(r.source.as_deref(), Some("web"));
        assert_eq!(r.metadata["title"], "T");
        assert_eq!(r.metadata["path"], "a.jsonl");
        assert_eq!(r.metadata["linenum"], 3);
        assert_eq!(record(raw, IdRule::PathLine, 7, p).unwrap().id, "a.jsonl:3");
        assert_eq!(record(raw, IdRule::DocNumber, 7, p).unwrap().id, "#7");
        assert_eq!(record(b"", IdRule::MetadataId, 7, p).unwrap().id, "#7");
        assert!(record(b"{not json", IdRule::MetadataId, 7, p).is_err());
        assert_eq!(parse_number_id("#12"), Some(12));
        assert_eq!(parse_number_id("#012"), None);
        assert_eq!(parse_number_id("12"), None);
    }
}
