//! Writing index files: header placeholder, streamed payload, then the real header.

use super::{FileKind, Header, FORMAT_VERSION, HEADER_LEN};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// Streams a payload to a new index file, hashing as it goes, and writes the header last.
pub struct FileWriter {
    path: PathBuf,
    out: BufWriter<File>,
    hasher: Xxh3,
    len: u64,
    kind: FileKind,
    element_width: u32,
    build_id: u64,
    version: u32,
}

impl FileWriter {
    /// Creates `path` (which must not exist yet) for a file of `kind` with elements of
    /// `element_width` bytes (0 for unstructured payloads).
    pub fn create(path: &Path, kind: FileKind, element_width: u32, build_id: u64) -> Result<Self> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER_LEN])
            .map_err(|e| Error::io(path, e))?;
        Ok(FileWriter {
            path: path.to_path_buf(),
            out,
            hasher: Xxh3::new(),
            len: 0,
            kind,
            element_width,
            build_id,
            version: FORMAT_VERSION,
        })
    }

    /// Writes `version` in the header instead of [`FORMAT_VERSION`] (see
    /// [`super::UNICODE_SIDE_MANIFEST_VERSION`]).
    pub fn with_version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// Appends payload bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Appends a slice of plain values in little-endian order.
    pub fn write_slice<T: bytemuck::Pod>(&mut self, values: &[T]) -> Result<()> {
        self.write(bytemuck::cast_slice(values))
    }

    /// Writes the header with `element_count` and the payload checksum, and syncs the file.
    /// Returns the payload checksum.
    pub fn finish(mut self, element_count: u64) -> Result<u64> {
        let header = Header {
            version: self.version,
            kind: self.kind as u32,
            element_width: self.element_width,
            flags: 0,
            payload_len: self.len,
            element_count,
            payload_checksum: self.hasher.digest(),
            build_id: self.build_id,
        };
        let path = self.path.clone();
        let io = |e| Error::io(&path, e);
        self.out.flush().map_err(io)?;
        let mut file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header.encode()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(header.payload_checksum)
    }

    /// Payload bytes written so far.
    pub fn payload_len(&self) -> u64 {
        self.len
    }

    /// Writes a whole file in one call; returns the payload checksum.
    pub fn write_file(
        path: &Path,
        kind: FileKind,
        element_width: u32,
        build_id: u64,
        payload: &[u8],
        element_count: u64,
    ) -> Result<u64> {
        let mut w = FileWriter::create(path, kind, element_width, build_id)?;
        w.write(payload)?;
        w.finish(element_count)
    }
}

/// Lets streaming encoders (e.g. `fst::MapBuilder`) write a payload directly.
impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        FileWriter::write(self, buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
