//! `CursorCore`: the native base of `aioxide.sqlite.Cursor` — the state
//! every statement's cursor has (its connection, row factory, the batch of
//! rows it holds and its place in them), the cursor's fast creation, and
//! `fetchone` for the row a point select brings back.
//!
//! Everything else of the cursor is Python (`aioxide/sqlite/cursor.py`);
//! those methods reach this state through the properties below. Made here,
//! a cursor needs no Python frame (`Cursor._from_batch` cost ~2,500
//! instructions per statement), and `fetchone` on a row already held
//! needs no coroutine (~2,300): it returns an already finished awaitable.

use aioxide_bridge::slots::Finished;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

use super::cells::SqliteBatch;
use super::connection_core::{object_or_none, ConnectionCore};

/// What a cursor's state starts as, registered by `aioxide.sqlite`.
pub(super) struct CursorHooks {
    /// `Cursor` itself (what statements' cursors are).
    pub(super) cursor_type: Py<PyType>,
    /// `_NO_ROWS`: the batch of a cursor that has run nothing.
    pub(super) no_rows: Py<PyAny>,
}

/// The state `aioxide.sqlite.Cursor` methods share.
#[pyclass(module = "aioxide._core", subclass)]
pub struct CursorCore {
    connection: Option<Py<PyAny>>,
    row_factory: Option<Py<PyAny>>,
    /// `None`: the registered "no rows" batch.
    batch: Option<Py<PyAny>>,
    pos: usize,
    closed: bool,
}

impl CursorCore {
    /// A `Cursor` over `batch`, as `Cursor._from_batch` makes it: the
    /// registered class's own constructor slot, with no `__init__`.
    pub(super) fn new_over(
        py: Python<'_>,
        hooks: &CursorHooks,
        conn: &Bound<'_, PyAny>,
        batch: Py<PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let core = conn.cast::<ConnectionCore>()?.borrow();
        let row_factory = object_or_none(py, &core.row_factory).into_bound(py);
        let chunk = (!core.default_chunk).then(|| core.iter_chunk_size.clone_ref(py));
        drop(core);
        // Made with no arguments (nothing for the constructor to parse),
        // then filled in directly.
        let args = PyTuple::empty(py);
        let ty = hooks.cursor_type.bind(py).as_type_ptr();
        // SAFETY: `ty` is the registered `Cursor`, a live subclass of this
        // class whose `tp_new` is the one PyO3 made for it (Python classes
        // inherit it); called with a tuple of arguments and no keywords, it
        // returns a new reference or null with an exception set.
        let cursor = unsafe {
            let Some(new) = (*ty).tp_new else {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "the registered cursor class cannot be instantiated",
                ));
            };
            Bound::from_owned_ptr_or_err(py, new(ty, args.as_ptr(), std::ptr::null_mut()))?
        };
        {
            let mut core = cursor.cast::<CursorCore>()?.borrow_mut();
            core.connection = Some(conn.clone().unbind());
            core.row_factory = (!row_factory.is_none()).then(|| row_factory.unbind());
            core.batch = Some(batch);
        }
        if let Some(chunk) = chunk {
            cursor.setattr(intern!(py, "iter_chunk_size"), chunk)?;
        }
        Ok(cursor.unbind())
    }

    /// See `_close_now`.
    pub(super) fn close_now(&mut self, py: Python<'_>) {
        self.closed = true;
        if let Some(batch) = self.batch.take() {
            if let Ok(batch) = batch.bind(py).cast::<SqliteBatch>() {
                if let Some(more) = batch.get().more() {
                    more.get().close();
                }
            }
        }
    }

    fn row_here(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.closed || self.row_factory.as_ref().is_some_and(|f| !f.is_none(py)) {
            return Ok(None);
        }
        let Some(batch) = &self.batch else {
            return Ok(None);
        };
        let Ok(batch) = batch.bind(py).cast::<SqliteBatch>() else {
            return Ok(None);
        };
        let Some(conn) = &self.connection else {
            return Ok(None);
        };
        let Ok(conn) = conn.bind(py).cast::<ConnectionCore>() else {
            return Ok(None);
        };
        if conn.borrow().live(py).is_none() {
            return Ok(None);
        }
        let rows = batch.get().rows(py);
        let row = match rows.get_item(self.pos) {
            Ok(row) => row.unbind(),
            Err(_) => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(row))
    }
}

#[pymethods]
impl CursorCore {
    /// Takes whatever `Cursor(...)` (or a subclass) is called with; the
    /// Python `__init__` sets the connection and row factory. The fast path
    /// (`new_over`) passes (connection, row factory, batch).
    #[new]
    #[pyo3(signature = (conn=None, row_factory=None, batch=None, *_args, **_kwargs))]
    fn new(
        conn: Option<Py<PyAny>>,
        row_factory: Option<Py<PyAny>>,
        batch: Option<Py<PyAny>>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> Self {
        CursorCore {
            connection: conn,
            row_factory,
            batch,
            pos: 0,
            closed: false,
        }
    }

    /// The next row (awaitable). A row already held, with no row factory on
    /// an open cursor and connection, comes in an already finished
    /// awaitable; everything else (errors too, so they still come at
    /// `await`) is the Python coroutine `_fetchone`.
    fn fetchone(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let here = slf.borrow_mut().row_here(py)?;
        match here {
            Some(row) => Ok(Py::new(py, Finished::new(row))?.into_any()),
            None => Ok(slf.call_method0(intern!(py, "_fetchone"))?.unbind()),
        }
    }

    /// Closes the cursor in place: later use raises `ProgrammingError`,
    /// and a query still open lets its statement go. Closing needs no I/O,
    /// so `close()` and the exit of `async with db.execute(...)` do it
    /// here, without a coroutine.
    fn _close_now(&mut self, py: Python<'_>) {
        self.close_now(py);
    }

    #[getter(_connection)]
    fn get_connection(&self, py: Python<'_>) -> Py<PyAny> {
        object_or_none(py, &self.connection)
    }

    #[setter(_connection)]
    fn set_connection(&mut self, conn: Option<Py<PyAny>>) {
        self.connection = conn;
    }

    #[getter(row_factory)]
    fn get_row_factory(&self, py: Python<'_>) -> Py<PyAny> {
        object_or_none(py, &self.row_factory)
    }

    #[setter(row_factory)]
    fn set_row_factory(&mut self, factory: Option<Py<PyAny>>) {
        self.row_factory = factory;
    }

    #[getter(_batch)]
    fn get_batch(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.batch {
            Some(batch) => Ok(batch.clone_ref(py)),
            None => Ok(super::execute_call::cursor_hooks(py)?.no_rows.clone_ref(py)),
        }
    }

    #[setter(_batch)]
    fn set_batch(&mut self, batch: Option<Py<PyAny>>) {
        self.batch = batch;
    }

    #[getter(_pos)]
    fn get_pos(&self) -> usize {
        self.pos
    }

    #[setter(_pos)]
    fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    #[getter(_closed)]
    fn get_closed(&self) -> bool {
        self.closed
    }

    #[setter(_closed)]
    fn set_closed(&mut self, closed: bool) {
        self.closed = closed;
    }
}

/// A `Cursor` over `batch` (what `Cursor._from_batch` returns).
#[pyfunction]
pub fn new_cursor(conn: &Bound<'_, PyAny>, batch: Py<PyAny>) -> PyResult<Py<PyAny>> {
    let py = conn.py();
    CursorCore::new_over(py, super::execute_call::cursor_hooks(py)?, conn, batch)
}
