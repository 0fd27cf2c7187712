//! Arrow values as JSON, and text columns as `&str`.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Number, Value};

/// Whether a column of this type is a scalar that [`json_value`] converts: booleans,
/// integers, floats, decimals, strings, dates and timestamps (and dictionaries of those).
/// Lists, structs, maps and binary columns are not scalars.
pub fn is_scalar(dt: &DataType) -> bool {
    use DataType::*;
    match dt {
        Boolean
        | Int8
        | Int16
        | Int32
        | Int64
        | UInt8
        | UInt16
        | UInt32
        | UInt64
        | Float16
        | Float32
        | Float64
        | Utf8
        | LargeUtf8
        | Utf8View
        | Date32
        | Date64
        | Timestamp(_, _)
        | Decimal128(_, _)
        | Decimal256(_, _) => true,
        Dictionary(_, v) => is_scalar(v),
        _ => false,
    }
}

fn prim<T: ArrowPrimitiveType>(a: &dyn Array) -> &PrimitiveArray<T> {
    a.as_primitive::<T>()
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn timestamp<T>(a: &dyn Array, i: usize, utc: bool) -> Option<Value>
where
    T: ArrowTimestampType,
{
    let t = prim::<T>(a).value_as_datetime(i)?;
    let s = t.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
    Some(Value::String(if utc { s + "Z" } else { s }))
}

/// The value at row `i` of `a` as JSON: `null` for a null; numbers, booleans and strings as
/// they are; floats as the shortest decimal that reads back to them (NaN and infinities as
/// `null`); decimals, dates (`2024-05-01`) and timestamps (`2024-05-01T12:00:00`, with `Z`
/// when the column is UTC) as strings; lists as arrays and structs as objects. `None` for
/// types JSON cannot hold (binary, maps, intervals, ...).
pub fn json_value(a: &dyn Array, i: usize) -> Option<Value> {
    use DataType::*;
    if a.is_null(i) {
        return Some(Value::Null);
    }
    Some(match a.data_type() {
        Null => Value::Null,
        Boolean => Value::Bool(a.as_boolean().value(i)),
        Int8 => prim::<Int8Type>(a).value(i).into(),
        Int16 => prim::<Int16Type>(a).value(i).into(),
        Int32 => prim::<Int32Type>(a).value(i).into(),
        Int64 => prim::<Int64Type>(a).value(i).into(),
        UInt8 => prim::<UInt8Type>(a).value(i).into(),
        UInt16 => prim::<UInt16Type>(a).value(i).into(),
        UInt32 => prim::<UInt32Type>(a).value(i).into(),
        UInt64 => prim::<UInt64Type>(a).value(i).into(),
        // f32 -> its shortest decimal -> f64, so 0.1f32 reads as 0.1, not 0.10000000149...
        Float16 => float(
            prim::<Float16Type>(a)
                .value(i)
                .to_f32()
                .to_string()
                .parse()
                .ok()?,
        ),
        Float32 => float(prim::<Float32Type>(a).value(i).to_string().parse().ok()?),
        Float64 => float(prim::<Float64Type>(a).value(i)),
        Utf8 => Value::String(a.as_string::<i32>().value(i).to_string()),
        LargeUtf8 => Value::String(a.as_string::<i64>().value(i).to_string()),
        Utf8View => Value::String(a.as_string_view().value(i).to_string()),
        Decimal128(_, _) => Value::String(prim::<Decimal128Type>(a).value_as_string(i)),
        Decimal256(_, _) => Value::String(prim::<Decimal256Type>(a).value_as_string(i)),
        Date32 => Value::String(prim::<Date32Type>(a).value_as_date(i)?.to_string()),
        Date64 => Value::String(prim::<Date64Type>(a).value_as_date(i)?.to_string()),
        Timestamp(unit, tz) => {
            let utc = tz.is_some();
            return match unit {
                TimeUnit::Second => timestamp::<TimestampSecondType>(a, i, utc),
                TimeUnit::Millisecond => timestamp::<TimestampMillisecondType>(a, i, utc),
                TimeUnit::Microsecond => timestamp::<TimestampMicrosecondType>(a, i, utc),
                TimeUnit::Nanosecond => timestamp::<TimestampNanosecondType>(a, i, utc),
            };
        }
        List(_) => list(a.as_list::<i32>().value(i).as_ref()),
        LargeList(_) => list(a.as_list::<i64>().value(i).as_ref()),
        FixedSizeList(_, _) => list(a.as_fixed_size_list().value(i).as_ref()),
        Struct(fields) => {
            let s = a.as_struct();
            let mut m = serde_json::Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                if let Some(v) = json_value(c.as_ref(), i) {
                    m.insert(f.name().clone(), v);
                }
            }
            Value::Object(m)
        }
        Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let key = *d.normalized_keys().get(i)?;
            return json_value(d.values().as_ref(), key);
        }
        _ => return None,
    })
}

fn list(values: &dyn Array) -> Value {
    Value::Array(
        (0..values.len())
            .map(|j| json_value(values, j).unwrap_or(Value::Null))
            .collect(),
    )
}

/// Why a row of a text column has no text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// The value is null.
    Null,
    /// A binary value that is not valid UTF-8 (the reason).
    InvalidUtf8(String),
}

/// A column read as text: strings of any Arrow layout, dictionaries of strings, or binary
/// values holding UTF-8 (some writers store strings without the UTF-8 annotation).
pub struct TextColumn<'a> {
    array: &'a dyn Array,
    /// For a dictionary: the key of every row, and the values.
    dict: Option<(Vec<usize>, Box<TextColumn<'a>>)>,
}

impl<'a> TextColumn<'a> {
    /// Whether columns of this type can be read as text.
    pub fn accepts(dt: &DataType) -> bool {
        use DataType::*;
        match dt {
            Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView => true,
            Dictionary(_, v) => TextColumn::accepts(v),
            _ => false,
        }
    }

    /// Wraps `array`; `None` when its type is not text ([`TextColumn::accepts`]).
    pub fn new(array: &'a dyn Array) -> Option<TextColumn<'a>> {
        if !TextColumn::accepts(array.data_type()) {
            return None;
        }
        let dict = match array.as_any_dictionary_opt() {
            Some(d) => Some((d.normalized_keys(), Box::new(TextColumn::new(d.values())?))),
            None => None,
        };
        Some(TextColumn { array, dict })
    }

    /// The text of row `i`.
    pub fn get(&self, i: usize) -> Result<&'a str, TextProblem> {
        let a = self.array;
        if a.is_null(i) {
            return Err(TextProblem::Null);
        }
        if let Some((keys, values)) = &self.dict {
            return values.get(keys[i]);
        }
        let utf8 = |b: &'a [u8]| {
            std::str::from_utf8(b).map_err(|e| TextProblem::InvalidUtf8(e.to_string()))
        };
        match a.data_type() {
            DataType::Utf8 => Ok(a.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => Ok(a.as_string::<i64>().value(i)),
            DataType::Utf8View => Ok(a.as_string_view().value(i)),
            DataType::Binary => utf8(a.as_binary::<i32>().value(i)),
            DataType::LargeBinary => utf8(a.as_binary::<i64>().value(i)),
            DataType::BinaryView => utf8(a.as_binary_view().value(i)),
            _ => Err(TextProblem::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{
        BinaryArray, DictionaryArray, Float32Array, Int64Array, LargeStringArray, StringArray,
    };

    #[test]
    fn scalars_and_text() {
        let f = Float32Array::from(vec![0.1f32]);
        assert_eq!(json_value(&f, 0), Some(serde_json::json!(0.1)));
        let n = Int64Array::from(vec![Some(7), None]);
        assert_eq!(json_value(&n, 0), Some(7.into()));
        assert_eq!(json_value(&n, 1), Some(Value::Null));
        let d: DictionaryArray<Int32Type> = vec![Some("b"), None, Some("a"), Some("b")]
            .into_iter()
            .collect();
        let t = TextColumn::new(&d).unwrap();
        assert_eq!(t.get(0), Ok("b"));
        assert_eq!(t.get(1), Err(TextProblem::Null));
        assert_eq!(t.get(3), Ok("b"));
        assert_eq!(json_value(&d, 2), Some("a".into()));
        let l = LargeStringArray::from(vec!["x"]);
        assert_eq!(TextColumn::new(&l).unwrap().get(0), Ok("x"));
        let b = BinaryArray::from(vec![&b"ok"[..], &b"\xff"[..]]);
        let t = TextColumn::new(&b).unwrap();
        assert_eq!(t.get(0), Ok("ok"));
        assert!(matches!(t.get(1), Err(TextProblem::InvalidUtf8(_))));
        assert!(TextColumn::new(&n).is_none());
        assert!(is_scalar(StringArray::from(vec!["a"]).data_type()));
    }
}
