//! The full-text side index (tantivy): BM25 keyword search and corpus-level BM25 statistics.
//!
//! One tantivy document per corpus document: `doc_no` (global document number, fast field),
//! `id` and `source` (stored strings), `meta` (stored JSON text) and `text` (indexed with
//! frequencies and positions, not stored: text is always decoded from the token stream).

use crate::error::{Error, Result};
use std::path::Path;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, Value, FAST, INDEXED, STORED, STRING, TEXT,
};
use tantivy::{DocAddress, DocId, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

/// Directory of the full-text index inside an index directory.
pub const FULLTEXT_DIR: &str = "fulltext";

/// The fields of the full-text schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Global document number.
    pub doc_no: Field,
    /// External id.
    pub id: Field,
    /// Source name.
    pub source: Field,
    /// Metadata JSON.
    pub meta: Field,
    /// Document text (indexed only).
    pub text: Field,
}

/// Builds the schema; the indexer and the reader both call this.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let doc_no = b.add_u64_field("doc_no", FAST | INDEXED | STORED);
    let id = b.add_text_field("id", STRING | STORED);
    let source = b.add_text_field("source", STRING | STORED);
    let meta = b.add_text_field("meta", STORED);
    let text = b.add_text_field("text", TEXT);
    (
        b.build(),
        Fields {
            doc_no,
            id,
            source,
            meta,
            text,
        },
    )
}

/// An open full-text index.
pub struct FullText {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// tantivy address of every global document number.
    addresses: Vec<DocAddress>,
}

/// One keyword-search hit.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Global document number.
    pub doc_no: u64,
    /// BM25 score.
    pub score: f32,
}

fn ft_err(e: impl std::fmt::Display) -> Error {
    Error::FullText(e.to_string())
}

impl FullText {
    /// Opens `INDEX/fulltext`, mapping every document number to its tantivy address.
    pub fn open(dir: &Path, documents: u64) -> Result<FullText> {
        let index = Index::open_in_dir(dir).map_err(|e| Error::Corrupt {
            path: dir.to_path_buf(),
            detail: format!("full-text index does not open: {e}"),
        })?;
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(ft_err)?;
        let searcher = reader.searcher();
        let mut addresses = vec![DocAddress::new(u32::MAX, 0); documents as usize];
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let col = seg.fast_fields().u64("doc_no").map_err(ft_err)?;
            for doc in 0..seg.max_doc() {
                if let Some(no) = col.first(doc) {
                    if let Some(slot) = addresses.get_mut(no as usize) {
                        *slot = DocAddress::new(ord as u32, doc);
                    }
                }
            }
        }
        if addresses.iter().any(|a| a.segment_ord == u32::MAX) {
            return Err(Error::Corrupt {
                path: dir.to_path_buf(),
                detail: "full-text index lacks some documents".into(),
            });
        }
        Ok(FullText {
            index,
            reader,
            fields,
            addresses,
        })
    }

    /// Checks every tantivy file's checksum.
    pub fn verify(&self, dir: &Path) -> Result<()> {
        let bad = self.index.validate_checksum().map_err(ft_err)?;
        if let Some(p) = bad.iter().next() {
            return Err(Error::Corrupt {
                path: dir.join(p),
                detail: "full-text index file checksum mismatch".into(),
            });
        }
        Ok(())
    }

    /// BM25 keyword search over the document text.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let searcher = self.reader.searcher();
        let mut parser = QueryParser::for_index(&self.index, vec![self.fields.text]);
        parser.set_conjunction_by_default();
        let (q, _errors) = parser.parse_query_lenient(query);
        let top = searcher
            .search(&q, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(ft_err)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(ft_err)?;
            if let Some(no) = doc.get_first(self.fields.doc_no).and_then(|v| v.as_u64()) {
                hits.push(SearchHit { doc_no: no, score });
            }
        }
        Ok(hits)
    }

    /// BM25 score of each of `doc_nos` against `query_text` (terms from the index's own text
    /// analyzer; statistics from the whole corpus). Documents that match no term score 0.
    pub fn bm25_scores(&self, query_text: &str, doc_nos: &[u64]) -> Result<Vec<f32>> {
        let searcher = self.reader.searcher();
        let mut analyzer = self
            .index
            .tokenizer_for_field(self.fields.text)
            .map_err(ft_err)?;
        let mut terms = Vec::new();
        let mut stream = analyzer.token_stream(query_text);
        while let Some(tok) = stream.next() {
            terms.push(tok.text.clone());
        }
        terms.sort();
        terms.dedup();
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let term = Term::from_field_text(self.fields.text, t);
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        let mut scores = vec![0f32; doc_nos.len()];
        if clauses.is_empty() {
            return Ok(scores);
        }
        let query = BooleanQuery::new(clauses);
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .map_err(ft_err)?;
        // Visit the wanted documents segment by segment in ascending doc id, seeking forward.
        let mut order: Vec<(DocAddress, usize)> = doc_nos
            .iter()
            .enumerate()
            .filter_map(|(i, &no)| self.addresses.get(no as usize).map(|a| (*a, i)))
            .collect();
        order.sort_by_key(|(a, _)| (a.segment_ord, a.doc_id));
        let mut k = 0;
        while k < order.len() {
            let seg = order[k].0.segment_ord;
            let reader = searcher.segment_reader(seg);
            let mut scorer = weight.scorer(reader, 1.0).map_err(ft_err)?;
            while k < order.len() && order[k].0.segment_ord == seg {
                let target: DocId = order[k].0.doc_id;
                let mut cur = scorer.doc();
                if cur < target {
                    cur = scorer.seek(target);
                }
                if cur == target {
                    scores[order[k].1] = scorer.score();
                }
                k += 1;
            }
        }
        Ok(scores)
    }
}
