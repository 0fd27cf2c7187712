//! Which index a query runs on: one served index, a group named at `serve` time
//! (`--group olmo2=pre:pre-training,mid:mid-training,post:post-training`), `"all"` (every
//! served index, in the order given, when they share a tokenizer), or a list of served index
//! names (an unnamed group, in the order listed).
//!
//! A group is queried as one index (`verbatim_core::group`): the answer equals that of one
//! index built over the members' corpora concatenated in order, each document labelled with
//! its member.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

/// The group name that means every served index.
pub const ALL: &str = "all";
/// Most indexes in a listed selection.
pub const MAX_LISTED: usize = 16;

/// The `index` field of a query: a name (an index, a group, or `"all"`) or a list of index
/// names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(
    untagged,
    expecting = "an index name, a group name, \"all\", or a list of index names"
)]
pub enum IndexSelector {
    /// An index name, a group name, or `"all"`.
    Name(String),
    /// Served index names, queried as one group in this order (1 to 16 names).
    List(Vec<String>),
}

/// A group given at `serve` time: its name and its members with their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// The group's name.
    pub name: String,
    /// `(index name, label)` in order.
    pub members: Vec<(String, String)>,
}

impl std::str::FromStr for GroupSpec {
    type Err = String;

    /// Parses `NAME=INDEX[:LABEL],INDEX[:LABEL],...`.
    fn from_str(s: &str) -> Result<GroupSpec, String> {
        let (name, list) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not NAME=INDEX[:LABEL],..."))?;
        let name = name.trim();
        if name.is_empty() || name == ALL {
            return Err(format!(
                "{s:?}: a group needs a name other than {ALL:?} before '='"
            ));
        }
        let members = list
            .split(',')
            .map(|m| {
                let (index, label) = m.split_once(':').unwrap_or((m, m));
                let (index, label) = (index.trim(), label.trim());
                if index.is_empty() || label.is_empty() {
                    Err(format!("{s:?}: an empty index name or label"))
                } else {
                    Ok((index.to_string(), label.to_string()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GroupSpec {
            name: name.to_string(),
            members,
        })
    }
}

impl IndexSelector {
    /// Checks the shape of a listed selection (1 to [`MAX_LISTED`] names).
    pub fn check(&self) -> Result<(), ApiError> {
        if let IndexSelector::List(l) = self {
            if l.is_empty() || l.len() > MAX_LISTED {
                return Err(ApiError::BadRequest(format!(
                    "index is a list of {} names; accepted: 1 to {MAX_LISTED} served index names",
                    l.len()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_of_another_type_names_what_is_expected() {
        let e = serde_json::from_str::<IndexSelector>("5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("an index name, a group name"), "{e}");
        assert!(!e.contains("untagged enum"), "{e}");
    }

    #[test]
    fn group_specs() {
        let g: GroupSpec = "olmo2=pre:pre-training, mid ,post:post-training"
            .parse()
            .unwrap();
        assert_eq!(g.name, "olmo2");
        assert_eq!(
            g.members,
            vec![
                ("pre".into(), "pre-training".into()),
                ("mid".into(), "mid".into()),
                ("post".into(), "post-training".into())
            ]
        );
        for bad in ["olmo2", "=a,b", "all=a,b", "g=a,,b", "g=a:"] {
            assert!(bad.parse::<GroupSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn selectors_parse_from_a_name_or_a_list() {
        let one: IndexSelector = serde_json::from_str("\"pre\"").unwrap();
        assert_eq!(one, IndexSelector::Name("pre".into()));
        let many: IndexSelector = serde_json::from_str("[\"pre\", \"post\"]").unwrap();
        assert_eq!(many, IndexSelector::List(vec!["pre".into(), "post".into()]));
        assert!(serde_json::from_str::<IndexSelector>("3").is_err());
        assert!(IndexSelector::List(vec![]).check().is_err());
    }
}
