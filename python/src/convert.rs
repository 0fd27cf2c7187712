//! Conversions between Python objects and the engine's inputs and outputs.
//!
//! Results are plain Python objects: the JSON shapes of `verbatim_core::api` (the REST API's)
//! become dicts, lists, strings, ints and floats. Queries are a `str` (tokenized with the
//! index's tokenizer) or token ids: any sequence of ints, including numpy arrays.

use crate::errors;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString};
use serde_json::Value;

/// A JSON value as a Python object (objects become dicts, arrays lists).
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(json_to_py(py, x)?)?;
            }
            l.into_any()
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A serializable result as a Python object, through its JSON shape.
pub fn to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| errors::error(errors::Kind::Generic, format!("cannot convert: {e}")))?;
    json_to_py(py, &value)
}

/// A Python object as a JSON value (dicts with string keys, lists, tuples, str, int, float,
/// bool, None).
pub fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(text_of(s)?));
    }
    if let Ok(i) = obj.extract::<i64>() {
        if obj.cast::<pyo3::types::PyInt>().is_ok() {
            return Ok(Value::from(i));
        }
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(Value::from(u));
    }
    if obj.cast::<pyo3::types::PyInt>().is_ok() {
        // Past 64 bits: its exact digits (as a float, distinct ids like 10**30 and
        // 10**30 + 1 would become one).
        return Ok(Value::String(obj.str()?.to_string()));
    }
    if let Ok(f) = obj.extract::<f64>() {
        return Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => text_of(s)?,
                Err(_) => k.str()?.to_string(),
            };
            m.insert(key, py_to_json(&v)?);
        }
        return Ok(Value::Object(m));
    }
    if let Ok(it) = obj.try_iter() {
        let mut a = Vec::new();
        for x in it {
            a.push(py_to_json(&x?)?);
        }
        return Ok(Value::Array(a));
    }
    Err(errors::invalid(format!(
        "cannot use a {} here: expected str, int, float, bool, None, a list or a dict",
        obj.get_type().name()?
    )))
}

/// A Python `str` as UTF-8, or a clear error when it holds lone surrogates (which no
/// tokenizer can read).
pub fn text_of(s: &Bound<'_, PyString>) -> PyResult<String> {
    s.to_str().map(str::to_string).map_err(|_| {
        errors::error(
            errors::Kind::Tokenizer,
            "the text is not valid Unicode (it holds a lone surrogate code point) and cannot be \
             tokenized; encode and decode it with errors='replace' first",
        )
    })
}

/// A query: text to tokenize, or token ids.
pub enum Query {
    /// Text.
    Text(String),
    /// Token ids, checked against the vocabulary.
    Ids(Vec<u32>),
}

/// Token ids from a Python sequence of ints (a list, a tuple, a numpy array...), each
/// checked to lie in `0..limit`; `what` names the argument in errors. `bytes` are refused
/// (they iterate as ints, but are almost always text that was not decoded).
pub fn ids_of(obj: &Bound<'_, PyAny>, limit: u64, what: &str) -> PyResult<Vec<u32>> {
    // The common case first: a list of in-range ints, read in one pass.
    if let Ok(list) = obj.cast::<PyList>() {
        let mut ids = Vec::with_capacity(list.len());
        for item in list.iter() {
            match item.extract::<i64>() {
                Ok(x) if x >= 0 && (x as u64) < limit => ids.push(x as u32),
                _ => return ids_slow(obj, limit, what),
            }
        }
        return Ok(ids);
    }
    ids_slow(obj, limit, what)
}

/// `ids_of` for every other sequence, and for lists with a bad item (to name it).
fn ids_slow(obj: &Bound<'_, PyAny>, limit: u64, what: &str) -> PyResult<Vec<u32>> {
    let type_name = || {
        obj.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    if obj.cast::<PyBytes>().is_ok() || obj.cast::<PyByteArray>().is_ok() {
        return Err(errors::invalid(format!(
            "{what} must be a str or a sequence of int token ids, not {}: decode it to a str \
             first",
            type_name()
        )));
    }
    let owned;
    let seq = if obj.cast::<PyList>().is_err() && obj.hasattr("tolist")? {
        owned = obj.call_method0("tolist")?;
        &owned
    } else {
        obj
    };
    let raw: Vec<i64> = match seq.extract() {
        Ok(raw) => raw,
        Err(_) => return Err(bad_ids(seq, what, &type_name(), limit)),
    };
    let mut ids = Vec::with_capacity(raw.len());
    for x in raw {
        if x < 0 || x as u64 >= limit {
            return Err(errors::invalid(format!(
                "token id {x} is outside the vocabulary (0..{limit})"
            )));
        }
        ids.push(x as u32);
    }
    Ok(ids)
}

/// The error for a value that is not a sequence of `i64`s: the first item that is not an
/// int, or an int too large for any vocabulary, named.
fn bad_ids(seq: &Bound<'_, PyAny>, what: &str, type_name: &str, limit: u64) -> PyErr {
    let generic = || {
        errors::invalid(format!(
            "{what} must be a str or a sequence of int token ids, not {type_name}"
        ))
    };
    if seq.cast::<PyString>().is_ok() {
        return generic();
    }
    let Ok(items) = seq.try_iter() else {
        return generic();
    };
    for (i, item) in items.enumerate() {
        let Ok(item) = item else { return generic() };
        if item.cast::<PyInt>().is_ok() {
            if item.extract::<i64>().is_err() {
                let shown = item.str().map(|s| s.to_string()).unwrap_or_default();
                return errors::invalid(format!(
                    "token id {shown} is outside the vocabulary (0..{limit})"
                ));
            }
            continue;
        }
        let item_type = item
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        return errors::invalid(format!(
            "{what} must be a str or a sequence of int token ids: item {i} is a {item_type}, \
             not an int"
        ));
    }
    generic()
}

/// A query argument: a `str`, or token ids checked against `vocab`.
pub fn query_of(obj: &Bound<'_, PyAny>, vocab: u64, what: &str) -> PyResult<Query> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Query::Text(text_of(s)?));
    }
    Ok(Query::Ids(ids_of(obj, vocab, what)?))
}
