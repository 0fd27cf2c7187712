//! Answers of infini-gram's query types in its response shapes (`count`, `approx`,
//! `prompt_cnt`, `cont_cnt`, `result_by_token_id`, `suffix_len`, `segment_by_shard`, ...).
//!
//! Each answer is a JSON object; a refusal is `{"error": "..."}` with infini-gram's message.
//! The caller adds `latency`, `token_ids` and `tokens`, as infini-gram's server does (to
//! refusals of this stage too).

use super::marks;
use super::query::Query;
use super::request::{self as rq, bounded, index_field, InfiniGramRequest};
use serde_json::{json, Map, Value};
use verbatim_core::infini_gram::engine::{Doc, Rng};
use verbatim_core::pii::PiiMode;
use verbatim_core::query::CnfOptions;
use verbatim_core::Index;

/// An answer or a refusal (its message).
type Answer = Result<Map<String, Value>, String>;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The largest token id of the index's width, as infini-gram's messages name it.
fn token_id_max(index: &Index) -> u64 {
    index.manifest().tokenizer.width.separator() as u64
}

/// Answers `query_type` for `query` on `index`, documents under the privacy filter `pii`.
pub fn answer(
    index: &Index,
    query_type: &str,
    query: &Query,
    f: &InfiniGramRequest,
    pii: PiiMode,
) -> Answer {
    let max = token_id_max(index);
    let simple_only = |what: &str| -> Result<&Vec<u32>, String> {
        match query {
            Query::Simple(ids) => Ok(ids),
            Query::Cnf(_) => Err(format!(
                "{what} must be a list of integers in range [0, {max}]"
            )),
        }
    };
    match query_type {
        "count" => match query {
            Query::Simple(ids) => Ok(object(json!({"count": index.count(ids), "approx": false}))),
            Query::Cnf(cnf) => {
                let opts = cnf_options(f)?;
                check_cnf(cnf, max)?;
                let (cnt, approx, _) = index.ig_find_cnf(cnf, opts);
                Ok(object(json!({"count": cnt, "approx": approx})))
            }
        },
        "prob" | "infgram_prob" => {
            let ids = match query {
                Query::Simple(ids) if ids.is_empty() => {
                    return Err("Please provide a non-empty query!".into())
                }
                Query::Simple(ids) => ids,
                Query::Cnf(_) => {
                    return Err(format!(
                        "prompt_ids must be a non-empty list of integers in range [0, {max}]"
                    ))
                }
            };
            let (prompt, cont) = ids.split_at(ids.len() - 1);
            if query_type == "prob" {
                let p = index.ig_prob(prompt, cont[0]);
                Ok(object(
                    json!({"prompt_cnt": p.prompt_cnt, "cont_cnt": p.cont_cnt, "prob": p.prob}),
                ))
            } else {
                let p = index.ig_infgram_prob(prompt, cont[0]);
                let l = p.suffix_len.unwrap_or(0);
                let suffix = index.tokenizer().decode(&prompt[prompt.len() - l..]);
                Ok(object(json!({
                    "prompt_cnt": p.prompt_cnt, "cont_cnt": p.cont_cnt, "prob": p.prob,
                    "suffix_len": l, "longest_suffix": suffix,
                })))
            }
        }
        "ntd" | "infgram_ntd" => {
            let support = bounded(
                &f.max_support,
                "max_support",
                rq::MAX_SUPPORT,
                rq::DEFAULT_MAX_SUPPORT,
            )?;
            let ids = simple_only("prompt_ids")?;
            let ntd = if query_type == "ntd" {
                index.ig_ntd(ids, support)
            } else {
                index.ig_infgram_ntd(ids, support)
            };
            let tok = index.tokenizer();
            let dist: Map<String, Value> = ntd
                .result_by_token_id
                .iter()
                .map(|(&id, &(cnt, prob))| {
                    let piece = tok.id_pieces(&[id]).remove(0).replace('Ġ', " ");
                    (
                        id.to_string(),
                        json!({"cont_cnt": cnt, "prob": prob, "token": piece}),
                    )
                })
                .collect();
            let mut m = object(json!({
                "prompt_cnt": ntd.prompt_cnt, "result_by_token_id": dist, "approx": ntd.approx,
            }));
            if let Some(l) = ntd.suffix_len {
                m.insert("suffix_len".into(), json!(l));
                m.insert(
                    "longest_suffix".into(),
                    json!(tok.decode(&ids[ids.len() - l..])),
                );
            }
            Ok(m)
        }
        "find" => {
            let ids = simple_only("input_ids")?;
            let r = index.ig_find(ids);
            Ok(object(
                json!({"cnt": r.cnt, "segment_by_shard": r.segment_by_shard}),
            ))
        }
        "find_cnf" => {
            let opts = cnf_options(f)?;
            let Query::Cnf(cnf) = query else {
                return Err(cnf_message(max));
            };
            check_cnf(cnf, max)?;
            let (cnt, approx, ptrs) = index.ig_find_cnf(cnf, opts);
            Ok(object(
                json!({"cnt": cnt, "approx": approx, "ptrs_by_shard": ptrs}),
            ))
        }
        "search_docs" => search_docs(index, query, f, pii),
        // infini-gram's server answers any method of its engine: these two are `count` and
        // `search_docs` of a CNF query, which take nothing else.
        "count_cnf" | "search_docs_cnf" => {
            let Query::Cnf(cnf) = query else {
                return Err(cnf_message(max));
            };
            if query_type == "search_docs_cnf" {
                return search_docs(index, query, f, pii);
            }
            let opts = cnf_options(f)?;
            check_cnf(cnf, max)?;
            let (cnt, approx, _) = index.ig_find_cnf(cnf, opts);
            Ok(object(json!({"count": cnt, "approx": approx})))
        }
        "get_doc_by_rank" | "get_doc_by_ptr" => doc_by_pointer(index, query_type, query, f, pii),
        other => Err(format!("[Flask] Invalid query_type: {other}")),
    }
}

fn cnf_message(max: u64) -> String {
    format!("cnf must be a non-empty, triply-nested list of integers in range [0, {max}]")
}

/// infini-gram's `check_cnf`: no empty clause or term.
fn check_cnf(cnf: &[Vec<Vec<u32>>], max: u64) -> Result<(), String> {
    if cnf.is_empty()
        || cnf
            .iter()
            .any(|c| c.is_empty() || c.iter().any(Vec::is_empty))
    {
        return Err(cnf_message(max));
    }
    Ok(())
}

fn cnf_options(f: &InfiniGramRequest) -> Result<CnfOptions, String> {
    let d = CnfOptions::default();
    Ok(CnfOptions {
        max_clause_freq: bounded(
            &f.max_clause_freq,
            "max_clause_freq",
            rq::MAX_CLAUSE_FREQ,
            d.max_clause_freq,
        )?,
        max_diff_tokens: bounded(
            &f.max_diff_tokens,
            "max_diff_tokens",
            rq::MAX_DIFF_TOKENS,
            d.max_diff_tokens,
        )?,
        // infini-gram's engine takes each shard's rarest clause.
        rules: verbatim_core::query::CnfRules::InfiniGram,
    })
}

fn max_disp_len(f: &InfiniGramRequest) -> Result<u64, String> {
    bounded(
        &f.max_disp_len,
        "max_disp_len",
        rq::MAX_DISP_LEN,
        rq::DEFAULT_MAX_DISP_LEN,
    )
}

/// A document in infini-gram's shape, with its matches marked. Under the privacy filter
/// (`mask` or `drop`), a document whose window holds an e-mail address, phone number or IP
/// address (read with the document's text around the window, so an item cut by its edge
/// counts) is answered as infini-gram answers a blocked one (`blocked: true`, no token ids,
/// spans or metadata): its `token_ids` are the shown text too and cannot be masked in place.
/// Counts are unaffected.
fn doc_json(index: &Index, d: &Doc, query: &Query, pii: PiiMode) -> Value {
    let spans = marks::spans(
        index.tokenizer(),
        &d.token_ids,
        &query.needles(),
        marks::PieceText::Alone,
    );
    if pii != PiiMode::Off && !d.blocked {
        // The window as one decoded run, as the margins expect: its pieces decoded apart
        // join as that run only with a tokenizer that decodes by concatenation.
        let tok = index.tokenizer();
        let mut text: String = if tok.decodes_by_concatenation() {
            spans.iter().map(|(t, _)| t.as_str()).collect()
        } else {
            tok.decode(&d.token_ids)
        };
        let margins = d
            .place
            .as_ref()
            .map(|p| index.margins(p))
            .unwrap_or_default();
        if !verbatim_core::pii::mask_parts_within(
            &margins,
            &mut [&mut text],
            verbatim_core::pii::NOT_HIGHLIGHTED,
        )
        .is_empty()
        {
            return json!({
                "doc_ix": d.doc_ix, "doc_len": d.doc_len, "disp_len": d.disp_len,
                "needle_offset": d.needle_offset, "metadata": "", "token_ids": [],
                "blocked": true, "spans": [],
            });
        }
    }
    json!({
        "doc_ix": d.doc_ix, "doc_len": d.doc_len, "disp_len": d.disp_len,
        "needle_offset": d.needle_offset, "metadata": d.metadata, "token_ids": d.token_ids,
        "blocked": d.blocked, "spans": spans,
    })
}

fn search_docs(index: &Index, query: &Query, f: &InfiniGramRequest, pii: PiiMode) -> Answer {
    let maxnum = bounded(&f.maxnum, "maxnum", rq::MAXNUM, rq::DEFAULT_MAXNUM)? as usize;
    let disp = max_disp_len(f)?;
    let mut rng = Rng::from_entropy();
    let r = match query {
        Query::Simple(ids) => index.ig_search_docs(ids, maxnum, disp, &mut rng),
        Query::Cnf(cnf) => {
            let opts = cnf_options(f)?;
            check_cnf(cnf, token_id_max(index))?;
            index.ig_search_docs_cnf(cnf, opts, maxnum, disp, &mut rng)
        }
    };
    let message = if r.cnt == 0 {
        "0 occurrences found".to_string()
    } else {
        let idxs: Vec<String> = r.idxs.iter().map(u64::to_string).collect();
        format!(
            "{}{} occurrences found. Displaying the documents of occurrences #[{}]",
            if r.approx { "Approximately " } else { "" },
            r.cnt,
            idxs.join(", ")
        )
    };
    let documents: Vec<Value> = r
        .documents
        .iter()
        .map(|d| doc_json(index, d, query, pii))
        .collect();
    Ok(object(json!({
        "cnt": r.cnt, "approx": r.approx, "idxs": r.idxs, "documents": documents, "message": message,
    })))
}

fn doc_by_pointer(
    index: &Index,
    query_type: &str,
    query: &Query,
    f: &InfiniGramRequest,
    pii: PiiMode,
) -> Answer {
    let disp = max_disp_len(f)?;
    let shards = index.shards().len();
    let s = index_field(&f.s)
        .filter(|&s| (s as usize) < shards)
        .ok_or_else(|| format!("s must be an integer in range [0, {shards})"))?
        as usize;
    let tokens = index.shards()[s].info().tokens;
    let d = if query_type == "get_doc_by_rank" {
        let rank = index_field(&f.rank)
            .filter(|&r| r < tokens)
            .ok_or_else(|| format!("ptr must be an integer in range [0, {tokens})"))?;
        index.ig_doc_by_rank(s, rank, disp)
    } else {
        let w = index.manifest().tokenizer.width.bytes() as u64;
        let ds_size = tokens * w;
        let ptr = index_field(&f.ptr)
            .filter(|&p| p < ds_size && p % w == 0)
            .ok_or_else(|| match w {
                1 => format!("ptr must be an integer in range [0, {ds_size})"),
                2 => format!("ptr must be an even integer in range [0, {ds_size})"),
                w => format!("ptr must be a multiple of {w} in range [0, {ds_size})"),
            })?;
        index.ig_doc_by_ptr(s, ptr, disp)
    };
    Ok(object(doc_json(index, &d, query, pii)))
}
