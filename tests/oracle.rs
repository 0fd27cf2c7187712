//! Counts, spans and document mapping checked against brute force over random corpora, for
//! u8, u16 and u32 tokens and multi-shard splits (documents at the edges of shards).

use crate::support;
use proptest::prelude::*;
use verbatim_core::query::{Span, SpanOptions, SpanRanking, TraceOptions};
use verbatim_core::{Index, TokenWidth};

/// Token sequences of the indexed documents, as the oracle sees them.
fn doc_tokens(index: &Index, texts: &[String], shard_max: u64) -> Vec<Vec<u32>> {
    texts
        .iter()
        .map(|t| index.tokenizer().encode_ids(t).unwrap())
        .filter(|ids| !ids.is_empty() && (ids.len() as u64) < shard_max)
        .collect()
}

fn brute_count(docs: &[Vec<u32>], q: &[u32]) -> u64 {
    docs.iter()
        .map(|d| d.windows(q.len()).filter(|w| *w == q).count() as u64)
        .sum()
}

fn occurs(docs: &[Vec<u32>], q: &[u32]) -> bool {
    q.is_empty() || brute_count(docs, q) > 0
}

/// OLMoTrace's span rules written the slow, obvious way (and verbatim's: a span holds some
/// text besides whitespace).
fn brute_spans(
    index: &Index,
    docs: &[Vec<u32>],
    ids: &[u32],
    o: &SpanOptions,
) -> Vec<(usize, usize, u64)> {
    let tok = index.tokenizer();
    let mut out = Vec::new();
    let mut last = 0;
    for l in 0..ids.len() {
        if o.word_boundaries && !tok.is_word_start(ids[l]) {
            continue;
        }
        let mut r = l;
        while r < ids.len() && occurs(docs, &ids[l..=r]) {
            r += 1;
        }
        if let Some(p) = (l..r.saturating_sub(1)).find(|&p| o.delimiters.contains(&ids[p])) {
            r = p + 1;
        }
        if o.word_boundaries {
            while r > l && !(r == ids.len() || tok.is_word_start(ids[r])) {
                r -= 1;
            }
        }
        if r - l < o.min_len {
            continue;
        }
        // Whitespace alone is no span.
        if r > l && tok.decode(&ids[l..r]).trim().is_empty() {
            continue;
        }
        let c = brute_count(docs, &ids[l..r]);
        if o.max_count.is_some_and(|m| c > m) {
            continue;
        }
        if r > last {
            last = r;
            out.push((l, r, c));
        }
    }
    out
}

fn words(ws: &[usize], base: usize) -> String {
    ws.iter()
        .map(|&w| match w {
            0 => ".".to_string(),
            1 => ",".to_string(),
            w => format!("w{}", base + w),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn letters(ws: &[usize]) -> String {
    ws.iter()
        .map(|&w| ['.', ' ', 'a', 'b', 'c', '\n', 'd'][w % 7])
        .collect()
}

fn run_case(
    width: TokenWidth,
    docs_w: Vec<Vec<usize>>,
    query_w: Vec<usize>,
    shard_max: Option<u64>,
    max_count: Option<u64>,
    bow: bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let (tok, texts, query): (String, Vec<String>, String) = match width {
        TokenWidth::U8 => (
            "bytes".into(),
            docs_w.iter().map(|d| letters(d)).collect(),
            letters(&query_w),
        ),
        TokenWidth::U16 => (
            support::word_tokenizer(dir.path(), 8).display().to_string(),
            docs_w.iter().map(|d| words(d, 0)).collect(),
            words(&query_w, 0),
        ),
        TokenWidth::U32 => (
            support::word_tokenizer(dir.path(), 70_000)
                .display()
                .to_string(),
            docs_w.iter().map(|d| words(d, 69_990)).collect(),
            words(&query_w, 69_990),
        ),
    };
    let docs: Vec<(String, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("d{i}"), t.clone()))
        .collect();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let out = dir.path().join("idx");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tok);
    o.fulltext = false;
    o.threads = 1;
    if let Some(s) = shard_max {
        o.shard_max_tokens = s;
    }
    if let Err(e) = verbatim_indexer::build(&o) {
        // Every document was empty or too large for a shard: nothing to index.
        assert!(e.to_string().contains("no documents to index"), "{e:#}");
        return;
    }
    let index = Index::open(&out).unwrap();
    assert_eq!(index.manifest().tokenizer.width, width);
    verbatim_core::verify::verify(&index).expect("fresh index verifies");
    let shard_max = shard_max.unwrap_or(u64::MAX);
    let oracle_docs = doc_tokens(&index, &texts, shard_max);
    let enc = index.tokenizer().encode(&query).unwrap();
    // Counts of every substring of the query, and the document of every occurrence.
    for l in 0..enc.ids.len() {
        for r in l + 1..=enc.ids.len().min(l + 6) {
            let q = &enc.ids[l..r];
            let occ = index.find(q);
            assert_eq!(occ.count(), brute_count(&oracle_docs, q), "count of {q:?}");
            for rank in 0..occ.count() {
                let (_, pos, loc) = index.occurrence(&occ, rank).unwrap();
                let doc = index.doc_tokens(loc);
                let s = index.shards()[loc.shard].doc_range(loc.local).start;
                assert_eq!(
                    &doc[pos - s..pos - s + q.len()],
                    q,
                    "occurrence maps into its document"
                );
            }
            check_sampling(&index, &occ);
        }
    }
    // The longest match of every start (searched, or pinned by its neighbours' ends).
    let longest = index.longest_matches(&enc.ids);
    for (l, &m) in longest.iter().enumerate() {
        let rest = &enc.ids[l..];
        let want = (0..=rest.len())
            .rev()
            .find(|&k| occurs(&oracle_docs, &rest[..k]))
            .unwrap_or(0);
        assert_eq!(m, want, "longest match of {rest:?}");
    }
    let mut opts = SpanOptions::defaults_for(&index);
    opts.word_boundaries = bow;
    opts.max_count = max_count;
    if width != TokenWidth::U8 {
        opts.delimiters = vec![1];
    }
    let got: Vec<(usize, usize, u64)> = index
        .spans(&query, &enc, &opts)
        .iter()
        .map(|s| (s.token_start, s.token_end, s.count))
        .collect();
    assert_eq!(
        got,
        brute_spans(&index, &oracle_docs, &enc.ids, &opts),
        "spans of {query:?}"
    );
    check_trace_spans(&index, &query, &opts);
}

/// A trace counts only the spans its density cap keeps (and those whose count decides whether
/// they are maximal): it finds the same candidates, keeps the same spans and gives them the
/// same counts and occurrences as counting every span first.
fn check_trace_spans(index: &Index, query: &str, opts: &SpanOptions) {
    let enc = index.tokenizer().encode(query).unwrap();
    let rankings = [SpanRanking::UnigramLogprobSum, SpanRanking::Length];
    for (density, ranking) in [0.05, 0.3, 1.0]
        .into_iter()
        .zip(rankings.into_iter().cycle())
    {
        let mut t = TraceOptions::defaults_for(index);
        t.spans = opts.clone();
        t.density = density;
        t.ranking = ranking;
        let trace = index.trace(query, None, &t).unwrap();
        let all = index.spans(query, &enc, opts);
        assert_eq!(trace.candidate_spans, all.len(), "candidates of {query:?}");
        let want = index.keep_ranked(all, &enc.ids, density, t.ranking);
        let got: Vec<(f64, Span)> = trace
            .spans
            .iter()
            .map(|s| (s.unigram_logprob, s.span.clone()))
            .collect();
        assert_eq!(
            got, want,
            "kept spans of {query:?} at density {density}, {ranking:?}"
        );
    }
}

/// Sampling against its definition: the first `k` occurrences of the sampling order are a
/// prefix of the whole order, which holds every occurrence once; documents sampled are the
/// first `k` distinct documents of that order.
fn check_sampling(index: &Index, occ: &verbatim_core::query::Occurrences) {
    let total = occ.count() as usize;
    for seed in [0u64, 7] {
        let all = index.sample_occurrences(occ, seed, total);
        let mut seen: Vec<(usize, usize)> = all.iter().map(|o| (o.shard, o.pos)).collect();
        seen.sort_unstable();
        let mut want: Vec<(usize, usize)> = (0..occ.count())
            .map(|r| {
                let (shard, pos, _) = index.occurrence(occ, r).unwrap();
                (shard, pos)
            })
            .collect();
        want.sort_unstable();
        assert_eq!(seen, want, "the sampling order holds every occurrence once");
        for k in [1, 2, 3, total / 2, total + 1] {
            let some = index.sample_occurrences(occ, seed, k);
            assert_eq!(some, all[..k.min(total)], "first {k} of the sampling order");
            let docs = index.sample_documents(occ, seed, k, |_| true);
            let mut firsts: Vec<_> = Vec::new();
            for o in &all {
                if firsts.len() < k
                    && !firsts
                        .iter()
                        .any(|f: &verbatim_core::query::Occurrence| f.loc.doc_no == o.loc.doc_no)
                {
                    firsts.push(*o);
                }
            }
            assert_eq!(
                docs, firsts,
                "first {k} distinct documents of the sampling order"
            );
        }
    }
}

/// Documents (as word indices), a query, a shard limit, a max count, word boundaries on/off.
type Case = (Vec<Vec<usize>>, Vec<usize>, Option<u64>, Option<u64>, bool);

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::collection::vec(0usize..7, 0..30), 1..10),
        prop::collection::vec(0usize..7, 1..25),
        prop_oneof![Just(None), (4u64..40).prop_map(Some)],
        prop_oneof![Just(None), (1u64..4).prop_map(Some)],
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn u8_byte_tokens_match_brute_force((d, q, s, m, b) in case_strategy()) {
        run_case(TokenWidth::U8, d, q, s, m, b);
    }

    #[test]
    fn u16_tokens_match_brute_force((d, q, s, m, b) in case_strategy()) {
        run_case(TokenWidth::U16, d, q, s, m, b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn u32_tokens_match_brute_force((d, q, s, m, b) in case_strategy()) {
        run_case(TokenWidth::U32, d, q, s, m, b);
    }
}

#[test]
fn documents_at_shard_edges_are_found_in_every_shard() {
    // Five documents, shards of at most 8 tokens: each document sits at a shard edge.
    let docs: Vec<Vec<usize>> = vec![
        vec![2, 3, 4],
        vec![3, 4, 5, 2],
        vec![2, 3],
        vec![4, 5, 6, 2, 3],
        vec![3, 4],
    ];
    run_case(
        TokenWidth::U16,
        docs,
        vec![2, 3, 4, 5, 2, 3],
        Some(8),
        None,
        false,
    );
}

/// A span found 20,000 times (the sampling pass cuts its candidates back many times): the
/// sampling order is every occurrence once, its first `k` a prefix, and the same occurrences
/// (by document and offset) in one shard and in several.
#[test]
fn sampling_a_span_found_tens_of_thousands_of_times() {
    let dir = tempfile::tempdir().unwrap();
    // 40 documents of 1,000 bytes: "ab" 500 times; "a" occurs 20,000 times.
    let docs: Vec<(String, String)> = (0..40)
        .map(|i| (format!("d{i}"), "ab".repeat(500)))
        .collect();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let mut picked = Vec::new();
    for (name, shard_max) in [("one", None), ("several", Some(14_000u64))] {
        let out = dir.path().join(name);
        let mut o = verbatim_indexer::BuildOptions::new(vec![input.clone()], out.clone(), "bytes");
        o.fulltext = false;
        o.threads = 1;
        if let Some(s) = shard_max {
            o.shard_max_tokens = s;
        }
        verbatim_indexer::build(&o).unwrap();
        let index = Index::open(&out).unwrap();
        let occ = index.find(&[u32::from(b'a')]);
        assert_eq!(occ.count(), 20_000);
        let shards = occ.ranges.iter().filter(|r| !r.is_empty()).count();
        assert_eq!(shards > 1, shard_max.is_some(), "{shards} shards");
        check_sampling(&index, &occ);
        let at = |o: &verbatim_core::query::Occurrence| {
            let start = index.shards()[o.shard].doc_range(o.loc.local).start;
            (o.loc.doc_no, o.pos - start)
        };
        let mut sample: Vec<(u64, usize)> = index
            .sample_occurrences(&occ, 3, 100)
            .iter()
            .map(at)
            .collect();
        sample.extend(index.sample_documents(&occ, 3, 10, |_| true).iter().map(at));
        picked.push(sample);
    }
    assert_eq!(
        picked[0], picked[1],
        "the same occurrences in one shard and in several"
    );
}
