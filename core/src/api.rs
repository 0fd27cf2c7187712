//! The JSON shapes of query results, shared by `verbatim ... --json` and the HTTP API so the
//! two always agree. Offsets are given in UTF-8 bytes and in UTF-16 code units (what
//! JavaScript strings index by).

use crate::index::Index;
use crate::query::{DocumentView, Relevance, Snippet, Span, Trace};
use crate::sources::SourceStats;
use serde::Serialize;

/// Byte offset → UTF-16 offset of a text.
pub struct Utf16Map {
    at_byte: Vec<u32>,
}

impl Utf16Map {
    /// Builds the map of `text`.
    pub fn new(text: &str) -> Utf16Map {
        let mut at_byte = vec![0u32; text.len() + 1];
        let mut u = 0u32;
        for (b, c) in text.char_indices() {
            for k in 0..c.len_utf8() {
                at_byte[b + k] = u;
            }
            u += c.len_utf16() as u32;
        }
        at_byte[text.len()] = u;
        Utf16Map { at_byte }
    }

    /// UTF-16 offset of byte offset `b` (clamped to the text).
    pub fn get(&self, b: usize) -> u32 {
        self.at_byte[b.min(self.at_byte.len() - 1)]
    }
}

/// A span as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct SpanJson {
    /// Index of the span in the response.
    pub id: usize,
    /// Byte range in the input.
    pub byte_start: usize,
    /// End of the byte range.
    pub byte_end: usize,
    /// UTF-16 range in the input.
    pub utf16_start: u32,
    /// End of the UTF-16 range.
    pub utf16_end: u32,
    /// Token range in the input's tokenization.
    pub token_start: usize,
    /// End of the token range.
    pub token_end: usize,
    /// The span text.
    pub text: String,
    /// Exact occurrences in the corpus.
    pub count: u64,
    /// Relevance of its best document (trace only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevance: Option<Relevance>,
    /// Sum of log unigram probabilities (trace only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unigram_logprob: Option<f64>,
    /// External ids of its documents (trace only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_ids: Option<Vec<String>>,
}

impl SpanJson {
    fn from_span(id: usize, s: &Span, map: &Utf16Map) -> SpanJson {
        SpanJson {
            id,
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            utf16_start: map.get(s.byte_start),
            utf16_end: map.get(s.byte_end),
            token_start: s.token_start,
            token_end: s.token_end,
            text: s.text.clone(),
            count: s.count,
            relevance: None,
            unigram_logprob: None,
            document_ids: None,
        }
    }
}

/// Response of a span lookup.
#[derive(Debug, Clone, Serialize)]
pub struct SpansJson {
    /// Index name.
    pub index: String,
    /// Tokens in the input.
    pub tokens: usize,
    /// All maximal spans.
    pub spans: Vec<SpanJson>,
}

impl SpansJson {
    /// Builds the response for `spans` of `text`.
    pub fn new(index: &Index, text: &str, tokens: usize, spans: &[Span]) -> SpansJson {
        let map = Utf16Map::new(text);
        SpansJson {
            index: index.manifest().name.clone(),
            tokens,
            spans: spans
                .iter()
                .enumerate()
                .map(|(i, s)| SpanJson::from_span(i, s, &map))
                .collect(),
        }
    }
}

/// Response of a count: occurrences of a token sequence, and the sequence.
#[derive(Debug, Clone, Serialize)]
pub struct CountJson {
    /// Exact occurrences in the corpus.
    pub count: u64,
    /// The token ids counted (the text's tokenization, or the ids given).
    pub token_ids: Vec<u32>,
}

impl CountJson {
    /// Counts `ids` in `index`.
    pub fn new(index: &Index, ids: Vec<u32>) -> CountJson {
        CountJson {
            count: index.count(&ids),
            token_ids: ids,
        }
    }
}

/// A UTF-16 range of a document's text (what the page marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Utf16Range {
    /// Start, UTF-16 code units.
    pub utf16_start: u32,
    /// End, UTF-16 code units.
    pub utf16_end: u32,
}

/// A document's text and record, as `verbatim doc --json` and `GET /api/v1/documents/{id}`
/// return it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentTextJson {
    /// External id.
    pub id: String,
    /// Global document number.
    pub doc_no: u64,
    /// Source, if any.
    pub source: Option<String>,
    /// Other stored fields.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Tokens of the whole document.
    pub tokens: usize,
    /// Whether `text` was cut at the token limit.
    pub truncated: bool,
    /// The text.
    pub text: String,
    /// Occurrences of the highlight text in `text` (at most 1,000).
    pub highlights: Vec<Utf16Range>,
}

impl DocumentTextJson {
    /// The JSON of `doc`, marking every occurrence of `highlight` (if not empty).
    pub fn new(doc: DocumentView, highlight: Option<&str>) -> DocumentTextJson {
        let highlights = match highlight {
            Some(h) if !h.is_empty() => {
                let map = Utf16Map::new(&doc.text);
                doc.text
                    .match_indices(h)
                    .take(1000)
                    .map(|(b, m)| Utf16Range {
                        utf16_start: map.get(b),
                        utf16_end: map.get(b + m.len()),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        DocumentTextJson {
            id: doc.record.id,
            doc_no: doc.location.doc_no,
            source: doc.record.source,
            metadata: doc.record.metadata,
            tokens: doc.tokens,
            truncated: doc.truncated,
            text: doc.text,
            highlights,
        }
    }
}

/// A snippet as the API returns it: the span it was retrieved for, and the snippet.
#[derive(Debug, Clone, Serialize)]
pub struct SnippetJson {
    /// The span it was retrieved for.
    pub span_id: usize,
    /// The window (`before`, `match`, `after`).
    #[serde(flatten)]
    pub snippet: Snippet,
}

/// A traced document as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentJson {
    /// External id.
    pub id: String,
    /// Global document number.
    pub doc_no: u64,
    /// Source, if any.
    pub source: Option<String>,
    /// Other stored fields.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// BM25 against prompt + output.
    pub bm25: f64,
    /// Normalised relevance in [0, 1].
    pub relevance_score: f64,
    /// Relevance bucket.
    pub relevance: Relevance,
    /// Spans it was retrieved for.
    pub span_ids: Vec<usize>,
    /// One snippet per span.
    pub snippets: Vec<SnippetJson>,
    /// Full text, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Merged display span.
#[derive(Debug, Clone, Serialize)]
pub struct DisplaySpanJson {
    /// Byte range in the output.
    pub byte_start: usize,
    /// End of the byte range.
    pub byte_end: usize,
    /// UTF-16 range in the output.
    pub utf16_start: u32,
    /// End of the UTF-16 range.
    pub utf16_end: u32,
    /// Merged spans.
    pub span_ids: Vec<usize>,
    /// Best relevance.
    pub relevance: Relevance,
}

/// Response of a trace.
#[derive(Debug, Clone, Serialize)]
pub struct TraceJson {
    /// Index name.
    pub index: String,
    /// Tokens in the output.
    pub tokens: usize,
    /// Maximal spans before the density cap.
    pub candidate_spans: usize,
    /// Kept spans by position.
    pub spans: Vec<SpanJson>,
    /// Spans merged for display.
    pub display_spans: Vec<DisplaySpanJson>,
    /// Documents, most relevant first.
    pub documents: Vec<DocumentJson>,
    /// Stage timings in milliseconds.
    pub timing_ms: crate::query::TraceTiming,
}

impl TraceJson {
    /// Builds the response for a trace of `response`.
    pub fn new(index: &Index, response: &str, trace: &Trace) -> TraceJson {
        let map = Utf16Map::new(response);
        let spans = trace
            .spans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut j = SpanJson::from_span(i, &s.span, &map);
                j.relevance = Some(s.relevance);
                j.unigram_logprob = Some(s.unigram_logprob);
                j.document_ids = Some(
                    s.documents
                        .iter()
                        .map(|&d| trace.documents[d].record.id.clone())
                        .collect(),
                );
                j
            })
            .collect();
        let documents = trace
            .documents
            .iter()
            .map(|d| {
                let mut span_ids: Vec<usize> = d.snippets.iter().map(|(s, _)| *s).collect();
                span_ids.dedup();
                DocumentJson {
                    id: d.record.id.clone(),
                    doc_no: d.location.doc_no,
                    source: d.record.source.clone(),
                    metadata: d.record.metadata.clone(),
                    bm25: d.bm25,
                    relevance_score: d.relevance_score,
                    relevance: d.relevance,
                    span_ids,
                    snippets: d
                        .snippets
                        .iter()
                        .map(|(s, sn)| SnippetJson {
                            span_id: *s,
                            snippet: sn.clone(),
                        })
                        .collect(),
                    text: d.full_text.clone(),
                }
            })
            .collect();
        let display_spans = trace
            .display_spans
            .iter()
            .map(|d| DisplaySpanJson {
                byte_start: d.byte_start,
                byte_end: d.byte_end,
                utf16_start: map.get(d.byte_start),
                utf16_end: map.get(d.byte_end),
                span_ids: d.span_ids.clone(),
                relevance: d.relevance,
            })
            .collect();
        TraceJson {
            index: index.manifest().name.clone(),
            tokens: trace.tokens,
            candidate_spans: trace.candidate_spans,
            spans,
            display_spans,
            documents,
            timing_ms: trace.timing.clone(),
        }
    }
}

/// Summary of an index as `stats` and `GET /api/v1/indexes` show it.
#[derive(Debug, Clone, Serialize)]
pub struct IndexInfoJson {
    /// Index name.
    pub name: String,
    /// Tokenizer file name (or `bytes`).
    pub tokenizer: String,
    /// The tokenizer's model family (`OLMo (GPT-NeoX)`, `GPT-2`, or its shape).
    pub tokenizer_family: String,
    /// sha256 of the tokenizer.
    pub tokenizer_sha256: String,
    /// Bytes per token.
    pub token_width: u32,
    /// Number of shards.
    pub shards: usize,
    /// Tokens (separators included).
    pub tokens: u64,
    /// Documents.
    pub documents: u64,
    /// Documents taken down.
    pub taken_down: u64,
    /// Unix time of the build, in seconds.
    pub built_at: u64,
    /// Whether BM25 keyword search is available.
    pub fulltext: bool,
    /// Document sources.
    pub sources: Vec<String>,
    /// Documents and tokens of each source.
    pub source_stats: Vec<SourceStats>,
}

impl IndexInfoJson {
    /// Summarises `index`, with its per-source counts (from [`crate::sources::source_stats`],
    /// which callers compute once: it reads the whole document table).
    pub fn new(index: &Index, source_stats: Vec<SourceStats>) -> IndexInfoJson {
        let m = index.manifest();
        IndexInfoJson {
            name: m.name.clone(),
            tokenizer: match &m.tokenizer.source_path {
                Some(p) => std::path::Path::new(p)
                    .file_name()
                    .map_or_else(|| p.clone(), |n| n.to_string_lossy().into_owned()),
                None => m.tokenizer.kind.clone(),
            },
            tokenizer_family: index.tokenizer().family(),
            tokenizer_sha256: m.tokenizer.sha256.clone(),
            token_width: m.tokenizer.width.bytes(),
            shards: m.shards.len(),
            tokens: m.tokens,
            documents: m.documents,
            taken_down: index.taken_down_count(),
            built_at: m.created_unix,
            fulltext: index.fulltext().is_some(),
            sources: m.sources.clone(),
            source_stats,
        }
    }
}
