//! `verbatim.Index`: an open index and its queries.
//!
//! Every query releases the GIL while it runs (tokenizing included), so Python threads query
//! in parallel. Results have the field names of the REST API (`verbatim_core::api`).

use crate::convert::{self, Query};
use crate::errors;
use crate::pool;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::Arc;
use verbatim_core::pii::PiiMode;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::{Index, OpenOptions, Residency};

/// An open, read-only verbatim index (memory-mapped: opening is cheap, and processes that
/// open the same index share its pages).
#[pyclass(module = "verbatim._native", name = "Index", frozen)]
pub struct PyIndex {
    pub(crate) inner: Arc<Index>,
    pub(crate) threads: Option<usize>,
}

impl PyIndex {
    /// The index, its takedown list first re-read if it changed on disk (a `stat` when it did
    /// not), as the server does before every request: a document taken down by `verbatim
    /// takedown` while this object lives is never shown. Every query goes through here.
    pub(crate) fn current(&self) -> PyResult<&Arc<Index>> {
        self.inner.refresh_takedown().map_err(errors::core)?;
        Ok(&self.inner)
    }
}

/// Opens `path` like the CLI's query commands do, with the CLI's message on failure.
pub fn open(
    path: &std::path::Path,
    verify: bool,
    fulltext: bool,
    residency: Residency,
) -> PyResult<Index> {
    let opts = OpenOptions {
        verify_checksums: verify,
        fulltext,
        residency,
    };
    Index::open_with(path, opts).map_err(|e| {
        errors::error(
            errors::kind_of(&e),
            format!("cannot open index {}: {e}", path.display()),
        )
    })
}

impl PyIndex {
    /// Token ids of a query, tokenizing text without the GIL.
    fn ids(&self, py: Python<'_>, query: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        match convert::query_of(query, self.vocab(), "query")? {
            Query::Ids(ids) => Ok(ids),
            Query::Text(t) => {
                if t.trim().is_empty() {
                    return Err(errors::invalid("text is empty"));
                }
                let ix = self.current()?;
                py.detach(|| ix.tokenizer().encode_ids(&t))
                    .map_err(errors::core)
            }
        }
    }

    fn vocab(&self) -> u64 {
        u64::from(self.inner.manifest().tokenizer.vocab_size)
    }

    /// Span rules from keyword arguments, with the API's defaults and messages.
    fn span_options(
        &self,
        max_count: Option<u64>,
        word_boundaries: bool,
        delimiters: Option<Vec<String>>,
        min_len: usize,
    ) -> PyResult<SpanOptions> {
        let mut o = SpanOptions::defaults_for(&self.inner);
        o.max_count = max_count;
        o.word_boundaries = word_boundaries;
        o.min_len = min_len.max(1);
        if let Some(ds) = delimiters {
            o.delimiters = ds
                .iter()
                .map(|d| {
                    self.inner.tokenizer().single_token(d).ok_or_else(|| {
                        errors::invalid(format!("delimiter {d:?} is not a single token"))
                    })
                })
                .collect::<PyResult<_>>()?;
        }
        Ok(o)
    }
}

fn nonempty(field: &str, text: &str) -> PyResult<()> {
    if text.trim().is_empty() {
        return Err(errors::invalid(format!("{field} is empty")));
    }
    Ok(())
}

#[pymethods]
impl PyIndex {
    /// Opens the index in `path`: a verbatim index, or an infini-gram (v4) index directory
    /// in place, read-only (bare it answers token-id queries only; see docs/infini-gram.md).
    ///
    /// `verify=True` hashes every file first (about 0.1 s per GB from page cache; `verbatim
    /// verify` checks more). `fulltext=False` skips the BM25 index (traces then rank by span
    /// order only; `search` is unavailable). `threads=None` lets each query use every core;
    /// `threads=N` keeps each query on `N` threads of the calling thread's own pool (the
    /// calling thread one of them), for callers that run many queries at once from several
    /// threads. `residency` is `"auto"` (default), `"memory"` or `"disk"`: how the mapped
    /// files are read (`"disk"` for an index larger than memory: each page fault reads only
    /// the page it needs; see `verbatim serve --residency`).
    #[new]
    #[pyo3(signature = (path, *, verify = false, fulltext = true, threads = None, residency = "auto"))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        verify: bool,
        fulltext: bool,
        threads: Option<usize>,
        residency: &str,
    ) -> PyResult<Self> {
        if threads == Some(0) {
            return Err(errors::invalid(
                "threads must be at least 1 (or None for every core)",
            ));
        }
        let residency: Residency = residency.parse().map_err(errors::invalid)?;
        let inner = py.detach(|| open(&path, verify, fulltext, residency))?;
        Ok(PyIndex {
            inner: Arc::new(inner),
            threads,
        })
    }

    fn __repr__(&self) -> String {
        let m = self.inner.manifest();
        format!(
            "verbatim.Index({:?}: {} documents, {} tokens, {} shard(s))",
            self.inner.dir().display().to_string(),
            m.documents,
            m.tokens,
            m.shards.len()
        )
    }

    /// The index directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.dir().to_path_buf()
    }

    /// The index's name (from its manifest).
    #[getter]
    fn name(&self) -> String {
        self.inner.manifest().name.clone()
    }

    /// Token ids `0..vocab_size` are valid queries.
    #[getter]
    fn vocab_size(&self) -> u64 {
        self.vocab()
    }

    /// Number of documents.
    #[getter]
    fn documents(&self) -> u64 {
        self.inner.manifest().documents
    }

    /// How the index's files are read: `"memory"` (2 MiB pages, for an index that stays in
    /// the page cache) or `"disk"` (4 KiB pages read as needed), `"auto"` resolved at open.
    #[getter]
    fn residency(&self) -> &'static str {
        self.inner.residency().name()
    }

    /// What the index holds, as `GET /api/v1/indexes` shows it.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ix = self.current()?;
        let stats = py
            .detach(|| verbatim_core::sources::source_stats(ix))
            .map_err(errors::core)?;
        convert::to_py(py, &verbatim_core::api::IndexInfoJson::new(ix, stats))
    }

    /// The whole manifest (what the index holds and how it was built).
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, self.inner.manifest())
    }

    /// Token ids of `text` with the index's tokenizer (no special tokens added).
    fn tokenize(
        &self,
        py: Python<'_>,
        text: &Bound<'_, pyo3::types::PyString>,
    ) -> PyResult<Vec<u32>> {
        let t = convert::text_of(text)?;
        let ix = self.current()?;
        py.detach(|| ix.tokenizer().encode_ids(&t))
            .map_err(errors::core)
    }

    /// Text of token ids (a list or a numpy array).
    fn decode(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<String> {
        let ids = convert::ids_of(ids, self.vocab(), "ids")?;
        let ix = self.current()?;
        Ok(py.detach(|| ix.tokenizer().decode(&ids)))
    }

    /// Occurrences of a text or of token ids: `{"count", "token_ids"}`.
    fn count<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ids = self.ids(py, query)?;
        let ix = self.current()?;
        let n = py.detach(|| ix.count(&ids));
        // A list of plain ints was checked item by item: a copy of it shares its int
        // objects (cheaper than making new ones).
        let token_ids = match query.cast::<PyList>() {
            Ok(list)
                if list
                    .iter()
                    .all(|x| x.is_exact_instance_of::<pyo3::types::PyInt>()) =>
            {
                list.get_slice(0, list.len())
            }
            _ => PyList::new(py, ids)?,
        };
        let d = PyDict::new(py);
        d.set_item(pyo3::intern!(py, "count"), n)?;
        d.set_item(pyo3::intern!(py, "token_ids"), token_ids)?;
        Ok(d)
    }

    /// Every maximal span of `text` that occurs in the corpus, with its exact count (no
    /// density cap), as `POST /api/v1/spans` returns it.
    #[pyo3(signature = (text, *, max_count = None, word_boundaries = true, delimiters = None, min_len = 1))]
    fn spans<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, pyo3::types::PyString>,
        max_count: Option<u64>,
        word_boundaries: bool,
        delimiters: Option<Vec<String>>,
        min_len: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = convert::text_of(text)?;
        nonempty("text", &text)?;
        let opts = self.span_options(max_count, word_boundaries, delimiters, min_len)?;
        let ix = self.current()?;
        let json = py.detach(|| {
            pool::run(self.threads, || {
                let enc = ix.tokenizer().encode(&text)?;
                let spans = ix.spans(&text, &enc, &opts);
                serde_json::to_value(verbatim_core::api::SpansJson::new(
                    ix,
                    &text,
                    enc.ids.len(),
                    &spans,
                ))
                .map_err(|e| verbatim_core::Error::Invalid(e.to_string()))
            })
        });
        convert::json_to_py(py, &json.map_err(errors::core)?)
    }

    /// OLMoTrace's pipeline on one model output, as `POST /api/v1/trace` returns it: the
    /// rarest maximal spans (`density` per output token), up to `docs_per_span` documents
    /// each with a snippet of `context` tokens each side, ranked by BM25 against prompt +
    /// response.
    #[pyo3(signature = (response, prompt = None, *, max_count = Some(verbatim_core::query::trace::DEFAULT_MAX_SPAN_COUNT), word_boundaries = true, delimiters = None, min_len = 1, density = 0.05, docs_per_span = 10, context = 40, full_documents = false, pii = "mask"))]
    #[allow(clippy::too_many_arguments)]
    fn trace<'py>(
        &self,
        py: Python<'py>,
        response: &Bound<'py, pyo3::types::PyString>,
        prompt: Option<&Bound<'py, pyo3::types::PyString>>,
        max_count: Option<u64>,
        word_boundaries: bool,
        delimiters: Option<Vec<String>>,
        min_len: usize,
        density: f64,
        docs_per_span: usize,
        context: usize,
        full_documents: bool,
        pii: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pii = pii_mode(pii)?;
        let response = convert::text_of(response)?;
        nonempty("response", &response)?;
        let prompt = prompt.map(convert::text_of).transpose()?;
        if !(density > 0.0 && density <= 1.0) {
            return Err(errors::invalid("density must be in (0, 1]"));
        }
        if docs_per_span == 0 || docs_per_span > 100 {
            return Err(errors::invalid("docs_per_span must be between 1 and 100"));
        }
        let mut opts = TraceOptions::defaults_for(&self.inner);
        opts.spans = self.span_options(max_count, word_boundaries, delimiters, min_len)?;
        opts.density = density;
        opts.docs_per_span = docs_per_span;
        opts.snippet_context = context;
        opts.full_documents = full_documents;
        let ix = self.current()?;
        let json = py.detach(|| {
            pool::run(self.threads, || {
                let t = ix.trace(&response, prompt.as_deref(), &opts)?;
                let mut json = verbatim_core::api::TraceJson::new(ix, &response, &t);
                json.apply_pii(ix, pii);
                serde_json::to_value(json).map_err(|e| verbatim_core::Error::Invalid(e.to_string()))
            })
        });
        convert::json_to_py(py, &json.map_err(errors::core)?)
    }

    /// A document by external id (`str`) or global document number (`int`), as
    /// `GET /api/v1/documents/{id}` returns it; its text is cut after `max_tokens` tokens.
    /// `highlight` marks every occurrence of that text (UTF-16 ranges into `text`). Raises
    /// `NotFoundError` for an unknown or taken-down document, or (with `pii="drop"`) one
    /// whose text holds personal data.
    #[pyo3(signature = (id, *, max_tokens = None, highlight = None, pii = "mask"))]
    fn document<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        max_tokens: Option<usize>,
        highlight: Option<Bound<'py, pyo3::types::PyString>>,
        pii: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pii = pii_mode(pii)?;
        let highlight = highlight.as_ref().map(convert::text_of).transpose()?;
        enum Key {
            Id(String),
            No(u64),
        }
        let key = if let Ok(s) = id.cast::<pyo3::types::PyString>() {
            Key::Id(convert::text_of(s)?)
        } else if let Ok(n) = id.extract::<u64>() {
            Key::No(n)
        } else {
            return Err(errors::invalid(
                "id must be a document's external id (str) or its number (int >= 0)",
            ));
        };
        let ix = self.current()?;
        let json = py.detach(|| -> verbatim_core::Result<serde_json::Value> {
            let d = match key {
                Key::Id(id) => ix.document_by_id(&id, max_tokens)?,
                Key::No(n) => {
                    let loc = ix
                        .locate(n)
                        .ok_or_else(|| verbatim_core::Error::DocumentNotFound(format!("#{n}")))?;
                    ix.document(loc, max_tokens)?
                }
            };
            let id = d.record.id.clone();
            let json = verbatim_core::api::DocumentTextJson::filtered(d, highlight.as_deref(), pii)
                .ok_or_else(|| {
                    verbatim_core::Error::DocumentNotFound(format!(
                        "{id} (it holds personal data and pii=\"drop\" withholds it)"
                    ))
                })?;
            serde_json::to_value(json).map_err(|e| verbatim_core::Error::Invalid(e.to_string()))
        });
        convert::json_to_py(py, &json.map_err(errors::core)?)
    }

    /// BM25 keyword search, as `POST /api/v1/search` returns it: `{"hits": [{"id", "doc_no",
    /// "source", "metadata", "score", "snippet"}]}`, at most `limit` hits.
    #[pyo3(signature = (query, *, limit = 10, pii = "mask"))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, pyo3::types::PyString>,
        limit: usize,
        pii: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pii = pii_mode(pii)?;
        let query = convert::text_of(query)?;
        nonempty("query", &query)?;
        if limit == 0 || limit > 100 {
            return Err(errors::invalid("limit must be between 1 and 100"));
        }
        let ix = self.current()?;
        let json = py.detach(|| -> verbatim_core::Result<serde_json::Value> {
            verbatim_core::api::search_json(ix, &query, limit, pii)?.ok_or_else(|| {
                verbatim_core::Error::FullText(
                    "this index was built without a full-text index".into(),
                )
            })
        });
        convert::json_to_py(py, &json.map_err(errors::core)?)
    }

    /// Exact distribution of the token after a text or token ids (infini-gram's `ntd`,
    /// never sampled): `{"prompt_count", "end_of_document", "result_by_token_id": {id:
    /// {"cont_count", "prob"}}, "approx": False}`, as `verbatim ntd --json` prints it (with
    /// int keys).
    fn ntd<'py>(&self, py: Python<'py>, query: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let ids = match convert::query_of(query, self.vocab(), "query")? {
            Query::Ids(ids) => ids,
            Query::Text(t) => {
                let ix = self.current()?;
                py.detach(|| ix.tokenizer().encode_ids(&t))
                    .map_err(errors::core)?
            }
        };
        let ix = self.current()?;
        let d = py.detach(|| ix.next_token_distribution(&ids));
        let by = PyDict::new(py);
        let denom = d.prompt_count.max(1) as f64;
        for (t, c) in &d.next {
            let e = PyDict::new(py);
            e.set_item("cont_count", c)?;
            e.set_item("prob", *c as f64 / denom)?;
            by.set_item(t, e)?;
        }
        let out = PyDict::new(py);
        out.set_item("prompt_count", d.prompt_count)?;
        out.set_item("end_of_document", d.end_of_document)?;
        out.set_item("result_by_token_id", by)?;
        out.set_item("approx", false)?;
        Ok(out)
    }

    /// The infini-gram probability of token `next` after a text or token ids, as `verbatim
    /// prob --json` prints it: `{"prompt_count", "cont_count", "prob", "suffix_len"}`:
    /// `suffix_len` is the length of the longest suffix of the prompt that occurs, and `prob`
    /// = `cont_count / prompt_count` over that suffix.
    fn prob<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
        next: i64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let vocab = self.vocab();
        if next < 0 || next as u64 >= vocab {
            return Err(errors::invalid(format!(
                "token id {next} is outside the vocabulary (0..{vocab})"
            )));
        }
        let ids = match convert::query_of(query, vocab, "query")? {
            Query::Ids(ids) => ids,
            Query::Text(t) => {
                let ix = self.current()?;
                py.detach(|| ix.tokenizer().encode_ids(&t))
                    .map_err(errors::core)?
            }
        };
        let ix = self.current()?;
        let p = py.detach(|| ix.infgram_prob(&ids, next as u32));
        let out = PyDict::new(py);
        out.set_item("prompt_count", p.prompt_count)?;
        out.set_item("cont_count", p.cont_count)?;
        out.set_item("prob", p.prob)?;
        out.set_item("suffix_len", p.suffix_len)?;
        Ok(out)
    }

    /// Checks benchmark items for contamination and returns the report `verbatim
    /// contamination --out` writes (options, timing, summary, every item's result).
    ///
    /// `items`: a list of dicts (`id`, `text`, `bench`; other fields with `template`), a list
    /// of str, or the path(s) of JSONL / CSV files (read as the CLI reads them, with `field`,
    /// `template`, `id_field`, `group_field` and `format`). `methods`: any of `gpt3`, `palm`,
    /// `llama2`, `gpt4`, `substr50` (default all). `out`, `csv`, `html`: also write those
    /// report files (atomically). `pii`: the privacy filter on example snippets, `"mask"`
    /// (default), `"drop"` (the example left out) or `"off"`; scores and labels are unaffected.
    #[pyo3(signature = (items, *, methods = None, llama2_skip = 0, examples = 3, max_spans = 10, threads = 0, field = "text".to_string(), template = None, id_field = "id".to_string(), group_field = "bench".to_string(), format = None, limit = None, out = None, csv = None, html = None, pii = "mask"))]
    #[allow(clippy::too_many_arguments)]
    fn contamination<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        methods: Option<Vec<String>>,
        llama2_skip: usize,
        examples: usize,
        max_spans: usize,
        threads: usize,
        field: String,
        template: Option<String>,
        id_field: String,
        group_field: String,
        format: Option<String>,
        limit: Option<usize>,
        out: Option<PathBuf>,
        csv: Option<PathBuf>,
        html: Option<PathBuf>,
        pii: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pii = pii_mode(pii)?;
        let input = crate::contamination::InputSpec {
            field,
            template,
            id_field,
            group_field,
            format,
        };
        let (items, inputs) = crate::contamination::items_of(py, items, &input)?;
        let mut items = items;
        if let Some(n) = limit {
            items.truncate(n);
        }
        let opts = crate::contamination::options(methods, llama2_skip, examples, max_spans)?;
        let ix = self.current()?;
        let report = py.detach(|| -> verbatim_contamination::Result<_> {
            let checker = verbatim_contamination::Checker::new(ix, opts)?;
            if items.is_empty() {
                return Ok(None);
            }
            let (results, timing) = crate::pool::run(None, || {
                verbatim_contamination::check_all(&checker, &items, threads, pii, &|| {})
            })?;
            Ok(Some(verbatim_contamination::Report::new(
                &checker, inputs, results, timing,
            )))
        });
        let report = report
            .map_err(errors::contamination)?
            .ok_or_else(|| errors::invalid("no items to check"))?;
        crate::contamination::write_files(py, &report, out, csv, html)?;
        convert::to_py(py, &report)
    }
}

/// Per-call wall times (seconds) of the engine's own calls, timed inside Rust with no Python
/// in the loop: the baseline that `python/bench/overhead.py` compares Python calls against.
/// `kind` is `"count"` (`Index::count` of each token-id query) or `"trace"` (`Index::trace`
/// of each text with the default options, plus building its JSON shape, as the CLI and the
/// server do, each call handed to the query pool on its own as `Index.trace` does);
/// `"trace_gil"` times only the part of `Index.trace` that holds the GIL (converting the
/// answer into Python objects).
#[pyfunction]
pub fn bench_in_rust(
    py: Python<'_>,
    index: &PyIndex,
    kind: &str,
    queries: &Bound<'_, PyList>,
) -> PyResult<Vec<f64>> {
    use std::time::Instant;
    let ix = &index.inner;
    match kind {
        "count" => {
            let qs = queries
                .iter()
                .map(|q| convert::ids_of(&q, index.vocab(), "query"))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(py.detach(|| {
                qs.iter()
                    .map(|q| {
                        let t = Instant::now();
                        std::hint::black_box(ix.count(std::hint::black_box(q)));
                        t.elapsed().as_secs_f64()
                    })
                    .collect()
            }))
        }
        "trace" => {
            let texts = queries.extract::<Vec<String>>()?;
            let opts = TraceOptions::defaults_for(ix);
            let threads = index.threads;
            // Each call is handed to the query pool on its own, as `Index.trace` hands it
            // (a Rust caller calling `Index::trace` from a thread outside rayon's pool hands
            // over each parallel step instead).
            py.detach(|| {
                texts
                    .iter()
                    .map(|text| {
                        let t = Instant::now();
                        pool::run(threads, || -> verbatim_core::Result<()> {
                            let tr = ix.trace(text, None, &opts)?;
                            std::hint::black_box(verbatim_core::api::TraceJson::new(ix, text, &tr));
                            Ok(())
                        })?;
                        Ok(t.elapsed().as_secs_f64())
                    })
                    .collect::<verbatim_core::Result<Vec<f64>>>()
            })
            .map_err(errors::core)
        }
        "trace_gil" => {
            // What `Index.trace` does with the GIL held: turning the answer (built without
            // it) into Python objects. 2 threads cannot trace faster than 1 / this share.
            let texts = queries.extract::<Vec<String>>()?;
            let opts = TraceOptions::defaults_for(ix);
            let threads = index.threads;
            let mut out = Vec::with_capacity(texts.len());
            for text in &texts {
                let json = py
                    .detach(|| {
                        pool::run(threads, || {
                            let t = ix.trace(text, None, &opts)?;
                            serde_json::to_value(verbatim_core::api::TraceJson::new(ix, text, &t))
                                .map_err(|e| verbatim_core::Error::Invalid(e.to_string()))
                        })
                    })
                    .map_err(errors::core)?;
                let t = Instant::now();
                std::hint::black_box(convert::json_to_py(py, &json)?);
                out.push(t.elapsed().as_secs_f64());
            }
            Ok(out)
        }
        other => Err(errors::invalid(format!(
            "unknown kind {other:?}; use count, trace or trace_gil"
        ))),
    }
}

/// The privacy filter named by a `pii=` argument: `"mask"`, `"drop"` or `"off"`.
pub(crate) fn pii_mode(name: &str) -> PyResult<PiiMode> {
    name.parse()
        .map_err(|e: String| errors::invalid(format!("pii: {e}")))
}
