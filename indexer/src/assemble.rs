//! Assembling one index from parts built apart (a distributed build: each task indexes some
//! of the corpus files with `--part K`, the driver assembles the parts in part order).
//!
//! Nothing is re-tokenized or re-sorted: a shard's files hold no global document number, so
//! each part's shards become the assembled index's shards as they are (hard-linked, or
//! copied across file systems; shards under absolute roots are referenced where they are),
//! with `first_doc` shifted. The id maps are merged (an id in two parts is refused, as an
//! append refuses it), the source sets shifted and merged, the tantivy segments of every part
//! linked side by side under one tantivy `meta.json` (each part's documents keep their part
//! number, whose first global number the manifest records), and the side indexes assembled
//! the same way. The result is written into a temporary directory renamed into place.

use crate::atomic::TempIndexDir;
use crate::build::{fulltext_sums, new_build_id, now_unix, BuildSummary};
use crate::error::{bail, refuse, Context, Result};
use crate::side_files;
use fst::Streamer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use verbatim_core::index::shard_dir_name;
use verbatim_core::manifest::{BuildOptionsRecord, IndexFiles, Manifest, ShardInfo, MANIFEST_FILE};
use verbatim_core::sources::SourceSets;
use verbatim_core::{Index, OpenOptions};

/// How to assemble.
#[derive(Debug, Clone)]
pub struct AssembleOptions {
    /// The index to create (written atomically).
    pub out: PathBuf,
    /// Its name (default: the first part's name).
    pub name: Option<String>,
    /// Replace an existing index at `out`.
    pub force: bool,
    /// Remove the parts once the index is in place.
    pub remove_parts: bool,
}

/// Assembles the part indexes `parts` (in this order) into one index.
pub fn assemble(parts: &[PathBuf], opts: &AssembleOptions) -> Result<BuildSummary> {
    let started = Instant::now();
    if parts.is_empty() {
        bail!("no parts to assemble");
    }
    let temp = TempIndexDir::create(&opts.out, opts.force)?;
    crate::takedowns::check(&opts.out, opts.force)?;
    let sources: Vec<(PathBuf, String)> = parts
        .iter()
        .map(|p| (p.clone(), MANIFEST_FILE.to_string()))
        .collect();
    let mut manifest = assemble_into(&sources, temp.path(), opts.name.as_deref())?;
    manifest
        .timings
        .insert("assemble".into(), started.elapsed().as_secs_f64());
    manifest.write(temp.path(), parse_id(&manifest.build_id))?;
    let (exact_match_bytes, _) = crate::sizes::measure(temp.path(), &manifest)?;
    let takedowns = temp.commit(|dir| crate::takedowns::carry_into(&opts.out, dir, opts.force))?;
    if opts.remove_parts {
        for p in parts {
            std::fs::remove_dir_all(p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let total_bytes = crate::sizes::dir_size(&opts.out)?;
    Ok(BuildSummary {
        manifest,
        skip_examples: Vec::new(),
        skips_unlisted: 0,
        skipped_this_run: 0,
        rename_examples: Vec::new(),
        exact_match_bytes,
        total_bytes,
        max_memory: 0,
        takedowns,
    })
}

fn parse_id(hex: &str) -> u64 {
    u64::from_str_radix(hex, 16).expect("build ids are written as 16 hex digits")
}

/// Assembles the indexes `(directory, manifest file)` into `dest` (which exists and is empty)
/// and returns the manifest to write there (not written).
fn assemble_into(parts: &[(PathBuf, String)], dest: &Path, name: Option<&str>) -> Result<Manifest> {
    // Every part's files are hashed before they are linked in: parts come from other
    // machines, and a damaged one (a byte flipped in transfer) made an index that failed
    // `verify` only after assembly, or after `--remove-parts` had removed the good copy.
    let checked = OpenOptions {
        verify_checksums: true,
        fulltext: false,
        // The indexer reads in passes, not searches: 2 MiB pages.
        residency: verbatim_core::Residency::Memory,
    };
    let indexes: Vec<Index> = parts
        .iter()
        .map(|(dir, m)| {
            Index::open_named(dir, m, checked)
                .with_context(|| format!("cannot open part {}", dir.display()))
        })
        .collect::<Result<_>>()?;
    let first = indexes[0].manifest().clone();
    for (ix, (dir, _)) in indexes.iter().zip(parts) {
        let m = ix.manifest();
        let same = m.tokenizer.sha256 == first.tokenizer.sha256
            && m.tokenizer.width == first.tokenizer.width
            && m.normalization == first.normalization
            && m.normalization_rules == first.normalization_rules
            && m.side_indexes == first.side_indexes
            && m.options.fulltext == first.options.fulltext;
        if !same {
            refuse!(
                "part {} was not built like part {} (tokenizer, side indexes, normalisation and full-text index must be the same)",
                dir.display(),
                parts[0].0.display()
            );
        }
        if m.generation > 0 {
            refuse!(
                "part {} was appended to or compacted; assemble parts as their builds wrote them",
                dir.display()
            );
        }
        // An emptied list (every takedown removed) is no takedown.
        if verbatim_core::takedown::Takedown::present(dir)
            && !verbatim_core::takedown::Takedown::load(dir, ix.index_id())
                .is_ok_and(|list| list.is_empty())
        {
            refuse!(
                "part {} has a takedown list; take documents down in the assembled index instead",
                dir.display()
            );
        }
    }
    check_part_numbers(&indexes)?;
    let build_id = new_build_id();
    std::fs::create_dir_all(dest)?;

    // Shards: linked (or copied) into place, renumbered.
    let mut shards: Vec<ShardInfo> = Vec::new();
    let mut offsets: Vec<u64> = Vec::new();
    let mut doc = 0u64;
    for ix in &indexes {
        offsets.push(doc);
        let m = ix.manifest();
        for s in &m.shards {
            let src = ix.dir().join(&s.dir);
            let dir = if Path::new(&s.dir).is_absolute() {
                s.dir.clone()
            } else {
                let name = shard_dir_name(shards.len());
                link_dir(&src, &dest.join(&name))?;
                name
            };
            shards.push(ShardInfo {
                dir,
                first_doc: doc + s.first_doc,
                documents: s.documents,
                tokens: s.tokens,
                build_id: Some(
                    m.shard_build_id(s, ix.dir())
                        .map(|id| format!("{id:016x}"))?,
                ),
            });
        }
        doc += m.documents;
    }
    let documents = doc;

    // Tokenizer copy, stamped with the new index's id.
    if first.tokenizer.kind != "bytes" {
        let f = verbatim_core::format::MappedFile::open(
            &indexes[0]
                .dir()
                .join(verbatim_core::index::files::TOKENIZER),
            verbatim_core::format::FileKind::Tokenizer,
        )?;
        side_files::write_tokenizer(dest, build_id, f.payload())?;
    }

    // Id map: every part's ids, shifted; an id in two parts is refused.
    let files = IndexFiles::default();
    let mut ids: Vec<(String, u64)> = Vec::new();
    {
        let mut op = fst::map::OpBuilder::new();
        for ix in &indexes {
            op.push(ix.own_id_map()?.stream());
        }
        let mut union = op.union();
        while let Some((key, values)) = union.next() {
            if values.len() > 1 {
                let a = &parts[values[0].index].0;
                let b = &parts[values[1].index].0;
                refuse!(
                    "document id {:?} is in two parts ({} and {}); ids must be unique across the corpus",
                    String::from_utf8_lossy(key),
                    a.display(),
                    b.display()
                );
            }
            let v = values[0];
            ids.push((
                String::from_utf8_lossy(key).into_owned(),
                offsets[v.index] + v.value,
            ));
        }
    }
    side_files::write_id_map::<Vec<u8>>(
        &dest.join(&files.ids),
        build_id,
        crate::id_map::SortedIds::from_vec(ids),
        None,
    )?;

    // Source sets, shifted.
    let mut sources = SourceSets::new();
    for (ix, &off) in indexes.iter().zip(&offsets) {
        for (name, docs) in ix.source_documents()? {
            let shifted: roaring::RoaringBitmap = docs
                .iter()
                .map(|d| u32::try_from(d as u64 + off))
                .collect::<Result<_, _>>()
                .context("more than 2^32 documents in one index")?;
            *sources.entry(name).or_default() |= shifted;
        }
    }
    side_files::write_sources(&dest.join(&files.sources), build_id, &sources)?;

    // Full-text: every part's segments side by side.
    let mut fulltext_parts = BTreeMap::new();
    let mut fulltext_files = BTreeMap::new();
    if first.options.fulltext {
        for (ix, &off) in indexes.iter().zip(&offsets) {
            let m = ix.manifest();
            if m.fulltext_parts.is_empty() {
                refuse!(
                    "part {} was not built as a part (--part K): its full-text documents carry no part number",
                    ix.dir().display()
                );
            }
            for (&k, &base) in &m.fulltext_parts {
                if fulltext_parts.insert(k, off + base).is_some() {
                    refuse!(
                        "two parts were built with the same --part {}; give each part its own number",
                        k - 1
                    );
                }
            }
        }
        let ft_dirs: Vec<PathBuf> = indexes
            .iter()
            .map(|ix| ix.dir().join(&ix.manifest().files.fulltext))
            .collect();
        link_fulltext(&ft_dirs, &dest.join(&files.fulltext))?;
        fulltext_files = fulltext_sums(&dest.join(&files.fulltext), true)?;
    }

    // Side indexes, assembled the same way.
    let mut side_build_ids = BTreeMap::new();
    for side in &first.side_indexes {
        let side_parts: Vec<(PathBuf, String)> = indexes
            .iter()
            .map(|ix| {
                let name = ix
                    .manifest()
                    .files
                    .side_manifests
                    .get(side.name())
                    .cloned()
                    .unwrap_or_else(|| MANIFEST_FILE.to_string());
                (ix.dir().join("side").join(side.name()), name)
            })
            .collect();
        let side_dest = dest.join("side").join(side.name());
        let m = assemble_into(&side_parts, &side_dest, None)
            .with_context(|| format!("assembling the {} side index", side.name()))?;
        m.write(&side_dest, parse_id(&m.build_id))?;
        side_build_ids.insert(side.name().to_string(), m.build_id.clone());
    }

    let mut inputs = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut source_stats: BTreeMap<String, verbatim_core::manifest::SourceStats> = BTreeMap::new();
    let (mut text_bytes, mut renamed) = (0u64, 0u64);
    for ix in &indexes {
        let m = ix.manifest();
        inputs.extend(m.inputs.iter().cloned());
        for (k, v) in &m.skipped {
            *skipped.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &m.source_stats {
            let e = source_stats.entry(k.clone()).or_default();
            e.documents += v.documents;
            e.tokens += v.tokens;
            e.text_bytes += v.text_bytes;
        }
        text_bytes += m.text_bytes;
        renamed += m.renamed_duplicate_ids;
    }
    Ok(Manifest {
        name: name.map_or_else(|| first.name.clone(), str::to_string),
        build_id: format!("{build_id:016x}"),
        created_unix: now_unix(),
        verbatim_version: env!("CARGO_PKG_VERSION").to_string(),
        tokenizer: first.tokenizer.clone(),
        documents,
        tokens: shards.iter().map(|s| s.tokens).sum(),
        text_bytes,
        shards,
        inputs,
        skipped,
        sources: sources.keys().cloned().collect(),
        renamed_duplicate_ids: renamed,
        options: BuildOptionsRecord {
            part: None,
            parts: None,
            ..first.options.clone()
        },
        timings: BTreeMap::new(),
        peak_rss_bytes: crate::rss::peak_rss_bytes(),
        normalization: first.normalization,
        normalization_rules: first.normalization_rules,
        side_indexes: first.side_indexes.clone(),
        fulltext_files,
        index_id: None,
        generation: 0,
        files: IndexFiles::default(),
        source_stats,
        fulltext_parts,
        side_build_ids,
    })
}

/// The part number an index was built with (`--part K`): recorded in its options, or, in
/// parts built before that, the part its full-text documents carry.
fn part_number(m: &Manifest) -> Option<u32> {
    m.options
        .part
        .or_else(|| match m.fulltext_parts.keys().collect::<Vec<_>>()[..] {
            [&k] => u32::try_from(k.checked_sub(1)?).ok(),
            _ => None,
        })
}

/// Refuses parts given out of part order, with a part missing, or twice: the assembled index
/// numbers documents in the order given, and a one-shot build of the corpus numbers them in
/// part order. A missing last part is seen only where the parts record how many there are
/// (`--parts N`), which must then agree. Indexes built without `--part` carry no number and
/// are taken in the order given, but not mixed with numbered parts.
fn check_part_numbers(indexes: &[Index]) -> Result<()> {
    let numbers: Vec<Option<u32>> = indexes
        .iter()
        .map(|ix| part_number(ix.manifest()))
        .collect();
    if numbers.iter().all(Option::is_none) {
        return Ok(());
    }
    for (i, n) in numbers.iter().enumerate() {
        if let Some(first) = numbers[..i].iter().position(|m| n.is_some() && m == n) {
            refuse!(
                "part {} is given twice: {} and {} (give each part once, in part order)",
                n.unwrap_or_default(),
                indexes[first].dir().display(),
                indexes[i].dir().display()
            );
        }
    }
    check_part_count(indexes, &numbers)?;
    if indexes
        .iter()
        .all(|ix| ix.manifest().options.parts.is_none())
    {
        tracing::warn!(
            "the parts do not record how many there are (they were built without --parts N), so \
             a missing last part cannot be seen: this index holds parts 0 to {} only; build \
             with --part K --parts N to have every part checked",
            indexes.len() - 1
        );
    }
    for (i, (ix, n)) in indexes.iter().zip(&numbers).enumerate() {
        let Some(n) = *n else {
            refuse!(
                "{} was not built as a part (--part K) but the other parts were; build it with --part {i}",
                ix.dir().display()
            );
        };
        if n as usize == i {
            continue;
        }
        let given: Vec<String> = numbers
            .iter()
            .map(|n| n.map_or("-".into(), |n| n.to_string()))
            .collect();
        // A part below the highest one given that is absent (a missing last part cannot be
        // seen).
        let highest = numbers.iter().flatten().max().copied().unwrap_or(0);
        let missing = (0..highest).find(|k| !numbers.contains(&Some(*k)));
        refuse!(
            "parts must be given in part order, 0 first, each once (a one-shot build numbers the documents in that order); the parts given are numbered {} in this order{}",
            given.join(", "),
            match missing {
                Some(k) => format!(", and part {k} is missing"),
                None => format!(": {} is part {n}, in place {i}", ix.dir().display()),
            }
        );
    }
    Ok(())
}

/// Refuses parts that record different part counts (`--parts N`), or another number of
/// parts than they record, naming the first missing part (`numbers`: each index's part).
fn check_part_count(indexes: &[Index], numbers: &[Option<u32>]) -> Result<()> {
    let counts: Vec<(u32, &Index)> = indexes
        .iter()
        .filter_map(|ix| ix.manifest().options.parts.map(|n| (n, ix)))
        .collect();
    let Some(&(n, first)) = counts.first() else {
        return Ok(());
    };
    if let Some((m, other)) = counts.iter().find(|(m, _)| *m != n) {
        refuse!(
            "{} was built as one of {n} parts (--parts {n}) and {} as one of {m}: they belong to different builds",
            first.dir().display(),
            other.dir().display()
        );
    }
    if indexes.len() < n as usize {
        let missing = (0..n)
            .find(|k| !numbers.contains(&Some(*k)))
            .unwrap_or(n - 1);
        refuse!(
            "the parts were built as {n} parts (--parts {n}) but {} are given: part {missing} is missing",
            indexes.len()
        );
    }
    if indexes.len() > n as usize {
        refuse!(
            "the parts were built as {n} parts (--parts {n}) but {} are given",
            indexes.len()
        );
    }
    Ok(())
}

/// Hard-links every file of `src` into the new directory `dst` (copies across file systems).
fn link_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).with_context(|| format!("cannot create {}", dst.display()))?;
    for e in std::fs::read_dir(src).with_context(|| format!("cannot list {}", src.display()))? {
        let e = e?;
        if e.path().is_file() {
            link_file(&e.path(), &dst.join(e.file_name()))?;
        }
    }
    Ok(())
}

fn link_file(src: &Path, dst: &Path) -> Result<()> {
    if std::fs::hard_link(src, dst).is_err() {
        std::fs::copy(src, dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

/// One tantivy index holding the segments of every index in `dirs`: their segment files
/// linked into `dst`, and a `meta.json` listing all their segments.
fn link_fulltext(dirs: &[PathBuf], dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst)?;
    let mut meta: Option<tantivy::IndexMeta> = None;
    for dir in dirs {
        let index = tantivy::Index::open_in_dir(dir)
            .with_context(|| format!("cannot open the full-text index {}", dir.display()))?;
        let m = index.load_metas()?;
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".lock") || name == "meta.json" || name == ".managed.json" {
                continue;
            }
            if e.path().is_file() {
                link_file(&e.path(), &dst.join(&name))?;
            }
        }
        match meta.as_mut() {
            None => meta = Some(m),
            Some(acc) => {
                if acc.schema != m.schema {
                    bail!(
                        "the parts' full-text schemas differ ({}): parts built by different verbatim versions (whose keyword search splits words differently) cannot be assembled; build every part with one verbatim",
                        dir.display()
                    );
                }
                acc.segments.extend(m.segments);
                acc.opstamp = acc.opstamp.max(m.opstamp);
            }
        }
    }
    let meta = meta.context("no full-text index to assemble")?;
    let mut json = serde_json::to_vec_pretty(&meta)?;
    json.push(b'\n');
    let tmp = dst.join("meta.json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, dst.join("meta.json"))?;
    Ok(())
}
