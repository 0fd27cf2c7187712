//! Documents and tokens per source (the `source` field of each document), read from
//! `sources.bin`: what a reader needs to know which corpus a trace runs against.

use crate::error::{Error, Result};
use crate::format::{FileKind, MappedFile};
use crate::index::{files, Index};
use roaring::RoaringBitmap;
use serde::Serialize;

/// One source of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStats {
    /// The source name; documents without a source are counted under `null`.
    pub name: Option<String>,
    /// Documents from it.
    pub documents: u64,
    /// Tokens of those documents (separators excluded).
    pub tokens: u64,
}

/// Parses the payload of `sources.bin` into (name, documents) pairs.
fn parse(path: &std::path::Path, mut p: &[u8]) -> Result<Vec<(String, RoaringBitmap)>> {
    let corrupt = |detail: &str| Error::Corrupt {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let take = |n: usize, p: &mut &[u8]| -> Result<Vec<u8>> {
        if p.len() < n {
            return Err(corrupt("truncated source table"));
        }
        let (a, b) = p.split_at(n);
        *p = b;
        Ok(a.to_vec())
    };
    let count = u32::from_le_bytes(take(4, &mut p)?.try_into().unwrap_or_default());
    let mut out = Vec::new();
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4, &mut p)?.try_into().unwrap_or_default()) as usize;
        let name = String::from_utf8(take(len, &mut p)?)
            .map_err(|_| corrupt("a source name is not UTF-8"))?;
        let blen = u64::from_le_bytes(take(8, &mut p)?.try_into().unwrap_or_default());
        let bytes = take(usize::try_from(blen).unwrap_or(usize::MAX), &mut p)?;
        let bitmap = RoaringBitmap::deserialize_from(bytes.as_slice())
            .map_err(|e| corrupt(&format!("a source bitmap does not parse: {e}")))?;
        out.push((name, bitmap));
    }
    Ok(out)
}

/// Documents and tokens of every source of `index`, in `sources.bin` order, then the
/// documents without a source (if any). One pass over the document table: O(documents).
pub fn source_stats(index: &Index) -> Result<Vec<SourceStats>> {
    let path = index.dir().join(files::SOURCES);
    let file = MappedFile::open(&path, FileKind::Sources)?;
    file.expect_build(index.build_id())?;
    let sources = parse(&path, file.payload())?;
    let doc_tokens = |doc_no: u64| {
        index.locate(doc_no).map_or(0, |loc| {
            index.shards()[loc.shard].doc_range(loc.local).len() as u64
        })
    };
    let mut out = Vec::with_capacity(sources.len() + 1);
    let (mut docs, mut tokens) = (0u64, 0u64);
    for (name, bitmap) in sources {
        let t: u64 = bitmap.iter().map(|d| doc_tokens(u64::from(d))).sum();
        docs += bitmap.len();
        tokens += t;
        out.push(SourceStats {
            name: Some(name),
            documents: bitmap.len(),
            tokens: t,
        });
    }
    let m = index.manifest();
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
