//! The fixed 64-byte header at the start of every index file.

use crate::error::{Error, Result};
use std::path::Path;

/// The eight bytes every verbatim file starts with.
pub const MAGIC: [u8; 8] = *b"VERBATIM";
/// The on-disk format version written by this build.
///
/// Version 2 added appends (per-shard build ids, generation-named index-level files, the
/// `index_id` that `tokenizer.bin` and `takedown.bin` carry) and shards in other directories.
/// A version-1 index is a version-2 index without any of those, so both are read.
pub const FORMAT_VERSION: u32 = 2;
/// The version written in the manifest of a side index normalised by
/// [`crate::normalize::NormalizationRules::Unicode`] or a later rule (every other file is
/// [`FORMAT_VERSION`], and a version-3 file of another kind is refused): a verbatim from
/// before the Unicode rules reads up to version 2 and knows only the ASCII rules, so it
/// refuses the file instead of reading such a side index by them. The next change of the
/// format as a whole is version 6.
pub const UNICODE_SIDE_MANIFEST_VERSION: u32 = 3;
/// The version written in the manifest of an index whose full-text index makes its terms with
/// [`crate::fulltext_words::NFC_WORDS`]: a verbatim from before that analyzer reads up to
/// version 3, and would open such an index and find nothing by keyword (its query parser
/// does not know the analyzer), so it refuses the index instead.
pub const NFC_WORDS_MANIFEST_VERSION: u32 = 4;
/// The version written in the manifest of an index whose full-text index makes its terms with
/// [`crate::fulltext_words::NFC_WORDS_UNSPACED`], for the same reason: a verbatim that reads up
/// to version 4 does not know that analyzer.
pub const NFC_WORDS_UNSPACED_MANIFEST_VERSION: u32 = 5;
/// The newest format version this build reads (a manifest's; other files' is
/// [`FORMAT_VERSION`]).
pub const NEWEST_READABLE_VERSION: u32 = NFC_WORDS_UNSPACED_MANIFEST_VERSION;
/// The oldest format version this build still reads.
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// Length of the header in bytes; the payload starts here (8-byte aligned).
pub const HEADER_LEN: usize = 64;

/// The decoded header of an index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version the file was written with.
    pub version: u32,
    /// What the file holds (raw value of [`crate::format::FileKind`]).
    pub kind: u32,
    /// Bytes per element of the payload (token width, pointer width), 0 when not an array.
    pub element_width: u32,
    /// Kind-specific flags: none is defined, and a file with any set is refused.
    pub flags: u32,
    /// Length of the payload in bytes.
    pub payload_len: u64,
    /// Number of elements (tokens, documents, entries) in the payload.
    pub element_count: u64,
    /// xxh3-64 of the payload.
    pub payload_checksum: u64,
    /// Random id shared by every file of one build, so files from two builds never mix.
    pub build_id: u64,
}

impl Header {
    /// Encodes the header, including its own trailing checksum.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.kind.to_le_bytes());
        b[16..20].copy_from_slice(&self.element_width.to_le_bytes());
        b[20..24].copy_from_slice(&self.flags.to_le_bytes());
        b[24..32].copy_from_slice(&self.payload_len.to_le_bytes());
        b[32..40].copy_from_slice(&self.element_count.to_le_bytes());
        b[40..48].copy_from_slice(&self.payload_checksum.to_le_bytes());
        b[48..56].copy_from_slice(&self.build_id.to_le_bytes());
        let hc = xxhash_rust::xxh3::xxh3_64(&b[0..56]);
        b[56..64].copy_from_slice(&hc.to_le_bytes());
        b
    }

    /// Decodes and checks a header read from `path` (used in error messages only).
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Header> {
        let corrupt = |what: &str| Error::Corrupt {
            path: path.to_path_buf(),
            detail: what.to_string(),
        };
        if bytes.len() < HEADER_LEN {
            return Err(corrupt("file is shorter than the 64-byte header"));
        }
        if bytes[0..8] != MAGIC {
            return Err(corrupt("not a verbatim index file (bad magic bytes)"));
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
        if xxhash_rust::xxh3::xxh3_64(&bytes[0..56]) != u64_at(56) {
            return Err(corrupt("header checksum mismatch"));
        }
        let version = u32_at(8);
        // Versions 3 to 5 are only ever a manifest's (a side index of the Unicode rules, an
        // index of normalized full-text words, one whose unspaced scripts are split into
        // characters); any other file of those versions is a later format's.
        let newest = if u32_at(12) == crate::format::FileKind::Manifest as u32 {
            NEWEST_READABLE_VERSION
        } else {
            FORMAT_VERSION
        };
        if !(OLDEST_READABLE_VERSION..=newest).contains(&version) {
            return Err(Error::Version {
                path: path.to_path_buf(),
                found: version,
                oldest: OLDEST_READABLE_VERSION,
                newest,
            });
        }
        // No kind defines a flag yet: a set one is a file of a newer writer (or damage) whose
        // meaning this reader would miss, never something to read past.
        if u32_at(20) != 0 {
            return Err(corrupt(&format!(
                "header flags {:#x} set, but no flag is defined (a newer verbatim's file?)",
                u32_at(20)
            )));
        }
        Ok(Header {
            version,
            kind: u32_at(12),
            element_width: u32_at(16),
            flags: u32_at(20),
            payload_len: u64_at(24),
            element_count: u64_at(32),
            payload_checksum: u64_at(40),
            build_id: u64_at(48),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_every_flipped_byte_is_caught() {
        let h = Header {
            version: FORMAT_VERSION,
            kind: 2,
            element_width: 2,
            flags: 0,
            payload_len: 10,
            element_count: 5,
            payload_checksum: 42,
            build_id: 7,
        };
        let b = h.encode();
        assert_eq!(Header::decode(&b, Path::new("x")).unwrap(), h);
        for i in 0..HEADER_LEN {
            let mut c = b;
            c[i] ^= 0x10;
            assert!(Header::decode(&c, Path::new("x")).is_err(), "byte {i}");
        }
        // Every version from the oldest to the newest is read (3 to 5 only in a manifest); the
        // next one is refused.
        let manifest = Header {
            kind: crate::format::FileKind::Manifest as u32,
            ..h
        };
        for version in OLDEST_READABLE_VERSION..=NEWEST_READABLE_VERSION {
            let v = Header {
                version,
                ..manifest
            }
            .encode();
            assert_eq!(Header::decode(&v, Path::new("x")).unwrap().version, version);
        }
        // Versions 3 to 5 are a manifest's only: a file of another kind is refused.
        for version in [3, 4, 5] {
            let tokens = Header { version, ..h }.encode();
            assert!(matches!(
                Header::decode(&tokens, Path::new("x")),
                Err(Error::Version { found, newest: 2, .. }) if found == version
            ));
        }
        let newer = Header {
            version: NEWEST_READABLE_VERSION + 1,
            ..h
        }
        .encode();
        assert!(matches!(
            Header::decode(&newer, Path::new("x")),
            Err(Error::Version { found: 6, .. })
        ));
        // A flag set under a valid header checksum (a newer writer's file) is refused too.
        let flagged = Header { flags: 7, ..h }.encode();
        let e = Header::decode(&flagged, Path::new("x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("flags"), "{e}");
    }
}
