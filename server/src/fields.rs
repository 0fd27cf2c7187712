//! Request-field decoding shared by the routes, matching what the OpenAPI document promises.
//!
//! - Optional fields may be left out, but not sent as `null` ([`present`]): the document
//!   declares them as plain strings, integers, ..., and a `null` is a client mistake worth a 400.
//! - Integers ([`UInt`]) are whole numbers from 0 to 2^53 - 1, the integers every JSON client
//!   represents exactly. `3.0` is the same JSON Schema integer as `3` and is accepted;
//!   `3.5`, negatives and larger values are refused with a message naming the limit.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The older names request fields are also read under (`#[serde(alias)]`): (request schema,
/// older name, name). The OpenAPI document lists them; a field given under both names is
/// refused with both named.
pub const ALIASES: &[(&str, &str, &str)] = &[
    ("TraceRequest", "min_len", "minimum_span_length"),
    ("TraceRequest", "max_count", "maximum_frequency"),
    ("TraceRequest", "density", "maximum_span_density"),
    (
        "TraceRequest",
        "docs_per_span",
        "maximum_documents_per_span",
    ),
    ("SpansRequest", "maximum_frequency", "max_count"),
    ("SpansRequest", "minimum_span_length", "min_len"),
];

/// Largest integer a request may carry: 2^53 - 1 (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// `#[serde(default, deserialize_with = "present")]`: an optional field that may be absent but not `null`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A non-negative whole number of at most [`MAX_SAFE_INTEGER`], from JSON or a query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UInt(pub u64);

impl UInt {
    /// The value as `usize` (saturating on 32-bit targets).
    pub fn usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl Serialize for UInt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for UInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UIntVisitor)
    }
}

struct UIntVisitor;

fn checked<E: de::Error>(v: u64) -> Result<UInt, E> {
    if v > MAX_SAFE_INTEGER {
        Err(E::custom(format!(
            "{v} is larger than {MAX_SAFE_INTEGER}, the largest integer accepted"
        )))
    } else {
        Ok(UInt(v))
    }
}

impl<'de> Visitor<'de> for UIntVisitor {
    type Value = UInt;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a whole number from 0 to {MAX_SAFE_INTEGER}")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<UInt, E> {
        checked(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<UInt, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(format!("{v} is negative; expected {}", Expecting)))
            .and_then(checked)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<UInt, E> {
        if v.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(&v) {
            Ok(UInt(v as u64))
        } else {
            Err(E::custom(format!("{v} is not {}", Expecting)))
        }
    }
}

/// A token id: a [`UInt`] that fits in 32 bits (`7` or `7.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenId(pub u32);

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let UInt(v) = UInt::deserialize(d)?;
        u32::try_from(v)
            .map(TokenId)
            .map_err(|_| de::Error::custom(format!("token id {v} is larger than {}", u32::MAX)))
    }
}

/// A whole number from 1 to [`MAX_SAFE_INTEGER`] in a query string, where every value is text
/// (`?max_tokens=500`): `500.0` is accepted as `500`; 0, negatives, fractions and larger
/// values are refused with the range named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryCount(pub u64);

impl QueryCount {
    /// The value as `usize` (saturating on 32-bit targets).
    pub fn usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl<'de> Deserialize<'de> for QueryCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let value = text.parse::<u64>().ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && (1.0..=MAX_SAFE_INTEGER as f64).contains(f))
                .map(|f| f as u64)
        });
        match value {
            Some(n) if (1..=MAX_SAFE_INTEGER).contains(&n) => Ok(QueryCount(n)),
            _ => Err(de::Error::custom(format!(
                "{text:?} is not a whole number from 1 to {MAX_SAFE_INTEGER}"
            ))),
        }
    }
}

/// Display of what a [`UInt`] must be, for error messages.
struct Expecting;

impl fmt::Display for Expecting {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a whole number from 0 to {MAX_SAFE_INTEGER}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "present")]
        n: Option<UInt>,
        #[serde(default, deserialize_with = "present")]
        s: Option<String>,
    }

    fn parse(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_any_json_spelling() {
        assert_eq!(parse(r#"{"n": 7}"#).unwrap().n, Some(UInt(7)));
        assert_eq!(parse(r#"{"n": 7.0}"#).unwrap().n, Some(UInt(7)));
        assert_eq!(
            parse(r#"{"n": 9007199254740991}"#).unwrap().n,
            Some(UInt(MAX_SAFE_INTEGER))
        );
        let empty = parse("{}").unwrap();
        assert_eq!((empty.n, empty.s), (None, None));
    }

    #[test]
    fn refuses_fractions_negatives_huge_and_null() {
        for bad in [
            r#"{"n": 7.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": 9007199254740992}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": null}"#,
            r#"{"s": null}"#,
            r#"{"n": "7"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn token_ids() {
        let ids: Vec<TokenId> = serde_json::from_str("[0, 7.0, 4294967295]").unwrap();
        assert_eq!(ids, vec![TokenId(0), TokenId(7), TokenId(u32::MAX)]);
        assert!(serde_json::from_str::<Vec<TokenId>>("[4294967296]").is_err());
        // Parsed exactly (serde_json's float_roundtrip), so a large whole float stays whole.
        let n: UInt = serde_json::from_str("2176039913409383.0").unwrap();
        assert_eq!(n, UInt(2176039913409383));
    }

    #[test]
    fn query_string_counts() {
        #[derive(Debug, Deserialize)]
        struct Q {
            n: Option<QueryCount>,
        }
        let q: Q = serde_urlencoded::from_str("n=12").unwrap();
        assert_eq!(q.n, Some(QueryCount(12)));
        let q: Q = serde_urlencoded::from_str("n=12.0").unwrap();
        assert_eq!(q.n, Some(QueryCount(12)));
        for bad in [
            "n=-3",
            "n=-1",
            "n=0",
            "n=0.0",
            "n=1.5",
            "n=abc",
            "n=99999999999999999999",
        ] {
            let err = serde_urlencoded::from_str::<Q>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("from 1 to"), "{bad}: {err}");
        }
    }
}
