//! `ExecuteCall`: what `Connection.execute()` returns — aiosqlite's
//! "coroutine that is also an async context manager", natively.
//!
//! Awaiting it runs the statement (on this thread when it cannot block, the
//! batch then comes straight back) and makes the cursor. It is stepped
//! through `am_send`, so a statement that ran inline costs the `await` no
//! generator, no coroutine and no `StopIteration`; one queued to the
//! connection thread is awaited through its `Completion`, the way `yield
//! from` would. `async with` enters by awaiting the same object and leaves
//! by closing the cursor in place (closing needs no I/O).

use aioxide_bridge::completion::exception_from;
use aioxide_bridge::drive::{self, Poll, Resume};
use aioxide_bridge::slots::{SendStep, Sent};
use pyo3::exceptions::{PyRuntimeError, PyStopIteration, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::cells::SqliteBatch;
use super::connection::NativeConnection;
use super::connection_core::ConnectionCore;
use super::cursor_core::{CursorCore, CursorHooks};
use pyo3::types::{PyString, PyType};

/// The Python side's pieces an `ExecuteCall` needs, registered once by
/// `aioxide.sqlite.core` (`sqlite_cursor_hooks`): the cursor class and its
/// empty batch, and `execute_fetchall`'s slow path.
struct Hooks {
    cursor: CursorHooks,
    /// `execute_fetchall`'s slow path (more rows to read, or a row
    /// factory): a coroutine function of (connection, first batch).
    rows_of: Py<PyAny>,
}

static HOOKS: PyOnceLock<Hooks> = PyOnceLock::new();

fn hooks(py: Python<'_>) -> PyResult<&Hooks> {
    HOOKS.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("aioxide.sqlite is not initialised (sqlite_cursor_hooks)")
    })
}

/// The registered cursor class and empty batch.
pub(super) fn cursor_hooks(py: Python<'_>) -> PyResult<&CursorHooks> {
    hooks(py).map(|h| &h.cursor)
}

/// Registers the cursor class, the batch of a cursor that has run nothing,
/// and the rows slow path (once; later calls, as from a module reload, keep
/// the first).
#[pyfunction]
pub fn sqlite_cursor_hooks(
    py: Python<'_>,
    cursor_type: Py<PyType>,
    no_rows: Py<PyAny>,
    rows_of: Py<PyAny>,
) {
    let _ = HOOKS.set(
        py,
        Hooks {
            cursor: CursorHooks {
                cursor_type,
                no_rows,
            },
            rows_of,
        },
    );
}

enum State {
    NotStarted,
    /// Queued to the connection thread: its `Completion`.
    Waiting(Py<PyAny>),
    /// Awaiting the Python slow path that makes the result from the batch.
    Finishing(Py<PyAny>),
    Finished,
}

/// What the await evaluates to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gives {
    /// A cursor over the rows (`Connection.execute`).
    Cursor,
    /// The rows themselves (`Connection.execute_fetchall`).
    Rows,
}

/// Sets `into._ran` to the batch that ran: on the native field of the
/// DSL's result directly (a generic setattr costs more than the rest of
/// handing the rows over), else as an attribute.
fn tell(into: &Bound<'_, PyAny>, batch: Py<PyAny>) -> PyResult<()> {
    match into.cast::<aioxide_sql::result::ResultCore>() {
        Ok(result) => {
            result.borrow_mut()._ran = batch;
            Ok(())
        }
        Err(_) => into.setattr(intern!(into.py(), "_ran"), batch),
    }
}

/// What to run: the statement and the connection's settings for it (as
/// `Connection._submit` passes them).
struct Call {
    conn: Py<PyAny>,
    /// The statement's text (a str; anything else is refused when it runs,
    /// as `sqlite3` refuses it). aioxide.sql's native run gives its cached
    /// str.
    sql: Py<PyAny>,
    parameters: Option<Py<PyAny>>,
    /// For `execute_fetchall`: the rows read at once (and the call gives
    /// rows, not a cursor).
    rows_chunk: Option<usize>,
    gives: Gives,
    /// A `RowShape` (from aioxide.sql): rows come back as its objects.
    shape: Option<Py<PyAny>>,
    /// An object told which batch ran (its `_ran` is set to it): the DSL's
    /// `Result`, which reads the row count and last id from it.
    into: Option<Py<PyAny>>,
}

/// One `Connection.execute(sql, parameters)` (or `execute_fetchall`), run
/// when awaited.
#[pyclass(module = "aioxide._core")]
pub struct ExecuteCall {
    call: Call,
    state: State,
    /// The cursor it made, for `__aexit__` to close.
    cursor: Option<Py<PyAny>>,
    /// The batch to hand to `call.into` once the rows are all read (only
    /// a run that finished counts: one cancelled part way runs again).
    ran: Option<Py<PyAny>>,
}

/// Starts the statement: the batch if it ran here, else the `Completion`
/// to await.
fn start(py: Python<'_>, call: &Call) -> PyResult<Started> {
    // Connection._submit's check and settings, read when awaited.
    let conn = call.conn.bind(py).cast::<ConnectionCore>()?.borrow();
    let native = conn
        .live(py)
        .ok_or_else(|| PyValueError::new_err("no active connection"))?;
    let text_factory = conn.text_factory.as_ref().map(|f| f.clone_ref(py));
    let (detect_types, first_rows) = (conn.detect_types, conn.first_rows);
    drop(conn);
    let parameters = call.parameters.as_ref().map(|p| p.bind(py));
    let given;
    let result = NativeConnection::execute(
        native.bind(py),
        {
            let text = &call.sql;
            given = text.bind(py).cast::<PyString>().cloned().map_err(|_| {
                let kind = text.bind(py).get_type().name().map(|n| n.to_string());
                PyTypeError::new_err(format!(
                    "execute() argument 1 must be str, not {}",
                    kind.as_deref().unwrap_or("an object of another type")
                ))
            })?;
            given.to_str()?
        },
        parameters.filter(|p| !p.is_none()),
        text_factory.as_ref().map(|f| f.bind(py)),
        detect_types,
        call.shape.as_ref().map(|s| s.bind(py)),
        call.rows_chunk.or(first_rows),
    )?;
    if result.bind(py).is_instance_of::<SqliteBatch>() {
        Ok(Started::Ran(result))
    } else {
        Ok(Started::Queued(result))
    }
}

impl ExecuteCall {
    /// What the await gives for `batch`: the cursor over it (as
    /// `Cursor._from_batch` makes it, kept for `__aexit__`), or its rows.
    fn finish(slf: &Bound<'_, Self>, batch: Py<PyAny>) -> PyResult<Sent> {
        let py = slf.py();
        let (conn, gives, into) = {
            let this = slf.borrow();
            let into = this.call.into.as_ref().map(|i| i.clone_ref(py));
            (this.call.conn.clone_ref(py), this.call.gives, into)
        };
        if gives == Gives::Rows {
            // The common case natively: every row came back, no row factory
            // (the list is the batch's own, which nothing else holds).
            let rows = batch.bind(py).cast::<SqliteBatch>()?.get().all_rows(py);
            if let Some(rows) = rows {
                let core = conn.bind(py).cast::<ConnectionCore>()?;
                if core.borrow().row_factory.is_none() {
                    if let Some(into) = into {
                        tell(into.bind(py), batch)?;
                    }
                    return Ok(Sent::Return(rows.into_any()));
                }
            }
            if into.is_some() {
                slf.borrow_mut().ran = Some(batch.clone_ref(py));
            }
            let finishing = hooks(py)?.rows_of.call1(py, (conn, batch))?;
            let iter = drive::awaitable_iter(finishing.into_bound(py))?.unbind();
            return ExecuteCall::drive(slf, iter, true, Resume::Start);
        }
        let cursor = CursorCore::new_over(py, &hooks(py)?.cursor, conn.bind(py), batch)?;
        slf.borrow_mut().cursor = Some(cursor.clone_ref(py));
        Ok(Sent::Return(cursor))
    }

    /// Hands the batch of a finished run to `call.into` (its `_ran`).
    fn tell_ran(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let told = {
            let mut this = slf.borrow_mut();
            let batch = this.ran.take();
            batch.zip(this.call.into.as_ref().map(|i| i.clone_ref(py)))
        };
        if let Some((batch, into)) = told {
            tell(into.bind(py), batch)?;
        }
        Ok(())
    }

    /// Advances what the call awaits: the statement's `Completion`, or
    /// (`finishing`) the slow path making the result.
    fn drive(
        slf: &Bound<'_, Self>,
        waiting: Py<PyAny>,
        finishing: bool,
        resume: Resume,
    ) -> PyResult<Sent> {
        let py = slf.py();
        match drive::send(py, waiting.bind(py), resume) {
            Poll::Pending(future) => {
                slf.borrow_mut().state = if finishing {
                    State::Finishing(waiting)
                } else {
                    State::Waiting(waiting)
                };
                Ok(Sent::Yield(future))
            }
            Poll::Ready(value) if finishing => {
                ExecuteCall::tell_ran(slf)?;
                Ok(Sent::Return(value))
            }
            Poll::Ready(batch) => ExecuteCall::finish(slf, batch),
            Poll::Done => Err(PyRuntimeError::new_err(
                "the statement ended without a result",
            )),
            Poll::Err(err) => Err(*err),
        }
    }

    /// One step, resumed as the task resumed it. No borrow of the object is
    /// held while Python code runs (adapters, converters, the cursor maker).
    fn step(slf: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent> {
        let py = slf.py();
        let (waiting, finishing) = {
            let mut this = slf.borrow_mut();
            match std::mem::replace(&mut this.state, State::Finished) {
                State::Waiting(completion) => (completion, false),
                State::Finishing(rest) => (rest, true),
                State::Finished => {
                    return Err(PyRuntimeError::new_err(
                        "cannot reuse an already awaited aioxide execute()",
                    ))
                }
                State::NotStarted => {
                    // Thrown into before it started: raised, nothing runs.
                    if let Resume::Throw(err) = resume {
                        return Err(*err);
                    }
                    drop(this);
                    // A shared borrow while Python code runs (adapters,
                    // converters): `repr(call)` from one still works.
                    let started = start(py, &slf.borrow().call);
                    match started? {
                        Started::Ran(batch) => return ExecuteCall::finish(slf, batch),
                        Started::Queued(completion) => (completion, false),
                    }
                }
            }
        };
        ExecuteCall::drive(slf, waiting, finishing, resume)
    }
}

enum Started {
    Ran(Py<PyAny>),
    Queued(Py<PyAny>),
}

/// A new `ExecuteCall`: what `Connection.execute(sql, parameters)` returns,
/// or with `rows_chunk`, `execute_fetchall` (the rows, read that many at
/// a time). A function rather than the class's constructor: PyO3
/// constructors take their arguments as a tuple, functions by vectorcall
/// (~1,000 instructions less per statement). The connection's settings
/// are read when it is awaited, as `Connection._submit` reads them.
/// `shape` and `into` are aioxide.sql's: rows built as its objects, and its
/// `Result` told which batch ran.
#[pyfunction]
#[pyo3(name = "execute_call", signature = (conn, sql, parameters=None, rows_chunk=None, shape=None, into=None))]
pub fn new_execute_call(
    py: Python<'_>,
    conn: Py<PyAny>,
    sql: Py<PyAny>,
    parameters: Option<Py<PyAny>>,
    rows_chunk: Option<usize>,
    shape: Option<Py<PyAny>>,
    into: Option<Py<PyAny>>,
) -> PyResult<Py<ExecuteCall>> {
    let gives = if rows_chunk.is_some() {
        Gives::Rows
    } else {
        Gives::Cursor
    };
    ExecuteCall::create(
        py,
        Call {
            conn,
            sql,
            parameters,
            rows_chunk,
            gives,
            shape,
            into,
        },
    )
}

/// The rows of an aioxide.sql select rendered natively (`sql`, binding
/// `parameters`), built by `shape`, `into._ran` set to the batch; read in
/// chunks of `rows_chunk`.
pub(super) fn dsl_rows_call(
    py: Python<'_>,
    conn: Py<PyAny>,
    sql: Py<PyAny>,
    parameters: Py<PyAny>,
    rows_chunk: usize,
    shape: Py<PyAny>,
    into: Py<PyAny>,
) -> PyResult<Py<ExecuteCall>> {
    ExecuteCall::create(
        py,
        Call {
            conn,
            sql,
            parameters: Some(parameters),
            rows_chunk: Some(rows_chunk),
            gives: Gives::Rows,
            shape: Some(shape),
            into: Some(into),
        },
    )
}

impl ExecuteCall {
    fn create(py: Python<'_>, call: Call) -> PyResult<Py<ExecuteCall>> {
        Py::new(
            py,
            ExecuteCall {
                call,
                state: State::NotStarted,
                cursor: None,
                ran: None,
            },
        )
    }
}

impl SendStep for ExecuteCall {
    fn send_step(awaitable: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent> {
        ExecuteCall::step(awaitable, resume)
    }
}

/// A step as the coroutine protocol's `send` reports it: the value
/// yielded, or `StopIteration(result)`.
fn as_coroutine_step(sent: Sent) -> PyResult<Py<PyAny>> {
    match sent {
        Sent::Yield(value) => Ok(value),
        Sent::Return(value) => Err(PyStopIteration::new_err((value,))),
    }
}

#[pymethods]
impl ExecuteCall {
    // `await` goes through the am_await / am_send slots installed at module
    // initialisation; these are the Python-visible forms of the same steps.
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        as_coroutine_step(ExecuteCall::step(slf, Resume::Start)?)
    }

    #[pyo3(signature = (value, /))]
    fn send(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let resume = if value.is_none() {
            Resume::Start
        } else {
            Resume::Send(value.clone().unbind())
        };
        as_coroutine_step(ExecuteCall::step(slf, resume)?)
    }

    #[pyo3(signature = (typ, val=None, tb=None, /))]
    fn throw(
        slf: &Bound<'_, Self>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let err = exception_from(slf.py(), typ, val, tb);
        as_coroutine_step(ExecuteCall::step(slf, Resume::Throw(Box::new(err)))?)
    }

    /// Discards the call; a statement still queued is cancelled.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Waiting(awaited) | State::Finishing(awaited) => {
                awaited.call_method0(py, intern!(py, "close"))?;
            }
            State::NotStarted | State::Finished => {}
        }
        Ok(())
    }

    fn __aenter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc=None, _tb=None))]
    fn __aexit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        if let Some(cursor) = &self.cursor {
            match cursor.bind(py).cast::<CursorCore>() {
                Ok(core) => core.borrow_mut().close_now(py),
                Err(_) => {
                    cursor.call_method0(py, intern!(py, "_close_now"))?;
                }
            }
        }
        Ok(aioxide_bridge::slots::finished_none(py)?.into_any())
    }

    fn __repr__(&self) -> String {
        let state = match self.state {
            State::NotStarted => "not started",
            State::Waiting(_) | State::Finishing(_) => "running",
            State::Finished => "finished",
        };
        format!("<aioxide execute() {state}>")
    }
}
