//! A rendered query, ready for a driver: `db.execute(*prepared)`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple};

/// SQL text and parameters, ready for a driver: `db.execute(*prepared)`.
/// `statements` are any statements that must follow (CREATE INDEX ...).
#[pyclass(frozen, subclass, module = "aioxide.sql.query", name = "PreparedQuery")]
pub struct PreparedQuery {
    #[pyo3(get)]
    pub table: Py<PyAny>,
    #[pyo3(get)]
    pub sql: Py<PyAny>,
    #[pyo3(get)]
    pub parameters: Py<PyAny>,
    /// Made on first read when there are none (nearly every query): the
    /// same list object on every read, so appending to it is kept.
    pub statements: PyOnceLock<Py<PyList>>,
}

impl PreparedQuery {
    /// A query with `statements` to follow (none: the list is made when read).
    pub fn new_with(
        py: Python<'_>,
        table: Py<PyAny>,
        sql: Py<PyAny>,
        parameters: Py<PyAny>,
        statements: Option<Py<PyList>>,
    ) -> Self {
        let lock = PyOnceLock::new();
        if let Some(list) = statements {
            // A new lock: nothing else can have set it, so this cannot fail.
            let _ = lock.set(py, list);
        }
        PreparedQuery {
            table,
            sql,
            parameters,
            statements: lock,
        }
    }
}

#[pymethods]
impl PreparedQuery {
    #[new]
    #[pyo3(signature = (table, sql, parameters, statements=None))]
    fn new(
        py: Python<'_>,
        table: Py<PyAny>,
        sql: Py<PyAny>,
        parameters: Py<PyAny>,
        statements: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let statements = match statements {
            Some(s) => PyList::new(py, s.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,
            None => PyList::empty(py),
        };
        Ok(PreparedQuery::new_with(
            py,
            table,
            sql,
            parameters,
            Some(statements.unbind()),
        ))
    }

    #[getter]
    fn statements(&self, py: Python<'_>) -> Py<PyList> {
        self.statements
            .get_or_init(py, || PyList::empty(py).unbind())
            .clone_ref(py)
    }

    /// `(sql, parameters)`, so `db.execute(*prepared)` works.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyTuple::new(py, [self.sql.clone_ref(py), self.parameters.clone_ref(py)])?
            .into_any()
            .try_iter()
            .map(Bound::into_any)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<PreparedQuery: {} {}>",
            self.sql.bind(py).repr()?,
            self.parameters.bind(py).repr()?
        ))
    }
}
