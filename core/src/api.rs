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
    /// Its token ids (to mark its occurrences in a document: `GET /api/v1/documents?marks=`).
    pub token_ids: Vec<u32>,
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
    /// Occurrences in each index of a group, in member order (groups only; they add up to
    /// `count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_counts: Option<Vec<StageCount>>,
    /// Why a traced span that occurs in the corpus shows no document (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents_withheld: Option<Withheld>,
}

/// Why a traced span shows no document although it occurs in the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// Every document holding it is taken down.
    TakenDown,
    /// The privacy filter (`drop`) left out every document shown for it.
    PersonalData,
}

/// Occurrences of a span in one index of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCount {
    /// The member index's name.
    pub index: String,
    /// The group's label for it.
    pub stage: String,
    /// Occurrences in it.
    pub count: u64,
}

/// One index of a group, as answers list them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageJson {
    /// The member index's name.
    pub index: String,
    /// The group's label for it.
    pub stage: String,
    /// Global number of its first document in the group.
    pub first_doc: u64,
    /// Its documents.
    pub documents: u64,
    /// Documents of it shown in this answer (traces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_documents: Option<usize>,
}

/// The stages of `index` (empty for a built index).
pub fn stages(index: &Index) -> Vec<StageJson> {
    index
        .members()
        .iter()
        .map(|m| StageJson {
            index: m.name().to_string(),
            stage: m.label().to_string(),
            first_doc: m.first_doc(),
            documents: m.index().manifest().documents,
            shown_documents: None,
        })
        .collect()
}

fn stage_counts(index: &Index, s: &Span) -> Option<Vec<StageCount>> {
    if index.members().is_empty() {
        return None;
    }
    Some(
        index
            .members()
            .iter()
            .zip(index.counts_by_member(&s.occurrences))
            .map(|(m, count)| StageCount {
                index: m.name().to_string(),
                stage: m.label().to_string(),
                count,
            })
            .collect(),
    )
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
            token_ids: s.token_ids.clone(),
            count: s.count,
            relevance: None,
            unigram_logprob: None,
            document_ids: None,
            stage_counts: None,
            documents_withheld: None,
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
    /// The indexes of a group, in order (absent for one index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageJson>,
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
                .map(|(i, s)| {
                    let mut j = SpanJson::from_span(i, s, &map);
                    j.stage_counts = stage_counts(index, s);
                    j
                })
                .collect(),
            stages: stages(index),
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
    /// Occurrences in each index of a group (absent for one index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_counts: Option<Vec<StageCount>>,
}

impl CountJson {
    /// Counts `ids` in `index`.
    pub fn new(index: &Index, ids: Vec<u32>) -> CountJson {
        let occ = index.find(&ids);
        let stage_counts = (!index.members().is_empty()).then(|| {
            index
                .members()
                .iter()
                .zip(index.counts_by_member(&occ))
                .map(|(m, count)| StageCount {
                    index: m.name().to_string(),
                    stage: m.label().to_string(),
                    count,
                })
                .collect()
        });
        CountJson {
            count: occ.count(),
            token_ids: ids,
            stage_counts,
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
    /// Occurrences of the token sequences asked for (`marks`) in `text`, by position (at most
    /// [`crate::query::MAX_MARKS`]); absent when none were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marks: Option<Vec<MarkJson>>,
    /// Personal-data items masked in `text`, by kind (absent when none).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub pii_masked: std::collections::BTreeMap<crate::pii::PiiKind, usize>,
}

/// Where one of the token sequences a document was asked to mark occurs in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MarkJson {
    /// Which sequence (its place in the list asked for).
    pub mark: usize,
    /// Start, UTF-16 code units into `text`.
    pub utf16_start: u32,
    /// End, UTF-16 code units.
    pub utf16_end: u32,
}

impl DocumentTextJson {
    /// [`DocumentTextJson::filtered`] of a document with marks: its runs are masked as parts
    /// of one text (an item is masked whole, its marker in the first marked run it reaches,
    /// else where it starts), so every mark keeps its place in the text shown, and a mark
    /// inside an item marks the item's marker.
    pub fn filtered_marked(
        doc: crate::query::MarkedDocument,
        highlight: Option<&str>,
        pii: crate::pii::PiiMode,
    ) -> Option<DocumentTextJson> {
        let crate::query::MarkedDocument {
            mut view,
            mut runs,
            marks,
        } = doc;
        let margins = std::mem::take(&mut view.margins);
        let highlighted = crate::query::marked_runs(runs.len(), &marks);
        let mut parts: Vec<&mut String> = runs.iter_mut().collect();
        let masked = crate::pii::filter_parts_within(&margins, &mut parts, &highlighted, pii)?;
        let mut at_run = Vec::with_capacity(runs.len() + 1);
        let mut u = 0u32;
        at_run.push(u);
        for r in &runs {
            u += r.encode_utf16().count() as u32;
            at_run.push(u);
        }
        view.text = runs.concat();
        let mut j = DocumentTextJson::new(view, highlight);
        j.pii_masked = masked;
        // A mark whose runs an item emptied (its marker is in an earlier mark) is left out.
        j.marks = Some(
            marks
                .iter()
                .map(|m| MarkJson {
                    mark: m.sequence,
                    utf16_start: at_run[m.first_run],
                    utf16_end: at_run[m.end_run],
                })
                .filter(|m| m.utf16_start < m.utf16_end)
                .collect(),
        );
        Some(j)
    }

    /// The JSON of `doc` under the privacy filter `pii` (`None` in `drop` mode when its text
    /// holds an item), marking every occurrence of `highlight` (if not empty).
    pub fn filtered(
        mut doc: DocumentView,
        highlight: Option<&str>,
        pii: crate::pii::PiiMode,
    ) -> Option<DocumentTextJson> {
        let margins = std::mem::take(&mut doc.margins);
        let masked = crate::pii::filter_parts_within(
            &margins,
            &mut [&mut doc.text],
            crate::pii::NOT_HIGHLIGHTED,
            pii,
        )?;
        let mut j = DocumentTextJson::new(doc, highlight);
        j.pii_masked = masked;
        Some(j)
    }

    /// The JSON of `doc` as stored (no privacy filter), marking every occurrence of
    /// `highlight` (if not empty).
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
            marks: None,
            pii_masked: Default::default(),
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
    /// External id (unique within its index).
    pub id: String,
    /// Global document number (in a group: counted over the members in order).
    pub doc_no: u64,
    /// The index holding it (in a group: the member; fetch the document from it).
    pub index: String,
    /// The group's label for that index (groups only), e.g. "pre-training".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Personal-data items masked in its shown text, by kind (absent when none).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub pii_masked: std::collections::BTreeMap<crate::pii::PiiKind, usize>,
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
    /// The long-view window of each snippet, when asked for (`long_view`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_snippets: Option<Vec<SnippetJson>>,
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
    /// Every control the trace ran with, resolved (send them back to reproduce it).
    pub options: crate::query::ControlsJson,
    /// The indexes of a group, in order, with the documents shown from each (absent for one
    /// index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageJson>,
    /// The privacy filter applied to the shown text (`mask`, `drop` or `off`).
    pub pii: crate::pii::PiiMode,
    /// Documents left out by the privacy filter (`drop` mode).
    pub pii_dropped_documents: usize,
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
                j.documents_withheld = s.taken_down_only.then_some(Withheld::TakenDown);
                j.unigram_logprob = Some(s.unigram_logprob);
                j.document_ids = Some(
                    s.documents
                        .iter()
                        .map(|&d| trace.documents[d].record.id.clone())
                        .collect(),
                );
                j.stage_counts = stage_counts(index, &s.span);
                j
            })
            .collect();
        let documents = trace
            .documents
            .iter()
            .map(|d| {
                let mut span_ids: Vec<usize> = d.snippets.iter().map(|(s, _)| *s).collect();
                span_ids.dedup();
                let member = index.member_of(d.location.doc_no);
                DocumentJson {
                    id: d.record.id.clone(),
                    doc_no: d.location.doc_no,
                    index: member
                        .map_or_else(|| index.manifest().name.clone(), |m| m.name().to_string()),
                    stage: member.map(|m| m.label().to_string()),
                    pii_masked: Default::default(),
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
                    long_snippets: d.long_snippets.as_ref().map(|l| {
                        d.snippets
                            .iter()
                            .zip(l)
                            .map(|((s, _), sn)| SnippetJson {
                                span_id: *s,
                                snippet: sn.clone(),
                            })
                            .collect()
                    }),
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
            options: crate::query::ControlsJson::new(index, &trace.options),
            stages: Vec::new(),
            pii: crate::pii::PiiMode::Off,
            pii_dropped_documents: 0,
        }
        .with_stages(index)
    }

    fn with_stages(mut self, index: &Index) -> TraceJson {
        self.stages = stages(index);
        self.count_shown();
        self
    }

    fn count_shown(&mut self) {
        for st in &mut self.stages {
            st.shown_documents = Some(
                self.documents
                    .iter()
                    .filter(|d| d.index == st.index)
                    .count(),
            );
        }
    }

    /// Applies the privacy filter to every shown text (snippets, long snippets, full texts):
    /// `mask` replaces each item by its kind's marker and counts them per document; `drop`
    /// leaves out every document holding one (and its id from the spans' lists). Spans and
    /// counts are not changed. `index` is the one that made the answer: each snippet is
    /// filtered with the document's text around it (an item cut by its edge is found).
    pub fn apply_pii(&mut self, index: &Index, mode: crate::pii::PiiMode) {
        use crate::pii::PiiMode;
        self.pii = mode;
        if mode == PiiMode::Off {
            return;
        }
        let mut keep = Vec::with_capacity(self.documents.len());
        for mut d in std::mem::take(&mut self.documents) {
            let mut found = Vec::new();
            for sn in d
                .snippets
                .iter_mut()
                .chain(d.long_snippets.iter_mut().flatten())
            {
                let s = &mut sn.snippet;
                let margins = index.snippet_margins(s);
                found.extend(crate::pii::mask_parts_within_items(
                    &margins,
                    &mut [&mut s.before, &mut s.matched, &mut s.after],
                    crate::pii::SNIPPET_MATCH,
                ));
            }
            if let Some(t) = &mut d.text {
                found.extend(crate::pii::mask_parts_within_items(
                    &index.no_margins(),
                    &mut [t],
                    crate::pii::NOT_HIGHLIGHTED,
                ));
            }
            if found.is_empty() {
                keep.push(d);
                continue;
            }
            if mode == PiiMode::Drop {
                self.pii_dropped_documents += 1;
                continue;
            }
            // An item shown in several windows (a snippet and its long view, spans near
            // each other) counts once.
            d.pii_masked = crate::pii::count_distinct_by_kind(&found);
            keep.push(d);
        }
        if mode == PiiMode::Drop {
            for s in &mut self.spans {
                // A span's ids, again from the documents kept that hold it: by document, not
                // by id, since in a group two members may share an id and only one of them be
                // dropped.
                if let Some(ids) = &mut s.document_ids {
                    let had = !ids.is_empty();
                    *ids = keep
                        .iter()
                        .filter(|d| d.span_ids.contains(&s.id))
                        .map(|d| d.id.clone())
                        .collect();
                    if had && ids.is_empty() {
                        s.documents_withheld = Some(Withheld::PersonalData);
                    }
                }
            }
        }
        self.documents = keep;
        self.count_shown();
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
    /// Appends and compactions since the first build (0 for a fresh build): a server
    /// serves the new generation as soon as it has opened it.
    pub generation: u64,
    /// Whether BM25 keyword search is available.
    pub fulltext: bool,
    /// Document sources, but those whose every document is taken down.
    pub sources: Vec<String>,
    /// Documents and tokens of each source, but those whose every document is taken down
    /// (whose name would be shown otherwise).
    pub source_stats: Vec<SourceStats>,
}

impl IndexInfoJson {
    /// Summarises `index`, with its per-source counts (from [`crate::sources::source_stats`],
    /// which callers compute once: it reads the whole document table).
    pub fn new(index: &Index, mut source_stats: Vec<SourceStats>) -> IndexInfoJson {
        let m = index.manifest();
        let mut sources = m.sources.clone();
        match crate::sources::sources_taken_down(index) {
            Some(down) if down.is_empty() => {}
            Some(down) => {
                sources.retain(|s| !down.contains(s));
                source_stats.retain(|s| s.name.as_ref().is_none_or(|n| !down.contains(n)));
            }
            // Takedowns, and no readable table of which document has which source.
            None => {
                sources.clear();
                source_stats.retain(|s| s.name.is_none());
            }
        }
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
            generation: m.generation,
            fulltext: index.fulltext().is_some(),
            sources,
            source_stats,
        }
    }
}

/// Keyword search as `POST /api/v1/search` answers it: `{"hits": [{"id", "doc_no", "source",
/// "metadata", "score", "snippet", "pii_masked"}], "warnings": [how the query was read where it
/// was not valid as written]}`, at most `limit` hits, taken-down
/// documents skipped, snippets under the privacy filter `pii` (`drop` leaves a hit holding
/// personal data out). `None` when the index has no full-text index.
pub fn search_json(
    index: &Index,
    query: &str,
    limit: usize,
    pii: crate::pii::PiiMode,
) -> crate::Result<Option<serde_json::Value>> {
    let Some(ft) = index.fulltext() else {
        return Ok(None);
    };
    // Hits are read in pages, each a few more than still wanted, until `limit` are kept or
    // the results end: however many of the best are skipped, the answer is still full.
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut offset = 0;
    while out.len() < limit {
        let want = (limit - out.len()).saturating_add(16);
        let page = ft.search(query, offset, want)?;
        warnings = page.warnings;
        offset += want;
        let last_page = page.hits.len() < want;
        for h in page.hits {
            if out.len() >= limit {
                break;
            }
            if index.is_taken_down(h.doc_no) {
                continue;
            }
            let Some(loc) = index.locate(h.doc_no) else {
                continue;
            };
            let rec = index.doc_record(loc)?;
            let excerpt = index.keyword_snippet(loc, query, 30);
            let mut snippet = excerpt.text;
            let Some(masked) = crate::pii::filter_parts_within(
                &excerpt.margins,
                &mut [&mut snippet],
                crate::pii::NOT_HIGHLIGHTED,
                pii,
            ) else {
                continue;
            };
            out.push(serde_json::json!({
                "id": rec.id, "doc_no": h.doc_no, "source": rec.source,
                "metadata": rec.metadata, "score": h.score, "snippet": snippet,
                "pii_masked": masked,
            }));
        }
        if last_page {
            break;
        }
    }
    Ok(Some(
        serde_json::json!({ "hits": out, "warnings": warnings }),
    ))
}
