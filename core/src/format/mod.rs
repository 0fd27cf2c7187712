//! The on-disk file format shared by every file of an index.
//!
//! Every file verbatim writes starts with a 64-byte [`Header`] (magic, format version, file kind,
//! element width, payload length, element count, xxh3 checksum of the payload, the build's
//! unique id, and a checksum of the header itself), followed by the payload. All integers are
//! little-endian. `FORMAT.md` at the repository root describes each kind byte by byte.
//!
//! Opening a file ([`MappedFile::open`]) checks the header cheaply; [`MappedFile::verify_payload`]
//! hashes the whole payload.

mod header;
mod kind;
mod mapped;
mod writer;

pub use header::{
    Header, FORMAT_VERSION, HEADER_LEN, MAGIC, NEWEST_READABLE_VERSION, NFC_WORDS_MANIFEST_VERSION,
    NFC_WORDS_UNSPACED_MANIFEST_VERSION, OLDEST_READABLE_VERSION, UNICODE_SIDE_MANIFEST_VERSION,
};
pub use kind::FileKind;
pub use mapped::{MappedFile, MappedSlice};
pub use writer::FileWriter;
