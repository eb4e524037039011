//! `NativeConnection`: the Python-facing SQLite connection. Each one owns one
//! worker thread holding the rusqlite connection; every method queues an
//! operation on it and returns a bridge `Completion`. The Python layer
//! (`aioxide.sqlite`) builds aiosqlite's API on top.

use aioxide_sync::Unpoisoned;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::row_shape::RowShape;
use aioxide_bridge::{Completion, Outcome, Ticket, Worker};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use rusqlite::functions::FunctionFlags;
use rusqlite::{ffi, InterruptHandle};

use super::callbacks::{authorizer_trampoline, py_callback_error, py_to_value};
use super::cells::{batch_to_py, value_to_py, Conversion, TextMode};
use super::functions;
use super::params::params_from_py;
use super::stream::first_batch_to_py;
use crate::database::{
    check_isolation_level, Autocommit, Batch, Database, ManyRules, NamedByPosition, OpenOptions,
};
use crate::errors::{Kind, SqlError};

/// State the loop thread reads without a hop to the connection thread.
#[derive(Default)]
struct Shared {
    in_transaction: AtomicBool,
    total_changes: AtomicU64,
    isolation_level: Mutex<Option<String>>,
    interrupt: Mutex<Option<InterruptHandle>>,
    /// The operation running now (0: none); guards cancellation so that an
    /// interrupt meant for one operation never hits the next.
    running: Mutex<u64>,
    next_op: AtomicU64,
    /// Whether short statements may run inline on the caller's thread
    /// (off while a user progress handler occupies SQLite's handler slot).
    inline_disabled: AtomicBool,
}

impl Shared {
    fn snapshot(&self, db: &Database) {
        self.in_transaction
            .store(!db.conn().is_autocommit(), Ordering::Release);
        self.total_changes
            .store(db.conn().total_changes(), Ordering::Release);
    }
}

/// The connection thread's state: the engine once opened, plus the Python
/// callbacks SQLite holds raw pointers to.
#[derive(Default)]
struct Thread {
    db: Option<Database>,
    authorizer: Option<Box<Py<PyAny>>>,
}

fn failed(err: SqlError) -> Outcome {
    Box::new(move |py| Err(err.into_pyerr(py)))
}

fn closed_error() -> SqlError {
    SqlError::programming("Cannot operate on a closed database.")
}

/// A SQLite connection on its own thread.
#[pyclass(module = "aioxide._core", frozen)]
pub struct NativeConnection {
    /// The connection thread; its jobs lock `cell` while they run.
    worker: Worker<Arc<Mutex<Thread>>>,
    /// Shared with the worker, so the caller's thread can run a short
    /// statement itself when the worker is idle.
    cell: Arc<Mutex<Thread>>,
    shared: Arc<Shared>,
    /// Read-only connections to the same (WAL) database: plain queries go
    /// to the least busy one while this connection has nothing queued and no
    /// transaction open, so reads spread over cores without ever overtaking
    /// a write queued before them.
    readers: Mutex<Vec<Py<NativeConnection>>>,
}

impl NativeConnection {
    /// A statement whose parameters cannot be bound: the stdlib prepares
    /// before it binds, so an error in the SQL itself wins (`insert into
    /// missing values (?)` with an unbindable value is "no such table").
    /// Only the failing path pays for the extra hop.
    fn prepare_then_fail(
        &self,
        py: Python<'_>,
        sql: String,
        unbindable: PyErr,
    ) -> PyResult<Py<PyAny>> {
        self.submit(
            py,
            move |thread, _| database_of(thread)?.check_prepares(&sql),
            move |_py, ()| Err(unbindable),
        )
        .map(Py::into_any)
    }
}

impl NativeConnection {
    /// Queues the next chunk of a query's remaining rows (`RowStream`)
    /// into `inbox`; `done` takes it from there on the loop thread.
    ///
    /// A cancelled fetch does not interrupt the statement (which would end
    /// the query for good): the chunk is read, waits in the inbox, and the
    /// next fetch hands it over. aiosqlite cannot stop a fetch either.
    pub(super) fn fetch_stream(
        &self,
        py: Python<'_>,
        id: u64,
        limit: Option<usize>,
        inbox: Arc<Mutex<super::stream::Inbox>>,
        done: impl FnOnce(Python<'_>, ()) -> PyResult<Py<PyAny>> + Send + 'static,
    ) -> PyResult<Py<Completion>> {
        self.submit_with(
            py,
            false,
            move |thread, _| {
                let chunk = database_of(thread).and_then(|db| db.fetch_stream(id, limit));
                inbox.locked().push_back(chunk);
                Ok(())
            },
            done,
        )
    }

    /// Lets go of a query's remaining rows (`RowStream`): at once when the
    /// connection is idle, else behind whatever is queued (and before
    /// anything after it, inline or not: the job counts as pending). A
    /// connection already stopped has dropped them anyway.
    pub(super) fn end_stream(&self, id: u64) {
        if self.worker.pending() == 0 {
            // Never waits: the worker holds the lock while it runs a job.
            if let Ok(mut thread) = self.cell.try_lock() {
                if let Some(db) = thread.db.as_mut() {
                    db.end_stream(id);
                }
                return;
            }
        }
        let _ = self.worker.run_counted(move |cell| {
            if let Some(db) = cell.locked().db.as_mut() {
                db.end_stream(id);
            }
        });
    }

    /// Runs a statement on this (the caller's) thread when nothing is queued
    /// ahead of it and it fits the inline budget. `None`: queue it instead.
    fn try_inline(
        &self,
        sql: &str,
        params: &crate::value::Params,
        first: Option<usize>,
    ) -> Option<Result<Batch, SqlError>> {
        if self.shared.inline_disabled.load(Ordering::Acquire) || self.worker.pending() != 0 {
            return None;
        }
        // The worker holds the lock while it runs an operation: never wait for it.
        let mut thread = self.cell.try_lock().ok()?;
        let db = thread.db.as_mut()?;
        db.isolation_level = self.shared.isolation_level.locked().clone();
        let result = db.execute_inline(sql, params, first);
        self.shared.snapshot(db);
        match result {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => None,
            Err(err) => Some(Err(err)),
        }
    }

    /// Runs `op` on this thread if the connection is idle (nothing queued,
    /// the engine's lock free); None if it must be queued.
    fn try_inline_unit(
        &self,
        op: impl FnOnce(&mut Database) -> Result<(), SqlError>,
    ) -> Option<Result<(), SqlError>> {
        if self.worker.pending() != 0 {
            return None;
        }
        let mut thread = self.cell.try_lock().ok()?;
        let db = thread.db.as_mut()?;
        let result = op(db);
        self.shared.snapshot(db);
        Some(result)
    }

    /// The reader to send `sql` to, if it is a plain query, readers exist,
    /// and nothing on this connection could be overtaken or not yet visible.
    fn idle_reader_for(&self, py: Python<'_>, sql: &str) -> Option<Py<NativeConnection>> {
        let readers = self.readers.locked();
        if readers.is_empty()
            || self.worker.pending() != 0
            || self.shared.in_transaction.load(Ordering::Acquire)
            || !crate::database::is_query(sql)
        {
            return None;
        }
        readers
            .iter()
            .min_by_key(|r| r.get().worker.pending())
            .map(|r| r.clone_ref(py))
    }

    /// Queues `op` against the open engine; `done` turns its value into the
    /// awaited Python object on the loop thread.
    fn submit<T: Send + 'static>(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&mut Thread, &Ticket) -> Result<T, SqlError> + Send + 'static,
        done: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
    ) -> PyResult<Py<Completion>> {
        self.submit_with(py, true, op, done)
    }

    /// `submit`; `interrupt_on_cancel`: whether a caller cancelling while
    /// the operation runs interrupts the statement it is stepping.
    fn submit_with<T: Send + 'static>(
        &self,
        py: Python<'_>,
        interrupt_on_cancel: bool,
        op: impl FnOnce(&mut Thread, &Ticket) -> Result<T, SqlError> + Send + 'static,
        done: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
    ) -> PyResult<Py<Completion>> {
        let shared = self.shared.clone();
        let op_id = shared.next_op.fetch_add(1, Ordering::Relaxed) + 1;
        self.worker
            .submit(py, move |cell, ticket| {
                let mut thread = cell.locked();
                let thread = &mut *thread;
                if interrupt_on_cancel {
                    let shared = shared.clone();
                    ticket.on_cancel(move || {
                        let running = shared.running.locked();
                        if *running == op_id {
                            if let Some(handle) = &*shared.interrupt.locked() {
                                handle.interrupt();
                            }
                        }
                    });
                }
                *shared.running.locked() = op_id;
                if let Some(db) = thread.db.as_mut() {
                    db.isolation_level = shared.isolation_level.locked().clone();
                }
                let result = op(thread, ticket);
                if let Some(db) = &thread.db {
                    shared.snapshot(db);
                }
                *shared.running.locked() = 0;
                match result {
                    Ok(value) => Box::new(move |py: Python<'_>| done(py, value)) as Outcome,
                    Err(err) => failed(err),
                }
            })
            .map_err(|_| closed_error().into_pyerr(py))
    }

    /// Like `submit`, for operations on an open engine that return nothing.
    fn submit_unit(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&mut Database) -> Result<(), SqlError> + Send + 'static,
    ) -> PyResult<Py<Completion>> {
        self.submit(
            py,
            move |thread, _| op(database_of(thread)?),
            |py, ()| Ok(py.None()),
        )
    }
}

fn database_of(thread: &mut Thread) -> Result<&mut Database, SqlError> {
    thread.db.as_mut().ok_or_else(closed_error)
}

#[pymethods]
impl NativeConnection {
    #[new]
    #[pyo3(signature = (name="aioxide-sqlite"))]
    fn new(name: &str) -> PyResult<Self> {
        let cell: Arc<Mutex<Thread>> = Arc::default();
        let worker_cell = cell.clone();
        Ok(Self {
            worker: Worker::spawn(name, move || worker_cell)?,
            cell,
            shared: Arc::default(),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Opens the database on the connection thread.
    #[pyo3(
        signature = (path, timeout=5.0, isolation_level=Some(String::new()), uri=false, cached_statements=128),
        text_signature = "(self, path, timeout=5.0, isolation_level='', uri=False, cached_statements=128)"
    )]
    fn open(
        &self,
        py: Python<'_>,
        path: String,
        timeout: f64,
        isolation_level: Option<String>,
        uri: bool,
        cached_statements: usize,
    ) -> PyResult<Py<Completion>> {
        if let Some(level) = &isolation_level {
            check_isolation_level(level).map_err(|e| e.into_pyerr(py))?;
        }
        // NaN and negative timeouts are refused (the stdlib silently never
        // waits); infinity, or more than a Duration holds, waits for ever.
        if timeout.is_nan() || timeout < 0.0 {
            return Err(PyValueError::new_err(
                "timeout must be a non-negative number of seconds",
            ));
        }
        *self.shared.isolation_level.locked() = isolation_level.clone();
        super::library::ensure(py)?;
        let options = OpenOptions {
            path,
            uri,
            // Past what a Duration holds, a timeout is "wait for ever".
            timeout: Duration::try_from_secs_f64(timeout).unwrap_or(Duration::MAX),
            isolation_level,
            statement_cache: cached_statements,
            named_by_position: match py.version_info() {
                v if v >= (3, 14) => NamedByPosition::Refuse,
                v if v >= (3, 12, 4) => NamedByPosition::Warn,
                v if v >= (3, 12) => NamedByPosition::WarnAlsoNumbered,
                _ => NamedByPosition::Allow,
            },
        };
        let shared = self.shared.clone();
        self.submit(
            py,
            move |thread, _| {
                if thread.db.is_some() {
                    return Err(SqlError::programming("the connection is already open"));
                }
                let db = Database::open(&options)?;
                *shared.interrupt.locked() = Some(db.conn().get_interrupt_handle());
                thread.db = Some(db);
                Ok(())
            },
            |py, ()| Ok(py.None()),
        )
    }

    /// Runs one statement. Returns the `SqliteBatch` itself when the
    /// statement ran on this thread (a short read, or a write known to be
    /// cheap, with nothing queued ahead of it); otherwise an awaitable
    /// `Completion` resolving to it.
    ///
    /// `shape` (a `RowShape`, from aioxide.sql) makes each row the user's
    /// object directly, without a tuple in between. With `first_rows`, a
    /// query collects at most that many rows; if it has more, the batch's
    /// `more` (a `RowStream`) reads the rest from the statement, which stays
    /// open meanwhile (as a stdlib cursor's does).
    #[pyo3(signature = (sql, parameters=None, text_factory=None, detect_types=0, shape=None, first_rows=None))]
    #[allow(clippy::too_many_arguments)] // the Python signature, one per option
    pub(super) fn execute(
        slf: &Bound<'_, Self>,
        sql: &str,
        parameters: Option<&Bound<'_, PyAny>>,
        text_factory: Option<&Bound<'_, PyAny>>,
        detect_types: u32,
        shape: Option<&Bound<'_, PyAny>>,
        first_rows: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let params = match params_from_py(parameters) {
            Ok(params) => params,
            Err(unbindable) => return this.prepare_then_fail(py, sql.to_owned(), unbindable),
        };
        let how = Conversion {
            text: TextMode::from_py(text_factory),
            detect_types,
            shape: shape
                .map(|s| s.cast::<RowShape>().map(|s| s.get().shape.clone()))
                .transpose()?,
        };
        // Done on this thread: hand back the batch itself, not an awaitable.
        // The text is borrowed from the caller's `str`: copied only when the
        // statement goes to the connection's thread.
        if let Some(batch) = this.try_inline(sql, &params, first_rows) {
            return match batch {
                Ok(batch) => first_batch_to_py(py, slf.clone().unbind(), batch, how),
                Err(err) => Err(err.into_pyerr(py)),
            };
        }
        let (target, owner) = match this.idle_reader_for(py, sql) {
            Some(reader) => (reader.clone_ref(py), reader),
            None => (slf.clone().unbind(), slf.clone().unbind()),
        };
        target
            .get()
            .submit(
                py,
                {
                    let sql = sql.to_owned();
                    move |thread, _| database_of(thread)?.execute_chunked(&sql, &params, first_rows)
                },
                move |py, batch| first_batch_to_py(py, owner, batch, how),
            )
            .map(Py::into_any)
    }

    /// Runs one statement per parameter set, in one hop.
    fn executemany(
        &self,
        py: Python<'_>,
        sql: String,
        seq_of_parameters: &Bound<'_, PyAny>,
    ) -> PyResult<Py<Completion>> {
        let mut sets = Vec::new();
        for params in seq_of_parameters.try_iter()? {
            sets.push(params_from_py(Some(&params?))?);
        }
        let rules = match py.version_info() {
            v if v >= (3, 12) => ManyRules::Python312,
            v if v >= (3, 11) => ManyRules::Python311,
            _ => ManyRules::Python310,
        };
        self.submit(
            py,
            move |thread, _| database_of(thread)?.execute_many(&sql, &sets, rules),
            |py, batch| batch_to_py(py, batch, &Conversion::plain(), None),
        )
    }

    fn executescript(&self, py: Python<'_>, sql: String) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| db.execute_script(&sql))
    }

    /// Completes once every operation queued before it has run (it does nothing itself).
    fn barrier(&self, py: Python<'_>) -> PyResult<Py<Completion>> {
        self.submit(py, |_, _| Ok(()), |py, ()| Ok(py.None()))
    }

    fn commit(&self, py: Python<'_>) -> PyResult<Py<Completion>> {
        self.submit_unit(py, Database::commit)
    }

    fn rollback(&self, py: Python<'_>) -> PyResult<Py<Completion>> {
        self.submit_unit(py, Database::rollback)
    }

    /// Closes the database (idempotent); the thread then stops.
    fn close(&self, py: Python<'_>) -> PyResult<Py<Completion>> {
        let shared = self.shared.clone();
        self.submit(
            py,
            move |thread, _| {
                shared.interrupt.locked().take();
                if let Some(db) = thread.db.take() {
                    db.close()?;
                }
                thread.authorizer = None;
                Ok(())
            },
            |py, ()| Ok(py.None()),
        )
    }

    /// Stops accepting work and lets the thread finish what is queued.
    /// With `wait`, joins the thread (the GIL is released meanwhile).
    #[pyo3(signature = (wait=false))]
    fn stop(&self, py: Python<'_>, wait: bool) {
        if wait {
            self.worker.close(py);
        } else {
            self.worker.close_without_joining();
        }
    }

    /// Whether `stop` was called.
    #[getter]
    fn stopped(&self) -> bool {
        self.worker.is_closed()
    }

    /// Interrupts the statement running now, from any thread.
    fn interrupt(&self) {
        if let Some(handle) = &*self.shared.interrupt.locked() {
            handle.interrupt();
        }
    }

    #[getter]
    fn in_transaction(&self) -> bool {
        self.shared.in_transaction.load(Ordering::Acquire)
    }

    #[getter]
    fn total_changes(&self) -> u64 {
        self.shared.total_changes.load(Ordering::Acquire)
    }

    fn get_isolation_level(&self) -> Option<String> {
        self.shared.isolation_level.locked().clone()
    }

    /// Sets the isolation level for statements queued from now on. Switching
    /// to autocommit (`None`) commits a pending transaction, as `sqlite3` does.
    fn set_isolation_level(
        &self,
        py: Python<'_>,
        level: Option<String>,
    ) -> PyResult<Option<Py<Completion>>> {
        if let Some(level) = &level {
            check_isolation_level(level).map_err(|e| e.into_pyerr(py))?;
        }
        let to_autocommit = level.is_none();
        *self.shared.isolation_level.locked() = level;
        if to_autocommit {
            // The stdlib commits at once: so does this when the connection
            // is idle (then in_transaction is false, or the error raised,
            // before the setter returns); behind queued work it must wait
            // its turn.
            if let Some(done) = self.try_inline_unit(Database::commit) {
                return done.map(|()| None).map_err(|err| err.into_pyerr(py));
            }
            return self.submit_unit(py, Database::commit).map(Some);
        }
        Ok(None)
    }

    /// Sets Python 3.12's `autocommit`: -1 (legacy), 1 (True) or 0 (False).
    fn set_autocommit(&self, py: Python<'_>, mode: i64) -> PyResult<Py<Completion>> {
        let Some(mode) = Autocommit::from_python(mode) else {
            return Err(PyValueError::new_err(
                "autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL",
            ));
        };
        self.submit_unit(py, move |db| db.set_autocommit(mode))
    }

    /// Registers a Python function callable from SQL.
    #[pyo3(signature = (name, narg, func, deterministic=false))]
    fn create_function(
        &self,
        py: Python<'_>,
        name: String,
        narg: i64,
        func: Py<PyAny>,
        deterministic: bool,
    ) -> PyResult<Py<Completion>> {
        // SQLite accepts -1 (any number) to 127 arguments; the stdlib
        // reports anything else as this OperationalError.
        let narg = i32::try_from(narg)
            .ok()
            .filter(|n| (-1..=127).contains(n))
            .ok_or_else(|| {
                SqlError::new(Kind::Operational, "Error creating function").into_pyerr(py)
            })?;
        self.submit_unit(py, move |db| {
            let mut flags = FunctionFlags::SQLITE_UTF8;
            if deterministic {
                flags |= FunctionFlags::SQLITE_DETERMINISTIC;
            }
            db.conn()
                .create_scalar_function(name.as_str(), narg, flags, move |ctx| {
                    Python::try_attach(|py| {
                        let args = (0..ctx.len())
                            .map(|i| value_to_py(py, ctx.get_raw(i)))
                            .collect::<PyResult<Vec<_>>>()
                            .map_err(py_callback_error)?;
                        let result = func
                            .bind(py)
                            .call1(PyTuple::new(py, args).map_err(py_callback_error)?)
                            .map_err(py_callback_error)?;
                        py_to_value(&result)
                    })
                    .unwrap_or_else(|| {
                        Err(rusqlite::Error::UserFunctionError(
                            "the interpreter is shutting down".into(),
                        ))
                    })
                })?;
            Ok(())
        })
    }

    /// Registers an aggregate class (`step(*args)`, `finalize()`), or removes
    /// it when `aggregate_class` is None.
    fn create_aggregate(
        &self,
        py: Python<'_>,
        name: String,
        n_arg: i32,
        aggregate_class: Option<Py<PyAny>>,
    ) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            match aggregate_class {
                None => db.conn().remove_function(name.as_str(), n_arg)?,
                Some(class) => db.conn().create_aggregate_function(
                    name.as_str(),
                    n_arg,
                    FunctionFlags::SQLITE_UTF8,
                    functions::PyAggregate { class },
                )?,
            }
            Ok(())
        })
    }

    /// Registers a window function class (`step`, `inverse`, `value`,
    /// `finalize`), or removes it when `aggregate_class` is None.
    fn create_window_function(
        &self,
        py: Python<'_>,
        name: String,
        num_params: i32,
        aggregate_class: Option<Py<PyAny>>,
    ) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            match aggregate_class {
                None => db.conn().remove_function(name.as_str(), num_params)?,
                Some(class) => db.conn().create_window_function(
                    name.as_str(),
                    num_params,
                    FunctionFlags::SQLITE_UTF8,
                    functions::PyAggregate { class },
                )?,
            }
            Ok(())
        })
    }

    /// Installs (or with `None`, removes) a progress handler called every `n` VM steps.
    fn set_progress_handler(
        &self,
        py: Python<'_>,
        handler: Option<Py<PyAny>>,
        n: i32,
    ) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            db.set_progress(
                n,
                handler.map(|handler| -> crate::database::ProgressFn {
                    Box::new(move || {
                        Python::try_attach(|py| match handler.bind(py).call0() {
                            Ok(r) => r.is_truthy().unwrap_or(true),
                            Err(err) => {
                                err.print(py);
                                true
                            }
                        })
                        .unwrap_or(true)
                    })
                }),
            );
            Ok(())
        })
    }

    /// Installs (or with `None`, removes) a callback receiving each statement's SQL.
    fn set_trace_callback(
        &self,
        py: Python<'_>,
        callback: Option<Py<PyAny>>,
    ) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            db.set_trace(callback.map(|callback| -> crate::database::TraceFn {
                Box::new(move |sql: &str| {
                    let _ = Python::try_attach(|py| {
                        if let Err(err) = callback.bind(py).call1((sql,)) {
                            err.print(py);
                        }
                    });
                })
            }));
            Ok(())
        })
    }

    /// Installs (or with `None`, removes) an authorizer with the `sqlite3`
    /// signature `(action, arg1, arg2, db_name, trigger_name) -> int`.
    fn set_authorizer(
        &self,
        py: Python<'_>,
        callback: Option<Py<PyAny>>,
    ) -> PyResult<Py<Completion>> {
        self.submit(
            py,
            move |thread, _| {
                let db = thread.db.as_ref().ok_or_else(closed_error)?;
                let boxed = callback.map(Box::new);
                let ctx = boxed.as_ref().map_or(std::ptr::null_mut(), |b| {
                    &**b as *const Py<PyAny> as *mut c_void
                });
                // SAFETY: the handle is the open connection owned by this
                // thread; `ctx` points into a Box stored in `thread.authorizer`
                // below, which outlives the registration (it is replaced only
                // after SQLite has been given the new callback, and dropped on
                // close after the connection is closed).
                let rc = unsafe {
                    ffi::sqlite3_set_authorizer(
                        db.conn().handle(),
                        boxed.as_ref().map(|_| authorizer_trampoline as _),
                        ctx,
                    )
                };
                if rc != ffi::SQLITE_OK {
                    return Err(SqlError::new(
                        Kind::Operational,
                        "could not set the authorizer",
                    ));
                }
                thread.authorizer = boxed;
                Ok(())
            },
            |py, ()| Ok(py.None()),
        )
    }

    fn enable_load_extension(&self, py: Python<'_>, enabled: bool) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            db.enable_load_extension(enabled)?;
            Ok(())
        })
    }

    fn load_extension(&self, py: Python<'_>, path: String) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            db.load_extension(&path)?;
            Ok(())
        })
    }

    /// The database as bytes (`sqlite3_serialize`), for backups into
    /// connections on other engines.
    #[pyo3(signature = (name="main".to_owned()), text_signature = "(self, name='main')")]
    fn serialize(&self, py: Python<'_>, name: String) -> PyResult<Py<Completion>> {
        self.submit(
            py,
            move |thread, _| {
                let db = database_of(thread)?;
                db.serialize(name.as_str())
            },
            |py, data| Ok(PyBytes::new(py, &data).into_any().unbind()),
        )
    }

    /// Replaces database `name` with the serialized image `data`, through
    /// SQLite's backup API so that file databases are really written.
    #[pyo3(signature = (data, name="main".to_owned()), text_signature = "(self, data, name='main')")]
    fn restore(&self, py: Python<'_>, data: Vec<u8>, name: String) -> PyResult<Py<Completion>> {
        self.submit_unit(py, move |db| {
            let mut image = rusqlite::Connection::open_in_memory()?;
            image.deserialize_read_exact("main", std::io::Cursor::new(&data), data.len(), true)?;
            db.restore_from(&image, name.as_str())
        })
    }

    /// Adds read-only connections (opened by the caller on the same WAL
    /// database) that plain queries may be routed to.
    fn attach_readers(&self, readers: Vec<Py<NativeConnection>>) {
        self.readers.locked().extend(readers);
    }

    /// How many reader connections are attached.
    #[getter]
    fn reader_count(&self) -> usize {
        self.readers.locked().len()
    }

    /// Operations queued or running on the connection thread.
    #[getter]
    fn pending(&self) -> usize {
        self.worker.pending()
    }
}
