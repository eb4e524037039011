//! The integer codes `aioxide.sql` and this renderer share, declared once.
//!
//! Python reads them from `aioxide._core.SQL_CODES` (a dict of tables, each
//! `{name: code}`) when its enums and tables are defined, so a code exists
//! only here: `QueryAction`, `Operator`, the engines' `DIALECT` and the
//! column kinds of `aioxide.sql.column` take their values from it, and a name
//! missing on either side fails at import instead of rendering wrong SQL.
//! The row build modes (`RowShape.CALL`/`FIELDS`/`TUPLE`) are declared the
//! same way beside `RowShape`, in aioxide-sqlite.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The SQL dialect a query is rendered for (`SqlEngine.DIALECT`).
pub mod dialect {
    pub const GENERIC: u8 = 0;
    pub const SQLITE: u8 = 1;
    pub const MYSQL: u8 = 2;
    pub const POSTGRES: u8 = 3;
}

/// What a query does (`aioxide.sql.types.QueryAction`).
pub mod action {
    pub const UNSET: u8 = 1;
    pub const CREATE: u8 = 2;
    pub const INSERT: u8 = 3;
    pub const SELECT: u8 = 4;
    pub const UPDATE: u8 = 5;
    pub const DELETE: u8 = 6;
}

/// A comparison's operator (`aioxide.sql.types.Operator`).
pub mod operator {
    pub const EQ: u8 = 1;
    pub const NE: u8 = 2;
    pub const GT: u8 = 3;
    pub const GE: u8 = 4;
    pub const LT: u8 = 5;
    pub const LE: u8 = 6;
    pub const IN: u8 = 7;
    pub const LIKE: u8 = 8;
    pub const ILIKE: u8 = 9;
    pub const NOT_IN: u8 = 10;
    pub const NOT_LIKE: u8 = 11;
    pub const NOT_ILIKE: u8 = 12;
    pub const BETWEEN: u8 = 13;
    pub const NOT_BETWEEN: u8 = 14;
}

/// How a table is joined (`aioxide.sql.types.Join`).
pub mod join {
    pub const INNER: u8 = 1;
    pub const LEFT: u8 = 2;
    pub const RIGHT: u8 = 3;
}

/// What a column holds (`Column._kind`, from its declared Python type).
pub mod kind {
    pub const ANY: u8 = 0;
    pub const BOOL: u8 = 1;
    pub const INT: u8 = 2;
    pub const FLOAT: u8 = 3;
    pub const STR: u8 = 4;
    pub const BYTES: u8 = 5;
    pub const TEXT: u8 = 6;
    pub const BLOB: u8 = 7;
    pub const DATE: u8 = 8;
    pub const DATETIME: u8 = 9;
}

pub type Table = &'static [(&'static str, u8)];

/// Every table by the name Python looks it up with; within a table, each
/// code by the Python member name.
pub const TABLES: &[(&str, Table)] = &[
    ("action", ACTIONS),
    (
        "dialect",
        &[
            ("generic", dialect::GENERIC),
            ("sqlite", dialect::SQLITE),
            ("mysql", dialect::MYSQL),
            ("postgres", dialect::POSTGRES),
        ],
    ),
    ("operator", OPERATORS),
    (
        "join",
        &[
            ("inner", join::INNER),
            ("left", join::LEFT),
            ("right", join::RIGHT),
        ],
    ),
    ("kind", KINDS),
];

/// The query actions (the Python `QueryAction` members).
pub const ACTIONS: Table = &[
    ("unset", action::UNSET),
    ("create", action::CREATE),
    ("insert", action::INSERT),
    ("select", action::SELECT),
    ("update", action::UPDATE),
    ("delete", action::DELETE),
];

/// The operators in code order (the Python `Operator` members).
pub const OPERATORS: Table = &[
    ("eq", operator::EQ),
    ("ne", operator::NE),
    ("gt", operator::GT),
    ("ge", operator::GE),
    ("lt", operator::LT),
    ("le", operator::LE),
    ("in_", operator::IN),
    ("like", operator::LIKE),
    ("ilike", operator::ILIKE),
    ("not_in", operator::NOT_IN),
    ("not_like", operator::NOT_LIKE),
    ("not_ilike", operator::NOT_ILIKE),
    ("between", operator::BETWEEN),
    ("not_between", operator::NOT_BETWEEN),
];

/// The column kinds, named as error messages show them.
pub const KINDS: Table = &[
    ("any", kind::ANY),
    ("bool", kind::BOOL),
    ("int", kind::INT),
    ("float", kind::FLOAT),
    ("str", kind::STR),
    ("bytes", kind::BYTES),
    ("Text", kind::TEXT),
    ("Blob", kind::BLOB),
    ("date", kind::DATE),
    ("datetime", kind::DATETIME),
];

/// The name of `code` in `table` ("?" for a code it does not have).
pub fn name_of(table: Table, code: u8) -> &'static str {
    table
        .iter()
        .find(|(_, c)| *c == code)
        .map_or("?", |(name, _)| name)
}

/// `SQL_CODES`: `{table: {name: code}}` for Python.
pub fn as_dict(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let tables = PyDict::new(py);
    for (table, codes) in TABLES {
        let entries = PyDict::new(py);
        for (name, code) in *codes {
            entries.set_item(*name, *code)?;
        }
        tables.set_item(*table, entries)?;
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_distinct_names_and_codes() {
        for (table, codes) in TABLES {
            let mut names: Vec<_> = codes.iter().map(|(n, _)| *n).collect();
            let mut values: Vec<_> = codes.iter().map(|(_, c)| *c).collect();
            names.sort_unstable();
            names.dedup();
            values.sort_unstable();
            values.dedup();
            assert_eq!(names.len(), codes.len(), "{table}: a name twice");
            assert_eq!(values.len(), codes.len(), "{table}: a code twice");
        }
        assert_eq!(name_of(KINDS, kind::TEXT), "Text");
        assert_eq!(name_of(OPERATORS, 200), "?");
    }
}
