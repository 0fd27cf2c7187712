//! `sources.bin`: the set of documents of each source (the corpus records' `source` field),
//! and the per-source counts an index summary shows.
//!
//! Payload: `u32 count`, then per source, in name order: `u32 name_len`, the name (UTF-8),
//! `u64 bitmap_len`, a roaring bitmap (portable serialization) of global document numbers.

use crate::error::{Error, Result};
use roaring::RoaringBitmap;
use std::collections::BTreeMap;
use std::path::Path;

/// Documents per source name.
pub type SourceSets = BTreeMap<String, RoaringBitmap>;

/// Encodes the payload of `sources.bin`.
pub fn encode(sources: &SourceSets) -> Vec<u8> {
    let mut payload = Vec::new();
    payload.extend_from_slice(&(sources.len() as u32).to_le_bytes());
    for (name, bitmap) in sources {
        payload.extend_from_slice(&(name.len() as u32).to_le_bytes());
        payload.extend_from_slice(name.as_bytes());
        payload.extend_from_slice(&(bitmap.serialized_size() as u64).to_le_bytes());
        bitmap
            .serialize_into(&mut payload)
            .expect("writing to a Vec cannot fail");
    }
    payload
}

/// Decodes the payload of `sources.bin` read from `path` (named in errors).
pub fn decode(payload: &[u8], path: &Path) -> Result<SourceSets> {
    let corrupt = |detail: String| Error::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let end = at
            .checked_add(n)
            .filter(|&e| e <= payload.len())
            .ok_or_else(|| corrupt(format!("truncated at byte {at}")))?;
        let s = &payload[at..end];
        at = end;
        Ok(s)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    let mut out = SourceSets::new();
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let name = std::str::from_utf8(take(len)?)
            .map_err(|_| corrupt("a source name is not UTF-8".into()))?
            .to_string();
        let blen = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
        let blen = usize::try_from(blen).map_err(|_| corrupt("bitmap length overflows".into()))?;
        let bitmap = RoaringBitmap::deserialize_from(take(blen)?)
            .map_err(|e| corrupt(format!("bitmap of source {name:?} does not parse: {e}")))?;
        out.insert(name, bitmap);
    }
    Ok(out)
}

/// One source of an index, as the index summary shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceStats {
    /// The source name; documents without a source are counted under `null`.
    pub name: Option<String>,
    /// Documents from it.
    pub documents: u64,
    /// Tokens of those documents (separators excluded).
    pub tokens: u64,
}

/// Documents and tokens of every source of `index`, in name order, then the documents
/// without a source (if any). From the manifest's `source_stats` (recorded at build time);
/// for indexes built before those were recorded, counted from `sources.bin` and the document
/// table in one pass, O(documents).
pub fn source_stats(index: &crate::index::Index) -> Result<Vec<SourceStats>> {
    let m = index.manifest();
    let mut out: Vec<SourceStats> = Vec::new();
    if !m.source_stats.is_empty() || m.sources.is_empty() {
        for (name, s) in &m.source_stats {
            out.push(SourceStats {
                name: Some(name.clone()),
                documents: s.documents,
                tokens: s.tokens,
            });
        }
    } else {
        let doc_tokens = |doc_no: u64| {
            index.locate(doc_no).map_or(0, |loc| {
                index.shards()[loc.shard].doc_range(loc.local).len() as u64
            })
        };
        for (name, bitmap) in index.source_documents()? {
            out.push(SourceStats {
                name: Some(name),
                documents: bitmap.len(),
                tokens: bitmap.iter().map(|d| doc_tokens(u64::from(d))).sum(),
            });
        }
    }
    let docs: u64 = out.iter().map(|s| s.documents).sum();
    let tokens: u64 = out.iter().map(|s| s.tokens).sum();
    let rest_docs = m.documents.saturating_sub(docs);
    if rest_docs > 0 {
        let all_tokens = m.tokens.saturating_sub(m.documents);
        out.push(SourceStats {
            name: None,
            documents: rest_docs,
            tokens: all_tokens.saturating_sub(tokens),
        });
    }
    Ok(out)
}

/// The sources every document of which is taken down: their names are document metadata, so
/// an index summary leaves them out (their documents still count in the totals, as every
/// count includes taken-down documents). `None` when the index has takedowns but its
/// source table cannot be read: then no source name can be shown safely.
pub fn sources_taken_down(
    index: &crate::index::Index,
) -> Option<std::collections::BTreeSet<String>> {
    if index.taken_down_count() == 0 {
        return Some(Default::default());
    }
    let sets = index.source_documents().ok()?;
    // Set against set, container by container: O(documents / 65,536) per source, not one
    // lookup per document.
    let down = index.taken_down_docs()?;
    Some(
        sets.into_iter()
            .filter(|(_, docs)| !docs.is_empty() && docs.is_subset(&down))
            .map(|(name, _)| name)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_truncation_is_an_error() {
        let mut s = SourceSets::new();
        s.insert("books".into(), (0..10).collect());
        s.insert("wiki".into(), [3u32, 99, 100_000].into_iter().collect());
        let bytes = encode(&s);
        assert_eq!(decode(&bytes, Path::new("x")).unwrap(), s);
        for cut in [0, 3, 9, bytes.len() - 1] {
            assert!(decode(&bytes[..cut], Path::new("x")).is_err(), "cut {cut}");
        }
    }
}
