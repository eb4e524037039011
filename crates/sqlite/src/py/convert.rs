//! `detect_types`: converters chosen by declared type or by column name,
//! as the `sqlite3` module does (PARSE_DECLTYPES, PARSE_COLNAMES).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict};

use crate::database::Column;
use crate::value::Value;

pub const PARSE_DECLTYPES: u32 = 1;
pub const PARSE_COLNAMES: u32 = 2;

/// The column name as `description` shows it: with PARSE_COLNAMES, cut at
/// the first `[` (and one space before it).
pub fn display_name(name: &str, detect_types: u32) -> &str {
    if detect_types & PARSE_COLNAMES == 0 {
        return name;
    }
    match name.find('[') {
        Some(at) => {
            let head = &name[..at];
            head.strip_suffix(' ').unwrap_or(head)
        }
        None => name,
    }
}

/// The converter name a column asks for: `"x [type]"` with PARSE_COLNAMES
/// first, else the declared type's first word with PARSE_DECLTYPES.
pub fn converter_name(column: &Column, detect_types: u32) -> Option<&str> {
    if detect_types & PARSE_COLNAMES != 0 {
        if let Some(open) = column.name.find('[') {
            let rest = &column.name[open + 1..];
            if let Some(close) = rest.find(']') {
                return Some(&rest[..close]);
            }
        }
    }
    if detect_types & PARSE_DECLTYPES != 0 {
        if let Some(decl) = &column.decltype {
            let end = decl.find([' ', '(']).unwrap_or(decl.len());
            return Some(&decl[..end]);
        }
    }
    None
}

fn registered_converters(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CONVERTERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CONVERTERS.import(py, "sqlite3", "converters")
}

/// One converter (or none) per column, looked up in `sqlite3.converters`
/// (keys are upper-case, as `register_converter` stores them).
pub fn converters_for(
    py: Python<'_>,
    columns: &[Column],
    detect_types: u32,
) -> PyResult<Vec<Option<Py<PyAny>>>> {
    let registry = registered_converters(py)?;
    let registry = registry.cast::<PyDict>()?;
    columns
        .iter()
        .map(|column| match converter_name(column, detect_types) {
            Some(name) => Ok(registry.get_item(name.to_uppercase())?.map(Bound::unbind)),
            None => Ok(None),
        })
        .collect()
}

/// What a converter receives: the value's bytes as SQLite renders them
/// (`sqlite3_column_blob`); `None` for NULL and for empty values.
pub fn converter_input(value: &Value) -> Option<Vec<u8>> {
    let bytes = match value {
        Value::Null => return None,
        Value::Integer(i) => i.to_string().into_bytes(),
        Value::Real(f) => format_real(*f).into_bytes(),
        Value::Text(s) => s.as_bytes().to_vec(),
        Value::BadText(b) | Value::Blob(b) => b.clone(),
    };
    (!bytes.is_empty()).then_some(bytes)
}

/// Applies a converter to one cell.
pub fn convert(py: Python<'_>, converter: &Py<PyAny>, value: &Value) -> PyResult<Py<PyAny>> {
    match converter_input(value) {
        None => Ok(py.None()),
        Some(bytes) => Ok(converter
            .bind(py)
            .call1((PyBytes::new(py, &bytes),))?
            .unbind()),
    }
}

/// A REAL as SQLite renders it as text (`%!.15g`): 15 significant digits,
/// trailing zeros dropped but at least one digit after the point, and an
/// exponent (two digits at least) outside 1e-4 .. 1e15.
pub fn format_real(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let scientific = format!("{f:.14e}");
    // `{:e}` always writes `<mantissa>e<int>`; Rust's own form if it ever did not.
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return format!("{f:?}");
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return format!("{f:?}");
    };
    let (sign, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest.replace('.', "")),
        None => ("", mantissa.replace('.', "")),
    };
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if !(-4..15).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}.{rest}e{exp_sign}{:02}", exponent.abs());
    }
    let point = exponent + 1; // digits before the decimal point
    if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = usize::try_from(point).unwrap_or(0);
    if digits.len() <= point {
        let pad = "0".repeat(point - digits.len());
        format!("{sign}{digits}{pad}.0")
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, decltype: Option<&str>) -> Column {
        Column {
            name: name.into(),
            decltype: decltype.map(Into::into),
        }
    }

    #[test]
    fn reals_render_like_sqlite() {
        assert_eq!(format_real(1.0), "1.0");
        assert_eq!(format_real(1.5), "1.5");
        assert_eq!(format_real(-2.25), "-2.25");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(100000.0), "100000.0");
        assert_eq!(format_real(1e20), "1.0e+20");
        assert_eq!(format_real(1.5e-7), "1.5e-07");
        assert_eq!(format_real(0.001), "0.001");
        assert_eq!(format_real(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_real(123456789012345.0), "123456789012345.0");
    }

    #[test]
    fn converter_names_follow_the_sqlite3_module() {
        let both = PARSE_DECLTYPES | PARSE_COLNAMES;
        assert_eq!(
            converter_name(&column("d [date]", Some("text")), both),
            Some("date")
        );
        assert_eq!(
            converter_name(&column("d", Some("INTEGER NOT NULL")), both),
            Some("INTEGER")
        );
        assert_eq!(
            converter_name(&column("d", Some("NUMBER(10)")), PARSE_DECLTYPES),
            Some("NUMBER")
        );
        assert_eq!(
            converter_name(&column("d [date]", None), PARSE_DECLTYPES),
            None
        );
        assert_eq!(converter_name(&column("d", Some("point")), 0), None);
        assert_eq!(display_name("d [date]", PARSE_COLNAMES), "d");
        assert_eq!(display_name("d[date]", PARSE_COLNAMES), "d");
        assert_eq!(display_name("d [date]", 0), "d [date]");
    }

    #[test]
    fn converter_input_is_sqlites_text_and_none_for_null_or_empty() {
        assert_eq!(converter_input(&Value::Integer(-5)), Some(b"-5".to_vec()));
        assert_eq!(converter_input(&Value::Real(2.0)), Some(b"2.0".to_vec()));
        assert_eq!(
            converter_input(&Value::Text("é".into())),
            Some("é".as_bytes().to_vec())
        );
        assert_eq!(converter_input(&Value::Null), None);
        assert_eq!(converter_input(&Value::Text(String::new())), None);
    }
}
