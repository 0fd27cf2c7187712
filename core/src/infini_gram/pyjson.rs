//! JSON written as Python's `json.dumps` writes it with its defaults, the form of infini-gram's
//! `metadata.N` lines (its indexer writes them with `json.dumps`): `", "` between items and
//! `": "` after keys, every character outside printable ASCII escaped (`\u00e9`, astral
//! characters as surrogate pairs), and floats as Python's `repr` (`2.0`, `1e-05`, `1e+16`).
//! Keys keep the order of the map.

use serde_json::{Number, Value};
use std::fmt::Write;

/// `value` as `json.dumps(value)` writes it.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// An object of `pairs` in their order (a `serde_json::Map` sorts its keys; a Python dict
/// keeps the order of insertion), as `json.dumps` writes it.
pub fn dumps_object(pairs: &[(&str, &Value)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(&mut out, k);
        out.push_str(": ");
        write_value(&mut out, v);
    }
    out.push('}');
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, v);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k);
                out.push_str(": ");
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) {
    match n.as_f64().filter(|_| n.is_f64()) {
        Some(f) => out.push_str(&float_repr(f)),
        None => out.push_str(&n.to_string()),
    }
}

/// Python's `repr` of a finite float: the shortest digits that read back to it, in fixed
/// notation with at least one decimal when its decimal exponent is from -4 to 15, else in
/// scientific notation with a signed exponent of at least two digits.
fn float_repr(f: f64) -> String {
    if !f.is_finite() {
        // JSON holds no NaN or infinity; json.dumps writes them so.
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e-7`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e}'s exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if (point as usize) >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The expected strings are what Python 3's `json.dumps` printed for the same values.
    #[test]
    fn writes_what_json_dumps_writes() {
        assert_eq!(
            dumps(&json!({"a": 1, "b": [1, 2.5, "x"], "c": {}})),
            r#"{"a": 1, "b": [1, 2.5, "x"], "c": {}}"#
        );
        assert_eq!(
            dumps(&json!("é€😀\u{7f}\n\t\"\\\u{1}")),
            r#""\u00e9\u20ac\ud83d\ude00\u007f\n\t\"\\\u0001""#
        );
        for (f, python) in [
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123.456, "123.456"),
            (-0.0, "-0.0"),
            (1.5e300, "1.5e+300"),
            (2.0, "2.0"),
            (0.1, "0.1"),
            (1e-7, "1e-07"),
        ] {
            assert_eq!(dumps(&json!(f)), python, "{f}");
        }
        assert_eq!(dumps(&json!(123456789012345678u64)), "123456789012345678");
        assert_eq!(dumps(&json!([])), "[]");
        assert_eq!(
            dumps_object(&[("z", &json!(1)), ("a", &json!({"y": [], "b": "é"}))]),
            r#"{"z": 1, "a": {"b": "\u00e9", "y": []}}"#
        );
        assert_eq!(
            dumps(&json!({"f": false, "k": null, "t": true})),
            r#"{"f": false, "k": null, "t": true}"#
        );
    }
}
