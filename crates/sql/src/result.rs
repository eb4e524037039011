//! `ResultCore`: the native base of `aioxide.sql`'s `Result` (what
//! `db.execute(query)` returns), holding what decides how an `await` runs.
//!
//! Awaiting a result that has not started asks its connection for a native
//! run (`Connection._fused(result)`: render, execute and build the rows in
//! one call, as the SQLite connection does); without one, the Python
//! `Result` runs it (`_await_rows`). Both the constructor and the `await`
//! are native because a result is made for every query: two Python frames
//! were a fifth of a primary-key lookup.

use pyo3::intern;
use pyo3::prelude::*;

/// What a query's result holds natively: the query, its connection, its
/// buffered rows, and what ran (the driver cursor, or a native run's batch).
#[pyclass(subclass, module = "aioxide.sql.engines.results", name = "ResultCore")]
pub struct ResultCore {
    #[pyo3(get, set)]
    pub query: Py<PyAny>,
    #[pyo3(get, set)]
    pub connection: Py<PyAny>,
    /// Rows fetched but not yet handed out (`async for` reads in chunks);
    /// None until it reads one (most results are awaited whole).
    #[pyo3(get, set)]
    pub _buffer: Py<PyAny>,
    /// The cursor the query ran on (None before it ran).
    #[pyo3(get, set)]
    pub _cursor: Py<PyAny>,
    /// The batch a native run gave (None unless it ran that way).
    #[pyo3(get, set)]
    pub _ran: Py<PyAny>,
    /// How the rows become objects (`aioxide.sql.mapping.RowPlan`), once
    /// the query is prepared; None for a query without rows.
    #[pyo3(get, set)]
    pub _plan: Py<PyAny>,
}

#[pymethods]
impl ResultCore {
    #[new]
    #[pyo3(signature = (query, connection, *_args, **_kwargs))]
    fn new(
        py: Python<'_>,
        query: Py<PyAny>,
        connection: Py<PyAny>,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> Self {
        ResultCore {
            query,
            connection,
            _buffer: py.None(),
            _cursor: py.None(),
            _ran: py.None(),
            _plan: py.None(),
        }
    }

    /// Every row: one native run where the connection has one, else the
    /// Python path.
    fn __await__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let connection = {
            let this = slf.borrow();
            (this._cursor.is_none(py) && this._ran.is_none(py))
                .then(|| this.connection.clone_ref(py))
        };
        if let Some(connection) = connection {
            let fused = connection.call_method1(py, intern!(py, "_fused"), (slf,))?;
            if !fused.is_none(py) {
                return Ok(fused);
            }
        }
        slf.call_method0(intern!(py, "_await_rows"))
            .map(Bound::unbind)
    }
}
