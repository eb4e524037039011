//! The Python side of the tree: the DSL's classes (looked up once) and its
//! exception classes.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::tree::{And, Comparison, Not, Or, QueryCore};

/// The DSL classes, for exact type checks while walking a query.
pub struct Classes {
    pub column: Py<PyType>,
    pub func: Py<PyType>,
    pub alias: Py<PyType>,
    pub raw: Py<PyType>,
    pub primary: Py<PyType>,
    pub unique: Py<PyType>,
    pub no_default: Py<PyAny>,
    pub order_desc: Py<PyAny>,
}

fn class(py: Python<'_>, module: &str, name: &str) -> PyResult<Py<PyType>> {
    Ok(py
        .import(module)?
        .getattr(name)?
        .cast_into::<PyType>()?
        .unbind())
}

pub fn classes(py: Python<'_>) -> PyResult<&'static Classes> {
    static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        Ok(Classes {
            column: class(py, "aioxide.sql.column", "Column")?,
            func: class(py, "aioxide.sql.expr", "Func")?,
            alias: class(py, "aioxide.sql.expr", "Alias")?,
            raw: class(py, "aioxide.sql.expr", "Raw")?,
            primary: class(py, "aioxide.sql.column", "Primary")?,
            unique: class(py, "aioxide.sql.column", "Unique")?,
            no_default: py
                .import("aioxide.sql.column")?
                .getattr("NO_DEFAULT")?
                .unbind(),
            order_desc: py
                .import("aioxide.sql.types")?
                .getattr("Order")?
                .getattr("desc")?
                .unbind(),
        })
    })
}

/// What a node of the tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Column,
    Comparison,
    And,
    Or,
    Not,
    Func,
    Alias,
    Raw,
    Query,
    Other,
}

impl Classes {
    pub fn node(&self, ob: &Bound<'_, PyAny>) -> Node {
        let ty = ob.get_type();
        let t = ty.as_ptr();
        if t == self.column.as_ptr() {
            return Node::Column;
        }
        if ob.is_exact_instance_of::<Comparison>() {
            return Node::Comparison;
        }
        if ob.is_exact_instance_of::<And>() {
            return Node::And;
        }
        if ob.is_exact_instance_of::<Or>() {
            return Node::Or;
        }
        // Plain values are the common case after the DSL's own classes.
        if ob.is_none()
            || ob.is_exact_instance_of::<pyo3::types::PyInt>()
            || ob.is_exact_instance_of::<pyo3::types::PyString>()
            || ob.is_exact_instance_of::<pyo3::types::PyFloat>()
            || ob.is_exact_instance_of::<pyo3::types::PyBool>()
            || ob.is_exact_instance_of::<pyo3::types::PyBytes>()
        {
            return Node::Other;
        }
        if ob.is_instance_of::<QueryCore>() {
            return Node::Query;
        }
        if ob.is_instance_of::<Not>() {
            return Node::Not;
        }
        let py = ob.py();
        // Exact classes first, then subclasses (user code may subclass Column).
        let python = [
            (&self.column, Node::Column),
            (&self.func, Node::Func),
            (&self.alias, Node::Alias),
            (&self.raw, Node::Raw),
        ];
        for (cls, node) in python {
            if cls.as_ptr() == t {
                return node;
            }
        }
        for (cls, node) in python {
            if ty.is_subclass(cls.bind(py)).unwrap_or(false) {
                return node;
            }
        }
        Node::Other
    }
}

/// An `aioxide.sql.errors` exception with a message.
pub fn error(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    match py
        .import("aioxide.sql.errors")
        .and_then(|m| m.getattr(name))
        .and_then(|cls| cls.call1((message,)))
    {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

pub fn build_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    error(py, "BuildError", message)
}
