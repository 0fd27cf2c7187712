//! Opening an index: a verbatim index by its manifest, a side directory attached to an
//! infini-gram index, or a bare infini-gram index; and groups assembled from open members.

use super::{files, Index, OpenOptions};
use crate::error::{Error, Result};
use crate::format::{FileKind, MappedFile};
use crate::fulltext::FullText;
use crate::manifest::Manifest;
use crate::shard::Shard;
use crate::takedown::Takedown;
use crate::tokenizer::TextTokenizer;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::RwLock;

/// Checks every tantivy file against the size and checksum the manifest recorded.
pub(crate) fn verify_fulltext_files(ft_dir: &Path, manifest: &Manifest) -> Result<()> {
    manifest.fulltext_files.par_iter().try_for_each(|(name, want)| {
        let path = ft_dir.join(name);
        let got = crate::manifest::FileSum::of(&path).map_err(|e| match e {
            Error::Io { path, error } if error.kind() == std::io::ErrorKind::NotFound => {
                Error::Corrupt {
                    path,
                    detail: "full-text index file of the build is missing".into(),
                }
            }
            e => e,
        })?;
        if &got != want {
            return Err(Error::Corrupt {
                path,
                detail: format!(
                    "full-text index file changed since the build (size {} / checksum {}, expected {} / {})",
                    got.bytes, got.xxh3, want.bytes, want.xxh3
                ),
            });
        }
        Ok(())
    })
}

/// The check of the full-text files that costs no hashing: each file the manifest names is
/// there with its recorded size (a `fulltext` directory of another build has other segment
/// files), so one opened without hashing is still this build's.
fn check_fulltext_sizes(ft_dir: &Path, manifest: &Manifest) -> Result<()> {
    for (name, want) in &manifest.fulltext_files {
        let path = ft_dir.join(name);
        let detail = match std::fs::metadata(&path) {
            Ok(m) if m.len() == want.bytes => continue,
            Ok(m) => format!(
                "full-text index file changed since the build (size {}, expected {})",
                m.len(),
                want.bytes
            ),
            Err(e) => format!(
                "full-text index file of the build is missing ({e}): the full-text directory is not this build's"
            ),
        };
        return Err(Error::Corrupt { path, detail });
    }
    Ok(())
}

/// Hashes every payload of the index-level files and the shards.
pub(super) fn verify_payloads(
    ids: Option<&MappedFile>,
    sources: Option<&MappedFile>,
    shards: &[Shard],
) -> Result<()> {
    let mut all: Vec<&MappedFile> = ids.into_iter().chain(sources).collect();
    for s in shards {
        all.extend(s.files());
    }
    all.par_iter().try_for_each(|f| f.verify_payload())
}

/// Checks that the shards number documents consecutively from 0 and that the totals agree.
fn check_shard_numbering(dir: &Path, m: &Manifest) -> Result<()> {
    let mut next = 0u64;
    let mut tokens = 0u64;
    for s in &m.shards {
        if s.first_doc != next {
            return Err(Error::Corrupt {
                path: dir.join(crate::manifest::MANIFEST_FILE),
                detail: format!(
                    "shard {} starts at document {} but {} documents precede it",
                    s.dir, s.first_doc, next
                ),
            });
        }
        next += s.documents;
        tokens += s.tokens;
    }
    if next != m.documents || tokens != m.tokens {
        return Err(Error::Corrupt {
            path: dir.join(crate::manifest::MANIFEST_FILE),
            detail: format!(
                "the shards hold {next} documents and {tokens} tokens, the manifest says {} and {}",
                m.documents, m.tokens
            ),
        });
    }
    Ok(())
}

/// The shards of a side directory attached to an infini-gram index: the infini-gram files,
/// checked against the attachment's fingerprints, with the side's unigram counts.
fn open_attached_shards(
    dir: &Path,
    manifest: &Manifest,
    att: &crate::infini_gram::Attachment,
    build_id: u64,
    opts: OpenOptions,
) -> Result<Vec<Shard>> {
    use crate::infini_gram as ig;
    let layout = att.check(dir)?;
    if layout.shards.len() != manifest.shards.len() || att.token_width != manifest.tokenizer.width {
        return Err(Error::Corrupt {
            path: dir.join(crate::manifest::MANIFEST_FILE),
            detail: "the manifest and infini-gram.bin describe different shards".into(),
        });
    }
    layout
        .shards
        .par_iter()
        .zip(&manifest.shards)
        .map(|(files, info)| {
            let path = dir.join(ig::attachment::unigram_file(&files.suffix));
            let f = MappedFile::open(&path, FileKind::Unigrams)?;
            f.expect_build(build_id)?;
            if opts.verify_checksums {
                f.verify_payload()?;
            }
            let s = ig::IgShard::open(files, att.token_width, ig::Unigrams::Given(f), att.id_rule)?;
            if s.documents() as u64 != info.documents || s.tokens_count() as u64 != info.tokens {
                return Err(Error::InfiniGram {
                    path: files.tokenized.clone(),
                    detail: format!(
                        "holds {} documents and {} tokens, the side directory {} says {} and {}",
                        s.documents(),
                        s.tokens_count(),
                        dir.display(),
                        info.documents,
                        info.tokens
                    ),
                });
            }
            Shard::from_infini_gram(s, info.clone())
        })
        .collect()
}

/// The index a side index belongs to: the directory a takedown list is kept in and the id it
/// carries, and the manifest file whose replacement commits a new generation of both.
#[derive(Debug, Clone)]
pub(crate) struct Parent {
    /// The parent index's directory (`INDEX` of `INDEX/side/NAME`).
    pub(crate) dir: std::path::PathBuf,
    /// The parent's [`Index::index_id`], which its takedown list carries.
    pub(crate) index_id: u64,
}

/// The side index in `dir` (`INDEX/side/NAME`) as its parent index names it: the parent, and
/// the side index's manifest file the parent's manifest names. After an append or a
/// compaction that is `manifest-gN.bin`, so that the side index opened alone (`verbatim
/// contamination --side-index INDEX/side/words`, or served) is the generation its index
/// serves, even where a killed commit left the old `manifest.bin`. `None` when `dir` is not a
/// side index its parent names; an error when `dir` lies in an index's `side/` but that
/// index's manifest cannot be read (its takedown list would be passed over).
fn side_named_by_parent(dir: &Path) -> Result<Option<(Parent, String)>> {
    named_by_parent(parent_of_side_dir(dir))
}

/// [`side_named_by_parent`] of the `(INDEX, NAME)` that [`parent_of_side_dir`] found.
fn named_by_parent(side_of: Option<(PathBuf, String)>) -> Result<Option<(Parent, String)>> {
    let Some((parent_dir, name)) = side_of else {
        return Ok(None);
    };
    let (parent, _) = Manifest::read(&parent_dir)?;
    if !parent.side_indexes.iter().any(|n| n.name() == name) {
        return Ok(None);
    }
    // The first build's side manifests are `manifest.bin`, which the parent does not name.
    let manifest = parent
        .files
        .side_manifests
        .get(&name)
        .cloned()
        .unwrap_or_else(|| crate::manifest::MANIFEST_FILE.to_string());
    let index_id = parent.index_id(&parent_dir)?;
    Ok(Some((
        Parent {
            dir: parent_dir,
            index_id,
        },
        manifest,
    )))
}

/// `(INDEX, NAME)` when `dir`, its symbolic links, `.` and `..` resolved, is
/// `INDEX/side/NAME` and `INDEX` holds a manifest file (not checked to name it).
fn parent_of_side_dir(dir: &Path) -> Option<(PathBuf, String)> {
    let dir = dir.canonicalize().ok()?;
    let name = dir.file_name()?.to_str()?.to_string();
    let side_root = dir.parent()?;
    if side_root.file_name()? != "side" {
        return None;
    }
    let parent = side_root.parent()?;
    parent
        .join(crate::manifest::MANIFEST_FILE)
        .exists()
        .then(|| (parent.to_path_buf(), name))
}

/// Refuses a side index opened alone whose own directory holds a takedown list: verbatim
/// before 2026-12-05 wrote one there for `verbatim takedown --index INDEX/side/NAME`, and a
/// side index now reads its index's list only, so those documents would be shown again.
fn refuse_own_takedown_list(side: &Index, parent: &Path) -> Result<()> {
    if !Takedown::present(&side.dir) {
        return Ok(());
    }
    let list = Takedown::load(&side.dir, side.index_id)?;
    let ids: Vec<String> = list
        .iter()
        .take(20)
        .map(|no| {
            side.locate(no)
                .and_then(|l| side.doc_record(l).ok())
                .map_or_else(|| format!("#{no}"), |r| r.id)
        })
        .collect();
    Err(Error::Invalid(format!(
        "{} holds a takedown list of its own ({} document(s): {}{}), written through this side \
         index's path by an older verbatim; a side index now reads its index's list, {}. Take \
         those documents down there (`verbatim takedown add --index {} ID...`), then delete {}",
        side.dir.display(),
        list.len(),
        ids.join(", "),
        if list.len() > 20 { ", ..." } else { "" },
        parent.join(files::TAKEDOWN).display(),
        parent.display(),
        side.dir.join(files::TAKEDOWN).display()
    )))
}

impl Index {
    /// Opens the index in `dir` with default options (checksums verified).
    pub fn open(dir: &Path) -> Result<Index> {
        Self::open_with(dir, OpenOptions::default())
    }

    /// The directory [`Index::open_with`] reads the index in `dir` from ([`Index::dir`] of the
    /// index it opens), found without opening it: `dir` itself, or the side directory
    /// `DIR.verbatim` of an infini-gram index directory.
    pub fn dir_opened_for(dir: &Path) -> std::path::PathBuf {
        if crate::infini_gram::looks_like(dir) {
            crate::infini_gram::default_side_dir(dir)
        } else {
            dir.to_path_buf()
        }
    }

    /// Opens the index in `dir`: a verbatim index, a side directory made by
    /// `verbatim attach` (serving the infini-gram index it names), or an infini-gram index
    /// directory (served with its side directory `DIR.verbatim` when there is one, bare
    /// otherwise; see [`crate::infini_gram`]).
    pub fn open_with(dir: &Path, opts: OpenOptions) -> Result<Index> {
        if crate::infini_gram::looks_like(dir) {
            let side = crate::infini_gram::default_side_dir(dir);
            if side.join(crate::manifest::MANIFEST_FILE).exists() {
                let ix = Self::open_manifest(&side, crate::manifest::MANIFEST_FILE, opts, None)?;
                let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                };
                if !ix.infini_gram.as_ref().is_some_and(|g| same(&g.dir, dir)) {
                    return Err(Error::InfiniGram {
                        path: side,
                        detail: format!(
                            "this side directory is not attached to {}; run `verbatim attach` again",
                            dir.display()
                        ),
                    });
                }
                return Ok(ix);
            }
            return Self::open_bare_infini_gram(dir, opts);
        }
        // A side index its parent names is a generation of its parent: the parent's manifest
        // file is what a watcher compares (stamped before it is read), and the parent's
        // takedown list is the side index's.
        let side_of = parent_of_side_dir(dir);
        let parent_stamp = side_of.as_ref().and_then(|(p, _)| {
            crate::file_stamp::FileStamp::of(&p.join(crate::manifest::MANIFEST_FILE))
        });
        match named_by_parent(side_of)? {
            Some((parent, name)) => {
                let parent_dir = parent.dir.clone();
                let mut ix = Self::open_manifest(dir, &name, opts, Some(parent))?;
                ix.manifest_stamp = parent_stamp;
                refuse_own_takedown_list(&ix, &parent_dir)?;
                Ok(ix)
            }
            None => {
                let ix = Self::open_manifest(dir, crate::manifest::MANIFEST_FILE, opts, None)?;
                // A side index outside the index it was built with has no takedown list to
                // read: it would show what its index took down.
                if let Some(n) = ix.manifest.normalization {
                    return Err(Error::Invalid(format!(
                        "{} is a side index ({} normalisation) that no index names: open it \
                         inside the index it was built with, as INDEX/side/{} (it reads that \
                         index's takedown list)",
                        dir.display(),
                        n.name(),
                        n.name()
                    )));
                }
                Ok(ix)
            }
        }
    }

    /// The directory whose `takedown.bin` the index [`Index::open_with`] opens in `dir` reads
    /// ([`Index::takedown_dir`]), found without opening it: that of [`Index::dir_opened_for`],
    /// or the parent `INDEX` of a side index `INDEX/side/NAME` (also when the parent's
    /// manifest does not read, which fails the opening too).
    pub fn takedown_dir_for(dir: &Path) -> std::path::PathBuf {
        match side_named_by_parent(dir) {
            Ok(Some((parent, _))) => parent.dir,
            Ok(None) => Self::dir_opened_for(dir),
            Err(_) => parent_of_side_dir(dir).map_or_else(|| Self::dir_opened_for(dir), |(p, _)| p),
        }
    }

    /// The manifest file whose replacement commits a new generation of the index in `dir`
    /// (an append, a compaction, a forced rebuild): `manifest.bin` in the directory that keeps
    /// its takedown list ([`Index::takedown_dir_for`]: its own, an infini-gram index's side
    /// directory, or a side index's parent). [`Index::manifest_stamp`] is this file's stamp
    /// as the index was opened.
    pub fn generation_file_for(dir: &Path) -> std::path::PathBuf {
        Self::takedown_dir_for(dir).join(crate::manifest::MANIFEST_FILE)
    }

    /// Opens the index in `dir` described by the manifest file `manifest_name` instead of
    /// `manifest.bin` (side indexes are opened through the manifest their parent names).
    pub fn open_named(dir: &Path, manifest_name: &str, opts: OpenOptions) -> Result<Index> {
        Self::open_manifest(dir, manifest_name, opts, None)
    }

    /// Opens the index in `dir` from its manifest file `manifest_name`; `parent` is the index
    /// a side index belongs to, whose takedown list it reads.
    fn open_manifest(
        dir: &Path,
        manifest_name: &str,
        opts: OpenOptions,
        parent: Option<Parent>,
    ) -> Result<Index> {
        Self::open_manifest_files(dir, manifest_name, opts, parent)
            .map_err(|e| crate::infini_gram::attachment::advise_attach_again(e, dir))
    }

    /// [`Index::open_manifest`], with the advice of an index `verbatim index` built.
    fn open_manifest_files(
        dir: &Path,
        manifest_name: &str,
        opts: OpenOptions,
        parent: Option<Parent>,
    ) -> Result<Index> {
        // Taken before the manifest is read: a generation committed while this one opens
        // changes the file after it, so a watcher comparing with it sees the change.
        let manifest_stamp = crate::file_stamp::FileStamp::of(&dir.join(manifest_name));
        let (manifest, build_id) = Manifest::read_named(dir, manifest_name)?;
        let index_id = manifest.index_id(dir)?;
        let width = manifest.tokenizer.width;
        let tokenizer = if manifest.tokenizer.kind == "bytes" {
            TextTokenizer::Bytes
        } else {
            let f = MappedFile::open(&dir.join(files::TOKENIZER), FileKind::Tokenizer)?;
            f.expect_build(index_id)?;
            f.verify_payload()?;
            let tok = TextTokenizer::from_json_bytes(f.payload())?;
            if tok.identity() != manifest.tokenizer.sha256 {
                return Err(Error::TokenizerMismatch {
                    index: manifest.tokenizer.sha256.clone(),
                    given: tok.identity(),
                });
            }
            tok
        };
        let attachment = crate::infini_gram::Attachment::read(dir, build_id)?;
        // An infini-gram index may store a small vocabulary in wide tokens.
        let fits = attachment.is_some() && tokenizer.width().bytes() <= width.bytes();
        if tokenizer.width() != width && !fits {
            return Err(Error::Invalid(format!(
                "{}: tokenizer needs {:?} tokens but the index stores {:?}",
                dir.display(),
                tokenizer.width(),
                width
            )));
        }
        let shards = match &attachment {
            Some(att) => open_attached_shards(dir, &manifest, att, build_id, opts)?,
            None => manifest
                .shards
                .iter()
                .map(|info| {
                    let id = manifest.shard_build_id(info, dir)?;
                    Shard::open(&dir.join(&info.dir), info, width, id)
                })
                .collect::<Result<Vec<_>>>()?,
        };
        check_shard_numbering(dir, &manifest)?;
        let mut shard_token_base = Vec::with_capacity(shards.len());
        let mut acc = 0u64;
        for s in &shards {
            shard_token_base.push(acc);
            acc += s.info().tokens;
        }
        let id_file = MappedFile::open(&dir.join(&manifest.files.ids), FileKind::IdMap)?;
        id_file.expect_build(build_id)?;
        let sources_file = MappedFile::open(&dir.join(&manifest.files.sources), FileKind::Sources)?;
        sources_file.expect_build(build_id)?;
        if opts.verify_checksums {
            verify_payloads(Some(&id_file), Some(&sources_file), &shards)?;
        }
        let numbered_ids = attachment
            .as_ref()
            .is_some_and(|a| a.id_rule == crate::infini_gram::IdRule::DocNumber);
        let infini_gram = attachment.map(|a| crate::infini_gram::InfiniGramSource {
            dir: a.dir,
            side: Some(dir.to_path_buf()),
            eos_token_id: a.eos_token_id,
        });
        let ids =
            fst::Map::new(id_file.payload_slice(0..id_file.payload().len())).map_err(|e| {
                Error::Corrupt {
                    path: id_file.path().to_path_buf(),
                    detail: format!("not a valid fst map: {e}"),
                }
            })?;
        let vocab = manifest.tokenizer.vocab_size as usize;
        let mut unigrams = vec![0u64; vocab];
        for s in &shards {
            for (acc, c) in unigrams.iter_mut().zip(s.unigram_counts()) {
                *acc += c;
            }
        }
        let unigram_total = unigrams.iter().sum();
        let ft_dir = dir.join(&manifest.files.fulltext);
        let fulltext = if opts.fulltext && manifest.options.fulltext {
            if opts.verify_checksums {
                verify_fulltext_files(&ft_dir, &manifest)?;
            } else {
                check_fulltext_sizes(&ft_dir, &manifest)?;
            }
            // Mapped for `Disk` at once when asked for it (`Auto` is judged once the whole
            // index is open).
            let ft = FullText::open(
                &ft_dir,
                manifest.documents,
                &manifest.fulltext_parts,
                opts.residency,
            )
            .map_err(|e| {
                // A full-text index that does not open: name the file that changed since
                // the build, when one did (opened without hashing, nothing checked it yet).
                verify_fulltext_files(&ft_dir, &manifest).err().unwrap_or(e)
            })?;
            if opts.verify_checksums {
                ft.verify(&ft_dir)?;
            }
            Some(ft)
        } else {
            None
        };
        let takedown = match &parent {
            Some(p) => Takedown::load(&p.dir, p.index_id)?,
            None => Takedown::load(dir, index_id)?,
        };
        takedown.check_documents(
            parent.as_ref().map_or(dir, |p| p.dir.as_path()),
            manifest.documents,
        )?;
        let sides = manifest
            .side_indexes
            .iter()
            .map(|n| {
                let name = manifest
                    .files
                    .side_manifests
                    .get(n.name())
                    .map_or(crate::manifest::MANIFEST_FILE, String::as_str);
                let side_dir = dir.join("side").join(n.name());
                if !side_dir.join(name).exists() {
                    return Err(Error::Corrupt {
                        path: side_dir.join(name),
                        detail: format!(
                            "the {} side index, which the index's manifest names, is missing{}: restore it from a backup, or rebuild the index with --side-indexes",
                            n.name(),
                            if side_dir.exists() { "" } else { " (its whole directory)" }
                        ),
                    });
                }
                let parent = Parent {
                    dir: dir.to_path_buf(),
                    index_id,
                };
                let side = Index::open_manifest(&side_dir, name, opts, Some(parent))?;
                check_side(&manifest, n.name(), &side_dir, side.manifest())?;
                Ok((*n, side))
            })
            .collect::<Result<Vec<_>>>()?;
        let index = Index {
            sides,
            dir: dir.to_path_buf(),
            manifest,
            build_id,
            index_id,
            tokenizer: std::sync::Arc::new(tokenizer),
            shards,
            shard_token_base,
            id_file: Some(id_file),
            ids: Some(ids),
            numbered_ids,
            sources_file: Some(sources_file),
            infini_gram,
            unigrams,
            unigram_total,
            fulltext,
            takedown: RwLock::new(takedown),
            takedown_generation: AtomicU64::new(0),
            origins: std::sync::OnceLock::new(),
            manifest_name: Some(manifest_name.to_string()),
            instance: crate::index::next_instance(),
            on_disk: std::sync::atomic::AtomicBool::new(false),
            members: Vec::new(),
            manifest_stamp,
            parent,
        };
        index.set_residency(opts.residency);
        Ok(index)
    }

    /// Opens an infini-gram index directory without a side directory (see
    /// [`crate::infini_gram`]): byte indexes get the bytes tokenizer, others answer token ids
    /// only; documents are `#N`; no id map, sources, full-text index or takedowns.
    fn open_bare_infini_gram(dir: &Path, opts: OpenOptions) -> Result<Index> {
        use crate::infini_gram as ig;
        ig::refuse_v5_name(dir)?;
        let layout = ig::scan(dir)?;
        let width = ig::infer_layout_width(&layout)?;
        let vocab_size = ig::bare_vocab_size(&layout, width)?;
        let (tokenizer, kind) = match width {
            crate::TokenWidth::U8 => (TextTokenizer::Bytes, "bytes"),
            _ => (TextTokenizer::Ids { vocab_size, width }, "ids"),
        };
        let opened = layout
            .shards
            .par_iter()
            .map(|s| {
                ig::IgShard::open(
                    s,
                    width,
                    ig::Unigrams::Derive { vocab_size },
                    ig::IdRule::DocNumber,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let infos = ig::shard_infos(&opened);
        let build_id = ig::content_id(&layout)?;
        let manifest = ig::bare_manifest(&layout, width, vocab_size, kind, &infos, build_id);
        let shards = opened
            .into_iter()
            .zip(&infos)
            .map(|(s, info)| Shard::from_infini_gram(s, info.clone()))
            .collect::<Result<Vec<_>>>()?;
        // A bare index does not know its tokenizer's end-of-text token: a document's end is
        // reported as the separator, not as a guessed id that may be a real token (`verbatim
        // attach --tokenizer` names the end-of-text token).
        let eos_token_id = match width {
            crate::TokenWidth::U8 => 0,
            _ => width.separator(),
        };
        let mut shard_token_base = Vec::with_capacity(shards.len());
        let mut acc = 0u64;
        for s in &shards {
            shard_token_base.push(acc);
            acc += s.info().tokens;
        }
        let mut unigrams = vec![0u64; vocab_size as usize];
        for s in &shards {
            for (acc, c) in unigrams.iter_mut().zip(s.unigram_counts()) {
                *acc += c;
            }
        }
        let index = Index {
            sides: Vec::new(),
            dir: dir.to_path_buf(),
            build_id,
            index_id: build_id,
            tokenizer: std::sync::Arc::new(tokenizer),
            shards,
            shard_token_base,
            id_file: None,
            ids: None,
            numbered_ids: true,
            sources_file: None,
            infini_gram: Some(ig::InfiniGramSource {
                dir: dir.to_path_buf(),
                side: None,
                eos_token_id,
            }),
            unigram_total: unigrams.iter().sum(),
            unigrams,
            fulltext: None,
            takedown: RwLock::new(Takedown::default()),
            takedown_generation: AtomicU64::new(0),
            origins: std::sync::OnceLock::new(),
            manifest_name: None,
            instance: crate::index::next_instance(),
            on_disk: std::sync::atomic::AtomicBool::new(false),
            manifest,
            members: Vec::new(),
            manifest_stamp: None,
            parent: None,
        };
        index.set_residency(opts.residency);
        Ok(index)
    }

    /// An index over `shards` (already numbered globally) with `members`: a group.
    pub(crate) fn from_group_parts(
        dir: PathBuf,
        manifest: Manifest,
        build_id: u64,
        tokenizer: std::sync::Arc<TextTokenizer>,
        shards: Vec<Shard>,
        members: Vec<crate::group::Member>,
    ) -> Index {
        let mut shard_token_base = Vec::with_capacity(shards.len());
        let mut acc = 0u64;
        for s in &shards {
            shard_token_base.push(acc);
            acc += s.info().tokens;
        }
        let mut unigrams = vec![0u64; manifest.tokenizer.vocab_size as usize];
        for s in &shards {
            for (acc, c) in unigrams.iter_mut().zip(s.unigram_counts()) {
                *acc += c;
            }
        }
        let unigram_total = unigrams.iter().sum();
        Index {
            dir,
            manifest,
            build_id,
            index_id: build_id,
            tokenizer,
            shards,
            shard_token_base,
            id_file: None,
            ids: None,
            numbered_ids: false,
            sources_file: None,
            infini_gram: None,
            unigrams,
            unigram_total,
            fulltext: None,
            takedown: RwLock::new(Takedown::default()),
            takedown_generation: AtomicU64::new(0),
            origins: std::sync::OnceLock::new(),
            manifest_name: None,
            instance: crate::index::next_instance(),
            on_disk: std::sync::atomic::AtomicBool::new(false),
            sides: Vec::new(),
            members,
            manifest_stamp: None,
            parent: None,
        }
    }
}

/// Refuses a side index that is not the one built with `main`: another build id than the
/// one `main` recorded for it, or (for indexes that record none) another number of
/// documents. Its document numbers would name other documents than the main index's.
fn check_side(main: &Manifest, name: &str, dir: &Path, side: &Manifest) -> Result<()> {
    let detail = match main.side_build_ids.get(name) {
        Some(want) if *want != side.build_id => format!(
            "side index {name:?} has build id {}, but the index was built with side index build {want}: it belongs to another build",
            side.build_id
        ),
        _ if side.documents != main.documents => format!(
            "side index {name:?} holds {} documents, the index {}: it belongs to another build",
            side.documents, main.documents
        ),
        _ => return Ok(()),
    };
    Err(Error::Corrupt {
        path: dir.to_path_buf(),
        detail,
    })
}
