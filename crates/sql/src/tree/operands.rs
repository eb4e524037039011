//! Operands: the native comparison operators every DSL operand has
//! (`OperandCore`), and a column's data (`ColumnCore`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use super::clauses::Comparison;
use crate::codes::operator;
use crate::py_modules::error;

/// Comparison operators of every operand (`col == 1`, `col.like("a%")`),
/// natively: the base of `aioxide.sql.expr.Operand`.
#[pyclass(subclass, module = "aioxide.sql.expr", name = "OperandCore")]
pub struct OperandCore;

fn compare<'py>(
    slf: &Bound<'py, PyAny>,
    code: u8,
    value: &Bound<'py, PyAny>,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    Ok(Py::new(
        py,
        Comparison::of(slf.clone().unbind(), code, value.clone().unbind()),
    )?
    .into_any())
}

/// The value types a comparison with `operand` accepts (`_accepts`): read
/// from the field for a plain `Column`, by attribute for anything else
/// (a subclass may declare its own).
fn accepted_types<'py>(operand: &Bound<'py, OperandCore>) -> PyResult<Bound<'py, PyAny>> {
    let py = operand.py();
    if operand
        .get_type()
        .is(crate::py_modules::classes(py)?.column.bind(py))
    {
        if let Ok(column) = operand.cast::<ColumnCore>() {
            return Ok(column.borrow()._accepts.bind(py).clone());
        }
    }
    operand.getattr(intern!(py, "_accepts"))
}

/// `isinstance(value, accepts)`, with the common case first: the value's
/// own class is one of the accepted ones (an `int` for an int column).
/// A plain `Column` (`T.a == U.b`) is an `Operand`, so a tuple naming
/// `Operand` accepts it without `isinstance` walking the tuple (~400
/// instructions, a fifth of a comparison).
fn accepted(accepts: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(types) = accepts.cast::<PyTuple>() {
        let own = value.get_type();
        if types.iter().any(|t| t.is(&own)) {
            return Ok(true);
        }
        let py = value.py();
        let cls = crate::py_modules::classes(py)?;
        if cls.is_exact_column(value) && types.iter().any(|t| t.is(cls.operand.bind(py))) {
            return Ok(true);
        }
    }
    value.is_instance(accepts)
}

#[pymethods]
impl OperandCore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        OperandCore
    }

    /// `copy` and `pickle` remake an operand with `__new__()` and then
    /// give it its state (a Python subclass's slots and dict, or a
    /// column's fields). Without this, Python would refuse: the native
    /// base has a layout it cannot read.
    fn __getnewargs__<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        PyTuple::empty(py)
    }

    fn __reduce_ex__<'py>(
        slf: &Bound<'py, Self>,
        _protocol: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        super::state::reduce_ex(slf.as_any())
    }

    fn __richcmp__<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'py, PyAny>,
        op: pyo3::basic::CompareOp,
    ) -> PyResult<Py<PyAny>> {
        use pyo3::basic::CompareOp::*;
        let py = slf.py();
        let accepts = accepted_types(slf)?;
        if !accepts.is_none() && !value.is_none() && !accepted(&accepts, value)? {
            // Raises InvalidValue naming the column and the value.
            slf.call_method1(intern!(py, "_operand"), (value,))?;
        }
        let code = match op {
            Eq => operator::EQ,
            Ne => operator::NE,
            Gt => operator::GT,
            Ge => operator::GE,
            Lt => operator::LT,
            Le => operator::LE,
        };
        compare(slf.as_any(), code, value)
    }

    /// Case-sensitive match (`%` any run, `_` one character, `\\` escapes) on every backend.
    fn like<'py>(slf: &Bound<'py, Self>, pattern: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
        pattern_check(slf.py(), pattern)?;
        compare(slf.as_any(), operator::LIKE, pattern)
    }

    /// Case-insensitive match on every backend.
    fn ilike<'py>(slf: &Bound<'py, Self>, pattern: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
        pattern_check(slf.py(), pattern)?;
        compare(slf.as_any(), operator::ILIKE, pattern)
    }
}

/// A column's data, natively (the base of `aioxide.sql.column.Column`): the
/// renderer reads these fields without attribute lookups.
#[pyclass(extends = OperandCore, subclass, module = "aioxide.sql.column", name = "ColumnCore")]
pub struct ColumnCore {
    #[pyo3(get)]
    pub name: Py<PyAny>,
    #[pyo3(get, set)]
    pub ctype: Py<PyAny>,
    #[pyo3(get, set)]
    pub default: Py<PyAny>,
    #[pyo3(get)]
    pub table_name: Py<PyAny>,
    #[pyo3(get, set)]
    pub _kind: u8,
    #[pyo3(get, set)]
    pub _nullable: bool,
    #[pyo3(get, set)]
    pub _auto: bool,
    #[pyo3(get, set)]
    pub _accepts: Py<PyAny>,
    /// The quoted reference per quoting style (backticks, backticks with
    /// `%` doubled, double quotes), made on first use.
    pub refs: [std::sync::OnceLock<String>; 3],
}

#[pymethods]
impl ColumnCore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyClassInitializer<Self> {
        let empty = PyString::new(py, "").into_any().unbind();
        PyClassInitializer::from(OperandCore).add_subclass(ColumnCore {
            name: empty.clone_ref(py),
            ctype: py.None(),
            default: py.None(),
            table_name: empty,
            _kind: 0,
            _nullable: true,
            _auto: false,
            _accepts: py.None(),
            refs: Default::default(),
        })
    }

    /// The column's fields, for `copy` and `pickle`.
    fn __getstate__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        super::state::column_state(slf)
    }

    fn __setstate__(slf: &Bound<'_, Self>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        super::state::restore_column(slf, state)
    }

    #[setter]
    fn set_name(&mut self, name: Py<PyAny>) {
        self.name = name;
        self.refs = Default::default();
    }

    #[setter]
    fn set_table_name(&mut self, table_name: Py<PyAny>) {
        self.table_name = table_name;
        self.refs = Default::default();
    }
}

fn pattern_check(py: Python<'_>, pattern: &Bound<'_, PyAny>) -> PyResult<()> {
    if pattern.cast::<PyString>().is_err() {
        return Err(error(
            py,
            "InvalidValue",
            format!(
                "a LIKE pattern must be a str, not {}",
                pattern.get_type().name()?
            ),
        ));
    }
    Ok(())
}
