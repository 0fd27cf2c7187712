//! `--index DIR` (repeatable) and `--stage LABEL` of the query commands: one index, or several
//! queried as one group (spans over their union, counts summed, documents numbered over the
//! indexes in the order given and labelled with their stage).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use verbatim_core::Index;

/// Which indexes a query command reads.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The index directory; repeat it to query several indexes as one group, in the order
    /// given (they must share a tokenizer).
    #[arg(long, required = true)]
    index: Vec<PathBuf>,
    /// The label of each `--index` in a group (e.g. pre-training), in the same order
    /// (default: each index's name).
    #[arg(long)]
    stage: Vec<String>,
}

impl IndexArgs {
    /// Opens the index, or the group of indexes.
    pub fn open(&self) -> Result<Index> {
        if !self.stage.is_empty() && self.stage.len() != self.index.len() {
            bail!(
                "{} --stage labels for {} --index directories; give one per index, or none",
                self.stage.len(),
                self.index.len()
            );
        }
        if self.index.len() == 1 {
            return super::open_index(&self.index[0], false);
        }
        let members = self
            .index
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let ix = super::open_index(dir, false)?;
                let label = self
                    .stage
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| ix.manifest().name.clone());
                Ok((Arc::new(ix), label))
            })
            .collect::<Result<Vec<_>>>()?;
        Index::group("group", members).context("cannot query these indexes as one group")
    }
}
