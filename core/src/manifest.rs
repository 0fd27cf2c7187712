//! `manifest.bin`: what an index holds and how it was built.

use crate::error::{Error, Result};
use crate::format::{FileKind, FileWriter, MappedFile};
use crate::token::TokenWidth;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// File name of the manifest inside an index directory.
pub const MANIFEST_FILE: &str = "manifest.bin";

/// The description of a whole index, stored as JSON inside `manifest.bin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Human name of the index (the `--name` given to `verbatim index`).
    pub name: String,
    /// Random id shared by every file of this build (hex).
    pub build_id: String,
    /// Unix time the build finished.
    pub created_unix: u64,
    /// Version of verbatim that built the index.
    pub verbatim_version: String,
    /// The tokenizer.
    pub tokenizer: TokenizerInfo,
    /// Total documents indexed (all shards).
    pub documents: u64,
    /// Total tokens in all token streams, separators included.
    pub tokens: u64,
    /// Total bytes of document text indexed (UTF-8, after JSON decoding).
    pub text_bytes: u64,
    /// The shards, in document order.
    pub shards: Vec<ShardInfo>,
    /// The corpus files read.
    pub inputs: Vec<InputInfo>,
    /// Documents skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Document sources seen (the `source` field), in the order of `sources.bin`.
    pub sources: Vec<String>,
    /// Documents whose external id repeated an earlier one and got a `#N` suffix.
    pub renamed_duplicate_ids: u64,
    /// The build options, as given.
    pub options: BuildOptionsRecord,
    /// Seconds per build stage.
    pub timings: BTreeMap<String, f64>,
    /// Peak resident memory of the build process, bytes.
    pub peak_rss_bytes: u64,
    /// The normalisation applied to every document (side indexes only).
    #[serde(default)]
    pub normalization: Option<crate::normalize::Normalization>,
    /// Version of the [`crate::normalize::NormalizationRules`] the side index's documents
    /// were normalised by (absent in side indexes built before 2026-12-05: 1, ASCII).
    #[serde(default = "ascii_rules")]
    pub normalization_rules: u32,
    /// Normalised side indexes under `side/NAME`.
    #[serde(default)]
    pub side_indexes: Vec<crate::normalize::Normalization>,
    /// Size and xxh3-64 of every file of the tantivy full-text index, checked at open.
    #[serde(default)]
    pub fulltext_files: BTreeMap<String, FileSum>,
    /// Build id (16 hex digits) of the index's first build. It stays the same across appends;
    /// `tokenizer.bin` and `takedown.bin` carry it. Absent in format 1 (then `build_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_id: Option<String>,
    /// Number of appends since the first build (0 for a fresh build).
    #[serde(default)]
    pub generation: u64,
    /// Names of the index-level files of this generation (appends write new ones beside the
    /// old, so that the manifest's rename is the only commit point).
    #[serde(default)]
    pub files: IndexFiles,
    /// Documents, tokens and text bytes of each source (absent in indexes built before it
    /// was recorded).
    #[serde(default)]
    pub source_stats: BTreeMap<String, SourceStats>,
    /// For full-text documents indexed by a part of a distributed build: the first global
    /// document number of each part, keyed by the documents' `part` value (1 + the part
    /// number). Empty when every document carries its global number (see `fulltext.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fulltext_parts: BTreeMap<u64, u64>,
    /// The build id of each side index written with this generation, by side-index name:
    /// checked at open, so that a side directory of another build is refused (absent in
    /// indexes written before it was recorded; their sides are checked by document count).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub side_build_ids: BTreeMap<String, String>,
}

/// What one source contributes to an index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStats {
    /// Documents.
    pub documents: u64,
    /// Tokens (separators excluded).
    pub tokens: u64,
    /// Bytes of text.
    pub text_bytes: u64,
}

/// Names of an index's index-level files, relative to the index directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFiles {
    /// The external-id map (`ids.fst` in a fresh build).
    pub ids: String,
    /// The per-source document sets (`sources.bin` in a fresh build).
    pub sources: String,
    /// The tantivy directory (`fulltext` in a fresh build).
    pub fulltext: String,
    /// The manifest file of each side index, by side-index name (`manifest.bin` in a fresh
    /// build), inside `side/NAME/`.
    #[serde(default)]
    pub side_manifests: BTreeMap<String, String>,
}

impl Default for IndexFiles {
    fn default() -> Self {
        IndexFiles {
            ids: "ids.fst".into(),
            sources: "sources.bin".into(),
            fulltext: crate::fulltext::FULLTEXT_DIR.into(),
            side_manifests: BTreeMap::new(),
        }
    }
}

/// Size and checksum of a file the index does not write itself (tantivy's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// Size in bytes.
    pub bytes: u64,
    /// xxh3-64, 16 hex digits.
    pub xxh3: String,
}

impl FileSum {
    /// Computes the sum of `path`.
    pub fn of(path: &Path) -> Result<FileSum> {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Ok(FileSum {
            bytes: data.len() as u64,
            xxh3: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&data)),
        })
    }
}

/// The tantivy files to checksum: everything in the directory but lock files.
pub fn fulltext_file_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".lock") && e.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The tokenizer an index was built with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenizerInfo {
    /// `bytes` or `huggingface`.
    pub kind: String,
    /// sha256 of `tokenizer.json` (or `bytes`).
    pub sha256: String,
    /// Number of token ids.
    pub vocab_size: u32,
    /// Token width in the token stream.
    pub width: TokenWidth,
    /// Where the tokenizer file was read from at build time.
    pub source_path: Option<String>,
}

/// One shard of the index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Directory name inside the index.
    pub dir: String,
    /// Global number of the shard's first document.
    pub first_doc: u64,
    /// Documents in the shard.
    pub documents: u64,
    /// Tokens in the shard, separators included.
    pub tokens: u64,
    /// Build id (16 hex digits) stamped in the shard's files, when it differs from the
    /// manifest's (shards added by an append keep the id of the append that wrote them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
}

/// One corpus file read by the build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputInfo {
    /// Path as given (or found under a given directory).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// sha256 of the file.
    pub sha256: String,
    /// Documents indexed from it.
    pub documents: u64,
    /// Documents skipped in it.
    pub skipped: u64,
    /// The generation that read it: 0 for the first build, N for the N-th append. The
    /// infini-gram metadata `path` of its documents is relative to the common folder of that
    /// generation's inputs, so an append never changes the paths of earlier documents.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The options a build ran with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuildOptionsRecord {
    /// JSON field holding the text.
    pub text_field: String,
    /// JSON field holding the external id.
    pub id_field: String,
    /// Maximum tokens per shard.
    pub shard_max_tokens: u64,
    /// Documents above this many bytes were skipped.
    pub max_document_bytes: u64,
    /// Whether bad input was a hard error.
    pub strict: bool,
    /// Whether the full-text (BM25) index was built.
    pub fulltext: bool,
    /// Worker threads.
    pub threads: usize,
    /// The memory budget (`--max-memory`) the build kept to, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory: Option<u64>,
    /// The part number `K` of a distributed build's part (`verbatim index --part K`), which
    /// `verbatim assemble` checks; absent in whole indexes and in parts built before it was
    /// recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
    /// How many parts the distributed build has (`verbatim index --part K --parts N`), so
    /// that `verbatim assemble` sees a missing last part; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
}

/// The normalisation rules of manifests written before they were recorded.
fn ascii_rules() -> u32 {
    crate::normalize::NormalizationRules::Ascii.version()
}

/// Parses a 16-hex-digit build id.
pub fn parse_build_id(hex: &str, path: &Path) -> Result<u64> {
    u64::from_str_radix(hex, 16).map_err(|_| Error::Corrupt {
        path: path.to_path_buf(),
        detail: format!("build id {hex:?} is not 16 hex digits"),
    })
}

impl Manifest {
    /// The rules this (side) index's documents were normalised by; refused when a newer
    /// verbatim wrote rules this one does not know.
    pub fn rules(&self) -> Result<crate::normalize::NormalizationRules> {
        crate::normalize::NormalizationRules::from_version(self.normalization_rules).ok_or_else(
            || {
                Error::Invalid(format!(
                    "side index {:?} was normalised by rules version {}, which this verbatim does not know (it knows 1 to 3): use the verbatim that built it, or rebuild the index",
                    self.name, self.normalization_rules
                ))
            },
        )
    }

    /// The manifest of shards that were not built as one verbatim index (a group of indexes,
    /// an infini-gram index read in place): its documents and tokens are the shards', and it
    /// records no build (no inputs, options, timings, side indexes or full-text files).
    pub fn assembled(name: String, tokenizer: TokenizerInfo, shards: Vec<ShardInfo>) -> Manifest {
        Manifest {
            name,
            build_id: String::new(),
            created_unix: 0,
            verbatim_version: String::new(),
            tokenizer,
            documents: shards.iter().map(|s| s.documents).sum(),
            tokens: shards.iter().map(|s| s.tokens).sum(),
            text_bytes: 0,
            shards,
            inputs: Vec::new(),
            skipped: BTreeMap::new(),
            sources: Vec::new(),
            renamed_duplicate_ids: 0,
            options: BuildOptionsRecord::default(),
            timings: BTreeMap::new(),
            peak_rss_bytes: 0,
            normalization: None,
            normalization_rules: crate::normalize::NormalizationRules::CURRENT.version(),
            side_indexes: Vec::new(),
            fulltext_files: BTreeMap::new(),
            index_id: None,
            generation: 0,
            files: IndexFiles::default(),
            source_stats: BTreeMap::new(),
            fulltext_parts: BTreeMap::new(),
            side_build_ids: BTreeMap::new(),
        }
    }

    /// Reads and fully verifies `DIR/manifest.bin` (it is small).
    pub fn read(dir: &Path) -> Result<(Manifest, u64)> {
        Self::read_named(dir, MANIFEST_FILE)
    }

    /// The id of the index's first build (see [`Manifest::index_id`]).
    pub fn index_id(&self, dir: &Path) -> Result<u64> {
        parse_build_id(
            self.index_id.as_deref().unwrap_or(&self.build_id),
            &dir.join(MANIFEST_FILE),
        )
    }

    /// The build id stamped in shard `info`'s files.
    pub fn shard_build_id(&self, info: &ShardInfo, dir: &Path) -> Result<u64> {
        parse_build_id(
            info.build_id.as_deref().unwrap_or(&self.build_id),
            &dir.join(MANIFEST_FILE),
        )
    }

    /// Reads and fully verifies the manifest file `DIR/NAME` (side indexes name theirs in
    /// their parent's manifest).
    pub fn read_named(dir: &Path, name: &str) -> Result<(Manifest, u64)> {
        let path = dir.join(name);
        if !path.exists() {
            if let Some(old) = moved_aside_by_killed_build(dir) {
                return Err(Error::NotAnIndex(format!(
                    "{} is missing: a rebuild (--force) was killed while replacing it, and the \
                     old index is at {}. Put it back with `mv {} {}` (the next build, append or \
                     compaction into {} also puts it back)",
                    dir.display(),
                    old.display(),
                    old.display(),
                    dir.display(),
                    dir.display()
                )));
            }
            if !dir.exists() {
                return Err(Error::NotAnIndex(format!(
                    "{} does not exist, so it is not a verbatim index (nor an infini-gram \
                     one): check the path, or build an index there with `verbatim index`",
                    dir.display()
                )));
            }
            if name != MANIFEST_FILE {
                // A side index's manifest, which its parent's manifest names.
                return Err(Error::Corrupt {
                    path,
                    detail: "this side index's manifest, which its index's manifest names, is \
                             missing (restore it from a backup)"
                        .into(),
                });
            }
            return Err(Error::NotAnIndex(format!(
                "{} is not a verbatim index (no {name}); build one with `verbatim index`",
                dir.display()
            )));
        }
        let file = MappedFile::open(&path, FileKind::Manifest)?;
        file.verify_payload()?;
        let manifest: Manifest =
            serde_json::from_slice(file.payload()).map_err(|e| Error::Corrupt {
                path: path.clone(),
                detail: format!("manifest JSON does not parse: {e}"),
            })?;
        let build_id = file.header().build_id;
        if format!("{build_id:016x}") != manifest.build_id {
            return Err(Error::Corrupt {
                path,
                detail: "build id in the header differs from the manifest's".into(),
            });
        }
        Ok((manifest, build_id))
    }

    /// Writes `DIR/manifest.bin`.
    pub fn write(&self, dir: &Path, build_id: u64) -> Result<()> {
        self.write_named(dir, MANIFEST_FILE, build_id)
    }

    /// Writes the manifest as `DIR/NAME` (a new file).
    pub fn write_named(&self, dir: &Path, name: &str, build_id: u64) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("manifest serializes");
        let unicode = crate::normalize::NormalizationRules::Unicode.version();
        let analyzer = self.fulltext_analyzer(dir);
        let version = if analyzer.as_deref() == Some(crate::fulltext_words::NFC_WORDS_UNSPACED) {
            crate::format::NFC_WORDS_UNSPACED_MANIFEST_VERSION
        } else if analyzer.as_deref() == Some(crate::fulltext_words::NFC_WORDS) {
            crate::format::NFC_WORDS_MANIFEST_VERSION
        } else if self.normalization.is_some() && self.normalization_rules >= unicode {
            crate::format::UNICODE_SIDE_MANIFEST_VERSION
        } else {
            crate::format::FORMAT_VERSION
        };
        let mut w = FileWriter::create(&dir.join(name), FileKind::Manifest, 0, build_id)?
            .with_version(version);
        w.write(&json)?;
        w.finish(1)?;
        Ok(())
    }
}

impl Manifest {
    /// The analyzer that the full-text index of this manifest's index, in `dir`, makes its
    /// terms with (read from its tantivy schema, `meta.json`): `None` without a full-text index.
    fn fulltext_analyzer(&self, dir: &Path) -> Option<String> {
        if self.fulltext_files.is_empty() {
            return None;
        }
        let meta = dir.join(&self.files.fulltext).join("meta.json");
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(meta).ok()?).ok()?;
        meta["schema"]
            .as_array()?
            .iter()
            .find(|f| f["name"] == "text")?["options"]["indexing"]["tokenizer"]
            .as_str()
            .map(str::to_string)
    }
}

/// Where a forced build killed between its two renames left the index that `dir` was
/// (`.NAME.building-PID.old` beside it, as `indexer/src/atomic` names it, holding a manifest), when `dir` itself is missing and
/// exactly one such index is there.
fn moved_aside_by_killed_build(dir: &Path) -> Option<std::path::PathBuf> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return None;
    }
    let name = dir.file_name()?.to_str()?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.building-");
    let found: Vec<std::path::PathBuf> = std::fs::read_dir(parent)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix)?.strip_suffix(".old"))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST_FILE).exists())
        .collect();
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}
