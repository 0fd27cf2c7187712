//! `infini-gram.bin`: what ties a side directory (made by `verbatim attach`) to the
//! infini-gram index it serves.
//!
//! A side directory is a verbatim index directory without shards of its own: its manifest,
//! tokenizer copy, id map, source sets, full-text index and per-shard unigram counts
//! (`unigrams-N.bin`) are verbatim's files, and `infini-gram.bin` names the infini-gram
//! directory whose `tokenized.N` / `table.N` / `offset.N` / `metadata.N` are the shards. It
//! records a fingerprint of every file of that directory (size, and xxh3 of its first and last
//! 64 KiB), checked at every open: a directory that changed since `verbatim attach` is refused
//! with the file that differs, because the id map and counts beside it would be stale.

use super::layout::Layout;
use super::records::IdRule;
use crate::error::{Error, Result};
use crate::format::{FileKind, FileWriter, MappedFile};
use crate::token::TokenWidth;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// File name of the attachment inside a side directory.
pub const ATTACHMENT_FILE: &str = "infini-gram.bin";

/// Bytes hashed at each end of a file for its fingerprint.
const SAMPLE: u64 = 64 << 10;

/// The file name of shard `suffix`'s unigram counts in a side directory.
pub fn unigram_file(suffix: &str) -> String {
    format!("unigrams-{suffix}.bin")
}

/// Size and a sample hash of one file: cheap to check at every open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Size in bytes.
    pub bytes: u64,
    /// xxh3-64 (16 hex digits) of the first and last 64 KiB (the whole file when smaller).
    pub sample_xxh3: String,
}

impl Fingerprint {
    /// The fingerprint of `path`.
    pub fn of(path: &Path) -> Result<Fingerprint> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let bytes = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = vec![0u8; SAMPLE.min(bytes) as usize];
        f.read_exact(&mut buf).map_err(|e| Error::io(path, e))?;
        h.update(&buf);
        if bytes > SAMPLE {
            let tail = SAMPLE.min(bytes - SAMPLE);
            f.seek(SeekFrom::Start(bytes - tail))
                .map_err(|e| Error::io(path, e))?;
            let mut buf = vec![0u8; tail as usize];
            f.read_exact(&mut buf).map_err(|e| Error::io(path, e))?;
            h.update(&buf);
        }
        Ok(Fingerprint {
            bytes,
            sample_xxh3: format!("{:016x}", h.digest()),
        })
    }
}

/// One attached shard: its number and the fingerprints of its files, by file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedShard {
    /// The shard number of the file names (`0` of `tokenized.0`).
    pub suffix: String,
    /// Fingerprint of each of its files, by name.
    pub files: BTreeMap<String, Fingerprint>,
}

/// The payload of `infini-gram.bin` (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The infini-gram index directory (absolute).
    pub dir: PathBuf,
    /// infini-gram's index version (4: verbatim reads no other).
    pub version: u32,
    /// Token width of the index.
    pub token_width: TokenWidth,
    /// The id infini-gram's engine reports for a document end (`eos_token_id`).
    pub eos_token_id: u32,
    /// How documents get their external ids.
    pub id_rule: IdRule,
    /// The shards in infini-gram's order.
    pub shards: Vec<AttachedShard>,
}

/// A damaged file of side directory `side` (one made by `verbatim attach`) comes with the
/// advice to make the directory again, rather than `verbatim index`'s; other errors are
/// returned as they are.
pub fn advise_attach_again(e: Error, side: &Path) -> Error {
    match e {
        Error::Corrupt { path, detail }
            if path.starts_with(side) && side.join(ATTACHMENT_FILE).exists() =>
        {
            Error::InfiniGram {
                path,
                detail: format!(
                    "{detail}: this file of the side directory {} is made by `verbatim \
                     attach`; make the directory again with `verbatim attach --infini-gram DIR \
                     --tokenizer TOKENIZER --out {} --force` (its takedowns are carried over)",
                    side.display(),
                    side.display()
                ),
            }
        }
        e => e,
    }
}

fn refuse(path: &Path, detail: impl Into<String>) -> Error {
    Error::InfiniGram {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

impl Attachment {
    /// Fingerprints of every file of `layout`.
    pub fn fingerprint(layout: &Layout) -> Result<Vec<AttachedShard>> {
        layout
            .shards
            .iter()
            .map(|s| {
                let files = s
                    .all()
                    .into_iter()
                    .map(|p| {
                        let name = p
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        Ok((name, Fingerprint::of(p)?))
                    })
                    .collect::<Result<BTreeMap<_, _>>>()?;
                Ok(AttachedShard {
                    suffix: s.suffix.clone(),
                    files,
                })
            })
            .collect()
    }

    /// Reads the attachment of side directory `side`, if it has one, checking its header.
    pub fn read(side: &Path, build_id: u64) -> Result<Option<Attachment>> {
        let path = side.join(ATTACHMENT_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let f = MappedFile::open(&path, FileKind::Attachment)?;
        f.expect_build(build_id)?;
        f.verify_payload()?;
        serde_json::from_slice(f.payload())
            .map(Some)
            .map_err(|e| Error::Corrupt {
                path: path.clone(),
                detail: format!("not an attachment: {e}"),
            })
    }

    /// Writes the attachment into side directory `side`.
    pub fn write(&self, side: &Path, build_id: u64) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("attachment serializes");
        FileWriter::write_file(
            &side.join(ATTACHMENT_FILE),
            FileKind::Attachment,
            0,
            build_id,
            &json,
            1,
        )?;
        Ok(())
    }

    /// Checks that the infini-gram directory still holds the files that were attached,
    /// returning its layout.
    pub fn check(&self, side: &Path) -> Result<Layout> {
        if self.version != 4 {
            return Err(refuse(
                &self.dir,
                format!(
                    "attached as infini-gram index version {}; verbatim reads version 4",
                    self.version
                ),
            ));
        }
        let layout = super::layout::scan(&self.dir).map_err(|e| match e {
            Error::Io { path, error } => refuse(
                &path,
                format!(
                    "cannot read the infini-gram index that {} is attached to: {error}",
                    side.display()
                ),
            ),
            other => other,
        })?;
        let now = Self::fingerprint(&layout)?;
        let names =
            |v: &[AttachedShard]| -> Vec<String> { v.iter().map(|s| s.suffix.clone()).collect() };
        if names(&now) != names(&self.shards) {
            return Err(refuse(
                &self.dir,
                format!(
                    "the index now has shards [{}], but {} was attached to shards [{}]; run `verbatim attach` again",
                    names(&now).join(", "),
                    side.display(),
                    names(&self.shards).join(", ")
                ),
            ));
        }
        for (was, is) in self.shards.iter().zip(&now) {
            for (name, fp) in &was.files {
                match is.files.get(name) {
                    Some(got) if got == fp => {}
                    Some(got) => {
                        return Err(refuse(
                            &self.dir.join(name),
                            format!(
                                "changed since `verbatim attach` ({} bytes, sample {}; attached: {} bytes, sample {}); run `verbatim attach` again",
                                got.bytes, got.sample_xxh3, fp.bytes, fp.sample_xxh3
                            ),
                        ))
                    }
                    None => {
                        return Err(refuse(
                            &self.dir.join(name),
                            "missing, but present when the index was attached",
                        ))
                    }
                }
            }
            if let Some(extra) = is.files.keys().find(|n| !was.files.contains_key(*n)) {
                return Err(refuse(
                    &self.dir.join(extra),
                    "added since `verbatim attach`; run `verbatim attach` again",
                ));
            }
        }
        Ok(layout)
    }
}
