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
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use verbatim_core::pii::PiiMode;
use verbatim_core::query::{SpanOptions, TraceControls, TraceOptions};
use verbatim_core::{Index, OpenOptions, Residency};

/// An open, read-only verbatim index (memory-mapped: opening is cheap, and processes that
/// open the same index share its pages).
///
/// The instance queried is replaced only by [`PyIndex::reload`] (`Index.reload()`), when a
/// new generation of the index was put in place on disk: every query takes its own reference
/// to the instance current when it starts ([`PyIndex::current`]) and answers from that one
/// alone, so queries running on other threads during a reload finish on the instance they
/// started with.
///
/// A *pinned* `Index` ([`PyIndex::pinned`]) queries one instance for its whole life and
/// refuses to reload: `verbatim.compat.InfiniGramEngine` answers from one, so that each of
/// its calls (several queries, checked against shard sizes read beforehand) sees a single
/// generation.
#[pyclass(module = "verbatim._native", name = "Index", frozen)]
pub struct PyIndex {
    /// The instance queries use (its manifest file's stamp, [`Index::manifest_stamp`], is
    /// what a reload compares with).
    pub(crate) opened: RwLock<Arc<Index>>,
    /// Held by a reload while it runs (one at a time), taken without the GIL.
    pub(crate) reloading: Mutex<()>,
    /// The index directory as given: a reload opens it again from there...
    pub(crate) path: PathBuf,
    /// ... unless the working directory changed since and `path` is relative: then from
    /// `path` made absolute when the index was opened.
    pub(crate) absolute: PathBuf,
    /// The options it was opened with, residency as asked (`auto` is judged again by each
    /// reload).
    pub(crate) opts: OpenOptions,
    pub(crate) threads: Option<usize>,
    /// Pinned to its instance: `reload()` raises instead of opening a new generation.
    pub(crate) pinned: bool,
}

impl PyIndex {
    /// The instance queries use now, without checking its takedown list: for what a takedown
    /// does not change (its manifest, tokenizer, files).
    pub(crate) fn instance(&self) -> Arc<Index> {
        self.opened
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The instance queries use now, its takedown list first re-read if it changed on disk (a
    /// `stat` when it did not), as the server does before every request: a document taken
    /// down by `verbatim takedown` while this object lives is never shown. Every query goes
    /// through here once, and answers from the instance it got, whatever a `reload()` on
    /// another thread does meanwhile.
    pub(crate) fn current(&self) -> PyResult<Arc<Index>> {
        let ix = self.instance();
        ix.refresh_takedown().map_err(errors::core)?;
        Ok(ix)
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

/// Token ids of a query, tokenizing text with `ix`'s tokenizer without the GIL.
fn ids(py: Python<'_>, ix: &Index, query: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    match convert::query_of(query, vocab(ix), "query")? {
        Query::Ids(ids) => Ok(ids),
        Query::Text(t) => {
            if t.trim().is_empty() {
                return Err(errors::invalid("text is empty"));
            }
            py.detach(|| ix.tokenizer().encode_ids(&t))
                .map_err(errors::core)
        }
    }
}

fn vocab(ix: &Index) -> u64 {
    u64::from(ix.manifest().tokenizer.vocab_size)
}

/// Span rules from keyword arguments, with the API's defaults and messages.
fn span_options(
    ix: &Index,
    max_count: Option<u64>,
    word_boundaries: bool,
    delimiters: Option<Vec<String>>,
    min_len: usize,
) -> PyResult<SpanOptions> {
    // Checked as the API and the CLI check them (`min_len=0` and `max_count=0` are
    // refused, not answered with no spans), named as the keyword arguments are.
    let controls = TraceControls {
        delimiters,
        allow_spans_with_partial_words: Some(!word_boundaries),
        minimum_span_length: Some(min_len as u64),
        maximum_frequency: max_count,
        ..TraceControls::default()
    };
    controls.span_options(ix).map_err(|e| {
        errors::invalid(
            e.named(&[
                ("minimum_span_length", "min_len"),
                ("maximum_frequency", "max_count"),
            ])
            .to_string(),
        )
    })
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
        // So that a reload opens the same directory whatever the working directory is then
        // (a symbolic link in it is followed again).
        let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        let index = py.detach(|| open(&path, verify, fulltext, residency))?;
        Ok(PyIndex {
            opened: RwLock::new(Arc::new(index)),
            reloading: Mutex::new(()),
            opts: OpenOptions {
                verify_checksums: verify,
                fulltext,
                residency,
            },
            path,
            absolute,
            threads,
            pinned: false,
        })
    }

    fn __repr__(&self) -> String {
        let ix = self.instance();
        let m = ix.manifest();
        format!(
            "verbatim.Index({:?}: {} documents, {} tokens, {} shard(s))",
            ix.dir().display().to_string(),
            m.documents,
            m.tokens,
            m.shards.len()
        )
    }

    /// The index directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.instance().dir().to_path_buf()
    }

    /// The index's name (from its manifest).
    #[getter]
    fn name(&self) -> String {
        self.instance().manifest().name.clone()
    }

    /// Token ids `0..vocab_size` are valid queries.
    #[getter]
    fn vocab_size(&self) -> u64 {
        vocab(&self.instance())
    }

    /// Number of documents.
    #[getter]
    fn documents(&self) -> u64 {
        self.instance().manifest().documents
    }

    /// The generation of the index this object queries (its manifest's: 0 for a fresh
    /// build, one more with each `verbatim index --append`; `verbatim compact` and a forced
    /// rebuild write another). It changes only when `reload()` replaces the instance.
    #[getter]
    fn generation(&self) -> u64 {
        self.instance().manifest().generation
    }

    /// Opens the index's new generation, if there is one: when `manifest.bin` in the index
    /// directory was replaced since the instance being queried was opened (by `verbatim index
    /// --append`, `verbatim compact` or a forced rebuild; a `stat` tells, cheaply, when it
    /// was not), opens the index again with the options given to the constructor (`verify`,
    /// `fulltext`, and `residency` as asked: `"auto"` is judged again), and from then on every
    /// query answers from the new instance. Returns `True` when it replaced the instance,
    /// `False` when nothing changed on disk (or the index is an infini-gram directory opened
    /// bare, which has no manifest).
    ///
    /// Explicit only: queries never reload by themselves, so that results stay reproducible
    /// while the index changes on disk; call `reload()` when you want the new documents.
    /// Queries running on other threads meanwhile finish on the instance they started with.
    ///
    /// When the new generation cannot be opened (a damaged or half-written directory, a
    /// manifest file missing, an index renamed or rebuilt with another tokenizer), raises
    /// the error the constructor would (`IndexCorruptError`, `IndexIOError`,
    /// `TokenizerError`, or `VerbatimError` for a renamed index) and keeps answering from the
    /// instance opened before; a later `reload()` tries again. The GIL is released while it
    /// opens.
    fn reload(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.reload_now())
            .map_err(|(kind, message)| errors::error(kind, message))
    }

    /// How the index's files are read: `"memory"` (2 MiB pages, for an index that stays in
    /// the page cache) or `"disk"` (4 KiB pages read as needed), `"auto"` resolved at open.
    #[getter]
    fn residency(&self) -> &'static str {
        self.instance().residency().name()
    }

    /// What the index holds, as `GET /api/v1/indexes` shows it.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ix = self.current()?;
        let stats = py
            .detach(|| verbatim_core::sources::source_stats(&ix))
            .map_err(errors::core)?;
        convert::to_py(py, &verbatim_core::api::IndexInfoJson::new(&ix, stats))
    }

    /// The whole manifest (what the index holds and how it was built).
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, self.instance().manifest())
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
        let ix = self.current()?;
        let ids = convert::ids_of(ids, vocab(&ix), "ids")?;
        Ok(py.detach(|| ix.tokenizer().decode(&ids)))
    }

    /// Occurrences of a text or of token ids: `{"count", "token_ids"}`.
    fn count<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ix = self.current()?;
        let ids = ids(py, &ix, query)?;
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
        let ix = self.current()?;
        let opts = span_options(&ix, max_count, word_boundaries, delimiters, min_len)?;
        let json = py.detach(|| {
            pool::run(self.threads, || {
                let enc = ix.tokenizer().encode(&text)?;
                let spans = ix.spans(&text, &enc, &opts);
                serde_json::to_value(verbatim_core::api::SpansJson::new(
                    &ix,
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
        let ix = self.current()?;
        let mut opts = TraceOptions::defaults_for(&ix);
        opts.spans = span_options(&ix, max_count, word_boundaries, delimiters, min_len)?;
        opts.density = density;
        opts.docs_per_span = docs_per_span;
        opts.snippet_context = context;
        opts.full_documents = full_documents;
        let json = py.detach(|| {
            pool::run(self.threads, || {
                let t = ix.trace(&response, prompt.as_deref(), &opts)?;
                let mut json = verbatim_core::api::TraceJson::new(&ix, &response, &t);
                json.apply_pii(&ix, pii);
                serde_json::to_value(json).map_err(|e| verbatim_core::Error::Invalid(e.to_string()))
            })
        });
        convert::json_to_py(py, &json.map_err(errors::core)?)
    }

    /// A document by external id (`str`) or global document number (`int`), as
    /// `GET /api/v1/documents/{id}` returns it; its text is cut after `max_tokens` tokens (at
    /// least 1: 0 raises `InvalidInputError`).
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
    /// "source", "metadata", "score", "snippet"}], "warnings": [how a query not valid as
    /// written was read]}`, at most `limit` hits.
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
            verbatim_core::api::search_json(&ix, &query, limit, pii)?.ok_or_else(|| {
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
        let ix = self.current()?;
        let ids = match convert::query_of(query, vocab(&ix), "query")? {
            Query::Ids(ids) => ids,
            Query::Text(t) => py
                .detach(|| ix.tokenizer().encode_ids(&t))
                .map_err(errors::core)?,
        };
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
        let ix = self.current()?;
        let vocab = vocab(&ix);
        if next < 0 || next as u64 >= vocab {
            return Err(errors::invalid(format!(
                "token id {next} is outside the vocabulary (ids 0 to {})",
                vocab.saturating_sub(1)
            )));
        }
        let ids = match convert::query_of(query, vocab, "query")? {
            Query::Ids(ids) => ids,
            Query::Text(t) => py
                .detach(|| ix.tokenizer().encode_ids(&t))
                .map_err(errors::core)?,
        };
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
            let checker = verbatim_contamination::Checker::new(&ix, opts)?;
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
    let instance = index.instance();
    let ix: &Index = &instance;
    match kind {
        "count" => {
            let qs = queries
                .iter()
                .map(|q| convert::ids_of(&q, vocab(ix), "query"))
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
