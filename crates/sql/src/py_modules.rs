//! Every lookup of a Python object from Rust, in one place (polars'
//! `py_modules.rs` is the model): the DSL's classes and enum members
//! (`classes()`, looked up once per interpreter) and its exception classes
//! (`error()`). Nothing else in this crate imports a Python module, and no
//! private Python helper is called: what needs computing is native.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyType};

use crate::codes;
use crate::tree::{And, Comparison, Not, Or, QueryCore};

/// Every Python object the renderer and the builder use, looked up once
/// per interpreter: the DSL's classes (for exact type checks while walking
/// a query) and the enum members the builder hands out or checks against.
pub struct Classes {
    /// `aioxide.sql.query.Query`: the class `sql_select` makes.
    pub query: Py<PyType>,
    /// `Query.__init__` is `object.__init__` (it has none of its own), so
    /// making one needs only its `__new__`.
    pub query_has_no_init: bool,
    /// `aioxide.sql.table.Table`: what `join()` takes (an exact check first).
    pub table: Py<PyType>,
    pub column: Py<PyType>,
    pub func: Py<PyType>,
    pub alias: Py<PyType>,
    pub raw: Py<PyType>,
    pub primary: Py<PyType>,
    pub unique: Py<PyType>,
    pub operand: Py<PyType>,
    pub no_default: Py<PyAny>,
    pub order: Py<PyType>,
    pub order_asc: Py<PyAny>,
    pub order_desc: Py<PyAny>,
    pub select_all: Py<PyAny>,
    pub select_distinct: Py<PyAny>,
    pub join_inner: Py<PyAny>,
    pub boolean_and: Py<PyAny>,
    /// What `where()` / `having()` / `on()` accept.
    pub clause_types: Py<PyTuple>,
    /// `QueryAction` members, indexed by code.
    actions: Vec<(u8, Py<PyAny>)>,
    /// `Operator` members, indexed by code.
    operators: Vec<(u8, Py<PyAny>)>,
}

fn class(module: &Bound<'_, PyModule>, name: &str) -> PyResult<Py<PyType>> {
    Ok(module.getattr(name)?.cast_into::<PyType>()?.unbind())
}

/// The members of `enum` named in `table`, with their codes.
fn members(enum_: &Bound<'_, PyAny>, table: &[(&str, u8)]) -> PyResult<Vec<(u8, Py<PyAny>)>> {
    table
        .iter()
        .map(|(name, code)| Ok((*code, enum_.getattr(*name)?.unbind())))
        .collect()
}

fn member<'py>(
    py: Python<'py>,
    members: &[(u8, Py<PyAny>)],
    code: u8,
    what: &str,
) -> PyResult<Bound<'py, PyAny>> {
    members
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| m.bind(py).clone())
        .ok_or_else(|| PyValueError::new_err(format!("unknown {what} code {code}")))
}

pub fn classes(py: Python<'_>) -> PyResult<&'static Classes> {
    static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        let column = py.import("aioxide.sql.column")?;
        let expr = py.import("aioxide.sql.expr")?;
        let types = py.import("aioxide.sql.types")?;
        let order = types.getattr("Order")?;
        let select = types.getattr("Select")?;
        let clause_types = PyTuple::new(
            py,
            [
                py.get_type::<Comparison>().into_any(),
                py.get_type::<And>().into_any(),
                py.get_type::<Or>().into_any(),
                py.get_type::<Not>().into_any(),
                expr.getattr("Raw")?,
            ],
        )?;
        let query = class(&py.import("aioxide.sql.query")?, "Query")?;
        let object_init = py.get_type::<pyo3::types::PyAny>().getattr("__init__")?;
        Ok(Classes {
            query_has_no_init: query.bind(py).getattr("__init__")?.is(&object_init),
            query,
            table: class(&py.import("aioxide.sql.table")?, "Table")?,
            column: class(&column, "Column")?,
            func: class(&expr, "Func")?,
            alias: class(&expr, "Alias")?,
            raw: class(&expr, "Raw")?,
            primary: class(&column, "Primary")?,
            unique: class(&column, "Unique")?,
            operand: class(&expr, "Operand")?,
            no_default: column.getattr("NO_DEFAULT")?.unbind(),
            order_asc: order.getattr("asc")?.unbind(),
            order_desc: order.getattr("desc")?.unbind(),
            order: order.cast_into::<PyType>()?.unbind(),
            select_all: select.getattr("all")?.unbind(),
            select_distinct: select.getattr("distinct")?.unbind(),
            join_inner: types.getattr("Join")?.getattr("inner")?.unbind(),
            boolean_and: types.getattr("Boolean")?.getattr("and_")?.unbind(),
            clause_types: clause_types.unbind(),
            actions: members(&types.getattr("QueryAction")?, codes::ACTIONS)?,
            operators: members(&types.getattr("Operator")?, codes::OPERATORS)?,
        })
    })
}

impl Classes {
    /// The `QueryAction` member for `code`.
    pub fn action<'py>(&self, py: Python<'py>, code: u8) -> PyResult<Bound<'py, PyAny>> {
        member(py, &self.actions, code, "query action")
    }

    /// The `Operator` member for `code`.
    pub fn operator<'py>(&self, py: Python<'py>, code: u8) -> PyResult<Bound<'py, PyAny>> {
        member(py, &self.operators, code, "operator")
    }
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
    /// `None` or a value of an exact builtin scalar type: bound as a parameter.
    pub fn is_plain_value(ob: &Bound<'_, PyAny>) -> bool {
        ob.is_none()
            || ob.is_exact_instance_of::<pyo3::types::PyInt>()
            || ob.is_exact_instance_of::<pyo3::types::PyString>()
            || ob.is_exact_instance_of::<pyo3::types::PyFloat>()
            || ob.is_exact_instance_of::<pyo3::types::PyBool>()
            || ob.is_exact_instance_of::<pyo3::types::PyBytes>()
    }

    /// An instance of `Column` itself (not a subclass).
    pub fn is_exact_column(&self, ob: &Bound<'_, PyAny>) -> bool {
        ob.get_type_ptr() == self.column.as_ptr().cast()
    }

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
        if Self::is_plain_value(ob) {
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
