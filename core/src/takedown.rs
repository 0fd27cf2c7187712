//! Taken-down documents: a roaring bitmap of global document numbers in `INDEX/takedown.bin`.
//!
//! Taken-down documents are never returned and their text is never shown, without rebuilding
//! the index. The file is replaced atomically ([`crate::atomic`]: written beside it, synced,
//! renamed), so a server reading it concurrently sees either the old or the new list.

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::file_stamp::FileStamp;
use crate::format::{FileKind, FileWriter, MappedFile};
use crate::index::files::TAKEDOWN;
use roaring::RoaringBitmap;
use std::path::Path;

/// The set of taken-down documents.
#[derive(Debug, Clone, Default)]
pub struct Takedown {
    docs: RoaringBitmap,
    stamp: Option<FileStamp>,
}

/// The stamp of `DIR/takedown.bin` (every save renames a new file into place).
fn stamp(dir: &Path) -> Option<FileStamp> {
    FileStamp::of(&dir.join(TAKEDOWN))
}

impl Takedown {
    /// Whether `DIR` holds a takedown list: any entry named `takedown.bin`, readable or not (a
    /// symbolic link to a missing file counts: such a list cannot be read, so it is not no
    /// list).
    pub fn present(dir: &Path) -> bool {
        std::fs::symlink_metadata(dir.join(TAKEDOWN)).is_ok()
    }

    /// Loads `DIR/takedown.bin`; an absent file is an empty list. The file must carry the
    /// index's build id (`build_id`): a list written for another index is refused, because its
    /// document numbers mean other documents there.
    pub fn load(dir: &Path, build_id: u64) -> Result<Takedown> {
        let path = dir.join(TAKEDOWN);
        let stamp = stamp(dir);
        // Only no entry at all is no list: a symbolic link whose target is missing (an
        // unmounted disk) or that loops is a list that cannot be read, never an empty one.
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Takedown::default()),
            Err(e) => {
                return Err(Error::BadTakedownList {
                    path: path.clone(),
                    detail: e.to_string(),
                })
            }
            Ok(_) => {}
        }
        let bad = |e: Error| Error::BadTakedownList {
            path: path.clone(),
            detail: match e {
                Error::Corrupt { detail, .. } => detail,
                // Its own advice (rebuild) is wrong for a list: say only what is found.
                Error::Version {
                    found,
                    oldest,
                    newest,
                    ..
                } => format!(
                    "format version {found}, but this verbatim reads versions {oldest} to {newest}"
                ),
                e => e.to_string(),
            },
        };
        let file = MappedFile::open(&path, FileKind::Takedown).map_err(bad)?;
        file.verify_payload().map_err(bad)?;
        file.expect_build(build_id).map_err(bad)?;
        let docs = RoaringBitmap::deserialize_from(file.payload()).map_err(|e| {
            bad(Error::Corrupt {
                path: path.clone(),
                detail: format!("roaring bitmap does not parse: {e}"),
            })
        })?;
        let extra = file.payload().len().saturating_sub(docs.serialized_size());
        if extra > 0 {
            return Err(bad(Error::Corrupt {
                path: path.clone(),
                detail: format!("{extra} bytes follow the bitmap"),
            }));
        }
        if file.header().element_count != docs.len() {
            return Err(bad(Error::Corrupt {
                path: path.clone(),
                detail: format!(
                    "its header counts {} documents but the list holds {}",
                    file.header().element_count,
                    docs.len()
                ),
            }));
        }
        Ok(Takedown { docs, stamp })
    }

    /// Refuses a list naming a document number the index (of `documents` documents) does not
    /// have: the list is damaged, or written for another index with the same id.
    pub fn check_documents(&self, dir: &Path, documents: u64) -> Result<()> {
        match self.docs.max() {
            Some(max) if u64::from(max) >= documents => Err(Error::BadTakedownList {
                path: dir.join(TAKEDOWN),
                detail: format!(
                    "it names document #{max}, but the index has {documents} documents"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Writes the list to `DIR/takedown.bin` atomically ([`crate::atomic::AtomicFile`]).
    pub fn save(&self, dir: &Path, build_id: u64) -> Result<()> {
        let file = AtomicFile::new(&dir.join(TAKEDOWN));
        let mut bytes = Vec::with_capacity(self.docs.serialized_size());
        self.docs
            .serialize_into(&mut bytes)
            .map_err(|e| Error::io(file.temp_path(), e))?;
        FileWriter::write_file(
            file.temp_path(),
            FileKind::Takedown,
            0,
            build_id,
            &bytes,
            self.docs.len(),
        )?;
        file.commit()
    }

    /// Whether `doc_no` is taken down.
    pub fn contains(&self, doc_no: u64) -> bool {
        u32::try_from(doc_no).is_ok_and(|d| self.docs.contains(d))
    }

    /// Adds a document; returns whether it was new.
    pub fn insert(&mut self, doc_no: u64) -> bool {
        u32::try_from(doc_no).is_ok_and(|d| self.docs.insert(d))
    }

    /// Removes a document; returns whether it was listed.
    pub fn remove(&mut self, doc_no: u64) -> bool {
        u32::try_from(doc_no).is_ok_and(|d| self.docs.remove(d))
    }

    /// The documents taken down.
    pub fn docs(&self) -> &RoaringBitmap {
        &self.docs
    }

    /// Number of documents taken down.
    pub fn len(&self) -> u64 {
        self.docs.len()
    }

    /// Whether nothing is taken down.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The taken-down document numbers, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.docs.iter().map(u64::from)
    }

    /// Whether the file on disk differs from what was loaded (another inode, size or
    /// modification time, or the file appeared or disappeared).
    pub fn changed_on_disk(&self, dir: &Path) -> bool {
        stamp(dir) != self.stamp
    }
}
