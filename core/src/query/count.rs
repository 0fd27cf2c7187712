//! Counting and finding a token sequence across all shards.

use crate::error::{Error, Result};
use crate::index::{DocLocation, Index};
use crate::search::batch::Landing;
use crate::search::{self, SuffixArray};
use std::ops::Range;

/// Where a token sequence occurs: one suffix-array range per shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrences {
    /// Suffix-array range of each shard (empty when absent there).
    pub ranges: Vec<Range<usize>>,
}

impl Occurrences {
    /// Total occurrences.
    pub fn count(&self) -> u64 {
        self.ranges.iter().map(|r| r.len() as u64).sum()
    }
}

impl Index {
    /// Finds every occurrence of `ids` (suffix-array ranges per shard; the shards' searches
    /// run in lockstep).
    pub fn find(&self, ids: &[u32]) -> Occurrences {
        let ranges = if self.shards().len() == 1 {
            vec![search::shard_find(&self.shards()[0], ids)]
        } else {
            crate::with_arrays!(search::Arrays::of(self.shards()), |a| {
                search::batch::find_all(&a, ids)
            })
        };
        Occurrences { ranges }
    }

    /// [`Index::find`] of several token sequences, their searches (in every shard) in lockstep.
    pub fn find_many(&self, queries: &[&[u32]]) -> Vec<Occurrences> {
        crate::with_arrays!(search::Arrays::of(self.shards()), |a| {
            search::batch::find_many(&a, queries)
        })
        .into_iter()
        .map(|ranges| Occurrences { ranges })
        .collect()
    }

    /// Number of occurrences of `ids` in the corpus. The empty sequence occurs at every
    /// position of every token stream.
    pub fn count(&self, ids: &[u32]) -> u64 {
        self.find(ids).count()
    }

    /// Length of the longest prefix of `ids` that occurs somewhere in the corpus.
    pub fn longest_prefix_match(&self, ids: &[u32]) -> usize {
        self.longest_prefix_matches(&[ids])[0]
    }

    /// [`Index::longest_prefix_match`] of several queries, all their searches (in every shard)
    /// in lockstep.
    pub fn longest_prefix_matches(&self, queries: &[&[u32]]) -> Vec<usize> {
        crate::with_arrays!(search::Arrays::of(self.shards()), |a| {
            search::batch::longest_matches(&a, queries)
        })
    }

    /// [`Index::longest_prefix_matches`], and where each query's search landed in each shard
    /// (`landings[query x shards + shard]`, see [`Landing`]).
    pub fn longest_prefix_matches_landing(
        &self,
        queries: &[&[u32]],
    ) -> (Vec<usize>, Vec<Option<Landing>>) {
        crate::with_arrays!(search::Arrays::of(self.shards()), |a| {
            search::batch::longest_matches_landing(&a, queries)
        })
    }

    /// [`Index::find_many`] of queries of two tokens or more, each a prefix of a query whose
    /// landings ([`Index::longest_prefix_matches_landing`]) are given
    /// (`landings[query x shards + shard]`): the ranges are found by galloping out from
    /// there, in lockstep (see [`search::expand`]).
    pub fn find_from_landings(
        &self,
        queries: &[&[u32]],
        landings: &[Option<Landing>],
    ) -> Vec<Occurrences> {
        crate::with_arrays!(search::Arrays::of(self.shards()), |a| {
            search::expand::ranges_from_landings(&a, queries, landings)
        })
        .into_iter()
        .map(|ranges| Occurrences { ranges })
        .collect()
    }

    /// The token position in its shard of occurrence `rank` of a `find` result, and the
    /// document holding it.
    pub fn occurrence(
        &self,
        occ: &Occurrences,
        mut rank: u64,
    ) -> Option<(usize, usize, DocLocation)> {
        for (shard, r) in occ.ranges.iter().enumerate() {
            let n = r.len() as u64;
            if rank < n {
                let pos = self.shards()[shard]
                    .suffix_array()
                    .at(r.start + rank as usize);
                return Some((shard, pos, self.locate_position(shard, pos)));
            }
            rank -= n;
        }
        None
    }
}

impl Index {
    /// The token ids of a text to count. Refused (`Error::Invalid`) when the text tokenizes
    /// to nothing, since the empty sequence occurs at every position (whitespace for
    /// WordPiece: its count was the corpus's size), or holds the tokenizer's unknown token,
    /// which stands for any text the vocabulary cannot spell (its count counts other texts).
    pub fn ids_to_count(&self, text: &str) -> Result<Vec<u32>> {
        let ids = self.tokenizer().encode_ids(text)?;
        self.check_countable(&ids)?;
        Ok(ids)
    }

    /// Refuses the ids of a text to count ([`Error::Invalid`]) when they are none (the
    /// tokenizer dropped the text: its count would be every token's) or hold the tokenizer's
    /// unknown token (which stands for any text it cannot spell).
    pub fn check_countable(&self, ids: &[u32]) -> Result<()> {
        let tok = self.tokenizer();
        if ids.is_empty() {
            return Err(Error::Invalid(
                "the text has no tokens with this index's tokenizer (it drops such text, e.g. \
                 whitespace): nothing to count"
                    .into(),
            ));
        }
        if tok.unknown_id().is_some_and(|unk| ids.contains(&unk)) {
            return Err(Error::Invalid(
                "the text has characters this index's tokenizer cannot spell (its unknown token \
                 stands for any of them): its count would count other texts too"
                    .into(),
            ));
        }
        Ok(())
    }
}
