//! infini-gram's index format served in place: indexes written exactly as infini-gram's
//! `indexing.py` writes them (v4: `tokenized.0`, `table.0` of byte pointers in `memcmp`
//! order, `offset.0`, `metadata.0` + `metaoff.0`) from the documents of a verbatim build,
//! opened bare and attached; answers equal to the verbatim index's and to brute force
//! (counts, spans, documents by pointer, CNF queries); refusals of damaged or mismatched
//! directories name the file and the reason; a flipped byte cannot make a query panic.

use crate::support;
use proptest::prelude::*;
use serde_json::json;
use std::path::Path;
use verbatim_core::infini_gram::layout::standard_ptr_size;
use verbatim_core::infini_gram::pyjson::dumps_object;
use verbatim_core::query::{CnfOptions, CnfRules, SpanOptions, TraceOptions};
use verbatim_core::{Index, TokenWidth};

/// Writes an infini-gram v4 index of `docs` (token ids) with tokens of `width` into `dir`.
pub(crate) fn write_infini_gram(dir: &Path, docs: &[Vec<u32>], ids: &[String], width: TokenWidth) {
    std::fs::create_dir_all(dir).unwrap();
    let w = width.bytes() as usize;
    let (mut ds, mut od, mut mt, mut om) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, d) in docs.iter().enumerate() {
        od.extend_from_slice(&(ds.len() as u64).to_le_bytes());
        ds.extend(std::iter::repeat_n(0xffu8, w));
        for &t in d {
            ds.extend_from_slice(&t.to_le_bytes()[..w]);
        }
        om.extend_from_slice(&(mt.len() as u64).to_le_bytes());
        // As infini-gram's indexer writes it (Python's `json.dumps`) for a record of
        // `support::write_jsonl`: every field but the text, in the record's order.
        let (id, title) = (json!(ids[i]), json!(format!("T {}", ids[i])));
        let meta = dumps_object(&[("id", &id), ("source", &json!("test")), ("title", &title)]);
        let line = format!("{{\"path\": \"c.jsonl\", \"linenum\": {i}, \"metadata\": {meta}}}\n");
        mt.extend_from_slice(line.as_bytes());
    }
    let mut sa: Vec<usize> = (0..ds.len() / w).map(|p| p * w).collect();
    sa.sort_by(|&a, &b| ds[a..].cmp(&ds[b..]));
    let ptr = standard_ptr_size(ds.len() as u64);
    let table: Vec<u8> = sa
        .iter()
        .flat_map(|&p| (p as u64).to_le_bytes()[..ptr].to_vec())
        .collect();
    for (name, bytes) in [
        ("tokenized.0", &ds),
        ("table.0", &table),
        ("offset.0", &od),
        ("metadata.0", &mt),
        ("metaoff.0", &om),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A verbatim index of `texts` and the same corpus as an infini-gram index (`ig`).
fn both(dir: &Path, texts: &[String], width: TokenWidth) -> (Index, std::path::PathBuf, String) {
    let tok = match width {
        TokenWidth::U8 => "bytes".to_string(),
        TokenWidth::U16 => support::word_tokenizer(dir, 8).display().to_string(),
        TokenWidth::U32 => support::word_tokenizer(dir, 70_000).display().to_string(),
    };
    let docs: Vec<(String, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("d{i}"), t.clone()))
        .collect();
    let input = support::write_jsonl(dir, "c.jsonl", &docs);
    let out = dir.join("vb");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tok.clone());
    o.fulltext = false;
    o.threads = 1;
    verbatim_indexer::build(&o).expect("build");
    let vb = Index::open(&out).unwrap();
    let n = vb.manifest().documents;
    let locs: Vec<_> = (0..n).map(|d| vb.locate(d).unwrap()).collect();
    let tokens: Vec<Vec<u32>> = locs.iter().map(|&l| vb.doc_tokens(l)).collect();
    let ids: Vec<String> = locs.iter().map(|&l| vb.doc_record(l).unwrap().id).collect();
    let ig = dir.join("ig");
    write_infini_gram(&ig, &tokens, &ids, width);
    (vb, ig, tok)
}

/// `verbatim attach` of `ig` into `out` with the ids it chooses, opened.
pub(crate) fn attach(ig: &Path, tok: &str, out: &Path) -> Index {
    attach_with(ig, tok, out, None)
}

/// [`attach`] with external ids by `id_rule` (default: `verbatim attach`'s choice).
fn attach_with(
    ig: &Path,
    tok: &str,
    out: &Path,
    id_rule: Option<verbatim_core::infini_gram::IdRule>,
) -> Index {
    let opts = verbatim_indexer::AttachOptions {
        index: ig.to_path_buf(),
        out: Some(out.to_path_buf()),
        tokenizer: tok.to_string(),
        name: None,
        token_width: None,
        version: None,
        eos_token_id: None,
        id_rule,
        fulltext: false,
        force: false,
        threads: 1,
    };
    verbatim_indexer::attach(&opts).expect("attach");
    Index::open(out).expect("open the side directory")
}

/// infini-gram's CNF search written the slow way: occurrences found by scanning the stream,
/// nearest occurrences by linear scans. Returns the surviving `(l, r)` ranges, sorted.
/// The CNF ranges of `stream` by infini-gram's rules, or (`own_document`) with ranges that
/// grow only to occurrences in their own document (verbatim's).
fn brute_cnf(
    stream: &[u32],
    sep: u32,
    cnf: &[Vec<Vec<u32>>],
    max_diff: u64,
    own_document: bool,
) -> Vec<(u64, u64)> {
    let apart = |a: u64, b: u64| own_document && stream[a as usize..b as usize].contains(&sep);
    let occ = |t: &[u32]| -> Vec<u64> {
        (0..stream.len().saturating_sub(t.len() - 1))
            .filter(|&p| stream[p..p + t.len()] == *t)
            .map(|p| p as u64)
            .collect()
    };
    let clauses: Vec<Vec<u64>> = cnf
        .iter()
        .map(|c| c.iter().flat_map(|t| occ(t)).collect())
        .collect();
    if clauses.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..clauses.len()).collect();
    order.sort_by_key(|&c| clauses[c].len());
    let mut ranges: Vec<(u64, u64)> = clauses[order[0]].iter().map(|&p| (p, p)).collect();
    for &c in &order[1..] {
        let ps = &clauses[c];
        let mut next = Vec::new();
        for &(l, r) in &ranges {
            let before = ps
                .iter()
                .filter(|&&p| p < r && !apart(p.min(l), l))
                .max()
                .map(|&p| l.min(p));
            let after = ps
                .iter()
                .filter(|&&p| p >= l && !apart(r, p.max(r)))
                .min()
                .map(|&p| r.max(p));
            let lok = before.is_some_and(|b| b + max_diff >= l);
            let rok = after.is_some_and(|a| a <= r + max_diff);
            if lok && rok {
                next.push((before.unwrap(), after.unwrap()));
            } else {
                if lok {
                    next.push((before.unwrap(), r));
                }
                if rok {
                    next.push((l, after.unwrap()));
                }
            }
        }
        ranges = next;
    }
    ranges.retain(|&(l, r)| !stream[l as usize..r as usize].contains(&sep));
    ranges.sort_unstable();
    ranges
}

fn run_case(
    width: TokenWidth,
    docs_w: Vec<Vec<usize>>,
    query_w: Vec<usize>,
    cnf_w: Vec<Vec<Vec<usize>>>,
) {
    let dir = tempfile::tempdir().unwrap();
    let text = |ws: &[usize]| -> String {
        match width {
            TokenWidth::U8 => ws
                .iter()
                .map(|&w| ['a', 'b', ' ', 'c', '.'][w % 5])
                .collect(),
            _ => ws
                .iter()
                .map(|&w| {
                    format!(
                        "w{}",
                        w % 6 + if width == TokenWidth::U32 { 69_990 } else { 0 }
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    };
    let texts: Vec<String> = docs_w
        .iter()
        .map(|d| text(d))
        .filter(|t| !t.trim().is_empty())
        .collect();
    if texts.is_empty() {
        return;
    }
    let (vb, ig_dir, tok) = both(dir.path(), &texts, width);
    let bare = Index::open(&ig_dir).expect("a bare infini-gram index opens");
    let side = attach(&ig_dir, &tok, &dir.path().join("side"));
    assert_eq!(bare.manifest().documents, vb.manifest().documents);
    assert_eq!(side.manifest().tokens, vb.manifest().tokens);
    let q = vb.tokenizer().encode_ids(&text(&query_w)).unwrap();
    let stream: Vec<u32> = vb.shards()[0]
        .tokens()
        .to_u32(0..vb.manifest().tokens as usize);
    let sep = width.separator();
    for l in 0..q.len() {
        for r in l + 1..=q.len().min(l + 5) {
            let g = &q[l..r];
            let want = vb.count(g);
            assert_eq!(bare.count(g), want, "bare count of {g:?}");
            assert_eq!(side.count(g), want, "attached count of {g:?}");
            // Every occurrence: the same document and window through a byte pointer.
            let f = side.ig_find(g);
            for rank in f.segment_by_shard[0].0..f.segment_by_shard[0].1 {
                let ptr = side.ig_rank_to_ptr(0, rank);
                // The metadata line too: the verbatim index writes the record as
                // infini-gram's indexer writes the line.
                assert_eq!(side.ig_doc_by_ptr(0, ptr, 5), vb.ig_doc_by_ptr(0, ptr, 5));
                assert_eq!(
                    side.ig_doc_by_rank(0, rank, 5),
                    side.ig_doc_by_ptr(0, ptr, 5)
                );
            }
        }
    }
    // A query starting with the document separator counts the documents starting with the
    // rest (infini-gram's way to count documents by their opening), as brute force does.
    let brute = |g: &[u32]| stream.windows(g.len()).filter(|w| *w == g).count() as u64;
    for k in 0..=q.len().min(3) {
        let mut g = vec![sep];
        g.extend_from_slice(&q[..k]);
        let want = brute(&g);
        for ix in [&vb, &bare, &side] {
            assert_eq!(ix.count(&g), want, "count of {g:?}");
        }
        let f = side.ig_find(&g);
        assert_eq!(f.cnt, want, "infini-gram find of {g:?}");
    }
    let o = SpanOptions::defaults_for(&vb);
    let qtext = text(&query_w);
    let enc = vb.tokenizer().encode(&qtext).unwrap();
    let spans = |ix: &Index| -> Vec<(usize, usize, u64)> {
        ix.spans(&qtext, &enc, &o)
            .into_iter()
            .map(|s| (s.token_start, s.token_end, s.count))
            .collect()
    };
    assert_eq!(spans(&side), spans(&vb), "spans");
    let cnf: Vec<Vec<Vec<u32>>> = cnf_w
        .iter()
        .map(|c| {
            c.iter()
                .map(|t| vb.tokenizer().encode_ids(&text(t)).unwrap())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|c: &Vec<Vec<u32>>| !c.is_empty())
        .collect();
    if cnf.is_empty() {
        return;
    }
    for max_diff in [1u64, 3, 100] {
        for rules in [CnfRules::Documents, CnfRules::InfiniGram] {
            let opts = CnfOptions {
                max_clause_freq: 1 << 40,
                max_diff_tokens: max_diff,
                rules,
            };
            let own = rules == CnfRules::Documents;
            let want = brute_cnf(&stream, sep, &cnf, max_diff, own);
            for ix in [&vb, &bare, &side] {
                let m = ix.find_cnf(&cnf, opts);
                let mut got = m.ranges_by_shard.concat();
                got.sort_unstable();
                assert_eq!(got, want, "CNF {cnf:?} within {max_diff}, {rules:?}");
                assert_eq!(m.count, want.len() as u64);
                assert!(!m.approx);
            }
        }
    }
    // Sampled: approximate, never more matches than exact, the same on both infini-gram opens.
    let opts = CnfOptions {
        max_clause_freq: 2,
        max_diff_tokens: 100,
        rules: CnfRules::InfiniGram,
    };
    let (a, b) = (bare.find_cnf(&cnf, opts), side.find_cnf(&cnf, opts));
    assert_eq!(a, b);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn infini_gram_indexes_answer_like_verbatims(
        width in prop_oneof![Just(TokenWidth::U8), Just(TokenWidth::U16), Just(TokenWidth::U32)],
        docs in prop::collection::vec(prop::collection::vec(0usize..6, 1..40), 1..6),
        query in prop::collection::vec(0usize..6, 1..12),
        cnf in prop::collection::vec(prop::collection::vec(prop::collection::vec(0usize..6, 1..3), 1..3), 1..3),
    ) {
        run_case(width, docs, query, cnf);
    }
}

/// An infini-gram index of a few documents for the refusal tests.
fn small_ig(dir: &Path) -> std::path::PathBuf {
    let texts: Vec<String> = ["w1 w2 w3 w1", "w2 w3 w4", "w5 w1 w2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    both(dir, &texts, TokenWidth::U16).1
}

#[cfg(target_os = "linux")]
#[test]
fn a_bare_infini_gram_index_read_from_disk_is_advised_and_answers_alike() {
    use verbatim_core::Residency;
    let dir = tempfile::tempdir().unwrap();
    let ig = small_ig(dir.path());
    let open = |residency| {
        Index::open_with(
            &ig,
            verbatim_core::OpenOptions {
                residency,
                ..verbatim_core::OpenOptions::default()
            },
        )
        .unwrap()
    };
    let memory = open(Residency::Memory);
    let disk = open(Residency::Disk);
    assert_eq!(disk.residency(), Residency::Disk);
    let mapped = support::vm_flags_under(&ig);
    let names: Vec<&str> = mapped.iter().map(|(n, _)| n.as_str()).collect();
    for file in [
        "tokenized.0",
        "table.0",
        "offset.0",
        "metadata.0",
        "metaoff.0",
    ] {
        let flags: Vec<&String> = mapped
            .iter()
            .filter(|(n, _)| n == file)
            .map(|(_, f)| f)
            .collect();
        // One mapping each per open index: the memory one has huge pages, the disk one random reads.
        assert_eq!(flags.len(), 2, "{file} in {names:?}");
        let has = |f: &str, x: &str| f.split_whitespace().any(|y| y == x);
        assert_eq!(
            flags
                .iter()
                .filter(|f| has(f, "rr") && !has(f, "hg"))
                .count(),
            1,
            "{file}: {flags:?}"
        );
        assert_eq!(
            flags
                .iter()
                .filter(|f| has(f, "hg") && !has(f, "rr"))
                .count(),
            1,
            "{file}: {flags:?}"
        );
    }
    for q in [vec![4u32], vec![4, 5], vec![5, 6, 4], vec![7, 4, 5]] {
        assert_eq!(disk.count(&q), memory.count(&q), "{q:?}");
    }
    assert!(memory.count(&[4, 5]) > 0);
}

fn refusal(dir: &Path) -> String {
    match Index::open(dir) {
        Ok(_) => panic!("{} opened", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn damaged_or_mismatched_directories_are_refused_with_the_file_and_the_reason() {
    let t = tempfile::tempdir().unwrap();
    let ig = small_ig(t.path());
    assert!(Index::open(&ig).is_ok());

    // Mismatched shard file counts.
    let d = t.path().join("extra");
    support::copy_dir(&ig, &d);
    std::fs::copy(d.join("table.0"), d.join("table.1")).unwrap();
    let e = refusal(&d);
    assert!(
        e.contains("mismatched shard files") && e.contains("table"),
        "{e}"
    );

    // A table whose size is not a multiple of the token count.
    let d = t.path().join("table");
    support::copy_dir(&ig, &d);
    let mut table = std::fs::read(d.join("table.0")).unwrap();
    table.push(0);
    std::fs::write(d.join("table.0"), table).unwrap();
    let e = refusal(&d);
    assert!(
        e.contains("table.0") && e.contains("not a multiple of the token count"),
        "{e}"
    );

    // A truncated token stream (half a token).
    let d = t.path().join("truncated");
    support::copy_dir(&ig, &d);
    let tokens = std::fs::read(d.join("tokenized.0")).unwrap();
    std::fs::write(d.join("tokenized.0"), &tokens[..tokens.len() - 1]).unwrap();
    let e = refusal(&d);
    assert!(e.contains("tokenized.0") && e.contains("truncated"), "{e}");

    // A truncated offset file.
    let d = t.path().join("offsets");
    support::copy_dir(&ig, &d);
    let od = std::fs::read(d.join("offset.0")).unwrap();
    std::fs::write(d.join("offset.0"), &od[..od.len() - 3]).unwrap();
    let e = refusal(&d);
    assert!(e.contains("offset.0") && e.contains("truncated"), "{e}");

    // A version-5 (reversed) index, by its name.
    let d = t.path().join("v5_pile_llama");
    support::copy_dir(&ig, &d);
    let e = refusal(&d);
    assert!(e.contains("version 5"), "{e}");
    assert!(matches!(
        Index::open(&d),
        Err(verbatim_core::Error::InfiniGramVariant { .. })
    ));

    // A suffix array out of order: `verify` names the file and says to copy or rebuild it
    // with infini-gram's indexer (not `verbatim index`).
    let ptr = std::fs::read(ig.join("table.0")).unwrap().len()
        / Index::open(&ig).unwrap().manifest().tokens as usize;
    let e = support::verify_error_of_damaged(&ig, &t.path().join("disorder"), "table.0", |table| {
        let (first, rest) = table.split_at_mut(ptr);
        first.swap_with_slice(&mut rest[..ptr]);
    });
    assert!(!e.contains("verbatim index"), "{e}");
    for want in ["table.0", "infini-gram's indexer"] {
        assert!(e.contains(want), "{e}");
    }

    // A pointer moved inside its token (u16 tokens: an odd byte offset). Searches read it as
    // the token it falls in, so the order alone would pass; `verify` refuses the stored value.
    let odd = t.path().join("odd");
    let e = support::verify_error_of_damaged(&ig, &odd, "table.0", |table| table[ptr] |= 1);
    for want in [
        "table.0",
        "entry 1 holds byte offset",
        "infini-gram's indexer",
    ] {
        assert!(e.contains(want), "{e}");
    }

    // A side directory whose infini-gram index changed since `verbatim attach`.
    let d = t.path().join("changed");
    support::copy_dir(&ig, &d);
    let side = t.path().join("changed.side");
    drop(attach(
        &d,
        &support::word_tokenizer(t.path(), 8).display().to_string(),
        &side,
    ));
    let mut meta = std::fs::read(d.join("metadata.0")).unwrap();
    meta.extend_from_slice(b"\n");
    std::fs::write(d.join("metadata.0"), meta).unwrap();
    let e = match Index::open(&side) {
        Ok(_) => panic!("a changed index opened"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("metadata.0") && e.contains("changed since `verbatim attach`"),
        "{e}"
    );
}

#[test]
fn a_flipped_byte_in_the_token_stream_changes_answers_never_panics() {
    let t = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..30)
        .map(|i| {
            (0..40)
                .map(|j| format!("w{}", (i * 7 + j * 3) % 6))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let (vb, ig, _) = both(t.path(), &texts, TokenWidth::U16);
    let tokens = std::fs::read(ig.join("tokenized.0")).unwrap();
    let queries: Vec<Vec<u32>> = (0..60)
        .map(|i| {
            (0..1 + i % 6)
                .map(|j| 3 + ((i * 5 + j) % 6) as u32)
                .collect()
        })
        .collect();
    for pos in (0..tokens.len()).step_by(7).chain([0, 1, tokens.len() - 1]) {
        for value in [0xffu8, 0x00, tokens[pos] ^ 0x5a] {
            let d = t.path().join("flipped");
            support::copy_dir(&ig, &d);
            let mut bytes = tokens.clone();
            bytes[pos] = value;
            std::fs::write(d.join("tokenized.0"), &bytes).unwrap();
            // Opening may refuse (a separator destroyed); answering must not panic.
            let Ok(ix) = Index::open(&d) else { continue };
            for q in &queries {
                ix.count(q);
                let qtext = vb.tokenizer().decode(q);
                let enc = vb.tokenizer().encode(&qtext).unwrap();
                let _ = ix.spans(&qtext, &enc, &SpanOptions::defaults_for(&ix));
                let _ = ix.ig_ntd(q, 4);
                let _ = ix.ig_infgram_prob(q, 3);
                let f = ix.ig_find(q);
                let (a, b) = f.segment_by_shard[0];
                for rank in a..b.min(a + 3) {
                    let _ = ix.ig_doc_by_rank(0, rank, 10);
                }
                let _ = ix.find_cnf(&[vec![q.clone()], vec![vec![4]]], CnfOptions::default());
                let _ = ix.trace(&qtext, None, &TraceOptions::defaults_for(&ix));
            }
            for p in (0..bytes.len() as u64).step_by(2) {
                let _ = ix.ig_doc_by_ptr(0, p, 3);
            }
        }
    }
}

#[test]
fn verification_hashes_the_unigram_file_of_an_attached_directory() {
    let t = tempfile::tempdir().unwrap();
    let ig = small_ig(t.path());
    let side = t.path().join("ig.side");
    drop(attach(
        &ig,
        &support::word_tokenizer(t.path(), 8).display().to_string(),
        &side,
    ));
    // Two different counts swapped: the total still adds up, so only the checksum sees it
    // (and a query would use the wrong first-token blocks).
    let file = side.join("unigrams-0.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    const H: usize = verbatim_core::format::HEADER_LEN;
    let counts: Vec<u64> = bytes[H..]
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let a = counts.iter().position(|&c| c > 0).unwrap();
    let b = counts
        .iter()
        .position(|&c| c > 0 && c != counts[a])
        .unwrap();
    for (i, c) in [(a, counts[b]), (b, counts[a])] {
        bytes[H + 8 * i..H + 8 * (i + 1)].copy_from_slice(&c.to_le_bytes());
    }
    std::fs::write(&file, bytes).unwrap();

    let r = refusal(&side);
    assert!(
        r.contains("unigrams-0.bin") && r.contains("verbatim attach"),
        "{r}"
    );
    let opts = verbatim_core::OpenOptions {
        verify_checksums: false,
        fulltext: true,
        residency: verbatim_core::Residency::Auto,
    };
    let index = Index::open_with(&side, opts).expect("opens without hashing");
    let e = verbatim_core::verify::verify(&index).expect_err("verify hashes it");
    let e = e.to_string();
    // The file is `verbatim attach`'s, so that is what makes it again.
    assert!(
        e.contains("unigrams-0.bin") && e.contains("verbatim attach --infini-gram"),
        "{e}"
    );
    assert!(!e.contains("verbatim index"), "{e}");
    let e = index
        .verify_checksums()
        .expect_err("background verification hashes it");
    assert!(e.to_string().contains("unigrams-0.bin"), "{e}");
}

/// A side directory built with its full-text index knows each source's bytes of text (they are
/// counted as its documents are decoded).
#[test]
fn an_attached_directory_counts_each_sources_text() {
    let t = tempfile::tempdir().unwrap();
    let ig = small_ig(t.path());
    let side = t.path().join("ig.side");
    let opts = verbatim_indexer::AttachOptions {
        index: ig.clone(),
        out: Some(side.clone()),
        tokenizer: support::word_tokenizer(t.path(), 8).display().to_string(),
        name: None,
        token_width: None,
        version: None,
        eos_token_id: None,
        id_rule: None,
        fulltext: true,
        force: false,
        threads: 2,
    };
    verbatim_indexer::attach(&opts).expect("attach");
    let m = Index::open(&side).unwrap().manifest().clone();
    assert!(m.text_bytes > 0);
    // Every document of `write_infini_gram` has the source `test`.
    assert_eq!(m.source_stats["test"].text_bytes, m.text_bytes);
    assert_eq!(m.source_stats["test"].documents, m.documents);
}

/// `verbatim takedown` on an infini-gram index keeps its list in the side directory (the one
/// the index is served with), never in the infini-gram directory, and takes documents down by
/// every id they are shown under, `#N` included; a bare index has nowhere to keep one.
#[test]
fn takedowns_of_an_infini_gram_index_live_in_its_side_directory() {
    let t = tempfile::tempdir().unwrap();
    let ig = small_ig(t.path());
    let tok = support::word_tokenizer(t.path(), 8).display().to_string();
    let ig_arg = ig.to_str().unwrap();
    let o = run_verbatim(&["takedown", "add", "--index", ig_arg, "d1"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("verbatim attach"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The refused takedown left nothing beside the index.
    assert_eq!(support::dot_entries(t.path()), Vec::<String>::new());
    let side = verbatim_core::infini_gram::default_side_dir(&ig);
    drop(attach(&ig, &tok, &side));
    let o = run_verbatim(&["takedown", "add", "--index", ig_arg, "d1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !ig.join("takedown.bin").exists(),
        "written into the infini-gram directory"
    );
    assert!(side.join("takedown.bin").exists());
    // Seen through either directory.
    for dir in [&ig, &side] {
        let ix = Index::open(dir).unwrap();
        assert!(ix.doc_by_id("d1").is_none(), "{}", dir.display());
        assert!(ix.doc_by_id("d0").is_some());
    }
    let o = run_verbatim(&["takedown", "list", "--index", side.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "d1");

    // Documents named by number.
    let numbered = t.path().join("ig.numbered");
    drop(attach_with(
        &ig,
        &tok,
        &numbered,
        Some(verbatim_core::infini_gram::IdRule::DocNumber),
    ));
    let o = run_verbatim(&[
        "takedown",
        "add",
        "--index",
        numbered.to_str().unwrap(),
        "#2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ix = Index::open(&numbered).unwrap();
    assert!(ix.doc_by_id("#2").is_none());
    assert!(ix.doc_by_id("#0").is_some());
}

/// `verbatim attach --force` replaces the whole side directory, where the takedown list of an
/// infini-gram index lives: the list is carried over to the new side directory by external id
/// (a taken-down document stays down) and the count printed, as `index --force` does. A list
/// that cannot be carried over (the side directory named its documents by another id rule, or
/// its infini-gram files changed so it no longer opens) refuses the attach, the side directory
/// left as it was.
#[test]
fn a_forced_attach_carries_the_takedowns_of_the_side_directory() {
    let t = tempfile::tempdir().unwrap();
    let ig = small_ig(t.path());
    let tok = support::word_tokenizer(t.path(), 8).display().to_string();
    let side = verbatim_core::infini_gram::default_side_dir(&ig);
    drop(attach(&ig, &tok, &side));
    let ig_arg = ig.to_str().unwrap();
    let o = run_verbatim(&["takedown", "add", "--index", ig_arg, "d1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let attach_force = |extra: &[&str]| {
        let mut args = vec![
            "attach",
            "--infini-gram",
            ig_arg,
            "--tokenizer",
            &tok,
            "--no-fulltext",
            "--threads",
            "1",
            "--force",
        ];
        args.extend_from_slice(extra);
        run_verbatim(&args)
    };
    let o = attach_force(&[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ix = Index::open(&ig).unwrap();
    assert!(
        ix.doc_by_id("d1").is_none(),
        "shown again after attach --force"
    );
    assert_eq!(ix.doc_by_id_ignoring_takedowns("d1"), Some(1));
    assert!(ix.doc_by_id("d0").is_some() && ix.doc_by_id("d2").is_some());
    drop(ix);
    assert!(
        stdout.contains("takedowns  1 carried over from the replaced index"),
        "{stdout}"
    );
    let o = run_verbatim(&["doc", "--index", ig_arg, "d1"]);
    assert!(!o.status.success());

    // Under another id rule no listed id names a document: refused, nothing replaced.
    let before = std::fs::read(side.join("manifest.bin")).unwrap();
    let o = attach_force(&["--id-rule", "doc-number"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("--id-rule metadata-id") && stderr.contains("takedown"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(side.join("manifest.bin")).unwrap(), before);

    // The infini-gram index rewritten (other documents): the side directory no longer opens,
    // so its list cannot be named by id: refused, nothing replaced.
    write_infini_gram(
        &ig,
        &[vec![4, 5, 6, 4], vec![5, 6, 7]],
        &["d1".to_string(), "d0".to_string()],
        TokenWidth::U16,
    );
    let o = attach_force(&[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("carries the takedown list over by external id"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(side.join("manifest.bin")).unwrap(), before);
    assert!(side.join("takedown.bin").exists());
}

/// A verbatim index and an infini-gram index of one tokenizer cannot be searched as one group
/// (their suffixes are sorted in different orders): the group is refused with both names and
/// the reason, never built to fail its first query.
#[test]
fn a_group_of_a_verbatim_and_an_infini_gram_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = ["w1 w2 w3 w1", "w2 w3 w4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (vb, ig, tok) = both(dir.path(), &texts, TokenWidth::U16);
    let ig = attach(&ig, &tok, &dir.path().join("side"));
    let (vb_name, ig_name) = (vb.manifest().name.clone(), ig.manifest().name.clone());
    assert_ne!(vb_name, ig_name);
    let members = vec![
        (std::sync::Arc::new(vb), "a".to_string()),
        (std::sync::Arc::new(ig), "b".to_string()),
    ];
    let e = Index::group("g", members)
        .err()
        .expect("mixed layouts are refused");
    let msg = e.to_string();
    assert!(
        msg.contains("mixes index layouts")
            && msg.contains(&format!("{vb_name:?}"))
            && msg.contains(&format!("{ig_name:?}")),
        "{msg}"
    );
}

/// Runs `verbatim ARGS` and returns what it did.
fn run_verbatim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(support::verbatim_bin())
        .args(args)
        .output()
        .unwrap()
}
