//! `POST /api/v1/cnf`: documents holding `a AND (b OR c)` (n-grams), counted and listed with
//! the matching spans marked, with infini-gram's `max_clause_freq` / `max_diff_tokens`
//! semantics (see [`verbatim_core::query::cnf`]).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::infini_gram::{marks, query::api_tokenize, request as limits};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;
use verbatim_core::pii::PiiMode;
use verbatim_core::query::CnfOptions;
use verbatim_core::Index;

/// Body of a CNF request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CnfRequest {
    /// The query: n-grams joined by ` OR ` into clauses, clauses joined by ` AND ` (OR binds
    /// tighter, as in infini-gram: `a OR b AND c` is `(a OR b) AND c`). Each term is matched
    /// as running text, with a leading space for byte-level BPE tokenizers, as infini-gram
    /// tokenizes it. A term the tokenizer drops whole, or spells with its unknown token, is
    /// refused (422), as `/api/v1/count` refuses such text.
    #[schema(min_length = 1, max_length = 1000)]
    query: String,
    /// The index (default: the first served).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<String>,
    /// A clause with more occurrences is sampled and the count is approximate (default 50000).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 500000)]
    max_clause_freq: Option<UInt>,
    /// Every clause must occur within this many tokens of the others (default 100).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 1000)]
    max_diff_tokens: Option<UInt>,
    /// Most documents listed (default 10).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<UInt>,
}

/// One term of the query as it was searched.
#[derive(Debug, Serialize)]
pub struct CnfTerm {
    /// The term's text.
    pub text: String,
    /// Its token ids.
    pub token_ids: Vec<u32>,
    /// Its occurrences in the corpus.
    pub count: u64,
}

/// A piece of a document window: text, and the clause it matches (`null` for none).
#[derive(Debug, Serialize)]
pub struct Piece {
    /// The text.
    pub text: String,
    /// Number of the clause matched, if any.
    pub clause: Option<usize>,
}

/// A document holding a match.
#[derive(Debug, Serialize)]
pub struct CnfDocument {
    /// External id.
    pub id: String,
    /// Global document number.
    pub doc_no: u64,
    /// Source, if any.
    pub source: Option<String>,
    /// Other metadata.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The window around the first match found in it, cut into pieces with every clause's
    /// terms marked.
    pub pieces: Vec<Piece>,
    /// Personal data masked in the pieces, by kind (absent when none).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub pii_masked: std::collections::BTreeMap<verbatim_core::pii::PiiKind, usize>,
}

impl CnfDocument {
    /// The document under the privacy filter `pii` (`None` in `drop` mode when its pieces
    /// hold personal data), the window read with the document's text around it (`margins`).
    /// An item cut across pieces, or by the window's edge, is found and masked too; one
    /// reaching into a matched piece shows its marker there.
    fn filtered(
        mut self,
        margins: &verbatim_core::pii::Margins,
        pii: PiiMode,
    ) -> Option<CnfDocument> {
        let matched: Vec<bool> = self.pieces.iter().map(|p| p.clause.is_some()).collect();
        let mut parts: Vec<&mut String> = self.pieces.iter_mut().map(|p| &mut p.text).collect();
        self.pii_masked =
            verbatim_core::pii::filter_parts_within(margins, &mut parts, &matched, pii)?;
        Some(self)
    }
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct CnfAnswer {
    /// The index.
    pub index: String,
    /// The clauses (AND) of terms (OR).
    pub clauses: Vec<Vec<CnfTerm>>,
    /// Occurrences of the conjunction (infini-gram's `cnt`: scaled up when sampled).
    pub count: u64,
    /// Whether a clause was sampled (the count is then an estimate, and documents are
    /// listed from the sample only).
    pub approx: bool,
    /// Distinct documents among the matches found (in the sample, when `approx`).
    pub documents_matched: u64,
    /// Up to `limit` documents, in corpus order.
    pub documents: Vec<CnfDocument>,
    /// Time spent, in milliseconds.
    pub elapsed_ms: f64,
}

/// Tokens shown before the first match and after the last one in a document window.
const CONTEXT: usize = 40;

/// Runs a CNF query.
pub async fn cnf(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<CnfRequest>,
) -> Result<Json<CnfAnswer>, ApiError> {
    st.check_text("query", &req.query)?;
    if req.query.chars().count() > limits::MAX_QUERY_CHARS {
        return Err(ApiError::TooLarge(format!(
            "query is longer than {} characters",
            limits::MAX_QUERY_CHARS
        )));
    }
    let d = CnfOptions::default();
    let bounded = |v: Option<UInt>, name: &str, max: u64, default: u64| match v {
        None => Ok(default),
        Some(UInt(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::BadRequest(format!(
            "{name} must be between 1 and {max}"
        ))),
    };
    let opts = CnfOptions {
        max_clause_freq: bounded(
            req.max_clause_freq,
            "max_clause_freq",
            limits::MAX_CLAUSE_FREQ,
            d.max_clause_freq,
        )?,
        max_diff_tokens: bounded(
            req.max_diff_tokens,
            "max_diff_tokens",
            limits::MAX_DIFF_TOKENS,
            d.max_diff_tokens,
        )?,
        // The whole index's rarest clause: the count does not depend on the sharding.
        rules: verbatim_core::query::CnfRules::Documents,
    };
    let limit = bounded(req.limit, "limit", 100, 10)? as usize;
    let clauses = verbatim_core::query::cnf::parse_query(&req.query);
    if clauses.len() > limits::MAX_CLAUSES_PER_CNF
        || clauses
            .iter()
            .any(|c| c.len() > limits::MAX_TERMS_PER_CLAUSE)
    {
        return Err(ApiError::Unprocessable(format!(
            "at most {} clauses of at most {} terms each",
            limits::MAX_CLAUSES_PER_CNF,
            limits::MAX_TERMS_PER_CLAUSE
        )));
    }
    if clauses.iter().flatten().any(|t| t.trim().is_empty()) {
        return Err(ApiError::Unprocessable(
            "a term is empty (two operators in a row, or one at an end)".into(),
        ));
    }
    let index = st.index(req.index.as_deref())?;
    let name = index.manifest().name.clone();
    let pii = st.config.pii;
    let answer = st
        .gate
        .run(move || run(&index, name, &clauses, opts, limit, pii))
        .await?;
    Ok(Json(answer))
}

fn run(
    index: &Index,
    name: String,
    clauses: &[Vec<String>],
    opts: CnfOptions,
    limit: usize,
    pii: PiiMode,
) -> Result<CnfAnswer, ApiError> {
    let t = Instant::now();
    let tok = index.tokenizer();
    let ids: Vec<Vec<Vec<u32>>> = clauses
        .iter()
        .map(|c| {
            c.iter()
                .map(|term| {
                    let ids = api_tokenize(tok, term)?;
                    index.check_countable(&ids).map_err(|e| match e {
                        verbatim_core::Error::Invalid(m) => {
                            verbatim_core::Error::Invalid(format!("term {term:?}: {m}"))
                        }
                        e => e,
                    })?;
                    Ok(ids)
                })
                .collect()
        })
        .collect::<verbatim_core::Result<_>>()?;
    let m = index.find_cnf(&ids, opts);
    let documents = index
        .cnf_documents(&m, limit)
        .into_iter()
        .map(|(loc, (l, r))| {
            let rec = index.doc_record(loc)?;
            let shard = &index.shards()[loc.shard];
            let doc = shard.doc_range(loc.local);
            let longest = ids.iter().flatten().map(Vec::len).max().unwrap_or(0);
            let start = (l as usize).saturating_sub(CONTEXT).max(doc.start);
            let end = (r as usize + longest + CONTEXT).min(doc.end);
            let window = shard.tokens().to_u32(start..end.max(start));
            let margins = match pii {
                PiiMode::Off => Default::default(),
                _ => index.margins(&verbatim_core::query::WindowPlace {
                    shard: loc.shard,
                    tokens: start..end.max(start),
                    doc: doc.clone(),
                }),
            };
            Ok(CnfDocument {
                id: rec.id,
                doc_no: loc.doc_no,
                source: rec.source,
                metadata: rec.metadata,
                pieces: marks::spans(tok, &window, &ids, marks::PieceText::Joined)
                    .into_iter()
                    .map(|(text, label)| Piece {
                        text,
                        clause: label.and_then(|l| l.parse().ok()),
                    })
                    .collect(),
                pii_masked: Default::default(),
            }
            .filtered(&margins, pii))
        })
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(CnfAnswer {
        index: name,
        clauses: clauses
            .iter()
            .zip(&ids)
            .map(|(c, ci)| {
                c.iter()
                    .zip(ci)
                    .map(|(text, t)| CnfTerm {
                        text: text.clone(),
                        count: index.count(t),
                        token_ids: t.clone(),
                    })
                    .collect()
            })
            .collect(),
        count: m.count,
        approx: m.approx,
        documents_matched: index.cnf_document_count(&m),
        documents,
        elapsed_ms: t.elapsed().as_secs_f64() * 1000.0,
    })
}
