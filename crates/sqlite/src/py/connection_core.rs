//! `ConnectionCore`: the native base of `aioxide.sqlite.Connection` — the
//! settings every statement reads (its native connection, whether it is
//! closed, the row and text factories, type detection, the iteration chunk
//! size), kept where the native statement path reads them without a
//! Python attribute lookup (six of those cost ~1,200 instructions per
//! point select). The Python class reads and writes them through the
//! properties below, under the names it always used.

use pyo3::prelude::*;

use super::connection::NativeConnection;
use super::execute_call::{new_execute_call, ExecuteCall};

/// `iter_chunk_size`'s default (aiosqlite's).
pub(super) const DEFAULT_CHUNK: i64 = 64;

/// Rows per read when every remaining row is wanted (`execute_fetchall`,
/// `fetchall`): bounded, so that a big result's engine cells never sit
/// beside all of its Python rows. Python reads it as `SQLITE_REST_CHUNK`.
pub const REST_CHUNK: usize = 4096;

/// The state of an `aioxide.sqlite.Connection` that statements read.
#[pyclass(module = "aioxide._core", subclass)]
pub struct ConnectionCore {
    pub(super) native: Option<Py<NativeConnection>>,
    pub(super) closed: bool,
    pub(super) row_factory: Option<Py<PyAny>>,
    pub(super) text_factory: Option<Py<PyAny>>,
    pub(super) detect_types: u32,
    /// As given (any object: a cursor copies it when it is not 64).
    pub(super) iter_chunk_size: Py<PyAny>,
    /// What a cursor's `execute` reads at once: `iter_chunk_size` rows
    /// when that is a positive int, else everything.
    pub(super) first_rows: Option<usize>,
    /// Whether `iter_chunk_size` is the default 64.
    pub(super) default_chunk: bool,
}

/// An optional object as Python sees it (None when absent): the getters'
/// shape on both native bases.
pub(super) fn object_or_none(py: Python<'_>, value: &Option<Py<PyAny>>) -> Py<PyAny> {
    value
        .as_ref()
        .map_or_else(|| py.None(), |v| v.clone_ref(py))
}

impl ConnectionCore {
    /// The native connection, when open (as `Connection._native_checked`).
    pub(super) fn live(&self, py: Python<'_>) -> Option<Py<NativeConnection>> {
        match &self.native {
            Some(native) if !self.closed => Some(native.clone_ref(py)),
            _ => None,
        }
    }
}

/// As `aioxide.sqlite.cursor._first_rows` (an int, a bool included, that is
/// positive; anything else reads everything).
fn first_rows_of(size: &Bound<'_, PyAny>) -> Option<usize> {
    if !size.is_instance_of::<pyo3::types::PyInt>() {
        return None;
    }
    size.extract::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| usize::try_from(n).ok())
}

#[pymethods]
impl ConnectionCore {
    /// Takes whatever `Connection(...)` (or a subclass) is called with; the
    /// Python `__init__` sets the fields.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(
        py: Python<'_>,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Self> {
        Ok(ConnectionCore {
            native: None,
            closed: false,
            row_factory: None,
            text_factory: None,
            detect_types: 0,
            iter_chunk_size: DEFAULT_CHUNK.into_pyobject(py)?.into_any().unbind(),
            first_rows: Some(64),
            default_chunk: true,
        })
    }

    /// Execute one statement; returns a cursor over its rows (awaitable,
    /// and an async context manager closing that cursor).
    ///
    /// Native, so that the call itself costs no Python frame.
    #[pyo3(signature = (sql, parameters=None))]
    fn execute(
        slf: &Bound<'_, Self>,
        sql: Py<PyAny>,
        parameters: Option<Py<PyAny>>,
    ) -> PyResult<Py<ExecuteCall>> {
        new_execute_call(
            slf.py(),
            slf.clone().into_any().unbind(),
            sql,
            parameters,
            None,
            None,
            None,
        )
    }

    /// Execute a statement and return all its rows (awaitable).
    #[pyo3(signature = (sql, parameters=None))]
    fn execute_fetchall(
        slf: &Bound<'_, Self>,
        sql: Py<PyAny>,
        parameters: Option<Py<PyAny>>,
    ) -> PyResult<Py<ExecuteCall>> {
        let conn = slf.clone().into_any().unbind();
        new_execute_call(
            slf.py(),
            conn,
            sql,
            parameters,
            Some(REST_CHUNK),
            None,
            None,
        )
    }

    #[getter(_native)]
    fn get_native(&self, py: Python<'_>) -> Option<Py<NativeConnection>> {
        self.native.as_ref().map(|n| n.clone_ref(py))
    }

    #[setter(_native)]
    fn set_native(&mut self, native: Option<Py<NativeConnection>>) {
        self.native = native;
    }

    #[getter(_closed)]
    fn get_closed(&self) -> bool {
        self.closed
    }

    #[setter(_closed)]
    fn set_closed(&mut self, closed: bool) {
        self.closed = closed;
    }

    #[getter(_row_factory)]
    fn get_row_factory(&self, py: Python<'_>) -> Py<PyAny> {
        object_or_none(py, &self.row_factory)
    }

    #[setter(_row_factory)]
    fn set_row_factory(&mut self, py: Python<'_>, factory: Option<Py<PyAny>>) {
        self.row_factory = factory.filter(|f| !f.is_none(py));
    }

    /// `None` until set: the text factory is then `str`.
    #[getter(_text_factory)]
    fn get_text_factory(&self, py: Python<'_>) -> Py<PyAny> {
        self.text_factory.as_ref().map_or_else(
            || py.get_type::<pyo3::types::PyString>().into_any().unbind(),
            |f| f.clone_ref(py),
        )
    }

    #[setter(_text_factory)]
    fn set_text_factory(&mut self, factory: Option<Py<PyAny>>) {
        self.text_factory = factory;
    }

    #[getter(_detect_types)]
    fn get_detect_types(&self) -> u32 {
        self.detect_types
    }

    #[setter(_detect_types)]
    fn set_detect_types(&mut self, detect_types: u32) {
        self.detect_types = detect_types;
    }

    #[getter(_iter_chunk_size)]
    fn get_iter_chunk_size(&self, py: Python<'_>) -> Py<PyAny> {
        self.iter_chunk_size.clone_ref(py)
    }

    #[setter(_iter_chunk_size)]
    fn set_iter_chunk_size(&mut self, size: &Bound<'_, PyAny>) -> PyResult<()> {
        self.first_rows = first_rows_of(size);
        self.default_chunk = size.extract::<i64>().is_ok_and(|n| n == DEFAULT_CHUNK);
        self.iter_chunk_size = size.clone().unbind();
        Ok(())
    }

    /// What a cursor's `execute` reads at once (None: everything).
    #[getter(_first_rows)]
    fn get_first_rows(&self) -> Option<usize> {
        self.first_rows
    }
}
