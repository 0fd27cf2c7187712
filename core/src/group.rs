//! Several indexes queried as one: OLMoTrace's pre-training, mid-training and post-training
//! sets traced at once.
//!
//! A group is an [`Index`] whose shards are its members' shards, in member order, with
//! documents renumbered globally (member `k`'s document `d` is document
//! `d + documents of members 0..k`). Every query runs on it unchanged: counts add up over the
//! shards, spans take the longest match over them, and shown documents are sampled by global
//! token position ([`crate::query::sample`]), so a group answers exactly as one index built
//! over the members' corpora concatenated in the same order would (`tests/groups.rs` proves it
//! the way `tests/layout.rs` proves shard-layout independence).
//!
//! What stays per member: the id map (ids are unique only within a member), the takedown
//! list (a group asks the member of a document whether it was taken down, and its takedown
//! generation is the sum of its members'), the full-text and side indexes. Members must share
//! a tokenizer (same sha256 and token width): spans are found on token ids, and ids of
//! different tokenizers mean different things.

use crate::index::Index;
use crate::manifest::Manifest;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One index of a group.
#[derive(Clone)]
pub struct Member {
    index: Arc<Index>,
    label: String,
    first_doc: u64,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("name", &self.name())
            .field("label", &self.label)
            .field("first_doc", &self.first_doc)
            .finish()
    }
}

impl Member {
    /// The member index.
    pub fn index(&self) -> &Arc<Index> {
        &self.index
    }

    /// The member's index name.
    pub fn name(&self) -> &str {
        &self.index.manifest().name
    }

    /// The group's label for it (e.g. "pre-training"; the index name unless given).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Global number of its first document in the group.
    pub fn first_doc(&self) -> u64 {
        self.first_doc
    }
}

/// Why indexes cannot be grouped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// A group needs at least one index.
    #[error("group {group:?} has no indexes")]
    Empty {
        /// The group.
        group: String,
    },
    /// Two members were built with different tokenizers.
    #[error("group {group:?} mixes tokenizers: {first:?} uses {first_tokenizer} but {other:?} uses {other_tokenizer}; a group's indexes must be built with the same tokenizer")]
    TokenizerMismatch {
        /// The group.
        group: String,
        /// The first member.
        first: String,
        /// Its tokenizer (kind, sha256, width).
        first_tokenizer: String,
        /// The member that differs.
        other: String,
        /// Its tokenizer.
        other_tokenizer: String,
    },
    /// The same index is named twice.
    #[error("group {group:?} names index {index:?} twice")]
    Duplicate {
        /// The group.
        group: String,
        /// The index.
        index: String,
    },
    /// Members store their suffix arrays in different layouts (a verbatim index beside an
    /// infini-gram one: their suffixes are sorted in different orders).
    #[error("group {group:?} mixes index layouts: {first:?} is {first_layout} but {other:?} is {other_layout}; a group's indexes must all be verbatim indexes or all infini-gram indexes (serve the others as separate indexes)")]
    LayoutMismatch {
        /// The group.
        group: String,
        /// The first member.
        first: String,
        /// Its layout.
        first_layout: &'static str,
        /// The member that differs.
        other: String,
        /// Its layout.
        other_layout: &'static str,
    },
    /// The group's documents would not fit global numbering (more than 2^32 documents).
    #[error("group {group:?} holds {documents} documents; at most {max} can be grouped")]
    TooLarge {
        /// The group.
        group: String,
        /// Its documents.
        documents: u64,
        /// The limit.
        max: u64,
    },
}

/// The storage layout of an index's shards (one for all of them), as named in errors.
fn layout_of(ix: &Index) -> &'static str {
    use crate::shard::TypedArrays;
    match ix.shards().first().map(|s| s.arrays()) {
        None => "empty",
        Some(TypedArrays::U8(_) | TypedArrays::U16(_) | TypedArrays::U32(_)) => "a verbatim index",
        Some(TypedArrays::IgU8(_) | TypedArrays::IgU16(_) | TypedArrays::IgU32(_)) => {
            "an infini-gram index"
        }
    }
}

fn tokenizer_of(ix: &Index) -> String {
    let t = &ix.manifest().tokenizer;
    format!("{} {} ({:?})", t.kind, t.sha256, t.width)
}

impl Index {
    /// The indexes `members` (each with the group's label for it) as one index named `name`.
    /// The members are shared, not copied: a group costs its unigram table and one small
    /// record per shard.
    pub fn group(
        name: &str,
        members: Vec<(Arc<Index>, String)>,
    ) -> std::result::Result<Index, GroupError> {
        let group = name.to_string();
        let Some((first, _)) = members.first() else {
            return Err(GroupError::Empty { group });
        };
        let first_tok = tokenizer_of(first);
        let mut seen: Vec<&str> = Vec::new();
        for (m, _) in &members {
            let t = tokenizer_of(m);
            if t != first_tok {
                return Err(GroupError::TokenizerMismatch {
                    group,
                    first: first.manifest().name.clone(),
                    first_tokenizer: first_tok,
                    other: m.manifest().name.clone(),
                    other_tokenizer: t,
                });
            }
            // Compared with the first member that has shards (an empty one searches nothing).
            if let Some(f) = members
                .iter()
                .map(|(f, _)| f)
                .find(|f| !f.shards().is_empty())
            {
                let (first_layout, other_layout) = (layout_of(f), layout_of(m));
                if !m.shards().is_empty() && first_layout != other_layout {
                    return Err(GroupError::LayoutMismatch {
                        group,
                        first: f.manifest().name.clone(),
                        first_layout,
                        other: m.manifest().name.clone(),
                        other_layout,
                    });
                }
            }
            if seen.contains(&m.manifest().name.as_str()) {
                return Err(GroupError::Duplicate {
                    group,
                    index: m.manifest().name.clone(),
                });
            }
            seen.push(&m.manifest().name);
        }
        let documents: u64 = members.iter().map(|(m, _)| m.manifest().documents).sum();
        if documents > u64::from(u32::MAX) {
            return Err(GroupError::TooLarge {
                group,
                documents,
                max: u64::from(u32::MAX),
            });
        }
        let mut shards = Vec::new();
        let mut grouped = Vec::with_capacity(members.len());
        let mut next_doc = 0u64;
        for (m, label) in members {
            for s in m.shards() {
                let dir = format!("{}/{}", m.manifest().name, s.info().dir);
                shards.push(s.rebased(next_doc + s.info().first_doc, dir));
            }
            let docs = m.manifest().documents;
            grouped.push(Member {
                index: m,
                label,
                first_doc: next_doc,
            });
            next_doc += docs;
        }
        let manifest = group_manifest(name, &grouped, &shards);
        let build_id = {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(name.as_bytes());
            for m in &grouped {
                h.update(m.index.manifest().build_id.as_bytes());
                h.update(m.label.as_bytes());
            }
            h.digest()
        };
        let mut manifest = manifest;
        manifest.build_id = format!("{build_id:016x}");
        let first = &grouped[0].index;
        Ok(Index::from_group_parts(
            first.dir().to_path_buf(),
            manifest,
            build_id,
            first.shared_tokenizer(),
            shards,
            grouped,
        ))
    }
}

impl Index {
    /// Occurrences per member of a group (in member order; empty for a built index): the
    /// suffix-array ranges of each member's shards, added up.
    pub fn counts_by_member(&self, occ: &crate::query::Occurrences) -> Vec<u64> {
        let mut out = vec![0u64; self.members().len()];
        if out.is_empty() {
            return out;
        }
        for (shard, range) in occ.ranges.iter().enumerate() {
            let first = self.shards()[shard].info().first_doc;
            let k = self
                .members()
                .partition_point(|m| m.first_doc() <= first)
                .saturating_sub(1);
            out[k] += range.len() as u64;
        }
        out
    }
}

/// The manifest a group presents: totals summed, shards renumbered, no index-level files.
fn group_manifest(name: &str, members: &[Member], shards: &[crate::shard::Shard]) -> Manifest {
    let first = members[0].index.manifest();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut source_stats = BTreeMap::new();
    let mut sources: Vec<String> = Vec::new();
    for m in members {
        let mm = m.index.manifest();
        for (k, v) in &mm.skipped {
            *skipped.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &mm.source_stats {
            let e: &mut crate::manifest::SourceStats = source_stats.entry(k.clone()).or_default();
            e.documents += v.documents;
            e.tokens += v.tokens;
            e.text_bytes += v.text_bytes;
        }
        for s in &mm.sources {
            if !sources.contains(s) {
                sources.push(s.clone());
            }
        }
    }
    sources.sort();
    let sum = |f: fn(&Manifest) -> u64| members.iter().map(|m| f(m.index.manifest())).sum();
    Manifest {
        created_unix: members
            .iter()
            .map(|m| m.index.manifest().created_unix)
            .max()
            .unwrap_or(0),
        verbatim_version: first.verbatim_version.clone(),
        documents: sum(|m| m.documents),
        tokens: sum(|m| m.tokens),
        text_bytes: sum(|m| m.text_bytes),
        inputs: members
            .iter()
            .flat_map(|m| m.index.manifest().inputs.clone())
            .collect(),
        skipped,
        sources,
        renamed_duplicate_ids: sum(|m| m.renamed_duplicate_ids),
        options: crate::manifest::BuildOptionsRecord {
            fulltext: false,
            ..first.options.clone()
        },
        source_stats,
        ..Manifest::assembled(
            name.to_string(),
            first.tokenizer.clone(),
            shards.iter().map(|s| s.info().clone()).collect(),
        )
    }
}
