//! Sizes of an index on disk.

use crate::error::Result;
use std::path::Path;
use verbatim_core::shard::files;
use verbatim_core::Manifest;

/// Bytes of the exact-match structures (token streams, suffix arrays, suffix samples,
/// document offsets) and of the whole directory.
pub fn measure(dir: &Path, manifest: &Manifest) -> Result<(u64, u64)> {
    let mut exact = 0;
    for s in &manifest.shards {
        for f in [files::TOKENS, files::SUFFIX_ARRAY, files::DOC_OFFSETS] {
            exact += std::fs::metadata(dir.join(&s.dir).join(f))?.len();
        }
        // Optional: shards written before suffix samples existed have none.
        if let Ok(m) = std::fs::metadata(dir.join(&s.dir).join(files::SAMPLES)) {
            exact += m.len();
        }
    }
    Ok((exact, dir_size(dir)?))
}

/// Total bytes of the files under `dir`.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let m = e.metadata()?;
        total += if m.is_dir() {
            dir_size(&e.path())?
        } else {
            m.len()
        };
    }
    Ok(total)
}
