//! One JSONL record, parsed in one pass: its fields as JSON values, except the id field, kept
//! as the text it was written with, so that a number id keeps its digits (parsed as a float,
//! `123456789012345678901234567890` and `...891` were the same id, and `1e2` was `100.0`).

use super::document::id_too_long;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// A JSON object's fields, the id field aside.
pub(super) struct Record<'a> {
    /// Every field but the id field.
    pub fields: Map<String, Value>,
    /// The id field as written, if the record has one.
    pub id: Option<&'a RawValue>,
}

/// Parses `line` as one JSON object, keeping field `id_field` (if any) as written.
pub(super) fn parse<'a>(line: &'a [u8], id_field: Option<&str>) -> serde_json::Result<Record<'a>> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let record = RecordSeed { id_field }.deserialize(&mut de)?;
    de.end()?;
    Ok(record)
}

/// An id field's value as a document id: a non-empty string as it is, a number as the text
/// it was written with; `Err` says what else it is (a boolean, null, an object, an array, an
/// empty string, an id longer than [`MAX_ID_BYTES`](super::MAX_ID_BYTES)), for the count
/// of ids replaced by `FILE:LINE`.
pub(super) fn id_text(raw: &RawValue) -> Result<String, Cow<'static, str>> {
    let t = raw.get();
    let id = match t.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(t) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => return Err("an empty string".into()),
            Err(_) => return Err("a string with an invalid escape".into()),
        },
        Some(b'-' | b'0'..=b'9') => t.to_string(),
        Some(b't' | b'f') => return Err("a boolean".into()),
        Some(b'n') => return Err("null".into()),
        Some(b'[') => return Err("an array".into()),
        Some(b'{') => return Err("an object".into()),
        _ => return Err("not a string or number".into()),
    };
    match id_too_long(&id) {
        Some(why) => Err(why.into()),
        None => Ok(id),
    }
}

struct RecordSeed<'f> {
    id_field: Option<&'f str>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Record<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Record<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut fields = Map::new();
        let mut id = None;
        while let Some(key) = a.next_key::<String>()? {
            if Some(key.as_str()) == self.id_field {
                id = Some(a.next_value::<&'de RawValue>()?);
            } else {
                let v: Value = a.next_value()?;
                fields.insert(key, v);
            }
        }
        Ok(Record { fields, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MAX_ID_BYTES;

    #[test]
    fn ids_keep_their_written_text() {
        let line = br#"{"id" : 1e2 , "text": "t", "n": 1.5}"#;
        let r = parse(line, Some("id")).unwrap();
        assert_eq!(id_text(r.id.unwrap()), Ok("1e2".to_string()));
        assert_eq!(r.fields.len(), 2);
        let long = format!(r#"{{"id": "{}"}}"#, "x".repeat(MAX_ID_BYTES + 1));
        let r = parse(long.as_bytes(), Some("id")).unwrap();
        assert_eq!(
            id_text(r.id.unwrap()),
            Err(format!(
                "{} bytes long (an id may have at most {MAX_ID_BYTES})",
                MAX_ID_BYTES + 1
            )
            .into())
        );
        let longest = format!(r#"{{"id": "{}"}}"#, "x".repeat(MAX_ID_BYTES));
        let r = parse(longest.as_bytes(), Some("id")).unwrap();
        assert_eq!(id_text(r.id.unwrap()).map(|s| s.len()), Ok(MAX_ID_BYTES));
        for (json, want) in [
            (
                r#"{"id": 123456789012345678901234567891}"#,
                Ok("123456789012345678901234567891"),
            ),
            (r#"{"id": "a\"b"}"#, Ok("a\"b")),
            (r#"{"id": ""}"#, Err("an empty string")),
            (r#"{"id": true}"#, Err("a boolean")),
            (r#"{"id": {"k": 1}}"#, Err("an object")),
            (r#"{"id": [1]}"#, Err("an array")),
        ] {
            let r = parse(json.as_bytes(), Some("id")).unwrap();
            assert_eq!(
                id_text(r.id.unwrap()),
                want.map(String::from).map_err(Cow::from),
                "{json}"
            );
        }
        assert!(parse(b"[1]", Some("id")).is_err());
        assert!(parse(br#"{"id": 1} x"#, Some("id")).is_err());
    }
}
