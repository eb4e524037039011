//! SQLite values as the connection thread sees them: parameters to bind
//! and result cells, plain Rust values (`py::params` makes them from Python
//! objects on the loop thread, `py::cells` turns cells back into Python).

use crate::errors::SqlError;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

/// One SQLite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    /// Text that is not valid UTF-8: the text factory decides what it
    /// becomes (`str` refuses it, as the stdlib does).
    BadText(Vec<u8>),
    Blob(Vec<u8>),
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::BadText(t) => ValueRef::Text(t),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Value {
    pub fn from_ref(v: ValueRef<'_>) -> Self {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Value::Text(s.to_owned()),
                // Not UTF-8: keep the bytes, the text factory decides.
                Err(_) => Value::BadText(t.to_vec()),
            },
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// A parameter that could not be converted. Only an error if the statement
/// actually uses it (a dict may carry keys the statement never names).
#[derive(Debug, Clone)]
pub enum Param {
    Value(Value),
    /// The error binding it raises (its class and words depend on the
    /// Python version, so the Python face builds it).
    Unsupported(SqlError),
}

/// Parameters for one execution.
#[derive(Debug, Clone)]
pub enum Params {
    Positional(Vec<Param>),
    Named(Vec<(String, Param)>),
}

impl Params {
    pub fn empty() -> Self {
        Params::Positional(Vec::new())
    }
}
