//! One JOIN of a query: its table, style, and ON clauses or USING columns.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple, PyType};
use pyo3::IntoPyObjectExt;

use super::clauses::same_operand;

/// One JOIN: table, style, and ON clauses or USING columns.
#[pyclass(frozen, module = "aioxide.sql.types", name = "TableJoin")]
pub struct TableJoin {
    #[pyo3(get)]
    pub table: Py<PyAny>,
    #[pyo3(get)]
    pub style: Py<PyAny>,
    #[pyo3(get)]
    pub on: Py<PyList>,
    #[pyo3(get)]
    pub using: Py<PyList>,
}

#[pymethods]
impl TableJoin {
    #[new]
    #[pyo3(signature = (table, style, on=None, using=None))]
    fn new(
        py: Python<'_>,
        table: Py<PyAny>,
        style: Py<PyAny>,
        on: Option<Py<PyList>>,
        using: Option<Py<PyList>>,
    ) -> Self {
        TableJoin {
            table,
            style,
            on: on.unwrap_or_else(|| PyList::empty(py).unbind()),
            using: using.unwrap_or_else(|| PyList::empty(py).unbind()),
        }
    }

    /// Remade from its constructor's arguments (`copy`, `pickle`).
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let args = (
            self.table.bind(py),
            self.style.bind(py),
            self.on.bind(py),
            self.using.bind(py),
        );
        Ok((py.get_type::<TableJoin>(), args.into_pyobject(py)?))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(other) = other.cast::<TableJoin>() else {
            return Ok(py.NotImplemented());
        };
        let o = other.get();
        let equal = self.table.bind(py).is(o.table.bind(py))
            && self.style.bind(py).eq(o.style.bind(py))?
            && self.on.bind(py).eq(o.on.bind(py))?
            && same_operand(py, self.using.bind(py), o.using.bind(py))?;
        equal.into_py_any(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TableJoin({}, {}, on={}, using={})",
            self.table.bind(py).repr()?,
            self.style.bind(py).repr()?,
            self.on.bind(py).repr()?,
            self.using.bind(py).repr()?
        ))
    }
}
