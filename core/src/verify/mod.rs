//! Full verification of an index: every checksum, the suffix array really sorted, offsets,
//! unigram counts, id map and source sets consistent. Used by `verbatim verify`.

use crate::error::{Error, Result};
use crate::index::Index;
use crate::shard::Shard;
use crate::token::Token;
use crate::with_tokens;
use fst::Streamer;
use rayon::prelude::*;
use std::time::Instant;

mod suffix_order;

/// What verification looked at.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Files whose checksum was checked.
    pub files_checked: usize,
    /// Suffix-array entries checked.
    pub suffixes_checked: u64,
    /// Documents checked.
    pub documents_checked: u64,
    /// Side indexes checked (each counted in the totals above too).
    pub side_indexes: usize,
    /// Seconds spent in each kind of check (side indexes' included), by name: `checksums`,
    /// `full-text`, `suffix order`, `suffix samples`, `offsets and counts`, `records`,
    /// `id map`.
    pub seconds: std::collections::BTreeMap<&'static str, f64>,
}

impl VerifyReport {
    fn add_seconds(&mut self, what: &'static str, since: Instant) {
        *self.seconds.entry(what).or_default() += since.elapsed().as_secs_f64();
    }
}

/// Told of each step of a verification as it starts (`shard 3/8: suffix order (162.0M
/// suffixes)`), for a progress display; long indexes take minutes per shard.
pub type StepSink<'a> = &'a (dyn Fn(&str) + Sync);

/// What the documents' records say of each source, to check `sources.bin` and the manifest's
/// `source_stats` against.
#[derive(Default)]
struct SourceTally {
    documents: crate::sources::SourceSets,
    stats: std::collections::BTreeMap<String, crate::manifest::SourceStats>,
}

impl SourceTally {
    fn add(&mut self, source: String, doc_no: u64, tokens: u64, text_bytes: u64) {
        let st = self.stats.entry(source.clone()).or_default();
        st.documents += 1;
        st.tokens += tokens;
        st.text_bytes += text_bytes;
        // Numbers past 2^32 cannot be in a set: such an index is refused at build time.
        if let Ok(no) = u32::try_from(doc_no) {
            self.documents.entry(source).or_default().insert(no);
        }
    }

    /// Compares the tally with the index's source table and the manifest's figures.
    fn check(mut self, index: &Index) -> Result<()> {
        let sources_path = index.dir().join(&index.manifest().files.sources);
        if index.source_documents()? != self.documents {
            return Err(corrupt(
                &sources_path,
                "the documents of each source differ from the documents' records",
            ));
        }
        let m = index.manifest();
        let names: Vec<&String> = self.documents.keys().collect();
        if m.sources.iter().collect::<Vec<_>>() != names {
            return Err(corrupt(
                &index.dir().join(crate::manifest::MANIFEST_FILE),
                "its list of sources differs from the documents' records",
            ));
        }
        // An index built before `source_stats` has none, or (appended to since) only its new
        // documents' sources; an attached infini-gram index counts text bytes only with its
        // full-text index.
        if self.stats.keys().any(|k| !m.source_stats.contains_key(k)) {
            return Ok(());
        }
        if index.infini_gram().is_some() {
            for (name, st) in &mut self.stats {
                st.text_bytes = m.source_stats.get(name).map_or(0, |s| s.text_bytes);
            }
        }
        if m.source_stats != self.stats {
            return Err(corrupt(
                &index.dir().join(crate::manifest::MANIFEST_FILE),
                "its source_stats differ from a recount of the documents' records",
            ));
        }
        Ok(())
    }
}

fn corrupt(path: &std::path::Path, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

pub use suffix_order::check_suffix_array;

fn verify_shard(
    index: &Index,
    shard: &Shard,
    tally: &mut SourceTally,
    report: &mut VerifyReport,
    step: &dyn Fn(&str),
) -> Result<u64> {
    let paths = shard.paths();
    step(&format!(
        "suffix order ({:.1}M suffixes)",
        shard.info().tokens as f64 / 1e6
    ));
    let t = Instant::now();
    crate::with_shard_arrays!(shard.arrays(), |a| check_suffix_array(a.tokens, a.sa)).map_err(
        |d| {
            corrupt(
                &paths.suffix_array,
                format!("suffix array is not sorted: {d}"),
            )
        },
    )?;
    report.add_seconds("suffix order", t);
    if let Some(path) = &paths.samples {
        step("suffix samples");
        let t = Instant::now();
        crate::with_shard_arrays!(shard.arrays(), |a| match a.samples {
            Some(samples) => samples.check(a.tokens, a.sa),
            None => Err("the file does not fit the shard".into()),
        })
        .map_err(|d| Error::BadOptionalFile {
            path: path.clone(),
            detail: format!("suffix samples: {d}"),
        })?;
        report.add_seconds("suffix samples", t);
    }
    step(&format!(
        "document offsets and unigram counts ({} documents)",
        shard.documents()
    ));
    let t = Instant::now();
    // Document offsets: increasing, each at a separator, no separator inside a document.
    let docs_path = &paths.doc_offsets;
    let starts: Vec<u64> = (0..=shard.documents())
        .map(|d| shard.doc_start(d) as u64)
        .collect();
    if starts.first() != Some(&0) && shard.documents() > 0 {
        return Err(corrupt(docs_path, "first document does not start at 0"));
    }
    if starts.windows(2).any(|w| w[0] >= w[1]) {
        return Err(corrupt(
            docs_path,
            "document offsets are not strictly increasing",
        ));
    }
    let vocab = index.manifest().tokenizer.vocab_size as usize;
    let mut counts = vec![0u64; vocab];
    with_tokens!(shard.tokens(), |t| {
        let sep = sep_of(t);
        let mut next_doc = 0usize;
        for (pos, &tok) in t.iter().enumerate() {
            let is_start = next_doc < starts.len() - 1 && starts[next_doc] as usize == pos;
            if is_start {
                next_doc += 1;
            }
            if (tok.to_u32() == sep) != is_start {
                return Err(corrupt(
                    &paths.tokens,
                    format!("separator/document offset mismatch at token {pos}"),
                ));
            }
            if !is_start {
                match counts.get_mut(tok.to_u32() as usize) {
                    Some(c) => *c += 1,
                    None => {
                        return Err(corrupt(
                            &paths.tokens,
                            format!(
                                "token id {} at {pos} is outside the vocabulary",
                                tok.to_u32()
                            ),
                        ))
                    }
                }
            }
        }
        Ok(())
    })?;
    if counts != shard.unigram_counts() {
        return Err(corrupt(
            &paths.unigrams,
            "unigram counts differ from a recount of the token stream",
        ));
    }
    report.add_seconds("offsets and counts", t);
    step(&format!(
        "records and ids ({} documents)",
        shard.documents()
    ));
    let t = Instant::now();
    for d in 0..shard.documents() {
        let rec = shard.doc_record(d)?;
        let no = shard.info().first_doc + d as u64;
        if let Some(source) = rec.source.clone() {
            tally.add(source, no, shard.doc_range(d).len() as u64, rec.text_bytes);
        }
        let found = index.doc_by_id_ignoring_takedowns(&rec.id);
        if found != Some(no) {
            let under = found.map_or("no document".to_string(), |o| format!("document {o}"));
            return Err(corrupt(
                &index.dir().join(&index.manifest().files.ids),
                format!(
                    "the id map and the records disagree: {} names document {no} {:?}, and the id map gives {under} under that id (one of the two files is damaged)",
                    paths.records.display(),
                    rec.id
                ),
            ));
        }
    }
    report.add_seconds("records", t);
    Ok(shard.info().tokens)
}

fn sep_of<T: Token>(_: &[T]) -> u32 {
    T::SEPARATOR.to_u32()
}

/// Verifies everything; the first problem found is returned as an error naming the file.
pub fn verify(index: &Index) -> Result<VerifyReport> {
    verify_reporting(index, &|_| {})
}

/// [`verify`], telling `step` of each step as it starts.
pub fn verify_reporting(index: &Index, step: StepSink<'_>) -> Result<VerifyReport> {
    let report = verify_files(index, step);
    // A damaged file of an infini-gram index is not rebuilt with `verbatim index`.
    match (report, index.infini_gram()) {
        (Err(crate::error::Error::Corrupt { path, detail }), Some(ig))
            if path.starts_with(&ig.dir) =>
        {
            Err(crate::error::Error::InfiniGram {
                path,
                detail: format!(
                    "{detail}: the infini-gram index's files are damaged; copy them again or \
                     rebuild the index with infini-gram's indexer"
                ),
            })
        }
        (Err(e), Some(_)) => Err(crate::infini_gram::attachment::advise_attach_again(
            e,
            index.dir(),
        )),
        (report, _) => report,
    }
}

/// [`verify`], with the advice of an index verbatim built.
fn verify_files(index: &Index, step: StepSink<'_>) -> Result<VerifyReport> {
    if !index.members().is_empty() {
        return Err(crate::error::Error::Invalid(
            "a group of indexes is verified by verifying each of its members".into(),
        ));
    }
    let mut report = VerifyReport::default();
    let mut files: Vec<_> = index.index_files();
    for s in index.shards() {
        files.extend(s.files());
    }
    let bytes: u64 = files.iter().map(|f| f.payload().len() as u64).sum();
    step(&format!(
        "checksums of {} files ({:.2} GB)",
        files.len(),
        bytes as f64 / 1e9
    ));
    let t = Instant::now();
    files.par_iter().try_for_each(|f| f.verify_payload())?;
    report.files_checked = files.len();
    report.add_seconds("checksums", t);
    if let Some(ft) = index.fulltext() {
        step("full-text index");
        let t = Instant::now();
        let ft_dir = index.dir().join(&index.manifest().files.fulltext);
        crate::index::verify_fulltext_files(&ft_dir, index.manifest())?;
        ft.verify(&ft_dir)?;
        report.add_seconds("full-text", t);
    }
    let mut first = 0u64;
    let mut tally = SourceTally::default();
    let shards = index.shards().len();
    for (k, s) in index.shards().iter().enumerate() {
        if s.info().first_doc != first {
            return Err(corrupt(
                index.dir(),
                format!(
                    "shard {} starts at document {} instead of {first}",
                    s.info().dir,
                    s.info().first_doc
                ),
            ));
        }
        first += s.info().documents;
        let shard_step = |what: &str| step(&format!("shard {}/{shards}: {what}", k + 1));
        report.suffixes_checked += verify_shard(index, s, &mut tally, &mut report, &shard_step)?;
        report.documents_checked += s.info().documents;
    }
    tally.check(index)?;
    step("id map");
    let t = Instant::now();
    let mut n = 0u64;
    if let Some(ids) = index.id_map() {
        let mut stream = ids.stream();
        while let Some((_, no)) = stream.next() {
            if no >= index.manifest().documents {
                return Err(corrupt(
                    index.dir(),
                    format!("ids.fst maps to document {no}, past the end"),
                ));
            }
            n += 1;
        }
    }
    if n != index.manifest().documents && !index.numbered_ids() {
        return Err(corrupt(
            &index.dir().join(crate::index::files::ID_MAP),
            format!("{n} ids for {} documents", index.manifest().documents),
        ));
    }
    report.add_seconds("id map", t);
    // The normalised side indexes are whole indexes that contamination checks search: each
    // gets the same complete check.
    for side in index.side_indexes() {
        let name = side.manifest().name.clone();
        let r = verify_reporting(side, &|what: &str| {
            step(&format!("side index {name}: {what}"))
        })?;
        report.files_checked += r.files_checked;
        report.suffixes_checked += r.suffixes_checked;
        report.documents_checked += r.documents_checked;
        report.side_indexes += 1;
        for (what, secs) in r.seconds {
            *report.seconds.entry(what).or_default() += secs;
        }
    }
    Ok(report)
}
