//! The output of a render: SQL text and the parameters its placeholders bind.

use pyo3::exceptions::PyRecursionError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDate, PyDateTime, PyFloat, PyInt, PyString};

use crate::dialect::Dialect;
use crate::py_modules::{build_error, classes, error, Classes};

pub struct Writer<'py> {
    pub py: Python<'py>,
    pub dialect: Dialect,
    pub sql: String,
    pub params: Vec<Bound<'py, PyAny>>,
    pub cls: &'static Classes,
    /// Table names visible to column references, innermost query last.
    /// Empty when a fragment is rendered on its own (nothing to check).
    scopes: Vec<Vec<Bound<'py, PyString>>>,
    /// Expressions (clauses, operands) being rendered inside one another.
    depth: usize,
    /// Less than the red zone of stack was left at the first nested
    /// expression (measured then: a select rendered from the statement-shape
    /// cache never nests, and never measures).
    low_at_start: Option<bool>,
}

/// Expressions nested deeper than this are refused with `RecursionError`:
/// SQLite refuses more than 1,000 anyway (`SQLITE_MAX_EXPR_DEPTH`), and the
/// renderer recurses once per level (50,000 nested `And`s overflowed the
/// stack).
pub const MAX_EXPR_DEPTH: usize = 1_000;

/// Stack that must be left to render one more level.
const RED_ZONE: usize = 128 * 1024;

/// Levels between two measurements of the stack left: each level uses a
/// few hundred bytes, so eight stay far inside the red zone.
const STACK_CHECK_EVERY: usize = 8;

fn stack_is_low() -> bool {
    stacker::remaining_stack().is_some_and(|left| left < RED_ZONE)
}

/// Append `name` quoted for `dialect` (quote characters doubled; `%` doubled
/// where drivers format the statement).
pub fn push_ident(out: &mut String, dialect: Dialect, name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('\0') {
        return Err(format!(
            "{name:?} cannot be used as an SQL name (empty, or holds a NUL)"
        ));
    }
    let q = dialect.quote();
    let percent = dialect.doubles_percent();
    out.push(q);
    if !(name.contains(q) || percent && name.contains('%')) {
        out.push_str(name);
    } else {
        for c in name.chars() {
            if c == q || (c == '%' && percent) {
                out.push(c);
            }
            out.push(c);
        }
    }
    out.push(q);
    Ok(())
}

/// Deeper nesting than this is a query that contains itself.
const MAX_DEPTH: usize = 64;

impl<'py> Writer<'py> {
    pub fn new(py: Python<'py>, dialect: Dialect) -> PyResult<Self> {
        Ok(Writer {
            py,
            dialect,
            // Grown on first write: a select found in the shape cache
            // writes no text at all.
            sql: String::new(),
            params: Vec::new(),
            cls: classes(py)?,
            scopes: Vec::new(),
            depth: 0,
            low_at_start: None,
        })
    }

    /// A fresh writer for a follow-up statement (same dialect).
    pub fn sibling(&self) -> Self {
        Writer {
            py: self.py,
            dialect: self.dialect,
            sql: String::with_capacity(128),
            params: Vec::new(),
            cls: self.cls,
            scopes: Vec::new(),
            depth: 0,
            low_at_start: self.low_at_start,
        }
    }

    /// Fixed SQL of our own (keywords, punctuation): never holds a `%`.
    pub fn kw(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    /// Text from elsewhere (raw SQL, literals): `%` doubled where drivers format.
    pub fn text(&mut self, s: &str) {
        if self.dialect.doubles_percent() && s.contains('%') {
            self.sql.push_str(&s.replace('%', "%%"));
        } else {
            self.sql.push_str(s);
        }
    }

    /// A quoted identifier; quote characters inside the name are doubled, so
    /// no name can end the quoting early.
    pub fn ident(&mut self, name: &str) -> PyResult<()> {
        push_ident(&mut self.sql, self.dialect, name)
            .map_err(|message| error(self.py, "InvalidIdentifier", message))
    }

    pub fn ident_of(&mut self, ob: &Bound<'py, PyAny>) -> PyResult<()> {
        let s = ob.cast::<PyString>()?;
        self.ident(s.to_str()?)
    }

    /// Bind a value: push it and write the dialect's placeholder. For
    /// SQLite a date or datetime is bound as its ISO text here — what the
    /// stdlib's default adapters stored, which Python 3.12 deprecated —
    /// and read back by the column's conversion (`mapping.TEXT_STORED`).
    pub fn param(&mut self, value: Bound<'py, PyAny>) -> PyResult<()> {
        self.bind(value)?;
        match self.dialect {
            Dialect::Generic | Dialect::Sqlite => self.sql.push('?'),
            Dialect::Mysql => self.sql.push_str("%s"),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.params.len().to_string());
            }
        }
        Ok(())
    }

    /// Binds `value` (as [`Writer::param`] does) without writing its
    /// placeholder: the shape cache's walk, whose text comes from the cache.
    pub fn bind(&mut self, value: Bound<'py, PyAny>) -> PyResult<()> {
        // The usual values are none of the date types: not asked twice.
        let value = if self.dialect == Dialect::Sqlite && !Classes::is_plain_value(&value) {
            if value.is_instance_of::<PyDateTime>() {
                value.call_method1(intern!(self.py, "isoformat"), (" ",))?
            } else if value.is_instance_of::<PyDate>() {
                value.call_method0(intern!(self.py, "isoformat"))?
            } else {
                value
            }
        } else {
            value
        };
        self.params.push(value);
        Ok(())
    }

    /// Renders one nested expression with `render`, refusing past
    /// [`MAX_EXPR_DEPTH`] levels or when the stack runs low.
    pub fn nested(&mut self, render: impl FnOnce(&mut Self) -> PyResult<()>) -> PyResult<()> {
        // The stack is measured at the first level and then every few
        // levels (measuring cost more than rendering a column): the levels
        // in between use far less than the red zone.
        let low_stack = if self.depth % STACK_CHECK_EVERY == STACK_CHECK_EVERY - 1 {
            stack_is_low()
        } else {
            self.depth == 0 && *self.low_at_start.get_or_insert_with(stack_is_low)
        };
        if self.depth >= MAX_EXPR_DEPTH || low_stack {
            return Err(PyRecursionError::new_err(format!(
                "expression nested too deeply to render ({} levels; SQL databases allow about {MAX_EXPR_DEPTH})",
                self.depth
            )));
        }
        self.depth += 1;
        let result = render(self);
        self.depth -= 1;
        result
    }

    pub fn push_scope(&mut self, tables: Vec<Bound<'py, PyString>>) -> PyResult<()> {
        if self.scopes.len() >= MAX_DEPTH {
            return Err(
                self.build_error("subqueries nested too deeply (does a query contain itself?)")
            );
        }
        self.scopes.push(tables);
        Ok(())
    }

    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    pub fn in_scope(&self, table: &Bound<'py, PyString>) -> bool {
        if self.scopes.is_empty() {
            return true;
        }
        // Columns usually hold the very string object their table is named
        // by: every scope is searched by identity before any text compare.
        let tables = || self.scopes.iter().flat_map(|s| s.iter());
        if tables().any(|t| t.is(table)) {
            return true;
        }
        let Ok(name) = table.to_str() else {
            return false;
        };
        tables().any(|t| t.to_str().is_ok_and(|t| t == name))
    }

    /// A constant as an SQL literal (DDL defaults cannot be parameters).
    pub fn literal(&mut self, value: &Bound<'py, PyAny>, what: &str) -> PyResult<()> {
        let py = self.py;
        if value.is_none() {
            self.kw("NULL");
        } else if let Ok(b) = value.cast::<PyBool>() {
            let truth = b.is_true();
            let word = match (self.dialect, truth) {
                (Dialect::Generic | Dialect::Sqlite, true) => "1",
                (Dialect::Generic | Dialect::Sqlite, false) => "0",
                (_, true) => "TRUE",
                (_, false) => "FALSE",
            };
            self.kw(word);
        } else if value.cast::<PyInt>().is_ok() {
            let n: i128 = value.extract()?;
            self.kw(&n.to_string());
        } else if let Ok(f) = value.cast::<PyFloat>() {
            let x = f.value();
            if !x.is_finite() {
                return Err(error(
                    py,
                    "InvalidValue",
                    format!("{what}: {x} has no SQL literal"),
                ));
            }
            self.kw(&value.repr()?.to_string());
        } else if let Ok(s) = value.cast::<PyString>() {
            let s = s.to_str()?.to_owned();
            self.string_literal(&s);
        } else if let Ok(b) = value.cast::<PyBytes>() {
            let hex: String = b.as_bytes().iter().map(|x| format!("{x:02X}")).collect();
            if self.dialect == Dialect::Postgres {
                self.kw(&format!("'\\x{hex}'"));
            } else {
                self.kw(&format!("X'{hex}'"));
            }
        } else if value.is_instance_of::<pyo3::types::PyDateTime>() {
            let text: String = value.call_method1("isoformat", (" ",))?.extract()?;
            self.string_literal(&text);
        } else if value.is_instance_of::<pyo3::types::PyDate>() {
            let text: String = value.call_method0("isoformat")?.extract()?;
            self.string_literal(&text);
        } else {
            return Err(error(
                py,
                "InvalidValue",
                format!(
                    "{what}: {} of type {} cannot be written as an SQL literal",
                    value.repr()?,
                    value.get_type().name()?
                ),
            ));
        }
        Ok(())
    }

    fn string_literal(&mut self, s: &str) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self.dialect.backslash_escapes() => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        self.text(&out);
    }

    pub fn build_error(&self, message: impl Into<String>) -> PyErr {
        build_error(self.py, message)
    }

    pub fn error(&self, name: &str, message: impl Into<String>) -> PyErr {
        error(self.py, name, message)
    }
}
