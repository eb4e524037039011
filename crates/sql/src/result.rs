//! `ResultCore`: the native base of `aioxide.sql`'s `Result` (what
//! `db.execute(query)` returns), holding what decides how an `await` runs.
//!
//! Awaiting a result that has not started asks its connection for a native
//! run (`Connection._fused(result)`: render, execute and build the rows in
//! one call, as the SQLite connection does); without one, the Python
//! `Result` runs it (`_await_rows`). Both the constructor and the `await`
//! are native because a result is made for every query: two Python frames
//! were a fifth of a primary-key lookup.

use std::sync::OnceLock;

use pyo3::intern;
use pyo3::prelude::*;

/// A native `_fused` run, called without Python's call protocol: given the
/// connection's `_fused` object and the result, `None` when the object is
/// not of its kind (then it is called as any callable), else what calling
/// it gives (an awaitable, or None for the general path).
pub type NativeRun =
    fn(&Bound<'_, PyAny>, &Bound<'_, ResultCore>) -> Option<PyResult<Option<Py<PyAny>>>>;

static NATIVE_RUN: OnceLock<NativeRun> = OnceLock::new();

/// Registers the native run (aioxide-sqlite's `DslRun`, which this crate
/// cannot name); the first registration stays.
pub fn register_native_run(run: NativeRun) {
    let _ = NATIVE_RUN.set(run);
}

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
    fn new(py: Python<'_>, query: Py<PyAny>, connection: Py<PyAny>) -> Self {
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
            let fused = connection.bind(py).getattr(intern!(py, "_fused"))?;
            let native = NATIVE_RUN.get().and_then(|run| run(&fused, slf));
            let ran = match native {
                Some(ran) => ran?,
                None => Some(fused.call1((slf,))?.unbind()).filter(|r| !r.is_none(py)),
            };
            if let Some(awaitable) = ran {
                return Ok(awaitable);
            }
        }
        slf.call_method0(intern!(py, "_await_rows"))
            .map(Bound::unbind)
    }
}
